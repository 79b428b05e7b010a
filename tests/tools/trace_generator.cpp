// trace_generator: deterministic benchmark traffic as pcap (issue 7). This comment is the reference for
// bench.sh: command line, behaviour, summary fields, speed and sizes.
//
//   trace_generator --out FILE.pcap --flows N [--packets P] [--seed S] [--template PCAP]...
//                   [--no-default-template] [--syn-flood K] [--elephants E] [--elephant-share 0.10]
//                   [--mix tls=40,quic=15,http=15,dns=20,ssh=10] [--zipf 1.0] [--pps R]
//                   [--handshake-packets H] [--min-data-packets D] [--nanosecond] [--summary FILE.json]
// Exit status 0; 2 for a bad command line or options that cannot work (a --mix class without template);
// 1 for I/O errors.
//
// - N flow slots (10K..10M) are open at once. Which data-phase flow sends the next packet is drawn by
//   Zipf rank (exponent --zipf, 0 = uniform; alias table). A flow replays a real handshake (template)
//   re-addressed, then 1..1023 IMIX data packets (log-uniform, mean ~150; D more with --min-data-packets,
//   for traces of long flows whose packets are nearly all past DPI and parsing), then FIN/FIN-ACK/ACK; its
//   slot then opens a new flow with a protocol drawn from --mix. DNS flows are their query and answer; QUIC
//   flows end without a close. Flows still open at the end stay open. Handshakes and closes go through a
//   round robin of 1024 flows served on every other packet, so a flow's handshake spans a few thousand
//   packets (ms of trace time) whatever its rank.
// - Ramp: the trace starts by opening the N slots in rank order, handshakes only (interleaved 1024 at a
//   time), so N flows are open after about N x 14 packets with the default templates (ramp_packets in the
//   summary: 142K for 10K flows, 14.9M for 1M). --handshake-packets 6 shortens every template (TLS:
//   SYN..ServerHello) for 10M-flow traces: ~70M packets of ramp. Use P well above the ramp.
// - P defaults to min(20 x N, 50,000,000). R (trace time) defaults to 1,000,000 packets/s, raised to
//   P / 50 s when P > 50 M, so a trace never spans more than 50 s: under spanwatch's 60 s UDP and TCP
//   handshake idle timeouts and its 300 s established timeout, so no flow is split by a timeout.
// - Templates: tests/captures/demo.pcap (TLS, SSH, HTTP, DNS) unless --no-default-template, plus every
//   --template (pcap or pcapng; Ethernet/VLAN, Linux cooked v1/v2, raw IP, PPP, BSD loopback; IPv4 and
//   IPv6, replayed as IPv4). Per flow: TCP from the SYN up to 12 packets (TLS up to 16, cut at a TLS
//   record boundary), resegmented to a 1500-byte MTU, never a FIN/RST; DNS query to first answer; QUIC
//   the long-header (Initial/Handshake) packets. Classified by payload (ClientHello, "SSH-", HTTP method,
//   QUIC long header >= 1200 B) and port 53 for DNS; skipped packets and flows are counted by reason.
//   A class that --mix names without any template is an error; with the default mix it is dropped with a
//   warning. QUIC captures whose flows nDPI and spanwatch read: ../shared/corpus/pcaps/ndpi/quic-29.pcap,
//   quic-27.pcap, quic-mvfst-22.pcap, zeek/quic-curl-8.1.2-dev-http3-www-google-de.pcap,
//   zeek/quic-quic_win11_firefox_google.pcap (quicv2 ones are unknown to Debian's nDPI; gQUIC ones are
//   QUIC to nDPI but not decryptable by spanwatch's parser).
// - Addresses: Zipf flows from 10.0.0.0/8 (unique address+port per flow) to 172.16.0.0/16 on the
//   template's server port; SYN flood from 100.64.0.0/10 (unique address+port per SYN, interleaved evenly,
//   never answered) to 192.0.2.10:443; elephants 198.18.0.x -> 198.19.0.x: a TLS handshake, then
//   1514-byte data frames server to client with one 60-byte client ACK per 16 packets, open to the end,
//   --elephant-share of all packets (default 10%).
// - Frames: Ethernet II + IPv4 (valid header checksum, DF). TCP and UDP checksums are valid too (payload
//   bytes come from a random pool with prefix sums: no per-byte work). TCP seq/ack are the template's
//   shifted to a per-flow ISN, then advance with every data byte, SYN and FIN; no duplicate ACKs. IMIX:
//   64, 594, 1518 bytes on the wire = 60, 590, 1514 in the pcap (no FCS), 7:4:1, for data packets; in TCP
//   the 60-byte class is a pure ACK of the last data, or a 6-byte segment when all is acknowledged. TLS data
//   goes as application_data records; QUIC data as short-header packets with the handshake's connection
//   ids. Frames under 60 bytes are zero-padded as a NIC delivers them.
// - Deterministic: the same arguments and template files give a byte-identical pcap on the same build
//   (xoshiro256** from --seed; timestamps from 2026-01-01T00:00:00Z at the fixed rate; microsecond pcap,
//   --nanosecond for nanosecond). One generating thread plus one writing thread, 2 x 8 MiB buffers.
// - Memory: 24 B per slot + 8 B alias entry + 4 B queue entry: 36 MB per million flows (RSS 57 MB at 1M,
//   ~400 MB at 10M); nothing grows with P.
// - Summary: one line on stdout; --summary writes JSON: packets, bytes (pcap frame bytes), wire_bytes
//   (+4 FCS per frame), mean_frame_bytes, file_bytes, concurrent_flows, slots_opened (= N once the ramp is
//   done), ramp_packets, flows (Zipf flows that sent a packet), flows_by_app {tls,quic,http,dns,ssh},
//   flows_ended, syn_flood, elephants, expected_records (flows + syn_flood + elephants: spanwatch writes
//   exactly one record for each), packets_by_kind {handshake,data,close,syn_flood,elephant},
//   imix_data_frames {60,590,1514,other}, pps, duration_s, seed, zipf, mix (the shares used), templates
//   {files, packets, flows_seen, flows_by_app, skipped {link_type, not_ip, truncated, fragment,
//   not_tcp_udp, no_handshake, unknown_app, incomplete, too_large}}, generation_s, generation_pps.
// - Measured (release build, the project's 2-core VM at load average ~8 from other work; 20M packets,
//   100K SYN flood, 4 elephants, the QUIC templates above; best of 3): generating alone (--out /dev/null)
//   14.2 Mpps at 10K flows, 12.3 at 100K, 12.6 at 1M, 6.6 at 10M (100M packets, --handshake-packets 6:
//   slots and alias table miss the cache). Into a file on tmpfs 3.4-4.8 Mpps, bound by the file system's
//   copy, which competes for the two cores: dd writes the same 9.3 GB there in 3.0 s (~7 Mpps at ~480 B
//   per packet is the ceiling on this machine).
// - File size: 16 B of record header + the mean frame: ~480 MB per million packets for the default mix
//   with 10% elephants (mean frame ~465 B), ~370 MB without elephants (~350 B); more while the ramp of
//   a large N dominates (TLS certificates: 513 B at 1M flows in 20M packets).
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "lib/cli/command_line.hpp"
#include "trace_engine.hpp"
#include "trace_templates.hpp"
#include "trace_writer.hpp"

