// GeoLookup: the City/Country and ASN databases behind one fixed-size direct-mapped cache, so the exporter
// pays libmaxminddb's record decoding once per busy address, not once per flow record.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/core/ip_address.hpp"
#include "lib/core/zeroed_array.hpp"
#include "lib/enrich/geoip_database.hpp"

namespace spanwatch::lib {

struct GeoAnswer {
  std::optional<GeoLocation> location;
  std::optional<AsInfo> as;
};

class GeoLookup {
 public:
  static constexpr size_t kDefaultCacheEntries = 16384;

  struct CacheStats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t evictions = 0;  // misses that replaced another address
  };

  // Databases of each kind are asked in order and the first that holds the address answers (DB-IP Lite
  // comes as separate IPv4 and IPv6 files). Either list may be empty. `cache_entries` is rounded up to a
  // power of two; 0 turns the cache off. The cache is allocated here, lookups never allocate.
  GeoLookup(std::vector<GeoipDatabase> city, std::vector<GeoipDatabase> asn,
            size_t cache_entries = kDefaultCacheEntries);
  // Opens the files; throws std::runtime_error naming the first file that cannot be opened.
  static GeoLookup open(const std::vector<std::string>& city_paths, const std::vector<std::string>& asn_paths,
                        size_t cache_entries = kDefaultCacheEntries);

  // Not thread-safe (the cache): one GeoLookup per exporter thread. The views in the answer live as long
  // as this object.
  GeoAnswer lookup(const IpAddress& address) noexcept;

  const CacheStats& cache_stats() const noexcept { return stats_; }
  size_t cache_entries() const noexcept { return slots_.size(); }
  uint64_t lookup_errors() const noexcept;  // corrupt data met, summed over the databases
  const std::vector<GeoipDatabase>& city_databases() const noexcept { return city_; }
  const std::vector<GeoipDatabase>& asn_databases() const noexcept { return asn_; }

 private:
  struct Slot {
    IpAddress key;
    bool used = false;
    GeoAnswer answer;
  };

  GeoAnswer resolve(const IpAddress& address) const noexcept;
  size_t slot_index(const IpAddress& address) const noexcept;

  std::vector<GeoipDatabase> city_;
  std::vector<GeoipDatabase> asn_;
  ZeroedArray<Slot> slots_;  // zero pages until an address lands in them
  CacheStats stats_;
};

}  // namespace spanwatch::lib
