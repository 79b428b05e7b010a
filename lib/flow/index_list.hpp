// An intrusive doubly-linked list of entries addressed by 32-bit index (VPP style: indices, not
// pointers). The flow table keeps one per timeout class, ordered by last activity, so the head is
// always the next flow to time out and the eviction candidate.
#pragma once
#include <cstdint>
#include <limits>

namespace spanwatch::lib {

inline constexpr uint32_t kNilIndex = std::numeric_limits<uint32_t>::max();

struct ListLink {
  uint32_t prev = kNilIndex, next = kNilIndex;
};

template <class Entry, ListLink Entry::*Link>
class IndexList {
 public:
  uint32_t front() const noexcept { return head_; }
  uint32_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  void push_back(Entry* entries, uint32_t idx) noexcept {
    link_back(entries, idx);
    ++size_;
  }

  void remove(Entry* entries, uint32_t idx) noexcept {
    unlink(entries, idx);
    entries[idx].*Link = ListLink{};
    --size_;
  }

  // A move to the back in two steps, for moving many entries at once: unlink() takes idx out of the order
  // and leaves its link as it was, link_back() puts it at the tail; the size counts it all along.
  void unlink(Entry* entries, uint32_t idx) noexcept {
    const ListLink& l = entries[idx].*Link;
    if (l.prev != kNilIndex)
      (entries[l.prev].*Link).next = l.next;
    else
      head_ = l.next;
    if (l.next != kNilIndex)
      (entries[l.next].*Link).prev = l.prev;
    else
      tail_ = l.prev;
  }
  void link_back(Entry* entries, uint32_t idx) noexcept {
    ListLink& l = entries[idx].*Link;
    l.prev = tail_;
    l.next = kNilIndex;
    if (tail_ != kNilIndex)
      (entries[tail_].*Link).next = idx;
    else
      head_ = idx;
    tail_ = idx;
  }

  // Moves idx to the back (most recently active). Cheap when it is already there.
  void touch(Entry* entries, uint32_t idx) noexcept {
    if (tail_ == idx) return;
    unlink(entries, idx);
    link_back(entries, idx);
  }

 private:
  uint32_t head_ = kNilIndex, tail_ = kNilIndex, size_ = 0;
};

}  // namespace spanwatch::lib
