// Behaviour labels (spanwatch.labels[]): what an analyst would say of a flow at a glance, decided from the
// finished record alone (state, flags, counters) and two configurable thresholds.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "lib/flow/flow_record.hpp"

namespace spanwatch::lib {

enum class FlowLabel : uint8_t {
  kConnectionAttempt,  // a TCP attempt that never got an answer or was refused (S0, REJ, RSTOS0, SH silent)
  kPotentialScan,      // NULL/FIN/XMAS probes, or a bare SYN that got no reply and carried no data
  kUnidirectional,     // packets one way only, and nothing shows the other side exists
  kAsymmetricCapture,  // one way only, but the originator acknowledged the other side: the span port sees
                       // half the conversation (asymmetric routing), not a one-way flow
  kLongLived,          // duration >= long_lived_s
  kElephant,           // bytes both ways >= elephant_bytes
  kCount
};
inline constexpr std::array<std::string_view, size_t(FlowLabel::kCount)> kFlowLabelNames{
    "connection_attempt", "potential_scan", "unidirectional", "asymmetric_capture", "long_lived", "elephant"};

struct FlowLabelThresholds {
  uint64_t long_lived_ns = 1800ull * 1'000'000'000;  // ntopng's long-lived flow default: 30 min
  uint64_t elephant_bytes = 1ull << 30;              // 1 GiB, frames both ways
};

using FlowLabelSet = uint8_t;  // bit i = FlowLabel i
static_assert(size_t(FlowLabel::kCount) <= 8);

constexpr bool has_label(FlowLabelSet s, FlowLabel l) noexcept {
  return (s >> unsigned(l)) & 1u;
}

FlowLabelSet flow_labels(const FlowRecord& r, const FlowLabelThresholds& t) noexcept;

}  // namespace spanwatch::lib
