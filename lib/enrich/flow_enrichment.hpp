// What FlowEnricher adds to one record, as views into its tables (valid until the next enrich() call or a
// reload). The JSON writer prints each member that is set; nothing here is per packet.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "lib/enrich/flow_labels.hpp"

namespace spanwatch::lib {

struct EndpointEnrichment {
  std::string_view service;     // IANA service name of this side's port (spanwatch.*.service)
  std::string_view mac_vendor;  // IEEE registry owner of the MAC's block
  std::string_view mac_class;   // locally_administered | multicast | broadcast (no vendor then)
  // GeoIP (source.geo.*) and ASN (source.as.*); empty views / 0 = not known.
  std::string_view country_iso_code, country_name, city_name;
  std::optional<std::array<double, 2>> location;  // lat, lon
  uint32_t as_number = 0;
  std::string_view as_organization;
  std::string_view as_class, as_class_source;  // spanwatch.*.as_class and where that answer came from
  std::optional<bool> is_local;                // from enrichment.local_networks
  std::string_view domain;                     // source.domain: a name this address was seen under
  std::string_view hostname, hostname_source;  // spanwatch.*.hostname: inventory, dhcp or dns
  std::string_view os, owner, role;            // inventory, else the DHCP OS hint
  std::optional<uint64_t> bps;                 // average bits/s this side sent over the flow's life
};

struct RuleHit {
  uint32_t id = 0;
  std::string_view name, severity, field;
};

struct FlowEnrichment {
  std::string_view direction;            // network.direction (ECS: inbound, outbound, internal, external)
  std::array<EndpointEnrichment, 2> ep;  // [Dir::kOrig] = source, [Dir::kResp] = destination
  FlowLabelSet labels = 0;
  std::optional<uint64_t> throughput_bps;  // both ways, over the flow's life
  std::optional<uint64_t> current_bps;     // since the previous record of this flow (live views)
  static constexpr size_t kMaxRules = 16;  // more matches are counted, not written
  uint8_t rule_count = 0;
  std::array<RuleHit, kMaxRules> rules{};
};

}  // namespace spanwatch::lib
