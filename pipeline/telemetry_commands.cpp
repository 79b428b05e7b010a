#include "pipeline/telemetry_commands.hpp"

#include <rte_telemetry.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

namespace spanwatch::pipeline {
namespace {

std::mutex g_mu;
MetricSet g_metrics;
bool g_live = false;  // a TelemetryCommands exists
bool g_registered = false;

// Telemetry names allow letters, digits, '_' and '/' only.
std::string tel_name(std::string_view s) {
  std::string out(s.empty() ? "_" : s);
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '/') c = '_';
  if (out.size() >= RTE_TEL_MAX_STRING_LEN) out.resize(RTE_TEL_MAX_STRING_LEN - 1);
  return out;
}

int on_stats(const char*, const char* params, rte_tel_data* d) {
  std::lock_guard lock(g_mu);
  if (!g_live) return -1;
  rte_tel_data_start_dict(d);
  const std::string_view want = params != nullptr ? params : "";
  if (want.empty()) {
    for (const MetricFamily& f : g_metrics) {
      uint64_t sum = 0;
      for (const MetricSample& s : f.samples) sum += s.value;
      rte_tel_data_add_dict_u64(d, tel_name(f.name).c_str(), sum);
    }
    return 0;
  }
  for (const MetricFamily& f : g_metrics) {
    if (f.name != want) continue;
    size_t n = 0;
    for (const MetricSample& s : f.samples) {
      if (++n > RTE_TEL_MAX_DICT_ENTRIES) break;
      std::string key;
      for (const auto& [k, v] : s.labels) key += (key.empty() ? "" : "/") + k + "/" + v;
      rte_tel_data_add_dict_u64(d, tel_name(key.empty() ? f.name : key).c_str(), s.value);
    }
    return 0;
  }
  return -1;  // no such family: the client gets null
}

}  // namespace

TelemetryCommands::TelemetryCommands() {
  std::lock_guard lock(g_mu);
  g_live = true;
  if (g_registered) return;
  g_registered = true;
  // The help text must stay under RTE_TEL_MAX_STRING_LEN (128) or the command is refused.
  const int rc = rte_telemetry_register_cmd(
      "/spanwatch/stats", on_stats,
      "spanwatch counters: a sum per metric family. Parameter: a family, for its samples");
  if (rc != 0) std::fprintf(stderr, "spanwatch: telemetry: /spanwatch/stats not registered (%d)\n", rc);
}

TelemetryCommands::~TelemetryCommands() {
  std::lock_guard lock(g_mu);
  g_live = false;
  g_metrics.clear();
}

void TelemetryCommands::publish(const MetricSet& metrics) {
  std::lock_guard lock(g_mu);
  g_metrics = metrics;
}

}  // namespace spanwatch::pipeline
