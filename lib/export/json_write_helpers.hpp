// Small inline helpers shared by the flow writer's translation units (json_flow_writer.cpp for the flow
// itself, json_app_writer.cpp for application metadata). Internal to lib/export.
#pragma once
#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "lib/core/hex_digits.hpp"
#include "lib/export/field_names.hpp"
#include "lib/export/json_flow_writer.hpp"

namespace spanwatch::lib::json_detail {

// "AA-BB-CC-DD-EE-FF": ECS's required MAC form. Put together in two words and a byte from a table of hex
// pairs: written a byte at a time into a buffer and then copied, the copy's wide loads had to wait for the
// byte stores to retire (a store-forwarding stall, a visible part of a record).
inline constexpr size_t kMacTextLen = 17;
inline constexpr std::array<uint16_t, 256> kHexPairUpper = [] {
  std::array<uint16_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b)
    t[b] = static_cast<uint16_t>(kHexUpper[b >> 4] | (kHexUpper[b & 0xF] << 8));  // first digit first
  return t;
}();
inline void format_mac(const std::array<uint8_t, 6>& mac, char* out) noexcept {
  static_assert(std::endian::native == std::endian::little);
  uint64_t h[6];
  for (size_t i = 0; i < 6; ++i) h[i] = kHexPairUpper[mac[i]];
  constexpr uint64_t kDash = '-';
  const uint64_t a = h[0] | kDash << 16 | h[1] << 24 | kDash << 40 | h[2] << 48;  // "AA-BB-CC"
  const uint64_t b = kDash | h[3] << 8 | kDash << 24 | h[4] << 32 | kDash << 48 | (h[5] & 0xFF) << 56;
  std::memcpy(out, &a, 8);
  std::memcpy(out + 8, &b, 8);  // "-DD-EE-F"
  out[16] = static_cast<char>(h[5] >> 8);
}

// get_text (strnlen) without a libc call per field: the NUL is looked for 16 (then eight) bytes at a time
// (the lowest byte the usual zero-byte test flags is the first NUL: a borrow only flags bytes above a zero
// byte).
template <size_t N>
[[gnu::always_inline]] inline std::string_view wire_text(const char (&s)[N]) noexcept {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= N; i += 16) {  // 16 at a time where the array has them: one compare, one mask
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    if (const auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())));
        m != 0)
      return {s, i + static_cast<size_t>(std::countr_zero(m))};
  }
#endif
  for (; i + 8 <= N; i += 8) {
    uint64_t x;
    std::memcpy(&x, s + i, 8);
    if (const uint64_t z = (x - kOnes) & ~x & kHigh; z != 0)
      return {s, i + static_cast<size_t>(std::countr_zero(z)) / 8};
  }
  for (; i < N; ++i)
    if (s[i] == '\0') return {s, i};
  return {s, N};
}

// The longest text of a tcp.flags_labels array (eight labels: 2 + 8 x 5 + 7 commas) and of an HTTP info line
// (host and URL joined); the record bound counts them.
inline constexpr size_t kFlagLabelsJsonMax = 56;
inline constexpr size_t kInfoLineMax = 384;
// spanwatch.flow.id in quotes: 'w', the worker (16 bits), '-', the counter (56 bits) in hex.
inline constexpr size_t kFlowIdRoom = 2 + 1 + 5 + 1 + 14;

inline bool is_zero(const IpAddress& a) noexcept {
  return std::all_of(a.bytes.begin(), a.bytes.end(), [](uint8_t b) { return b == 0; });
}

