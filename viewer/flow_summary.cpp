// RecordParser: one ring record (JSON text) -> FlowSummary, with RapidJSON parsing in place into reused
// memory pools (no allocation per record beyond the summary's own strings), and the derived fields.
#include "viewer/flow_summary.hpp"

#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <initializer_list>
#include <mutex>
#include <unordered_map>

#include <rapidjson/error/en.h>

#include "viewer/ip_match.hpp"
#include "viewer/string_heap_bytes.hpp"

namespace spanwatch::viewer {
namespace {

using rapidjson::Value;
using Pool = rapidjson::MemoryPoolAllocator<>;
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;

// Parse arena sizes: a full flow record (about 2-4 KB of JSON) fits without touching the heap.
constexpr size_t kValuePoolBytes = 64 * 1024;
constexpr size_t kStackPoolBytes = 16 * 1024;
constexpr size_t kMaxLabels = 16;   // labels/risks kept per flow; the record bounds them too
constexpr size_t kMaxRisks = 32;

const Value* member(const Value* v, std::string_view key) {
  if (v == nullptr || !v->IsObject()) return nullptr;
  const Value name(rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size())));
  const auto it = v->FindMember(name);
  return it == v->MemberEnd() ? nullptr : &it->value;
}

const Value* at(const Value& root, std::initializer_list<std::string_view> path) {
  const Value* v = &root;
  for (std::string_view k : path) {
    v = member(v, k);
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::string str(const Value* v) {
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}
std::string_view view(const Value* v) {
  return v != nullptr && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength())
                                       : std::string_view();
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

std::string country_code(const Value* v) {
  std::string c = str(v);
  if (c.size() != 2) return {};
  for (char& ch : c) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (ch < 'A' || ch > 'Z') return {};
  }
  return c;
}

void read_endpoint(const Value& root, std::string_view ecs, std::string_view sw, Endpoint& e) {
  const Value* side = member(&root, ecs);
  const Value* ext = at(root, {"spanwatch", sw});
  e.ip_text = str(member(side, "ip"));
  if (const auto ip = parse_ip(e.ip_text)) {
    e.ip = *ip;
    e.has_ip = true;
    e.is_public = is_public(*ip);
  }
  if (const Value* p = member(side, "port"); p != nullptr && p->IsUint() && p->GetUint() <= 65535)
    e.port = p->GetUint();
  e.bytes = u64(member(side, "bytes"));
  e.packets = u64(member(side, "packets"));
  e.mac = str(member(side, "mac"));
  e.mac_vendor = str(member(ext, "mac_vendor"));
  e.service = str(member(ext, "service"));
  e.hostname = str(member(ext, "hostname"));
  if (e.hostname.empty()) e.hostname = str(member(side, "domain"));
  const Value* geo = member(side, "geo");
  e.country = country_code(member(geo, "country_iso_code"));
  e.country_name = str(member(geo, "country_name"));
  e.city = str(member(geo, "city_name"));
  const Value* as = member(side, "as");
  e.asn = static_cast<uint32_t>(std::min<uint64_t>(u64(member(as, "number")), UINT32_MAX));
  e.as_org = as != nullptr ? str(at(*as, {"organization", "name"})) : std::string();
  e.as_class = str(member(ext, "as_class"));
}

constexpr std::array<std::string_view, 7> kSeverities{"", "low", "medium", "high", "severe", "critical",
                                                      "emergency"};
size_t severity_rank(std::string_view s) {
  for (size_t i = 0; i < kSeverities.size(); ++i)
    if (s == kSeverities[i]) return i;
  return 0;
}

std::string info_of(const Value& root) {
  std::string info = str(at(root, {"spanwatch", "l7", "info"}));
  if (!info.empty()) return info;
  for (const auto& path : {std::initializer_list<std::string_view>{"tls", "client", "server_name"},
                           std::initializer_list<std::string_view>{"dns", "question", "name"}}) {
    info = str(at(root, path));
    if (!info.empty()) return info;
  }
  const std::string_view domain = view(at(root, {"url", "domain"})), url = view(at(root, {"url", "original"}));
  if (!domain.empty() || !url.empty()) {
    info.assign(domain);
    if (domain.empty() || url.starts_with('/')) info.append(url);
    return info;
  }
  info = str(at(root, {"spanwatch", "ssh", "client", "software"}));
  if (!info.empty()) return info;
  return str(at(root, {"spanwatch", "dhcp", "hostname"}));
}

}  // namespace

