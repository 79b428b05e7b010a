// One worker's flow table: turns decoded packets into bidirectional flows with Zeek-compatible TCP state,
// expires them (per-protocol idle timeouts, linger after close), emits interim records of long flows at
// their packets (active timeout), evicts the least recently active flow when full, and hands records to a
// RecordSink. Pure C++ (no DPDK) so it is tested directly; the worker lcore drives it. Nothing here
// allocates after construction.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "lib/config/spanwatch_config.hpp"
#include "lib/decode/decoded_packet.hpp"
#include "lib/flow/flow_table.hpp"
#include "lib/flow/packet_summary.hpp"
#include "lib/tcp/tcp_state_machine.hpp"
#include "workers/app_dissector.hpp"
#include "workers/flow_context.hpp"
#include "workers/flow_entry.hpp"
#include "workers/flow_ref_queue.hpp"
#include "workers/fragment_table.hpp"
#include "workers/intern_table.hpp"
#include "workers/ndpi_detector.hpp"
#include "workers/payload_prefix_capture.hpp"
#include "workers/shard_counters.hpp"
#include "workers/slot_pool.hpp"
#include "workers/stage_profile.hpp"

namespace spanwatch::workers {

// Receives the shard's records (virtual call per record, not per packet).
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void emit(const lib::FlowRecord& rec) noexcept = 0;
};

// Which flows of a packet this shard accounts: its own (innermost) flow and/or the UDP flows of its
// tunnel layers (carrier i = DecodedPacket::carriers[i]). They can belong to different workers, so the
// RX lcore says which ones each worker takes.
enum Layer : uint8_t { kLayerInner = 1 };
constexpr uint8_t carrier_layer(unsigned i) noexcept {
  return uint8_t(2u << i);
}
static_assert(lib::kMaxTunnelDepth <= 7, "layers are bits of a uint8_t");

class FlowShard {
 public:
  // `dpi` and `apps` may be null (no application detection / no application parsing).
  FlowShard(const lib::FlowConfig& cfg, uint16_t worker_id, RecordSink& sink, NdpiDetector* dpi = nullptr,
            AppDissector* apps = nullptr, PayloadPrefixCapture* prefixes = nullptr);

  // A burst is looked up in stages, as DPDK's bulk lookups do, so the cache misses of its packets overlap:
  // start_lookup() hashes each packet's own flow and prefetches its table slot line, prefetch_entries() then
  // probes the slots' tags and prefetches the entry whose tag matches, and process() finds the flow in
  // cache. The hint is re-checked by process() (FlowTable::find), so flows created or removed in between
  // by earlier packets of the burst cannot make it stale.
  struct FlowLookup {
    lib::FlowKey key;  // not set from a PacketSummary: its key stays there (no copy per packet)
    uint64_t hash = 0;
    lib::FlowTable<FlowEntry>::Hint hint;
    bool src_is_lo = false;
    bool valid = false;    // the packet has an inner flow with ports to look up
    bool summary = false;  // from a PacketSummary: process() may account it from the entry
  };
  void start_lookup(const lib::DecodedPacket& pkt, uint8_t layers, FlowLookup& l) const noexcept;
  void prefetch_entries(std::span<FlowLookup> burst) const noexcept {
    const auto table = table_.prober();
    for (FlowLookup& l : burst) {
      if (!l.valid) continue;
      l.hint = table.probe(l.hash);
      table.prefetch_entry(l.hint, true);  // both lines of the entry (FlowEntry): the key and the counters
    }
  }

