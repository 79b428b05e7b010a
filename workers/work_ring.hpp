// The SPSC ring from an RX lcore to a worker carries each WorkItem as kWorkItemWords 8-byte elements:
// DPDK copies 8- and 16-byte elements as 64- and 128-bit words, any other size as 32-bit words (six for a
// 24-byte item, on each side). The producer enqueues whole items only (bulk), so both tails move by whole
// items and a consumer's burst is always whole items. Create the ring with 8-byte elements, kWorkItemWords
// per item (pipeline/main.cpp).
#pragma once
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>

#include "workers/work_item.hpp"

namespace spanwatch::workers {

// All n items when they fit, else as many as fit. Returns how many went in. Single producer.
inline unsigned enqueue_work_items(rte_ring* r, const WorkItem* it, unsigned n) noexcept {
  unsigned free_words = 0;
  if (rte_ring_sp_enqueue_bulk_elem(r, it, sizeof(uint64_t), n * kWorkItemWords, &free_words) != 0) return n;
  const unsigned fit = free_words / kWorkItemWords;  // fewer than n; a single producer: they still fit
  if (fit != 0) rte_ring_sp_enqueue_bulk_elem(r, it, sizeof(uint64_t), fit * kWorkItemWords, nullptr);
  return fit;
}

// Up to max items. Single consumer. The items' lines were written on the RX lcore's core: all of them are
// asked for before the copy, so that their transfers overlap.
inline unsigned dequeue_work_items(rte_ring* r, WorkItem* it, unsigned max) noexcept {
  const uint32_t head = r->cons.head;  // the single consumer's own
  const uint32_t ready = __atomic_load_n(&r->prod.tail, __ATOMIC_ACQUIRE) - head;
  const uint32_t words = std::min(ready, max * kWorkItemWords);
  if (words == 0) return 0;
  const auto* elems = reinterpret_cast<const uint64_t*>(r + 1);  // DPDK's layout: elements after the header
  for (uint32_t w = 0; w < words; w += 8) __builtin_prefetch(&elems[(head + w) & r->mask]);
  __builtin_prefetch(&elems[(head + words - 1) & r->mask]);
  return rte_ring_sc_dequeue_bulk_elem(r, it, sizeof(uint64_t), words, nullptr) / kWorkItemWords;
}

inline unsigned work_items_in(const rte_ring* r) noexcept {
  return rte_ring_count(r) / kWorkItemWords;
}

}  // namespace spanwatch::workers
