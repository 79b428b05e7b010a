#include "pipeline/dpdk_handles.hpp"

#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include "pipeline/startup_error.hpp"

namespace spanwatch::pipeline {

RingPtr make_spsc_ring(const std::string& name, unsigned elem_size, unsigned count, int socket) {
  rte_ring* r = rte_ring_create_elem(name.c_str(), elem_size, count, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (r == nullptr)
    throw StartupError(fmt::format("rte_ring_create_elem({}, {} x {} B): {}", name, count, elem_size,
                                   rte_strerror(rte_errno)));
  return RingPtr(r);
}

MempoolPtr make_packet_pool(const std::string& name, unsigned mbufs, unsigned cache, int socket) {
  rte_mempool* mp = rte_pktmbuf_pool_create(name.c_str(), mbufs, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  if (mp == nullptr)
    throw StartupError(
        fmt::format("rte_pktmbuf_pool_create({}, {} mbufs, cache {}): {}; lower memory.mbufs or "
                    "raise memory.memory_mb",
                    name, mbufs, cache, rte_strerror(rte_errno)));
  return MempoolPtr(mp);
}

}  // namespace spanwatch::pipeline
