// What an lcore does when a poll found nothing. On dedicated CPUs: rte_pause and poll again. On shared CPUs
// (lcores.shared_cpus): yield, and after a run of empty polls sleep briefly, so that lcores waiting for work
// leave the CPUs to the ones that have some. Spinning alone halved the speed of two replays on two CPUs.
#pragma once
#include <rte_pause.h>
#include <sched.h>
#include <time.h>

#include <cstdint>

namespace spanwatch::workers {

class IdleBackoff {
 public:
  explicit IdleBackoff(bool shared_cpus) noexcept : shared_(shared_cpus) {}

  void idle() noexcept {
    if (!shared_) {
      rte_pause();
    } else if (++empty_ < kYieldsBeforeSleep) {
      sched_yield();
    } else {
      const timespec ts{0, kSleepNs};
      nanosleep(&ts, nullptr);
    }
  }
  void busy() noexcept { empty_ = 0; }

 private:
  static constexpr uint32_t kYieldsBeforeSleep = 64;
  static constexpr long kSleepNs = 20'000;  // well under a burst's worth of time at replay rates
  bool shared_;
  uint32_t empty_ = 0;
};

}  // namespace spanwatch::workers
