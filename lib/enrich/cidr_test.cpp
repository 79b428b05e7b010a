// Tests for parse_cidr / parse_ip_address / cidr_contains: both families, defaults, masking of host bits,
// IPv4-mapped text, and every kind of malformed text (which must give nullopt, never a crash).
#include "lib/enrich/cidr.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

namespace spanwatch::lib {
namespace {

std::string text(const IpAddress& a) {
  char buf[kIpTextMax];
  return std::string(buf, a.format(buf, sizeof buf));
}

IpAddress ip(const char* s) {
  std::optional<IpAddress> a = parse_ip_address(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(IpAddress{});
}

TEST(ParseCidr, Ipv4WithPrefix) {
  auto c = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->is_v4());
  EXPECT_EQ(c->prefix_len, 8);
  EXPECT_EQ(c->mapped_prefix_len(), 104);
  EXPECT_FALSE(c->host_bits_set);
  EXPECT_EQ(text(c->network), "10.0.0.0");
  // Stored IPv4-mapped, like every IpAddress.
  const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 0};
  EXPECT_EQ(std::memcmp(c->network.bytes.data(), want, 16), 0);
}

TEST(ParseCidr, BareAddressIsHostPrefix) {
  auto c4 = parse_cidr("192.168.1.7");
  ASSERT_TRUE(c4);
  EXPECT_EQ(c4->prefix_len, 32);
  EXPECT_EQ(text(c4->network), "192.168.1.7");
  auto c6 = parse_cidr("2001:db8::1");
  ASSERT_TRUE(c6);
  EXPECT_FALSE(c6->is_v4());
  EXPECT_EQ(c6->prefix_len, 128);
  EXPECT_EQ(c6->mapped_prefix_len(), 128);
  EXPECT_EQ(text(c6->network), "2001:db8::1");
}

TEST(ParseCidr, Ipv6) {
  auto c = parse_cidr("fd00::/8");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->is_v4());
  EXPECT_EQ(c->prefix_len, 8);
  EXPECT_EQ(text(c->network), "fd00::");
  auto all = parse_cidr("::/0");
  ASSERT_TRUE(all);
  EXPECT_FALSE(all->is_v4());
  EXPECT_EQ(all->prefix_len, 0);
}

TEST(ParseCidr, HostBitsAreMaskedAndReported) {
  auto c = parse_cidr("10.1.2.3/8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->host_bits_set);
  EXPECT_EQ(text(c->network), "10.0.0.0");
  auto odd = parse_cidr("172.31.255.255/12");
  ASSERT_TRUE(odd);
  EXPECT_EQ(text(odd->network), "172.16.0.0");
  auto c6 = parse_cidr("2001:db8:ffff::1/33");
  ASSERT_TRUE(c6);
  EXPECT_TRUE(c6->host_bits_set);
  EXPECT_EQ(text(c6->network), "2001:db8:8000::");
  auto zero = parse_cidr("255.255.255.255/0");
  ASSERT_TRUE(zero);
  EXPECT_EQ(text(zero->network), "0.0.0.0");
  EXPECT_TRUE(zero->is_v4());  // an IPv4 /0 is still IPv4 (::ffff:0:0/96)
}

TEST(ParseCidr, Ipv4MappedTextBecomesIpv4) {
  auto c = parse_cidr("::ffff:10.0.0.0/104");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->is_v4());
  EXPECT_EQ(c->prefix_len, 8);
  EXPECT_EQ(*c, *parse_cidr("10.0.0.0/8"));
  auto all = parse_cidr("::ffff:0:0/96");
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, *parse_cidr("0.0.0.0/0"));
  auto host = parse_cidr("::ffff:192.0.2.1");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->is_v4());
  EXPECT_EQ(host->prefix_len, 32);
  EXPECT_FALSE(parse_cidr("::ffff:10.0.0.0/80"));  // would span both families
}

TEST(ParseCidr, BlanksAroundAreIgnored) {
  EXPECT_EQ(parse_cidr("  10.0.0.0/8\r\n"), parse_cidr("10.0.0.0/8"));
  EXPECT_EQ(parse_cidr("\tfe80::/10 "), parse_cidr("fe80::/10"));
}

