// Where an RX lcore leaves the lib::PacketSummary of each item it hands one worker: an array beside their
// SPSC ring, one slot per item in ring order (the ring's k-th item, counted from its start, has slot
// k mod count()). The worker reads a burst's summaries from consecutive lines of one small array, which
// the hardware prefetchers follow and a few pages map, instead of one line in each packet's mbuf (its
// private area, as before 2026-11-24: a line and often a TLB entry per packet, spread over the pool).
// Neither side copies a summary: the RX lcore writes it in its slot, the worker reads it there.
//
// Slot reuse: the ring holds at most ring_items items; the RX lcore writes the summaries of a burst of at
// most kMaxHandoverBurst items per worker before it enqueues them (it may then wait, or drop, in which
// case the next items take the same slots); the worker reads the summaries of a dequeued burst of at most
// kMaxHandoverBurst items until it dequeues again. So the slots written while the worker reads item k's
// are those of items up to k + ring_items + 2 * kMaxHandoverBurst - 1: with that many slots, never k's.
// (8,192 slots of 64 bytes for the default ring of 4,095 items: 512 KiB per RX lcore and worker pair,
// where the mbufs no longer have a 64-byte private area each.)
//
// Memory: lib::ZeroedArray (anonymous pages, zero on first touch), not the heap (whose pages the main
// thread would zero on its own NUMA node) nor rte_zmalloc_socket (hugepages, but it needs the EAL, which
// the unit tests do not start, and it zeroes from the main thread too). The RX lcore writes a slot before
// the worker reads it, so its writes touch each page first and the kernel's default policy puts the page
// on the RX lcore's node (its NIC's, when the lcores are placed by port). The worker reads the slots in
// order: one TLB miss per 64 summaries with 4 KiB pages.
#pragma once
#include <bit>
#include <cstdint>

#include "lib/core/zeroed_array.hpp"
#include "lib/flow/packet_summary.hpp"

namespace spanwatch::workers {

// The most items an RX lcore hands one worker per poll, and a worker takes from one ring per burst.
inline constexpr unsigned kMaxHandoverBurst = 128;

class SummarySlots {
 public:
  // `ring_items`: the ring's capacity in items (WorkItem). A power of two slots, so that a position wraps
  // with a mask.
  explicit SummarySlots(uint32_t ring_items)
      : mask_(std::bit_ceil(ring_items + 2 * kMaxHandoverBurst) - 1), slots_(mask_ + 1) {}

  uint32_t count() const noexcept { return mask_ + 1; }
  lib::PacketSummary& operator[](uint32_t i) noexcept { return slots_[i].summary; }
  // Slot `pos` advanced by k.
  uint32_t next(uint32_t pos, uint32_t k) const noexcept { return (pos + k) & mask_; }

 private:
  struct alignas(64) Slot {
    lib::PacketSummary summary;
  };
  static_assert(sizeof(Slot) == 64, "a slot per cache line");
  uint32_t mask_;
  lib::ZeroedArray<Slot> slots_;
};

}  // namespace spanwatch::workers
