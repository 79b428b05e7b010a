#include "workers/packed_metadata_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

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
  std::memset(in, 'c', 300);  // 300 digits: three hex runs (127, 127, 46)
  EXPECT_EQ(pack_zero_runs(in, sizeof in, packed, sizeof packed), 3u * 2 + 64 + 64 + 23);
  unpack_zero_runs(packed, 3 * 2 + 64 + 64 + 23, out, sizeof out);
  EXPECT_EQ(std::memcmp(in, out, sizeof in), 0);
}

// Each packed metadata takes the smallest class that holds it (length header included), whatever its size.
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
  EXPECT_EQ(prev, 416u);  // sni and alpns nearly full: ~390 bytes of text and headers
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
  // kind (2 + 1 bytes), flags (2 + 1), qname (2 + 15), qtype (2 + 1), length 2 (trailing zeros implied).
  EXPECT_EQ(PackedMetadataStore::slot_bytes(h), 32u);  // the smallest class
  EXPECT_EQ(store.in_use(0), 1u);
  lib::AppMetadata out;
  std::memset(static_cast<void*>(&out), 0x5A, sizeof out);
  store.get(h, out);
  EXPECT_TRUE(same_bytes(dns, out));

  lib::AppMetadata tls;
  tls.reset(lib::AppKind::kTls);
  std::memset(tls.tls.san, 'x', 300);  // ~310 bytes: the 320-byte class
  const uint32_t h2 = store.put(tls);
  ASSERT_TRUE(PackedMetadataStore::is_packed(h2));
  EXPECT_EQ(PackedMetadataStore::slot_bytes(h2), 320u);
  store.get(h2, out);
  EXPECT_TRUE(same_bytes(tls, out));
  store.release(h);
  store.release(h2);
  for (size_t c = 0; c < PackedMetadataStore::kClasses; ++c) EXPECT_EQ(store.in_use(c), 0u);

  std::memset(tls.tls.sni, 'w', sizeof tls.tls.sni - 1);
  std::memset(tls.tls.client_alpns, 'v', sizeof tls.tls.client_alpns - 1);
  std::memset(tls.tls.subject, 'y', sizeof tls.tls.subject - 1);
  std::memset(tls.tls.issuer, 'z', sizeof tls.tls.issuer - 1);
  EXPECT_EQ(store.put(tls), PackedMetadataStore::kNoSlot);  // over 1 kB: stays unpacked
  EXPECT_FALSE(PackedMetadataStore::is_packed(3));          // a metadata slot number
}

}  // namespace
}  // namespace spanwatch::workers
