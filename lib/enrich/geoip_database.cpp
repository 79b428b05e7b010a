// GeoipDatabase: libmaxminddb (MMDB_MODE_MMAP) behind RAII; records read in place, never copied.
#include "lib/enrich/geoip_database.hpp"

#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

namespace spanwatch::lib {

namespace {

// Paths into a record (MMDB_aget_value wants null-terminated arrays of keys).
constexpr const char* kCountryIso[] = {"country", "iso_code", nullptr};
constexpr const char* kCountryName[] = {"country", "names", "en", nullptr};
constexpr const char* kRegisteredIso[] = {"registered_country", "iso_code", nullptr};
constexpr const char* kRegisteredName[] = {"registered_country", "names", "en", nullptr};
constexpr const char* kCityName[] = {"city", "names", "en", nullptr};
constexpr const char* kLatitude[] = {"location", "latitude", nullptr};
constexpr const char* kLongitude[] = {"location", "longitude", nullptr};
constexpr const char* kFlatCountry[] = {"country_code", nullptr};
constexpr const char* kFlatCity[] = {"city", nullptr};
constexpr const char* kFlatLatitude[] = {"latitude", nullptr};
constexpr const char* kFlatLongitude[] = {"longitude", nullptr};
constexpr const char* kAsNumber[] = {"autonomous_system_number", nullptr};
constexpr const char* kAsOrganization[] = {"autonomous_system_organization", nullptr};

struct V4Block {
  uint32_t network;
  uint8_t prefix_len;
};
// IANA IPv4 Special-Purpose Address Registry, the blocks that are not globally routed unicast.
constexpr V4Block kV4Special[] = {
    {0x00000000, 8},   // 0.0.0.0/8 "this network"
    {0x0A000000, 8},   // 10/8 private
    {0x64400000, 10},  // 100.64/10 CGNAT
    {0x7F000000, 8},   // 127/8 loopback
    {0xA9FE0000, 16},  // 169.254/16 link-local
    {0xAC100000, 12},  // 172.16/12 private
    {0xC0000000, 24},  // 192.0.0/24 IETF protocol assignments
    {0xC0000200, 24},  // 192.0.2/24 TEST-NET-1
    {0xC0A80000, 16},  // 192.168/16 private
    {0xC6120000, 15},  // 198.18/15 benchmarking
    {0xC6336400, 24},  // 198.51.100/24 TEST-NET-2
    {0xCB007100, 24},  // 203.0.113/24 TEST-NET-3
    {0xE0000000, 3},   // 224/4 multicast, 240/4 reserved, 255.255.255.255
};

bool is_special_v6(const uint8_t* b) noexcept {
  static constexpr uint8_t kZero[12] = {};
  if (std::memcmp(b, kZero, 12) == 0) return true;                                     // ::, ::1, ::a.b.c.d
  if (b[0] == 0x01 && b[1] == 0x00 && std::memcmp(b + 2, kZero, 6) == 0) return true;  // 100::/64
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true;       // 2001:db8::/32
  if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0) return true;  // 3fff::/20 documentation
  if ((b[0] & 0xfe) == 0xfc) return true;                               // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0x80) != 0) return true;  // fe80::/10 link-local, fec0::/10 site-local
  return b[0] == 0xff;                                  // ff00::/8 multicast
}

}  // namespace

bool is_special_purpose_address(const IpAddress& address) noexcept {
  if (!address.is_v4()) return is_special_v6(address.bytes.data());
  const uint8_t* p = address.v4();
  const uint32_t v4 = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
  for (const V4Block& block : kV4Special) {
    const uint32_t mask = ~uint32_t{0} << (32 - block.prefix_len);
    if ((v4 & mask) == block.network) return true;
  }
  return false;
}

struct GeoipDatabase::Handle {
  // How a database lays out a location record: GeoIP2/GeoLite2 nested maps, or DB-IP Lite flat keys.
  enum class Layout : uint8_t { kGeoIp2, kFlat };

