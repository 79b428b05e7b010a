#include "lib/ring/flow_ring_writer.hpp"

#include <utility>

#include "lib/ring/flow_ring.hpp"
#include "lib/ring/flow_ring_context.hpp"

namespace spanwatch::lib {
namespace {
ShmRingWriterOptions flow_ring_options(ShmRingWriterOptions o, const JsonFlowContext& ctx) {
  o.record_type = kFlowRingRecordType;
  o.record_bytes = 0;
  o.context = encode_flow_context(ctx);
  return o;
}
}  // namespace

FlowRingWriter::FlowRingWriter(ShmRingWriterOptions opts, const JsonFlowContext& ctx)
    : ring_(flow_ring_options(std::move(opts), ctx)) {}

}  // namespace spanwatch::lib
