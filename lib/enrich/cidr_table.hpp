// CidrTable<V>: longest-prefix match of IPv4/IPv6 prefixes to values, frozen by build() into sorted
// disjoint address ranges so a lookup is one binary search, allocation-free.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "lib/core/ip_address.hpp"
#include "lib/enrich/cidr.hpp"

namespace spanwatch::lib {

// The value-independent core of CidrTable: prefixes -> dense value ids. IPv4 and IPv6 prefixes live in
// separate range lists, so an IPv6 prefix (even ::/0) never matches an IPv4 address.
class CidrIndex {
 public:
  static constexpr uint32_t kNoMatch = UINT32_MAX;

  // `prefix_len` counts within the family of `network` (0..32 IPv4, 0..128 IPv6); host bits are ignored.
  // Throws std::invalid_argument if the length is too long for the family.
  void insert(const IpAddress& network, uint8_t prefix_len, uint32_t id);
  // Freezes the prefixes inserted so far: the longest prefix wins, the last insert of a repeated prefix
  // wins. Returns the ids still referenced, ascending; they are renumbered to 0..n-1 in that order.
  std::vector<uint32_t> build();
  // Id of the longest prefix holding `ip` at the last build(), or kNoMatch.
  uint32_t find(const IpAddress& ip) const noexcept;

  size_t range_count() const noexcept { return v4_lo_.size() + v6_lo_.size(); }

  struct U128 {  // an IPv6 address as two big-endian halves, ordered numerically
    uint64_t hi = 0, lo = 0;
    friend auto operator<=>(const U128&, const U128&) = default;
  };

 private:
  struct Entry4 {
    uint32_t lo;
    uint8_t len;
    uint32_t id;
  };
  struct Entry6 {
    U128 lo;
    uint8_t len;
    uint32_t id;
  };
  struct Tail4 {  // the rest of a range, read once after the search over the starts
    uint32_t hi, id;
  };
  struct Tail6 {
    U128 hi;
    uint32_t id;
  };

  std::vector<Entry4> entries4_;  // kept so that more inserts can be built again
  std::vector<Entry6> entries6_;
  std::vector<uint32_t> v4_lo_;   // range starts, ascending (searched)
  std::vector<uint32_t> v4_dir_;  // every 16th start: the first search level
  std::vector<Tail4> v4_tail_;
  std::vector<U128> v6_lo_;
  std::vector<U128> v6_dir_;
  std::vector<Tail6> v6_tail_;
};

// Prefix -> V. Insert everything, call build(), then look up; lookups see the state of the last build().
// Returned pointers stay valid until the next insert()/build() or the table's destruction.
template <class V>
class CidrTable {
 public:
  // Throws std::invalid_argument if `prefix_len` is too long for the family of `network`.
  void insert(const IpAddress& network, uint8_t prefix_len, V value) {
    index_.insert(network, prefix_len, static_cast<uint32_t>(values_.size()));
    values_.push_back(std::move(value));
  }
  void insert(const Cidr& cidr, V value) { insert(cidr.network, cidr.prefix_len, std::move(value)); }

  void build() {
    const std::vector<uint32_t> kept = index_.build();
    if (kept.size() == values_.size()) return;  // no repeated prefix: ids unchanged
    std::vector<V> compact;
    compact.reserve(kept.size());
    for (uint32_t id : kept) compact.push_back(std::move(values_[id]));
    values_ = std::move(compact);
  }

  // The value of the longest prefix holding `ip`, or nullptr.
  const V* lookup(const IpAddress& ip) const noexcept {
    const uint32_t id = index_.find(ip);
    return id == CidrIndex::kNoMatch ? nullptr : &values_[id];
  }

  // Prefixes held (after build(), a repeated prefix counts once).
  size_t size() const noexcept { return values_.size(); }
  bool empty() const noexcept { return values_.empty(); }
  // Disjoint address ranges the prefixes flatten to (diagnostics, benchmarks).
  size_t range_count() const noexcept { return index_.range_count(); }

 private:
  CidrIndex index_;
  std::vector<V> values_;  // by id = insertion order
};

}  // namespace spanwatch::lib
