// Tests for the config loader and validate(): defaults, the shipped conf/spanwatch.yaml, and one test per
// error kind checking that the message names the key (and that several errors come out together).
#include "lib/config/config_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace spanwatch::lib {
namespace {

namespace fs = std::filesystem;

// conf/spanwatch.yaml: $SPANWATCH_SOURCE_ROOT, else found by walking up from this source file, the test
// binary (build dirs sit inside the checkout) and the working directory.
fs::path find_default_config() {
  std::error_code ec;
  if (const char* root = std::getenv("SPANWATCH_SOURCE_ROOT")) return fs::path(root) / "conf/spanwatch.yaml";
  for (fs::path p : {fs::absolute(__FILE__, ec).parent_path(),
                     fs::read_symlink("/proc/self/exe", ec).parent_path(), fs::current_path(ec)}) {
    for (; !p.empty() && p != p.root_path(); p = p.parent_path()) {
      if (fs::exists(p / "conf/spanwatch.yaml", ec) && fs::exists(p / "lib/config", ec))
        return p / "conf/spanwatch.yaml";
    }
  }
  return {};
}

// The errors of a load that must fail.
std::vector<ConfigError> load_errors(const std::string& yaml) {
  try {
    load_config_string(yaml);
  } catch (const ConfigException& e) {
    return e.errors();
  }
  ADD_FAILURE() << "expected a ConfigException for:\n" << yaml;
  return {};
}

const ConfigError* find_key(const std::vector<ConfigError>& errs, const std::string& key) {
  for (const auto& e : errs) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::string dump(const std::vector<ConfigError>& errs) {
  std::string s;
  for (const auto& e : errs) s += e.key + ": " + e.message + "\n";
  return s;
}

// Expects an error at `key` whose message contains every fragment.
void expect_error(const std::vector<ConfigError>& errs, const std::string& key,
                  std::initializer_list<std::string_view> fragments) {
  const ConfigError* e = find_key(errs, key);
  ASSERT_NE(e, nullptr) << "no error for " << key << "; got:\n" << dump(errs);
  for (std::string_view f : fragments)
    EXPECT_NE(e->message.find(f), std::string::npos) << key << ": " << e->message;
}

PortConfig port(std::string device, uint16_t rx_queues = 1, uint16_t rx_desc = 1024) {
  PortConfig p;
  p.device = std::move(device);
  p.rx_queues = rx_queues;
  p.rx_desc = rx_desc;
  return p;
}

// A config that passes validate(): one port, lcores 0 / 1 / 2.
SpanwatchConfig valid_config() {
  SpanwatchConfig c;
  c.ports.push_back(port("0000:3b:00.0"));
  c.lcores.rx = {1};
  c.lcores.workers = {2};
  return c;
}

TEST(ConfigLoader, EmptyDocumentGivesDefaults) {
  const SpanwatchConfig c = load_config_string("");
  const SpanwatchConfig d;
  EXPECT_TRUE(c.ports.empty());
  EXPECT_EQ(c.lcores.main, d.lcores.main);
  EXPECT_EQ(c.lcores.rx, d.lcores.rx);
  EXPECT_EQ(c.lcores.workers, d.lcores.workers);
  EXPECT_EQ(c.lcores.exporter, -1);
  EXPECT_EQ(c.memory.rx_ring_size, 4096u);
  EXPECT_EQ(c.flows.tcp_idle_timeout_s, 300u);
  EXPECT_EQ(c.output.dir, "/var/log/spanwatch");
  EXPECT_EQ(c.log_level, "warning");

  // Present but empty sections and null values also keep the defaults.
  const SpanwatchConfig e = load_config_string("lcores:\nmemory: {}\nflows:\n  tcp_idle_timeout_s:\n");
  EXPECT_EQ(e.flows.tcp_idle_timeout_s, 300u);
  EXPECT_EQ(e.lcores.rx, d.lcores.rx);
}

TEST(ConfigLoader, DefaultsPassValidationOnceAPortAndLcoresAreSet) {
  EXPECT_TRUE(validate(valid_config()).empty()) << dump(validate(valid_config()));
  // The bare defaults need a port; everything else about them is explained by the error list.
  expect_error(validate(SpanwatchConfig{}), "ports", {"no port", "--pcap"});
}

TEST(ConfigLoader, ShippedConfigParsesAndValidates) {
  const fs::path path = find_default_config();
  ASSERT_FALSE(path.empty()) << "conf/spanwatch.yaml not found; set SPANWATCH_SOURCE_ROOT";
  const SpanwatchConfig c = load_config_file(path.string());
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].device, "0000:3b:00.0");
  EXPECT_EQ(c.ports[0].name, "span0");
  EXPECT_EQ(c.ports[0].rx_queues, 1u);
  EXPECT_EQ(c.ports[0].rx_desc, 4096u);
  EXPECT_EQ(c.ports[0].link_type, "ethernet");
  EXPECT_EQ(c.lcores.main, 0u);
  EXPECT_EQ(c.lcores.rx, std::vector<unsigned>({1}));
  EXPECT_EQ(c.lcores.workers, std::vector<unsigned>({2, 3}));
  EXPECT_EQ(c.lcores.exporter, -1);
  EXPECT_FALSE(c.lcores.shared_cpus);
  EXPECT_EQ(c.lcores.cpu_map, "");
  // Everything else is the struct default: the file documents the defaults.
  const SpanwatchConfig d;
  EXPECT_EQ(c.memory.hugepages, d.memory.hugepages);
  EXPECT_EQ(c.memory.memory_mb, d.memory.memory_mb);
  EXPECT_EQ(c.memory.mbufs, d.memory.mbufs);
  EXPECT_EQ(c.memory.mbuf_cache, d.memory.mbuf_cache);
  EXPECT_EQ(c.memory.rx_ring_size, d.memory.rx_ring_size);
  EXPECT_EQ(c.memory.export_ring_size, d.memory.export_ring_size);
  EXPECT_EQ(c.flows.max_flows_per_worker, d.flows.max_flows_per_worker);
  EXPECT_EQ(c.flows.tcp_idle_timeout_s, d.flows.tcp_idle_timeout_s);
  EXPECT_EQ(c.flows.tcp_linger_s, d.flows.tcp_linger_s);
  EXPECT_EQ(c.flows.tcp_attempt_timeout_s, d.flows.tcp_attempt_timeout_s);
  EXPECT_EQ(c.flows.tcp_handshake_timeout_s, d.flows.tcp_handshake_timeout_s);
  EXPECT_EQ(c.flows.udp_idle_timeout_s, d.flows.udp_idle_timeout_s);
  EXPECT_EQ(c.flows.icmp_idle_timeout_s, d.flows.icmp_idle_timeout_s);
  EXPECT_EQ(c.flows.other_idle_timeout_s, d.flows.other_idle_timeout_s);
  EXPECT_EQ(c.flows.active_timeout_s, d.flows.active_timeout_s);
  EXPECT_EQ(c.flows.fragment_timeout_s, d.flows.fragment_timeout_s);
  EXPECT_EQ(c.output.dir, d.output.dir);
  EXPECT_EQ(c.output.file, d.output.file);
  EXPECT_EQ(c.output.stats_interval_s, d.output.stats_interval_s);
  EXPECT_EQ(c.output.rotate_mb, d.output.rotate_mb);
  EXPECT_EQ(c.output.rotate_interval_s, d.output.rotate_interval_s);
  EXPECT_EQ(c.output.max_files, d.output.max_files);
  EXPECT_EQ(c.output.max_total_mb, d.output.max_total_mb);
  EXPECT_EQ(c.output.fsync, d.output.fsync);
  EXPECT_EQ(c.output.fsync_interval_s, d.output.fsync_interval_s);
  EXPECT_EQ(c.observer.name, d.observer.name);
  EXPECT_EQ(c.eal_args, d.eal_args);
  EXPECT_EQ(c.log_level, d.log_level);
  EXPECT_TRUE(validate(c).empty()) << dump(validate(c));
}

