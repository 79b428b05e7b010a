// A pre-sized hash table from FlowKey to entries of one worker's shard. Open addressing with linear
// probing over 8-byte slots (index + hash tag) and backward-shift deletion, so there are no tombstones
// and a lookup touches one slot cache line before the entry. Entries live in a fixed array; nothing
// is allocated after construction. Not thread-safe: one table per worker lcore.
#pragma once
#include <bit>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <type_traits>

#include "lib/core/index_free_list.hpp"
#include "lib/core/zeroed_array.hpp"
#include "lib/flow/flow_key.hpp"
#include "lib/flow/index_list.hpp"

namespace spanwatch::lib {

template <class Entry>  // Entry has `FlowKey key;`
class FlowTable {
  static_assert(std::is_trivially_copyable_v<Entry> && std::is_trivially_destructible_v<Entry>,
                "entries live in a ZeroedArray and are constructed on insert");

 public:
  // Zero pages: a large table is mapped lazily, so pages are only touched when flows arrive (a replay of a
  // small capture does not fault in the whole pre-sized table).
  explicit FlowTable(uint32_t capacity) : entries_(capacity), free_(capacity) {
    if (capacity == 0) throw std::invalid_argument("FlowTable: capacity must be > 0");
    // Load factor <= 0.5 keeps linear-probe chains short.
    const uint64_t slots = std::bit_ceil(uint64_t{capacity} * 2);
    slots_ = ZeroedArray<Slot>(slots);
    mask_ = slots - 1;
  }

  uint32_t capacity() const noexcept { return free_.capacity(); }
  uint32_t size() const noexcept { return free_.in_use(); }
  bool full() const noexcept { return free_.empty(); }
  Entry& at(uint32_t idx) noexcept { return entries_[idx]; }
  const Entry& at(uint32_t idx) const noexcept { return entries_[idx]; }
  Entry* data() noexcept { return entries_.begin(); }

  // A burst looks up in stages, as DPDK's bulk lookups do: prefetch every key's home slot, then (once those
  // lines are in) the entry its slot points to, then find(); the misses of a burst overlap.
  void prefetch(uint64_t hash) const noexcept { __builtin_prefetch(&slots_[hash & mask_]); }
  // `whole`: every cache line of the entry, for a caller that updates the flow next (not only compares).
  void prefetch_entry(uint64_t hash, bool whole = false) const noexcept {
    const Slot& s = slots_[hash & mask_];
    if (s.empty()) return;
    const Entry& e = entries_[s.index()];
    __builtin_prefetch(&e.key);
    if (whole)
      for (size_t off = 0; off < sizeof(Entry); off += 64)
        __builtin_prefetch(reinterpret_cast<const char*>(&e) + off, 1);
  }

  // The entry in the key's home slot if its tag matches, else kNilIndex: a guess for prefetching (the
  // flow may sit further along the probe chain, or another key may share the tag), never for lookups.
  uint32_t peek(uint64_t hash) const noexcept {
    const Slot& s = slots_[hash & mask_];
    return !s.empty() && s.tag == static_cast<uint32_t>(hash) ? s.index() : kNilIndex;
  }

  uint32_t find(const FlowKey& key, uint64_t hash) const noexcept {
    const uint32_t tag = static_cast<uint32_t>(hash);
    for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.empty()) return kNilIndex;
      if (s.tag == tag && entries_[s.index()].key == key) return s.index();
    }
  }

  // Inserts a new key (the caller has checked it is absent). Returns kNilIndex when full.
  uint32_t insert(const FlowKey& key, uint64_t hash) noexcept {
    const uint32_t idx = free_.acquire();
    if (idx == IndexFreeList::kNone) return kNilIndex;
    uint64_t i = hash & mask_;
    while (!slots_[i].empty()) i = (i + 1) & mask_;
    slots_[i] = Slot{idx + 1, static_cast<uint32_t>(hash)};
    new (&entries_[idx]) Entry{};
    entries_[idx].key = key;
    return idx;
  }

  void erase(uint32_t idx, uint64_t hash) noexcept {
    uint64_t i = hash & mask_;
    while (slots_[i].index() != idx) i = (i + 1) & mask_;
    // Backward-shift: pull later members of the probe chain into the hole.
    for (uint64_t j = i;;) {
      j = (j + 1) & mask_;
      if (slots_[j].empty()) break;
      const uint64_t home = slots_[j].tag & mask_;
      const bool home_between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
      if (home_between) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = Slot{};
    free_.release(idx);
  }

 private:
  // All zero is an empty slot, so the slot array is zero pages until flows arrive.
  struct Slot {
    uint32_t idx_plus_1 = 0;
    uint32_t tag = 0;  // low 32 bits of the hash: home slot and a cheap pre-compare
    bool empty() const noexcept { return idx_plus_1 == 0; }
    uint32_t index() const noexcept { return idx_plus_1 - 1; }
  };
  ZeroedArray<Entry> entries_;
  ZeroedArray<Slot> slots_;
  IndexFreeList free_;
  uint64_t mask_ = 0;
};

}  // namespace spanwatch::lib
