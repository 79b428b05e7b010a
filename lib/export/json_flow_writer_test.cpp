// Tests for JsonFlowWriter: every field of hand-built records, omission rules, hostile strings, the ECS field
// list (shared/reference/ecs-fields.csv, skipped when absent) and no heap allocation once warm.
#include "lib/export/json_flow_writer.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>

#include "lib/enrich/ip_protocol_names.hpp"
#include "lib/export/json_write_helpers.hpp"
#include "lib/export/test_records.hpp"
#include "lib/export/test_worst_records.hpp"

// ---- allocation counter: glibc lets the executable replace malloc; we forward to the real one -------------
// Not under ASan: its runtime owns malloc, and a replacement runs before the runtime is initialised.
namespace {
bool g_count_allocs = false;
size_t g_allocs = 0;
}  // namespace
#ifndef __SANITIZE_ADDRESS__
#define SPANWATCH_COUNT_ALLOCS 1
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void __libc_free(void*);
}
extern "C" {
void* malloc(size_t n) noexcept {
  if (g_count_allocs) ++g_allocs;
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t m) noexcept {
  if (g_count_allocs) ++g_allocs;
  return __libc_calloc(n, m);
}
void* realloc(void* p, size_t n) noexcept {
  if (g_count_allocs) ++g_allocs;
  return __libc_realloc(p, n);
}
void free(void* p) noexcept {
  __libc_free(p);
}
}
#endif

namespace spanwatch::lib {
namespace {

using rapidjson::Document;
using rapidjson::Value;

struct Written {
  std::string line;  // without the '\n'
  Document doc;
};

Written write_one(JsonFlowWriter& w, const FlowRecord& r, const FlowEnrichment* e = nullptr) {
  rapidjson::StringBuffer buf;
  const size_t n = w.write(r, buf, e);
  Written out;
  const std::string all(buf.GetString(), buf.GetSize());
  EXPECT_EQ(n, all.size());
  EXPECT_FALSE(all.empty());
  EXPECT_EQ(all.back(), '\n');
  EXPECT_EQ(all.find('\n'), all.size() - 1) << "exactly one line";
  out.line = all.substr(0, all.size() - 1);
  out.doc.Parse<rapidjson::kParseValidateEncodingFlag>(out.line.c_str(), out.line.size());
  EXPECT_FALSE(out.doc.HasParseError()) << rapidjson::GetParseError_En(out.doc.GetParseError()) << "\n"
                                        << out.line;
  EXPECT_TRUE(out.doc.IsObject());
  return out;
}

// Value at a dotted path, or nullptr.
const Value* at(const Value& root, std::string_view path) {
  const Value* v = &root;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string part(path.substr(0, dot));
    if (!v->IsObject()) return nullptr;
    const auto it = v->FindMember(part.c_str());
    if (it == v->MemberEnd()) return nullptr;
    v = &it->value;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return v;
}
std::string str(const Value& root, std::string_view path) {
  const Value* v = at(root, path);
  if (v == nullptr || !v->IsString()) {
    ADD_FAILURE() << path << " is missing or not a string";
    return {};
  }
  return {v->GetString(), v->GetStringLength()};
}
uint64_t num(const Value& root, std::string_view path) {
  const Value* v = at(root, path);
  if (v == nullptr || !v->IsUint64()) {
    ADD_FAILURE() << path << " is missing or not an unsigned integer";
    return 0;
  }
  return v->GetUint64();
}
std::vector<std::string> strs(const Value& root, std::string_view path) {
  std::vector<std::string> out;
  const Value* v = at(root, path);
  if (v == nullptr || !v->IsArray()) {
    ADD_FAILURE() << path << " is missing or not an array";
    return out;
  }
  for (const auto& e : v->GetArray()) out.emplace_back(e.IsString() ? e.GetString() : "<not a string>");
  return out;
}
bool has(const Value& root, std::string_view path) {
  return at(root, path) != nullptr;
}

// Flattens leaves to dotted path -> JSON value (arrays are leaves, like the corpus checker does).
void flatten(const Value& v, const std::string& prefix, std::map<std::string, const Value*>& out) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      flatten(m.value, prefix.empty() ? m.name.GetString() : prefix + "." + m.name.GetString(), out);
    }
  } else {
    out[prefix] = &v;
    if (v.IsArray()) {  // arrays of objects: their members are fields below the array's path
      for (const auto& x : v.GetArray()) {
        if (x.IsObject()) flatten(x, prefix, out);
      }
    }
  }
}

using Strings = std::vector<std::string>;

TEST(JsonFlowWriter, TcpRecordEveryField) {
  JsonFlowWriter w(full_context());
  const Written out = write_one(w, tcp_record());
  const Value& d = out.doc;

  EXPECT_EQ(str(d, "@timestamp"), "2026-01-05T10:00:41.123456Z");
  EXPECT_EQ(str(d, "ecs.version"), "8.17.0");
  EXPECT_EQ(str(d, "event.kind"), "event");
  EXPECT_EQ(strs(d, "event.category"), Strings({"network"}));
  EXPECT_EQ(strs(d, "event.type"), Strings({"connection", "start", "end"}));
  EXPECT_EQ(str(d, "event.dataset"), "spanwatch.flow");
  EXPECT_EQ(str(d, "event.start"), "2026-01-05T10:00:00.000001Z");
  EXPECT_EQ(str(d, "event.end"), "2026-01-05T10:00:40.500000Z");
  EXPECT_EQ(num(d, "event.duration"), 40499999000ull);
  EXPECT_EQ(str(d, "event.reason"), "end_of_flow");

  EXPECT_EQ(str(d, "observer.hostname"), "sensor1.example.net");
  EXPECT_EQ(str(d, "observer.name"), "dc1-span");
  EXPECT_EQ(str(d, "observer.ingress.interface.name"), "0000:3b:00.0");

  EXPECT_EQ(str(d, "network.transport"), "tcp");
  EXPECT_EQ(str(d, "network.iana_number"), "6");
  EXPECT_EQ(str(d, "network.type"), "ipv4");
  EXPECT_EQ(num(d, "network.bytes"), 98004u);
  EXPECT_EQ(num(d, "network.packets"), 121u);
  EXPECT_EQ(str(d, "network.vlan.id"), "100");
  EXPECT_EQ(str(d, "network.inner.vlan.id"), "4094");

  EXPECT_EQ(str(d, "source.ip"), "1.2.3.4");
  EXPECT_EQ(num(d, "source.port"), 1122u);
  EXPECT_EQ(str(d, "source.mac"), "00-00-5E-00-53-23");
  EXPECT_EQ(num(d, "source.bytes"), 4004u);
  EXPECT_EQ(num(d, "source.packets"), 60u);
  EXPECT_EQ(str(d, "destination.ip"), "5.6.7.8");
  EXPECT_EQ(num(d, "destination.port"), 3344u);
  EXPECT_EQ(str(d, "destination.mac"), "AB-CD-EF-01-02-03");
  EXPECT_EQ(num(d, "destination.bytes"), 94000u);
  EXPECT_EQ(num(d, "destination.packets"), 61u);
  EXPECT_EQ(strs(d, "related.ip"), Strings({"1.2.3.4", "5.6.7.8"}));

  EXPECT_EQ(str(d, "spanwatch.flow.id"), "w3-000000000042");
  ASSERT_TRUE(has(d, "spanwatch.flow.final"));
  EXPECT_TRUE(at(d, "spanwatch.flow.final")->IsBool());
  EXPECT_TRUE(at(d, "spanwatch.flow.final")->GetBool());
  EXPECT_EQ(num(d, "spanwatch.flow.sequence"), 0u);
  EXPECT_EQ(num(d, "spanwatch.src.ip_bytes"), 3164u);
  EXPECT_EQ(num(d, "spanwatch.src.payload_bytes"), 1000u);
  EXPECT_EQ(num(d, "spanwatch.dst.ip_bytes"), 93146u);
  EXPECT_EQ(num(d, "spanwatch.dst.payload_bytes"), 90000u);
  EXPECT_EQ(str(d, "spanwatch.tcp.conn_state"), "SF");
  EXPECT_EQ(str(d, "spanwatch.tcp.conn_state_major"), "CLOSED");
  EXPECT_EQ(str(d, "spanwatch.tcp.history"), "ShADadFf");
  EXPECT_EQ(str(d, "spanwatch.tcp.flags"), "1b");
  EXPECT_EQ(str(d, "spanwatch.tcp.flags_ts"), "1b");
  EXPECT_EQ(str(d, "spanwatch.tcp.flags_tc"), "13");

  // Absent on this record.
  EXPECT_FALSE(has(d, "spanwatch.flow.fragments"));
  EXPECT_FALSE(has(d, "spanwatch.flow.conn_state"));
  EXPECT_FALSE(has(d, "spanwatch.flow.history"));
  EXPECT_FALSE(has(d, "spanwatch.tunnel"));

  // Top-level order is stable (SIEMs do not care; humans reading a tail do).
  std::vector<std::string> top;
  for (const auto& m : d.GetObject()) top.emplace_back(m.name.GetString());
  EXPECT_EQ(top, Strings({"@timestamp", "ecs", "event", "observer", "network", "source", "destination",
                          "related", "spanwatch"}));
  EXPECT_EQ(out.line.find("null"), std::string::npos);
}

