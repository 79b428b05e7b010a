// A pre-sized hash table from FlowKey to entries of one worker's shard. Open addressing with linear
// probing over 8-byte slots (index + hash tag) and backward-shift deletion, so there are no tombstones
// and a lookup touches one slot cache line before the entry. Entries live in a fixed array; nothing
// is allocated after construction. The free entries are a stack threaded through themselves (a free
// entry's first key bytes name the next one), so the table keeps no free-list array beside the entries
// (issue 3: bytes per flow). Not thread-safe: one table per worker lcore.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <type_traits>

#include "lib/core/linear_probing.hpp"
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
  explicit FlowTable(uint32_t capacity) : entries_(capacity), capacity_(capacity) {
    if (capacity == 0) throw std::invalid_argument("FlowTable: capacity must be > 0");
    // Load factor <= 0.5 keeps linear-probe chains short.
    const uint64_t slots = std::bit_ceil(uint64_t{capacity} * 2);
    slots_ = ZeroedArray<Slot>(slots);
    mask_ = slots - 1;
  }

  uint32_t capacity() const noexcept { return capacity_; }
  uint32_t size() const noexcept { return size_; }
  bool full() const noexcept { return size_ == capacity_; }
  Entry& at(uint32_t idx) noexcept { return entries_[idx]; }
  const Entry& at(uint32_t idx) const noexcept { return entries_[idx]; }
  Entry* data() noexcept { return entries_.begin(); }

  // A burst looks up in stages, as DPDK's bulk lookups do, so that the cache misses of its keys overlap:
  //   1. prefetch(hash): the key's home slot line;
  //   2. probe(hash), once that line is in: the probe chain's tags (slots only, no entry), giving the
  //      slot of the first tag match, then prefetch_entry() of that entry, which is the flow unless two
  //      keys share a 32-bit tag. Prefetching the home slot's entry instead missed every flow that sits
  //      further along its chain (one in four at 1M flows, load 0.48) and fetched another flow's entry;
  //   3. find(key, hash, hint) with the lines in cache.
  // A Hint is only a guess: find() re-checks it, so flows created or erased between stages 2 and 3 (by
  // earlier packets of the same burst) cannot make it return a wrong or dead entry.
  struct Hint {
    uint32_t slot = kNoSlot;     // where the tag matched
    uint32_t index = kNilIndex;  // the entry that slot held
  };
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  // Stage 1: the home slot's line only. Also fetching the next line when the home slot ends its line (the
  // chain goes on there for 2.6 % of the flows at 1M) measured 4-5 ns slower per lookup at 10M flows.
  void prefetch(uint64_t hash) const noexcept { __builtin_prefetch(&slots_[hash & mask_]); }

  // Stage 2. No match (Hint{}): the chain ended first, probably a new flow.
  Hint probe(uint64_t hash) const noexcept {
    const uint32_t tag = static_cast<uint32_t>(hash);
    for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.empty()) return Hint{};
      if (s.tag == tag) return Hint{static_cast<uint32_t>(i), s.index()};
    }
  }

  // `whole`: every cache line of the entry, for a caller that updates the flow next (not only compares).
  void prefetch_entry(Hint h, bool whole = false) const noexcept {
    if (h.index == kNilIndex) return;
    const Entry& entry = entries_[h.index];
    if (!whole) {
      __builtin_prefetch(&entry.key);
      return;
    }
    const auto* e = reinterpret_cast<const char*>(&entry);
    for (size_t off = 0; off < sizeof(Entry); off += 64) __builtin_prefetch(e + off, 1);
  }

  // Stage 3: the hinted entry if its slot still holds it and its key matches (a slot only ever holds a
  // live entry, and keys are unique), else the whole probe.
  uint32_t find(const FlowKey& key, uint64_t hash, Hint h) const noexcept {
    if (h.slot != kNoSlot && slots_[h.slot].idx_plus_1 == h.index + 1 && entries_[h.index].key == key)
      return h.index;
    return find(key, hash);
  }

  // The three stages for keys[0, n) into out[] (kNilIndex: absent), software pipelined over groups of
  // kBulkGroup keys: while group k is compared, group k+1's entries and group k+2's slots are on their
  // way, so the misses of consecutive groups overlap too, not only those within a group.
  // `hasher` is flow_hash unless a test wants collisions (a type, not a function pointer, so it inlines).
  static constexpr size_t kBulkGroup = 16;
  struct FlowHash {
    uint64_t operator()(const FlowKey& k) const noexcept { return flow_hash(k); }
  };
  template <class Hasher = FlowHash>
  void find_bulk(const FlowKey* keys, size_t n, uint32_t* out, Hasher hasher = {}) const noexcept {
    uint64_t hash[3][kBulkGroup];
    Hint hint[2][kBulkGroup];
    const size_t groups = (n + kBulkGroup - 1) / kBulkGroup;
    auto group_size = [&](size_t g) { return g + 1 < groups ? kBulkGroup : n - g * kBulkGroup; };
    for (size_t g = 0; g < groups + 2; ++g) {
      if (g < groups) {
        uint64_t* h = hash[g % 3];
        const FlowKey* k = keys + g * kBulkGroup;
        for (size_t i = 0, m = group_size(g); i < m; ++i) {
          h[i] = hasher(k[i]);
          prefetch(h[i]);
        }
      }
      if (g >= 1 && g - 1 < groups) {
        const uint64_t* h = hash[(g - 1) % 3];
        Hint* hi = hint[(g - 1) % 2];
        for (size_t i = 0, m = group_size(g - 1); i < m; ++i) {
          hi[i] = probe(h[i]);
          prefetch_entry(hi[i]);
        }
      }
      if (g >= 2) {
        const size_t c = g - 2;
        const uint64_t* h = hash[c % 3];
        const Hint* hi = hint[c % 2];
        const FlowKey* k = keys + c * kBulkGroup;
        uint32_t* o = out + c * kBulkGroup;
        for (size_t i = 0, m = group_size(c); i < m; ++i) o[i] = find(k[i], h[i], hi[i]);
      }
    }
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
    const uint32_t idx = acquire();
    if (idx == kNilIndex) return kNilIndex;
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
      if (home_in_probe_range(i, home, j)) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = Slot{};
    release(idx);
  }

 private:
  // All zero is an empty slot, so the slot array is zero pages until flows arrive.
  struct Slot {
    uint32_t idx_plus_1 = 0;
    uint32_t tag = 0;  // low 32 bits of the hash: home slot and a cheap pre-compare
    bool empty() const noexcept { return idx_plus_1 == 0; }
    uint32_t index() const noexcept { return idx_plus_1 - 1; }
  };
  // Free entries: those released, last released first, then the never-used ones in order (0, 1, 2, ...),
  // as lib::IndexFreeList hands them out. A released entry keeps its other fields (the shard reads a
  // dead entry's id and timeout class to tell its stale references).
  static_assert(sizeof(FlowKey) >= sizeof(uint32_t) && std::is_trivially_copyable_v<FlowKey>);
  uint32_t acquire() noexcept {
    if (released_ != kNilIndex) {
      const uint32_t idx = released_;
      std::memcpy(&released_, static_cast<const void*>(&entries_[idx].key), sizeof released_);
      ++size_;
      return idx;
    }
    if (fresh_ == capacity_) return kNilIndex;
    ++size_;
    return fresh_++;
  }
  void release(uint32_t idx) noexcept {
    // No slot names the entry any more, so nothing compares its key.
    std::memcpy(static_cast<void*>(&entries_[idx].key), &released_, sizeof released_);
    released_ = idx;
    --size_;
  }

  ZeroedArray<Entry> entries_;
  ZeroedArray<Slot> slots_;
  uint64_t mask_ = 0;
  uint32_t capacity_;
  uint32_t size_ = 0;
  uint32_t fresh_ = 0;             // entries [fresh_, capacity_) were never handed out
  uint32_t released_ = kNilIndex;  // the last released entry, the top of the stack
};

}  // namespace spanwatch::lib
