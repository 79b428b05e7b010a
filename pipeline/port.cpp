#include "pipeline/port.hpp"

#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "pipeline/startup_error.hpp"

namespace spanwatch::pipeline {
namespace {

// Two VLAN tags (QinQ on a span port is common) on top of the Ethernet header and the CRC.
constexpr uint32_t kFrameOverheadBytes = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 2 * 4;
constexpr auto kLinkPoll = std::chrono::milliseconds(100);

// The Toeplitz key made of one repeated 16-bit word gives the same hash for (a, b) and (b, a): both
// directions of a flow land on the same RX queue (Woo and Park, "Scalable TCP Session Monitoring with
// Symmetric Receive-side Scaling"). Any key length the device asks for keeps the property.
constexpr uint8_t kSymmetricKeyWord[2] = {0x6d, 0x5a};

std::string offload_names(uint64_t bits) {
  if (bits == 0) return "none";
  std::string s;
  for (uint64_t b = 1; b != 0; b <<= 1)
    if (bits & b) s += fmt::format("{}{}", s.empty() ? "" : ",", rte_eth_dev_rx_offload_name(b));
  return s;
}

}  // namespace

std::string Port::ethdev_name(const std::string& device) {
  return device.substr(0, device.find(','));
}

uint32_t Port::max_frame_bytes(uint16_t mtu) noexcept {
  return uint32_t{mtu == 0 ? uint16_t{RTE_ETHER_MTU} : mtu} + kFrameOverheadBytes;
}

uint32_t Port::buffer_bytes(const lib::PortConfig& cfg) {
  uint32_t bytes = cfg.mtu == 0 ? 0 : max_frame_bytes(cfg.mtu);
  // af_packet insists that one mbuf holds a whole TPACKET frame (its framesz= argument, 2048 by default).
  if (cfg.device.rfind("net_af_packet", 0) == 0) {
    const size_t at = cfg.device.find(",framesz=");
    if (at != std::string::npos) bytes = std::max<uint32_t>(bytes, std::stoul(cfg.device.substr(at + 9)));
  }
  return bytes;
}

int Port::device_socket(const std::string& device) noexcept {
  uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(ethdev_name(device).c_str(), &id) != 0) return SOCKET_ID_ANY;
  return rte_eth_dev_socket_id(id);
}

