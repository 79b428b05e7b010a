#include "pipeline/rx_lcore.hpp"

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <sched.h>

#include <cassert>

#include "lib/decode/packet_decoder.hpp"
#include "lib/flow/flow_key.hpp"
#include "lib/flow/packet_summary.hpp"
#include "workers/flow_shard.hpp"
#include "workers/idle_backoff.hpp"
#include "workers/work_ring.hpp"

namespace spanwatch::pipeline {
RxLcore::RxLcore(RxParams p)
    : p_(std::move(p)),
      cursors_(p_.queues.size()),
      last_poll_busy_(p_.queues.size(), 0),
      out_(p_.worker_rings.size()) {
  for ([[maybe_unused]] const WorkerRingOut& o : p_.worker_rings)
    assert(o.ring != nullptr && o.slots != nullptr && o.returns != nullptr);
}

void RxLcore::enqueue_all(unsigned worker, const void* items, unsigned n) noexcept {
  rte_ring* r = p_.worker_rings[worker].ring;
  const auto* it = static_cast<const workers::WorkItem*>(items);
  unsigned done = workers::enqueue_work_items(r, it, n);
  if (done < n && p_.replay) {
    ctr_.ring_full_waits.add(1);
    workers::IdleBackoff backoff(p_.shared_cpus);
    while (done < n) {
      backoff.idle();
      done += workers::enqueue_work_items(r, it + done, n - done);
    }
  }
  // Dropped items' slots go to the next items (the worker counts the items it dequeues).
  advance_slot(worker, done);
  workers::MbufReturn& returns = *p_.worker_rings[worker].returns;
  for (unsigned i = 0; i < done; ++i) returns.handed(it[i].mbuf, it[i].flags & workers::WorkItem::kPlain);
  if (done == n) return;
  ctr_.ring_drops[worker].add(n - done);
  unsigned packets = 0;
  for (unsigned i = done; i < n; ++i) {
    if (it[i].layers & workers::kLayerInner) ++packets;
    rte_pktmbuf_free(it[i].mbuf);
  }
  ctr_.ring_dropped_packets.add(packets);
}

uint32_t RxLcore::restore_wire_len(size_t qi, rte_mbuf* m) noexcept {
  ReplayCursor& c = cursors_[qi];
  const std::vector<PcapInfo::CutFrame>* cuts = p_.queues[qi].cut_frames;
  uint32_t wire = rte_pktmbuf_pkt_len(m);
  if (cuts && !c.desync && c.next_cut < cuts->size() && (*cuts)[c.next_cut].index == c.index) {
    const PcapInfo::CutFrame& cut = (*cuts)[c.next_cut++];
    if (cut.caplen == wire) {
      wire = cut.wire_len;
    } else {
      c.desync = true;
      ctr_.replay_desync.add(1);
    }
  }
  ++c.index;
  *RTE_MBUF_DYNFIELD(m, p_.wire_len_offset, uint32_t*) = wire;
  return wire;
}

// net_pcap reads a frame before it allocates its mbuf, and a frame up to 64 KiB takes up to 33 mbufs: a
// replay reads only as many frames as the free mbufs surely hold, so it never loses one to rx_nombuf.
// avail_count includes other lcores' caches, which this lcore cannot allocate from.
unsigned RxLcore::replay_burst() const noexcept {
  const unsigned avail = rte_mempool_avail_count(p_.pool);
  const unsigned spare = avail > p_.mbufs_in_other_caches ? avail - p_.mbufs_in_other_caches : 0;
  return std::min(kRxBurst, spare / kReplayMbufsPerFrame);
}

unsigned RxLcore::poll_queue(size_t qi, bool& eof) noexcept {
  const RxQueueRef& q = p_.queues[qi];
  for (WorkerRingOut& o : p_.worker_rings) o.returns->reclaim(p_.pool);  // before the burst takes mbufs
  const unsigned want = p_.replay ? replay_burst() : kRxBurst;
  if (want == 0) return 0;
  std::array<rte_mbuf*, kRxBurst> pkts;
  const uint16_t n = rte_eth_rx_burst(q.port, q.queue, pkts.data(), want);
  if (p_.replay && n < want) eof = true;
  // avail_count walks every lcore's cache: only asked when a queue that delivered on the last poll comes up
  // empty (a stall, counted once; a PMD without mbufs returns nothing, or a short burst and then nothing),
  // so idle polls and busy ones cost nothing. Other lcores' caches may hold mbufs this lcore cannot take:
  // "nearly" empty.
  if (!p_.replay && n == 0 && last_poll_busy_[qi] &&
      rte_mempool_avail_count(p_.pool) < kRxBurst + p_.mbufs_in_other_caches)
    ctr_.pool_empty.add(1);
  last_poll_busy_[qi] = n > 0;
  if (n == 0) return 0;

  const unsigned n_workers = static_cast<unsigned>(p_.worker_rings.size());
  std::array<unsigned, kMaxWorkers> n_out{};
  lib::DecodedPacket pkt;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    rte_mbuf* m = pkts[i];
    bytes += rte_pktmbuf_pkt_len(m);
    // What the worker would read from the mbuf's header (its frame length and capture time) travels with
    // the work item: the header's lines stay on this core (workers::WorkItem).
    const uint32_t frame_len = p_.wire_len_offset >= 0 ? restore_wire_len(qi, m) : rte_pktmbuf_pkt_len(m);
    const bool has_ts = p_.ts_offset >= 0 && (m->ol_flags & p_.ts_flag);
    const uint64_t ts_ns = has_ts ? *RTE_MBUF_DYNFIELD(m, p_.ts_offset, uint64_t*) * p_.ts_unit_ns : 0;
    const uint8_t ts_flag = has_ts ? workers::WorkItem::kHasTs : 0;
    switch (lib::decode_packet(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), q.link, pkt,
                               p_.verify_checksums)) {
      case lib::PacketClass::kNonFlow:
        ctr_.non_flow[size_t(pkt.non_flow)].add(1);
        rte_pktmbuf_free(m);
        continue;
      case lib::PacketClass::kError:
        ctr_.decode_errors[size_t(pkt.error)].add(1);
        rte_pktmbuf_free(m);
        continue;
      case lib::PacketClass::kFlow:
        break;
    }
    // A bad checksum is counted as its decode error here; the worker then makes or keeps the flow without
    // counting the packet in it (its frame, decoded again: no summary).
    if (pkt.bad_checksum) [[unlikely]]
      ctr_.decode_errors[size_t(pkt.error)].add(1);
    const unsigned w = lib::worker_hash(pkt.inner.src, pkt.inner.dst) % n_workers;
    if (pkt.carrier_count == 0 && !pkt.bad_checksum) [[likely]] {
      // The worker finds and accounts the flow from this, without decoding the frame again. Its slot is
      // the item's: the ring's next one after those of the items before it. The next item's slot is asked
      // for now (the worker read it last, on its core).
      workers::SummarySlots& slots = *p_.worker_rings[w].slots;
      const uint32_t slot = slots.next(p_.worker_rings[w].next_slot, n_out[w]);
      __builtin_prefetch(&slots[slots.next(slot, 1)], 1);
      const bool summarised = lib::summarize(pkt, slots[slot]);
      const bool plain = m->pool == p_.pool && m->nb_segs == 1 && m->next == nullptr && RTE_MBUF_DIRECT(m) &&
                         rte_mbuf_refcnt_read(m) == 1;
      const uint8_t flags = ts_flag | (plain ? workers::WorkItem::kPlain : 0);
      out_[w][n_out[w]++] = workers::WorkItem{m, ts_ns, frame_len, workers::kLayerInner, summarised, flags};
    } else {
      // Each tunnel layer's UDP flow may belong to another worker: one item per worker involved, with
      // the layers that worker accounts, and one mbuf reference per item.
      std::array<unsigned, lib::kMaxTunnelDepth + 1> ws{w};
      std::array<uint8_t, lib::kMaxTunnelDepth + 1> masks{workers::kLayerInner};
      unsigned n_ws = 1;
      for (unsigned c = 0; c < pkt.carrier_count; ++c) {
        const unsigned wc = lib::worker_hash(pkt.carriers[c].src, pkt.carriers[c].dst) % n_workers;
        unsigned k = 0;
        while (k < n_ws && ws[k] != wc) ++k;
        if (k == n_ws) {
          ws[n_ws] = wc;
          masks[n_ws++] = 0;
        }
        masks[k] |= workers::carrier_layer(c);
      }
      if (n_ws > 1) rte_mbuf_refcnt_update(m, int16_t(n_ws - 1));
      for (unsigned k = 0; k < n_ws; ++k)
        out_[ws[k]][n_out[ws[k]]++] = workers::WorkItem{m, ts_ns, frame_len, masks[k], 0, ts_flag};
      ctr_.carrier_copies.add(n_ws - 1);
    }
    ctr_.flow_packets.add(1);
  }
  for (unsigned w = 0; w < n_workers; ++w)
    if (n_out[w]) enqueue_all(w, out_[w].data(), n_out[w]);
  ctr_.packets.add(n);
  ctr_.bytes.add(bytes);
  return n;
}

