#include "lib/core/simple_format.hpp"

#include <climits>
#include <cstdint>
#include <cstring>

#include "lib/core/digit_pairs.hpp"
#include "lib/core/hex_digits.hpp"

namespace spanwatch::lib {
namespace {

// Output that keeps counting past the end of the buffer, as vsnprintf's return value does.
struct Out {
  char* s;
  size_t room;  // bytes that may still be written before the terminating NUL
  size_t total = 0;

  [[gnu::always_inline]] void put(const char* p, size_t n) noexcept {
    const size_t k = n < room ? n : room;
    if (k <= 8) {  // digits and short texts: no call (a library memcpy costs more than the copy)
      for (size_t j = 0; j < k; ++j) {
        s[j] = p[j];
        asm("" ::: "memory");  // keeps the compiler from turning the loop back into a memcpy call
      }
    } else {
      std::memcpy(s, p, k);
    }
    s += k;
    room -= k;
    total += n;
  }
  void advance(size_t n) noexcept {  // n bytes written in place, n <= room
    s += n;
    room -= n;
    total += n;
  }
  void fill(char c, size_t n) noexcept {
    const size_t k = n < room ? n : room;
    if (k > 0) std::memset(s, c, k);
    s += k;
    room -= k;
    total += n;
  }
};

enum class Length : uint8_t { kInt, kChar, kShort, kLong };

// One field: `body` (digits or text) of `n` bytes after an optional '-' sign, padded to `width`.
[[gnu::always_inline]] inline void put_field(Out& out, bool minus, const char* body, size_t n, size_t width,
                                             bool left, bool zero) noexcept {
  const size_t len = n + (minus ? 1 : 0);
  if (width <= len) [[likely]] {
    if (minus) out.put("-", 1);
    out.put(body, n);
    return;
  }
  const size_t pad = width - len;
  if (!left && !zero) out.fill(' ', pad);
  if (minus) out.put("-", 1);
  if (!left && zero) out.fill('0', pad);
  out.put(body, n);
  if (left) out.fill(' ', pad);
}

// Digits of v in base 16, written backwards ending at `end`; returns the first digit.
char* hex_digits(uint64_t v, const char* symbols, char* end) noexcept {
  char* p = end;
  do {
    *--p = symbols[v & 15];
    v >>= 4;
  } while (v != 0);
  return p;
}

// Decimal digits of v, likewise, two at a time (a multiply by a constant for each division).
char* decimal_digits(uint64_t v, char* end) noexcept {
  char* p = end;
  while (v >= 100) {
    const size_t pair = 2 * size_t(v % 100);
    v /= 100;
    *--p = kDigitPairs[pair + 1];
    *--p = kDigitPairs[pair];
  }
  if (v >= 10) {
    *--p = kDigitPairs[2 * v + 1];
    *--p = kDigitPairs[2 * v];
  } else {
    *--p = static_cast<char>('0' + v);
  }
  return p;
}

unsigned decimal_length(uint32_t v) noexcept {
  unsigned n = 1;
  for (uint32_t bound = 10; n < 10 && v >= bound; bound *= 10) ++n;
  return n;
}

// nDPI's most frequent formats, ~97 % of its calls on TLS traffic ("%s%u" with "-" or "", "%02x"/"%02X" for
// digests and serial numbers, "%u,"): recognised by their bytes, with no interpreter, and written in place
// when they fit. kOther for any other format, having read nothing from `ap`.
enum class Frequent : uint8_t { kOther, kDone, kRefused };
Frequent frequent_format(Out& out, const char* f, va_list ap) noexcept {
  if (f[0] != '%') return Frequent::kOther;
  char buf[24];
  char* const end = buf + sizeof buf;
  if (f[1] == 's' && f[2] == '%' && f[3] == 'u' && f[4] == '\0') {
    const char* str = va_arg(ap, const char*);
    const unsigned v = va_arg(ap, unsigned);
    if (str == nullptr) return Frequent::kRefused;  // glibc prints "(null)": the caller falls back
    const size_t sep = str[0] == '\0' ? 0 : str[1] == '\0' ? 1 : std::strlen(str);
    const unsigned n = decimal_length(v);
    if (sep <= 1 && sep + n <= out.room) [[likely]] {  // written in place: "-" or nothing, then the digits
      out.s[0] = str[0];                               // a digit overwrites it when sep is 0
      decimal_digits(v, out.s + sep + n);
      out.advance(sep + n);
      return Frequent::kDone;
    }
    out.put(str, sep);
    const char* p = decimal_digits(v, end);
    out.put(p, size_t(end - p));
    return Frequent::kDone;
  }
  if (f[1] == '0' && f[2] == '2' && (f[3] == 'x' || f[3] == 'X') && f[4] == '\0') {
    const unsigned v = va_arg(ap, unsigned);
    const char* symbols = f[3] == 'x' ? kHexLower : kHexUpper;
    if (v <= 0xff && out.room >= 2) [[likely]] {  // one byte: two digits in place
      out.s[0] = symbols[v >> 4];
      out.s[1] = symbols[v & 15];
      out.advance(2);
      return Frequent::kDone;
    }
    char* p = hex_digits(v, symbols, end);
    if (end - p < 2) *--p = '0';
    out.put(p, size_t(end - p));
    return Frequent::kDone;
  }
  if (f[1] == 'u' && f[2] == ',' && f[3] == '\0') {
    const unsigned v = va_arg(ap, unsigned);
    const unsigned n = decimal_length(v);
    if (n + 1 <= out.room) [[likely]] {
      decimal_digits(v, out.s + n);
      out.s[n] = ',';
      out.advance(n + 1);
      return Frequent::kDone;
    }
    char* p = decimal_digits(v, end - 1);
    end[-1] = ',';
    out.put(p, size_t(end - p));
    return Frequent::kDone;
  }
  return Frequent::kOther;
}

// The format interpreter, out of line so that the frequent formats do not pay for its frame.
[[gnu::noinline]] bool interpret(Out& out, const char* fmt, va_list ap) noexcept {
  const char* f = fmt;
  while (*f != '\0') {
    if (*f != '%') {
      const char* next = std::strchr(f, '%');
      const size_t n = next != nullptr ? size_t(next - f) : std::strlen(f);
      out.put(f, n);
      f += n;
      continue;
    }
    ++f;
    if (*f == '%') {
      out.put("%", 1);
      ++f;
      continue;
    }
    bool left = false, zero = false;
    for (;; ++f) {
      if (*f == '-')
        left = true;
      else if (*f == '0')
        zero = true;
      else
        break;
    }
    size_t width = 0;
    for (; *f >= '0' && *f <= '9'; ++f) {
      width = width * 10 + size_t(*f - '0');
      if (width > 4096) return false;  // absurd: let the C library decide
    }
    Length len = Length::kInt;
    if (*f == 'h') {
      ++f;
      len = Length::kShort;
      if (*f == 'h') {
        ++f;
        len = Length::kChar;
      }
    } else if (*f == 'l') {
      ++f;
      len = Length::kLong;
      if (*f == 'l') ++f;
    } else if (*f == 'z' || *f == 'j' || *f == 't') {
      ++f;
      len = Length::kLong;  // size_t, intmax_t, ptrdiff_t: 64 bits, as long on LP64
    }
    static_assert(sizeof(long) == 8 && sizeof(size_t) == 8 && sizeof(intmax_t) == 8 &&
                  sizeof(ptrdiff_t) == 8);
    const char conv = *f++;
    if (left) zero = false;  // '-' overrides '0'
    char buf[24];
    char* const end = buf + sizeof buf;
    switch (conv) {
      case 'd':
      case 'i': {
        int64_t v = len == Length::kLong ? va_arg(ap, long) : va_arg(ap, int);
        if (len == Length::kShort) v = static_cast<short>(v);
        if (len == Length::kChar) v = static_cast<signed char>(v);
        const uint64_t mag = v < 0 ? uint64_t{0} - uint64_t(v) : uint64_t(v);
        const char* p = decimal_digits(mag, end);
        put_field(out, v < 0, p, size_t(end - p), width, left, zero);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        uint64_t v = len == Length::kLong ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
        if (len == Length::kShort) v = static_cast<unsigned short>(v);
        if (len == Length::kChar) v = static_cast<unsigned char>(v);
        const char* p = conv == 'u'   ? decimal_digits(v, end)
                        : conv == 'x' ? hex_digits(v, kHexLower, end)
                                      : hex_digits(v, kHexUpper, end);
        put_field(out, false, p, size_t(end - p), width, left, zero);
        break;
      }
      case 'c': {
        if (zero || len != Length::kInt) return false;
        const char c = static_cast<char>(va_arg(ap, int));
        put_field(out, false, &c, 1, width, left, false);
        break;
      }
      case 's': {
        if (zero || len != Length::kInt) return false;
        const char* str = va_arg(ap, const char*);
        if (str == nullptr) return false;  // glibc prints "(null)"
        put_field(out, false, str, std::strlen(str), width, left, false);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

bool simple_vsnprintf(char* s, size_t maxlen, const char* fmt, va_list caller_ap, int& length) noexcept {
  va_list ap;  // the caller's stays unread, for its fallback
  va_copy(ap, caller_ap);
  Out out{s, maxlen > 0 ? maxlen - 1 : 0};
  Frequent r = frequent_format(out, fmt, ap);
  if (r == Frequent::kOther) r = interpret(out, fmt, ap) ? Frequent::kDone : Frequent::kRefused;
  va_end(ap);
  if (r == Frequent::kRefused || out.total > size_t(INT_MAX)) return false;  // EOVERFLOW in vsnprintf
  if (maxlen > 0) *out.s = '\0';
  length = static_cast<int>(out.total);
  return true;
}

}  // namespace spanwatch::lib
