// spanwatch: wiring only. Parses the command line, brings up EAL, mempool, ports and rings, launches the
// RX and worker lcores, runs the exporter on the main lcore until the input ends (replay) or a signal
// arrives (live), then writes the final stats. Exit codes: 0 ok, 1 runtime failure, 2 bad config/input.
#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf_dyn.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "lib/config/config_loader.hpp"
#include "lib/export/json_schema.hpp"
#include "pipeline/config_reload.hpp"
#include "pipeline/dpdk_handles.hpp"
#include "pipeline/eal.hpp"
#include "pipeline/enrichment_reloader.hpp"
#include "pipeline/exporter_lcore.hpp"
#include "pipeline/metrics_server.hpp"
#include "pipeline/metrics_text.hpp"
#include "pipeline/options.hpp"
#include "pipeline/port.hpp"
#include "pipeline/rx_lcore.hpp"
#include "pipeline/startup_error.hpp"
#include "pipeline/stats_report.hpp"
#include "pipeline/telemetry_commands.hpp"
#include "workers/mbuf_return.hpp"
#include "workers/summary_slots.hpp"
#include "workers/work_item.hpp"
#include "workers/worker_lcore.hpp"

namespace sw = spanwatch;
using sw::pipeline::StartupError;

namespace {

std::atomic<int> g_signals{0};  // the process-wide objects: signal handlers can reach nothing else
std::atomic<int> g_reloads{0};  // SIGHUPs: reload the enrichment data

extern "C" void on_reload_signal(int) {
  g_reloads.fetch_add(1, std::memory_order_relaxed);
}

extern "C" void on_signal(int) {
  g_signals.fetch_add(1, std::memory_order_relaxed);
}

template <class T>
int launch_entry(void* arg) {
  return static_cast<T*>(arg)->run();
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

// Replaces `path` only once all of `text` is on disk, so a full disk leaves the previous file in place, whole
// (it used to be replaced by an empty one). Returns false then; never throws on I/O errors (it runs inside
// the exporter's noexcept loop). Returns 0, or the errno of the step that failed, for the log.
int write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  errno = 0;
  std::ofstream f(tmp, std::ios::trunc);
  f << text << '\n';
  f.close();
  int err = 0;
  if (f.fail()) err = errno != 0 ? errno : EIO;  // open/write/close set errno; EIO if the stream lost it
  std::error_code rename_ec, remove_ec;
  if (err == 0) {
    std::filesystem::rename(tmp, path, rename_ec);
    err = rename_ec.value();
  }
  if (err != 0) std::filesystem::remove(tmp, remove_ec);
  return err;
}

std::unique_ptr<sw::lib::jetstream::Publisher> make_nats_publisher(const sw::lib::SpanwatchConfig& cfg,
                                                                   bool replay) {
  const sw::lib::NatsConfig& n = cfg.nats;
  sw::lib::jetstream::PublisherOptions o;
  o.connect.servers = n.servers;
  o.connect.token = n.token;
  o.connect.user = n.user;
  o.connect.password = n.password;
  o.connect.creds_file = n.creds_file;
  o.connect.tls_ca = n.tls_ca;
  o.connect.tls_cert = n.tls_cert;
  o.connect.tls_key = n.tls_key;
  o.stream = n.stream;
  o.subject_prefix = n.subject_prefix;
  o.observer = cfg.observer.name.empty() ? host_name() : cfg.observer.name;
  o.connect.name = "spanwatch " + o.observer;
  o.create_stream = n.create_stream;
  o.replicas = n.replicas;
  o.max_age_hours = n.max_age_hours;
  o.queue_bytes = size_t{n.queue_mb} << 20;
  o.buffer_records = n.buffer_records;
  o.max_in_flight = n.max_in_flight;
  o.ack_timeout_ms = n.ack_timeout_ms;
  o.flush_timeout_ms = n.flush_timeout_s * 1000;
  o.spill_path = n.spill_file;
  o.spill_max_bytes = uint64_t{n.spill_max_mb} << 20;
  o.wait_when_full = replay;  // a replay loses nothing: it waits for the publisher as workers wait for us
  try {
    auto p = std::make_unique<sw::lib::jetstream::Publisher>(std::move(o));
    std::fprintf(stderr, "spanwatch: publishing records to NATS JetStream stream %s, subject %s\n",
                 n.stream.c_str(), p->subject().c_str());
    return p;
  } catch (const sw::lib::jetstream::NatsError& e) {
    throw StartupError(fmt::format("nats: {}", e.what()));  // unreadable creds or TLS files, bad URLs
  }
}

sw::lib::NdjsonFileOptions file_options(const sw::lib::OutputConfig& out) {
  sw::lib::NdjsonFileOptions o;
  o.dir = out.dir;
  o.file = out.file;
  o.rotate_bytes = uint64_t{out.rotate_mb} << 20;
  o.rotate_interval_s = out.rotate_interval_s;
  o.max_files = out.max_files;
  o.max_total_bytes = uint64_t{out.max_total_mb} << 20;
  o.fsync = sw::lib::parse_ndjson_fsync(out.fsync).value_or(sw::lib::NdjsonFsync::kRotate);
  o.fsync_interval_s = out.fsync_interval_s;
  return o;
}

constexpr unsigned kReplayExportRingSlots = 512;

unsigned auto_mbufs(const sw::lib::SpanwatchConfig& cfg, size_t rx_queues_total, bool replay) {
  const auto& m = cfg.memory;
  if (m.mbufs) return m.mbufs;
  const size_t lcores = 1 + cfg.lcores.rx.size() + cfg.lcores.workers.size();
  // A replay waits for free mbufs instead of dropping, so it needs no room for a NIC's bursts: 2048 in
  // flight is plenty, and without hugepages every page of the pool costs a page fault at start-up. Its RX
  // lcores read full bursts while a burst of the largest frames would fit besides that.
  if (replay)
    return static_cast<unsigned>(2048 + sw::pipeline::kRxBurst * sw::pipeline::kReplayMbufsPerFrame +
                                 lcores * (m.mbuf_cache * 3 / 2 + 64));
  // Every ring slot and RX descriptor can hold an mbuf, plus per-lcore caches and bursts in flight.
  size_t descriptors = 0;
  for (const auto& p : cfg.ports) descriptors += size_t{p.rx_queues} * p.rx_desc;
  (void)rx_queues_total;
  const size_t n = cfg.lcores.rx.size() * cfg.lcores.workers.size() * m.rx_ring_size + descriptors +
                   lcores * (m.mbuf_cache * 3 / 2 + 64) + 4096;
  return static_cast<unsigned>(n);
}

int run(int argc, char** argv) {
  auto plan_opt = sw::pipeline::parse_command_line(argc, argv);
  if (!plan_opt) return 0;
  sw::pipeline::RunPlan& plan = *plan_opt;
  if (plan.print_schema) {
    fmt::print("{}\n", sw::lib::flow_record_schema_json());
    return 0;
  }
  sw::lib::SpanwatchConfig& cfg = plan.config;
  sw::pipeline::ConfigReload config_reload(argc, argv, cfg);  // before start-up adjusts cfg
  if (plan.print_config) {
    fmt::print("{}\n", fmt::join(sw::pipeline::Eal::build_args(cfg), " "));
    return 0;
  }
  for (const auto& p : plan.pcaps)
    if (!p.warning.empty()) std::fprintf(stderr, "spanwatch: %s: %s\n", p.path.c_str(), p.warning.c_str());

  std::error_code ec;
  std::filesystem::create_directories(cfg.output.dir, ec);
  if (ec) throw StartupError(fmt::format("output.dir {}: {}", cfg.output.dir, ec.message()));

  // Enrichment data loads while the EAL starts and the pool fills (each takes a few hundred ms); a bad rule
  // or inventory still stops start-up before any lcore runs.
  auto loading = std::async(std::launch::async, [&e = cfg.enrichment] {
    return e.enabled ? sw::lib::load_enrichment_tables(e, SPANWATCH_DATA_DIR) : nullptr;
  });

  // The metrics endpoint binds before the EAL: a taken port stops start-up at once, and its threads are not
  // pinned to the main lcore's CPU.
  std::unique_ptr<sw::pipeline::MetricsServer> metrics;
  if (cfg.metrics.enabled) {
    metrics = std::make_unique<sw::pipeline::MetricsServer>(cfg.metrics.listen);
    std::fprintf(stderr, "spanwatch: metrics on http://%s:%u/metrics\n",
                 cfg.metrics.listen.substr(0, cfg.metrics.listen.rfind(':')).c_str(), metrics->port());
  }

  // The JetStream publisher's thread and libnats' threads start before the EAL too, for the same reason.
  std::unique_ptr<sw::lib::jetstream::Publisher> nats;
  if (cfg.nats.enabled) nats = make_nats_publisher(cfg, plan.replay);

  sw::pipeline::Eal eal(cfg);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_reload_signal);

