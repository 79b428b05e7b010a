// Move-only owners of DPDK objects (one alias per type, lib/core/c_handle.hpp).
#pragma once
#include <rte_mempool.h>
#include <rte_ring.h>

#include <memory>

#include "lib/core/c_handle.hpp"

namespace spanwatch::pipeline {

using RingPtr = std::unique_ptr<rte_ring, lib::CFree<rte_ring_free>>;
using MempoolPtr = std::unique_ptr<rte_mempool, lib::CFree<rte_mempool_free>>;

// A single-producer single-consumer ring of fixed-size elements; throws StartupError naming the ring.
// `flags`: more rte_ring flags (RING_F_EXACT_SZ).
RingPtr make_spsc_ring(const std::string& name, unsigned elem_size, unsigned count, int socket,
                       unsigned flags = 0);

// The packet mempool; throws StartupError with the sizes asked for. `frame_bytes`: the largest frame one
// mbuf must hold (jumbo MTUs); the default buffer (2048 B after the headroom) is the floor.
MempoolPtr make_packet_pool(const std::string& name, unsigned mbufs, unsigned cache, int socket,
                            uint32_t frame_bytes = 0);

}  // namespace spanwatch::pipeline
