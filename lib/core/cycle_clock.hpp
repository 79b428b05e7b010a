// The CPU's time-stamp counter, for counting where an lcore's time goes (a few cycles per read, no
// syscall). Other architectures fall back to the monotonic clock in nanoseconds.
#pragma once
#include <cstdint>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#else
#include <chrono>
#endif

namespace spanwatch::lib {

inline uint64_t cycle_clock() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#else
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

}  // namespace spanwatch::lib