Port::Port(const lib::PortConfig& cfg, rte_mempool* pool, lib::LinkType link)
    : name_(cfg.name.empty() ? ethdev_name(cfg.device) : cfg.name), link_(link) {
  const std::string dev = ethdev_name(cfg.device);
  if (rte_eth_dev_get_port_by_name(dev.c_str(), &id_) != 0)
    throw StartupError(
        fmt::format("ports: device {} was not probed by DPDK; check the PCI address, that it is bound "
                    "to vfio-pci (scripts/setup-host.sh), or the vdev arguments",
                    dev));
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(id_, &info); rc != 0)
    throw StartupError(fmt::format("rte_eth_dev_info_get({}): {}", dev, rte_strerror(-rc)));
  socket_ = rte_eth_dev_socket_id(id_);

  rx_queues_ = cfg.rx_queues;
  if (rx_queues_ > info.max_rx_queues)
    throw StartupError(fmt::format("ports[{}].rx_queues: {} > device maximum {}; use <= {}", dev, rx_queues_,
                                   info.max_rx_queues, info.max_rx_queues));
  rte_eth_conf conf{};  // VLAN stripping and every other rewrite stay off: records describe the wire
  uint64_t rss_want = 0;
  std::vector<uint8_t> rss_key;
  if (rx_queues_ > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    rss_want = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
    conf.rx_adv_conf.rss_conf.rss_hf = rss_want & info.flow_type_rss_offloads;  // mask or EINVAL
    if (info.hash_key_size > 0) {
      rss_key.resize(info.hash_key_size);
      for (size_t i = 0; i < rss_key.size(); ++i) rss_key[i] = kSymmetricKeyWord[i % 2];
      conf.rx_adv_conf.rss_conf.rss_key = rss_key.data();
      conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
    }
  }

  // MTU and frame size: one mbuf per frame when the pool's buffers are big enough (main sizes them from
  // the largest MTU), else scattered RX into chained mbufs if the device can.
  const uint32_t frame = max_frame_bytes(cfg.mtu);
  const uint32_t buf_room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
  if (cfg.mtu != 0) {
    // ethdev refuses an MTU whose frame exceeds max_rx_pktlen, whatever max_mtu says.
    constexpr uint32_t kEthdevOverhead = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;  // what ethdev assumes
    const uint32_t max_mtu = std::min<uint32_t>(info.max_mtu, info.max_rx_pktlen > kEthdevOverhead
                                                                  ? info.max_rx_pktlen - kEthdevOverhead
                                                                  : info.max_mtu);
    const bool kernel_owns_mtu = info.driver_name && std::string_view(info.driver_name) == "net_af_packet";
    if (kernel_owns_mtu && cfg.mtu > max_mtu) {
      // af_packet takes whatever the kernel interface delivers, up to its vdev framesz: the interface MTU
      // (ip link set IF mtu 9000) is what counts; the buffers are sized for cfg.mtu all the same.
      std::fprintf(
          stderr,
          "spanwatch: %s: af_packet keeps the DPDK MTU at %u; frames up to mtu %u are captured as the "
          "kernel interface delivers them (set its MTU with ip link, and framesz= in the vdev)\n",
          dev.c_str(), max_mtu, cfg.mtu);
    } else if (cfg.mtu > max_mtu || cfg.mtu < info.min_mtu) {
      throw StartupError(
          fmt::format("ports[{}].mtu: {} is outside what the device takes [{}, {}]; use at "
                      "most {}",
                      dev, cfg.mtu, info.min_mtu, max_mtu, max_mtu));
    } else {
      conf.rxmode.mtu = cfg.mtu;
    }
  }
  uint64_t offloads_want = 0;
  if (rx_queues_ > 1) offloads_want |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
  if (frame > buf_room) offloads_want |= RTE_ETH_RX_OFFLOAD_SCATTER;
  conf.rxmode.offloads = offloads_want & info.rx_offload_capa;
  if ((offloads_want & RTE_ETH_RX_OFFLOAD_SCATTER) && !(conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_SCATTER))
    throw StartupError(
        fmt::format("ports[{}].mtu: frames of up to {} bytes do not fit one {}-byte mbuf and "
                    "the device cannot scatter them; lower the MTU",
                    dev, frame, buf_room));

  const uint16_t tx_queues = info.max_tx_queues > 0 ? 1 : 0;  // some PMDs insist on a TX queue
  if (int rc = rte_eth_dev_configure(id_, rx_queues_, tx_queues, &conf); rc != 0)
    throw StartupError(
        fmt::format("rte_eth_dev_configure({}, {} rx queues): {}", dev, rx_queues_, rte_strerror(-rc)));

  uint16_t rx_desc = cfg.rx_desc, tx_desc = 512;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id_, &rx_desc, &tx_desc); rc != 0)
    throw StartupError(fmt::format("rte_eth_dev_adjust_nb_rx_tx_desc({}): {}", dev, rte_strerror(-rc)));
  if (rx_desc != cfg.rx_desc)
    std::fprintf(stderr, "spanwatch: %s: rx descriptors adjusted from %u to %u (device limits %u-%u)\n",
                 dev.c_str(), cfg.rx_desc, rx_desc, info.rx_desc_lim.nb_min, info.rx_desc_lim.nb_max);

  const int mp_socket = pool->socket_id;
  if (socket_ >= 0 && mp_socket >= 0 && socket_ != mp_socket)
    std::fprintf(stderr,
                 "spanwatch: %s: device on NUMA socket %d but its packet pool on socket %d; every packet "
                 "crosses sockets (put this port's RX lcores on socket %d)\n",
                 dev.c_str(), socket_, mp_socket, socket_);
  rte_eth_rxconf rxconf = info.default_rxconf;
  rxconf.offloads = conf.rxmode.offloads;
  for (uint16_t q = 0; q < rx_queues_; ++q)
    if (int rc = rte_eth_rx_queue_setup(id_, q, rx_desc, socket_, &rxconf, pool); rc != 0)
      throw StartupError(fmt::format("rte_eth_rx_queue_setup({}, queue {}, {} descriptors): {}", dev, q,
                                     rx_desc, rte_strerror(-rc)));
  for (uint16_t q = 0; q < tx_queues; ++q)
    if (int rc = rte_eth_tx_queue_setup(id_, q, tx_desc, socket_, nullptr); rc != 0)
      throw StartupError(fmt::format("rte_eth_tx_queue_setup({}): {}", dev, rte_strerror(-rc)));

  if (int rc = rte_eth_dev_start(id_); rc != 0)
    throw StartupError(fmt::format("rte_eth_dev_start({}): {}", dev, rte_strerror(-rc)));
  started_ = true;
  if (info.driver_name && std::string_view(info.driver_name) == "net_af_packet")
    kernel_drops_.attach(info.if_index);  // its sockets exist from probe on; see af_packet_drops.hpp
  // A span port sees other hosts' traffic only in promiscuous mode; vdevs may not support it. Read the
  // state back, as a driver may refuse without an error.
  if (int rc = rte_eth_promiscuous_enable(id_); rc != 0 && rc != -ENOTSUP)
    std::fprintf(stderr, "spanwatch: %s: promiscuous mode: %s\n", dev.c_str(), rte_strerror(-rc));
  const int promisc = rte_eth_promiscuous_get(id_);

  uint16_t mtu_now = 0;
  rte_eth_dev_get_mtu(id_, &mtu_now);
  rte_eth_rss_conf rss_now{};
  const bool rss_known = rx_queues_ > 1 && rte_eth_dev_rss_hash_conf_get(id_, &rss_now) == 0;
  std::fprintf(stderr,
               "spanwatch: port %s (%s, driver %s, socket %d): %u rx queue(s) x %u descriptors, mtu %u, "
               "promiscuous %s; rx offloads asked %s, granted %s; RSS types asked 0x%llx, granted 0x%llx%s\n",
               name_.c_str(), dev.c_str(), info.driver_name ? info.driver_name : "?", socket_, rx_queues_,
               rx_desc, mtu_now, promisc == 1 ? "on" : "off", offload_names(offloads_want).c_str(),
               offload_names(conf.rxmode.offloads).c_str(), static_cast<unsigned long long>(rss_want),
               static_cast<unsigned long long>(rss_known ? rss_now.rss_hf : conf.rx_adv_conf.rss_conf.rss_hf),
               rx_queues_ > 1 && conf.rx_adv_conf.rss_conf.rss_hf == 0
                   ? " (no hardware RSS: the device spreads queues its own way, workers still get whole "
                     "flows by the software hash)"
                   : "");
  wait_for_link(cfg.link_wait_s);
}

