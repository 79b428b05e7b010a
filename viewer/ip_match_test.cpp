#include "viewer/ip_match.hpp"

#include <gtest/gtest.h>

namespace spanwatch::viewer {
namespace {

TEST(IpMatch, ParsesBothFamiliesAndRejectsJunk) {
  EXPECT_TRUE(parse_ip("192.0.2.1"));
  EXPECT_TRUE(parse_ip("2001:db8::1"));
  EXPECT_TRUE(parse_ip("::ffff:10.0.0.1"));
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "300.1.1.1", "abc", "1.2.3.4/8", "<script>", "::g"})
    EXPECT_FALSE(parse_ip(bad)) << bad;
  EXPECT_EQ(to_string(*parse_ip("10.1.2.3")), "10.1.2.3");
}

TEST(IpMatch, CidrContainsOnlyItsBlock) {
  const auto c = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains(*parse_ip("10.255.1.2")));
  EXPECT_FALSE(c->contains(*parse_ip("11.0.0.1")));
  EXPECT_FALSE(c->contains(*parse_ip("::a00:1")));  // an IPv6 address is never in an IPv4 block
  const auto host = parse_cidr("192.168.1.5");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains(*parse_ip("192.168.1.5")));
  EXPECT_FALSE(host->contains(*parse_ip("192.168.1.6")));
  const auto v6 = parse_cidr("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*parse_ip("2001:db8:ffff::1")));
  EXPECT_FALSE(v6->contains(*parse_ip("2001:db9::1")));
  const auto host_bits = parse_cidr("10.1.2.3/16");  // host bits are cleared
  ASSERT_TRUE(host_bits);
  EXPECT_TRUE(host_bits->contains(*parse_ip("10.1.200.1")));
  EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(*parse_ip("8.8.8.8")));
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "2001:db8::/129", "x/8"})
    EXPECT_FALSE(parse_cidr(bad)) << bad;
}

TEST(IpMatch, PublicMeansGloballyRoutable) {
  for (const char* pub : {"8.8.8.8", "1.1.1.1", "178.62.197.130", "2a00:1450:4001::1", "2606:4700::1111"})
    EXPECT_TRUE(is_public(*parse_ip(pub))) << pub;
  for (const char* priv :
       {"10.1.1.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "127.0.0.1", "169.254.1.1", "100.64.0.1",
        "224.0.0.251", "255.255.255.255", "0.0.0.0", "192.0.2.7", "198.51.100.1", "203.0.113.9", "::1",
        "fe80::1", "fd00::1", "ff02::1", "2001:db8::1", "::"})
    EXPECT_FALSE(is_public(*parse_ip(priv))) << priv;
}

}  // namespace
}  // namespace spanwatch::viewer
