// Flow keys and hashes. The hash mixes 8-byte words with a multiply-xorshift finaliser (fast, no
// CPU-specific instructions, good avalanche); a NIC's symmetric Toeplitz hash has only 16 bits of
// entropy and is never used for the table.
#include "lib/flow/flow_key.hpp"

#include <cstring>

#include "lib/core/icmp_types.hpp"
#include "lib/core/ip_proto.hpp"
#include "lib/core/mix64.hpp"

namespace spanwatch::lib {
namespace {

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
