// A pre-sized hash table from FlowKey to entries of one worker's shard. Open addressing with linear
// probing over 4-byte slots (entry index + hash tag in one word) and backward-shift deletion, so there are
// no tombstones and a lookup touches one slot cache line before the entry. Entries live in a fixed array;
// nothing is allocated after construction. The free entries are a stack threaded through themselves (a
// free entry's first key bytes name the next one), so the table keeps no free-list array beside the
// entries (both for issue 3: bytes per flow). Not thread-safe: one table per worker lcore.
#pragma once
#include <bit>
#include <cassert>
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

// The hash a FlowTable's callers pass with each key (a type, not a function pointer, so it inlines). The
// table computes it itself only to erase in a long run of slots (see erase()); a test that wants
// collisions gives the table its own hasher.
struct FlowHash {
  uint64_t operator()(const FlowKey& k) const noexcept { return flow_hash(k); }
};

// A slot's index part takes bit_width(capacity) bits (the index + 1; 0 is an empty slot), its tag the
// rest: at least 5 bits, which bounds the capacity (a 27-bit index, as packed metadata handles).
inline constexpr uint32_t kFlowTableMaxCapacity = (1u << 27) - 1;

template <class Entry, class Hasher = FlowHash>  // Entry has `FlowKey key;`
class FlowTable {
  static_assert(std::is_trivially_copyable_v<Entry> && std::is_trivially_destructible_v<Entry>,
                "entries live in a ZeroedArray and are constructed on insert");
  struct Slot;  // private, below

 public:
  // Zero pages: a large table is mapped lazily, so pages are only touched when flows arrive (a replay of a
  // small capture does not fault in the whole pre-sized table).
  explicit FlowTable(uint32_t capacity) : entries_(check_capacity(capacity)), capacity_(capacity) {
    // Load factor <= 0.5 keeps linear-probe chains short.
    const uint64_t slots = std::bit_ceil(uint64_t{capacity} * 2);
    slots_ = ZeroedArray<Slot>(slots);
    mask_ = slots - 1;
    index_mask_ = (1u << std::bit_width(capacity)) - 1;
  }

  static constexpr size_t kSlotBytes = 4;
  // Bits of a slot's tag: all of it is compared on lookup, so a key whose tag matches another entry's in
  // its probe chain costs that entry's key compare (a cache miss) for nothing.
  uint32_t tag_bits() const noexcept { return static_cast<uint32_t>(std::countl_zero(index_mask_)); }

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
  //      keys share a tag. Prefetching the home slot's entry instead missed every flow that sits
  //      further along its chain (one in four at 1M flows, load 0.48) and fetched another flow's entry;
  //   3. find(key, hash, hint) with the lines in cache.
  // A Hint is only a guess: find() re-checks it, so flows created or erased between stages 2 and 3 (by
  // earlier packets of the same burst) cannot make it return a wrong or dead entry.
  struct Hint {
    uint32_t slot = kNoSlot;     // where the tag matched
    uint32_t index = kNilIndex;  // the entry that slot held
  };
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  // Stages 1 and 2, with a copy of the table's members they read: a loop over a burst's keys keeps it in
  // registers (GCC loaded the members again in every iteration of such a loop: 9 instructions a packet).
  class Prober {
   public:
    explicit Prober(const FlowTable& t) noexcept
        : slots_(t.slots_.begin()),
          entries_(t.entries_.begin()),
          mask_(t.mask_),
          index_mask_(t.index_mask_) {}

    // Stage 1: the home slot's line only. Also fetching the next line when the home slot ends its line (the
    // chain goes on there for 2.6 % of the flows at 1M) measured 4-5 ns slower per lookup at 10M flows.
    void prefetch(uint64_t hash) const noexcept { __builtin_prefetch(&slots_[hash & mask_]); }

    // Stage 2. No match (Hint{}): the chain ended first, probably a new flow.
    Hint probe(uint64_t hash) const noexcept {
      const uint32_t tag = tag_of(hash);
      for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
        const Slot s = slots_[i];
        if (s.empty()) return Hint{};
        if (tag_matches(s, tag)) return Hint{static_cast<uint32_t>(i), index_of(s)};
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

    // The hash rotated so that its low kHomeBits (the home slot's) come above its top bits (never the home
    // slot's: at most 28 bits of it), then the word's top 32 bits less the index part.
    uint32_t tag_of(uint64_t hash) const noexcept {
      return static_cast<uint32_t>(std::rotr(hash, kHomeBits) >> 32) & ~index_mask_;
    }
    bool tag_matches(Slot s, uint32_t tag) const noexcept { return (s.word ^ tag) <= index_mask_; }
    uint32_t index_of(Slot s) const noexcept { return (s.word & index_mask_) - 1; }

   private:
    const Slot* slots_;
    const Entry* entries_;
    uint64_t mask_;
    uint32_t index_mask_;
  };
  Prober prober() const noexcept { return Prober(*this); }

  void prefetch(uint64_t hash) const noexcept { prober().prefetch(hash); }
  Hint probe(uint64_t hash) const noexcept { return prober().probe(hash); }
  void prefetch_entry(Hint h, bool whole = false) const noexcept { prober().prefetch_entry(h, whole); }

