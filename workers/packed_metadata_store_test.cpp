#include "workers/packed_metadata_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spanwatch::workers {
namespace {

bool same_bytes(const lib::AppMetadata& a, const lib::AppMetadata& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST(ZeroRunCodec, RoundTripsSparseAndDenseBytes) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    uint8_t in[700] = {}, packed[2048], out[700];
    const int density = round % 10;  // 0: all zero ... 9: mostly non-zero
    for (uint8_t& b : in)
      if (int(rng() % 10) < density) b = static_cast<uint8_t>(rng() % 255 + 1);
    const size_t n = pack_zero_runs(in, sizeof in, packed, sizeof packed);
    ASSERT_NE(n, kPackDoesNotFit);
    std::memset(out, 0xAA, sizeof out);
    unpack_zero_runs(packed, n, out, sizeof out);
    EXPECT_EQ(std::memcmp(in, out, sizeof in), 0) << "round " << round;
    // Followed by zeros (a store's slot keeps no length): where the runs end, and the same bytes back.
    const size_t pad = rng() % 64;
    std::memset(packed + n, 0, pad);
    EXPECT_EQ(packed_length(packed, n + pad), n) << "round " << round;
    std::memset(out, 0xAA, sizeof out);
    unpack_zero_runs(packed, n + pad, out, sizeof out);
    EXPECT_EQ(std::memcmp(in, out, sizeof in), 0) << "round " << round;
  }
  uint8_t dense[300], small[64];
  std::memset(dense, 1, sizeof dense);
  EXPECT_EQ(pack_zero_runs(dense, sizeof dense, small, sizeof small), kPackDoesNotFit);
}

// Hex runs (fingerprints) take half their length; mixed text around them, odd lengths, runs longer than
// one 127-character run and uppercase (kept literal) come back unchanged.
TEST(ZeroRunCodec, PacksLowercaseHexRunsTwoDigitsPerByte) {
  uint8_t in[600] = {}, packed[2048], out[600];
  const char* sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";  // 40 digits
  std::memcpy(in + 10, sha1, 40);
  EXPECT_EQ(pack_zero_runs(in, sizeof in, packed, sizeof packed), 2u + 20u);
  unpack_zero_runs(packed, 22, out, sizeof out);
  EXPECT_EQ(std::memcmp(in, out, sizeof in), 0);

  std::mt19937 rng(11);
  const char kChars[] = "0123456789abcdefABCDEF.,_ g";
  for (int round = 0; round < 300; ++round) {
    std::memset(in, 0, sizeof in);
    const int hexish = round % 4;  // 0: mixed text ... 3: nearly all lowercase hex
    for (size_t i = 0; i < sizeof in; ++i) {
      if (rng() % 7 == 0) continue;  // zero
      const size_t pick = int(rng() % 4) < hexish ? rng() % 16 : rng() % (sizeof kChars - 1);
      in[i] = static_cast<uint8_t>(kChars[pick]);
    }
    const size_t n = pack_zero_runs(in, sizeof in, packed, sizeof packed);
    ASSERT_NE(n, kPackDoesNotFit);
    std::memset(out, 0xAA, sizeof out);
    unpack_zero_runs(packed, n, out, sizeof out);
    ASSERT_EQ(std::memcmp(in, out, sizeof in), 0) << "round " << round;
  }
  std::memset(in, 0, sizeof in);
  std::memset(in, 'c', 300);  // 300 digits: hex runs of 63 (4) and 48 (a run never copies from itself)
  EXPECT_EQ(pack_zero_runs(in, sizeof in, packed, sizeof packed), 4u * (2 + 32) + 2 + 24);
  unpack_zero_runs(packed, 4 * (2 + 32) + 2 + 24, out, sizeof out);
  EXPECT_EQ(std::memcmp(in, out, sizeof in), 0);
}