TEST(ConfigLoader, ReadsEveryKey) {
  const SpanwatchConfig c = load_config_string(R"(
ports:
  - {device: "net_pcap0,rx_pcap=a.pcap", name: p0, rx_queues: 2, rx_desc: 512, link_type: raw}
  - device: 0000:3b:00.1
lcores: {main: 4, rx: 5, workers: [6, 7], exporter: 8, shared_cpus: yes, cpu_map: "0@0"}
memory: {hugepages: false, memory_mb: 256, mbufs: 0x2000, mbuf_cache: 128, rx_ring_size: 1024, export_ring_size: 2048}
flows: {max_flows_per_worker: 4096, tcp_idle_timeout_s: 10, tcp_linger_s: 1, udp_idle_timeout_s: 11,
        icmp_idle_timeout_s: 12, other_idle_timeout_s: 13, active_timeout_s: 14, fragment_timeout_s: 15}
output: {dir: /tmp/x, file: f.json, stats_interval_s: 2, rotate_mb: 100}
observer: {name: lab}
eal_args: [--file-prefix=t, "--no-pci"]
log_level: debug
)");
  ASSERT_EQ(c.ports.size(), 2u);
  EXPECT_EQ(c.ports[0].device, "net_pcap0,rx_pcap=a.pcap");
  EXPECT_EQ(c.ports[0].name, "p0");
  EXPECT_EQ(c.ports[0].rx_queues, 2u);
  EXPECT_EQ(c.ports[0].rx_desc, 512u);
  EXPECT_EQ(c.ports[0].link_type, "raw");
  EXPECT_EQ(c.ports[1].device, "0000:3b:00.1");
  EXPECT_EQ(c.ports[1].rx_desc, 1024u);  // default
  EXPECT_EQ(c.lcores.main, 4u);
  EXPECT_EQ(c.lcores.rx, std::vector<unsigned>({5}));  // a scalar is a one-element list
  EXPECT_EQ(c.lcores.workers, std::vector<unsigned>({6, 7}));
  EXPECT_EQ(c.lcores.exporter, 8);
  EXPECT_TRUE(c.lcores.shared_cpus);
  EXPECT_EQ(c.lcores.cpu_map, "0@0");
  EXPECT_FALSE(c.memory.hugepages);
  EXPECT_EQ(c.memory.memory_mb, 256u);
  EXPECT_EQ(c.memory.mbufs, 0x2000u);
  EXPECT_EQ(c.memory.mbuf_cache, 128u);
  EXPECT_EQ(c.memory.rx_ring_size, 1024u);
  EXPECT_EQ(c.memory.export_ring_size, 2048u);
  EXPECT_EQ(c.flows.max_flows_per_worker, 4096u);
  EXPECT_EQ(c.flows.tcp_idle_timeout_s, 10u);
  EXPECT_EQ(c.flows.tcp_linger_s, 1u);
  EXPECT_EQ(c.flows.udp_idle_timeout_s, 11u);
  EXPECT_EQ(c.flows.icmp_idle_timeout_s, 12u);
  EXPECT_EQ(c.flows.other_idle_timeout_s, 13u);
  EXPECT_EQ(c.flows.active_timeout_s, 14u);
  EXPECT_EQ(c.flows.fragment_timeout_s, 15u);
  EXPECT_EQ(c.output.dir, "/tmp/x");
  EXPECT_EQ(c.output.file, "f.json");
  EXPECT_EQ(c.output.stats_interval_s, 2u);
  EXPECT_EQ(c.output.rotate_mb, 100u);
  EXPECT_EQ(c.observer.name, "lab");
  EXPECT_EQ(c.eal_args, std::vector<std::string>({"--file-prefix=t", "--no-pci"}));
  EXPECT_EQ(c.log_level, "debug");
}

