// The viewer's YAML loader (strict: unknown keys, wrong types and out-of-range numbers are errors, all
// collected) and the semantic checks, in the style of lib/config.
#include "viewer/viewer_config.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "viewer/history_query.hpp"
#include "viewer/ip_match.hpp"

namespace spanwatch::viewer {
namespace {

using Errors = std::vector<lib::ConfigError>;

std::string where(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.is_null() ? std::string() : fmt::format(" (line {})", m.line + 1);
}

// One YAML map: reads known keys, then reports the unknown ones.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Errors& errors)
      : node_(node), path_(std::move(path)), errors_(errors) {
    if (node_ && !node_.IsNull() && !node_.IsMap())
      errors_.push_back({path_.empty() ? "<top>" : path_, "must be a map" + where(node_)});
  }
  ~MapReader() {
    if (!node_ || !node_.IsMap()) return;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      const std::string k = it->first.IsScalar() ? it->first.Scalar() : "?";
      if (!known_.count(k)) errors_.push_back({key(k), "unknown key" + where(it->first)});
    }
  }
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  YAML::Node child(const std::string& k) {
    known_.insert(k);
    if (!node_ || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& map = node_;  // const lookup: a missing key gives an invalid node, adds nothing
    return map[k];
  }
  std::string key(const std::string& k) const { return path_.empty() ? k : path_ + "." + k; }

  template <class T>
  void uint(const std::string& k, T& out, uint64_t lo, uint64_t hi) {
    const YAML::Node n = child(k);
    if (!n) return;
    uint64_t v = 0;
    const std::string s = n.IsScalar() ? n.Scalar() : std::string();
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) {
      errors_.push_back({key(k), fmt::format("\"{}\" is not a whole number in {}-{}{}", s.substr(0, 40), lo,
                                             hi, where(n))});
      return;
    }
    out = static_cast<T>(v);
  }
  void str(const std::string& k, std::string& out) {
    const YAML::Node n = child(k);
    if (!n) return;
    if (!n.IsScalar()) {
      errors_.push_back({key(k), "must be a string" + where(n)});
      return;
    }
    out = n.Scalar();
  }
  void boolean(const std::string& k, bool& out) {
    const YAML::Node n = child(k);
    if (!n) return;
    const std::string s = n.IsScalar() ? n.Scalar() : std::string();
    if (s == "true" || s == "yes" || s == "on")
      out = true;
    else if (s == "false" || s == "no" || s == "off")
      out = false;
    else
      errors_.push_back({key(k), fmt::format("\"{}\" is not true or false{}", s.substr(0, 40), where(n))});
  }
  void strings(const std::string& k, std::vector<std::string>& out) {
    const YAML::Node n = child(k);
    if (!n) return;
    if (!n.IsSequence()) {
      errors_.push_back({key(k), "must be a list of strings" + where(n)});
      return;
    }
    out.clear();
    for (const YAML::Node& item : n) {
      if (item.IsScalar())
        out.push_back(item.Scalar());
      else
        errors_.push_back({key(k), "must be a list of strings" + where(item)});
    }
  }

 private:
  YAML::Node node_;
  std::string path_;
  Errors& errors_;
  std::set<std::string> known_;
};

ViewerConfig from_yaml(const YAML::Node& root) {
  ViewerConfig c;
  Errors errors;
  {
    MapReader top(root, "", errors);
    {
      MapReader m(top.child("listen"), "listen", errors);
      m.str("address", c.listen.address);
      m.uint("port", c.listen.port, 1, 65535);
      m.str("access_token", c.listen.access_token);
      m.str("access_token_file", c.listen.access_token_file);
      m.strings("allowed_hosts", c.listen.allowed_hosts);
    }
    {
      MapReader m(top.child("ring"), "ring", errors);
      m.str("name", c.ring.name);
      std::string start = c.ring.from_oldest ? "oldest" : "newest";
      m.str("start", start);
      if (start == "oldest" || start == "newest")
        c.ring.from_oldest = start == "oldest";
      else
        errors.push_back({"ring.start", fmt::format("\"{}\" must be oldest or newest", start.substr(0, 40))});
      m.uint("poll_interval_ms", c.ring.poll_interval_ms, 1, 1000);
      m.uint("reconnect_interval_ms", c.ring.reconnect_interval_ms, 10, 60000);
    }
    {
      MapReader m(top.child("store"), "store", errors);
      m.uint("max_flows", c.store.max_flows, 1, 50'000'000);
      m.uint("retention_s", c.store.retention_s, 1, 30 * 86400);
      m.uint("memory_mb", c.store.memory_mb, 1, 1u << 20);
      m.uint("series_s", c.store.series_s, 10, 86400);
      m.uint("stale_s", c.store.stale_s, 1, 3600);
    }
    {
      MapReader m(top.child("http"), "http", errors);
      m.uint("threads", c.http.threads, 2, 256);
      m.uint("max_streams", c.http.max_streams, 0, 255);
      m.uint("max_page", c.http.max_page, 10, 100000);
      m.str("www_dir", c.http.www_dir);
    }
    {
      MapReader m(top.child("history"), "history", errors);
      m.str("clickhouse_url", c.history.clickhouse_url);
      m.str("table", c.history.table);
      m.str("user", c.history.user);
      m.str("password", c.history.password);
      m.uint("max_rows", c.history.max_rows, 1, 100000);
      m.uint("timeout_ms", c.history.timeout_ms, 100, 600000);
    }
  }
  if (!errors.empty()) throw lib::ConfigException(std::move(errors));
  return c;
}

}  // namespace

