#include "lib/enrich/flow_enricher.hpp"

#include <algorithm>
#include <span>

namespace spanwatch::lib {
namespace {

constexpr uint8_t kDhcpAck = 5;

std::string_view mac_class_name(MacKind k) noexcept {
  switch (k) {
    case MacKind::kLocallyAdministered:
      return "locally_administered";
    case MacKind::kMulticast:
      return "multicast";
    case MacKind::kBroadcast:
      return "broadcast";
    default:
      return {};
  }
}

bool is_unspecified(const IpAddress& a) noexcept {
  static constexpr IpAddress kV4Any = [] {
    IpAddress x;
    x.bytes[10] = x.bytes[11] = 0xff;
    return x;
  }();
  return a == IpAddress{} || a == kV4Any;
}

}  // namespace

FlowEnricher::FlowEnricher(std::unique_ptr<EnrichmentTables> tables, uint32_t host_names)
    : tables_(std::move(tables)), hosts_(std::max<uint32_t>(host_names, 64)) {}

void FlowEnricher::replace_tables(std::unique_ptr<EnrichmentTables> tables) noexcept {
  tables_ = std::move(tables);
  ctr_.reloads.add(1);
}

void FlowEnricher::learn(const FlowRecord& r) noexcept {
  if (r.app.kind == AppKind::kDhcp) {
    const DhcpMetadata& d = r.app.dhcp;
    const std::string_view name = get_text(d.hostname);
    const DhcpOsRule* hint = tables_->os_hints.lookup(get_text(d.vendor_class), get_text(d.parameter_list));
    const std::string_view os = hint ? hint->os : std::string_view{};
    // The address the client holds: an ACK's yiaddr, else the one it asked for, else the one it sends from.
    IpAddress ip = d.assigned_ip;
    if (is_unspecified(ip) || d.message_type != kDhcpAck) ip = d.requested_ip;
    if (is_unspecified(ip)) ip = r.src_ip;
    if (!name.empty() || !os.empty())
      hosts_.learn_dhcp(ip, d.has_client_mac ? &d.client_mac : nullptr, name, os, r.emit_ns);
  } else if (r.app.kind == AppKind::kDns) {
    const DnsMetadata& d = r.app.dns;
    const std::string_view qname = get_text(d.qname);
    if (qname.empty()) return;
    for (size_t i = 0; i < std::min<size_t>(d.resolved_ip_count, d.resolved_ips.size()); ++i)
      hosts_.learn_dns(d.resolved_ips[i], qname, r.emit_ns);
  }
}

void FlowEnricher::endpoint(const FlowRecord& r, Dir d, EndpointEnrichment& e) noexcept {
  const EnrichmentTables& t = *tables_;
  const bool orig = d == Dir::kOrig;
  const IpAddress& ip = orig ? r.src_ip : r.dst_ip;
  const DirStats& s = r.dir[size_t(d)];

  // The client's port has a name only when it is a well-known (system) port, e.g. DNS or NTP peers.
  const uint16_t port = orig ? r.src_port : r.dst_port;
  if (!orig || port < 1024) e.service = t.services.name(r.l4_proto, port);

  if (s.has_mac) {
    const MacVendor v = t.macs.lookup(s.mac);
    e.mac_vendor = v.vendor;
    e.mac_class = mac_class_name(v.kind);
  }

  e.is_local = t.local.is_local(ip);
  if (tables_->geo && !*e.is_local) {
    const GeoAnswer g = tables_->geo->lookup(ip);
    if (g.location) {
      e.country_iso_code = g.location->country_iso_code;
      e.country_name = g.location->country_name.empty() ? t.countries.name(g.location->country_iso_code)
                                                        : g.location->country_name;
      e.city_name = g.location->city_name;
      if (g.location->has_location) e.location = {{g.location->latitude, g.location->longitude}};
    }
    if (g.as && g.as->number != 0) {
      e.as_number = g.as->number;
      e.as_organization = g.as->organization;
      const AsClassAnswer c = tables_->as_classes.classify(g.as->number, g.as->organization);
      e.as_class = as_class_name(c.cls);
      e.as_class_source = c.source;
    }
  }

  const HostName* learned = hosts_.lookup(ip);
  if (learned) e.domain = learned->name();
  if (const AssetInfo* a = t.inventory.lookup(ip)) {
    e.hostname = a->hostname;
    e.hostname_source = e.hostname.empty() ? std::string_view{} : "inventory";
    e.os = a->os;
    e.owner = a->owner;
    e.role = a->role;
  }
  if (learned && learned->source == HostNameSource::kDhcp) {
    if (e.hostname.empty() && !learned->name().empty()) {
      e.hostname = learned->name();
      e.hostname_source = "dhcp";
    }
    if (e.os.empty()) e.os = learned->os_hint();
  }

  // Time 0 means "not known" in a record (the writer leaves event.start out then): no rate either.
  if (r.first_ns != 0)
    if (const uint64_t bps = bits_per_second(s.frame_bytes, r.first_ns, r.last_ns); bps != 0) e.bps = bps;
}

void FlowEnricher::match_rules(const FlowRecord& r) noexcept {
  RuleMatcher& m = *tables_->rules;
  RuleMatchInput in;
  std::array<std::string_view, 1> san{};
  switch (r.app.kind) {
    case AppKind::kTls:
      in.sni = get_text(r.app.tls.sni);
      in.cert_subject = get_text(r.app.tls.subject);
      in.cert_issuer = get_text(r.app.tls.issuer);
      san[0] = get_text(r.app.tls.san);  // comma-separated: domain lists match whole labels within it
      if (!san[0].empty()) in.cert_san = san;
      break;
    case AppKind::kHttp:
      in.http_host = get_text(r.app.http.host);
      in.url = get_text(r.app.http.url);
      in.user_agent = get_text(r.app.http.user_agent);
      break;
    case AppKind::kDns:
      in.dns_query = get_text(r.app.dns.qname);
      break;
    default:
      break;
  }
  const auto prefix = [](const PayloadPrefix& p) {
    return std::string_view(reinterpret_cast<const char*>(p.bytes.data()), p.len);
  };
  in.payload_orig = prefix(r.payload[0]);
  in.payload_resp = prefix(r.payload[1]);
  in.src_ip = r.src_ip;
  in.dst_ip = r.dst_ip;
  const uint64_t dropped_before = m.counters().dropped.get();
  const size_t n = m.match(in, matches_);
  out_.rule_count = static_cast<uint8_t>(n);
  for (size_t i = 0; i < n; ++i)
    out_.rules[i] = {matches_[i].id, matches_[i].name, rule_severity_name(matches_[i].severity),
                     rule_field_name(matches_[i].field)};
  ctr_.rule_matches.add(n);
  ctr_.rules_dropped.add(m.counters().dropped.get() - dropped_before);
}

const FlowEnrichment& FlowEnricher::enrich(const FlowRecord& r) noexcept {
  ctr_.records.add(1);
  learn(r);
  out_ = FlowEnrichment{};
  endpoint(r, Dir::kOrig, out_.ep[0]);
  endpoint(r, Dir::kResp, out_.ep[1]);
  out_.direction = direction_name(tables_->local.direction(r.src_ip, r.dst_ip));
  out_.labels = flow_labels(r, tables_->thresholds);
  const uint64_t bytes = r.dir[0].frame_bytes + r.dir[1].frame_bytes;
  if (r.first_ns != 0)
    if (const uint64_t bps = bits_per_second(bytes, r.first_ns, r.last_ns); bps != 0)
      out_.throughput_bps = bps;
  // Only records of active flows get a current rate (a final record's rate since a live snapshot would name
  // an interval the files do not show). A final record leaves its flow's slot for the next flow to take.
  if (!r.final) out_.current_bps = rates_.update(r.flow_id, bytes, r.emit_ns, false);
  if (tables_->rules) match_rules(r);
  return out_;
}

}  // namespace spanwatch::lib