TEST(ConfigLoader, UnknownKeysNameThePathAndSuggest) {
  const auto errs = load_errors(R"(
flows:
  idel_timeout_s: 5
  tcp_idel_timeout_s: 5
ports:
  - device: x
    rx_queeus: 2
bogus: 1
)");
  expect_error(errs, "flows.idel_timeout_s",
               {"unknown key", "did you mean", "tcp_idle_timeout_s", "udp_idle_timeout_s", "line 3"});
  expect_error(errs, "flows.tcp_idel_timeout_s", {"unknown key", "did you mean tcp_idle_timeout_s?"});
  expect_error(errs, "ports[0].rx_queeus", {"unknown key", "did you mean rx_queues?"});
  const ConfigError* bogus = find_key(errs, "bogus");
  ASSERT_NE(bogus, nullptr);
  EXPECT_EQ(bogus->message.find("did you mean"), std::string::npos) << "nothing is close to 'bogus'";
  EXPECT_EQ(errs.size(), 4u) << dump(errs);
}

TEST(ConfigLoader, WrongTypesQuoteTheValue) {
  const auto errs = load_errors(R"(
flows:
  tcp_idle_timeout_s: five minutes
  udp_idle_timeout_s: 1.5
lcores:
  shared_cpus: maybe
  rx: {a: 1}
  workers: [2, x]
  exporter: none
ports: {device: x}
observer:
  name: [a, b]
memory: 7
)");
  expect_error(errs, "flows.tcp_idle_timeout_s", {"expected an unsigned integer", "\"five minutes\""});
  expect_error(errs, "flows.udp_idle_timeout_s", {"\"1.5\""});
  expect_error(errs, "lcores.shared_cpus", {"true or false", "\"maybe\""});
  expect_error(errs, "lcores.rx", {"expected a list", "map"});
  expect_error(errs, "lcores.workers[1]", {"\"x\""});
  expect_error(errs, "lcores.exporter", {"expected an integer", "\"none\""});
  expect_error(errs, "ports", {"expected a list of ports"});
  expect_error(errs, "observer.name", {"expected a string", "list"});
  expect_error(errs, "memory", {"expected a map", "\"7\""});
}

