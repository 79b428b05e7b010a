// JA4 (TLS client) computation from a parsed ClientHello. Follows FoxIO-LLC/ja4
// technical_details/JA4.md; GREASE values are ignored everywhere.
#include "lib/fingerprint/ja4.hpp"

#include <algorithm>
#include <array>

#include "lib/fingerprint/digest.hpp"
#include "lib/fingerprint/tls_extension_types.hpp"

namespace spanwatch::lib {
namespace {

bool is_alnum(uint8_t c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// Appends to a bounded buffer; the caller sizes it so that overflow cannot happen, but writes stay checked.
struct Out {
  char* p;
  size_t cap;
  size_t n = 0;
  void ch(char c) noexcept {
    if (n + 1 < cap) p[n++] = c;
  }
  void hex16(uint16_t v) noexcept {
    ch(kHexLower[(v >> 12) & 0xf]);
    ch(kHexLower[(v >> 8) & 0xf]);
    ch(kHexLower[(v >> 4) & 0xf]);
    ch(kHexLower[v & 0xf]);
  }
  void list(const uint16_t* v, size_t count) noexcept {
    for (size_t i = 0; i < count; ++i) {
      if (i != 0) ch(',');
      hex16(v[i]);
    }
  }
  void terminate() noexcept {
    if (cap != 0) p[n < cap ? n : cap - 1] = '\0';
  }
};

const char* version_code(uint16_t v) noexcept {
  switch (v) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    case 0x0002:
      return "s2";
    case 0xfeff:
      return "d1";
    case 0xfefd:
      return "d2";
    case 0xfefc:
      return "d3";
    default:
      return "00";
  }
}

uint16_t ja4_version(const ClientHello& ch) noexcept {
  uint16_t best = 0;
  bool found = false;
  for (uint16_t v : ch.supported_versions) {
    if (is_grease(v)) continue;
    // DTLS versions count down (0xfeff = 1.0, 0xfefd = 1.2); compare them inverted.
    const bool dtls = (v >> 8) == 0xfe;
    const auto rank = [](uint16_t x, bool d) { return d ? static_cast<uint16_t>(0xffff - x) : x; };
    if (!found || rank(v, dtls) > rank(best, (best >> 8) == 0xfe)) best = v;
    found = true;
  }
  return found ? best : ch.legacy_version;
}

// The 10-character JA4_a prefix.
void write_prefix(const ClientHello& ch, char transport, Out& o) noexcept {
  o.ch(transport);
  const char* ver = version_code(ja4_version(ch));
  o.ch(ver[0]);
  o.ch(ver[1]);
  o.ch(ch.has_sni_ext ? 'd' : 'i');
  size_t nc = 0;
  for (uint16_t c : ch.ciphers) nc += is_grease(c) ? 0 : 1;
  nc += ch.ciphers.total - ch.ciphers.count;  // overflowed entries (not inspected; GREASE is rare there)
  size_t ne = 0;
  for (uint16_t e : ch.extensions) ne += is_grease(e) ? 0 : 1;
  ne += ch.extensions.total - ch.extensions.count;
  nc = std::min<size_t>(nc, 99);
  ne = std::min<size_t>(ne, 99);
  o.ch(static_cast<char>('0' + nc / 10));
  o.ch(static_cast<char>('0' + nc % 10));
  o.ch(static_cast<char>('0' + ne / 10));
  o.ch(static_cast<char>('0' + ne % 10));
  const std::string_view a = ch.alpn(0);
  if (a.empty()) {
    o.ch('0');
    o.ch('0');
  } else {
    const auto first = static_cast<uint8_t>(a.front());
    const auto last = static_cast<uint8_t>(a.back());
    if (is_alnum(first) && is_alnum(last)) {
      o.ch(static_cast<char>(first));
      o.ch(static_cast<char>(last));
    } else {  // first hex digit of the first byte, last hex digit of the last byte
      o.ch(kHexLower[first >> 4]);
      o.ch(kHexLower[last & 0xf]);
    }
  }
}

// Filtered (and optionally sorted) copies of the three lists. Only the first nc / ne / ns values are ever
// read, so the arrays (4.3 KB) are not zeroed.
struct Lists {
  std::array<uint16_t, kMaxCiphers> c;
  std::array<uint16_t, kMaxExtensions> e;
  std::array<uint16_t, kMaxSigAlgs> s;
  size_t nc = 0, ne = 0, ns = 0;
  // Extensions other than GREASE, SNI and ALPN. When there are none the extension hash is all zeros, in
  // JA4_o too (FoxIO ja4.py prints t10d230100_..._000000000000 for a hello whose only extension is SNI).
  size_t ne_hashed = 0;
};

void build_lists(const ClientHello& ch, Ja4Order order, Lists& l) noexcept {
  for (uint16_t c : ch.ciphers) {
    if (!is_grease(c)) l.c[l.nc++] = c;
  }
  for (uint16_t e : ch.extensions) {
    if (is_grease(e)) continue;
    const bool sni_or_alpn = e == kTlsExtServerName || e == kTlsExtAlpn;
    if (!sni_or_alpn) ++l.ne_hashed;
    if (order == Ja4Order::kSorted && sni_or_alpn) continue;
    l.e[l.ne++] = e;
  }
  for (uint16_t s : ch.signature_algorithms) {
    if (!is_grease(s)) l.s[l.ns++] = s;
  }
  if (order == Ja4Order::kSorted) {
    std::sort(l.c.begin(), l.c.begin() + static_cast<std::ptrdiff_t>(l.nc));
    std::sort(l.e.begin(), l.e.begin() + static_cast<std::ptrdiff_t>(l.ne));
  }
}

// "ext,ext,..." then "_sig,sig,..." when there are signature algorithms.
void write_ext_part(const Lists& l, Out& o) noexcept {
  o.list(l.e.data(), l.ne);
  if (l.ns != 0) {
    o.ch('_');
    o.list(l.s.data(), l.ns);
  }
}

// 12 hex chars of SHA-256 of s[0..n), or twelve zeros when the input list was empty.
void write_hash12(const char* s, size_t n, bool empty, Out& o) noexcept {
  if (empty) {
    for (int i = 0; i < 12; ++i) o.ch('0');
    return;
  }
  Sha256 h;
  h.update(s, n);
  uint8_t d[Sha256::kDigestLen];
  h.finish(d);
  for (int i = 0; i < 6; ++i) {
    o.ch(kHexLower[d[i] >> 4]);
    o.ch(kHexLower[d[i] & 0xf]);
  }
}

}  // namespace

size_t ja4(const ClientHello& ch, char transport, char* out, Ja4Order order) noexcept {
  Lists l;
  build_lists(ch, order, l);
  Out o{out, kJa4MaxLen};
  write_prefix(ch, transport, o);
  o.ch('_');

  char tmp[kJa4RawMaxLen];
  Out t{tmp, sizeof(tmp)};
  t.list(l.c.data(), l.nc);
  write_hash12(tmp, t.n, l.nc == 0, o);
  o.ch('_');

  t.n = 0;
  write_ext_part(l, t);
  write_hash12(tmp, t.n, l.ne_hashed == 0, o);
  o.terminate();
  return o.n;
}

size_t ja4_r(const ClientHello& ch, char transport, char* out, size_t cap, Ja4Order order) noexcept {
  if (out == nullptr || cap < kJa4RawMaxLen) return 0;
  Lists l;
  build_lists(ch, order, l);
  Out o{out, cap};
  write_prefix(ch, transport, o);
  o.ch('_');
  o.list(l.c.data(), l.nc);
  o.ch('_');
  write_ext_part(l, o);
  o.terminate();
  return o.n;
}

}  // namespace spanwatch::lib
