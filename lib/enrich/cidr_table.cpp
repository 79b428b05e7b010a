// CidrIndex: prefixes are flattened into disjoint ranges by one sweep over the prefixes sorted by start
// (wider first); prefixes never partially overlap, so the open ones form a stack of nested blocks.
#include "lib/enrich/cidr_table.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace spanwatch::lib {
namespace {

using U128 = CidrIndex::U128;

uint64_t load_be64(const uint8_t* p) noexcept {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
uint32_t v4_key(const IpAddress& ip) noexcept {
  const uint8_t* p = ip.v4();
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
U128 v6_key(const IpAddress& ip) noexcept {
  return {load_be64(ip.bytes.data()), load_be64(&ip.bytes[8])};
}

// Host-bit masks: the bits past a prefix of `len`.
uint32_t host_mask(uint32_t, unsigned len) noexcept {
  return len >= 32 ? 0 : UINT32_MAX >> len;
}
U128 host_mask(U128, unsigned len) noexcept {
  if (len == 0) return {UINT64_MAX, UINT64_MAX};
  if (len < 64) return {UINT64_MAX >> len, UINT64_MAX};
  if (len < 128) return {0, UINT64_MAX >> (len - 64)};
  return {0, 0};
}
uint32_t with_bits(uint32_t a, uint32_t m) noexcept {
  return a | m;
}
U128 with_bits(U128 a, U128 m) noexcept {
  return {a.hi | m.hi, a.lo | m.lo};
}
uint32_t without_bits(uint32_t a, uint32_t m) noexcept {
  return a & ~m;
}
U128 without_bits(U128 a, U128 m) noexcept {
  return {a.hi & ~m.hi, a.lo & ~m.lo};
}
uint32_t next(uint32_t a) noexcept {
  return a + 1;
}
U128 next(U128 a) noexcept {
  return a.lo == UINT64_MAX ? U128{a.hi + 1, 0} : U128{a.hi, a.lo + 1};
}
uint32_t prev(uint32_t a) noexcept {
  return a - 1;
}
U128 prev(U128 a) noexcept {
  return a.lo == 0 ? U128{a.hi - 1, UINT64_MAX} : U128{a.hi, a.lo - 1};
}
bool is_max(uint32_t a) noexcept {
  return a == UINT32_MAX;
}
bool is_max(U128 a) noexcept {
  return a.hi == UINT64_MAX && a.lo == UINT64_MAX;
}

// Comparisons for the search loop: 128-bit compare as one subtract-with-borrow keeps the loop branch-free
// (the member-wise operator<=> branches on the high half).
bool less_or_equal(uint32_t a, uint32_t b) noexcept {
  return a <= b;
}
bool less_or_equal(const U128& a, const U128& b) noexcept {
  __extension__ using u128 = unsigned __int128;
  return ((u128(a.hi) << 64) | a.lo) <= ((u128(b.hi) << 64) | b.lo);
}

template <class K>
struct Range {
  K lo, hi;
  uint32_t id;
};

// `entries` sorted by (lo, len) with no repeated (lo, len). Returns the disjoint ranges, ascending; each
// address gets the id of the longest (innermost) prefix that holds it.
template <class K, class Entry>
std::vector<Range<K>> flatten(const std::vector<Entry>& entries) {
  struct Open {
    K hi;
    uint32_t id;
  };
  std::vector<Range<K>> out;
  out.reserve(entries.size() * 2);
  std::vector<Open> stack;  // nested open prefixes, innermost last
  K cursor{};               // first address not yet given to a range
  bool past_end = false;    // cursor wrapped past the last address
  auto close_innermost = [&] {
    const Open top = stack.back();
    stack.pop_back();
    if (!past_end && cursor <= top.hi) out.push_back({cursor, top.hi, top.id});
    if (is_max(top.hi)) {
      past_end = true;
    } else {
      cursor = next(top.hi);
    }
  };
  for (const Entry& e : entries) {
    const K hi = with_bits(e.lo, host_mask(K{}, e.len));
    while (!stack.empty() && stack.back().hi < e.lo) close_innermost();
    if (!stack.empty() && cursor < e.lo) out.push_back({cursor, prev(e.lo), stack.back().id});
    stack.push_back({hi, e.id});
    cursor = e.lo;
  }
  while (!stack.empty()) close_innermost();
  return out;
}

// Sorts by (lo, len, id) and keeps the last insert of each (lo, len).
template <class Entry>
void sort_and_dedupe(std::vector<Entry>& entries) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.lo != b.lo) return a.lo < b.lo;
    if (a.len != b.len) return a.len < b.len;
    return a.id < b.id;
  });
  size_t w = 0;
  for (size_t r = 0; r < entries.size(); ++r) {
    const bool repeated_later =
        r + 1 < entries.size() && entries[r + 1].lo == entries[r].lo && entries[r + 1].len == entries[r].len;
    if (!repeated_later) entries[w++] = entries[r];
  }
  entries.resize(w);
}