TEST(JsonFlowWriter, OmitsAbsentValues) {
  JsonFlowWriter w(JsonFlowContext{});  // no observer names, no port names
  FlowRecord r = tcp_record();
  r.l4_proto = 47;  // GRE: no ports, no TCP block
  r.dir[0].has_mac = false;
  r.dir[1].has_mac = false;
  r.vlan_count = 0;
  r.history_len = 0;
  r.first_ns = 0;
  r.last_ns = 0;
  const Written out = write_one(w, r);
  const Value& d = out.doc;
  EXPECT_FALSE(has(d, "observer"));
  EXPECT_FALSE(has(d, "source.port"));
  EXPECT_FALSE(has(d, "destination.port"));
  EXPECT_FALSE(has(d, "source.mac"));
  EXPECT_FALSE(has(d, "destination.mac"));
  EXPECT_FALSE(has(d, "network.vlan"));
  EXPECT_FALSE(has(d, "network.inner"));
  EXPECT_FALSE(has(d, "event.start"));
  EXPECT_FALSE(has(d, "event.end"));
  EXPECT_FALSE(has(d, "event.duration"));
  EXPECT_FALSE(has(d, "spanwatch.tcp"));
  EXPECT_FALSE(has(d, "spanwatch.flow.history"));
  EXPECT_EQ(str(d, "network.transport"), "gre");
  EXPECT_EQ(str(d, "network.iana_number"), "47");
  EXPECT_EQ(str(d, "spanwatch.flow.conn_state"), "SF");
  EXPECT_EQ(num(d, "source.bytes"), 4004u);  // zero counters are values, not absences
  EXPECT_EQ(out.line.find("null"), std::string::npos);

  // Port id without a name, one VLAN tag only, port name present but observer names empty.
  JsonFlowContext c;
  c.port_names = {"eth0"};
  JsonFlowWriter w2(c);
  r.port_id = 5;
  r.vlan_count = 1;
  const Written out2 = write_one(w2, r);
  EXPECT_FALSE(has(out2.doc, "observer"));
  EXPECT_EQ(str(out2.doc, "network.vlan.id"), "100");
  EXPECT_FALSE(has(out2.doc, "network.inner"));
  r.port_id = 0;
  const Written out3 = write_one(w2, r);
  EXPECT_EQ(str(out3.doc, "observer.ingress.interface.name"), "eth0");
  EXPECT_FALSE(has(out3.doc, "observer.hostname"));
  EXPECT_FALSE(has(out3.doc, "observer.name"));
}

TEST(JsonFlowWriter, UdpIpv6Record) {
  JsonFlowWriter w(full_context());
  FlowRecord r = tcp_record();
  r.l4_proto = 17;
  r.ip_version = 6;
  r.src_ip = v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  r.dst_ip = v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
  r.src_port = 5353;
  r.dst_port = 53;
  r.conn_state = ConnState::kS0;
  r.history = {};
  r.history[0] = 'D';
  r.history_len = 1;
  r.fragments = 7;
  r.reason = EndReason::kIdleTimeout;
  const Written out = write_one(w, r);
  const Value& d = out.doc;
  EXPECT_EQ(str(d, "network.transport"), "udp");
  EXPECT_EQ(str(d, "network.iana_number"), "17");
  EXPECT_EQ(str(d, "network.type"), "ipv6");
  EXPECT_EQ(str(d, "source.ip"), "2001:db8::1");
  EXPECT_EQ(str(d, "destination.ip"), "2001:db8::2");
  EXPECT_EQ(num(d, "source.port"), 5353u);
  EXPECT_EQ(num(d, "destination.port"), 53u);
  EXPECT_EQ(strs(d, "related.ip"), Strings({"2001:db8::1", "2001:db8::2"}));
  EXPECT_EQ(str(d, "spanwatch.flow.conn_state"), "S0");
  EXPECT_EQ(str(d, "spanwatch.flow.history"), "D");
  EXPECT_EQ(num(d, "spanwatch.flow.fragments"), 7u);
  EXPECT_EQ(str(d, "event.reason"), "idle_timeout");
  EXPECT_FALSE(has(d, "spanwatch.tcp"));
}

TEST(JsonFlowWriter, IcmpPortsAreTypeAndCode) {
  JsonFlowWriter w(full_context());
  FlowRecord r = tcp_record();
  r.l4_proto = 1;
  r.src_port = 8;  // echo request
  r.dst_port = 0;
  r.conn_state = ConnState::kOTH;
  r.history_len = 0;
  Written out = write_one(w, r);
  EXPECT_EQ(str(out.doc, "network.transport"), "icmp");
  EXPECT_EQ(num(out.doc, "source.port"), 8u);
  EXPECT_EQ(num(out.doc, "destination.port"), 0u);
  EXPECT_EQ(str(out.doc, "spanwatch.flow.conn_state"), "OTH");

  r.l4_proto = 58;
  r.ip_version = 6;
  r.src_port = 128;
  out = write_one(w, r);
  EXPECT_EQ(str(out.doc, "network.transport"), "ipv6-icmp");
  EXPECT_EQ(num(out.doc, "source.port"), 128u);

  r.l4_proto = 253;  // experimental: no keyword, the number stands in
  out = write_one(w, r);
  EXPECT_EQ(str(out.doc, "network.transport"), "253");
  EXPECT_EQ(str(out.doc, "network.iana_number"), "253");
  EXPECT_FALSE(has(out.doc, "source.port"));
}

