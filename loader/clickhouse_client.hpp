// Inserts JSONEachRow batches into ClickHouse over its HTTP interface (port 8123): one POST per batch,
// accepted only on HTTP 200 (ClickHouse answers 200 once the block is written).
#pragma once
#include <memory>
#include <string>

namespace httplib {
class Client;
}

namespace spanwatch::loader {

struct ClickHouseOptions {
  std::string url = "http://127.0.0.1:8123";  // http://HOST:PORT
  std::string database = "default";
  std::string table = "flows";
  std::string user;  // empty: the server's default user
  std::string password;
  int timeout_s = 30;
};

class ClickHouseClient {
 public:
  explicit ClickHouseClient(ClickHouseOptions o);  // throws std::invalid_argument on a bad URL
  ~ClickHouseClient();

  // POSTs `rows` (JSONEachRow lines). True on HTTP 200; otherwise false and error() says why.
  bool insert(const std::string& rows);
  // Runs a query and returns its body; nullopt-like empty + error() on failure (for --check and tests).
  bool query(const std::string& sql, std::string& result);
  const std::string& error() const noexcept { return error_; }

 private:
  bool post(const std::string& sql, const std::string& body, std::string* result);

  ClickHouseOptions o_;
  std::unique_ptr<httplib::Client> http_;
  std::string error_;
};

}  // namespace spanwatch::loader
