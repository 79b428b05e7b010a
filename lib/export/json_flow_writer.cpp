// FlowRecord -> NDJSON line. Owns the record layout (which keys, when omitted, value formats); the key names
// themselves live in field_names.hpp.
#include "lib/export/json_flow_writer.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cstring>
#include <utility>

#include "lib/core/ip_proto.hpp"
#include "lib/enrich/ip_protocol_names.hpp"
#include "lib/enrich/tcp_flag_labels.hpp"
#include "lib/export/json_write_helpers.hpp"
#include "lib/export/protocol_names.hpp"
#include "lib/fingerprint/community_id.hpp"
#include "lib/fingerprint/digest.hpp"

namespace spanwatch::lib {
namespace {

// ---- UTF-8 repair -----------------------------------------------------------------------------------------

inline constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD
inline constexpr size_t kReplacementLen = 3;

// Length of the sequence a lead byte starts and the allowed range of its second byte (Unicode Table 3-7);
// len 0 = the byte can never start a sequence.
struct LeadInfo {
  uint8_t len, lo, hi;
};
constexpr LeadInfo lead_info(uint8_t b) noexcept {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};  // no overlongs
  if (b == 0xED) return {3, 0x80, 0x9F};  // no surrogates
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};  // no overlongs
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};  // <= U+10FFFF
  return {0, 0, 0};                       // 80..C1 (continuation, overlong lead), F5..FF
}

// ---- small formatters (stack buffers, no allocation) ------------------------------------------------------

// Days since 1970-01-01 -> civil date (Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms").
struct CivilDate {
  int64_t y;
  unsigned m, d;
};
constexpr CivilDate civil_from_days(int64_t z) noexcept {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}
static_assert(civil_from_days(0).y == 1970 && civil_from_days(0).m == 1 && civil_from_days(0).d == 1);
static_assert(civil_from_days(20458).y == 2026 && civil_from_days(20458).m == 1 &&
              civil_from_days(20458).d == 5);

inline void put_digits(char* out, uint64_t v, unsigned width) noexcept {
  for (unsigned i = width; i-- > 0; v /= 10) out[i] = static_cast<char>('0' + v % 10);
}

// Suricata's tcp_flags form: two lowercase hex digits.
struct Hex2 {
  std::array<char, 2> c;
};
constexpr Hex2 hex2(uint8_t v) noexcept {
  return {{kHexLower[v >> 4], kHexLower[v & 0xF]}};
}

// Ports exist for these (ICMP/ICMPv6: type / code, as Zeek's id.orig_p / id.resp_p).
constexpr bool has_ports(uint8_t proto) noexcept {
  return proto == kProtoTcp || proto == kProtoUdp || proto == kProtoSctp || proto == kProtoIcmp ||
         proto == kProtoIcmpv6;
}

// The flow_id's low 56 bits are the worker's counter (the top 8 hold the worker id, printed separately).
inline constexpr uint64_t kFlowCounterMask = (uint64_t{1} << 56) - 1;
inline constexpr unsigned kFlowIdMinHexDigits = 12;

}  // namespace

size_t sanitize_utf8(std::string_view in, char* out, size_t max_bytes, SafeStringStats* stats) noexcept {
  SafeStringStats st;
  size_t o = 0;
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    const auto b = static_cast<uint8_t>(in[i]);
    const LeadInfo li = lead_info(b);
    size_t good = 0;  // bytes of a valid sequence (li.len) or of the maximal invalid subpart
    bool valid = false;
    if (li.len == 1) {
      good = 1;
      valid = true;
    } else if (li.len == 0) {
      good = 1;
    } else {
      good = 1;
      while (good < li.len && i + good < n) {
        const auto c = static_cast<uint8_t>(in[i + good]);
        const uint8_t lo = good == 1 ? li.lo : 0x80;
        const uint8_t hi = good == 1 ? li.hi : 0xBF;
        if (c < lo || c > hi) break;
        ++good;
      }
      valid = good == li.len;
    }
    const size_t out_len = valid ? good : kReplacementLen;
    if (o + out_len > max_bytes) {
      st.truncated = true;
      break;
    }
    if (valid) {
      std::copy_n(in.data() + i, good, out + o);
    } else {
      std::copy_n(kReplacement, kReplacementLen, out + o);
      ++st.replaced;
    }
    o += out_len;
    i += good;
  }
  if (stats) *stats = st;
  return o;
}

