// Internet checksums as Zeek validates them unless run with -C (flows.verify_checksums): the IPv4 header,
// and TCP, UDP, ICMP (no pseudo-header) and ICMPv6 over their pseudo-header. Pure functions over bytes.
#pragma once
#include <cstdint>

namespace spanwatch::lib {

// The IPv4 header `h` of `header_len` bytes (all captured) sums to 0xffff.
bool ipv4_header_checksum_ok(const uint8_t* h, uint32_t header_len) noexcept;

// The transport segment `l4` of `len` bytes (all captured) of protocol `proto` (6, 17, 1 or 58) in the IP
// packet whose header starts at `ip` (version from its first nibble; IPv6: the fixed header's addresses).
// A UDP checksum of 0 over IPv4 means "none" and passes; over IPv6 it is invalid (RFC 8200), as in Zeek.
bool l4_checksum_ok(const uint8_t* ip, uint8_t proto, const uint8_t* l4, uint32_t len) noexcept;

}  // namespace spanwatch::lib