#ifndef TRACE_DEFAULT_TEMPLATE
#define TRACE_DEFAULT_TEMPLATE "tests/captures/demo.pcap"
#endif

namespace spanwatch::tools {
namespace {

constexpr uint64_t kPacketsPerFlowDefault = 20;
constexpr uint64_t kDefaultPacketsCap = 50'000'000;
constexpr uint64_t kMaxTraceSeconds = 50;  // under the 60 s UDP / TCP handshake idle timeouts

// "tls=40,quic=15,..." -> shares; classes not named get 0.
std::array<double, kAppClasses> parse_mix(const std::string& text) {
  std::array<double, kAppClasses> mix{};
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    const size_t eq = item.find('=');
    size_t c = 0;
    while (c < kAppClasses && (eq == std::string::npos || item.substr(0, eq) != kAppClassNames[c])) ++c;
    if (c == kAppClasses)
      throw std::invalid_argument("--mix: '" + item +
                                  "': expected NAME=SHARE, NAME one of tls, quic, http, dns, ssh");
    try {
      size_t used = 0;
      mix[c] = std::stod(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1 || !std::isfinite(mix[c]) || mix[c] < 0)
        throw std::invalid_argument("share");
    } catch (const std::exception&) {
      throw std::invalid_argument("--mix: '" + item + "': the share must be a number >= 0");
    }
    pos = end + 1;
  }
  return mix;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') o += '\\';
    if (uint8_t(ch) >= 0x20) o += ch;
  }
  return o;
}

