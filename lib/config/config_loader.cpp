// Config loading: a strict YAML walker (unknown keys, types, ranges) and the semantic validate(). Errors are
// collected, never thrown one by one, so the user fixes the whole file in one pass.
#include "lib/config/config_loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "lib/flow/flow_table.hpp"

namespace spanwatch::lib {
namespace {

using Errors = std::vector<ConfigError>;

// Parse errors carry their YAML line and are reported in file order, not in the order the walker met them.
class ParseErrors {
 public:
  void add(std::string key, std::string message, const YAML::Node& at) {
    const YAML::Mark m = at.Mark();
    const int line = m.is_null() ? 0 : m.line + 1;
    if (line > 0) message += fmt::format(" (line {})", line);
    items_.push_back({line, {std::move(key), std::move(message)}});
  }
  bool empty() const noexcept { return items_.empty(); }
  size_t size() const noexcept { return items_.size(); }
  Errors sorted() {
    std::stable_sort(items_.begin(), items_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    Errors out;
    for (auto& [line, e] : items_) out.push_back(std::move(e));
    return out;
  }

 private:
  std::vector<std::pair<int, ConfigError>> items_;
};

// Limits checked by validate(); each is what DPDK or the design allows, so messages can quote it.
inline constexpr unsigned kMinRingSize = 64;
inline constexpr unsigned kMaxRingSize = 1u << 20;
inline constexpr uint32_t kMinIpfixMtu = 1024;   // the templates and the longest record fit (ipfix builder)
inline constexpr uint32_t kMaxIpfixMtu = 65507;  // largest UDP payload
inline constexpr unsigned kMaxRxQueues = 64;
inline constexpr unsigned kMinRxDesc = 64;
inline constexpr unsigned kMaxRxDesc = 16384;
inline constexpr uint32_t kMinFlowsPerWorker = 1024;
inline constexpr uint32_t kMaxFlowsPerWorker =
    (1u << 27) - 1;  // packed metadata handles keep 27 bits of slot
static_assert(kMaxFlowsPerWorker <= kFlowTableMaxCapacity, "the flow table's 4-byte slots hold the index");
inline constexpr unsigned kMinMemoryMb = 64;
inline constexpr unsigned kMinMtu = 68;    // the IPv4 minimum
inline constexpr unsigned kMaxMtu = 9600;  // the largest jumbo MTU the supported NICs take (9000 is usual)
inline constexpr unsigned kMaxMbufCache = 512;  // RTE_MEMPOOL_CACHE_MAX_SIZE
inline constexpr size_t kMaxShownValue = 40;    // bad values are quoted up to this many characters

inline constexpr std::array<std::string_view, 8> kLinkTypeNames{"ethernet",  "raw",        "null", "loop",
                                                                "linux_sll", "linux_sll2", "ipv4", "ipv6"};
inline constexpr std::array<std::string_view, 3> kFsyncNames{"none", "rotate", "interval"};  // output.fsync
inline constexpr std::array<std::string_view, 8> kLogLevelNames{"emergency", "alert",  "critical", "error",
                                                                "warning",   "notice", "info",     "debug"};

}  // namespace

unsigned log_level_number(std::string_view level) noexcept {
  for (size_t i = 0; i < kLogLevelNames.size(); ++i)
    if (kLogLevelNames[i] == level) return static_cast<unsigned>(i + 1);
  if (level.size() == 1 && level[0] >= '1' && level[0] <= '8') return static_cast<unsigned>(level[0] - '0');
  return 0;
}

namespace {

std::string join_key(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}
std::string index_key(std::string_view path, size_t i) {
  return fmt::format("{}[{}]", path, i);
}

// How a bad value is quoted in a message.
std::string shown(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      return s.size() <= kMaxShownValue ? fmt::format("\"{}\"", s)
                                        : fmt::format("\"{}...\"", s.substr(0, kMaxShownValue));
    }
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

// ---- closest-match hint for unknown keys ------------------------------------------------------------------

// Optimal string alignment distance (Levenshtein plus adjacent transpositions: "idel" -> "idle" costs 1).
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// " (did you mean idle_timeout_s?)", naming every equally close candidate; "" when nothing is close.
std::string suggestion(std::string_view key, const std::vector<std::string_view>& known) {
  size_t best = std::numeric_limits<size_t>::max();
  std::vector<std::string_view> picks;
  for (std::string_view k : known) {
    const size_t dist = edit_distance(key, k);
    if (dist > std::max<size_t>(2, k.size() / 3)) continue;  // a third of the word may be wrong
    if (dist < best) {
      best = dist;
      picks.clear();
    }
    if (dist == best) picks.push_back(k);
  }
  if (picks.empty()) return {};
  std::string s = " (did you mean ";
  for (size_t i = 0; i < picks.size(); ++i) {
    if (i) s += i + 1 == picks.size() ? " or " : ", ";
    s += picks[i];
  }
  return s + "?)";
}

// ---- scalar conversions: report and keep the default on error ---------------------------------------------

bool parse_u64(const std::string& s, uint64_t& v) {
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const char* b = s.data() + (hex ? 2 : 0);
  const char* e = s.data() + s.size();
  const auto r = std::from_chars(b, e, v, hex ? 16 : 10);
  return r.ec == std::errc() && r.ptr == e && b != e;
}

template <class T>
void read_unsigned(const YAML::Node& n, const std::string& key, T& out, ParseErrors& errs) {
  constexpr uint64_t kMax = std::numeric_limits<T>::max();
  if (!n.IsScalar()) {
    errs.add(key, fmt::format("expected an unsigned integer, got {}", shown(n)), n);
    return;
  }
  const std::string& s = n.Scalar();
  uint64_t v = 0;
  if (!s.empty() && s[0] == '-' && parse_u64(s.substr(1), v)) {
    errs.add(key, fmt::format("{} is negative; use a value from 0 to {}", s, kMax), n);
  } else if (s.find_first_not_of("0123456789") == std::string::npos && !s.empty() && !parse_u64(s, v)) {
    errs.add(key, fmt::format("{} is out of range; use at most {}", s, kMax), n);
  } else if (!parse_u64(s, v)) {
    errs.add(key, fmt::format("expected an unsigned integer, got {}", shown(n)), n);
  } else if (v > kMax) {
    errs.add(key, fmt::format("{} is out of range; use at most {}", s, kMax), n);
  } else {
    out = static_cast<T>(v);
  }
}

void read_int(const YAML::Node& n, const std::string& key, int& out, int min, ParseErrors& errs) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    int v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty()) {
      if (v >= min) {
        out = v;
      } else {
        errs.add(key, fmt::format("{} is below the minimum {}", s, min), n);
      }
      return;
    }
  }
  errs.add(key, fmt::format("expected an integer, got {}", shown(n)), n);
}

