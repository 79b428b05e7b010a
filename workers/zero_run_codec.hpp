// Zero-run packing of a fixed-size POD whose bytes are mostly zero (AppMetadata: NUL-padded text fields).
// The packed form is a sequence of [zero count][literal count][literal bytes] runs (counts 0..255); bytes
// after the last run are zero. Exact: unpacking gives back every byte, padding included.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace spanwatch::workers {

inline constexpr size_t kPackDoesNotFit = SIZE_MAX;

// Packs `n` bytes of `in` into `out` (capacity `cap`). Returns the packed length (0: all zero), or
// kPackDoesNotFit.
inline size_t pack_zero_runs(const uint8_t* in, size_t n, uint8_t* out, size_t cap) noexcept {
  size_t i = 0, o = 0;
  while (i < n) {
    size_t zeros = 0;
    while (i < n && in[i] == 0 && zeros < 255) ++i, ++zeros;
    if (i == n) break;  // trailing zeros are implied
    size_t lit = 0;
    while (i + lit < n && in[i + lit] != 0 && lit < 255) ++lit;
    if (o + 2 + lit > cap) return kPackDoesNotFit;
    out[o++] = static_cast<uint8_t>(zeros);
    out[o++] = static_cast<uint8_t>(lit);
    std::memcpy(out + o, in + i, lit);
    o += lit;
    i += lit;
  }
  return o;
}

// Inverse of pack_zero_runs: fills all `n` bytes of `out` from `len` packed bytes.
inline void unpack_zero_runs(const uint8_t* in, size_t len, uint8_t* out, size_t n) noexcept {
  size_t i = 0, o = 0;
  while (i + 2 <= len && o < n) {
    const size_t zeros = in[i], lit = in[i + 1];
    i += 2;
    const size_t z = zeros < n - o ? zeros : n - o;
    std::memset(out + o, 0, z);
    o += z;
    const size_t l = lit < n - o ? lit : n - o;
    std::memcpy(out + o, in + i, l);
    o += l;
    i += lit;
  }
  std::memset(out + o, 0, n - o);
}

}  // namespace spanwatch::workers