// Bytes seen before are a 4-byte copy: a DNS answer's owner name that is the query name, a repeated
// fingerprint; a copy is never taken from the bytes it covers, nor from a position past 16 bits.
TEST(ZeroRunCodec, RepeatedBytesAreCopies) {
  uint8_t in[1304] = {}, packed[2048], out[1304];
  const std::string_view name = "star.c10r.facebook.com";  // 22 bytes
  std::memcpy(in + 20, name.data(), name.size());
  std::memcpy(in + 250, name.data(), name.size());
  std::memcpy(in + 450, name.data(), name.size());
  // a literal of 22 and two copies of 22 bytes, each after more than 126 zeros (a 2-byte zero count):
  // 2 + 22 + 2 * 5
  EXPECT_EQ(pack_zero_runs(in, sizeof in, packed, sizeof packed), 2u + 22 + 2 * 5);
  std::memset(out, 0xAA, sizeof out);
  unpack_zero_runs(packed, 2 + 22 + 2 * 5, out, sizeof out);
  EXPECT_EQ(std::memcmp(in, out, sizeof in), 0);

  // Inside a literal: "x.example.com" after "example.com" is a literal of 2 and a copy of 11.
  std::memset(in, 0, sizeof in);
  std::memcpy(in + 8, "example.com", 11);
  std::memcpy(in + 100, "x.example.com", 13);
  EXPECT_EQ(pack_zero_runs(in, sizeof in, packed, sizeof packed), 2u + 11 + 2 + 2 + 4);
  unpack_zero_runs(packed, 2 + 11 + 2 + 2 + 4, out, sizeof out);
  EXPECT_EQ(std::memcmp(in, out, sizeof in), 0);

  // A repeated 32-digit fingerprint: hex once (2 + 16), then a copy.
  std::memset(in, 0, sizeof in);
  std::memcpy(in + 40, "e7d705a3286e19ea42f587b344ee6865", 32);
  std::memcpy(in + 80, "e7d705a3286e19ea42f587b344ee6865", 32);
  EXPECT_EQ(pack_zero_runs(in, sizeof in, packed, sizeof packed), 2u + 16 + 4);

  // A copy ends at the first byte that differs (here inside its second 8-byte step): "alpha.example." of
  // "alpha.example.net" is a copy of 14, "net" a short literal (a 1-byte header).
  std::memset(in, 0, sizeof in);
  std::memcpy(in + 8, "alpha.example.org", 17);
  std::memcpy(in + 60, "alpha.example.net", 17);
  EXPECT_EQ(pack_zero_runs(in, sizeof in, packed, sizeof packed), 2u + 17 + 4 + 1 + 3);
  // ... and where its source would reach the copy itself: a word repeated every 6 bytes has sources 6
  // bytes back, too short for a copy inside a literal, so it all stays literal.
  std::memset(in, 0, sizeof in);
  std::memcpy(in + 8, "xyzw1.xyzw1.xyzw1.xyzw1.", 24);
  EXPECT_EQ(pack_zero_runs(in, sizeof in, packed, sizeof packed), 2u + 24);

  // Long repeats (several copies of at most 67 bytes), sources everywhere, mixed with hex and zeros.
  std::mt19937 rng(5);
  for (int round = 0; round < 300; ++round) {
    std::memset(in, 0, sizeof in);
    const char kChars[] = "0123456789abcdef.-ABCxyz,=";
    for (size_t i = 0; i < 200; ++i)
      in[i] = rng() % 6 == 0 ? 0 : uint8_t(kChars[rng() % (sizeof kChars - 1)]);
    for (int k = 0; k < 12; ++k) {  // pieces of what came before, at later positions
      const size_t len = rng() % 150, from = rng() % 200, to = 200 + rng() % (sizeof in - 200 - len);
      std::memmove(in + to, in + from, std::min(len, sizeof in - to));
    }
    const size_t n = pack_zero_runs(in, sizeof in, packed, sizeof packed);
    ASSERT_NE(n, kPackDoesNotFit);
    std::memset(out, 0xAA, sizeof out);
    unpack_zero_runs(packed, n, out, sizeof out);
    ASSERT_EQ(std::memcmp(in, out, sizeof in), 0) << "round " << round;
  }

  // Past 64 KiB no copy is taken (a position has 16 bits), and every byte still comes back.
  std::vector<uint8_t> big(70000, 0), big_out(70000), big_packed(80000);
  for (size_t at = 100; at + 22 < big.size(); at += 997) std::memcpy(&big[at], name.data(), name.size());
  const size_t n = pack_zero_runs(big.data(), big.size(), big_packed.data(), big_packed.size());
  ASSERT_NE(n, kPackDoesNotFit);
  unpack_zero_runs(big_packed.data(), n, big_out.data(), big_out.size());
  EXPECT_EQ(big, big_out);
}

