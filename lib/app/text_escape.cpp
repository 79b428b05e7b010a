#include "lib/app/text_escape.hpp"

#include <cstring>

#include "lib/core/hex_digits.hpp"
namespace spanwatch::lib {
namespace {

constexpr uint32_t kReplacement = 0xfffd;

// GLib g_unichar_validate: below U+110000 and not a surrogate.
constexpr bool valid_scalar(uint32_t uc) noexcept {
  return uc < 0x110000 && (uc & 0xfffff800) != 0xd800;
}

// Unicode general category Cf (Unicode 15), which GLib does not count as printable.
constexpr bool is_format(uint32_t uc) noexcept {
  struct Range {
    uint32_t lo, hi;
  };
  constexpr Range kFormat[] = {{0x00ad, 0x00ad},   {0x0600, 0x0605},   {0x061c, 0x061c},   {0x06dd, 0x06dd},
                               {0x070f, 0x070f},   {0x0890, 0x0891},   {0x08e2, 0x08e2},   {0x180e, 0x180e},
                               {0x200b, 0x200f},   {0x202a, 0x202e},   {0x2060, 0x2064},   {0x2066, 0x206f},
                               {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
                               {0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001},
                               {0xe0020, 0xe007f}};
  for (const Range& r : kFormat) {
    if (uc >= r.lo && uc <= r.hi) return true;
  }
  return false;
}

// g_unichar_isprint without the full Unicode tables: controls, format characters and noncharacters are
// not printable; other unassigned code points are treated as printable (they are rare in DNS names).
constexpr bool printable(uint32_t uc) noexcept {
  if (uc < 0x20 || (uc >= 0x7f && uc < 0xa0)) return false;
  if (uc >= 0xfdd0 && uc <= 0xfdef) return false;
  if ((uc & 0xfffe) == 0xfffe) return false;
  return !is_format(uc);
}

size_t ascii_escape(uint8_t c, char* buf) noexcept {
  buf[0] = '\\';
  switch (c) {
    case '\a':
      buf[1] = 'a';
      return 2;
    case '\b':
      buf[1] = 'b';
      return 2;
    case '\f':
      buf[1] = 'f';
      return 2;
    case '\n':
      buf[1] = 'n';
      return 2;
    case '\r':
      buf[1] = 'r';
      return 2;
    case '\t':
      buf[1] = 't';
      return 2;
    case '\v':
      buf[1] = 'v';
      return 2;
    default:
      buf[1] = char('0' + ((c >> 6) & 3));
      buf[2] = char('0' + ((c >> 3) & 7));
      buf[3] = char('0' + (c & 7));
      return 4;
  }
}

size_t utf8_encode(uint32_t uc, char* buf) noexcept {
  if (uc < 0x80) {
    buf[0] = char(uc);
    return 1;
  }
  if (uc < 0x800) {
    buf[0] = char(0xc0 | (uc >> 6));
    buf[1] = char(0x80 | (uc & 0x3f));
    return 2;
  }
  if (uc < 0x10000) {
    buf[0] = char(0xe0 | (uc >> 12));
    buf[1] = char(0x80 | ((uc >> 6) & 0x3f));
    buf[2] = char(0x80 | (uc & 0x3f));
    return 3;
  }
  buf[0] = char(0xf0 | (uc >> 18));
  buf[1] = char(0x80 | ((uc >> 12) & 0x3f));
  buf[2] = char(0x80 | ((uc >> 6) & 0x3f));
  buf[3] = char(0x80 | (uc & 0x3f));
  return 4;
}

size_t unicode_escape(uint32_t uc, char* buf) noexcept {
  const int digits = uc <= 0xffff ? 4 : 8;
  buf[0] = '\\';
  buf[1] = uc <= 0xffff ? 'u' : 'U';
  for (int i = 0; i < digits; ++i) buf[2 + i] = kHexUpper[(uc >> (4 * (digits - 1 - i))) & 0xf];
  return size_t(2 + digits);
}

// Decodes one character starting with lead byte c (>= 0x80) at s[i-1]; advances i past its continuation
// bytes. Mirrors format_text: a missing or wrong continuation byte gives U+FFFD and the wrong byte is read
// again as the next character; 5- and 6-byte forms decode but fail validation.
uint32_t decode_utf8(uint8_t c, const uint8_t* s, size_t n, size_t& i) noexcept {
  int more = -1;
  uint8_t mask = 0;
  if ((c & 0xe0) == 0xc0) {
    more = 1;
    mask = 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    more = 2;
    mask = 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    more = 3;
    mask = 0x07;
  } else if ((c & 0xfc) == 0xf8) {
    more = 4;
    mask = 0x03;
  } else if ((c & 0xfe) == 0xfc) {
    more = 5;
    mask = 0x01;
  }
  if (more < 0) return kReplacement;  // 0xfe, 0xff or a stray continuation byte
  uint32_t uc = c & mask;
  for (int j = 0; j < more; ++j) {
    if (i >= n || (s[i] & 0xc0) != 0x80) return kReplacement;
    uc = (uc << 6) | (s[i++] & 0x3f);
  }
  return valid_scalar(uc) ? uc : kReplacement;
}

}  // namespace

EscapeResult escape_text_tshark(const uint8_t* s, size_t n, char* out, size_t cap) noexcept {
  EscapeResult r;
  if (cap == 0) {
    r.truncated = n > 0;
    return r;
  }
  const size_t limit = cap - 1;
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i++];
    char buf[10];
    size_t k = 0;
    if (c >= 0x20 && c < 0x7f) {
      buf[0] = char(c);
      k = 1;
    } else if (c < 0x80) {
      k = ascii_escape(c, buf);
    } else {
      const uint32_t uc = decode_utf8(c, s, n, i);
      k = printable(uc) ? utf8_encode(uc, buf) : unicode_escape(uc, buf);
    }
    if (r.len + k > limit) {
      r.truncated = true;
      break;
    }
    std::memcpy(out + r.len, buf, k);
    r.len += k;
  }
  out[r.len] = '\0';
  return r;
}

}  // namespace spanwatch::lib
