// ViewerServer: routes, security headers, access control and the live-update stream.
#include "viewer/http_server.hpp"

#include <httplib.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <thread>

#include <rapidjson/document.h>

#include "viewer/flow_query.hpp"
#include "viewer/history_query.hpp"

namespace spanwatch::viewer {
namespace {

constexpr auto kStreamInterval = std::chrono::seconds(1);   // one live-update event per second at most
constexpr auto kStreamPoll = std::chrono::milliseconds(100);  // how quickly a stream notices shutdown
constexpr size_t kMaxGroupPage = 1000;
constexpr const char* kJson = "application/json; charset=utf-8";

void json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body, kJson);
}

std::string status_text(int status) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "request body too large (4096 bytes at most)";
    case 414: return "request URI too long";
    case 431: return "request headers too large";
    default: return "HTTP " + std::to_string(status);
  }
}

bool is_api(const std::string& path) {
  return path == "/api" || path.starts_with("/api/");
}

}  // namespace

ViewerServer::ViewerServer(const ViewerConfig& cfg, SharedFlowStore& store, RingIngest& ingest, StaticAssets assets)
    : cfg_(cfg),
      store_(store),
      ingest_(ingest),
      assets_(std::move(assets)),
      access_(cfg.listen.access_token, cfg.listen.allowed_hosts),
      svr_(std::make_unique<httplib::Server>()),
      history_(cfg.history) {
  const size_t threads = cfg_.http.threads;
  svr_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr_->set_payload_max_length(kMaxRequestBodyBytes);
  svr_->set_read_timeout(5, 0);
  svr_->set_write_timeout(5, 0);
  svr_->set_keep_alive_timeout(5);
  svr_->set_keep_alive_max_count(100);
  svr_->set_default_headers({
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), usb=()"},
  });
  routes();
}

ViewerServer::~ViewerServer() = default;

int ViewerServer::bind() {
  const std::string host = cfg_.listen.address == "localhost" ? "127.0.0.1" : cfg_.listen.address;
  if (cfg_.listen.port == 0) {
    const int port = svr_->bind_to_any_port(host);
    if (port < 0) throw std::runtime_error("cannot bind " + host + " (any port)");
    return port;
  }
  if (!svr_->bind_to_port(host, cfg_.listen.port))
    throw std::runtime_error("cannot bind " + host + ":" + std::to_string(cfg_.listen.port) +
                             " (in use? another spanwatch-viewer? choose another with --port)");
  return cfg_.listen.port;
}

void ViewerServer::serve() {
  svr_->listen_after_bind();
}

void ViewerServer::stop() {
  stopping_ = true;
  svr_->stop();
}

ServerCounters ViewerServer::counters() const {
  ServerCounters c{requests_.load(), bad_requests_.load(), unauthorized_.load(), forbidden_host_.load(),
                   streams_.load(), streams_refused_.load()};
  c.history_enabled = cfg_.history.enabled();
  c.history_queries = history_queries_.load();
  c.history_records = history_records_.load();
  c.history_bad_requests = history_bad_requests_.load();
  c.history_errors = history_errors_.load();
  c.history_bad_records = history_bad_records_.load();
  return c;
}

