// Which addresses are "ours" (config key `local_networks`) and the ECS network.direction of a flow
// that follows from it: inbound, outbound, internal or external.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/ip_address.hpp"
#include "lib/enrich/cidr.hpp"
#include "lib/enrich/cidr_table.hpp"

namespace spanwatch::lib {

// ECS network.direction values this enrichment produces (ingress/egress need the sensor's interface
// roles, which a SPAN port does not have).
enum class NetworkDirection : uint8_t {
  kUnknown,   // no addresses to judge
  kInbound,   // from outside to a local address
  kOutbound,  // from a local address to outside
  kInternal,  // both local
  kExternal,  // neither local
};

// "unknown", "inbound", "outbound", "internal", "external" (ECS spelling).
std::string_view direction_name(NetworkDirection d) noexcept;

// Private and special-use ranges that are local to any site: RFC 1918, RFC 6598 shared address space
// (CGN), link-local, loopback, unique-local and link-local IPv6.
inline constexpr std::array<std::string_view, 9> kDefaultLocalNetworks{
    "10.0.0.0/8",  "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
    "127.0.0.0/8", "fc00::/7",      "fe80::/10",      "::1/128"};

class LocalNetworks {
 public:
  // The default list (kDefaultLocalNetworks).
  LocalNetworks();
  // From the config list. Throws std::invalid_argument naming the entry ("local_networks[2]: \"10.0.0/8\"
  // is not an address or CIDR ...") on the first bad one. An empty list makes nothing local.
  explicit LocalNetworks(const std::vector<std::string>& cidrs);

  bool is_local(const IpAddress& ip) const noexcept { return table_.lookup(ip) != nullptr; }
  NetworkDirection direction(const IpAddress& src, const IpAddress& dst) const noexcept;

  // The matching configured prefix (longest), or nullptr.
  const Cidr* matching_network(const IpAddress& ip) const noexcept { return table_.lookup(ip); }
  size_t size() const noexcept { return table_.size(); }
  // Entries accepted with host bits set ("10.1.2.3/8" read as 10.0.0.0/8), to log at start-up.
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  template <class Strings>
  void load(const Strings& cidrs);

  CidrTable<Cidr> table_;
  std::vector<std::string> warnings_;
};

}  // namespace spanwatch::lib
