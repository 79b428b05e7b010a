// Values many flows share, kept once per worker and named by a 32-bit id (issue 3: a flow holds a 4-byte
// id instead of the value). Reference counted: intern() takes a reference, release() gives it back, and a
// value no flow holds any more leaves the table. Id 0 is T{} and needs no reference. Sized once (as many
// distinct values as references can be held at once), zero pages until used, no allocation afterwards;
// small pages, as a value is looked up once per flow event, not per packet, and a few values spread over
// huge pages would hold them all. The free values are a stack threaded through their counts, so the table
// keeps no free-list array beside them. A bucket is one 32-bit word, the id and the hash's top bits as a
// tag (as lib::FlowTable's slots): a release rehashes the values it shifts for their home buckets, as it is
// once per flow event. Not thread-safe (one per worker).
#pragma once
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "lib/core/counter.hpp"
#include "lib/core/linear_probing.hpp"
#include "lib/core/zeroed_array.hpp"

namespace spanwatch::workers {

// A Hash for values without padding, so that equal values have equal bytes: their bytes as 64-bit words,
// the last one zero-padded.
template <typename T>
struct InternBytesHash {
  static_assert(std::has_unique_object_representations_v<T>, "the hash reads the bytes");
  uint64_t operator()(const T& v) const noexcept {
    std::array<uint64_t, (sizeof(T) + 7) / 8> w{};
    std::memcpy(w.data(), &v, sizeof v);
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (uint64_t x : w) {
      h ^= x;
      h *= 0xff51afd7ed558ccdULL;
      h ^= h >> 32;
    }
    return h;
  }
};

// Hash: a callable uint64_t(const T&); T: trivially copyable, compared with ==, valid as all-zero bytes.
template <typename T, typename Hash>
class InternTable {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  static constexpr uint32_t kEmpty = 0;  // the id of T{}

  // `capacity`: distinct values besides T{} held at once. Give it one more than the holders, as a holder
  // interns its new value before it releases the old one.
  explicit InternTable(uint32_t capacity)
      : values_(size_t{capacity} + 1, lib::ZeroedArray<Value>::kSmallPages),
        buckets_(std::bit_ceil(2 * size_t{capacity > 0 ? capacity : 1}),
                 lib::ZeroedArray<Bucket>::kSmallPages),
        mask_(buckets_.size() - 1),
        id_mask_(static_cast<uint32_t>((uint64_t{1} << std::bit_width(capacity)) - 1)) {}

  // A reference to v's id; T{} (and, counted in `exhausted`, any value once the table is full) is kEmpty.
  uint32_t intern(const T& v) noexcept {
    if (v == T{}) return kEmpty;
    // The value interned last, again (flows of one link mostly share theirs): no hash, no probe. A value
    // that left the table is T{} and matches no v.
    if (values_[last_].value == v) {
      ++values_[last_].refs;
      return last_;
    }
    const uint64_t h = Hash{}(v);
    const Bucket tag = static_cast<uint32_t>(h >> 32) & ~id_mask_;
    size_t i = h & mask_;
    for (; buckets_[i] != kEmpty; i = (i + 1) & mask_) {
      const Bucket b = buckets_[i];
      if (((b ^ tag) & ~id_mask_) == 0 && values_[b & id_mask_].value == v) {
        ++values_[b & id_mask_].refs;
        return last_ = b & id_mask_;
      }
    }
    const uint32_t id = acquire_id();
    if (id == kEmpty) [[unlikely]] {  // not with capacity = holders + 1 (FlowShard)
      exhausted.add(1);
      return kEmpty;
    }
    values_[id] = Value{v, 1};
    buckets_[i] = tag | id;
    return last_ = id;
  }

  // Gives back a reference intern() returned; the value leaves once no one holds it.
  void release(uint32_t id) noexcept {
    if (id == kEmpty || --values_[id].refs != 0) return;
    const uint64_t h = Hash{}(values_[id].value);
    size_t i = h & mask_;
    while ((buckets_[i] & id_mask_) != id) i = (i + 1) & mask_;
    // Backward shift (as lib::FlowTable): later members of the probe chain move into the hole.
    for (size_t j = i;;) {
      j = (j + 1) & mask_;
      if (buckets_[j] == kEmpty) break;
      const size_t home = Hash{}(values_[buckets_[j] & id_mask_].value) & mask_;
      if (lib::home_in_probe_range(i, home, j)) continue;
      buckets_[i] = buckets_[j];
      i = j;
    }
    buckets_[i] = kEmpty;
    values_[id] = Value{T{}, released_};  // T{}: matches no value intern() is asked for
    released_ = id;
    --distinct_;
  }

  const T& operator[](uint32_t id) const noexcept { return values_[id].value; }
  uint32_t refs(uint32_t id) const noexcept { return values_[id].refs; }
  uint32_t distinct() const noexcept { return distinct_; }  // besides T{}
  // What one distinct value costs: itself, its count and its two buckets (load <= 0.5).
  static constexpr size_t bytes_per_value() noexcept { return sizeof(Value) + 2 * sizeof(Bucket); }

  lib::Counter exhausted;

 private:
  struct Value {
    T value;
    uint32_t refs;  // a free value's: the next free id (released_)
  };
  // The id in the low bit_width(capacity) bits (kEmpty: an empty bucket), the hash's top bits above it (a
  // cheap pre-compare; the home bucket is the hash's low bits).
  using Bucket = uint32_t;
  // A free id: the last released first, then the never used ones in order (as lib::IndexFreeList).
  uint32_t acquire_id() noexcept {
    if (released_ != kEmpty) {
      const uint32_t id = released_;
      released_ = values_[id].refs;
      ++distinct_;
      return id;
    }
    if (fresh_ + 1 == values_.size()) return kEmpty;
    ++distinct_;
    return ++fresh_;
  }

  lib::ZeroedArray<Value> values_;  // [0] is T{}
  uint32_t fresh_ = 0;              // ids (fresh_, capacity] were never handed out
  uint32_t released_ = kEmpty;      // the last released id, the top of the stack of free ones
  uint32_t distinct_ = 0;
  lib::ZeroedArray<Bucket> buckets_;
  size_t mask_;
  uint32_t id_mask_;        // a bucket's id bits
  uint32_t last_ = kEmpty;  // the id intern() returned last (intern()'s first guess)
};

}  // namespace spanwatch::workers
