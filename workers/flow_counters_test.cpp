#include "workers/flow_counters.hpp"

#include <gtest/gtest.h>

namespace spanwatch::workers {
namespace {

uint64_t full(const DirCounters& lo, const FlowWideCounters& w, unsigned dir, CounterId c) {
  const uint32_t low[kCounterCount] = {lo.packets, lo.frame_bytes, lo.ip_bytes, lo.payload_bytes};
  return widen(low[c], w.high[dir][c]);
}

TEST(DirCounters, NoCarryBelowTwoToThe32) {
  DirCounters c;
  EXPECT_FALSE(c.add(1514, 1500, 1460));
  EXPECT_EQ(c.packets, 1u);
  EXPECT_EQ(c.frame_bytes, 1514u);
  EXPECT_EQ(c.ip_bytes, 1500u);
  EXPECT_EQ(c.payload_bytes, 1460u);
}

TEST(DirCounters, EachCounterReportsItsOwnCarry) {
  DirCounters c;
  c.packets = UINT32_MAX;
  c.frame_bytes = UINT32_MAX - 99;
  c.ip_bytes = UINT32_MAX - 100;  // + 100 reaches UINT32_MAX exactly: no carry
  c.payload_bytes = 5;
  EXPECT_TRUE(c.add(100, 100, 100));
  EXPECT_EQ(c.carries(100, 100, 100), (1u << kPackets) | (1u << kFrameBytes));
  EXPECT_EQ(c.packets, 0u);
  EXPECT_EQ(c.frame_bytes, 0u);
  EXPECT_EQ(c.ip_bytes, UINT32_MAX);
  EXPECT_EQ(c.payload_bytes, 105u);
}

// A flow that lives long: the sum of the low word and the carried high word is exact far past 2^32
// (here past 2^36), in the direction that carried only.
TEST(FlowWideCounters, LowAndHighWordsSumExactlyPastTwoToThe32) {
  DirCounters c;
  FlowWideCounters w;
  constexpr uint32_t kFrame = 4'000'000'000u, kIp = 3'999'999'980u, kPayload = 1'234'567'891u;
  constexpr uint64_t kN = 20;
  for (uint64_t i = 0; i < kN; ++i)
    if (c.add(kFrame, kIp, kPayload)) w.add_carries(1, c.carries(kFrame, kIp, kPayload));
  EXPECT_EQ(full(c, w, 1, CounterId::kPackets), kN);
  EXPECT_EQ(full(c, w, 1, CounterId::kFrameBytes), kN * kFrame);
  EXPECT_EQ(full(c, w, 1, CounterId::kIpBytes), kN * kIp);
  EXPECT_EQ(full(c, w, 1, CounterId::kPayloadBytes), kN * kPayload);
  EXPECT_EQ(w.high[0], (std::array<uint32_t, kCounterCount>{}));
}

TEST(FlowWideCounters, PacketCountCarriesIntoTheHighWord) {
  DirCounters c;
  FlowWideCounters w;
  c.packets = UINT32_MAX - 1;
  w.high[0][kPackets] = 7;  // already carried 7 times
  for (int i = 0; i < 3; ++i)
    if (c.add(60, 46, 0)) w.add_carries(0, c.carries(60, 46, 0));
  EXPECT_EQ(full(c, w, 0, CounterId::kPackets), (uint64_t{8} << 32) + 1);
  EXPECT_EQ(full(c, w, 0, CounterId::kFrameBytes), 180u);
}

}  // namespace
}  // namespace spanwatch::workers
