// What spanwatch's flow ring carries: one flow record per slot, as the JSON text of its NDJSON line
// (without the newline), the same bytes the flow files get. Text rather than the FlowRecord struct, so a
// consumer needs no knowledge of the worker's memory layout, and spanwatch-tail or the viewer can pass
// records on as they are.
#pragma once
#include <cstdint>

namespace spanwatch::lib {

// RingHeader::record_type of the flow ring: "JSN1" (little-endian), variable-length payloads.
inline constexpr uint32_t kFlowRingRecordType = 0x314e534a;
inline constexpr const char* kDefaultFlowRingName = "/spanwatch-flows";

}  // namespace spanwatch::lib
