// MessageBuilder: messages decoded back by an independent RFC 7011 decoder (ipfix_test_decoder.hpp), every
// field of IPv4 and IPv6 biflow records, set and message lengths, sequence numbers, the message size limit,
// hostile strings, and docs/ipfix.md listing every element sent.
#include "lib/export/ipfix/ipfix_message_builder.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "lib/export/ipfix/ipfix_test_decoder.hpp"

namespace spanwatch::lib::ipfix {
namespace {

using test::decode;
using test::Template;

IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t p[4] = {a, b, c, d};
  return IpAddress::from_v4(p);
}

constexpr uint64_t kT0 = 1767607200123456789ull;  // 2026-01-05T10:00:00.123456789Z

FlowRecord tls_record() {
  FlowRecord r;
  r.flow_id = (uint64_t{3} << 56) | 0x42;
  r.first_ns = kT0;
  r.last_ns = kT0 + 40'499'999'000ull;
  r.src_ip = v4(192, 0, 2, 10);
  r.dst_ip = v4(198, 51, 100, 7);
  r.src_port = 51234;
  r.dst_port = 443;
  r.l4_proto = 6;
  r.ip_version = 4;
  DirStats& o = r.dir[0];
  o.packets = 60;
  o.frame_bytes = 4004;
  o.ip_bytes = 3164;
  o.mac = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x23};
  o.has_mac = true;
  o.tcp_flags = 0x1b;
  DirStats& s = r.dir[1];
  s.packets = 61;
  s.frame_bytes = 94000;
  s.ip_bytes = 93146;
  s.mac = {0xab, 0xcd, 0xef, 0x01, 0x02, 0x03};
  s.has_mac = true;
  s.tcp_flags = 0x13;
  r.vlan_count = 2;
  r.vlan_ids = {100, 4094};
  r.conn_state = ConnState::kSF;
  r.reason = EndReason::kEndOfFlow;
  r.l7.state = L7State::kDetected;
  r.l7.master_id = 91;
  r.l7.app_id = 126;
  r.app.reset(AppKind::kTls);
  set_text(r.app.tls.sni, "www.example.com");
  r.app.tls.has_client_hello = true;
  r.app.tls.ja3 = {0x89, 0xdf, 0xc5, 0x1e, 0x72, 0xbd, 0xcb, 0x94,
                   0xe4, 0xba, 0x46, 0x22, 0x58, 0x80, 0x02, 0xb1};
  set_text(r.app.tls.ja4, "t13d0412h2_16476d049b0b_85302d7e289e");
  return r;
}

FlowRecord icmp6_record() {
  FlowRecord r;
  r.flow_id = 7;
  r.first_ns = kT0;
  r.last_ns = kT0 + 1'000'000;
  uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  r.src_ip = IpAddress::from_v6(a);
  r.dst_ip = IpAddress::from_v6(b);
  r.src_port = 128;  // echo request, code 0
  r.dst_port = 0;
  r.l4_proto = 58;
  r.ip_version = 6;
  r.dir[0].packets = 3;
  r.dir[0].ip_bytes = 312;
  r.dir[0].frame_bytes = 354;
  r.reason = EndReason::kIdleTimeout;
  r.l7.state = L7State::kUnknown;
  return r;
}

L7NameTable names() {
  L7NameTable t;
  t.protocols.resize(127);
  t.protocols[0] = "Unknown";
  t.protocols[91] = "TLS";
  t.protocols[126] = "Google";
  return t;
}

std::vector<uint8_t> bytes(std::span<const uint8_t> s) {
  return {s.begin(), s.end()};
}

