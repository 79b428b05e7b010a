// The worker lcore: drains its input rings (one per RX lcore), decodes each packet, updates its flow
// shard and pushes records to its export ring. Owns its shard; nothing is shared with other workers.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "lib/config/spanwatch_config.hpp"
#include "lib/core/counter.hpp"
#include "lib/decode/decoded_packet.hpp"
#include "workers/flow_shard.hpp"
#include "workers/mbuf_return.hpp"
#include "workers/ndpi_detector.hpp"
#include "workers/packet_clock.hpp"
#include "workers/summary_slots.hpp"
#include "workers/work_item.hpp"

struct rte_mbuf;
struct rte_ring;

namespace spanwatch::workers {

// The worker's end of one RX lcore's ring.
struct InRing {
  rte_ring* ring = nullptr;       // from the RX lcore, SPSC
  SummarySlots* slots = nullptr;  // its items' summaries (workers/summary_slots.hpp)
  MbufReturn* returns = nullptr;  // where it says which items it finished (workers/mbuf_return.hpp)
  uint32_t next_slot = 0;         // the worker's: the slot of the ring's next item
};

struct WorkerParams {
  uint16_t worker_id = 0;
  std::vector<InRing> in_rings;                  // one per RX lcore; all fields set
  rte_ring* export_ring = nullptr;               // SPSC to the exporter, elements are FlowRecord
  const std::vector<lib::LinkType>* link_types;  // indexed by DPDK port id
  PacketClock clock;
  lib::FlowConfig flows;
  bool shared_cpus = false;                  // yield when idle
  bool lossless = false;                     // replay: wait for ring space instead of dropping
  const std::atomic<bool>* drain = nullptr;  // set when RX lcores are done: empty rings, flush, exit
  const std::atomic<bool>* stop = nullptr;   // hard stop (second signal)
};

class WorkerLcore {
 public:
  explicit WorkerLcore(WorkerParams p);
  int run() noexcept;  // the lcore entry point
  const ShardCounters& counters() const noexcept { return shard_.counters(); }
  // Cycles spent on bursts that carried packets (empty polls excluded), of which waiting for the exporter
  // (replay only), and the stage split.
  uint64_t busy_cycles() const noexcept { return busy_cycles_.get(); }
  uint64_t export_wait_cycles() const noexcept { return sink_.wait_cycles.get(); }
  const StageProfile& profile() const noexcept { return shard_.profile(); }
  const DpiCounters& dpi_counters() const noexcept { return dpi_.counters(); }
  const AppCounters& app_counters() const noexcept { return apps_.counters(); }
  void fill_l7_names(lib::L7NameTable& t) const { dpi_.fill_name_table(t); }  // start-up, before run()
  uint64_t records_dropped() const noexcept { return sink_.dropped.get(); }
  uint64_t packets_in_dropped_records() const noexcept { return sink_.dropped_packets.get(); }
  uint64_t live_skipped() const noexcept { return sink_.live_skipped.get(); }
  uint64_t payload_prefix_exhausted() const noexcept { return prefixes_ ? prefixes_->exhausted() : 0; }
  uint16_t worker_id() const noexcept { return p_.worker_id; }
  bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }

 private:
  class RingSink : public RecordSink {
   public:
    RingSink(rte_ring* r, bool lossless, bool shared_cpus)
        : ring_(r), lossless_(lossless), shared_cpus_(shared_cpus) {}
    void emit(const lib::FlowRecord& rec) noexcept override;
    lib::Counter dropped;       // records lost because the export ring stayed full (live mode only)
    lib::Counter live_skipped;  // live snapshots not sent: the export ring was half full
    lib::Counter wait_cycles;   // replay: cycles spent waiting for room in the export ring
    // own_packets of the final records among the dropped ones (accounting.in_dropped_records).
    lib::Counter dropped_packets;

   private:
    rte_ring* ring_;
    bool lossless_;
    bool shared_cpus_;
  };

  unsigned poll_once(uint64_t& now_ns) noexcept;

  WorkerParams p_;
  RingSink sink_;
  NdpiDetector dpi_;
  AppDissector apps_;
  std::unique_ptr<PayloadPrefixCapture> prefixes_;  // only when flows.capture_payload_prefix
  FlowShard shard_;
  // A burst: up to kBurst items of one ring (poll_once). Its fixed costs are waits for lines of another core
  // whatever its size (the dequeue, the first reads of the items and summaries the RX lcore wrote, the
  // mbufs' return to their pool), so bursts are long; its stages go in groups of kStage, whose lines (table
  // slots, entries, decoded packets) stay in L1 until processed.
  static constexpr unsigned kBurst = kMaxHandoverBurst;
  static constexpr unsigned kStage = 32;
  static_assert(kBurst % kStage == 0 && kBurst / kStage <= 32, "whole groups, one bit each (poll_once)");
  struct Burst {
    std::array<WorkItem, kBurst> items;
    std::array<const lib::PacketSummary*, kBurst> summaries;  // of the items with WorkItem::summary
    std::array<uint64_t, kBurst> ts_ns;
    // [i - first]: the group of kStage from item `first` in its stages
    std::array<lib::DecodedPacket, kStage> pkts;
    std::array<FlowShard::FlowLookup, kStage> lookups;
    std::array<bool, kStage> is_flow;
  };
  // The stages of items [first, first + n) of burst_, n <= kStage; `summarised`: none of them is decoded.
  void run_stages(unsigned first, unsigned n, bool summarised) noexcept;
  std::unique_ptr<Burst> burst_;
  lib::Counter busy_cycles_;
  std::atomic<bool> finished_{false};
};

}  // namespace spanwatch::workers
