// A work ring for unit tests: rte_ring_init on our own memory, so no EAL is needed.
#pragma once
#include <rte_ring.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "workers/work_ring.hpp"

namespace spanwatch::workers::test {

struct RingMemory {
  void operator()(rte_ring* r) const noexcept { std::free(r); }
};
using TestRing = std::unique_ptr<rte_ring, RingMemory>;

// A ring of `items` work items, as pipeline/main.cpp makes it (8-byte elements, exact size); null if the
// size is refused.
inline TestRing make_work_ring(unsigned items, const char* name) {
  const unsigned count = items * kWorkItemWords;
  const ssize_t bytes = rte_ring_get_memsize_elem(sizeof(uint64_t), rte_align32pow2(count + 1));  // EXACT_SZ
  if (bytes < 0) return nullptr;
  auto* r = static_cast<rte_ring*>(std::aligned_alloc(64, (size_t(bytes) + 63) / 64 * 64));
  if (r == nullptr) return nullptr;
  if (rte_ring_init(r, name, count, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ) != 0) {
    std::free(r);
    return nullptr;
  }
  return TestRing(r);
}

}  // namespace spanwatch::workers::test