TEST(ConfigLoader, NegativeAndOutOfRangeNumbers) {
  const auto errs = load_errors(R"(
flows: {tcp_idle_timeout_s: -5, max_flows_per_worker: 99999999999999999999}
ports: [{device: x, rx_desc: 70000}]
lcores: {main: -1, exporter: -2}
)");
  expect_error(errs, "flows.tcp_idle_timeout_s", {"-5 is negative"});
  expect_error(errs, "flows.max_flows_per_worker", {"99999999999999999999", "out of range", "4294967295"});
  expect_error(errs, "ports[0].rx_desc", {"70000", "out of range", "65535"});
  expect_error(errs, "lcores.main", {"-1 is negative"});
  expect_error(errs, "lcores.exporter", {"-2", "minimum -1"});
}

TEST(ConfigLoader, YamlSyntaxErrorHasLineAndColumn) {
  const auto errs = load_errors("flows:\n  tcp_idle_timeout_s: 5\n bad: [1, 2\n");
  ASSERT_EQ(errs.size(), 1u) << dump(errs);
  EXPECT_EQ(errs[0].key.rfind("<string>:", 0), 0u) << errs[0].key;
  EXPECT_NE(errs[0].message.find("YAML syntax error"), std::string::npos) << errs[0].message;
  // FILE:LINE:COL
  const std::string& k = errs[0].key;
  EXPECT_EQ(std::count(k.begin(), k.end(), ':'), 2) << k;
}

TEST(ConfigLoader, DuplicateKeysAreErrors) {
  const auto errs = load_errors("flows:\n  tcp_linger_s: 1\n  tcp_linger_s: 2\n");
  expect_error(errs, "flows.tcp_linger_s", {"duplicate key", "line 3"});
}

TEST(ConfigLoader, MissingFileIsAConfigError) {
  try {
    load_config_file("/nonexistent/spanwatch.yaml");
    FAIL();
  } catch (const ConfigException& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].key, "/nonexistent/spanwatch.yaml");
  }
}

TEST(ConfigLoader, FileSyntaxErrorNamesTheFile) {
  const fs::path p = fs::temp_directory_path() / ("config_loader_test_" + std::to_string(getpid()) + ".yaml");
  { std::ofstream(p) << "ports:\n  - device: x\n    rx_desc: [1, 2\n"; }
  try {
    load_config_file(p.string());
    ADD_FAILURE() << "expected a ConfigException";
  } catch (const ConfigException& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].key.rfind(p.string() + ":", 0), 0u) << e.errors()[0].key;
  }
  fs::remove(p);
}

TEST(ConfigLoader, WhatListsEveryErrorOnItsOwnLine) {
  try {
    load_config_string("flows: {tcp_linger_s: x}\nmemory: {mbufs: -1}\nnope: 1\n");
    FAIL();
  } catch (const ConfigException& e) {
    ASSERT_EQ(e.errors().size(), 3u);
    const std::string what = e.what();
    EXPECT_EQ(std::count(what.begin(), what.end(), '\n'), 2) << what;
    EXPECT_NE(what.find("config error: flows.tcp_linger_s: expected an unsigned integer"), std::string::npos)
        << what;
    EXPECT_NE(what.find("config error: memory.mbufs: -1 is negative"), std::string::npos) << what;
    EXPECT_NE(what.find("config error: nope: unknown key"), std::string::npos) << what;
  }
}

// ---- validate() -------------------------------------------------------------------------------------------

TEST(ConfigValidate, RingSizesArePowersOfTwoInRange) {
  SpanwatchConfig c = valid_config();
  c.memory.rx_ring_size = 3000;
  c.memory.export_ring_size = 32;
  const auto errs = validate(c);
  expect_error(errs, "memory.rx_ring_size", {"3000 is not a power of two; use 2048 or 4096"});
  expect_error(errs, "memory.export_ring_size", {"32", "[64, 1048576]"});
  c.memory.export_ring_size = 1u << 21;
  expect_error(validate(c), "memory.export_ring_size", {"2097152"});
}

