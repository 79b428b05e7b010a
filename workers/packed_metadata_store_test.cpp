#include "workers/packed_metadata_store.hpp"

#include <gtest/gtest.h>

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

TEST(PackedMetadataStore, KeepsEveryByteInTheSmallestClass) {
  PackedMetadataStore store(4);
  lib::AppMetadata dns;
  dns.reset(lib::AppKind::kDns);
  lib::set_text(dns.dns.qname, "www.example.com");
  dns.dns.has_query = true;
  dns.dns.qtype = 1;
  const uint32_t h = store.put(dns);
  ASSERT_TRUE(PackedMetadataStore::is_packed(h));
  EXPECT_EQ(PackedMetadataStore::slot_bytes(h), 48u);  // the smallest class
  EXPECT_EQ(store.in_use(0), 1u);
  lib::AppMetadata out;
  std::memset(static_cast<void*>(&out), 0x5A, sizeof out);
  store.get(h, out);
  EXPECT_TRUE(same_bytes(dns, out));

  lib::AppMetadata tls;
  tls.reset(lib::AppKind::kTls);
  std::memset(tls.tls.san, 'x', 300);  // ~300 bytes: the 512-byte class
  const uint32_t h2 = store.put(tls);
  ASSERT_TRUE(PackedMetadataStore::is_packed(h2));
  EXPECT_EQ(PackedMetadataStore::slot_bytes(h2), 384u);
  store.get(h2, out);
  EXPECT_TRUE(same_bytes(tls, out));
  store.release(h);
  store.release(h2);
  for (size_t c = 0; c < PackedMetadataStore::kClasses; ++c) EXPECT_EQ(store.in_use(c), 0u);

  std::memset(tls.tls.subject, 'y', sizeof tls.tls.subject - 1);
  std::memset(tls.tls.issuer, 'z', sizeof tls.tls.issuer - 1);
  EXPECT_EQ(store.put(tls), PackedMetadataStore::kNoSlot);  // too big: stays unpacked
  EXPECT_FALSE(PackedMetadataStore::is_packed(3));          // a metadata slot number
}

}  // namespace
}  // namespace spanwatch::workers