  // Stage 3: the hinted entry if its slot still holds it and its key matches (a slot only ever holds a
  // live entry, and keys are unique), else the whole probe.
  uint32_t find(const FlowKey& key, uint64_t hash, Hint h) const noexcept {
    const uint32_t idx = find_hinted(key, h);
    return idx != kNilIndex ? idx : find(key, hash);
  }
  // The hinted entry, or kNilIndex when the hint is not it (without the whole probe, so that a caller can
  // take find() out of its inline path).
  uint32_t find_hinted(const FlowKey& key, Hint h) const noexcept {
    if (h.slot != kNoSlot && (slots_[h.slot].word & index_mask_) == h.index + 1 &&
        entries_[h.index].key == key)
      return h.index;
    return kNilIndex;
  }

  // The three stages for keys[0, n) into out[] (kNilIndex: absent), software pipelined over groups of
  // kBulkGroup keys: while group k is compared, group k+1's entries and group k+2's slots are on their
  // way, so the misses of consecutive groups overlap too, not only those within a group.
  static constexpr size_t kBulkGroup = 16;
  void find_bulk(const FlowKey* keys, size_t n, uint32_t* out) const noexcept {
    const Hasher hasher{};
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
    const uint32_t tag = tag_of(hash);
    for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot s = slots_[i];
      if (s.empty()) return kNilIndex;
      if (tag_matches(s, tag) && entries_[index_of(s)].key == key) return index_of(s);
    }
  }

  // Inserts a new key (the caller has checked it is absent). Returns kNilIndex when full.
  uint32_t insert(const FlowKey& key, uint64_t hash) noexcept {
    assert(hash == Hasher{}(key));  // erase() hashes keys of long runs again
    const uint32_t idx = acquire();
    if (idx == kNilIndex) return kNilIndex;
    uint64_t i = hash & mask_;
    while (!slots_[i].empty()) i = (i + 1) & mask_;
    slots_[i] = Slot{tag_of(hash) | (idx + 1)};
    new (&entries_[idx]) Entry{};
    entries_[idx].key = key;
    return idx;
  }

  // `hash` is the erased key's (Hasher's, as insert's). The backward shift needs the home slot of each
  // later slot of the run: the home bits kept in its tag give it when the run began fewer than 2^kHomeBits
  // slots before (every entry's home lies between the run's first slot and its own), else the entry's key
  // is hashed again (long runs only).
  void erase(uint32_t idx, uint64_t hash) noexcept {
    assert(hash == Hasher{}(entries_[idx].key));
    uint64_t i = hash & mask_;
    while (index_of(slots_[i]) != idx) i = (i + 1) & mask_;
    // Backward-shift: pull later members of the probe chain into the hole.
    uint64_t run = kNoRun;  // the run's first slot, looked for once a later slot is occupied
    for (uint64_t j = i;;) {
      j = (j + 1) & mask_;
      if (slots_[j].empty()) break;
      if (run == kNoRun) run = run_start(hash & mask_);
      const uint64_t home = home_of(slots_[j], j, run);
      if (home_in_probe_range(i, home, j)) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = Slot{};
    release(idx);
  }

 private:
  // All zero is an empty slot, so the slot array is zero pages until flows arrive. A slot is the tag in
  // the bits above index_mask_ and the entry index + 1 below. The tag's top kHomeBits are the home slot's
  // low bits (erase finds the home slot from them; keys of nearby homes never share a tag), the others the
  // hash's top bits, beside the home slot's (they tell keys of one home apart).
  struct Slot {
    uint32_t word = 0;
    bool empty() const noexcept { return word == 0; }
  };
  static_assert(sizeof(Slot) == kSlotBytes);
  static constexpr uint32_t kHomeBits = 4;  // runs longer than 16 slots are rare at load <= 0.5
  static constexpr uint32_t kHomeMask = (1u << kHomeBits) - 1;
  static_assert(std::bit_width(kFlowTableMaxCapacity) + kHomeBits < 32, "a tag bit beside the home bits");

  static uint32_t check_capacity(uint32_t capacity) {
    if (capacity == 0 || capacity > kFlowTableMaxCapacity)
      throw std::invalid_argument("FlowTable: capacity must be in [1, 134217727] (a 27-bit entry index)");
    return capacity;
  }
  uint32_t tag_of(uint64_t hash) const noexcept { return prober().tag_of(hash); }
  bool tag_matches(Slot s, uint32_t tag) const noexcept { return prober().tag_matches(s, tag); }
  uint32_t index_of(Slot s) const noexcept { return prober().index_of(s); }
  static constexpr uint64_t kNoRun = UINT64_MAX;
  // The first slot of the run that holds slot h, looked for at most 2^kHomeBits slots back: a run that
  // began further back gives a slot from which home_of() hashes every key (load <= 0.5: an empty slot
  // always ends the walk in a table of fewer slots).
  uint64_t run_start(uint64_t h) const noexcept {
    uint64_t run = h;
    for (uint32_t n = 0; n <= kHomeMask; ++n, run = (run - 1) & mask_)
      if (slots_[(run - 1) & mask_].empty()) return run;
    return run;
  }
  uint64_t home_of(Slot s, uint64_t j, uint64_t run) const noexcept {
    if (((j - run) & mask_) <= kHomeMask) {
      const uint64_t low = s.word >> (32 - kHomeBits);
      return (j - ((j - low) & kHomeMask)) & mask_;
    }
    return Hasher{}(entries_[index_of(s)].key) & mask_;
  }
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
  uint32_t index_mask_ = 0;  // a slot's index part
  uint32_t capacity_;
  uint32_t size_ = 0;
  uint32_t fresh_ = 0;             // entries [fresh_, capacity_) were never handed out
  uint32_t released_ = kNilIndex;  // the last released entry, the top of the stack
};

}  // namespace spanwatch::lib
