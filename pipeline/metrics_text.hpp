// Every stage's counters as metric families (the same sources and the same packet accounting as stats.json,
// stats_report.hpp), collected once a second on the main lcore and rendered two ways: Prometheus text
// (exposition format 0.0.4, names spanwatch_*; docs/deploy.md lists them) and DPDK telemetry
// (telemetry_commands.hpp).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/stats_report.hpp"

struct rte_ring;

namespace spanwatch::pipeline {

struct MetricsContext {
  const std::vector<std::vector<rte_ring*>>* rx_rings = nullptr;  // [rx lcore][worker]
  const std::vector<rte_ring*>* export_rings = nullptr;           // [worker]
  uint64_t start_time_s = 0;                                      // wall clock at start-up
  bool final = false;                                             // input ended (replay) or stopping
};

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

struct MetricSample {
  MetricLabels labels;
  uint64_t value = 0;
};

struct MetricFamily {
  std::string name;  // without the spanwatch_ prefix
  std::string type;  // counter or gauge
  std::string help;
  std::vector<MetricSample> samples;
};

using MetricSet = std::vector<MetricFamily>;

MetricSet collect_metrics(const StatsSources& s, const MetricsContext& m);

std::string prometheus_text(const MetricSet& metrics);

}  // namespace spanwatch::pipeline
