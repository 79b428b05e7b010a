// Backward-shift deletion for open addressing with linear probing over a power-of-two ring of slots: after
// a hole at slot i, the entry at slot j (further along the same run) moves into the hole unless its home
// slot lies in (i, j] on the ring, where it would no longer be found.
#pragma once
#include <cstdint>

namespace spanwatch::lib {

constexpr bool home_in_probe_range(uint64_t i, uint64_t home, uint64_t j) noexcept {
  return i <= j ? (i < home && home <= j) : (i < home || home <= j);
}

}  // namespace spanwatch::lib
