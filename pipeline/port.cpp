#include "pipeline/port.hpp"

#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <cstdio>

#include "pipeline/startup_error.hpp"

namespace spanwatch::pipeline {

std::string Port::ethdev_name(const std::string& device) {
  return device.substr(0, device.find(','));
}

Port::Port(const lib::PortConfig& cfg, rte_mempool* pool, lib::LinkType link)
    : name_(cfg.name.empty() ? ethdev_name(cfg.device) : cfg.name), link_(link) {
  const std::string dev = ethdev_name(cfg.device);
  if (rte_eth_dev_get_port_by_name(dev.c_str(), &id_) != 0)
    throw StartupError(
        fmt::format("ports: device {} was not probed by DPDK; check the PCI address, that it is bound "
                    "to vfio-pci, or the vdev arguments",
                    dev));
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(id_, &info); rc != 0)
    throw StartupError(fmt::format("rte_eth_dev_info_get({}): {}", dev, rte_strerror(-rc)));

  rx_queues_ = cfg.rx_queues;
  if (rx_queues_ > info.max_rx_queues)
    throw StartupError(fmt::format("ports[{}].rx_queues: {} > device maximum {}; use <= {}", dev, rx_queues_,
                                   info.max_rx_queues, info.max_rx_queues));
  rte_eth_conf conf{};
  if (rx_queues_ > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    const uint64_t want = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
    conf.rx_adv_conf.rss_conf.rss_hf = want & info.flow_type_rss_offloads;  // mask by capability or EINVAL
    if (conf.rx_adv_conf.rss_conf.rss_hf != want)
      std::fprintf(stderr, "spanwatch: %s: RSS hash types asked 0x%llx, granted 0x%llx\n", dev.c_str(),
                   static_cast<unsigned long long>(want),
                   static_cast<unsigned long long>(conf.rx_adv_conf.rss_conf.rss_hf));
  }
  const uint16_t tx_queues = info.max_tx_queues > 0 ? 1 : 0;  // some PMDs insist on a TX queue
  if (int rc = rte_eth_dev_configure(id_, rx_queues_, tx_queues, &conf); rc != 0)
    throw StartupError(
        fmt::format("rte_eth_dev_configure({}, {} rx queues): {}", dev, rx_queues_, rte_strerror(-rc)));

  uint16_t rx_desc = cfg.rx_desc, tx_desc = 512;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id_, &rx_desc, &tx_desc); rc != 0)
    throw StartupError(fmt::format("rte_eth_dev_adjust_nb_rx_tx_desc({}): {}", dev, rte_strerror(-rc)));
  if (rx_desc != cfg.rx_desc)
    std::fprintf(stderr, "spanwatch: %s: rx descriptors adjusted from %u to %u\n", dev.c_str(), cfg.rx_desc,
                 rx_desc);

  const int socket = rte_eth_dev_socket_id(id_);
  for (uint16_t q = 0; q < rx_queues_; ++q)
    if (int rc = rte_eth_rx_queue_setup(id_, q, rx_desc, socket, nullptr, pool); rc != 0)
      throw StartupError(fmt::format("rte_eth_rx_queue_setup({}, queue {}): {}", dev, q, rte_strerror(-rc)));
  for (uint16_t q = 0; q < tx_queues; ++q)
    if (int rc = rte_eth_tx_queue_setup(id_, q, tx_desc, socket, nullptr); rc != 0)
      throw StartupError(fmt::format("rte_eth_tx_queue_setup({}): {}", dev, rte_strerror(-rc)));

  if (int rc = rte_eth_dev_start(id_); rc != 0)
    throw StartupError(fmt::format("rte_eth_dev_start({}): {}", dev, rte_strerror(-rc)));
  started_ = true;
  // A span port sees other hosts' traffic only in promiscuous mode; vdevs may not support it.
  if (int rc = rte_eth_promiscuous_enable(id_); rc != 0 && rc != -ENOTSUP)
    std::fprintf(stderr, "spanwatch: %s: promiscuous mode: %s\n", dev.c_str(), rte_strerror(-rc));
}

PortStats Port::stats() const noexcept {
  rte_eth_stats s{};
  PortStats r;
  if (rte_eth_stats_get(id_, &s) == 0) {
    r.rx_packets = s.ipackets;
    r.rx_bytes = s.ibytes;
    r.imissed = s.imissed;
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
