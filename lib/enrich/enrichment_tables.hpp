// Everything enrichment reads from files, loaded together: at start-up, and again on SIGHUP on a helper
// thread while the exporter keeps enriching with the old tables (FlowEnricher::replace_tables swaps them).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/config/spanwatch_config.hpp"
#include "lib/enrich/as_class_table.hpp"
#include "lib/enrich/asset_inventory.hpp"
#include "lib/enrich/country_names.hpp"
#include "lib/enrich/dhcp_os_hint.hpp"
#include "lib/enrich/flow_labels.hpp"
#include "lib/enrich/geo_lookup.hpp"
#include "lib/enrich/local_networks.hpp"
#include "lib/enrich/mac_vendors.hpp"
#include "lib/enrich/rule_matcher.hpp"
#include "lib/enrich/service_names.hpp"

namespace spanwatch::lib {

struct EnrichmentTables {
  ServiceNameTable services;
  MacVendorTable macs;
  LocalNetworks local;
  std::optional<GeoLookup> geo;  // absent without a City or ASN database
  CountryNames countries;        // for databases that give only the ISO code
  AsClassTable as_classes;
  AssetInventory inventory;
  DhcpOsHints os_hints;
  std::optional<RuleMatcher> rules;
  bool rules_need_payload = false;  // a rule looks at payload prefixes: workers must capture them
  FlowLabelThresholds thresholds;
  std::vector<std::string> warnings;  // what is missing or was skipped, for the caller to log once
  std::vector<std::string> summary;   // one line per source: what was loaded, for the start-up log
};

// Loads every source the config names. Optional data that is missing (no GeoIP database, no ieee-data) is a
// warning and that enrichment is off; data that is present but wrong (a bad CIDR, a rule that does not
// compile, a corrupt database) throws std::runtime_error naming the file and the problem.
std::unique_ptr<EnrichmentTables> load_enrichment_tables(const EnrichmentConfig& cfg,
                                                         const std::string& data_dir);

}  // namespace spanwatch::lib
