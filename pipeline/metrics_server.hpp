// The Prometheus endpoint: a small HTTP server on its own threads (never an lcore) that answers GET /metrics
// with the latest text the main lcore published. The main lcore builds the text from the same counters as
// stats.json about once a second, so a scrape never calls into DPDK or waits for the data path.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace spanwatch::pipeline {

class MetricsServer {
 public:
  // Binds `listen` ("HOST:PORT"; port 0 picks a free one) and starts serving; throws StartupError when the
  // address cannot be bound. Start it before the EAL: its threads then float over every CPU instead of
  // inheriting the main lcore's pinning (platform.md §1).
  explicit MetricsServer(const std::string& listen);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const noexcept { return port_; }
  const std::string& host() const noexcept { return host_; }

  // Replaces what /metrics answers.
  void publish(std::string text);

 private:
  std::string current() const;

  std::unique_ptr<httplib::Server> svr_;
  std::thread thread_;
  std::string host_;
  uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::string text_;
};

}  // namespace spanwatch::pipeline