  // A few packets ahead of process(), once prefetch_entries()' lines have arrived: the lines process()
  // touches outside the entry (its TCP machine, and its FlowSide).
  // Hints only: a guessed entry that is not the flow's prefetches harmless lines. Returns what the burst's
  // next stage asks for (Ahead bits): kAheadFrame when a summarised packet will be decoded after all (a new
  // flow, or one not accountable from the summary), so that the caller prefetches its frame (the frame of
  // a decoded packet is in cache already); kAheadDetection when the flow has a FlowSide while detection or
  // parsing runs, for prefetch_detection_state(). A packet of a classified flow gets neither.
  enum Ahead : uint8_t { kAheadFrame = 1, kAheadDetection = 2 };
  uint8_t prefetch_flow_state(const FlowLookup& l) const noexcept {
    if (!l.valid) return 0;
    const uint32_t idx = l.hint.index;
    if (idx == lib::kNilIndex) return l.summary ? kAheadFrame : 0;
    const FlowEntry& e = table_.at(idx);
    uint8_t ahead = prefetch_state_lines(e) && inspecting(e) ? kAheadDetection : 0;
    // A guess: a side's first MAC is left out (rare).
    if (l.summary && !summary_suffices(e, direction(e, l.src_is_lo), false)) ahead |= kAheadFrame;
    return ahead;
  }
  // Fewer packets ahead than prefetch_flow_state() (which said kAheadDetection), once the FlowSide line it
  // asked for has arrived: the state of a flow in detection or parsing that its packet reads first (nDPI's
  // flow state, the parse state's stream cursors, the unpacked metadata); at 100K flows and more each was a
  // cache miss per packet. A hint only: an earlier packet of the burst may have given the side back, or
  // ended the flow (whose slot numbers then stay in the entry: the pools check their bounds).
  void prefetch_detection_state(const FlowLookup& l) const noexcept {
    prefetch_detection_state(table_.at(l.hint.index));
  }

  void process(const lib::DecodedPacket& pkt, uint64_t ts_ns, uint16_t port_id, uint8_t layers,
               const FlowLookup* lookup = nullptr) noexcept;

  // A packet the RX lcore summarised (its inner flow only, see lib::summarize()). The frame is decoded
  // here only when the flow needs more than the summary: a new flow, DPI or parsing still running,
  // payload prefixes, a side's first MAC address. `frame_len` is DecodedPacket::frame_len's value.
  struct Frame {
    const uint8_t* data = nullptr;
    uint32_t len = 0;  // captured bytes
    lib::LinkType link = lib::LinkType::kEthernet;
    uint32_t frame_len = 0;
  };
  void start_lookup(const lib::PacketSummary& s, FlowLookup& l) const noexcept {
    l.hash = s.hash;
    l.src_is_lo = s.bits & lib::PacketSummary::kSrcIsLo;
    l.valid = true;
    l.summary = true;
    table_.prefetch(l.hash);
  }
  void process(const lib::PacketSummary& s, const FlowLookup& l, const Frame& f, uint64_t ts_ns,
               uint16_t port_id) noexcept {
    if (!account_classified(s, l, f.frame_len, ts_ns)) process_frame(s, l, f, ts_ns, port_id);
  }
  // process() in two steps, so that a caller builds the Frame only when it is needed: true when the
  // packet was accounted from its summary; false when its flow needs the frame (process_frame() then).
  // Inline for nearly every packet of a classified flow: its hinted entry, no timeout due, no interim record
  // due (interim_due(): its first test reads the entry's first line, as the lookup did), the profile off,
  // and for TCP a plain segment (TcpStateMachine::on_plain_segment()) of a flow in the established
  // class, which that segment leaves there (tcp_timeout_class()'s first rule: no class to decide). Any
  // other packet goes to account_summary() before anything changed. The same steps as account_summary(),
  // whose clock update waits here until the packet is accepted (nothing before reads it, and no deadline
  // is due); the call, its spills and the re-decided class were ~100 instructions a packet
  // (docs/performance.md).
  [[gnu::always_inline]] bool account_classified(const lib::PacketSummary& s, const FlowLookup& l,
                                                 uint32_t frame_len, uint64_t ts_ns) noexcept {
    const uint32_t idx = table_.find_hinted(s.key, l.hint);
    if (idx == lib::kNilIndex || ts_ns >= next_deadline_ns_ || profile_.enabled()) [[unlikely]]
      return account_summary(s, l, frame_len, ts_ns);
    FlowEntry& e = table_.at(idx);
    if (interim_due(e, ts_ns)) [[unlikely]]
      return account_summary(s, l, frame_len, ts_ns);
    const lib::Dir d = direction(e, l.src_is_lo);
    clock_ns_ = std::max(clock_ns_, ts_ns);
    // The flow needs the frame: what account_summary() would find and say, without asking it again.
    if (!summary_suffices(e, d, s.bits & lib::PacketSummary::kHasMac)) [[unlikely]]
      return false;
    const bool tcp = s.key.proto == lib::kProtoTcp;
    if (tcp && (e.timeout_class != TimeoutClass::kTcp ||
                !tcp_states_[e.tcp_slot].on_plain_segment(d, s.tcp_flags, s.tcp_seq, s.tcp_ack, s.payload_len,
                                                          s.tcp_window))) [[unlikely]]
      return account_summary(s, l, frame_len, ts_ns);  // declined: the machine is untouched
    account(e, d, frame_len, s.tcp_flags, nullptr, s.ip_bytes, s.payload_len, ts_ns);
    mark_changed(idx, e);
    if (e.side != kNoPoolSlot) [[unlikely]]
      release_unneeded_side(e);
    // refresh_timeout(): the class stays (no UDP, ICMP or other class is frozen, and kTcp is not).
    advance_activity(e, ts_ns);
    defer_touch(idx);
    ctr_.packets.add(1);
    return true;
  }
  void process_frame(const lib::PacketSummary& s, const FlowLookup& l, const Frame& f, uint64_t ts_ns,
                     uint16_t port_id) noexcept;

