// A counter with one writer lcore and any number of readers: relaxed load+store, no lock prefix.
#pragma once
#include <atomic>
#include <cstdint>

namespace spanwatch::lib {

struct Counter {
  std::atomic<uint64_t> v{0};
  void add(uint64_t n) noexcept { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(uint64_t n) noexcept { v.store(n, std::memory_order_relaxed); }
  uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

}  // namespace spanwatch::lib
