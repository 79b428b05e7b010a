// The History search (issue 10's fleet view): URL parameters of /api/history, validated, turned into one
// ClickHouse SELECT over the loader's table (scripts/clickhouse-schema.sql). Every value reaches the SQL
// either as a number the parser produced or as a string literal written by quote_literal(); nothing from
// the request is pasted in as it came.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "viewer/flow_query.hpp"
#include "viewer/ip_match.hpp"

namespace spanwatch::viewer {

inline constexpr size_t kMaxHistoryValueBytes = 256;  // longest accepted search value
inline constexpr size_t kMaxHistoryValues = 16;       // values of one parameter (comma-separated, any of)

struct HistorySearch {
  std::optional<int64_t> from_s, to_s;  // record time (@timestamp, the ts column), Unix seconds, inclusive
  std::vector<Cidr> ip;                 // either side
  std::vector<PortRange> port;          // either side
  std::vector<std::string> application, sni, ja3, ja4, conn_state, label, sensor;
  uint32_t limit = 100;
};

// Parses from, to, ip, port, application, sni, ja3, ja4, conn_state, label, sensor and limit (1..max_rows).
// Unknown parameters are errors too: a typo must not widen the search silently.
HistorySearch parse_history_search(const QueryParams& params, uint32_t max_rows,
                                   std::vector<QueryError>& errors);

// "flows", "db.flows": letters, digits and '_' only. The config's table name is checked with this.
bool valid_table_name(std::string_view table);

// A ClickHouse string literal ('...') holding exactly `value`: quote and backslash escaped, control bytes
// and DEL as \xHH.
std::string quote_literal(std::string_view value);

// SELECT msg_id, record FROM <table> WHERE <filters> ORDER BY ts DESC ... LIMIT 1 BY msg_id LIMIT <limit>
// FORMAT JSONEachRow. A record stored twice (a loader crash, docs/fleet.md) is returned once.
std::string history_sql(const HistorySearch& s, std::string_view table);
// The one record with this msg_id (the details page).
std::string history_record_sql(std::string_view msg_id, std::string_view table);

}  // namespace spanwatch::viewer
