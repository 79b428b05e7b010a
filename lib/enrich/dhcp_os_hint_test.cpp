// Tests for DhcpOsHints: the shipped conf/dhcp-fingerprints.tsv (real fingerprints with their sources),
// precedence and longest-prefix rules, every load error, and what the corpus DHCP captures give (values
// read with tshark 4.0: -e dhcp.option.vendor_class_id -e dhcp.option.request_list_item).
#include "lib/enrich/dhcp_os_hint.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "lib/app/app_test_pcap.hpp"
#include "lib/app/dhcp_message.hpp"

namespace spanwatch::lib {
namespace {

std::string source_root() {
  const char* env = std::getenv("SPANWATCH_SOURCE_ROOT");
  return env && *env ? env : "/work/main";
}

const DhcpOsHints& shipped() {
  static const DhcpOsHints t = DhcpOsHints::load_file(source_root() + "/conf/dhcp-fingerprints.tsv");
  return t;
}

std::string os(std::string_view vendor, std::string_view params) {
  const DhcpOsRule* r = shipped().lookup(vendor, params);
  return r ? std::string(r->os) : "-";
}

std::string load_error(std::string_view text) {
  try {
    DhcpOsHints::load_text(text, "fp.tsv");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(DhcpOsHints, ShippedTableAnswersKnownClients) {
  EXPECT_GE(shipped().size(), 25u);
  // Parameter lists win over the vendor class.
  EXPECT_EQ(os("MSFT 5.0", "1,3,6,15,31,33,43,44,46,47,119,121,249,252"), "Windows 10/11");
  EXPECT_EQ(os("MSFT 5.0", "1,15,3,6,44,46,47,31,33,121,249,43"), "Windows Vista/7/Server 2008");
  EXPECT_EQ(os("MSFT 5.0", "1,2,3"), "Windows");  // unknown list: the vendor class
  EXPECT_EQ(os("", "1,3,6,15,31,33,43,44,46,47,119,121,249,252"), "Windows 10/11");
  EXPECT_EQ(os("android-dhcp-13", "1,3,6,15,26,28,51,58,59,43,114"), "Android 11+");
  EXPECT_EQ(os("android-dhcp-9", "1,3,6,15,26,28,51,58,59,43"), "Android");
  EXPECT_EQ(os("android-dhcp-14", ""), "Android");
  EXPECT_EQ(os("", "1,121,3,6,15,119,252,95,44,46"), "macOS");
  EXPECT_EQ(os("", "1,3,6,15,119,252"), "iOS");
  // The four Debian 12 clients captured for the table.
  EXPECT_EQ(os("", "1,28,2,3,15,6,119,12,44,47,26,121,42"), "Linux (ISC dhclient, Debian/Ubuntu)");
  EXPECT_EQ(os("udhcp 1.35.0", "1,3,6,12,15,28,42"), "Linux (BusyBox udhcpc)");
  EXPECT_EQ(os("udhcp 1.35.0", "1,3"), "Linux (BusyBox udhcpc)");
  EXPECT_EQ(os("", "1,121,3,6,12,15,26,28,33,51,54,58,59,119"), "Linux (dhcpcd 9)");
  EXPECT_EQ(os("", "1,3,6,12,15,33,42,120,121"), "Linux (systemd-networkd)");
  EXPECT_EQ(os("dhcpcd-5.2.10:Linux-3.8.13:armv7l:MV88DE3108", ""), "Linux/Android (dhcpcd)");
  EXPECT_EQ(os("Cisco AP c1140", ""), "Cisco IOS (Cisco Aironet access point)");
  EXPECT_EQ(os("PXEClient:Arch:00007:UNDI:003016", ""), "PXE boot firmware");
  // No hint: nothing known, a prefix of a rule, case differences, a list that is only a prefix.
  EXPECT_EQ(os("", ""), "-");
  EXPECT_EQ(os("MSFT", ""), "-");
  EXPECT_EQ(os("msft 5.0", ""), "-");
  EXPECT_EQ(os("", "1,3,6,15,31,33,43,44,46,47,119,121,249"), "-");
  EXPECT_EQ(os("", "1,3,6,15,31,33,43,44,46,47,119,121,249,252,1"), "-");
}

TEST(DhcpOsHints, EveryShippedLineNamesItsSource) {
  for (std::string_view params : {"1,3,6,15,31,33,43,44,46,47,119,121,249,252", "1,3,6,12,15,28,42"}) {
    const DhcpOsRule* r = shipped().lookup("", params);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->kind, DhcpHintKind::kParameterList);
    EXPECT_EQ(r->pattern, params);
    EXPECT_FALSE(r->source.empty());
    EXPECT_GT(r->line, 10u);
  }
  const DhcpOsRule* d = shipped().lookup("", "1,28,2,3,15,6,119,12,44,47,26,121,42");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->source.find("capture: isc-dhcp-client 4.4.3"), std::string_view::npos) << d->source;
  const DhcpOsRule* v = shipped().lookup("android-dhcp-12", "");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->kind, DhcpHintKind::kVendorPrefix);
  EXPECT_EQ(dhcp_hint_kind_name(v->kind), "vendor_prefix");
  EXPECT_NE(v->source.find("DhcpPacket.java"), std::string_view::npos) << v->source;
}

TEST(DhcpOsHints, LongestVendorPrefixWins) {
  const DhcpOsHints t = DhcpOsHints::load_text(
      "vendor_prefix\tCisco\tCisco device\tx\n"
      "vendor_prefix\tCisco AP c\tCisco AP\tx\n"
      "vendor_prefix\tCisco AP c1140\tCisco 1140\tx\n"
      "vendor_prefix\tC\tC-something\tx\n",
      "t.tsv");
  EXPECT_EQ(t.lookup("Cisco AP c1140", "")->os, "Cisco 1140");
  EXPECT_EQ(t.lookup("Cisco AP c3700", "")->os, "Cisco AP");
  EXPECT_EQ(t.lookup("Cisco Systems", "")->os, "Cisco device");
  EXPECT_EQ(t.lookup("Cx", "")->os, "C-something");
  EXPECT_EQ(t.lookup("c", ""), nullptr);
  EXPECT_EQ(t.lookup("", ""), nullptr);
  EXPECT_EQ(DhcpOsHints().lookup("Cisco", "1,3"), nullptr);  // an empty table
}

TEST(DhcpOsHints, BadLinesAreAllReported) {
  const std::string msg = load_error(
      "# comment\n"
      "params\t1,3,6\tok\tsrc\n"
      "param\t1,3\tx\tsrc\n"               // 3 unknown kind
      "params\t1,,3\tx\tsrc\n"             // 4
      "params\t01,3\tx\tsrc\n"             // 5 leading zero
      "params\t1,256\tx\tsrc\n"            // 6 > 255
      "params\t1,3,\tx\tsrc\n"             // 7 trailing comma
      "params\t1 ,3\tx\tsrc\n"             // 8 blank
      "vendor_prefix\tX\tx\n"              // 9 three columns
      "vendor_prefix\tX\tx\tsrc\textra\n"  // 10 five columns
      "vendor_prefix\t\tx\tsrc\n"          // 11 empty pattern
      "vendor_prefix\tY\tx\t\n"            // 12 empty source
      "vendor_prefix\tZ\x01\tx\tsrc\n"     // 13 control character
      "params\t1,3,6\tagain\tsrc\n");      // 14 repeated
  EXPECT_NE(msg.find("12 problems"), std::string::npos) << msg;
  for (int line = 3; line <= 14; ++line) {
    EXPECT_NE(msg.find("fp.tsv:" + std::to_string(line) + ":"), std::string::npos) << line << "\n" << msg;
  }
  EXPECT_NE(msg.find("already on line 2"), std::string::npos) << msg;
  EXPECT_EQ(load_error("params\t1,3,6\tok\tsrc\r\n\n  \nvendor_prefix\tMSFT 5.0\tWindows\tsrc"), "");
  try {
    DhcpOsHints::load_file("/nonexistent/fp.tsv");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/fp.tsv: cannot open"), std::string::npos) << e.what();
  }
}

TEST(DhcpOsHints, ViewsSurviveMoves) {
  DhcpOsHints a = DhcpOsHints::load_text("params\t1\tone\ts\n", "m.tsv");
  DhcpOsHints b = std::move(a);
  ASSERT_NE(b.lookup("", "1"), nullptr);
  EXPECT_EQ(b.lookup("", "1")->os, "one");
  EXPECT_EQ(b.lookup("", "1")->source, "s");
}

// What lib/app's DHCP parser reads from the corpus captures, and the hints for it.
struct CorpusMessage {
  uint8_t op, type;
  std::string vendor, params;
};

std::vector<CorpusMessage> corpus_messages(const std::string& pcap) {
  std::string err;
  const auto convs = apptest::read_conversations((apptest::corpus_root() / pcap).string(), err);
  EXPECT_TRUE(err.empty()) << err;
  std::vector<std::pair<size_t, CorpusMessage>> by_frame;
  for (const auto& c : convs) {
    for (const auto& p : c.packets) {
      DhcpMessage m;
      if (parse_dhcp(p.payload.data(), p.payload.size(), m) != DhcpStatus::kOk) continue;
      by_frame.push_back(
          {p.frame,
           {m.op, m.message_type, std::string(m.vendor_class.view()), std::string(m.param_list.view())}});
    }
  }
  std::sort(by_frame.begin(), by_frame.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<CorpusMessage> out;
  for (auto& [frame, m] : by_frame) out.push_back(m);
  return out;
}

TEST(DhcpOsHintsCorpus, ZeekDhcpTrace) {
  const auto msgs = corpus_messages("pcaps/zeek/dhcp-dhcp.pcap");
  ASSERT_EQ(msgs.size(), 9u);
  size_t aruba = 0;
  for (size_t i = 0; i < msgs.size(); ++i) {
    const CorpusMessage& m = msgs[i];
    const DhcpOsRule* r = shipped().lookup(m.vendor, m.params);
    if (m.op == 1) {  // the client sends neither option 60 nor 55: no hint
      EXPECT_EQ(m.vendor, "") << "frame " << i + 1;
      EXPECT_EQ(m.params, "") << "frame " << i + 1;
      EXPECT_EQ(r, nullptr) << "frame " << i + 1;
    } else if (!m.vendor.empty()) {
      EXPECT_EQ(m.vendor, "ArubaAP") << "frame " << i + 1;
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(r->os, "ArubaOS (Aruba access point)");
      ++aruba;
    }
  }
  EXPECT_EQ(aruba, 2u);  // tshark: frames 2 (OFFER) and 6 (ACK)
  EXPECT_EQ(msgs[1].type, 2);
  EXPECT_EQ(msgs[5].type, 5);
}

TEST(DhcpOsHintsCorpus, Ja4DhcpFixture) {
  const auto msgs = corpus_messages("pcaps/ja4/dhcp.pcapng");
  ASSERT_EQ(msgs.size(), 4u);
  // tshark: frames 1 (DISCOVER) and 3 (REQUEST) ask for 1,3,6,42 and send no vendor class; that list is
  // not a fingerprint in the table (it fits many embedded clients), so there is no hint.
  for (size_t i : {size_t(0), size_t(2)}) {
    EXPECT_EQ(msgs[i].op, 1);
    EXPECT_EQ(msgs[i].vendor, "");
    EXPECT_EQ(msgs[i].params, "1,3,6,42");
    EXPECT_EQ(shipped().lookup(msgs[i].vendor, msgs[i].params), nullptr);
  }
  for (size_t i : {size_t(1), size_t(3)}) {
    EXPECT_EQ(msgs[i].op, 2);
    EXPECT_EQ(msgs[i].params, "");
  }
}

}  // namespace
}  // namespace spanwatch::lib
