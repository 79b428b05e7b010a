// Internal to lib/decode: byte readers, protocol constants and the functions the decoder's .cpp files
// share (link layer -> IP -> L4 -> tunnels -> back to link/IP). Not part of the public interface.
#pragma once
#include <cstdint>

#include "lib/core/ip_proto.hpp"
#include "lib/decode/decoded_packet.hpp"

namespace spanwatch::lib::decode_detail {

// Network byte order readers. Callers have bounds-checked the bytes they read.
inline uint16_t rd16(const uint8_t* p) noexcept {
  return uint16_t((uint16_t(p[0]) << 8) | p[1]);
}
inline uint32_t rd32(const uint8_t* p) noexcept {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
inline uint32_t min_u32(uint32_t a, uint32_t b) noexcept {
  return a < b ? a : b;
}

// Ethertypes (also GRE protocol types).
inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherArp = 0x0806;
inline constexpr uint16_t kEtherRarp = 0x8035;
inline constexpr uint16_t kEtherIpv6 = 0x86dd;
inline constexpr uint16_t kEtherVlan = 0x8100;
inline constexpr uint16_t kEtherQinQ = 0x88a8;
inline constexpr uint16_t kEtherQinQOld = 0x9100;
inline constexpr uint16_t kEtherMplsUnicast = 0x8847;
inline constexpr uint16_t kEtherMplsMulticast = 0x8848;
inline constexpr uint16_t kEtherPppoeDiscovery = 0x8863;
inline constexpr uint16_t kEtherPppoeSession = 0x8864;
inline constexpr uint16_t kEtherPbb = 0x88e7;
inline constexpr uint16_t kEtherVnTag = 0x8926;
inline constexpr uint16_t kEtherTransparentBridging = 0x6558;  // GRE/Geneve: Ethernet follows
inline constexpr uint16_t kEtherErspanII = 0x88be;
inline constexpr uint16_t kEtherErspanIII = 0x22eb;
inline constexpr uint16_t kEtherPpp = 0x880b;      // PPTP enhanced GRE
inline constexpr uint16_t kEtherMinType = 0x0600;  // below: an 802.3 length field

// PPP protocol numbers.
inline constexpr uint16_t kPppIpv4 = 0x0021;
inline constexpr uint16_t kPppIpv6 = 0x0057;

// Header sizes.
inline constexpr uint32_t kEthHeaderLen = 14;
inline constexpr uint32_t kIpv4MinHeaderLen = 20;
inline constexpr uint32_t kIpv6HeaderLen = 40;
inline constexpr uint32_t kUdpHeaderLen = 8;

// An L4 (or tunnel) region: `decl` bytes according to the enclosing length fields, of which the
// first `cap` (<= decl) are actually in the buffer.
struct Span {
  const uint8_t* p;
  uint32_t decl;
  uint32_t cap;
};

// A PPP header (PPPoE, PPTP, DLT_PPP): optional address/control FF 03, then a 1-byte (protocol field
// compression: odd first byte) or 2-byte protocol. Returns false if the header is cut off.
inline bool parse_ppp_header(const uint8_t* p, uint32_t n, uint16_t& proto, uint32_t& hdr_len) noexcept {
  uint32_t off = 0;
  if (n >= 2 && p[0] == 0xff && p[1] == 0x03) off = 2;
  if (off >= n) return false;
  if (p[off] & 1) {
    proto = p[off];
    hdr_len = off + 1;
    return true;
  }
  if (off + 2 > n) return false;
  proto = rd16(p + off);
  hdr_len = off + 2;
  return true;
}

inline PacketClass fail(DecodedPacket& out, DecodeError e) noexcept {
  out.cls = PacketClass::kError;
  out.error = e;
  return out.cls;
}
inline PacketClass non_flow(DecodedPacket& out, NonFlowKind k) noexcept {
  out.cls = PacketClass::kNonFlow;
  out.non_flow = k;
  return out.cls;
}
inline PacketClass flow(DecodedPacket& out) noexcept {
  out.cls = PacketClass::kFlow;
  return out.cls;
}

// Link layer (packet_decoder.cpp). `decode_ethernet` records MACs/VLANs only for the outermost frame.
PacketClass decode_ethernet(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept;
PacketClass decode_ethertype(uint16_t type, const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept;

// IP and L4 (ip_decoder.cpp). decode_ip picks the version from the first nibble.
PacketClass decode_ip(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept;
PacketClass decode_ipv4(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept;
// decode_ipv4() is one of these: with checksums verified (out.verify_checksums), the header's checksum
// first, out of line; then the header and what it carries.
[[gnu::noinline]] PacketClass decode_ipv4_verified(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept;
PacketClass decode_ipv4_header(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept;
PacketClass decode_ipv6(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept;
// The L4 payload as a port-less flow (later fragments, unknown protocols, tunnel fallbacks).
PacketClass portless_flow(const Span& l4, DecodedPacket& out) noexcept;

// Tunnels (tunnel_decoder.cpp). Called with out.inner holding the enclosing IP layer (and, for UDP,
// its ports). Moves it to out.outer if this is the outermost encapsulation, clears the inner fields.
// Returns false when the nesting is too deep.
bool enter_tunnel(TunnelType type, bool outer_is_udp, DecodedPacket& out) noexcept;
PacketClass decode_gre(const Span& gre, DecodedPacket& out) noexcept;
// IP-in-IP: inner_proto is 4 (IPv4) or 41 (IPv6).
PacketClass decode_ip_in_ip(uint8_t inner_proto, const Span& l4, DecodedPacket& out) noexcept;
// UDP payload with out.inner ports filled. Sets `taken` when the payload is a tunnel (the result is
// then the inner flow, kBadTunnel or kTunnelTooDeep); otherwise the caller treats the packet as plain UDP.
PacketClass decode_udp_tunnel(const Span& udp_payload, DecodedPacket& out, bool& taken) noexcept;

}  // namespace spanwatch::lib::decode_detail