TEST(JsonFlowWriter, EventTypeAndSequence) {
  JsonFlowWriter w(full_context());
  FlowRecord r = tcp_record();
  r.final = false;
  r.reason = EndReason::kActiveTimeout;
  r.conn_state = ConnState::kS1;
  Written out = write_one(w, r);
  EXPECT_EQ(strs(out.doc, "event.type"), Strings({"connection", "start"}));
  EXPECT_FALSE(at(out.doc, "spanwatch.flow.final")->GetBool());
  EXPECT_EQ(str(out.doc, "spanwatch.tcp.conn_state_major"), "ESTABLISHED");
  EXPECT_EQ(str(out.doc, "event.reason"), "active_timeout");

  r.sequence = 1;  // second interim record
  out = write_one(w, r);
  EXPECT_EQ(strs(out.doc, "event.type"), Strings({"connection", "info"}));
  EXPECT_EQ(num(out.doc, "spanwatch.flow.sequence"), 1u);

  r.sequence = 2;  // final after interims
  r.final = true;
  r.conn_state = ConnState::kSF;
  out = write_one(w, r);
  EXPECT_EQ(strs(out.doc, "event.type"), Strings({"connection", "end"}));

  r.sequence = 0;
  r.conn_state = ConnState::kREJ;
  out = write_one(w, r);
  EXPECT_EQ(strs(out.doc, "event.type"), Strings({"connection", "start", "end", "denied"}));
  EXPECT_EQ(str(out.doc, "spanwatch.tcp.conn_state_major"), "ATTEMPTED");

  r.final = false;  // an interim REJ is not a verdict yet
  out = write_one(w, r);
  EXPECT_EQ(strs(out.doc, "event.type"), Strings({"connection", "start"}));
}

TEST(JsonFlowWriter, TunnelAndCarrier) {
  JsonFlowWriter w(full_context());
  FlowRecord r = tcp_record();
  r.tunnel = TunnelType::kVxlan;
  r.tunnel_depth = 1;
  r.tunnel_src = v4(10, 0, 0, 1);
  r.tunnel_dst = v4(10, 0, 0, 2);
  Written out = write_one(w, r);
  EXPECT_EQ(str(out.doc, "spanwatch.tunnel.type"), "vxlan");
  EXPECT_EQ(num(out.doc, "spanwatch.tunnel.depth"), 1u);
  EXPECT_EQ(str(out.doc, "spanwatch.tunnel.src_ip"), "10.0.0.1");
  EXPECT_EQ(str(out.doc, "spanwatch.tunnel.dst_ip"), "10.0.0.2");
  EXPECT_FALSE(has(out.doc, "spanwatch.tunnel.carrier"));

  FlowRecord c = tcp_record();
  c.l4_proto = 17;
  c.dst_port = 4789;
  c.is_tunnel_carrier = true;
  out = write_one(w, c);
  ASSERT_TRUE(has(out.doc, "spanwatch.tunnel.carrier"));
  EXPECT_TRUE(at(out.doc, "spanwatch.tunnel.carrier")->GetBool());
  EXPECT_FALSE(has(out.doc, "spanwatch.tunnel.type"));
  EXPECT_FALSE(has(out.doc, "spanwatch.tunnel.src_ip"));
}

TEST(JsonFlowWriter, SameAddressBothSidesIsListedOnce) {
  JsonFlowWriter w(full_context());
  FlowRecord r = tcp_record();
  r.dst_ip = r.src_ip;
  const Written out = write_one(w, r);
  EXPECT_EQ(strs(out.doc, "related.ip"), Strings({"1.2.3.4"}));
}

TEST(JsonFlowWriter, FlowIdFormat) {
  JsonFlowWriter w(full_context());
  FlowRecord r = tcp_record();
  r.worker_id = 17;
  r.flow_id = (uint64_t{17} << 56) | 0xABCDEF1234567ull;  // 13 hex digits: no truncation
  EXPECT_EQ(str(write_one(w, r).doc, "spanwatch.flow.id"), "w17-abcdef1234567");
  r.flow_id = uint64_t{17} << 56;
  EXPECT_EQ(str(write_one(w, r).doc, "spanwatch.flow.id"), "w17-000000000000");
}

TEST(JsonFlowWriter, AppendsLinesToTheCallersBuffer) {
  JsonFlowWriter w(full_context());
  rapidjson::StringBuffer buf;
  FlowRecord r = tcp_record();
  for (uint32_t i = 0; i < 3; ++i) {
    r.sequence = i;
    w.write(r, buf);
  }
  const std::string all(buf.GetString(), buf.GetSize());
  size_t lines = 0, pos = 0;
  for (size_t nl; (nl = all.find('\n', pos)) != std::string::npos; pos = nl + 1, ++lines) {
    Document d;
    d.Parse(all.c_str() + pos, nl - pos);
    ASSERT_FALSE(d.HasParseError());
    EXPECT_EQ(num(d, "spanwatch.flow.sequence"), lines);
  }
  EXPECT_EQ(lines, 3u);
  EXPECT_EQ(pos, all.size());
}

TEST(JsonFlowWriter, NoHeapAllocationOnceWarm) {
#ifndef SPANWATCH_COUNT_ALLOCS
  GTEST_SKIP() << "allocations are counted only without ASan (the release build runs this test)";
#endif
  JsonFlowWriter w(full_context());
  rapidjson::StringBuffer buf;
  FlowRecord r = tcp_record();
  r.tunnel = TunnelType::kGre;
  r.tunnel_src = v4(10, 0, 0, 1);
  FlowRecord u = r;
  u.l4_proto = 17;
  u.fragments = 3;
  for (int i = 0; i < 2; ++i) {  // warm: buffer and nesting stack reach their size
    w.write(r, buf);
    w.write(u, buf);
    buf.Clear();
  }
  g_allocs = 0;
  g_count_allocs = true;
  for (int i = 0; i < 1000; ++i) {
    w.write(r, buf);
    w.write(u, buf);
    buf.Clear();
  }
  g_count_allocs = false;
  EXPECT_EQ(g_allocs, 0u);
}

// ---- timestamps -------------------------------------------------------------------------------------------

std::string rfc3339(uint64_t ns) {
  char buf[kRfc3339Len];
  return {buf, format_rfc3339_us(ns, buf)};
}

