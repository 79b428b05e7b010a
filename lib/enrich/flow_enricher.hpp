// FlowEnricher: one record in, its FlowEnrichment out, on the exporter thread. Holds the loaded tables
// (EnrichmentTables, swappable on reload) and the state learned from records as they pass: host names from
// DHCP and DNS, and each active flow's previous byte count for its current rate.
#pragma once
#include <array>
#include <cstdint>
#include <memory>

#include "lib/core/counter.hpp"
#include "lib/enrich/enrichment_tables.hpp"
#include "lib/enrich/flow_enrichment.hpp"
#include "lib/enrich/flow_rate_tracker.hpp"
#include "lib/enrich/host_name_cache.hpp"
#include "lib/flow/flow_record.hpp"

namespace spanwatch::lib {

struct EnricherCounters {
  Counter records;
  Counter rule_matches;   // rules that matched (a record lists at most FlowEnrichment::kMaxRules)
  Counter rules_dropped;  // matches beyond that
  Counter reloads;        // tables replaced (SIGHUP)
  // Reloads that failed: the previous tables stay.
  Counter reload_failures;
};

class FlowEnricher {
 public:
  FlowEnricher(std::unique_ptr<EnrichmentTables> tables, uint32_t host_names);

  // The enrichment of `r`, valid until the next call. Learns host names from DHCP and DNS records first,
  // so a DNS answer names the addresses of the flows that follow it.
  const FlowEnrichment& enrich(const FlowRecord& r) noexcept;

  // Takes new tables (a reload); learned host names and rates stay.
  void replace_tables(std::unique_ptr<EnrichmentTables> tables) noexcept;
  // A reload whose files did not load: counted, the current tables stay.
  void reload_failed() noexcept { ctr_.reload_failures.add(1); }

  const EnrichmentTables& tables() const noexcept { return *tables_; }
  const HostNameCache& host_names() const noexcept { return hosts_; }
  const EnricherCounters& counters() const noexcept { return ctr_; }
  uint64_t geo_cache_hits() const noexcept { return tables_->geo ? tables_->geo->cache_stats().hits : 0; }
  uint64_t geo_cache_misses() const noexcept { return tables_->geo ? tables_->geo->cache_stats().misses : 0; }
  uint64_t geo_lookup_errors() const noexcept { return tables_->geo ? tables_->geo->lookup_errors() : 0; }

 private:
  void learn(const FlowRecord& r) noexcept;
  void endpoint(const FlowRecord& r, Dir d, EndpointEnrichment& out) noexcept;
  void match_rules(const FlowRecord& r) noexcept;

  std::unique_ptr<EnrichmentTables> tables_;
  HostNameCache hosts_;
  FlowRateTracker rates_;
  FlowEnrichment out_;
  std::array<RuleMatch, FlowEnrichment::kMaxRules> matches_;
  EnricherCounters ctr_;
};

}  // namespace spanwatch::lib
