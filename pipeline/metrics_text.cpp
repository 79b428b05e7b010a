#include "pipeline/metrics_text.hpp"

#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include <iterator>

#include "workers/work_ring.hpp"

namespace spanwatch::pipeline {
namespace {

// Builds one metric family at a time.
class Builder {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    set_.push_back({std::string(name), std::string(type), std::string(help), {}});
  }
  void sample(uint64_t v) { set_.back().samples.push_back({{}, v}); }
  void sample(MetricLabels labels, uint64_t v) { set_.back().samples.push_back({std::move(labels), v}); }
  MetricSet take() { return std::move(set_); }

 private:
  MetricSet set_;
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

std::string num(size_t i) {
  return std::to_string(i);
}

template <size_t N>
void add_into(const std::array<lib::Counter, N>& c, std::array<uint64_t, N>& sum) {
  for (size_t i = 0; i < N; ++i) sum[i] += c[i].get();
}

}  // namespace

MetricSet collect_metrics(const StatsSources& s, const MetricsContext& m) {
  Builder t;
  t.family("up", "gauge", "1 while spanwatch captures; 0 once the input has ended (replay done).");
  t.sample(m.final ? 0 : 1);
  t.family("start_time_seconds", "gauge", "Start time, seconds since the epoch.");
  t.sample(m.start_time_s);

  // Ports: what the NIC (or vdev) reports. Drops before spanwatch ever saw the packet.
  t.family("port_rx_packets_total", "counter", "Packets the port received (rte_eth_stats ipackets).");
  for (const auto& p : *s.ports) t.sample({{"port", p->name()}}, p->stats().rx_packets);
  t.family("port_rx_bytes_total", "counter", "Bytes the port received (ibytes).");
  for (const auto& p : *s.ports) t.sample({{"port", p->name()}}, p->stats().rx_bytes);
  t.family("rx_dropped_total", "counter",
           "Packets lost at the port, by reason: imissed (RX descriptors full: the RX lcore was too slow), "
           "rx_nombuf (mbuf pool empty), ierrors (bad frames).");
  for (const auto& p : *s.ports) {
    const PortStats st = p->stats();
    const std::string& port = p->name();
    t.sample({{"port", port}, {"reason", "imissed"}}, st.imissed);
    t.sample({{"port", port}, {"reason", "rx_nombuf"}}, st.rx_nombuf);
    t.sample({{"port", port}, {"reason", "ierrors"}}, st.ierrors);
  }

  // RX lcores.
  t.family("rx_packets_total", "counter", "Packets the RX lcores took from their queues.");
  for (size_t i = 0; i < s.rx->size(); ++i)
    t.sample({{"rx_lcore", num(i)}}, (*s.rx)[i]->counters().packets.get());
  t.family("rx_bytes_total", "counter", "Bytes the RX lcores took from their queues.");
  for (size_t i = 0; i < s.rx->size(); ++i)
    t.sample({{"rx_lcore", num(i)}}, (*s.rx)[i]->counters().bytes.get());
  t.family("ring_dropped_total", "counter",
           "Packets dropped because a worker's ring was full (the worker was too slow).");
  for (size_t i = 0; i < s.rx->size(); ++i)
    for (size_t w = 0; w < s.workers->size(); ++w)
      t.sample({{"rx_lcore", num(i)}, {"worker", num(w)}}, (*s.rx)[i]->counters().ring_drops[w].get());
  t.family("rx_pool_empty_total", "counter",
           "Times a busy RX queue stalled because the packet pool was (nearly) empty (memory.mbufs too small "
           "or workers holding packets); net_af_packet then loses frames in the kernel, counted as imissed.");
  for (size_t i = 0; i < s.rx->size(); ++i)
    t.sample({{"rx_lcore", num(i)}}, (*s.rx)[i]->counters().pool_empty.get());
  std::array<uint64_t, size_t(lib::NonFlowKind::kCount)> non_flow{};
  std::array<uint64_t, size_t(lib::DecodeError::kCount)> errors{};
  for (const auto& r : *s.rx) {
    add_into(r->counters().non_flow, non_flow);
    add_into(r->counters().decode_errors, errors);
  }
  t.family("non_flow_packets_total", "counter", "Packets that belong to no IP flow (ARP, LLDP, ...).");
  for (size_t i = 1; i < non_flow.size(); ++i)  // index 0 is "none"
    t.sample({{"kind", std::string(lib::kNonFlowKindNames[i])}}, non_flow[i]);
  t.family("decode_errors_total", "counter", "Packets that could not be decoded, by reason.");
  for (size_t i = 1; i < errors.size(); ++i)
    t.sample({{"reason", std::string(lib::kDecodeErrorNames[i])}}, errors[i]);
  if (m.rx_rings) {
    t.family("worker_backlog_packets", "gauge", "Packets waiting in the RX lcore -> worker rings.");
    for (size_t w = 0; w < s.workers->size(); ++w) {
      uint64_t n = 0;
      for (const auto& per_rx : *m.rx_rings) n += workers::work_items_in(per_rx[w]);
      t.sample({{"worker", num(w)}}, n);
    }
  }

  // Workers.
  t.family("worker_packets_total", "counter", "Packets the workers accounted to flows.");
  for (const auto& wk : *s.workers)
    t.sample({{"worker", num(wk->worker_id())}}, wk->counters().packets.get());
  t.family("flows_active", "gauge", "Flows in the flow tables now.");
  for (const auto& wk : *s.workers)
    t.sample({{"worker", num(wk->worker_id())}}, wk->counters().flows_active.get());
  t.family("flows_created_total", "counter", "Flows created.");
  for (const auto& wk : *s.workers)
    t.sample({{"worker", num(wk->worker_id())}}, wk->counters().flows_created.get());
  t.family("flows_ended_total", "counter",
           "Flows ended, by how: timeout/close (ended), table full (evicted), shutdown (flushed).");
  for (const auto& wk : *s.workers) {
    const auto& c = wk->counters();
    const std::string id = num(wk->worker_id());
    t.sample({{"worker", id}, {"how", "ended"}}, c.flows_ended.get());
    t.sample({{"worker", id}, {"how", "evicted"}}, c.flows_evicted.get());
    t.sample({{"worker", id}, {"how", "flushed"}}, c.flows_flushed.get());
  }
  t.family(
      "records_dropped_total", "counter",
      "Flow records lost, by reason: export_ring_full (the exporter was too slow), file (write failed).");
  for (const auto& wk : *s.workers)
    t.sample({{"worker", num(wk->worker_id())}, {"reason", "export_ring_full"}}, wk->records_dropped());
  t.sample({{"worker", ""}, {"reason", "file"}}, s.exporter->file_counters().records_dropped.get());
  t.family("dpi_pool_exhausted_total", "counter", "Flows that skipped nDPI: its state pool was full.");
  for (const auto& wk : *s.workers)
    t.sample({{"worker", num(wk->worker_id())}}, wk->dpi_counters().pool_exhausted.get());
  if (m.export_rings) {
    t.family(
        "export_backlog_records", "gauge",
        "Records waiting for the exporter (export lag): grows when JSON writing or the disk falls behind.");
    for (size_t w = 0; w < m.export_rings->size(); ++w)
      t.sample({{"worker", num(w)}}, rte_ring_count((*m.export_rings)[w]));
  }

  // Exporter.
  const ExporterCounters& e = s.exporter->counters();
  t.family("export_lag_microseconds", "gauge",
           "Export lag: the longest a record waited between its worker and the exporter in the last second.");
  t.sample(e.lag_cycles.get() * 1'000'000 / rte_get_tsc_hz());
  t.family("records_total", "counter", "Flow records exported, by kind (final or interim).");
  t.sample({{"kind", "final"}}, e.final_records.get());
  t.sample({{"kind", "interim"}}, e.interim_records.get());
  t.family("record_bytes_total", "counter", "JSON bytes of the exported records.");
  t.sample(e.json_bytes.get());
  t.family("file_write_errors_total", "counter", "Failed writes to the NDJSON file.");
  t.sample(s.exporter->file_counters().write_errors.get());
  if (s.reload != nullptr) {
    t.family("config_reloads_total", "counter",
             "SIGHUP configuration re-reads: applied, or failed (the running configuration stayed).");
    t.sample({{"result", "applied"}}, s.reload->counters().reloads.get());
    t.sample({{"result", "failed"}}, s.reload->counters().failures.get());
  }

  if (const lib::jetstream::Publisher* js = s.exporter->nats()) {  // NATS JetStream (docs/fleet.md)
    const lib::jetstream::PublisherCounters& c = js->counters();
    t.family("nats_records_total", "counter",
             "Records through the JetStream publisher, by stage: offered, published (with retries), acked, "
             "retried.");
    t.sample({{"stage", "offered"}}, c.offered.get());
    t.sample({{"stage", "published"}}, c.published.get());
    t.sample({{"stage", "acked"}}, c.acked.get());
    t.sample({{"stage", "retried"}}, c.retried.get());
    t.family("nats_records_dropped_total", "counter", "Records the JetStream publisher lost, by reason.");
    t.sample({{"reason", "queue_full"}}, c.dropped_queue_full.get());
    t.sample({{"reason", "buffer_full"}}, c.dropped_buffer_full.get());
    t.sample({{"reason", "at_exit"}}, c.dropped_at_exit.get());
    t.family("nats_buffered_records", "gauge", "Records waiting for a server (buffered) or for their ack.");
    t.sample({{"state", "waiting"}}, c.buffered.get());
    t.sample({{"state", "in_flight"}}, c.in_flight.get());
    t.family("nats_connected", "gauge", "1 while connected to a NATS server.");
    t.sample(js->connected() ? 1 : 0);
  }

  // Packet accounting, as in stats.json: packets_read = in_records + non_flow + decode_errors +
  // unmatched_fragments + unaccounted (packets still in active flows count as unaccounted until exported).
  const Accounting a = account(s);
  t.family("packets_read_total", "counter",
           "Packets read: in a replay the packets of the files, live the packets the ports received.");
  t.sample(a.packets_read);
  t.family(
      "packets_accounted_total", "counter",
      "Where the packets read went: in final flow records, non-flow, decode errors, unmatched fragments.");
  t.sample({{"in", "records"}}, a.in_records);
  t.sample({{"in", "dropped_records"}}, a.in_dropped_records);  // final records lost at a full export ring
  t.sample({{"in", "ring_drops"}}, a.ring_drops);               // dropped at a full RX -> worker ring
  t.sample({{"in", "non_flow"}}, a.non_flow);
  t.sample({{"in", "decode_errors"}}, a.decode_errors);
  t.sample({{"in", "unmatched_fragments"}}, a.unmatched_fragments);
  return t.take();
}

std::string prometheus_text(const MetricSet& metrics) {
  std::string out;
  auto it = std::back_inserter(out);
  for (const MetricFamily& f : metrics) {
    fmt::format_to(it, "# HELP spanwatch_{} {}\n# TYPE spanwatch_{} {}\n", f.name, f.help, f.name, f.type);
    for (const MetricSample& smp : f.samples) {
      fmt::format_to(it, "spanwatch_{}", f.name);
      if (!smp.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < smp.labels.size(); ++i)
          fmt::format_to(it, "{}{}=\"{}\"", i ? "," : "", smp.labels[i].first, esc(smp.labels[i].second));
        out += '}';
      }
      fmt::format_to(it, " {}\n", smp.value);
    }
  }
  return out;
}

}  // namespace spanwatch::pipeline
