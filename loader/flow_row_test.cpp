#include "loader/flow_row.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "loader/flow_columns.hpp"

namespace spanwatch::loader {
namespace {

const char* kRecord =
    R"({"@timestamp":"2026-11-22T20:10:39.095838Z","event":{"start":"2026-11-22T20:10:35.169418Z",)"
    R"("end":"2026-11-22T20:10:35.194852Z","duration":25434000,"reason":"shutdown","risk_score":150},)"
    R"("observer":{"name":"sensor-a","ingress":{"interface":{"name":"pcap0"}}},)"
    R"("network":{"transport":"tcp","type":"ipv4","bytes":8460,"packets":18,"protocol":"tls"},)"
    R"("source":{"ip":"127.0.0.1","port":36452,"bytes":1335,"packets":9},)"
    R"("destination":{"ip":"127.0.0.2","port":443,"bytes":7125,"packets":9,"as":{"number":64500}},)"
    R"("tls":{"client":{"server_name":"demo.spanwatch.test","ja3":"abc"}},)"
    R"("spanwatch":{"flow":{"id":"w0-000000000007","final":true,"sequence":2},"tls":{"ja4":"t13d"},)"
    R"("labels":["long_lived","elephant"]}})";

TEST(FlowRow, UtcTimes) {
  EXPECT_EQ(parse_utc_seconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_utc_seconds("2026-11-22T20:10:39.095838Z"), 1795378239);
  EXPECT_EQ(parse_utc_seconds("2026-11-22 20:10:39"), std::nullopt);
  EXPECT_EQ(parse_utc_seconds("2026-11"), std::nullopt);
}

TEST(FlowRow, EveryColumnFromTheRecord) {
  std::string out;
  ASSERT_TRUE(append_row(kRecord, {"sensor-a-00ff-7", 42}, out));
  ASSERT_EQ(out.back(), '\n');
  rapidjson::Document row;
  row.Parse(out.data(), out.size() - 1);
  ASSERT_TRUE(row.IsObject());
  EXPECT_EQ(row.MemberCount(), kFlowColumns.size());
  EXPECT_EQ(row["ts"].GetUint64(), 1795378239u);
  EXPECT_EQ(row["start_ts"].GetUint64(), 1795378235u);
  EXPECT_EQ(row["duration_ns"].GetUint64(), 25434000u);
  EXPECT_STREQ(row["observer"].GetString(), "sensor-a");
  EXPECT_STREQ(row["interface"].GetString(), "pcap0");
  EXPECT_STREQ(row["flow_id"].GetString(), "w0-000000000007");
  EXPECT_EQ(row["sequence"].GetUint64(), 2u);
  EXPECT_EQ(row["final"].GetUint64(), 1u);
  EXPECT_EQ(row["packets"].GetUint64(), 18u);
  EXPECT_EQ(row["bytes"].GetUint64(), 8460u);
  EXPECT_EQ(row["src_port"].GetUint64(), 36452u);
  EXPECT_EQ(row["dst_bytes"].GetUint64(), 7125u);
  EXPECT_EQ(row["dst_as"].GetUint64(), 64500u);
  EXPECT_EQ(row["src_as"].GetUint64(), 0u);          // absent -> 0
  EXPECT_STREQ(row["src_country"].GetString(), "");  // absent -> ""
  EXPECT_STREQ(row["tls_sni"].GetString(), "demo.spanwatch.test");
  EXPECT_STREQ(row["ja4"].GetString(), "t13d");
  EXPECT_STREQ(row["ja3"].GetString(), "abc");
  ASSERT_TRUE(row["labels"].IsArray());
  ASSERT_EQ(row["labels"].Size(), 2u);
  EXPECT_STREQ(row["labels"][1].GetString(), "elephant");
  EXPECT_EQ(row["risk_score"].GetUint64(), 150u);
  EXPECT_STREQ(row["msg_id"].GetString(), "sensor-a-00ff-7");
  EXPECT_EQ(row["stream_seq"].GetUint64(), 42u);
  EXPECT_STREQ(row["record"].GetString(), kRecord);
}

TEST(FlowRow, NotAnObjectIsRefused) {
  std::string out;
  EXPECT_FALSE(append_row("not json", {}, out));
  EXPECT_FALSE(append_row("[1,2]", {}, out));
  EXPECT_TRUE(out.empty());
}

// scripts/clickhouse-schema.sql declares exactly these columns, in this order, with these types.
TEST(FlowRow, SchemaFileMatchesTheColumns) {
  const char* root = std::getenv("SPANWATCH_SOURCE_ROOT");
  ASSERT_NE(root, nullptr);
  std::ifstream f(std::string(root) + "/scripts/clickhouse-schema.sql");
  ASSERT_TRUE(f.good());
  std::string line;
  bool in_table = false;
  size_t i = 0;
  while (std::getline(f, line)) {
    if (line.rfind("CREATE TABLE IF NOT EXISTS flows", 0) == 0 &&
        line.find("flows_all") == std::string::npos) {
      in_table = true;
      continue;
    }
    if (!in_table || line == "(") continue;
    if (line == ")") break;
    std::istringstream ss(line);
    std::string name, type;
    ss >> name >> type;
    if (!type.empty() && type.back() == ',') type.pop_back();
    ASSERT_LT(i, kFlowColumns.size()) << line;
    EXPECT_EQ(name, kFlowColumns[i].name);
    EXPECT_EQ(type, kFlowColumns[i].type) << name;
    ++i;
  }
  EXPECT_EQ(i, kFlowColumns.size());
}

}  // namespace
}  // namespace spanwatch::loader
