// FlowStore: latest record per flow, LRU by arrival, evictions by retention, count and bytes; and the
// packet-time throughput series.
#include "viewer/flow_store.hpp"

#include <algorithm>
#include <cmath>

#include "viewer/string_heap_bytes.hpp"

namespace spanwatch::viewer {
namespace {

constexpr int64_t kUsPerSec = 1'000'000;

int64_t floor_sec(int64_t us) noexcept {
  return us >= 0 ? us / kUsPerSec : -((-us + kUsPerSec - 1) / kUsPerSec);
}

}  // namespace

ThroughputSeries::ThroughputSeries(uint32_t seconds) : up_(std::max<uint32_t>(seconds, 1)), down_(up_.size()) {}

void ThroughputSeries::advance_to(int64_t sec) {
  const int64_t n = static_cast<int64_t>(up_.size());
  if (head_sec_ == INT64_MIN || sec - head_sec_ >= n) {
    std::fill(up_.begin(), up_.end(), 0.0);
    std::fill(down_.begin(), down_.end(), 0.0);
  } else {
    for (int64_t s = head_sec_ + 1; s <= sec; ++s) {
      const size_t i = static_cast<size_t>(((s % n) + n) % n);
      up_[i] = down_[i] = 0.0;
    }
  }
  head_sec_ = sec;
}

void ThroughputSeries::add(int64_t from_us, int64_t to_us, uint64_t bytes_up, uint64_t bytes_down) {
  if (bytes_up == 0 && bytes_down == 0) return;
  if (to_us < from_us) from_us = to_us;
  const int64_t last = floor_sec(to_us);
  if (head_sec_ == INT64_MIN || last > head_sec_) advance_to(last);
  const int64_t n = static_cast<int64_t>(up_.size());
  const int64_t oldest = head_sec_ - n + 1;
  // Spread the bytes over [from, to] in proportion to the time spent in each second.
  const double span_us = static_cast<double>(std::max<int64_t>(to_us - from_us, 1));
  const int64_t first = std::max(floor_sec(from_us), oldest);
  for (int64_t s = first; s <= std::min(last, head_sec_); ++s) {
    const int64_t lo = std::max(from_us, s * kUsPerSec), hi = std::min(to_us, (s + 1) * kUsPerSec);
    const double share = to_us == from_us ? 1.0 : static_cast<double>(std::max<int64_t>(hi - lo, 0)) / span_us;
    const size_t i = static_cast<size_t>(((s % n) + n) % n);
    up_[i] += share * static_cast<double>(bytes_up);
    down_[i] += share * static_cast<double>(bytes_down);
  }
}

std::vector<ThroughputSeries::Point> ThroughputSeries::points() const {
  std::vector<Point> out;
  if (head_sec_ == INT64_MIN) return out;
  const int64_t n = static_cast<int64_t>(up_.size());
  out.reserve(up_.size());
  for (int64_t s = head_sec_ - n + 1; s <= head_sec_; ++s) {
    const size_t i = static_cast<size_t>(((s % n) + n) % n);
    out.push_back({s, up_[i], down_[i]});
  }
  return out;
}

FlowStore::FlowStore(StoreLimits limits) : limits_(limits), series_(limits.series_seconds) {}

const FlowEntry* FlowStore::find(std::string_view key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &*it->second;
}

void FlowStore::charge(FlowEntry& e) {
  bytes_ -= e.accounted;
  e.accounted = sizeof(FlowEntry) + kEntryOverheadBytes + string_heap(e.key) + string_heap(e.raw) + e.s.heap_bytes();
  bytes_ += e.accounted;
}

void FlowStore::apply(FlowSummary&& s, std::string&& raw, uint64_t now_ms) {
  ++counters_.records;
  ++version_;
  std::string key = std::to_string(s.run) + ":" + s.id;
  packet_now_us_ = std::max(packet_now_us_, s.end_us);
  auto it = index_.find(key);
  if (it == index_.end()) {
    FlowEntry& e = lru_.emplace_back();
    e.key = std::move(key);
    e.first_seen_ms = now_ms;
    index_.emplace(e.key, std::prev(lru_.end()));
    ++counters_.flows_created;
    // First sight of the flow: its whole volume so far, spread over its life.
    series_.add(s.start_us, s.end_us, s.client.bytes, s.server.bytes);
    // Its rate so far: bytes over the time from its first packet to when the record was made.
    const double dur_s = static_cast<double>(std::max(s.record_us, s.end_us) - s.start_us) / 1e6;
    e.cur_bps = !s.final && dur_s > 0 ? static_cast<double>(s.bytes()) * 8 / dur_s : 0;
    if (!s.final) ++active_;
    e.s = std::move(s);
  } else {
    FlowEntry& e = *it->second;
    if (s.sequence < e.s.sequence && s.final == e.s.final) {  // an older state than the one kept
      ++counters_.stale_records;
      return;
    }
    const uint64_t up = s.client.bytes > e.s.client.bytes ? s.client.bytes - e.s.client.bytes : 0;
    const uint64_t down = s.server.bytes > e.s.server.bytes ? s.server.bytes - e.s.server.bytes : 0;
    series_.add(e.s.end_us, s.end_us, up, down);
    // The bytes since the previous record arrived between the two records' creation times (live snapshots
    // come every update interval): rate over that interval, or over the last packets' gap if longer.
    const int64_t dt_us = std::max(s.record_us - e.s.record_us, s.end_us - e.s.end_us);
    if (dt_us > 0) e.cur_bps = static_cast<double>(up + down) * 8 * 1e6 / static_cast<double>(dt_us);
    if (!e.s.final && s.final) --active_;
    if (e.s.final && !s.final) ++active_;
    e.s = std::move(s);
    lru_.splice(lru_.end(), lru_, it->second);  // most recently updated last
  }
  FlowEntry& e = lru_.back();
  e.raw = std::move(raw);
  e.received_ms = now_ms;
  ++e.records;
  charge(e);
  while (lru_.size() > 1 && lru_.size() > limits_.max_flows) evict_front(Why::kMaxFlows);
  while (lru_.size() > 1 && bytes_ > limits_.max_bytes) evict_front(Why::kMemory);
}

void FlowStore::evict_front(Why why) {
  FlowEntry& e = lru_.front();
  switch (why) {
    case Why::kRetention: ++counters_.evicted_retention; break;
    case Why::kMaxFlows: ++counters_.evicted_max_flows; break;
    case Why::kMemory: ++counters_.evicted_memory; break;
  }
  if (!e.s.final) --active_;
  bytes_ -= e.accounted;
  index_.erase(std::string_view(e.key));
  lru_.pop_front();
  ++version_;
}

size_t FlowStore::expire(uint64_t now_ms) {
  size_t n = 0;
  while (!lru_.empty() && lru_.front().received_ms + limits_.retention_ms < now_ms) {
    evict_front(Why::kRetention);
    ++n;
  }
  return n;
}

double FlowStore::current_bps(const FlowEntry& e) const noexcept {
  if (e.s.final || e.s.run != current_run_ || packet_now_us_ - e.s.end_us > limits_.stale_us) return 0;
  return e.cur_bps;
}

}  // namespace spanwatch::viewer
