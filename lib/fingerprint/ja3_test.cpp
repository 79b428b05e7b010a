// JA3/JA3S known vectors (salesforce/ja3 README, tshark 4.0 ja3_full/ja3s_full on corpus hellos), GREASE
// removal, empty fields, and bounded string output. Corpus-wide agreement is in lib/tls/tls_corpus_test.cpp.
#include "lib/fingerprint/ja3.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "lib/fingerprint/digest.hpp"

namespace spanwatch::lib {
namespace {

ClientHello make_hello(uint16_t version, const std::vector<uint16_t>& ciphers,
                       const std::vector<uint16_t>& exts, const std::vector<uint16_t>& groups,
                       const std::vector<uint8_t>& formats) {
  ClientHello ch;
  ch.legacy_version = version;
  for (uint16_t c : ciphers) ch.ciphers.push(c);
  for (uint16_t e : exts) ch.extensions.push(e);
  for (uint16_t g : groups) ch.supported_groups.push(g);
  for (uint8_t f : formats) ch.ec_point_formats.push(f);
  return ch;
}

std::string hex(const Md5Digest& d) {
  const auto h = hex_lower(d);
  return {h.data(), h.size()};
}

std::pair<std::string, std::string> run(const ClientHello& ch) {
  Md5Digest hash;
  char str[kJa3StringMax];
  const size_t n = ja3(ch, hash, str, sizeof(str));
  EXPECT_EQ(n, std::strlen(str));
  return {str, hex(hash)};
}

TEST(Ja3, SalesforceReadmeVector) {
  const ClientHello ch = make_hello(769, {47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4},
                                    {0, 10, 11}, {23, 24, 25}, {0});
  const auto [s, h] = run(ch);
  EXPECT_EQ(s, "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0");
  EXPECT_EQ(h, "ada70206e40642a3e4461f35503241d5");
}

TEST(Ja3, ChromeWithGreaseMatchesTshark) {
  // tls-handshake.pcapng frame 1 (tshark ja3_full / ja3), with GREASE where Chrome puts it.
  const ClientHello ch = make_hello(
      0x0303,
      {0x2a2a, 4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172, 156, 157, 47, 53},
      {0x1a1a, 65281, 51, 45, 5, 17513, 13, 16, 35, 27, 43, 0, 18, 10, 23, 11, 21, 0xfafa},
      {0x8a8a, 29, 23, 24}, {0});
  const auto [s, h] = run(ch);
  EXPECT_EQ(
      s,
      "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,65281-51-45-5-17513-"
      "13-16-35-27-43-0-18-10-23-11-21,29-23-24,0");
  EXPECT_EQ(h, "1c258ebef8eee2dfa3df6d8d07285af9");
  EXPECT_TRUE(ja3_complete(ch));
}

TEST(Ja3, EmptyFieldsKeepTheirCommas) {
  const auto [s, h] = run(make_hello(0x0300, {0x000a}, {}, {}, {}));
  EXPECT_EQ(s, "768,10,,,");
  const ClientHello only_grease = make_hello(0x0303, {0x0a0a}, {0x0a0a}, {0x0a0a}, {});
  EXPECT_EQ(run(only_grease).first, "771,,,,");
}

TEST(Ja3, HashOnlyAndTruncatedCopyGiveTheSameHash) {
  const ClientHello ch = make_hello(771, {4865, 4866, 4867}, {0, 10, 11, 13}, {29, 23}, {0, 1, 2});
  Md5Digest full_hash;
  char full[kJa3StringMax];
  const size_t n = ja3(ch, full_hash, full, sizeof(full));
  Md5Digest h1{};
  EXPECT_EQ(ja3(ch, h1), n);  // no string buffer
  EXPECT_EQ(h1, full_hash);
  char small[8];
  Md5Digest h2{};
  EXPECT_EQ(ja3(ch, h2, small, sizeof(small)), n);  // like snprintf: full length, truncated copy
  EXPECT_STREQ(small, std::string(full, 7).c_str());
  EXPECT_EQ(h2, full_hash);
  char tiny[1];
  EXPECT_EQ(ja3(ch, h2, tiny, sizeof(tiny)), n);
  EXPECT_EQ(tiny[0], '\0');
  EXPECT_EQ(ja3(ch, h2, tiny, 0), n);  // cap 0: nothing written
}

TEST(Ja3, MaximalHelloFitsTheBound) {
  ClientHello ch;
  ch.legacy_version = 65535;
  for (size_t i = 0; i < kMaxCiphers + 10; ++i) ch.ciphers.push(65535);
  for (size_t i = 0; i < kMaxExtensions; ++i) ch.extensions.push(65534);
  for (size_t i = 0; i < kMaxGroups; ++i) ch.supported_groups.push(65533);
  for (size_t i = 0; i < kMaxPointFormats; ++i) ch.ec_point_formats.push(255);
  Md5Digest hash;
  std::vector<char> str(kJa3StringMax);
  const size_t n = ja3(ch, hash, str.data(), str.size());
  EXPECT_LT(n, kJa3StringMax);  // never truncated at kJa3StringMax
  EXPECT_EQ(std::strlen(str.data()), n);
  EXPECT_FALSE(ja3_complete(ch));  // 10 ciphers were not stored
}

// The string reaches MD5 in blocks: for strings of every length around the block boundaries (one to 400
// values of one to five digits), the hash is the MD5 of the whole string.
TEST(Ja3, HashIsMd5OfTheStringAtEveryLength) {
  for (size_t count = 0; count <= 400; ++count) {
    ClientHello ch;
    ch.legacy_version = 771;
    for (size_t i = 0; i < count; ++i) ch.ciphers.push(static_cast<uint16_t>((i * 7919) % 65536 >> (i % 13)));
    ch.extensions.push(static_cast<uint16_t>(count));
    Md5Digest hash;
    std::vector<char> str(kJa3StringMax);
    const size_t n = ja3(ch, hash, str.data(), str.size());
    char want[Md5::kHexLen + 1];
    md5_hex(str.data(), n, want);
    EXPECT_EQ(hex(hash), want) << count;
  }
}

TEST(Ja3s, MatchesTshark) {
  Md5Digest hash;
  char str[kJa3sStringMax];
  // tls-alpn-h2.pcap: TLS 1.2 ServerHello with ALPN.
  const uint16_t e1[] = {0, 65281, 11, 16};
  ja3s(771, 52393, e1, 4, hash, str, sizeof(str));
  EXPECT_STREQ(str, "771,52393,0-65281-11-16");
  EXPECT_EQ(hex(hash), "7f76f3e952a1bc7d407366fafe1db7ed");
  // zeek tls1_1.pcap.
  const uint16_t e2[] = {65281, 35, 11};
  ja3s(770, 49171, e2, 3, hash, str, sizeof(str));
  EXPECT_STREQ(str, "770,49171,65281-35-11");
  EXPECT_EQ(hex(hash), "b5237e0430ad71aac52aa90b6627cb5f");
  // No extensions: the trailing comma stays (salesforce ja3s.py joins three fields); GREASE dropped.
  const uint16_t e3[] = {0x3a3a};
  ja3s(769, 47, e3, 1, hash, str, sizeof(str));
  EXPECT_STREQ(str, "769,47,");
  ja3s(769, 47, nullptr, 0, hash, str, sizeof(str));
  EXPECT_STREQ(str, "769,47,");
}

}  // namespace
}  // namespace spanwatch::lib