void read_bool(const YAML::Node& n, const std::string& key, bool& out, ParseErrors& errs) {
  static const std::set<std::string, std::less<>> kTrue{"true", "True", "TRUE", "yes", "Yes",
                                                        "YES",  "on",   "On",   "ON"};
  static const std::set<std::string, std::less<>> kFalse{"false", "False", "FALSE", "no", "No",
                                                         "NO",    "off",   "Off",   "OFF"};
  if (n.IsScalar() && kTrue.count(n.Scalar())) {
    out = true;
  } else if (n.IsScalar() && kFalse.count(n.Scalar())) {
    out = false;
  } else {
    errs.add(key, fmt::format("expected true or false, got {}", shown(n)), n);
  }
}

void read_string(const YAML::Node& n, const std::string& key, std::string& out, ParseErrors& errs) {
  if (n.IsScalar()) {
    out = n.Scalar();
  } else {
    errs.add(key, fmt::format("expected a string, got {}", shown(n)), n);
  }
}

// A list, or a single value as a one-element list (`rx: 1` is as clear as `rx: [1]`).
template <class T, class ReadOne>
void read_list(const YAML::Node& n, const std::string& key, std::vector<T>& out, ParseErrors& errs,
               ReadOne read_one) {
  if (n.IsMap()) {
    errs.add(key, "expected a list, got a map", n);
    return;
  }
  std::vector<T> v;
  const size_t before = errs.size();
  if (n.IsScalar()) {
    v.emplace_back();
    read_one(n, key, v.back(), errs);
  } else {
    for (size_t i = 0; i < n.size(); ++i) {
      v.emplace_back();
      read_one(n[i], index_key(key, i), v.back(), errs);
    }
  }
  if (errs.size() == before) out = std::move(v);
}

// One YAML map: typed reads mark keys as known; finish() reports the rest as unknown, and duplicates.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, ParseErrors& errs)
      : node_(node), path_(std::move(path)), errs_(errs) {
    if (!node_.IsDefined() || node_.IsNull()) {
      valid_ = false;  // absent or empty section: defaults
    } else if (!node_.IsMap()) {
      errs_.add(path_.empty() ? "(top level)" : path_,
                fmt::format("expected a map of keys, got {}", shown(node_)), node_);
      valid_ = false;
    }
  }
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  // The value under key; undefined when absent or null (null = "use the default").
  YAML::Node take(std::string_view key) {
    known_.push_back(key);
    if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) {
        return it->second.IsNull() ? YAML::Node(YAML::NodeType::Undefined) : it->second;
      }
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }
  std::string key(std::string_view k) const { return join_key(path_, k); }

  template <class T>
  void read(std::string_view k, T& out) {
    const YAML::Node n = take(k);
    if (!n.IsDefined()) return;
    if constexpr (std::is_same_v<T, bool>) {
      read_bool(n, key(k), out, errs_);
    } else if constexpr (std::is_same_v<T, std::string>) {
      read_string(n, key(k), out, errs_);
    } else if constexpr (std::is_same_v<T, std::vector<unsigned>>) {
      read_list(n, key(k), out, errs_, read_unsigned<unsigned>);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      read_list(n, key(k), out, errs_, read_string);
    } else {
      static_assert(std::is_unsigned_v<T>, "add a reader for this type");
      read_unsigned(n, key(k), out, errs_);
    }
  }
  void read_signed(std::string_view k, int& out, int min) {
    if (const YAML::Node n = take(k); n.IsDefined()) read_int(n, key(k), out, min, errs_);
  }

  void finish() {
    if (!valid_) return;
    std::map<std::string, int> seen;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (!it->first.IsScalar()) {
        errs_.add(path_.empty() ? "(top level)" : path_,
                  fmt::format("keys must be names, got {}", shown(it->first)), it->first);
        continue;
      }
      const std::string& k = it->first.Scalar();
      if (++seen[k] == 2) errs_.add(key(k), "duplicate key; keep one", it->first);
      if (std::find(known_.begin(), known_.end(), k) == known_.end()) {
        errs_.add(key(k), "unknown key" + suggestion(k, known_), it->first);
      }
    }
  }

 private:
  YAML::Node node_;
  std::string path_;
  ParseErrors& errs_;
  std::vector<std::string_view> known_;
  bool valid_ = true;
};

