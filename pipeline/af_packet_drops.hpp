// Frames the kernel dropped at the AF_PACKET sockets of a net_af_packet port. DPDK 22.11's af_packet PMD
// reports neither imissed nor rx_nombuf: when its mbuf pool is empty it leaves the frame in the kernel's
// RX ring and returns, so the ring fills and the kernel drops what comes next, counting it only in the
// socket's PACKET_STATISTICS. Those drops are the port's imissed; this reads them from the PMD's sockets
// (found among the process's file descriptors: packet sockets bound to the port's interface).
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

namespace spanwatch::pipeline {

class AfPacketDrops {
 public:
  // Finds the packet sockets bound to interface `ifindex`; returns how many (0: nothing to read).
  // Called once, before any thread reads.
  size_t attach(int ifindex) noexcept;

  // Drops since start. PACKET_STATISTICS clears the kernel's counters on every read, so they are summed
  // here; safe from several threads (the stats writer, the metrics server, telemetry).
  uint64_t drops() noexcept;

 private:
  std::vector<int> fds_;  // owned by the PMD: never closed here
  std::atomic<uint64_t> drops_{0};
};

}  // namespace spanwatch::pipeline
