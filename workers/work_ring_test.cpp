// The work ring's items travel as three 8-byte elements: whole items only, in order, also when the ring is
// nearly full (a live port drops what does not fit). rte_ring_init on our own memory needs no EAL.
#include "workers/work_ring.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "workers/work_ring_test_util.hpp"

namespace spanwatch::workers {
namespace {

test::TestRing make_ring(unsigned items) {
  return test::make_work_ring(items, "work_ring_test");
}

WorkItem item(unsigned i) {
  WorkItem it{};
  it.mbuf = reinterpret_cast<rte_mbuf*>(uintptr_t{0x1000} + i);
  it.ts_ns = 1'000'000'000ull + i;
  it.frame_len = 60 + i;
  it.layers = uint8_t(i);
  it.summary = uint8_t(i & 1);
  it.flags = WorkItem::kHasTs;
  return it;
}

TEST(WorkRing, WholeItemsInOrderAndOnlyWhatFits) {
  const auto ring = make_ring(50);
  ASSERT_NE(ring, nullptr);
  std::vector<WorkItem> in;
  for (unsigned i = 0; i < 64; ++i) in.push_back(item(i));
  unsigned next_in = 0, next_out = 0;
  // 20 + 20 fit, then 10 of the next 20: the ring holds 50 items.
  for (unsigned want : {20u, 20u}) {
    EXPECT_EQ(enqueue_work_items(ring.get(), in.data() + next_in, want), want);
    next_in += want;
  }
  EXPECT_EQ(enqueue_work_items(ring.get(), in.data() + next_in, 20), 10u);
  next_in += 10;
  EXPECT_EQ(work_items_in(ring.get()), 50u);
  EXPECT_EQ(enqueue_work_items(ring.get(), in.data() + next_in, 1), 0u);
  // Bursts of at most 32 items, each a whole number of items, in order.
  std::array<WorkItem, 32> out{};
  for (unsigned want : {32u, 18u, 0u}) {
    ASSERT_EQ(dequeue_work_items(ring.get(), out.data(), 32), want);
    for (unsigned k = 0; k < want; ++k, ++next_out)
      ASSERT_EQ(std::memcmp(&out[k], &in[next_out], sizeof(WorkItem)), 0) << "item " << next_out;
  }
  EXPECT_EQ(work_items_in(ring.get()), 0u);
  // Around the ring's end: items keep whole across the wrap.
  for (unsigned round = 0; round < 20; ++round) {
    const unsigned n = 7 + round % 5;
    for (unsigned k = 0; k < n; ++k) in[k] = item(100 + round * 16 + k);
    ASSERT_EQ(enqueue_work_items(ring.get(), in.data(), n), n);
    ASSERT_EQ(dequeue_work_items(ring.get(), out.data(), 32), n);
    for (unsigned k = 0; k < n; ++k) ASSERT_EQ(std::memcmp(&out[k], &in[k], sizeof(WorkItem)), 0);
  }
}

}  // namespace
}  // namespace spanwatch::workers
