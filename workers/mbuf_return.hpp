// How the plain mbufs (WorkItem::kPlain) an RX lcore hands one worker go back to their pool: from the RX
// lcore, once the worker says it is done with them. The worker only counts the items it finished (one
// store per burst); the RX lcore kept each item's mbuf pointer, in ring order, and puts the finished ones
// into its own per-lcore cache of the pool, which its next rx_burst takes them from.
//
// Before (2026-11-25), the worker put each burst's mbufs into its own cache of the pool, whose overflow went
// to the pool's ring and from there to the RX lcore's cache: every pointer crossed between the two cores
// twice, and the worker waited ~8 cycles a packet for the ring's lines (docs/performance.md).
//
// Other mbufs (a tunnelled packet's, one reference per worker that takes it; chained or foreign ones) come
// back the same way and take rte_pktmbuf_free() instead: the worker frees none.
//
// Room: the RX lcore reclaims before each poll (RxLcore::poll_queue()). Then the items not done are at most
// the ring's and the burst the worker holds, and the poll hands at most kMaxHandoverBurst more: ring_items +
// 2 * kMaxHandoverBurst pointers.
#pragma once
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

#include "lib/core/zeroed_array.hpp"
#include "workers/summary_slots.hpp"

namespace spanwatch::workers {

class MbufReturn {
 public:
  explicit MbufReturn(uint32_t ring_items)
      : mask_(std::bit_ceil(ring_items + 2 * kMaxHandoverBurst) - 1), mbufs_(mask_ + 1) {}

  // Worker: its next `n` items are done; nothing reads their mbufs any more.
  void done(uint32_t n) noexcept {
    done_.store(done_.load(std::memory_order_relaxed) + n, std::memory_order_release);
  }

  // RX lcore, for each item enqueued, in ring order: its mbuf (one reference), and whether it is plain.
  void handed(rte_mbuf* m, bool plain) noexcept { mbufs_[handed_++ & mask_] = Handed{m, plain}; }

  // RX lcore: the mbufs of the items the worker finished since the last call go back to `pool` (this lcore's
  // cache of it).
  void reclaim(rte_mempool* pool) noexcept {
    const uint64_t done = done_.load(std::memory_order_acquire);
    while (reclaimed_ != done) {
      std::array<rte_mbuf*, kMaxHandoverBurst> batch;
      unsigned k = 0;
      for (const uint64_t end = std::min(done, reclaimed_ + batch.size()); reclaimed_ != end; ++reclaimed_) {
        const Handed& h = mbufs_[reclaimed_ & mask_];
        if (h.plain) [[likely]]
          batch[k++] = h.m;
        else
          rte_pktmbuf_free(h.m);
      }
      if (k != 0) rte_mempool_put_bulk(pool, reinterpret_cast<void**>(batch.data()), k);
    }
  }

 private:
  alignas(64) std::atomic<uint64_t> done_{0};  // the worker's line
  alignas(64) uint64_t handed_ = 0;            // the RX lcore's, from here on
  uint64_t reclaimed_ = 0;
  struct Handed {
    rte_mbuf* m;
    bool plain;  // WorkItem::kPlain: straight back into the pool, its header unread
  };
  uint32_t mask_;
  lib::ZeroedArray<Handed> mbufs_;
};

}  // namespace spanwatch::workers