SafeStringStats write_repaired_string(JsonWriter& w, std::string_view s, size_t cap) noexcept {
  std::array<char, kMaxSafeStringBytes> buf;
  SafeStringStats st;
  const size_t len = sanitize_utf8(s, buf.data(), cap, &st);
  w.EscapedString(buf.data(), len);
  return st;
}

namespace {
inline void put_pair(char* o, uint64_t v) noexcept {
  std::memcpy(o, &kDigitPairs[2 * v], 2);
}

// "2026-01-05T10:00:41." for a second since the epoch.
void format_second(uint64_t secs, char* out) noexcept {
  const uint64_t day = secs / 86400;
  const CivilDate cd = civil_from_days(static_cast<int64_t>(day));
  // uint64 ns ends in year 2554: the year always has 4 digits.
  put_digits(out, static_cast<uint64_t>(cd.y), 4);
  out[4] = '-';
  put_pair(out + 5, cd.m);
  out[7] = '-';
  put_pair(out + 8, cd.d);
  out[10] = 'T';
  const uint64_t sod = secs % 86400;
  put_pair(out + 11, sod / 3600);
  out[13] = ':';
  put_pair(out + 14, sod / 60 % 60);
  out[16] = ':';
  put_pair(out + 17, sod % 60);
  out[19] = '.';
}
}  // namespace

void json_detail::fill_second_text(SecondText& e, uint64_t secs) noexcept {
  format_second(secs, e.text.data());
  e.secs_plus_1 = secs + 1;
}

size_t format_rfc3339_us(uint64_t ns, char* out) noexcept {
  return json_detail::rfc3339_us(ns, out);
}

// ---- JsonFlowWriter ---------------------------------------------------------------------------------------

using namespace json_detail;

size_t JsonFlowWriter::write(const FlowRecord& rec, rapidjson::StringBuffer& out,
                             const FlowEnrichment* enrichment) noexcept {
  const size_t before = out.GetSize();
  e_ = enrichment;
  risks_ = rec.l7.risks | tcp_risks(rec);  // event.risk_score and spanwatch.risk
  risk_score_ = risks_ != 0 ? risk_score(risks_) : 0;
  w_.Reset(out);
  const size_t bound = record_bound(rec, enrichment);
  w_.Reserve(bound);  // the calls below do not check room each
  w_.StartObject();
  time_field(w_, field::kTimestamp, rec.emit_ns);
  w_.RawValue(ecs_json_.data(), ecs_json_.size());  // rendered once (render_context)
  write_event(rec);
  write_observer(rec);
  write_network(rec);
  write_endpoint(rec, Dir::kOrig);
  write_endpoint(rec, Dir::kResp);

  key(w_, field::kRelated);
  w_.StartObject();
  key(w_, field::kRelatedIp);
  w_.StartArray();
  // The texts write_endpoint made for source.ip and destination.ip.
  w_.String(ip_text_[0].data(), ip_text_[0].size());
  if (rec.dst_ip != rec.src_ip)
    w_.String(ip_text_[1].data(), ip_text_[1].size());  // ECS related.* holds unique values
  w_.EndArrayAfterValue();
  w_.EndObjectAfterValue();

  write_application(rec);
  write_spanwatch(rec);
  w_.EndObjectAfterValue();
  w_.Finish();
  assert(out.GetSize() - before <= bound);
  out.Put('\n');
  return out.GetSize() - before;
}

// The same for every record: rendered once (render_context) and copied, one piece instead of nine.
void JsonFlowWriter::write_event_head() noexcept {
  begin(w_, field::kEvent);
  str_field(w_, field::kEventKind, kEventKindValue);
  key(w_, field::kEventCategory);
  w_.StartArray();
  lit(w_, kEventCategoryNetwork);
  w_.EndArray();
  key(w_, field::kEventType);
  w_.StartArray();
  lit(w_, "connection");
}

