// RecordParser: one ring record (JSON text) -> FlowSummary, with RapidJSON parsing in place into reused
// memory pools, written into the summary's existing buffers (a reused summary allocates nothing), and the
// derived fields.
#include "viewer/flow_summary.hpp"

#include <netdb.h>
#include <netinet/in.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <unordered_map>

#include "viewer/ip_match.hpp"
#include "viewer/record_fields.hpp"
#include "viewer/string_heap_bytes.hpp"

namespace spanwatch::viewer {
namespace {

using rapidjson::Value;
using F = RecordField;
using E = EndpointField;

std::string_view view(const Value* v) {
  return v != nullptr && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength())
                                       : std::string_view();
}
// Strings are assigned into the summary's existing buffers: a reused summary allocates nothing.
void set(std::string& dst, const Value* v) {
  dst.assign(view(v));
}
// Keeps dst when it is set already (a field with a fallback).
void set_if_empty(std::string& dst, const Value* v) {
  if (dst.empty()) set(dst, v);
}
uint64_t u64(const Value* v) {
  if (v == nullptr) return 0;
  if (v->IsUint64()) return v->GetUint64();
  if (v->IsString()) {  // keyword numbers (network.iana_number is "6")
    uint64_t n = 0;
    const std::string_view s = view(v);
    std::from_chars(s.data(), s.data() + s.size(), n);
    return n;
  }
  return 0;
}
int64_t i64(const Value* v) {
  return v != nullptr && v->IsInt64() ? v->GetInt64() : 0;
}

int hex_byte(std::string_view s) {
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > 0xff) return -1;
  return static_cast<int>(v);
}

void set_country_code(std::string& dst, const Value* v) {
  dst.assign(view(v));
  if (dst.size() != 2) return dst.clear();
  for (char& ch : dst) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (ch < 'A' || ch > 'Z') return dst.clear();
  }
}

void read_endpoint(const RecordFields& f, size_t base, Endpoint& e) {
  auto get = [&](size_t field) { return f.get(base + field); };
  set(e.ip_text, get(E::kIp));
  if (const auto ip = parse_ip(e.ip_text)) {
    e.ip = *ip;
    e.has_ip = true;
    e.is_public = is_public(*ip);
  }
  if (const Value* p = get(E::kPort); p != nullptr && p->IsUint() && p->GetUint() <= 65535)
    e.port = p->GetUint();
  e.bytes = u64(get(E::kBytes));
  e.packets = u64(get(E::kPackets));
  set(e.mac, get(E::kMac));
  set(e.mac_vendor, get(E::kMacVendor));
  set(e.service, get(E::kService));
  set(e.hostname, get(E::kHostname));
  set_if_empty(e.hostname, get(E::kDomain));
  set_country_code(e.country, get(E::kCountryIso));
  set(e.country_name, get(E::kCountryName));
  set(e.city, get(E::kCity));
  e.asn = static_cast<uint32_t>(std::min<uint64_t>(u64(get(E::kAsNumber)), UINT32_MAX));
  set(e.as_org, get(E::kAsOrg));
  set(e.as_class, get(E::kAsClass));
}

constexpr std::array<std::string_view, 7> kSeverities{"",       "low",      "medium",   "high",
                                                      "severe", "critical", "emergency"};
size_t severity_rank(std::string_view s) {
  for (size_t i = 0; i < kSeverities.size(); ++i)
    if (s == kSeverities[i]) return i;
  return 0;
}

void set_info(std::string& info, const RecordFields& f) {
  for (const size_t field : {F::kL7Info, F::kTlsServerName, F::kDnsQuestionName}) {
    set(info, f.get(field));
    if (!info.empty()) return;
  }
  const std::string_view domain = view(f.get(F::kUrlDomain)), url = view(f.get(F::kUrlOriginal));
  if (!domain.empty() || !url.empty()) {
    info.assign(domain);
    if (domain.empty() || url.starts_with('/')) info.append(url);
    return;
  }
  set(info, f.get(F::kSshClientSoftware));
  if (!info.empty()) return;
  set(info, f.get(F::kDhcpHostname));
}

