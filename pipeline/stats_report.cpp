#include "pipeline/stats_report.hpp"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

namespace spanwatch::pipeline {
namespace {

// One line: stats.json sits beside flows.json and tools read every *.json there as NDJSON.
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void kv(Writer& w, const char* k, uint64_t v) {
  w.Key(k);
  w.Uint64(v);
}

// Where each EAL lcore may run ("2": [1] is a worker pinned alone to CPU 1): shows whether lcores share
// CPUs, which decides how far their busy cycles can be trusted as per-core figures.
void lcore_cpus(Writer& w) {
  w.Key("lcore_cpus");
  w.StartObject();
  unsigned lcore = 0;
  RTE_LCORE_FOREACH(lcore) {
    const rte_cpuset_t set = rte_lcore_cpuset(lcore);
    w.Key(std::to_string(lcore).c_str());
    w.StartArray();
    for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) w.Uint(cpu);
    w.EndArray();
  }
  w.EndObject();
}

template <size_t N, class Names>
void counter_map(Writer& w, const char* key, const std::array<lib::Counter, N>& c, const Names& names) {
  w.Key(key);
  w.StartObject();
  for (size_t i = 1; i < N; ++i) {  // index 0 is "none"
    const uint64_t v = c[i].get();
    if (v == 0) continue;
    w.Key(names[i].data(), static_cast<rapidjson::SizeType>(names[i].size()));
    w.Uint64(v);
  }
  w.EndObject();
}

}  // namespace

Accounting account(const StatsSources& s) {
  Accounting a;
  bool interrupted = false;
  for (const auto& r : *s.rx) interrupted = interrupted || r->replay_interrupted();
  if (!s.pcaps->empty() && !interrupted) {
    for (const auto& p : *s.pcaps) a.packets_read += p.packets;
  } else {
    // Live, or a replay that a signal stopped part-way: what the ports delivered is what was read.
    for (const auto& p : *s.ports) a.packets_read += p->stats().rx_packets;
    uint64_t in_files = 0;
    for (const auto& p : *s.pcaps) in_files += p.packets;
    a.not_replayed = in_files > a.packets_read ? in_files - a.packets_read : 0;
  }
  for (const auto& r : *s.rx) {
    for (const auto& c : r->counters().non_flow) a.non_flow += c.get();
    for (const auto& c : r->counters().decode_errors) a.decode_errors += c.get();
    a.ring_drops += r->counters().ring_dropped_packets.get();
  }
  for (const auto& w : *s.workers) {
    a.unmatched_fragments += w->counters().fragments_unmatched.get();
    a.in_dropped_records += w->packets_in_dropped_records();
  }
  a.in_records = s.exporter->counters().packets_in_records.get();
  return a;
}