void JsonFlowWriter::write_event(const FlowRecord& rec) noexcept {
  w_.RawValue(event_head_json_.data(), event_head_json_.size());  // up to event.type's "connection"

  // event.type: every flow gets exactly one "start" (on its first record, sequence 0) and one "end" (on its
  // final record), so counting either counts flows; interim records after the first are "info". A flow
  // reported once is ["connection","start","end"], as Elastic's Zeek mapping does for SF and the field
  // reference example shows. A final REJ adds "denied" (Elastic's Zeek mapping; other refused states are
  // left to conn_state, since on a span port they are often asymmetric capture, not a refusal).
  const bool live = rec.reason == EndReason::kLiveUpdate;  // snapshots must not count as flow starts
  const bool first = rec.sequence == 0 && !live;
  if (first) lit(w_, "start");
  if (rec.final) lit(w_, "end");
  if (!first && !rec.final) lit(w_, "info");
  if (rec.final && rec.conn_state == ConnState::kREJ) lit(w_, "denied");
  w_.EndArrayAfterValue();  // "connection" at least

  str_field(w_, field::kEventDataset, kEventDatasetValue);
  if (rec.first_ns != 0) time_field(w_, field::kEventStart, rec.first_ns);
  if (rec.last_ns != 0) time_field(w_, field::kEventEnd, rec.last_ns);
  if (rec.first_ns != 0 && rec.last_ns >= rec.first_ns)
    uint_field(w_, field::kEventDuration, rec.last_ns - rec.first_ns);
  if (size_t(rec.reason) < kEndReasonNames.size())
    str_field(w_, field::kEventReason, kEndReasonNames[size_t(rec.reason)]);
  if (risks_ != 0) uint_field(w_, field::kEventRiskScore, risk_score_);
  end_filled(w_);
}

void JsonFlowWriter::write_observer(const FlowRecord& rec) noexcept {
  // Rendered once per port by write_observer_members (render_context); the last entry for other ports.
  const std::string& text = observer_json_[std::min<size_t>(rec.port_id, observer_json_.size() - 1)];
  if (!text.empty()) w_.RawValue(text.data(), text.size());
}

void JsonFlowWriter::write_observer_members(std::string_view port_name) noexcept {
  const bool has_port = !port_name.empty();
  if (ctx_.observer_hostname.empty() && ctx_.observer_name.empty() && !has_port) return;
  begin(w_, field::kObserver);
  if (!ctx_.observer_hostname.empty()) safe_field(w_, field::kObserverHostname, ctx_.observer_hostname);
  if (!ctx_.observer_name.empty()) safe_field(w_, field::kObserverName, ctx_.observer_name);
  if (has_port) {
    begin(w_, field::kObserverIngress);
    begin(w_, field::kObserverIngressInterface);
    safe_field(w_, field::kObserverIngressInterfaceName, port_name);
    end(w_);
    end(w_);
  }
  end(w_);
}

void JsonFlowWriter::write_network(const FlowRecord& rec) noexcept {
  begin(w_, field::kNetwork);
  const std::string_view transport = ip_protocol_keyword(rec.l4_proto);
  if (!transport.empty()) {
    str_field(w_, field::kNetworkTransport, transport);
  } else {
    decimal_field(w_, field::kNetworkTransport, rec.l4_proto);
  }
  decimal_field(w_, field::kNetworkIanaNumber, rec.l4_proto);
  const bool v4 = rec.ip_version == 4 || (rec.ip_version == 0 && rec.src_ip.is_v4());
  str_field(w_, field::kNetworkType, v4 ? "ipv4" : "ipv6");
  if (e_ && !e_->direction.empty()) str_field(w_, field::kNetworkDirection, e_->direction);
  const DirStats& o = rec.dir[size_t(Dir::kOrig)];
  const DirStats& r = rec.dir[size_t(Dir::kResp)];
  uint_field(w_, field::kNetworkBytes, o.frame_bytes + r.frame_bytes);
  uint_field(w_, field::kNetworkPackets, o.packets + r.packets);
  write_network_application(rec.l7);
  {  // formatted in place, after the key (taken only if there is an ID: Commit)
    char* p = w_.MemberValueRoom(field::kNetworkCommunityId.quoted_key,
                                 field::kNetworkCommunityId.quoted_key_len, kCommunityIdMaxLen + 2);
    const CommunityIdInput in{rec.src_ip, rec.dst_ip, rec.l4_proto, rec.src_port, rec.dst_port};
    p[0] = '"';
    const size_t n = community_id_v1(in, ctx_.community_id_seed, true, p + 1);  // NUL-terminated: < max
    p[n + 1] = '"';
    if (n != 0) w_.Commit(p + n + 2);
  }
  const unsigned vlans = std::min<unsigned>(rec.vlan_count, kMaxVlans);
  if (vlans >=
      1) {  // outer tag = network.vlan, second = network.inner.vlan (ECS, as Elastic maps eve vlan[])
    begin(w_, field::kNetworkVlan);
    decimal_field(w_, field::kNetworkVlanId, rec.vlan_ids[0]);
    end_filled(w_);
  }
  if (vlans >= 2) {
    begin(w_, field::kNetworkInner);
    begin(w_, field::kNetworkInnerVlan);
    decimal_field(w_, field::kNetworkInnerVlanId, rec.vlan_ids[1]);
    end_filled(w_);
    end_filled(w_);
  }
  end_filled(w_);
}

