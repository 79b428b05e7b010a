// Collects every stage's counters (ports, RX lcores, workers, exporter) into one JSON document and a
// short human summary. Read from the main lcore; each counter has a single writer elsewhere.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "pipeline/config_reload.hpp"
#include "pipeline/exporter_lcore.hpp"
#include "pipeline/pcap_probe.hpp"
#include "pipeline/port.hpp"
#include "pipeline/rx_lcore.hpp"
#include "workers/worker_lcore.hpp"

namespace spanwatch::pipeline {

struct StatsSources {
  const std::vector<std::unique_ptr<Port>>* ports;
  const std::vector<std::unique_ptr<RxLcore>>* rx;
  const std::vector<std::unique_ptr<workers::WorkerLcore>>* workers;
  const ExporterLcore* exporter;
  const std::vector<PcapInfo>* pcaps;    // replay only (may be empty)
  const ConfigReload* reload = nullptr;  // SIGHUP configuration re-reads
};

struct Accounting {
  uint64_t packets_read = 0;  // replay: packets in the files; live: received by the ports
  uint64_t in_records = 0, non_flow = 0, decode_errors = 0, unmatched_fragments = 0;
  uint64_t in_dropped_records = 0;  // live: packets of final records dropped at a full export ring
  uint64_t ring_drops = 0;          // live: packets dropped at a full RX -> worker ring
  // Replay stopped by a signal: packets of the files never read (not lost).
  uint64_t not_replayed = 0;
  uint64_t lost() const noexcept {
    const uint64_t seen =
        in_records + in_dropped_records + ring_drops + non_flow + decode_errors + unmatched_fragments;
    return packets_read > seen ? packets_read - seen : 0;
  }
};

Accounting account(const StatsSources& s);

// Full stats as one line of JSON; `final` marks the end-of-run snapshot.
std::string stats_json(const StatsSources& s, bool final);

// One line for the periodic log.
std::string stats_line(const StatsSources& s);

}  // namespace spanwatch::pipeline
