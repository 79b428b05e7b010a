// The hexadecimal digits by value, one table for every writer of hex text, and the one formatter of
// digests (JA3, JA3S, HASSH, certificate SHA-1: records keep them as bytes and format them where text is
// produced, once per record in the JSON writer).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace spanwatch::lib {

inline constexpr char kHexLower[] = "0123456789abcdef";
inline constexpr char kHexUpper[] = "0123456789ABCDEF";

// Lowercase hex of in[0, n) into out[0, 2n), no NUL. SSE2 does 16 bytes in about a dozen instructions
// (nibbles split and interleaved, then '0' added, and 'a' - 10 where a nibble is above 9); a tail after at
// least one block is the last 16 bytes again (a SHA-1 is two blocks), a shorter input goes a byte at a time.
inline void format_hex_lower(const uint8_t* in, size_t n, char* out) noexcept {
  const uint8_t* const end = in + n;
#if defined(__SSE2__)
  if (n >= 16) {
    const __m128i low_nibble = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9), zero_digit = _mm_set1_epi8('0'),
                  to_letter = _mm_set1_epi8('a' - '0' - 10);
    auto block = [&](const uint8_t* from, char* to) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from));
      const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), low_nibble), lo = _mm_and_si128(v, low_nibble);
      auto digits = [&](__m128i x) {
        return _mm_add_epi8(_mm_add_epi8(x, zero_digit), _mm_and_si128(_mm_cmpgt_epi8(x, nine), to_letter));
      };
      _mm_storeu_si128(reinterpret_cast<__m128i*>(to), digits(_mm_unpacklo_epi8(hi, lo)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(to + 16), digits(_mm_unpackhi_epi8(hi, lo)));
    };
    char* const out_end = out + 2 * n;
    for (; end - in >= 16; in += 16, out += 32) block(in, out);
    if (in != end) block(end - 16, out_end - 32);
    return;
  }
#endif
  for (; in != end; ++in, out += 2) {
    out[0] = kHexLower[*in >> 4];
    out[1] = kHexLower[*in & 0xf];
  }
}

template <size_t N>
std::array<char, 2 * N> hex_lower(const std::array<uint8_t, N>& bytes) noexcept {
  std::array<char, 2 * N> out;
  format_hex_lower(bytes.data(), N, out.data());
  return out;
}

}  // namespace spanwatch::lib
