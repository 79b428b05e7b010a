// A first-in first-out queue of references to flows (table index and the low 32 bits of the flow id) that
// replaces a list threaded through the flow entries (issue 3: the entry loses its link). A flow that ends
// is not taken out: its reference goes stale and is skipped where it is read (the caller tells live from
// stale: the entry at the index is alive and has that id). Stale references are dropped when they reach
// the front, and, when the queue is full, by compacting it in order. Sized once: with room for twice the
// references that can be live at once, a compaction frees at least half, so its cost per push is constant.
// Zero pages until used (small ones: it is read in order, once per flow event), no allocation afterwards.
// Not thread-safe (one per worker).
#pragma once
#include <cstdint>
#include <type_traits>

#include "lib/core/zeroed_array.hpp"

namespace spanwatch::workers {

// Ref: trivially copyable, with `uint32_t idx` (the table index) and `uint32_t id` (low flow id bits).
template <typename Ref>
class FlowRefQueue {
  static_assert(std::is_trivially_copyable_v<Ref>);

 public:
  // `live_at_most`: how many references can be live at once (one per flow in the table).
  explicit FlowRefQueue(uint32_t live_at_most)
      : refs_(2 * size_t{live_at_most} + 2, lib::ZeroedArray<Ref>::kSmallPages) {}

  bool empty() const noexcept { return head_ == tail_; }
  size_t size() const noexcept { return tail_ - head_; }  // stale references included
  const Ref& front() const noexcept { return refs_[head_]; }
  void pop_front() noexcept { ++head_; }

  // `live(ref)` says whether a reference is still live; asked only when the queue is full. `prefetch(ref)`
  // is called a few references ahead of `live` (the entries a compaction reads are at random).
  template <typename Live, typename Prefetch>
  void push_back(const Ref& r, Live&& live, Prefetch&& prefetch) noexcept {
    if (tail_ == refs_.size()) [[unlikely]]
      compact(live, prefetch);
    refs_[tail_++] = r;
  }
  uint64_t compactions() const noexcept { return compactions_; }

 private:
  template <typename Live, typename Prefetch>
  void compact(Live& live, Prefetch& prefetch) noexcept {
    constexpr size_t kAhead = 8;
    size_t w = 0;
    for (size_t k = head_; k < tail_; ++k) {
      if (k + kAhead < tail_) prefetch(refs_[k + kAhead]);
      if (live(refs_[k])) refs_[w++] = refs_[k];  // w <= k: only read references are overwritten
    }
    head_ = 0;
    tail_ = w;
    ++compactions_;
  }

  lib::ZeroedArray<Ref> refs_;
  size_t head_ = 0, tail_ = 0;  // the queue is refs_[head_, tail_)
  uint64_t compactions_ = 0;
};

}  // namespace spanwatch::workers
