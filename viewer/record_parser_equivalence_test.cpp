// The record parser against the one it replaced (issue 6): the DOM-based parser, kept here verbatim as the
// reference, must give the same status and the same FlowSummary for every text, valid or not: seed
// records, then thousands of random mutations of them (bytes that matter to JSON and UTF-8, cuts,
// duplicated spans), parsed into fresh and into reused summaries.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "viewer/flow_summary.hpp"
#include "viewer/ip_match.hpp"
#include "viewer/viewer_test_util.hpp"

namespace spanwatch::viewer {
namespace {

using rapidjson::Value;
using Pool = rapidjson::MemoryPoolAllocator<>;
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;

constexpr size_t kValuePoolBytes = 64 * 1024;
constexpr size_t kStackPoolBytes = 16 * 1024;
constexpr size_t kMaxLabels = 16;
constexpr size_t kMaxRisks = 32;

struct ReferenceImpl {
  std::vector<char> text;
  std::unique_ptr<char[]> value_buf = std::make_unique<char[]>(kValuePoolBytes);
  std::unique_ptr<char[]> stack_buf = std::make_unique<char[]>(kStackPoolBytes);
  Pool value_pool{value_buf.get(), kValuePoolBytes};
  Pool stack_pool{stack_buf.get(), kStackPoolBytes};
};

// ---- the reference: viewer/flow_summary.cpp before issue 6 ----
const Value* member(const Value* v, std::string_view key) {
  if (v == nullptr || !v->IsObject()) return nullptr;
  const Value name(rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size())));
  const auto it = v->FindMember(name);
  return it == v->MemberEnd() ? nullptr : &it->value;
}

const Value* at(const Value& root, std::initializer_list<std::string_view> path) {
  const Value* v = &root;
  for (std::string_view k : path) {
    v = member(v, k);
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::string str(const Value* v) {
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}
std::string_view view(const Value* v) {
  return v != nullptr && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength())
                                       : std::string_view();
}
uint64_t u64(const Value* v) {
  if (v == nullptr) return 0;
  if (v->IsUint64()) return v->GetUint64();
  if (v->IsString()) {  // keyword numbers (network.iana_number is "6")
    uint64_t n = 0;
    const std::string_view s = view(v);
    std::from_chars(s.data(), s.data() + s.size(), n);
    return n;
  }
  return 0;
}
int64_t i64(const Value* v) {
  return v != nullptr && v->IsInt64() ? v->GetInt64() : 0;
}

int hex_byte(std::string_view s) {
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > 0xff) return -1;
  return static_cast<int>(v);
}

std::string country_code(const Value* v) {
  std::string c = str(v);
  if (c.size() != 2) return {};
  for (char& ch : c) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (ch < 'A' || ch > 'Z') return {};
  }
  return c;
}

void read_endpoint(const Value& root, std::string_view ecs, std::string_view sw, Endpoint& e) {
  const Value* side = member(&root, ecs);
  const Value* ext = at(root, {"spanwatch", sw});
  e.ip_text = str(member(side, "ip"));
  if (const auto ip = parse_ip(e.ip_text)) {
    e.ip = *ip;
    e.has_ip = true;
    e.is_public = is_public(*ip);
  }
  if (const Value* p = member(side, "port"); p != nullptr && p->IsUint() && p->GetUint() <= 65535)
    e.port = p->GetUint();
  e.bytes = u64(member(side, "bytes"));
  e.packets = u64(member(side, "packets"));
  e.mac = str(member(side, "mac"));
  e.mac_vendor = str(member(ext, "mac_vendor"));
  e.service = str(member(ext, "service"));
  e.hostname = str(member(ext, "hostname"));
  if (e.hostname.empty()) e.hostname = str(member(side, "domain"));
  const Value* geo = member(side, "geo");
  e.country = country_code(member(geo, "country_iso_code"));
  e.country_name = str(member(geo, "country_name"));
  e.city = str(member(geo, "city_name"));
  const Value* as = member(side, "as");
  e.asn = static_cast<uint32_t>(std::min<uint64_t>(u64(member(as, "number")), UINT32_MAX));
  e.as_org = as != nullptr ? str(at(*as, {"organization", "name"})) : std::string();
  e.as_class = str(member(ext, "as_class"));
}

constexpr std::array<std::string_view, 7> kSeverities{"",       "low",      "medium",   "high",
                                                      "severe", "critical", "emergency"};
size_t severity_rank(std::string_view s) {
  for (size_t i = 0; i < kSeverities.size(); ++i)
    if (s == kSeverities[i]) return i;
  return 0;
}

