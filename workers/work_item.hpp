// What an RX lcore hands a worker: one packet and which of its flows this worker accounts (see Layer).
// 16 bytes, carried by value in an rte_ring of elements (one SPSC ring per RX lcore and worker pair).
#pragma once
#include <cstdint>

struct rte_mbuf;

namespace spanwatch::workers {

struct WorkItem {
  rte_mbuf* mbuf;
  uint8_t layers;   // kLayerInner | carrier_layer(i): which of the packet's flows this worker accounts
  uint8_t summary;  // 1: the mbuf holds the packet's lib::PacketSummary (workers/mbuf_summary.hpp)
  uint8_t pad[6];
};
static_assert(sizeof(WorkItem) == 16, "ring element size is fixed at 16 bytes");

}  // namespace spanwatch::workers
