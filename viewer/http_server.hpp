// The HTTP side: static UI assets, the JSON API, live-update streams (server-sent events), security
// headers and access control, on cpp-httplib's thread pool.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "viewer/access_control.hpp"
#include "viewer/api_json.hpp"
#include "viewer/flow_store.hpp"
#include "viewer/history_client.hpp"
#include "viewer/ring_ingest.hpp"
#include "viewer/static_assets.hpp"
#include "viewer/viewer_config.hpp"

namespace httplib {
class Server;
}

namespace spanwatch::viewer {

// Sent with every response. No inline script or style, nothing from other origins, no framing, and
// Trusted Types so that an accidental innerHTML/eval with a string throws instead of running.
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'";

inline constexpr size_t kMaxRequestBodyBytes = 4096;  // only /api/login has a body

class ViewerServer {
 public:
  ViewerServer(const ViewerConfig& cfg, SharedFlowStore& store, RingIngest& ingest, StaticAssets assets);
  ~ViewerServer();
  ViewerServer(const ViewerServer&) = delete;
  ViewerServer& operator=(const ViewerServer&) = delete;

  // Binds the configured address and port (port 0: any free port); throws std::runtime_error on failure.
  int bind();
  void serve();  // blocks until stop()
  void stop();

 private:
  void routes();
  void history_routes();
  ServerCounters counters() const;

  ViewerConfig cfg_;
  SharedFlowStore& store_;
  RingIngest& ingest_;
  StaticAssets assets_;
  AccessControl access_;
  std::unique_ptr<httplib::Server> svr_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> requests_{0}, bad_requests_{0}, unauthorized_{0}, forbidden_host_{0},
      streams_refused_{0};
  std::atomic<uint32_t> streams_{0};
  HistoryClient history_;
  std::atomic<uint64_t> history_queries_{0}, history_records_{0}, history_bad_requests_{0},
      history_errors_{0}, history_bad_records_{0};
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace spanwatch::viewer