// Sets the n-th element of a list reused across records, growing it when needed.
std::string& list_slot(std::vector<std::string>& v, size_t n) {
  if (n == v.size()) v.emplace_back();
  return v[n];
}

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
#if defined(__SSE2__)
    if (i + 16 <= n) {  // records are mostly ASCII: sixteen bytes at a time
      if (_mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))) == 0) {
        i += 16;
        continue;
      }
    }
#endif
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, sizeof w);
      if ((w & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xbf) return false;
    i += len;
  }
  return true;
}

size_t FlowSummary::heap_bytes() const noexcept {
  size_t n = 0;
  for (const std::string* s :
       {&id, &reason, &transport, &protocol, &application, &l7_proto, &category, &breed, &app, &info,
        &conn_state, &conn_state_major, &history, &risk_severity, &vlan, &sensor})
    n += string_heap(*s);
  for (const Endpoint* e : {&client, &server})
    for (const std::string* s : {&e->ip_text, &e->mac, &e->mac_vendor, &e->service, &e->hostname, &e->country,
                                 &e->country_name, &e->city, &e->as_org, &e->as_class})
      n += string_heap(*s);
  for (const auto* v : {&risks, &labels}) {
    n += v->capacity() * sizeof(std::string) + (v->capacity() ? 16 : 0);
    for (const std::string& s : *v) n += string_heap(s);
  }
  return n;
}

void FlowSummary::reset() noexcept {
  for (std::string* s :
       {&id, &reason, &transport, &protocol, &application, &l7_proto, &category, &breed, &app, &info,
        &conn_state, &conn_state_major, &history, &risk_severity, &vlan, &sensor})
    s->clear();
  for (Endpoint* e : {&client, &server}) {
    for (std::string* s : {&e->ip_text, &e->mac, &e->mac_vendor, &e->service, &e->hostname, &e->country,
                           &e->country_name, &e->city, &e->as_org, &e->as_class})
      s->clear();
    e->ip = {};
    e->port = kNoPort;
    e->bytes = e->packets = 0;
    e->asn = 0;
    e->has_ip = e->is_public = false;
  }
  risks.clear();
  labels.clear();
  run = 0;
  final = encrypted = labels_derived = false;
  sequence = 0;
  iana = -1;
  start_us = end_us = record_us = duration_ns = 0;
  flags = flags_ts = flags_tc = -1;
  risk_score = 0;
}

