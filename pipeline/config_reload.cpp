#include "pipeline/config_reload.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "pipeline/options.hpp"

namespace spanwatch::pipeline {

namespace {

// The settings a reload applies; every other setting waits for a restart.
void copy_live_settings(const lib::SpanwatchConfig& from, lib::SpanwatchConfig& to) {
  to.output.rotate_mb = from.output.rotate_mb;
  to.output.rotate_interval_s = from.output.rotate_interval_s;
  to.output.max_files = from.output.max_files;
  to.output.max_total_mb = from.output.max_total_mb;
  to.output.fsync = from.output.fsync;
  to.output.fsync_interval_s = from.output.fsync_interval_s;
  to.output.stats_interval_s = from.output.stats_interval_s;
  to.log_level = from.log_level;
  const bool enabled = to.enrichment.enabled;  // the enricher exists from start-up, or not at all
  to.enrichment = from.enrichment;
  to.enrichment.enabled = enabled;
}

}  // namespace

ConfigChange ConfigReload::compare(const lib::SpanwatchConfig& before, const lib::SpanwatchConfig& after) {
  ConfigChange c;
  c.config = before;  // what runs from now on: sections waiting for a restart keep their running values
  copy_live_settings(after, c.config);
  c.stats_interval = before.output.stats_interval_s != after.output.stats_interval_s;
  lib::OutputConfig policy = c.config.output;  // differs from the running output in live settings only
  policy.stats_interval_s = before.output.stats_interval_s;
  c.output_policy = !(policy == before.output);
  c.log_level = before.log_level != after.log_level;
  c.enrichment = !(before.enrichment == c.config.enrichment) && before.enrichment.enabled;

  lib::SpanwatchConfig frozen = after;  // the new file without what applies live
  copy_live_settings(before, frozen);
  auto check = [&c](bool same, const char* what) {
    if (!same) c.need_restart.push_back(what);
  };
  check(before.ports == frozen.ports, "ports");
  check(before.lcores == frozen.lcores, "lcores");
  check(before.memory == frozen.memory, "memory");
  check(before.flows == frozen.flows, "flows");
  check(before.output == frozen.output, "output (dir, file, community_id_seed)");
  check(before.ring == frozen.ring, "ring");
  check(before.metrics == frozen.metrics, "metrics");
  check(before.ipfix == frozen.ipfix, "ipfix");
  check(before.nats == frozen.nats, "nats");
  check(before.observer == frozen.observer, "observer");
  check(before.eal_args == frozen.eal_args, "eal_args");
  check(before.enrichment.enabled == after.enrichment.enabled, "enrichment.enabled");
  return c;
}

std::optional<ConfigChange> ConfigReload::poll(int requests) {
  if (requests == seen_) return std::nullopt;
  seen_ = requests;
  std::optional<RunPlan> plan;
  try {
    plan = parse_command_line(argc_, argv_);
  } catch (const std::exception& e) {
    ctr_.failures.add(1);
    std::fprintf(stderr, "spanwatch: reload: configuration not changed: %s\n", e.what());
    return std::nullopt;
  }
  if (!plan) return std::nullopt;  // cannot happen: --help/--version would not have started the pipeline
  ConfigChange c = compare(running_, plan->config);
  ctr_.reloads.add(1);
  std::vector<std::string> applied;
  if (c.output_policy) applied.push_back("output rotation, retention and fsync");
  if (c.stats_interval) applied.push_back("output.stats_interval_s");
  if (c.log_level) applied.push_back("log_level");
  if (c.enrichment) applied.push_back("enrichment settings");
  std::fprintf(stderr, "spanwatch: reload: configuration re-read; applied: %s%s%s\n",
               applied.empty() ? "no changes" : fmt::format("{}", fmt::join(applied, ", ")).c_str(),
               c.need_restart.empty() ? "" : "; changed but waiting for a restart: ",
               fmt::format("{}", fmt::join(c.need_restart, ", ")).c_str());
  running_ = c.config;
  return c;
}

}  // namespace spanwatch::pipeline
