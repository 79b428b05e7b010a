// LocalNetworks: the configured prefixes in a CidrTable; direction() is two lookups.
#include "lib/enrich/local_networks.hpp"

#include <stdexcept>

namespace spanwatch::lib {

std::string_view direction_name(NetworkDirection d) noexcept {
  switch (d) {
    case NetworkDirection::kInbound:
      return "inbound";
    case NetworkDirection::kOutbound:
      return "outbound";
    case NetworkDirection::kInternal:
      return "internal";
    case NetworkDirection::kExternal:
      return "external";
    case NetworkDirection::kUnknown:
      break;
  }
  return "unknown";
}

template <class Strings>
void LocalNetworks::load(const Strings& cidrs) {
  size_t index = 0;
  for (const auto& entry : cidrs) {
    const std::string_view text(entry);
    const std::optional<Cidr> cidr = parse_cidr(text);
    if (!cidr) {
      throw std::invalid_argument("local_networks[" + std::to_string(index) + "]: \"" + std::string(text) +
                                  "\" is not an address or CIDR (e.g. 10.0.0.0/8, fd00::/8, 192.0.2.7)");
    }
    if (cidr->host_bits_set) {
      char net[kIpTextMax];
      cidr->network.format(net, sizeof net);
      warnings_.push_back("local_networks[" + std::to_string(index) + "]: \"" + std::string(text) +
                          "\" has host bits set; using " + net + "/" + std::to_string(cidr->prefix_len));
    }
    table_.insert(*cidr, *cidr);
    ++index;
  }
  table_.build();
}

LocalNetworks::LocalNetworks() {
  load(kDefaultLocalNetworks);
}

LocalNetworks::LocalNetworks(const std::vector<std::string>& cidrs) {
  load(cidrs);
}

NetworkDirection LocalNetworks::direction(const IpAddress& src, const IpAddress& dst) const noexcept {
  const bool src_local = is_local(src);
  const bool dst_local = is_local(dst);
  if (src_local && dst_local) return NetworkDirection::kInternal;
  if (src_local) return NetworkDirection::kOutbound;
  if (dst_local) return NetworkDirection::kInbound;
  return NetworkDirection::kExternal;
}

}  // namespace spanwatch::lib