void JsonFlowWriter::write_endpoint(const FlowRecord& rec, Dir d) noexcept {
  const bool orig = d == Dir::kOrig;
  const DirStats& s = rec.dir[size_t(d)];
  // DirStats::mac is the sender's MAC in that direction, so a responder that never answered has none.
  begin(w_, orig ? field::kSource : field::kDestination);
  {
    const JsonField& f = orig ? field::kSourceIp : field::kDestinationIp;
    char* p = w_.MemberValueRoom(f.quoted_key, f.quoted_key_len, kIpTextMax + 2);
    const size_t len = put_quoted_ip(p, orig ? rec.src_ip : rec.dst_ip);
    ip_text_[orig ? 0 : 1] = {p + 1, len};  // for related.ip: the output does not move within a record
    w_.Commit(p + len + 2);
  }
  if (has_ports(rec.l4_proto)) {
    uint_field(w_, orig ? field::kSourcePort : field::kDestinationPort, orig ? rec.src_port : rec.dst_port);
  }
  if (s.has_mac) mac_field(w_, orig ? field::kSourceMac : field::kDestinationMac, s.mac);
  uint_field(w_, orig ? field::kSourceBytes : field::kDestinationBytes, s.frame_bytes);
  uint_field(w_, orig ? field::kSourcePackets : field::kDestinationPackets, s.packets);
  if (e_) write_endpoint_enrichment(e_->ep[size_t(d)], orig);
  end_filled(w_);
}

void JsonFlowWriter::write_endpoint_enrichment(const EndpointEnrichment& e, bool orig) noexcept {
  if (!e.domain.empty()) safe_field(w_, orig ? field::kSourceDomain : field::kDestinationDomain, e.domain);
  if (!e.country_iso_code.empty() || !e.city_name.empty() || e.location) {
    begin(w_, orig ? field::kSourceGeo : field::kDestinationGeo);
    if (!e.country_iso_code.empty())
      safe_field(w_, orig ? field::kSourceGeoCountryIsoCode : field::kDestinationGeoCountryIsoCode,
                 e.country_iso_code);
    if (!e.country_name.empty())
      safe_field(w_, orig ? field::kSourceGeoCountryName : field::kDestinationGeoCountryName, e.country_name);
    if (!e.city_name.empty())
      safe_field(w_, orig ? field::kSourceGeoCityName : field::kDestinationGeoCityName, e.city_name);
    if (e.location) {
      begin(w_, orig ? field::kSourceGeoLocation : field::kDestinationGeoLocation);
      key(w_, orig ? field::kSourceGeoLocationLat : field::kDestinationGeoLocationLat);
      w_.Double((*e.location)[0]);
      key(w_, orig ? field::kSourceGeoLocationLon : field::kDestinationGeoLocationLon);
      w_.Double((*e.location)[1]);
      end(w_);
    }
    end(w_);
  }
  if (e.as_number != 0) {
    begin(w_, orig ? field::kSourceAs : field::kDestinationAs);
    uint_field(w_, orig ? field::kSourceAsNumber : field::kDestinationAsNumber, e.as_number);
    if (!e.as_organization.empty()) {
      begin(w_, orig ? field::kSourceAsOrganization : field::kDestinationAsOrganization);
      safe_field(w_, orig ? field::kSourceAsOrganizationName : field::kDestinationAsOrganizationName,
                 e.as_organization);
      end(w_);
    }
    end(w_);
  }
}

