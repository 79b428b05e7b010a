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

struct rte_mempool;
struct rte_ring;

namespace spanwatch::pipeline {

inline constexpr unsigned kMaxWorkers = 64;

struct RxQueueRef {
  uint16_t port = 0;
  uint16_t queue = 0;
  lib::LinkType link = lib::LinkType::kEthernet;
};

struct alignas(64) RxCounters {
  lib::Counter packets, bytes;
  lib::Counter flow_packets;       // handed to a worker
  lib::Counter carrier_copies;     // tunnelled packets also handed to the worker of their outer UDP flow
  std::array<lib::Counter, size_t(lib::NonFlowKind::kCount)> non_flow;
  std::array<lib::Counter, size_t(lib::DecodeError::kCount)> decode_errors;
  std::array<lib::Counter, kMaxWorkers> ring_drops;   // live mode: worker ring full
  lib::Counter ring_full_waits;    // replay mode: bursts that had to wait for a worker
  lib::Counter idle_polls;
};

struct RxParams {
  unsigned rx_id = 0;
  std::vector<RxQueueRef> queues;
  std::vector<rte_ring*> worker_rings;    // index = worker id
  rte_mempool* pool = nullptr;
  unsigned mbufs_in_other_caches = 0;     // replay: per-lcore cache sizes that avail_count cannot promise
  bool replay = false;
  bool shared_cpus = false;
  const std::atomic<bool>* stop = nullptr;
};

class RxLcore {
 public:
  explicit RxLcore(RxParams p) : p_(std::move(p)) {}
  int run() noexcept;
  const RxCounters& counters() const noexcept { return ctr_; }
  bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }

 private:
  // Returns the number of frames received; sets `eof` in replay mode at the end of the file.
  unsigned poll_queue(const RxQueueRef& q, bool& eof) noexcept;
  void enqueue_all(unsigned worker, const void* items, unsigned n) noexcept;

  RxParams p_;
  RxCounters ctr_;
  std::atomic<bool> finished_{false};
};

}  // namespace spanwatch::pipeline
