// The JSON emitter under JsonFlowWriter: the calls of rapidjson::Writer the flow writer uses, writing into a
// rapidjson::StringBuffer, without what a record does not need. Keys and our own constants are copied as
// they are; text from outside is checked for plain ASCII while it is copied (PlainString), and otherwise
// repaired to valid UTF-8 by write_safe_string and copied in pieces between the characters JSON must escape.
// RapidJSON's general writer looked at every character of every key and value one by one and was most of
// the exporter's time.
// The caller reserves room for a run of pieces at once (Reserve: JsonFlowWriter reserves an upper bound of
// the whole record), and the pieces then write through the writer's own cursor with no bounds check each: a
// check before every piece was a tenth of a record's instructions. What each call may touch is spelled out
// in json_room below, which both the calls' debug-build assertions and the record bound use. For the short
// keys and values that make up a record, a piece is a copy the compiler inlines (a libc memcpy call per
// piece was the largest cost after RapidJSON). Every value is followed by ',' and a closing bracket takes
// the last one back, so no separator state is kept per level. Output stores do not go through char (see
// put()), so the cursor stays in a register. Finish() hands the unused room back.
#pragma once
#include <rapidjson/stringbuffer.h>

#include <array>
#include <bit>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "lib/core/digit_pairs.hpp"
#include "lib/core/hex_digits.hpp"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace spanwatch::lib {

// Printable ASCII other than '"' and '\\': text a JSON writer may copy between quotes as it is.
constexpr bool is_plain_json_text(std::string_view s) noexcept {
  for (const char c : s)
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  return true;
}

// The most bytes each call of JsonTextWriter may touch, its ',' or ':' included: what the call's room()
// asks for (and, in a debug build, asserts), and what JsonFlowWriter's record bound adds up.
namespace json_room {
inline constexpr size_t kKey = 24;       // a member's key: one fixed-size move of the padded key text
inline constexpr size_t kOpen = 1;       // StartObject, StartArray
inline constexpr size_t kClose = 2;      // EndObject, EndArray: the bracket and its ','
inline constexpr size_t kUint = 20 + 1;  // Uint64: at most 20 digits
inline constexpr size_t kQuotedUint = 22 + 1;
inline constexpr size_t kBool = 6;         // "false,"
inline constexpr size_t kDouble = 64 + 1;  // Double: what to_chars writes into 64 bytes
inline constexpr size_t kMaxEscape = 6;    // the most a byte of text becomes when escaped (a u escape)
// String, PlainString: the text in quotes, and ','.
constexpr size_t string(size_t n) noexcept {
  return n + 3;
}
// RawValue, ValueRoom: the text and ','.
constexpr size_t raw(size_t n) noexcept {
  return n + 1;
}
// EscapedString: every byte escaped at its longest, in quotes, and ','.
constexpr size_t escaped(size_t n) noexcept {
  return kMaxEscape * n + 3;
}
// PlainList: an item of one byte and its comma become four bytes.
constexpr size_t plain_list(size_t n) noexcept {
  return 2 * n + 2;
}
// Member*: the key, then the value.
constexpr size_t member(size_t value) noexcept {
  return kKey + value;
}
}  // namespace json_room

class JsonTextWriter {
 public:
  static constexpr size_t kChunk = 4096;               // the least room claimed from the buffer at a time
  static constexpr size_t kKeyRoom = json_room::kKey;  // a member's key text, padded (see MemberKey)
  using KeyText = std::array<char, kKeyRoom>;

  JsonTextWriter() = default;
  explicit JsonTextWriter(rapidjson::StringBuffer& out) noexcept { Reset(out); }
  JsonTextWriter(const JsonTextWriter&) = delete;
  JsonTextWriter& operator=(const JsonTextWriter&) = delete;

  // Starts writing at the end of `out`. Until Finish(), `out` holds unused room after the text.
  void Reset(rapidjson::StringBuffer& out) noexcept {
    out_ = &out;
    p_ = end_ = nullptr;
    start_ = out.GetSize();
  }
  // Room for n more bytes, claimed from `out` when what is left does not hold them (the buffer may move; the
  // text written so far moves with it). Until the next Reserve, the calls may touch at most n bytes in all,
  // as json_room counts them: they do not check.
  void Reserve(size_t n) noexcept {
    if (static_cast<size_t>(end_ - p_) < n) grow(n);
  }
  // Gives back the room not written and the separator after the last value, so out.GetSize() is the
  // text's end again. Writing past the room reserved is a bug of the caller's bound: stop, in release builds
  // too, rather than go on with a corrupted heap.
  void Finish() noexcept {
    if (p_ > end_) [[unlikely]]
      overran();
    if (p_ && out_->GetSize() - static_cast<size_t>(end_ - p_) > start_ && p_[-1] == ',') --p_;
    release();
  }

