// The fixed-size record a worker hands to the exporter when a flow ends (final) or on the active
// timeout (interim). POD: it crosses lcores by value through a ring. Source = originator (Zeek's decision).
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "lib/core/ip_address.hpp"
#include "lib/decode/decoded_packet.hpp"
#include "lib/flow/app_metadata.hpp"
#include "lib/flow/l7_info.hpp"
#include "lib/tcp/conn_state.hpp"

namespace spanwatch::lib {

// Why a record was written (ECS event.reason; names as Suricata's flow.reason where one exists).
enum class EndReason : uint8_t {
  kIdleTimeout,
  kActiveTimeout,
  kEndOfFlow,
  kEvicted,
  kShutdown,
  kTcpReuse,
  kLiveUpdate,  // a snapshot of an active flow for live consumers (shared-memory ring only, never files)
  kCount
};
inline constexpr std::array<std::string_view, size_t(EndReason::kCount)> kEndReasonNames{
    "idle_timeout", "active_timeout", "end_of_flow", "evicted", "shutdown", "tcp_reuse", "live_update"};

// Per-direction counters. "frame" bytes are whole link-layer frames (tshark frame.len); "ip" bytes the
// IP total length (Zeek orig_ip_bytes); "payload" bytes the L4 payload per the IP length.
struct DirStats {
  uint64_t packets = 0;
  uint64_t frame_bytes = 0;
  uint64_t ip_bytes = 0;
  uint64_t payload_bytes = 0;
  std::array<uint8_t, 6> mac{};
  uint8_t tcp_flags = 0;  // union of flags sent
  bool has_mac = false;
};

// The first payload bytes a side sent (its first payload packets, joined), for rules on payload prefixes.
inline constexpr size_t kPayloadPrefixBytes = 64;
struct PayloadPrefix {
  uint8_t len = 0;
  std::array<uint8_t, kPayloadPrefixBytes> bytes{};
};

struct FlowRecord {
  uint64_t flow_id = 0;                // sensor-unique: worker id in the top 8 bits, then a counter
  uint64_t emit_ns = 0;                // time the record was made (packet time in replay)
  uint64_t made_tsc = 0;               // cycle_clock() when the worker made it: the exporter's lag
  uint64_t first_ns = 0, last_ns = 0;  // first / last packet, ns since the epoch

  IpAddress src_ip, dst_ip;             // originator, responder
  uint16_t src_port = 0, dst_port = 0;  // ICMP: type / code of the originator's first packet
  uint8_t l4_proto = 0;
  uint8_t ip_version = 0;

  std::array<DirStats, 2> dir{};  // [Dir::kOrig], [Dir::kResp]

  uint8_t vlan_count = 0;
  std::array<uint16_t, kMaxVlans> vlan_ids{};

  ConnState conn_state = ConnState::kOTH;
  uint8_t history_len = 0;
  std::array<char, 24> history{};  // Zeek letters, not NUL-terminated

  EndReason reason = EndReason::kShutdown;
  bool final = true;
  uint16_t port_id = 0;  // ingress port of the first packet
  uint16_t worker_id = 0;
  uint32_t sequence = 0;  // 0 for the first record of a flow, +1 per interim record

  TunnelType tunnel = TunnelType::kNone;  // set on flows carried inside a tunnel
  uint8_t tunnel_depth = 0;
  IpAddress tunnel_src, tunnel_dst;        // outermost tunnel endpoints
  bool is_tunnel_carrier = false;          // this flow is the outer UDP flow of a tunnel (VXLAN, GTP-U, ...)
  uint32_t fragments = 0;                  // non-first IP fragments accounted to this flow
  L7Info l7;                               // application (nDPI ids; JsonFlowContext::l7_names names them)
  char l7_host[80] = {};                   // nDPI's host name: the info line when our parsers read none
  AppMetadata app;                         // what the application revealed (own parsers)
  std::array<PayloadPrefix, 2> payload{};  // per direction; only captured when rules look at payloads
  uint64_t own_packets = 0;                // packets for which this is the innermost flow: summed over final
                                           // records they count every flow packet once (a tunnel's UDP flow
                                           // also carries packets that belong to inner flows)
};

static_assert(std::is_trivially_copyable_v<FlowRecord>, "FlowRecord crosses lcores by memcpy");
static_assert(sizeof(FlowRecord) % 8 == 0, "ring element size must be a multiple of 4 (rte_ring_elem)");

}  // namespace spanwatch::lib
