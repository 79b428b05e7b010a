#include "lib/enrich/enrichment_tables.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>

namespace spanwatch::lib {
namespace {

// A GeoIP lookup costs about 1 us and a cached one about 13 ns: 65536 addresses (about 9 MB) keep a busy
// site's public peers cached.
constexpr size_t kGeoCacheEntries = 65536;

bool readable(const std::string& path) {
  std::error_code ec;
  return !path.empty() && std::filesystem::is_regular_file(path, ec);
}

// The databases fetch-geoip.sh installs, in the order GeoLookup should ask them.
std::vector<std::string> existing(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths)
    if (readable(p)) out.push_back(p);
  return out;
}

void add_warnings(std::vector<std::string>& to, const std::vector<std::string>& from, std::string_view what) {
  for (const std::string& w : from) to.push_back(fmt::format("{}: {}", what, w));
}

}  // namespace

std::unique_ptr<EnrichmentTables> load_enrichment_tables(const EnrichmentConfig& cfg,
                                                         const std::string& data_dir) {
  auto t = std::make_unique<EnrichmentTables>();
  const std::string services = cfg.service_files.size() > 0 ? cfg.service_files[0] : std::string();
  const std::string nmap = cfg.service_files.size() > 1 ? cfg.service_files[1] : std::string();
  t->services = ServiceNameTable(services, nmap);
  for (const ServiceOverride& o : cfg.services) {
    try {
      t->services.add_override(o.l4_proto, o.port, o.name);
    } catch (const std::exception& e) {
      throw std::runtime_error(fmt::format("enrichment.services: {}", e.what()));
    }
  }
  add_warnings(t->warnings, t->services.warnings(), "service names");
  t->summary.push_back(fmt::format("service names: {} ports ({}), {} overrides",
                                   t->services.stats().services_ports + t->services.stats().nmap_ports,
                                   fmt::join(cfg.service_files, ", "), cfg.services.size()));

  IeeeRegistryFiles ieee;
  if (cfg.mac_vendor_dir.empty()) {
    ieee = {"", "", "", ""};
  } else {
    const std::filesystem::path d(cfg.mac_vendor_dir);
    ieee = {(d / "oui.csv").string(), (d / "mam.csv").string(), (d / "oui36.csv").string(),
            (d / "iab.csv").string()};
  }
  t->macs = MacVendorTable(ieee);
  add_warnings(t->warnings, t->macs.warnings(), "MAC vendors");
  t->summary.push_back(
      fmt::format("MAC vendors: {} blocks from {}",
                  t->macs.stats().blocks24 + t->macs.stats().blocks28 + t->macs.stats().blocks36,
                  cfg.mac_vendor_dir.empty() ? "nowhere" : cfg.mac_vendor_dir));

  try {
    t->local = LocalNetworks(cfg.local_networks);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("enrichment.local_networks: {}", e.what()));
  }
  add_warnings(t->warnings, t->local.warnings(), "enrichment.local_networks");

  const std::vector<std::string> city = existing(cfg.geoip_city), asn = existing(cfg.geoip_asn);
  for (const auto* list : {&cfg.geoip_city, &cfg.geoip_asn})
    for (const std::string& p : *list)
      if (!readable(p) && !cfg.geoip_default)
        t->warnings.push_back(fmt::format("GeoIP: {} not found; its fields are left out", p));
  if (city.empty() && asn.empty()) {
    t->warnings.push_back(
        "GeoIP: no City or ASN database found, so source/destination.geo and .as are left out "
        "(scripts/fetch-geoip.sh installs free ones; enrichment.geoip_city/geoip_asn name others)");
  } else {
    t->geo.emplace(GeoLookup::open(city, asn, kGeoCacheEntries));  // a corrupt file throws, naming it
    t->countries.load(std::string(CountryNames::kDefaultPath));
    add_warnings(t->warnings, t->countries.warnings(), "country names");
    t->summary.push_back(fmt::format("GeoIP: city {}; ASN {}", fmt::join(city, ", "), fmt::join(asn, ", ")));
  }

  const std::string as_classes =
      cfg.as_classes.empty() ? (std::filesystem::path(data_dir) / "as-classes.tsv").string() : cfg.as_classes;
  if (readable(as_classes)) {
    t->as_classes = AsClassTable(as_classes);
    add_warnings(t->warnings, t->as_classes.problems(), as_classes);
  } else {
    t->warnings.push_back(
        fmt::format("AS classes: {} not found; only the organisation-name rules apply", as_classes));
  }

  if (!cfg.inventory.empty()) {
    t->inventory = AssetInventory::load_file(cfg.inventory);  // a broken file throws, naming file:line
    add_warnings(t->warnings, t->inventory.warnings(), cfg.inventory);
    t->summary.push_back(fmt::format("inventory: {} networks from {}", t->inventory.size(), cfg.inventory));
  }

  const std::string fingerprints = cfg.dhcp_fingerprints.empty()
                                       ? (std::filesystem::path(data_dir) / "dhcp-fingerprints.tsv").string()
                                       : cfg.dhcp_fingerprints;
  if (readable(fingerprints)) {
    t->os_hints = DhcpOsHints::load_file(fingerprints);
  } else {
    t->warnings.push_back(fmt::format("DHCP fingerprints: {} not found; no OS hints", fingerprints));
  }

  if (!cfg.rules.empty()) {
    const RuleSet rules = load_rule_set(cfg.rules);  // every problem, naming the rule, in one exception
    add_warnings(t->warnings, rules.warnings, cfg.rules);
    for (const Rule& r : rules.rules)
      if (r.fields & (rule_field_bit(RuleField::kPayloadOrig) | rule_field_bit(RuleField::kPayloadResp)))
        t->rules_need_payload = true;
    t->rules.emplace(rules);
    t->summary.push_back(fmt::format("rules: {} rules, {} domains, {} networks from {}",
                                     t->rules->rule_count(), t->rules->domain_count(),
                                     t->rules->network_count(), cfg.rules));
  }

  t->thresholds.long_lived_ns = uint64_t{cfg.long_lived_s} * 1'000'000'000;
  t->thresholds.elephant_bytes = cfg.elephant_bytes;
  return t;
}

}  // namespace spanwatch::lib
