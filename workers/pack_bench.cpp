// CPU time of PackedMetadataStore::put() (what AppDissector::park costs a flow) on real metadata: replays
// captures (default: every corpus pcaps/ndpi/*.pcap) through one FlowShard with our parsers, copies out
// every flow's AppMetadata, then packs them all into a store, round after round (emptied between rounds),
// and prints the median CPU nanoseconds per put(). Checks that get() gives every byte back and prints a
// checksum of the packed bytes (equal before and after a change that keeps the packed form).
//
// Usage: pack_bench [--rounds N] [PCAP...]
#include <time.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "workers/app_dissector.hpp"
#include "workers/bench_replay.hpp"
#include "workers/flow_shard.hpp"
#include "workers/ndpi_detector.hpp"

namespace sw = spanwatch;

namespace {

struct NullSink : sw::workers::RecordSink {
  void emit(const sw::lib::FlowRecord&) noexcept override {}
};

uint64_t cpu_ns() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return uint64_t(t.tv_sec) * 1'000'000'000ull + uint64_t(t.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 21;
  std::vector<std::string> pcaps;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = std::max(1, std::atoi(argv[++i]));
    else
      pcaps.emplace_back(argv[i]);
  }
  pcaps = sw::workers::bench_captures(std::move(pcaps));
  if (pcaps.empty()) {
    std::fprintf(stderr, "no captures (give PCAP files or set SPANWATCH_CORPUS)\n");
    return 1;
  }

  // Every flow stays (no timeout passes), so that each one's metadata can be copied out afterwards.
  const sw::lib::FlowConfig cfg = sw::workers::keep_every_flow_config();
  NullSink sink;
  sw::workers::NdpiDetector dpi(cfg.max_dpi_flows_per_worker, cfg.max_flows_per_worker);
  sw::workers::AppDissector apps(cfg.max_parsing_flows_per_worker, cfg.max_flows_per_worker);
  sw::workers::FlowShard shard(cfg, 0, sink, &dpi, &apps, nullptr);
  for (size_t i = 0; i < pcaps.size(); ++i)
    sw::workers::replay_capture(pcaps[i], shard, static_cast<uint16_t>(i));

  std::vector<sw::lib::AppMetadata> metas;
  shard.for_each_flow([&](const sw::workers::FlowEntry& e) {
    if (e.app_meta == sw::workers::AppDissector::kNoSlot) return;
    apps.copy_metadata(e, metas.emplace_back());
    if (metas.back().kind == sw::lib::AppKind::kNone) metas.pop_back();
  });
  if (metas.empty()) {
    std::fprintf(stderr, "no metadata\n");
    return 1;
  }

  const auto n = static_cast<uint32_t>(metas.size());
  std::vector<uint32_t> handles(n);
  std::vector<uint64_t> ns;
  uint64_t first_ns = 0;
  uint64_t unpacked = 0, mismatches = 0, blobs = 0;
  // FNV-1a of each flow's whole AppMetadata packed by pack_zero_runs: the packed form, which a change that
  // keeps it must leave as it is.
  uint64_t checksum = 0xcbf29ce484222325ull;
  for (const sw::lib::AppMetadata& m : metas) {
    std::array<uint8_t, 2 * sizeof m> packed;
    const size_t len = sw::workers::pack_zero_runs(reinterpret_cast<const uint8_t*>(&m), sizeof m,
                                                   packed.data(), packed.size());
    for (size_t k = 0; k < len; ++k) checksum = (checksum ^ packed[k]) * 0x100000001b3ull;
  }
  // One store, emptied after each round: the slots' pages are touched from the second round on, as in a
  // worker whose flows come and go. Round 0, which first touches the slots' pages, is timed apart.
  sw::workers::PackedMetadataStore store(n);
  for (int r = 0; r <= rounds; ++r) {
    const uint64_t t0 = cpu_ns();
    for (uint32_t i = 0; i < n; ++i) handles[i] = store.put(metas[i]);
    const uint64_t t = cpu_ns() - t0;
    if (r > 0) {
      ns.push_back(t);
    } else {
      first_ns = t;
      sw::lib::AppMetadata back;
      for (uint32_t i = 0; i < n; ++i) {
        if (handles[i] == sw::workers::PackedMetadataStore::kNoSlot) {
          ++unpacked;
          continue;
        }
        store.get(handles[i], back);
        mismatches += std::memcmp(&back, &metas[i], sizeof back) != 0;
      }
      blobs = store.shared_blobs();
    }
    for (uint32_t h : handles)
      if (h != sw::workers::PackedMetadataStore::kNoSlot) store.release(h);
  }
  std::sort(ns.begin(), ns.end());
  const double median = double(ns[ns.size() / 2]) / n, low = double(ns.front()) / n;
  std::printf(
      "%u flows with metadata, %d rounds: put() %.1f ns median (%.1f min) CPU per flow; %.1f ns in the "
      "first round (pages first touched)\n",
      n, rounds, median, low, double(first_ns) / n);
  std::printf("kept unpacked %llu, get() mismatches %llu, shared certificates %llu, packed bytes %016llx\n",
              (unsigned long long)unpacked, (unsigned long long)mismatches, (unsigned long long)blobs,
              (unsigned long long)checksum);
  return mismatches == 0 ? 0 : 1;
}
