#include "pipeline/metrics_text.hpp"

#include <fmt/format.h>
#include <rte_ring.h>

#include <iterator>

namespace spanwatch::pipeline {
namespace {

// Builds one metric family at a time: HELP and TYPE once, then its samples.
class Text {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    name_ = name;
  }
  void sample(uint64_t v) { fmt::format_to(std::back_inserter(out_), "{} {}\n", name_, v); }
  // labels: already formatted `k="v",...` pairs.
  void sample(std::string_view labels, uint64_t v) {
    fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name_, labels, v);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::string_view name_;
};

// A label value with backslash, quote and newline escaped, as the format asks.
std::string esc(std::string_view v) {
  std::string s;
  for (char c : v) {
    if (c == '\\' || c == '"') s += '\\';
    if (c == '\n') {
      s += "\\n";
      continue;
    }
    s += c;
  }
  return s;
}

template <size_t N>
void add_into(const std::array<lib::Counter, N>& c, std::array<uint64_t, N>& sum) {
  for (size_t i = 0; i < N; ++i) sum[i] += c[i].get();
}

}  // namespace

std::string prometheus_text(const StatsSources& s, const MetricsContext& m) {
  Text t;
  t.family("spanwatch_up", "gauge", "1 while spanwatch captures; 0 once the input has ended (replay done).");
  t.sample(m.final ? 0 : 1);
  t.family("spanwatch_start_time_seconds", "gauge", "Start time, seconds since the epoch.");
  t.sample(m.start_time_s);

  // Ports: what the NIC (or vdev) reports. Drops before spanwatch ever saw the packet.
  t.family("spanwatch_port_rx_packets_total", "counter",
           "Packets the port received (rte_eth_stats ipackets).");
  for (const auto& p : *s.ports) t.sample(fmt::format("port=\"{}\"", esc(p->name())), p->stats().rx_packets);
  t.family("spanwatch_port_rx_bytes_total", "counter", "Bytes the port received (ibytes).");
  for (const auto& p : *s.ports) t.sample(fmt::format("port=\"{}\"", esc(p->name())), p->stats().rx_bytes);
  t.family("spanwatch_rx_dropped_total", "counter",
           "Packets lost at the port, by reason: imissed (RX descriptors full: the RX lcore was too slow), "
           "rx_nombuf (mbuf pool empty), ierrors (bad frames).");
  for (const auto& p : *s.ports) {
    const PortStats st = p->stats();
    const std::string port = esc(p->name());
    t.sample(fmt::format("port=\"{}\",reason=\"imissed\"", port), st.imissed);
    t.sample(fmt::format("port=\"{}\",reason=\"rx_nombuf\"", port), st.rx_nombuf);
    t.sample(fmt::format("port=\"{}\",reason=\"ierrors\"", port), st.ierrors);
  }

  // RX lcores.
  t.family("spanwatch_rx_packets_total", "counter", "Packets the RX lcores took from their queues.");
  for (size_t i = 0; i < s.rx->size(); ++i)
    t.sample(fmt::format("rx_lcore=\"{}\"", i), (*s.rx)[i]->counters().packets.get());
  t.family("spanwatch_rx_bytes_total", "counter", "Bytes the RX lcores took from their queues.");
  for (size_t i = 0; i < s.rx->size(); ++i)
    t.sample(fmt::format("rx_lcore=\"{}\"", i), (*s.rx)[i]->counters().bytes.get());
  t.family("spanwatch_ring_dropped_total", "counter",
           "Packets dropped because a worker's ring was full (the worker was too slow).");
  for (size_t i = 0; i < s.rx->size(); ++i)
    for (size_t w = 0; w < s.workers->size(); ++w)
      t.sample(fmt::format("rx_lcore=\"{}\",worker=\"{}\"", i, w),
               (*s.rx)[i]->counters().ring_drops[w].get());
  std::array<uint64_t, size_t(lib::NonFlowKind::kCount)> non_flow{};
  std::array<uint64_t, size_t(lib::DecodeError::kCount)> errors{};
  for (const auto& r : *s.rx) {
    add_into(r->counters().non_flow, non_flow);
    add_into(r->counters().decode_errors, errors);
  }
  t.family("spanwatch_non_flow_packets_total", "counter",
           "Packets that belong to no IP flow (ARP, LLDP, ...).");
  for (size_t i = 1; i < non_flow.size(); ++i)  // index 0 is "none"
    t.sample(fmt::format("kind=\"{}\"", lib::kNonFlowKindNames[i]), non_flow[i]);
  t.family("spanwatch_decode_errors_total", "counter", "Packets that could not be decoded, by reason.");
  for (size_t i = 1; i < errors.size(); ++i)
    t.sample(fmt::format("reason=\"{}\"", lib::kDecodeErrorNames[i]), errors[i]);
  if (m.rx_rings) {
    t.family("spanwatch_worker_backlog_packets", "gauge", "Packets waiting in the RX lcore -> worker rings.");
    for (size_t w = 0; w < s.workers->size(); ++w) {
      uint64_t n = 0;
      for (const auto& per_rx : *m.rx_rings) n += rte_ring_count(per_rx[w]);
      t.sample(fmt::format("worker=\"{}\"", w), n);
    }
  }

  // Workers.
  t.family("spanwatch_worker_packets_total", "counter", "Packets the workers accounted to flows.");
  for (const auto& wk : *s.workers)
    t.sample(fmt::format("worker=\"{}\"", wk->worker_id()), wk->counters().packets.get());
  t.family("spanwatch_flows_active", "gauge", "Flows in the flow tables now.");
  for (const auto& wk : *s.workers)
    t.sample(fmt::format("worker=\"{}\"", wk->worker_id()), wk->counters().flows_active.get());
  t.family("spanwatch_flows_created_total", "counter", "Flows created.");
  for (const auto& wk : *s.workers)
    t.sample(fmt::format("worker=\"{}\"", wk->worker_id()), wk->counters().flows_created.get());
  t.family("spanwatch_flows_ended_total", "counter",
           "Flows ended, by how: timeout/close (ended), table full (evicted), shutdown (flushed).");
  for (const auto& wk : *s.workers) {
    const auto& c = wk->counters();
    const uint16_t id = wk->worker_id();
    t.sample(fmt::format("worker=\"{}\",how=\"ended\"", id), c.flows_ended.get());
    t.sample(fmt::format("worker=\"{}\",how=\"evicted\"", id), c.flows_evicted.get());
    t.sample(fmt::format("worker=\"{}\",how=\"flushed\"", id), c.flows_flushed.get());
  }
  t.family(
      "spanwatch_records_dropped_total", "counter",
      "Flow records lost, by reason: export_ring_full (the exporter was too slow), file (write failed).");
  for (const auto& wk : *s.workers)
    t.sample(fmt::format("worker=\"{}\",reason=\"export_ring_full\"", wk->worker_id()),
             wk->records_dropped());
  t.sample("worker=\"\",reason=\"file\"", s.exporter->file_counters().records_dropped.get());
  t.family("spanwatch_dpi_pool_exhausted_total", "counter",
           "Flows that skipped nDPI: its state pool was full.");
  for (const auto& wk : *s.workers)
    t.sample(fmt::format("worker=\"{}\"", wk->worker_id()), wk->dpi_counters().pool_exhausted.get());
  if (m.export_rings) {
    t.family(
        "spanwatch_export_backlog_records", "gauge",
        "Records waiting for the exporter (export lag): grows when JSON writing or the disk falls behind.");
    for (size_t w = 0; w < m.export_rings->size(); ++w)
      t.sample(fmt::format("worker=\"{}\"", w), rte_ring_count((*m.export_rings)[w]));
  }

  // Exporter.
  const ExporterCounters& e = s.exporter->counters();
  t.family("spanwatch_records_total", "counter", "Flow records exported, by kind (final or interim).");
  t.sample("kind=\"final\"", e.final_records.get());
  t.sample("kind=\"interim\"", e.interim_records.get());
  t.family("spanwatch_record_bytes_total", "counter", "JSON bytes of the exported records.");
  t.sample(e.json_bytes.get());
  t.family("spanwatch_file_write_errors_total", "counter", "Failed writes to the NDJSON file.");
  t.sample(s.exporter->file_counters().write_errors.get());

  // Packet accounting, as in stats.json: packets_read = in_records + non_flow + decode_errors +
  // unmatched_fragments + unaccounted (packets still in active flows count as unaccounted until exported).
  const Accounting a = account(s);
  t.family("spanwatch_packets_read_total", "counter",
           "Packets read: in a replay the packets of the files, live the packets the ports received.");
  t.sample(a.packets_read);
  t.family(
      "spanwatch_packets_accounted_total", "counter",
      "Where the packets read went: in final flow records, non-flow, decode errors, unmatched fragments.");
  t.sample("in=\"records\"", a.in_records);
  t.sample("in=\"non_flow\"", a.non_flow);
  t.sample("in=\"decode_errors\"", a.decode_errors);
  t.sample("in=\"unmatched_fragments\"", a.unmatched_fragments);
  return t.take();
}

}  // namespace spanwatch::pipeline