void read_port(const YAML::Node& n, const std::string& path, PortConfig& p, ParseErrors& errs) {
  MapReader m(n, path, errs);
  m.read("device", p.device);
  m.read("name", p.name);
  m.read("rx_queues", p.rx_queues);
  m.read("rx_desc", p.rx_desc);
  m.read("link_type", p.link_type);
  m.read("mtu", p.mtu);
  m.read("link_wait_s", p.link_wait_s);
  m.finish();
}

// services: {"tcp/8443": admin-ui, "udp/4789": vxlan}
void read_service_overrides(const YAML::Node& n, const std::string& key, std::vector<ServiceOverride>& out,
                            ParseErrors& errs) {
  if (!n.IsMap()) {
    errs.add(key, fmt::format("expected a map of \"tcp/PORT\": name, got {}", shown(n)), n);
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = it->first.IsScalar() ? it->first.Scalar() : std::string();
    const std::string item = join_key(key, k);
    const size_t slash = k.find('/');
    const std::string proto = k.substr(0, slash);
    uint64_t port = 0;
    ServiceOverride o;
    o.l4_proto = proto == "tcp" ? 6 : proto == "udp" ? 17 : proto == "sctp" ? 132 : 0;
    if (slash == std::string::npos || o.l4_proto == 0 || !parse_u64(k.substr(slash + 1), port) ||
        port > 65535) {
      errs.add(item, "expected tcp/PORT, udp/PORT or sctp/PORT with a port from 0 to 65535", it->first);
      continue;
    }
    o.port = static_cast<uint16_t>(port);
    if (!it->second.IsScalar() || it->second.Scalar().empty()) {
      errs.add(item, fmt::format("expected a service name, got {}", shown(it->second)), it->second);
      continue;
    }
    o.name = it->second.Scalar();
    out.push_back(std::move(o));
  }
}

void read_enrichment(const YAML::Node& n, EnrichmentConfig& e, ParseErrors& errs) {
  MapReader m(n, "enrichment", errs);
  m.read("enabled", e.enabled);
  m.read("local_networks", e.local_networks);
  m.read("service_files", e.service_files);
  if (const YAML::Node s = m.take("services"); s.IsDefined())
    read_service_overrides(s, m.key("services"), e.services, errs);
  m.read("mac_vendor_dir", e.mac_vendor_dir);
  for (const std::string_view k : {"geoip_city", "geoip_asn"}) {
    if (m.take(k).IsDefined()) e.geoip_default = false;
  }
  m.read("geoip_city", e.geoip_city);
  m.read("geoip_asn", e.geoip_asn);
  m.read("as_classes", e.as_classes);
  m.read("dhcp_fingerprints", e.dhcp_fingerprints);
  m.read("inventory", e.inventory);
  m.read("rules", e.rules);
  m.read("host_names", e.host_names);
  m.read("long_lived_s", e.long_lived_s);
  m.read("elephant_bytes", e.elephant_bytes);
  m.finish();
}