  // Packet time: net_pcap fills the RX timestamp dynfield (microseconds) for every replayed frame.
  sw::workers::PacketClock clock;
  {
    int offset = -1;
    uint64_t flag = 0;
    if (rte_mbuf_dyn_rx_timestamp_register(&offset, &flag) == 0) {
      clock.ts_offset = offset;
      clock.ts_flag = flag;
    }
    static const rte_mbuf_dynfield kWireLen = {"spanwatch_wire_len", sizeof(uint32_t), alignof(uint32_t), 0};
    clock.wire_len_offset = rte_mbuf_dynfield_register(&kWireLen);
    if (clock.wire_len_offset < 0)
      throw StartupError(
          fmt::format("rte_mbuf_dynfield_register(spanwatch_wire_len): {}", rte_strerror(rte_errno)));
    clock.tsc_hz = rte_get_tsc_hz();
    clock.tsc0 = rte_rdtsc();
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    clock.wall0_ns = uint64_t(now.tv_sec) * 1'000'000'000ULL + uint64_t(now.tv_nsec);
  }

  // One packet pool per NUMA socket that has ports: a NIC writes packets into memory on its own socket. The
  // rings sit on the first port's socket, where its RX lcores and workers belong (Port and the queue
  // dealing below warn when they are not).
  auto port_socket = [](const sw::lib::PortConfig& p) {
    const int s = sw::pipeline::Port::device_socket(p.device);
    return s < 0 ? static_cast<int>(rte_socket_id()) : s;
  };
  const int socket = cfg.ports.empty() ? static_cast<int>(rte_socket_id()) : port_socket(cfg.ports.front());
  size_t rx_queues_total = 0;
  for (const auto& p : cfg.ports) rx_queues_total += p.rx_queues;
  // Buffers hold the largest frame of any port whole (jumbo MTUs), so no frame is chained over mbufs.
  uint32_t frame_bytes = 0;
  for (const auto& p : cfg.ports) frame_bytes = std::max(frame_bytes, sw::pipeline::Port::buffer_bytes(p));
  std::map<int, sw::pipeline::MempoolPtr> pools;  // by socket
  std::vector<rte_mempool*> port_pools;           // same order as cfg.ports
  for (const auto& p : cfg.ports) {
    const int s = port_socket(p);
    if (!pools.count(s))
      pools[s] = sw::pipeline::make_packet_pool(
          pools.empty() ? "spanwatch_mbufs" : fmt::format("spanwatch_mbufs_s{}", s),
          auto_mbufs(cfg, rx_queues_total, plan.replay), cfg.memory.mbuf_cache, s, frame_bytes);
    port_pools.push_back(pools[s].get());
  }

