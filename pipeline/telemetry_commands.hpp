// spanwatch's counters through DPDK telemetry (`dpdk-telemetry.py`, or any client of the telemetry socket),
// beside DPDK's own /ethdev/stats: the same metric families as /metrics (metrics_text.hpp).
//   /spanwatch/stats          one number per family: the sum of its samples (e.g. rx_dropped_total)
//   /spanwatch/stats,FAMILY   that family's samples, keyed "label/value/label/value" (e.g.
//   port/0/reason/imissed)
// The main lcore publishes the latest MetricSet once a second; the telemetry thread answers from that copy
// under a mutex, so a query never touches the data path or a DPDK object.
#pragma once
#include "pipeline/metrics_text.hpp"

namespace spanwatch::pipeline {

class TelemetryCommands {
 public:
  // Registers the commands (once per process: DPDK cannot unregister them). Without a telemetry socket
  // (--no-telemetry) they are registered but nobody can ask.
  TelemetryCommands();
  ~TelemetryCommands();  // later queries get an error
  TelemetryCommands(const TelemetryCommands&) = delete;
  TelemetryCommands& operator=(const TelemetryCommands&) = delete;

  void publish(const MetricSet& metrics);
};

}  // namespace spanwatch::pipeline
