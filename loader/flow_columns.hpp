// The ClickHouse row of one flow record: every column, its type and where its value comes from, in one place.
// scripts/clickhouse-schema.sql declares the same columns (flow_row_test checks that they agree).
#pragma once
#include <array>
#include <string_view>

namespace spanwatch::loader {

enum class ColumnKind {
  kString,     // a JSON string ("" when absent)
  kUInt,       // a JSON number or boolean (0 when absent)
  kStrings,    // a JSON array of strings ([] when absent)
  kDateTime,   // an ISO-8601 UTC time string -> seconds since the epoch
  kMsgId,      // the message's Nats-Msg-Id header (unique per record and sensor run)
  kStreamSeq,  // the message's JetStream stream sequence
  kRecord,     // the whole JSON record, as published
};

struct Column {
  std::string_view name;
  std::string_view type;  // ClickHouse type
  ColumnKind kind;
  std::string_view pointer;  // JSON Pointer into the record (kString, kUInt, kDateTime)
};

inline constexpr std::array kFlowColumns = {
    Column{"ts", "DateTime", ColumnKind::kDateTime, "/@timestamp"},
    Column{"start_ts", "DateTime", ColumnKind::kDateTime, "/event/start"},
    Column{"end_ts", "DateTime", ColumnKind::kDateTime, "/event/end"},
    Column{"duration_ns", "UInt64", ColumnKind::kUInt, "/event/duration"},
    Column{"reason", "String", ColumnKind::kString, "/event/reason"},
    Column{"observer", "String", ColumnKind::kString, "/observer/name"},
    Column{"interface", "String", ColumnKind::kString, "/observer/ingress/interface/name"},
    Column{"flow_id", "String", ColumnKind::kString, "/spanwatch/flow/id"},
    Column{"sequence", "UInt32", ColumnKind::kUInt, "/spanwatch/flow/sequence"},
    Column{"final", "UInt8", ColumnKind::kUInt, "/spanwatch/flow/final"},
    Column{"transport", "String", ColumnKind::kString, "/network/transport"},
    Column{"ip_type", "String", ColumnKind::kString, "/network/type"},
    Column{"direction", "String", ColumnKind::kString, "/network/direction"},
    Column{"protocol", "String", ColumnKind::kString, "/network/protocol"},
    Column{"community_id", "String", ColumnKind::kString, "/network/community_id"},
    Column{"packets", "UInt64", ColumnKind::kUInt, "/network/packets"},
    Column{"bytes", "UInt64", ColumnKind::kUInt, "/network/bytes"},
    Column{"src_ip", "String", ColumnKind::kString, "/source/ip"},
    Column{"src_port", "UInt16", ColumnKind::kUInt, "/source/port"},
    Column{"src_packets", "UInt64", ColumnKind::kUInt, "/source/packets"},
    Column{"src_bytes", "UInt64", ColumnKind::kUInt, "/source/bytes"},
    Column{"src_country", "String", ColumnKind::kString, "/source/geo/country_iso_code"},
    Column{"src_as", "UInt32", ColumnKind::kUInt, "/source/as/number"},
    Column{"dst_ip", "String", ColumnKind::kString, "/destination/ip"},
    Column{"dst_port", "UInt16", ColumnKind::kUInt, "/destination/port"},
    Column{"dst_packets", "UInt64", ColumnKind::kUInt, "/destination/packets"},
    Column{"dst_bytes", "UInt64", ColumnKind::kUInt, "/destination/bytes"},
    Column{"dst_country", "String", ColumnKind::kString, "/destination/geo/country_iso_code"},
    Column{"dst_as", "UInt32", ColumnKind::kUInt, "/destination/as/number"},
    Column{"dst_domain", "String", ColumnKind::kString, "/destination/domain"},
    Column{"l7_app", "String", ColumnKind::kString, "/spanwatch/l7/app"},
    Column{"l7_category", "String", ColumnKind::kString, "/spanwatch/l7/category"},
    Column{"tls_sni", "String", ColumnKind::kString, "/tls/client/server_name"},
    Column{"ja3", "String", ColumnKind::kString, "/tls/client/ja3"},
    Column{"ja4", "String", ColumnKind::kString, "/spanwatch/tls/ja4"},
    Column{"conn_state", "String", ColumnKind::kString, "/spanwatch/tcp/conn_state"},
    Column{"labels", "Array(String)", ColumnKind::kStrings, "/spanwatch/labels"},
    Column{"risk_score", "UInt32", ColumnKind::kUInt, "/event/risk_score"},
    Column{"msg_id", "String", ColumnKind::kMsgId, ""},
    Column{"stream_seq", "UInt64", ColumnKind::kStreamSeq, ""},
    Column{"record", "String", ColumnKind::kRecord, ""},
};

}  // namespace spanwatch::loader
