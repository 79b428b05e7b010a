// Where a worker's time goes (issue 7's stage split), in cycle_clock() cycles. Stage times are laps: each
// lap() charges the time since the previous mark to one stage. It costs one TSC read per stage per packet,
// so it runs only when flows.profile_stages is set (scripts/bench.sh measures it in its own pass); when it
// is off a lap is one predictable branch. Busy time (bursts that carried packets) is counted by the lcore
// loops themselves, always.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "lib/core/counter.hpp"
#include "lib/core/cycle_clock.hpp"

namespace spanwatch::workers {

enum class Stage : uint8_t { kDecode, kHash, kLookup, kTcp, kDpi, kApp, kOther, kCount };

inline constexpr std::array<const char*, size_t(Stage::kCount)> kStageNames = {
    "decode", "hash", "lookup_insert", "tcp_state", "dpi", "app_parsers", "other"};

class StageProfile {
 public:
  void enable(bool on) noexcept { on_ = on; }
  bool enabled() const noexcept { return on_; }
  void start() noexcept {
    if (on_) [[unlikely]]
      mark_ = lib::cycle_clock();
  }
  void lap(Stage s) noexcept {
    if (on_) [[unlikely]] {
      const uint64_t now = lib::cycle_clock();
      cycles_[size_t(s)].add(now - mark_);
      mark_ = now;
    }
  }
  uint64_t cycles(Stage s) const noexcept { return cycles_[size_t(s)].get(); }

 private:
  bool on_ = false;
  uint64_t mark_ = 0;
  std::array<lib::Counter, size_t(Stage::kCount)> cycles_{};
};

}  // namespace spanwatch::workers
