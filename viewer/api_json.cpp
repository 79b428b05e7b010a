// JSON writers for the API (RapidJSON Writer into a StringBuffer).
#include "viewer/api_json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace spanwatch::viewer {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void kv(Writer& w, const char* k, const std::string& v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void kv_opt(Writer& w, const char* k, const std::string& v) {
  if (!v.empty()) kv(w, k, v);
}
void kv(Writer& w, const char* k, uint64_t v) {
  w.Key(k);
  w.Uint64(v);
}
void kv(Writer& w, const char* k, int64_t v) {
  w.Key(k);
  w.Int64(v);
}
void kv(Writer& w, const char* k, double v) {
  w.Key(k);
  w.Double(v);
}
void kv(Writer& w, const char* k, bool v) {
  w.Key(k);
  w.Bool(v);
}
void strings(Writer& w, const char* k, const std::vector<std::string>& v) {
  w.Key(k);
  w.StartArray();
  for (const std::string& s : v) w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
}

void endpoint(Writer& w, const char* k, const Endpoint& e) {
  w.Key(k);
  w.StartObject();
  kv(w, "ip", e.ip_text);
  if (e.port != kNoPort) kv(w, "port", uint64_t{e.port});
  kv(w, "bytes", e.bytes);
  kv(w, "packets", e.packets);
  kv(w, "public", e.is_public);
  kv_opt(w, "mac", e.mac);
  kv_opt(w, "mac_vendor", e.mac_vendor);
  kv_opt(w, "service", e.service);
  kv_opt(w, "hostname", e.hostname);
  kv_opt(w, "country", e.country);
  kv_opt(w, "country_name", e.country_name);
  kv_opt(w, "city", e.city);
  if (e.asn != 0) kv(w, "asn", uint64_t{e.asn});
  kv_opt(w, "as_org", e.as_org);
  kv_opt(w, "as_class", e.as_class);
  w.EndObject();
}

void summary(Writer& w, const FlowEntry& e, double cur_bps) {
  const FlowSummary& s = e.s;
  w.StartObject();
  kv(w, "key", e.key);
  kv(w, "id", s.id);
  kv(w, "run", uint64_t{s.run});
  kv(w, "active", !s.final);
  kv_opt(w, "reason", s.reason);
  kv(w, "app", s.app);
  kv_opt(w, "protocol", s.protocol);
  kv_opt(w, "application", s.application);
  kv_opt(w, "l7", s.l7_proto);
  kv_opt(w, "category", s.category);
  kv_opt(w, "breed", s.breed);
  kv(w, "encrypted", s.encrypted);
  kv(w, "l4", s.transport);
  if (s.iana >= 0) kv(w, "iana", int64_t{s.iana});
  endpoint(w, "client", s.client);
  endpoint(w, "server", s.server);
  kv(w, "start_us", s.start_us);
  kv(w, "end_us", s.end_us);
  const int64_t dur_us = std::max<int64_t>(s.end_us - s.start_us, 0);
  kv(w, "duration_us", dur_us);
  kv(w, "bytes", s.bytes());
  kv(w, "packets", s.packets());
  kv(w, "avg_bps", dur_us > 0 ? static_cast<double>(s.bytes()) * 8e6 / static_cast<double>(dur_us) : 0.0);
  kv(w, "cur_bps", cur_bps);
  kv_opt(w, "info", s.info);
  kv_opt(w, "conn_state", s.conn_state);
  kv_opt(w, "conn_state_major", s.conn_state_major);
  kv_opt(w, "history", s.history);
  if (s.flags >= 0) kv(w, "flags", int64_t{s.flags});
  if (s.flags_ts >= 0) kv(w, "flags_ts", int64_t{s.flags_ts});
  if (s.flags_tc >= 0) kv(w, "flags_tc", int64_t{s.flags_tc});
  kv(w, "risk_score", uint64_t{s.risk_score});
  strings(w, "risks", s.risks);
  kv_opt(w, "risk_severity", s.risk_severity);
  strings(w, "labels", s.labels);
  kv(w, "labels_derived", s.labels_derived);
  kv_opt(w, "vlan", s.vlan);
  kv_opt(w, "sensor", s.sensor);
  kv(w, "records", uint64_t{e.records});
  kv(w, "received_ms", e.received_ms);
  w.EndObject();
}

