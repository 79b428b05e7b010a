// HistoryClient: GET /?query=... on ClickHouse (a GET runs read-only there), rows parsed line by line.
#include "viewer/history_client.hpp"

#include <httplib.h>
#include <rapidjson/document.h>

namespace spanwatch::viewer {
namespace {

constexpr size_t kMaxErrorText = 300;

std::string shorten(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.size() > kMaxErrorText) s = s.substr(0, kMaxErrorText) + "...";
  return s;
}

}  // namespace

HistoryResult HistoryClient::run(const std::string& sql) const {
  HistoryResult r;
  httplib::Client cli(cfg_.clickhouse_url);
  const time_t sec = static_cast<time_t>(cfg_.timeout_ms / 1000);
  const time_t usec = static_cast<time_t>(cfg_.timeout_ms % 1000) * 1000;
  cli.set_connection_timeout(sec, usec);
  cli.set_read_timeout(sec, usec);
  cli.set_write_timeout(sec, usec);
  if (!cfg_.user.empty()) cli.set_basic_auth(cfg_.user.c_str(), cfg_.password.c_str());
  // ClickHouse stops the query itself at the same limit (whole seconds, at least 1).
  const httplib::Params params{
      {"query", sql}, {"max_execution_time", std::to_string(std::max<uint32_t>(cfg_.timeout_ms / 1000, 1))}};
  const auto res = cli.Get("/", params, httplib::Headers{});
  if (!res) {
    r.error = "ClickHouse at " + cfg_.clickhouse_url + " unreachable: " + httplib::to_string(res.error());
    return r;
  }
  if (res->status != 200) {
    r.error = "ClickHouse answered HTTP " + std::to_string(res->status) + ": " + shorten(res->body);
    return r;
  }
  RecordParser parser;
  rapidjson::Document d;
  std::string_view rest = res->body;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (line.empty()) continue;
    d.Parse(line.data(), line.size());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("msg_id") || !d["msg_id"].IsString() ||
        !d.HasMember("record") || !d["record"].IsString()) {
      ++r.bad_records;
      continue;
    }
    FlowEntry e;
    e.key.assign(d["msg_id"].GetString(), d["msg_id"].GetStringLength());
    e.raw.assign(d["record"].GetString(), d["record"].GetStringLength());
    if (parser.parse(e.raw, e.s) != ParseStatus::kOk) {
      ++r.bad_records;
      continue;
    }
    e.records = 1;
    r.rows.push_back(std::move(e));
  }
  r.ok = true;
  return r;
}

}  // namespace spanwatch::viewer