TEST(ConfigValidate, PortLimits) {
  SpanwatchConfig c = valid_config();
  c.ports[0].rx_queues = 0;
  c.ports[0].rx_desc = 32;
  c.ports[0].link_type = "token_ring";
  c.ports.push_back(port("0000:3b:00.0", 65, 20000));
  c.ports.push_back({});
  const auto errs = validate(c);
  expect_error(errs, "ports[0].rx_queues", {"0", "[1, 64]"});
  expect_error(errs, "ports[0].rx_desc", {"32", "[64, 16384]"});
  expect_error(errs, "ports[0].link_type", {"token_ring", "ethernet", "linux_sll2"});
  expect_error(errs, "ports[1].device", {"already used by ports[0]"});
  expect_error(errs, "ports[1].rx_queues", {"65"});
  expect_error(errs, "ports[1].rx_desc", {"20000"});
  expect_error(errs, "ports[2].device", {"missing"});
}

TEST(ConfigValidate, LcoreRolesConflictUnlessShared) {
  SpanwatchConfig c = valid_config();
  c.lcores.rx = {1};
  c.lcores.workers = {1, 0};
  auto errs = validate(c);
  expect_error(errs, "lcores.workers[0]",
               {"lcore 1 is also an RX lcore (lcores.rx[0])", "shared_cpus: true"});
  expect_error(errs, "lcores.workers[1]", {"lcore 0 is also the main lcore", "shared_cpus"});

  c.lcores.shared_cpus = true;
  EXPECT_TRUE(validate(c).empty()) << dump(validate(c));

  c.lcores.workers = {2, 2};  // twice in the same role: a mistake even with shared CPUs
  expect_error(validate(c), "lcores.workers[1]", {"listed twice"});

  c.lcores.shared_cpus = false;
  c.lcores.workers = {2};
  c.lcores.exporter = 2;
  expect_error(validate(c), "lcores.workers[0]", {"also the exporter lcore"});
}

TEST(ConfigValidate, LcoreIdsAndLists) {
  SpanwatchConfig c = valid_config();
  c.lcores.main = 128;
  c.lcores.rx = {};
  c.lcores.workers = {};
  c.lcores.exporter = 200;
  auto errs = validate(c);
  expect_error(errs, "lcores.main", {"128", "RTE_MAX_LCORE"});
  expect_error(errs, "lcores.exporter", {"200"});
  expect_error(errs, "lcores.rx", {"empty"});
  expect_error(errs, "lcores.workers", {"empty"});

  c = valid_config();
  c.lcores.rx = {1, 3};  // two RX lcores but one queue
  c.lcores.workers = {2, 130};
  errs = validate(c);
  expect_error(errs, "lcores.rx", {"2 RX lcores", "1 RX queue"});
  expect_error(errs, "lcores.workers[1]", {"130"});
}

TEST(ConfigValidate, MemoryFlowsOutputLogLevel) {
  SpanwatchConfig c = valid_config();
  c.memory.memory_mb = 32;
  c.memory.mbuf_cache = 600;
  c.flows.max_flows_per_worker = 100;
  c.flows.udp_idle_timeout_s = 0;
  c.flows.tcp_linger_s = 400;
  c.output.dir = "";
  c.output.file = "a/b.json";
  c.output.stats_interval_s = 0;
  c.log_level = "loud";
  const auto errs = validate(c);
  expect_error(errs, "memory.memory_mb", {"32", "64"});
  expect_error(errs, "memory.mbuf_cache", {"600", "512"});
  expect_error(errs, "flows.max_flows_per_worker", {"100", "[1024, 134217727]"});
  expect_error(errs, "flows.udp_idle_timeout_s", {"0 is not allowed"});
  expect_error(errs, "flows.tcp_linger_s", {"400", "tcp_idle_timeout_s (300)"});
  expect_error(errs, "output.dir", {"empty"});
  expect_error(errs, "output.file", {"a/b.json"});
  expect_error(errs, "output.stats_interval_s", {"0"});
  expect_error(errs, "log_level", {"loud", "warning"});
  EXPECT_EQ(errs.size(), 9u) << dump(errs);

  c = valid_config();
  c.memory.mbufs = 1000;  // fewer than the 1024 RX descriptors
  expect_error(validate(c), "memory.mbufs", {"1000", "1024", "0 (auto)"});
  c.memory.mbufs = 1100;  // fills the NIC; the 256 cache is below 1100 / 1.5
  EXPECT_TRUE(validate(c).empty()) << dump(validate(c));
  c.ports[0].rx_desc = 64;
  c.memory.mbuf_cache = 512;  // 512 * 1.5 = 768 > 700: rte_mempool_create would refuse
  c.memory.mbufs = 700;
  expect_error(validate(c), "memory.mbuf_cache", {"512", "mbufs / 1.5"});
  c.log_level = "7";
  EXPECT_FALSE(find_key(validate(c), "log_level"));
}

