// What the worker needs of a packet whose flow is past detection and parsing, in one cache line: the RX
// lcore decodes every packet anyway (to pick its worker), writes this in the item's summary slot
// (workers/summary_slots.hpp) and the worker finds and accounts the flow without decoding the frame again, as
// VPP hands per-buffer metadata from node to node. The worker still decodes the frame when the flow needs
// more (a new flow, DPI or parsing still running, payload prefixes, a side's first MAC address).
#pragma once
#include <cstdint>

#include "lib/core/ip_proto.hpp"
#include "lib/core/tcp_flags.hpp"
#include "lib/decode/decoded_packet.hpp"
#include "lib/flow/flow_key.hpp"

namespace spanwatch::lib {

struct PacketSummary {
  FlowKey key;        // the inner flow's canonical key, as make_flow_key() builds it
  uint64_t hash = 0;  // flow_hash(key)
  uint32_t tcp_seq = 0, tcp_ack = 0;
  uint16_t ip_bytes = 0;  // as DecodedPacket's (summarize() declines larger values)
  uint16_t payload_len = 0;
  uint16_t tcp_window = 0;
  uint8_t tcp_flags = 0;
  uint8_t bits = 0;  // kSrcIsLo | kHasMac

  static constexpr uint8_t kSrcIsLo = 1;  // the packet's source is the key's low endpoint
  static constexpr uint8_t kHasMac = 2;   // the frame has a source MAC (DecodedPacket::has_mac)
};
static_assert(sizeof(PacketSummary) == 64, "one cache line");

// Fills `out` for a flow packet the summary describes in full and returns true; false (out untouched
// past what it wrote) for the packets the worker must decode itself: tunnel carriers (their UDP flows
// are accounted too), IP fragments (the fragment table), lengths past 16 bits and TCP SYNs (one may start
// a new connection on the same tuple, which needs the whole packet).
inline bool summarize(const DecodedPacket& p, PacketSummary& out) noexcept {
  const IpEndpoints& ep = p.inner;
  if (p.carrier_count != 0 || p.fragment != Fragment::kNone || ep.ip_bytes > UINT16_MAX ||
      p.payload_len > UINT16_MAX || (ep.l4_proto == kProtoTcp && (p.tcp_flags & kTcpSyn)))
    return false;
  bool src_is_lo = false;
  out.key = make_flow_key(ep.src, ep.dst, flow_ports(ep), ep.l4_proto, src_is_lo);
  out.hash = flow_hash(out.key);
  out.tcp_seq = p.tcp_seq;
  out.tcp_ack = p.tcp_ack;
  out.ip_bytes = static_cast<uint16_t>(ep.ip_bytes);
  out.payload_len = static_cast<uint16_t>(p.payload_len);
  out.tcp_window = p.tcp_window;
  out.tcp_flags = p.tcp_flags;
  out.bits = uint8_t((src_is_lo ? PacketSummary::kSrcIsLo : 0) | (p.has_mac ? PacketSummary::kHasMac : 0));
  return true;
}

}  // namespace spanwatch::lib
