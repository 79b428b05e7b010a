// decode_packet(): the entry point and the link layer (Ethernet, VLAN/QinQ, MPLS, PPPoE, PBB, VN-Tag,
// Linux SLL/SLL2, BSD null/loop, PPP, 802.11 and radiotap, raw IP). IP/L4 live in ip_decoder.cpp, tunnels in
// tunnel_decoder.cpp.
#include "lib/decode/packet_decoder.hpp"

#include <cstddef>
#include <cstring>

#include "lib/decode/decode_internal.hpp"

namespace spanwatch::lib {
namespace decode_detail {
namespace {

constexpr uint32_t kVlanTagLen = 4;
constexpr uint32_t kMplsLabelLen = 4;
constexpr uint32_t kPwControlWordLen = 4;
constexpr uint32_t kPppoeHeaderLen = 6;
constexpr uint32_t kPbbItagLen = 4;
constexpr uint32_t kVnTagLen = 4;
constexpr uint32_t kSllHeaderLen = 16;
constexpr uint32_t kSllProtocolOffset = 14;
constexpr uint32_t kSll2HeaderLen = 20;
constexpr uint32_t kNullHeaderLen = 4;

// BSD address families in DLT_NULL/DLT_LOOP headers (IPv6 differs between the BSDs).
constexpr uint32_t kAfInet = 2;
constexpr uint32_t kAfInet6NetBsd = 24;
constexpr uint32_t kAfInet6FreeBsd = 28;
constexpr uint32_t kAfInet6Darwin = 30;

void record_vlan(uint16_t tci, DecodedPacket& out) noexcept {
  // Tags inside a tunnel belong to the inner frame, not to the port's frame.
  if (out.tunnel_depth != 0) return;
  if (out.vlan_count < kMaxVlans) out.vlan_ids[out.vlan_count] = tci & 0x0fff;
  if (out.vlan_count < 0xff) ++out.vlan_count;
}

PacketClass decode_ppp_payload(uint16_t proto, const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  if (proto == kPppIpv4) return decode_ipv4(p, n, out);
  if (proto == kPppIpv6) return decode_ipv6(p, n, out);
  return non_flow(out, NonFlowKind::kOtherEthertype);  // LCP, IPCP, CHAP, compressed data, ...
}

}  // namespace

PacketClass decode_ethernet(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  if (n < kEthHeaderLen) return fail(out, DecodeError::kTruncatedLink);
  if (out.tunnel_depth == 0 && !out.has_mac) {
    out.has_mac = true;
    std::memcpy(out.dst_mac.data(), p, 6);
    std::memcpy(out.src_mac.data(), p + 6, 6);
  }
  return decode_ethertype(rd16(p + 12), p + kEthHeaderLen, n - kEthHeaderLen, out);
}

// A loop rather than recursion: tag stacks, PBB and EoMPLS can nest as deep as the frame is long.
PacketClass decode_ethertype(uint16_t type, const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  for (;;) {
    switch (type) {
      case kEtherIpv4:
        return decode_ipv4(p, n, out);
      case kEtherIpv6:
        return decode_ipv6(p, n, out);
      case kEtherVlan:
      case kEtherQinQ:
      case kEtherQinQOld:
        if (n < kVlanTagLen) return fail(out, DecodeError::kTruncatedVlan);
        record_vlan(rd16(p), out);
        type = rd16(p + 2);
        p += kVlanTagLen;
        n -= kVlanTagLen;
        continue;
      case kEtherMplsUnicast:
      case kEtherMplsMulticast: {
        bool bottom = false;
        while (!bottom) {
          if (n < kMplsLabelLen) return fail(out, DecodeError::kTruncatedMpls);
          bottom = (p[2] & 0x01) != 0;
          p += kMplsLabelLen;
          n -= kMplsLabelLen;
        }
        // No type field after the bottom of stack: guess from the first nibble.
        if (n == 0) return fail(out, DecodeError::kTruncatedMpls);
        const unsigned nibble = p[0] >> 4;
        if (nibble == 4) return decode_ipv4(p, n, out);
        if (nibble == 6) return decode_ipv6(p, n, out);
        if (nibble != 0) return fail(out, DecodeError::kBadIpVersion);
        // Pseudowire control word, then an Ethernet frame (Ethernet over MPLS).
        if (n < kPwControlWordLen + kEthHeaderLen) return fail(out, DecodeError::kTruncatedMpls);
        type = rd16(p + kPwControlWordLen + 12);
        p += kPwControlWordLen + kEthHeaderLen;
        n -= kPwControlWordLen + kEthHeaderLen;
        continue;
      }
      case kEtherPppoeSession: {
        if (n < kPppoeHeaderLen) return fail(out, DecodeError::kTruncatedPppoe);
        uint16_t proto = 0;
        uint32_t hdr = 0;
        if (!parse_ppp_header(p + kPppoeHeaderLen, n - kPppoeHeaderLen, proto, hdr))
          return fail(out, DecodeError::kTruncatedPppoe);
        const uint32_t off = kPppoeHeaderLen + hdr;
        return decode_ppp_payload(proto, p + off, n - off, out);
      }
      case kEtherPbb:
        // I-TAG, then the customer frame's MACs and type.
        if (n < kPbbItagLen + kEthHeaderLen) return fail(out, DecodeError::kTruncatedLink);
        type = rd16(p + kPbbItagLen + 12);
        p += kPbbItagLen + kEthHeaderLen;
        n -= kPbbItagLen + kEthHeaderLen;
        continue;
      case kEtherVnTag:
        if (n < kVnTagLen + 2) return fail(out, DecodeError::kTruncatedLink);
        type = rd16(p + kVnTagLen);
        p += kVnTagLen + 2;
        n -= kVnTagLen + 2;
        continue;
      case kEtherArp:
      case kEtherRarp:
        return non_flow(out, NonFlowKind::kArp);
      default:
        return non_flow(out, NonFlowKind::kOtherEthertype);  // incl. 802.3 lengths, PPPoE discovery
    }
  }
}

namespace {

PacketClass decode_null(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  if (n < kNullHeaderLen) return fail(out, DecodeError::kTruncatedLink);
  // DLT_NULL is in the capturing host's byte order (and some DLT_LOOP writers get it wrong too):
  // the family is small, so whichever end holds the non-zero bytes is the low end.
  const uint32_t be = rd32(p);
  const uint32_t le =
      uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
  const uint32_t af = (be & 0xffff0000u) == 0 ? be : le;
  p += kNullHeaderLen;
  n -= kNullHeaderLen;
  switch (af) {
    case kAfInet:
      return decode_ipv4(p, n, out);
    case kAfInet6NetBsd:
    case kAfInet6FreeBsd:
    case kAfInet6Darwin:
      return decode_ipv6(p, n, out);
    default:
      return non_flow(out, NonFlowKind::kOtherEthertype);
  }
}

// 802.11 data frames: the MAC header (its length depends on the DS bits, QoS and HT control), then
// LLC/SNAP and an ethertype. Anything else on a monitor-mode capture carries no flow.
PacketClass decode_ieee80211(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  constexpr uint32_t kHeaderLen = 24, kAddr4Len = 6, kQosLen = 2, kHtControlLen = 4;
  constexpr uint8_t kTypeData = 2, kSubtypeNoData = 0x4, kSubtypeQos = 0x8;
  constexpr uint8_t kToDs = 0x01, kFromDs = 0x02, kProtected = 0x40, kOrder = 0x80;
  constexpr uint8_t kSnap[6] = {0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00};
  if (n < kHeaderLen) return fail(out, DecodeError::kTruncatedLink);
  const uint8_t type = (p[0] >> 2) & 0x3, subtype = p[0] >> 4, flags = p[1];
  if (type != kTypeData || (subtype & kSubtypeNoData) || (flags & kProtected))
    return non_flow(out, NonFlowKind::kWlanNonData);
  uint32_t hl = kHeaderLen;
  const bool to_ds = flags & kToDs, from_ds = flags & kFromDs;
  if (to_ds && from_ds) hl += kAddr4Len;
  if (subtype & kSubtypeQos) hl += kQosLen + ((flags & kOrder) ? kHtControlLen : 0);
  if (n < hl + sizeof kSnap + 2) return fail(out, DecodeError::kTruncatedLink);
  // Addresses: 1 = receiver, 2 = transmitter, 3 = the third party the DS bits name.
  const uint8_t* dst = (to_ds) ? p + 16 : p + 4;
  const uint8_t* src = (from_ds) ? (to_ds ? p + 24 : p + 16) : p + 10;
  out.has_mac = true;
  for (size_t i = 0; i < 6; ++i) {
    out.dst_mac[i] = dst[i];
    out.src_mac[i] = src[i];
  }
  for (size_t i = 0; i < sizeof kSnap; ++i)
    if (p[hl + i] != kSnap[i]) return non_flow(out, NonFlowKind::kOtherEthertype);
  const uint32_t off = hl + sizeof kSnap;
  return decode_ethertype(rd16(p + off), p + off + 2, n - off - 2, out);
}

PacketClass decode_radiotap(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  if (n < 4) return fail(out, DecodeError::kTruncatedLink);
  const uint32_t len = uint32_t(p[2]) | (uint32_t(p[3]) << 8);  // little-endian, whole radiotap header
  if (len < 8 || len > n) return fail(out, DecodeError::kTruncatedLink);
  return decode_ieee80211(p + len, n - len, out);
}

PacketClass decode_ppp_link(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  uint16_t proto = 0;
  uint32_t hdr = 0;
  if (!parse_ppp_header(p, n, proto, hdr)) return fail(out, DecodeError::kTruncatedLink);
  return decode_ppp_payload(proto, p + hdr, n - hdr, out);
}

}  // namespace
}  // namespace decode_detail

PacketClass decode_packet(const uint8_t* data, uint32_t len, LinkType link, DecodedPacket& out,
                          bool verify_checksums) noexcept {
  using namespace decode_detail;
  // Reset all but the tunnel carriers, half the struct: only the first carrier_count of them mean
  // anything, and enter_tunnel() writes each one whole.
  static constexpr DecodedPacket kEmpty{};
  std::memcpy(static_cast<void*>(&out), &kEmpty, offsetof(DecodedPacket, carriers));
  out.frame_len = len;
  out.verify_checksums = verify_checksums;
  if (data == nullptr) len = 0;

  switch (link) {
    case LinkType::kEthernet:
      return decode_ethernet(data, len, out);
    case LinkType::kRaw:
    case LinkType::kRawDlt:
      return decode_ip(data, len, out);
    case LinkType::kIpv4:
      return decode_ipv4(data, len, out);
    case LinkType::kIpv6:
      return decode_ipv6(data, len, out);
    case LinkType::kNull:
    case LinkType::kLoop:
      return decode_null(data, len, out);
    case LinkType::kPpp:
      return decode_ppp_link(data, len, out);
    case LinkType::kIeee80211:
      return decode_ieee80211(data, len, out);
    case LinkType::kRadiotap:
      return decode_radiotap(data, len, out);
    case LinkType::kLinuxSll:
      if (len < kSllHeaderLen) return fail(out, DecodeError::kTruncatedLink);
      return decode_ethertype(rd16(data + kSllProtocolOffset), data + kSllHeaderLen, len - kSllHeaderLen,
                              out);
    case LinkType::kLinuxSll2:
      if (len < kSll2HeaderLen) return fail(out, DecodeError::kTruncatedLink);
      return decode_ethertype(rd16(data), data + kSll2HeaderLen, len - kSll2HeaderLen, out);
  }
  return non_flow(out, NonFlowKind::kOtherLinkType);
}

}  // namespace spanwatch::lib
