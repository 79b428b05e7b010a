// ExporterLcore::run, a template over its two callbacks (no std::function).
#pragma once
#include <rte_cycles.h>
#include <rte_pause.h>
#include <sched.h>

namespace spanwatch::pipeline {

template <class Done, class Tick>
void ExporterLcore::run(Done done, Tick tick) noexcept {
  const uint64_t hz = rte_get_tsc_hz();
  uint64_t next_tick = rte_rdtsc() + hz;
  for (;;) {
    const unsigned n = drain_once();
    const uint64_t now = rte_rdtsc();
    if (now >= next_tick) {
      housekeeping();
      tick(now);
      next_tick = now + hz;
    }
    if (n != 0) continue;
    if (done() && drain_once() == 0) break;
    if (p_.shared_cpus)
      sched_yield();
    else
      rte_pause();
  }
  housekeeping();
}

}  // namespace spanwatch::pipeline
