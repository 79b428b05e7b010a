// IP and CIDR parsing over inet_pton, and the special-purpose address registries (RFC 6890, IANA
// IPv4/IPv6 special-purpose registries) reduced to "is this address public".
#include "viewer/ip_match.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace spanwatch::viewer {
namespace {

constexpr size_t kMaxAddressText = 45;  // longest IPv6 text form (INET6_ADDRSTRLEN - 1)

struct Block {
  const char* cidr;
};

// Not globally reachable unicast (IANA special-purpose registries), IPv4 then IPv6.
constexpr std::array kNonPublic{
    Block{"0.0.0.0/8"},      Block{"10.0.0.0/8"},     Block{"100.64.0.0/10"}, Block{"127.0.0.0/8"},
    Block{"169.254.0.0/16"}, Block{"172.16.0.0/12"},  Block{"192.0.0.0/24"},  Block{"192.0.2.0/24"},
    Block{"192.88.99.0/24"}, Block{"192.168.0.0/16"}, Block{"198.18.0.0/15"}, Block{"198.51.100.0/24"},
    Block{"203.0.113.0/24"}, Block{"224.0.0.0/4"},    Block{"240.0.0.0/4"},   Block{"::/128"},
    Block{"::1/128"},        Block{"64:ff9b:1::/48"}, Block{"100::/64"},      Block{"2001::/23"},
    Block{"2001:db8::/32"},  Block{"2002::/16"},      Block{"3fff::/20"},     Block{"5f00::/16"},
    Block{"fc00::/7"},       Block{"fe80::/10"},      Block{"fec0::/10"},     Block{"ff00::/8"},
};

// Bytes 8w..8w+7 of the address as a big-endian number.
uint64_t word(const IpAddress& a, unsigned w) noexcept {
  uint64_t v = 0;
  for (unsigned i = 0; i < 8; ++i) v = v << 8 | a.bytes[8 * w + i];
  return v;
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddressText) return std::nullopt;
  char buf[kMaxAddressText + 1];
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  uint8_t raw[16];
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, raw) != 1) return std::nullopt;
    return IpAddress::from_v4(raw);
  }
  if (inet_pton(AF_INET6, buf, raw) != 1) return std::nullopt;
  return IpAddress::from_v6(raw);
}

bool Cidr::contains(const IpAddress& a) const noexcept {
  unsigned bits = prefix_bits;
  for (size_t i = 0; i < 16 && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const uint8_t mask = static_cast<uint8_t>(0xff00u >> take);
    if ((a.bytes[i] & mask) != net.bytes[i]) return false;
    bits -= take;
  }
  return true;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  const auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const unsigned family_bits =
      ip->is_v4() && text.substr(0, slash).find(':') == std::string_view::npos ? 32 : 128;
  unsigned prefix = family_bits;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix > family_bits)
      return std::nullopt;
  }
  Cidr c;
  c.prefix_bits = static_cast<uint8_t>(family_bits == 32 ? prefix + 96 : prefix);
  unsigned bits = c.prefix_bits;
  for (size_t i = 0; i < 16; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    c.net.bytes[i] = static_cast<uint8_t>(ip->bytes[i] & (0xff00u >> take));
    bits -= take;
  }
  return c;
}

bool is_public(const IpAddress& a) noexcept {
  // The blocks as 128-bit masks (two big-endian words): one AND and compare each, per record and side.
  struct Masked {
    uint64_t mask[2], net[2];
  };
  static const auto blocks = [] {
    std::array<Masked, kNonPublic.size()> out{};
    for (size_t i = 0; i < kNonPublic.size(); ++i) {
      const Cidr c = *parse_cidr(kNonPublic[i].cidr);
      for (unsigned w = 0; w < 2; ++w) {
        const unsigned bits = c.prefix_bits > 64 * w ? std::min(c.prefix_bits - 64 * w, 64u) : 0;
        out[i].mask[w] = bits == 0 ? 0 : ~uint64_t{0} << (64 - bits);
        out[i].net[w] = word(c.net, w) & out[i].mask[w];
      }
    }
    return out;
  }();
  // IPv4-mapped addresses are judged by their IPv4 part (the blocks above are on the mapped scale);
  // the rest of ::ffff:0:0/96 does not exist.
  const uint64_t hi = word(a, 0), lo = word(a, 1);
  for (const Masked& b : blocks)
    if ((hi & b.mask[0]) == b.net[0] && (lo & b.mask[1]) == b.net[1]) return false;
  return true;
}

std::string to_string(const IpAddress& a) {
  char buf[lib::kIpTextMax];
  return std::string(buf, a.format(buf, sizeof buf));
}

}  // namespace spanwatch::viewer
