// What a flow costs in memory once it is classified (issue 3): replays captures (default: every
// corpus pcaps/ndpi/*.pcap) through one FlowShard with nDPI and our parsers, without DPDK, with timeouts
// so long that every flow stays alive, then counts what the live flows hold: their FlowEntry and
// FlowSide (while they have one), the flow table's slots at load factor 0.5, their share of
// the interned FlowContext and tunnel endpoints they refer to, and the pooled slots still in use (nDPI
// states of flows whose detection has not ended, parse states, AppMetadata and the certificate and client
// fingerprint blobs flows share, nDPI host names, TCP machines and their rare state, wide counters, payload
// prefixes). The process's RSS and heap growth per flow are printed as a cross-check (the heap includes
// nDPI's own allocations of flows still in detection, which the pool figures do not).
// Usage: flow_memory_bench [--prefixes] [PCAP...]
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "lib/flow/flow_table.hpp"
#include "workers/app_dissector.hpp"
#include "workers/bench_replay.hpp"
#include "workers/flow_shard.hpp"
#include "workers/ndpi_detector.hpp"
#include "workers/payload_prefix_capture.hpp"

namespace sw = spanwatch;

namespace {

struct CountingSink : sw::workers::RecordSink {
  uint64_t records = 0;
  void emit(const sw::lib::FlowRecord&) noexcept override { ++records; }
};

uint64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t heap_bytes() {
  return mallinfo2().uordblks;
}

}  // namespace