  // Emits and removes every flow whose timeout passed at `now_ns`.
  void expire(uint64_t now_ns) noexcept;

  // Emits every remaining flow as final with `reason` and empties the shard.
  void flush_all(lib::EndReason reason) noexcept;

  const ShardCounters& counters() const noexcept { return ctr_; }
  // flows.verify_checksums: what the worker passes to lib::decode_packet().
  bool verify_checksums() const noexcept { return verify_checksums_; }
  // The worker lcore starts each packet's clock and laps its decode; the shard laps the rest.
  StageProfile& profile() noexcept { return profile_; }
  const StageProfile& profile() const noexcept { return profile_; }
  uint32_t active_flows() const noexcept { return table_.size(); }

  // Calls f(const FlowEntry&) for every live flow (each is in one timeout list). For benchmarks and
  // tests, not the packet path.
  template <typename F>
  void for_each_flow(F&& f) {
    apply_touches();
    for (const List& l : lists_)
      for (uint32_t i = l.front(); i != lib::kNilIndex; i = table_.at(i).idle_link.next) f(table_.at(i));
  }
  const InternTable<FlowTunnel, InternBytesHash<FlowTunnel>>& tunnels() const noexcept { return tunnels_; }
  const SlotPool<FlowSide>& sides() const noexcept { return sides_; }
  const lib::TcpRareStore& tcp_rare_states() const noexcept { return tcp_rare_; }
  const InternTable<FlowContext, FlowContextHash>& contexts() const noexcept { return contexts_; }
  const InternTable<TunnelFlowContext, TunnelFlowContextHash>& tunnel_contexts() const noexcept {
    return tunnel_contexts_;
  }
  const FlowContext& context(const FlowEntry& e) const noexcept {
    return e.in_tunnel ? tunnel_contexts_[e.context].context : contexts_[e.context];
  }
  lib::L7Info l7(const FlowEntry& e) const noexcept { return context(e).l7(e.l7_state); }
  // When Zeek's timers count from: last_ns, or tcp_activity_[tcp_slot] while they lag (FlowEntry).
  uint64_t activity_ns(const FlowEntry& e) const noexcept {
    return e.activity_held ? tcp_activity_[e.tcp_slot] : e.last_ns;
  }
  // The flow's TCP machine, or null (not TCP, or a tunnel carrier without one).
  const lib::TcpStateMachine* tcp_state_if_any(const FlowEntry& e) const noexcept {
    return e.tcp_slot == kNoPoolSlot ? nullptr : &tcp_states_[e.tcp_slot];
  }
  // The flow's FlowSide, or null while it has none.
  const FlowSide* side_if_any(const FlowEntry& e) const noexcept {
    return e.side == kNoPoolSlot ? nullptr : &sides_[e.side];
  }