void read_config(const YAML::Node& root, SpanwatchConfig& cfg, ParseErrors& errs) {
  MapReader top(root, "", errs);

  if (const YAML::Node ports = top.take("ports"); ports.IsDefined()) {
    if (!ports.IsSequence()) {
      errs.add("ports",
               fmt::format("expected a list of ports (\"- device: 0000:3b:00.0\"), got {}", shown(ports)),
               ports);
    } else {
      cfg.ports.assign(ports.size(), PortConfig{});
      for (size_t i = 0; i < ports.size(); ++i)
        read_port(ports[i], index_key("ports", i), cfg.ports[i], errs);
    }
  }

  MapReader lc(top.take("lcores"), "lcores", errs);
  lc.read("main", cfg.lcores.main);
  lc.read("rx", cfg.lcores.rx);
  lc.read("workers", cfg.lcores.workers);
  lc.read_signed("exporter", cfg.lcores.exporter, -1);
  lc.read("shared_cpus", cfg.lcores.shared_cpus);
  lc.read("cpu_map", cfg.lcores.cpu_map);
  lc.finish();

  MapReader mem(top.take("memory"), "memory", errs);
  mem.read("hugepages", cfg.memory.hugepages);
  mem.read("memory_mb", cfg.memory.memory_mb);
  mem.read("mbufs", cfg.memory.mbufs);
  mem.read("mbuf_cache", cfg.memory.mbuf_cache);
  mem.read("rx_ring_size", cfg.memory.rx_ring_size);
  mem.read("export_ring_size", cfg.memory.export_ring_size);
  mem.finish();

  MapReader fl(top.take("flows"), "flows", errs);
  fl.read("max_flows_per_worker", cfg.flows.max_flows_per_worker);
  fl.read("max_dpi_flows_per_worker", cfg.flows.max_dpi_flows_per_worker);
  fl.read("max_parsing_flows_per_worker", cfg.flows.max_parsing_flows_per_worker);
  fl.read("tcp_idle_timeout_s", cfg.flows.tcp_idle_timeout_s);
  fl.read("tcp_linger_s", cfg.flows.tcp_linger_s);
  fl.read("tcp_attempt_timeout_s", cfg.flows.tcp_attempt_timeout_s);
  fl.read("tcp_handshake_timeout_s", cfg.flows.tcp_handshake_timeout_s);
  fl.read("udp_idle_timeout_s", cfg.flows.udp_idle_timeout_s);
  fl.read("dns_idle_timeout_s", cfg.flows.dns_idle_timeout_s);
  fl.read("icmp_idle_timeout_s", cfg.flows.icmp_idle_timeout_s);
  fl.read("other_idle_timeout_s", cfg.flows.other_idle_timeout_s);
  fl.read("active_timeout_s", cfg.flows.active_timeout_s);
  fl.read("fragment_timeout_s", cfg.flows.fragment_timeout_s);
  fl.read("profile_stages", cfg.flows.profile_stages);
  fl.read("verify_checksums", cfg.flows.verify_checksums);
  fl.finish();

  MapReader out(top.take("output"), "output", errs);
  out.read("dir", cfg.output.dir);
  out.read("file", cfg.output.file);
  out.read("stats_interval_s", cfg.output.stats_interval_s);
  out.read("rotate_mb", cfg.output.rotate_mb);
  out.read("rotate_interval_s", cfg.output.rotate_interval_s);
  out.read("max_files", cfg.output.max_files);
  out.read("max_total_mb", cfg.output.max_total_mb);
  out.read("fsync", cfg.output.fsync);
  out.read("fsync_interval_s", cfg.output.fsync_interval_s);
  out.read("community_id_seed", cfg.output.community_id_seed);
  out.finish();

  MapReader ring(top.take("ring"), "ring", errs);
  ring.read("enabled", cfg.ring.enabled);
  ring.read("name", cfg.ring.name);
  ring.read("capacity", cfg.ring.capacity);
  ring.read("slot_bytes", cfg.ring.slot_bytes);
  ring.read("update_interval_ms", cfg.ring.update_interval_ms);
  ring.finish();

  MapReader ipfix(top.take("ipfix"), "ipfix", errs);
  ipfix.read("enabled", cfg.ipfix.enabled);
  ipfix.read("collector", cfg.ipfix.collector);
  ipfix.read("port", cfg.ipfix.port);
  ipfix.read("transport", cfg.ipfix.transport);
  ipfix.read("observation_domain", cfg.ipfix.observation_domain);
  ipfix.read("template_refresh_s", cfg.ipfix.template_refresh_s);
  ipfix.read("template_refresh_messages", cfg.ipfix.template_refresh_messages);
  ipfix.read("mtu", cfg.ipfix.mtu);
  ipfix.finish();

  MapReader nats(top.take("nats"), "nats", errs);
  nats.read("enabled", cfg.nats.enabled);
  nats.read("servers", cfg.nats.servers);
  nats.read("token", cfg.nats.token);
  nats.read("user", cfg.nats.user);
  nats.read("password", cfg.nats.password);
  nats.read("creds_file", cfg.nats.creds_file);
  nats.read("tls_ca", cfg.nats.tls_ca);
  nats.read("tls_cert", cfg.nats.tls_cert);
  nats.read("tls_key", cfg.nats.tls_key);
  nats.read("stream", cfg.nats.stream);
  nats.read("subject_prefix", cfg.nats.subject_prefix);
  nats.read("create_stream", cfg.nats.create_stream);
  nats.read("replicas", cfg.nats.replicas);
  nats.read("max_age_hours", cfg.nats.max_age_hours);
  nats.read("queue_mb", cfg.nats.queue_mb);
  nats.read("buffer_records", cfg.nats.buffer_records);
  nats.read("max_in_flight", cfg.nats.max_in_flight);
  nats.read("ack_timeout_ms", cfg.nats.ack_timeout_ms);
  nats.read("flush_timeout_s", cfg.nats.flush_timeout_s);
  nats.read("spill_file", cfg.nats.spill_file);
  nats.read("spill_max_mb", cfg.nats.spill_max_mb);
  nats.finish();

  read_enrichment(top.take("enrichment"), cfg.enrichment, errs);

  MapReader met(top.take("metrics"), "metrics", errs);
  met.read("enabled", cfg.metrics.enabled);
  met.read("listen", cfg.metrics.listen);
  met.read("telemetry", cfg.metrics.telemetry);
  met.finish();

  MapReader obs(top.take("observer"), "observer", errs);
  obs.read("name", cfg.observer.name);
  obs.finish();

  top.read("eal_args", cfg.eal_args);
  top.read("log_level", cfg.log_level);
  top.finish();
}

