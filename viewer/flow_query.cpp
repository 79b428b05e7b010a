// Filters (URL parameters -> FlowFilter -> match) and sorting with paging (aggregation: flow_aggregate.cpp).
#include "viewer/flow_query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <unordered_map>

#include "viewer/three_way_compare.hpp"

namespace spanwatch::viewer {
namespace {

constexpr size_t kMaxParamBytes = 512;  // one filter parameter's value
constexpr size_t kMaxListValues = 64;   // comma-separated values per parameter
constexpr size_t kMaxOffset = 10'000'000;

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}
// `needle` must already be lowercase.
bool icontains(std::string_view hay, std::string_view needle) noexcept {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}
std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

template <class T>
bool parse_uint(std::string_view s, T& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Splits "a,b,!c"-style values. A leading '!' on the whole value negates the filter.
template <class T, class Conv>
AnyOf<T> parse_list(const QueryParams& params, const std::string& name, std::vector<QueryError>& errors,
                    Conv conv, const char* what) {
  AnyOf<T> out;
  auto [lo, hi] = params.equal_range(name);
  for (auto it = lo; it != hi; ++it) {
    std::string_view v = trim(it->second);
    if (v.empty()) continue;
    if (v.size() > kMaxParamBytes) {
      errors.push_back({name, "value longer than 512 bytes"});
      continue;
    }
    if (v.front() == '!') {
      out.negate = true;
      v.remove_prefix(1);
    }
    for (size_t start = 0; start <= v.size();) {
      const size_t comma = std::min(v.find(',', start), v.size());
      const std::string_view item = trim(v.substr(start, comma - start));
      start = comma + 1;
      if (item.empty()) continue;
      if (out.values.size() >= kMaxListValues) {
        errors.push_back({name, "more than 64 values"});
        break;
      }
      if (auto parsed = conv(item))
        out.values.push_back(std::move(*parsed));
      else
        errors.push_back({name, fmt::format("'{}' is not {}", item.substr(0, 64), what)});
    }
  }
  return out;
}

std::optional<std::string> as_string(std::string_view s) {
  return std::string(s);
}

template <class T, class Pred>
bool test(const AnyOf<T>& f, Pred pred) {
  if (!f.active()) return true;
  const bool any = std::any_of(f.values.begin(), f.values.end(), pred);
  return any != f.negate;
}

bool in_range(const PortRange& r, uint32_t port) noexcept {
  return port != kNoPort && port >= r.lo && port <= r.hi;
}

bool app_matches(const std::string& want, const FlowSummary& s) {
  if (iequals(want, s.app) || iequals(want, s.protocol) || iequals(want, s.application) ||
      iequals(want, s.l7_proto))
    return true;
  // "tls" also selects "tls.google"
  return s.app.size() > want.size() && s.app[want.size()] == '.' &&
         iequals(std::string_view(s.app).substr(0, want.size()), want);
}

bool text_matches(const std::string& needle, const FlowEntry& e) {
  const FlowSummary& s = e.s;
  for (const std::string* f :
       {&s.app, &s.protocol, &s.category, &s.info, &s.conn_state, &s.transport, &s.id, &s.history, &s.vlan})
    if (icontains(*f, needle)) return true;
  for (const Endpoint* ep : {&s.client, &s.server}) {
    for (const std::string* f : {&ep->ip_text, &ep->hostname, &ep->service, &ep->mac, &ep->mac_vendor,
                                 &ep->country, &ep->country_name, &ep->as_org})
      if (icontains(*f, needle)) return true;
    if (ep->port != kNoPort && icontains(std::to_string(ep->port), needle)) return true;
    if (ep->asn != 0 && icontains("as" + std::to_string(ep->asn), needle)) return true;
  }
  for (const auto* v : {&s.labels, &s.risks})
    for (const std::string& x : *v)
      if (icontains(x, needle)) return true;
  return false;
}

}  // namespace

int tcp_flag_bit(std::string_view name) {
  for (int i = 0; i < 8; ++i)
    if (iequals(name, kTcpFlagNames[i])) return 1 << i;
  return -1;
}

FlowFilter parse_filter(const QueryParams& params, std::vector<QueryError>& errors) {
  FlowFilter f;
  if (auto it = params.find("q"); it != params.end()) {
    if (it->second.size() > kMaxParamBytes)
      errors.push_back({"q", "value longer than 512 bytes"});
    else
      f.text = to_lower(trim(it->second));
  }
  auto cidr = [](std::string_view s) { return parse_cidr(s); };
  f.ip = parse_list<Cidr>(params, "ip", errors, cidr, "an IP address or CIDR block");
  f.client = parse_list<Cidr>(params, "client", errors, cidr, "an IP address or CIDR block");
  f.server = parse_list<Cidr>(params, "server", errors, cidr, "an IP address or CIDR block");
  auto range = [](std::string_view s) -> std::optional<PortRange> {
    PortRange r;
    const size_t dash = s.find('-');
    if (dash == std::string_view::npos) {
      if (!parse_uint(s, r.lo) || r.lo > 65535) return std::nullopt;
      r.hi = r.lo;
    } else if (!parse_uint(s.substr(0, dash), r.lo) || !parse_uint(s.substr(dash + 1), r.hi) || r.lo > r.hi ||
               r.hi > 65535) {
      return std::nullopt;
    }
    return r;
  };
  f.port = parse_list<PortRange>(params, "port", errors, range, "a port or port range (0-65535)");
  f.sport = parse_list<PortRange>(params, "sport", errors, range, "a port or port range (0-65535)");
  f.dport = parse_list<PortRange>(params, "dport", errors, range, "a port or port range (0-65535)");
  f.app = parse_list<std::string>(params, "app", errors, as_string, "an application");
  f.app_exact = parse_list<std::string>(params, "app_exact", errors, as_string, "an application");
  f.proto = parse_list<std::string>(params, "proto", errors, as_string, "a protocol");
  f.conn_state = parse_list<std::string>(params, "conn_state", errors, as_string, "a connection state");
  f.tcp_flag = parse_list<int>(
      params, "tcp_flag", errors,
      [](std::string_view s) -> std::optional<int> {
        const int b = tcp_flag_bit(s);
        return b < 0 ? std::nullopt : std::optional<int>(b);
      },
      "a TCP flag (FIN SYN RST PSH ACK URG ECE CWR)");
  f.label = parse_list<std::string>(params, "label", errors, as_string, "a label");
  f.country = parse_list<std::string>(
      params, "country", errors,
      [](std::string_view s) -> std::optional<std::string> {
        if (s.size() != 2 || !std::isalpha(static_cast<unsigned char>(s[0])) ||
            !std::isalpha(static_cast<unsigned char>(s[1])))
          return std::nullopt;
        return std::string{static_cast<char>(std::toupper(static_cast<unsigned char>(s[0]))),
                           static_cast<char>(std::toupper(static_cast<unsigned char>(s[1])))};
      },
      "a two-letter country code");
  f.asn = parse_list<uint32_t>(
      params, "asn", errors,
      [](std::string_view s) -> std::optional<uint32_t> {
        if (s.size() > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) s.remove_prefix(2);
        uint32_t n = 0;
        return parse_uint(s, n) ? std::optional<uint32_t>(n) : std::nullopt;
      },
      "an AS number");
  f.category = parse_list<std::string>(params, "category", errors, as_string, "a category");
  if (auto it = params.find("info"); it != params.end()) f.info = it->second;
  if (auto it = params.find("risk"); it != params.end() && !trim(it->second).empty())
    f.risk = to_lower(trim(it->second));
  if (auto it = params.find("state"); it != params.end()) {
    if (it->second == "active")
      f.state = FlowFilter::State::kActive;
    else if (it->second == "ended")
      f.state = FlowFilter::State::kEnded;
    else if (!it->second.empty() && it->second != "all")
      errors.push_back({"state", "must be all, active or ended"});
  }
  return f;
}

bool matches(const FlowFilter& f, const FlowEntry& e) {
  const FlowSummary& s = e.s;
  if (f.state == FlowFilter::State::kActive && s.final) return false;
  if (f.state == FlowFilter::State::kEnded && !s.final) return false;
  auto in = [](const IpAddress& a, bool has) {
    return [&a, has](const Cidr& c) { return has && c.contains(a); };
  };
  if (!test(f.client, in(s.client.ip, s.client.has_ip))) return false;
  if (!test(f.server, in(s.server.ip, s.server.has_ip))) return false;
  if (!test(f.ip, [&](const Cidr& c) {
        return (s.client.has_ip && c.contains(s.client.ip)) || (s.server.has_ip && c.contains(s.server.ip));
      }))
    return false;
  if (!test(f.sport, [&](const PortRange& r) { return in_range(r, s.client.port); })) return false;
  if (!test(f.dport, [&](const PortRange& r) { return in_range(r, s.server.port); })) return false;
  if (!test(f.port,
            [&](const PortRange& r) { return in_range(r, s.client.port) || in_range(r, s.server.port); }))
    return false;
  if (!test(f.app, [&](const std::string& a) { return app_matches(a, s); })) return false;
  if (!test(f.app_exact, [&](const std::string& a) { return a == s.app; })) return false;
  if (!test(f.proto, [&](const std::string& p) {
        return iequals(p, s.transport) || (s.iana >= 0 && p == std::to_string(s.iana));
      }))
    return false;
  if (!test(f.conn_state,
            [&](const std::string& c) { return iequals(c, s.conn_state) || iequals(c, s.conn_state_major); }))
    return false;
  if (f.tcp_flag.active()) {
    int want = 0;
    for (int b : f.tcp_flag.values) want |= b;
    const bool has = s.flags >= 0 && (s.flags & want) == want;
    if (has == f.tcp_flag.negate) return false;
  }
  if (!test(f.label, [&](const std::string& l) {
        return std::any_of(s.labels.begin(), s.labels.end(),
                           [&](const std::string& x) { return iequals(x, l); });
      }))
    return false;
  if (!test(f.country, [&](const std::string& c) { return c == s.client.country || c == s.server.country; }))
    return false;
  if (!test(f.asn, [&](uint32_t a) { return a != 0 && (a == s.client.asn || a == s.server.asn); }))
    return false;
  if (!test(f.category, [&](const std::string& c) { return iequals(c, s.category); })) return false;
  if (f.info && *f.info != s.info) return false;
  if (f.risk) {
    const std::string& r = *f.risk;
    uint32_t min_score = 0;
    if (r == "any") {
      if (s.risk_score == 0 && s.risks.empty()) return false;
    } else if (parse_uint(r, min_score)) {
      if (s.risk_score < min_score) return false;
    } else if (std::none_of(s.risks.begin(), s.risks.end(),
                            [&](const std::string& x) { return icontains(x, r); })) {
      return false;
    }
  }
  if (!f.text.empty() && !text_matches(f.text, e)) return false;
  return true;
}

Page parse_page(const QueryParams& params, size_t max_limit, std::vector<QueryError>& errors) {
  Page p;
  if (auto it = params.find("offset");
      it != params.end() && (!parse_uint(it->second, p.offset) || p.offset > kMaxOffset))
    errors.push_back({"offset", "must be a number up to 10000000"});
  if (auto it = params.find("limit");
      it != params.end() && (!parse_uint(it->second, p.limit) || p.limit == 0 || p.limit > max_limit))
    errors.push_back({"limit", "must be between 1 and " + std::to_string(max_limit)});
  static const std::pair<std::string_view, SortKey> kSorts[] = {
      {"last", SortKey::kLast},           {"app", SortKey::kApp},
      {"proto", SortKey::kProto},         {"client", SortKey::kClient},
      {"server", SortKey::kServer},       {"duration", SortKey::kDuration},
      {"breakdown", SortKey::kBreakdown}, {"throughput", SortKey::kThroughput},
      {"bytes", SortKey::kBytes},         {"packets", SortKey::kPackets},
      {"info", SortKey::kInfo},           {"start", SortKey::kStart},
      {"risk", SortKey::kRisk},           {"state", SortKey::kState}};
  if (auto it = params.find("sort"); it != params.end()) {
    const auto k = std::find_if(std::begin(kSorts), std::end(kSorts),
                                [&](const auto& s) { return s.first == it->second; });
    if (k == std::end(kSorts))
      errors.push_back({"sort", "unknown sort key"});
    else
      p.sort = k->second;
  }
  if (auto it = params.find("order"); it != params.end()) {
    if (it->second == "asc")
      p.desc = false;
    else if (it->second != "desc")
      errors.push_back({"order", "must be asc or desc"});
  }
  return p;
}

namespace {

int cmp_endpoint(const Endpoint& a, const Endpoint& b) {
  if (a.ip != b.ip) return a.ip < b.ip ? -1 : 1;
  if (a.port != b.port) return a.port < b.port ? -1 : 1;
  return 0;
}
double client_share(const FlowSummary& s) {
  const uint64_t b = s.bytes();
  return b == 0 ? 0.0 : static_cast<double>(s.client.bytes) / static_cast<double>(b);
}

int compare(SortKey k, const FlowStore& st, const FlowEntry& a, const FlowEntry& b) {
  const FlowSummary &x = a.s, &y = b.s;
  switch (k) {
    case SortKey::kLast:
      return cmp(a.received_ms, b.received_ms) != 0 ? cmp(a.received_ms, b.received_ms)
                                                    : cmp(x.end_us, y.end_us);
    case SortKey::kApp:
      return x.app.compare(y.app);
    case SortKey::kProto:
      return cmp(x.iana, y.iana) != 0 ? cmp(x.iana, y.iana) : x.transport.compare(y.transport);
    case SortKey::kClient:
      return cmp_endpoint(x.client, y.client);
    case SortKey::kServer:
      return cmp_endpoint(x.server, y.server);
    case SortKey::kDuration:
      return cmp(x.end_us - x.start_us, y.end_us - y.start_us);
    case SortKey::kBreakdown:
      return cmp(client_share(x), client_share(y));
    case SortKey::kThroughput:
      return cmp(st.current_bps(a), st.current_bps(b));
    case SortKey::kBytes:
      return cmp(x.bytes(), y.bytes());
    case SortKey::kPackets:
      return cmp(x.packets(), y.packets());
    case SortKey::kInfo:
      return x.info.compare(y.info);
    case SortKey::kStart:
      return cmp(x.start_us, y.start_us);
    case SortKey::kRisk:
      return cmp(x.risk_score, y.risk_score);
    case SortKey::kState:
      return cmp(x.final, y.final);
  }
  return 0;
}

}  // namespace

FlowList list_flows(const FlowStore& store, const FlowFilter& f, const Page& page) {
  std::vector<const FlowEntry*> hits;
  hits.reserve(std::min<size_t>(store.size(), 4096));
  store.for_each([&](const FlowEntry& e) {
    if (matches(f, e)) hits.push_back(&e);
  });
  FlowList out;
  out.total = hits.size();
  if (page.offset >= hits.size()) return out;
  auto less = [&](const FlowEntry* a, const FlowEntry* b) {
    int c = compare(page.sort, store, *a, *b);
    if (page.desc) c = -c;
    return c != 0 ? c < 0 : a->key < b->key;  // a total order: paging is stable
  };
  const size_t end = std::min(hits.size(), page.offset + page.limit);
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(end), hits.end(), less);
  out.flows.assign(hits.begin() + static_cast<std::ptrdiff_t>(page.offset),
                   hits.begin() + static_cast<std::ptrdiff_t>(end));
  return out;
}

}  // namespace spanwatch::viewer