 private:
  using List = lib::IndexList<FlowEntry, &FlowEntry::idle_link>;
  // When the flow's next interim record is due: an active timeout after its first packet, or after its
  // last interim record (kept in its FlowSide, as is the creation time's once an earlier packet arrived).
  // Never before first_ns + the active timeout.
  uint64_t active_due_ns(const FlowEntry& e) const noexcept {
    if (e.side != kNoPoolSlot && sides_[e.side].has_due()) return sides_[e.side].due_ns;
    return e.first_ns + active_timeout_ns_;
  }
  // The flow's interim record is due before its packet at ts_ns is applied. No order of due times is kept
  // (it was 8 bytes per flow): a flow's interim record comes at its first packet at or after the due time,
  // or at the first live snapshot after it if the flow changed since the previous one, so a flow silent
  // since then has none, and its final record (idle timeout, eviction, shutdown) carries the counters the
  // interim record would have. The first test reads the entry's first line only; the FlowSide (which a
  // flow past its first interim record holds, and every packet of it reads) only after.
  bool interim_due(const FlowEntry& e, uint64_t ts_ns) const noexcept {
    return ts_ns >= e.first_ns + active_timeout_ns_ && ts_ns >= active_due_ns(e);
  }
  [[gnu::cold, gnu::noinline]] void emit_interim(FlowEntry& e, uint64_t now_ns) noexcept;
  // The live-snapshot queue: flows in the order they changed since the last snapshot.
  struct LiveRef {
    uint32_t idx, id;  // FlowRefQueue
  };
  // A reference is live while the entry at its index is alive and still the same flow. The low 32 bits of
  // the id suffice: a stale reference leaves the queue within a live interval, and a worker does not create
  // 2^32 flows in that time.
  bool holds(uint32_t idx, uint32_t id) const noexcept {
    const FlowEntry& e = table_.at(idx);
    return e.timeout_class != TimeoutClass::kCount && static_cast<uint32_t>(e.flow_id) == id;
  }
  template <typename Ref>
  void queue(FlowRefQueue<Ref>& q, const Ref& r) noexcept {
    q.push_back(
        r, [this](const Ref& x) { return holds(x.idx, x.id); },
        [this](const Ref& x) { __builtin_prefetch(&table_.at(x.idx).flow_id); });
  }
  static bool frozen(TimeoutClass c) noexcept {  // Zeek's one-shot timers (refresh_timeout())
    return c == TimeoutClass::kTcpAttempt || c == TimeoutClass::kTcpClosed;
  }
  // Sets the activity time (activity_ns()): kept in tcp_activity_ while the flow's class freezes it or it
  // differs from last_ns. Only TCP flows' can: the others' follows every packet, as last_ns does.
  void set_activity(FlowEntry& e, uint64_t ns) noexcept {
    if (ns == e.last_ns && !frozen(e.timeout_class)) {
      e.activity_held = false;
    } else {
      tcp_activity_[e.tcp_slot] = ns;
      e.activity_held = true;
    }
  }
  // After a packet at ts_ns that moved last_ns: a held activity time moves too (else it is last_ns).
  void advance_activity(FlowEntry& e, uint64_t ts_ns) noexcept {
    if (e.activity_held) [[unlikely]]
      set_activity(e, std::max(tcp_activity_[e.tcp_slot], ts_ns));
  }
  // Interns the flow's context changed by `change(FlowContext&)`, giving back the reference to the old one.
  template <typename Change>
  void change_context(FlowEntry& e, Change&& change) noexcept {
    if (e.in_tunnel)
      reintern(tunnel_contexts_, e.context, [&](TunnelFlowContext& t) { change(t.context); });
    else
      reintern(contexts_, e.context, change);
  }
  template <typename Table, typename Change>
  static void reintern(Table& table, uint32_t& id, Change&& change) noexcept {
    auto v = table[id];
    change(v);
    if (v == table[id]) return;
    const uint32_t old = id;
    id = table.intern(v);
    table.release(old);
  }
  void set_l7(FlowEntry& e, const lib::L7Info& i) noexcept {
    e.l7_state = i.state;
    change_context(e, [&](FlowContext& c) { c.set_l7(i); });
  }