SpanwatchConfig load(const std::string& yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    const std::string where =
        e.mark.is_null() ? source : fmt::format("{}:{}:{}", source, e.mark.line + 1, e.mark.column + 1);
    throw ConfigException({{where, fmt::format("YAML syntax error: {}", e.msg)}});
  }
  SpanwatchConfig cfg;
  ParseErrors errs;
  read_config(root, cfg, errs);
  if (!errs.empty()) throw ConfigException(errs.sorted());
  return cfg;
}

// ---- validate() helpers -----------------------------------------------------------------------------------

bool is_pow2(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

void check_ring_size(const std::string& key, unsigned v, Errors& errs) {
  if (v < kMinRingSize || v > kMaxRingSize) {
    errs.push_back({key, fmt::format("{} is outside [{}, {}]; use a power of two in that range", v,
                                     kMinRingSize, kMaxRingSize)});
  } else if (!is_pow2(v)) {
    const unsigned lower = std::bit_floor(v);
    errs.push_back({key, fmt::format("{} is not a power of two; use {} or {}", v, lower, lower * 2)});
  }
}

void check_positive(const std::string& key, uint32_t v, std::string_view fix, Errors& errs) {
  if (v == 0) errs.push_back({key, fmt::format("0 is not allowed; {}", fix)});
}

template <size_t N>
std::string one_of(const std::array<std::string_view, N>& names) {
  std::string s;
  for (size_t i = 0; i < N; ++i) s += fmt::format("{}{}", i ? ", " : "", names[i]);
  return s;
}

// NATS names: a stream name has no '.', '*', '>' or whitespace; a subject prefix is non-empty tokens joined
// by '.', without wildcards.
bool nats_name_ok(const std::string& s, bool dots_allowed) {
  if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string::npos) return false;
  for (char c : s)
    if (c == '*' || c == '>' || c == ' ' || c == '\t' || c == '/' || (c == '.' && !dots_allowed))
      return false;
  return true;
}

void validate_nats(const NatsConfig& n, Errors& errs) {
  if (!n.enabled) return;
  if (n.servers.empty())
    errs.push_back({"nats.servers", "empty; list at least one server, e.g. [nats://127.0.0.1:4222]"});
  for (size_t i = 0; i < n.servers.size(); ++i) {
    const std::string& u = n.servers[i];
    if (u.rfind("nats://", 0) != 0 && u.rfind("tls://", 0) != 0)
      errs.push_back({index_key("nats.servers", i),
                      fmt::format("\"{}\" is not a NATS URL; use nats://HOST:PORT or tls://HOST:PORT", u)});
  }
  if (!n.password.empty() && n.user.empty())
    errs.push_back({"nats.password", "set without nats.user; give both or neither"});
  if (!n.token.empty() && (!n.user.empty() || !n.creds_file.empty()))
    errs.push_back({"nats.token", "combined with nats.user or nats.creds_file; use one way to authenticate"});
  if (n.tls_cert.empty() != n.tls_key.empty())
    errs.push_back({n.tls_cert.empty() ? "nats.tls_cert" : "nats.tls_key",
                    "a client certificate needs both nats.tls_cert and nats.tls_key"});
  if (!nats_name_ok(n.stream, false))
    errs.push_back(
        {"nats.stream", fmt::format("\"{}\" is not a stream name; use letters, digits, - and _, e.g. "
                                    "SPANWATCH_FLOWS",
                                    n.stream)});
  if (!nats_name_ok(n.subject_prefix, true))
    errs.push_back(
        {"nats.subject_prefix",
         fmt::format("\"{}\" is not a subject prefix; use dot-separated tokens without wildcards, e.g. "
                     "spanwatch.flows",
                     n.subject_prefix)});
  if (n.replicas < 1 || n.replicas > 5)
    errs.push_back(
        {"nats.replicas", fmt::format("{} is outside [1, 5]; use 3 on a 3-node cluster", n.replicas)});
  if (n.queue_mb < 1 || n.queue_mb > 1024)
    errs.push_back(
        {"nats.queue_mb", fmt::format("{} is outside [1, 1024]; 32 absorbs seconds of bursts", n.queue_mb)});
  if (n.buffer_records < 1000)
    errs.push_back({"nats.buffer_records",
                    fmt::format("{} is below 1000; 200000 rides out minutes of outage", n.buffer_records)});
  if (n.max_in_flight < 1 || n.max_in_flight > 65536)
    errs.push_back(
        {"nats.max_in_flight", fmt::format("{} is outside [1, 65536]; use 4096", n.max_in_flight)});
  if (!n.spill_file.empty() && n.spill_max_mb == 0)
    errs.push_back({"nats.spill_max_mb", "0 leaves no room in nats.spill_file; use e.g. 1024"});
  if (n.ack_timeout_ms < 100)
    errs.push_back({"nats.ack_timeout_ms", fmt::format("{} is below 100; use 5000", n.ack_timeout_ms)});
}

}  // namespace

