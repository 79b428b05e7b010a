// What the shard benchmarks (flow_memory_bench, pack_bench) share: the captures they replay by default,
// a config under which every flow stays, and the replay of a capture into one FlowShard as one RX lcore
// and one worker would feed it.
#pragma once
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lib/app/app_test_pcap.hpp"
#include "lib/config/spanwatch_config.hpp"
#include "lib/decode/packet_decoder.hpp"
#include "workers/flow_shard.hpp"

namespace spanwatch::workers {

// `given`, or every corpus pcaps/ndpi capture (sorted) when none was given.
inline std::vector<std::string> bench_captures(std::vector<std::string> given) {
  if (!given.empty()) return given;
  const auto dir = lib::apptest::corpus_root() / "pcaps" / "ndpi";
  if (std::filesystem::is_directory(dir))
    for (const auto& f : std::filesystem::directory_iterator(dir))
      if (f.path().extension() == ".pcap" || f.path().extension() == ".pcapng") given.push_back(f.path());
  std::sort(given.begin(), given.end());
  return given;
}

// Every flow stays: no timeout passes between the oldest and the newest capture (~130 years).
inline lib::FlowConfig keep_every_flow_config() {
  lib::FlowConfig cfg;
  cfg.max_flows_per_worker = cfg.max_dpi_flows_per_worker = cfg.max_parsing_flows_per_worker = 1u << 20;
  constexpr uint32_t kForever = 4'000'000'000u;
  cfg.tcp_idle_timeout_s = cfg.tcp_linger_s = cfg.tcp_attempt_timeout_s = cfg.tcp_handshake_timeout_s =
      kForever;
  cfg.udp_idle_timeout_s = cfg.dns_idle_timeout_s = cfg.icmp_idle_timeout_s = kForever;
  cfg.other_idle_timeout_s = cfg.active_timeout_s = cfg.fragment_timeout_s = kForever;
  return cfg;
}

// Feeds one capture to the shard (every layer to this worker); returns the packets it processed.
inline uint64_t replay_capture(const std::string& path, FlowShard& shard, uint16_t port_id) {
  char errbuf[PCAP_ERRBUF_SIZE];
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> pc(pcap_open_offline(path.c_str(), errbuf), pcap_close);
  if (!pc) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), errbuf);
    return 0;
  }
  const auto link = static_cast<lib::LinkType>(pcap_datalink(pc.get()));
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  uint64_t packets = 0;
  while (pcap_next_ex(pc.get(), &hdr, &data) == 1) {
    lib::DecodedPacket pkt;
    pkt.frame_len = hdr->len;
    if (lib::decode_packet(data, hdr->caplen, link, pkt) != lib::PacketClass::kFlow) continue;
    // pcap_open_offline gives microseconds whatever the file's precision.
    const uint64_t ts_ns = uint64_t(hdr->ts.tv_sec) * 1'000'000'000ull + uint64_t(hdr->ts.tv_usec) * 1000ull;
    uint8_t layers = kLayerInner;
    for (unsigned c = 0; c < pkt.carrier_count; ++c) layers |= carrier_layer(c);
    shard.process(pkt, ts_ns, port_id, layers);
    ++packets;
  }
  return packets;
}

}  // namespace spanwatch::workers
