// One ethdev port: looked up by device name, configured with N RX queues (offloads, MTU and RSS masked by
// what the device reports, asked vs granted logged), started in promiscuous mode, given a bounded wait for
// link up, and stopped on destruction after a final stats read.
#pragma once
#include <cstdint>
#include <string>

#include "lib/config/spanwatch_config.hpp"
#include "lib/decode/decoded_packet.hpp"
#include "pipeline/af_packet_drops.hpp"

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

  int socket() const noexcept { return socket_; }  // NUMA socket of the device; SOCKET_ID_ANY if unknown

  // The ethdev name of a device argument: "net_pcap0,rx_pcap=x" -> "net_pcap0".
  static std::string ethdev_name(const std::string& device);

  // Largest frame a port with this L3 MTU delivers: Ethernet header, two VLAN tags (QinQ), CRC.
  static uint32_t max_frame_bytes(uint16_t mtu) noexcept;

  // Bytes one mbuf must hold for this port (0: the default buffer will do): the largest frame of its MTU,
  // or what the driver insists on (af_packet: its framesz= argument).
  static uint32_t buffer_bytes(const lib::PortConfig& cfg);

  // The NUMA socket a device sits on, once EAL has probed it (before the Port exists, to place its pool).
  static int device_socket(const std::string& device) noexcept;

 private:
  uint16_t id_ = 0;
  uint16_t rx_queues_ = 1;
  std::string name_;
  lib::LinkType link_;
  int socket_ = -1;
  bool started_ = false;
  mutable AfPacketDrops kernel_drops_;  // imissed of net_af_packet, which the PMD does not count

  void wait_for_link(uint32_t wait_s) const;
};

}  // namespace spanwatch::pipeline
