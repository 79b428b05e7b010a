// The summary slots beside a work ring: the RX lcore writes an item's summary before it enqueues the item
// (and may then wait, or drop what does not fit), the worker reads the summaries of a dequeued burst until
// it dequeues again. A random interleaving of both, on a real rte_ring (rte_ring_init on our own memory, no
// EAL): every summary the worker reads is its item's, up to the end of the item's burst.
#include "workers/summary_slots.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "workers/work_ring.hpp"
#include "workers/work_ring_test_util.hpp"

namespace spanwatch::workers {
namespace {

test::TestRing make_ring(unsigned items) {
  return test::make_work_ring(items, "summary_slots_test");
}

// Runs the RX lcore's and the worker's side of one ring of `ring_items` items with `slots` in a random
// interleaving: the RX lcore writes a batch of up to kMaxHandoverBurst summaries (each tagged with its
// item's number, which the item carries too) and enqueues the batch, waiting (`drop` false) or dropping
// what does not fit; the worker dequeues bursts of up to kMaxHandoverBurst and checks each item's summary
// when it is done with the burst. Returns the summaries found overwritten; `delivered` counts the items.
unsigned run(unsigned ring_items, SummarySlots& slots, bool drop, uint32_t seed, unsigned& delivered) {
  const auto ring = make_ring(ring_items);
  if (ring == nullptr) return ~0u;
  std::mt19937 rng(seed);
  uint64_t next_item = 0;
  uint32_t out_slot = 0, in_slot = 0;
  std::vector<WorkItem> batch;  // written, not yet (all) enqueued: the RX lcore waits with it
  std::vector<WorkItem> burst(kMaxHandoverBurst);
  unsigned n_burst = 0;
  uint32_t burst_slot = 0;
  unsigned overwritten = 0;
  delivered = 0;
  for (unsigned step = 0; step < 200'000; ++step) {
    if (rng() % 2 == 0) {  // the RX lcore
      if (batch.empty()) {
        const unsigned n = 1 + rng() % kMaxHandoverBurst;
        for (unsigned k = 0; k < n; ++k) {
          WorkItem it{};
          it.ts_ns = next_item++;
          it.summary = 1;
          slots[slots.next(out_slot, k)].hash = it.ts_ns;
          batch.push_back(it);
        }
      }
      const unsigned done = enqueue_work_items(ring.get(), batch.data(), unsigned(batch.size()));
      if (done == batch.size() || drop) {
        out_slot = slots.next(out_slot, done);  // dropped items' slots go to the next items
        batch.clear();
      } else {
        out_slot = slots.next(out_slot, done);
        batch.erase(batch.begin(), batch.begin() + done);
      }
    } else {  // the worker: done with its burst, then the next
      for (unsigned i = 0; i < n_burst; ++i)
        if (slots[slots.next(burst_slot, i)].hash != burst[i].ts_ns) ++overwritten;
      delivered += n_burst;
      n_burst = dequeue_work_items(ring.get(), burst.data(), 1 + rng() % kMaxHandoverBurst);
      burst_slot = in_slot;
      in_slot = slots.next(in_slot, n_burst);
    }
  }
  return overwritten;
}

TEST(SummarySlots, TheWorkerReadsItsItemsSummariesUntilItsNextBurst) {
  for (const bool drop : {false, true}) {
    for (uint32_t seed = 1; seed <= 4; ++seed) {
      SummarySlots slots(100);
      EXPECT_GE(slots.count(), 100u + 2 * kMaxHandoverBurst);
      unsigned delivered = 0;
      EXPECT_EQ(run(100, slots, drop, seed, delivered), 0u) << "drop " << drop << " seed " << seed;
      EXPECT_GT(delivered, 10'000u);
    }
  }
}

// The check has teeth: slots sized for a smaller ring (512 for 400 items: fewer than the ring plus two
// bursts) are overwritten while the worker still reads them.
TEST(SummarySlots, TooFewSlotsAreCaught) {
  SummarySlots slots(10);
  ASSERT_LT(slots.count(), 400u + 2 * kMaxHandoverBurst);
  unsigned delivered = 0;
  EXPECT_GT(run(400, slots, false, 1, delivered), 0u);
}

}  // namespace
}  // namespace spanwatch::workers
