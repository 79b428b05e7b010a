// Tests for the ServerHello parser: TLS 1.2/1.3, HelloRetryRequest, SSL 3.0 without extensions, the early
// TLS 1.3 draft layout, record fragmentation, every truncation, and malformed or mutated input.
#include "lib/tls/tls_server_hello.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "lib/tls/tls_handshake_reader.hpp"
#include "lib/tls/tls_test_util.hpp"

namespace spanwatch::lib {
namespace {

using namespace tlstest;

std::string ja3s_str(const ServerHello& sh) {
  Md5Digest hash;
  char str[kJa3sStringMax];
  ja3s(sh, hash, str, sizeof(str));
  const auto hex = hex_lower(hash);
  return std::string(str) + " " + std::string(hex.data(), hex.size());
}

TEST(ServerHello, Tls12WithAlpn) {
  const Bytes msg = handshake(
      2, server_hello_body(0x0303, 52393, {{0x0000, {}}, {0xff01, {0}}, {0x000b, {1, 0}}, alpn_ext("h2")}));
  const Bytes rec = records(msg, 16384, 0x16, 0x0303);
  ServerHello sh;
  ASSERT_EQ(parse_server_hello(rec.data(), rec.size(), sh), ServerHelloStatus::kOk);
  EXPECT_EQ(sh.record_version, 0x0303);
  EXPECT_EQ(sh.legacy_version, 0x0303);
  EXPECT_EQ(sh.selected_version, 0x0303);
  EXPECT_EQ(sh.cipher_suite, 52393);
  EXPECT_EQ(sh.session_id_len, 32);
  EXPECT_EQ(sh.session_id[0], 0xee);
  EXPECT_EQ(sh.extensions.size(), 4u);
  EXPECT_TRUE(sh.has_alpn_ext);
  EXPECT_EQ(sh.alpn(), "h2");
  EXPECT_FALSE(sh.hello_retry_request);
  EXPECT_FALSE(sh.bad_extension_body);
  // Same hello as tls-alpn-h2.pcap: tshark's ja3s_full / ja3s.
  EXPECT_EQ(ja3s_str(sh), "771,52393,0-65281-11-16 7f76f3e952a1bc7d407366fafe1db7ed");

  ServerHello bare;
  ASSERT_EQ(parse_server_hello_message(msg.data(), msg.size(), bare), ServerHelloStatus::kOk);
  EXPECT_EQ(bare.record_version, 0);
  EXPECT_EQ(ja3s_str(bare), ja3s_str(sh));
}

TEST(ServerHello, Tls13AndHelloRetryRequest) {
  const Bytes key_share = {0x00, 0x1d, 0x00, 0x20, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
                           15,   16,   17,   18,   19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  const Bytes msg =
      handshake(2, server_hello_body(0x0303, 0x1301, {{0x002b, {0x03, 0x04}}, {0x0033, key_share}}));
  ServerHello sh;
  ASSERT_EQ(parse_server_hello_message(msg.data(), msg.size(), sh), ServerHelloStatus::kOk);
  EXPECT_EQ(sh.legacy_version, 0x0303);
  EXPECT_EQ(sh.selected_version, 0x0304);
  EXPECT_TRUE(sh.has_supported_versions_ext);
  EXPECT_EQ(sh.key_share_group, 0x001d);
  EXPECT_FALSE(sh.hello_retry_request);
  EXPECT_EQ(ja3s_str(sh).substr(0, 15), "771,4865,43-51 ");

  const Bytes hrr_random = {0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
                            0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
                            0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
  const Bytes hrr =
      handshake(2, server_hello_body(0x0303, 0x1301, {{0x002b, {0x03, 0x04}}, {0x0033, {0x00, 0x17}}}, true,
                                     32, hrr_random));
  ASSERT_EQ(parse_server_hello_message(hrr.data(), hrr.size(), sh), ServerHelloStatus::kOk);
  EXPECT_TRUE(sh.hello_retry_request);
  EXPECT_EQ(sh.key_share_group, 0x0017);
  EXPECT_EQ(sh.selected_version, 0x0304);
}

TEST(ServerHello, Ssl3WithoutExtensionsAndEarlyDraft) {
  const Bytes ssl3 =
      records(handshake(2, server_hello_body(0x0300, 0x000a, {}, false, 0)), 16384, 0x16, 0x0300);
  ServerHello sh;
  ASSERT_EQ(parse_server_hello(ssl3.data(), ssl3.size(), sh), ServerHelloStatus::kOk);
  EXPECT_EQ(sh.selected_version, 0x0300);
  EXPECT_EQ(sh.extensions.size(), 0u);
  EXPECT_EQ(ja3s_str(sh).substr(0, 8), "768,10, ");

  // TLS 1.3 draft 18: version 0x7f12, random, cipher suite, extensions (no session id, no compression).
  Bytes body;
  put16(body, 0x7f12);
  for (int i = 0; i < 32; ++i) put8(body, 1);
  put16(body, 0x1301);
  append(body, ext_block({{0x0033, {0x00, 0x1d, 0x00, 0x01, 0x55}}}));
  const Bytes draft = handshake(2, body);
  ASSERT_EQ(parse_server_hello_message(draft.data(), draft.size(), sh), ServerHelloStatus::kOk);
  EXPECT_EQ(sh.cipher_suite, 0x1301);
  EXPECT_EQ(sh.selected_version, 0x7f12);
  EXPECT_EQ(sh.key_share_group, 0x001d);
}

TEST(ServerHello, FragmentedRecordsAndFollowingMessages) {
  Bytes hs = handshake(2, server_hello_body(0x0303, 0xc02f, {{0xff01, {0}}, alpn_ext("http/1.1")}));
  append(hs, handshake(11, certificate_body({Bytes(3000, 0x30)})));
  for (size_t frag : {size_t{1}, size_t{7}, size_t{50}, size_t{16384}}) {
    const Bytes rec = records(hs, frag);
    ServerHello sh;
    ASSERT_EQ(parse_server_hello(rec.data(), rec.size(), sh), ServerHelloStatus::kOk) << frag;
    EXPECT_EQ(sh.alpn(), "http/1.1");
    EXPECT_EQ(sh.cipher_suite, 0xc02f);
  }
}

TEST(ServerHello, EveryTruncationNeedsMore) {
  const Bytes msg = handshake(2, server_hello_body(0x0303, 0xc02f, {{0xff01, {0}}, alpn_ext("h2")}));
  for (size_t frag : {size_t{16384}, size_t{9}}) {
    const Bytes rec = records(msg, frag);
    for (size_t n = 1; n < rec.size(); ++n) {
      const Bytes prefix(rec.begin(), rec.begin() + static_cast<std::ptrdiff_t>(n));
      ServerHello sh;
      ASSERT_EQ(parse_server_hello(prefix.data(), prefix.size(), sh), ServerHelloStatus::kNeedMore) << n;
    }
  }
  for (size_t n = 0; n < msg.size(); ++n) {
    const Bytes prefix(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(n));
    ServerHello sh;
    ASSERT_EQ(parse_server_hello_message(prefix.data(), prefix.size(), sh), ServerHelloStatus::kNeedMore)
        << n;
  }
}

TEST(ServerHello, NotTlsNotServerHelloMalformed) {
  ServerHello sh;
  const std::string http = "HTTP/1.1 200 OK\r\n\r\n";
  EXPECT_EQ(parse_server_hello(reinterpret_cast<const uint8_t*>(http.data()), http.size(), sh),
            ServerHelloStatus::kNotTls);
  EXPECT_EQ(parse_server_hello(nullptr, 0, sh), ServerHelloStatus::kNeedMore);
  const Bytes alert = records({0x02, 0x28}, 16384, 0x15);
  EXPECT_EQ(parse_server_hello(alert.data(), alert.size(), sh), ServerHelloStatus::kNotServerHello);
  const Bytes ch = records(handshake(1, client_hello_body({0x1301}, {})));
  EXPECT_EQ(parse_server_hello(ch.data(), ch.size(), sh), ServerHelloStatus::kNotServerHello);

  // Session id longer than 32; extension block longer than the message; zero-length message.
  Bytes body = server_hello_body(0x0303, 0x2f, {});
  body[2 + 32] = 33;
  Bytes m = handshake(2, body);
  EXPECT_EQ(parse_server_hello_message(m.data(), m.size(), sh), ServerHelloStatus::kMalformed);
  body = server_hello_body(0x0303, 0x2f, {{0xff01, {0}}});
  body[2 + 32 + 1 + 32 + 3] = 0x40;
  m = handshake(2, body);
  EXPECT_EQ(parse_server_hello_message(m.data(), m.size(), sh), ServerHelloStatus::kMalformed);
  m = handshake(2, {});
  EXPECT_EQ(parse_server_hello_message(m.data(), m.size(), sh), ServerHelloStatus::kMalformed);
  // Handshake length 0xffffff: the record walk rejects it.
  const Bytes huge = records({0x02, 0xff, 0xff, 0xff, 0x03, 0x03});
  EXPECT_EQ(parse_server_hello(huge.data(), huge.size(), sh), ServerHelloStatus::kMalformed);
  // A ServerHello larger than the scratch buffer, split over records.
  const Bytes big = records(handshake(2, server_hello_body(0x0303, 0x2f, {{0x1234, Bytes(5000, 1)}})), 1000);
  EXPECT_EQ(parse_server_hello(big.data(), big.size(), sh), ServerHelloStatus::kMalformed);

  // Inconsistent bodies of known extensions keep the type listed and flag it.
  m = handshake(2, server_hello_body(0x0303, 0x2f, {{0x002b, {0x03}}, {0x0010, {0x00, 0x09, 0x02, 'h'}}}));
  ASSERT_EQ(parse_server_hello_message(m.data(), m.size(), sh), ServerHelloStatus::kOk);
  EXPECT_TRUE(sh.bad_extension_body);
  EXPECT_EQ(sh.extensions.size(), 2u);
  EXPECT_EQ(sh.selected_version, 0x0303);
  EXPECT_EQ(sh.alpn(), "");

  // More extensions than stored: counted, and the JA3S covers the stored ones.
  std::vector<Ext> many;
  for (uint16_t i = 0; i < 40; ++i) many.push_back({static_cast<uint16_t>(0x100 + i), {}});
  m = handshake(2, server_hello_body(0x0303, 0x2f, many));
  ASSERT_EQ(parse_server_hello_message(m.data(), m.size(), sh), ServerHelloStatus::kOk);
  EXPECT_TRUE(sh.extensions.overflow());
  EXPECT_EQ(sh.extensions.total, 40);
}

TEST(ServerHello, RandomMutationsStayBounded) {
  Bytes hs = handshake(
      2, server_hello_body(0x0303, 0xc02f, {{0x002b, {3, 4}}, alpn_ext("h2"), {0x0033, {0, 0x1d}}}));
  append(hs, handshake(11, certificate_body({Bytes(200, 0x30)})));
  const Bytes base = records(hs, 61);
  std::mt19937 rng(4242);
  int ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = base;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    b.resize(rng() % (b.size() + 1));
    ServerHello sh;
    if (parse_server_hello(b.data(), b.size(), sh) == ServerHelloStatus::kOk) {
      ++ok;
      EXPECT_LE(sh.alpn_len, kMaxAlpnNameLen);
      EXPECT_FALSE(ja3s_str(sh).empty());
    }
  }
  EXPECT_GT(ok, 0);
}

}  // namespace
}  // namespace spanwatch::lib
