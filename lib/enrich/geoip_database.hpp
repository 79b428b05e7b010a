// GeoipDatabase: one MaxMind DB file (GeoIP2/GeoLite2, DB-IP, or the flat ip-location-db layout) mapped
// read-only; lookups by IpAddress answer with string_views into the mapped file.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lib/core/ip_address.hpp"

namespace spanwatch::lib {

// From a City or Country database. Views point into the mapped file and live as long as the database.
struct GeoLocation {
  std::string_view country_iso_code;  // ISO 3166-1 alpha-2, e.g. "DE"
  std::string_view country_name;      // English; empty where the database has no names (flat layout)
  std::string_view city_name;         // English; empty in Country databases and for unlocated ranges
  double latitude = 0;
  double longitude = 0;
  bool has_location = false;  // latitude/longitude present
};

// From an ASN database.
struct AsInfo {
  uint32_t number = 0;
  std::string_view organization;
};

// Addresses no geolocation database can place (RFC 6890 special-purpose blocks: private, loopback,
// link-local, CGNAT, multicast, documentation, benchmarking, reserved). Lookups miss them without
// touching the database.
bool is_special_purpose_address(const IpAddress& address) noexcept;

class GeoipDatabase {
 public:
  // Opens `path` with MMDB_MODE_MMAP. Throws std::runtime_error naming the file and libmaxminddb's
  // reason when the file is missing, unreadable or not a valid MaxMind DB.
  explicit GeoipDatabase(const std::string& path);
  GeoipDatabase(GeoipDatabase&&) noexcept;
  GeoipDatabase& operator=(GeoipDatabase&&) noexcept;
  GeoipDatabase(const GeoipDatabase&) = delete;
  GeoipDatabase& operator=(const GeoipDatabase&) = delete;
  ~GeoipDatabase();

  // Reads both record layouts: GeoIP2 (country.iso_code, country.names.en, city.names.en,
  // location.latitude/longitude; registered_country when country is absent) and flat (country_code, city,
  // latitude, longitude). nullopt: not in the database, special-purpose address, IPv6 address in an
  // IPv4-only database, a record with none of those keys, or corrupt data (counted in lookup_errors()).
  std::optional<GeoLocation> find_location(const IpAddress& address) const noexcept;
  // autonomous_system_number / autonomous_system_organization (GeoLite2-ASN, DB-IP, ip-location-db).
  std::optional<AsInfo> find_as(const IpAddress& address) const noexcept;

  const std::string& path() const noexcept;
  std::string_view database_type() const noexcept;  // metadata, e.g. "GeoLite2-City", "city ipv4"
  uint16_t ip_version() const noexcept;             // 4 or 6 (an IPv6 tree also holds IPv4)
  uint64_t build_epoch() const noexcept;
  uint64_t lookup_errors() const noexcept;  // corrupt search tree or record data met so far

 private:
  struct Handle;  // MMDB_s on the heap: it stays put when the database object moves
  std::unique_ptr<Handle> handle_;
};

}  // namespace spanwatch::lib
