// A first-in first-out queue of references to flows (table index and the low 32 bits of the flow id) that
// replaces a list threaded through the flow entries (issue 3: the entry loses its link). A flow that ends
// is not taken out: its reference goes stale and is skipped where it is read (the caller tells live from
// stale: the entry at the index is alive and has that id). Stale references are dropped when they reach
// the front, and by a sweep that runs once the queue is half full: each push then also moves a few
// references from the front of the queue to the start of the array, keeping the live ones in order, so
// that no push waits for a whole compaction (a queue of millions of references would stall the worker for
// milliseconds). Sized once, with room for four times the references that can be live at once (see
// push_back()). Zero pages until used, no allocation afterwards. 2 MiB pages when large, although it is
// read in order: with 4 KiB ones every 256th push of a new flow took a page fault (docs/performance.md).
// Not thread-safe (one per worker).
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "lib/core/zeroed_array.hpp"

namespace spanwatch::workers {

// Ref: trivially copyable, with `uint32_t idx` (the table index) and `uint32_t id` (low flow id bits).
template <typename Ref>
class FlowRefQueue {
  static_assert(std::is_trivially_copyable_v<Ref>);

 public:
  // References a push sweeps: with 4, a sweep started at half the capacity ends before the array is
  // two thirds full (the swept part shrinks by 3 per push), and leaves at most the live references plus
  // those pushed meanwhile, so with 4x the live ones there is room for the next sweep to start and end.
  static constexpr size_t kSweepPerPush = 4;

  // `live_at_most`: how many references can be live at once (one per flow in the table).
  explicit FlowRefQueue(uint32_t live_at_most) : refs_(4 * size_t{live_at_most} + 8) {}

  bool empty() const noexcept { return kept_ == kept_end_ && head_ == tail_; }
  size_t size() const noexcept { return (kept_end_ - kept_) + (tail_ - head_); }  // stale ones included
  // The queue is refs_[kept_, kept_end_) (swept, while a sweep runs) followed by refs_[head_, tail_).
  const Ref& front() const noexcept { return kept_ < kept_end_ ? refs_[kept_] : refs_[head_]; }
  void pop_front() noexcept {
    if (kept_ < kept_end_)
      ++kept_;
    else if (++head_ == tail_ && !sweeping_)
      head_ = tail_ = 0;  // drained: start again at the array's start (the live queue drains every snapshot)
  }

  // `live(ref)` says whether a reference is still live; asked by the sweep only. `prefetch(ref)` is called
  // for the references the next pushes will sweep (their entries are at random).
  template <typename Live, typename Prefetch>
  void push_back(const Ref& r, Live&& live, Prefetch&& prefetch) noexcept {
    if (!sweeping_ && tail_ > refs_.size() / 2) {
      sweeping_ = true;  // the swept references go to the start of the array, before head_
      kept_ = kept_end_ = 0;
    }
    if (sweeping_) sweep(live, prefetch);
    refs_[tail_++] = r;
    if (tail_ > high_water_) high_water_ = tail_;
  }
  uint64_t sweeps() const noexcept { return sweeps_; }  // completed
  size_t capacity() const noexcept { return refs_.size(); }
  size_t high_water() const noexcept { return high_water_; }  // the most of the array ever used

 private:
  template <typename Live, typename Prefetch>
  void sweep(Live& live, Prefetch& prefetch) noexcept {
    constexpr size_t kAhead = 2 * kSweepPerPush;
    for (size_t n = 0; n < kSweepPerPush && head_ < tail_; ++n) {
      if (head_ + kAhead < tail_) prefetch(refs_[head_ + kAhead]);
      const Ref x = refs_[head_++];
      if (live(x)) refs_[kept_end_++] = x;  // kept_end_ <= head_: only read references are overwritten
    }
    if (head_ == tail_) {  // swept to the end: the kept references are the queue
      head_ = kept_;
      tail_ = kept_end_;
      kept_ = kept_end_ = 0;
      sweeping_ = false;
      ++sweeps_;
    }
  }

  lib::ZeroedArray<Ref> refs_;
  size_t head_ = 0, tail_ = 0;
  size_t kept_ = 0, kept_end_ = 0;  // the swept part, while sweeping_
  bool sweeping_ = false;
  uint64_t sweeps_ = 0;
  size_t high_water_ = 0;
};

}  // namespace spanwatch::workers
