// Checks ip_protocol_keyword against the two IANA-derived lists Debian installs: netbase's /etc/protocols
// and nmap-common's nmap-protocols. Every difference between them and us is listed and asserted here.
#include "lib/enrich/ip_protocol_names.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace spanwatch::lib {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// One non-comment line of a protocols(5)-style file: "name number [aliases...] [# comment]".
struct ProtocolLine {
  std::string name;
  int number = -1;
  std::vector<std::string> aliases;
};

std::vector<ProtocolLine> read_protocols_file(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path << " is missing: install netbase and nmap-common (scripts/install-deps.sh)";
  std::vector<ProtocolLine> out;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    ProtocolLine p;
    if (!(words >> p.name >> p.number)) continue;
    for (std::string a; words >> a;) p.aliases.push_back(a);
    out.push_back(p);
  }
  return out;
}

bool matches(const ProtocolLine& p) {
  const std::string ours(ip_protocol_keyword(static_cast<uint8_t>(p.number)));
  if (lower(p.name) == ours) return true;
  return std::any_of(p.aliases.begin(), p.aliases.end(),
                     [&](const std::string& a) { return lower(a) == ours; });
}

TEST(IpProtocolNames, AgreesWithNetbaseEtcProtocols) {
  // netbase lines whose names are not IANA's keyword: "ip" is a pseudo protocol on 0 (hopopt has its own
  // line); the others spell IANA's keyword differently.
  const std::map<std::string, std::string> kKnown = {{"ip", "hopopt"},
                                                     {"ipencap", "ipv4"},
                                                     {"isis", "isis over ipv4"},
                                                     {"mobility-header", "mobility header"}};
  const std::vector<ProtocolLine> lines = read_protocols_file("/etc/protocols");
  ASSERT_GT(lines.size(), 50u);
  std::set<std::string> differing;
  for (const ProtocolLine& p : lines) {
    if (p.number > 255) continue;  // Linux-internal numbers such as mptcp 262 are not IP protocol numbers
    ASSERT_GE(p.number, 0) << p.name;
    if (matches(p)) continue;
    differing.insert(p.name);
    const auto known = kKnown.find(p.name);
    ASSERT_NE(known, kKnown.end()) << p.name << " " << p.number << " vs ours '"
                                   << ip_protocol_keyword(static_cast<uint8_t>(p.number)) << "'";
    EXPECT_EQ(ip_protocol_keyword(static_cast<uint8_t>(p.number)), known->second) << p.name;
  }
  EXPECT_EQ(differing.size(), kKnown.size()) << "a known difference disappeared: update kKnown";
}

TEST(IpProtocolNames, AgreesWithNmapProtocols) {
  // Where nmap's names differ from the current IANA registry: 48 is IANA "DSR" (nmap spells it "dsp"),
  // 55 was renamed from MOBILE to Min-IPv4, 124/135 have spaces in IANA's keyword, and nmap invents names
  // for the keyword-less "any ..." and experimentation entries, which we leave empty.
  const std::map<std::string, std::string> kKnown = {{"dsp", "dsr"},
                                                     {"mobile", "min-ipv4"},
                                                     {"isis-ipv4", "isis over ipv4"},
                                                     {"mobility-hdr", "mobility header"},
                                                     {"anyhost", ""},
                                                     {"anylocalnet", ""},
                                                     {"anydistribfs", ""},
                                                     {"anyencrypt", ""},
                                                     {"any0hop", ""},
                                                     {"experimental1", ""},
                                                     {"experimental2", ""}};
  const std::vector<ProtocolLine> lines = read_protocols_file("/usr/share/nmap/nmap-protocols");
  ASSERT_GT(lines.size(), 140u);
  std::set<std::string> differing;
  std::set<int> seen;
  for (const ProtocolLine& p : lines) {
    ASSERT_TRUE(p.number >= 0 && p.number <= 255) << p.name;
    seen.insert(p.number);
    if (matches(p)) continue;
    differing.insert(p.name);
    const auto known = kKnown.find(p.name);
    ASSERT_NE(known, kKnown.end()) << p.name << " " << p.number << " vs ours '"
                                   << ip_protocol_keyword(static_cast<uint8_t>(p.number)) << "'";
    EXPECT_EQ(ip_protocol_keyword(static_cast<uint8_t>(p.number)), known->second) << p.name;
  }
  EXPECT_EQ(differing.size(), kKnown.size()) << "a known difference disappeared: update kKnown";
  // nmap 7.93 knows every number up to 144 that we name (it predates 145 NSH and 146 Homa).
  for (int n = 0; n <= 144; ++n)
    if (!ip_protocol_keyword(static_cast<uint8_t>(n)).empty()) {
      EXPECT_TRUE(seen.count(n)) << n;
    }
}

TEST(IpProtocolNames, UnassignedExperimentalAndReservedAreEmpty) {
  for (int n = 147; n <= 255; ++n) EXPECT_EQ(ip_protocol_keyword(static_cast<uint8_t>(n)), "") << n;
  for (int n : {61, 63, 68, 99, 114}) EXPECT_EQ(ip_protocol_keyword(static_cast<uint8_t>(n)), "") << n;
  for (int n = 0; n <= 146; ++n) {
    if (n == 61 || n == 63 || n == 68 || n == 99 || n == 114) continue;
    const std::string_view k = ip_protocol_keyword(static_cast<uint8_t>(n));
    EXPECT_FALSE(k.empty()) << n;
    EXPECT_EQ(lower(std::string(k)), k) << n;
    EXPECT_EQ(k.find("deprecated"), std::string_view::npos) << n;
  }
}

TEST(IpProtocolNames, EcsTransportNames) {
  EXPECT_EQ(ip_protocol_keyword(0), "hopopt");
  EXPECT_EQ(ip_protocol_keyword(1), "icmp");
  EXPECT_EQ(ip_protocol_keyword(6), "tcp");
  EXPECT_EQ(ip_protocol_keyword(17), "udp");
  EXPECT_EQ(ip_protocol_keyword(58), "ipv6-icmp");
  EXPECT_EQ(ip_protocol_keyword(132), "sctp");
  EXPECT_EQ(ip_protocol_keyword(143), "ethernet");
  EXPECT_EQ(ip_protocol_keyword(144), "aggfrag");
  EXPECT_EQ(ip_protocol_keyword(145), "nsh");
  EXPECT_EQ(ip_protocol_keyword(146), "homa");  // assigned by IANA after Debian 12's netbase and nmap
}

}  // namespace
}  // namespace spanwatch::lib