  // Separators: every value (and so every member) is written with a ',' after it, and closing an object or
  // array takes back the one before it. No state per nesting level, no branch per value.
  [[gnu::always_inline]] void StartObject() noexcept { open('{'); }
  [[gnu::always_inline]] void EndObject() noexcept { close('}'); }
  [[gnu::always_inline]] void StartArray() noexcept { open('['); }
  [[gnu::always_inline]] void EndArray() noexcept { close(']'); }
  // The same for an object or array that holds at least one value, so that the byte before is that
  // value's ',': overwritten without being read back first (reading a byte just stored as part of a wider
  // store waited for the store). Debug builds assert the ','.
  [[gnu::always_inline]] void EndObjectAfterValue() noexcept { close_after_value('}'); }
  [[gnu::always_inline]] void EndArrayAfterValue() noexcept { close_after_value(']'); }

  // Our own constants (keys, names from our tables, formatted numbers and addresses): nothing to escape.
  [[gnu::always_inline]] void Key(const char* s, size_t n) noexcept { quoted(s, n, ':'); }
  [[gnu::always_inline]] void String(const char* s, size_t n) noexcept { quoted(s, n, ','); }
  // Pre-formatted JSON (a value, or members of the object being written, that we built ourselves).
  [[gnu::always_inline]] void RawValue(const char* s, size_t n) noexcept {
    char* p = room(json_room::raw(n));
    copy(p, s, n);
    put(p + n, ',');
    p_ = p + n + 1;
  }
  // Text from outside, already valid UTF-8: quotes, backslashes and control characters are escaped.
  void EscapedString(const char* s, size_t n) noexcept {
    put_string(s, n);
    put(room(1), ',');
    ++p_;
  }
  // Text from outside, not yet looked at: written as it is when every byte is printable ASCII other than
  // '"' and '\\' (checked 16 bytes at a time while copying), which is most text. Otherwise nothing is
  // written and false is returned: the caller then repairs the text and writes it with EscapedString.
  bool PlainString(const char* s, size_t n) noexcept {
    char* p = room(json_room::string(n));
    if (!plain_at(p, s, n)) [[unlikely]]
      return false;  // p_ not moved: what was copied is overwritten later
    p_ = p + n + 3;
    return true;
  }
  // A member whose value is text from outside: the key, then as PlainString. If the text is not plain, only
  // the key is written and false is returned.
  bool MemberPlainString(const KeyText& k, size_t kn, const char* s, size_t n) noexcept {
    char* p = key_at(room(json_room::member(json_room::string(n))), k, kn);
    if (!plain_at(p, s, n)) [[unlikely]] {
      p_ = p;
      return false;
    }
    p_ = p + n + 3;
    return true;
  }
  // Members: the key is `"key":` text zero-padded to kKeyRoom bytes (JsonField::quoted_key), copied in one
  // fixed-size move whose padding the value then overwrites.
  [[gnu::always_inline]] void MemberKey(const KeyText& k, size_t kn) noexcept {
    p_ = key_at(room(json_room::kKey), k, kn);
  }
  // A member whose value is one of our constants (nothing to escape).
  [[gnu::always_inline]] void MemberString(const KeyText& k, size_t kn, const char* s, size_t n) noexcept {
    char* p = key_at(room(json_room::member(json_room::string(n))), k, kn);
    put(p, '"');
    copy(p + 1, s, n);
    p += n + 1;
    put(p, '"');
    put(p + 1, ',');
    p_ = p + 2;
  }
  // A member whose value is bytes written as lowercase hex (a digest), formatted in place.
  [[gnu::always_inline]] void MemberHex(const KeyText& k, size_t kn, const uint8_t* b, size_t n) noexcept {
    char* p = key_at(room(json_room::member(json_room::string(2 * n))), k, kn);
    put(p, '"');
    format_hex_lower(b, n, p + 1);
    p += 2 * n + 1;
    put(p, '"');
    put(p + 1, ',');
    p_ = p + 2;
  }
  // A member whose value is pre-formatted JSON.
  [[gnu::always_inline]] void MemberRaw(const KeyText& k, size_t kn, const char* s, size_t n) noexcept {
    char* p = key_at(room(json_room::member(json_room::raw(n))), k, kn);
    copy(p, s, n);
    put(p + n, ',');
    p_ = p + n + 1;
  }
  [[gnu::always_inline]] void MemberUint64(const KeyText& k, size_t kn, uint64_t v) noexcept {
    Commit(put_uint(key_at(room(json_room::member(json_room::kUint)), k, kn), v));
  }
  [[gnu::always_inline]] void MemberQuotedUint64(const KeyText& k, size_t kn, uint64_t v) noexcept {
    char* p = key_at(room(json_room::member(json_room::kQuotedUint)), k, kn);
    put(p, '"');
    p = put_uint(p + 1, v);
    put(p, '"');
    put(p + 1, ',');
    p_ = p + 2;
  }
  [[gnu::always_inline]] void MemberBool(const KeyText& k, size_t kn, bool b) noexcept {
    char* p = key_at(room(json_room::member(json_room::kBool)), k, kn);
    b ? copy(p, "true,", 5) : copy(p, "false,", 6);
    p_ = p + (b ? 5 : 6);
  }
  // The key of an object member and its '{'.
  [[gnu::always_inline]] void MemberObject(const KeyText& k, size_t kn) noexcept {
    char* p = key_at(room(json_room::member(json_room::kOpen)), k, kn);
    put(p, '{');
    p_ = p + 1;
  }
  // The key, then room for a value of at most n bytes formatted in place and taken by Commit(end).
  [[gnu::always_inline]] char* MemberValueRoom(const KeyText& k, size_t kn, size_t n) noexcept {
    return key_at(room(json_room::member(json_room::raw(n))), k, kn);
  }

