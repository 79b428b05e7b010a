// FlowRecord + FlowEnrichment <-> the compact bytes a flow ring slot carries (record type "BIN4"). The
// exporter encodes straight into the slot; a reader decodes and formats JSON with the same JsonFlowWriter
// the flow files use, so the ring carries ~0.3-0.9 KB of binary instead of 1-2 KB of text, and the exporter
// no longer formats live snapshots. The format (flow_record_codec.cpp) is spanwatch's own, versioned by the
// ring's record type; consumers in other languages read records as JSON (spanwatch-tail).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/enrich/flow_enrichment.hpp"
#include "lib/flow/flow_record.hpp"

namespace spanwatch::lib {

// Writes `rec` (and `enrichment` when given) to out[0, cap). Returns the bytes written, or 0 when the
// encoding does not fit in `cap` (or an enrichment string is longer than 65535 bytes). No allocation.
size_t encode_flow_record(const FlowRecord& rec, const FlowEnrichment* enrichment, std::byte* out,
                          size_t cap) noexcept;

enum class FlowDecodeStatus : uint8_t {
  kOk,
  kTruncated,      // the bytes end inside a field
  kBadValue,       // a field holds a value no encoder writes (enum out of range, a bool not 0/1, ...)
  kTrailingBytes,  // bytes left after the record
};
inline constexpr std::array<std::string_view, 4> kFlowDecodeStatusNames{"ok", "truncated", "bad_value",
                                                                        "trailing_bytes"};

struct FlowDecodeResult {
  FlowDecodeStatus status = FlowDecodeStatus::kOk;
  bool has_enrichment = false;  // kOk: `enrichment` was filled
};

// Reads one record from `in`, whatever its bytes: every length is checked against what is left, nothing
// past `in` is read, and a record that is not valid is reported, never half-trusted. On kOk `rec` is the
// encoded record and `enrichment` its enrichment, whose strings point into `in` (keep it alive and
// unchanged while they are used). On error both hold unspecified (but valid) values.
FlowDecodeResult decode_flow_record(std::string_view in, FlowRecord& rec,
                                    FlowEnrichment& enrichment) noexcept;

}  // namespace spanwatch::lib