// spanwatch.src.* / spanwatch.dst.*: what ECS has no name for.
void JsonFlowWriter::write_side_enrichment(const EndpointEnrichment& e, bool orig) noexcept {
  const auto str = [&](const JsonField& src, const JsonField& dst, std::string_view v) {
    if (!v.empty()) safe_field(w_, orig ? src : dst, v);
  };
  str(field::kSrcService, field::kDstService, e.service);
  if (e.bps) uint_field(w_, orig ? field::kSrcBps : field::kDstBps, *e.bps);
  if (e.is_local) {
    bool_field(w_, orig ? field::kSrcIsLocal : field::kDstIsLocal, *e.is_local);
  }
  str(field::kSrcMacVendor, field::kDstMacVendor, e.mac_vendor);
  str(field::kSrcMacClass, field::kDstMacClass, e.mac_class);
  str(field::kSrcAsClass, field::kDstAsClass, e.as_class);
  str(field::kSrcAsClassSource, field::kDstAsClassSource, e.as_class_source);
  str(field::kSrcHostname, field::kDstHostname, e.hostname);
  str(field::kSrcHostnameSource, field::kDstHostnameSource, e.hostname_source);
  str(field::kSrcOs, field::kDstOs, e.os);
  str(field::kSrcOwner, field::kDstOwner, e.owner);
  str(field::kSrcRole, field::kDstRole, e.role);
}

namespace {
// The JSON array of tcp_flag_labels() for each flag byte, built once: ["SYN","ACK"].
struct FlagLabelsJson {
  std::array<char, kFlagLabelsJsonMax> text{};
  uint8_t len = 0;
};
const std::array<FlagLabelsJson, 256>& flag_labels_json() noexcept {
  static const std::array<FlagLabelsJson, 256> table = [] {
    std::array<FlagLabelsJson, 256> t{};
    for (unsigned f = 0; f < 256; ++f) {
      std::array<std::string_view, 8> labels;
      const size_t n = tcp_flag_labels(static_cast<uint8_t>(f), labels);
      char* p = t[f].text.data();
      *p++ = '[';
      for (size_t i = 0; i < n; ++i) {
        if (i) *p++ = ',';
        *p++ = '"';
        p = std::copy(labels[i].begin(), labels[i].end(), p);
        *p++ = '"';
      }
      *p++ = ']';
      t[f].len = static_cast<uint8_t>(p - t[f].text.data());
    }
    return t;
  }();
  return table;
}
}  // namespace

void JsonFlowWriter::write_flag_labels(const JsonField& f, uint8_t flags) noexcept {
  const FlagLabelsJson& j = flag_labels_json()[flags];
  raw_field(w_, f, {j.text.data(), j.len});
}

void JsonFlowWriter::write_enrichment_tail(const FlowEnrichment& e) noexcept {
  if (e.labels != 0) {
    key(w_, field::kLabels);
    w_.StartArray();
    for (size_t i = 0; i < kFlowLabelNames.size(); ++i)
      if (has_label(e.labels, FlowLabel(i))) lit(w_, kFlowLabelNames[i]);
    w_.EndArray();
  }
  if (e.rule_count == 0) return;
  key(w_, field::kRules);
  w_.StartArray();
  for (size_t i = 0; i < std::min<size_t>(e.rule_count, e.rules.size()); ++i) {
    const RuleHit& h = e.rules[i];
    w_.StartObject();
    uint_field(w_, field::kRulesId, h.id);
    safe_field(w_, field::kRulesName, h.name);
    str_field(w_, field::kRulesSeverity, h.severity);
    str_field(w_, field::kRulesField, h.field);
    w_.EndObject();
  }
  w_.EndArray();
}