TEST(ConfigLoader, OutputRotationRetentionFsync) {
  SpanwatchConfig c = load_config_string(
      "output: {rotate_mb: 100, rotate_interval_s: 3600, max_files: 48, max_total_mb: 4096, fsync: interval, "
      "fsync_interval_s: 5}\n");
  EXPECT_EQ(c.output.rotate_mb, 100u);
  EXPECT_EQ(c.output.rotate_interval_s, 3600u);
  EXPECT_EQ(c.output.max_files, 48u);
  EXPECT_EQ(c.output.max_total_mb, 4096u);
  EXPECT_EQ(c.output.fsync, "interval");
  EXPECT_EQ(c.output.fsync_interval_s, 5u);
  const SpanwatchConfig d;
  EXPECT_EQ(d.output.rotate_interval_s, 0u);
  EXPECT_EQ(d.output.max_files, 0u);
  EXPECT_EQ(d.output.max_total_mb, 0u);
  EXPECT_EQ(d.output.fsync, "rotate");
  EXPECT_EQ(d.output.fsync_interval_s, 1u);
  c = load_config_string("output: {fsync: true}\n");  // a string to YAML; validate() rejects it
  expect_error(validate(c), "output.fsync", {"true", "none, rotate, interval"});
  expect_error(load_errors("output: {max_files: -1}\n"), "output.max_files", {"-1"});
  expect_error(load_errors("output: {rotate_interval: 60}\n"), "output.rotate_interval",
               {"rotate_interval_s"});
}

TEST(ConfigValidate, OutputRotationRetentionFsync) {
  SpanwatchConfig c = valid_config();
  c.output.fsync = "always";
  c.output.max_files = 10;  // no rotation configured
  auto errs = validate(c);
  expect_error(errs, "output.fsync", {"always", "none, rotate, interval"});
  expect_error(errs, "output.max_files", {"no effect", "rotate_mb", "rotate_interval_s"});
  EXPECT_EQ(errs.size(), 2u) << dump(errs);

  c = valid_config();
  c.output.fsync = "interval";
  c.output.fsync_interval_s = 0;
  c.output.rotate_mb = 100;
  c.output.max_total_mb = 50;
  errs = validate(c);
  expect_error(errs, "output.fsync_interval_s", {"0 is not allowed"});
  expect_error(errs, "output.max_total_mb", {"50", "rotate_mb (100)"});
  EXPECT_EQ(errs.size(), 2u) << dump(errs);

  c = valid_config();
  c.output.rotate_interval_s = 3600;  // age rotation alone is enough for retention
  c.output.max_total_mb = 10;
  c.output.fsync = "none";
  c.output.fsync_interval_s = 0;  // only read for fsync: interval
  EXPECT_TRUE(validate(c).empty()) << dump(validate(c));
}

}  // namespace
}  // namespace spanwatch::lib