TEST(Rfc3339, KnownValues) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(999), "1970-01-01T00:00:00.000000Z");  // truncates below a microsecond
  EXPECT_EQ(rfc3339(1767607241123456789ull), "2026-01-05T10:00:41.123456Z");
  EXPECT_EQ(rfc3339(951782400ull * 1'000'000'000), "2000-02-29T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(1709251199999999000ull), "2024-02-29T23:59:59.999999Z");
  EXPECT_EQ(rfc3339(4102444800ull * 1'000'000'000), "2100-01-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(UINT64_MAX), "2554-07-21T23:34:33.709551Z");
}

TEST(Rfc3339, MatchesGmtime) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t ns = rng() % (uint64_t{4102444800} * 1'000'000'000);  // 1970 .. 2100
    const std::time_t t = static_cast<std::time_t>(ns / 1'000'000'000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char want[64];
    std::snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%06lluZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<unsigned long long>(ns % 1'000'000'000 / 1000));
    ASSERT_EQ(rfc3339(ns), want) << ns;
  }
}

// ---- conn_state major table -------------------------------------------------------------------------------

TEST(ConnStateMajor, MatchesTheReferenceTable) {
  using enum ConnState;
  const std::map<ConnState, ConnStateMajor> want{
      {kS0, ConnStateMajor::kAttempted},     {kREJ, ConnStateMajor::kAttempted},
      {kRSTOS0, ConnStateMajor::kAttempted}, {kRSTRH, ConnStateMajor::kAttempted},
      {kSH, ConnStateMajor::kAttempted},     {kSHR, ConnStateMajor::kAttempted},
      {kS1, ConnStateMajor::kEstablished},   {kOTH, ConnStateMajor::kEstablished},
      {kSF, ConnStateMajor::kClosed},        {kS2, ConnStateMajor::kClosed},
      {kS3, ConnStateMajor::kClosed},        {kRSTO, ConnStateMajor::kClosed},
      {kRSTR, ConnStateMajor::kClosed}};
  ASSERT_EQ(want.size(), size_t(ConnState::kCount));
  for (const auto& [s, m] : want) EXPECT_EQ(major_of(s), m) << kConnStateNames[size_t(s)];
}

// ---- hostile strings --------------------------------------------------------------------------------------

// Writes s through write_safe_string as the only value of an array; returns the parsed string.
std::string round_trip(std::string_view s, size_t max_bytes = kMaxSafeStringBytes,
                       SafeStringStats* st = nullptr, std::string* json = nullptr) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  // The room the record bound counts for one value: the calls below do not check it (debug builds assert).
  w.Reserve(json_room::kOpen + json_room::escaped(std::min(s.size(), max_bytes)) + json_room::kClose);
  w.StartArray();
  const SafeStringStats r = write_safe_string(w, s, max_bytes);
  w.EndArray();
  w.Finish();
  if (st) *st = r;
  if (json) json->assign(buf.GetString(), buf.GetSize());
  Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(buf.GetString(), buf.GetSize());
  EXPECT_FALSE(d.HasParseError()) << rapidjson::GetParseError_En(d.GetParseError());
  if (d.HasParseError() || !d.IsArray() || d.Size() != 1 || !d[0].IsString()) return "<bad>";
  return {d[0].GetString(), d[0].GetStringLength()};
}

const std::string kFffd = "\xEF\xBF\xBD";

TEST(SafeString, EscapesControlCharactersQuotesAndBackslashes) {
  std::string json;
  const std::string in =
      std::string("a\"b\\c\n\r\t\x01\x1f", 10) + std::string(1, '\0') + "\x7f" + "</script>";
  EXPECT_EQ(round_trip(in, kMaxSafeStringBytes, nullptr, &json), in);
  EXPECT_EQ(json, "[\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001F\\u0000\x7f</script>\"]");
  for (char c : json) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "raw control byte in JSON";
}

TEST(SafeString, KeepsValidUtf8) {
  const std::string in =
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF \xF4\x8F\xBF\xBF";  // é € 😀 U+FFFF U+10FFFF
  SafeStringStats st;
  EXPECT_EQ(round_trip(in, kMaxSafeStringBytes, &st), in);
  EXPECT_EQ(st.replaced, 0u);
  EXPECT_FALSE(st.truncated);
}

TEST(SafeString, ReplacesInvalidUtf8WithMaximalSubparts) {
  struct Case {
    std::string in, want;
    uint32_t replaced;
  };
  const std::vector<Case> cases{
      {"\x80", kFffd, 1},  // lone continuation
      {"a\xFF"
       "b",
       "a" + kFffd + "b", 1},                                  // never valid
      {"\xC0\xAF", kFffd + kFffd, 2},                          // overlong '/'
      {"\xE0\x80\xAF", kFffd + kFffd + kFffd, 3},              // overlong 3-byte
      {"\xED\xA0\x80", kFffd + kFffd + kFffd, 3},              // UTF-16 surrogate
      {"\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd, 4},  // > U+10FFFF
      {"\xF5\x80", kFffd + kFffd, 2},
      {"\xE2\x82"
       "A",
       kFffd + "A", 1},            // truncated sequence is one maximal subpart
      {"\xF0\x9F\x98", kFffd, 1},  // truncated at the end of input
      {"\xC3", kFffd, 1},
      {"ok\xE2\x82\xAC\xE2", "ok\xE2\x82\xAC" + kFffd, 1},
  };
  for (const auto& c : cases) {
    SafeStringStats st;
    EXPECT_EQ(round_trip(c.in, kMaxSafeStringBytes, &st), c.want);
    EXPECT_EQ(st.replaced, c.replaced);
  }
}

TEST(SafeString, TruncatesOnCharacterBoundaries) {
  SafeStringStats st;
  EXPECT_EQ(round_trip("abcdef", 4, &st), "abcd");
  EXPECT_TRUE(st.truncated);
  EXPECT_EQ(round_trip("ab\xE2\x82\xAC", 4, &st), "ab");  // € does not fit whole
  EXPECT_TRUE(st.truncated);
  EXPECT_EQ(round_trip("ab\xE2\x82\xAC", 5, &st), "ab\xE2\x82\xAC");
  EXPECT_FALSE(st.truncated);
  EXPECT_EQ(round_trip("a\xFF", 3, &st), "a");  // the replacement needs 3 bytes
  EXPECT_TRUE(st.truncated);
  const std::string big(5000, 'x');
  EXPECT_EQ(round_trip(big, 100000, &st).size(), kMaxSafeStringBytes);  // capped by the stack buffer
  EXPECT_TRUE(st.truncated);
  EXPECT_EQ(round_trip("", 0, &st), "");
  EXPECT_FALSE(st.truncated);
}

TEST(SafeString, RandomBytesAlwaysGiveValidJson) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 4 == 0 ? 0x80 + rng() % 0x80 : rng() % 256);
    const size_t max = 1 + rng() % 80;
    const std::string got = round_trip(s, max);
    ASSERT_NE(got, "<bad>");
    ASSERT_LE(got.size(), max);
  }
}

// The plain-ASCII fast path checks 16 bytes at a time while it copies (eight or four below 16), the tail
// block overlapping: one byte that needs a look, at every position of strings of every length up to 56
// (three blocks and a tail), must take the slow path and come out escaped (or repaired) exactly as the slow
// path alone writes it.
TEST(SafeString, OneByteNeedingALookAtEveryPositionAndLength) {
  struct Bad {
    char byte;
    std::string want;  // what the parsed string holds in its place
    std::string json;  // how the JSON text writes it
  };
  const std::vector<Bad> bads{
      {'"', "\"", "\\\""},         {'\\', "\\", "\\\\"},   {'\n', "\n", "\\n"},   {'\x01', "\x01", "\\u0001"},
      {'\x1f', "\x1f", "\\u001F"}, {'\x80', kFffd, kFffd}, {'\xff', kFffd, kFffd}};
  for (size_t n = 1; n <= 56; ++n) {
    for (size_t pos = 0; pos < n; ++pos) {
      for (const Bad& b : bads) {
        std::string in(n, 'a');
        for (size_t i = 0; i < n; ++i) in[i] = static_cast<char>('a' + i % 26);
        std::string want = in, json_want = in;
        in[pos] = b.byte;
        want.replace(pos, 1, b.want);
        json_want.replace(pos, 1, b.json);
        std::string json;
        ASSERT_EQ(round_trip(in, kMaxSafeStringBytes, nullptr, &json), want) << n << " " << pos;
        ASSERT_EQ(json, "[\"" + json_want + "\"]") << n << " " << pos;
      }
    }
    const std::string plain(n, 'x');  // and with none: written as it is
    std::string json;
    ASSERT_EQ(round_trip(plain, kMaxSafeStringBytes, nullptr, &json), plain);
    ASSERT_EQ(json, "[\"" + plain + "\"]");
  }
}

// UTF-8 sequences, valid and broken, that straddle the fast path's 16-byte blocks (and its eight- and
// four-byte words): valid ones are kept whole, broken ones become one U+FFFD per maximal subpart, and the
// plain text around them is unchanged. Also two bytes needing a look in different blocks.
TEST(SafeString, Utf8SplitAcrossBlocks) {
  struct Seq {
    std::string in, want;
  };
  const std::vector<Seq> seqs{{"\xC3\xA9", "\xC3\xA9"},
                              {"\xE2\x82\xAC", "\xE2\x82\xAC"},
                              {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
                              {"\xE2\x82", kFffd},                      // truncated, then plain text
                              {"\xF0\x9F\x98", kFffd},                  // truncated
                              {"\xED\xA0\x80", kFffd + kFffd + kFffd},  // surrogate
                              {"\xC0\xAF", kFffd + kFffd}};             // overlong
  for (size_t n = 4; n <= 52; ++n) {
    for (size_t pos = 0; pos < n; ++pos) {
      for (const Seq& q : seqs) {
        std::string plain(n, 'a');
        for (size_t i = 0; i < n; ++i) plain[i] = static_cast<char>('a' + i % 26);
        const std::string in = plain.substr(0, pos) + q.in + plain.substr(pos);
        const std::string want = plain.substr(0, pos) + q.want + plain.substr(pos);
        std::string json;
        ASSERT_EQ(round_trip(in, kMaxSafeStringBytes, nullptr, &json), want) << n << " " << pos;
        ASSERT_EQ(json, "[\"" + want + "\"]") << n << " " << pos;
      }
    }
  }
  for (size_t a = 0; a < 40; a += 3) {
    for (size_t b = a + 1; b < 40; b += 5) {
      std::string in(40, 'x'), want_json(in);
      in[a] = '"';
      in[b] = '\\';
      want_json.replace(b, 1, "\\\\");
      want_json.replace(a, 1, "\\\"");
      std::string json;
      ASSERT_EQ(round_trip(in, kMaxSafeStringBytes, nullptr, &json), in) << a << " " << b;
      ASSERT_EQ(json, "[\"" + want_json + "\"]") << a << " " << b;
    }
  }
}

// Many values in one writer, room reserved value by value as the record bound counts it: the room claimed
// (a chunk at a time) runs out between values, plain and repaired, the buffer moves, and nothing is lost or
// doubled across the boundaries.
TEST(SafeString, ManyValuesAcrossChunkBoundaries) {
  std::mt19937 rng(11);
  std::vector<std::string> in, want;
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 70, 'q');
    for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
    std::string w = s;
    if (!s.empty() && rng() % 3 == 0) {
      const size_t pos = rng() % s.size();
      s[pos] = '"';
      w[pos] = '"';
    }
    in.push_back(s);
    want.push_back(w);
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.Reserve(json_room::kOpen);
  w.StartArray();
  for (const auto& s : in) {
    w.Reserve(json_room::kOpen + json_room::string(1) + json_room::escaped(s.size()) + json_room::kClose);
    w.StartObject();
    w.Key("k", 1);
    write_safe_string(w, s);
    w.EndObject();
  }
  w.Reserve(json_room::kClose);
  w.EndArray();
  w.Finish();
  Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(buf.GetString(), buf.GetSize());
  ASSERT_FALSE(d.HasParseError()) << rapidjson::GetParseError_En(d.GetParseError());
  ASSERT_EQ(d.Size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) ASSERT_EQ(std::string(d[i]["k"].GetString()), want[i]) << i;
}

// What the writer renders once from the context (observer per port, ecs.version, nDPI's names, risks) is
// what the record shows, for hostile and long names too.
TEST(JsonFlowWriter, ContextTextRenderedOnce) {
  JsonFlowContext c;
  c.observer_hostname = "host\xff";
  c.ecs_version = "8.\"x\"";
  c.port_names = {"eth\"0", "", "port\xC3"};
  L7NameTable& n = c.l7_names;
  n.protocols = {"Unknown", "Mixed\"Case", std::string(40, 'A'), std::string(40, 'B'), "Bad\xff",
                 "TLS",     "Google"};
  n.categories = {"", "Caf\xC3\xA9"};
  c.risks[5] = {"", "Low", 10};  // an id without a name
  JsonFlowWriter w(std::move(c));
  FlowRecord r = tcp_record();
  r.l7.state = L7State::kDetected;
  r.l7.category_id = 1;
  r.l7.risks = uint64_t{1} << 5;

  const auto l7 = [&](uint16_t master, uint16_t app, uint16_t port) {
    r.l7.master_id = master;
    r.l7.app_id = app;
    r.port_id = port;
    return write_one(w, r);
  };
  const Written a = l7(2, 3, 0);  // long names: "master.app" cut at 63 bytes, as nDPI's name buffer
  EXPECT_EQ(str(a.doc, "spanwatch.l7.proto"), std::string(40, 'a') + "." + std::string(22, 'b'));
  EXPECT_EQ(str(a.doc, "spanwatch.l7.master"), std::string(40, 'a'));
  EXPECT_EQ(str(a.doc, "network.protocol"), std::string(40, 'a'));
  EXPECT_EQ(str(a.doc, "network.application"), std::string(40, 'b'));
  EXPECT_EQ(str(a.doc, "spanwatch.l7.category"), "Caf\xC3\xA9");
  EXPECT_EQ(str(a.doc, "observer.hostname"), "host" + kFffd);
  EXPECT_EQ(str(a.doc, "observer.ingress.interface.name"), "eth\"0");
  EXPECT_EQ(str(a.doc, "ecs.version"), "8.\"x\"");
  const Value* list = at(a.doc, "spanwatch.risk.list");
  ASSERT_TRUE(list && list->IsArray() && list->Size() == 1);
  EXPECT_EQ(std::string((*list)[0]["name"].GetString()), "risk_5");
  EXPECT_EQ(std::string((*list)[0]["severity"].GetString()), "Low");
  EXPECT_EQ((*list)[0]["score"].GetUint64(), 10u);

  const Written b = l7(1, 4, 1);  // quote and invalid byte: lowercased, repaired, escaped
  EXPECT_EQ(str(b.doc, "spanwatch.l7.proto"), "mixed\"case.bad" + kFffd);
  EXPECT_EQ(str(b.doc, "spanwatch.l7.app"), "bad" + kFffd);
  EXPECT_FALSE(has(b.doc, "observer.ingress"));  // port 1 has no name
  const Written t = l7(5, 6, 2);
  EXPECT_EQ(str(t.doc, "spanwatch.l7.proto"), "tls.google");
  EXPECT_EQ(str(t.doc, "observer.ingress.interface.name"), "port" + kFffd);
  const Written u = l7(0, 200, 9);  // an id nDPI does not know is named like id 0; port 9 has no name
  EXPECT_EQ(str(u.doc, "spanwatch.l7.proto"), "unknown");
  EXPECT_EQ(str(u.doc, "network.protocol"), "unknown");
  EXPECT_FALSE(has(u.doc, "spanwatch.l7.master"));
  EXPECT_FALSE(has(u.doc, "observer.ingress"));
  const Written s = l7(5, 5, 0);  // master == app: the name once
  EXPECT_EQ(str(s.doc, "spanwatch.l7.proto"), "tls");
  EXPECT_FALSE(has(s.doc, "network.application"));
}

// Comma-separated wire lists (SANs, offered ALPNs): empty items are skipped, items of any length around the
// eight-byte steps of the comma search, hostile items repaired.
TEST(JsonFlowWriter, CommaListsSplitOnEveryComma) {
  JsonFlowWriter w(full_context());
  FlowRecord r = tls_record();
  set_text(r.app.tls.san, ",a,,exactly8,0123456789abcdef,bad\xff\",\"q\",z,");
  set_text(r.app.tls.client_alpns, "h2");
  const Written out = write_one(w, r);
  EXPECT_EQ(strs(out.doc, "tls.server.x509.alternative_names"),
            Strings({"a", "exactly8", "0123456789abcdef", "bad" + kFffd + "\"", "\"q\"", "z"}));
  EXPECT_EQ(strs(out.doc, "spanwatch.tls.client_alpns"), Strings({"h2"}));
  for (size_t n = 0; n <= 20; ++n) {  // one comma at every position of lists up to 20 bytes
    for (size_t pos = 0; pos < n; ++pos) {
      std::string list(n, 'x');
      list[pos] = ',';
      set_text(r.app.tls.san, list);
      Strings want;
      if (pos > 0) want.push_back(list.substr(0, pos));
      if (pos + 1 < n) want.push_back(list.substr(pos + 1));
      ASSERT_EQ(strs(write_one(w, r).doc, "tls.server.x509.alternative_names"), want) << n << " " << pos;
    }
  }
}

// Comma lists that are plain ASCII are written in one pass (PlainList); with one byte needing a look
// anywhere, item by item through write_safe_string. Both give the same items.
TEST(JsonFlowWriter, CommaListsWithAByteNeedingALookAnywhere) {
  JsonFlowWriter w(full_context());
  FlowRecord r = tls_record();
  for (size_t n = 1; n <= 40; ++n) {
    for (size_t pos = 0; pos < n; ++pos) {
      for (const char bad : {'"', '\\', '\x01', '\xff', 'q'}) {  // 'q': plain
        std::string list(n, 'y');
        for (size_t i = 3; i < n; i += 7) list[i] = ',';
        list[pos] = bad;
        Strings want;
        size_t start = 0;
        while (start <= list.size()) {
          const size_t comma = std::min(list.find(',', start), list.size());
          std::string item = list.substr(start, comma - start);
          if (!item.empty()) {
            for (size_t i = 0; i < item.size(); ++i)
              if (item[i] == '\xff') item.replace(i, 1, kFffd);
            want.push_back(item);
          }
          start = comma + 1;
        }
        set_text(r.app.tls.san, list);
        ASSERT_EQ(strs(write_one(w, r).doc, "tls.server.x509.alternative_names"), want) << n << " " << pos;
      }
    }
  }
}

// The IPv4 text from the octet table is IpAddress::format's, for every octet value in every position.
TEST(JsonFlowWriter, Ipv4TextMatchesIpAddressFormat) {
  for (unsigned v = 0; v < 256; ++v) {
    for (unsigned pos = 0; pos < 4; ++pos) {
      uint8_t b[4] = {10, 200, 7, 99};
      b[pos] = static_cast<uint8_t>(v);
      const IpAddress a = IpAddress::from_v4(b);
      std::array<char, kIpTextMax> want, got;
      const size_t n = a.format(want.data(), want.size());
      ASSERT_EQ(std::string(got.data(), json_detail::format_ip(a, got)), std::string(want.data(), n));
    }
  }
  const IpAddress a6 = v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  std::array<char, kIpTextMax> got;
  EXPECT_EQ(std::string(got.data(), json_detail::format_ip(a6, got)), "2001:db8::1");
}

// Keys are copied as precomputed `"key":` text padded with zeros to kQuotedKeyRoom.
TEST(JsonFlowWriter, QuotedKeysArePrecomputed) {
  for (const JsonField& f : kAllJsonFields) {
    const std::string quoted = "\"" + std::string(f.key) + "\":";
    ASSERT_EQ(std::string(f.quoted_key.data(), f.quoted_key_len), quoted) << f.path;
    for (size_t i = f.quoted_key_len; i < f.quoted_key.size(); ++i)
      ASSERT_EQ(f.quoted_key[i], '\0') << f.path;
  }
}

// ---- ECS conformance --------------------------------------------------------------------------------------

// The reference CSV lives in shared/reference beside the checkout (or SPANWATCH_ECS_FIELDS_CSV points at it).
std::filesystem::path find_ecs_csv() {
  namespace fs = std::filesystem;
  if (const char* e = std::getenv("SPANWATCH_ECS_FIELDS_CSV"); e && fs::exists(e)) return e;
  std::vector<fs::path> starts;
  if (const char* root = std::getenv("SPANWATCH_SOURCE_ROOT")) starts.emplace_back(root);
  std::error_code ec;
  starts.push_back(fs::absolute(__FILE__, ec).parent_path());
  starts.push_back(fs::read_symlink("/proc/self/exe", ec).parent_path());
  starts.push_back(fs::current_path(ec));
  for (fs::path p : starts) {
    for (; !p.empty() && p != p.root_path(); p = p.parent_path()) {
      for (const char* rel : {"shared/reference/ecs-fields.csv", "reference/ecs-fields.csv"}) {
        if (fs::exists(p / rel, ec)) return p / rel;
      }
    }
  }
  return {};
}

// Field -> ECS type, from the CSV (quoted cells may contain commas, quotes and newlines).
std::map<std::string, std::string> load_ecs_types(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\n') {
      rows.emplace_back(1);
    } else if (c != '\r') {
      rows.back().back() += c;
    }
  }
  std::map<std::string, std::string> types;
  size_t field_col = 3, type_col = 4;
  for (size_t i = 0; i < rows[0].size(); ++i) {
    if (rows[0][i] == "Field") field_col = i;
    if (rows[0][i] == "Type") type_col = i;
  }
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() > std::max(field_col, type_col)) types[rows[r][field_col]] = rows[r][type_col];
  }
  return types;
}