std::string info_of(const Value& root) {
  std::string info = str(at(root, {"spanwatch", "l7", "info"}));
  if (!info.empty()) return info;
  for (const auto& path : {std::initializer_list<std::string_view>{"tls", "client", "server_name"},
                           std::initializer_list<std::string_view>{"dns", "question", "name"}}) {
    info = str(at(root, path));
    if (!info.empty()) return info;
  }
  const std::string_view domain = view(at(root, {"url", "domain"})),
                         url = view(at(root, {"url", "original"}));
  if (!domain.empty() || !url.empty()) {
    info.assign(domain);
    if (domain.empty() || url.starts_with('/')) info.append(url);
    return info;
  }
  info = str(at(root, {"spanwatch", "ssh", "client", "software"}));
  if (!info.empty()) return info;
  return str(at(root, {"spanwatch", "dhcp", "hostname"}));
}

ParseStatus reference_parse(std::string_view text, FlowSummary& out) {
  // One set of buffers for every call: making 80 KB of zeroed pools per parse was most of this file's
  // time under AddressSanitizer (the pools are cleared below).
  static ReferenceImpl m;
  m.text.assign(text.begin(), text.end());
  m.text.push_back('\0');
  m.value_pool.Clear();
  m.stack_pool.Clear();
  Document doc(&m.value_pool, kStackPoolBytes, &m.stack_pool);
  doc.ParseInsitu<rapidjson::kParseValidateEncodingFlag>(m.text.data());
  if (doc.HasParseError() || !doc.IsObject()) return ParseStatus::kInvalidJson;
  const Value& r = doc;
  const Value* flow = at(r, {"spanwatch", "flow"});
  out.id = str(member(flow, "id"));
  if (out.id.empty()) return ParseStatus::kNotAFlow;
  const Value* fin = member(flow, "final");
  out.final = fin != nullptr && fin->IsBool() && fin->GetBool();
  out.sequence = u64(member(flow, "sequence"));
  const Value* event = member(&r, "event");
  out.reason = str(member(event, "reason"));
  out.sensor = str(at(r, {"observer", "name"}));
  out.start_us = parse_rfc3339_us(view(member(event, "start")));
  out.end_us = parse_rfc3339_us(view(member(event, "end")));
  out.duration_ns = i64(member(event, "duration"));
  out.record_us = parse_rfc3339_us(view(member(&r, "@timestamp")));
  const Value* net = member(&r, "network");
  out.transport = str(member(net, "transport"));
  const Value* iana = member(net, "iana_number");
  out.iana = iana != nullptr ? static_cast<int>(std::min<uint64_t>(u64(iana), 255)) : -1;
  out.protocol = str(member(net, "protocol"));
  out.application = str(member(net, "application"));
  out.vlan = str(at(r, {"network", "vlan", "id"}));
  const Value* l7 = at(r, {"spanwatch", "l7"});
  out.l7_proto = str(member(l7, "proto"));
  out.category = str(member(l7, "category"));
  out.breed = str(member(l7, "breed"));
  if (!out.l7_proto.empty() && out.l7_proto != "unknown")
    out.app = out.l7_proto;
  else if (!out.protocol.empty())
    out.app = out.application.empty() || out.application == out.protocol
                  ? out.protocol
                  : out.protocol + "." + out.application;
  else
    out.app = "unknown";
  const Value* enc = member(l7, "encrypted");
  out.encrypted = enc != nullptr && enc->IsBool()
                      ? enc->GetBool()
                      : (member(&r, "tls") != nullptr || out.protocol == "tls" || out.protocol == "ssh" ||
                         out.protocol == "quic" || out.protocol == "dtls");
  read_endpoint(r, "source", "src", out.client);
  read_endpoint(r, "destination", "dst", out.server);
  if (out.server.service.empty()) out.server.service = service_name(out.server.port, out.transport);
  if (out.client.service.empty() && out.client.port < 1024)
    out.client.service = service_name(out.client.port, out.transport);
  out.info = info_of(r);
  const Value* tcp = at(r, {"spanwatch", "tcp"});
  out.conn_state = str(member(tcp, "conn_state"));
  if (out.conn_state.empty()) out.conn_state = str(member(flow, "conn_state"));
  out.conn_state_major = str(member(tcp, "conn_state_major"));
  out.history = str(member(tcp, "history"));
  if (out.history.empty()) out.history = str(member(flow, "history"));
  out.flags = hex_byte(view(member(tcp, "flags")));
  out.flags_ts = hex_byte(view(member(tcp, "flags_ts")));
  out.flags_tc = hex_byte(view(member(tcp, "flags_tc")));
  const Value* risk = at(r, {"spanwatch", "risk"});
  out.risk_score = static_cast<uint32_t>(std::min<uint64_t>(u64(member(risk, "score")), UINT32_MAX));
  if (out.risk_score == 0)
    out.risk_score =
        static_cast<uint32_t>(std::min<uint64_t>(u64(at(r, {"event", "risk_score"})), UINT32_MAX));
  out.risks.clear();
  out.risk_severity.clear();
  if (const Value* list = member(risk, "list"); list != nullptr && list->IsArray()) {
    for (const Value& item : list->GetArray()) {
      if (out.risks.size() >= kMaxRisks) break;
      std::string name = str(member(&item, "name"));
      if (name.empty()) name = "risk " + std::to_string(u64(member(&item, "id")));
      out.risks.push_back(std::move(name));
      std::string sev(view(member(&item, "severity")));  // nDPI writes "Medium"; compare in lowercase
      for (char& c : sev) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (severity_rank(sev) > severity_rank(out.risk_severity)) out.risk_severity = sev;
    }
  }
  out.labels.clear();
  if (const Value* labels = at(r, {"spanwatch", "labels"}); labels != nullptr && labels->IsArray()) {
    for (const Value& l : labels->GetArray())
      if (l.IsString() && out.labels.size() < kMaxLabels) out.labels.push_back(str(&l));
    out.labels_derived = false;
  } else {
    out.labels = derive_labels(out, u64(at(r, {"spanwatch", "src", "payload_bytes"})));
    out.labels_derived = true;
  }
  return ParseStatus::kOk;
}