// packed_length() finds the end of every kind of run (literals, hex runs, copies, gaps past 382 zeros)
// before the zeros that follow them.
TEST(ZeroRunCodec, PackedLengthEndsWhereTheRunsDo) {
  std::mt19937 rng(11);
  const std::string words[] = {"example.com", "0123456789abcdef0123", "deadbeefcafe4242", "h2", "x"};
  for (int round = 0; round < 300; ++round) {
    uint8_t in[1304] = {}, packed[2048 + 64], out[1304];
    for (size_t at = rng() % 300; at < sizeof in - 32; at += 1 + rng() % (round % 2 ? 40 : 400)) {
      const std::string& w = words[rng() % std::size(words)];
      std::memcpy(in + at, w.data(), w.size());
      at += w.size();
    }
    const size_t n = pack_zero_runs(in, sizeof in, packed, 2048);
    ASSERT_NE(n, kPackDoesNotFit);
    const size_t pad = rng() % 64;
    std::memset(packed + n, 0, pad);
    ASSERT_EQ(packed_length(packed, n + pad), n) << "round " << round;
    unpack_zero_runs(packed, n + pad, out, sizeof out);
    ASSERT_EQ(std::memcmp(in, out, sizeof in), 0) << "round " << round;
  }
}

// A lone zero between non-zero bytes (the high byte of a small number) stays in the literal (1 byte, not a
// 2-byte run header); two or more end it.
TEST(ZeroRunCodec, ALoneZeroStaysInTheLiteral) {
  uint8_t in[64] = {}, packed[128], out[64];
  const uint8_t fields[] = {1, 1, 0, 1, 3, 0, 3, 3};  // flags, a uint16 0x0003, a uint16 0x0303
  std::memcpy(in + 8, fields, sizeof fields);
  in[30] = 7;
  EXPECT_EQ(pack_zero_runs(in, sizeof in, packed, sizeof packed), 2u + 8 + 2 + 1);
  unpack_zero_runs(packed, 2 + 8 + 2 + 1, out, sizeof out);
  EXPECT_EQ(std::memcmp(in, out, sizeof in), 0);
}

// Whatever the packed bytes (they are ours, but a bug must not become a memory error), unpacking writes
// exactly the `n` bytes it is given.
TEST(ZeroRunCodec, UnpackingAnyBytesStaysInBounds) {
  std::mt19937 rng(13);
  for (int round = 0; round < 2000; ++round) {
    uint8_t packed[300], buf[16 + 400 + 16];
    const size_t len = rng() % sizeof packed, n = rng() % 400;
    for (size_t i = 0; i < len; ++i) packed[i] = uint8_t(rng());
    std::memset(buf, 0xEE, sizeof buf);
    unpack_zero_runs(packed, len, buf + 16, n);
    for (size_t i = 0; i < 16; ++i) ASSERT_EQ(buf[i], 0xEE) << round;
    for (size_t i = 16 + n; i < sizeof buf; ++i) ASSERT_EQ(buf[i], 0xEE) << round;
  }
}

// Each packed metadata takes the smallest class that holds it, whatever its size.
TEST(PackedMetadataStore, EverySizeTakesTheSmallestClassThatHoldsIt) {
  PackedMetadataStore store(512);
  size_t prev = 0;
  for (size_t n = 1; n < sizeof lib::TlsMetadata::sni + sizeof lib::TlsMetadata::client_alpns; n += 3) {
    lib::AppMetadata m;
    m.reset(lib::AppKind::kTls);
    std::memset(m.tls.sni, 's', std::min(n, sizeof m.tls.sni - 1));
    if (n >= sizeof m.tls.sni) std::memset(m.tls.client_alpns, 'h', n - sizeof m.tls.sni + 1);
    const uint32_t h = store.put(m);
    ASSERT_TRUE(PackedMetadataStore::is_packed(h)) << n;
    const size_t used = store.used_bytes(h), slot = PackedMetadataStore::slot_bytes(h);
    EXPECT_LE(used, slot) << n;
    const auto c = size_t(
        std::find(PackedMetadataStore::kSlotBytes.begin(), PackedMetadataStore::kSlotBytes.end(), slot) -
        PackedMetadataStore::kSlotBytes.begin());
    EXPECT_GT(used, c > 0 ? PackedMetadataStore::kSlotBytes[c - 1] : 0) << n;
    EXPECT_GE(slot, prev);
    prev = slot;
    lib::AppMetadata out;
    store.get(h, out);
    EXPECT_TRUE(same_bytes(m, out)) << n;
    store.release(h);
  }
  EXPECT_EQ(prev, 448u);  // sni and alpns nearly full: ~390 bytes of text and headers
}