// Thin helpers over the RapidJSON writer, all on the stack. Constant strings are ASCII we wrote ourselves;
// anything else (config names, record text) goes through write_safe_string.
static_assert(JsonWriter::kKeyRoom == kQuotedKeyRoom);
[[gnu::always_inline]] inline void key(JsonWriter& w, const JsonField& f) noexcept {
  w.MemberKey(f.quoted_key, f.quoted_key_len);
}
[[gnu::always_inline]] inline void lit(JsonWriter& w, std::string_view s) noexcept {
  w.String(s.data(), s.size());
}
[[gnu::always_inline]] inline void str_field(JsonWriter& w, const JsonField& f, std::string_view s) noexcept {
  w.MemberString(f.quoted_key, f.quoted_key_len, s.data(), s.size());
}
template <size_t N>
[[gnu::always_inline]] inline void hex_field(JsonWriter& w, const JsonField& f,
                                             const std::array<uint8_t, N>& bytes) noexcept {
  w.MemberHex(f.quoted_key, f.quoted_key_len, bytes.data(), N);
}
[[gnu::always_inline]] inline void safe_field(JsonWriter& w, const JsonField& f,
                                              std::string_view s) noexcept {
  if (s.size() <= kMaxSafeStringBytes) {  // as write_safe_string, key and plain value in one call
    if (w.MemberPlainString(f.quoted_key, f.quoted_key_len, s.data(), s.size())) [[likely]]
      return;
  } else {
    key(w, f);
  }
  write_repaired_string(w, s, kMaxSafeStringBytes);
}
[[gnu::always_inline]] inline void uint_field(JsonWriter& w, const JsonField& f, uint64_t v) noexcept {
  w.MemberUint64(f.quoted_key, f.quoted_key_len, v);
}
// format_rfc3339_us, inline for the writer's time fields. The text up to the second repeats: a record's
// start, end and emit times, and a certificate's validity, fall on a few seconds, and the next record on
// the same ones. It is kept per second in a small direct-mapped cache (per thread); only the microseconds
// are written each time, from a two-digit table. Slots by Fibonacci hashing: midnight-aligned certificate
// times and nearby record times spread out.
struct SecondText {
  uint64_t secs_plus_1;       // 0 = empty, so the table is zero-initialised (no guard on each call)
  std::array<char, 24> text;  // "2026-01-05T10:00:41." (20 bytes)
};
inline constexpr unsigned kSecondSlotBits = 5;
[[gnu::tls_model("initial-exec")]] inline thread_local std::array<SecondText, 1u << kSecondSlotBits>
    second_text{};
