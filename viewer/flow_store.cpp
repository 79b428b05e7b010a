// FlowStore: latest record per flow, LRU by arrival, evictions by retention, count and bytes; and the
// packet-time throughput series.
#include "viewer/flow_store.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>

#include "viewer/string_heap_bytes.hpp"

namespace spanwatch::viewer {
namespace {

constexpr int64_t kUsPerSec = 1'000'000;

// Copies src into dst's buffer when it fits and is not far too big; otherwise into a buffer of src's size.
// (A plain assign that needs more room doubles the buffer: records a few bytes longer than a reused buffer
// would cost the budget a third of its flows.)
void assign_exact(std::string& dst, std::string_view src) {
  if (src.size() <= dst.capacity() && dst.capacity() <= 2 * src.size() + 64) {
    dst.assign(src);
  } else {
    std::string exact(src);
    dst.swap(exact);
  }
}

int64_t floor_sec(int64_t us) noexcept {
  return us >= 0 ? us / kUsPerSec : -((-us + kUsPerSec - 1) / kUsPerSec);
}

}  // namespace

ThroughputSeries::ThroughputSeries(uint32_t seconds)
    : up_(std::max<uint32_t>(seconds, 1)), down_(up_.size()) {}

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
    const double share =
        to_us == from_us ? 1.0 : static_cast<double>(std::max<int64_t>(hi - lo, 0)) / span_us;
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

FlowStore::FlowStore(StoreLimits limits) : limits_(limits), index_(1024), series_(limits.series_seconds) {}

uint64_t FlowStore::hash_of(std::string_view key) noexcept {
  return std::hash<std::string_view>{}(key) | (uint64_t{1} << 63);
}

size_t FlowStore::find_slot(std::string_view key, uint64_t h) const noexcept {
  const size_t mask = index_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& sl = index_[i];
    if (sl.hash == 0 || (sl.hash == h && sl.node->key == key)) return i;
  }
}

void FlowStore::index_grow() {
  std::vector<Slot> old(index_.size() * 2);
  old.swap(index_);
  const size_t mask = index_.size() - 1;
  for (const Slot& sl : old) {
    if (sl.hash == 0) continue;
    size_t i = sl.hash & mask;
    while (index_[i].hash != 0) i = (i + 1) & mask;
    index_[i] = sl;
  }
}

void FlowStore::index_erase(size_t i) noexcept {
  // Backward shift: move up every later entry of the probe run whose home slot does not lie between the hole
  // and itself, so lookups never meet a hole before their key.
  const size_t mask = index_.size() - 1;
  for (size_t j = (i + 1) & mask; index_[j].hash != 0; j = (j + 1) & mask) {
    const size_t home = index_[j].hash & mask;
    if (((j - home) & mask) >= ((j - i) & mask)) {
      index_[i] = index_[j];
      i = j;
    }
  }
  index_[i].hash = 0;
  --index_used_;
}

const FlowEntry* FlowStore::find(std::string_view key) const {
  const Slot& sl = index_[find_slot(key, hash_of(key))];
  return sl.hash == 0 ? nullptr : &*sl.node;
}

void FlowStore::charge(FlowEntry& e) {
  bytes_ -= e.accounted;
  e.accounted =
      sizeof(FlowEntry) + kEntryOverheadBytes + string_heap(e.key) + string_heap(e.raw) + e.s.heap_bytes();
  bytes_ += e.accounted;
}

void FlowStore::apply(FlowSummary&& s, std::string&& raw, uint64_t now_ms) {
  apply(s, raw, now_ms);
}

void FlowStore::apply(const FlowSummary& s, std::string_view raw, uint64_t now_ms) {
  ++counters_.records;
  ++version_;
  key_.clear();
  char run[16];
  key_.append(run, std::to_chars(run, run + sizeof run, s.run).ptr);
  key_.push_back(':');
  key_.append(s.id);
  const uint64_t h = hash_of(key_);
  packet_now_us_ = std::max(packet_now_us_, s.end_us);
  size_t slot = find_slot(key_, h);
  if (index_[slot].hash == 0) {
    if (!spare_.empty()) {
      lru_.splice(lru_.end(), spare_, spare_.begin());
    } else {
      lru_.emplace_back();
    }
    FlowEntry& e = lru_.back();
    assign_exact(e.key, key_);
    e.first_seen_ms = now_ms;
    e.records = 0;
    e.accounted = 0;
    if (2 * (index_used_ + 1) > index_.size()) {
      index_grow();
      slot = find_slot(key_, h);
    }
    index_[slot] = {h, std::prev(lru_.end())};
    ++index_used_;
    ++counters_.flows_created;
    // First sight of the flow: its whole volume so far, spread over its life.
    series_.add(s.start_us, s.end_us, s.client.bytes, s.server.bytes);
    // Its rate so far: bytes over the time from its first packet to when the record was made.
    const double dur_s = static_cast<double>(std::max(s.record_us, s.end_us) - s.start_us) / 1e6;
    e.cur_bps = !s.final && dur_s > 0 ? static_cast<double>(s.bytes()) * 8 / dur_s : 0;
    if (!s.final) ++active_;
    e.s = s;
  } else {
    const Node node = index_[slot].node;
    FlowEntry& e = *node;
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
    e.s = s;
    lru_.splice(lru_.end(), lru_, node);  // most recently updated last
  }
  FlowEntry& e = lru_.back();
  assign_exact(e.raw, raw);
  e.received_ms = now_ms;
  ++e.records;
  charge(e);
  while (lru_.size() > 1 && lru_.size() > limits_.max_flows) evict_front(Why::kMaxFlows);
  while (lru_.size() > 1 && bytes_ > limits_.max_bytes) evict_front(Why::kMemory);
}

void FlowStore::evict_front(Why why) {
  FlowEntry& e = lru_.front();
  switch (why) {
    case Why::kRetention:
      ++counters_.evicted_retention;
      break;
    case Why::kMaxFlows:
      ++counters_.evicted_max_flows;
      break;
    case Why::kMemory:
      ++counters_.evicted_memory;
      break;
  }
  if (!e.s.final) --active_;
  bytes_ -= e.accounted;
  index_erase(find_slot(e.key, hash_of(e.key)));
  if (spare_.size() < kSpareEntries) {
    spare_.splice(spare_.end(), lru_, lru_.begin());
  } else {
    lru_.pop_front();
  }
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
