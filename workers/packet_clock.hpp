// Packet time in ns since the epoch: the capture timestamp when the port provides one (net_pcap replay:
// deterministic results), else the TSC scaled against a wall-clock reference taken at start-up.
#pragma once
#include <cstdint>

namespace spanwatch::workers {

struct PacketClock {
  int ts_offset = -1;          // mbuf dynfield offset of the RX timestamp, -1 if none registered
  uint64_t ts_flag = 0;        // ol_flags bit that says the dynfield is valid
  uint64_t ts_unit_ns = 1000;  // net_pcap stores microseconds
  uint64_t tsc_hz = 1;
  uint64_t tsc0 = 0;         // TSC at start-up
  uint64_t wall0_ns = 0;     // wall clock at start-up
  int wire_len_offset = -1;  // mbuf dynfield with the original frame length (set by the RX lcore)

  uint64_t tsc_to_ns(uint64_t tsc) const noexcept {
    const uint64_t d = tsc - tsc0;
    return wall0_ns + (d / tsc_hz) * 1'000'000'000ULL + (d % tsc_hz) * 1'000'000'000ULL / tsc_hz;
  }
};

}  // namespace spanwatch::workers