void Port::wait_for_link(uint32_t wait_s) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
  rte_eth_link link{};
  for (;;) {
    if (rte_eth_link_get_nowait(id_, &link) != 0) return;  // the driver cannot tell: nothing to wait for
    if (link.link_status == RTE_ETH_LINK_UP) {
      if (link.link_speed != RTE_ETH_SPEED_NUM_NONE && link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN)
        std::fprintf(stderr, "spanwatch: port %s: link up, %u Mbps %s-duplex\n", name_.c_str(),
                     link.link_speed, link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half");
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kLinkPoll);
  }
  std::fprintf(stderr,
               "spanwatch: port %s: link still down after %u s; capturing anyway. Check the cable or optic, "
               "that the switch's span session is active and its destination is this port, and the speed "
               "(a 10G-only optic in a 1G port stays down)\n",
               name_.c_str(), wait_s);
}

PortStats Port::stats() const noexcept {
  rte_eth_stats s{};
  PortStats r;
  if (rte_eth_stats_get(id_, &s) == 0) {
    r.rx_packets = s.ipackets;
    r.rx_bytes = s.ibytes;
    r.imissed = s.imissed + kernel_drops_.drops();  // net_af_packet: the kernel's ring drops
    r.ierrors = s.ierrors;
    r.rx_nombuf = s.rx_nombuf;
  }
  return r;
}

Port::~Port() {
  if (started_) rte_eth_dev_stop(id_);
  rte_eth_dev_close(id_);
}

}  // namespace spanwatch::pipeline
