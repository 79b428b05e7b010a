// The domain-suffix hash table of the compiled rules: which listed domains a host name equals or is a
// subdomain of, in one right-to-left pass over the name.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lib/enrich/rule_set.hpp"

namespace spanwatch::lib {

// Domains (lower case) -> rule set. Open addressing keyed by a hash of the domain read backwards, so that
// one right-to-left pass over a host name yields the hash of every suffix that starts at a label: a lookup
// costs O(name length) plus one probe per label.
class DomainSuffixTable {
 public:
  void build(const std::map<std::string, uint32_t>& domain_to_set) {
    entries_.clear();
    for (const auto& [domain, set] : domain_to_set) entries_.push_back({domain, set});
    size_t cap = 16;
    while (cap < entries_.size() * 2) cap *= 2;  // load <= 1/2 keeps probe chains short
    slots_.assign(entries_.empty() ? 0 : cap, Slot{});
    mask_ = static_cast<uint32_t>(cap - 1);
    for (uint32_t e = 0; e < entries_.size(); ++e) {
      const std::string& d = entries_[e].domain;
      uint32_t h = kFnvBasis;
      for (size_t i = d.size(); i-- > 0;) h = step(h, d[i]);
      uint32_t at = slot_of(h);
      while (slots_[at].entry != 0) at = (at + 1) & mask_;
      slots_[at] = {h, e + 1};
    }
  }

  size_t size() const noexcept { return entries_.size(); }

  // Calls fn(set) for every listed domain that `name` equals or is a subdomain of (case-insensitive).
  template <class Fn>
  void for_each_match(std::string_view name, Fn&& fn) const noexcept {
    if (slots_.empty()) return;
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    const size_t stop = name.size() > kMaxDomainNameLen ? name.size() - kMaxDomainNameLen : 0;
    uint32_t h = kFnvBasis;
    for (size_t i = name.size(); i-- > stop;) {
      h = step(h, ascii_lower(name[i]));
      if (i == 0 || name[i - 1] == '.') probe(h, name.substr(i), fn);
    }
  }

 private:
  static char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  static constexpr uint32_t kFnvBasis = 2166136261u;
  static constexpr uint32_t kFnvPrime = 16777619u;
  static uint32_t step(uint32_t h, char c) noexcept {
    return (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
  }
  uint32_t slot_of(uint32_t h) const noexcept { return (h ^ (h >> 15)) & mask_; }

  template <class Fn>
  void probe(uint32_t h, std::string_view suffix, Fn& fn) const noexcept {
    for (uint32_t at = slot_of(h); slots_[at].entry != 0; at = (at + 1) & mask_) {
      if (slots_[at].hash != h) continue;
      const Entry& e = entries_[slots_[at].entry - 1];
      if (e.domain.size() == suffix.size() &&
          std::equal(suffix.begin(), suffix.end(), e.domain.begin(),
                     [](char a, char b) { return ascii_lower(a) == b; })) {
        fn(e.set);
        return;  // domains are unique
      }
    }
  }

  struct Slot {
    uint32_t hash = 0;
    uint32_t entry = 0;  // index + 1; 0 = empty
  };
  struct Entry {
    std::string domain;
    uint32_t set;
  };
  std::vector<Slot> slots_;
  std::vector<Entry> entries_;
  uint32_t mask_ = 0;
};

}  // namespace spanwatch::lib
