// SIGHUP re-reads the configuration the way start-up built it (the command line again: the file plus the same
// flags) and applies what can change while flows run: the output file's rotation, retention and fsync
// policy, the stats interval, the DPDK log level, and the enrichment section (EnrichmentReloader then loads
// its data). The other sections size or wire the data path (ports, lcores, memory, flow tables, ring,
// metrics, IPFIX, NATS, observer): when they differ, the log names them as waiting for a restart. A file
// that no longer parses or validates changes nothing, and the log says why.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/config/spanwatch_config.hpp"
#include "lib/core/counter.hpp"

namespace spanwatch::pipeline {

struct ConfigReloadCounters {
  lib::Counter reloads;   // configurations re-read and applied
  lib::Counter failures;  // re-reads that failed: the running configuration stays
};

// What a reload changed, for the caller to apply on its lcore.
struct ConfigChange {
  lib::SpanwatchConfig config;  // what runs from now on
  bool output_policy = false;   // output.rotate_*, max_*, fsync*
  bool stats_interval = false;
  bool log_level = false;
  bool enrichment = false;
  std::vector<std::string> need_restart;  // sections that differ but only take effect after a restart
};

class ConfigReload {
 public:
  // `argv` must outlive this object (main's). `running` is the configuration as parse_command_line built it.
  ConfigReload(int argc, char** argv, lib::SpanwatchConfig running)
      : argc_(argc), argv_(argv), running_(std::move(running)) {}

  // Called on the exporter's lcore about once a second with the count of SIGHUPs so far. On a new request
  // it re-reads the configuration (a small file: a few ms off the exporter, whose rings absorb that) and
  // returns what changed, or nothing when the re-read failed or there was no request.
  std::optional<ConfigChange> poll(int requests);

  const ConfigReloadCounters& counters() const noexcept { return ctr_; }

  // Pure: what differs between two configurations (unit-tested).
  static ConfigChange compare(const lib::SpanwatchConfig& before, const lib::SpanwatchConfig& after);

 private:
  int argc_;
  char** argv_;
  lib::SpanwatchConfig running_;
  int seen_ = 0;
  ConfigReloadCounters ctr_;
};

}  // namespace spanwatch::pipeline
