// One flow record (the JSON text of a JetStream message) -> one JSONEachRow line for ClickHouse, with the
// columns of flow_columns.hpp.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spanwatch::loader {

struct MessageMeta {
  std::string_view msg_id;  // Nats-Msg-Id header
  uint64_t stream_seq = 0;
};

// Appends the row and a newline to `out`. False (nothing appended) when the text is not a JSON object.
bool append_row(std::string_view record, const MessageMeta& meta, std::string& out);

// "2026-11-22T20:10:39.095838Z" -> seconds since the epoch (UTC); nullopt when malformed.
std::optional<int64_t> parse_utc_seconds(std::string_view iso);

}  // namespace spanwatch::loader