size_t FlowSummary::heap_bytes() const noexcept {
  size_t n = 0;
  for (const std::string* s : {&id, &reason, &transport, &protocol, &application, &l7_proto, &category, &breed,
                               &app, &info, &conn_state, &conn_state_major, &history, &risk_severity, &vlan, &sensor})
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
  const unsigned doy = (153 * static_cast<unsigned>(mo + (mo > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = int64_t{era} * 146097 + static_cast<int64_t>(doe) - 719468;
  return ((days * 24 + h) * 60 + mi) * 60'000'000LL + int64_t{s} * 1'000'000 + frac_us;
}

std::vector<std::string> derive_labels(const FlowSummary& s, uint64_t src_payload_bytes) {
  std::vector<std::string> out;
  const std::string_view st = s.conn_state;
  const bool tcp = s.transport == "tcp";
  const bool attempt = tcp && (st == "S0" || st == "REJ" || st == "RSTOS0" || (st == "SH" && s.server.bytes == 0));
  if (attempt) out.emplace_back("connection_attempt");
  // NULL, FIN-only and XMAS probes, or a lone SYN (at most one retransmission) that carried no data.
  const bool odd_flags = tcp && s.server.packets == 0 && (s.flags_ts == 0x00 || s.flags_ts == 0x01 || s.flags_ts == 0x29);
  const bool lone_syn = attempt && src_payload_bytes == 0 && s.client.packets <= 2;
  if (odd_flags || lone_syn) out.emplace_back("potential_scan");
  const bool one_way = (s.client.packets == 0) != (s.server.packets == 0);
  // A one-way capture of a TCP session whose handshake went through (SYN then ACK from the same side):
  // the other side exists, only the capture missed it.
  const size_t syn = s.history.find('S');
  const bool handshake_seen = tcp && syn != std::string::npos && s.history.find_first_of("AD", syn) != std::string::npos;
  if (one_way && !handshake_seen) out.emplace_back("unidirectional");
  return out;
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
  std::vector<char> text;  // NUL-terminated copy, parsed in place
  std::unique_ptr<char[]> value_buf = std::make_unique<char[]>(kValuePoolBytes);
  std::unique_ptr<char[]> stack_buf = std::make_unique<char[]>(kStackPoolBytes);
  Pool value_pool{value_buf.get(), kValuePoolBytes};
  Pool stack_pool{stack_buf.get(), kStackPoolBytes};
};

RecordParser::RecordParser() : impl_(std::make_unique<Impl>()) {}
RecordParser::~RecordParser() = default;

ParseStatus RecordParser::parse(std::string_view text, FlowSummary& out) {
  Impl& m = *impl_;
  m.text.assign(text.begin(), text.end());
  m.text.push_back('\0');
  m.value_pool.Clear();
  m.stack_pool.Clear();
  Document doc(&m.value_pool, kStackPoolBytes, &m.stack_pool);
  doc.ParseInsitu<rapidjson::kParseValidateEncodingFlag>(m.text.data());
  if (doc.HasParseError() || !doc.IsObject()) return ParseStatus::kInvalidJson;
  const Value& r = doc;
  const Value* flow = at(r, {"spanwatch", "flow"});
  out.id = str(member(flow, "id"));
  if (out.id.empty()) return ParseStatus::kNotAFlow;
  const Value* fin = member(flow, "final");
  out.final = fin != nullptr && fin->IsBool() && fin->GetBool();
  out.sequence = u64(member(flow, "sequence"));
  const Value* event = member(&r, "event");
  out.reason = str(member(event, "reason"));
  out.sensor = str(at(r, {"observer", "name"}));
  out.start_us = parse_rfc3339_us(view(member(event, "start")));
  out.end_us = parse_rfc3339_us(view(member(event, "end")));
  out.duration_ns = i64(member(event, "duration"));
  out.record_us = parse_rfc3339_us(view(member(&r, "@timestamp")));
  const Value* net = member(&r, "network");
  out.transport = str(member(net, "transport"));
  const Value* iana = member(net, "iana_number");
  out.iana = iana != nullptr ? static_cast<int>(std::min<uint64_t>(u64(iana), 255)) : -1;
  out.protocol = str(member(net, "protocol"));
  out.application = str(member(net, "application"));
  out.vlan = str(at(r, {"network", "vlan", "id"}));
  const Value* l7 = at(r, {"spanwatch", "l7"});
  out.l7_proto = str(member(l7, "proto"));
  out.category = str(member(l7, "category"));
  out.breed = str(member(l7, "breed"));
  if (!out.l7_proto.empty() && out.l7_proto != "unknown")
    out.app = out.l7_proto;
  else if (!out.protocol.empty())
    out.app = out.application.empty() || out.application == out.protocol ? out.protocol
                                                                        : out.protocol + "." + out.application;
  else
    out.app = "unknown";
  const Value* enc = member(l7, "encrypted");
  out.encrypted = enc != nullptr && enc->IsBool()
                      ? enc->GetBool()
                      : (member(&r, "tls") != nullptr || out.protocol == "tls" || out.protocol == "ssh" ||
                         out.protocol == "quic" || out.protocol == "dtls");
  read_endpoint(r, "source", "src", out.client);
  read_endpoint(r, "destination", "dst", out.server);
  if (out.server.service.empty()) out.server.service = service_name(out.server.port, out.transport);
  if (out.client.service.empty() && out.client.port < 1024)
    out.client.service = service_name(out.client.port, out.transport);
  out.info = info_of(r);
  const Value* tcp = at(r, {"spanwatch", "tcp"});
  out.conn_state = str(member(tcp, "conn_state"));
  if (out.conn_state.empty()) out.conn_state = str(member(flow, "conn_state"));
  out.conn_state_major = str(member(tcp, "conn_state_major"));
  out.history = str(member(tcp, "history"));
  if (out.history.empty()) out.history = str(member(flow, "history"));
  out.flags = hex_byte(view(member(tcp, "flags")));
  out.flags_ts = hex_byte(view(member(tcp, "flags_ts")));
  out.flags_tc = hex_byte(view(member(tcp, "flags_tc")));
  const Value* risk = at(r, {"spanwatch", "risk"});
  out.risk_score = static_cast<uint32_t>(std::min<uint64_t>(u64(member(risk, "score")), UINT32_MAX));
  if (out.risk_score == 0)
    out.risk_score = static_cast<uint32_t>(std::min<uint64_t>(u64(at(r, {"event", "risk_score"})), UINT32_MAX));
  out.risks.clear();
  out.risk_severity.clear();
  if (const Value* list = member(risk, "list"); list != nullptr && list->IsArray()) {
    for (const Value& item : list->GetArray()) {
      if (out.risks.size() >= kMaxRisks) break;
      std::string name = str(member(&item, "name"));
      if (name.empty()) name = "risk " + std::to_string(u64(member(&item, "id")));
      out.risks.push_back(std::move(name));
      std::string sev(view(member(&item, "severity")));  // nDPI writes "Medium"; compare in lowercase
      for (char& c : sev) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (severity_rank(sev) > severity_rank(out.risk_severity)) out.risk_severity = sev;
    }
  }
  out.labels.clear();
  if (const Value* labels = at(r, {"spanwatch", "labels"}); labels != nullptr && labels->IsArray()) {
    for (const Value& l : labels->GetArray())
      if (l.IsString() && out.labels.size() < kMaxLabels) out.labels.push_back(str(&l));
    out.labels_derived = false;
  } else {
    out.labels = derive_labels(out, u64(at(r, {"spanwatch", "src", "payload_bytes"})));
    out.labels_derived = true;
  }
  return ParseStatus::kOk;
}

}  // namespace spanwatch::viewer