int RxLcore::run() noexcept {
  workers::IdleBackoff backoff(p_.shared_cpus);
  if (p_.replay) {
    // Files are read one after another, each to its end, so packet time runs forward.
    for (size_t qi = 0; qi < p_.queues.size(); ++qi) {
      bool eof = false;
      while (!eof && !p_.stop->load(std::memory_order_relaxed)) {
        const uint64_t t0 = rte_rdtsc();
        if (poll_queue(qi, eof) != 0 || eof) {
          ctr_.busy_cycles.add(rte_rdtsc() - t0);
          backoff.busy();
        } else {
          backoff.idle();
        }
      }
      if (!eof) interrupted_.store(true, std::memory_order_release);
    }
  } else {
    while (!p_.stop->load(std::memory_order_relaxed)) {
      unsigned got = 0;
      bool eof = false;
      const uint64_t t0 = rte_rdtsc();
      for (size_t qi = 0; qi < p_.queues.size(); ++qi) got += poll_queue(qi, eof);
      if (got != 0) {
        ctr_.busy_cycles.add(rte_rdtsc() - t0);
        backoff.busy();
      } else {
        ctr_.idle_polls.add(1);
        backoff.idle();
      }
    }
  }
  finished_.store(true, std::memory_order_release);
  return 0;
}

}  // namespace spanwatch::pipeline
