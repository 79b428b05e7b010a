// SIGHUP reloads the enrichment data (rules, inventory, GeoIP, registries) without stopping the pipeline:
// the files load on a helper thread while the exporter goes on with the old tables, and the exporter takes
// the new ones between bursts. A reload that fails keeps the old tables and says why.
#pragma once
#include <atomic>
#include <cstdio>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "lib/config/spanwatch_config.hpp"
#include "lib/enrich/enrichment_tables.hpp"
#include "lib/enrich/flow_enricher.hpp"

namespace spanwatch::pipeline {

class EnrichmentReloader {
 public:
  EnrichmentReloader(lib::EnrichmentConfig cfg, std::string data_dir, bool payload_captured)
      : cfg_(std::move(cfg)), data_dir_(std::move(data_dir)), payload_captured_(payload_captured) {}

  // New settings (a configuration reload) for the next load; a load already running keeps the old ones.
  void set_config(lib::EnrichmentConfig cfg) { next_cfg_ = std::move(cfg); }

  // Called about once a second on the exporter's lcore. `requests` counts SIGHUPs so far.
  void poll(int requests, lib::FlowEnricher& enricher) {
    if (pending_.valid() && pending_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      try {
        auto tables = pending_.get();
        for (const std::string& w : tables->warnings)
          std::fprintf(stderr, "spanwatch: reload: %s\n", w.c_str());
        if (tables->rules_need_payload && !payload_captured_)
          std::fprintf(stderr,
                       "spanwatch: reload: rules on payload prefixes match only after a restart "
                       "(payload capture starts with the workers)\n");
        enricher.replace_tables(std::move(tables));
        std::fprintf(stderr, "spanwatch: enrichment data reloaded\n");
      } catch (const std::exception& e) {
        enricher.reload_failed();
        std::fprintf(stderr, "spanwatch: reload failed, keeping the previous enrichment data: %s\n",
                     e.what());
      }
    }
    if (requests != seen_ && !pending_.valid()) {
      seen_ = requests;
      if (next_cfg_) cfg_ = *std::exchange(next_cfg_, std::nullopt);  // the loader thread reads cfg_
      pending_ =
          std::async(std::launch::async, [this] { return lib::load_enrichment_tables(cfg_, data_dir_); });
    }
  }

 private:
  lib::EnrichmentConfig cfg_;
  std::optional<lib::EnrichmentConfig> next_cfg_;
  std::string data_dir_;
  bool payload_captured_;
  int seen_ = 0;
  std::future<std::unique_ptr<lib::EnrichmentTables>> pending_;
};

}  // namespace spanwatch::pipeline
