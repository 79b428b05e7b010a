// Tests for Community ID v1 and its SHA-1: FIPS 180 vectors, every published vector of community-id.md, and
// the upstream baselines for combined.pcap (seed 0, seed 1, hex) when the shared corpus is present.
#include "lib/fingerprint/community_id.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "lib/fingerprint/digest.hpp"

namespace spanwatch::lib {
namespace {

IpAddress ip(const char* text) {
  uint8_t b[16];
  if (inet_pton(AF_INET, text, b) == 1) return IpAddress::from_v4(b);
  EXPECT_EQ(inet_pton(AF_INET6, text, b), 1) << text;
  return IpAddress::from_v6(b);
}

std::string cid(const char* src, const char* dst, uint8_t proto, uint16_t sport, uint16_t dport,
                uint16_t seed = 0, bool base64 = true) {
  char out[kCommunityIdMaxLen];
  const size_t n = community_id_v1({ip(src), ip(dst), proto, sport, dport}, seed, base64, out);
  EXPECT_EQ(n, std::strlen(out));
  return std::string(out, n);
}

std::string hex(const Sha1Digest& d) {
  std::string s;
  char b[3];
  for (const uint8_t x : d) {
    std::snprintf(b, sizeof b, "%02x", x);
    s += b;
  }
  return s;
}

std::string sha1_hex(const std::string& m) {
  return hex(sha1(reinterpret_cast<const uint8_t*>(m.data()), m.size()));
}

TEST(Sha1, Fips180Vectors) {
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(
      sha1_hex(
          "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopq"
          "rsmnopqrstnopqrstu"),
      "a49b2446a02c645bf419f995b67091253a04a259");
  EXPECT_EQ(sha1_hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1, PaddingBoundaries) {
  // Lengths 55/56/63/64 cross the one-vs-two final block boundary (values from Python hashlib).
  EXPECT_EQ(sha1_hex(std::string(55, 'a')), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(sha1_hex(std::string(56, 'a')), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
  EXPECT_EQ(sha1_hex(std::string(63, 'a')), "03f09f5b158a7a8cdad920bddc29b81c18a551f5");
  EXPECT_EQ(sha1_hex(std::string(64, 'a')), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

constexpr const char* kV6a = "fe80:0001:0203:0405:0607:0809:0A0B:0C0D";
constexpr const char* kV6b = "fe80:1011:1213:1415:1617:1819:1A1B:1C1D";

TEST(CommunityId, PublishedSeed0) {
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 6, 1122, 3344), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
  EXPECT_EQ(cid("5.6.7.8", "1.2.3.4", 6, 3344, 1122), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 17, 1122, 3344), "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
  EXPECT_EQ(cid("5.6.7.8", "1.2.3.4", 17, 3344, 1122), "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 132, 1122, 3344), "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
  EXPECT_EQ(cid("5.6.7.8", "1.2.3.4", 132, 3344, 1122), "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 1, 8, 0), "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
  EXPECT_EQ(cid("5.6.7.8", "1.2.3.4", 1, 0, 0), "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 1, 11, 0), "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
  EXPECT_EQ(cid(kV6a, kV6b, 58, 128, 0), "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
  EXPECT_EQ(cid(kV6b, kV6a, 58, 129, 0), "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
  EXPECT_EQ(cid(kV6a, kV6b, 58, 146, 0), "1:fYC8+pz24E+EhANP1EZhpX0Dw10=");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 46, 0, 0), "1:ikv3kmf89luf73WPz1jOs49S768=");
  EXPECT_EQ(cid("5.6.7.8", "1.2.3.4", 46, 0, 0), "1:ikv3kmf89luf73WPz1jOs49S768=");
  EXPECT_EQ(cid(kV6a, kV6b, 46, 0, 0), "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=");
  EXPECT_EQ(cid(kV6b, kV6a, 46, 0, 0), "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=");
}

TEST(CommunityId, PublishedSeed1) {
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 6, 1122, 3344, 1), "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
  EXPECT_EQ(cid("5.6.7.8", "1.2.3.4", 6, 3344, 1122, 1), "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 17, 1122, 3344, 1), "1:OShq+iKDAMVouh/4bMxB9Sz4amw=");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 132, 1122, 3344, 1), "1:uitchpn5MMGAQKBJh7bIr/bAr7s=");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 1, 8, 0, 1), "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=");
  EXPECT_EQ(cid("5.6.7.8", "1.2.3.4", 1, 0, 0, 1), "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 1, 11, 0, 1), "1:1DD7cWGC/Yg91YGsQeni8du3pIA=");
  EXPECT_EQ(cid(kV6a, kV6b, 58, 128, 0, 1), "1:IO27GQzPuCtNnwFvjWALMHu5tJE=");
  EXPECT_EQ(cid(kV6b, kV6a, 58, 129, 0, 1), "1:IO27GQzPuCtNnwFvjWALMHu5tJE=");
  EXPECT_EQ(cid(kV6a, kV6b, 58, 146, 0, 1), "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 46, 0, 0, 1), "1:/buhqeOmaRCopOZFy9HnoJd5XW8=");
  EXPECT_EQ(cid(kV6b, kV6a, 46, 0, 0, 1), "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=");
}

TEST(CommunityId, PublishedHexAndPcapExamples) {
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 6, 1122, 3344, 0, false), "1:c026f7386ef200559e95a53276ed03fb5db908b3");
  EXPECT_EQ(cid("128.232.110.120", "66.35.250.204", 6, 34855, 80), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(cid("66.35.250.204", "128.232.110.120", 6, 80, 34855), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(cid("192.168.1.52", "8.8.8.8", 17, 54585, 53), "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  EXPECT_EQ(cid("2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 6, 63943, 25),
            "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
  EXPECT_EQ(cid("10.1.12.1", "10.1.12.2", 46, 0, 0), "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
  EXPECT_EQ(cid("fe80::200:86ff:fe05:80da", "ff02::2", 58, 133, 0), "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=");
}

TEST(CommunityId, OrderingAndEdgeCases) {
  // Same address: the lower port goes first, so both directions agree.
  EXPECT_EQ(cid("10.0.0.1", "10.0.0.1", 6, 5000, 80), cid("10.0.0.1", "10.0.0.1", 6, 80, 5000));
  // One-way ICMP is never swapped: the reverse direction is a different id.
  EXPECT_NE(cid("1.2.3.4", "5.6.7.8", 1, 11, 0), cid("5.6.7.8", "1.2.3.4", 1, 11, 0));
  // ICMPv6 node information query/reply (139/140) is a two-way pair in the spec's table.
  EXPECT_EQ(cid(kV6a, kV6b, 58, 139, 0), cid(kV6b, kV6a, 58, 140, 0));
  // Port-less protocols ignore whatever is in the port fields.
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 46, 1, 2), "1:ikv3kmf89luf73WPz1jOs49S768=");
  // Mixed families cannot be hashed: empty id.
  char out[kCommunityIdMaxLen];
  EXPECT_EQ(community_id_v1({ip("1.2.3.4"), ip("fe80::1"), 6, 1, 2}, 0, true, out), 0u);
  EXPECT_STREQ(out, "");
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 6, 1122, 3344).size(), 30u);
  EXPECT_EQ(cid("1.2.3.4", "5.6.7.8", 6, 1122, 3344, 0, false).size(), 42u);
}

// The tuple is ordered by the addresses' bytes (memcmp's order; compared as big-endian words): IPv6
// addresses that share their first eight bytes, or differ only in the last one, or in a byte that is
// negative as a signed char, against the SHA-1 of the tuple built here in that order.
TEST(CommunityId, OrdersByAddressBytes) {
  const auto tuple_hex = [](const char* lo, const char* hi, uint16_t lo_port, uint16_t hi_port) {
    const IpAddress a = ip(lo), b = ip(hi);
    const bool v4 = a.is_v4();
    std::string m(2, '\0');  // seed 0
    m.append(reinterpret_cast<const char*>(v4 ? a.v4() : a.bytes.data()), v4 ? 4 : 16);
    m.append(reinterpret_cast<const char*>(v4 ? b.v4() : b.bytes.data()), v4 ? 4 : 16);
    m += '\x06';
    m += '\0';
    for (const uint16_t p : {lo_port, hi_port}) {
      m += static_cast<char>(p >> 8);
      m += static_cast<char>(p & 0xFF);
    }
    return "1:" + sha1_hex(m);
  };
  const std::pair<const char*, const char*> lo_hi[] = {
      {"2001:db8::1:2", "2001:db8::2:1"}, {"2001:db8::1", "2001:db8::2"}, {"2001:db8::7f", "2001:db8::80"},
      {"2001:db8::ff00:0", "2001:db9::"}, {"fe80::1", "fe80:0:0:1::"},    {"10.0.0.255", "10.0.1.0"},
      {"127.255.255.255", "128.0.0.0"},   {"1.2.3.4", "1.2.3.5"}};
  for (const auto& [lo, hi] : lo_hi) {
    EXPECT_EQ(cid(lo, hi, 6, 9000, 80, 0, false), tuple_hex(lo, hi, 9000, 80)) << lo << " " << hi;
    EXPECT_EQ(cid(hi, lo, 6, 80, 9000, 0, false), tuple_hex(lo, hi, 9000, 80)) << lo << " " << hi;
  }
}

std::filesystem::path corpus_root() {
  const char* env = std::getenv("SPANWATCH_CORPUS");
  return env != nullptr && *env != '\0' ? std::filesystem::path(env)
                                        : std::filesystem::path("/work/shared/corpus");
}

// Checks every row of one upstream baseline; returns rows matched (rows seen via *total).
size_t check_baseline(const std::filesystem::path& file, uint16_t seed, bool base64, size_t* total) {
  std::ifstream f(file);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  EXPECT_FALSE(doc.HasParseError()) << file;
  EXPECT_TRUE(doc.IsArray()) << file;
  size_t matched = 0;
  *total = 0;
  if (doc.HasParseError() || !doc.IsArray()) return 0;
  // Port-less protocols (RSVP) carry "sport"/"dport": null upstream; read those as 0.
  const auto port = [](const rapidjson::Value& v) {
    return static_cast<uint16_t>(v.IsUint() ? v.GetUint() : 0);
  };
  for (const auto& row : doc.GetArray()) {
    ++*total;
    const uint16_t sport = port(row["sport"]);
    const uint16_t dport = port(row["dport"]);
    const std::string got = cid(row["saddr"].GetString(), row["daddr"].GetString(),
                                static_cast<uint8_t>(row["proto"].GetUint()), sport, dport, seed, base64);
    const std::string want = row["communityid"].GetString();
    EXPECT_EQ(got, want) << file.filename() << " row " << *total << " proto " << row["proto"].GetUint() << " "
                         << row["saddr"].GetString() << ":" << sport << " -> " << row["daddr"].GetString()
                         << ":" << dport;
    if (got == want) ++matched;
  }
  return matched;
}

TEST(CommunityId, CorpusBaselines) {
  const auto dir = corpus_root() / "truth" / "community-id";
  if (!std::filesystem::exists(dir / "baseline_deflt.json")) {
    GTEST_SKIP() << "corpus baseline not found at " << dir << " (set SPANWATCH_CORPUS)";
  }
  struct Case {
    const char* name;
    uint16_t seed;
    bool base64;
  };
  for (const Case c : {Case{"baseline_deflt.json", 0, true}, Case{"baseline_seed1.json", 1, true},
                       Case{"baseline_nob64.json", 0, false}}) {
    size_t total = 0;
    const size_t matched = check_baseline(dir / c.name, c.seed, c.base64, &total);
    std::printf("[ corpus   ] %s: %zu/%zu rows match\n", c.name, matched, total);
    EXPECT_GT(total, 0u) << c.name;
    EXPECT_EQ(matched, total) << c.name;
  }
}

}  // namespace
}  // namespace spanwatch::lib
