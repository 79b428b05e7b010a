// Tests for CidrTable: nesting, families, edge prefixes (/0, /32, /128), repeated prefixes, rebuilds, and
// randomized tables checked address by address against a naive linear longest-prefix search.
#include "lib/enrich/cidr_table.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace spanwatch::lib {
namespace {

IpAddress ip(const char* s) {
  std::optional<IpAddress> a = parse_ip_address(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(IpAddress{});
}

template <class V>
void add(CidrTable<V>& t, const char* cidr, V v) {
  std::optional<Cidr> c = parse_cidr(cidr);
  ASSERT_TRUE(c) << cidr;
  t.insert(*c, std::move(v));
}

std::string find(const CidrTable<std::string>& t, const char* addr) {
  const std::string* v = t.lookup(ip(addr));
  return v ? *v : "-";
}

TEST(CidrTable, EmptyAndUnbuiltMatchNothing) {
  CidrTable<int> t;
  t.build();
  EXPECT_EQ(t.lookup(ip("10.0.0.1")), nullptr);
  EXPECT_EQ(t.lookup(ip("::1")), nullptr);
  add(t, "0.0.0.0/0", 1);
  EXPECT_EQ(t.lookup(ip("10.0.0.1")), nullptr);  // not built yet
  t.build();
  ASSERT_NE(t.lookup(ip("10.0.0.1")), nullptr);
}

TEST(CidrTable, NestedPrefixesLongestWins) {
  CidrTable<std::string> t;
  add(t, "10.0.0.0/8", std::string("ten"));
  add(t, "10.1.0.0/16", std::string("ten-one"));
  add(t, "10.1.2.0/24", std::string("ten-one-two"));
  add(t, "10.1.2.3/32", std::string("host"));
  add(t, "10.200.0.0/16", std::string("ten-200"));
  t.build();
  EXPECT_EQ(find(t, "9.255.255.255"), "-");
  EXPECT_EQ(find(t, "10.0.0.0"), "ten");
  EXPECT_EQ(find(t, "10.0.255.255"), "ten");
  EXPECT_EQ(find(t, "10.1.0.0"), "ten-one");
  EXPECT_EQ(find(t, "10.1.2.2"), "ten-one-two");
  EXPECT_EQ(find(t, "10.1.2.3"), "host");
  EXPECT_EQ(find(t, "10.1.2.4"), "ten-one-two");
  EXPECT_EQ(find(t, "10.1.2.255"), "ten-one-two");
  EXPECT_EQ(find(t, "10.1.3.0"), "ten-one");
  EXPECT_EQ(find(t, "10.2.0.0"), "ten");
  EXPECT_EQ(find(t, "10.200.9.9"), "ten-200");
  EXPECT_EQ(find(t, "10.201.0.0"), "ten");
  EXPECT_EQ(find(t, "10.255.255.255"), "ten");
  EXPECT_EQ(find(t, "11.0.0.0"), "-");
  EXPECT_EQ(t.size(), 5u);
  // ten: 4 pieces around the nested blocks; ten-one: 2; the rest: 1 each.
  EXPECT_EQ(t.range_count(), 4u + 2u + 1u + 1u + 1u);
}

TEST(CidrTable, InsertOrderDoesNotMatterForNesting) {
  CidrTable<std::string> t;
  add(t, "10.1.2.0/24", std::string("inner"));
  add(t, "10.0.0.0/8", std::string("outer"));
  t.build();
  EXPECT_EQ(find(t, "10.1.2.9"), "inner");
  EXPECT_EQ(find(t, "10.1.3.9"), "outer");
}

TEST(CidrTable, FamiliesAreSeparate) {
  CidrTable<std::string> t;
  add(t, "::/0", std::string("any-v6"));
  add(t, "2001:db8::/32", std::string("doc"));
  add(t, "192.0.2.0/24", std::string("test-net-1"));
  t.build();
  EXPECT_EQ(find(t, "2001:db8:1::5"), "doc");
  EXPECT_EQ(find(t, "2001:db9::"), "any-v6");
  EXPECT_EQ(find(t, "::"), "any-v6");
  EXPECT_EQ(find(t, "192.0.2.200"), "test-net-1");
  EXPECT_EQ(find(t, "192.0.3.0"), "-");                  // IPv6 ::/0 does not hold IPv4 addresses
  EXPECT_EQ(find(t, "::ffff:192.0.2.1"), "test-net-1");  // the same IPv4 address
  // An IPv6 address whose low 32 bits equal an IPv4 network is not IPv4.
  EXPECT_EQ(find(t, "::c000:201"), "any-v6");
}

TEST(CidrTable, EdgePrefixes) {
  CidrTable<std::string> t;
  add(t, "0.0.0.0/0", std::string("v4-all"));
  add(t, "255.255.255.255/32", std::string("bcast"));
  add(t, "0.0.0.0/32", std::string("zero"));
  add(t, "::/0", std::string("v6-all"));
  add(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", std::string("v6-last"));
  add(t, "::/128", std::string("v6-unspec"));
  add(t, "8000::/1", std::string("v6-upper"));
  add(t, "ffff:ffff:ffff:ffff::/64", std::string("v6-top64"));
  t.build();
  EXPECT_EQ(find(t, "0.0.0.0"), "zero");
  EXPECT_EQ(find(t, "0.0.0.1"), "v4-all");
  EXPECT_EQ(find(t, "255.255.255.254"), "v4-all");
  EXPECT_EQ(find(t, "255.255.255.255"), "bcast");
  EXPECT_EQ(find(t, "::"), "v6-unspec");
  EXPECT_EQ(find(t, "::1"), "v6-all");
  EXPECT_EQ(find(t, "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "v6-all");
  EXPECT_EQ(find(t, "8000::"), "v6-upper");
  EXPECT_EQ(find(t, "ffff:ffff:ffff:fffe:ffff:ffff:ffff:ffff"), "v6-upper");
  EXPECT_EQ(find(t, "ffff:ffff:ffff:ffff::"), "v6-top64");
  EXPECT_EQ(find(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), "v6-top64");
  EXPECT_EQ(find(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "v6-last");
}

TEST(CidrTable, RepeatedPrefixLastInsertWins) {
  CidrTable<std::string> t;
  add(t, "10.0.0.0/8", std::string("first"));
  add(t, "10.0.0.0/16", std::string("narrow"));
  add(t, "10.9.9.9/8", std::string("second"));  // same prefix once masked
  add(t, "fd00::/8", std::string("v6-first"));
  add(t, "fd00::/8", std::string("v6-second"));
  t.build();
  EXPECT_EQ(find(t, "10.1.0.0"), "second");
  EXPECT_EQ(find(t, "10.0.5.5"), "narrow");
  EXPECT_EQ(find(t, "fd12::1"), "v6-second");
  EXPECT_EQ(t.size(), 3u);  // duplicates dropped on build
}

TEST(CidrTable, InsertAfterBuildNeedsRebuild) {
  CidrTable<std::string> t;
  add(t, "10.0.0.0/8", std::string("a"));
  add(t, "10.0.0.0/8", std::string("b"));
  t.build();
  add(t, "10.5.0.0/16", std::string("c"));
  EXPECT_EQ(find(t, "10.5.1.1"), "b");  // still the last build
  t.build();
  EXPECT_EQ(find(t, "10.5.1.1"), "c");
  EXPECT_EQ(find(t, "10.6.1.1"), "b");
  add(t, "10.0.0.0/8", std::string("d"));
  t.build();
  EXPECT_EQ(find(t, "10.6.1.1"), "d");
  EXPECT_EQ(find(t, "10.5.1.1"), "c");
  EXPECT_EQ(t.size(), 2u);
}

TEST(CidrTable, TooLongPrefixThrowsNamingTheNetwork) {
  CidrTable<int> t;
  try {
    t.insert(ip("10.0.0.0"), 33, 1);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("33"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("10.0.0.0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.insert(ip("fd00::"), 129, 1), std::invalid_argument);
  EXPECT_NO_THROW(t.insert(ip("fd00::"), 128, 1));
  EXPECT_EQ(t.size(), 1u);
}

TEST(CidrTable, HostBitsInInsertAreIgnored) {
  CidrTable<int> t;
  t.insert(ip("192.168.77.77"), 16, 7);
  t.build();
  ASSERT_NE(t.lookup(ip("192.168.0.1")), nullptr);
  EXPECT_EQ(*t.lookup(ip("192.168.0.1")), 7);
  EXPECT_EQ(t.lookup(ip("192.169.0.1")), nullptr);
}

// --- randomized comparison with a naive search ---

struct NaivePrefix {
  Cidr cidr;
  int value;
};

// Longest prefix holding `a`; among equal prefixes the last inserted.
const int* naive_lookup(const std::vector<NaivePrefix>& all, const IpAddress& a) {
  const NaivePrefix* best = nullptr;
  for (const NaivePrefix& p : all) {
    if (!cidr_contains(p.cidr, a)) continue;
    if (best == nullptr || p.cidr.prefix_len >= best->cidr.prefix_len) best = &p;
  }
  return best ? &best->value : nullptr;
}

IpAddress random_address(std::mt19937_64& rng, bool v4) {
  IpAddress a;
  if (v4) {
    uint8_t b[4];
    const uint64_t r = rng();
    // A few crowded regions so that prefixes nest often, plus the whole space.
    static constexpr uint8_t kFirst[] = {10, 10, 10, 172, 192, 0, 255};
    b[0] = (r & 3) == 0 ? uint8_t(r >> 8) : kFirst[(r >> 16) % sizeof kFirst];
    b[1] = (r & 12) == 0 ? uint8_t(r >> 24) : uint8_t((r >> 24) & 3);
    b[2] = uint8_t(r >> 32);
    b[3] = uint8_t(r >> 40);
    return IpAddress::from_v4(b);
  }
  uint8_t b[16];
  const uint64_t r1 = rng(), r2 = rng();
  std::memcpy(b, &r1, 8);
  std::memcpy(b + 8, &r2, 8);
  if ((r1 & 3) != 0) {  // crowd under 2001:db8::/32 and fd00::/8 (first byte is r1's low byte)
    b[0] = (r1 & 1) ? 0x20 : 0xfd;
    b[1] = (r1 & 1) ? 0x01 : uint8_t(b[1] & 3);
    b[2] = 0x0d;
    b[3] = 0xb8;
    b[4] &= 1;
  }
  if ((r2 & 7) == 0) std::memset(b, (r2 & 8) ? 0xff : 0x00, 8);  // near the ends of the space
  a = IpAddress::from_v6(b);
  if (a.is_v4()) a.bytes[10] = 0;  // stay IPv6
  return a;
}

// Addresses at and around each prefix's first and last address, plus random ones.
std::vector<IpAddress> probe_addresses(const std::vector<NaivePrefix>& all, std::mt19937_64& rng) {
  std::vector<IpAddress> out;
  for (const NaivePrefix& p : all) {
    IpAddress first = p.cidr.network;
    IpAddress last = first;
    const unsigned len = p.cidr.mapped_prefix_len();
    for (unsigned bit = len; bit < 128; ++bit) last.bytes[bit / 8] |= uint8_t(0x80 >> (bit % 8));
    out.push_back(first);
    out.push_back(last);
    // One below the first and one above the last (within the same family when they exist).
    IpAddress below = first, above = last;
    for (int i = 15; i >= (p.cidr.is_v4() ? 12 : 0); --i) {
      if (below.bytes[i]-- != 0) break;
    }
    for (int i = 15; i >= (p.cidr.is_v4() ? 12 : 0); --i) {
      if (++above.bytes[i] != 0) break;
    }
    out.push_back(below);
    out.push_back(above);
  }
  for (int i = 0; i < 4000; ++i) out.push_back(random_address(rng, i % 2 == 0));
  return out;
}

TEST(CidrTable, RandomTablesMatchNaiveLongestPrefixSearch) {
  std::mt19937_64 rng(20240613);
  for (int round = 0; round < 40; ++round) {
    const int n = round < 10 ? 1 + round : 50 + round * 20;
    std::vector<NaivePrefix> all;
    CidrTable<int> t;
    for (int i = 0; i < n; ++i) {
      const bool v4 = rng() % 2 == 0;
      const IpAddress a = random_address(rng, v4);
      // Lengths biased to the short end so that prefixes contain one another.
      const unsigned max_len = v4 ? 32 : 128;
      const unsigned len = unsigned(rng() % (max_len + 1)) * unsigned(rng() % 2 + 1) / 2;
      Cidr c;
      c.network = mask_address(a, uint8_t(v4 ? 96 + len : len));
      c.prefix_len = uint8_t(len);
      all.push_back({c, i});
      t.insert(a, uint8_t(len), i);  // unmasked on purpose
      if (rng() % 10 == 0) {         // a repeat of an earlier prefix with a new value
        const NaivePrefix again = all[rng() % all.size()];
        all.push_back({again.cidr, 100000 + i});
        t.insert(again.cidr, 100000 + i);
      }
    }
    t.build();
    for (const IpAddress& a : probe_addresses(all, rng)) {
      const int* want = naive_lookup(all, a);
      const int* got = t.lookup(a);
      char buf[kIpTextMax];
      a.format(buf, sizeof buf);
      ASSERT_EQ(want == nullptr, got == nullptr) << "round " << round << " address " << buf;
      if (want) {
        ASSERT_EQ(*want, *got) << "round " << round << " address " << buf;
      }
    }
  }
}

}  // namespace
}  // namespace spanwatch::lib