void ViewerServer::routes() {
  using httplib::Request;
  using httplib::Response;
  using HR = httplib::Server::HandlerResponse;

  svr_->set_pre_routing_handler([this](const Request& req, Response& res) {
    ++requests_;
    if (req.method != "GET" && req.method != "HEAD" && req.method != "POST") {
      json(res, 405, error_json("method not allowed"));
      return HR::Handled;
    }
    if (!access_.host_allowed(req.get_header_value("Host"))) {
      ++forbidden_host_;
      json(res, 403, error_json("Host not allowed: open the viewer as http://127.0.0.1 or http://localhost, "
                                "or add the name to listen.allowed_hosts"));
      return HR::Handled;
    }
    if (is_api(req.path) && req.path != "/api/session" && req.path != "/api/login" &&
        !access_.authorized(req.get_header_value("Authorization"), req.get_header_value("Cookie"))) {
      ++unauthorized_;
      json(res, 401, error_json("access token required"));
      return HR::Handled;
    }
    if (req.method == "POST" && req.path != "/api/login" && req.path != "/api/logout") {
      json(res, 405, error_json("method not allowed"));
      return HR::Handled;
    }
    return HR::Unhandled;
  });

  svr_->set_error_handler([](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404 && !is_api(req.path))
      res.set_content("not found\n", "text/plain; charset=utf-8");
    else
      res.set_content(error_json(status_text(res.status)), kJson);
  });
  svr_->set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
    json(res, 500, error_json("internal error"));
  });

  svr_->Get("/api/session", [this](const Request& req, Response& res) {
    const bool ok = access_.authorized(req.get_header_value("Authorization"), req.get_header_value("Cookie"));
    json(res, 200, std::string("{\"token_required\":") + (access_.token_required() ? "true" : "false") +
                       ",\"authorized\":" + (ok ? "true" : "false") + "}");
  });

  svr_->Post("/api/login", [this](const Request& req, Response& res) {
    // A JSON body: a cross-site form cannot send it without a CORS preflight, which is never granted.
    if (req.get_header_value("Content-Type").find("application/json") != 0) {
      json(res, 415, error_json("send {\"token\": \"...\"} as application/json"));
      return;
    }
    if (const std::string origin = req.get_header_value("Origin");
        !origin.empty() && origin != "http://" + req.get_header_value("Host")) {
      json(res, 403, error_json("cross-origin login refused"));
      return;
    }
    rapidjson::Document d;
    d.Parse(req.body.data(), req.body.size());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("token") || !d["token"].IsString()) {
      json(res, 400, error_json("send {\"token\": \"...\"}"));
      return;
    }
    bool throttled = false;
    const auto session = access_.login(std::string_view(d["token"].GetString(), d["token"].GetStringLength()), &throttled);
    if (!session) {
      ++unauthorized_;
      json(res, throttled ? 429 : 401, error_json(throttled ? "too many attempts; wait a second" : "wrong token"));
      return;
    }
    res.set_header("Set-Cookie", std::string(AccessControl::kCookieName) + "=" + *session +
                                     "; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200");
    json(res, 200, "{\"authorized\":true}");
  });

  svr_->Post("/api/logout", [this](const Request& req, Response& res) {
    access_.logout(req.get_header_value("Cookie"));
    res.set_header("Set-Cookie", std::string(AccessControl::kCookieName) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    json(res, 200, "{\"authorized\":false}");
  });

  svr_->Get("/api/flows", [this](const Request& req, Response& res) {
    std::vector<QueryError> errors;
    const FlowFilter f = parse_filter(req.params, errors);
    const Page page = parse_page(req.params, cfg_.http.max_page, errors);
    if (!errors.empty()) {
      ++bad_requests_;
      json(res, 400, error_json(errors));
      return;
    }
    std::string body;
    {
      const std::shared_lock lock(store_.mu);
      body = flows_json(store_.store, list_flows(store_.store, f, page), page);
    }
    json(res, 200, body);
  });

  svr_->Get("/api/flow", [this](const Request& req, Response& res) {
    const std::string key = req.get_param_value("key");
    std::string body;
    {
      const std::shared_lock lock(store_.mu);
      if (const FlowEntry* e = store_.store.find(key)) body = flow_detail_json(store_.store, *e);
    }
    if (body.empty())
      json(res, 404, error_json("no such flow (it may have been evicted or expired)"));
    else
      json(res, 200, body);
  });

  svr_->Get("/api/aggregate", [this](const Request& req, Response& res) {
    std::vector<QueryError> errors;
    const FlowFilter f = parse_filter(req.params, errors);
    const auto by = parse_group_by(req.get_param_value("by"));
    if (!by)
      errors.push_back({"by", "one of app, client, server, client_server, app_client_server, "
                              "client_server_dport, info, host, proto"});
    const std::string sort_name = req.has_param("sort") ? req.get_param_value("sort") : "bytes";
    const auto sort = parse_group_sort(sort_name);
    if (!sort) errors.push_back({"sort", "one of bytes, flows, throughput, key"});
    const std::string order = req.has_param("order") ? req.get_param_value("order") : "desc";
    if (order != "asc" && order != "desc") errors.push_back({"order", "must be asc or desc"});
    size_t offset = 0, limit = 50;
    try {
      if (req.has_param("offset")) offset = std::stoul(req.get_param_value("offset"));
      if (req.has_param("limit")) limit = std::stoul(req.get_param_value("limit"));
    } catch (const std::exception&) {
      errors.push_back({"offset/limit", "must be numbers"});
    }
    if (limit == 0 || limit > kMaxGroupPage) errors.push_back({"limit", "must be between 1 and 1000"});
    if (!errors.empty()) {
      ++bad_requests_;
      json(res, 400, error_json(errors));
      return;
    }
    std::string body;
    {
      const std::shared_lock lock(store_.mu);
      body = groups_json(*by, aggregate(store_.store, f, *by, *sort, order == "desc", offset, limit), offset);
    }
    json(res, 200, body);
  });

  svr_->Get("/api/series", [this](const Request&, Response& res) {
    std::string body;
    {
      const std::shared_lock lock(store_.mu);
      body = series_json(store_.store);
    }
    json(res, 200, body);
  });

  svr_->Get("/api/stats", [this](const Request&, Response& res) {
    const IngestSnapshot ring = ingest_.snapshot();
    const uint64_t uptime = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count());
    std::string body;
    {
      const std::shared_lock lock(store_.mu);
      body = stats_json(store_.store, ring, counters(), process_memory(), uint64_t{cfg_.store.memory_mb} << 20, uptime);
    }
    json(res, 200, body);
  });

  svr_->Get("/api/events", [this](const Request&, Response& res) {
    if (streams_.fetch_add(1) >= cfg_.http.max_streams) {
      streams_.fetch_sub(1);
      ++streams_refused_;
      json(res, 503, error_json("too many live-update streams; the page falls back to polling"));
      return;
    }
    res.set_header("Cache-Control", "no-store");
    auto first = std::make_shared<bool>(true);
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, first](size_t, httplib::DataSink& sink) {
          if (!*first) {
            const auto until = std::chrono::steady_clock::now() + kStreamInterval;
            while (!stopping_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(kStreamPoll);
          }
          *first = false;
          if (stopping_) {
            sink.done();
            return true;
          }
          const IngestSnapshot ring = ingest_.snapshot();
          std::string ev = "event: update\ndata: ";
          {
            const std::shared_lock lock(store_.mu);
            ev += event_json(store_.store, ring);
          }
          ev += "\n\n";
          return sink.write(ev.data(), ev.size());
        },
        [this](bool) { streams_.fetch_sub(1); });
  });

  history_routes();

  svr_->Get(R"(/api/.*)", [](const Request&, Response& res) { json(res, 404, error_json("no such API")); });

  svr_->Get(R"(/.*)", [this](const Request& req, Response& res) {
    const Asset* a = assets_.find(req.path);
    if (a == nullptr) {
      res.status = 404;
      res.set_content("not found\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_content(a->body, a->mime.c_str());
  });
}

// /api/history (a search) and /api/history/flow?key=<msg_id> (one record): records of every sensor from
// ClickHouse, answered in the shapes of /api/flows and /api/flow. Access control is the pre-routing
// handler's, as for every /api route.
void ViewerServer::history_routes() {
  using httplib::Request;
  using httplib::Response;
  auto off = [this](Response& res) {
    if (cfg_.history.enabled()) return false;
    json(res, 404, error_json("history is not configured: set history.clickhouse_url in the viewer's config "
                              "(or --history http://host:8123)"));
    return true;
  };
  // Runs `sql`; a ClickHouse failure is counted and answered with 502 (then nullopt).
  auto query = [this](const std::string& sql, Response& res) -> std::optional<HistoryResult> {
    HistoryResult r = history_.run(sql);
    history_bad_records_ += r.bad_records;
    if (!r.ok) {
      ++history_errors_;
      json(res, 502, error_json(r.error));
      return std::nullopt;
    }
    ++history_queries_;
    return r;
  };
  svr_->Get("/api/history", [this, off, query](const Request& req, Response& res) {
    if (off(res)) return;
    std::vector<QueryError> errors;
    const HistorySearch search = parse_history_search(req.params, cfg_.history.max_rows, errors);
    if (!errors.empty()) {
      ++bad_requests_;
      ++history_bad_requests_;
      json(res, 400, error_json(errors));
      return;
    }
    const auto r = query(history_sql(search, cfg_.history.table), res);
    if (!r) return;
    history_records_ += r->rows.size();
    json(res, 200, history_json(r->rows, search.limit));
  });
  svr_->Get("/api/history/flow", [this, off, query](const Request& req, Response& res) {
    if (off(res)) return;
    const std::string key = req.get_param_value("key");
    if (key.empty() || key.size() > kMaxHistoryValueBytes) {
      ++bad_requests_;
      ++history_bad_requests_;
      json(res, 400, error_json(std::vector<QueryError>{{"key", "the record's msg_id, 1-256 bytes"}}));
      return;
    }
    const auto r = query(history_record_sql(key, cfg_.history.table), res);
    if (!r) return;
    if (r->rows.empty()) {
      json(res, 404, error_json("no such record in the history"));
      return;
    }
    history_records_ += 1;
    json(res, 200, history_detail_json(r->rows.front()));
  });
}

}  // namespace spanwatch::viewer
