// What an RX lcore hands a worker: one packet and which of its flows this worker accounts (see Layer).
// 24 bytes, carried by value in an SPSC ring per RX lcore and worker pair (workers/work_ring.hpp).
#pragma once
#include <cstdint>

struct rte_mbuf;

namespace spanwatch::workers {

struct WorkItem {
  rte_mbuf* mbuf;
  uint64_t ts_ns;      // capture time (kHasTs), from the mbuf's RX timestamp dynfield
  uint32_t frame_len;  // DecodedPacket::frame_len: the wire length (all segments, or the capture's original)
  uint8_t layers;      // kLayerInner | carrier_layer(i): which of the packet's flows this worker accounts
  uint8_t summary;     // 1: the item's summary slot holds the packet's lib::PacketSummary (summary_slots.hpp)
  uint8_t flags;       // kHasTs | kPlain

  // The RX lcore has the mbuf's header lines in cache; the worker of a summarised packet of a classified
  // flow then reads none of them (they would cross from the RX lcore's core): time and length come here.
  static constexpr uint8_t kHasTs = 1;  // ts_ns is the capture time (else the worker takes its clock)
  static constexpr uint8_t kPlain = 2;  // a direct one-segment mbuf with one reference from the RX lcore's
                                        // pool: it goes back there unread (workers/mbuf_return.hpp)
};
static_assert(sizeof(WorkItem) == 24, "24 bytes: three ring elements");

// The ring elements a WorkItem takes (workers/work_ring.hpp).
inline constexpr unsigned kWorkItemWords = sizeof(WorkItem) / sizeof(uint64_t);
static_assert(sizeof(WorkItem) % sizeof(uint64_t) == 0 && alignof(WorkItem) == alignof(uint64_t));

}  // namespace spanwatch::workers
