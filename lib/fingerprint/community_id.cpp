// Community ID v1 computation (corelight community-id-spec). Written in-house so the seed is configurable
// (nDPI's helper fixes seed 0) and nothing allocates; the SHA-1 is libcrypto's (lib/fingerprint/digest.hpp).
#include "lib/fingerprint/community_id.hpp"

#include <bit>
#include <cstring>

#include "lib/core/hex_digits.hpp"
#include "lib/core/icmp_types.hpp"
#include "lib/core/ip_proto.hpp"
#include "lib/fingerprint/digest.hpp"

namespace spanwatch::lib {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

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
    // IpAddress orders by its bytes; two IPv4 addresses share the mapped prefix, so this is their order too.
    const auto c = in.src <=> in.dst;
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
    // 20 bytes = 6 full 3-byte groups + 2 left over -> 27 chars + one '=' pad. Each group's four characters
    // are stored as one word: GCC otherwise gathered the byte stores on the stack and copied them out with a
    // 16-byte load that had to wait for them (a store-forwarding stall, a visible part of a JSON record).
    static_assert(kSha1DigestLen % 3 == 2);
    const auto quad = [&](uint32_t v, bool pad) {
      const uint32_t w = uint32_t(uint8_t(kBase64[(v >> 18) & 63])) |
                         uint32_t(uint8_t(kBase64[(v >> 12) & 63])) << 8 |
                         uint32_t(uint8_t(kBase64[(v >> 6) & 63])) << 16 |
                         uint32_t(pad ? uint8_t('=') : uint8_t(kBase64[v & 63])) << 24;
      const uint32_t le = std::endian::native == std::endian::little ? w : __builtin_bswap32(w);
      std::memcpy(out + o, &le, 4);
      o += 4;
    };
    size_t i = 0;
    for (; i + 3 <= d.size(); i += 3)
      quad((uint32_t{d[i]} << 16) | (uint32_t{d[i + 1]} << 8) | d[i + 2], false);
    quad((uint32_t{d[i]} << 16) | (uint32_t{d[i + 1]} << 8), true);
  } else {
    format_hex_lower(d.data(), d.size(), out + o);
    o += 2 * d.size();
  }
  out[o] = '\0';
  return o;
}

}  // namespace spanwatch::lib