TEST(ParseCidr, MalformedIsRejected) {
  for (const char* bad : {"",
                          " ",
                          "/",
                          "/8",
                          "10.0.0.0/",
                          "10.0.0.0/33",
                          "10.0.0.0/-1",
                          "10.0.0.0/+8",
                          "10.0.0.0/8/8",
                          "10.0.0.0 /8",
                          "10.0.0.0/ 8",
                          "10.0.0/8",
                          "10/8",
                          "10.0.0.256",
                          "010.0.0.0/8x",
                          "10.0.0.0/0008",
                          "fd00::/129",
                          "fd00:::/8",
                          "fd00::/1a",
                          "::1::2",
                          "example.com",
                          "10.0.0.0/8,",
                          "1.2.3.4.5",
                          "0x0a.0.0.0/8",
                          "1234:1234:1234:1234:1234:1234:255.255.255.255:1"}) {
    EXPECT_FALSE(parse_cidr(bad)) << '"' << bad << '"';
  }
  EXPECT_FALSE(parse_cidr(std::string_view("10.0.0.0\0/8", 11)));
  EXPECT_FALSE(parse_cidr(std::string(5000, '1')));
}

TEST(ParseCidr, AgreesWithInetPtonOnEveryFirstOctet) {
  // The network address must be what the C library reads, for every /8 in the IPv4 space.
  for (int a = 0; a < 256; ++a) {
    const std::string s = std::to_string(a) + ".77.3.9";
    uint8_t want[4];
    ASSERT_EQ(inet_pton(AF_INET, s.c_str(), want), 1);
    auto c = parse_cidr(s + "/8");
    ASSERT_TRUE(c) << s;
    EXPECT_EQ(c->network.v4()[0], want[0]);
    EXPECT_EQ(c->network.v4()[1], 0);
    EXPECT_TRUE(cidr_contains(*c, IpAddress::from_v4(want)));
  }
}

TEST(CidrContains, FamiliesNeverMix) {
  const Cidr v6_all = *parse_cidr("::/0");
  const Cidr v4_all = *parse_cidr("0.0.0.0/0");
  EXPECT_TRUE(cidr_contains(v6_all, ip("2001:db8::1")));
  EXPECT_TRUE(cidr_contains(v6_all, ip("::")));
  EXPECT_FALSE(cidr_contains(v6_all, ip("10.0.0.1")));
  EXPECT_TRUE(cidr_contains(v4_all, ip("10.0.0.1")));
  EXPECT_TRUE(cidr_contains(v4_all, ip("255.255.255.255")));
  EXPECT_FALSE(cidr_contains(v4_all, ip("2001:db8::1")));
}

TEST(CidrContains, Boundaries) {
  const Cidr c = *parse_cidr("172.16.0.0/12");
  EXPECT_FALSE(cidr_contains(c, ip("172.15.255.255")));
  EXPECT_TRUE(cidr_contains(c, ip("172.16.0.0")));
  EXPECT_TRUE(cidr_contains(c, ip("172.31.255.255")));
  EXPECT_FALSE(cidr_contains(c, ip("172.32.0.0")));
  const Cidr l = *parse_cidr("fe80::/10");
  EXPECT_TRUE(cidr_contains(l, ip("febf:ffff::1")));
  EXPECT_FALSE(cidr_contains(l, ip("fec0::")));
  const Cidr h = *parse_cidr("2001:db8::1/128");
  EXPECT_TRUE(cidr_contains(h, ip("2001:db8::1")));
  EXPECT_FALSE(cidr_contains(h, ip("2001:db8::2")));
}

TEST(MaskAddress, EveryLength) {
  const IpAddress ones = ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  for (unsigned len = 0; len <= 128; ++len) {
    const IpAddress m = mask_address(ones, uint8_t(len));
    unsigned set = 0;
    for (uint8_t b : m.bytes) set += unsigned(__builtin_popcount(b));
    EXPECT_EQ(set, len);
  }
}

}  // namespace
}  // namespace spanwatch::lib