std::string done(rapidjson::StringBuffer& b) {
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace

std::string flows_json(const FlowStore& store, const FlowList& list, const Page& page) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  kv(w, "version", store.version());
  kv(w, "total", uint64_t{list.total});
  kv(w, "offset", uint64_t{page.offset});
  kv(w, "limit", uint64_t{page.limit});
  kv(w, "stored", uint64_t{store.size()});
  kv(w, "packet_now_us", store.packet_now_us());
  w.Key("flows");
  w.StartArray();
  for (const FlowEntry* e : list.flows) summary(w, *e, store.current_bps(*e));
  w.EndArray();
  w.EndObject();
  return done(b);
}

std::string flow_detail_json(const FlowStore& store, const FlowEntry& e) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("summary");
  summary(w, e, store.current_bps(e));
  // The record was validated (UTF-8, complete JSON) when it was parsed on arrival.
  w.Key("record");
  w.RawValue(e.raw.data(), e.raw.size(), rapidjson::kObjectType);
  w.EndObject();
  return done(b);
}

std::string history_json(const std::vector<FlowEntry>& rows, uint32_t limit) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  kv(w, "total", uint64_t{rows.size()});
  kv(w, "offset", uint64_t{0});
  kv(w, "limit", uint64_t{limit});
  kv(w, "truncated", rows.size() >= limit);  // there may be more: narrow the search or raise the limit
  w.Key("flows");
  w.StartArray();
  for (const FlowEntry& e : rows) summary(w, e, 0.0);
  w.EndArray();
  w.EndObject();
  return done(b);
}

std::string history_detail_json(const FlowEntry& e) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("summary");
  summary(w, e, 0.0);
  w.Key("record");  // validated by RecordParser before it got here
  w.RawValue(e.raw.data(), e.raw.size(), rapidjson::kObjectType);
  w.EndObject();
  return done(b);
}

std::string groups_json(GroupBy by, const GroupList& gl, size_t offset) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  kv(w, "by", std::string(name_of(by)));
  kv(w, "total_groups", uint64_t{gl.total_groups});
  kv(w, "total_flows", uint64_t{gl.total_flows});
  kv(w, "offset", uint64_t{offset});
  w.Key("groups");
  w.StartArray();
  for (const Group& g : gl.groups) {
    w.StartObject();
    w.Key("key");
    w.StartObject();
    switch (by) {
      case GroupBy::kApp:
        kv(w, "app", g.app);
        break;
      case GroupBy::kClient:
        kv(w, "client", g.client);
        break;
      case GroupBy::kServer:
        kv(w, "server", g.server);
        break;
      case GroupBy::kClientServer:
        kv(w, "client", g.client);
        kv(w, "server", g.server);
        break;
      case GroupBy::kAppClientServer:
        kv(w, "app", g.app);
        kv(w, "client", g.client);
        kv(w, "server", g.server);
        break;
      case GroupBy::kClientServerDport:
        kv(w, "client", g.client);
        kv(w, "server", g.server);
        if (g.dport != kNoPort) kv(w, "dport", uint64_t{g.dport});
        break;
      case GroupBy::kInfo:
        kv(w, "info", g.info);
        break;
      case GroupBy::kHost:
        kv(w, "host", g.host);
        break;
      case GroupBy::kProto:
        kv(w, "proto", g.proto);
        break;
    }
    w.EndObject();
    kv(w, "flows", g.flows);
    kv(w, "active", g.active);
    kv(w, "bytes", g.bytes);
    kv(w, "bytes_cli", g.bytes_cli);
    kv(w, "bytes_srv", g.bytes_srv);
    kv(w, "packets", g.packets);
    kv(w, "cur_bps", g.cur_bps);
    kv(w, "max_risk", uint64_t{g.max_risk});
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return done(b);
}

std::string series_json(const FlowStore& store) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  kv(w, "bucket_s", uint64_t{1});
  kv(w, "version", store.version());
  w.Key("points");  // [unix second, bits/s client->server, bits/s server->client]
  w.StartArray();
  for (const auto& p : store.series().points()) {
    w.StartArray();
    w.Int64(p.sec);
    w.Double(p.up * 8);
    w.Double(p.down * 8);
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  return done(b);
}

