// splitmix64's finaliser: a cheap 64-bit mixer for hash tables keyed by values that are not uniform
// (addresses, MACs, packed structs).
#pragma once
#include <cstdint>

namespace spanwatch::lib {

constexpr uint64_t mix64(uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace spanwatch::lib