  static FlowLookup lookup_of(const lib::IpEndpoints& ep) noexcept;
  static lib::Dir direction(const FlowEntry& e, bool src_is_lo) noexcept {
    return src_is_lo == e.orig_is_lo ? lib::Dir::kOrig : lib::Dir::kResp;
  }
  // A summarised packet of flow `e` from side `d` needs nothing but the summary: detection and parsing are
  // over, no payload prefixes are kept, and the side has its MAC address or the frame has none.
  bool summary_suffices(const FlowEntry& e, lib::Dir d, bool frame_has_mac) const noexcept {
    return !inspecting(e) && !prefixes_ && !(frame_has_mac && !(e.has_mac & (1u << size_t(d))));
  }
  // Detection or parsing of flow `e` still runs. The entry's bits first: for a classified flow (tested twice
  // a packet) the detector's and the parsers' pointers are not loaded.
  bool inspecting(const FlowEntry& e) const noexcept {
    return (!e.l7_final() && dpi_) || (!e.app_done && apps_);
  }
  // Both lines an object of ours may straddle (a hint).
  template <typename T>
  static void prefetch_lines(const T& x) noexcept {
    const auto* p = reinterpret_cast<const char*>(&x);
    __builtin_prefetch(p, 1);
    __builtin_prefetch(p + sizeof(T) - 1, 1);
  }
  // Flow e's TCP machine and FlowSide lines; whether it has a side.
  bool prefetch_state_lines(const FlowEntry& e) const noexcept {
    // A flow without a TCP machine prefetches slot 0's: a wasted hint, where a branch on the protocol was
    // mispredicted as often as TCP and UDP packets alternate.
    prefetch_lines(tcp_states_[e.tcp_slot != kNoPoolSlot ? e.tcp_slot : 0]);
    if (e.side == kNoPoolSlot) return false;
    prefetch_lines(sides_[e.side]);
    return true;
  }
  // nDPI's and the parsers' state of flow e (its FlowSide has arrived).
  void prefetch_detection_state(const FlowEntry& e) const noexcept {
    if (e.side == kNoPoolSlot) return;
    const FlowSide& s = sides_[e.side];
    if (dpi_) dpi_->prefetch(s.dpi_slot);  // kNoSlot is out of its bounds
    if (apps_ && !e.app_done) apps_->prefetch(e, s);
  }
  uint32_t find_or_create(const FlowLookup& l, const lib::IpEndpoints& ep, const lib::DecodedPacket& pkt,
                          bool carrier, uint64_t ts_ns, uint16_t port_id) noexcept;
  uint32_t create(const lib::FlowKey& key, uint64_t hash, const lib::IpEndpoints& ep,
                  const lib::DecodedPacket& pkt, bool carrier, uint64_t ts_ns, uint16_t port_id,
                  bool src_is_lo) noexcept;
  void account(FlowEntry& e, lib::Dir d, const lib::DecodedPacket& pkt, uint32_t ip_bytes,
               uint32_t payload_bytes, uint64_t ts_ns) noexcept {
    account(e, d, pkt.frame_len, pkt.tcp_flags, pkt.has_mac ? &pkt.src_mac : nullptr, ip_bytes, payload_bytes,
            ts_ns);
  }
  // `src_mac` is null when the frame has none. In the header: account_classified() inlines it.
  [[gnu::always_inline]] void account(FlowEntry& e, lib::Dir d, uint32_t frame_len, uint8_t tcp_flags,
                                      const std::array<uint8_t, 6>* src_mac, uint32_t ip_bytes,
                                      uint32_t payload_bytes, uint64_t ts_ns) noexcept {
    const auto di = size_t(d);
    const bool carried = e.dir[di].add(frame_len, ip_bytes, payload_bytes);
    if (e.key.proto == lib::kProtoTcp && !e.is_tunnel_carrier) e.tcp_flags[di] |= tcp_flags;
    if (ts_ns < e.first_ns) [[unlikely]]
      lower_first_ns(e, ts_ns);
    e.last_ns = std::max(e.last_ns, ts_ns);
    // Last, so that the rare work is a tail call and this function keeps no registers.
    if (carried || (src_mac && !(e.has_mac & (1u << di)))) [[unlikely]]
      account_rare(e, di, frame_len, src_mac, ip_bytes, payload_bytes, carried);
  }
  void flip_roles(FlowEntry& e) noexcept;
  void refresh_timeout(uint32_t idx, FlowEntry& e, bool tcp, uint64_t ts_ns) noexcept;
  [[gnu::noinline]] void process_decoded(const lib::DecodedPacket& pkt, uint64_t ts_ns, uint16_t port_id,
                                         const FlowLookup* lookup) noexcept;
  void process_inner(const lib::DecodedPacket& pkt, uint64_t ts_ns, uint16_t port_id,
                     const FlowLookup* lookup) noexcept;
  void process_carrier(const lib::DecodedPacket& pkt, const lib::IpEndpoints& ep, uint64_t ts_ns,
                       uint16_t port_id) noexcept;
  void process_later_fragment(const lib::DecodedPacket& pkt, uint64_t ts_ns) noexcept;
  [[gnu::cold, gnu::noinline]] void process_bad_checksum(const lib::DecodedPacket& pkt, uint64_t ts_ns,
                                                         uint16_t port_id, const FlowLookup* lookup) noexcept;
  // account_classified()'s general case: any packet whose flow the summary suffices for.
  bool account_summary(const lib::PacketSummary& s, const FlowLookup& l, uint32_t frame_len,
                       uint64_t ts_ns) noexcept;
  // account_summary() with the stage profile on or off.
  template <bool kProfile>
  bool account_summary_as(const lib::PacketSummary& s, const FlowLookup& l, uint32_t frame_len,
                          uint64_t ts_ns) noexcept;
  void set_timeout_class(uint32_t idx, TimeoutClass c, uint64_t activity_ns) noexcept;
  // A packet moves its flow to the tail of its idle list. Relinking it there on every packet wrote two
  // other flows' entries (its neighbours) and the tail's; instead the move is noted here and
  // apply_touches() makes the moves of a whole log at once, each flow once, from its last mention, before
  // anything reads the lists or takes a flow out (expire, evict, flush, finish). The lists are then exactly
  // what moving on every packet made, so timeouts and the order of records are unchanged. Every placement
  // is noted (push_back too), so a flow placed after earlier noted moves stays behind them.
  void defer_touch(uint32_t idx) noexcept {
    if (touch_log_[touches_] == idx) return;  // the same flow again: same place
    if (touches_ == kTouchLog) [[unlikely]]
      apply_touches();
    touch_log_[++touches_] = idx;
  }
  void apply_touches() noexcept;
  void swap_directions(FlowEntry& e) noexcept;
  [[gnu::cold, gnu::noinline]] void lower_first_ns(FlowEntry& e, uint64_t ts_ns) noexcept;
  [[gnu::cold, gnu::noinline]] void account_rare(FlowEntry& e, size_t di, uint32_t frame_len,
                                                 const std::array<uint8_t, 6>* src_mac, uint32_t ip_bytes,
                                                 uint32_t payload_bytes, bool carried) noexcept;
  // The flow's FlowSide, taken on first use: one slot per table entry, so there is always one.
  FlowSide& side(FlowEntry& e) noexcept {
    if (e.side == kNoPoolSlot) [[unlikely]] {
      e.side = sides_.acquire_uninitialized();
      sides_[e.side] = FlowSide{};
    }
    return sides_[e.side];
  }
  // After a packet of a flow that holds a side slot: drops nDPI's host name once the flow's metadata names
  // it, then gives the slot back once nothing in it is in use (detection and parsing over, no rare data).
  void release_unneeded_side(FlowEntry& e) noexcept {
    if (apps_ && sides_[e.side].host_slot != NdpiDetector::kNoSlot) drop_unneeded_host(e, sides_[e.side]);
    if (sides_[e.side].unused()) {
      sides_.release(e.side);
      e.side = kNoPoolSlot;
    }
  }
  // The flow's high words etc., taken on first use: one slot per table entry, so there is always one.
  FlowWideCounters& wide(FlowEntry& e) noexcept {
    FlowSide& s = side(e);
    if (s.wide_slot == kNoPoolSlot) [[unlikely]]
      s.wide_slot = wide_.acquire();
    return wide_[s.wide_slot];
  }
  // `l7`: the record's L7Info instead of the flow's (nDPI's last answer for a flow that ends in detection,
  // not worth interning).
  void emit(const FlowEntry& e, lib::EndReason reason, bool final, uint64_t now_ns,
            const lib::L7Info* l7 = nullptr) noexcept;
  void finish(uint32_t idx, lib::EndReason reason, uint64_t now_ns) noexcept;
  void evict_oldest(uint64_t now_ns) noexcept;
  void prefetch_next_victims(const List& l) const noexcept;
  void inspect(FlowEntry& e, const lib::DecodedPacket& pkt, uint64_t ts_ns) noexcept;
  void drop_unneeded_host(FlowEntry& e, FlowSide& s) noexcept;
  void note_deadline(uint64_t ns) noexcept { next_deadline_ns_ = std::min(next_deadline_ns_, ns); }
  void mark_changed(uint32_t idx, FlowEntry& e) noexcept {
    if (live_update_ns_ == 0 || e.live_dirty) return;
    e.live_dirty = true;
    if (live_.empty()) note_deadline(next_live_ns_);  // the next snapshot is due then (packet time)
    queue(live_, LiveRef{idx, static_cast<uint32_t>(e.flow_id)});
  }
  void emit_live_updates(uint64_t now_ns) noexcept;