TEST(PackedMetadataStore, KeepsEveryByteInTheSmallestClass) {
  PackedMetadataStore store(4);
  lib::AppMetadata dns;
  dns.reset(lib::AppKind::kDns);
  lib::set_text(dns.dns.qname, "www.example.com");
  dns.dns.has_query = true;
  dns.dns.qtype = 1;
  const uint32_t h = store.put(dns);
  ASSERT_TRUE(PackedMetadataStore::is_packed(h));
  // kind (1 byte), then runs after at most 7 zeros with at most 15 bytes (a 1-byte header each): flags
  // (1 + 1), qtype (1 + 1), qname (1 + 15); no length (trailing zeros implied): 21 bytes, the 24-byte class.
  EXPECT_EQ(store.used_bytes(h), 21u);
  EXPECT_EQ(PackedMetadataStore::slot_bytes(h), 24u);
  EXPECT_EQ(store.in_use(0), 1u);
  lib::AppMetadata out;
  std::memset(static_cast<void*>(&out), 0x5A, sizeof out);
  store.get(h, out);
  EXPECT_TRUE(same_bytes(dns, out));

  lib::AppMetadata tls;
  tls.reset(lib::AppKind::kTls);
  lib::set_text(tls.tls.sni, "example.org");
  // alpns, JA4 and the JA3 digest, up to the certificate fields: ~200 bytes, the 208-byte class (no
  // ClientHello: no shared client fingerprint).
  std::memset(tls.tls.client_alpns, 'x',
              offsetof(lib::TlsMetadata, subject) - offsetof(lib::TlsMetadata, client_alpns));
  const uint32_t h2 = store.put(tls);
  ASSERT_TRUE(PackedMetadataStore::is_packed(h2));
  EXPECT_EQ(PackedMetadataStore::slot_bytes(h2), 208u);
  EXPECT_EQ(store.certificate_of(h2), PackedMetadataStore::kNoSlot);  // no certificate fields
  EXPECT_EQ(store.client_of(h2), PackedMetadataStore::kNoSlot);
  store.get(h2, out);
  EXPECT_TRUE(same_bytes(tls, out));
  store.release(h);
  store.release(h2);
  for (size_t c = 0; c < PackedMetadataStore::kClasses; ++c) EXPECT_EQ(store.in_use(c), 0u);

  lib::AppMetadata dense;
  std::memset(static_cast<void*>(&dense), 'w', sizeof dense);
  dense.kind = lib::AppKind::kDns;
  EXPECT_EQ(store.put(dense), PackedMetadataStore::kNoSlot);  // over 1 kB: stays unpacked
  EXPECT_FALSE(PackedMetadataStore::is_packed(3));            // a metadata slot number
}

