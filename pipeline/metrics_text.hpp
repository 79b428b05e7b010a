// The Prometheus text (exposition format 0.0.4) of every stage's counters: the same sources and the same
// packet accounting as stats.json (stats_report.hpp), named spanwatch_*; docs/deploy.md lists them.
#pragma once
#include <cstdint>
#include <string>
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

std::string prometheus_text(const StatsSources& s, const MetricsContext& m);

}  // namespace spanwatch::pipeline
