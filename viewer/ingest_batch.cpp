// IngestBatch: parse into reused slots, apply under one lock, trading buffers with the store.
#include "viewer/ingest_batch.hpp"

#include <mutex>

namespace spanwatch::viewer {

ParseStatus IngestBatch::add(char* text, size_t len, uint32_t run) {
  Slot& slot = slots_[used_];
  slot.raw.assign(text, len);  // the text as it came: the parser below rewrites it in place
  const ParseStatus st = parser_.parse_in_place(text, len, slot.s);
  if (st != ParseStatus::kOk) return st;
  slot.s.run = run;
  ++used_;
  return st;
}

void IngestBatch::flush(SharedFlowStore& store, uint64_t now_ms) {
  if (used_ == 0) return;
  const std::unique_lock lock(store.mu);
  for (size_t i = 0; i < used_; ++i) store.store.apply(slots_[i].s, slots_[i].raw, now_ms);
  used_ = 0;
}

}  // namespace spanwatch::viewer
