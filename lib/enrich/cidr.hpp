// An address prefix (CIDR block) and its text form: "10.0.0.0/8", "192.168.1.7" (= /32), "fd00::/8",
// "::ffff:10.0.0.0/104" (= IPv4 10.0.0.0/8). Used by CidrTable, local networks, the inventory and IP lists.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "lib/core/ip_address.hpp"

namespace spanwatch::lib {

inline constexpr uint8_t kIpv4MappedPrefix = 96;  // ::ffff:0:0/96 holds every IPv4 address

struct Cidr {
  IpAddress network;           // host bits cleared; IPv4 stored IPv4-mapped like every IpAddress
  uint8_t prefix_len = 0;      // within the family: 0..32 for IPv4, 0..128 for IPv6
  bool host_bits_set = false;  // the text had bits set past the prefix ("10.1.2.3/8"); they were cleared

  bool is_v4() const noexcept { return network.is_v4(); }
  // The prefix length in the 128-bit stored form: IPv4 /n is /(96+n).
  uint8_t mapped_prefix_len() const noexcept {
    return is_v4() ? static_cast<uint8_t>(kIpv4MappedPrefix + prefix_len) : prefix_len;
  }
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// Parses "ADDR" or "ADDR/LEN" (surrounding spaces, tabs and CR/LF ignored). nullopt for anything else:
// bad address, LEN missing/non-decimal/too long for the family, extra characters. An IPv4-mapped IPv6 text
// with LEN >= 96 becomes the IPv4 prefix (LEN-96); with LEN < 96 it is rejected (it would mix families).
std::optional<Cidr> parse_cidr(std::string_view text) noexcept;

// Parses one address ("10.1.2.3", "2001:db8::1", "::ffff:10.1.2.3" = IPv4); surrounding blanks ignored.
std::optional<IpAddress> parse_ip_address(std::string_view text) noexcept;

// `ip` with every bit past the first `mapped_prefix_len` (0..128, stored form) cleared.
IpAddress mask_address(const IpAddress& ip, uint8_t mapped_prefix_len) noexcept;

// True if `ip` is inside `cidr`. Families never mix: an IPv6 prefix (even ::/0) holds no IPv4 address.
bool cidr_contains(const Cidr& cidr, const IpAddress& ip) noexcept;

}  // namespace spanwatch::lib