int main(int argc, char** argv) {
  bool prefixes = false;
  std::vector<std::string> pcaps;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--prefixes") == 0)
      prefixes = true;
    else
      pcaps.emplace_back(argv[i]);
  }
  pcaps = sw::workers::bench_captures(std::move(pcaps));
  if (pcaps.empty()) {
    std::fprintf(stderr, "no captures (give PCAP files or set SPANWATCH_CORPUS)\n");
    return 1;
  }

  sw::lib::FlowConfig cfg = sw::workers::keep_every_flow_config();
  cfg.capture_payload_prefix = prefixes;

  CountingSink sink;
  sw::workers::NdpiDetector dpi(cfg.max_dpi_flows_per_worker, cfg.max_flows_per_worker);
  sw::workers::AppDissector apps(cfg.max_parsing_flows_per_worker, cfg.max_flows_per_worker);
  std::unique_ptr<sw::workers::PayloadPrefixCapture> pfx;
  if (prefixes) pfx = std::make_unique<sw::workers::PayloadPrefixCapture>(cfg.max_flows_per_worker);
  sw::workers::FlowShard shard(cfg, 0, sink, &dpi, &apps, pfx.get());

  const uint64_t rss0 = rss_bytes(), heap0 = heap_bytes();
  uint64_t packets = 0;
  for (size_t i = 0; i < pcaps.size(); ++i)
    packets += sw::workers::replay_capture(pcaps[i], shard, static_cast<uint16_t>(i));
  const uint64_t rss1 = rss_bytes(), heap1 = heap_bytes();

  const uint64_t flows = shard.active_flows();
  if (flows == 0) {
    std::fprintf(stderr, "no flows\n");
    return 1;
  }
  // The table at the load it is sized for: 2 slots of 4 bytes per entry (a table has bit_ceil(2 x
  // flows.max_flows_per_worker) slots: load 0.5 when full at a power-of-two capacity, as the default 2^18),
  // counted per live flow as the entries and pooled slots are (not the capacity a table sized for exactly
  // this bench's flows would round up to); its free list is threaded through the free entries.
  const double table = 2.0 * sw::lib::FlowTable<sw::workers::FlowEntry>::kSlotBytes;

  // Bytes per component, summed over all live flows and over classified ones (nDPI has answered and no
  // parser waits for bytes: what a flow keeps for the rest of its life). "before" models the same flows
  // with the previous layout: a 680-byte FlowEntry (nDPI names and host, tunnel endpoints and TCP state
  // inline) and the 1304-byte AppMetadata kept unpacked.
  enum Part {
    kEntry,
    kCold,
    kTable,
    kContext,
    kDpi,
    kParse,
    kMeta,
    kShared,
    kClient,
    kHost,
    kTunnel,
    kTcp,
    kWide,
    kPrefix,
    kParts
  };
  static constexpr const char* kNames[kParts] = {"FlowEntry",
                                                 "FlowSide (detection, rare data)",
                                                 "table slots (load 0.5)",
                                                 "FlowContext (interned, shared)",
                                                 "nDPI state (detection not ended)",
                                                 "parse state (parser waiting)",
                                                 "AppMetadata (packed when parsed)",
                                                 "TLS certificates (shared by flows)",
                                                 "TLS client fingerprints (shared)",
                                                 "nDPI host name (info line fallback)",
                                                 "tunnel endpoints (interned, shared)",
                                                 "TCP machine, rare state, activity",
                                                 "counters past 2^32, carrier, frags",
                                                 "payload prefixes"};
  constexpr double kOldEntry = 680, kOldMeta = sizeof(sw::lib::AppMetadata);
  struct Sum {
    uint64_t flows = 0;
    double now[kParts] = {}, before[kParts] = {};
  } all, classified;
  double meta_used = 0, meta_slots = 0;  // classified flows' packed metadata: bytes with data, slot bytes
  // Classified TCP flows, those of them with rare state, and those whose rare state is the small class.
  uint64_t tcp_flows = 0, tcp_rare = 0, tcp_rare_counts = 0;
  const auto prefix_bytes = double(sizeof(std::array<sw::lib::PayloadPrefix, 2>));
  shard.for_each_flow([&](const sw::workers::FlowEntry& e) {
    double now[kParts] = {}, before[kParts] = {};
    now[kEntry] = sizeof(sw::workers::FlowEntry);
    before[kEntry] = kOldEntry;
    const sw::workers::FlowSide* side = shard.side_if_any(e);
    constexpr uint32_t kNo = sw::workers::FlowSide::kNone;
    if (side) now[kCold] = sizeof(sw::workers::FlowSide);
    const uint32_t dpi_slot = side ? side->dpi_slot : kNo, app_state = side ? side->app_state : kNo;
    const uint32_t host_slot = side ? side->host_slot : kNo;
    const uint32_t wide_slot = side ? side->wide_slot : kNo, prefix_slot = side ? side->prefix_slot : kNo;
    now[kTable] = table;
    // Before: 8-byte slots and a free list of 4-byte indices beside the entries.
    before[kTable] = table * 8 / double(sw::lib::FlowTable<sw::workers::FlowEntry>::kSlotBytes) + 4;
    // The value and its buckets, shared by the flows that refer to it.
    if (e.in_tunnel)
      now[kContext] =
          double(shard.tunnel_contexts().bytes_per_value()) / double(shard.tunnel_contexts().refs(e.context));
    else if (e.context != 0)
      now[kContext] = double(shard.contexts().bytes_per_value()) / double(shard.contexts().refs(e.context));
    if (dpi_slot != sw::workers::NdpiDetector::kNoSlot)
      now[kDpi] = before[kDpi] = double(sw::workers::NdpiDetector::state_bytes());
    if (app_state != sw::workers::AppDissector::kNoSlot)
      now[kParse] = before[kParse] = sizeof(sw::workers::AppParseState);
    if (e.app_meta != sw::workers::AppDissector::kNoSlot) {
      now[kMeta] = sw::workers::PackedMetadataStore::is_packed(e.app_meta)
                       ? double(sw::workers::PackedMetadataStore::slot_bytes(e.app_meta))
                       : kOldMeta;
      before[kMeta] = kOldMeta;
    }
    if (host_slot != sw::workers::NdpiDetector::kNoSlot)
      now[kHost] = double(sw::workers::NdpiDetector::host_bytes(host_slot));
    // The value and its buckets, shared by the flows of its tunnel (id 0: all-zero endpoints, no bytes).
    if (const uint32_t t = e.in_tunnel ? shard.tunnel_contexts()[e.context].tunnel : 0; t != 0)
      now[kTunnel] = double(shard.tunnels().bytes_per_value()) / double(shard.tunnels().refs(t));
    const sw::lib::TcpStateMachine* tcp = shard.tcp_state_if_any(e);
    if (tcp)
      now[kTcp] = double(sizeof(sw::lib::TcpStateMachine) + tcp->rare_state_bytes() +
                         sizeof(uint64_t));  // the activity time's slot beside the machine (FlowShard)
    if (wide_slot != sw::workers::SlotPool<int>::kNoSlot) now[kWide] = sizeof(sw::workers::FlowWideCounters);
    if (prefix_slot != sw::workers::SlotPool<int>::kNoSlot) now[kPrefix] = before[kPrefix] = prefix_bytes;
    const bool done = e.l7_final() && dpi_slot == sw::workers::NdpiDetector::kNoSlot &&
                      app_state == sw::workers::AppDissector::kNoSlot;
    if (done && tcp) {
      ++tcp_flows;
      tcp_rare += tcp->has_rare_state();
      tcp_rare_counts += tcp->rare_state_bytes() == sizeof(sw::lib::TcpRareCounts);
    }
    if (done && sw::workers::PackedMetadataStore::is_packed(e.app_meta)) {
      meta_used += double(apps.packed().used_bytes(e.app_meta));
      meta_slots += double(sw::workers::PackedMetadataStore::slot_bytes(e.app_meta));
    }
    for (Sum* sum : {&all, done ? &classified : nullptr}) {
      if (sum == nullptr) continue;
      ++sum->flows;
      for (int p = 0; p < kParts; ++p) {
        sum->now[p] += now[p];
        sum->before[p] += before[p];
      }
    }
  });

  // The shared certificate and client fingerprint blobs are charged in full to the classified flows (an
  // upper bound: a flow whose nDPI detection still runs may refer to one too) and to all flows.
  classified.now[kShared] = all.now[kShared] = double(apps.packed().shared_bytes());
  classified.now[kClient] = all.now[kClient] = double(apps.packed().client_bytes());
  std::printf(
      "captures %zu, packets %llu, live flows %llu (classified %llu), records emitted before the end %llu\n",
      pcaps.size(), static_cast<unsigned long long>(packets), static_cast<unsigned long long>(flows),
      static_cast<unsigned long long>(classified.flows), static_cast<unsigned long long>(sink.records));
  std::printf("bytes per flow                        classified  classified    all flows   all flows\n");
  std::printf("                                           now      before         now      before\n");
  auto per = [](const Sum& s, double v) { return s.flows > 0 ? v / double(s.flows) : 0.0; };
  double tot[4] = {};
  for (int p = 0; p < kParts; ++p) {
    const double v[4] = {per(classified, classified.now[p]), per(classified, classified.before[p]),
                         per(all, all.now[p]), per(all, all.before[p])};
    for (int i = 0; i < 4; ++i) tot[i] += v[i];
    std::printf("%-36s %10.1f %11.1f %11.1f %11.1f\n", kNames[p], v[0], v[1], v[2], v[3]);
  }
  std::printf("%-36s %10.1f %11.1f %11.1f %11.1f\n", "total", tot[0], tot[1], tot[2], tot[3]);
  std::printf("AppMetadata slots in use: unpacked (%zu B) %u, packed", sizeof(sw::lib::AppMetadata),
              apps.metadata_in_use());
  for (size_t c = 0; c < sw::workers::PackedMetadataStore::kClasses; ++c)
    std::printf(" %zu B: %u%s", sw::workers::PackedMetadataStore::kSlotBytes[c], apps.packed().in_use(c),
                c + 1 < sw::workers::PackedMetadataStore::kClasses ? "," : "\n");
  std::printf(
      "shared TLS certificate blobs %u, client fingerprint blobs %u, interned flow contexts %u (%u more "
      "inside tunnels)\n",
      apps.packed().shared_blobs(), apps.packed().client_blobs(), shard.contexts().distinct(),
      shard.tunnel_contexts().distinct());
  std::printf(
      "classified TCP flows %llu, with rare TCP state (FIN, RST, retransmission, ...) %llu (%llu of them in "
      "%zu-byte slots: retransmission counts only)\n",
      static_cast<unsigned long long>(tcp_flows), static_cast<unsigned long long>(tcp_rare),
      static_cast<unsigned long long>(tcp_rare_counts), sizeof(sw::lib::TcpRareCounts));
  if (meta_slots > 0)
    std::printf("classified flows' packed AppMetadata: %.1f bytes of data per flow, %.0f%% of its slots\n",
                meta_used / double(classified.flows), 100.0 * meta_used / meta_slots);
  std::printf(
      "cross-check, all flows: RSS growth %.1f, heap growth (nDPI's own allocations) %.1f bytes/flow\n",
      double(rss1 - rss0) / double(flows), double(heap1 - heap0) / double(flows));
  shard.flush_all(sw::lib::EndReason::kShutdown);
  return 0;
}
