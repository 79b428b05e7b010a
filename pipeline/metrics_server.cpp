#include "pipeline/metrics_server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <charconv>

#include "pipeline/startup_error.hpp"

namespace spanwatch::pipeline {
namespace {

// Prometheus text exposition format 0.0.4.
constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr int kServerThreads = 1;  // one scraper at a time is the normal case; others queue briefly

}  // namespace

MetricsServer::MetricsServer(const std::string& listen)
    : svr_(std::make_unique<httplib::Server>()), text_("# spanwatch is starting\nspanwatch_up 0\n") {
  const size_t colon = listen.rfind(':');
  unsigned port = 0;
  host_ = listen.substr(0, colon);
  const char* b = listen.data() + colon + 1;
  const char* e = listen.data() + listen.size();
  if (colon == std::string::npos || std::from_chars(b, e, port).ec != std::errc() || port > 65535)
    throw StartupError(fmt::format("metrics.listen: \"{}\" is not HOST:PORT", listen));
  if (host_.size() > 2 && host_.front() == '[' && host_.back() == ']')
    host_ = host_.substr(1, host_.size() - 2);

  svr_->new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  svr_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(current(), kContentType);
  });
  svr_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("spanwatch: Prometheus metrics at /metrics\n", "text/plain");
  });
  if (port == 0) {
    const int p = svr_->bind_to_any_port(host_);
    if (p <= 0) throw StartupError(fmt::format("metrics.listen: cannot bind {} to any port", host_));
    port_ = static_cast<uint16_t>(p);
  } else {
    if (!svr_->bind_to_port(host_, static_cast<int>(port)))
      throw StartupError(
          fmt::format("metrics.listen: cannot bind {}:{} (in use, or not an address of this "
                      "host); pick another port or set metrics.enabled: false",
                      host_, port));
    port_ = static_cast<uint16_t>(port);
  }
  thread_ = std::thread([this] { svr_->listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
  svr_->stop();
  if (thread_.joinable()) thread_.join();
}

void MetricsServer::publish(std::string text) {
  std::lock_guard lock(mu_);
  text_ = std::move(text);
}

std::string MetricsServer::current() const {
  std::lock_guard lock(mu_);
  return text_;
}

}  // namespace spanwatch::pipeline
