// A batch of parsed ring records on their way into the store: the reader thread parses records outside the
// store lock, then applies the whole batch under one unique lock. The slots (summaries and record texts)
// are reused batch after batch and the store copies them into its entries' buffers, so in the steady state
// neither parsing nor storing a record allocates.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "viewer/flow_store.hpp"
#include "viewer/flow_summary.hpp"

namespace spanwatch::viewer {

class IngestBatch {
 public:
  explicit IngestBatch(size_t capacity) : slots_(capacity) {}

  // Parses one record of writer run `run`: keeps a copy of its text, then parses `text` in place (it is
  // overwritten; text[len] and RecordParser::kPadding bytes after it must be writable). A record that is
  // not a flow is not kept. Only when !full().
  ParseStatus add(char* text, size_t len, uint32_t run);
  // Applies the batch to the store (under its unique lock), all received at now_ms, and empties it.
  void flush(SharedFlowStore& store, uint64_t now_ms);

  size_t size() const noexcept { return used_; }
  bool empty() const noexcept { return used_ == 0; }
  bool full() const noexcept { return used_ == slots_.size(); }

 private:
  struct Slot {
    FlowSummary s;
    std::string raw;
  };
  std::vector<Slot> slots_;
  size_t used_ = 0;
  RecordParser parser_;
};

}  // namespace spanwatch::viewer