  std::vector<std::unique_ptr<sw::pipeline::Port>> ports;
  std::vector<sw::lib::LinkType> link_by_port_id(RTE_MAX_ETHPORTS, sw::lib::LinkType::kEthernet);
  std::vector<std::string> port_names(RTE_MAX_ETHPORTS);
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    ports.push_back(
        std::make_unique<sw::pipeline::Port>(cfg.ports[i], port_pools[i], plan.port_link_types[i]));
    link_by_port_id[ports.back()->id()] = plan.port_link_types[i];
    port_names[ports.back()->id()] = ports.back()->name();
  }

  const size_t n_rx = cfg.lcores.rx.size(), n_workers = cfg.lcores.workers.size();
  if (n_workers > sw::pipeline::kMaxWorkers)
    throw StartupError(fmt::format("lcores.workers: {} workers > {}", n_workers, sw::pipeline::kMaxWorkers));

  // One SPSC ring per (RX lcore, worker) pair and one record ring per worker: no multi-producer rings.
  std::vector<sw::pipeline::RingPtr> rings;
  std::vector<std::vector<rte_ring*>> rx_to_worker(n_rx, std::vector<rte_ring*>(n_workers));
  // Beside each of those rings, the summaries of its items (workers/summary_slots.hpp).
  std::vector<std::unique_ptr<sw::workers::SummarySlots>> summary_slots;
  std::vector<std::vector<sw::workers::SummarySlots*>> rx_to_worker_summaries(
      n_rx, std::vector<sw::workers::SummarySlots*>(n_workers));
  // And the way back of its plain mbufs (workers/mbuf_return.hpp).
  std::vector<std::unique_ptr<sw::workers::MbufReturn>> mbuf_returns;
  std::vector<std::vector<sw::workers::MbufReturn*>> rx_to_worker_returns(
      n_rx, std::vector<sw::workers::MbufReturn*>(n_workers));
  std::vector<rte_ring*> export_rings(n_workers);
  // A WorkItem travels as kWorkItemWords 8-byte elements (workers/work_ring.hpp); the ring holds
  // rx_ring_size - 1 items, as a ring of rx_ring_size items would.
  for (size_t r = 0; r < n_rx; ++r)
    for (size_t w = 0; w < n_workers; ++w) {
      rings.push_back(sw::pipeline::make_spsc_ring(
          fmt::format("rx{}_w{}", r, w), sizeof(uint64_t),
          (cfg.memory.rx_ring_size - 1) * sw::workers::kWorkItemWords, socket, RING_F_EXACT_SZ));
      rx_to_worker[r][w] = rings.back().get();
      summary_slots.push_back(std::make_unique<sw::workers::SummarySlots>(
          rte_ring_get_capacity(rings.back().get()) / sw::workers::kWorkItemWords));
      rx_to_worker_summaries[r][w] = summary_slots.back().get();
      mbuf_returns.push_back(std::make_unique<sw::workers::MbufReturn>(
          rte_ring_get_capacity(rings.back().get()) / sw::workers::kWorkItemWords));
      rx_to_worker_returns[r][w] = mbuf_returns.back().get();
    }
  // A replay's workers wait for room instead of dropping records, so a short ring loses nothing there and
  // spares the page faults of 4096 records of 1.8 kB per worker (DPDK also zeroes a ring's memory on free).
  const unsigned export_slots = plan.replay ? std::min(cfg.memory.export_ring_size, kReplayExportRingSlots)
                                            : cfg.memory.export_ring_size;
  for (size_t w = 0; w < n_workers; ++w) {
    rings.push_back(sw::pipeline::make_spsc_ring(fmt::format("w{}_export", w), sizeof(sw::lib::FlowRecord),
                                                 export_slots, socket));
    export_rings[w] = rings.back().get();
  }

  std::atomic<bool> stop_rx{false}, drain{false}, hard_stop{false};

  // The workers need to know whether rules look at payload prefixes.
  std::unique_ptr<sw::lib::EnrichmentTables> tables;
  try {
    tables = loading.get();
  } catch (const std::exception& e) {
    throw StartupError(fmt::format("enrichment: {}", e.what()));
  }
  if (tables) {
    for (const std::string& w : tables->warnings) std::fprintf(stderr, "spanwatch: %s\n", w.c_str());
    cfg.flows.capture_payload_prefix = tables->rules_need_payload;
  }

  // Queues are dealt to RX lcores in order (replay: files in command-line order per RX lcore).
  std::vector<sw::pipeline::RxParams> rxp(n_rx);
  size_t next_rx = 0;
  for (size_t i = 0; i < ports.size(); ++i) {
    for (uint16_t q = 0; q < ports[i]->rx_queues(); ++q) {
      const size_t r = next_rx++ % n_rx;
      rxp[r].queues.push_back(
          {ports[i]->id(), q, ports[i]->link_type(), plan.replay ? &plan.pcaps[i].cut_frames : nullptr});
      if (rxp[r].pool == nullptr) rxp[r].pool = port_pools[i];  // replay: the pool whose room it watches
      const int lcore_socket = static_cast<int>(rte_lcore_to_socket_id(cfg.lcores.rx[r]));
      if (ports[i]->socket() >= 0 && lcore_socket != ports[i]->socket())
        std::fprintf(
            stderr,
            "spanwatch: port %s queue %u is on NUMA socket %d but RX lcore %u is on socket %d: every "
            "packet crosses sockets; pick RX lcores on socket %d (lcores.rx)\n",
            ports[i]->name().c_str(), q, ports[i]->socket(), cfg.lcores.rx[r], lcore_socket,
            ports[i]->socket());
    }
  }
  for (size_t r = 0; r < n_rx; ++r)
    if (rxp[r].pool == nullptr && !port_pools.empty()) rxp[r].pool = port_pools.front();  // no queue dealt

  std::vector<std::unique_ptr<sw::workers::WorkerLcore>> workers;
  for (size_t w = 0; w < n_workers; ++w) {
    sw::workers::WorkerParams wp;
    wp.worker_id = static_cast<uint16_t>(w);
    for (size_t r = 0; r < n_rx; ++r)
      wp.in_rings.push_back({rx_to_worker[r][w], rx_to_worker_summaries[r][w], rx_to_worker_returns[r][w]});
    wp.export_ring = export_rings[w];
    wp.link_types = &link_by_port_id;
    wp.clock = clock;
    wp.flows = cfg.flows;
    wp.flows.live_update_ms = cfg.ring.enabled ? cfg.ring.update_interval_ms : 0;
    wp.shared_cpus = cfg.lcores.shared_cpus;
    wp.lossless = plan.replay;
    wp.drain = &drain;
    wp.stop = &hard_stop;
    workers.push_back(std::make_unique<sw::workers::WorkerLcore>(std::move(wp)));
  }

  std::vector<std::unique_ptr<sw::pipeline::RxLcore>> rx;
  for (size_t r = 0; r < n_rx; ++r) {
    rxp[r].rx_id = static_cast<unsigned>(r);
    for (size_t w = 0; w < n_workers; ++w)
      rxp[r].worker_rings.push_back(
          {rx_to_worker[r][w], rx_to_worker_summaries[r][w], rx_to_worker_returns[r][w]});
    rxp[r].wire_len_offset = clock.wire_len_offset;
    rxp[r].ts_offset = clock.ts_offset;
    rxp[r].ts_flag = clock.ts_flag;
    rxp[r].ts_unit_ns = clock.ts_unit_ns;
    rxp[r].mbufs_in_other_caches =
        static_cast<unsigned>(n_rx + n_workers) * (cfg.memory.mbuf_cache * 3 / 2 + 1);
    rxp[r].replay = plan.replay;
    rxp[r].shared_cpus = cfg.lcores.shared_cpus;
    rxp[r].verify_checksums = cfg.flows.verify_checksums;
    rxp[r].stop = &stop_rx;
    rx.push_back(std::make_unique<sw::pipeline::RxLcore>(std::move(rxp[r])));
  }

  sw::pipeline::ExporterParams ep;
  ep.record_rings = export_rings;
  ep.json.observer_hostname = host_name();
  ep.json.observer_name = cfg.observer.name.empty() ? ep.json.observer_hostname : cfg.observer.name;
  sw::workers::fill_ndpi_risk_table(ep.json.risks);
  workers.front()->fill_l7_names(ep.json.l7_names);
  ep.json.port_names = port_names;
  ep.json.community_id_seed = cfg.output.community_id_seed;
  ep.file = file_options(cfg.output);
  ep.shared_cpus = cfg.lcores.shared_cpus;
  ep.nats = nats.get();
  if (cfg.ring.enabled) {
    sw::lib::ShmRingWriterOptions ro;
    ro.name = cfg.ring.name;
    ro.capacity = cfg.ring.capacity;
    ro.max_payload_bytes = cfg.ring.slot_bytes;
    ep.ring = ro;
  }
  if (tables)
    ep.enricher = std::make_unique<sw::lib::FlowEnricher>(std::move(tables), cfg.enrichment.host_names);
  if (cfg.ipfix.enabled) {
    sw::lib::ipfix::ExporterOptions xo;
    xo.transport.host = cfg.ipfix.collector;
    xo.transport.port = cfg.ipfix.port;
    xo.transport.protocol =
        cfg.ipfix.transport == "tcp" ? sw::lib::ipfix::Protocol::kTcp : sw::lib::ipfix::Protocol::kUdp;
    xo.observation_domain = cfg.ipfix.observation_domain;
    xo.mtu = cfg.ipfix.mtu;
    xo.template_refresh_s = cfg.ipfix.template_refresh_s;
    xo.template_refresh_messages = cfg.ipfix.template_refresh_messages;
    ep.ipfix = xo;
  }
  sw::pipeline::EnrichmentReloader reloader(cfg.enrichment, SPANWATCH_DATA_DIR,
                                            cfg.flows.capture_payload_prefix);
  sw::pipeline::ExporterLcore exporter(std::move(ep));

  for (size_t w = 0; w < n_workers; ++w)
    if (int rc = rte_eal_remote_launch(launch_entry<sw::workers::WorkerLcore>, workers[w].get(),
                                       cfg.lcores.workers[w]))
      throw StartupError(
          fmt::format("rte_eal_remote_launch(worker {} on lcore {}): {}", w, cfg.lcores.workers[w], rc));
  for (size_t r = 0; r < n_rx; ++r)
    if (int rc = rte_eal_remote_launch(launch_entry<sw::pipeline::RxLcore>, rx[r].get(), cfg.lcores.rx[r]))
      throw StartupError(
          fmt::format("rte_eal_remote_launch(rx {} on lcore {}): {}", r, cfg.lcores.rx[r], rc));

  sw::pipeline::StatsSources sources{&ports, &rx, &workers, &exporter, &plan.pcaps, &config_reload};
  sw::pipeline::MetricsContext metrics_ctx{&rx_to_worker, &export_rings, clock.wall0_ns / 1'000'000'000ULL,
                                           false};
  std::optional<sw::pipeline::TelemetryCommands> telemetry;
  if (cfg.metrics.telemetry_on(cfg.memory.hugepages)) telemetry.emplace();
  auto publish_metrics = [&] {
    if (!metrics && !telemetry) return;
    const sw::pipeline::MetricSet m = sw::pipeline::collect_metrics(sources, metrics_ctx);
    if (metrics) metrics->publish(sw::pipeline::prometheus_text(m));
    if (telemetry) telemetry->publish(m);
  };
  publish_metrics();
  uint64_t stats_every = cfg.output.stats_interval_s;
  uint64_t ticks = 0;
  bool stats_written = true;
  const std::string stats_path = (std::filesystem::path(cfg.output.dir) / "stats.json").string();
  auto all = [](const auto& v) {
    for (const auto& x : v)
      if (!x->finished()) return false;
    return true;
  };
  exporter.run(
      [&] {
        const int sig = g_signals.load(std::memory_order_relaxed);
        if (sig >= 1) stop_rx.store(true, std::memory_order_relaxed);
        if (sig >= 2) hard_stop.store(true, std::memory_order_relaxed);
        if (all(rx)) drain.store(true, std::memory_order_release);
        return all(workers);
      },
      [&](uint64_t) {
        const int reloads = g_reloads.load(std::memory_order_relaxed);
        if (auto change = config_reload.poll(reloads)) {
          if (change->output_policy) exporter.set_file_policy(file_options(change->config.output));
          if (change->stats_interval) stats_every = change->config.output.stats_interval_s;
          if (change->log_level)
            rte_log_set_global_level(sw::lib::log_level_number(change->config.log_level));
          if (change->enrichment) reloader.set_config(change->config.enrichment);
        }
        if (exporter.enricher()) reloader.poll(reloads, *exporter.enricher());
        publish_metrics();
        if (stats_every && ++ticks % stats_every == 0) {
          std::fprintf(stderr, "spanwatch: %s\n", sw::pipeline::stats_line(sources).c_str());
          const int err = write_file_atomically(stats_path, sw::pipeline::stats_json(sources, false));
          const bool ok = err == 0;
          if (ok && !stats_written)  // once per change, not every tick
            std::fprintf(stderr, "spanwatch: writing %s works again\n", stats_path.c_str());
          else if (!ok && stats_written)
            std::fprintf(stderr, "spanwatch: cannot write %s; the previous one stays (%s)\n",
                         stats_path.c_str(), std::strerror(err));
          stats_written = ok;
        }
      });
  rte_eal_mp_wait_lcore();
  if (nats) nats->close();  // waits (nats.flush_timeout_s at most) until the stream has every record

  if (const int err = write_file_atomically(stats_path, sw::pipeline::stats_json(sources, true)); err != 0)
    std::fprintf(stderr, "spanwatch: cannot write the final %s: %s\n", stats_path.c_str(),
                 std::strerror(err));
  metrics_ctx.final = true;
  publish_metrics();
  const auto acc = sw::pipeline::account(sources);
  std::fprintf(stderr, "spanwatch: %s\n", sw::pipeline::stats_line(sources).c_str());
  std::fprintf(
      stderr,
      "spanwatch: %llu packets read: %llu in flow records, %llu non-flow, %llu decode errors, %llu unmatched "
      "fragments, %llu unaccounted; records in %s, stats in %s\n",
      (unsigned long long)acc.packets_read, (unsigned long long)acc.in_records,
      (unsigned long long)acc.non_flow, (unsigned long long)acc.decode_errors,
      (unsigned long long)acc.unmatched_fragments, (unsigned long long)acc.lost(),
      exporter.file_path().c_str(), stats_path.c_str());
  if (plan.hold_ring_s > 0 && (exporter.ring() != nullptr || metrics || telemetry)) {
    std::vector<std::string> held;
    if (exporter.ring()) held.push_back("ring " + exporter.ring()->name());
    if (metrics) held.push_back("the metrics endpoint");
    if (telemetry) held.push_back("the telemetry commands");
    std::fprintf(stderr, "spanwatch: keeping %s open for %u s (Ctrl-C ends it)\n",
                 fmt::format("{}", fmt::join(held, " and ")).c_str(), plan.hold_ring_s);
    const uint64_t until = rte_get_tsc_cycles() + uint64_t{plan.hold_ring_s} * rte_get_tsc_hz();
    const int sig0 = g_signals.load(std::memory_order_relaxed);
    while (rte_get_tsc_cycles() < until && g_signals.load(std::memory_order_relaxed) == sig0) usleep(50'000);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const sw::lib::ConfigException& e) {
    std::fprintf(stderr, "spanwatch: %s\n", e.what());
    return sw::pipeline::kExitConfigError;
  } catch (const StartupError& e) {
    std::fprintf(stderr, "spanwatch: %s\n", e.what());
    return sw::pipeline::kExitConfigError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spanwatch: fatal: %s\n", e.what());
    return sw::pipeline::kExitRuntimeError;
  }
}
