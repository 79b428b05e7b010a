// spanwatch-viewer: wiring only. Reads the command line and config, starts the ring reader thread and the
// HTTP server, prints the URL, and stops both on SIGINT/SIGTERM. Exit codes: 0 stopped by a signal,
// 1 runtime failure (cannot bind, no assets), 2 bad command line or configuration.
#include <malloc.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "lib/cli/command_line.hpp"
#include "viewer/flow_store.hpp"
#include "viewer/http_server.hpp"
#include "viewer/ring_ingest.hpp"
#include "viewer/static_assets.hpp"
#include "viewer/viewer_config.hpp"

namespace sw = spanwatch::viewer;

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;
// glibc gives each thread that allocates its own arena; with 16 HTTP threads that multiplies the heap's
// unreturned free memory. Two arenas (reader + the rest) keep RSS close to what the store accounts.
constexpr int kMallocArenas = 2;

std::string default_www() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(fs::path(SPANWATCH_VIEWER_WWW_INSTALLED) / "index.html", ec))
    return SPANWATCH_VIEWER_WWW_INSTALLED;
  return SPANWATCH_VIEWER_WWW_SOURCE;
}

struct Cli {
  std::string config, listen, ring, www, token_file, start, history;
  std::optional<uint16_t> port;
  std::optional<uint32_t> max_flows, retention_s, memory_mb;
  bool print_config = false;
};

}  // namespace

int main(int argc, char** argv) {
  spanwatch::lib::cli::CommandLine cl{
      "spanwatch-viewer: live flows, flow details and flow analysis in the browser, read from the "
      "spanwatch pipeline's shared-memory ring."};
  Cli cli;
  cl.add("-c,--config", cli.config, "YAML config (see conf/viewer.yaml)").existing_file();
  cl.add("--listen", cli.listen, "address to bind (default 127.0.0.1; others need a token)");
  cl.add("--port", cli.port, "TCP port (default 8089; 0 = any free port)");
  cl.add("--ring", cli.ring, "shared-memory ring name (the pipeline's ring.name)");
  cl.add("--www", cli.www, "directory of the web UI's files");
  cl.add("--token-file", cli.token_file, "file holding the access token (or env SPANWATCH_VIEWER_TOKEN)");
  cl.add("--max-flows", cli.max_flows, "flows kept at most").range(1u, 50'000'000u);
  cl.add("--retention-s", cli.retention_s, "drop a flow this long after its last record");
  cl.add("--memory-mb", cli.memory_mb, "memory bound of the whole process, MB");
  cl.add("--start", cli.start, "oldest: begin with the records still in the ring; newest: only new ones")
      .one_of({"oldest", "newest"});
  cl.add("--history", cli.history, "ClickHouse HTTP URL for the History page (history.clickhouse_url)");
  cl.add_flag("--print-config", cli.print_config, "print the effective configuration and exit");
  cl.set_version("spanwatch-viewer 0.1.0");
  switch (cl.parse(argc, argv)) {
    case spanwatch::lib::cli::CommandLine::Outcome::kRun:
      break;
    case spanwatch::lib::cli::CommandLine::Outcome::kPrinted:
      return 0;
    case spanwatch::lib::cli::CommandLine::Outcome::kBad:
      std::fprintf(stderr, "spanwatch-viewer: %s (see --help)\n", cl.error().c_str());
      return kExitConfig;
  }

  sw::ViewerConfig cfg;
  try {
    if (!cli.config.empty()) cfg = sw::load_viewer_config_file(cli.config);
    if (!cli.listen.empty()) cfg.listen.address = cli.listen;
    if (cli.port) cfg.listen.port = *cli.port;
    if (!cli.ring.empty()) cfg.ring.name = cli.ring;
    if (!cli.www.empty()) cfg.http.www_dir = cli.www;
    if (!cli.token_file.empty()) cfg.listen.access_token_file = cli.token_file;
    if (cli.max_flows) cfg.store.max_flows = *cli.max_flows;
    if (cli.retention_s) cfg.store.retention_s = *cli.retention_s;
    if (cli.memory_mb) cfg.store.memory_mb = *cli.memory_mb;
    if (!cli.start.empty()) cfg.ring.from_oldest = cli.start == "oldest";
    if (!cli.history.empty()) cfg.history.clickhouse_url = cli.history;
    if (const char* t = std::getenv("SPANWATCH_VIEWER_TOKEN");
        t != nullptr && cfg.listen.access_token_file.empty())
      cfg.listen.access_token = t;
    sw::resolve_token(cfg);
    if (cfg.http.www_dir.empty()) cfg.http.www_dir = default_www();
    if (auto errors = sw::validate(cfg); !errors.empty())
      throw spanwatch::lib::ConfigException(std::move(errors));
  } catch (const spanwatch::lib::ConfigException& e) {
    std::fprintf(stderr, "spanwatch-viewer: %s", e.what());
    return kExitConfig;
  }
  std::fprintf(stderr, "spanwatch-viewer: %s\n", sw::describe(cfg).c_str());
  if (cli.print_config) return 0;

  std::optional<sw::StaticAssets> assets;
  try {
    assets = sw::StaticAssets::load(cfg.http.www_dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spanwatch-viewer: %s\n", e.what());
    return kExitRuntime;
  }

  mallopt(M_ARENA_MAX, kMallocArenas);
  // Signals go to the waiting thread below only.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  sw::StoreLimits limits;
  limits.max_flows = cfg.store.max_flows;
  limits.max_bytes = (size_t{cfg.store.memory_mb} - sw::kProcessReserveMb) << 20;
  limits.retention_ms = uint64_t{cfg.store.retention_s} * 1000;
  limits.stale_us = int64_t{cfg.store.stale_s} * 1'000'000;
  limits.series_seconds = cfg.store.series_s;
  sw::SharedFlowStore store(limits);
  std::atomic<bool> stop{false};
  sw::RingIngest ingest(cfg.ring, store, stop);

  sw::ViewerServer server(cfg, store, ingest, std::move(*assets));
  int port = 0;
  try {
    port = server.bind();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spanwatch-viewer: %s\n", e.what());
    return kExitRuntime;
  }
  std::thread reader([&] { ingest.run(); });
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&sigs, &sig);
    stop = true;
    server.stop();
  });
  const std::string host =
      cfg.listen.address.find(':') != std::string::npos ? "[" + cfg.listen.address + "]" : cfg.listen.address;
  std::printf("spanwatch-viewer: serving http://%s:%d/ (ring %s)\n", host.c_str(), port,
              cfg.ring.name.c_str());
  std::fflush(stdout);
  server.serve();
  stop = true;
  reader.join();
  // serve() also returns if the listening socket fails; wake the waiter so it can be joined.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  std::fprintf(stderr, "spanwatch-viewer: stopped\n");
  return 0;
}
