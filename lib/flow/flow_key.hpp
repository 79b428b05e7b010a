// The canonical flow key (endpoints in a fixed order, so both directions give the same key) and the two
// hashes spanwatch uses: a well-mixed 64-bit hash for the flow table, and a symmetric address-only hash
// that picks the worker (address-only so that IP fragments without ports reach their flow's worker).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lib/core/ip_address.hpp"
#include "lib/decode/decoded_packet.hpp"

namespace spanwatch::lib {

struct FlowKey {
  IpAddress addr_lo, addr_hi;  // endpoint order: (addr, port) ascending
  uint16_t port_lo = 0, port_hi = 0;
  uint8_t proto = 0;
  uint8_t pad[3] = {0, 0, 0};  // zeroed: keys are compared and hashed as bytes

  // Word compares instead of a memcmp call per member: the padding is always zero. Each word is loaded on
  // its own (copying both keys into arrays made GCC store them on the stack first); with SSE2 the addresses
  // as two 16-byte words (every packet compares its flow's key: 10 instructions instead of 15).
  friend bool operator==(const FlowKey& a, const FlowKey& b) noexcept {
    auto diff = [&](size_t i) {
      uint64_t x, y;
      std::memcpy(&x, reinterpret_cast<const char*>(&a) + 8 * i, 8);
      std::memcpy(&y, reinterpret_cast<const char*>(&b) + 8 * i, 8);
      return x ^ y;
    };
#ifdef __SSE2__
    auto same16 = [&](size_t i) {
      return _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(&a) + i),
                            _mm_loadu_si128(reinterpret_cast<const __m128i*>(&b) + i));
    };
    return _mm_movemask_epi8(_mm_and_si128(same16(0), same16(1))) == 0xffff && diff(4) == 0;
#else
    return (diff(0) | diff(1) | diff(2) | diff(3) | diff(4)) == 0;
#endif
  }
};
static_assert(sizeof(FlowKey) == 40, "FlowKey is hashed as 5 words");

// Ports that identify a flow for `e`: TCP/UDP/SCTP ports as they are; ICMP type/code mapped as
// Community ID does (an echo request and its reply share a key); 0/0 for port-less protocols.
struct FlowPorts {
  uint16_t src = 0, dst = 0;
};
FlowPorts flow_ports(const IpEndpoints& e) noexcept;

// Builds the canonical key; `src_is_lo` tells whether the packet's source is the key's low endpoint.
// Inline, as flow_hash(): both run on every packet.
inline FlowKey make_flow_key(const IpAddress& src, const IpAddress& dst, FlowPorts ports, uint8_t proto,
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

namespace flow_key_detail {
// wyhash's multiply-fold: the high and low halves of a 128-bit product, xored.
inline uint64_t mum(uint64_t a, uint64_t b) noexcept {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
inline uint64_t load64(const void* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
}  // namespace flow_key_detail

// Flow-table hash over the whole key (full 64-bit entropy). The five words in three independent
// products, then one more: about a third of the latency of folding them one after another (it sits on
// every packet's lookup).
inline uint64_t flow_hash(const FlowKey& k) noexcept {
  using flow_key_detail::load64, flow_key_detail::mum;
  const auto* p = reinterpret_cast<const uint8_t*>(&k);
  constexpr uint64_t s0 = 0xa0761d6478bd642fULL, s1 = 0xe7037ed1a0b428dbULL, s2 = 0x8ebc6af09c88c6e3ULL,
                     s3 = 0x589965cc75374cc3ULL;
  const uint64_t a = mum(load64(p) ^ s0, load64(p + 8) ^ s1);
  const uint64_t b = mum(load64(p + 16) ^ s2, load64(p + 24) ^ s3);
  const uint64_t c = mum(load64(p + 32) ^ s1, sizeof(FlowKey) ^ s0);
  return mum(a ^ b ^ s2, c ^ s3);
}

// Symmetric hash of an address pair: worker_hash(a, b) == worker_hash(b, a).
uint32_t worker_hash(const IpAddress& a, const IpAddress& b) noexcept;

}  // namespace spanwatch::lib