  // A comma-separated list (offered ALPNs, certificate names) as the string values of the open array, empty
  // items left out, when all of it is printable ASCII other than '"' and '\\' (each item checked while it is
  // copied, as PlainString): each item then comes out as write_safe_string would write it. Otherwise p_ is
  // not moved (what was copied is overwritten later) and false is returned: the caller writes the items one
  // by one.
  bool PlainList(const char* s, size_t n) noexcept {
    char* p = room(json_room::plain_list(n));  // an item of one byte and its comma become four bytes
    for (size_t start = 0; start < n;) {
      const size_t comma = NextComma(s, start, n);
      if (comma > start) {
        if (!plain_at(p, s + start, comma - start)) [[unlikely]]
          return false;
        p += comma - start + 3;
      }
      start = comma + 1;
    }
    p_ = p;
    return true;
  }

  // The first ',' in s[i, n), or n; eight bytes at a time (lists are short: a memchr call per item cost
  // more). A comma becomes a zero byte, and the lowest flagged byte of the zero-byte test is the first.
  static size_t NextComma(const char* s, size_t i, size_t n) noexcept {
    for (; i + 8 <= n; i += 8) {
      uint64_t x;
      std::memcpy(&x, s + i, 8);
      x ^= kOnes * ',';
      if (const uint64_t z = (x - kOnes) & ~x & kHigh; z != 0)
        return i + static_cast<size_t>(std::countr_zero(z)) / 8;
    }
    while (i < n && s[i] != ',') ++i;
    return i;
  }
  // Room for a value of at most n bytes the caller formats in place; Commit(end) then takes what was
  // written up to `end`.
  [[gnu::always_inline]] char* ValueRoom(size_t n) noexcept { return room(json_room::raw(n)); }
  [[gnu::always_inline]] void Commit(char* end) noexcept {
    put(end, ',');
    p_ = end + 1;
  }
  void Bool(bool b) noexcept {
    char* p = room(json_room::kBool);
    b ? copy(p, "true,", 5) : copy(p, "false,", 6);
    p_ = p + (b ? 5 : 6);
  }
  [[gnu::always_inline]] void Uint64(uint64_t v) noexcept {
    char* p = room(json_room::kUint);
    Commit(put_uint(p, v));
  }
  // A number written as a JSON string ("6"): ECS types some numbers as keyword.
  [[gnu::always_inline]] void QuotedUint64(uint64_t v) noexcept {
    char* p = room(json_room::kQuotedUint);
    put(p, '"');
    p = put_uint(p + 1, v);
    put(p, '"');
    put(p + 1, ',');
    p_ = p + 2;
  }
  // Decimal digits of v at p (at most 20), two at a time from a table; returns the end.
  static char* put_uint(char* p, uint64_t v) noexcept {
    if (v < 10) {
      put(p, static_cast<char>('0' + v));
      return p + 1;
    }
    // Digits: from the bit length (log10(2) ~ 1233/4096), less one below that power of ten.
    const unsigned guess = static_cast<unsigned>((64 - std::countl_zero(v)) * 1233) >> 12;
    const unsigned n = guess + (v >= kPow10[guess] ? 1 : 0);
    char* const end = p + n;
    char* q = end;
    for (; v > UINT32_MAX; v /= 100) {  // rare: 64-bit divisions only down to 32 bits
      q -= 2;
      put_pair(q, v % 100);
    }
    auto x = static_cast<uint32_t>(v);  // 32-bit divisions by 100 are a shorter multiply
    for (; x >= 100; x /= 100) {
      q -= 2;
      put_pair(q, x % 100);
    }
    if (x >= 10) {
      put_pair(q - 2, x);
    } else {
      put(q - 1, static_cast<char>('0' + x));
    }
    return end;
  }
  // Fixed notation with at most `decimals` places, trailing zeros dropped (52.52, 4.95713); not-finite
  // values are written as 0, which JSON can carry.
  void Double(double v, int decimals = 5) noexcept {
    if (!std::isfinite(v)) v = 0;
    char buf[json_room::kDouble - 1];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    size_t n = r.ec == std::errc() ? static_cast<size_t>(r.ptr - buf) : 0;
    if (n == 0) {
      buf[0] = '0';
      n = 1;
    }
    if (std::memchr(buf, '.', n)) {
      while (n > 1 && buf[n - 1] == '0') --n;
      if (buf[n - 1] == '.') --n;
    }
    RawValue(buf, n);
  }

