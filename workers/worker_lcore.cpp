#include "workers/worker_lcore.hpp"

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <sched.h>

#include <array>
#include <cassert>
#include <span>

#include "lib/decode/packet_decoder.hpp"
#include "workers/idle_backoff.hpp"
#include "workers/work_ring.hpp"

namespace spanwatch::workers {
namespace {

constexpr uint64_t kLiveExpireEveryNs = 100'000'000;  // live mode: time passes without packets
// How many packets ahead of process() a flow's TCP machine and FlowSide (and, for a packet to be decoded,
// its mbuf header) are prefetched: its entry lines have arrived by then (stage 3), and its state arrives
// before its turn.
constexpr unsigned kStateAhead = 4;
// How many packets ahead a flow in detection has its nDPI and parse state prefetched (their slot numbers
// are in the FlowSide that prefetch_flow_state() asked for kStateAhead packets ahead), and a packet to be
// decoded its frame (whose address is in the mbuf header line asked for then: the RX lcore wrote it).
constexpr unsigned kDetectAhead = 2;
static_assert(kDetectAhead < kStateAhead, "reads the Ahead bits prefetch_flow_state() wrote");

}  // namespace

void WorkerLcore::RingSink::emit(const lib::FlowRecord& rec) noexcept {
  // Live snapshots are a view, records are the product: snapshots may only use the first half of the
  // export ring, so a burst of them can never take the room a final record needs.
  if (rec.reason == lib::EndReason::kLiveUpdate &&
      rte_ring_free_count(ring_) < rte_ring_get_capacity(ring_) / 2) {
    live_skipped.add(1);
    return;
  }
  // DPDK 22.11 takes a non-const pointer but only reads it.
  if (rte_ring_sp_enqueue_elem(ring_, const_cast<lib::FlowRecord*>(&rec), sizeof rec) == 0) [[likely]]
    return;
  if (!lossless_) {
    dropped.add(1);
    // The packets of a dropped final record are in no record: counted, so the accounting still adds up.
    if (rec.final) dropped_packets.add(rec.own_packets);
    return;
  }
  IdleBackoff backoff(shared_cpus_);
  const uint64_t t0 = rte_rdtsc();
  do backoff.idle();
  while (rte_ring_sp_enqueue_elem(ring_, const_cast<lib::FlowRecord*>(&rec), sizeof rec) != 0);
  wait_cycles.add(rte_rdtsc() - t0);
}

WorkerLcore::WorkerLcore(WorkerParams p)
    : p_(std::move(p)),
      sink_(p_.export_ring, p_.lossless, p_.shared_cpus),
      dpi_(std::min(p_.flows.max_flows_per_worker, p_.flows.max_dpi_flows_per_worker),
           p_.flows.max_flows_per_worker),
      apps_(std::min(p_.flows.max_flows_per_worker, p_.flows.max_parsing_flows_per_worker),
            p_.flows.max_flows_per_worker),
      prefixes_(p_.flows.capture_payload_prefix
                    ? std::make_unique<PayloadPrefixCapture>(p_.flows.max_flows_per_worker)
                    : nullptr),
      shard_(p_.flows, p_.worker_id, sink_, &dpi_, &apps_, prefixes_.get()),
      burst_(std::make_unique<Burst>()) {
  for ([[maybe_unused]] const InRing& in : p_.in_rings)
    assert(in.ring != nullptr && in.slots != nullptr && in.returns != nullptr);
}

// A burst's items are read once (times, summaries and frames asked for), then each group of kStage goes
// through the stages (run_stages()), and the burst is done: the RX lcore returns its mbufs.
unsigned WorkerLcore::poll_once(uint64_t& now_ns) noexcept {
  unsigned total = 0;
  Burst& b = *burst_;
  for (InRing& in : p_.in_rings) {
    const unsigned n = dequeue_work_items(in.ring, b.items.data(), kBurst);
    if (n == 0) continue;
    // The summary (in the ring's next n slots, consecutive lines), or the frame of a packet decoded below.
    // The capture time and frame length come with the item, so a summarised packet of a classified flow
    // reads none of the mbuf's lines, which the RX lcore wrote on another core; its frame only once its
    // flow says it needs decoding (prefetch_flow_state()).
    SummarySlots& slots = *in.slots;
    const uint32_t slot = in.next_slot;
    in.next_slot = slots.next(slot, n);
    // Packets without a capture timestamp (a live port) take the burst's time: one TSC read and
    // conversion per burst, not per packet (the conversion divides).
    uint64_t burst_ns = 0;
    uint64_t latest_ns = now_ns;
    unsigned to_decode = 0;  // bit g: the burst's g-th group of kStage has a packet to decode
    for (unsigned i = 0; i < n; ++i) {
      const WorkItem& it = b.items[i];
      if (it.summary) {
        b.summaries[i] = &slots[slots.next(slot, i)];
        rte_prefetch0(b.summaries[i]);
      } else {
        rte_prefetch0(rte_pktmbuf_mtod(it.mbuf, void*));
        to_decode |= 1u << (i / kStage);
      }
      if (it.flags & WorkItem::kHasTs) {
        b.ts_ns[i] = it.ts_ns;
      } else {
        if (burst_ns == 0) burst_ns = p_.clock.tsc_to_ns(rte_rdtsc());
        b.ts_ns[i] = burst_ns;
      }
      latest_ns = std::max(latest_ns, b.ts_ns[i]);
    }
    for (unsigned first = 0; first < n; first += kStage)
      run_stages(first, std::min(kStage, n - first), !(to_decode >> (first / kStage) & 1));
    now_ns = latest_ns;
    // The burst's packets were decoded in place (payload pointers): the RX lcore returns their mbufs once
    // all are done (workers/mbuf_return.hpp).
    in.returns->done(n);
    total += n;
  }
  return total;
}

// The stages, l3fwd's shape: decode every packet, then hash each flow and prefetch its table slot, then
// prefetch the entries, then process the packets one by one with their flows in cache. A packet the RX
// lcore summarised (WorkItem::summary) is not decoded: its summary gives the flow's key and hash and what
// an established flow's packet needs, and the shard decodes the frame only for a flow that needs more.
void WorkerLcore::run_stages(unsigned first, unsigned n, bool summarised) noexcept {
  Burst& b = *burst_;
  StageProfile& prof = shard_.profile();
  const WorkItem* items = &b.items[first];
  const lib::PacketSummary* const* summaries = &b.summaries[first];
  const uint64_t* ts_ns = &b.ts_ns[first];
  prof.start();
  for (unsigned i = 0; i < n && !summarised; ++i) {
    const WorkItem& it = items[i];
    if (it.summary) continue;
    rte_mbuf* m = it.mbuf;
    lib::DecodedPacket& pkt = b.pkts[i];
    b.is_flow[i] = lib::decode_packet(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m),
                                      (*p_.link_types)[m->port], pkt,
                                      shard_.verify_checksums()) == lib::PacketClass::kFlow;
    pkt.frame_len = it.frame_len;
  }
  prof.lap(Stage::kDecode);
  for (unsigned i = 0; i < n; ++i) {
    b.lookups[i].valid = false;
    if (items[i].summary)
      shard_.start_lookup(*summaries[i], b.lookups[i]);
    else if (b.is_flow[i])
      shard_.start_lookup(b.pkts[i], items[i].layers, b.lookups[i]);
  }
  prof.lap(Stage::kHash);
  shard_.prefetch_entries(std::span(b.lookups.data(), n));
  // [j]: FlowShard::Ahead bits from prefetch_state(j); 0 past the group, so the loop below reads them
  // without a bound check (a packet of a classified flow pays a load and a branch).
  std::array<uint8_t, kStage + kDetectAhead> ahead;
  auto prefetch_state = [&](unsigned j) {
    ahead[j] = shard_.prefetch_flow_state(b.lookups[j]);
    if (ahead[j] & FlowShard::kAheadFrame) rte_prefetch0(items[j].mbuf);
  };
  auto prefetch_detection = [&](unsigned j) {
    if (ahead[j] & FlowShard::kAheadDetection) shard_.prefetch_detection_state(b.lookups[j]);
    if (ahead[j] & FlowShard::kAheadFrame) rte_prefetch0(rte_pktmbuf_mtod(items[j].mbuf, void*));
  };
  for (unsigned i = 0; i < std::min(n, kStateAhead); ++i) prefetch_state(i);
  for (unsigned i = 0; i < kDetectAhead; ++i) ahead[n + i] = 0;
  for (unsigned i = 0; i < std::min(n, kDetectAhead); ++i)
    if (ahead[i]) prefetch_detection(i);
  prof.lap(Stage::kLookup);
  for (unsigned i = 0; i < n; ++i) {
    if (i + kStateAhead < n) prefetch_state(i + kStateAhead);
    if (ahead[i + kDetectAhead]) prefetch_detection(i + kDetectAhead);
    if (items[i].summary) {
      prof.start();
      // The frame (the mbuf's header) only when the flow needs more than the summary.
      const lib::PacketSummary& s = *summaries[i];
      if (!shard_.account_classified(s, b.lookups[i], items[i].frame_len, ts_ns[i])) {
        const rte_mbuf* m = items[i].mbuf;
        const FlowShard::Frame f{rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m),
                                 (*p_.link_types)[m->port], items[i].frame_len};
        shard_.process_frame(s, b.lookups[i], f, ts_ns[i], m->port);
      }
    } else if (b.is_flow[i]) {
      prof.start();
      shard_.process(b.pkts[i], ts_ns[i], items[i].mbuf->port, items[i].layers, &b.lookups[i]);
    }
  }
}

int WorkerLcore::run() noexcept {
  uint64_t now_ns = 0;
  uint64_t next_live_expire_ns = 0;
  IdleBackoff backoff(p_.shared_cpus);
  for (;;) {
    const uint64_t t0 = lib::cycle_clock();
    const unsigned n = poll_once(now_ns);
    if (n != 0) {
      busy_cycles_.add(lib::cycle_clock() - t0);
      backoff.busy();
      continue;
    }
    if (p_.stop->load(std::memory_order_relaxed)) break;
    if (p_.drain->load(std::memory_order_acquire)) {
      // RX lcores have stopped; one more pass catches what they enqueued last.
      if (poll_once(now_ns) == 0) break;
      continue;
    }
    if (!p_.lossless) {
      const uint64_t t = p_.clock.tsc_to_ns(rte_rdtsc());
      if (t >= next_live_expire_ns) {
        shard_.expire(t);
        next_live_expire_ns = t + kLiveExpireEveryNs;
      }
    }
    backoff.idle();
  }
  shard_.flush_all(lib::EndReason::kShutdown);
  finished_.store(true, std::memory_order_release);
  return 0;
}

}  // namespace spanwatch::workers
