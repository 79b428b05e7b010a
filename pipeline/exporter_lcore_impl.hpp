// ExporterLcore::run, a template over its two callbacks (no std::function).
#pragma once
#include <rte_cycles.h>

#include "workers/idle_backoff.hpp"

namespace spanwatch::pipeline {

template <class Done, class Tick>
void ExporterLcore::run(Done done, Tick tick) noexcept {
  const uint64_t hz = rte_get_tsc_hz();
  uint64_t next_tick = rte_rdtsc() + hz;
  workers::IdleBackoff backoff(p_.shared_cpus);
  for (;;) {
    const uint64_t t0 = rte_rdtsc();
    const unsigned n = drain_once();
    const uint64_t now = rte_rdtsc();
    if (n != 0) ctr_.busy_cycles.add(now - t0);
    if (now >= next_tick) {
      housekeeping();
      tick(now);
      next_tick = now + hz;
    }
    if (n != 0) {
      backoff.busy();
      continue;
    }
    if (done() && drain_once() == 0) break;
    backoff.idle();
  }
  housekeeping();
  finish_ipfix();
}

}  // namespace spanwatch::pipeline
