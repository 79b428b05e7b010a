// spanwatch-viewer's configuration: plain structs with defaults in the initialisers (units in the names),
// a strict YAML loader (unknown keys are errors) and validate(), both reporting every problem at once.
// conf/viewer.yaml documents every key.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/config/config_loader.hpp"

namespace spanwatch::viewer {

struct ListenConfig {
  std::string address = "127.0.0.1";  // any non-loopback address requires an access token
  uint16_t port = 8089;
  std::string access_token;                // shared secret for the API; empty = none (loopback only)
  std::string access_token_file;           // read the token from this file instead (first line)
  std::vector<std::string> allowed_hosts;  // extra Host header names accepted without a token
};

struct RingReadConfig {
  std::string name = "/spanwatch-flows";  // the pipeline's ring.name
  bool from_oldest = true;                // start with the records still in the ring (else only new ones)
  uint32_t poll_interval_ms = 5;          // sleep when the ring is empty
  uint32_t reconnect_interval_ms = 500;   // retry opening the ring this often while it is absent
};

struct StoreConfig {
  uint32_t max_flows = 100000;  // flows kept (active and ended); the least recently updated go first
  uint32_t retention_s = 3600;  // a flow with no record for this long is dropped
  uint32_t memory_mb = 256;     // the whole process's memory bound; the flow store gets it minus a reserve
  uint32_t series_s = 600;      // throughput chart length, seconds of packet time
  uint32_t stale_s = 5;         // an active flow silent this long (packet time) shows no current rate
};

struct HttpConfig {
  uint32_t threads = 16;     // HTTP worker threads (each keep-alive connection and live stream holds one)
  uint32_t max_streams = 4;  // concurrent live-update (SSE) streams; more get HTTP 503
  uint32_t max_page = 1000;  // largest page size the API serves
  std::string www_dir;       // static assets; empty = installed path, else the source tree's viewer/www
};

// History across sensors from ClickHouse (docs/fleet.md, "Fleet view"); off while clickhouse_url is empty.
struct HistoryConfig {
  std::string clickhouse_url;   // http://127.0.0.1:8123 (the HTTP interface)
  std::string table = "flows";  // or "db.flows", "flows_all" (the loader's table)
  std::string user, password;   // HTTP basic auth; empty = ClickHouse's default user
  uint32_t max_rows = 1000;     // most records one search returns
  uint32_t timeout_ms = 10000;  // connect + query time limit
  bool enabled() const noexcept { return !clickhouse_url.empty(); }
};

struct ViewerConfig {
  ListenConfig listen;
  RingReadConfig ring;
  StoreConfig store;
  HttpConfig http;
  HistoryConfig history;
};

// The memory the process needs besides the flow store (code, libraries, thread stacks, HTTP buffers,
// assets): the store's budget is memory_mb minus this.
inline constexpr uint32_t kProcessReserveMb = 24;
inline constexpr uint32_t kMinMemoryMb = kProcessReserveMb + 8;
inline constexpr size_t kMinTokenBytes = 16;

ViewerConfig load_viewer_config_file(const std::string& path);    // throws lib::ConfigException
ViewerConfig load_viewer_config_string(const std::string& yaml);  // throws lib::ConfigException
// Reads access_token_file into access_token (throws lib::ConfigException naming the file).
void resolve_token(ViewerConfig& cfg);
std::vector<lib::ConfigError> validate(const ViewerConfig& cfg);
bool is_loopback_address(const std::string& address);
std::string describe(const ViewerConfig& cfg);  // the effective configuration, token redacted

}  // namespace spanwatch::viewer
