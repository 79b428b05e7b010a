// An RX lcore: polls its NIC queues in bursts, decodes each frame far enough to find its flow, picks the
// worker by a symmetric address hash and enqueues to that worker's SPSC ring. Non-flow frames and decode
// errors are counted here and freed. In replay mode nothing is dropped: it waits for ring space, and it
// reads each pcap to its end (a short burst while mbufs are available means end of file).
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "lib/core/counter.hpp"
#include "lib/decode/decoded_packet.hpp"
#include "pipeline/pcap_probe.hpp"
#include "workers/mbuf_return.hpp"
#include "workers/summary_slots.hpp"
#include "workers/work_item.hpp"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace spanwatch::pipeline {

inline constexpr unsigned kMaxWorkers = 64;
// Packets an RX lcore reads per poll: at most that many go to one worker, which takes as many per burst.
inline constexpr unsigned kRxBurst = workers::kMaxHandoverBurst;
// The most mbufs net_pcap chains for one frame (64 KiB in 2 KiB buffers): RxLcore::replay_burst().
inline constexpr unsigned kReplayMbufsPerFrame = 33;

struct RxQueueRef {
  uint16_t port = 0;
  uint16_t queue = 0;
  lib::LinkType link = lib::LinkType::kEthernet;
  const std::vector<PcapInfo::CutFrame>* cut_frames = nullptr;  // replay: frames cut by the snap length
};

struct alignas(64) RxCounters {
  lib::Counter packets, bytes;
  lib::Counter flow_packets;    // handed to a worker
  lib::Counter carrier_copies;  // extra references handed out because a tunnel layer's UDP flow belongs
                                // to another worker than the packet's inner flow
  std::array<lib::Counter, size_t(lib::NonFlowKind::kCount)> non_flow;
  std::array<lib::Counter, size_t(lib::DecodeError::kCount)> decode_errors;
  std::array<lib::Counter, kMaxWorkers> ring_drops;  // live mode: worker ring full
  lib::Counter ring_full_waits;                      // replay mode: bursts that had to wait for a worker
  // Live mode: a queue that delivered packets on its last poll came up empty with the pool (nearly) empty.
  // net_af_packet then leaves frames in the kernel's ring and counts no rx_nombuf; what the kernel drops
  // meanwhile is the port's imissed (pipeline/af_packet_drops.hpp).
  lib::Counter pool_empty;
  lib::Counter idle_polls;
  lib::Counter busy_cycles;  // cycle_clock() cycles of bursts that carried packets
  // Packets among the ring drops (items that carried the packet's inner flow; a carrier-only copy is not
  // a packet of its own): accounting.ring_drops.
  lib::Counter ring_dropped_packets;
  lib::Counter replay_desync;  // a cut frame was not where the pre-scan saw it: frame bytes fall back
                               // to the captured length from there on
};

// This RX lcore's end of one worker's ring.
struct WorkerRingOut {
  rte_ring* ring = nullptr;                // SPSC to the worker
  workers::SummarySlots* slots = nullptr;  // where its items' summaries go (workers/summary_slots.hpp)
  workers::MbufReturn* returns = nullptr;  // the mbufs of its items, until the worker is done with them
  uint32_t next_slot = 0;                  // the RX lcore's: the slot of the next item enqueued
};

struct RxParams {
  unsigned rx_id = 0;
  std::vector<RxQueueRef> queues;
  std::vector<WorkerRingOut> worker_rings;  // index = worker id; all fields set
  rte_mempool* pool = nullptr;
  int wire_len_offset = -1;  // mbuf dynfield for the original frame length (uint32_t)
  int ts_offset = -1;        // RX timestamp dynfield (workers::PacketClock), -1 if none
  uint64_t ts_flag = 0;      // ol_flags bit that says it is valid
  uint64_t ts_unit_ns = 1000;
  unsigned mbufs_in_other_caches = 0;  // replay: per-lcore cache sizes that avail_count cannot promise
  bool replay = false;
  bool shared_cpus = false;
  bool verify_checksums = false;  // flows.verify_checksums
  const std::atomic<bool>* stop = nullptr;
};

class RxLcore {
 public:
  explicit RxLcore(RxParams p);
  int run() noexcept;
  const RxCounters& counters() const noexcept { return ctr_; }
  bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }
  // Replay stopped by a signal before the end of a file: the files' packet counts are not what was read.
  bool replay_interrupted() const noexcept { return interrupted_.load(std::memory_order_acquire); }

 private:
  // Returns the number of frames received; sets `eof` in replay mode at the end of the file.
  unsigned poll_queue(size_t qi, bool& eof) noexcept;
  unsigned replay_burst() const noexcept;  // frames a replay may read now
  void enqueue_all(unsigned worker, const void* items, unsigned n) noexcept;
  // After `n` more items went into the worker's ring: the slot of the next one.
  void advance_slot(unsigned worker, unsigned n) noexcept {
    WorkerRingOut& o = p_.worker_rings[worker];
    o.next_slot = o.slots->next(o.next_slot, n);
  }

  // Restores the wire length of frames a capture cut short (replay only).
  uint32_t restore_wire_len(size_t q, rte_mbuf* m) noexcept;

  RxParams p_;
  RxCounters ctr_;
  struct ReplayCursor {
    uint64_t index = 0;   // frames read from this queue so far
    size_t next_cut = 0;  // next entry of cut_frames
    bool desync = false;
  };
  std::vector<ReplayCursor> cursors_;  // one per queue
  std::vector<char> last_poll_busy_;   // one per queue: the pool is only checked when a busy queue stalls
  // Per worker, the items of the poll's burst: a packet yields at most one item per worker. Here, not on
  // the stack, where kMaxWorkers of them took 192 KiB a poll.
  using WorkerBurst = std::array<workers::WorkItem, kRxBurst>;
  std::vector<WorkerBurst> out_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> interrupted_{false};
};

}  // namespace spanwatch::pipeline