ViewerConfig load_viewer_config_string(const std::string& yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw lib::ConfigException({{fmt::format("line {}", e.mark.line + 1), e.msg}});
  }
  return from_yaml(root);
}

ViewerConfig load_viewer_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw lib::ConfigException({{path, "cannot open the file"}});
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return load_viewer_config_string(ss.str());
  } catch (const lib::ConfigException& e) {
    std::vector<lib::ConfigError> errors = e.errors();
    for (auto& err : errors) err.key = path + ": " + err.key;
    throw lib::ConfigException(std::move(errors));
  }
}

void resolve_token(ViewerConfig& cfg) {
  if (cfg.listen.access_token_file.empty()) return;
  std::ifstream in(cfg.listen.access_token_file);
  std::string line;
  if (!in || !std::getline(in, line))
    throw lib::ConfigException({{"listen.access_token_file", "cannot read " + cfg.listen.access_token_file}});
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  cfg.listen.access_token = line;
}

bool is_loopback_address(const std::string& address) {
  if (address == "localhost") return true;
  const auto ip = parse_ip(address);
  if (!ip) return false;
  if (ip->is_v4()) return ip->v4()[0] == 127;
  static const lib::IpAddress kV6Loopback = *parse_ip("::1");
  return *ip == kV6Loopback;
}

std::vector<lib::ConfigError> validate(const ViewerConfig& c) {
  Errors e;
  if (c.listen.address != "localhost" && !parse_ip(c.listen.address))
    e.push_back({"listen.address", fmt::format("\"{}\" is not an IP address (e.g. 127.0.0.1, ::1, 0.0.0.0)",
                                               c.listen.address.substr(0, 40))});
  else if (!is_loopback_address(c.listen.address) && c.listen.access_token.empty())
    e.push_back(
        {"listen.address", fmt::format("{} is not a loopback address: set listen.access_token_file "
                                       "(or --token-file) so that only holders of the token can read flows",
                                       c.listen.address)});
  if (!c.listen.access_token.empty() && c.listen.access_token.size() < kMinTokenBytes)
    e.push_back(
        {"listen.access_token", fmt::format("{} characters; use at least {} (e.g. `openssl rand -hex 16`)",
                                            c.listen.access_token.size(), kMinTokenBytes)});
  for (char ch : c.listen.access_token)
    if (ch < 0x21 || ch > 0x7e) {
      e.push_back({"listen.access_token", "use printable ASCII without spaces"});
      break;
    }
  if (c.ring.name.size() < 2 || c.ring.name[0] != '/' || c.ring.name.find('/', 1) != std::string::npos)
    e.push_back(
        {"ring.name", fmt::format("\"{}\" must be \"/name\" with no further '/' (as in the pipeline's "
                                  "ring.name)",
                                  c.ring.name.substr(0, 40))});
  if (c.store.memory_mb < kMinMemoryMb)
    e.push_back(
        {"store.memory_mb", fmt::format("{} < {}; the process itself needs {} MB besides the flow store",
                                        c.store.memory_mb, kMinMemoryMb, kProcessReserveMb)});
  if (c.http.max_streams + 2 > c.http.threads)
    e.push_back(
        {"http.max_streams", fmt::format("{} streams need at least {} http.threads (each stream holds "
                                         "one; two stay free for API calls)",
                                         c.http.max_streams, c.http.max_streams + 2)});
  if (c.history.enabled()) {
    const std::string& u = c.history.clickhouse_url;
    if (!u.starts_with("http://") || u.size() <= 7 || u.find_first_of("/?#@ ", 7) != std::string::npos)
      e.push_back({"history.clickhouse_url", fmt::format("\"{}\" must be http://host:port (ClickHouse's HTTP "
                                                         "interface, e.g. http://127.0.0.1:8123)",
                                                         u.substr(0, 60))});
    if (!valid_table_name(c.history.table))
      e.push_back(
          {"history.table", fmt::format("\"{}\" must be a table name or database.table (letters, digits, _)",
                                        c.history.table.substr(0, 40))});
    if (!c.history.password.empty() && c.history.user.empty())
      e.push_back({"history.password", "set history.user too"});
  }
  return e;
}

std::string describe(const ViewerConfig& c) {
  return fmt::format(
      "listen {}:{} (token: {}), ring {} from {}, store: max {} flows, {} MB (store {} MB), retention {} s, "
      "http: {} threads, {} streams, www {}, history {}",
      c.listen.address, c.listen.port, c.listen.access_token.empty() ? "none" : "set", c.ring.name,
      c.ring.from_oldest ? "oldest" : "newest", c.store.max_flows, c.store.memory_mb,
      c.store.memory_mb > kProcessReserveMb ? c.store.memory_mb - kProcessReserveMb : 0, c.store.retention_s,
      c.http.threads, c.http.max_streams, c.http.www_dir.empty() ? "(default)" : c.http.www_dir,
      c.history.enabled() ? c.history.clickhouse_url + " table " + c.history.table : std::string("off"));
}

}  // namespace spanwatch::viewer
