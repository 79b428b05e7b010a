// The reader thread: follows the pipeline's flow ring (waits for it, reads it, notices when its writer is
// gone and reconnects to the next writer's ring), parses each record outside the store lock and applies
// them in batches. Everything it counts is readable from other threads (snapshot()).
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "viewer/flow_store.hpp"
#include "viewer/viewer_config.hpp"

namespace spanwatch::viewer {

struct IngestSnapshot {
  std::string ring_name;
  std::string state;        // waiting | connected | writer_gone (closed/dead/replaced)
  std::string last_error;   // why the ring could not be opened, if it could not
  uint64_t generation = 0;  // of the ring being read (or last read)
  int32_t writer_pid = 0;
  uint64_t capacity = 0;
  uint64_t published = 0;  // the writer's write sequence
  uint64_t position = 0;   // the next record this reader expects
  uint32_t runs = 0;       // writer runs (ring generations) seen
  uint64_t received = 0;   // records read from the ring, over all runs
  uint64_t overruns = 0;   // times the writer lapped the viewer
  uint64_t missed = 0;     // records lost to overruns and corrupt slots
  uint64_t torn_reads = 0;
  uint64_t corrupt = 0;       // corrupt slots, and records that did not decode
  uint64_t invalid_json = 0;  // records that were not valid JSON (or not UTF-8)
  uint64_t not_a_flow = 0;    // JSON without spanwatch.flow.id
  double records_per_s = 0;   // over the last second
};

class RingIngest {
 public:
  RingIngest(RingReadConfig cfg, SharedFlowStore& store, const std::atomic<bool>& stop);
  void run();  // the thread body; returns when `stop` is set
  IngestSnapshot snapshot() const;

 private:
  struct Totals;
  RingReadConfig cfg_;
  SharedFlowStore& store_;
  const std::atomic<bool>& stop_;
  mutable std::mutex mu_;  // guards snap_ (copied out by HTTP threads, updated by run() a few times a second)
  IngestSnapshot snap_;
};

}  // namespace spanwatch::viewer