void fill_second_text(SecondText& e, uint64_t secs) noexcept;  // json_flow_writer.cpp
[[gnu::always_inline]] inline size_t rfc3339_us(uint64_t ns, char* out) noexcept {
  const uint64_t secs = ns / 1'000'000'000;
  SecondText& e = second_text[(secs * 0x9E3779B97F4A7C15ULL) >> (64 - kSecondSlotBits)];
  if (e.secs_plus_1 != secs + 1) [[unlikely]]
    fill_second_text(e, secs);
  std::memcpy(out, e.text.data(), 16);
  std::memcpy(out + 16, e.text.data() + 16, 4);
  // 32-bit arithmetic from here: the fraction of a second fits.
  const auto us = static_cast<uint32_t>(ns - secs * 1'000'000'000) / 1'000;
  const uint32_t hi = us / 10000, lo = us - hi * 10000, mid = lo / 100;
  std::memcpy(out + 20, &kDigitPairs[2 * hi], 2);
  std::memcpy(out + 22, &kDigitPairs[2 * mid], 2);
  std::memcpy(out + 24, &kDigitPairs[2 * (lo - mid * 100)], 2);
  out[26] = 'Z';
  return kRfc3339Len;
}

[[gnu::always_inline]] inline void time_field(JsonWriter& w, const JsonField& f, uint64_t ns) noexcept {
  char* p = w.MemberValueRoom(f.quoted_key, f.quoted_key_len, kRfc3339Len + 2);  // formatted in place
  *p++ = '"';
  p += rfc3339_us(ns, p);
  *p++ = '"';
  w.Commit(p);
}
// IpAddress::format's text; IPv4 from a table of each octet's digits and a '.', one four-byte move per
// octet (IpAddress::format's divisions and branches per digit were a visible part of a record).
struct OctetText {
  char text[4];  // digits, then '.', then (for one or two digits) anything
  uint8_t len;   // digits and the '.'
};
inline constexpr std::array<OctetText, 256> kOctetText = [] {
  std::array<OctetText, 256> t{};
  for (unsigned o = 0; o < 256; ++o) {
    unsigned n = 0;
    if (o >= 100) t[o].text[n++] = static_cast<char>('0' + o / 100);
    if (o >= 10) t[o].text[n++] = static_cast<char>('0' + o / 10 % 10);
    t[o].text[n++] = static_cast<char>('0' + o % 10);
    t[o].text[n++] = '.';
    t[o].len = static_cast<uint8_t>(n);
  }
  return t;
}();
// The text at `out`, which holds kIpTextMax bytes (IPv4 touches at most 16); returns its length.
inline size_t format_ip_at(const IpAddress& a, char* out) noexcept {
  if (!a.is_v4()) return a.format(out, kIpTextMax);
  char* p = out;
  for (int i = 0; i < 4; ++i) {
    const OctetText& o = kOctetText[a.v4()[i]];
    std::memcpy(p, o.text, 4);
    p += o.len;
  }
  return static_cast<size_t>(p - out) - 1;  // less the last '.'
}
inline size_t format_ip(const IpAddress& a, std::array<char, kIpTextMax>& buf) noexcept {
  return format_ip_at(a, buf.data());
}
// An address in quotes, formatted in place (a stack buffer copied into the output waited on its own
// stores, as format_mac says). Returns the text's length, quotes not counted; p holds kIpTextMax + 2.
inline size_t put_quoted_ip(char* p, const IpAddress& a) noexcept {
  p[0] = '"';
  const size_t n = format_ip_at(a, p + 1);
  p[n + 1] = '"';
  return n;
}
[[gnu::always_inline]] inline void ip_value(JsonWriter& w, const IpAddress& a) noexcept {
  char* p = w.ValueRoom(kIpTextMax + 2);
  w.Commit(p + put_quoted_ip(p, a) + 2);
}
[[gnu::always_inline]] inline void ip_field(JsonWriter& w, const JsonField& f, const IpAddress& a) noexcept {
  char* p = w.MemberValueRoom(f.quoted_key, f.quoted_key_len, kIpTextMax + 2);
  w.Commit(p + put_quoted_ip(p, a) + 2);
}
// A MAC address in quotes, formatted in place.
[[gnu::always_inline]] inline void mac_field(JsonWriter& w, const JsonField& f,
                                             const std::array<uint8_t, 6>& mac) noexcept {
  char* p = w.MemberValueRoom(f.quoted_key, f.quoted_key_len, kMacTextLen + 2);
  p[0] = '"';
  format_mac(mac, p + 1);
  p[kMacTextLen + 1] = '"';
  w.Commit(p + kMacTextLen + 2);
}
[[gnu::always_inline]] inline void decimal_field(JsonWriter& w, const JsonField& f,
                                                 uint64_t v) noexcept {  // numbers ECS types as keyword
  w.MemberQuotedUint64(f.quoted_key, f.quoted_key_len, v);
}
[[gnu::always_inline]] inline void begin(JsonWriter& w, const JsonField& f) noexcept {
  w.MemberObject(f.quoted_key, f.quoted_key_len);
}
// A member whose value is JSON we rendered ourselves.
[[gnu::always_inline]] inline void raw_field(JsonWriter& w, const JsonField& f,
                                             std::string_view json) noexcept {
  w.MemberRaw(f.quoted_key, f.quoted_key_len, json.data(), json.size());
}
[[gnu::always_inline]] inline void bool_field(JsonWriter& w, const JsonField& f, bool b) noexcept {
  w.MemberBool(f.quoted_key, f.quoted_key_len, b);
}
[[gnu::always_inline]] inline void end(JsonWriter& w) noexcept {
  w.EndObject();
}
// For an object that holds at least one member whatever the record (one written unconditionally).
[[gnu::always_inline]] inline void end_filled(JsonWriter& w) noexcept {
  w.EndObjectAfterValue();
}

}  // namespace spanwatch::lib::json_detail