// ---- end of the reference ----

std::vector<std::string> seeds() {
  using testing::Rec;
  std::vector<std::string> out;
  out.push_back(testing::record(Rec{}));
  Rec udp;
  udp.transport = "udp";
  udp.dport = 53;
  udp.extra_top = R"(,"dns":{"question":{"name":"example.org"}})";
  out.push_back(testing::record(udp));
  Rec rich;
  rich.final = true;
  rich.sequence = 4294967296;
  rich.src = "2001:db8::1";
  rich.dst = "10.1.2.3";
  rich.extra_network = R"(,"protocol":"tls","application":"google","vlan":{"id":"42"})";
  rich.extra_top = R"(,"observer":{"name":"s1"},"tls":{"client":{"server_name":"a.example","ja3":"x"}},)"
                   R"("url":{"domain":"d","original":"/p?q=\"x\""})";
  rich.extra_spanwatch =
      R"(,"l7":{"proto":"tls.google","category":"Web","breed":"Safe","encrypted":true,)"
      R"("info":"caf\u00e9 \ud83d\ude00 é"},"labels":["a","b",1,["c"],"d"],)"
      R"("risk":{"score":120,"list":[{"id":7,"name":"Known Proto","severity":"Medium"},)"
      R"({"id":9,"severity":"HIGH"},5,"s",[1],{"name":"x","name":"y","severity":"critical"}]},)"
      R"("dst":{"service":"https","mac_vendor":"Acme","hostname":"h","as_class":"isp"},)"
      R"("ssh":{"client":{"software":"SSH-2.0"}},"dhcp":{"hostname":"pc"})";
  out.push_back(testing::record(rich));
  // Duplicate members (the first counts), types other than expected, numbers of every size and form.
  out.push_back(
      R"({"spanwatch":{"flow":{"id":"a","id":"b","final":1,"sequence":-1},"flow":{"final":true}},)"
      R"("spanwatch":{"l7":{"proto":"p"}},"source":{"ip":"1.2.3.4","port":65536,"bytes":1.5,"packets":-3},)"
      R"("destination":{"ip":5,"port":-0,"bytes":"77","packets":18446744073709551615},)"
      R"("event":{"duration":-9223372036854775808,"start":null,"risk_score":"12"},"network":{"iana_number":null}})");
  out.push_back(
      R"({"spanwatch":{"flow":{"id":"w","sequence":12345678901234567890},"labels":{},"risk":{"list":{}}},)"
      R"("tls":1,"event":{"duration":2147483648,"end":"2024-01-01T00:00:00Z"},)"
      R"("source":{"port":4294967296,"geo":{"country_iso_code":"de"},"as":{"number":4294967296}},)"
      R"("destination":{"port":-2147483649,"as":{"organization":{"name":"Org"}}}})");
  out.push_back(
      " \t\n{ \"spanwatch\" : { \"flow\" : { \"id\" : \"s\" , \"final\" : false } } , \"x\" : [ 1e5 , -0.5 , "
      "true , null ] } \r\n");
  return out;
}

void expect_same(const std::string& text, RecordParser& parser, FlowSummary& reused) {
  FlowSummary want, fresh;
  const ParseStatus ws = reference_parse(text, want);
  const ParseStatus fs = parser.parse(text, fresh);
  ASSERT_EQ(fs, ws) << text;
  const ParseStatus rs = parser.parse(text, reused);
  ASSERT_EQ(rs, ws) << text;
  if (ws != ParseStatus::kOk) return;
  EXPECT_TRUE(fresh == want) << text;
  EXPECT_TRUE(reused == want) << text;
}

