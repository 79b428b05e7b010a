// JsonFlowWriter's upper bound of a record's JSON: write() reserves it once, so that JsonTextWriter's calls
// need no bounds check each (a check before every piece was a tenth of a record's instructions). It follows
// write() call by call, each call counted as json_room says it may touch: text from outside at its worst
// (a record's strings as long as their arrays, six bytes for every byte of them, capped where
// write_safe_string caps them; the enrichment's strings by their lengths), names from our tables by the
// longest, what render_context wrote by its length. A field added to the writer must be added here too:
// json_flow_writer_test (RecordBound*) writes records whose every field holds the worst text and checks
// that nothing lands past the bound, and debug builds assert every call's room.
#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "lib/app/dhcp_message.hpp"
#include "lib/enrich/ip_protocol_names.hpp"
#include "lib/export/json_flow_writer.hpp"
#include "lib/export/json_write_helpers.hpp"
#include "lib/export/protocol_names.hpp"
#include "lib/fingerprint/community_id.hpp"

namespace spanwatch::lib {
namespace {

using namespace json_room;
using json_detail::kFlagLabelsJsonMax;
using json_detail::kFlowIdRoom;
using json_detail::kInfoLineMax;
using json_detail::kMacTextLen;

// A member whose value is an object or an array: key and bracket, what is inside, closing bracket.
constexpr size_t nested(size_t inside) noexcept {
  return member(kOpen) + inside + kClose;
}
constexpr size_t str_m(size_t n) noexcept {  // str_field, ip_field, name_or_number
  return member(string(n));
}
constexpr size_t raw_m(size_t n) noexcept {  // raw_field; a key, then RawValue
  return member(raw(n));
}
constexpr size_t kUintM = member(kUint);                 // uint_field
constexpr size_t kQuotedUintM = member(kQuotedUint);     // decimal_field
constexpr size_t kBoolM = member(kBool);                 // bool_field
constexpr size_t kTimeM = member(raw(kRfc3339Len + 2));  // time_field: the time in quotes, formatted in place
// write_safe_string of n bytes: as they are, or repaired (at most kMaxSafeStringBytes) and escaped.
constexpr size_t safe(size_t n) noexcept {
  return escaped(std::min(n, kMaxSafeStringBytes));
}
constexpr size_t safe_m(size_t n) noexcept {  // safe_field
  return member(safe(n));
}
// comma_list: plain in one pass, or item by item through write_safe_string; items of k bytes with their
// commas between them become at most 6k + 3 bytes each, so a list of n bytes at most escaped(n).
constexpr size_t list_m(size_t n) noexcept {
  return nested(std::max(plain_list(n), escaped(n)));
}
constexpr size_t longest(std::initializer_list<std::string_view> names) noexcept {
  size_t n = 0;
  for (const std::string_view s : names) n = std::max(n, s.size());
  return n;
}
template <class Names>
constexpr size_t longest(const Names& names) noexcept {
  size_t n = 0;
  for (const std::string_view s : names) n = std::max(n, s.size());
  return n;
}
// The longest name the number-to-name tables give (protocol_names.hpp, the IANA protocol keywords, DHCP
// message types) or NumberName's fallback ("TYPE65280", "0xC0FF": its buffer holds 16).
size_t longest_table_name() noexcept {
  static const size_t longest_name = [] {
    size_t m = 16;
    for (unsigned v = 0; v <= 0xFFFF; ++v) {
      const auto n = static_cast<uint16_t>(v);
      const TlsVersionName t = tls_version_name(n);
      m = std::max({m, t.version.size(), t.protocol.size(), tls_cipher_name(n).size(),
                    dns_type_name(n).size(), dns_class_name(n).size()});
      if (v <= 0xFF) {
        const auto b = static_cast<uint8_t>(v);
        m = std::max(
            {m, dns_rcode_name(b).size(), dhcp_message_type_name(b).size(), ip_protocol_keyword(b).size()});
      }
    }
    return m;
  }();
  return longest_name;
}

// The info line (spanwatch.l7.info): the application's text, else nDPI's host name.
constexpr size_t info_m(size_t app_text) noexcept {
  return safe_m(std::max(app_text, sizeof(FlowRecord::l7_host)));
}

}  // namespace

void JsonFlowWriter::compute_bounds() {
  const size_t name = longest_table_name();
  size_t observer = 0;
  for (const std::string& o : observer_json_) observer = std::max(observer, o.size());
  // nDPI's names as rendered once, quotes included: protocols (lowercased into 64 bytes), the others.
  size_t protocol_json = kNoName.json.size(), other_json = kNoName.json.size();
  for (const NameJson& n : protocol_lower_) protocol_json = std::max(protocol_json, n.json.size());
  for (const auto* v : {&categories_, &breeds_, &confidences_})
    for (const NameJson& n : *v) other_json = std::max(other_json, n.json.size());
  size_t risks = 0;  // every risk of the list at once
  for (const std::string& r : risk_json_) risks += raw(r.size());

  // write(): braces, @timestamp, ecs, related.ip; event, observer, network, source and destination.
  size_t b = kOpen + kTimeM + raw(ecs_json_.size()) + nested(nested(2 * string(kIpTextMax))) + kClose;
  b += raw(event_head_json_.size()) + 4 * string(longest({"start", "end", "info", "denied"})) + kClose +
       str_m(kEventDatasetValue.size()) + 2 * kTimeM + kUintM + str_m(longest(kEndReasonNames)) + kUintM +
       kClose;
  b += raw(observer);
  b += nested(std::max(str_m(name), kQuotedUintM) + kQuotedUintM + str_m(longest({"ipv4", "ipv6"})) +
              2 * kUintM + 2 * raw_m(protocol_json) + str_m(kCommunityIdMaxLen) + nested(kQuotedUintM) +
              nested(nested(kQuotedUintM)));
  b += 2 * nested(str_m(kIpTextMax) + kUintM + str_m(kMacTextLen) + 2 * kUintM);

  // write_spanwatch: flow, src, dst, tcp, tunnel; the application-independent part of spanwatch.l7 and
  // spanwatch.risk.
  const size_t history = safe_m(std::tuple_size_v<decltype(FlowRecord::history)>);
  const size_t conn_state = str_m(longest(kConnStateNames));
  const size_t flow_id = raw_m(kFlowIdRoom);  // "w<worker>-<counter hex>", formatted in place
  size_t sw = nested(flow_id + kBoolM + 2 * kUintM + conn_state + history);
  sw += 2 * nested(2 * kUintM);
  sw += nested(conn_state + str_m(longest(kConnStateMajorNames)) + history + 3 * str_m(2) +
               3 * raw_m(kFlagLabelsJsonMax));
  sw += nested(str_m(longest(kTunnelTypeNames)) + kUintM + 2 * str_m(kIpTextMax) + kBoolM);
  // write_l7_proto: a rendered name, two joined in its 72-byte buffer, or L7Names' text lowercased into 64.
  const size_t l7_proto =
      std::max({raw_m(protocol_json), raw_m(72), safe_m(64), str_m(longest({"unknown"}))});
  sw += member(kOpen) + l7_proto + 2 * raw_m(protocol_json) + 3 * raw_m(other_json) + kBoolM +
        str_m(longest(kL7StateNames)) + kClose;
  sw += nested(kUintM + nested(risks));
  base_bound_ = b + nested(sw);

  // Per AppKind: write_application, the spanwatch.<app> object and the info line. Digests are bytes, written
  // as two hex digits each.
  using Tls = TlsMetadata;
  const size_t tls =
      nested(3 * str_m(name) + safe_m(sizeof(Tls::alpn)) +
             nested(safe_m(sizeof(Tls::sni)) + str_m(2 * sizeof(Tls::ja3))) +
             nested(str_m(2 * sizeof(Tls::ja3s)) + safe_m(sizeof(Tls::subject)) +
                    safe_m(sizeof(Tls::issuer)) + 2 * kTimeM + nested(str_m(2 * sizeof(Tls::cert_sha1))) +
                    nested(str_m(sizeof(Tls::serial)) + list_m(sizeof(Tls::san))))) +
      nested(str_m(sizeof(Tls::ja4)) + list_m(sizeof(Tls::client_alpns)) +
             nested(std::tuple_size_v<decltype(Tls::supported_versions)> * string(name))) +
      info_m(sizeof(Tls::sni));
  using Dns = DnsMetadata;
  using Answer = DnsAnswerRecord;
  const size_t answer = kOpen + safe_m(sizeof(Answer::name)) + str_m(name) + str_m(2) + kUintM +
                        safe_m(sizeof(Answer::data)) + kClose;
  const size_t dns = nested(kQuotedUintM + str_m(longest({"answer", "query"})) + kQuotedUintM +
                            nested(6 * string(2)) + nested(safe_m(sizeof(Dns::qname)) + 2 * str_m(name)) +
                            str_m(name) + nested(std::tuple_size_v<decltype(Dns::answers)> * answer) +
                            nested(std::tuple_size_v<decltype(Dns::resolved_ips)> * string(kIpTextMax))) +
                     info_m(sizeof(Dns::qname));
  using Http = HttpMetadata;
  const size_t http =
      nested(
          safe_m(sizeof(Http::version)) +
          nested(safe_m(sizeof(Http::method)) + safe_m(sizeof(Http::request_content_type)) + nested(kUintM)) +
          nested(kUintM + safe_m(sizeof(Http::response_content_type)) + nested(kUintM))) +
      nested(safe_m(sizeof(Http::url)) + safe_m(sizeof(Http::host))) +
      nested(safe_m(sizeof(Http::user_agent))) + nested(safe_m(sizeof(Http::server))) + info_m(kInfoLineMax);
  using Ssh = SshMetadata;
  const size_t ssh =
      nested(nested(safe_m(sizeof(Ssh::client_software)) + str_m(2 * sizeof(Ssh::hassh))) +
             nested(safe_m(sizeof(Ssh::server_software)) + str_m(2 * sizeof(Ssh::hassh_server)))) +
      info_m(sizeof(Ssh::client_software));
  using Dhcp = DhcpMetadata;
  const size_t dhcp =
      nested(str_m(name) + safe_m(sizeof(Dhcp::hostname)) + safe_m(sizeof(Dhcp::vendor_class)) +
             safe_m(sizeof(Dhcp::parameter_list)) + str_m(kMacTextLen) + 2 * str_m(kIpTextMax)) +
      info_m(sizeof(Dhcp::hostname));
  app_bound_[size_t(AppKind::kNone)] = info_m(0);
  app_bound_[size_t(AppKind::kTls)] = tls;
  app_bound_[size_t(AppKind::kDns)] = dns;
  app_bound_[size_t(AppKind::kHttp)] = http;
  app_bound_[size_t(AppKind::kSsh)] = ssh;
  app_bound_[size_t(AppKind::kDhcp)] = dhcp;
}

size_t JsonFlowWriter::enrichment_bound(const FlowEnrichment& e) noexcept {
  // network.direction; spanwatch.flow's rates.
  size_t b = str_m(e.direction.size()) + 2 * kUintM;
  for (const EndpointEnrichment& p : e.ep) {
    // source.* / destination.*: domain, geo, as.
    b += safe_m(p.domain.size()) +
         nested(safe_m(p.country_iso_code.size()) + safe_m(p.country_name.size()) +
                safe_m(p.city_name.size()) + nested(2 * member(kDouble))) +
         nested(kUintM + nested(safe_m(p.as_organization.size())));
    // spanwatch.src / .dst.
    b += kUintM + kBoolM;
    for (const std::string_view s : {p.service, p.mac_vendor, p.mac_class, p.as_class, p.as_class_source,
                                     p.hostname, p.hostname_source, p.os, p.owner, p.role})
      b += safe_m(s.size());
  }
  size_t labels = 0;
  for (const std::string_view l : kFlowLabelNames) labels += string(l.size());
  b += nested(labels);
  size_t rules = 0;
  for (size_t i = 0; i < std::min<size_t>(e.rule_count, e.rules.size()); ++i) {
    const RuleHit& h = e.rules[i];
    rules +=
        kOpen + kUintM + safe_m(h.name.size()) + str_m(h.severity.size()) + str_m(h.field.size()) + kClose;
  }
  return b + nested(rules);
}

}  // namespace spanwatch::lib
