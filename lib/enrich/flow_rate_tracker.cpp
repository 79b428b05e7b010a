#include "lib/enrich/flow_rate_tracker.hpp"

#include <bit>

namespace spanwatch::lib {

FlowRateTracker::FlowRateTracker(uint32_t slots_pow2)
    : slots_(std::bit_ceil(slots_pow2 ? slots_pow2 : 1u)),
      mask_(std::bit_ceil(slots_pow2 ? slots_pow2 : 1u) - 1) {}

std::optional<uint64_t> FlowRateTracker::update(uint64_t flow_id, uint64_t bytes, uint64_t emit_ns,
                                                bool final) noexcept {
  // Flow ids are a worker id in the top bits and a counter below: the low bits alone spread well.
  Slot& s = slots_[(flow_id ^ (flow_id >> 56)) & mask_];
  std::optional<uint64_t> rate;
  if (s.ns != 0 && s.flow_id == flow_id && emit_ns > s.ns && bytes >= s.bytes)
    rate = bits_per_second(bytes - s.bytes, s.ns, emit_ns);
  if (final) {
    if (s.ns != 0 && s.flow_id == flow_id) s = Slot{};
  } else {
    s = Slot{flow_id, bytes, emit_ns};
  }
  return rate;
}

}  // namespace spanwatch::lib
