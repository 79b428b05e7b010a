#include "workers/flow_shard.hpp"

#include <ndpi/ndpi_api.h>

#include <algorithm>
#include <utility>

#include "lib/core/cycle_clock.hpp"
#include "lib/core/ip_proto.hpp"
#include "lib/decode/packet_decoder.hpp"
#include "workers/name_service_ports.hpp"

namespace spanwatch::workers {
namespace {

// FlowContext's bit-fields hold every value nDPI gives (its protocol ids are below NDPI_NUM_BITS).
static_assert(NDPI_NUM_BITS <= 1u << FlowContext::kL7IdBits &&
              NDPI_PROTOCOL_NUM_CATEGORIES <= 1u << FlowContext::kL7CategoryBits &&
              NUM_BREEDS <= 1u << FlowContext::kL7SmallIdBits &&
              NDPI_CONFIDENCE_MAX < 1u << FlowContext::kL7SmallIdBits);

constexpr uint64_t kNsPerSec = 1'000'000'000ULL;
using lib::kProtoIcmp, lib::kProtoIcmpv6, lib::kProtoTcp, lib::kProtoUdp;
constexpr unsigned kWorkerIdShift = 56;    // flow id = worker id in the top byte, then a counter
constexpr uint32_t kFragmentSlots = 8192;  // datagrams in flight per worker

constexpr unsigned kUdpHeaderBytes = 8;
constexpr unsigned kIpv4HeaderBytes = 20, kIpv6HeaderBytes = 40;

// A UDP record's history: Zeek's C (originator) and c (responder) on the 1st, 10th, 100th, ... packet with
// a bad checksum (UDPSessionAdapter::HandleBadChecksum), the originator's letters first.
template <size_t N>
uint8_t checksum_history(const std::array<uint32_t, 2>& bad, std::array<char, N>& out) noexcept {
  size_t n = 0;
  for (size_t d = 0; d < 2; ++d)
    for (uint64_t at = 1; at <= bad[d] && n < N; at *= 10) out[n++] = d == 0 ? 'C' : 'c';
  return uint8_t(n);
}

TimeoutClass initial_class(const lib::IpEndpoints& ep) noexcept {
  switch (ep.l4_proto) {
    case kProtoTcp:
      return TimeoutClass::kTcpHandshake;
    case kProtoUdp:
      return is_name_service_port(ep.src_port) || is_name_service_port(ep.dst_port) ? TimeoutClass::kUdpDns
                                                                                    : TimeoutClass::kUdp;
    case kProtoIcmp:
    case kProtoIcmpv6:
      return TimeoutClass::kIcmp;
    default:
      return TimeoutClass::kOther;
  }
}

// Zeek's TCPSessionAdapter timers, as timeout classes (see TimeoutClass). Inline: every TCP packet asks.
[[gnu::always_inline]] inline TimeoutClass tcp_timeout_class(const lib::TcpStateMachine& m) noexcept {
  using S = lib::TcpEndpointState;
  const S os = m.endpoint_state(lib::Dir::kOrig), rs = m.endpoint_state(lib::Dir::kResp);
  const bool od = m.did_close(lib::Dir::kOrig), rd = m.did_close(lib::Dir::kResp);
  if (os == S::kEstablished && rs == S::kEstablished && !od && !rd)
    return TimeoutClass::kTcp;  // most packets
  const bool reset = os == S::kReset || rs == S::kReset;
  const bool inactive = os == S::kInactive || rs == S::kInactive;
  if ((od || rd) && ((od && rd) || reset || inactive)) return TimeoutClass::kTcpClosed;
  if (m.is_attempt()) return TimeoutClass::kTcpAttempt;
  auto handshake = [](S s) { return s == S::kInactive || s == S::kSynSent || s == S::kSynAckSent; };
  if (handshake(os) && handshake(rs)) return TimeoutClass::kTcpHandshake;
  return TimeoutClass::kTcp;
}

// A DecodedPacket or the RX lcore's PacketSummary: the same TCP fields under the same names.
template <class Packet>
lib::TcpSegment segment_of(const Packet& p) noexcept {
  lib::TcpSegment s;
  s.flags = p.tcp_flags;
  s.seq = p.tcp_seq;
  s.ack = p.tcp_ack;
  s.payload_len = p.payload_len;
  s.window = p.tcp_window;
  return s;
}

}  // namespace

FlowShard::FlowShard(const lib::FlowConfig& cfg, uint16_t worker_id, RecordSink& sink, NdpiDetector* dpi,
                     AppDissector* apps, PayloadPrefixCapture* prefixes)
    : active_timeout_ns_(uint64_t{cfg.active_timeout_s} * kNsPerSec),
      worker_id_(worker_id),
      verify_checksums_(cfg.verify_checksums),
      next_flow_id_(uint64_t{worker_id} << kWorkerIdShift),
      sink_(sink),
      dpi_(dpi),
      apps_(apps),
      prefixes_(prefixes),
      table_(cfg.max_flows_per_worker),
      tunnels_(cfg.max_flows_per_worker),  // each flow holds at most one reference
      tcp_states_(cfg.max_flows_per_worker),
      tcp_rare_(cfg.max_flows_per_worker),
      wide_(cfg.max_flows_per_worker),
      sides_(cfg.max_flows_per_worker),
      // Every TCP attempt writes its slot: 2 MiB pages (a fault per 512 slots with 4 KiB ones).
      tcp_activity_(cfg.max_flows_per_worker),
      contexts_(cfg.max_flows_per_worker + 1),
      tunnel_contexts_(cfg.max_flows_per_worker + 1),
      live_(cfg.live_update_ms != 0 ? cfg.max_flows_per_worker : 0),
      live_update_ns_(uint64_t{cfg.live_update_ms} * 1'000'000ULL),
      frags_(kFragmentSlots, uint64_t{cfg.fragment_timeout_s} * kNsPerSec) {
  profile_.enable(cfg.profile_stages);
  timeout_ns_[size_t(TimeoutClass::kTcpAttempt)] = uint64_t{cfg.tcp_attempt_timeout_s} * kNsPerSec;
  timeout_ns_[size_t(TimeoutClass::kTcpHandshake)] = uint64_t{cfg.tcp_handshake_timeout_s} * kNsPerSec;
  timeout_ns_[size_t(TimeoutClass::kTcp)] = uint64_t{cfg.tcp_idle_timeout_s} * kNsPerSec;
  timeout_ns_[size_t(TimeoutClass::kTcpClosed)] = uint64_t{cfg.tcp_linger_s} * kNsPerSec;
  timeout_ns_[size_t(TimeoutClass::kUdp)] = uint64_t{cfg.udp_idle_timeout_s} * kNsPerSec;
  timeout_ns_[size_t(TimeoutClass::kUdpDns)] = uint64_t{cfg.dns_idle_timeout_s} * kNsPerSec;
  timeout_ns_[size_t(TimeoutClass::kIcmp)] = uint64_t{cfg.icmp_idle_timeout_s} * kNsPerSec;
  timeout_ns_[size_t(TimeoutClass::kOther)] = uint64_t{cfg.other_idle_timeout_s} * kNsPerSec;
}

void FlowShard::start_lookup(const lib::DecodedPacket& pkt, uint8_t layers, FlowLookup& l) const noexcept {
  l.valid = (layers & kLayerInner) && pkt.fragment != lib::Fragment::kLater;
  if (!l.valid) return;
  l = lookup_of(pkt.inner);
  table_.prefetch(l.hash);
}

// The per-packet helpers below are inline (used only in this file): each was a call on every packet.
inline FlowShard::FlowLookup FlowShard::lookup_of(const lib::IpEndpoints& ep) noexcept {
  FlowLookup l;
  l.key = lib::make_flow_key(ep.src, ep.dst, lib::flow_ports(ep), ep.l4_proto, l.src_is_lo);
  l.hash = lib::flow_hash(l.key);
  l.valid = true;
  return l;
}

void FlowShard::process(const lib::DecodedPacket& pkt, uint64_t ts_ns, uint16_t port_id, uint8_t layers,
                        const FlowLookup* lookup) noexcept {
  clock_ns_ = std::max(clock_ns_, ts_ns);
  // Timeouts run on packet time before the packet is applied, so a flow idle past its timeout ends
  // and the packet starts a new one, as Zeek does when reading a file.
  if (ts_ns >= next_deadline_ns_) expire(ts_ns);
  for (unsigned i = 0; i < pkt.carrier_count; ++i)
    if (layers & carrier_layer(i)) process_carrier(pkt, pkt.carriers[i], ts_ns, port_id);
  if (layers & kLayerInner) process_inner(pkt, ts_ns, port_id, lookup);
}

uint32_t FlowShard::create(const lib::FlowKey& key, uint64_t hash, const lib::IpEndpoints& ep,
                           const lib::DecodedPacket& pkt, bool carrier, uint64_t ts_ns, uint16_t port_id,
                           bool src_is_lo) noexcept {
  if (table_.full()) evict_oldest(ts_ns);
  const uint32_t idx = table_.insert(key, hash);
  FlowEntry& e = table_.at(idx);
  e.flow_id = next_flow_id_++;
  e.first_ns = e.last_ns = ts_ns;  // and the activity time (activity_ns())
  e.is_ipv6 = ep.ip_version == 6;
  FlowContext c;
  c.port_id = port_id;
  c.set_vlans(pkt.vlan_count, pkt.vlan_ids);
  e.is_tunnel_carrier = carrier;
  if (key.proto == kProtoTcp) e.tcp_slot = tcp_states_.acquire();  // a zeroed slot is a new machine
  e.in_tunnel = !carrier && pkt.tunnel_depth > 0;
  if (e.in_tunnel) {
    c.tunnel = static_cast<uint8_t>(pkt.tunnel);
    c.tunnel_depth = pkt.tunnel_depth;
  }

  // Zeek decides who the originator is from the first packet (likely-server-port heuristics).
  // A packet to the IPv4 broadcast address is never the responder's (IPBasedAnalyzer::NewConn).
  bool from_responder = false;
  const bool to_broadcast = ep.dst.is_v4() && ep.dst.v4()[0] == 0xff && ep.dst.v4()[1] == 0xff &&
                            ep.dst.v4()[2] == 0xff && ep.dst.v4()[3] == 0xff;
  if (to_broadcast)
    from_responder = false;
  else if (ep.l4_proto == kProtoTcp && !carrier)
    from_responder =
        lib::TcpStateMachine::first_packet_from_responder(segment_of(pkt), ep.src_port, ep.dst_port);
  else if (ep.l4_proto == kProtoUdp)
    from_responder = lib::udp_first_packet_from_responder(ep.src_port, ep.dst_port);
  // The key holds the packet's ports (ICMP: Zeek's, the type and the counterpart type (echo 8 -> 0) or
  // else the code), so this also decides FlowEntry::orig_port().
  e.orig_is_lo = from_responder ? !src_is_lo : src_is_lo;
  // The first packet's MAC address, which account() would add at once: one interned context, not two.
  if (pkt.has_mac) {
    const auto d = size_t(direction(e, src_is_lo));
    c.mac[d] = pkt.src_mac;
    e.has_mac = uint8_t(1u << d);
  }

  // As many tunnel ids as flows: each flow holds one reference (finish()).
  e.context = e.in_tunnel
                  ? tunnel_contexts_.intern({c, tunnels_.intern(FlowTunnel{pkt.outer.src, pkt.outer.dst})})
                  : contexts_.intern(c);
  e.timeout_class = initial_class(ep);
  lists_[size_t(e.timeout_class)].push_back(table_.data(), idx);
  defer_touch(idx);
  note_deadline(ts_ns + timeout_ns_[size_t(e.timeout_class)]);
  ctr_.flows_created.add(1);
  ctr_.flows_active.set(table_.size());
  return idx;
}

inline uint32_t FlowShard::find_or_create(const FlowLookup& l, const lib::IpEndpoints& ep,
                                          const lib::DecodedPacket& pkt, bool carrier, uint64_t ts_ns,
                                          uint16_t port_id) noexcept {
  uint32_t idx = table_.find(l.key, l.hash, l.hint);
  if (idx == lib::kNilIndex) idx = create(l.key, l.hash, ep, pkt, carrier, ts_ns, port_id, l.src_is_lo);
  profile_.lap(Stage::kLookup);
  return idx;
}

// A packet older than the flow's first (out of order): the active timeout still counts from the first
// packet seen (active_due_ns()), so its due time is kept in the FlowSide before first_ns moves.
void FlowShard::lower_first_ns(FlowEntry& e, uint64_t ts_ns) noexcept {
  FlowSide& s = side(e);
  if (!s.has_due()) s.due_ns = e.first_ns + active_timeout_ns_;
  e.first_ns = ts_ns;
}

// A counter passed 2^32, or a side's first packet with a MAC address (at most twice per flow).
void FlowShard::account_rare(FlowEntry& e, size_t di, uint32_t frame_len,
                             const std::array<uint8_t, 6>* src_mac, uint32_t ip_bytes, uint32_t payload_bytes,
                             bool carried) noexcept {
  if (carried) wide(e).add_carries(unsigned(di), e.dir[di].carries(frame_len, ip_bytes, payload_bytes));
  if (src_mac && !(e.has_mac & (1u << di))) {
    change_context(e, [&](FlowContext& c) { c.mac[di] = *src_mac; });
    e.has_mac |= 1u << di;
  }
}

// Zeek swapped originator and responder (TcpVerdict::kFlipRoles).
inline void FlowShard::flip_roles(FlowEntry& e) noexcept {
  swap_directions(e);
  e.orig_is_lo = !e.orig_is_lo;  // swaps orig_port() and resp_port() too
  if (e.side != kNoPoolSlot) {   // detection, parsing or payload prefixes running: their state flips too
    FlowSide& s = sides_[e.side];
    if (apps_) apps_->on_flip(e, s);
    if (prefixes_) prefixes_->on_flip(s);
  }
}

// After a packet of the flow: its timeout class and its place in that class's list.
inline void FlowShard::refresh_timeout(uint32_t idx, FlowEntry& e, bool tcp, uint64_t ts_ns) noexcept {
  // Zeek's attempt and close timers are one-shot: the attempt timer runs from the SYN however busy the
  // originator is (tcp_attempt_delay), and once the close timer is armed (tcp_close_delay) stragglers
  // neither cancel nor postpone it. The other classes are inactivity timeouts.
  // The activity time follows last_ns (which the packet has moved) unless it is held (activity_ns()).
  TimeoutClass c = e.timeout_class;
  if (tcp && c != TimeoutClass::kTcpClosed) c = tcp_timeout_class(tcp_states_[e.tcp_slot]);
  if (c != e.timeout_class) {
    set_timeout_class(idx, c, std::max(activity_ns(e), ts_ns));  // moves it to the tail of the new list
  } else if (!frozen(c)) {
    advance_activity(e, ts_ns);
    defer_touch(idx);
  }
}

[[gnu::always_inline]] inline void FlowShard::process_inner(const lib::DecodedPacket& pkt, uint64_t ts_ns,
                                                            uint16_t port_id,
                                                            const FlowLookup* lookup) noexcept {
  if (pkt.fragment == lib::Fragment::kLater) return process_later_fragment(pkt, ts_ns);
  if (pkt.bad_checksum) [[unlikely]]
    return process_bad_checksum(pkt, ts_ns, port_id, lookup);

  const lib::IpEndpoints& ep = pkt.inner;
  profile_.lap(Stage::kOther);  // timers that ran before this packet, tunnel carriers
  const FlowLookup l = lookup && lookup->valid ? *lookup : lookup_of(ep);
  const bool src_is_lo = l.src_is_lo;
  profile_.lap(Stage::kHash);
  uint32_t idx = find_or_create(l, ep, pkt, false, ts_ns, port_id);
  FlowEntry* e = &table_.at(idx);
  if (interim_due(*e, ts_ns)) [[unlikely]]
    emit_interim(*e, ts_ns);
  lib::Dir d = (src_is_lo == e->orig_is_lo) ? lib::Dir::kOrig : lib::Dir::kResp;

  if (ep.l4_proto == kProtoTcp) {
    lib::TcpVerdict v = tcp_states_[e->tcp_slot].on_packet(d, segment_of(pkt), tcp_rare_);
    if (v == lib::TcpVerdict::kNewConnection) {
      ctr_.tcp_reuse.add(1);
      finish(idx, lib::EndReason::kTcpReuse, ts_ns);
      idx = find_or_create(l, ep, pkt, false, ts_ns, port_id);  // same key: no second hash
      e = &table_.at(idx);
      d = (src_is_lo == e->orig_is_lo) ? lib::Dir::kOrig : lib::Dir::kResp;
      v = tcp_states_[e->tcp_slot].on_packet(d, segment_of(pkt), tcp_rare_);
    }
    if (v == lib::TcpVerdict::kFlipRoles) {
      flip_roles(*e);
      d = lib::other(d);
    }
    profile_.lap(Stage::kTcp);
  }

  account(*e, d, pkt, ep.ip_bytes, pkt.payload_len, ts_ns);  // own_packets: see FlowWideCounters
  mark_changed(idx, *e);
  profile_.lap(Stage::kOther);
  if (dpi_ && !e->l7_final()) {
    inspect(*e, pkt, ts_ns);
    profile_.lap(Stage::kDpi);
  }
  if (apps_ && !e->app_done) apps_->on_packet(*e, side(*e), d, pkt);
  if (prefixes_ && !e->prefix_done) prefixes_->on_packet(*e, side(*e), d, pkt);
  if (e->side != kNoPoolSlot) release_unneeded_side(*e);  // none once classified
  profile_.lap(Stage::kApp);
  refresh_timeout(idx, *e, ep.l4_proto == kProtoTcp, ts_ns);
  ctr_.packets.add(1);

  if (pkt.fragment == lib::Fragment::kFirst)
    frags_.remember(ep.src, ep.dst, ep.l4_proto, pkt.frag_id, idx, e->flow_id, ts_ns);
  profile_.lap(Stage::kOther);
}

void FlowShard::process_decoded(const lib::DecodedPacket& pkt, uint64_t ts_ns, uint16_t port_id,
                                const FlowLookup* lookup) noexcept {
  process_inner(pkt, ts_ns, port_id, lookup);
}

// process_inner() for a packet of a flow that needs nothing but the summary: an existing flow past DPI and
// parsing, without payload prefixes, whose side already has its MAC address (or the frame has none), and
// no SYN (lib::summarize()), so no new connection on the tuple. Everything else decodes the frame and
// takes process_inner(), which finds the same flow again (in cache) and does the same in the same order.
bool FlowShard::account_summary(const lib::PacketSummary& s, const FlowLookup& l, uint32_t frame_len,
                                uint64_t ts_ns) noexcept {
  // Profiling decided once: a lap that tests the flag reloads it after every store of a byte (~15
  // instructions a packet when off: callgrind, docs/performance.md).
  if (profile_.enabled()) [[unlikely]]
    return account_summary_as<true>(s, l, frame_len, ts_ns);
  return account_summary_as<false>(s, l, frame_len, ts_ns);
}

template <bool kProfile>
[[gnu::always_inline]] inline bool FlowShard::account_summary_as(const lib::PacketSummary& s,
                                                                 const FlowLookup& l, uint32_t frame_len,
                                                                 uint64_t ts_ns) noexcept {
  auto lap = [this](Stage stage) {
    if constexpr (kProfile) profile_.lap(stage);
  };
  clock_ns_ = std::max(clock_ns_, ts_ns);
  if (ts_ns >= next_deadline_ns_) expire(ts_ns);  // as process(): before the packet is applied
  lap(Stage::kOther);
  const uint32_t idx = table_.find(s.key, l.hash, l.hint);
  lap(Stage::kLookup);
  if (idx != lib::kNilIndex) [[likely]] {
    FlowEntry& e = table_.at(idx);
    if (interim_due(e, ts_ns)) [[unlikely]]
      emit_interim(e, ts_ns);  // also when the frame is needed: process_inner() finds it emitted
    lib::Dir d = direction(e, l.src_is_lo);
    if (summary_suffices(e, d, s.bits & lib::PacketSummary::kHasMac)) [[likely]] {
      const bool tcp = s.key.proto == kProtoTcp;
      if (tcp) {
        lib::TcpStateMachine& m = tcp_states_[e.tcp_slot];
        // Nearly every packet of an established connection is plain: inline, no segment built. No SYN
        // here: never kNewConnection.
        if (!m.on_plain_segment(d, s.tcp_flags, s.tcp_seq, s.tcp_ack, s.payload_len, s.tcp_window) &&
            m.on_packet(d, segment_of(s), tcp_rare_) == lib::TcpVerdict::kFlipRoles) {
          flip_roles(e);
          d = lib::other(d);
        }
        lap(Stage::kTcp);
      }
      account(e, d, frame_len, s.tcp_flags, nullptr, s.ip_bytes, s.payload_len, ts_ns);
      mark_changed(idx, e);
      if (e.side != kNoPoolSlot) [[unlikely]]
        release_unneeded_side(e);
      refresh_timeout(idx, e, tcp, ts_ns);
      ctr_.packets.add(1);
      lap(Stage::kOther);
      return true;
    }
  }
  return false;
}

// The flow needs more than the summary (account_summary() said so, and changed nothing but the shard's
// clock and what expired before the packet): the frame is decoded and takes process_inner(), which finds
// the same flow again (in cache) and does the same in the same order.
void FlowShard::process_frame(const lib::PacketSummary& s, const FlowLookup& l, const Frame& f,
                              uint64_t ts_ns, uint16_t port_id) noexcept {
  // The RX lcore decoded these bytes to a flow packet: the same decoder gives the same packet (a summarised
  // packet passed the RX lcore's checksum verification, if on: nothing to verify again).
  if (lib::decode_packet(f.data, f.len, f.link, decoded_) != lib::PacketClass::kFlow) [[unlikely]]
    return;
  decoded_.frame_len = f.frame_len;
  profile_.lap(Stage::kDecode);
  FlowLookup lookup = l;
  lookup.key = s.key;  // start_lookup() left it in the summary
  process_decoded(decoded_, ts_ns, port_id, &lookup);
}

// nDPI sees a flow's packets until it has answered (Retina's deferred work: no DPI cost afterwards).
void FlowShard::inspect(FlowEntry& e, const lib::DecodedPacket& pkt, uint64_t ts_ns) noexcept {
  if (e.dpi_tried && e.side == kNoPoolSlot) return;  // no state: detection ended or could not run
  FlowSide& s = side(e);
  if (s.dpi_slot == NdpiDetector::kNoSlot) {
    if (e.dpi_tried) return;
    e.dpi_tried = true;
    s.dpi_slot = dpi_->acquire();
    if (s.dpi_slot == NdpiDetector::kNoSlot) return;
  }
  const auto packets = static_cast<uint32_t>(e.dir[0].packets + e.dir[1].packets);
  lib::L7Info l7 = this->l7(e);
  const bool done = dpi_->feed(s.dpi_slot, pkt.l3, pkt.l3_captured, ts_ns / 1'000'000,
                               e.key.proto == kProtoTcp, packets, l7, s.host_slot);
  set_l7(e, l7);
  if (done) s.dpi_slot = NdpiDetector::kNoSlot;
}

// nDPI's host name is only the fallback of the info line: once detection and parsing are both over and
// our metadata names the flow, the flow stops holding it.
void FlowShard::drop_unneeded_host(FlowEntry& e, FlowSide& s) noexcept {
  if (!e.app_done || !e.l7_final() || !apps_->has_info_line(e)) return;
  dpi_->release_host(s.host_slot);
}

void FlowShard::process_carrier(const lib::DecodedPacket& pkt, const lib::IpEndpoints& ep, uint64_t ts_ns,
                                uint16_t port_id) noexcept {
  const FlowLookup l = lookup_of(ep);
  profile_.lap(Stage::kHash);
  const uint32_t idx = find_or_create(l, ep, pkt, true, ts_ns, port_id);
  FlowEntry& e = table_.at(idx);
  if (interim_due(e, ts_ns)) [[unlikely]]
    emit_interim(e, ts_ns);
  const lib::Dir d = (l.src_is_lo == e.orig_is_lo) ? lib::Dir::kOrig : lib::Dir::kResp;
  const uint32_t headers = (ep.ip_version == 4 ? kIpv4HeaderBytes : kIpv6HeaderBytes) + kUdpHeaderBytes;
  account(e, d, pkt, ep.ip_bytes, ep.ip_bytes > headers ? ep.ip_bytes - headers : 0, ts_ns);
  ++wide(e).carrier_packets;  // not one of its own packets (the side stays: it holds this count)
  mark_changed(idx, e);
  advance_activity(e, ts_ns);
  defer_touch(idx);
  ctr_.carrier_packets.add(1);
}

// Zeek with checksums verified: the connection exists (made by this packet if new, oriented as any first
// packet) but the packet is not delivered: no count, no TCP state, no DPI; only the history letter C/c
// (the TCP machine's; a UDP record's history is its checksum letters). The RX lcore counted it.
void FlowShard::process_bad_checksum(const lib::DecodedPacket& pkt, uint64_t ts_ns, uint16_t port_id,
                                     const FlowLookup* lookup) noexcept {
  const lib::IpEndpoints& ep = pkt.inner;
  const FlowLookup l = lookup && lookup->valid ? *lookup : lookup_of(ep);
  const uint32_t idx = find_or_create(l, ep, pkt, false, ts_ns, port_id);
  FlowEntry& e = table_.at(idx);
  if (interim_due(e, ts_ns)) [[unlikely]]
    emit_interim(e, ts_ns);
  const lib::Dir d = (l.src_is_lo == e.orig_is_lo) ? lib::Dir::kOrig : lib::Dir::kResp;
  uint32_t& count = wide(e).bad_checksums[size_t(d)];
  const bool tcp = ep.l4_proto == kProtoTcp;
  if (tcp)
    tcp_states_[e.tcp_slot].on_bad_checksum(d, count, tcp_rare_);
  else
    ++count;
  mark_changed(idx, e);
  refresh_timeout(idx, e, tcp, ts_ns);
}

void FlowShard::process_later_fragment(const lib::DecodedPacket& pkt, uint64_t ts_ns) noexcept {
  const lib::IpEndpoints& ep = pkt.inner;
  uint64_t flow_id = 0;
  const uint32_t idx = frags_.lookup(ep.src, ep.dst, ep.l4_proto, pkt.frag_id, ts_ns, flow_id);
  // The fragment table outlives flows (30 s against a DNS flow's 10): its flow may have ended, and an
  // ended entry keeps its id until reused (but not its key: the table's free list is threaded through it).
  if (idx == lib::kNilIndex || table_.at(idx).timeout_class == TimeoutClass::kCount ||
      table_.at(idx).flow_id != flow_id) {
    ctr_.fragments_unmatched.add(1);
    return;
  }
  FlowEntry& e = table_.at(idx);
  if (interim_due(e, ts_ns)) [[unlikely]]
    emit_interim(e, ts_ns);
  // The fragment's source tells the direction: compare with the originator's address.
  const lib::IpAddress& orig = e.orig_is_lo ? e.key.addr_lo : e.key.addr_hi;
  const lib::Dir d = (ep.src == orig) ? lib::Dir::kOrig : lib::Dir::kResp;
  account(e, d, pkt, ep.ip_bytes, pkt.payload_len, ts_ns);
  ++wide(e).fragments;
  advance_activity(e, ts_ns);
  defer_touch(idx);
  ctr_.packets.add(1);
  ctr_.fragments_matched.add(1);
}

// Zeek swapped originator and responder: everything kept per direction follows.
void FlowShard::swap_directions(FlowEntry& e) noexcept {
  std::swap(e.dir[0], e.dir[1]);
  std::swap(e.tcp_flags[0], e.tcp_flags[1]);
  e.has_mac = uint8_t(((e.has_mac & 1u) << 1) | ((e.has_mac >> 1) & 1u));
  if (e.has_mac != 0) change_context(e, [](FlowContext& c) { std::swap(c.mac[0], c.mac[1]); });
  if (const FlowSide* s = side_if_any(e); s && s->wide_slot != kNoPoolSlot) {
    std::swap(wide_[s->wide_slot].high[0], wide_[s->wide_slot].high[1]);
    std::swap(wide_[s->wide_slot].bad_checksums[0], wide_[s->wide_slot].bad_checksums[1]);
  }
}

void FlowShard::set_timeout_class(uint32_t idx, TimeoutClass c, uint64_t activity_ns) noexcept {
  FlowEntry& e = table_.at(idx);
  lists_[size_t(e.timeout_class)].remove(table_.data(), idx);
  e.timeout_class = c;
  set_activity(e, activity_ns);
  lists_[size_t(c)].push_back(table_.data(), idx);
  defer_touch(idx);
  note_deadline(activity_ns + timeout_ns_[size_t(c)]);
}

void FlowShard::emit(const FlowEntry& e, lib::EndReason reason, bool final, uint64_t now_ns,
                     const lib::L7Info* l7) noexcept {
  lib::FlowRecord r;
  r.flow_id = e.flow_id;
  r.emit_ns = now_ns;
  r.made_tsc = lib::cycle_clock();
  r.first_ns = e.first_ns;
  r.last_ns = e.last_ns;
  r.src_ip = e.orig_is_lo ? e.key.addr_lo : e.key.addr_hi;
  r.dst_ip = e.orig_is_lo ? e.key.addr_hi : e.key.addr_lo;
  r.src_port = e.orig_port();
  r.dst_port = e.resp_port();
  r.l4_proto = e.key.proto;
  r.ip_version = e.ip_version();
  const FlowContext& ctx = context(e);
  const FlowSide* side = side_if_any(e);
  const FlowWideCounters* w = side && side->wide_slot != kNoPoolSlot ? &wide_[side->wide_slot] : nullptr;
  uint64_t packets = 0;
  for (size_t i = 0; i < 2; ++i) {
    const DirCounters& lo = e.dir[i];
    const std::array<uint32_t, kCounterCount> hi = w ? w->high[i] : std::array<uint32_t, kCounterCount>{};
    lib::DirStats& s = r.dir[i];
    s.packets = widen(lo.packets, hi[kPackets]);
    s.frame_bytes = widen(lo.frame_bytes, hi[kFrameBytes]);
    s.ip_bytes = widen(lo.ip_bytes, hi[kIpBytes]);
    s.payload_bytes = widen(lo.payload_bytes, hi[kPayloadBytes]);
    s.tcp_flags = e.tcp_flags[i];
    s.has_mac = (e.has_mac >> i) & 1u;
    if (s.has_mac) s.mac = ctx.mac[i];
    packets += s.packets;
  }
  r.vlan_count = ctx.vlan_count;
  r.vlan_ids = ctx.vlan_ids();
  if (e.key.proto == kProtoTcp && !e.is_tunnel_carrier) {
    const lib::TcpStateMachine& tcp = tcp_states_[e.tcp_slot];
    r.conn_state = tcp.conn_state(tcp_rare_);
    r.history_len =
        static_cast<uint8_t>(tcp.copy_history(r.history.data(), unsigned(r.history.size()), tcp_rare_));
  } else if (e.key.proto == kProtoUdp) {
    r.conn_state = lib::udp_conn_state(r.dir[0].packets > 0, r.dir[1].packets > 0);
    if (w) r.history_len = checksum_history(w->bad_checksums, r.history);
  } else {
    r.conn_state = lib::ConnState::kOTH;
  }
  r.reason = reason;
  r.final = final;
  r.port_id = ctx.port_id;
  r.worker_id = worker_id_;
  r.sequence = side ? side->sequence : 0;
  r.tunnel = static_cast<lib::TunnelType>(ctx.tunnel);
  r.tunnel_depth = ctx.tunnel_depth;
  if (e.in_tunnel) {
    const FlowTunnel& t = tunnels_[tunnel_contexts_[e.context].tunnel];
    r.tunnel_src = t.src;
    r.tunnel_dst = t.dst;
  }
  r.is_tunnel_carrier = e.is_tunnel_carrier;
  r.fragments = w ? w->fragments : 0;
  r.own_packets = packets - (w ? w->carrier_packets : 0);
  r.l7 = l7 ? *l7 : ctx.l7(e.l7_state);
  if (side && side->host_slot != NdpiDetector::kNoSlot) lib::set_text(r.l7_host, dpi_->host(side->host_slot));
  if (apps_) apps_->copy_metadata(e, r.app);
  if (prefixes_ && side) prefixes_->copy(*side, r);
  sink_.emit(r);
}

// The moves defer_touch() noted, newest first: a flow moves once, to where its last mention puts it, and the
// flows not mentioned keep their order ahead of the moved ones, which is what moving the flow to the tail on
// each mention would have left. Its own packets still mention a flow that leaves the table, so this runs
// before any flow is taken out (finish()), before its index can be reused.
void FlowShard::apply_touches() noexcept {
  const uint32_t n = touches_;
  if (n == 0) return;
  touches_ = 0;
  FlowEntry* entries = table_.data();
  // Out of every list while it waits to be placed: the mark of a flow already taken (a later mention).
  constexpr uint32_t kPlacing = lib::kNilIndex - 1;
  // With more flows than the caches hold, the neighbours that the unlinking writes are fetched first
  // (each packet's relink had them prefetched before); a small table has them in cache.
  constexpr uint32_t kPrefetchAboveFlows = 16384;
  if (table_.size() > kPrefetchAboveFlows) {
    for (uint32_t k = 1; k <= n; ++k) {
      const lib::ListLink& l = entries[touch_log_[k]].idle_link;
      if (l.prev != lib::kNilIndex) __builtin_prefetch(&entries[l.prev].idle_link, 1);
      if (l.next != lib::kNilIndex) __builtin_prefetch(&entries[l.next].idle_link, 1);
    }
  }
  uint32_t w = n + 1;  // the flows to place, in the order of their last mentions, gather in touch_log_[w, n]
  for (uint32_t k = n; k > 0; --k) {
    const uint32_t idx = touch_log_[k];
    FlowEntry& e = entries[idx];
    if (e.idle_link.prev == kPlacing) continue;
    lists_[size_t(e.timeout_class)].unlink(entries, idx);
    e.idle_link.prev = kPlacing;
    touch_log_[--w] = idx;  // w > k until now: only slots already read are overwritten
  }
  for (uint32_t k = w; k <= n; ++k) {
    const uint32_t idx = touch_log_[k];
    lists_[size_t(entries[idx].timeout_class)].link_back(entries, idx);
  }
}

void FlowShard::finish(uint32_t idx, lib::EndReason reason, uint64_t now_ns) noexcept {
  apply_touches();
  FlowEntry& e = table_.at(idx);
  lib::L7Info best;
  const lib::L7Info* l7 = nullptr;  // the context's
  if (e.side != kNoPoolSlot && sides_[e.side].dpi_slot != NdpiDetector::kNoSlot) {
    FlowSide& s = sides_[e.side];  // ends before detection did: nDPI's best answer, for the record only
    best = this->l7(e);
    dpi_->finish(s.dpi_slot, best, s.host_slot);
    l7 = &best;
    s.dpi_slot = NdpiDetector::kNoSlot;
  }
  emit(e, reason, true, now_ns, l7);
  if (apps_) apps_->release(e, e.side != kNoPoolSlot ? &sides_[e.side] : nullptr);
  lists_[size_t(e.timeout_class)].remove(table_.data(), idx);
  e.timeout_class = TimeoutClass::kCount;  // ended: its reference in live_ goes stale (holds())
  if (e.in_tunnel) {
    tunnels_.release(tunnel_contexts_[e.context].tunnel);
    tunnel_contexts_.release(e.context);
  } else {
    contexts_.release(e.context);
  }
  if (e.side != kNoPoolSlot) {
    FlowSide& s = sides_[e.side];
    if (dpi_) dpi_->release_host(s.host_slot);
    if (prefixes_) prefixes_->release(s);
    if (s.wide_slot != kNoPoolSlot) wide_.release(s.wide_slot);
    sides_.release(e.side);
  }
  if (e.tcp_slot != kNoPoolSlot) {
    tcp_states_[e.tcp_slot].release(tcp_rare_);
    tcp_states_.release(e.tcp_slot);
  }
  table_.erase(idx, lib::flow_hash(e.key));
  ctr_.flows_active.set(table_.size());
}

void FlowShard::evict_oldest(uint64_t now_ns) noexcept {
  apply_touches();  // the heads
  uint32_t victim = lib::kNilIndex;
  for (const List& l : lists_) {
    const uint32_t head = l.front();
    if (head != lib::kNilIndex &&
        (victim == lib::kNilIndex || activity_ns(table_.at(head)) < activity_ns(table_.at(victim))))
      victim = head;
  }
  if (victim == lib::kNilIndex) return;
  ctr_.flows_evicted.add(1);
  const TimeoutClass c = table_.at(victim).timeout_class;
  finish(victim, lib::EndReason::kEvicted, now_ns);
  prefetch_next_victims(lists_[size_t(c)]);
}

// A full table evicts for every new flow (a SYN flood), and each eviction reads the victim's entry, table
// slot, FlowSide, TCP machine and nDPI state, all cold. The next victims are likely the front of the list
// this one left: their lines are asked for over the next evictions, as the burst loop stages lookups. The
// third in line gets its entry; the second (whose entry was asked for one eviction ago) its slot, FlowSide
// and TCP machine; the first (whose FlowSide has arrived) its nDPI and parse state. Hints only.
void FlowShard::prefetch_next_victims(const List& l) const noexcept {
  const uint32_t first = l.front();
  if (first == lib::kNilIndex) return;
  const FlowEntry& e1 = table_.at(first);
  prefetch_detection_state(e1);
  const uint32_t second = e1.idle_link.next;
  if (second == lib::kNilIndex) return;
  const FlowEntry& e2 = table_.at(second);
  table_.prefetch(lib::flow_hash(e2.key));
  prefetch_state_lines(e2);
  const uint32_t third = e2.idle_link.next;
  if (third != lib::kNilIndex) prefetch_lines(table_.at(third));
}

void FlowShard::expire(uint64_t now_ns) noexcept {
  clock_ns_ = std::max(clock_ns_, now_ns);
  apply_touches();  // the heads
  for (size_t c = 0; c < lists_.size(); ++c) {
    const lib::EndReason reason =
        c == size_t(TimeoutClass::kTcpClosed) ? lib::EndReason::kEndOfFlow : lib::EndReason::kIdleTimeout;
    for (uint32_t idx = lists_[c].front();
         idx != lib::kNilIndex && activity_ns(table_.at(idx)) + timeout_ns_[c] <= now_ns;
         idx = lists_[c].front()) {
      ctr_.flows_ended.add(1);
      finish(idx, reason, now_ns);
    }
  }
  if (live_update_ns_ != 0 && now_ns >= next_live_ns_) emit_live_updates(now_ns);
  next_deadline_ns_ = UINT64_MAX;
  if (live_update_ns_ != 0) note_deadline(next_live_ns_);
  for (size_t c = 0; c < lists_.size(); ++c)
    if (const uint32_t h = lists_[c].front(); h != lib::kNilIndex)
      note_deadline(activity_ns(table_.at(h)) + timeout_ns_[c]);
}

// Before the flow's packet is applied, or before its live snapshot (interim_due()): cumulative counters.
void FlowShard::emit_interim(FlowEntry& e, uint64_t now_ns) noexcept {
  emit(e, lib::EndReason::kActiveTimeout, false, now_ns);
  FlowSide& s = side(e);
  ++s.sequence;
  s.due_ns = now_ns + active_timeout_ns_;
  ctr_.interim_records.add(1);
}

// A snapshot of every flow that changed since the last one, for live consumers (the exporter sends these
// to the shared-memory ring only). Counters are cumulative, as in interim records.
void FlowShard::emit_live_updates(uint64_t now_ns) noexcept {
  while (!live_.empty()) {
    const LiveRef r = live_.front();
    live_.pop_front();
    if (!holds(r.idx, r.id)) continue;  // ended since it changed
    FlowEntry& e = table_.at(r.idx);
    e.live_dirty = false;
    // A flow that changed may be due (interim_due()): its interim record before the snapshot, whose
    // counters it has. After a snapshot of the same time the interim record would have no current rate
    // (FlowRateTracker: since the flow's previous record).
    if (interim_due(e, now_ns)) [[unlikely]]
      emit_interim(e, now_ns);
    emit(e, lib::EndReason::kLiveUpdate, false, now_ns);
    ctr_.live_records.add(1);
  }
  next_live_ns_ = now_ns + live_update_ns_;
}

void FlowShard::flush_all(lib::EndReason reason) noexcept {
  apply_touches();  // the order of the records
  for (List& l : lists_) {
    while (!l.empty()) {
      const uint32_t idx = l.front();
      ctr_.flows_flushed.add(1);
      finish(idx, reason, clock_ns_);
    }
  }
}

}  // namespace spanwatch::workers
