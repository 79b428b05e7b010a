// The exporter: drains the workers' record rings, writes each record once as an NDJSON line, keeps the
// output file flushed, and calls the periodic stats hook. Runs on the main lcore; yields when idle.
#pragma once
#include <rapidjson/stringbuffer.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "lib/core/counter.hpp"
#include "lib/export/json_flow_writer.hpp"
#include "lib/export/ndjson_file.hpp"

struct rte_ring;

namespace spanwatch::pipeline {

struct ExporterCounters {
  lib::Counter records;  // records written to the JSON writer
  lib::Counter final_records;
  lib::Counter interim_records;
  lib::Counter json_bytes;
  lib::Counter packets_in_records;  // own_packets of final records: with the non-flow and error
                                    // counters this accounts for every packet read
  lib::Counter carrier_records;
};

struct ExporterParams {
  std::vector<rte_ring*> record_rings;  // one per worker
  lib::JsonFlowContext json;
  lib::NdjsonFileOptions file;
  bool shared_cpus = false;
};

class ExporterLcore {
 public:
  explicit ExporterLcore(ExporterParams p);

  // Drains rings until `done()` is true and the rings are empty. `tick(now_tsc)` runs about once a
  // second for periodic work (stats). Both are called on this lcore.
  template <class Done, class Tick>
  void run(Done done, Tick tick) noexcept;

  const ExporterCounters& counters() const noexcept { return ctr_; }
  const lib::NdjsonFileCounters& file_counters() const noexcept { return file_.counters(); }
  const std::string& file_path() const noexcept { return file_.path(); }

 private:
  unsigned drain_once() noexcept;
  void housekeeping() noexcept;

  ExporterParams p_;
  lib::JsonFlowWriter writer_;
  lib::NdjsonFile file_;
  rapidjson::StringBuffer buf_;
  ExporterCounters ctr_;
  bool write_failing_ = false;
};

}  // namespace spanwatch::pipeline

#include "pipeline/exporter_lcore_impl.hpp"