// A flat JSON object writer for the summary (values: numbers, escaped strings, or nested JSON text).
class Json {
 public:
  template <class T>
  Json& num(std::string_view key, T v) {
    if constexpr (std::is_floating_point_v<T>)
      return raw(key, fmt::format("{}", v));  // shortest round-trip form
    else
      return raw(key, std::to_string(v));
  }
  // fmt, not operator+: GCC 12 at -O3 warns a false -Wrestrict on "\"" + std::string (GCC PR 105651).
  Json& text(std::string_view key, const std::string& v) {
    return raw(key, fmt::format("\"{}\"", json_escape(v)));
  }
  Json& raw(std::string_view key, const std::string& json) {
    s_ += fmt::format("{}\"{}\": {}", s_.size() > 1 ? ", " : "", key, json);
    return *this;
  }
  std::string str() const { return s_ + "}"; }

 private:
  std::string s_ = "{";
};

std::string by_app_json(const std::array<uint64_t, kAppClasses>& v) {
  std::string s = "{";
  for (size_t c = 0; c < kAppClasses; ++c)
    s += fmt::format("{}\"{}\": {}", c ? ", " : "", kAppClassNames[c], v[c]);
  return s + "}";
}

int run(int argc, char** argv) {
  lib::cli::CommandLine cl{
      "trace_generator: deterministic benchmark traffic (TLS, QUIC, HTTP, DNS, SSH) as pcap"};
  std::string out_path, summary_path, mix_text = "tls=40,quic=15,http=15,dns=20,ssh=10";
  std::vector<std::string> templates;
  bool no_default = false, nanosecond = false;
  EngineOptions opt;
  uint64_t packets = 0, pps = 0;
  unsigned max_template_packets = 0;
  cl.add("--out", out_path, "pcap file to write").required();
  cl.add("--flows", opt.flows, "concurrent flows (10000, 100000, 1000000, 10000000, ...)")
      .required()
      .range(1u, 100'000'000u);
  cl.add("--packets", packets, "total packets (default min(20 x flows, 50M))");
  cl.add("--seed", opt.seed, "PRNG seed (default 1)");
  cl.add("--template", templates, "more template captures (pcap/pcapng)").existing_file();
  cl.add_flag("--no-default-template", no_default, "do not read " TRACE_DEFAULT_TEMPLATE);
  cl.add("--syn-flood", opt.syn_flood, "SYNs with unique 5-tuples, interleaved, unanswered");
  cl.add("--elephants", opt.elephants, "long TCP flows with full-size frames").range(0u, 60000u);
  cl.add("--elephant-share", opt.elephant_share, "share of all packets the elephants send").range(0.0, 0.9);
  cl.add("--mix", mix_text, "flow mix by protocol (default tls=40,quic=15,http=15,dns=20,ssh=10)");
  cl.add("--zipf", opt.zipf, "Zipf exponent of flow popularity (default 1.0; 0 = uniform)").range(0.0, 5.0);
  cl.add("--pps", pps, "trace-time packet rate (default 1M, or packets/50 s above 50M packets)").positive();
  cl.add("--handshake-packets", max_template_packets,
         "at most this many template packets per flow (default 12 TCP, 16 TLS, 4 DNS, 8 QUIC)")
      .range(2u, 64u);
  cl.add("--min-data-packets", opt.min_data_packets,
         "data packets added to every TCP/QUIC flow's drawn 1..1023 (default 0)")
      .range(0u, 100'000'000u);
  cl.add_flag("--nanosecond", nanosecond, "nanosecond pcap timestamps (default microsecond)");
  cl.add("--summary", summary_path, "write the summary as JSON to this file");
  if (const auto status = cl.parse_or_exit_status(argc, argv)) return *status;
  try {
    opt.mix = parse_mix(mix_text);
  } catch (const std::invalid_argument& e) {
    return cl.fail(e.what());
  }
  opt.packets = packets ? packets : std::min(kPacketsPerFlowDefault * opt.flows, kDefaultPacketsCap);
  opt.pps =
      pps ? pps : std::max<uint64_t>(1'000'000, (opt.packets + kMaxTraceSeconds - 1) / kMaxTraceSeconds);

  TemplateSet set;
  set.max_packets = max_template_packets;
  if (!no_default) templates.insert(templates.begin(), TRACE_DEFAULT_TEMPLATE);
  for (const std::string& t : templates) set.load(t);
  const TemplateStats& ts = set.stats;
  // A class without templates: an error when --mix named it, else (default mix) dropped with a warning.
  for (size_t c = 0; c < kAppClasses; ++c) {
    if (opt.mix[c] == 0 || !set.by_class[c].empty()) continue;
    if (cl.given("--mix"))
      throw std::invalid_argument(
          fmt::format("--mix asks for {0} but no template has a {0} handshake; add a "
                      "capture with --template or give {0} a zero share",
                      kAppClassNames[c]));
    fmt::print(stderr,
               "trace_generator: no {0} template (add one with --template); {0} dropped from the mix\n",
               kAppClassNames[c]);
    opt.mix[c] = 0;
  }

  const auto t0 = std::chrono::steady_clock::now();
  PcapWriter out(out_path, nanosecond);
  TraceEngine engine(opt, set);
  const EngineResult r = engine.run(out);
  out.close();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const double mean = r.packets ? double(r.bytes) / double(r.packets) : 0;
  const double duration = double(r.last_ts_ns - r.first_ts_ns) / 1e9;
  const uint64_t expected = r.flows_started + r.flood_packets + r.elephants_started;
  std::string mix_line;
  for (size_t c = 0; c < kAppClasses; ++c)
    mix_line += fmt::format(" {}={}", kAppClassNames[c], r.flows_by_app[c]);
  fmt::print(
      "{}: {} packets, {} flows ({} concurrent;{}), {} SYN flood, {} elephants, {} bytes, mean frame "
      "{:.1f} B, {:.3f} s of trace; generated in {:.2f} s ({:.2f} Mpps)\n",
      out_path, r.packets, r.flows_started, opt.flows, mix_line, r.flood_packets, r.elephants_started,
      r.bytes, mean, duration, secs, secs > 0 ? double(r.packets) / secs / 1e6 : 0.0);
  if (!summary_path.empty()) {
    double total = 0;
    for (double m : opt.mix) total += m;
    Json mix, tmpl_skipped, kinds, imix;
    for (size_t c = 0; c < kAppClasses; ++c) mix.num(kAppClassNames[c], opt.mix[c] / total);
    kinds.num("handshake", r.handshake_packets).num("data", r.data_packets).num("close", r.close_packets);
    kinds.num("syn_flood", r.flood_packets).num("elephant", r.elephant_packets);
    for (size_t i = 0; i < kImixFrameBytes.size(); ++i)
      imix.num(std::to_string(kImixFrameBytes[i]), r.imix_data[i]);
    imix.num("other", r.data_other_size);
    tmpl_skipped.num("link_type", ts.skipped_link).num("not_ip", ts.skipped_not_ip);
    tmpl_skipped.num("truncated", ts.skipped_truncated).num("fragment", ts.skipped_fragment);
    tmpl_skipped.num("not_tcp_udp", ts.skipped_l4).num("no_handshake", ts.flows_no_handshake);
    tmpl_skipped.num("unknown_app", ts.flows_unknown_app).num("incomplete", ts.flows_incomplete);
    tmpl_skipped.num("too_large", ts.flows_too_large);
    Json tmpl;
    tmpl.num("files", ts.files).num("packets", ts.packets).num("flows_seen", ts.flows_seen);
    tmpl.raw("flows_by_app", by_app_json(ts.kept)).raw("skipped", tmpl_skipped.str());
    Json j;
    j.text("file", out_path)
        .num("packets", r.packets)
        .num("bytes", r.bytes)
        .num("wire_bytes", r.bytes + 4 * r.packets);
    j.num("mean_frame_bytes", mean).num("file_bytes", out.file_bytes()).num("concurrent_flows", opt.flows);
    j.num("slots_opened", r.slots_opened).num("ramp_packets", r.ramp_packets).num("flows", r.flows_started);
    j.raw("flows_by_app", by_app_json(r.flows_by_app)).num("flows_ended", r.flows_ended);
    j.num("syn_flood", r.flood_packets)
        .num("elephants", r.elephants_started)
        .num("expected_records", expected);
    j.raw("packets_by_kind", kinds.str()).raw("imix_data_frames", imix.str()).num("pps", opt.pps);
    j.num("duration_s", duration).num("seed", opt.seed).num("zipf", opt.zipf).raw("mix", mix.str());
    j.raw("templates", tmpl.str())
        .num("generation_s", secs)
        .num("generation_pps", secs > 0 ? double(r.packets) / secs : 0);
    const std::string json = j.str() + "\n";
    std::FILE* f = std::fopen(summary_path.c_str(), "w");
    if (!f || std::fputs(json.c_str(), f) < 0 || std::fclose(f) != 0)
      throw std::runtime_error("cannot write " + summary_path);
  }
  return 0;
}

}  // namespace
}  // namespace spanwatch::tools

int main(int argc, char** argv) {
  try {
    return spanwatch::tools::run(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "trace_generator: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace_generator: %s\n", e.what());
    return 1;
  }
}