namespace spanwatch::lib {
namespace {

TEST(ConfigLoader, EnrichmentSection) {
  const SpanwatchConfig c = load_config_string(R"(
enrichment:
  local_networks: [10.1.0.0/16]
  services: {"tcp/8443": admin-ui, "udp/9999": telemetry}
  geoip_city: /data/city.mmdb
  inventory: assets.csv
  rules: rules.yaml
  long_lived_s: 60
  elephant_bytes: 1000000
)");
  const EnrichmentConfig& e = c.enrichment;
  EXPECT_EQ(e.local_networks, std::vector<std::string>{"10.1.0.0/16"});
  ASSERT_EQ(e.services.size(), 2u);
  EXPECT_EQ(e.services[0].l4_proto, 6);
  EXPECT_EQ(e.services[0].port, 8443);
  EXPECT_EQ(e.services[0].name, "admin-ui");
  EXPECT_EQ(e.services[1].l4_proto, 17);
  EXPECT_EQ(e.geoip_city, std::vector<std::string>{"/data/city.mmdb"});
  EXPECT_FALSE(e.geoip_default);
  EXPECT_EQ(e.long_lived_s, 60u);
  EXPECT_EQ(e.elephant_bytes, 1000000u);
  EXPECT_TRUE(load_config_string("enrichment: {enabled: false}").enrichment.geoip_default);

  SpanwatchConfig r = c;  // data files are found beside the config file
  resolve_data_paths(r, "/etc/spanwatch");
  EXPECT_EQ(r.enrichment.inventory, "/etc/spanwatch/assets.csv");
  EXPECT_EQ(r.enrichment.rules, "/etc/spanwatch/rules.yaml");
  EXPECT_EQ(r.enrichment.geoip_city[0], "/data/city.mmdb");
}

TEST(ConfigLoader, EnrichmentErrorsNameTheKey) {
  const auto errs = load_errors(R"(
enrichment:
  services: {"tcp/99999": x, "icmp/1": y, "udp/53": [a]}
  long_lived: 5
)");
  expect_error(errs, "enrichment.services.tcp/99999", {"tcp/PORT", "65535"});
  expect_error(errs, "enrichment.services.icmp/1", {"tcp/PORT"});
  expect_error(errs, "enrichment.services.udp/53", {"service name"});
  expect_error(errs, "enrichment.long_lived", {"unknown key", "long_lived_s"});
}

TEST(ConfigLoader, IpfixSection) {
  EXPECT_FALSE(load_config_string("").ipfix.enabled);  // off unless asked for
  const SpanwatchConfig c = load_config_string(R"(
ipfix:
  enabled: true
  collector: collector.example.net
  port: 2055
  transport: tcp
  observation_domain: 7
  template_refresh_s: 30
  template_refresh_messages: 0
  mtu: 9000
)");
  const IpfixConfig& x = c.ipfix;
  EXPECT_TRUE(x.enabled);
  EXPECT_EQ(x.collector, "collector.example.net");
  EXPECT_EQ(x.port, 2055);
  EXPECT_EQ(x.transport, "tcp");
  EXPECT_EQ(x.observation_domain, 7u);
  EXPECT_EQ(x.template_refresh_s, 30u);
  EXPECT_EQ(x.template_refresh_messages, 0u);
  EXPECT_EQ(x.mtu, 9000u);
  SpanwatchConfig v = valid_config();
  v.ipfix = x;
  EXPECT_TRUE(validate(v).empty()) << dump(validate(v));

  expect_error(load_errors("ipfix: {port: 70000}"), "ipfix.port", {"70000"});
  expect_error(load_errors("ipfix: {colector: x}"), "ipfix.colector", {"did you mean collector?"});
  v.ipfix.transport = "sctp";
  v.ipfix.mtu = 512;
  v.ipfix.collector = "";
  const auto errs = validate(v);
  expect_error(errs, "ipfix.transport", {"sctp", "udp or tcp"});
  expect_error(errs, "ipfix.mtu", {"512", "1024"});
  expect_error(errs, "ipfix.collector", {"empty"});
  v.ipfix.enabled = false;  // a disabled section is not checked
  EXPECT_TRUE(validate(v).empty()) << dump(validate(v));
}

TEST(ConfigLoader, NatsSection) {
  EXPECT_FALSE(load_config_string("").nats.enabled);  // off unless asked for
  const SpanwatchConfig c = load_config_string(R"(
nats:
  enabled: true
  servers: ["nats://10.0.0.1:4222", "tls://10.0.0.2:4222"]
  user: sensor
  password: pw
  tls_ca: ca.pem
  stream: FLOWS_EU
  subject_prefix: corp.flows
  replicas: 3
  max_age_hours: 48
  buffer_records: 5000
  ack_timeout_ms: 1500
  spill_file: /var/lib/spanwatch/spill.bin
  spill_max_mb: 64
)");
  const NatsConfig& n = c.nats;
  EXPECT_TRUE(n.enabled);
  EXPECT_EQ(n.servers, (std::vector<std::string>{"nats://10.0.0.1:4222", "tls://10.0.0.2:4222"}));
  EXPECT_EQ(n.user, "sensor");
  EXPECT_EQ(n.stream, "FLOWS_EU");
  EXPECT_EQ(n.subject_prefix, "corp.flows");
  EXPECT_EQ(n.replicas, 3u);
  EXPECT_EQ(n.max_age_hours, 48u);
  EXPECT_EQ(n.buffer_records, 5000u);
  EXPECT_EQ(n.ack_timeout_ms, 1500u);
  EXPECT_EQ(n.spill_file, "/var/lib/spanwatch/spill.bin");
  EXPECT_EQ(n.spill_max_mb, 64u);
  SpanwatchConfig v = valid_config();
  v.nats = n;
  EXPECT_TRUE(validate(v).empty()) << dump(validate(v));

  expect_error(load_errors("nats: {replica: 3}"), "nats.replica", {"did you mean replicas?"});
  v.nats.servers = {"10.0.0.1:4222"};
  v.nats.stream = "flows.eu";
  v.nats.subject_prefix = "corp.>";
  v.nats.replicas = 7;
  v.nats.user = "";
  v.nats.tls_key = "k.pem";
  v.nats.spill_max_mb = 0;
  const auto errs = validate(v);
  expect_error(errs, "nats.servers[0]", {"10.0.0.1:4222", "nats://"});
  expect_error(errs, "nats.stream", {"flows.eu"});
  expect_error(errs, "nats.subject_prefix", {"corp.>"});
  expect_error(errs, "nats.replicas", {"7"});
  expect_error(errs, "nats.password", {"nats.user"});
  expect_error(errs, "nats.tls_cert", {"tls_key"});
  expect_error(errs, "nats.spill_max_mb", {"spill_file"});
  v.nats.enabled = false;  // a disabled section is not checked
  EXPECT_TRUE(validate(v).empty()) << dump(validate(v));
}

TEST(ConfigLoader, PortMtuLinkWaitAndMetrics) {
  const SpanwatchConfig d = load_config_string("");
  EXPECT_FALSE(d.metrics.enabled);  // off unless asked for, and loopback when on
  EXPECT_EQ(d.metrics.listen, "127.0.0.1:9273");
  const SpanwatchConfig c = load_config_string(R"(
ports: [{device: "0000:3b:00.0", mtu: 9000, link_wait_s: 3}]
metrics: {enabled: true, listen: "127.0.0.1:0"}
)");
  EXPECT_EQ(c.ports[0].mtu, 9000u);
  EXPECT_EQ(c.ports[0].link_wait_s, 3u);
  EXPECT_TRUE(c.metrics.enabled);
  EXPECT_EQ(c.metrics.listen, "127.0.0.1:0");
  SpanwatchConfig v = valid_config();
  v.ports[0].mtu = 9000;
  v.metrics = c.metrics;
  EXPECT_TRUE(validate(v).empty()) << dump(validate(v));

  expect_error(load_errors("metrics: {listn: x}"), "metrics.listn", {"did you mean listen?"});
  v.ports[0].mtu = 20000;
  v.metrics.listen = "9273";
  const auto errs = validate(v);
  expect_error(errs, "ports[0].mtu", {"20000", "[68, 9600]", "9000"});
  expect_error(errs, "metrics.listen", {"9273", "HOST:PORT"});
  v.metrics.listen = "127.0.0.1:99999";
  expect_error(validate(v), "metrics.listen", {"99999"});
  v.metrics.enabled = false;  // a disabled endpoint is not checked
  v.ports[0].mtu = 0;
  EXPECT_TRUE(validate(v).empty()) << dump(validate(v));
}

// conf/examples/*.yaml: what docs/deploy.md points operators at must load and validate as shipped.
TEST(ConfigLoader, DeploymentExamplesParseAndValidate) {
  const fs::path conf = find_default_config().parent_path();
  ASSERT_FALSE(conf.empty()) << "conf/ not found; set SPANWATCH_SOURCE_ROOT";
  struct Want {
    const char* file;
    size_t ports, rx, workers;
    uint16_t queues_per_port;
  };
  for (const Want& w : {Want{"10g-span.yaml", 1, 1, 2, 1}, Want{"two-port-tap.yaml", 2, 2, 3, 1},
                        Want{"40g.yaml", 1, 4, 8, 4}}) {
    SCOPED_TRACE(w.file);
    const SpanwatchConfig c = load_config_file((conf / "examples" / w.file).string());
    EXPECT_TRUE(validate(c).empty()) << dump(validate(c));
    ASSERT_EQ(c.ports.size(), w.ports);
    EXPECT_EQ(c.lcores.rx.size(), w.rx);
    EXPECT_EQ(c.lcores.workers.size(), w.workers);
    unsigned queues = 0;
    for (const PortConfig& p : c.ports) {
      EXPECT_EQ(p.rx_queues, w.queues_per_port);
      queues += p.rx_queues;
    }
    EXPECT_EQ(queues, c.lcores.rx.size()) << "one queue per RX lcore";
    EXPECT_TRUE(c.memory.hugepages);
    EXPECT_FALSE(c.lcores.shared_cpus) << "a production layout gives every lcore its own CPU";
    EXPECT_TRUE(c.metrics.enabled);
    EXPECT_EQ(c.metrics.listen.rfind("127.0.0.1:", 0), 0u) << "metrics stay on loopback";
  }
}

}  // namespace
}  // namespace spanwatch::lib
