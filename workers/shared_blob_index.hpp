// Reference counts of the packed blobs several flows share (the certificate fields of TLS flows to the
// same server, PackedMetadataStore), found by content: open addressing with linear probing on a 64-bit
// hash of the blob (its low bits are the home slot, 5 of its top bits a pre-compare before the caller's
// byte compare), backward-shift deletion (no tombstones; a release hashes the blobs it shifts again for
// their home slots, as lib::FlowTable's erase does past 16 slots), sized for one blob per flow at load <=
// 0.5 in zero pages, so it costs memory only for the blobs in use. A slot is 8 bytes: the handle, and the
// count (27 bits: at most one reference per flow) beside the tag. A blob is named by its store handle,
// never 0. Not thread-safe (one per worker).
#pragma once
#include <bit>
#include <cstdint>
#include <stdexcept>

#include "lib/core/linear_probing.hpp"
#include "lib/core/zeroed_array.hpp"

namespace spanwatch::workers {

class SharedBlobIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit SharedBlobIndex(uint32_t max_blobs)
      : mask_(std::bit_ceil(uint64_t{max_blobs} * 2 + 2) - 1),
        slots_(mask_ + 1, lib::ZeroedArray<Slot>::kSmallPages) {  // probed once per flow: no 2 MiB pages
    if (max_blobs > kMaxRefs)
      throw std::invalid_argument("SharedBlobIndex: a blob's count has 27 bits (one reference per flow)");
  }

  // The blob with this hash for which same(handle) holds, its count raised; kNone if there is none.
  template <class Same>
  uint32_t acquire_existing(uint64_t hash, Same&& same) noexcept {
    for (uint64_t i = hash & mask_; slots_[i].handle != 0; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if ((s.refs_tag & kTagMask) == tag_of(hash) && same(s.handle)) {
        ++s.refs_tag;  // the count is the low bits: below kMaxRefs (one per flow)
        return s.handle;
      }
    }
    return kNone;
  }

  // A new blob (not in the index), with a count of 1.
  void add(uint64_t hash, uint32_t handle) noexcept {
    uint64_t i = hash & mask_;
    while (slots_[i].handle != 0) i = (i + 1) & mask_;
    slots_[i] = Slot{handle, tag_of(hash) | 1};
    ++size_;
  }

  // Lowers the count of `handle` (added with `hash`); true when none is left (the caller frees the blob).
  // `hash_of(handle)`: the hash add() was given for a blob in the index (for the blobs a release shifts).
  template <class HashOf>
  bool release(uint64_t hash, uint32_t handle, HashOf&& hash_of) noexcept {
    uint64_t i = hash & mask_;
    while (slots_[i].handle != handle) i = (i + 1) & mask_;
    if ((--slots_[i].refs_tag & ~kTagMask) > 0) return false;
    // Backward shift: each later entry of the probe run whose home is not in (i, j] moves into the hole.
    for (uint64_t j = (i + 1) & mask_; slots_[j].handle != 0; j = (j + 1) & mask_) {
      const uint64_t home = hash_of(slots_[j].handle) & mask_;
      if (!lib::home_in_probe_range(i, home, j)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
    return true;
  }

  uint32_t size() const noexcept { return size_; }  // blobs in the index
  static constexpr size_t kSlotBytes = 8;           // per index slot (two per blob at load 0.5)
  static constexpr uint32_t kMaxRefs = (1u << 27) - 1;

 private:
  static constexpr uint32_t kTagMask = ~kMaxRefs;
  static uint32_t tag_of(uint64_t hash) noexcept { return static_cast<uint32_t>(hash >> 32) & kTagMask; }
  struct Slot {
    uint32_t handle = 0;    // 0: empty
    uint32_t refs_tag = 0;  // the count (low 27 bits), the hash's top 5 bits
  };
  static_assert(sizeof(Slot) == kSlotBytes);
  uint64_t mask_;
  lib::ZeroedArray<Slot> slots_;
  uint32_t size_ = 0;
};

}  // namespace spanwatch::workers