 private:
  static constexpr std::array<uint64_t, 20> kPow10 = [] {
    std::array<uint64_t, 20> t{};
    uint64_t x = 1;
    for (auto& e : t) {
      e = x;
      x *= 10;
    }
    return t;
  }();

  // The cursor, for a call that touches at most n bytes: within what Reserve claimed (asserted in debug
  // builds; release builds check once, in Finish).
  [[gnu::always_inline]] char* room([[maybe_unused]] size_t n) noexcept {
    assert(n <= static_cast<size_t>(end_ - p_) && "JsonTextWriter: more than the caller reserved");
    return p_;
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void overran() noexcept {
    std::fputs("JsonTextWriter: wrote past the room reserved (the caller's bound is wrong)\n", stderr);
    std::abort();
  }
  // Hands back the room claimed and not written.
  void release() noexcept {
    if (out_ && end_ != p_) out_->Pop(static_cast<size_t>(end_ - p_));
    p_ = end_ = nullptr;
  }
  void grow(size_t n) noexcept {
    release();
    const size_t claim = n > kChunk ? n : kChunk;
    p_ = out_->Push(claim);  // may move the buffer: the text written so far moves with it, contiguous
    end_ = p_ + claim;
  }
  // Stores into the output go through char8_t and through words of integer types with alignment 1, never
  // through char (or memcpy): a char store may change any object as far as the compiler knows, p_ and end_
  // included, so it would reload and store them around every byte, and each piece would wait on the last.
  // Loads still use memcpy. A location is written twice within a record only where the writer reads it
  // back first (close, Finish) or after a call (the repair path), so stores of different types never need
  // an order the compiler could change.
  using Vec16 [[gnu::vector_size(16), gnu::aligned(1)]] = long long;
  [[gnu::always_inline]] static void put(char* d, char c) noexcept {
    *reinterpret_cast<char8_t*>(d) = static_cast<char8_t>(c);
  }
  template <class Word>
  [[gnu::always_inline]] static void put_word(char* d, Word w) noexcept {
    using Unaligned [[gnu::aligned(1)]] = Word;
    *reinterpret_cast<Unaligned*>(d) = w;
  }
  [[gnu::always_inline]] static void put_pair(char* d, uint64_t v) noexcept {
    uint16_t two;
    std::memcpy(&two, &kDigitPairs[2 * v], 2);
    put_word(d, two);
  }

  // Copies of a few bytes as overlapping word moves instead of a call. GCC 12 checks the branches for
  // lengths a small stack buffer never has against that buffer (-Warray-bounds): they are not reached.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
  [[gnu::always_inline]] static void copy(char* d, const char* s, size_t n) noexcept {
    if (n >= 8) {
      if (n > 16) {
        if (n > 64) {
          if (n > 256) {
            copy_long(d, s, n);
            return;
          }
          // 65..256 bytes (pre-rendered members, long names): 16-byte moves, the last one overlapping.
          for (size_t i = 0; i + 16 < n; i += 16) copy16(d + i, s + i);
          copy16(d + n - 16, s + n - 16);
          return;
        }
        // 17..64 bytes (timestamps, hashes, fingerprints, pre-rendered members): 16-byte moves, the last
        // one overlapping.
        copy16(d, s);
        if (n > 32) {
          copy16(d + 16, s + 16);
          copy16(d + n - 32, s + n - 32);
        }
        copy16(d + n - 16, s + n - 16);
        return;
      }
      uint64_t a, b;
      std::memcpy(&a, s, 8);
      std::memcpy(&b, s + n - 8, 8);
      put_word(d, a);
      put_word(d + n - 8, b);
    } else if (n >= 4) {
      uint32_t a, b;
      std::memcpy(&a, s, 4);
      std::memcpy(&b, s + n - 4, 4);
      put_word(d, a);
      put_word(d + n - 4, b);
    } else if (n > 0) {
      put(d, s[0]);
      put(d + n / 2, s[n / 2]);
      put(d + n - 1, s[n - 1]);
    }
  }

  // Out of line: callers' small stack buffers would otherwise draw -Warray-bounds for a size they never pass.
  [[gnu::noinline]] static void copy_long(char* d, const char* s, size_t n) noexcept {
    std::memcpy(d, s, n);
  }
  // `"text",` at p when every byte of s is printable ASCII other than '"' and '\\' (checked 16 bytes at a
  // time while it is copied); false otherwise. Needs room for n + 3 bytes.
  [[gnu::always_inline]] static bool plain_at(char* p, const char* s, size_t n) noexcept {
    put(p++, '"');
    uint64_t flag = 0;
    if (n >= 16) {  // 16 bytes at a time, the last block overlapping bytes already checked
      unsigned m = 0;
      for (size_t i = 0; i + 16 <= n; i += 16) m |= copy_block(p + i, s + i);
      m |= copy_block(p + n - 16, s + n - 16);
      flag = m ? kHigh : 0;
    } else if (n >= 8) {
      flag = copy_word(p, s) | copy_word(p + n - 8, s + n - 8);
    } else if (n >= 4) {
      flag = copy_half(p, s) | copy_half(p + n - 4, s + n - 4);
    } else {
      for (size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        flag |= look_byte(c);
        put(p + i, static_cast<char>(c));
      }
    }
    if (flag & kHigh) [[unlikely]]
      return false;
    p += n;
    put(p, '"');
    put(p + 1, ',');
    return true;
  }
  // Writes a kKeyRoom-byte padded key at d; returns the end of its kn bytes of text.
  [[gnu::always_inline]] static char* key_at(char* d, const KeyText& k, size_t kn) noexcept {
    static_assert(kKeyRoom == 24);
    uint64_t tail;
    std::memcpy(&tail, k.data() + 16, 8);
    copy16(d, k.data());
    put_word(d + 16, tail);
    return d + kn;
  }
  [[gnu::always_inline]] static void copy16(char* d, const char* s) noexcept {
    Vec16 t;
    std::memcpy(&t, s, 16);
    *reinterpret_cast<Vec16*>(d) = t;
  }
#pragma GCC diagnostic pop
  // Copies 8 bytes and returns a word whose kHigh bits are set if one of them needs a look (a control
  // character, '"', '\\' or a non-ASCII byte). The usual SWAR tests: a borrow can only flag a byte after
  // a byte that was flagged already, so a false alarm only sends plain text down the slow, equal path.
  static constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  [[gnu::always_inline]] static uint64_t copy_word(char* d, const char* s) noexcept {
    uint64_t x;
    std::memcpy(&x, s, 8);
    put_word(d, x);
    return look(x);
  }
  // The same for four bytes (kHigh's low half).
  [[gnu::always_inline]] static uint64_t copy_half(char* d, const char* s) noexcept {
    constexpr uint32_t kOnes4 = 0x01010101u;
    uint32_t x;
    std::memcpy(&x, s, 4);
    put_word(d, x);
    return (x - kOnes4 * 0x20) | ((x ^ (kOnes4 * '"')) - kOnes4) | ((x ^ (kOnes4 * '\\')) - kOnes4) | x;
  }
  // Copies 16 bytes and returns non-zero if one of them needs a look: exact, one compare per kind, as
  // signed bytes (so the non-ASCII ones, negative, count as below 0x20).
  [[gnu::always_inline]] static unsigned copy_block(char* d, const char* s) noexcept {
#if defined(__SSE2__)
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    *reinterpret_cast<Vec16*>(d) = reinterpret_cast<Vec16>(x);
    const __m128i bad = _mm_or_si128(
        _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
    return static_cast<unsigned>(_mm_movemask_epi8(bad));
#else
    return ((copy_word(d, s) | copy_word(d + 8, s + 8)) & kHigh) != 0;
#endif
  }
  [[gnu::always_inline]] static uint64_t look(uint64_t x) noexcept {
    return (x - kOnes * 0x20) | ((x ^ (kOnes * '"')) - kOnes) | ((x ^ (kOnes * '\\')) - kOnes) | x;
  }
  [[gnu::always_inline]] static uint64_t look_byte(unsigned char c) noexcept {
    return (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') ? kHigh : 0;
  }

  [[gnu::always_inline]] void open(char c) noexcept {
    put(room(json_room::kOpen), c);
    ++p_;
  }
  [[gnu::always_inline]] void close(char c) noexcept {
    char* p = room(json_room::kClose);
    if (p[-1] == ',') --p;  // the separator after the last member; after '{' or '[' there is none
    put(p, c);
    put(p + 1, ',');
    p_ = p + 2;
  }
  [[gnu::always_inline]] void close_after_value(char c) noexcept {
    char* p = room(json_room::kClose) - 1;
    assert(*p == ',' && "closed after a value, but the object or array was empty");
    put(p, c);
    put(p + 1, ',');
    p_ = p + 2;
  }

  static bool needs_escape(unsigned char c) noexcept {
    return c < 0x20 || c == '"' || c == '\\';
  }

  void append(const char* s, size_t n) noexcept {
    copy(room(n), s, n);
    p_ += n;
  }
  void put_string(const char* s, size_t n) noexcept {
    append("\"", 1);
    size_t done = 0;
    for (size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (!needs_escape(c)) continue;
      append(s + done, i - done);
      escape(c);
      done = i + 1;
    }
    append(s + done, n - done);
    append("\"", 1);
  }
  void escape(unsigned char c) noexcept {
    switch (c) {
      case '"':
        append("\\\"", 2);
        return;
      case '\\':
        append("\\\\", 2);
        return;
      case '\b':
        append("\\b", 2);
        return;
      case '\f':
        append("\\f", 2);
        return;
      case '\n':
        append("\\n", 2);
        return;
      case '\r':
        append("\\r", 2);
        return;
      case '\t':
        append("\\t", 2);
        return;
      default: {
        const char u[6] = {'\\', 'u', '0', '0', kHexUpper[c >> 4], kHexUpper[c & 0xF]};
        append(u, sizeof u);
      }
    }
  }

  // A constant in quotes, then the separator that follows it (':' after a key, ',' after a value).
  [[gnu::always_inline]] void quoted(const char* s, size_t n, char sep) noexcept {
    char* p = room(json_room::string(n));
    put(p, '"');
    copy(p + 1, s, n);
    p += n + 1;
    put(p, '"');
    put(p + 1, sep);
    p_ = p + 2;
  }

  rapidjson::StringBuffer* out_ = nullptr;
  char* p_ = nullptr;    // next byte to write
  char* end_ = nullptr;  // end of the room claimed in out_
  size_t start_ = 0;     // out_'s size at Reset()
};

}  // namespace spanwatch::lib
