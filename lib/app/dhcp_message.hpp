// One BOOTP/DHCPv4 message (RFC 2131/2132): fixed header, client MAC, addresses, and the options a flow
// record or a device fingerprint uses (53 type, 12 hostname, 60 vendor class, 55 parameter list,
// 50 requested IP, 61 client id, 81 FQDN, 54 server id, 51 lease time). Bounded, no allocation.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "lib/app/bounded_text.hpp"
#include "lib/core/ip_address.hpp"

namespace spanwatch::lib {

enum class DhcpStatus : uint8_t {
  kOk,
  kTooShort,    // shorter than the 236-byte BOOTP header
  kNoCookie,    // plain BOOTP (no 99.130.83.99 magic cookie): header fields only
  kBadOptions,  // an option runs past the end; the options before it are kept
  kCount
};
inline constexpr std::array<std::string_view, size_t(DhcpStatus::kCount)> kDhcpStatusNames{
    "ok", "too_short", "no_cookie", "bad_options"};
inline std::string_view to_string(DhcpStatus s) noexcept {
  return kDhcpStatusNames[size_t(s)];
}

inline constexpr size_t kBootpHeaderLen = 236;
inline constexpr size_t kDhcpOptionsOffset = 240;  // after the magic cookie
inline constexpr size_t kDhcpHostnameMax = 255;    // an option carries at most 255 bytes
inline constexpr size_t kDhcpVendorClassMax = 255;
inline constexpr size_t kDhcpClientIdMax = 64;
inline constexpr size_t kDhcpFqdnMax = 255;
// "1,3,6,15": up to 3 digits and a comma per code; 255 codes (one option) need 1019 bytes. RFC 3396
// concatenates repeated options, so longer lists are cut (flagged).
inline constexpr size_t kDhcpParamListTextMax = 1023;

enum class DhcpMessageType : uint8_t {
  kNone = 0,
  kDiscover = 1,
  kOffer = 2,
  kRequest = 3,
  kDecline = 4,
  kAck = 5,
  kNak = 6,
  kRelease = 7,
  kInform = 8,
};

struct DhcpMessage {
  uint8_t op = 0;  // 1 request (client), 2 reply (server)
  uint8_t htype = 0, hlen = 0, hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0, flags = 0;  // flags bit 15: broadcast
  IpAddress ciaddr, yiaddr, siaddr, giaddr;
  std::array<uint8_t, 16> chaddr{};
  bool has_cookie = false;

  uint8_t message_type = 0;                       // option 53; 0 when absent (BOOTP)
  BoundedText<kDhcpHostnameMax> hostname;         // option 12, raw bytes
  BoundedText<kDhcpVendorClassMax> vendor_class;  // option 60, raw bytes
  BoundedText<kDhcpParamListTextMax> param_list;  // option 55 as decimal codes, comma-separated
  uint16_t param_count = 0;                       // codes in option 55 (all instances)
  bool has_requested_ip = false;                  // option 50
  IpAddress requested_ip;
  bool has_server_id = false;  // option 54
  IpAddress server_id;
  bool has_lease_time = false;  // option 51, seconds
  uint32_t lease_time_s = 0;
  uint8_t client_id_len = 0;  // option 61 bytes stored (type byte first); see client_id_truncated
  bool client_id_truncated = false;
  std::array<uint8_t, kDhcpClientIdMax> client_id{};
  bool has_fqdn = false;  // option 81 (RFC 4702)
  uint8_t fqdn_flags = 0;
  BoundedText<kDhcpFqdnMax> fqdn;  // wire-format names (flag E) rendered with dots
  bool fqdn_bad = false;           // the wire-format name did not parse
  uint8_t overload = 0;            // option 52: sname/file carry more options (not parsed)
  uint16_t option_count = 0;       // options seen (pad and end not counted)
  bool end_seen = false;           // option 255 present

  // Client hardware address for Ethernet (htype 1, hlen 6).
  bool has_mac() const noexcept { return htype == 1 && hlen == 6; }
};
static_assert(std::is_trivially_copyable_v<DhcpMessage>, "a fast-path result: no owned resources");

// `out` is fully overwritten.
DhcpStatus parse_dhcp(const uint8_t* data, size_t len, DhcpMessage& out) noexcept;

// "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM", then the lease-query and
// later types (RFC 3203, 4388, 6926, 7724); empty when unassigned.
std::string_view dhcp_message_type_name(uint8_t type) noexcept;

}  // namespace spanwatch::lib
