// The canonical flow key (endpoints in a fixed order, so both directions give the same key) and the two
// hashes spanwatch uses: a well-mixed 64-bit hash for the flow table, and a symmetric address-only hash
// that picks the worker (address-only so that IP fragments without ports reach their flow's worker).
#pragma once
#include <cstdint>
#include <cstring>

#include "lib/core/ip_address.hpp"
#include "lib/decode/decoded_packet.hpp"

namespace spanwatch::lib {

struct FlowKey {
  IpAddress addr_lo, addr_hi;  // endpoint order: (addr, port) ascending
  uint16_t port_lo = 0, port_hi = 0;
  uint8_t proto = 0;
  uint8_t pad[3] = {0, 0, 0};  // zeroed: keys are compared and hashed as bytes

  // Five word compares instead of a memcmp call per member: the padding is always zero.
  friend bool operator==(const FlowKey& a, const FlowKey& b) noexcept {
    uint64_t x[5], y[5];
    std::memcpy(x, &a, sizeof x);
    std::memcpy(y, &b, sizeof y);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
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
FlowKey make_flow_key(const IpAddress& src, const IpAddress& dst, FlowPorts ports, uint8_t proto,
                      bool& src_is_lo) noexcept;

// Flow-table hash over the whole key (full 64-bit entropy).
uint64_t flow_hash(const FlowKey& k) noexcept;

// Symmetric hash of an address pair: worker_hash(a, b) == worker_hash(b, a).
uint32_t worker_hash(const IpAddress& a, const IpAddress& b) noexcept;

}  // namespace spanwatch::lib
