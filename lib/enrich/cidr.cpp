// Text parsing and bit arithmetic for CIDR prefixes (see cidr.hpp).
#include "lib/enrich/cidr.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace spanwatch::lib {
namespace {

std::string_view trim_blanks(std::string_view s) noexcept {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// inet_pton needs a NUL-terminated string; the longest valid text is an IPv6 address with an embedded
// dotted quad (45 characters).
std::optional<IpAddress> parse_address_exact(std::string_view s) noexcept {
  char buf[kIpTextMax + 1];
  if (s.empty() || s.size() > kIpTextMax || s.find('\0') != std::string_view::npos) return std::nullopt;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  uint8_t bytes[16];
  if (s.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, bytes) != 1) return std::nullopt;
    return IpAddress::from_v4(bytes);
  }
  if (inet_pton(AF_INET6, buf, bytes) != 1) return std::nullopt;
  return IpAddress::from_v6(bytes);
}

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text) noexcept {
  return parse_address_exact(trim_blanks(text));
}

IpAddress mask_address(const IpAddress& ip, uint8_t mapped_prefix_len) noexcept {
  IpAddress out = ip;
  const unsigned len = mapped_prefix_len > 128 ? 128 : mapped_prefix_len;
  const unsigned full = len / 8;
  if (full < 16) {
    const unsigned rem = len % 8;
    out.bytes[full] &= static_cast<uint8_t>(rem == 0 ? 0 : 0xff << (8 - rem));
    for (unsigned i = full + 1; i < 16; ++i) out.bytes[i] = 0;
  }
  return out;
}

bool cidr_contains(const Cidr& cidr, const IpAddress& ip) noexcept {
  if (cidr.is_v4() != ip.is_v4()) return false;
  return mask_address(ip, cidr.mapped_prefix_len()) == cidr.network;
}

std::optional<Cidr> parse_cidr(std::string_view text) noexcept {
  text = trim_blanks(text);
  const size_t slash = text.find('/');
  const std::optional<IpAddress> addr = parse_address_exact(text.substr(0, slash));
  if (!addr) return std::nullopt;
  const bool v4_text = text.substr(0, slash).find(':') == std::string_view::npos;
  const unsigned family_max = v4_text ? 32 : 128;
  unsigned len = family_max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    len = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      len = len * 10 + unsigned(c - '0');
    }
    if (len > family_max) return std::nullopt;
  }
  Cidr out;
  unsigned mapped_len = len;
  if (v4_text) {
    mapped_len = kIpv4MappedPrefix + len;
  } else if (addr->is_v4()) {
    if (len < kIpv4MappedPrefix) return std::nullopt;  // "::ffff:0:0/80" spans both families
    len -= kIpv4MappedPrefix;
  }
  out.network = mask_address(*addr, static_cast<uint8_t>(mapped_len));
  out.prefix_len = static_cast<uint8_t>(len);
  out.host_bits_set = out.network != *addr;
  return out;
}

}  // namespace spanwatch::lib