int64_t parse_rfc3339_us(std::string_view t) noexcept {
  // YYYY-MM-DDTHH:MM:SS[.ffffff]Z (the writer's form; UTC only)
  auto num = [&](size_t pos, size_t len, int& out) {
    if (pos + len > t.size()) return false;
    const auto [end, ec] = std::from_chars(t.data() + pos, t.data() + pos + len, out);
    return ec == std::errc() && end == t.data() + pos + len;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') || t[13] != ':' ||
      t[16] != ':' || !num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, s) || mo < 1 || mo > 12 || d < 1 || d > 31)
    return 0;
  int64_t frac_us = 0;
  size_t pos = 19;
  if (pos < t.size() && t[pos] == '.') {
    int64_t scale = 100000;
    for (++pos; pos < t.size() && t[pos] >= '0' && t[pos] <= '9'; ++pos) {
      frac_us += (t[pos] - '0') * scale;
      scale /= 10;
    }
  }
  if (pos >= t.size() || (t[pos] != 'Z' && t[pos] != 'z')) return 0;
  // days_from_civil (H. Hinnant)
  const int yy = y - (mo <= 2);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(yy - era * 400);
  const unsigned doy =
      (153 * static_cast<unsigned>(mo + (mo > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = int64_t{era} * 146097 + static_cast<int64_t>(doe) - 719468;
  return ((days * 24 + h) * 60 + mi) * 60'000'000LL + int64_t{s} * 1'000'000 + frac_us;
}

std::vector<std::string> derive_labels(const FlowSummary& s, uint64_t src_payload_bytes) {
  std::vector<std::string> out;
  derive_labels(s, src_payload_bytes, out);
  return out;
}

void derive_labels(const FlowSummary& s, uint64_t src_payload_bytes, std::vector<std::string>& out) {
  size_t n = 0;
  auto add = [&](std::string_view label) { list_slot(out, n++).assign(label); };
  const std::string_view st = s.conn_state;
  const bool tcp = s.transport == "tcp";
  const bool attempt =
      tcp && (st == "S0" || st == "REJ" || st == "RSTOS0" || (st == "SH" && s.server.bytes == 0));
  if (attempt) add("connection_attempt");
  // NULL, FIN-only and XMAS probes, or a lone SYN (at most one retransmission) that carried no data.
  const bool odd_flags =
      tcp && s.server.packets == 0 && (s.flags_ts == 0x00 || s.flags_ts == 0x01 || s.flags_ts == 0x29);
  const bool lone_syn = attempt && src_payload_bytes == 0 && s.client.packets <= 2;
  if (odd_flags || lone_syn) add("potential_scan");
  const bool one_way = (s.client.packets == 0) != (s.server.packets == 0);
  // A one-way capture of a TCP session whose handshake went through (SYN then ACK from the same side):
  // the other side exists, only the capture missed it.
  const size_t syn = s.history.find('S');
  const bool handshake_seen =
      tcp && syn != std::string::npos && s.history.find_first_of("AD", syn) != std::string::npos;
  if (one_way && !handshake_seen) add("unidirectional");
  out.resize(n);
}

std::string_view service_name(uint32_t port, std::string_view transport) {
  if (port == kNoPort || port > 65535 || (transport != "tcp" && transport != "udp" && transport != "sctp"))
    return {};
  static std::mutex mu;
  static std::unordered_map<uint32_t, std::string> cache;  // (port << 2 | transport) -> name ("" = none)
  const uint32_t key = port << 2 | (transport == "tcp" ? 0u : transport == "udp" ? 1u : 2u);
  const std::lock_guard lock(mu);
  auto it = cache.find(key);
  if (it == cache.end()) {
    servent ent{}, *result = nullptr;
    std::array<char, 1024> buf{};
    const std::string proto(transport);
    std::string name;
    if (getservbyport_r(htons(static_cast<uint16_t>(port)), proto.c_str(), &ent, buf.data(), buf.size(),
                        &result) == 0 &&
        result != nullptr && result->s_name != nullptr)
      name = result->s_name;
    it = cache.emplace(key, std::move(name)).first;
  }
  return it->second;
}

struct RecordParser::Impl {
  std::vector<char> text;  // NUL-terminated copy (and kPadding), parsed in place
  RecordFields fields;
};

RecordParser::RecordParser() : impl_(std::make_unique<Impl>()) {}
RecordParser::~RecordParser() = default;

ParseStatus RecordParser::parse(std::string_view text, FlowSummary& out) {
  Impl& m = *impl_;
  m.text.resize(text.size() + 1 + kPadding);
  std::memcpy(m.text.data(), text.data(), text.size());
  return parse_in_place(m.text.data(), text.size(), out);
}

ParseStatus RecordParser::parse_in_place(char* text, size_t len, FlowSummary& out) {
  Impl& m = *impl_;
  text[len] = '\0';
  // The parser reads up to the first NUL; the text must be UTF-8 up to there. Checked here, a word at a time,
  // rather than by RapidJSON's byte-by-byte validation (same rules: RFC 3629).
  if (!is_valid_utf8(std::string_view(text, std::strlen(text)))) return ParseStatus::kInvalidJson;
  if (!m.fields.parse(text)) return ParseStatus::kInvalidJson;
  const RecordFields& f = m.fields;
  out.reset();
  set(out.id, f.get(F::kFlowId));
  if (out.id.empty()) return ParseStatus::kNotAFlow;
  const Value* fin = f.get(F::kFlowFinal);
  out.final = fin != nullptr && fin->IsBool() && fin->GetBool();
  out.sequence = u64(f.get(F::kFlowSequence));
  set(out.reason, f.get(F::kEventReason));
  set(out.sensor, f.get(F::kObserverName));
  out.start_us = parse_rfc3339_us(view(f.get(F::kEventStart)));
  out.end_us = parse_rfc3339_us(view(f.get(F::kEventEnd)));
  out.duration_ns = i64(f.get(F::kEventDuration));
  out.record_us = parse_rfc3339_us(view(f.get(F::kTimestamp)));
  set(out.transport, f.get(F::kNetTransport));
  const Value* iana = f.get(F::kNetIana);
  out.iana = iana != nullptr ? static_cast<int>(std::min<uint64_t>(u64(iana), 255)) : -1;
  set(out.protocol, f.get(F::kNetProtocol));
  set(out.application, f.get(F::kNetApplication));
  set(out.vlan, f.get(F::kNetVlanId));
  set(out.l7_proto, f.get(F::kL7Proto));
  set(out.category, f.get(F::kL7Category));
  set(out.breed, f.get(F::kL7Breed));
  if (!out.l7_proto.empty() && out.l7_proto != "unknown") {
    out.app.assign(out.l7_proto);
  } else if (!out.protocol.empty()) {
    out.app.assign(out.protocol);
    if (!out.application.empty() && out.application != out.protocol)
      out.app.append(".").append(out.application);
  } else {
    out.app.assign("unknown");
  }
  const Value* enc = f.get(F::kL7Encrypted);
  out.encrypted = enc != nullptr && enc->IsBool()
                      ? enc->GetBool()
                      : (f.get(F::kTls) != nullptr || out.protocol == "tls" || out.protocol == "ssh" ||
                         out.protocol == "quic" || out.protocol == "dtls");
  read_endpoint(f, F::kSrc, out.client);
  read_endpoint(f, kDstFields, out.server);
  if (out.server.service.empty()) out.server.service.assign(service_name(out.server.port, out.transport));
  if (out.client.service.empty() && out.client.port < 1024)
    out.client.service.assign(service_name(out.client.port, out.transport));
  set_info(out.info, f);
  set(out.conn_state, f.get(F::kTcpConnState));
  set_if_empty(out.conn_state, f.get(F::kFlowConnState));
  set(out.conn_state_major, f.get(F::kTcpConnStateMajor));
  set(out.history, f.get(F::kTcpHistory));
  set_if_empty(out.history, f.get(F::kFlowHistory));
  out.flags = hex_byte(view(f.get(F::kTcpFlags)));
  out.flags_ts = hex_byte(view(f.get(F::kTcpFlagsTs)));
  out.flags_tc = hex_byte(view(f.get(F::kTcpFlagsTc)));
  out.risk_score = static_cast<uint32_t>(std::min<uint64_t>(u64(f.get(F::kRiskScore)), UINT32_MAX));
  if (out.risk_score == 0)
    out.risk_score = static_cast<uint32_t>(std::min<uint64_t>(u64(f.get(F::kEventRiskScore)), UINT32_MAX));
  if (const Value* list = f.get(F::kRiskList); list != nullptr && list->IsArray()) {
    size_t n = 0;
    for (const RecordFields::Risk& item : f.risks()) {
      std::string& name = list_slot(out.risks, n++);
      set(name, item.has_name ? &item.name : nullptr);
      if (name.empty()) name.assign("risk ").append(std::to_string(u64(item.has_id ? &item.id : nullptr)));
      const std::string_view sev =
          view(item.has_severity ? &item.severity : nullptr);  // nDPI writes "Medium"; compare in lowercase
      char lower[16];
      if (sev.size() > sizeof lower) continue;  // no known severity is that long
      for (size_t i = 0; i < sev.size(); ++i)
        lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(sev[i])));
      const std::string_view sev_lower(lower, sev.size());
      if (severity_rank(sev_lower) > severity_rank(out.risk_severity)) out.risk_severity.assign(sev_lower);
    }
    out.risks.resize(n);
  }
  if (const Value* labels = f.get(F::kLabels); labels != nullptr && labels->IsArray()) {
    size_t n = 0;
    for (const std::string_view l : f.labels()) list_slot(out.labels, n++).assign(l);
    out.labels.resize(n);
    out.labels_derived = false;
  } else {
    derive_labels(out, u64(f.get(F::kSrcPayloadBytes)), out.labels);
    out.labels_derived = true;
  }
  return ParseStatus::kOk;
}

}  // namespace spanwatch::viewer
