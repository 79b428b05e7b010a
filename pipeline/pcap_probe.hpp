// Reads a capture file once before replay (libpcap; page cache makes this cheap): its link type for the
// decoder and its packet count, so the end-of-run accounting can prove that no packet was lost.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/decode/decoded_packet.hpp"

namespace spanwatch::pipeline {

struct PcapInfo {
  std::string path;
  lib::LinkType link = lib::LinkType::kEthernet;
  int dlt = 1;
  uint64_t packets = 0;
  uint64_t wire_bytes = 0;  // sum of original frame lengths
  std::string warning;      // e.g. the file is truncated: packets up to the damage are counted

  // Frames the capture cut short (snap length): net_pcap hands over only the captured bytes, so the RX
  // lcore restores the original length from this list to count frame bytes as tshark's frame.len does.
  struct CutFrame {
    uint64_t index;  // 0-based position in the file
    uint32_t caplen, wire_len;
  };
  std::vector<CutFrame> cut_frames;
};

// Throws StartupError when the file cannot be opened as a capture.
PcapInfo probe_pcap(const std::string& path);

}  // namespace spanwatch::pipeline
