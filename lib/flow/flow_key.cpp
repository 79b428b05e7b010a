// Flow keys and hashes. The hash mixes 8-byte words with a multiply-xorshift finaliser (fast, no
// CPU-specific instructions, good avalanche); a NIC's symmetric Toeplitz hash has only 16 bits of
// entropy and is never used for the table.
#include "lib/flow/flow_key.hpp"

#include <cstring>

#include "lib/core/icmp_types.hpp"
#include "lib/core/ip_proto.hpp"

namespace spanwatch::lib {
namespace {

inline uint64_t mix64(uint64_t x) noexcept {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

inline uint64_t load64(const void* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

FlowPorts flow_ports(const IpEndpoints& e) noexcept {
  switch (e.l4_proto) {
    case kProtoTcp:
    case kProtoUdp:
    case kProtoSctp:
      return {e.src_port, e.dst_port};
    case kProtoIcmp:
    case kProtoIcmpv6: {
      // Decoder convention: src_port = type, dst_port = code.
      const auto type = static_cast<uint8_t>(e.src_port);
      const int peer = icmp_counterpart(e.l4_proto == kProtoIcmpv6, type);
      if (peer >= 0) return {type, static_cast<uint16_t>(peer)};
      return {e.src_port, e.dst_port};
    }
    default:
      return {0, 0};
  }
}

FlowKey make_flow_key(const IpAddress& src, const IpAddress& dst, FlowPorts ports, uint8_t proto,
                      bool& src_is_lo) noexcept {
  FlowKey k;
  k.proto = proto;
  src_is_lo = src < dst || (src == dst && ports.src <= ports.dst);
  if (src_is_lo) {
    k.addr_lo = src;
    k.addr_hi = dst;
    k.port_lo = ports.src;
    k.port_hi = ports.dst;
  } else {
    k.addr_lo = dst;
    k.addr_hi = src;
    k.port_lo = ports.dst;
    k.port_hi = ports.src;
  }
  return k;
}

namespace {
// wyhash's multiply-fold: the high and low halves of a 128-bit product, xored.
inline uint64_t mum(uint64_t a, uint64_t b) noexcept {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
}  // namespace

// The five words in three independent products, then one more: about a third of the latency of
// folding them one after another (it sat on every packet's lookup).
uint64_t flow_hash(const FlowKey& k) noexcept {
  const auto* p = reinterpret_cast<const uint8_t*>(&k);
  constexpr uint64_t s0 = 0xa0761d6478bd642fULL, s1 = 0xe7037ed1a0b428dbULL, s2 = 0x8ebc6af09c88c6e3ULL,
                     s3 = 0x589965cc75374cc3ULL;
  const uint64_t a = mum(load64(p) ^ s0, load64(p + 8) ^ s1);
  const uint64_t b = mum(load64(p + 16) ^ s2, load64(p + 24) ^ s3);
  const uint64_t c = mum(load64(p + 32) ^ s1, sizeof(FlowKey) ^ s0);
  return mum(a ^ b ^ s2, c ^ s3);
}

uint32_t worker_hash(const IpAddress& a, const IpAddress& b) noexcept {
  const IpAddress& lo = a < b ? a : b;
  const IpAddress& hi = a < b ? b : a;
  uint64_t h = mix64(load64(&lo.bytes[0]) ^ 0x51ed270b27ULL);
  h = mix64(h ^ load64(&lo.bytes[8]));
  h = mix64(h ^ load64(&hi.bytes[0]));
  h = mix64(h ^ load64(&hi.bytes[8]));
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace spanwatch::lib
