// A fixed pool of T addressed by 32-bit slot numbers (VPP's pool indices, not pointers): sized once at
// start-up, zero pages (ZeroedArray) so pages are touched only when that many slots are in use at once, no
// allocation afterwards. T must be trivially copyable: a slot is zeroed on acquire. Not thread-safe (one per
// worker).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <type_traits>

#include "lib/core/counter.hpp"
#include "lib/core/zeroed_array.hpp"

namespace spanwatch::workers {

template <typename T>
class SlotPool {
  static_assert(std::is_trivially_copyable_v<T>, "slots are zeroed with memset");

 public:
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  explicit SlotPool(uint32_t capacity) : capacity_(capacity > 0 ? capacity : 1), slots_(capacity_) {
    free_ = std::make_unique<uint32_t[]>(capacity_);
    for (uint32_t i = 0; i < capacity_; ++i) free_[i] = capacity_ - 1 - i;
    n_free_ = capacity_;
  }

  // A zeroed slot, or kNoSlot (counted in `exhausted`) when every slot is in use.
  uint32_t acquire() noexcept {
    if (n_free_ == 0) {
      exhausted.add(1);
      return kNoSlot;
    }
    const uint32_t s = free_[--n_free_];
    std::memset(static_cast<void*>(&slots_[s]), 0, sizeof(T));
    return s;
  }
  void release(uint32_t s) noexcept { free_[n_free_++] = s; }

  T& operator[](uint32_t s) noexcept { return slots_[s]; }
  const T& operator[](uint32_t s) const noexcept { return slots_[s]; }
  uint32_t in_use() const noexcept { return capacity_ - n_free_; }
  uint32_t capacity() const noexcept { return capacity_; }

  lib::Counter exhausted;

 private:
  uint32_t capacity_;
  lib::ZeroedArray<T> slots_;
  std::unique_ptr<uint32_t[]> free_;
  uint32_t n_free_ = 0;
};

}  // namespace spanwatch::workers