// Index of the last of `n` sorted elements <= key, or SIZE_MAX; branch-free halving.
template <class K>
size_t last_not_above(const K* sorted, size_t n, const K& key) noexcept {
  const K* base = sorted;
  if (n == 0) return SIZE_MAX;
  while (n > 1) {
    const size_t half = n / 2;
    base = less_or_equal(base[half], key) ? base + half : base;
    n -= half;
  }
  return less_or_equal(*base, key) ? size_t(base - sorted) : SIZE_MAX;
}

// Two levels: the directory (every kRangeBlock-th start) is small enough to stay in cache, so a lookup
// misses the cache about once in the block instead of at every step of one long search.
constexpr size_t kRangeBlock = 16;

template <class K>
void fill_directory(const std::vector<K>& starts, std::vector<K>& directory) {
  directory.clear();
  for (size_t i = 0; i < starts.size(); i += kRangeBlock) directory.push_back(starts[i]);
  directory.shrink_to_fit();
}

template <class K>
size_t find_range(const std::vector<K>& directory, const std::vector<K>& starts, const K& key) noexcept {
  const size_t block = last_not_above(directory.data(), directory.size(), key);
  if (block == SIZE_MAX) return SIZE_MAX;
  const size_t first = block * kRangeBlock;
  const size_t n = std::min(kRangeBlock, starts.size() - first);
  return first + last_not_above(starts.data() + first, n, key);  // starts[first] <= key: always found
}

}  // namespace

void CidrIndex::insert(const IpAddress& network, uint8_t prefix_len, uint32_t id) {
  const bool v4 = network.is_v4();
  if (prefix_len > (v4 ? 32 : 128)) {
    char text[kIpTextMax];
    network.format(text, sizeof text);
    throw std::invalid_argument("CIDR prefix length " + std::to_string(prefix_len) + " is too long for " +
                                (v4 ? "IPv4" : "IPv6") + " network " + text);
  }
  if (v4) {
    entries4_.push_back({without_bits(v4_key(network), host_mask(uint32_t{}, prefix_len)), prefix_len, id});
  } else {
    entries6_.push_back({without_bits(v6_key(network), host_mask(U128{}, prefix_len)), prefix_len, id});
  }
}

std::vector<uint32_t> CidrIndex::build() {
  sort_and_dedupe(entries4_);
  sort_and_dedupe(entries6_);
  // Renumber the surviving ids densely, keeping their (insertion) order.
  std::vector<uint32_t> kept;
  kept.reserve(entries4_.size() + entries6_.size());
  for (const Entry4& e : entries4_) kept.push_back(e.id);
  for (const Entry6& e : entries6_) kept.push_back(e.id);
  std::sort(kept.begin(), kept.end());
  auto renumber = [&kept](uint32_t id) {
    return static_cast<uint32_t>(std::lower_bound(kept.begin(), kept.end(), id) - kept.begin());
  };
  for (Entry4& e : entries4_) e.id = renumber(e.id);
  for (Entry6& e : entries6_) e.id = renumber(e.id);

  const std::vector<Range<uint32_t>> r4 = flatten<uint32_t>(entries4_);
  const std::vector<Range<U128>> r6 = flatten<U128>(entries6_);
  v4_lo_.clear();
  v4_tail_.clear();
  v6_lo_.clear();
  v6_tail_.clear();
  v4_lo_.reserve(r4.size());
  v4_tail_.reserve(r4.size());
  v6_lo_.reserve(r6.size());
  v6_tail_.reserve(r6.size());
  for (const auto& r : r4) {
    v4_lo_.push_back(r.lo);
    v4_tail_.push_back({r.hi, r.id});
  }
  for (const auto& r : r6) {
    v6_lo_.push_back(r.lo);
    v6_tail_.push_back({r.hi, r.id});
  }
  fill_directory(v4_lo_, v4_dir_);
  fill_directory(v6_lo_, v6_dir_);
  return kept;
}

uint32_t CidrIndex::find(const IpAddress& ip) const noexcept {
  if (ip.is_v4()) {
    const uint32_t key = v4_key(ip);
    const size_t i = find_range(v4_dir_, v4_lo_, key);
    return i != SIZE_MAX && key <= v4_tail_[i].hi ? v4_tail_[i].id : kNoMatch;
  }
  const U128 key = v6_key(ip);
  const size_t i = find_range(v6_dir_, v6_lo_, key);
  return i != SIZE_MAX && key <= v6_tail_[i].hi ? v6_tail_[i].id : kNoMatch;
}

}  // namespace spanwatch::lib
