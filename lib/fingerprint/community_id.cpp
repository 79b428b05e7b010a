// Community ID v1 computation (corelight community-id-spec) and the FIPS 180-4 SHA-1 it hashes with.
// Written in-house so the seed is configurable (nDPI's helper fixes seed 0) and nothing allocates.
#include "lib/fingerprint/community_id.hpp"

#include <cstring>

#include "lib/core/icmp_types.hpp"
#include "lib/core/ip_proto.hpp"

namespace spanwatch::lib {
namespace {

constexpr uint32_t rotl(uint32_t x, int n) noexcept {
  return (x << n) | (x >> (32 - n));
}

constexpr uint32_t load_be32(const uint8_t* p) noexcept {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void sha1_block(uint32_t h[5], const uint8_t* block) noexcept {
  uint32_t w[80];
  for (int i = 0; i < 16; ++i) w[i] = load_be32(block + 4 * i);
  for (int i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 80; ++i) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999u;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1u;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDCu;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6u;
    }
    const uint32_t t = rotl(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHex[] = "0123456789abcdef";

}  // namespace

Sha1Digest sha1(const uint8_t* data, size_t len) noexcept {
  uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
  size_t off = 0;
  for (; len - off >= 64; off += 64) sha1_block(h, data + off);

  // Final one or two blocks: remaining bytes, 0x80, zero pad, 64-bit big-endian bit length.
  uint8_t tail[128] = {};
  const size_t rest = len - off;
  if (rest != 0) std::memcpy(tail, data + off, rest);
  tail[rest] = 0x80;
  const size_t tail_len = rest < 56 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(len) * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  sha1_block(h, tail);
  if (tail_len == 128) sha1_block(h, tail + 64);

  Sha1Digest out{};
  for (int i = 0; i < 5; ++i) {
    out[4 * i] = static_cast<uint8_t>(h[i] >> 24);
    out[4 * i + 1] = static_cast<uint8_t>(h[i] >> 16);
    out[4 * i + 2] = static_cast<uint8_t>(h[i] >> 8);
    out[4 * i + 3] = static_cast<uint8_t>(h[i]);
  }
  return out;
}

size_t community_id_v1(const CommunityIdInput& in, uint16_t seed, bool base64, char* out) noexcept {
  out[0] = '\0';
  const bool v4 = in.src.is_v4();
  if (v4 != in.dst.is_v4()) return 0;
  const size_t alen = v4 ? 4 : 16;
  const uint8_t* saddr = v4 ? in.src.v4() : in.src.bytes.data();
  const uint8_t* daddr = v4 ? in.dst.v4() : in.dst.bytes.data();

  uint16_t sport = in.src_port;
  uint16_t dport = in.dst_port;
  bool has_ports = false;
  bool one_way = false;
  switch (in.proto) {
    case kProtoTcp:
    case kProtoUdp:
    case kProtoSctp:
      has_ports = true;
      break;
    case kProtoIcmp:
    case kProtoIcmpv6: {
      has_ports = true;
      const int peer = icmp_counterpart(in.proto == kProtoIcmpv6, sport);
      if (peer < 0) {
        one_way = true;  // dport stays the code
      } else {
        dport = static_cast<uint16_t>(peer);
      }
      break;
    }
    default:
      break;  // spec: other protocols carry no ports
  }

  // Spec ordering: keep the tuple if saddr < daddr, or equal addresses and sport < dport (bytes compared in
  // network order, which for ports equals numeric order); one-way ICMP keeps the observed direction.
  if (!one_way) {
    const int c = std::memcmp(saddr, daddr, alen);
    const bool ordered = c < 0 || (c == 0 && has_ports && sport < dport);
    if (!ordered) {
      const uint8_t* t = saddr;
      saddr = daddr;
      daddr = t;
      const uint16_t p = sport;
      sport = dport;
      dport = p;
    }
  }

  // seed(2) | saddr | daddr | proto(1) | 0(1) [| sport(2) | dport(2)]: at most 40 bytes.
  uint8_t buf[40];
  size_t n = 0;
  buf[n++] = static_cast<uint8_t>(seed >> 8);
  buf[n++] = static_cast<uint8_t>(seed);
  std::memcpy(buf + n, saddr, alen);
  n += alen;
  std::memcpy(buf + n, daddr, alen);
  n += alen;
  buf[n++] = in.proto;
  buf[n++] = 0;
  if (has_ports) {
    buf[n++] = static_cast<uint8_t>(sport >> 8);
    buf[n++] = static_cast<uint8_t>(sport);
    buf[n++] = static_cast<uint8_t>(dport >> 8);
    buf[n++] = static_cast<uint8_t>(dport);
  }
  const Sha1Digest d = sha1(buf, n);

  size_t o = 0;
  out[o++] = '1';
  out[o++] = ':';
  if (base64) {
    // 20 bytes = 6 full 3-byte groups + 2 left over -> 27 chars + one '=' pad.
    static_assert(kSha1DigestLen % 3 == 2);
    size_t i = 0;
    for (; i + 3 <= d.size(); i += 3) {
      const uint32_t v = (uint32_t{d[i]} << 16) | (uint32_t{d[i + 1]} << 8) | d[i + 2];
      out[o++] = kBase64[(v >> 18) & 63];
      out[o++] = kBase64[(v >> 12) & 63];
      out[o++] = kBase64[(v >> 6) & 63];
      out[o++] = kBase64[v & 63];
    }
    const uint32_t v = (uint32_t{d[i]} << 16) | (uint32_t{d[i + 1]} << 8);
    out[o++] = kBase64[(v >> 18) & 63];
    out[o++] = kBase64[(v >> 12) & 63];
    out[o++] = kBase64[(v >> 6) & 63];
    out[o++] = '=';
  } else {
    for (const uint8_t b : d) {
      out[o++] = kHex[b >> 4];
      out[o++] = kHex[b & 15];
    }
  }
  out[o] = '\0';
  return o;
}

}  // namespace spanwatch::lib
