// Address text for the viewer's filters and links: parse an IP or a CIDR block, test membership, and tell
// public addresses (worth a reputation look-up) from private, loopback, link-local and reserved ones.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/core/ip_address.hpp"

namespace spanwatch::viewer {

using lib::IpAddress;

// "192.0.2.1" or "2001:db8::1" (no zone, no brackets); nullopt for anything else.
std::optional<IpAddress> parse_ip(std::string_view text);

// An address block. IPv4 prefixes are stored on the IPv4-mapped scale (prefix + 96).
struct Cidr {
  IpAddress net;
  uint8_t prefix_bits = 128;
  bool contains(const IpAddress& a) const noexcept;
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Host bits are cleared.
std::optional<Cidr> parse_cidr(std::string_view text);

// True for globally routable unicast addresses: not private (RFC 1918, ULA), loopback, link-local,
// CGNAT, multicast, broadcast, documentation, benchmarking or otherwise reserved.
bool is_public(const IpAddress& a) noexcept;

std::string to_string(const IpAddress& a);

}  // namespace spanwatch::viewer
