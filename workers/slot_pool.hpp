// A fixed pool of T addressed by 32-bit slot numbers (VPP's pool indices, not pointers): sized once at
// start-up, zero pages (ZeroedArray) so pages are touched only when that many slots are in use at once, no
// allocation afterwards. T must be trivially copyable: a slot is zeroed on acquire (or handed out as its last
// user left it, acquire_uninitialized). Not thread-safe (one per worker).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <type_traits>

#include "lib/core/counter.hpp"
#include "lib/core/index_free_list.hpp"
#include "lib/core/zeroed_array.hpp"

namespace spanwatch::workers {

template <typename T>
class SlotPool {
  static_assert(std::is_trivially_copyable_v<T>, "slots are zeroed with memset");

 public:
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  explicit SlotPool(uint32_t capacity)
      : slots_(capacity > 0 ? capacity : 1), free_(capacity > 0 ? capacity : 1) {}

  // A zeroed slot, or kNoSlot (counted in `exhausted`) when every slot is in use.
  uint32_t acquire() noexcept {
    const uint32_t s = acquire_uninitialized();
    if (s != kNoSlot) std::memset(static_cast<void*>(&slots_[s]), 0, sizeof(T));
    return s;
  }
  // A slot as its last user left it, or kNoSlot (counted): for large slots whose owner initialises what
  // it reads, so that a slot of kilobytes does not cost a memset per use.
  uint32_t acquire_uninitialized() noexcept {
    const uint32_t s = free_.acquire();
    if (s == lib::IndexFreeList::kNone) {
      exhausted.add(1);
      return kNoSlot;
    }
    return s;
  }
  void release(uint32_t s) noexcept { free_.release(s); }

  T& operator[](uint32_t s) noexcept { return slots_[s]; }
  const T& operator[](uint32_t s) const noexcept { return slots_[s]; }
  uint32_t in_use() const noexcept { return free_.in_use(); }
  uint32_t capacity() const noexcept { return free_.capacity(); }

  lib::Counter exhausted;

 private:
  lib::ZeroedArray<T> slots_;
  lib::IndexFreeList free_;
};

}  // namespace spanwatch::workers
