#include "viewer/viewer_config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace spanwatch::viewer {
namespace {

std::vector<std::string> keys(const std::string& yaml) {
  std::vector<std::string> out;
  try {
    ViewerConfig c = load_viewer_config_string(yaml);
    for (const auto& e : validate(c)) out.push_back(e.key);
  } catch (const lib::ConfigException& e) {
    for (const auto& err : e.errors()) out.push_back(err.key);
  }
  return out;
}

TEST(ViewerConfig, DefaultsAreValidAndLoopback) {
  const ViewerConfig c;
  EXPECT_TRUE(validate(c).empty());
  EXPECT_EQ(c.listen.address, "127.0.0.1");
  EXPECT_TRUE(keys("").empty());
}

TEST(ViewerConfig, ParsesEveryKey) {
  const ViewerConfig c = load_viewer_config_string(R"(
listen: {address: "::1", port: 9000, allowed_hosts: [sensor.lab]}
ring: {name: /other, start: newest, poll_interval_ms: 2, reconnect_interval_ms: 100}
store: {max_flows: 10, retention_s: 60, memory_mb: 64, series_s: 120, stale_s: 3}
http: {threads: 6, max_streams: 2, max_page: 200, www_dir: /tmp/www}
)");
  EXPECT_EQ(c.listen.address, "::1");
  EXPECT_EQ(c.listen.port, 9000);
  EXPECT_EQ(c.listen.allowed_hosts, std::vector<std::string>{"sensor.lab"});
  EXPECT_EQ(c.ring.name, "/other");
  EXPECT_FALSE(c.ring.from_oldest);
  EXPECT_EQ(c.store.max_flows, 10u);
  EXPECT_EQ(c.store.memory_mb, 64u);
  EXPECT_EQ(c.http.max_page, 200u);
  EXPECT_TRUE(validate(c).empty());
}

TEST(ViewerConfig, ReportsEveryProblemAtOnce) {
  const auto k = keys("listen: {port: 70000, adress: x}\nstore: {max_flows: -1}\nbogus: 1\n");
  EXPECT_EQ(k, (std::vector<std::string>{"listen.port", "listen.adress", "store.max_flows", "bogus"}));
}

TEST(ViewerConfig, NonLoopbackNeedsAToken) {
  EXPECT_EQ(keys("listen: {address: 0.0.0.0}"), std::vector<std::string>{"listen.address"});
  EXPECT_TRUE(keys("listen: {address: 0.0.0.0, access_token: 0123456789abcdef}").empty());
  EXPECT_EQ(keys("listen: {address: 0.0.0.0, access_token: short}"),
            std::vector<std::string>{"listen.access_token"});
  EXPECT_EQ(keys("listen: {address: not-an-ip}"), std::vector<std::string>{"listen.address"});
  EXPECT_TRUE(keys("listen: {address: localhost}").empty());
  EXPECT_TRUE(is_loopback_address("127.0.0.2"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("::"));
}

TEST(ViewerConfig, SemanticChecks) {
  EXPECT_EQ(keys("store: {memory_mb: 16}"), std::vector<std::string>{"store.memory_mb"});
  EXPECT_EQ(keys("ring: {name: no-slash}"), std::vector<std::string>{"ring.name"});
  EXPECT_EQ(keys("http: {threads: 4, max_streams: 3}"), std::vector<std::string>{"http.max_streams"});
  EXPECT_EQ(keys("ring: {start: middle}"), std::vector<std::string>{"ring.start"});
}

}  // namespace
}  // namespace spanwatch::viewer

namespace spanwatch::viewer {
namespace {

TEST(ViewerConfig, ShippedConfigFileLoadsAndValidates) {
  const char* root = std::getenv("SPANWATCH_SOURCE_ROOT");
  if (root == nullptr) GTEST_SKIP() << "SPANWATCH_SOURCE_ROOT not set";
  const ViewerConfig c = load_viewer_config_file(std::string(root) + "/conf/viewer.yaml");
  EXPECT_TRUE(validate(c).empty());
  const ViewerConfig d;
  EXPECT_EQ(c.listen.port, d.listen.port);  // the file documents the defaults
  EXPECT_EQ(c.store.memory_mb, d.store.memory_mb);
  EXPECT_EQ(c.http.threads, d.http.threads);
  EXPECT_EQ(c.ring.reconnect_interval_ms, d.ring.reconnect_interval_ms);
}

}  // namespace
}  // namespace spanwatch::viewer

namespace spanwatch::viewer {
namespace {

TEST(ViewerConfig, HistoryIsOffUnlessConfiguredAndValidated) {
  EXPECT_FALSE(ViewerConfig{}.history.enabled());
  const ViewerConfig c = load_viewer_config_string(R"(
history: {clickhouse_url: "http://127.0.0.1:8123", table: spanwatch.flows_all, user: viewer, password: pw,
          max_rows: 500, timeout_ms: 2000}
)");
  EXPECT_TRUE(c.history.enabled());
  EXPECT_EQ(c.history.table, "spanwatch.flows_all");
  EXPECT_EQ(c.history.user, "viewer");
  EXPECT_EQ(c.history.max_rows, 500u);
  EXPECT_EQ(c.history.timeout_ms, 2000u);
  EXPECT_TRUE(validate(c).empty());
  EXPECT_EQ(keys("history: {clickhouse_url: \"ftp://x\"}"),
            std::vector<std::string>{"history.clickhouse_url"});
  EXPECT_EQ(keys("history: {clickhouse_url: \"http://h:8123/?x=1\"}"),
            std::vector<std::string>{"history.clickhouse_url"});
  EXPECT_EQ(keys("history: {clickhouse_url: \"http://h:8123\", table: \"flows; DROP\"}"),
            std::vector<std::string>{"history.table"});
  EXPECT_EQ(keys("history: {clickhouse_url: \"http://h:8123\", password: x}"),
            std::vector<std::string>{"history.password"});
  EXPECT_EQ(keys("history: {max_rows: 0}"), std::vector<std::string>{"history.max_rows"});
  EXPECT_EQ(keys("history: {url: x}"), std::vector<std::string>{"history.url"});
}

}  // namespace
}  // namespace spanwatch::viewer
