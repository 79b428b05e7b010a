// Test helper: flow records as the pipeline writes them (JSON text), with the fields a test varies.
#pragma once
#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "viewer/flow_summary.hpp"

namespace spanwatch::viewer::testing {

struct Rec {
  std::string id = "w0-000000000001";
  bool final = false;
  uint64_t sequence = 0;
  std::string reason = "live_update";
  std::string transport = "tcp";
  std::string src = "192.168.1.10", dst = "93.184.216.34";
  uint32_t sport = 50000, dport = 443;
  uint64_t src_bytes = 1000, dst_bytes = 9000, src_pkts = 10, dst_pkts = 12;
  std::string start = "2024-01-01T00:00:00.000000Z", end = "2024-01-01T00:00:10.000000Z";
  std::string conn_state = "S1", history = "ShAD", flags = "1b", flags_ts = "1b", flags_tc = "1b";
  std::string extra_network;    // appended inside "network" (e.g. ,"protocol":"tls")
  std::string extra_top;        // appended at the top level (e.g. ,"tls":{...})
  std::string extra_spanwatch;  // appended inside "spanwatch"
};

inline std::string record(const Rec& r) {
  const std::string iana = r.transport == "tcp" ? "6" : r.transport == "udp" ? "17" : "1";
  const std::string tcp =
      r.transport == "tcp"
          ? fmt::format(
                R"(,"tcp":{{"conn_state":"{}","history":"{}","flags":"{}","flags_ts":"{}","flags_tc":"{}"}})",
                r.conn_state, r.history, r.flags, r.flags_ts, r.flags_tc)
          : std::string();
  return fmt::format(
      R"({{"@timestamp":"{end}","event":{{"kind":"event","start":"{start}","end":"{end}","duration":10000000000,)"
      R"("reason":"{reason}"}},"network":{{"transport":"{tr}","iana_number":"{iana}","type":"ipv4",)"
      R"("bytes":{bytes},"packets":{pkts}{xnet}}},"source":{{"ip":"{src}","port":{sport},"mac":"00-11-22-33-44-55",)"
      R"("bytes":{sb},"packets":{sp}}},"destination":{{"ip":"{dst}","port":{dport},"bytes":{db},"packets":{dp}}})"
      R"({xtop},"spanwatch":{{"flow":{{"id":"{id}","final":{fin},"sequence":{seq}}},)"
      R"("src":{{"ip_bytes":{sb},"payload_bytes":{spl}}}{tcp}{xsw}}}}})",
      fmt::arg("end", r.end), fmt::arg("start", r.start), fmt::arg("reason", r.reason),
      fmt::arg("tr", r.transport), fmt::arg("iana", iana), fmt::arg("bytes", r.src_bytes + r.dst_bytes),
      fmt::arg("pkts", r.src_pkts + r.dst_pkts), fmt::arg("xnet", r.extra_network), fmt::arg("src", r.src),
      fmt::arg("sport", r.sport), fmt::arg("sb", r.src_bytes), fmt::arg("sp", r.src_pkts),
      fmt::arg("dst", r.dst), fmt::arg("dport", r.dport), fmt::arg("db", r.dst_bytes),
      fmt::arg("dp", r.dst_pkts), fmt::arg("xtop", r.extra_top), fmt::arg("id", r.id),
      fmt::arg("fin", r.final ? "true" : "false"), fmt::arg("seq", r.sequence),
      fmt::arg("spl", r.src_bytes > 100 ? r.src_bytes - 100 : 0), fmt::arg("tcp", tcp),
      fmt::arg("xsw", r.extra_spanwatch));
}

inline FlowSummary parse(const Rec& r, uint32_t run = 1) {
  RecordParser p;
  FlowSummary s;
  if (p.parse(record(r), s) != ParseStatus::kOk) throw std::runtime_error("test record does not parse");
  s.run = run;
  return s;
}

}  // namespace spanwatch::viewer::testing
