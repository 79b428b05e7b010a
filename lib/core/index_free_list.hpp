// The free slots of a fixed pool of `capacity` slots, as indices: never-used slots in order (0, 1, 2, ...)
// first, then released ones, last released first. Nothing is written at start-up and the stack of released
// slots is zero pages until slots come back, so a large pool costs nothing until it is used (a replay of a
// small capture used to spend more time filling free lists than reading its packets). Not thread-safe.
#pragma once
#include <cstdint>

#include "lib/core/zeroed_array.hpp"

namespace spanwatch::lib {

class IndexFreeList {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit IndexFreeList(uint32_t capacity) : released_(capacity), capacity_(capacity) {}

  uint32_t acquire() noexcept {
    if (n_released_ > 0) return released_[--n_released_];
    return fresh_ < capacity_ ? fresh_++ : kNone;
  }
  void release(uint32_t i) noexcept { released_[n_released_++] = i; }

  bool empty() const noexcept { return n_released_ == 0 && fresh_ == capacity_; }
  uint32_t in_use() const noexcept { return fresh_ - n_released_; }
  uint32_t capacity() const noexcept { return capacity_; }

  // Calls f(index) for every slot in use (shutdown and tests, not the packet path).
  template <class F>
  void for_each_in_use(F&& f) const {
    ZeroedArray<bool> is_free(fresh_);
    for (uint32_t k = 0; k < n_released_; ++k) is_free[released_[k]] = true;
    for (uint32_t i = 0; i < fresh_; ++i)
      if (!is_free[i]) f(i);
  }

 private:
  ZeroedArray<uint32_t> released_;
  uint32_t capacity_;
  uint32_t fresh_ = 0;  // slots [fresh_, capacity_) were never handed out
  uint32_t n_released_ = 0;
};

}  // namespace spanwatch::lib