std::string stats_json(const StatsSources& s, bool final) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("final");
  w.Bool(final);
  kv(w, "tsc_hz", rte_get_tsc_hz());  // unit of every busy_cycles and cycles figure
  lcore_cpus(w);

  w.Key("ports");
  w.StartArray();
  for (const auto& p : *s.ports) {
    const PortStats st = p->stats();
    w.StartObject();
    w.Key("name");
    w.String(p->name().c_str());
    kv(w, "port_id", p->id());
    kv(w, "rx_packets", st.rx_packets);
    kv(w, "rx_bytes", st.rx_bytes);
    kv(w, "imissed", st.imissed);
    kv(w, "ierrors", st.ierrors);
    kv(w, "rx_nombuf", st.rx_nombuf);
    w.EndObject();
  }
  w.EndArray();

  w.Key("rx");
  w.StartArray();
  for (size_t i = 0; i < s.rx->size(); ++i) {
    const RxCounters& c = (*s.rx)[i]->counters();
    w.StartObject();
    kv(w, "rx_lcore", i);
    kv(w, "packets", c.packets.get());
    kv(w, "bytes", c.bytes.get());
    kv(w, "flow_packets", c.flow_packets.get());
    kv(w, "carrier_copies", c.carrier_copies.get());
    counter_map(w, "non_flow", c.non_flow, lib::kNonFlowKindNames);
    counter_map(w, "decode_errors", c.decode_errors, lib::kDecodeErrorNames);
    w.Key("ring_drops");
    w.StartArray();
    for (size_t k = 0; k < s.workers->size(); ++k) w.Uint64(c.ring_drops[k].get());
    w.EndArray();
    kv(w, "ring_full_waits", c.ring_full_waits.get());
    kv(w, "pool_empty", c.pool_empty.get());
    kv(w, "replay_desync", c.replay_desync.get());
    kv(w, "busy_cycles", c.busy_cycles.get());
    w.EndObject();
  }
  w.EndArray();

  w.Key("workers");
  w.StartArray();
  for (const auto& wk : *s.workers) {
    const workers::ShardCounters& c = wk->counters();
    w.StartObject();
    kv(w, "worker", wk->worker_id());
    kv(w, "packets", c.packets.get());
    kv(w, "carrier_packets", c.carrier_packets.get());
    kv(w, "flows_active", c.flows_active.get());
    kv(w, "flows_created", c.flows_created.get());
    kv(w, "flows_ended", c.flows_ended.get());
    kv(w, "flows_evicted", c.flows_evicted.get());
    kv(w, "flows_flushed", c.flows_flushed.get());
    kv(w, "tcp_reuse", c.tcp_reuse.get());
    kv(w, "interim_records", c.interim_records.get());
    kv(w, "live_records", c.live_records.get());
    kv(w, "live_skipped", wk->live_skipped());
    kv(w, "fragments_matched", c.fragments_matched.get());
    kv(w, "fragments_unmatched", c.fragments_unmatched.get());
    kv(w, "records_dropped", wk->records_dropped());
    kv(w, "packets_in_dropped_records", wk->packets_in_dropped_records());
    kv(w, "payload_prefix_exhausted", wk->payload_prefix_exhausted());
    kv(w, "busy_cycles", wk->busy_cycles());
    kv(w, "export_wait_cycles", wk->export_wait_cycles());
    if (wk->profile().enabled()) {
      w.Key("cycles");  // flows.profile_stages: the busy cycles split by stage
      w.StartObject();
      for (size_t st = 0; st < size_t(workers::Stage::kCount); ++st)
        kv(w, workers::kStageNames[st], wk->profile().cycles(workers::Stage(st)));
      w.EndObject();
    }
    const workers::DpiCounters& d = wk->dpi_counters();
    w.Key("dpi");
    w.StartObject();
    kv(w, "flows", d.flows.get());
    kv(w, "packets", d.packets.get());
    kv(w, "detected", d.detected.get());
    kv(w, "guessed", d.guessed.get());
    kv(w, "unknown", d.unknown.get());
    kv(w, "pool_exhausted", d.pool_exhausted.get());
    w.EndObject();
    const workers::AppCounters& a = wk->app_counters();
    w.Key("app");  // spanwatch's own application parsers
    w.StartObject();
    kv(w, "flows", a.flows.get());
    kv(w, "state_exhausted", a.state_exhausted.get());
    kv(w, "meta_exhausted", a.meta_exhausted.get());
    kv(w, "stream_gaps", a.stream_gaps.get());
    kv(w, "gave_up", a.gave_up.get());
    kv(w, "tls_client_hellos", a.tls_client_hellos.get());
    kv(w, "tls_server_hellos", a.tls_server_hellos.get());
    kv(w, "tls_certificates", a.tls_certificates.get());
    kv(w, "tls_malformed", a.tls_malformed.get());
    kv(w, "quic_initials", a.quic_initials.get());
    kv(w, "quic_undecryptable", a.quic_undecryptable.get());
    kv(w, "dns_messages", a.dns_messages.get());
    kv(w, "dns_malformed", a.dns_malformed.get());
    kv(w, "http_requests", a.http_requests.get());
    kv(w, "http_responses", a.http_responses.get());
    kv(w, "ssh_banners", a.ssh_banners.get());
    kv(w, "ssh_kexinits", a.ssh_kexinits.get());
    kv(w, "dhcp_messages", a.dhcp_messages.get());
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();

  const ExporterCounters& e = s.exporter->counters();
  const lib::NdjsonFileCounters& f = s.exporter->file_counters();
  w.Key("exporter");
  w.StartObject();
  kv(w, "records", e.records.get());
  kv(w, "final_records", e.final_records.get());
  kv(w, "interim_records", e.interim_records.get());
  kv(w, "carrier_records", e.carrier_records.get());
  kv(w, "json_bytes", e.json_bytes.get());
  kv(w, "file_records_written", f.records_written.get());
  kv(w, "file_bytes_written", f.bytes_written.get());
  kv(w, "file_records_dropped", f.records_dropped.get());
  kv(w, "file_write_errors", f.write_errors.get());
  kv(w, "file_rotations", f.rotations.get());
  kv(w, "file_rotate_errors", f.rotate_errors.get());
  kv(w, "file_deleted", f.files_deleted.get());
  kv(w, "file_delete_errors", f.delete_errors.get());
  kv(w, "file_fsyncs", f.fsyncs.get());
  kv(w, "file_fsync_errors", f.fsync_errors.get());
  kv(w, "live_records", e.live_records.get());
  kv(w, "lag_us", e.lag_cycles.get() * 1'000'000 / rte_get_tsc_hz());
  kv(w, "busy_cycles", e.busy_cycles.get());
  w.EndObject();

  if (s.reload != nullptr) {
    w.Key("config_reloads");  // SIGHUP: the configuration re-read (enrichment data: enrichment.reloads)
    w.StartObject();
    kv(w, "applied", s.reload->counters().reloads.get());
    kv(w, "failed", s.reload->counters().failures.get());
    w.EndObject();
  }

  if (const lib::FlowEnricher* en = s.exporter->enricher()) {
    const lib::EnricherCounters& c = en->counters();
    const lib::HostNameCacheStats& h = en->host_names().stats();
    w.Key("enrichment");
    w.StartObject();
    kv(w, "records", c.records.get());
    kv(w, "rule_matches", c.rule_matches.get());
    kv(w, "rule_matches_dropped", c.rules_dropped.get());
    kv(w, "geo_cache_hits", en->geo_cache_hits());
    kv(w, "geo_cache_misses", en->geo_cache_misses());
    kv(w, "geo_lookup_errors", en->geo_lookup_errors());  // corrupt database data met (fields left out)
    kv(w, "host_names", en->host_names().size());
    kv(w, "host_names_from_dhcp", h.dhcp_learned);
    kv(w, "host_names_from_dns", h.dns_learned);
    kv(w, "host_names_evicted", h.evicted);
    kv(w, "reloads", c.reloads.get());
    kv(w, "reload_failures", c.reload_failures.get());
    w.EndObject();
  }

  w.Key("ring");  // the shared-memory ring for live consumers
  w.StartObject();
  const lib::ShmRingWriter* ring = s.exporter->ring();
  w.Key("enabled");
  w.Bool(ring != nullptr);
  if (ring != nullptr) {
    w.Key("name");
    w.String(ring->name().c_str());
    kv(w, "capacity", ring->capacity());
    kv(w, "slot_bytes", ring->max_payload_bytes());
  }
  kv(w, "published", e.ring_published.get());
  kv(w, "oversize", e.ring_oversize.get());
  w.EndObject();

  w.Key("ipfix");  // IPFIX export (docs/ipfix.md)
  w.StartObject();
  const lib::ipfix::Exporter* ix = s.exporter->ipfix();
  w.Key("enabled");
  w.Bool(ix != nullptr);
  if (ix != nullptr) {
    const lib::ipfix::TransportCounters& t = ix->transport_counters();
    w.Key("collector");
    w.String(ix->peer().c_str());
    kv(w, "observation_domain", ix->options().observation_domain);
    kv(w, "records", ix->counters().records.get());
    kv(w, "messages", t.messages.get());
    kv(w, "bytes", t.bytes.get());
    kv(w, "template_sends", ix->counters().template_sends.get());
    kv(w, "send_errors", t.send_errors.get());
    kv(w, "dropped_messages", t.dropped_messages.get());
    kv(w, "dropped_records", t.dropped_records.get());
    kv(w, "connects", t.connects.get());
    kv(w, "connect_errors", t.connect_errors.get());
  }
  w.EndObject();

  w.Key("nats");  // NATS JetStream publishing (docs/fleet.md)
  w.StartObject();
  const lib::jetstream::Publisher* js = s.exporter->nats();
  w.Key("enabled");
  w.Bool(js != nullptr);
  if (js != nullptr) {
    const lib::jetstream::PublisherCounters& c = js->counters();
    w.Key("stream");
    w.String(js->options().stream.c_str());
    w.Key("subject");
    w.String(js->subject().c_str());
    w.Key("connected");
    w.Bool(js->connected());
    kv(w, "offered", c.offered.get());
    kv(w, "published", c.published.get());
    kv(w, "acked", c.acked.get());
    kv(w, "retried", c.retried.get());
    kv(w, "publish_errors", c.publish_errors.get());
    kv(w, "dropped_queue_full", c.dropped_queue_full.get());
    kv(w, "dropped_buffer_full", c.dropped_buffer_full.get());
    kv(w, "dropped_at_exit", c.dropped_at_exit.get());
    kv(w, "spilled", c.spilled.get());
    kv(w, "unspilled", c.unspilled.get());
    kv(w, "spill_records", c.spill_records.get());
    kv(w, "buffered", c.buffered.get());
    kv(w, "in_flight", c.in_flight.get());
    kv(w, "disconnects", c.disconnects.get());
  }
  w.EndObject();

  const Accounting a = account(s);
  w.Key("accounting");
  w.StartObject();
  kv(w, "packets_read", a.packets_read);
  kv(w, "in_records", a.in_records);
  kv(w, "in_dropped_records", a.in_dropped_records);
  kv(w, "ring_drops", a.ring_drops);
  kv(w, "non_flow", a.non_flow);
  kv(w, "decode_errors", a.decode_errors);
  kv(w, "unmatched_fragments", a.unmatched_fragments);
  kv(w, "unaccounted", a.lost());
  kv(w, "not_replayed", a.not_replayed);
  w.EndObject();

  if (!s.pcaps->empty()) {
    w.Key("replay");
    w.StartArray();
    for (const auto& p : *s.pcaps) {
      w.StartObject();
      w.Key("path");
      w.String(p.path.c_str());
      kv(w, "dlt", static_cast<uint64_t>(p.dlt));
      kv(w, "packets", p.packets);
      kv(w, "wire_bytes", p.wire_bytes);
      if (!p.warning.empty()) {
        w.Key("warning");
        w.String(p.warning.c_str());
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string stats_line(const StatsSources& s) {
  uint64_t rx = 0, flows = 0, drops = 0;
  for (const auto& r : *s.rx) {
    rx += r->counters().packets.get();
    for (const auto& d : r->counters().ring_drops) drops += d.get();
  }
  for (const auto& w : *s.workers) flows += w->counters().flows_active.get();
  uint64_t imissed = 0;
  for (const auto& p : *s.ports) imissed += p->stats().imissed;
  const Accounting a = account(s);
  return fmt::format(
      "rx {} pkts, imissed {}, ring drops {}, active flows {}, records {}, non-flow {}, decode errors {}", rx,
      imissed, drops, flows, s.exporter->counters().records.get(), a.non_flow, a.decode_errors);
}

}  // namespace spanwatch::pipeline
