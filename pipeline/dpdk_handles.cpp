#include "pipeline/dpdk_handles.hpp"

#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include <algorithm>

#include "pipeline/startup_error.hpp"

namespace spanwatch::pipeline {

RingPtr make_spsc_ring(const std::string& name, unsigned elem_size, unsigned count, int socket,
                       unsigned flags) {
  rte_ring* r =
      rte_ring_create_elem(name.c_str(), elem_size, count, socket, RING_F_SP_ENQ | RING_F_SC_DEQ | flags);
  if (r == nullptr)
    throw StartupError(fmt::format("rte_ring_create_elem({}, {} x {} B): {}", name, count, elem_size,
                                   rte_strerror(rte_errno)));
  return RingPtr(r);
}

MempoolPtr make_packet_pool(const std::string& name, unsigned mbufs, unsigned cache, int socket,
                            uint32_t frame_bytes) {
  const uint32_t room = std::max<uint32_t>(RTE_MBUF_DEFAULT_BUF_SIZE, frame_bytes + RTE_PKTMBUF_HEADROOM);
  if (room > UINT16_MAX)
    throw StartupError(
        fmt::format("rte_pktmbuf_pool_create({}): {}-byte frames do not fit an mbuf", name, frame_bytes));
  // No private area: the RX lcore's decode travels in the summary slots (workers/summary_slots.hpp).
  rte_mempool* mp =
      rte_pktmbuf_pool_create(name.c_str(), mbufs, cache, 0, static_cast<uint16_t>(room), socket);
  if (mp == nullptr)
    throw StartupError(fmt::format(
        "rte_pktmbuf_pool_create({}, {} mbufs of {} B, cache {}, socket {}): {}; lower memory.mbufs "
        "or raise memory.memory_mb",
        name, mbufs, room, cache, socket, rte_strerror(rte_errno)));
  return MempoolPtr(mp);
}

}  // namespace spanwatch::pipeline
