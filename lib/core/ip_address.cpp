#include "lib/core/ip_address.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>

#include "lib/core/hex_digits.hpp"

namespace spanwatch::lib {

size_t IpAddress::format(char* buf, size_t cap) const noexcept {
  // IPv4 by hand: glibc's inet_ntop formats it with sprintf, a tenth of the JSON writer's time.
  if (is_v4() && cap >= 16) {
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      const unsigned o = v4()[i];
      if (o >= 100) *p++ = static_cast<char>('0' + o / 100);
      if (o >= 10) *p++ = static_cast<char>('0' + o / 10 % 10);
      *p++ = static_cast<char>('0' + o % 10);
      *p++ = i < 3 ? '.' : '\0';
    }
    return static_cast<size_t>(p - buf - 1);
  }
  // IPv6 by hand too, as glibc's inet_ntop6 writes it (its sprintf per group cost ~1,500 instructions an
  // address): the longest run of two or more zero groups, the first of equal ones, as "::"; groups in
  // lowercase hex without leading zeros; ::a.b.c.d when the first six groups are zero. (::ffff:a.b.c.d is
  // is_v4() above.) IpAddress.FormatsIPv6AsInetNtop compares the two.
  if (!is_v4() && cap >= kIpTextMax) {
    uint16_t w[8];
    for (int i = 0; i < 8; ++i) w[i] = static_cast<uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
      if (w[i] != 0) {
        ++i;
        continue;
      }
      int j = i;
      while (j < 8 && w[j] == 0) ++j;
      if (j - i > best_len) best = i, best_len = j - i;
      i = j;
    }
    if (best_len < 2) best = -1;
    char* p = buf;
    for (int i = 0; i < 8; ++i) {
      if (best >= 0 && i >= best && i < best + best_len) {
        if (i == best) *p++ = ':';
        continue;
      }
      if (i != 0) *p++ = ':';
      if (i == 6 && best == 0 && best_len == 6) {
        const size_t n = IpAddress::from_v4(&bytes[12]).format(p, cap - static_cast<size_t>(p - buf));
        return static_cast<size_t>(p - buf) + n;
      }
      bool lead = true;
      for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned d = w[i] >> shift & 0xf;
        if (d == 0 && lead && shift > 0) continue;
        lead = false;
        *p++ = kHexLower[d];
      }
    }
    if (best >= 0 && best + best_len == 8) *p++ = ':';
    *p = '\0';
    return static_cast<size_t>(p - buf);
  }
  const char* r = is_v4() ? inet_ntop(AF_INET, v4(), buf, static_cast<socklen_t>(cap))
                          : inet_ntop(AF_INET6, bytes.data(), buf, static_cast<socklen_t>(cap));
  if (r == nullptr) {
    if (cap) buf[0] = '\0';
    return 0;
  }
  return std::strlen(buf);
}

}  // namespace spanwatch::lib
