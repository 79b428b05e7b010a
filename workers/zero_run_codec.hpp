// Zero-run packing of a fixed-size POD whose bytes are mostly zero (AppMetadata: NUL-padded text fields).
// The packed form is a sequence of runs [zero count 0..255][tag][bytes]: tag < 0x80 is a literal of
// `tag` bytes; tag >= 0x80 is a hex run of `tag & 0x7f` lowercase hex digits ([0-9a-f]) stored two per
// byte, as the TLS/SSH fingerprints (ja3, ja3s, ja4 hashes, hassh, certificate sha1 and serial) are text
// of that kind and would take twice the room as literals. Bytes after the last run are zero. Exact:
// unpacking gives back every byte, padding included.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace spanwatch::workers {

inline constexpr size_t kPackDoesNotFit = SIZE_MAX;

namespace zero_run_detail {
constexpr size_t kMaxRun = 0x7f;   // characters of one literal or hex run
constexpr size_t kMinHexRun = 12;  // shorter hex runs stay in the literal (a split costs 2-4 bytes)
constexpr uint8_t kHexTag = 0x80;

inline int hex_value(uint8_t c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
// Zero bytes at `in`, at most `max`: eight at a time (AppMetadata is mostly NUL padding, ~1.3 kB a flow).
inline size_t zero_run(const uint8_t* in, size_t max) noexcept {
  static_assert(std::endian::native == std::endian::little);
  size_t z = 0;
  for (; z + 8 <= max; z += 8) {
    uint64_t w;
    std::memcpy(&w, in + z, 8);
    if (w != 0) return z + size_t(__builtin_ctzll(w) >> 3);  // little-endian: the first non-zero byte
  }
  while (z < max && in[z] == 0) ++z;
  return z;
}
// Lowercase hex digits at `in`, at most `max`.
inline size_t hex_run(const uint8_t* in, size_t max) noexcept {
  size_t h = 0;
  while (h < max && hex_value(in[h]) >= 0) ++h;
  return h;
}
}  // namespace zero_run_detail

// Packs `n` bytes of `in` into `out` (capacity `cap`). Returns the packed length (0: all zero), or
// kPackDoesNotFit.
inline size_t pack_zero_runs(const uint8_t* in, size_t n, uint8_t* out, size_t cap) noexcept {
  using namespace zero_run_detail;
  size_t i = 0, o = 0;
  while (i < n) {
    size_t zeros = zero_run(in + i, n - i);
    if (i + zeros == n) break;                     // trailing zeros are implied
    for (; zeros > 255; zeros -= 255, i += 255) {  // a longer gap: runs of 255 zeros and no bytes
      if (o + 2 > cap) return kPackDoesNotFit;
      out[o++] = 255;
      out[o++] = 0;
    }
    i += zeros;
    const size_t left = n - i < kMaxRun ? n - i : kMaxRun;
    if (const size_t h = hex_run(in + i, left); h >= kMinHexRun) {
      const size_t bytes = (h + 1) / 2;
      if (o + 2 + bytes > cap) return kPackDoesNotFit;
      out[o++] = static_cast<uint8_t>(zeros);
      out[o++] = static_cast<uint8_t>(kHexTag | h);
      for (size_t k = 0; k < h; k += 2) {
        const int lo = k + 1 < h ? hex_value(in[i + k + 1]) : 0;
        out[o++] = static_cast<uint8_t>(hex_value(in[i + k]) << 4 | lo);
      }
      i += h;
      continue;
    }
    size_t lit = 1;  // in[i] is not zero
    while (lit < left && in[i + lit] != 0) {
      if (hex_value(in[i + lit]) < 0) {
        ++lit;
        continue;
      }
      const size_t h = hex_run(in + i + lit, left - lit);
      if (h >= kMinHexRun) break;
      lit += h;  // the run's later digits start shorter runs: none of them ends the literal either
    }
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
  using namespace zero_run_detail;
  static constexpr char kDigits[] = "0123456789abcdef";
  size_t i = 0, o = 0;
  while (i + 2 <= len && o < n) {
    const size_t zeros = in[i], tag = in[i + 1];
    i += 2;
    const size_t z = zeros < n - o ? zeros : n - o;
    std::memset(out + o, 0, z);
    o += z;
    if (tag & kHexTag) {
      const size_t h = tag & kMaxRun, bytes = (h + 1) / 2;
      for (size_t k = 0; k < h && o < n && i + k / 2 < len; ++k) {
        const uint8_t b = in[i + k / 2];
        out[o++] = static_cast<uint8_t>(kDigits[k % 2 == 0 ? b >> 4 : b & 0x0f]);
      }
      i += bytes;
      continue;
    }
    const size_t lit = tag;
    size_t l = lit < n - o ? lit : n - o;
    if (l > len - (i < len ? i : len)) l = len - (i < len ? i : len);
    std::memcpy(out + o, in + i, l);
    o += l;
    i += lit;
  }
  std::memset(out + o, 0, n - o);
}

}  // namespace spanwatch::workers