// A DNS answer's A/AAAA data is the text of the address resolved_ips keeps: packed without it and rendered
// again by get(), so every byte comes back. A text that is not IpAddress::format()'s (another spelling, an
// answer whose address is not the one in resolved_ips) stays in the packed bytes; a malformed address
// answer (empty data, no address kept) does not shift the answers after it.
TEST(PackedMetadataStore, DnsAddressAnswersArePackedWithoutTheirText) {
  PackedMetadataStore store(8);
  const uint8_t v4[4] = {93, 184, 216, 34}, v4b[4] = {10, 0, 0, 1};
  const uint8_t v6[16] = {0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01,
                          0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46};
  const uint8_t v6b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  auto answer = [](lib::DnsAnswerRecord& a, uint16_t type, const char* name, const char* data) {
    a.type = type;
    a.ttl = 300;
    lib::set_text(a.name, name);
    lib::set_text(a.data, data);
  };
  auto response = [&] {
    lib::AppMetadata m;
    m.reset(lib::AppKind::kDns);
    m.dns.has_query = m.dns.has_response = true;
    m.dns.qtype = 28;
    lib::set_text(m.dns.qname, "www.example.com");
    m.dns.answer_count = 4;
    m.dns.answer_total = 5;
    answer(m.dns.answers[0], 5, "www.example.com", "edge.example.net");  // CNAME: no address
    answer(m.dns.answers[1], 1, "edge.example.net", "93.184.216.34");
    answer(m.dns.answers[2], 28, "edge.example.net", "2606:2800:220:1:248:1893:25c8:1946");
    answer(m.dns.answers[3], 28, "edge.example.net", "2001:DB8::1");  // not format()'s spelling
    m.dns.resolved_ip_count = 4;
    m.dns.resolved_ips[0] = lib::IpAddress::from_v4(v4);
    m.dns.resolved_ips[1] = lib::IpAddress::from_v6(v6);
    m.dns.resolved_ips[2] = lib::IpAddress::from_v6(v6b);
    m.dns.resolved_ips[3] = lib::IpAddress::from_v4(v4b);  // a fifth answer's, past the four kept
    return m;
  };
  const lib::AppMetadata m = response();
  const uint32_t h = store.put(m);
  ASSERT_TRUE(PackedMetadataStore::is_packed(h));
  lib::AppMetadata out;
  std::memset(static_cast<void*>(&out), 0x5A, sizeof out);
  store.get(h, out);
  EXPECT_TRUE(same_bytes(m, out));
  EXPECT_STREQ(out.dns.answers[2].data, "2606:2800:220:1:248:1893:25c8:1946");
  EXPECT_EQ(out.dns.answers[1].data_is_address, 0u);

  // The same answers whose addresses differ from resolved_ips keep their texts: 13 + 34 bytes more.
  lib::AppMetadata other = m;
  std::swap(other.dns.resolved_ips[0], other.dns.resolved_ips[1]);
  const uint32_t h2 = store.put(other);
  ASSERT_TRUE(PackedMetadataStore::is_packed(h2));
  EXPECT_GE(store.used_bytes(h2), store.used_bytes(h) + 13 + 34);
  store.get(h2, out);
  EXPECT_TRUE(same_bytes(other, out));

  // A malformed A answer (empty data, no address) before a good one: the good one's address is the first.
  lib::AppMetadata bad = m;
  bad.dns.answers[1] = bad.dns.answers[2] = {};
  answer(bad.dns.answers[1], 1, "edge.example.net", "");
  answer(bad.dns.answers[2], 1, "edge.example.net", "10.0.0.1");
  bad.dns.resolved_ip_count = 1;
  bad.dns.resolved_ips = {};
  bad.dns.resolved_ips[0] = lib::IpAddress::from_v4(v4b);
  const uint32_t h3 = store.put(bad);
  ASSERT_TRUE(PackedMetadataStore::is_packed(h3));
  store.get(h3, out);
  EXPECT_TRUE(same_bytes(bad, out));
  EXPECT_STREQ(out.dns.answers[2].data, "10.0.0.1");
  EXPECT_LT(store.used_bytes(h3), store.used_bytes(h2));

  // Bytes after the text's end (never from the parser, which fills zeroed metadata): the text stays.
  lib::AppMetadata tail = m;
  tail.dns.answers[1].data[40] = 'x';
  const uint32_t h4 = store.put(tail);
  ASSERT_TRUE(PackedMetadataStore::is_packed(h4));
  store.get(h4, out);
  EXPECT_TRUE(same_bytes(tail, out));
  store.release(h4);
  store.release(h);
  store.release(h2);
  store.release(h3);
}

