// One flow as a worker's shard keeps it. Originator/responder follow Zeek's decision (which may flip);
// per-direction counters are indexed by Dir. The hash is not kept: it is recomputed from the key when
// the flow is removed.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "lib/flow/flow_key.hpp"
#include "lib/flow/flow_record.hpp"
#include "lib/flow/index_list.hpp"
#include "lib/flow/l7_info.hpp"
#include "workers/flow_counters.hpp"

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

// The outermost tunnel endpoints of a flow carried inside a tunnel: interned (FlowShard), as few flows have
// them and the flows of one tunnel share them; the flow's TunnelFlowContext names them.
struct FlowTunnel {
  lib::IpAddress src, dst;

  bool operator==(const FlowTunnel&) const noexcept = default;
};

// What a flow keeps only while detection or parsing runs, or rarely has (the nDPI host name, counters past
// 2^32, interim records): one pooled slot (FlowShard) named by FlowEntry::side, taken on first need and
// given back once nothing in it is in use, so a classified flow usually has none (issue 3:
// workers/flow_memory_bench measures it).
struct FlowSide {
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint64_t kNoDue = UINT64_MAX;
  uint32_t dpi_slot = kNone;     // nDPI state while detection runs (NdpiDetector::kNoSlot otherwise)
  uint32_t app_state = kNone;    // AppDissector parse state while a parser waits for bytes
  uint32_t prefix_slot = kNone;  // PayloadPrefixCapture slot while prefixes are kept
  uint32_t host_slot = kNone;    // nDPI's host name (NdpiDetector::host) while the info line needs it
  uint32_t wide_slot = kNone;    // FlowWideCounters, once a counter carried, a carrier packet or fragment
  uint32_t sequence = 0;         // interim records emitted so far
  // The next interim record's due time when it is not the flow's first_ns + the active timeout (after an
  // interim record, or once an earlier packet lowered first_ns): FlowShard::active_due_ns().
  uint64_t due_ns = kNoDue;

  bool has_due() const noexcept { return due_ns != kNoDue; }

  // Nothing here that a flow would miss if the slot went back.
  bool unused() const noexcept {
    return (dpi_slot & app_state & prefix_slot & host_slot & wide_slot) == kNone && sequence == 0 &&
           !has_due();
  }
};
static_assert(sizeof(FlowSide) == 32);

// Exactly two cache lines, aligned (the table's entries start on a page): a lookup compares the key in the
// first line, and no entry shares a line with its neighbours. A packet of a classified flow touches these
// two lines and its TCP machine only. What a flow keeps only while detection runs, or rarely has, is in its
// FlowSide slot; the TCP machine of TCP flows and the AppMetadata in pools named by 32-bit indices; what it
// shares with other flows (port, VLANs, tunnel type, MACs, nDPI's answer) in an interned FlowContext (with
// the tunnel endpoints' id inside a tunnel: TunnelFlowContext); the live-snapshot order in a per-shard queue
// of references (FlowRefQueue), and no active-timeout order (an interim record is due at the flow's packets:
// FlowShard::interim_due()); the activity time, when Zeek's timers let it lag behind last_ns, beside the TCP
// machine (issue 3: workers/flow_memory_bench measures it). Derivable values are not stored: the ports are
// the key's (orig_port()), the packets a flow owns are its packets less those it carried for inner flows
// (FlowWideCounters).
struct alignas(64) FlowEntry {
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  // First line: the key, the times, the pooled state.
  lib::FlowKey key;
  uint64_t last_ns = 0;
  uint64_t first_ns = 0;
  uint32_t tcp_slot = kNoSlot;  // TCP flows: their TcpStateMachine (FlowShard), UDP flows need none
  uint32_t side = kNoSlot;      // FlowSide (FlowShard), while the flow has one
  // Second line: what every packet updates or tests, and what records read.
  std::array<DirCounters, 2> dir{};  // low 32 bits; the high words are in FlowWideCounters (side)
  lib::ListLink idle_link;           // in the list of its timeout class, by last activity
  uint64_t flow_id = 0;
  uint32_t app_meta = kNoSlot;  // AppDissector metadata (packed once the parsers are done)
  uint32_t context = 0;         // FlowContext (FlowShard's InternTable), 0: none yet (all zero)
  lib::L7State l7_state = lib::L7State::kNone;        // the rest of the L7Info is in the context
  TimeoutClass timeout_class = TimeoutClass::kOther;  // kCount once the flow ended (FlowShard::holds())
  std::array<uint8_t, 2> tcp_flags{};                 // [Dir]: union of flags sent
  uint8_t app_packets = 0;     // payload packets the parsers looked at (both directions)
  bool orig_is_lo : 1 = true;  // originator is the key's low endpoint
  bool is_tunnel_carrier : 1 = false;
  bool live_dirty : 1 = false;     // its reference is in the live-snapshot queue
  bool dpi_tried : 1 = false;      // a state was asked for once; detection ran or could not run
  bool app_done : 1 = false;       // no parser needs more packets of this flow
  bool app_info : 1 = false;       // once app_done: the metadata gives the info line (nDPI's host not needed)
  bool prefix_done : 1 = false;    // both payload prefixes are complete, or none can be kept
  bool activity_held : 1 = false;  // the activity time is not last_ns (FlowShard::activity_ns())
  uint8_t has_mac : 2 = 0;         // bit Dir: the context's mac[Dir] is set
  bool is_ipv6 : 1 = false;
  bool in_tunnel : 1 = false;  // an inner flow of a tunnel: `context` names a TunnelFlowContext (FlowShard)

  uint8_t ip_version() const noexcept { return is_ipv6 ? 6 : 4; }

  // As recorded (ICMP: type/code of the first packet): the key holds the first packet's ports, and
  // orig_is_lo (which flips with the roles) says whose they are.
  uint16_t orig_port() const noexcept { return orig_is_lo ? key.port_lo : key.port_hi; }
  uint16_t resp_port() const noexcept { return orig_is_lo ? key.port_hi : key.port_lo; }

  bool l7_final() const noexcept { return l7_state != lib::L7State::kNone; }
};
static_assert(sizeof(FlowEntry) == 128, "two cache lines (issue 3: bytes per flow)");
static_assert(offsetof(FlowEntry, key) + sizeof(lib::FlowKey) <= 64, "a lookup compares in the first line");
static_assert(offsetof(FlowEntry, dir) == 64, "the counters start the second line");

}  // namespace spanwatch::workers
