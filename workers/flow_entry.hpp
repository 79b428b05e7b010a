// One flow as a worker's shard keeps it. Originator/responder follow Zeek's decision (which may flip);
// per-direction counters are indexed by Dir. The hash is not kept: it is recomputed from the key when
// the flow is removed.
#pragma once
#include <array>
#include <cstdint>

#include "lib/flow/flow_key.hpp"
#include "lib/flow/flow_record.hpp"
#include "lib/flow/index_list.hpp"

namespace spanwatch::workers {

// Each class has its own idle timeout and its own LRU list, so each list's head expires first.
// TCP follows Zeek's connection timers: an unanswered SYN (attempt), a handshake not yet complete, an
// established connection, and a connection closed on both sides (linger).
// DNS over UDP ends sooner, as Zeek's DNS analyzer removes a session idle for dns_session_timeout.
enum class TimeoutClass : uint8_t {
  kTcpAttempt,
  kTcpHandshake,
  kTcp,
  kTcpClosed,
  kUdp,
  kUdpDns,
  kIcmp,
  kOther,
  kCount
};

// The outermost tunnel endpoints of a flow carried inside a tunnel: pooled (FlowShard), as few flows have
// them.
struct FlowTunnel {
  lib::IpAddress src, dst;
};

// Fields ordered by size so that there is no padding; a classified flow keeps nothing else but the pooled
// slots named here (issue 3: workers/flow_memory_bench measures it).
struct FlowEntry {
  lib::FlowKey key;
  lib::ListLink idle_link;    // in the list of its timeout class, by last activity
  lib::ListLink active_link;  // in the active-timeout FIFO, by next interim record time
  lib::ListLink live_link;    // in the list of flows changed since the last live snapshot
  uint64_t next_active_ns = 0;
  uint64_t flow_id = 0;
  uint64_t first_ns = 0, last_ns = 0;
  uint64_t activity_ns = 0;  // timeouts count from here; Zeek stops updating it once both sides closed
  uint64_t own_packets = 0;  // see FlowRecord::own_packets
  std::array<lib::DirStats, 2> dir{};
  lib::L7Info l7;
  uint32_t sequence = 0;  // records emitted so far
  uint32_t fragments = 0;
  uint32_t dpi_slot = UINT32_MAX;     // nDPI state while detection runs (NdpiDetector::kNoSlot otherwise)
  uint32_t app_state = UINT32_MAX;    // AppDissector parse state while a parser waits for bytes
  uint32_t app_meta = UINT32_MAX;     // AppDissector metadata (packed once the parsers are done)
  uint32_t prefix_slot = UINT32_MAX;  // PayloadPrefixCapture slot while prefixes are kept
  uint32_t host_slot = UINT32_MAX;    // nDPI's host name (NdpiDetector::host) while the info line needs it
  uint32_t tunnel_slot = UINT32_MAX;  // FlowTunnel, for flows inside a tunnel
  uint32_t tcp_slot = UINT32_MAX;     // TCP flows: their TcpStateMachine (FlowShard), UDP flows need none
  uint16_t orig_port = 0, resp_port = 0;  // as recorded (ICMP: type/code of the first packet)
  uint16_t port_id = 0;
  std::array<uint16_t, lib::kMaxVlans> vlan_ids{};
  uint8_t vlan_count = 0;
  bool orig_is_lo = true;  // originator is the key's low endpoint
  TimeoutClass timeout_class = TimeoutClass::kOther;
  lib::TunnelType tunnel = lib::TunnelType::kNone;
  uint8_t tunnel_depth = 0;
  bool is_tunnel_carrier = false;
  bool live_dirty = false;  // in the live list
  uint8_t ip_version = 0;
  bool dpi_tried = false;    // a state was asked for once; detection ran or could not run
  bool app_done = false;     // no parser needs more packets of this flow
  bool app_info = false;     // once app_done: the metadata gives the info line (nDPI's host not needed)
  uint8_t app_packets = 0;   // payload packets the parsers looked at (both directions)
  bool prefix_done = false;  // both payload prefixes are complete, or none can be kept
};

}  // namespace spanwatch::workers
