#include "loader/clickhouse_client.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <stdexcept>

namespace spanwatch::loader {

ClickHouseClient::ClickHouseClient(ClickHouseOptions o) : o_(std::move(o)) {
  if (o_.url.rfind("http://", 0) != 0)
    throw std::invalid_argument(fmt::format("--clickhouse {}: expected http://HOST:PORT", o_.url));
  http_ = std::make_unique<httplib::Client>(o_.url);
  http_->set_connection_timeout(2, 0);
  http_->set_read_timeout(o_.timeout_s, 0);
  http_->set_write_timeout(o_.timeout_s, 0);
  http_->set_keep_alive(true);
}

ClickHouseClient::~ClickHouseClient() = default;

bool ClickHouseClient::post(const std::string& sql, const std::string& body, std::string* result) {
  httplib::Params params{{"query", sql}, {"database", o_.database}};
  if (!o_.user.empty()) params.emplace("user", o_.user);
  if (!o_.password.empty()) params.emplace("password", o_.password);
  const std::string path = httplib::append_query_params("/", params);
  auto res = http_->Post(path, body, "text/plain");
  if (!res) {
    error_ = fmt::format("ClickHouse {}: {}", o_.url, httplib::to_string(res.error()));
    return false;
  }
  if (res->status != 200) {
    std::string msg = res->body.substr(0, 300);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    error_ = fmt::format("ClickHouse {}: HTTP {}: {}", o_.url, res->status, msg);
    return false;
  }
  if (result) *result = std::move(res->body);
  error_.clear();
  return true;
}

bool ClickHouseClient::insert(const std::string& rows) {
  return post(fmt::format("INSERT INTO {} FORMAT JSONEachRow", o_.table), rows, nullptr);
}

bool ClickHouseClient::query(const std::string& sql, std::string& result) {
  return post(sql, "", &result);
}

}  // namespace spanwatch::loader