ConfigException::ConfigException(std::vector<ConfigError> errors)
    : std::runtime_error([&] {
        std::string s;
        for (size_t i = 0; i < errors.size(); ++i) {
          s += fmt::format("{}config error: {}: {}", i ? "\n" : "", errors[i].key, errors[i].message);
        }
        return s;
      }()),
      errors_(std::move(errors)) {}

SpanwatchConfig load_config_string(const std::string& yaml) {
  return load(yaml, "<string>");
}

SpanwatchConfig load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigException({{path, "cannot open the config file (check the path and permissions)"}});
  std::ostringstream text;
  text << in.rdbuf();
  SpanwatchConfig cfg = load(text.str(), path);
  resolve_data_paths(cfg, std::filesystem::path(path).parent_path().string());
  return cfg;
}

void resolve_data_paths(SpanwatchConfig& cfg, const std::string& base_dir) {
  EnrichmentConfig& e = cfg.enrichment;
  const auto resolve = [&](std::string& p) {
    if (!p.empty() && p.front() != '/' && !base_dir.empty())
      p = (std::filesystem::path(base_dir) / p).string();
  };
  for (std::string* p : {&e.mac_vendor_dir, &e.as_classes, &e.dhcp_fingerprints, &e.inventory, &e.rules})
    resolve(*p);
  for (auto* list : {&e.service_files, &e.geoip_city, &e.geoip_asn})
    for (std::string& p : *list) resolve(p);
}

