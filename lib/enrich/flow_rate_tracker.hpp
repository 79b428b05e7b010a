// The current rate of an active flow for live consumers: bits per second since the previous record of the
// same flow (live snapshot or interim), remembered on the exporter in a fixed direct-mapped table keyed by
// flow id. A flow that lost its slot to another simply has no current rate on its next record.
#pragma once
#include <cstdint>
#include <optional>

#include "lib/core/zeroed_array.hpp"

namespace spanwatch::lib {

class FlowRateTracker {
 public:
  explicit FlowRateTracker(uint32_t slots_pow2 = 1u << 18);

  // Bits/s between the previous record of flow_id and this one (frame bytes both ways, at emit_ns);
  // nullopt for a flow's first record or after its slot was taken. A final record frees the slot.
  std::optional<uint64_t> update(uint64_t flow_id, uint64_t bytes, uint64_t emit_ns, bool final) noexcept;

 private:
  struct Slot {
    uint64_t flow_id = 0;
    uint64_t bytes = 0;
    uint64_t ns = 0;  // 0 = empty slot
  };
  ZeroedArray<Slot> slots_;
  uint64_t mask_;
};

// Average bits per second over [first_ns, last_ns]; 0 when the interval is empty.
constexpr uint64_t bits_per_second(uint64_t bytes, uint64_t first_ns, uint64_t last_ns) noexcept {
  if (last_ns <= first_ns) return 0;
  return static_cast<uint64_t>(static_cast<double>(bytes) * 8e9 / static_cast<double>(last_ns - first_ns));
}

}  // namespace spanwatch::lib