bool ecs_compatible(const std::string& ecs_type, const Value& v) {
  static const std::set<std::string> kNumeric{"long",  "integer", "short",        "byte",
                                              "float", "double",  "scaled_float", "unsigned_long"};
  static const std::set<std::string> kText{"keyword", "wildcard", "match_only_text", "text",
                                           "date",    "ip",       "constant_keyword"};
  auto one = [&](const Value& x) {
    if (ecs_type == "boolean") return x.IsBool();
    if (kNumeric.count(ecs_type)) return x.IsNumber();
    if (kText.count(ecs_type)) return x.IsString();
    return true;
  };
  if (!v.IsArray()) return one(v);
  for (const auto& x : v.GetArray()) {
    if (!one(x)) return false;
  }
  return true;
}

bool json_type_matches(JsonType t, const Value& v) {
  switch (t) {
    case JsonType::kString:
      return v.IsString();
    case JsonType::kInteger:
      return v.IsUint64();
    case JsonType::kNumber:
      return v.IsNumber();
    case JsonType::kBool:
      return v.IsBool();
    case JsonType::kStringArray:
      if (!v.IsArray()) return false;
      for (const auto& x : v.GetArray()) {
        if (!x.IsString()) return false;
      }
      return true;
    case JsonType::kObject:
      return v.IsObject();
    case JsonType::kObjectArray:
      if (!v.IsArray()) return false;
      for (const auto& x : v.GetArray()) {
        if (!x.IsObject()) return false;
      }
      return true;
  }
  return false;
}

