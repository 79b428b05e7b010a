// Tests for LocalNetworks: the default ranges at their edges, ECS directions, configured lists and their
// errors, and every address of the corpus conversations (tshark truth) against a naive range check.
#include "lib/enrich/local_networks.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace spanwatch::lib {
namespace {

IpAddress ip(const char* s) {
  std::optional<IpAddress> a = parse_ip_address(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(IpAddress{});
}

TEST(LocalNetworks, DefaultRangesAtTheirEdges) {
  const LocalNetworks local;
  EXPECT_EQ(local.size(), kDefaultLocalNetworks.size());
  for (const char* in : {"10.0.0.0", "10.255.255.255", "172.16.0.0", "172.31.255.255", "192.168.0.0",
                         "192.168.255.255", "100.64.0.0", "100.127.255.255", "169.254.0.1", "127.0.0.1",
                         "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fd12:3456::1", "fe80::1",
                         "febf:ffff::1", "::1", "::ffff:192.168.1.1"}) {
    EXPECT_TRUE(local.is_local(ip(in))) << in;
  }
  for (const char* out : {"9.255.255.255",
                          "11.0.0.0",
                          "172.15.255.255",
                          "172.32.0.0",
                          "192.167.255.255",
                          "192.169.0.0",
                          "100.63.255.255",
                          "100.128.0.0",
                          "169.253.255.255",
                          "128.0.0.1",
                          "8.8.8.8",
                          "0.0.0.0",
                          "255.255.255.255",
                          "fbff:ffff::1",
                          "fe00::1",
                          "fec0::1",
                          "2001:4860:4860::8888",
                          "::",
                          "::2",
                          "::a00:1"}) {
    EXPECT_FALSE(local.is_local(ip(out))) << out;
  }
  const Cidr* m = local.matching_network(ip("172.20.1.1"));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(*m, *parse_cidr("172.16.0.0/12"));
}

TEST(LocalNetworks, DirectionFollowsEcs) {
  const LocalNetworks local;
  EXPECT_EQ(local.direction(ip("10.0.0.5"), ip("8.8.8.8")), NetworkDirection::kOutbound);
  EXPECT_EQ(local.direction(ip("8.8.8.8"), ip("10.0.0.5")), NetworkDirection::kInbound);
  EXPECT_EQ(local.direction(ip("10.0.0.5"), ip("192.168.1.1")), NetworkDirection::kInternal);
  EXPECT_EQ(local.direction(ip("1.1.1.1"), ip("8.8.8.8")), NetworkDirection::kExternal);
  EXPECT_EQ(local.direction(ip("fe80::1"), ip("2001:db8::1")), NetworkDirection::kOutbound);
  EXPECT_EQ(direction_name(NetworkDirection::kInbound), "inbound");
  EXPECT_EQ(direction_name(NetworkDirection::kOutbound), "outbound");
  EXPECT_EQ(direction_name(NetworkDirection::kInternal), "internal");
  EXPECT_EQ(direction_name(NetworkDirection::kExternal), "external");
  EXPECT_EQ(direction_name(NetworkDirection::kUnknown), "unknown");
  EXPECT_EQ(direction_name(static_cast<NetworkDirection>(200)), "unknown");
}

TEST(LocalNetworks, ConfiguredListReplacesTheDefaults) {
  const LocalNetworks local(std::vector<std::string>{"198.51.100.0/24", "2001:db8:1::/48", "203.0.113.9"});
  EXPECT_EQ(local.size(), 3u);
  EXPECT_TRUE(local.is_local(ip("198.51.100.77")));
  EXPECT_TRUE(local.is_local(ip("2001:db8:1:ff::1")));
  EXPECT_TRUE(local.is_local(ip("203.0.113.9")));
  EXPECT_FALSE(local.is_local(ip("203.0.113.10")));
  EXPECT_FALSE(local.is_local(ip("10.0.0.1")));  // the defaults are gone
  EXPECT_TRUE(local.warnings().empty());
  const LocalNetworks none(std::vector<std::string>{});
  EXPECT_FALSE(none.is_local(ip("10.0.0.1")));
  EXPECT_EQ(none.direction(ip("10.0.0.1"), ip("10.0.0.2")), NetworkDirection::kExternal);
}

TEST(LocalNetworks, HostBitsAreAcceptedWithAWarning) {
  const LocalNetworks local(std::vector<std::string>{"10.0.0.0/8", "192.168.7.1/16"});
  EXPECT_TRUE(local.is_local(ip("192.168.200.1")));
  ASSERT_EQ(local.warnings().size(), 1u);
  EXPECT_NE(local.warnings()[0].find("local_networks[1]"), std::string::npos) << local.warnings()[0];
  EXPECT_NE(local.warnings()[0].find("192.168.0.0/16"), std::string::npos) << local.warnings()[0];
}

TEST(LocalNetworks, BadEntryNamesIndexAndText) {
  for (const char* bad :
       {"10.0.0/8", "10.0.0.0/33", "", "fd00::/8 trailing", "lan", "10.0.0.0/8\n10.1.0.0"}) {
    try {
      LocalNetworks local(std::vector<std::string>{"10.0.0.0/8", bad});
      FAIL() << "accepted \"" << bad << '"';
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("local_networks[1]"), std::string::npos) << what;
      EXPECT_NE(what.find(std::string("\"") + bad + "\""), std::string::npos) << what;
    }
  }
}

// Every address tshark reported in the corpus conversations, checked against a naive scan of the
// default list: covers public, private, multicast, broadcast and IPv6 addresses from real captures.
TEST(LocalNetworks, CorpusAddressesMatchNaiveRangeCheck) {
  const char* env = std::getenv("SPANWATCH_CORPUS");
  const std::filesystem::path root = env && *env ? env : "/work/shared/corpus";
  const std::filesystem::path truth = root / "truth" / "tshark";
  if (!std::filesystem::is_directory(truth)) GTEST_SKIP() << "no corpus at " << root;
  std::vector<Cidr> defaults;
  for (std::string_view s : kDefaultLocalNetworks) defaults.push_back(*parse_cidr(s));
  const LocalNetworks local;

  std::set<std::string> addresses;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(truth)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 9 || name.substr(name.size() - 9) != ".conv.tsv") continue;
    std::ifstream in(entry.path());
    std::string line;
    std::getline(in, line);  // header: conv proto addr_a port_a addr_b ...
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string conv, proto, a, port_a, b;
      fields >> conv >> proto >> a >> port_a >> b;
      addresses.insert(a);
      addresses.insert(b);
    }
  }
  size_t checked = 0, local_count = 0, v6 = 0;
  for (const std::string& text : addresses) {
    const std::optional<IpAddress> a = parse_ip_address(text);
    if (!a) continue;  // non-IP conversations (e.g. "-")
    bool want = false;
    for (const Cidr& c : defaults) want = want || cidr_contains(c, *a);
    EXPECT_EQ(local.is_local(*a), want) << text;
    ++checked;
    local_count += want;
    v6 += !a->is_v4();
  }
  EXPECT_GT(checked, 500u);
  EXPECT_GT(local_count, 50u);
  EXPECT_GT(checked - local_count, 50u);
  EXPECT_GT(v6, 20u);
  // Two known hosts: the ja4 DHCP fixture's client lease and the Zeek DHCP trace's campus server.
  EXPECT_TRUE(addresses.count("192.168.0.10"));
  EXPECT_TRUE(local.is_local(ip("192.168.0.10")));
  EXPECT_TRUE(addresses.count("128.2.6.152"));
  EXPECT_FALSE(local.is_local(ip("128.2.6.152")));
}

}  // namespace
}  // namespace spanwatch::lib
