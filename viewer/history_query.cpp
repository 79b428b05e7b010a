// History search: parameter validation and the ClickHouse SQL it becomes.
#include "viewer/history_query.hpp"

#include <fmt/format.h>

#include <charconv>

#include "viewer/flow_summary.hpp"

namespace spanwatch::viewer {
namespace {

constexpr std::string_view kKnownParams[] = {"from", "to",  "ip",         "port",  "application", "sni",
                                             "ja3",  "ja4", "conn_state", "label", "sensor",      "limit"};

bool parse_uint64(std::string_view s, uint64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The comma-separated values of every occurrence of `name`, each parsed by `parse` (nullopt = bad value).
template <class T, class Parse>
std::vector<T> values(const QueryParams& params, const std::string& name, std::vector<QueryError>& errors,
                      Parse parse, std::string_view what) {
  std::vector<T> out;
  const auto [lo, hi] = params.equal_range(name);
  for (auto it = lo; it != hi; ++it) {
    std::string_view rest = it->second;
    while (true) {
      const size_t comma = rest.find(',');
      const std::string_view item = trim(rest.substr(0, comma));
      if (!item.empty()) {
        std::optional<T> v;
        if (item.size() <= kMaxHistoryValueBytes) v = parse(item);
        if (!v) {
          errors.push_back({name, fmt::format("\"{}\" is not {}", item.substr(0, 40), what)});
          return {};
        }
        out.push_back(std::move(*v));
        if (out.size() > kMaxHistoryValues) {
          errors.push_back({name, fmt::format("more than {} values", kMaxHistoryValues)});
          return {};
        }
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

// Unix seconds, or RFC 3339 UTC ("2026-11-23T14:00:00Z", fractions allowed and dropped).
std::optional<int64_t> parse_time(std::string_view s) {
  uint64_t n = 0;
  if (parse_uint64(s, n))
    return n <= 4'102'444'800 ? std::optional<int64_t>(static_cast<int64_t>(n)) : std::nullopt;
  const int64_t us = parse_rfc3339_us(s);
  if (us <= 0) return std::nullopt;
  return us / 1'000'000;
}

std::optional<PortRange> parse_port_range(std::string_view s) {
  PortRange r;
  uint64_t lo = 0, hi = 0;
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos) {
    if (!parse_uint64(s, lo)) return std::nullopt;
    hi = lo;
  } else if (!parse_uint64(s.substr(0, dash), lo) || !parse_uint64(s.substr(dash + 1), hi)) {
    return std::nullopt;
  }
  if (lo > hi || hi > 65535) return std::nullopt;
  r.lo = static_cast<uint32_t>(lo);
  r.hi = static_cast<uint32_t>(hi);
  return r;
}

// Printable text without control bytes (values are compared with what the sensor wrote, never patterns).
std::optional<std::string> parse_text(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return std::nullopt;
  return std::string(s);
}

std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// `expr` IN ('a', 'b'), values quoted.
std::string in_list(std::string_view expr, const std::vector<std::string>& vals, bool lower) {
  std::string out = fmt::format("{} IN (", expr);
  for (size_t i = 0; i < vals.size(); ++i) {
    if (i) out += ", ";
    out += quote_literal(lower ? lower_ascii(vals[i]) : vals[i]);
  }
  return out + ")";
}

std::string hex(const uint8_t* p, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02X}", p[i]);
  return out;
}

// One side's address column against a block. IPv4 blocks compare the address as a number (IPv4StringToNum
// gives 0 for text that is not IPv4, and 0.0.0.0/8 is never a flow's address); IPv6 blocks compare the
// leading bytes of IPv6StringToNum, so their prefix is rounded down to whole bytes (a wider search, never a
// narrower one). A single address compares the text the sensor wrote (the canonical form).
std::string ip_condition(std::string_view column, const Cidr& c) {
  if (c.prefix_bits == 128) {
    return fmt::format("{} = {}", column, quote_literal(to_string(c.net)));
  }
  if (c.net.is_v4()) {
    const uint8_t* b = c.net.v4();
    const uint32_t net = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    const unsigned bits = c.prefix_bits - 96u;
    const uint32_t last = bits == 0 ? 0xffffffffu : net | (0xffffffffu >> bits);
    return fmt::format("IPv4StringToNum({}) BETWEEN {} AND {}", column, net == 0 ? 1u : net, last);
  }
  const size_t whole = c.prefix_bits / 8;
  if (whole == 0) return fmt::format("position({}, ':') > 0", column);
  return fmt::format("(position({0}, ':') > 0 AND substring(IPv6StringToNum({0}), 1, {1}) = unhex('{2}'))",
                     column, whole, hex(c.net.bytes.data(), whole));
}

}  // namespace

HistorySearch parse_history_search(const QueryParams& params, uint32_t max_rows,
                                   std::vector<QueryError>& errors) {
  HistorySearch s;
  for (const auto& [k, v] : params) {
    bool known = false;
    for (std::string_view p : kKnownParams) known = known || k == p;
    if (!known) errors.push_back({k.substr(0, 40), "unknown parameter"});
  }
  for (const char* name : {"from", "to"}) {
    const auto t = values<int64_t>(params, name, errors, parse_time, "Unix seconds or an RFC 3339 UTC time");
    if (t.size() > 1) errors.push_back({name, "give one time"});
    if (t.size() == 1) (name[0] == 'f' ? s.from_s : s.to_s) = t[0];
  }
  if (s.from_s && s.to_s && *s.from_s > *s.to_s) errors.push_back({"to", "is before from"});
  s.ip = values<Cidr>(
      params, "ip", errors, [](std::string_view v) { return parse_cidr(v); }, "an IP address or CIDR block");
  s.port = values<PortRange>(params, "port", errors, parse_port_range, "a port or port range (0-65535)");
  s.application = values<std::string>(params, "application", errors, parse_text, "an application name");
  s.sni = values<std::string>(params, "sni", errors, parse_text, "a server name");
  s.ja3 = values<std::string>(params, "ja3", errors, parse_text, "a JA3 hash");
  s.ja4 = values<std::string>(params, "ja4", errors, parse_text, "a JA4 fingerprint");
  s.conn_state = values<std::string>(params, "conn_state", errors, parse_text, "a connection state");
  s.label = values<std::string>(params, "label", errors, parse_text, "a label");
  s.sensor = values<std::string>(params, "sensor", errors, parse_text, "a sensor (observer) name");
  const auto limit = values<uint64_t>(
      params, "limit", errors,
      [max_rows](std::string_view v) -> std::optional<uint64_t> {
        uint64_t n = 0;
        if (!parse_uint64(v, n) || n < 1 || n > max_rows) return std::nullopt;
        return n;
      },
      fmt::format("a number of rows in 1-{}", max_rows));
  if (limit.size() > 1) errors.push_back({"limit", "give one limit"});
  s.limit = limit.size() == 1 ? static_cast<uint32_t>(limit[0]) : std::min<uint32_t>(100, max_rows);
  return s;
}

bool valid_table_name(std::string_view t) {
  auto ident = [](std::string_view p) {
    if (p.empty() || p.size() > 64 || (p[0] >= '0' && p[0] <= '9')) return false;
    for (char c : p)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
        return false;
    return true;
  };
  const size_t dot = t.find('.');
  if (dot == std::string_view::npos) return ident(t);
  return ident(t.substr(0, dot)) && ident(t.substr(dot + 1));
}

std::string quote_literal(std::string_view v) {
  std::string out;
  out.reserve(v.size() + 2);
  out += '\'';
  for (unsigned char c : v) {
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '\'';
  return out;
}

std::string history_sql(const HistorySearch& s, std::string_view table) {
  std::vector<std::string> where;
  if (s.from_s) where.push_back(fmt::format("ts >= toDateTime({})", *s.from_s));
  if (s.to_s) where.push_back(fmt::format("ts <= toDateTime({})", *s.to_s));
  if (!s.ip.empty()) {
    std::string any;
    for (const Cidr& c : s.ip)
      any += fmt::format("{}{} OR {}", any.empty() ? "" : " OR ", ip_condition("src_ip", c),
                         ip_condition("dst_ip", c));
    where.push_back(fmt::format("({})", any));
  }
  if (!s.port.empty()) {
    std::string any;
    for (const PortRange& r : s.port)
      any += fmt::format("{}src_port BETWEEN {} AND {} OR dst_port BETWEEN {} AND {}",
                         any.empty() ? "" : " OR ", r.lo, r.hi, r.lo, r.hi);
    // A port of 0 in the table means "none" (ICMP, ...): only a search for 0 itself finds it.
    where.push_back(fmt::format("({})", any));
  }
  if (!s.application.empty())
    where.push_back(fmt::format("({} OR {})", in_list("lower(l7_app)", s.application, true),
                                in_list("lower(protocol)", s.application, true)));
  if (!s.sni.empty()) where.push_back(in_list("lower(tls_sni)", s.sni, true));
  if (!s.ja3.empty()) where.push_back(in_list("lower(ja3)", s.ja3, true));
  if (!s.ja4.empty()) where.push_back(in_list("ja4", s.ja4, false));
  if (!s.conn_state.empty()) where.push_back(in_list("conn_state", s.conn_state, false));
  if (!s.label.empty()) {
    std::string any;
    for (const std::string& l : s.label)
      any += fmt::format("{}has(labels, {})", any.empty() ? "" : " OR ", quote_literal(l));
    where.push_back(fmt::format("({})", any));
  }
  if (!s.sensor.empty()) where.push_back(in_list("observer", s.sensor, false));
  std::string sql = fmt::format("SELECT msg_id, record FROM {}", table);
  for (size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  sql += fmt::format(" ORDER BY ts DESC, start_ts DESC, msg_id LIMIT 1 BY msg_id LIMIT {} FORMAT JSONEachRow",
                     s.limit);
  return sql;
}

std::string history_record_sql(std::string_view msg_id, std::string_view table) {
  return fmt::format("SELECT msg_id, record FROM {} WHERE msg_id = {} LIMIT 1 FORMAT JSONEachRow", table,
                     quote_literal(msg_id));
}

}  // namespace spanwatch::viewer
