#include "pipeline/eal.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "pipeline/startup_error.hpp"

namespace spanwatch::pipeline {
namespace {

// "0000:3b:00.0" or "3b:00.0": [domain:]bus:device.function in hex.
bool is_pci_address(const std::string& dev) {
  auto hex = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i)
      if (i >= dev.size() || !std::isxdigit(static_cast<unsigned char>(dev[i]))) return false;
    return true;
  };
  const size_t d = dev.size() == 12 ? 5 : 0;  // skip the domain
  if (dev.size() != 7 && dev.size() != 12) return false;
  if (d && (!hex(0, 4) || dev[4] != ':')) return false;
  return hex(d, 2) && dev[d + 2] == ':' && hex(d + 3, 2) && dev[d + 5] == '.' && dev[d + 6] >= '0' &&
         dev[d + 6] <= '7';
}

// The NUMA node of a PCI device from sysfs; -1 when unknown (single-socket host, or the device is absent).
int pci_numa_node(const std::string& addr) {
  std::ifstream f("/sys/bus/pci/devices/" + (addr.size() == 7 ? "0000:" + addr : addr) + "/numa_node");
  int node = -1;
  f >> node;
  return f ? node : -1;
}

// --socket-mem with memory_mb on every socket that has a port ("0,4096" for a NIC on socket 1): the
// packet pool and rings are placed on their port's socket, and a bare "--socket-mem N" would reserve on
// socket 0 only.
std::string socket_mem(const lib::SpanwatchConfig& cfg) {
  std::set<int> nodes;
  for (const auto& p : cfg.ports)
    if (is_pci_address(p.device))
      if (const int n = pci_numa_node(p.device); n >= 0) nodes.insert(n);
  if (nodes.empty() || *nodes.rbegin() == 0) return std::to_string(cfg.memory.memory_mb);
  std::vector<unsigned> mb(static_cast<size_t>(*nodes.rbegin()) + 1, 0);
  for (int n : nodes) mb[static_cast<size_t>(n)] = cfg.memory.memory_mb;
  return fmt::format("{}", fmt::join(mb, ","));
}

}  // namespace

std::vector<std::string> Eal::build_args(const lib::SpanwatchConfig& cfg) {
  std::vector<std::string> a{"spanwatch"};
  const auto& lc = cfg.lcores;
  if (!lc.cpu_map.empty()) {
    a.insert(a.end(), {"--lcores", lc.cpu_map});
  } else {
    std::set<unsigned> ids{lc.main};
    ids.insert(lc.rx.begin(), lc.rx.end());
    ids.insert(lc.workers.begin(), lc.workers.end());
    if (lc.exporter >= 0) ids.insert(static_cast<unsigned>(lc.exporter));
    a.insert(a.end(), {"-l", fmt::format("{}", fmt::join(ids, ","))});
  }
  a.insert(a.end(), {"--main-lcore", std::to_string(lc.main)});
  if (!cfg.memory.hugepages) {
    // Without hugepages: memory from memfd, no shared config files, and a
    // per-process prefix so parallel runs (tests) never collide (platform.md §1).
    a.insert(a.end(), {"--no-huge", "-m", std::to_string(cfg.memory.memory_mb), "--no-shconf",
                       "--file-prefix", fmt::format("spanwatch-{}", getpid())});
  } else {
    a.insert(a.end(), {"--socket-mem", socket_mem(cfg)});
  }
  if (!cfg.metrics.telemetry_on(cfg.memory.hugepages)) a.push_back("--no-telemetry");
  a.push_back("--log-level=" + cfg.log_level);
  bool any_pci = false;
  for (const auto& p : cfg.ports) {
    if (is_pci_address(p.device)) {
      a.insert(a.end(), {"-a", p.device});
      any_pci = true;
    } else {
      a.insert(a.end(), {"--vdev", p.device});
    }
  }
  if (!any_pci) a.push_back("--no-pci");
  a.insert(a.end(), cfg.eal_args.begin(), cfg.eal_args.end());
  return a;
}

Eal::Eal(const lib::SpanwatchConfig& cfg) : args_(build_args(cfg)) {
  if (!cfg.memory.hugepages && std::getenv("RUNTIME_DIRECTORY") == nullptr) {
    // DPDK creates its runtime dir even with --no-shconf; keep it out of /var/run and remove it after.
    char tmpl[] = "/tmp/spanwatch-rt-XXXXXX";
    if (mkdtemp(tmpl) != nullptr) {
      runtime_dir_ = tmpl;
      setenv("RUNTIME_DIRECTORY", tmpl, 1);
    }
  }
  std::vector<char*> argv;
  for (auto& s : args_) argv.push_back(s.data());
  argv.push_back(nullptr);
  const int rc = rte_eal_init(static_cast<int>(argv.size() - 1), argv.data());
  if (rc < 0) {
    if (!runtime_dir_.empty()) std::filesystem::remove_all(runtime_dir_);
    throw StartupError(fmt::format("rte_eal_init({}): {}", fmt::join(args_, " "), rte_strerror(rte_errno)));
  }
}

Eal::~Eal() {
  rte_eal_cleanup();
  if (!runtime_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(runtime_dir_, ec);
  }
}

}  // namespace spanwatch::pipeline
