// Where an RX lcore leaves a packet's lib::PacketSummary for its worker: the mbuf's private area, the cache
// line right after the rte_mbuf header (the packet mempool is created with kMbufPrivSize of it). Only
// valid where the packet's WorkItem says so (WorkItem::summary).
#pragma once
#include <rte_mbuf.h>

#include "lib/flow/packet_summary.hpp"

namespace spanwatch::workers {

inline constexpr uint16_t kMbufPrivSize = sizeof(lib::PacketSummary);
static_assert(kMbufPrivSize % RTE_MBUF_PRIV_ALIGN == 0, "rte_pktmbuf_pool_create() needs an aligned size");

inline lib::PacketSummary* mbuf_summary(rte_mbuf* m) noexcept {
  return static_cast<lib::PacketSummary*>(rte_mbuf_to_priv(m));
}

}  // namespace spanwatch::workers
