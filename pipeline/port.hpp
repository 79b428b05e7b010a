// One ethdev port: looked up by device name, configured with N RX queues (offloads and RSS masked by
// what the device reports), started, and stopped on destruction after a final stats read.
#pragma once
#include <cstdint>
#include <string>

#include "lib/config/spanwatch_config.hpp"
#include "lib/decode/decoded_packet.hpp"

struct rte_mempool;

namespace spanwatch::pipeline {

struct PortStats {
  uint64_t rx_packets = 0, rx_bytes = 0, imissed = 0, ierrors = 0, rx_nombuf = 0;
};

class Port {
 public:
  Port(const lib::PortConfig& cfg, rte_mempool* pool, lib::LinkType link);
  ~Port();
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  uint16_t id() const noexcept { return id_; }
  uint16_t rx_queues() const noexcept { return rx_queues_; }
  const std::string& name() const noexcept { return name_; }
  lib::LinkType link_type() const noexcept { return link_; }
  PortStats stats() const noexcept;

  // The ethdev name of a device argument: "net_pcap0,rx_pcap=x" -> "net_pcap0".
  static std::string ethdev_name(const std::string& device);

 private:
  uint16_t id_ = 0;
  uint16_t rx_queues_ = 1;
  std::string name_;
  lib::LinkType link_;
  bool started_ = false;
};

}  // namespace spanwatch::pipeline
