// The exporter: drains the workers' record rings, writes each final and interim record once as an NDJSON
// line to the file, publishes every record (live snapshots too) BIN4-encoded to the shared-memory ring for
// live consumers (they format the JSON), keeps the output file flushed, and calls the periodic stats hook.
// Runs on the main lcore; yields when idle.
#pragma once
#include <rapidjson/stringbuffer.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "lib/core/counter.hpp"
#include "lib/enrich/flow_enricher.hpp"
#include "lib/export/ipfix/ipfix_exporter.hpp"
#include "lib/export/jetstream/jetstream_publisher.hpp"
#include "lib/export/json_flow_writer.hpp"
#include "lib/export/ndjson_file.hpp"
#include "lib/ring/flow_ring_writer.hpp"

struct rte_ring;

namespace spanwatch::pipeline {

struct ExporterCounters {
  lib::Counter records;      // records written to the JSON writer
  lib::Counter busy_cycles;  // cycle_clock() cycles of drains that carried records
  lib::Counter final_records;
  lib::Counter interim_records;
  lib::Counter json_bytes;
  lib::Counter packets_in_records;  // own_packets of final records: with the non-flow and error
                                    // counters this accounts for every packet read
  lib::Counter carrier_records;
  lib::Counter live_records;    // snapshots of active flows, for the ring only
  lib::Counter ring_published;  // records the shared-memory ring got
  lib::Counter ring_oversize;   // records whose encoding did not fit a ring slot (files still have them)
  lib::Counter lag_cycles;      // the longest a record waited for the exporter in the last second
};

struct ExporterParams {
  std::vector<rte_ring*> record_rings;  // one per worker
  lib::JsonFlowContext json;
  lib::NdjsonFileOptions file;
  std::optional<lib::ShmRingWriterOptions> ring;     // none: files only
  std::unique_ptr<lib::FlowEnricher> enricher;       // none: enrichment off
  std::optional<lib::ipfix::ExporterOptions> ipfix;  // none: no IPFIX export
  lib::jetstream::Publisher* nats = nullptr;         // none: no JetStream publishing (owned by main)
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
  const lib::ShmRingWriter* ring() const noexcept { return ring_ ? &ring_->ring() : nullptr; }
  lib::FlowEnricher* enricher() noexcept { return p_.enricher.get(); }
  const lib::FlowEnricher* enricher() const noexcept { return p_.enricher.get(); }
  const lib::ipfix::Exporter* ipfix() const noexcept { return ipfix_.get(); }
  // A configuration reload: new rotation, retention and fsync settings for the file. On this lcore.
  void set_file_policy(const lib::NdjsonFileOptions& o) noexcept { file_.set_policy(o); }
  const lib::jetstream::Publisher* nats() const noexcept { return p_.nats; }

 private:
  unsigned drain_once() noexcept;
  void housekeeping() noexcept;
  void finish_ipfix() noexcept;  // at exit: the last message out, TCP given a moment to take it

  ExporterParams p_;
  lib::JsonFlowWriter writer_;
  lib::NdjsonFile file_;
  void publish(const lib::FlowRecord& r, const lib::FlowEnrichment* e) noexcept;  // to the ring

  std::unique_ptr<lib::FlowRingWriter> ring_;
  std::unique_ptr<lib::ipfix::Exporter> ipfix_;  // off the hot path: batched, non-blocking sockets
  // One burst of records, allocated once: a local array was constructed (zeroed: kilobytes per record)
  // on every poll, empty ones too.
  std::unique_ptr<lib::FlowRecord[]> recs_;
  rapidjson::StringBuffer buf_;  // file records of one burst
  ExporterCounters ctr_;
  bool write_failing_ = false;
  uint64_t file_errors_seen_ = 0;  // fsync + rotate + delete errors at the last housekeeping
  bool file_errors_failing_ = false;
  uint64_t lag_max_cycles_ = 0;  // since the last housekeeping
};

}  // namespace spanwatch::pipeline

#include "pipeline/exporter_lcore_impl.hpp"