TEST(JsonFlowWriter, ApplicationFieldsUseEcsNames) {
  JsonFlowWriter w(full_context());
  const Written tls = write_one(w, tls_record());
  EXPECT_EQ(str(tls.doc, "network.protocol"), "tls");
  EXPECT_EQ(str(tls.doc, "network.application"), "google");
  EXPECT_EQ(str(tls.doc, "spanwatch.l7.proto"), "tls.google");
  EXPECT_EQ(str(tls.doc, "tls.client.server_name"), "www.google.com");
  EXPECT_EQ(str(tls.doc, "tls.client.ja3"), "e7d705a3286e19ea42f587b344ee6865");
  EXPECT_EQ(str(tls.doc, "tls.server.ja3s"), "eb1d94daa7e0344597e756a1fb6e7054");
  EXPECT_EQ(str(tls.doc, "tls.version"), "1.3");
  EXPECT_EQ(str(tls.doc, "tls.version_protocol"), "tls");
  EXPECT_EQ(str(tls.doc, "tls.cipher"), "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(str(tls.doc, "tls.next_protocol"), "h2");
  EXPECT_EQ(str(tls.doc, "tls.server.not_before"), "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(strs(tls.doc, "tls.server.x509.alternative_names"), Strings({"www.google.com", "google.com"}));
  EXPECT_EQ(strs(tls.doc, "spanwatch.tls.supported_versions"), Strings({"1.3", "1.2"}));
  EXPECT_EQ(str(tls.doc, "spanwatch.l7.info"), "www.google.com");
  EXPECT_EQ(num(tls.doc, "event.risk_score"), 100u);  // nDPI risk ids get their scores from the context
  const Written dns = write_one(w, dns_record());
  EXPECT_EQ(strs(dns.doc, "dns.header_flags"), Strings({"RD", "RA"}));
  EXPECT_EQ(strs(dns.doc, "dns.resolved_ip"), Strings({"192.0.2.7"}));
  EXPECT_EQ(str(dns.doc, "dns.id"), "4660");
  EXPECT_EQ(str(dns.doc, "dns.question.name"), "nosuch.example");
  EXPECT_EQ(str(dns.doc, "dns.question.type"), "AAAA");
  EXPECT_EQ(str(dns.doc, "dns.response_code"), "NXDOMAIN");
  EXPECT_EQ(str(dns.doc, "network.protocol"), "dns");
  const Written ssh = write_one(w, ssh_record());
  EXPECT_EQ(str(ssh.doc, "spanwatch.ssh.client.software"), "SSH-2.0-OpenSSH_9.2p1");
  EXPECT_EQ(str(ssh.doc, "spanwatch.ssh.server.hassh"), "b12d2871a1189eff20364cf5333619ee");
  const Written http = write_one(w, http_record());
  EXPECT_EQ(str(http.doc, "url.domain"), "probe.example.test");
  EXPECT_EQ(str(http.doc, "url.original"), "/index.html?q=1");
  EXPECT_EQ(num(http.doc, "http.response.status_code"), 200u);
  EXPECT_EQ(str(http.doc, "spanwatch.l7.info"), "probe.example.test/index.html?q=1");
  const Written dhcp = write_one(w, dhcp_record());
  EXPECT_EQ(str(dhcp.doc, "spanwatch.dhcp.message_type"), "REQUEST");
  EXPECT_EQ(str(dhcp.doc, "spanwatch.dhcp.client_mac"), "00-0B-82-01-FC-42");
  EXPECT_EQ(str(http.doc, "spanwatch.l7.state"), "guessed");
  FlowRecord unknown = tcp_record();
  unknown.l7.state = L7State::kUnknown;
  const Written u = write_one(w, unknown);
  EXPECT_EQ(str(u.doc, "spanwatch.l7.proto"), "unknown");
  EXPECT_EQ(at(u.doc, "network.protocol"), nullptr);
}

TEST(JsonFlowWriter, EnrichmentFields) {
  JsonFlowWriter w(full_context());
  const FlowEnrichment e = full_enrichment();
  const Written out = write_one(w, tcp_record(), &e);
  EXPECT_EQ(str(out.doc, "network.direction"), "outbound");
  EXPECT_EQ(str(out.doc, "source.geo.country_iso_code"), "DE");
  EXPECT_DOUBLE_EQ(out.doc["source"]["geo"]["location"]["lat"].GetDouble(), 52.52);
  EXPECT_EQ(out.doc["destination"]["as"]["number"].GetUint64(), 3320u);
  EXPECT_EQ(str(out.doc, "destination.as.organization.name"), "Deutsche Telekom AG");
  EXPECT_EQ(str(out.doc, "spanwatch.dst.service"), "https");
  EXPECT_EQ(str(out.doc, "spanwatch.src.mac_vendor"), "Intel Corporate");
  EXPECT_EQ(str(out.doc, "spanwatch.dst.mac_class"), "locally_administered");
  EXPECT_TRUE(out.doc["spanwatch"]["src"]["is_local"].GetBool());
  EXPECT_FALSE(out.doc["spanwatch"]["dst"]["is_local"].GetBool());
  EXPECT_EQ(out.doc["spanwatch"]["flow"]["throughput_bps"].GetUint64(), 24000u);
  EXPECT_EQ(out.doc["spanwatch"]["labels"][0], "long_lived");
  EXPECT_EQ(out.doc["spanwatch"]["rules"][0]["id"].GetUint64(), 9001u);
  EXPECT_EQ(str(out.doc, "spanwatch.src.hostname_source"), "inventory");
  // Without an enrichment none of it appears, but the IANA name and the flag labels do (no tables needed).
  const Written plain = write_one(w, tcp_record());
  EXPECT_FALSE(plain.doc.HasMember("source") && plain.doc["source"].HasMember("geo"));
  EXPECT_FALSE(plain.doc["network"].HasMember("direction"));
  EXPECT_EQ(str(plain.doc, "network.transport"), "tcp");
  ASSERT_TRUE(plain.doc["spanwatch"]["tcp"].HasMember("flags_labels"));
}

TEST(JsonFlowWriter, TransportIsTheIanaKeywordForEveryNumber) {
  JsonFlowWriter w(full_context());
  FlowRecord r = tcp_record();
  for (unsigned n : {1u, 47u, 50u, 58u, 132u, 89u, 253u}) {
    r.l4_proto = static_cast<uint8_t>(n);
    const Written out = write_one(w, r);
    const std::string want = n == 253 ? "253" : std::string(ip_protocol_keyword(uint8_t(n)));
    EXPECT_EQ(str(out.doc, "network.transport"), want) << n;
    EXPECT_EQ(str(out.doc, "network.iana_number"), std::to_string(n));
  }
  EXPECT_EQ(std::string(ip_protocol_keyword(58)), "ipv6-icmp");
}

TEST(JsonFlowWriter, HostileServerNameStaysValidJson) {
  FlowRecord r = tls_record();
  set_text(r.app.tls.sni, "<script>\x01\"\xff\xfe.example");
  JsonFlowWriter w(full_context());
  const Written out = write_one(w, r);  // parses, or the helper fails
  const std::string sni = str(out.doc, "tls.client.server_name");
  EXPECT_NE(sni.find("<script>"), std::string::npos);      // text, escaped by consumers that render HTML
  EXPECT_NE(sni.find("\xEF\xBF\xBD"), std::string::npos);  // invalid UTF-8 became U+FFFD
}

TEST(JsonFlowWriter, EveryKeyIsInTheFieldTable) {
  std::map<std::string, JsonType> table;
  for (const JsonField& f : kAllJsonFields) {
    EXPECT_TRUE(table.emplace(std::string(f.path), f.type).second) << "duplicate " << f.path;
    const size_t dot = f.path.rfind('.');
    EXPECT_EQ(f.key, dot == std::string_view::npos ? f.path : f.path.substr(dot + 1));
    if (dot != std::string_view::npos) {  // every parent is declared as an object
      const auto parent = table.find(std::string(f.path.substr(0, dot)));
      EXPECT_TRUE(parent != table.end() &&
                  (parent->second == JsonType::kObject || parent->second == JsonType::kObjectArray))
          << f.path;
    }
  }
  JsonFlowWriter w(full_context());
  std::set<std::string> seen;
  FlowEnrichment swapped = full_enrichment();  // each side gets the other's MAC vendor / class
  std::swap(swapped.ep[0], swapped.ep[1]);
  const FlowEnrichment enriched = full_enrichment();
  for (const FlowRecord& r : sample_records())
    for (const FlowEnrichment* e : std::array<const FlowEnrichment*, 2>{&enriched, &swapped}) {
      const Written out = write_one(w, r, e);
      std::map<std::string, const Value*> flat;
      flatten(out.doc, "", flat);
      for (const auto& [path, v] : flat) {
        seen.insert(path);
        const auto it = table.find(path);
        ASSERT_NE(it, table.end()) << path << " is emitted but not in field_names.hpp";
        EXPECT_TRUE(json_type_matches(it->second, *v)) << path;
      }
    }
  for (const auto& [path, type] : table) {
    if (type != JsonType::kObject) {
      EXPECT_TRUE(seen.count(path)) << path << " is never emitted by the samples";
    }
  }
}

TEST(JsonFlowWriter, NonSpanwatchKeysAreEcsFieldsOfACompatibleType) {
  const std::filesystem::path csv = find_ecs_csv();
  if (csv.empty()) GTEST_SKIP() << "ecs-fields.csv not found (set SPANWATCH_ECS_FIELDS_CSV)";
  const auto ecs = load_ecs_types(csv);
  ASSERT_GT(ecs.size(), 1000u) << csv;
  ASSERT_EQ(ecs.at("source.ip"), "ip");

  JsonFlowWriter w(full_context());
  const FlowEnrichment enriched = full_enrichment();
  for (const FlowRecord& r : sample_records()) {
    const Written out = write_one(w, r, &enriched);
    std::map<std::string, const Value*> flat;
    flatten(out.doc, "", flat);
    for (const auto& [path, v] : flat) {
      if (path.rfind("spanwatch.", 0) == 0) continue;
      const std::string parent = path.substr(0, path.rfind('.'));
      if (ecs.count(parent) && ecs.at(parent) == "geo_point") continue;  // {lat, lon}
      const auto it = ecs.find(path);
      ASSERT_NE(it, ecs.end()) << path << " is not an ECS field";
      EXPECT_TRUE(ecs_compatible(it->second, *v)) << path << " has ECS type " << it->second;
    }
  }
  // And the table: everything outside spanwatch.* is ECS (objects may be implicit in ECS).
  for (const JsonField& f : kAllJsonFields) {
    if (f.path.rfind("spanwatch", 0) == 0 || f.type == JsonType::kObject) continue;
    const std::string parent(f.path.substr(0, f.path.rfind('.')));
    if (ecs.count(parent) && ecs.at(parent) == "geo_point") continue;  // {lat, lon}
    EXPECT_TRUE(ecs.count(std::string(f.path))) << f.path;
  }
}

// ---- the record bound -------------------------------------------------------------------------------------
// JsonFlowWriter reserves record_bound() once per record and its calls then write without a bounds check:
// the bound must hold for every field at its worst. These records fill every string of the record, the
// context and the enrichment to its capacity with the text that grows most (control bytes: six bytes each
// escaped), invalid UTF-8, quotes, comma lists of one-byte items and random bytes, set every number to its
// widest and every optional part, for every application kind; nothing may land past the bound (a canary
// after it stays intact) and the line must still parse as valid JSON.

// A buffer whose first MiB past any text holds a canary, so that bytes touched past a limit show.
class GuardedBuffer {
 public:
  static constexpr size_t kRoom = size_t{1} << 20;
  static constexpr unsigned char kCanary = 0xA5;
  explicit GuardedBuffer(std::string_view prefix) {
    std::memset(buf_.Push(kRoom), kCanary, kRoom);  // capacity for the prefix, the record and its bound
    buf_.Clear();
    std::memcpy(buf_.Push(prefix.size()), prefix.data(), prefix.size());
  }
  rapidjson::StringBuffer& buf() { return buf_; }
  const char* data() const { return buf_.stack_.Bottom<char>(); }  // GetString() would write a NUL
  // The first byte from `from` to the end of the guarded room that is not the canary, or kRoom.
  size_t first_touched(size_t from) const {
    for (size_t i = from; i < kRoom; ++i)
      if (static_cast<unsigned char>(data()[i]) != kCanary) return i;
    return kRoom;
  }

 private:
  rapidjson::StringBuffer buf_;
};

TEST(JsonFlowWriter, RecordBoundHoldsForTheWorstOfEveryField) {
  std::mt19937 rng(5);
  size_t largest_bound = 0;
  for (unsigned k = 0; k < 6; ++k) {
    JsonFlowWriter w(worst_context(k, rng));
    const WorstEnrichment we(k, rng);
    for (unsigned kind = 0; kind <= unsigned(AppKind::kDhcp) + 1; ++kind) {  // and a kind out of range
      for (const FlowEnrichment* e : {static_cast<const FlowEnrichment*>(nullptr), &we.e}) {
        const FlowRecord r = worst_record(AppKind(kind), k, rng);
        const std::string prefix = "{\"earlier\":1},\n";  // a record after others, as in a burst
        GuardedBuffer g(prefix);
        const size_t bound = w.record_bound(r, e);
        largest_bound = std::max(largest_bound, bound);
        const size_t n = w.write(r, g.buf(), e);
        SCOPED_TRACE(testing::Message() << "pattern " << k << " kind " << kind << " enrichment "
                                        << (e != nullptr) << " bound " << bound << " written " << n);
        ASSERT_LE(n - 1, bound);  // the line, less its '\n' (written after the writer is done)
        // Nothing touched past the bound (the writer's fixed-size key moves included), nor past the '\n'.
        ASSERT_EQ(g.first_touched(prefix.size() + std::max(bound, n)), GuardedBuffer::kRoom);
        const std::string line(g.data() + prefix.size(), n - 1);
        Document d;
        d.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
        ASSERT_FALSE(d.HasParseError())
            << rapidjson::GetParseError_En(d.GetParseError()) << " at " << d.GetErrorOffset() << ": "
            << line.substr(d.GetErrorOffset() > 80 ? d.GetErrorOffset() - 80 : 0, 120);
        ASSERT_TRUE(d.IsObject());
      }
    }
  }
  EXPECT_LT(largest_bound, GuardedBuffer::kRoom / 2);
}

// Ordinary records claim a modest room: their bound, with their text at its worst, stays under 32 KiB.
TEST(JsonFlowWriter, RecordBoundOfOrdinaryRecords) {
  JsonFlowWriter w(full_context());
  for (const FlowRecord& r : {tcp_record(), tls_record(), dns_record()}) {
    rapidjson::StringBuffer buf;
    const size_t n = w.write(r, buf);
    const size_t bound = w.record_bound(r, nullptr);
    EXPECT_LT(n, bound);
    EXPECT_LT(bound, size_t{32} << 10);
  }
}

}  // namespace
}  // namespace spanwatch::lib
