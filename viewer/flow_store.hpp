// The viewer's memory of flows: the latest record of every flow it has seen (active and recently ended),
// keyed by (writer run, flow id), bounded by a flow count, a byte budget and a retention time, with the
// oldest-updated flow evicted first and every eviction counted. Also keeps the throughput time series.
// Not thread-safe: the reader thread writes under SharedFlowStore's unique lock, HTTP threads read shared.
#pragma once
#include <cstddef>
#include <cstdint>
#include <list>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "viewer/flow_summary.hpp"

namespace spanwatch::viewer {

struct StoreLimits {
  size_t max_flows = 100000;        // flows kept at most
  size_t max_bytes = 256u << 20;    // accounted bytes of all entries (records, summaries, index)
  uint64_t retention_ms = 3600000;  // a flow with no record for this long is dropped
  int64_t stale_us = 5000000;       // an active flow silent this long (packet time) has no current rate
  uint32_t series_seconds = 600;    // length of the throughput series, 1-second buckets of packet time
};

struct FlowEntry {
  std::string key;  // "<run>:<flow id>": unique across writer restarts
  std::string raw;  // the latest record, JSON text
  FlowSummary s;
  double cur_bps = 0;        // from the last two records (bits per second of packet time)
  uint64_t received_ms = 0;  // when the last record arrived (viewer clock)
  uint64_t first_seen_ms = 0;
  uint32_t records = 0;  // records received for this flow
  size_t accounted = 0;  // bytes charged to the budget
};

struct StoreCounters {
  uint64_t records = 0;  // records applied
  uint64_t flows_created = 0;
  uint64_t evicted_retention = 0;  // dropped after retention_ms without a record
  uint64_t evicted_max_flows = 0;  // dropped to stay within max_flows
  uint64_t evicted_memory = 0;     // dropped to stay within max_bytes
  uint64_t stale_records = 0;      // records older (lower sequence) than the one kept; ignored
};

// Bytes per second over packet time, split by direction, in a ring of 1-second buckets ending at the
// newest second seen. A record's byte delta is spread evenly over the seconds since the flow's last record.
class ThroughputSeries {
 public:
  explicit ThroughputSeries(uint32_t seconds);
  void add(int64_t from_us, int64_t to_us, uint64_t bytes_up, uint64_t bytes_down);
  int64_t newest_second() const noexcept { return head_sec_; }
  uint32_t seconds() const noexcept { return static_cast<uint32_t>(up_.size()); }
  // Oldest first: (unix second, bytes up, bytes down); empty before the first record.
  struct Point {
    int64_t sec;
    double up, down;
  };
  std::vector<Point> points() const;

 private:
  void advance_to(int64_t sec);
  std::vector<double> up_, down_;
  int64_t head_sec_ = INT64_MIN;
};

class FlowStore {
 public:
  explicit FlowStore(StoreLimits limits);

  // Applies one parsed record (the newest state of its flow) received at now_ms, then evicts to the bounds.
  void apply(FlowSummary&& s, std::string&& raw, uint64_t now_ms);
  // The same, copied into the entry's buffers (an updated flow's, or an evicted entry's that a new flow
  // reuses): in the steady state storing a record allocates nothing, and each entry's buffers stay the
  // size of its own records (the byte budget counts them).
  void apply(const FlowSummary& s, std::string_view raw, uint64_t now_ms);
  // Drops flows without a record for retention_ms. Returns how many.
  size_t expire(uint64_t now_ms);
  // A new writer run begins (ring generation changed): flows of older runs that are still active will
  // never get their final record; they keep no current rate.
  void begin_run(uint32_t run) noexcept {
    current_run_ = run;
    ++version_;
  }

  const FlowEntry* find(std::string_view key) const;
  template <class F>
  void for_each(F&& f) const {
    for (const FlowEntry& e : lru_) f(e);
  }
  size_t size() const noexcept { return lru_.size(); }
  size_t bytes() const noexcept { return bytes_; }
  size_t active() const noexcept { return active_; }
  uint64_t version() const noexcept { return version_; }
  int64_t packet_now_us() const noexcept { return packet_now_us_; }
  uint32_t current_run() const noexcept { return current_run_; }
  const StoreLimits& limits() const noexcept { return limits_; }
  const StoreCounters& counters() const noexcept { return counters_; }
  const ThroughputSeries& series() const noexcept { return series_; }

  // Current throughput (bits/s): 0 once the flow ended, went silent for stale_us, or its run is over.
  double current_bps(const FlowEntry& e) const noexcept;

  static constexpr size_t kEntryOverheadBytes = 160;  // list node, index slots, malloc headers
  static constexpr size_t kSpareEntries = 16;         // evicted entries kept for reuse (uncharged)

 private:
  using Node = std::list<FlowEntry>::iterator;
  // Open-addressing index (linear probing, backward-shift deletion): the key's hash with the top bit set
  // (0 = empty slot) and the entry. At most half full; grows with the flow count, which the budget bounds.
  struct Slot {
    uint64_t hash = 0;
    Node node;
  };
  enum class Why : uint8_t { kRetention, kMaxFlows, kMemory };
  static uint64_t hash_of(std::string_view key) noexcept;
  size_t find_slot(std::string_view key, uint64_t h) const noexcept;  // the key's slot, or an empty one
  void index_grow();
  void index_erase(size_t i) noexcept;
  void evict_front(Why why);
  void charge(FlowEntry& e);

  StoreLimits limits_;
  std::list<FlowEntry> lru_;    // least recently updated first
  std::list<FlowEntry> spare_;  // evicted entries whose nodes and buffers the next new flows reuse
  std::vector<Slot> index_;
  size_t index_used_ = 0;
  std::string key_;  // scratch "<run>:<id>" for lookups
  size_t bytes_ = 0;
  size_t active_ = 0;
  uint64_t version_ = 0;
  int64_t packet_now_us_ = 0;
  uint32_t current_run_ = 0;
  StoreCounters counters_;
  ThroughputSeries series_;
};

// The store with its lock (the reader thread writes, HTTP threads read).
struct SharedFlowStore {
  explicit SharedFlowStore(StoreLimits limits) : store(limits) {}
  mutable std::shared_mutex mu;
  FlowStore store;
};

}  // namespace spanwatch::viewer
