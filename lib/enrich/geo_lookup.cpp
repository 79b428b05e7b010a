// GeoLookup: direct-mapped cache keyed by the 16-byte address in front of the GeoIP databases.
#include "lib/enrich/geo_lookup.hpp"

#include <bit>
#include <cstring>
#include <utility>

namespace spanwatch::lib {

GeoLookup::GeoLookup(std::vector<GeoipDatabase> city, std::vector<GeoipDatabase> asn, size_t cache_entries)
    : city_(std::move(city)),
      asn_(std::move(asn)),
      slots_(cache_entries == 0 ? 0 : std::bit_ceil(cache_entries)) {}

GeoLookup GeoLookup::open(const std::vector<std::string>& city_paths,
                          const std::vector<std::string>& asn_paths, size_t cache_entries) {
  std::vector<GeoipDatabase> city, asn;
  for (const std::string& path : city_paths) city.emplace_back(path);
  for (const std::string& path : asn_paths) asn.emplace_back(path);
  return GeoLookup(std::move(city), std::move(asn), cache_entries);
}

size_t GeoLookup::slot_index(const IpAddress& address) const noexcept {
  uint64_t hi, lo;
  std::memcpy(&hi, address.bytes.data(), 8);
  std::memcpy(&lo, address.bytes.data() + 8, 8);
  // Multiply-xorshift: IPv4 addresses differ only in `lo`, neighbours must still spread over the slots.
  uint64_t h = hi * 0x9E3779B97F4A7C15ull ^ lo * 0xC2B2AE3D27D4EB4Full;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return size_t(h) & (slots_.size() - 1);
}

GeoAnswer GeoLookup::resolve(const IpAddress& address) const noexcept {
  GeoAnswer answer;
  for (const GeoipDatabase& db : city_) {
    if ((answer.location = db.find_location(address))) break;
  }
  for (const GeoipDatabase& db : asn_) {
    if ((answer.as = db.find_as(address))) break;
  }
  return answer;
}

GeoAnswer GeoLookup::lookup(const IpAddress& address) noexcept {
  // Internal addresses (half of a span port's traffic) always miss: they must not evict public ones.
  if (is_special_purpose_address(address)) return {};
  if (slots_.empty()) return resolve(address);
  Slot& slot = slots_[slot_index(address)];
  if (slot.used && slot.key == address) {
    ++stats_.hits;
    return slot.answer;
  }
  ++stats_.misses;
  if (slot.used) ++stats_.evictions;
  slot.key = address;
  slot.used = true;
  slot.answer = resolve(address);
  return slot.answer;
}

uint64_t GeoLookup::lookup_errors() const noexcept {
  uint64_t total = 0;
  for (const GeoipDatabase& db : city_) total += db.lookup_errors();
  for (const GeoipDatabase& db : asn_) total += db.lookup_errors();
  return total;
}

}  // namespace spanwatch::lib