// Flows to the same server repeat its certificate: its fields are packed once and shared, counted by
// reference, and every flow still gets back every byte of its own metadata.
TEST(PackedMetadataStore, SharesIdenticalCertificateFields) {
  PackedMetadataStore store(16);
  auto flow = [](std::string_view sni, std::string_view subject) {
    lib::AppMetadata m;
    m.reset(lib::AppKind::kTls);
    m.tls.has_client_hello = m.tls.has_certificate = true;
    lib::set_text(m.tls.sni, sni);
    m.tls.ja3 = {0xe7, 0xd7, 0x05, 0xa3, 0x28, 0x6e, 0x19, 0xea,
                 0x42, 0xf5, 0x87, 0xb3, 0x44, 0xee, 0x68, 0x65};
    lib::set_text(m.tls.subject, subject);
    lib::set_text(m.tls.issuer, "CN=Example Issuing CA 1, O=Example Trust, C=US");
    lib::set_text(m.tls.san, "example.org,www.example.org,mail.example.org,api.example.org");
    lib::set_text(m.tls.serial, "0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    m.tls.cert_sha1 = {0xda, 0x39, 0xa3, 0xee, 0x5e, 0x6b, 0x4b, 0x0d, 0x32, 0x55,
                       0xbf, 0xef, 0x95, 0x60, 0x18, 0x90, 0xaf, 0xd8, 0x07, 0x09};
    m.tls.not_before = 1700000000;
    m.tls.not_after = 1731536000;
    return m;
  };
  const lib::AppMetadata a = flow("example.org", "CN=example.org"),
                         b = flow("www.example.org", "CN=example.org");
  const lib::AppMetadata other = flow("example.org", "CN=other.example.org");
  const uint32_t ha = store.put(a), hb = store.put(b), ho = store.put(other);
  ASSERT_TRUE(PackedMetadataStore::is_packed(ha) && PackedMetadataStore::is_packed(hb) &&
              PackedMetadataStore::is_packed(ho));
  ASSERT_NE(store.certificate_of(ha), PackedMetadataStore::kNoSlot);
  EXPECT_EQ(store.certificate_of(ha), store.certificate_of(hb));  // one blob for both
  EXPECT_NE(store.certificate_of(ho), store.certificate_of(ha));  // another subject: another blob
  EXPECT_EQ(store.shared_blobs(), 2u);
  EXPECT_LE(PackedMetadataStore::slot_bytes(ha), 64u);  // sni, ja3 and the blob's handle
  for (const auto& [h, m] : {std::pair{ha, a}, std::pair{hb, b}, std::pair{ho, other}}) {
    lib::AppMetadata out;
    std::memset(static_cast<void*>(&out), 0x5A, sizeof out);
    store.get(h, out);
    EXPECT_TRUE(same_bytes(m, out));
  }
  store.release(ha);
  EXPECT_EQ(store.shared_blobs(), 2u);  // b still refers to it
  lib::AppMetadata out;
  store.get(hb, out);
  EXPECT_TRUE(same_bytes(b, out));
  store.release(hb);
  store.release(ho);
  EXPECT_EQ(store.shared_blobs(), 0u);
  EXPECT_EQ(store.shared_bytes(), 0u);
  for (size_t c = 0; c < PackedMetadataStore::kClasses; ++c) EXPECT_EQ(store.in_use(c), 0u);
}

// Flows of the same client software repeat its ClientHello's ALPNs, JA4 and JA3: packed once and shared
// (beside a shared certificate or not), counted by reference, every flow getting back every byte.
TEST(PackedMetadataStore, SharesIdenticalClientFingerprints) {
  PackedMetadataStore store(16);
  auto flow = [](std::string_view sni, std::string_view ja4, bool certificate) {
    lib::AppMetadata m;
    m.reset(lib::AppKind::kTls);
    m.tls.has_client_hello = m.tls.has_server_hello = true;
    m.tls.version = 0x0304;
    lib::set_text(m.tls.sni, sni);
    lib::set_text(m.tls.alpn, "h2");
    lib::set_text(m.tls.client_alpns, "h2,http/1.1");
    lib::set_text(m.tls.ja4, ja4);
    m.tls.ja3 = {0xe7, 0xd7, 0x05, 0xa3, 0x28, 0x6e, 0x19, 0xea,
                 0x42, 0xf5, 0x87, 0xb3, 0x44, 0xee, 0x68, 0x65};
    m.tls.ja3s = {0x15, 0xaf, 0x97, 0x7c, 0xe2, 0x5d, 0xe4, 0x52,
                  0xb9, 0x6a, 0xff, 0xa2, 0xad, 0xdb, 0x4b, 0x5c};
    if (certificate) {
      m.tls.has_certificate = true;
      lib::set_text(m.tls.subject, "CN=example.org");
      m.tls.not_after = 1731536000;
    }
    return m;
  };
  constexpr std::string_view kFirefox = "t13d1715h2_5b57614c22b0_3d5424432f57",
                             kCurl = "t13d3112h2_e8f1e7e78f70_375f3d0c5d4e";
  const lib::AppMetadata a = flow("example.org", kFirefox, false), b = flow("example.net", kFirefox, true),
                         other = flow("example.org", kCurl, false);
  const uint32_t ha = store.put(a), hb = store.put(b), ho = store.put(other);
  ASSERT_TRUE(PackedMetadataStore::is_packed(ha) && PackedMetadataStore::is_packed(hb) &&
              PackedMetadataStore::is_packed(ho));
  ASSERT_NE(store.client_of(ha), PackedMetadataStore::kNoSlot);
  EXPECT_EQ(store.client_of(ha), store.client_of(hb));  // one blob for both
  EXPECT_NE(store.client_of(ho), store.client_of(ha));  // another JA4: another blob
  EXPECT_EQ(store.certificate_of(ha), PackedMetadataStore::kNoSlot);
  EXPECT_NE(store.certificate_of(hb), PackedMetadataStore::kNoSlot);
  EXPECT_EQ(store.client_blobs(), 2u);
  EXPECT_EQ(store.shared_blobs(), 1u);
  // The kind byte, the blob's handle, then the flags, version, JA3S, ALPN and SNI.
  EXPECT_LE(store.used_bytes(ha), 48u);
  for (const auto& [h, m] : {std::pair{ha, a}, std::pair{hb, b}, std::pair{ho, other}}) {
    lib::AppMetadata out;
    std::memset(static_cast<void*>(&out), 0x5A, sizeof out);
    store.get(h, out);
    EXPECT_TRUE(same_bytes(m, out));
    EXPECT_EQ(store.kind(h), lib::AppKind::kTls);
  }
  // Certificate fields without a certificate blob stay with the flow's own bytes, and so does the
  // fingerprint, which packed form puts just before them.
  lib::AppMetadata odd = flow("example.org", kFirefox, false);
  lib::set_text(odd.tls.subject, "CN=example.org");
  const uint32_t hodd = store.put(odd);
  ASSERT_TRUE(PackedMetadataStore::is_packed(hodd));
  EXPECT_EQ(store.client_of(hodd), PackedMetadataStore::kNoSlot);
  EXPECT_EQ(store.client_blobs(), 2u);
  lib::AppMetadata odd_out;
  store.get(hodd, odd_out);
  EXPECT_TRUE(same_bytes(odd, odd_out));
  store.release(hodd);
  store.release(ha);
  EXPECT_EQ(store.client_blobs(), 2u);  // b still refers to it
  lib::AppMetadata out;
  store.get(hb, out);
  EXPECT_TRUE(same_bytes(b, out));
  store.release(hb);
  store.release(ho);
  EXPECT_EQ(store.client_blobs(), 0u);
  EXPECT_EQ(store.client_bytes(), 0u);
  EXPECT_EQ(store.shared_blobs(), 0u);
  for (size_t c = 0; c < PackedMetadataStore::kClasses; ++c) EXPECT_EQ(store.in_use(c), 0u);
}

