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

#include "lib/export/field_names.hpp"
#include "lib/export/json_flow_writer.hpp"

namespace spanwatch::lib::json_detail {

inline constexpr char kHexUpper[] = "0123456789ABCDEF";

// "AA-BB-CC-DD-EE-FF": ECS's required MAC form.
inline constexpr size_t kMacTextLen = 17;
inline void format_mac(const std::array<uint8_t, 6>& mac, char* out) noexcept {
  for (size_t i = 0; i < 6; ++i) {
    out[i * 3] = kHexUpper[mac[i] >> 4];
    out[i * 3 + 1] = kHexUpper[mac[i] & 0xF];
    if (i < 5) out[i * 3 + 2] = '-';
  }
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
[[gnu::always_inline]] inline void safe_field(JsonWriter& w, const JsonField& f,
                                              std::string_view s) noexcept {
  if (s.size() <= kMaxSafeStringBytes) {  // as write_safe_string, with the key in the same room check
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
}  // namespace spanwatch::lib::json_detail
namespace spanwatch::lib {
void fill_second_text(json_detail::SecondText& e, uint64_t secs) noexcept;  // json_flow_writer.cpp
}  // namespace spanwatch::lib
namespace spanwatch::lib::json_detail {
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
inline size_t format_ip(const IpAddress& a, std::array<char, kIpTextMax>& buf) noexcept {
  if (!a.is_v4()) return a.format(buf.data(), buf.size());
  char* p = buf.data();
  for (int i = 0; i < 4; ++i) {
    const OctetText& o = kOctetText[a.v4()[i]];
    std::memcpy(p, o.text, 4);
    p += o.len;
  }
  return static_cast<size_t>(p - buf.data()) - 1;  // less the last '.'
}
[[gnu::always_inline]] inline void ip_value(JsonWriter& w, const IpAddress& a) noexcept {
  std::array<char, kIpTextMax> buf;
  lit(w, {buf.data(), format_ip(a, buf)});
}
[[gnu::always_inline]] inline void ip_field(JsonWriter& w, const JsonField& f, const IpAddress& a) noexcept {
  key(w, f);
  ip_value(w, a);
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

}  // namespace spanwatch::lib::json_detail
