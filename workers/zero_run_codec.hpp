// Zero-run packing of a fixed-size POD whose bytes are mostly zero (AppMetadata: NUL-padded text fields).
// The packed form is a sequence of runs, each some zeros then bytes. A run's header is one byte for a short
// literal (most runs: a flag, a number, a short name after a few zeros of padding), else a zero count
// (one byte, two past 126) and a tag:
//  - a header byte >= 0x80: a short literal, `(b >> 4) & 7` zeros then `b & 0x0f` (1..15) bytes;
//  - else the zero count (0x7f: 127 plus the next byte), then the tag:
//  - tag < 0x80: a literal of `tag` bytes (none zero but lone ones: a single zero between non-zero bytes
//    costs no more in the literal than in the next run's header);
//  - 0x80 <= tag < 0xc0: a hex run of `tag & 0x3f` lowercase hex digits ([0-9a-f]) stored two per byte, as
//    JA4's hashes and the certificate serial are text of that kind and would take twice the room as
//    literals (the JA3/JA3S/HASSH and certificate SHA-1 digests are bytes already);
//  - tag >= 0xc0: a copy of `(tag & 0x3f) + 4` bytes from an earlier position of the unpacked bytes, given in
//    the next two bytes (little-endian): names a flow repeats (a DNS answer's owner is the query name or the
//    previous answer's CNAME target; a certificate's subject names one of its SANs) take 4 bytes. The
//    packer starts copies at word starts only (CopyFinder).
// Bytes after the last run are zero. Exact: unpacking gives back every byte, padding included.
#pragma once
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lib/core/hex_digits.hpp"
namespace spanwatch::workers {

inline constexpr size_t kPackDoesNotFit = SIZE_MAX;

namespace zero_run_detail {
constexpr size_t kMaxRun = 0x7f;            // bytes of one literal
constexpr uint8_t kTagLenMask = 0x3f;       // a hex run's or a copy's length bits of its tag
constexpr size_t kMaxHexRun = kTagLenMask;  // characters of one hex run
constexpr size_t kMinHexRun = 12;           // shorter hex runs stay in the literal (a split costs 2-4 bytes)
constexpr uint8_t kHexTag = 0x80;
constexpr uint8_t kCopyTag = 0xc0;
constexpr size_t kMinCopy = 4, kMaxCopy = kMinCopy + kTagLenMask;
// A copy costs 4 bytes (header and position): worth it from 5 bytes at a run's start, from 7 inside a
// literal (which it splits: 2 more header bytes).
constexpr size_t kCopyAtRunStart = 5, kCopyInLiteral = 7;
constexpr size_t kMaxPosition = 0xffff;  // copy sources are 16-bit positions
// Run headers: a short literal's one byte, a zero count's one or two (then the tag).
constexpr uint8_t kShortLiteral = 0x80;
constexpr unsigned kShortLengthBits = 4;
constexpr size_t kShortBytes = (1u << kShortLengthBits) - 1, kShortZeros = 0x7f >> kShortLengthBits;
constexpr uint8_t kLongZeros = 0x7f;             // a zero count from here takes a second byte
constexpr size_t kMaxZeros = kLongZeros + 0xff;  // zeros before one run; longer gaps: runs of no bytes
// Writes a run's zero count (the tag follows); false when it and `body` more bytes do not fit.
inline bool put_zeros(uint8_t* out, size_t& o, size_t cap, size_t zeros, size_t body) noexcept {
  const size_t bytes = zeros < kLongZeros ? 1 : 2;
  if (o + bytes + 1 + body > cap) return false;
  out[o++] = static_cast<uint8_t>(zeros < kLongZeros ? zeros : kLongZeros);
  if (bytes == 2) out[o++] = static_cast<uint8_t>(zeros - kLongZeros);
  return true;
}

// Per byte value: its value as a lowercase hex digit plus one (0: not one), | kWord for letters and digits.
// One load answers both questions the packer asks of each byte.
constexpr uint8_t kWord = 0x80;
constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[size_t(c)] = uint8_t(kWord | (c - '0' + 1));
  for (int c = 'a'; c <= 'z'; ++c) t[size_t(c)] = uint8_t(kWord | (c <= 'f' ? c - 'a' + 11 : 0));
  for (int c = 'A'; c <= 'Z'; ++c) t[size_t(c)] = kWord;
  return t;
}();
inline int hex_value(uint8_t c) noexcept {
  return int(kByteClass[c] & ~kWord) - 1;
}
inline bool is_word(uint8_t c) noexcept {
  return (kByteClass[c] & kWord) != 0;
}
// Zero bytes at `in`, at most `max` (AppMetadata is mostly NUL padding, ~1.25 kB a flow): 32 at a time
// over a padding's length, then eight at a time to its end.
inline size_t zero_run(const uint8_t* in, size_t max) noexcept {
  static_assert(std::endian::native == std::endian::little);
  size_t z = 0;
  for (; z + 32 <= max; z += 32) {
    uint64_t w[4];
    std::memcpy(w, in + z, sizeof w);
    if ((w[0] | w[1] | w[2] | w[3]) != 0) break;
  }
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

// A copy starts only where a word does (after a zero, a dot, a comma, '=', a space...: is_word is false
// before it), which is where names repeat, so the packer looks up and enters one position per word, not
// per byte.
// Where each 4-byte sequence starting a word was last seen (one position per hash bucket, as LZ4's fast
// mode): the copy sources of one pack_zero_runs call. The packer enters the runs' starts and the words
// inside literals as it passes them (not the words inside copies: a repeat of a repeat is found at its
// first place).
class CopyFinder {
 public:
  CopyFinder(const uint8_t* in, size_t n) noexcept : in_(in), n_(n < kMaxPosition ? n : kMaxPosition) {
    std::memset(last_, 0, sizeof last_);
  }
  // Bytes at `p` (at most `max`, none zero) equal to bytes before `p` at the returned `src`: 0 if fewer
  // than kMinCopy.
  size_t find(size_t p, size_t max, size_t& src) const noexcept {
    if (p + kMinCopy > n_) return 0;
    const uint16_t c = last_[bucket(p)];
    if (c == 0) return 0;
    src = c - 1u;
    size_t cap = max < kMaxCopy ? max : kMaxCopy;
    if (cap > p - src) cap = p - src;  // the source ends where the copy starts
    size_t l = 0;
    // Eight bytes a step, to the first that differs or is zero at p (the lowest flagged byte of has_zero()
    // is exact), then the rest one by one.
    for (; l + 8 <= cap; l += 8) {
      uint64_t a, b;
      std::memcpy(&a, in_ + p + l, 8);
      std::memcpy(&b, in_ + src + l, 8);
      if (const uint64_t stop = (a ^ b) | has_zero(a); stop != 0) {
        l += size_t(__builtin_ctzll(stop) >> 3);
        return l >= kMinCopy ? l : 0;
      }
    }
    while (l < cap && in_[p + l] != 0 && in_[src + l] == in_[p + l]) ++l;
    return l >= kMinCopy ? l : 0;
  }
  void enter(size_t p) noexcept {
    if (p + kMinCopy <= n_) last_[bucket(p)] = uint16_t(p + 1);
  }

 private:
  static constexpr unsigned kBucketBits = 9;
  // The high bit of each zero byte of w (and maybe of bytes above one: never below the lowest).
  static uint64_t has_zero(uint64_t w) noexcept {
    return (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
  }
  size_t bucket(size_t p) const noexcept {
    uint32_t w;
    std::memcpy(&w, in_ + p, 4);
    return (w * 2654435761u) >> (32 - kBucketBits);
  }
  const uint8_t* in_;
  size_t n_;
  uint16_t last_[1u << kBucketBits];  // position + 1; 0: none
};
}  // namespace zero_run_detail

// Packs `n` bytes of `in` into `out` (capacity `cap`). Returns the packed length (0: all zero), or
// kPackDoesNotFit.
inline size_t pack_zero_runs(const uint8_t* in, size_t n, uint8_t* out, size_t cap) noexcept {
  using namespace zero_run_detail;
  CopyFinder copies(in, n);
  size_t i = 0, o = 0;
  while (i < n) {
    size_t zeros = zero_run(in + i, n - i);
    if (i + zeros == n) break;  // trailing zeros are implied
    // A longer gap than one run's zero count: runs of no bytes.
    for (; zeros > kMaxZeros; zeros -= kMaxZeros, i += kMaxZeros) {
      if (!put_zeros(out, o, cap, kMaxZeros, 0)) return kPackDoesNotFit;
      out[o++] = 0;
    }
    i += zeros;
    const size_t left = n - i < kMaxRun ? n - i : kMaxRun;
    const size_t h = hex_run(in + i, n - i < kMaxHexRun ? n - i : kMaxHexRun);
    size_t src = 0;
    // A copy at least as long as the hex run here (a repeated fingerprint), else hex, else a copy.
    // (A run that does not follow a zero may start inside a word: no copy there.)
    const size_t c = i == 0 || !is_word(in[i - 1]) ? copies.find(i, n - i, src) : 0;
    if (c >= kCopyAtRunStart && (h < kMinHexRun || c >= h)) {
      if (!put_zeros(out, o, cap, zeros, 2)) return kPackDoesNotFit;
      out[o++] = static_cast<uint8_t>(kCopyTag | (c - kMinCopy));
      out[o++] = static_cast<uint8_t>(src);
      out[o++] = static_cast<uint8_t>(src >> 8);
      i += c;
      continue;
    }
    copies.enter(i);
    if (h >= kMinHexRun) {
      const size_t bytes = (h + 1) / 2;
      if (!put_zeros(out, o, cap, zeros, bytes)) return kPackDoesNotFit;
      out[o++] = static_cast<uint8_t>(kHexTag | h);
      for (size_t k = 0; k < h; k += 2) {
        const int lo = k + 1 < h ? hex_value(in[i + k + 1]) : 0;
        out[o++] = static_cast<uint8_t>(hex_value(in[i + k]) << 4 | lo);
      }
      i += h;
      continue;
    }
    size_t lit = 1;  // in[i] is not zero
    while (lit < left) {
      if (in[i + lit] == 0) {
        // A lone zero between non-zero bytes (a small number's high byte, a false flag between true
        // ones) costs a byte in the literal, one or two in the next run's header.
        if (lit + 1 < left && in[i + lit + 1] != 0) {
          ++lit;
          continue;
        }
        break;
      }
      if (!is_word(in[i + lit - 1])) {  // a word starts here
        if (copies.find(i + lit, n - i - lit, src) >= kCopyInLiteral) break;
        copies.enter(i + lit);
      }
      if (hex_value(in[i + lit]) < 0) {
        ++lit;
        continue;
      }
      const size_t hh = hex_run(in + i + lit, left - lit);
      if (hh >= kMinHexRun) break;
      lit += hh;  // the run's later digits start shorter runs: none of them ends the literal either
    }
    if (zeros <= kShortZeros && lit <= kShortBytes) {
      if (o + 1 + lit > cap) return kPackDoesNotFit;
      out[o++] = static_cast<uint8_t>(kShortLiteral | zeros << kShortLengthBits | lit);
    } else {
      if (!put_zeros(out, o, cap, zeros, lit)) return kPackDoesNotFit;
      out[o++] = static_cast<uint8_t>(lit);
    }
    std::memcpy(out + o, in + i, lit);
    o += lit;
    i += lit;
  }
  return o;
}

// The length of pack_zero_runs' output that starts `in`, followed by zeros up to `cap`: where a zero count
// of 0 with a tag of 0 starts (pack_zero_runs writes none: a run with no zeros before it has bytes), or
// `cap`. Lets a store keep no length: unpack_zero_runs stops at the zeros after the runs too.
inline size_t packed_length(const uint8_t* in, size_t cap) noexcept {
  using namespace zero_run_detail;
  size_t i = 0;
  while (i < cap) {
    const uint8_t b = in[i];
    if (b >= kShortLiteral) {
      i += 1 + (b & kShortBytes);
      continue;
    }
    const size_t t = i + (b == kLongZeros ? 2 : 1);  // the tag
    if (t >= cap) break;
    const size_t tag = in[t];
    if (b == 0 && tag == 0) return i;
    i = t + 1 + (tag >= kCopyTag ? 2 : tag & kHexTag ? ((tag & kTagLenMask) + 1) / 2 : tag);
  }
  return i < cap ? i : cap;
}

// Inverse of pack_zero_runs: fills all `n` bytes of `out` from `len` packed bytes. Never reads or writes
// out of bounds, whatever the packed bytes.
inline void unpack_zero_runs(const uint8_t* in, size_t len, uint8_t* out, size_t n) noexcept {
  using namespace zero_run_detail;
  size_t i = 0, o = 0;
  while (i < len && o < n) {
    const uint8_t b = in[i++];
    size_t zeros = b, tag = 0;
    if (b >= kShortLiteral) {
      zeros = b >> kShortLengthBits & kShortZeros;
      tag = b & kShortBytes;
    } else {
      if (b == kLongZeros && i < len) zeros += in[i++];
      if (i >= len) break;
      tag = in[i++];
      if ((zeros | tag) == 0) break;  // the zeros after the runs (packed_length()): the rest is zero
    }
    const size_t z = zeros < n - o ? zeros : n - o;
    std::memset(out + o, 0, z);
    o += z;
    if (tag >= kCopyTag) {
      if (i + 2 > len) break;
      const size_t src = size_t(in[i]) | size_t(in[i + 1]) << 8;
      i += 2;
      size_t l = (tag & kTagLenMask) + kMinCopy;
      if (src >= o) break;  // not packed by pack_zero_runs
      if (l > o - src) l = o - src;
      if (l > n - o) l = n - o;
      std::memcpy(out + o, out + src, l);  // [src, src + l) ends at or before o
      o += l;
      continue;
    }
    if (tag & kHexTag) {
      const size_t h = tag & kTagLenMask, bytes = (h + 1) / 2;
      for (size_t k = 0; k < h && o < n && i + k / 2 < len; ++k) {
        const uint8_t d = in[i + k / 2];
        out[o++] = static_cast<uint8_t>(lib::kHexLower[k % 2 == 0 ? d >> 4 : d & 0x0f]);
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
