// Tests for CRYPTO stream reassembly: order, overlap, capacity, the range limit, and a randomised check
// against a byte-by-byte reference.
#include "lib/quic/quic_crypto_stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

namespace spanwatch::lib {
namespace {

std::vector<uint8_t> pattern(size_t n, uint8_t seed = 0) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + seed);
  return v;
}

TEST(QuicCryptoStream, InOrderAndOutOfOrder) {
  std::vector<uint8_t> buf(64);
  QuicCryptoStream s(buf.data(), static_cast<uint32_t>(buf.size()));
  const auto src = pattern(40);
  EXPECT_EQ(s.contiguous(), 0u);
  EXPECT_EQ(s.first_message_type(), -1);
  s.add(20, src.data() + 20, 20);
  EXPECT_EQ(s.contiguous(), 0u);
  EXPECT_EQ(s.range_count(), 1u);
  s.add(0, src.data(), 10);
  EXPECT_EQ(s.contiguous(), 10u);
  EXPECT_EQ(s.range_count(), 2u);
  s.add(10, src.data() + 10, 10);  // fills the hole exactly: the three ranges merge
  EXPECT_EQ(s.contiguous(), 40u);
  EXPECT_EQ(s.range_count(), 1u);
  EXPECT_TRUE(std::equal(src.begin(), src.end(), s.data()));
}

TEST(QuicCryptoStream, OverlapKeepsFirstBytes) {
  std::vector<uint8_t> buf(64);
  QuicCryptoStream s(buf.data(), static_cast<uint32_t>(buf.size()));
  const auto a = pattern(20, 1), b = pattern(30, 100);
  s.add(0, a.data(), 10);
  s.add(20, a.data() + 10, 5);
  s.add(5, b.data(), 30);  // covers [5, 35): only the holes [10, 20) and [25, 35) take b's bytes
  EXPECT_EQ(s.contiguous(), 35u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(buf[i], a[i]);
  for (size_t i = 10; i < 20; ++i) EXPECT_EQ(buf[i], b[i - 5]);
  for (size_t i = 20; i < 25; ++i) EXPECT_EQ(buf[i], a[i - 10]);
  for (size_t i = 25; i < 35; ++i) EXPECT_EQ(buf[i], b[i - 5]);
  s.add(0, b.data(), 30);  // a full retransmission changes nothing
  EXPECT_EQ(s.contiguous(), 35u);
  EXPECT_EQ(buf[0], a[0]);
  s.add(3, b.data(), 0);  // empty frames are fine
  EXPECT_EQ(s.range_count(), 1u);
}

TEST(QuicCryptoStream, CapacityAndUnbound) {
  std::vector<uint8_t> buf(16, 0xee);
  std::vector<uint8_t> guard(16, 0xee);
  QuicCryptoStream s(buf.data(), 16);
  const auto src = pattern(64);
  s.add(10, src.data() + 10, 20);  // [10, 30): 14 bytes past the end dropped
  EXPECT_EQ(s.bytes_dropped(), 14u);
  s.add(16, src.data(), 8);  // starts at capacity
  s.add(UINT64_C(1) << 61, src.data(), 8);
  EXPECT_EQ(s.bytes_dropped(), 30u);
  s.add(0, src.data(), 10);
  EXPECT_EQ(s.contiguous(), 16u);
  EXPECT_TRUE(std::equal(src.begin(), src.begin() + 16, buf.begin()));

  QuicCryptoStream unbound;
  unbound.add(0, src.data(), 5);
  EXPECT_EQ(unbound.contiguous(), 0u);
  EXPECT_EQ(unbound.bytes_dropped(), 5u);
  unbound.bind(guard.data(), 8);
  unbound.add(0, src.data(), 8);
  EXPECT_EQ(unbound.contiguous(), 8u);
  EXPECT_EQ(unbound.bytes_dropped(), 0u);
  EXPECT_EQ(guard[8], 0xee);
  unbound.reset();
  EXPECT_EQ(unbound.contiguous(), 0u);
}

TEST(QuicCryptoStream, RangeListFull) {
  std::vector<uint8_t> buf(256);
  QuicCryptoStream s(buf.data(), 256);
  const auto src = pattern(256);
  for (size_t i = 0; i < kQuicCryptoMaxRanges; ++i) s.add(1 + 4 * i, src.data() + 1 + 4 * i, 2);
  EXPECT_EQ(s.range_count(), kQuicCryptoMaxRanges);
  s.add(200, src.data() + 200, 4);  // needs a 17th range: dropped
  EXPECT_EQ(s.frames_dropped(), 1u);
  EXPECT_EQ(s.bytes_dropped(), 4u);
  s.add(3, src.data() + 3, 2);  // [3, 5) bridges [1, 3) and [5, 7): accepted, two ranges become one
  EXPECT_EQ(s.range_count(), kQuicCryptoMaxRanges - 1);
  s.add(0, src.data(), 256);  // everything: one range
  EXPECT_EQ(s.range_count(), 1u);
  EXPECT_EQ(s.contiguous(), 256u);
  EXPECT_TRUE(std::equal(src.begin(), src.end(), buf.begin()));
}

TEST(QuicCryptoStream, FirstMessageComplete) {
  std::vector<uint8_t> buf(64);
  QuicCryptoStream s(buf.data(), 64);
  const uint8_t hdr[4] = {0x01, 0x00, 0x00, 0x06};
  const uint8_t body[6] = {1, 2, 3, 4, 5, 6};
  s.add(0, hdr, 4);
  EXPECT_FALSE(s.first_message_complete());
  EXPECT_EQ(s.first_message_type(), 1);
  s.add(4, body, 5);
  EXPECT_FALSE(s.first_message_complete());
  s.add(9, body + 5, 1);
  EXPECT_TRUE(s.first_message_complete());
  const uint8_t huge[4] = {0x02, 0xff, 0xff, 0xff};  // longer than any buffer: never complete
  QuicCryptoStream t(buf.data(), 64);
  t.add(0, huge, 4);
  EXPECT_FALSE(t.first_message_complete());
}

// Random fragments (overlapping, repeated, out of order, some past capacity) against a reference model.
TEST(QuicCryptoStream, RandomisedAgainstReference) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    const uint32_t cap = 1 + rng() % 300;
    const size_t total = 1 + rng() % 400;
    const auto src = pattern(total, static_cast<uint8_t>(round));
    std::vector<uint8_t> buf(cap, 0);
    QuicCryptoStream s(buf.data(), cap);
    std::vector<bool> have(cap, false);
    const int frames = 1 + static_cast<int>(rng() % 40);
    for (int f = 0; f < frames; ++f) {
      const size_t off = rng() % total;
      const size_t len = rng() % (total - off + 1);
      const size_t before = s.range_count();
      const uint32_t dropped_before = s.frames_dropped();
      s.add(off, src.data() + off, len);
      if (s.frames_dropped() != dropped_before) {
        EXPECT_EQ(before, kQuicCryptoMaxRanges);
        continue;
      }
      for (size_t i = off; i < off + len && i < cap; ++i) have[i] = true;
      ASSERT_LE(s.range_count(), kQuicCryptoMaxRanges);
    }
    uint32_t want = 0;
    while (want < cap && have[want]) ++want;
    ASSERT_EQ(s.contiguous(), want) << "round " << round;
    for (size_t i = 0; i < cap; ++i) {
      if (have[i]) {
        ASSERT_EQ(buf[i], src[i]) << "round " << round << " byte " << i;
      }
    }
  }
}

}  // namespace
}  // namespace spanwatch::lib
