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

// get_text (strnlen) without a libc call per field: the NUL is looked for eight bytes at a time (the lowest
// byte the usual zero-byte test flags is the first NUL: a borrow only flags bytes above a zero byte).
template <size_t N>
[[gnu::always_inline]] inline std::string_view wire_text(const char (&s)[N]) noexcept {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  size_t i = 0;
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
[[gnu::always_inline]] inline void key(JsonWriter& w, const JsonField& f) noexcept {
  w.Key(f.key.data(), f.key.size());
}
[[gnu::always_inline]] inline void lit(JsonWriter& w, std::string_view s) noexcept {
  w.String(s.data(), s.size());
}
[[gnu::always_inline]] inline void str_field(JsonWriter& w, const JsonField& f, std::string_view s) noexcept {
  key(w, f);
  lit(w, s);
}
[[gnu::always_inline]] inline void safe_field(JsonWriter& w, const JsonField& f,
                                              std::string_view s) noexcept {
  key(w, f);
  write_safe_string(w, s);
}
[[gnu::always_inline]] inline void uint_field(JsonWriter& w, const JsonField& f, uint64_t v) noexcept {
  key(w, f);
  w.Uint64(v);
}
[[gnu::always_inline]] inline void time_field(JsonWriter& w, const JsonField& f, uint64_t ns) noexcept {
  key(w, f);
  char* p = w.ValueRoom(kRfc3339Len + 2);  // formatted in place
  *p++ = '"';
  p += format_rfc3339_us(ns, p);
  *p++ = '"';
  w.Commit(p);
}
[[gnu::always_inline]] inline void ip_value(JsonWriter& w, const IpAddress& a) noexcept {
  std::array<char, kIpTextMax> buf;
  lit(w, {buf.data(), a.format(buf.data(), buf.size())});
}
[[gnu::always_inline]] inline void ip_field(JsonWriter& w, const JsonField& f, const IpAddress& a) noexcept {
  key(w, f);
  ip_value(w, a);
}
[[gnu::always_inline]] inline void decimal_field(JsonWriter& w, const JsonField& f,
                                                 uint64_t v) noexcept {  // numbers ECS types as keyword
  key(w, f);
  w.QuotedUint64(v);
}
[[gnu::always_inline]] inline void begin(JsonWriter& w, const JsonField& f) noexcept {
  key(w, f);
  w.StartObject();
}
[[gnu::always_inline]] inline void end(JsonWriter& w) noexcept {
  w.EndObject();
}

}  // namespace spanwatch::lib::json_detail
