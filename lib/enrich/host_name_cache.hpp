// HostNameCache: names learned passively from the records the exporter sees - DHCP (a client names
// itself: option 12 for its address and MAC) and DNS answers (each resolved address -> the query name).
// Bounded, fixed memory: allocation-free after construction; the oldest entry of a full bucket goes.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "lib/core/ip_address.hpp"
#include "lib/core/zeroed_array.hpp"

namespace spanwatch::lib {

inline constexpr size_t kHostNameMax = 255;  // DHCP option 12 and a DNS name both fit
inline constexpr size_t kOsHintMax = 63;
inline constexpr size_t kHostNameCacheDefaultCapacity = 65536;
inline constexpr size_t kDhcpClientCacheDefaultCapacity = 16384;

using MacAddress = std::array<uint8_t, 6>;

enum class HostNameSource : uint8_t { kDhcp, kDns };
std::string_view host_name_source_name(HostNameSource s) noexcept;  // "dhcp", "dns"

// A name for one address. Bytes are copied as received (bounded); the JSON writer escapes them.
struct HostName {
  uint64_t last_seen_ns = 0;
  HostNameSource source = HostNameSource::kDns;
  bool truncated = false;  // the name was longer than kHostNameMax
  uint8_t name_len = 0, os_hint_len = 0;
  char name_buf[kHostNameMax] = {};
  char os_hint_buf[kOsHintMax] = {};
  std::string_view name() const noexcept { return {name_buf, name_len}; }
  std::string_view os_hint() const noexcept { return {os_hint_buf, os_hint_len}; }  // DHCP only
};

// What one MAC's DHCP messages said about the client.
struct DhcpClient {
  uint64_t last_seen_ns = 0;
  IpAddress ip;  // last requested/assigned address, if any
  bool has_ip = false;
  bool truncated = false;
  uint8_t hostname_len = 0, os_hint_len = 0;
  char hostname_buf[kHostNameMax] = {};
  char os_hint_buf[kOsHintMax] = {};
  std::string_view hostname() const noexcept { return {hostname_buf, hostname_len}; }
  std::string_view os_hint() const noexcept { return {os_hint_buf, os_hint_len}; }
};

struct HostNameCacheStats {
  uint64_t dhcp_learned = 0;     // learn_dhcp calls that stored a name for an address
  uint64_t dns_learned = 0;      // learn_dns calls that stored a name
  uint64_t dns_kept_dhcp = 0;    // DNS answers not stored: the address already had a DHCP name
  uint64_t ignored = 0;          // empty name, or an unspecified address (0.0.0.0, ::)
  uint64_t truncated = 0;        // names cut to kHostNameMax
  uint64_t evicted = 0;          // address entries replaced to make room
  uint64_t clients_learned = 0;  // DHCP clients (by MAC) stored or refreshed
  uint64_t clients_evicted = 0;
};

// Not thread-safe: one per exporter thread. A returned pointer is valid until the next learn_* call.
class HostNameCache {
 public:
  // Capacities are rounded up to a power of two (at least one bucket of kWays). `seed` keys the hash so
  // that a remote party cannot aim names at one bucket; 0 picks a random one.
  explicit HostNameCache(size_t capacity = kHostNameCacheDefaultCapacity,
                         size_t client_capacity = kDhcpClientCacheDefaultCapacity, uint64_t seed = 0);

  // A DHCP client's own name (option 12) and OS hint, for its requested/assigned address (skipped when
  // unspecified) and its MAC (nullptr: none). A name replaces any the address had; an empty name or hint
  // keeps the one known (an OS hint alone makes an entry with an empty name, which DNS may then fill).
  // Trailing NULs (some clients count the C terminator) are dropped.
  void learn_dhcp(const IpAddress& ip, const MacAddress* mac, std::string_view hostname,
                  std::string_view os_hint, uint64_t now_ns) noexcept;
  // A DNS answer: `ip` was resolved from `qname`. Ignored when the address has a DHCP name (the host
  // named itself; DNS names a service on it); otherwise the latest answer wins.
  void learn_dns(const IpAddress& ip, std::string_view qname, uint64_t now_ns) noexcept;

  const HostName* lookup(const IpAddress& ip) const noexcept;
  const DhcpClient* lookup_client(const MacAddress& mac) const noexcept;

  size_t capacity() const noexcept { return names_.size(); }
  size_t client_capacity() const noexcept { return clients_.size(); }
  size_t size() const noexcept { return used_; }  // addresses named now
  const HostNameCacheStats& stats() const noexcept { return stats_; }

  static constexpr size_t kWays = 4;  // slots per bucket

 private:
  struct AddrSlot {  // kept apart from the names so a probe reads one or two cache lines
    IpAddress ip;
    uint64_t last_seen_ns = 0;
    bool used = false;
  };
  struct MacSlot {
    uint64_t mac = 0;
    uint64_t last_seen_ns = 0;
    bool used = false;
  };

  size_t addr_bucket(const IpAddress& ip) const noexcept;
  size_t mac_bucket(uint64_t mac) const noexcept;
  // The slot holding `ip`, else a free or the oldest slot of its bucket (`found` says which).
  size_t claim_addr(const IpAddress& ip, bool& found) noexcept;
  // Marks `slot` as holding `ip` now; a slot taken over starts empty.
  HostName& touch_addr(size_t slot, bool found, const IpAddress& ip, uint64_t now_ns) noexcept;
  void set_name(HostName& h, std::string_view name, HostNameSource src) noexcept;

  uint64_t seed_;
  // Zero pages until used: a 65,536-name cache is 28 MB of address space, touched as names arrive.
  ZeroedArray<AddrSlot> addr_slots_;
  ZeroedArray<HostName> names_;
  ZeroedArray<MacSlot> mac_slots_;
  ZeroedArray<DhcpClient> clients_;
  size_t addr_mask_ = 0, mac_mask_ = 0;  // bucket count - 1
  size_t used_ = 0;
  HostNameCacheStats stats_;
};

}  // namespace spanwatch::lib