  MMDB_s mmdb{};
  bool open = false;
  std::string path;
  // Lookups are const and may run on several threads; these two are the only state they change.
  mutable std::atomic<uint64_t> errors{0};
  mutable std::atomic<Layout> last_layout{Layout::kGeoIp2};  // try the layout that answered last first

  ~Handle() {
    if (open) MMDB_close(&mmdb);
  }

  bool find_entry(const IpAddress& address, MMDB_entry_s& entry) const noexcept {
    if (is_special_purpose_address(address)) return false;
    int error = MMDB_SUCCESS;
    MMDB_lookup_result_s result;
    if (address.is_v4()) {
      // AF_INET: libmaxminddb walks from the IPv4 subtree, which IPv6 databases hold at ::a.b.c.d.
      sockaddr_in sin{};
      sin.sin_family = AF_INET;
      std::memcpy(&sin.sin_addr, address.v4(), 4);
      result = MMDB_lookup_sockaddr(&mmdb, reinterpret_cast<const sockaddr*>(&sin), &error);
    } else {
      if (mmdb.metadata.ip_version == 4) return false;
      sockaddr_in6 sin6{};
      sin6.sin6_family = AF_INET6;
      std::memcpy(&sin6.sin6_addr, address.bytes.data(), 16);
      result = MMDB_lookup_sockaddr(&mmdb, reinterpret_cast<const sockaddr*>(&sin6), &error);
    }
    if (error != MMDB_SUCCESS) {
      errors.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (!result.found_entry) return false;
    entry = result.entry;
    return true;
  }

  // Absent keys and values of another type read as "no value"; only broken data counts as an error.
  bool get(MMDB_entry_s entry, const char* const* path, MMDB_entry_data_s& out) const noexcept {
    const int status = MMDB_aget_value(&entry, &out, path);
    if (status == MMDB_SUCCESS) return out.has_data;
    if (status != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) errors.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

  bool get_string(const MMDB_entry_s& entry, const char* const* path, std::string_view& out) const noexcept {
    MMDB_entry_data_s data;
    if (!get(entry, path, data) || data.type != MMDB_DATA_TYPE_UTF8_STRING) return false;
    out = std::string_view(data.utf8_string, data.data_size);
    return true;
  }

  bool get_double(const MMDB_entry_s& entry, const char* const* path, double& out) const noexcept {
    MMDB_entry_data_s data;
    if (!get(entry, path, data)) return false;
    if (data.type == MMDB_DATA_TYPE_DOUBLE) {
      out = data.double_value;
    } else if (data.type == MMDB_DATA_TYPE_FLOAT) {  // the flat layout stores float
      out = data.float_value;
    } else {
      return false;
    }
    return true;
  }

  bool get_uint32(const MMDB_entry_s& entry, const char* const* path, uint32_t& out) const noexcept {
    MMDB_entry_data_s data;
    if (!get(entry, path, data)) return false;
    switch (data.type) {
      case MMDB_DATA_TYPE_UINT16:
        out = data.uint16;
        return true;
      case MMDB_DATA_TYPE_UINT32:
        out = data.uint32;
        return true;
      case MMDB_DATA_TYPE_INT32:
        if (data.int32 < 0) return false;
        out = uint32_t(data.int32);
        return true;
      case MMDB_DATA_TYPE_UINT64:
        if (data.uint64 > std::numeric_limits<uint32_t>::max()) return false;
        out = uint32_t(data.uint64);
        return true;
      default:
        return false;
    }
  }

  bool read_geoip2(const MMDB_entry_s& entry, GeoLocation& loc) const noexcept {
    bool any = false;
    if (get_string(entry, kCountryIso, loc.country_iso_code)) {
      get_string(entry, kCountryName, loc.country_name);
      any = true;
    } else if (get_string(entry, kRegisteredIso, loc.country_iso_code)) {  // e.g. anycast, satellite
      get_string(entry, kRegisteredName, loc.country_name);
      any = true;
    }
    if (get_string(entry, kCityName, loc.city_name)) any = true;
    if (get_double(entry, kLatitude, loc.latitude) && get_double(entry, kLongitude, loc.longitude)) {
      loc.has_location = true;
      any = true;
    }
    return any;
  }

  bool read_flat(const MMDB_entry_s& entry, GeoLocation& loc) const noexcept {
    bool any = get_string(entry, kFlatCountry, loc.country_iso_code);
    if (get_string(entry, kFlatCity, loc.city_name)) any = true;
    if (get_double(entry, kFlatLatitude, loc.latitude) && get_double(entry, kFlatLongitude, loc.longitude)) {
      loc.has_location = true;
      any = true;
    }
    return any;
  }

  bool read_layout(Layout layout, const MMDB_entry_s& entry, GeoLocation& loc) const noexcept {
    loc = GeoLocation{};
    return layout == Layout::kGeoIp2 ? read_geoip2(entry, loc) : read_flat(entry, loc);
  }
};

GeoipDatabase::GeoipDatabase(const std::string& path) : handle_(std::make_unique<Handle>()) {
  handle_->path = path;
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &handle_->mmdb);
  if (status != MMDB_SUCCESS) {
    std::string reason = MMDB_strerror(status);
    if (status == MMDB_IO_ERROR || status == MMDB_FILE_OPEN_ERROR) {
      reason += std::string(" (") + std::strerror(errno) + ")";
    }
    throw std::runtime_error("GeoIP database " + path + ": " + reason);
  }
  handle_->open = true;
}

GeoipDatabase::GeoipDatabase(GeoipDatabase&&) noexcept = default;
GeoipDatabase& GeoipDatabase::operator=(GeoipDatabase&&) noexcept = default;
GeoipDatabase::~GeoipDatabase() = default;

std::optional<GeoLocation> GeoipDatabase::find_location(const IpAddress& address) const noexcept {
  MMDB_entry_s entry;
  if (!handle_ || !handle_->find_entry(address, entry)) return std::nullopt;
  using Layout = Handle::Layout;
  const Layout first = handle_->last_layout.load(std::memory_order_relaxed);
  const Layout second = first == Layout::kGeoIp2 ? Layout::kFlat : Layout::kGeoIp2;
  GeoLocation loc;
  if (handle_->read_layout(first, entry, loc)) return loc;
  if (!handle_->read_layout(second, entry, loc)) return std::nullopt;
  handle_->last_layout.store(second, std::memory_order_relaxed);
  return loc;
}

std::optional<AsInfo> GeoipDatabase::find_as(const IpAddress& address) const noexcept {
  MMDB_entry_s entry;
  if (!handle_ || !handle_->find_entry(address, entry)) return std::nullopt;
  AsInfo info;
  if (!handle_->get_uint32(entry, kAsNumber, info.number)) return std::nullopt;
  handle_->get_string(entry, kAsOrganization, info.organization);
  return info;
}

const std::string& GeoipDatabase::path() const noexcept {
  static const std::string kMovedFrom;
  return handle_ ? handle_->path : kMovedFrom;
}

std::string_view GeoipDatabase::database_type() const noexcept {
  if (!handle_ || handle_->mmdb.metadata.database_type == nullptr) return {};
  return handle_->mmdb.metadata.database_type;
}

uint16_t GeoipDatabase::ip_version() const noexcept {
  return handle_ ? handle_->mmdb.metadata.ip_version : 0;
}

uint64_t GeoipDatabase::build_epoch() const noexcept {
  return handle_ ? handle_->mmdb.metadata.build_epoch : 0;
}

uint64_t GeoipDatabase::lookup_errors() const noexcept {
  return handle_ ? handle_->errors.load(std::memory_order_relaxed) : 0;
}

}  // namespace spanwatch::lib