void JsonFlowWriter::write_spanwatch(const FlowRecord& rec) noexcept {
  begin(w_, field::kSpanwatch);
  const bool tcp = rec.l4_proto == 6;
  const std::string_view state = size_t(rec.conn_state) < kConnStateNames.size()
                                     ? kConnStateNames[size_t(rec.conn_state)]
                                     : std::string_view{};
  const std::string_view history(rec.history.data(), std::min<size_t>(rec.history_len, rec.history.size()));

  begin(w_, field::kFlow);
  {
    // "w<worker>-<counter hex>", e.g. "w3-000000000042": short, sortable per worker, unique per sensor run.
    // Formatted in place (see put_quoted_ip): at most 1 + 5 + 1 + 14 bytes in quotes.
    char* const start =
        w_.MemberValueRoom(field::kFlowId.quoted_key, field::kFlowId.quoted_key_len, kFlowIdRoom);
    char* p = start;
    *p++ = '"';
    *p++ = 'w';
    p = std::to_chars(p, p + 5, rec.worker_id).ptr;
    *p++ = '-';
    const uint64_t counter = rec.flow_id & kFlowCounterMask;
    const int bits = 64 - std::countl_zero(counter | 1);
    const auto digits = static_cast<unsigned>((bits + 3) / 4);
    const unsigned zeros = digits < kFlowIdMinHexDigits ? kFlowIdMinHexDigits - digits : 0;
    std::memset(p, '0', zeros);
    p += zeros;
    for (unsigned i = digits; i-- > 0;) *p++ = kHexLower[(counter >> (4 * i)) & 0xF];
    *p++ = '"';
    w_.Commit(p);
  }
  bool_field(w_, field::kFlowFinal, rec.final);
  uint_field(w_, field::kFlowSequence, rec.sequence);
  if (rec.fragments > 0) uint_field(w_, field::kFlowFragments, rec.fragments);
  if (!tcp) {  // Zeek reports conn_state (and UDP history) for every transport; TCP's sits in spanwatch.tcp
    if (!state.empty()) str_field(w_, field::kFlowConnState, state);
    if (!history.empty()) safe_field(w_, field::kFlowHistory, history);
  }
  if (e_ && e_->throughput_bps) uint_field(w_, field::kFlowThroughputBps, *e_->throughput_bps);
  if (e_ && e_->current_bps) uint_field(w_, field::kFlowCurrentBps, *e_->current_bps);
  end_filled(w_);

  const DirStats& o = rec.dir[size_t(Dir::kOrig)];
  const DirStats& r = rec.dir[size_t(Dir::kResp)];
  begin(w_, field::kSrc);
  uint_field(w_, field::kSrcIpBytes, o.ip_bytes);
  uint_field(w_, field::kSrcPayloadBytes, o.payload_bytes);
  if (e_) write_side_enrichment(e_->ep[size_t(Dir::kOrig)], true);
  end_filled(w_);
  begin(w_, field::kDst);
  uint_field(w_, field::kDstIpBytes, r.ip_bytes);
  uint_field(w_, field::kDstPayloadBytes, r.payload_bytes);
  if (e_) write_side_enrichment(e_->ep[size_t(Dir::kResp)], false);
  end_filled(w_);

  if (tcp) {
    begin(w_, field::kTcp);
    if (!state.empty()) {
      str_field(w_, field::kTcpConnState, state);
      str_field(w_, field::kTcpConnStateMajor, kConnStateMajorNames[size_t(major_of(rec.conn_state))]);
    }
    if (!history.empty()) safe_field(w_, field::kTcpHistory, history);
    const Hex2 all = hex2(o.tcp_flags | r.tcp_flags), ts = hex2(o.tcp_flags), tc = hex2(r.tcp_flags);
    str_field(w_, field::kTcpFlags, {all.c.data(), 2});
    str_field(w_, field::kTcpFlagsTs, {ts.c.data(), 2});
    str_field(w_, field::kTcpFlagsTc, {tc.c.data(), 2});
    write_flag_labels(field::kTcpFlagsLabels, o.tcp_flags | r.tcp_flags);
    write_flag_labels(field::kTcpFlagsTsLabels, o.tcp_flags);
    write_flag_labels(field::kTcpFlagsTcLabels, r.tcp_flags);
    end_filled(w_);
  }

  if (rec.tunnel != TunnelType::kNone || rec.is_tunnel_carrier) {
    begin(w_, field::kTunnel);
    if (rec.tunnel != TunnelType::kNone && size_t(rec.tunnel) < kTunnelTypeNames.size()) {
      str_field(w_, field::kTunnelType, kTunnelTypeNames[size_t(rec.tunnel)]);
      uint_field(w_, field::kTunnelDepth, rec.tunnel_depth);
      if (!is_zero(rec.tunnel_src)) ip_field(w_, field::kTunnelSrcIp, rec.tunnel_src);
      if (!is_zero(rec.tunnel_dst)) ip_field(w_, field::kTunnelDstIp, rec.tunnel_dst);
    }
    if (rec.is_tunnel_carrier) {
      bool_field(w_, field::kTunnelCarrier, true);
    }
    end(w_);
  }
  write_spanwatch_application(rec);
  if (e_) write_enrichment_tail(*e_);
  end_filled(w_);
}

}  // namespace spanwatch::lib