// The index of shared blobs under churn: counts and removals (backward shift) keep every blob findable.
TEST(SharedBlobIndex, CountsAndRemovalsKeepEveryBlobFindable) {
  SharedBlobIndex index(64);
  std::mt19937 rng(3);
  std::vector<std::pair<uint64_t, uint32_t>> live;  // (hash, handle), handle counted once per entry
  std::map<uint32_t, uint64_t> hash_of;             // handle -> its hash (for the blobs a release shifts)
  const auto rehash = [&](uint32_t handle) { return hash_of.at(handle); };
  uint32_t next = 1;
  for (int step = 0; step < 5000; ++step) {
    if (live.size() < 60 && (live.empty() || rng() % 2 == 0)) {
      // Few hashes: long probe runs, collisions, hashes that differ in their high 32 bits only, and in the
      // top bits (the tag) only.
      const uint64_t hash = uint64_t{rng() % 2} << 62 | uint64_t{rng() % 3} << 32 | rng() % 16;
      if (rng() % 3 == 0 && !live.empty()) {
        const auto [h, handle] = live[rng() % live.size()];
        ASSERT_EQ(index.acquire_existing(h, [&](uint32_t x) { return x == handle; }), handle);
        live.emplace_back(h, handle);
      } else {
        EXPECT_EQ(index.acquire_existing(hash, [&](uint32_t x) { return x == next; }),
                  SharedBlobIndex::kNone);
        index.add(hash, next);
        hash_of[next] = hash;
        live.emplace_back(hash, next++);
      }
    } else {
      const size_t k = rng() % live.size();
      const auto [h, handle] = live[k];
      live.erase(live.begin() + long(k));
      const bool last =
          std::none_of(live.begin(), live.end(), [&](const auto& e) { return e.second == handle; });
      EXPECT_EQ(index.release(h, handle, rehash), last);
    }
    for (const auto& [h, handle] : live) {  // each live blob is found (and put back)
      ASSERT_EQ(index.acquire_existing(h, [&](uint32_t x) { return x == handle; }), handle) << step;
      index.release(h, handle, rehash);
    }
  }
}

}  // namespace
}  // namespace spanwatch::workers
