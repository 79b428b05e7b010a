#include "lib/ring/flow_ring_reader.hpp"

#include <fmt/format.h>

#include <utility>

#include "lib/ring/flow_record_codec.hpp"
#include "lib/ring/flow_ring.hpp"
#include "lib/ring/flow_ring_context.hpp"

namespace spanwatch::lib {
namespace {
ShmRingReaderOptions flow_ring_options(ShmRingReaderOptions o) {
  o.expect_record_type = kFlowRingRecordType;
  o.expect_record_bytes = 0;
  return o;
}
}  // namespace

FlowRingReader::FlowRingReader(ShmRingReaderOptions opts)
    : ring_(flow_ring_options(std::move(opts))),
      context_bytes_(std::make_unique<const std::string>(ring_.context())),
      payload_(ring_.max_payload_bytes()) {
  std::optional<JsonFlowContext> ctx = decode_flow_context(*context_bytes_);
  if (!ctx)
    throw ShmRingError(ShmRingErrc::kRecordMismatch,
                       fmt::format("shm ring {}: its context area ({} bytes) is not a flow ring context",
                                   ring_.name(), context_bytes_->size()));
  writer_ = std::make_unique<JsonFlowWriter>(std::move(*ctx));
}

FlowReadResult FlowRingReader::next() noexcept {
  const ReadResult r = ring_.read(payload_.data(), static_cast<uint32_t>(payload_.size()));
  if (r.status != ReadStatus::kRecord) return {r.status, {}, r.seq, r.missed};
  const FlowDecodeResult d = decode_flow_record({payload_.data(), r.len}, rec_, enrichment_);
  if (d.status != FlowDecodeStatus::kOk) {
    ++undecodable_;
    return {ReadStatus::kCorrupt, {}, r.seq, 1};
  }
  has_enrichment_ = d.has_enrichment;
  return {ReadStatus::kRecord, {}, r.seq, 0};
}

std::string_view FlowRingReader::json() noexcept {
  json_.Clear();
  writer_->write(rec_, json_, has_enrichment_ ? &enrichment_ : nullptr);
  return {json_.GetString(), json_.GetSize()};
}

}  // namespace spanwatch::lib
