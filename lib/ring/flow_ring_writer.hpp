// The exporter's end of the flow ring: a ShmRingWriter whose records are BIN4-encoded straight into their
// slots, and whose context area holds the JsonFlowContext readers format them with.
#pragma once
#include <cstdint>

#include "lib/enrich/flow_enrichment.hpp"
#include "lib/export/json_flow_writer.hpp"
#include "lib/flow/flow_record.hpp"
#include "lib/ring/flow_record_codec.hpp"
#include "lib/ring/shm_ring_writer.hpp"

namespace spanwatch::lib {

class FlowRingWriter {
 public:
  // Creates the ring (record_type and context set here; the rest of `opts` as ShmRingWriter takes it).
  // Throws ShmRingError as ShmRingWriter does.
  FlowRingWriter(ShmRingWriterOptions opts, const JsonFlowContext& ctx);

  // Encodes one record into the next slot and publishes it. Never blocks, allocates or makes a system call.
  // False if the encoding does not fit a slot or the ring is closed (the caller counts it).
  bool publish(const FlowRecord& rec, const FlowEnrichment* enrichment) noexcept {
    std::byte* slot = ring_.begin_record();
    if (slot == nullptr) [[unlikely]]
      return false;
    const size_t n = encode_flow_record(rec, enrichment, slot, ring_.max_payload_bytes());
    return n != 0 && ring_.commit_record(static_cast<uint32_t>(n));
  }

  ShmRingWriter& ring() noexcept { return ring_; }
  const ShmRingWriter& ring() const noexcept { return ring_; }

 private:
  ShmRingWriter ring_;
};

}  // namespace spanwatch::lib