TEST(RecordParserEquivalence, SeedsParseAsBefore) {
  RecordParser parser;
  FlowSummary reused;
  for (const std::string& s : seeds()) {
    FlowSummary want;
    ASSERT_EQ(reference_parse(s, want), ParseStatus::kOk) << s;
    expect_same(s, parser, reused);
  }
}

TEST(RecordParserEquivalence, MutatedRecordsParseAsBefore) {
  static constexpr std::array<char, 26> kBytes{'"',    '\\',   '{',    '}', '[', ']', ',',  ':',    '0',
                                               '1',    '9',    '-',    '.', 'e', ' ', '\0', '\x80', '\xc3',
                                               '\xa9', '\xed', '\xff', 'a', 't', 'n', 'u',  '\x1f'};
  std::mt19937 rng(6);
  RecordParser parser;
  FlowSummary reused;
  int ok = 0, total = 0;
  for (const std::string& seed : seeds()) {
    for (int i = 0; i < 4000; ++i) {
      std::string t = seed;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !t.empty(); ++e) {
        const size_t at = rng() % t.size();
        switch (rng() % 4) {
          case 0:
            t[at] = kBytes[rng() % kBytes.size()];
            break;
          case 1:
            t.erase(at, 1 + rng() % 4);
            break;
          case 2:
            t.insert(at, 1, kBytes[rng() % kBytes.size()]);
            break;
          default: {  // duplicate a span (repeats members, nests objects)
            const size_t len = std::min<size_t>(1 + rng() % 40, t.size() - at);
            t.insert(at, t.substr(at, len));
          }
        }
      }
      FlowSummary want;
      ok += reference_parse(t, want) == ParseStatus::kOk;
      ++total;
      expect_same(t, parser, reused);
      if (HasFatalFailure()) return;
    }
  }
  // The mutations must reach both outcomes, or the comparison proves little.
  EXPECT_GT(ok, total / 20);
  EXPECT_LT(ok, total - total / 20);
}

TEST(RecordParserEquivalence, Utf8AsRapidJsonValidatesIt) {
  // Every lead byte with every second byte and a few third bytes, inside a string.
  RecordParser parser;
  FlowSummary reused;
  static constexpr std::array<unsigned char, 3> kTail{0x41, 0x80, 0xbf};
  for (unsigned lead = 0x80; lead <= 0xff; ++lead)
    for (unsigned second = 0x01; second <= 0xff; ++second)
      for (unsigned char third : kTail)
        for (unsigned char fourth : {kTail[1]}) {
          std::string t = R"({"spanwatch":{"flow":{"id":"x)";
          t += static_cast<char>(lead);
          t += static_cast<char>(second);
          t += static_cast<char>(third);
          t += static_cast<char>(fourth);
          t += R"("}}})";
          FlowSummary want, got;
          ASSERT_EQ(parser.parse(t, got), reference_parse(t, want))
              << lead << " " << second << " " << int{third};
        }
}

TEST(IsPublic, SameAsTheCidrList) {
  // is_public against the same special-purpose blocks tested one by one with Cidr::contains.
  const std::vector<std::string> blocks{
      "0.0.0.0/8",     "10.0.0.0/8",      "100.64.0.0/10",  "127.0.0.0/8",    "169.254.0.0/16",
      "172.16.0.0/12", "192.0.0.0/24",    "192.0.2.0/24",   "192.88.99.0/24", "192.168.0.0/16",
      "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",    "240.0.0.0/4",
      "::/128",        "::1/128",         "64:ff9b:1::/48", "100::/64",       "2001::/23",
      "2001:db8::/32", "2002::/16",       "3fff::/20",      "5f00::/16",      "fc00::/7",
      "fe80::/10",     "fec0::/10",       "ff00::/8"};
  std::vector<Cidr> cidrs;
  for (const std::string& b : blocks) cidrs.push_back(*parse_cidr(b));
  std::mt19937_64 rng(6);
  auto check = [&](const lib::IpAddress& a) {
    bool listed = false;
    for (const Cidr& c : cidrs) listed = listed || c.contains(a);
    ASSERT_EQ(is_public(a), !listed);
  };
  for (const Cidr& c : cidrs) {  // each block's first address, and the addresses just outside it
    check(c.net);
    for (int bit = 0; bit < 128; ++bit) {
      lib::IpAddress a = c.net;
      a.bytes[static_cast<size_t>(bit / 8)] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
      check(a);
    }
  }
  for (int i = 0; i < 200000; ++i) {
    lib::IpAddress a;
    for (auto& b : a.bytes) b = static_cast<uint8_t>(rng());
    if (i % 2 == 0) a = lib::IpAddress::from_v4(a.bytes.data());  // half IPv4
    check(a);
  }
}

}  // namespace
}  // namespace spanwatch::viewer