  std::array<uint64_t, size_t(TimeoutClass::kCount)> timeout_ns_{};
  uint64_t active_timeout_ns_;
  uint16_t worker_id_;
  const bool verify_checksums_;
  uint64_t next_flow_id_;
  uint64_t clock_ns_ = 0;                   // latest packet time seen: the shard's notion of now
  uint64_t next_deadline_ns_ = UINT64_MAX;  // no flow times out before this (a lower bound)
  RecordSink& sink_;
  NdpiDetector* dpi_;
  AppDissector* apps_;
  PayloadPrefixCapture* prefixes_;  // only when rules look at payload prefixes
  lib::FlowTable<FlowEntry> table_;
  static constexpr uint32_t kNoPoolSlot = SlotPool<FlowSide>::kNoSlot;  // of every pool here
  static_assert(kNoPoolSlot == FlowSide::kNone && kNoPoolSlot == FlowEntry::kNoSlot);
  InternTable<FlowTunnel, InternBytesHash<FlowTunnel>> tunnels_;  // TunnelFlowContext::tunnel
  // FlowEntry::tcp_slot: as many as table entries, so a TCP flow always gets one.
  SlotPool<lib::TcpStateMachine> tcp_states_;
  lib::TcpRareStore tcp_rare_;       // the machines' rare state (TcpStateMachine::has_rare_state()), as many
  SlotPool<FlowWideCounters> wide_;  // FlowSide::wide_slot: as many as table entries
  SlotPool<FlowSide> sides_;         // FlowEntry::side: as many as table entries
  lib::ZeroedArray<uint64_t> tcp_activity_;  // [FlowEntry::tcp_slot]: activity_ns() while activity_held
  // FlowEntry::context: one reference per flow, and one more while a flow re-interns (change_context()); the
  // inner flows of tunnels (FlowEntry::in_tunnel) in the second.
  InternTable<FlowContext, FlowContextHash> contexts_;
  InternTable<TunnelFlowContext, TunnelFlowContextHash> tunnel_contexts_;
  std::array<List, size_t(TimeoutClass::kCount)> lists_{};
  // Deferred moves to the tail of lists_ (defer_touch()): enough packets that a busy flow's moves fold into
  // one, few enough that the entries are still in cache when they are made.
  // The moves are touch_log_[1, touches_]; touch_log_[0] stays kNilIndex, the last mention an empty log
  // gives defer_touch() to compare with.
  static constexpr uint32_t kTouchLog = 1024;
  std::array<uint32_t, kTouchLog + 1> touch_log_{lib::kNilIndex};
  uint32_t touches_ = 0;
  FlowRefQueue<LiveRef> live_;  // empty while live snapshots are off
  uint64_t live_update_ns_;     // 0 = no live snapshots
  uint64_t next_live_ns_ = 0;
  FragmentTable frags_;
  lib::DecodedPacket decoded_;  // process(PacketSummary): the frame, when the flow needs all of it
  ShardCounters ctr_;
  StageProfile profile_;
};

}  // namespace spanwatch::workers
