// What spanwatch's flow ring carries: one flow record per slot in the compact BIN4 encoding
// (flow_record_codec.hpp: the FlowRecord and its enrichment, ~0.3-0.9 KB), and in the ring's context area
// the JsonFlowContext (flow_ring_context.hpp) a reader needs to turn a record into the same NDJSON line the
// flow files get. FlowRingWriter and FlowRingReader (beside this file) are the two ends; spanwatch-tail
// prints the JSON for consumers in other languages.
#pragma once
#include <cstdint>

namespace spanwatch::lib {

// RingHeader::record_type of the flow ring: "BIN4" (little-endian), variable-length payloads. "BIN1" before
// it carried the digests (JA3, JA3S, HASSH, certificate SHA-1) as hex text, so a BIN1 reader refuses this
// ring; BIN2 and BIN3 were encodings tried on branches and never shipped. The JSON text ring before them
// was "JSN1" (layout version 1).
inline constexpr uint32_t kFlowRingRecordType = 0x344e4942;
inline constexpr const char* kDefaultFlowRingName = "/spanwatch-flows";

}  // namespace spanwatch::lib
