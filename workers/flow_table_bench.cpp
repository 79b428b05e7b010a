// Flow-table micro-benchmarks (issue 7): ns per lookup of an existing flow at 10K / 1M / 10M flows, keys
// inserted per second, and new flows per second through a whole FlowShard (SYNs of unique tuples: key,
// hash, insert, TCP state machine, timeout lists), with and without nDPI's first look at each flow.
// The table holds the real FlowEntry, so the entry's size and cache misses are the ones the worker sees.
// Lookups go in a random order over all flows (the worst case: nothing is cached): one at a time, in the
// worker's staged bursts (of 16 and of 32, the worker's lookup group), and through FlowTable::find_bulk().
// Also: how often a staged lookup's tag match is another flow's entry (fetched for nothing), for present and
// absent keys, and ns per erase (backward shift) in a random order.
// Usage: flow_table_bench [--runs=N] [--lookups=N] [--table-only] [FLOWS...]   (default 10000 1000000
// 10000000, 5 runs, max(FLOWS, 4M) lookups); prints a text line and a `json: {...}` line per size, medians
// of the runs. --table-only skips the new-flows figures (for cachegrind).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
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

// Distinct TCP keys: client 10.a.b.c:port -> server 172.16.x.y:server_port, numbered so none repeats.
std::vector<sw::lib::FlowKey> make_keys(size_t n, uint16_t server_port = 443) {
  std::vector<sw::lib::FlowKey> keys(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t src[4] = {10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
    const uint8_t dst[4] = {172, 16, uint8_t(i % 251), uint8_t(i % 241)};
    bool lo = false;
    keys[i] = sw::lib::make_flow_key(sw::lib::IpAddress::from_v4(src), sw::lib::IpAddress::from_v4(dst),
                                     {uint16_t(1024 + (i >> 24)), server_port}, 6, lo);
  }
  return keys;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct TableFigures {
  double insert_per_s, lookup_ns, burst16_ns, burst32_ns, bulk_ns, erase_ns;
  double false_hit_pct, false_miss_pct;  // probe()'s first tag match is not the key's entry
};

using Table = sw::lib::FlowTable<sw::workers::FlowEntry>;

// One at a time: hash, then find() with its two dependent misses (slot, entry).
[[gnu::noinline]] uint64_t lookup_one_by_one(const Table& table, const std::vector<sw::lib::FlowKey>& probe) {
  uint64_t found = 0;
  for (const auto& k : probe) found += table.find(k, sw::lib::flow_hash(k)) != sw::lib::kNilIndex;
  return found;
}

// The worker's burst shape (worker_lcore.cpp poll_once): hash every key of the burst and prefetch its slot
// line, then probe the tags and prefetch the matching entry, then find() each with the lines in cache.
template <size_t kBurst>
[[gnu::noinline]] uint64_t lookup_bursts(const Table& table, const std::vector<sw::lib::FlowKey>& probe) {
  uint64_t found = 0;
  for (size_t i = 0; i + kBurst <= probe.size(); i += kBurst) {
    uint64_t h[kBurst];
    Table::Hint hint[kBurst];
    for (size_t g = 0; g < kBurst; ++g) {
      h[g] = sw::lib::flow_hash(probe[i + g]);
      table.prefetch(h[g]);
    }
    for (size_t g = 0; g < kBurst; ++g) {
      hint[g] = table.probe(h[g]);
      table.prefetch_entry(hint[g]);
    }
    for (size_t g = 0; g < kBurst; ++g)
      found += table.find(probe[i + g], h[g], hint[g]) != sw::lib::kNilIndex;
  }
  return found;
}

// FlowTable::find_bulk(): the same stages software pipelined across groups, 4096 keys per call.
[[gnu::noinline]] uint64_t lookup_bulk(const Table& table, const std::vector<sw::lib::FlowKey>& probe) {
  constexpr size_t kChunk = 4096;
  static uint32_t out[kChunk];
  uint64_t found = 0;
  for (size_t i = 0; i < probe.size(); i += kChunk) {
    const size_t m = std::min(kChunk, probe.size() - i);
    table.find_bulk(&probe[i], m, out);
    for (size_t j = 0; j < m; ++j) found += out[j] != sw::lib::kNilIndex;
  }
  return found;
}

TableFigures bench_table(const std::vector<sw::lib::FlowKey>& keys, size_t lookups, int runs) {
  const size_t n = keys.size();
  // The keys to look up, in a random order but stored in sequence: a packet's key is decoded from lines
  // already in cache, so reading the next key must not add a miss of its own (read in sequence, the
  // hardware prefetcher has it in time).
  std::vector<sw::lib::FlowKey> probe(lookups);
  uint64_t seed = 42;
  for (size_t i = 0; i < lookups; ++i) probe[i] = keys[splitmix(seed) % n];

  // Erases in a random order (entry i holds keys[i]: inserted in order into a fresh table).
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[splitmix(seed) % i]);
  // Absent keys (another server port) for the false tag matches of new flows, up to 1M of each kind.
  const std::vector<sw::lib::FlowKey> absent = make_keys(std::min<size_t>(n, 1'000'000), 80);
  double false_hit = 0, false_miss = 0;

  std::vector<double> ins, look, b16, b32, bulk, era;
  auto timed = [&](std::vector<double>& into, size_t expect, auto&& f) {
    const auto t0 = Clock::now();
    const uint64_t found = f();
    into.push_back(seconds_since(t0) * 1e9 / double(expect));
    if (found != expect) {
      std::fprintf(stderr, "flow_table_bench: %llu of %zu lookups missed\n",
                   static_cast<unsigned long long>(expect - found), expect);
      std::exit(1);
    }
  };
  for (int run = 0; run < runs; ++run) {
    Table table(static_cast<uint32_t>(n));
    const auto t0 = Clock::now();
    for (const auto& k : keys) table.insert(k, sw::lib::flow_hash(k));
    ins.push_back(double(n) / seconds_since(t0));
    timed(look, lookups, [&] { return lookup_one_by_one(table, probe); });
    timed(b16, lookups / 16 * 16, [&] { return lookup_bursts<16>(table, probe); });
    timed(b32, lookups / 32 * 32, [&] { return lookup_bursts<32>(table, probe); });
    timed(bulk, lookups, [&] { return lookup_bulk(table, probe); });
    if (run == 0) {
      // Present keys spread over the insertion order: the first inserted sit at the front of their runs.
      size_t bad_hit = 0, bad_miss = 0;
      for (size_t i = 0; i < absent.size(); ++i) {
        const sw::lib::FlowKey& k = keys[i * (n / absent.size())];
        const uint64_t h = sw::lib::flow_hash(k);
        bad_hit += table.probe(h).index != table.find(k, h);
        bad_miss += table.probe(sw::lib::flow_hash(absent[i])).index != sw::lib::kNilIndex;
      }
      false_hit = 100.0 * double(bad_hit) / double(absent.size());
      false_miss = 100.0 * double(bad_miss) / double(absent.size());
    }
    const auto t1 = Clock::now();
    for (const uint32_t i : order) table.erase(i, sw::lib::flow_hash(keys[i]));
    era.push_back(seconds_since(t1) * 1e9 / double(n));
    if (table.size() != 0) {
      std::fprintf(stderr, "flow_table_bench: %u flows left after erasing all\n", table.size());
      std::exit(1);
    }
  }
  return {median(ins),  median(look), median(b16), median(b32),
          median(bulk), median(era),  false_hit,   false_miss};
}

struct NullSink : sw::workers::RecordSink {
  void emit(const sw::lib::FlowRecord&) noexcept override {}
};

// A real Ethernet/IPv4/TCP SYN, decoded once; each new flow gets its own client address and port.
sw::lib::DecodedPacket syn_packet() {
  static const uint8_t frame[] = {
      0x02, 0,    0,    0,    0, 2, 0x02, 0, 0,  0, 0, 1, 0x08, 0x00,                              // Ethernet
      0x45, 0,    0,    40,   0, 1, 0x40, 0, 64, 6, 0, 0, 10,   0,    0,    1,    172, 16, 0, 1,   // IPv4
      0x30, 0x39, 0x01, 0xbb, 0, 0, 0,    1, 0,  0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0,   0,  0, 0};  // TCP SYN
  sw::lib::DecodedPacket pkt;
  pkt.frame_len = sizeof frame;
  if (sw::lib::decode_packet(frame, sizeof frame, sw::lib::LinkType::kEthernet, pkt) !=
      sw::lib::PacketClass::kFlow) {
    std::fprintf(stderr, "flow_table_bench: the SYN template did not decode\n");
    std::exit(1);
  }
  return pkt;
}

double new_flows_per_s(size_t n, bool with_dpi, int runs) {
  std::vector<double> per_s;
  const sw::lib::DecodedPacket syn = syn_packet();
  for (int run = 0; run < runs; ++run) {
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
    per_s.push_back(double(n) / seconds_since(t0));
    if (shard.active_flows() != n) {
      std::fprintf(stderr, "flow_table_bench: %u flows in the shard, expected %zu\n", shard.active_flows(),
                   n);
      std::exit(1);
    }
  }
  return median(per_s);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes;
  size_t lookups = 0;  // 0: max(flows, 4M)
  int runs = 5;
  bool table_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.starts_with("--lookups="))
      lookups = std::strtoull(argv[i] + 10, nullptr, 10);
    else if (a.starts_with("--runs="))
      runs = std::max(1, std::atoi(argv[i] + 7));
    else if (a == "--table-only")
      table_only = true;
    else
      sizes.push_back(std::strtoull(argv[i], nullptr, 10));
  }
  if (sizes.empty()) sizes = {10'000, 1'000'000, 10'000'000};
  std::printf("flow entry %zu bytes, table slot %zu bytes at load factor <= 0.5\n",
              sizeof(sw::workers::FlowEntry), Table::kSlotBytes);
  for (const size_t n : sizes) {
    if (n == 0 || n > sw::lib::kFlowTableMaxCapacity) {
      std::fprintf(stderr, "flow_table_bench: flows must be in 1..%u\n", sw::lib::kFlowTableMaxCapacity);
      return 2;
    }
    const TableFigures t =
        bench_table(make_keys(n), lookups ? lookups : std::max<size_t>(n, 4'000'000), runs);
    const double shard = table_only ? 0 : new_flows_per_s(n, false, runs);
    const double shard_dpi = table_only ? 0 : new_flows_per_s(std::min<size_t>(n, 1'000'000), true, runs);
    std::printf(
        "%9zu flows: lookup %.1f ns one at a time, %.1f ns in staged bursts of 16, %.1f ns of 32, %.1f ns "
        "pipelined bulk; insert %.2f M keys/s, new flows %.2f M/s per core (%.2f M/s with nDPI's first "
        "look); erase %.1f ns; a tag match is another flow's entry for %.3f %% of present keys, %.3f %% of "
        "absent ones\n",
        n, t.lookup_ns, t.burst16_ns, t.burst32_ns, t.bulk_ns, t.insert_per_s / 1e6, shard / 1e6,
        shard_dpi / 1e6, t.erase_ns, t.false_hit_pct, t.false_miss_pct);
    std::printf(
        "json: {\"flows\": %zu, \"lookup_ns\": %.2f, \"lookup_prefetch_ns\": %.2f, \"lookup_burst32_ns\": "
        "%.2f, "
        "\"lookup_bulk_ns\": %.2f, \"insert_per_s\": %.0f, \"new_flows_per_s\": %.0f, "
        "\"new_flows_dpi_per_s\": %.0f}\n",
        n, t.lookup_ns, t.burst16_ns, t.burst32_ns, t.bulk_ns, t.insert_per_s, shard, shard_dpi);
    std::fflush(stdout);
  }
  return 0;
}