std::string stats_json(const FlowStore& store, const IngestSnapshot& r, const ServerCounters& sc,
                       const ProcessMemory& mem, uint64_t bound, uint64_t uptime_s) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  kv(w, "version", store.version());
  kv(w, "uptime_s", uptime_s);
  w.Key("ring");
  w.StartObject();
  kv(w, "name", r.ring_name);
  kv(w, "state", r.state);
  kv_opt(w, "last_error", r.last_error);
  if (r.generation != 0) {
    char gen[17];
    std::snprintf(gen, sizeof gen, "%016llx", static_cast<unsigned long long>(r.generation));
    kv(w, "generation", std::string(gen));
  }
  kv(w, "writer_pid", int64_t{r.writer_pid});
  kv(w, "capacity", r.capacity);
  kv(w, "published", r.published);
  kv(w, "position", r.position);
  kv(w, "lag", r.published > r.position ? r.published - r.position : uint64_t{0});
  kv(w, "runs", uint64_t{r.runs});
  kv(w, "received", r.received);
  kv(w, "overruns", r.overruns);
  kv(w, "missed", r.missed);
  kv(w, "torn_reads", r.torn_reads);
  kv(w, "corrupt", r.corrupt);
  kv(w, "invalid_json", r.invalid_json);
  kv(w, "not_a_flow", r.not_a_flow);
  kv(w, "records_per_s", r.records_per_s);
  w.EndObject();
  const StoreCounters& c = store.counters();
  w.Key("store");
  w.StartObject();
  kv(w, "flows", uint64_t{store.size()});
  kv(w, "active", uint64_t{store.active()});
  kv(w, "ended", uint64_t{store.size() - store.active()});
  kv(w, "bytes", uint64_t{store.bytes()});
  kv(w, "max_bytes", uint64_t{store.limits().max_bytes});
  kv(w, "max_flows", uint64_t{store.limits().max_flows});
  kv(w, "retention_s", store.limits().retention_ms / 1000);
  kv(w, "records", c.records);
  kv(w, "flows_created", c.flows_created);
  kv(w, "evicted_retention", c.evicted_retention);
  kv(w, "evicted_max_flows", c.evicted_max_flows);
  kv(w, "evicted_memory", c.evicted_memory);
  kv(w, "stale_records", c.stale_records);
  kv(w, "packet_now_us", store.packet_now_us());
  w.EndObject();
  w.Key("process");
  w.StartObject();
  kv(w, "rss_bytes", mem.own_bytes);
  kv(w, "ring_shm_bytes", mem.shm_bytes);
  kv(w, "memory_bound_bytes", bound);
  w.EndObject();
  w.Key("http");
  w.StartObject();
  kv(w, "requests", sc.requests);
  kv(w, "bad_requests", sc.bad_requests);
  kv(w, "unauthorized", sc.unauthorized);
  kv(w, "forbidden_host", sc.forbidden_host);
  kv(w, "streams", sc.streams);
  kv(w, "streams_refused", sc.streams_refused);
  w.EndObject();
  w.Key("history");
  w.StartObject();
  kv(w, "enabled", sc.history_enabled);
  kv(w, "queries", sc.history_queries);
  kv(w, "records", sc.history_records);
  kv(w, "bad_requests", sc.history_bad_requests);
  kv(w, "errors", sc.history_errors);
  kv(w, "bad_records", sc.history_bad_records);
  w.EndObject();
  w.EndObject();
  return done(b);
}

std::string event_json(const FlowStore& store, const IngestSnapshot& r) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  kv(w, "version", store.version());
  kv(w, "flows", uint64_t{store.size()});
  kv(w, "active", uint64_t{store.active()});
  kv(w, "packet_now_us", store.packet_now_us());
  kv(w, "ring_state", r.state);
  kv(w, "received", r.received);
  kv(w, "missed", r.missed);
  kv(w, "records_per_s", r.records_per_s);
  w.EndObject();
  return done(b);
}

std::string error_json(const std::vector<QueryError>& errors) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  kv(w, "error", std::string("bad request"));
  w.Key("problems");
  w.StartArray();
  for (const QueryError& e : errors) {
    w.StartObject();
    kv(w, "param", e.param);
    kv(w, "message", e.message);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return done(b);
}

std::string error_json(const std::string& message) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  kv(w, "error", message);
  w.EndObject();
  return done(b);
}

ProcessMemory process_memory() {
  std::ifstream in("/proc/self/status");
  ProcessMemory m;
  std::string key;
  uint64_t kb = 0;
  while (in >> key) {
    if (key == "RssAnon:" || key == "RssFile:" || key == "RssShmem:") {
      in >> kb;
      (key == "RssShmem:" ? m.shm_bytes : m.own_bytes) += kb * 1024;
    }
    in.ignore(4096, '\n');
  }
  return m;
}

}  // namespace spanwatch::viewer
