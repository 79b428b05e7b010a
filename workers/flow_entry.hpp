// One flow as a worker's shard keeps it. Originator/responder follow Zeek's decision (which may flip);
// per-direction counters are indexed by Dir. Issue 7 splits this into a one-cache-line hot part and a
// cold part; until then it is one struct.
#pragma once
#include <array>
#include <cstdint>

#include "lib/flow/flow_key.hpp"
#include "lib/flow/flow_record.hpp"
#include "lib/flow/index_list.hpp"
#include "lib/tcp/tcp_state_machine.hpp"

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

struct FlowEntry {
  lib::FlowKey key;
  uint64_t hash = 0;
  lib::ListLink idle_link;    // in the list of its timeout class, by last activity
  lib::ListLink active_link;  // in the active-timeout FIFO, by next interim record time
  lib::ListLink live_link;    // in the list of flows changed since the last live snapshot
  uint64_t next_active_ns = 0;
  uint64_t flow_id = 0;
  uint64_t first_ns = 0, last_ns = 0;
  uint64_t activity_ns = 0;  // timeouts count from here; Zeek stops updating it once both sides closed
  std::array<lib::DirStats, 2> dir{};
  lib::TcpStateMachine tcp;
  lib::IpAddress tunnel_src, tunnel_dst;
  uint32_t sequence = 0;  // records emitted so far
  uint32_t fragments = 0;
  uint64_t own_packets = 0;         // see FlowRecord::own_packets
  uint32_t dpi_slot = UINT32_MAX;   // nDPI state while detection runs (NdpiDetector::kNoSlot otherwise)
  bool dpi_tried = false;           // a state was asked for once; detection ran or could not run
  uint32_t app_state = UINT32_MAX;  // AppDissector parse state while a parser waits for bytes
  uint32_t app_meta = UINT32_MAX;   // AppDissector metadata, once a parser read something
  bool app_done = false;            // no parser needs more packets of this flow
  uint8_t app_packets = 0;          // payload packets the parsers looked at (both directions)
  lib::L7Info l7;
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
};

}  // namespace spanwatch::workers