std::vector<ConfigError> validate(const SpanwatchConfig& cfg) {
  Errors errs;

  // Ports.
  if (cfg.ports.empty()) {
    errs.push_back(
        {"ports", "no port configured; add one (ports: [{device: 0000:3b:00.0}]) or run with --pcap"});
  }
  unsigned total_queues = 0;
  std::map<std::string, size_t> devices;
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    const PortConfig& p = cfg.ports[i];
    const std::string k = index_key("ports", i);
    total_queues += p.rx_queues;
    if (p.device.empty()) {
      errs.push_back(
          {k + ".device", "missing; set a PCI address (0000:3b:00.0) or a vdev (net_pcap0,rx_pcap=x.pcap)"});
    } else if (const auto [it, fresh] = devices.emplace(p.device, i); !fresh) {
      errs.push_back({k + ".device", fmt::format("{} is already used by ports[{}]; list each device once",
                                                 p.device, it->second)});
    }
    if (p.rx_queues < 1 || p.rx_queues > kMaxRxQueues) {
      errs.push_back({k + ".rx_queues", fmt::format("{} is outside [1, {}]; use one queue per RX lcore",
                                                    p.rx_queues, kMaxRxQueues)});
    }
    if (p.rx_desc < kMinRxDesc || p.rx_desc > kMaxRxDesc) {
      errs.push_back({k + ".rx_desc", fmt::format("{} is outside [{}, {}]; 1024-4096 suits 10G ports",
                                                  p.rx_desc, kMinRxDesc, kMaxRxDesc)});
    }
    if (p.mtu != 0 && (p.mtu < kMinMtu || p.mtu > kMaxMtu)) {
      errs.push_back({k + ".mtu", fmt::format("{} is outside [{}, {}]; use 1500, 9000 for jumbo frames, or 0 "
                                              "to keep the device's",
                                              p.mtu, kMinMtu, kMaxMtu)});
    }
    if (std::find(kLinkTypeNames.begin(), kLinkTypeNames.end(), p.link_type) == kLinkTypeNames.end()) {
      errs.push_back({k + ".link_type", fmt::format("\"{}\" is not a link type; use one of {}", p.link_type,
                                                    one_of(kLinkTypeNames))});
    }
  }

  // Lcores: ids, non-empty roles, and one role per lcore unless the CPUs are shared on purpose.
  const LcoreConfig& lc = cfg.lcores;
  auto check_id = [&](const std::string& key, long id) {
    if (id < 0 || id >= long(kMaxLcore)) {
      errs.push_back(
          {key, fmt::format("lcore {} is >= RTE_MAX_LCORE ({}); use 0-{} (map CPUs with lcores.cpu_map)", id,
                            kMaxLcore, kMaxLcore - 1)});
    }
  };
  check_id("lcores.main", lc.main);
  if (lc.exporter >= 0) check_id("lcores.exporter", lc.exporter);
  if (lc.rx.empty()) errs.push_back({"lcores.rx", "empty; list at least one RX lcore, e.g. rx: [1]"});
  if (lc.workers.empty())
    errs.push_back({"lcores.workers", "empty; list at least one worker lcore, e.g. workers: [2]"});

  // Every use of an lcore id, in the order a reader sees them in the file.
  struct Use {
    std::string key, role;
  };
  std::map<unsigned, std::vector<Use>> uses;
  uses[lc.main].push_back({"lcores.main", "the main lcore"});
  if (lc.exporter >= 0 && unsigned(lc.exporter) != lc.main) {
    uses[unsigned(lc.exporter)].push_back({"lcores.exporter", "the exporter lcore"});
  }
  for (size_t i = 0; i < lc.rx.size(); ++i) {
    check_id(index_key("lcores.rx", i), lc.rx[i]);
    uses[lc.rx[i]].push_back({index_key("lcores.rx", i), "an RX lcore"});
  }
  for (size_t i = 0; i < lc.workers.size(); ++i) {
    check_id(index_key("lcores.workers", i), lc.workers[i]);
    uses[lc.workers[i]].push_back({index_key("lcores.workers", i), "a worker lcore"});
  }
  for (const auto& [id, list] : uses) {
    for (size_t j = 1; j < list.size(); ++j) {
      const Use& first = list[0];
      const Use& again = list[j];
      const bool same_role = first.role == again.role;
      if (same_role) {  // listing a lcore twice in one role is always a mistake
        errs.push_back(
            {again.key, fmt::format("lcore {} is listed twice (also {}); list it once", id, first.key)});
      } else if (!lc.shared_cpus) {
        errs.push_back(
            {again.key, fmt::format("lcore {} is also {} ({}); give each role its own lcore, or set "
                                    "lcores.shared_cpus: true if CPUs are really scarce",
                                    id, first.role, first.key)});
      }
    }
  }
  if (!lc.rx.empty() && total_queues > 0 && lc.rx.size() > total_queues) {
    errs.push_back(
        {"lcores.rx", fmt::format("{} RX lcores but only {} RX queue(s) over all ports; remove RX lcores "
                                  "or raise ports[].rx_queues",
                                  lc.rx.size(), total_queues)});
  }

  // Memory.
  const MemoryConfig& m = cfg.memory;
  if (m.memory_mb < kMinMemoryMb) {
    errs.push_back({"memory.memory_mb", fmt::format("{} is below {}; use at least {} (1024 for a 10G port)",
                                                    m.memory_mb, kMinMemoryMb, kMinMemoryMb)});
  }
  check_ring_size("memory.rx_ring_size", m.rx_ring_size, errs);
  check_ring_size("memory.export_ring_size", m.export_ring_size, errs);

  const RingConfig& r = cfg.ring;
  if (r.enabled) {
    if (r.name.size() < 2 || r.name[0] != '/' || r.name.find('/', 1) != std::string::npos ||
        r.name.size() > 250)
      errs.push_back({"ring.name", fmt::format("\"{}\" is not a POSIX shm name; use one slash then a name, "
                                               "e.g. /spanwatch-flows",
                                               r.name)});
    check_ring_size("ring.capacity", r.capacity, errs);
    if (r.slot_bytes < 1024 || r.slot_bytes > 16384)
      errs.push_back({"ring.slot_bytes",
                      fmt::format("{} is outside [1024, 16384]; 4096 holds a full record", r.slot_bytes)});
  }
  const IpfixConfig& ix = cfg.ipfix;
  if (ix.enabled) {
    if (ix.collector.empty())
      errs.push_back({"ipfix.collector", "empty; set the collector's host name or address, e.g. 127.0.0.1"});
    if (ix.port == 0) errs.push_back({"ipfix.port", "0 is not a port; IPFIX collectors listen on 4739"});
    if (ix.transport != "udp" && ix.transport != "tcp")
      errs.push_back(
          {"ipfix.transport", fmt::format("\"{}\" is not a transport; use udp or tcp", ix.transport)});
    if (ix.mtu < kMinIpfixMtu || ix.mtu > kMaxIpfixMtu)
      errs.push_back({"ipfix.mtu", fmt::format("{} is outside [{}, {}]; 1400 fits an Ethernet path with room "
                                               "for tunnels",
                                               ix.mtu, kMinIpfixMtu, kMaxIpfixMtu)});
  }
  validate_nats(cfg.nats, errs);
  if (m.mbuf_cache > kMaxMbufCache) {
    errs.push_back({"memory.mbuf_cache", fmt::format("{} > {} (RTE_MEMPOOL_CACHE_MAX_SIZE); use 256",
                                                     m.mbuf_cache, kMaxMbufCache)});
  }
  if (m.mbufs != 0) {
    uint64_t nic = 0;  // descriptors the NICs keep filled: the pool must hold at least that many
    for (const PortConfig& p : cfg.ports) nic += uint64_t(p.rx_queues) * p.rx_desc;
    if (m.mbufs <= nic) {
      errs.push_back(
          {"memory.mbufs", fmt::format("{} cannot even fill the RX descriptors ({}); set 0 (auto) or "
                                       "more than {}",
                                       m.mbufs, nic, nic)});
    } else if (uint64_t(m.mbuf_cache) * 3 > uint64_t(m.mbufs) * 2) {  // rte_mempool_create: cache * 1.5 <= n
      errs.push_back(
          {"memory.mbuf_cache", fmt::format("{} is more than memory.mbufs / 1.5 ({}); lower it or set "
                                            "memory.mbufs: 0 (auto)",
                                            m.mbuf_cache, m.mbufs * 2 / 3)});
    }
  }

  // Flows.
  const FlowConfig& f = cfg.flows;
  if (f.max_flows_per_worker < kMinFlowsPerWorker || f.max_flows_per_worker > kMaxFlowsPerWorker) {
    errs.push_back({"flows.max_flows_per_worker",
                    fmt::format("{} is outside [{}, {}]; 262144 suits a 10G port with 2 workers",
                                f.max_flows_per_worker, kMinFlowsPerWorker, kMaxFlowsPerWorker)});
  }
  const std::string_view kTimeoutFix = "use a number of seconds > 0";
  check_positive("flows.tcp_idle_timeout_s", f.tcp_idle_timeout_s, kTimeoutFix, errs);
  check_positive("flows.tcp_linger_s", f.tcp_linger_s, kTimeoutFix, errs);
  check_positive("flows.dns_idle_timeout_s", f.dns_idle_timeout_s, kTimeoutFix, errs);
  check_positive("flows.tcp_attempt_timeout_s", f.tcp_attempt_timeout_s, kTimeoutFix, errs);
  check_positive("flows.tcp_handshake_timeout_s", f.tcp_handshake_timeout_s, kTimeoutFix, errs);
  check_positive("flows.udp_idle_timeout_s", f.udp_idle_timeout_s, kTimeoutFix, errs);
  check_positive("flows.icmp_idle_timeout_s", f.icmp_idle_timeout_s, kTimeoutFix, errs);
  check_positive("flows.other_idle_timeout_s", f.other_idle_timeout_s, kTimeoutFix, errs);
  check_positive("flows.active_timeout_s", f.active_timeout_s, kTimeoutFix, errs);
  check_positive("flows.fragment_timeout_s", f.fragment_timeout_s, kTimeoutFix, errs);
  if (f.tcp_linger_s > f.tcp_idle_timeout_s) {
    errs.push_back(
        {"flows.tcp_linger_s", fmt::format("{} > flows.tcp_idle_timeout_s ({}); use at most {}",
                                           f.tcp_linger_s, f.tcp_idle_timeout_s, f.tcp_idle_timeout_s)});
  }

  // Output and the rest.
  if (cfg.output.dir.empty())
    errs.push_back({"output.dir", "empty; set a directory, e.g. /var/log/spanwatch"});
  if (cfg.output.file.empty() || cfg.output.file.find('/') != std::string::npos || cfg.output.file == "." ||
      cfg.output.file == "..") {
    errs.push_back(
        {"output.file",
         fmt::format("\"{}\" is not a file name; use a name without '/', e.g. flows.json", cfg.output.file)});
  }
  check_positive("output.stats_interval_s", cfg.output.stats_interval_s,
                 "use a number of seconds > 0, e.g. 10", errs);
  const OutputConfig& o = cfg.output;
  if (std::find(kFsyncNames.begin(), kFsyncNames.end(), o.fsync) == kFsyncNames.end()) {
    errs.push_back({"output.fsync", fmt::format("\"{}\" is not an fsync policy; use one of {}", o.fsync,
                                                one_of(kFsyncNames))});
  } else if (o.fsync == "interval") {
    check_positive("output.fsync_interval_s", o.fsync_interval_s, "use a number of seconds > 0, e.g. 1",
                   errs);
  }
  if ((o.max_files != 0 || o.max_total_mb != 0) && o.rotate_mb == 0 && o.rotate_interval_s == 0) {
    errs.push_back({o.max_files != 0 ? "output.max_files" : "output.max_total_mb",
                    "has no effect without rotation; set output.rotate_mb or output.rotate_interval_s"});
  }
  if (o.max_total_mb != 0 && o.rotate_mb != 0 && o.max_total_mb < o.rotate_mb) {
    errs.push_back({"output.max_total_mb",
                    fmt::format("{} is below output.rotate_mb ({}): not even one rotated file fits; use at "
                                "least {}",
                                o.max_total_mb, o.rotate_mb, o.rotate_mb)});
  }
  if (cfg.metrics.enabled) {
    const std::string& l = cfg.metrics.listen;
    const size_t colon = l.rfind(':');
    uint64_t port = 0;
    const std::string host = colon == std::string::npos ? "" : l.substr(0, colon);
    if (colon == std::string::npos || host.empty() || !parse_u64(l.substr(colon + 1), port) || port > 65535)
      errs.push_back(
          {"metrics.listen", fmt::format("\"{}\" is not HOST:PORT; use e.g. 127.0.0.1:9273 (port 0 "
                                         "picks a free one)",
                                         l)});
  }
  if (const std::string& t = cfg.metrics.telemetry; t != "auto" && t != "true" && t != "false")
    errs.push_back({"metrics.telemetry", fmt::format("\"{}\" is not one of auto, true, false", t)});
  if (log_level_number(cfg.log_level) == 0) {
    errs.push_back({"log_level", fmt::format("\"{}\" is not a DPDK log level; use one of {} (or 1-8)",
                                             cfg.log_level, one_of(kLogLevelNames))});
  }
  return errs;
}

}  // namespace spanwatch::lib
