// Flow-table micro-benchmarks (issue 7): ns per lookup of an existing flow at 10K / 1M / 10M flows, keys
// inserted per second, and new flows per second through a whole FlowShard (SYNs of unique tuples: key,
// hash, insert, TCP state machine, timeout lists), with and without nDPI's first look at each flow.
// The table holds the real FlowEntry, so the entry's size and cache misses are the ones the worker sees.
// Lookups go in a random order over all flows (the worst case: nothing is cached), one at a time as the
// worker does, and in groups of 16 with their slots, then their entries prefetched first.
// Usage: flow_table_bench [FLOWS...]   (default 10000 1000000 10000000); prints a text line and a
// `json: {...}` line per size, medians of 5 runs.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "lib/decode/packet_decoder.hpp"
#include "lib/flow/flow_key.hpp"
#include "lib/flow/flow_table.hpp"
#include "workers/flow_entry.hpp"
#include "workers/flow_shard.hpp"
#include "workers/ndpi_detector.hpp"

namespace sw = spanwatch;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Distinct TCP keys: client 10.a.b.c:port -> server 172.16.x.y:443, numbered so none repeats.
std::vector<sw::lib::FlowKey> make_keys(size_t n) {
  std::vector<sw::lib::FlowKey> keys(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t src[4] = {10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
    const uint8_t dst[4] = {172, 16, uint8_t(i % 251), uint8_t(i % 241)};
    bool lo = false;
    keys[i] = sw::lib::make_flow_key(sw::lib::IpAddress::from_v4(src), sw::lib::IpAddress::from_v4(dst),
                                     {uint16_t(1024 + (i >> 24)), 443}, 6, lo);
  }
  return keys;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct TableFigures {
  double insert_per_s, lookup_ns, lookup_prefetch_ns;
};

TableFigures bench_table(const std::vector<sw::lib::FlowKey>& keys) {
  const size_t n = keys.size();
  // The keys to look up, in a random order but stored in sequence: a packet's key is in cache already, so
  // reading the next key must not add a miss of its own.
  const size_t lookups = std::max<size_t>(n, 4'000'000);
  std::vector<sw::lib::FlowKey> probe(lookups);
  uint64_t seed = 42;
  for (size_t i = 0; i < lookups; ++i) probe[i] = keys[splitmix(seed) % n];

  std::vector<double> ins, look, look_pf;
  for (int run = 0; run < 5; ++run) {
    sw::lib::FlowTable<sw::workers::FlowEntry> table(static_cast<uint32_t>(n));
    auto t0 = Clock::now();
    for (const auto& k : keys) table.insert(k, sw::lib::flow_hash(k));
    ins.push_back(double(n) / seconds_since(t0));

    uint64_t found = 0;
    t0 = Clock::now();
    for (size_t i = 0; i < lookups; ++i) {
      const auto& k = probe[i];
      found += table.find(k, sw::lib::flow_hash(k)) != sw::lib::kNilIndex;
    }
    look.push_back(seconds_since(t0) * 1e9 / double(lookups));

    // The worker's burst shape: hash a group of keys and prefetch their slots, then their entries, then
    // look them up.
    constexpr size_t kGroup = 16;
    t0 = Clock::now();
    for (size_t i = 0; i + kGroup <= lookups; i += kGroup) {
      uint64_t h[kGroup];
      for (size_t g = 0; g < kGroup; ++g) {
        h[g] = sw::lib::flow_hash(probe[i + g]);
        table.prefetch(h[g]);
      }
      for (size_t g = 0; g < kGroup; ++g) table.prefetch_entry(h[g]);
      for (size_t g = 0; g < kGroup; ++g)
        found += table.find(probe[i + g], h[g]) != sw::lib::kNilIndex;
    }
    look_pf.push_back(seconds_since(t0) * 1e9 / double(lookups / kGroup * kGroup));
    if (found != lookups + lookups / kGroup * kGroup) {
      std::fprintf(stderr, "flow_table_bench: %llu of the lookups missed\n",
                   static_cast<unsigned long long>(2 * lookups - found));
      std::exit(1);
    }
  }
  return {median(ins), median(look), median(look_pf)};
}

struct NullSink : sw::workers::RecordSink {
  void emit(const sw::lib::FlowRecord&) noexcept override {}
};

// A real Ethernet/IPv4/TCP SYN, decoded once; each new flow gets its own client address and port.
sw::lib::DecodedPacket syn_packet() {
  static const uint8_t frame[] = {
      0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,                    // Ethernet
      0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 172, 16, 0, 1,  // IPv4
      0x30, 0x39, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};  // TCP SYN
  sw::lib::DecodedPacket pkt;
  pkt.frame_len = sizeof frame;
  if (sw::lib::decode_packet(frame, sizeof frame, sw::lib::LinkType::kEthernet, pkt) !=
      sw::lib::PacketClass::kFlow) {
    std::fprintf(stderr, "flow_table_bench: the SYN template did not decode\n");
    std::exit(1);
  }
  return pkt;
}

double new_flows_per_s(size_t n, bool with_dpi) {
  std::vector<double> runs;
  const sw::lib::DecodedPacket syn = syn_packet();
  for (int run = 0; run < 5; ++run) {
    sw::lib::FlowConfig cfg;
    cfg.max_flows_per_worker = static_cast<uint32_t>(n);
    cfg.tcp_attempt_timeout_s = 1'000'000;  // nothing expires while the table fills
    NullSink sink;
    std::unique_ptr<sw::workers::NdpiDetector> dpi;
    if (with_dpi) dpi = std::make_unique<sw::workers::NdpiDetector>(static_cast<uint32_t>(n), 1024);
    sw::workers::FlowShard shard(cfg, 0, sink, dpi.get(), nullptr, nullptr);
    sw::lib::DecodedPacket pkt = syn;
    const auto t0 = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      const uint8_t src[4] = {10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
      pkt.inner.src = sw::lib::IpAddress::from_v4(src);
      pkt.inner.src_port = static_cast<uint16_t>(1024 + (i >> 24));
      shard.process(pkt, 1'000'000'000ull + i, 0, sw::workers::kLayerInner);
    }
    runs.push_back(double(n) / seconds_since(t0));
    if (shard.active_flows() != n) {
      std::fprintf(stderr, "flow_table_bench: %u flows in the shard, expected %zu\n", shard.active_flows(), n);
      std::exit(1);
    }
  }
  return median(runs);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoull(argv[i], nullptr, 10));
  if (sizes.empty()) sizes = {10'000, 1'000'000, 10'000'000};
  std::printf("flow entry %zu bytes, table slot 8 bytes at load factor <= 0.5\n", sizeof(sw::workers::FlowEntry));
  for (const size_t n : sizes) {
    if (n == 0 || n > (1u << 28)) {
      std::fprintf(stderr, "flow_table_bench: flows must be in 1..2^28\n");
      return 2;
    }
    const TableFigures t = bench_table(make_keys(n));
    const double shard = new_flows_per_s(n, false);
    const double shard_dpi = new_flows_per_s(std::min<size_t>(n, 1'000'000), true);
    std::printf(
        "%9zu flows: lookup %.1f ns (%.1f ns batched with prefetch), insert %.2f M keys/s, new flows %.2f M/s "
        "per core (%.2f M/s with nDPI's first look)\n",
        n, t.lookup_ns, t.lookup_prefetch_ns, t.insert_per_s / 1e6, shard / 1e6, shard_dpi / 1e6);
    std::printf(
        "json: {\"flows\": %zu, \"lookup_ns\": %.2f, \"lookup_prefetch_ns\": %.2f, \"insert_per_s\": %.0f, "
        "\"new_flows_per_s\": %.0f, \"new_flows_dpi_per_s\": %.0f}\n",
        n, t.lookup_ns, t.lookup_prefetch_ns, t.insert_per_s, shard, shard_dpi);
    std::fflush(stdout);
  }
  return 0;
}