TEST(IpfixMessageBuilder, TemplatesThenIpv4RecordDecodeToEveryField) {
  const L7NameTable t = names();
  MessageBuilder b(77, 1400, &t);
  ASSERT_TRUE(b.add_templates());
  FlowEnrichment e;
  e.labels = (1u << unsigned(FlowLabel::kLongLived)) | (1u << unsigned(FlowLabel::kElephant));
  ASSERT_TRUE(b.add_record(tls_record(), &e));
  const auto msg = bytes(b.finish(1767607300));

  std::map<uint16_t, Template> known;
  const auto m = decode(msg.data(), msg.size(), known);
  EXPECT_EQ(m.version, 10);
  EXPECT_EQ(m.length, msg.size());
  EXPECT_EQ(m.export_time, 1767607300u);
  EXPECT_EQ(m.sequence, 0u);
  EXPECT_EQ(m.domain, 77u);
  ASSERT_EQ(m.sets.size(), 2u);
  EXPECT_EQ(m.sets[0].id, 2);
  EXPECT_EQ(m.sets[1].id, 256);
  EXPECT_EQ(16u + m.sets[0].length + m.sets[1].length, msg.size());  // no padding, nothing else
  ASSERT_EQ(m.templates.size(), 2u);
  ASSERT_EQ(m.records.size(), 1u);

  const auto& r = m.records[0];
  EXPECT_EQ(r.template_id, 256);
  EXPECT_EQ(r.at(8), (std::vector<uint8_t>{192, 0, 2, 10}));
  EXPECT_EQ(r.at(12), (std::vector<uint8_t>{198, 51, 100, 7}));
  EXPECT_EQ(r.num(7), 51234u);
  EXPECT_EQ(r.num(11), 443u);
  EXPECT_EQ(r.num(4), 6u);
  EXPECT_EQ(r.num(32), 0u);
  EXPECT_EQ(r.num(60), 4u);
  EXPECT_EQ(r.num(86), 60u);
  EXPECT_EQ(r.num(85), 3164u);
  EXPECT_EQ(r.num(353), 4004u);
  EXPECT_EQ(r.num(86, 29305), 61u);
  EXPECT_EQ(r.num(85, 29305), 93146u);
  EXPECT_EQ(r.num(353, 29305), 94000u);
  EXPECT_EQ(r.num(152), kT0 / 1'000'000);
  EXPECT_EQ(r.num(153), (kT0 + 40'499'999'000ull) / 1'000'000);
  EXPECT_EQ(r.num(6), 0x1bu);
  EXPECT_EQ(r.num(6, 29305), 0x13u);
  EXPECT_EQ(r.num(58), 100u);  // the outer tag
  EXPECT_EQ(r.at(56), (std::vector<uint8_t>{0x00, 0x00, 0x5e, 0x00, 0x53, 0x23}));
  EXPECT_EQ(r.at(80), (std::vector<uint8_t>{0xab, 0xcd, 0xef, 0x01, 0x02, 0x03}));
  EXPECT_EQ(r.num(136), 3u);  // end of flow detected
  EXPECT_EQ(r.num(239), 1u);
  EXPECT_EQ(r.num(148), (uint64_t{3} << 56) | 0x42);
  EXPECT_EQ(r.at(95), (std::vector<uint8_t>{20, 0, 0, 0x7e, 0xd9, 0, 126}));  // PANA-L7-PEN 32473, id 126
  EXPECT_EQ(r.str(96), "tls.google");
  EXPECT_EQ(r.str(1, 32473), "www.example.com");
  EXPECT_EQ(r.str(2, 32473), "89dfc51e72bdcb94e4ba4622588002b1");
  EXPECT_EQ(r.str(3, 32473), "t13d0412h2_16476d049b0b_85302d7e289e");
  EXPECT_EQ(r.str(4, 32473), "SF");
  EXPECT_EQ(r.str(5, 32473), "long_lived,elephant");
  // Every element of the IPv4 template is in the record, none twice.
  EXPECT_EQ(r.values.size(), m.templates.at(256).size());
}

TEST(IpfixMessageBuilder, Ipv6IcmpRecordUsesTheIpv6Template) {
  const L7NameTable t = names();
  MessageBuilder b(1, 1400, &t);
  b.add_templates();
  ASSERT_TRUE(b.add_record(icmp6_record(), nullptr));
  const auto msg = bytes(b.finish(0));
  std::map<uint16_t, Template> known;
  const auto m = decode(msg.data(), msg.size(), known);
  ASSERT_EQ(m.records.size(), 1u);
  const auto& r = m.records[0];
  EXPECT_EQ(r.template_id, 257);
  EXPECT_EQ(r.at(27).size(), 16u);
  EXPECT_EQ(r.at(27)[15], 1);
  EXPECT_EQ(r.at(28)[15], 2);
  EXPECT_EQ(r.num(7), 0u);  // ICMP: no ports, the type and code go to icmpTypeCodeIPv6
  EXPECT_EQ(r.num(11), 0u);
  EXPECT_EQ(r.num(139), 128u * 256);
  EXPECT_EQ(r.num(60), 6u);
  EXPECT_EQ(r.num(86), 3u);
  EXPECT_EQ(r.num(85), 312u);
  EXPECT_EQ(r.num(86, 29305), 0u);
  EXPECT_EQ(r.num(136), 1u);                        // idle timeout
  EXPECT_EQ(r.at(56), std::vector<uint8_t>(6, 0));  // no MAC seen
  EXPECT_EQ(r.num(58), 0u);
  EXPECT_EQ(r.str(96), "unknown");
  EXPECT_EQ(r.str(1, 32473), "");
  EXPECT_EQ(r.str(4, 32473), "");  // not TCP
  EXPECT_EQ(r.str(5, 32473), "");
  EXPECT_EQ(r.values.size(), m.templates.at(257).size());
  EXPECT_EQ(m.templates.at(256).size(), m.templates.at(257).size());  // one family element each
}

TEST(IpfixMessageBuilder, DataSetsSwitchWithTheFamilyAndSequenceCountsRecords) {
  MessageBuilder b(5, 1400, nullptr);
  std::map<uint16_t, Template> known;
  b.add_templates();
  ASSERT_TRUE(b.add_record(tls_record(), nullptr));
  ASSERT_TRUE(b.add_record(tls_record(), nullptr));
  ASSERT_TRUE(b.add_record(icmp6_record(), nullptr));
  ASSERT_TRUE(b.add_record(tls_record(), nullptr));
  EXPECT_EQ(b.records(), 4u);
  auto msg = bytes(b.finish(1));
  auto m = decode(msg.data(), msg.size(), known);
  ASSERT_EQ(m.sets.size(), 4u);  // templates, v4 (2 records), v6 (1), v4 (1)
  EXPECT_EQ(m.sets[1].id, 256);
  EXPECT_EQ(m.sets[2].id, 257);
  EXPECT_EQ(m.sets[3].id, 256);
  size_t sum = 16;
  for (const auto& s : m.sets) sum += s.length;
  EXPECT_EQ(sum, msg.size());
  EXPECT_EQ(m.records.size(), 4u);
  EXPECT_EQ(m.sequence, 0u);
  b.reset();

  // The next message has no templates (the decoder uses the ones it learned) and starts at sequence 4.
  EXPECT_TRUE(b.empty());
  ASSERT_TRUE(b.add_record(icmp6_record(), nullptr));
  msg = bytes(b.finish(2));
  m = decode(msg.data(), msg.size(), known);
  EXPECT_EQ(m.sequence, 4u);
  EXPECT_TRUE(m.templates.empty());
  ASSERT_EQ(m.records.size(), 1u);
  b.reset();
  EXPECT_EQ(b.sequence(), 5u);
  b.restart_sequence();
  EXPECT_EQ(b.sequence(), 0u);
}

TEST(IpfixMessageBuilder, MessagesNeverExceedTheLimit) {
  for (size_t limit : {size_t{1024}, size_t{1400}, size_t{9000}}) {
    MessageBuilder b(1, limit, nullptr);
    b.add_templates();
    size_t added = 0;
    while (b.add_record(tls_record(), nullptr)) ++added;
    const auto msg = bytes(b.finish(0));
    EXPECT_LE(msg.size(), limit);
    // The record that did not fit would have: the message is full to within one record.
    std::array<uint8_t, kMaxRecordBytes> rec;
    EXPECT_GT(msg.size() + b.encode_record(tls_record(), nullptr, rec.data()), limit);
    std::map<uint16_t, Template> known;
    EXPECT_EQ(decode(msg.data(), msg.size(), known).records.size(), added);
  }
}

TEST(IpfixMessageBuilder, LongAndHostileStringsAreBoundedAndUseTheLongLengthForm) {
  FlowRecord r = tls_record();
  std::string sni(255, 'a');
  sni[3] = '\x01';  // raw wire bytes go out as they are
  sni[10] = '"';
  set_text(r.app.tls.sni, sni);  // 255 bytes: the 3-byte length form
  MessageBuilder b(1, 1400, nullptr);
  b.add_templates();
  ASSERT_TRUE(b.add_record(r, nullptr));
  const auto msg = bytes(b.finish(0));
  std::map<uint16_t, Template> known;
  const auto m = decode(msg.data(), msg.size(), known);
  ASSERT_EQ(m.records.size(), 1u);
  EXPECT_EQ(m.records[0].str(1, 32473), sni);
  std::array<uint8_t, kMaxRecordBytes> rec;
  EXPECT_LE(b.encode_record(r, nullptr, rec.data()), kMaxRecordBytes);
}

TEST(IpfixMessageBuilder, TemplatesOnlyOnAnEmptyMessage) {
  MessageBuilder b(1, 1400, nullptr);
  ASSERT_TRUE(b.add_record(tls_record(), nullptr));
  EXPECT_FALSE(b.add_templates());
}

TEST(IpfixMessageBuilder, EndReasonsMapToIana) {
  const std::pair<EndReason, uint64_t> cases[] = {
      {EndReason::kIdleTimeout, 1}, {EndReason::kActiveTimeout, 2}, {EndReason::kEndOfFlow, 3},
      {EndReason::kShutdown, 4},    {EndReason::kEvicted, 5},       {EndReason::kTcpReuse, 3}};
  std::map<uint16_t, Template> known;
  for (const auto& [reason, iana] : cases) {
    FlowRecord r = tls_record();
    r.reason = reason;
    MessageBuilder b(1, 1400, nullptr);
    b.add_templates();
    b.add_record(r, nullptr);
    const auto msg = bytes(b.finish(0));
    EXPECT_EQ(decode(msg.data(), msg.size(), known).records.at(0).num(136), iana) << int(reason);
  }
}

// docs/ipfix.md lists every element of kElements with its id and name.
TEST(IpfixElements, DocumentedInDocsIpfixMd) {
  namespace fs = std::filesystem;
  const char* root = std::getenv("SPANWATCH_SOURCE_ROOT");
  if (root == nullptr) GTEST_SKIP() << "SPANWATCH_SOURCE_ROOT not set (meson test sets it)";
  std::ifstream in(fs::path(root) / "docs" / "ipfix.md");
  ASSERT_TRUE(in) << "docs/ipfix.md missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (const Element& e : kElements) {
    const std::string row = "| " + std::to_string(e.id) + " | " + (e.pen ? std::to_string(e.pen) : "0") +
                            " | `" + std::string(e.name) + "` |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/ipfix.md has no row starting " << row;
  }
}

}  // namespace
}  // namespace spanwatch::lib::ipfix
