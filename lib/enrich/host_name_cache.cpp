// HostNameCache: two set-associative tables (address -> name, MAC -> DHCP client) with kWays slots per
// bucket and oldest-in-bucket replacement.
#include "lib/enrich/host_name_cache.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "lib/core/mix64.hpp"

namespace spanwatch::lib {
namespace {

size_t bucket_count_for(size_t capacity) noexcept {
  size_t buckets = 1;
  while (buckets * HostNameCache::kWays < capacity) buckets <<= 1;
  return buckets;
}

uint64_t mac_key(const MacAddress& mac) noexcept {
  uint64_t k = 0;
  for (uint8_t b : mac) k = (k << 8) | b;
  return k | (uint64_t{1} << 48);  // never 0
}

bool is_unspecified(const IpAddress& ip) noexcept {
  if (ip.is_v4()) return std::memcmp(ip.v4(), "\0\0\0\0", 4) == 0;
  return ip == IpAddress{};
}

// Copies at most `cap` bytes; returns the length stored.
uint8_t copy_bounded(char* dst, size_t cap, std::string_view s) noexcept {
  const size_t n = std::min(s.size(), cap);
  if (n > 0) std::memcpy(dst, s.data(), n);
  return static_cast<uint8_t>(n);
}

std::string_view without_trailing_nuls(std::string_view s) noexcept {
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view host_name_source_name(HostNameSource s) noexcept {
  return s == HostNameSource::kDhcp ? "dhcp" : "dns";
}

HostNameCache::HostNameCache(size_t capacity, size_t client_capacity, uint64_t seed) : seed_(seed) {
  if (seed_ == 0) {
    std::random_device rd;
    seed_ = (uint64_t{rd()} << 32) ^ rd() ^ 0x9e3779b97f4a7c15ULL;
  }
  const size_t addr_buckets = bucket_count_for(capacity);
  const size_t mac_buckets = bucket_count_for(client_capacity);
  addr_mask_ = addr_buckets - 1;
  mac_mask_ = mac_buckets - 1;
  addr_slots_ = ZeroedArray<AddrSlot>(addr_buckets * kWays);
  names_ = ZeroedArray<HostName>(addr_buckets * kWays);
  mac_slots_ = ZeroedArray<MacSlot>(mac_buckets * kWays);
  clients_ = ZeroedArray<DhcpClient>(mac_buckets * kWays);
}

size_t HostNameCache::addr_bucket(const IpAddress& ip) const noexcept {
  uint64_t hi, lo;
  std::memcpy(&hi, ip.bytes.data(), 8);
  std::memcpy(&lo, ip.bytes.data() + 8, 8);
  return size_t(mix64(mix64(hi ^ seed_) ^ lo)) & addr_mask_;
}

size_t HostNameCache::mac_bucket(uint64_t mac) const noexcept {
  return size_t(mix64(mac ^ seed_)) & mac_mask_;
}

size_t HostNameCache::claim_addr(const IpAddress& ip, bool& found) noexcept {
  const size_t first = addr_bucket(ip) * kWays;
  size_t victim = first;
  for (size_t i = first; i < first + kWays; ++i) {
    const AddrSlot& s = addr_slots_[i];
    if (s.used && s.ip == ip) {
      found = true;
      return i;
    }
    // Prefer a free slot, else the one seen longest ago.
    const AddrSlot& v = addr_slots_[victim];
    if (v.used && (!s.used || s.last_seen_ns < v.last_seen_ns)) victim = i;
  }
  found = false;
  return victim;
}

HostName& HostNameCache::touch_addr(size_t slot, bool found, const IpAddress& ip, uint64_t now_ns) noexcept {
  AddrSlot& s = addr_slots_[slot];
  HostName& h = names_[slot];
  if (!found) {
    if (s.used) {
      ++stats_.evicted;
    } else {
      ++used_;
    }
    // Reset the fields, not the 300-byte buffers: a learn writes one or two cache lines.
    h.source = HostNameSource::kDns;
    h.truncated = false;
    h.name_len = h.os_hint_len = 0;
  }
  s.ip = ip;
  s.used = true;
  s.last_seen_ns = now_ns;
  h.last_seen_ns = now_ns;
  return h;
}

void HostNameCache::set_name(HostName& h, std::string_view name, HostNameSource src) noexcept {
  h.source = src;
  h.name_len = copy_bounded(h.name_buf, kHostNameMax, name);
  h.truncated = name.size() > kHostNameMax;
  if (h.truncated) ++stats_.truncated;
}

void HostNameCache::learn_dhcp(const IpAddress& ip, const MacAddress* mac, std::string_view hostname,
                               std::string_view os_hint, uint64_t now_ns) noexcept {
  hostname = without_trailing_nuls(hostname);
  os_hint = without_trailing_nuls(os_hint);
  if (mac != nullptr && (!hostname.empty() || !os_hint.empty() || !is_unspecified(ip))) {
    const uint64_t key = mac_key(*mac);
    const size_t first = mac_bucket(key) * kWays;
    size_t slot = first;
    bool found = false;
    for (size_t i = first; i < first + kWays; ++i) {
      const MacSlot& s = mac_slots_[i];
      if (s.used && s.mac == key) {
        slot = i;
        found = true;
        break;
      }
      const MacSlot& v = mac_slots_[slot];
      if (v.used && (!s.used || s.last_seen_ns < v.last_seen_ns)) slot = i;
    }
    MacSlot& s = mac_slots_[slot];
    DhcpClient& c = clients_[slot];
    if (!found) {
      if (s.used) ++stats_.clients_evicted;
      c.has_ip = c.truncated = false;
      c.hostname_len = c.os_hint_len = 0;
    }
    s.mac = key;
    s.used = true;
    s.last_seen_ns = now_ns;
    c.last_seen_ns = now_ns;
    // A later message without option 12 (e.g. a RELEASE) keeps the name already known.
    if (!hostname.empty()) {
      c.hostname_len = copy_bounded(c.hostname_buf, kHostNameMax, hostname);
      c.truncated = hostname.size() > kHostNameMax;
    }
    if (!os_hint.empty()) c.os_hint_len = copy_bounded(c.os_hint_buf, kOsHintMax, os_hint);
    if (!is_unspecified(ip)) {
      c.ip = ip;
      c.has_ip = true;
    }
    ++stats_.clients_learned;
  }
  if ((hostname.empty() && os_hint.empty()) || is_unspecified(ip)) {
    ++stats_.ignored;
    return;
  }
  bool found = false;
  const size_t slot = claim_addr(ip, found);
  HostName& h = touch_addr(slot, found, ip, now_ns);
  if (!found) h.source = HostNameSource::kDhcp;
  if (!hostname.empty()) set_name(h, hostname, HostNameSource::kDhcp);
  if (!os_hint.empty()) h.os_hint_len = copy_bounded(h.os_hint_buf, kOsHintMax, os_hint);
  ++stats_.dhcp_learned;
}

void HostNameCache::learn_dns(const IpAddress& ip, std::string_view qname, uint64_t now_ns) noexcept {
  qname = without_trailing_nuls(qname);
  if (qname.empty() || is_unspecified(ip)) {
    ++stats_.ignored;
    return;
  }
  bool found = false;
  const size_t slot = claim_addr(ip, found);
  if (found && names_[slot].source == HostNameSource::kDhcp && names_[slot].name_len > 0) {
    ++stats_.dns_kept_dhcp;
    return;
  }
  HostName& h = touch_addr(slot, found, ip, now_ns);  // keeps a DHCP OS hint of a nameless client
  set_name(h, qname, HostNameSource::kDns);
  ++stats_.dns_learned;
}

const HostName* HostNameCache::lookup(const IpAddress& ip) const noexcept {
  const size_t first = addr_bucket(ip) * kWays;
  for (size_t i = first; i < first + kWays; ++i) {
    if (addr_slots_[i].used && addr_slots_[i].ip == ip) return &names_[i];
  }
  return nullptr;
}

const DhcpClient* HostNameCache::lookup_client(const MacAddress& mac) const noexcept {
  const uint64_t key = mac_key(mac);
  const size_t first = mac_bucket(key) * kWays;
  for (size_t i = first; i < first + kWays; ++i) {
    if (mac_slots_[i].used && mac_slots_[i].mac == key) return &clients_[i];
  }
  return nullptr;
}

}  // namespace spanwatch::lib
