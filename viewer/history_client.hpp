// Runs a History search on ClickHouse's HTTP interface (cpp-httplib client) and turns the stored whole
// records into FlowEntry values through the viewer's own RecordParser, so the API answers them in the
// shapes live flows use. One short-lived connection per search: the HTTP threads share nothing.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "viewer/flow_store.hpp"
#include "viewer/viewer_config.hpp"

namespace spanwatch::viewer {

struct HistoryResult {
  bool ok = false;
  std::string error;            // why not, for the API's error message (ClickHouse's own text, shortened)
  std::vector<FlowEntry> rows;  // key = the record's msg_id
  uint64_t bad_records = 0;     // stored records that did not parse as flow records (left out)
};

class HistoryClient {
 public:
  explicit HistoryClient(HistoryConfig cfg) : cfg_(std::move(cfg)) {}
  // `sql` from history_sql() / history_record_sql() (FORMAT JSONEachRow of msg_id, record).
  HistoryResult run(const std::string& sql) const;

 private:
  HistoryConfig cfg_;
};

}  // namespace spanwatch::viewer
