// Tunnel encapsulations: GRE (incl. ERSPAN II/III and PPTP enhanced GRE), IP-in-IP, and the UDP-based
// VXLAN, Geneve, GTP-U, Teredo and AYIYA. UDP tunnels are recognised heuristically; a payload that does
// not look like (or decode as) the tunnel leaves the packet a plain UDP flow.
#include <cstring>

#include "lib/decode/decode_internal.hpp"

namespace spanwatch::lib::decode_detail {
namespace {

// GRE flags (RFC 2784/2890, RFC 1701 routing, RFC 2637 PPTP acknowledgment).
constexpr uint16_t kGreChecksum = 0x8000;
constexpr uint16_t kGreRouting = 0x4000;
constexpr uint16_t kGreKey = 0x2000;
constexpr uint16_t kGreSeq = 0x1000;
constexpr uint16_t kGreAck = 0x0080;
constexpr uint16_t kGreVersionMask = 0x0007;
constexpr uint32_t kGreBaseLen = 4;
constexpr uint32_t kGreOptionalLen = 4;
constexpr uint32_t kGreSreHeaderLen = 4;
constexpr uint32_t kPptpGreBaseLen = 8;  // flags, protocol, payload length, call id
constexpr uint32_t kErspanIIHeaderLen = 8;
constexpr uint32_t kErspanIIIHeaderLen = 12;
constexpr uint32_t kErspanIIIPlatformLen = 8;  // present when the O bit is set
constexpr uint8_t kErspanIIIOptionalBit = 0x01;

// UDP tunnel ports (IANA).
constexpr uint16_t kPortGtpU = 2152;
constexpr uint16_t kPortTeredo = 3544;
constexpr uint16_t kPortVxlan = 4789;
constexpr uint16_t kPortAyiya = 5072;
constexpr uint16_t kPortGeneve = 6081;

constexpr uint32_t kVxlanHeaderLen = 8;
constexpr uint8_t kVxlanFlagI = 0x08;  // other flag bits vary (GBP, GPE-style P bit): not checked

constexpr uint32_t kGeneveHeaderLen = 8;

constexpr uint32_t kGtpHeaderLen = 8;
constexpr uint32_t kGtpOptionalLen = 4;  // sequence number, N-PDU number, next extension type
constexpr uint8_t kGtpVersion1 = 1;
constexpr uint8_t kGtpFlagPt = 0x10;  // 1 = GTP, 0 = GTP'
constexpr uint8_t kGtpFlagE = 0x04;
constexpr uint8_t kGtpFlagsOptional = 0x07;  // E, S, PN: any of them adds the optional fields
constexpr uint8_t kGtpMsgGpdu = 0xff;
constexpr unsigned kMaxGtpExtHeaders = 16;

constexpr uint16_t kTeredoAuthTag = 0x0001;
constexpr uint16_t kTeredoOriginTag = 0x0000;
constexpr uint32_t kTeredoAuthFixedLen = 13;  // tag, id len, auth len, 8-byte nonce, confirmation
constexpr uint32_t kTeredoOriginLen = 8;

constexpr uint32_t kAyiyaFixedLen = 8;
constexpr uint8_t kAyiyaOpForward = 1;

PacketClass too_deep(DecodedPacket& out) noexcept {
  return fail(out, DecodeError::kTunnelTooDeep);
}

// Inner Ethernet, IPv4 or IPv6 after a header whose protocol field is an ethertype.
PacketClass decode_by_ethertype(uint16_t proto, const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  if (proto == kEtherTransparentBridging) return decode_ethernet(p, n, out);
  return decode_ethertype(proto, p, n, out);
}

PacketClass decode_erspan(uint16_t proto, bool gre_seq, const Span& s, DecodedPacket& out) noexcept {
  uint32_t hl = 0;
  if (proto == kEtherErspanIII) {
    if (s.cap < kErspanIIIHeaderLen) return fail(out, DecodeError::kBadTunnel);
    hl = kErspanIIIHeaderLen + ((s.p[11] & kErspanIIIOptionalBit) ? kErspanIIIPlatformLen : 0);
  } else if (gre_seq) {
    hl = kErspanIIHeaderLen;  // type II; type I has no sequence number and no ERSPAN header
  }
  if (s.cap < hl) return fail(out, DecodeError::kBadTunnel);
  if (!enter_tunnel(TunnelType::kErspan, false, out)) return too_deep(out);
  return decode_ethernet(s.p + hl, s.cap - hl, out);
}

// PPTP enhanced GRE (version 1): PPP frames; only IPv4/IPv6 PPP payloads are a tunnel.
PacketClass decode_pptp_gre(const Span& g, DecodedPacket& out) noexcept {
  if (g.cap < kPptpGreBaseLen) return fail(out, DecodeError::kBadTunnel);
  const uint16_t flags = rd16(g.p);
  if (rd16(g.p + 2) != kEtherPpp) return portless_flow(g, out);
  uint32_t hl = kPptpGreBaseLen;
  if (flags & kGreSeq) hl += kGreOptionalLen;
  if (flags & kGreAck) hl += kGreOptionalLen;
  if (hl > g.cap) return fail(out, DecodeError::kBadTunnel);
  const uint32_t ppp_len = min_u32(rd16(g.p + 4), g.cap - hl);
  if (ppp_len == 0) return portless_flow(g, out);  // acknowledgment only
  uint16_t proto = 0;
  uint32_t ppp_hdr = 0;
  if (!parse_ppp_header(g.p + hl, ppp_len, proto, ppp_hdr)) return fail(out, DecodeError::kBadTunnel);
  if (proto != kPppIpv4 && proto != kPppIpv6) return portless_flow(g, out);  // LCP, encrypted (MPPE), ...
  if (!enter_tunnel(TunnelType::kGre, false, out)) return too_deep(out);
  const uint8_t* inner = g.p + hl + ppp_hdr;
  const uint32_t n = ppp_len - ppp_hdr;
  return proto == kPppIpv4 ? decode_ipv4(inner, n, out) : decode_ipv6(inner, n, out);
}

// Each probe sets `taken` once the payload is recognisably its tunnel; until then it returns early
// and the packet stays plain UDP.

PacketClass decode_vxlan(const Span& u, DecodedPacket& out, bool& taken) noexcept {
  if (u.decl < kVxlanHeaderLen + kEthHeaderLen || u.cap == 0) return out.cls;
  if ((u.p[0] & kVxlanFlagI) == 0) return out.cls;
  taken = true;
  if (u.cap < kVxlanHeaderLen) return fail(out, DecodeError::kBadTunnel);
  if (!enter_tunnel(TunnelType::kVxlan, true, out)) return too_deep(out);
  return decode_ethernet(u.p + kVxlanHeaderLen, u.cap - kVxlanHeaderLen, out);
}

PacketClass decode_geneve(const Span& u, DecodedPacket& out, bool& taken) noexcept {
  if (u.decl < kGeneveHeaderLen || u.cap < 4) return out.cls;
  if ((u.p[0] >> 6) != 0) return out.cls;  // version 0 is the only one
  const uint16_t proto = rd16(u.p + 2);
  if (proto != kEtherTransparentBridging && proto != kEtherIpv4 && proto != kEtherIpv6) return out.cls;
  const uint32_t hl = kGeneveHeaderLen + uint32_t(u.p[0] & 0x3f) * 4;
  if (hl > u.decl) return out.cls;
  taken = true;
  if (hl > u.cap) return fail(out, DecodeError::kBadTunnel);
  if (!enter_tunnel(TunnelType::kGeneve, true, out)) return too_deep(out);
  return decode_by_ethertype(proto, u.p + hl, u.cap - hl, out);
}

PacketClass decode_gtpu(const Span& u, DecodedPacket& out, bool& taken) noexcept {
  if (u.decl < kGtpHeaderLen || u.cap == 0) return out.cls;
  const uint8_t flags = u.p[0];
  if ((flags >> 5) != kGtpVersion1 || (flags & kGtpFlagPt) == 0) return out.cls;
  if (u.cap < kGtpHeaderLen) {
    taken = true;
    return fail(out, DecodeError::kBadTunnel);
  }
  // Echo, error indication, end marker, ...: the UDP packet itself is the flow.
  if (u.p[1] != kGtpMsgGpdu) return out.cls;
  const uint32_t end = kGtpHeaderLen + rd16(u.p + 2);
  if (end > u.decl) return out.cls;  // length disagrees with the datagram: not GTP
  uint32_t hl = kGtpHeaderLen;
  if (flags & kGtpFlagsOptional) {
    hl += kGtpOptionalLen;
    if (hl > end) return out.cls;
    taken = true;
    if (hl > u.cap) return fail(out, DecodeError::kBadTunnel);
    uint8_t next = (flags & kGtpFlagE) ? u.p[hl - 1] : 0;
    for (unsigned count = 0; next != 0; ++count) {
      // Extension: length in 4-byte units (incl. itself), content, next extension type in the last byte.
      if (count == kMaxGtpExtHeaders || hl >= u.cap) return fail(out, DecodeError::kBadTunnel);
      const uint32_t ext_len = uint32_t(u.p[hl]) * 4;
      if (ext_len == 0 || hl + ext_len > end || hl + ext_len > u.cap)
        return fail(out, DecodeError::kBadTunnel);
      next = u.p[hl + ext_len - 1];
      hl += ext_len;
    }
  }
  if (hl >= end) {  // a G-PDU without a packet: a UDP flow (the optional fields above may have set taken)
    taken = false;
    return out.cls;
  }
  taken = true;
  if (hl >= u.cap) return fail(out, DecodeError::kBadTunnel);
  const unsigned version = u.p[hl] >> 4;
  if (version != 4 && version != 6) {
    taken = false;  // not an IP PDU: leave it a UDP flow
    return out.cls;
  }
  if (!enter_tunnel(TunnelType::kGtpU, true, out)) return too_deep(out);
  const uint8_t* inner = u.p + hl;
  const uint32_t n = min_u32(end, u.cap) - hl;
  return version == 4 ? decode_ipv4(inner, n, out) : decode_ipv6(inner, n, out);
}

// Where the IPv6 packet starts in a Teredo payload: after the optional authentication indicator and
// the optional origin indication. False when the headers run past the captured bytes.
bool teredo_ipv6_offset(const Span& u, uint32_t& off) noexcept {
  off = 0;
  bool auth = false, origin = false;
  while (off + 2 <= u.cap) {
    const uint16_t tag = rd16(u.p + off);
    if (tag == kTeredoAuthTag && !auth && !origin) {
      if (off + 4 > u.cap) return false;
      off += kTeredoAuthFixedLen + u.p[off + 2] + u.p[off + 3];
      auth = true;
    } else if (tag == kTeredoOriginTag && !origin) {
      off += kTeredoOriginLen;
      origin = true;
    } else {
      break;
    }
  }
  return true;
}

// Zeek's dpd_teredo signature finds Teredo on any port (a relay talks to the client's mapped port): an
// IPv6 header whose source or destination is in the Teredo prefix 2001:0::/32.
bool teredo_signature(const Span& u) noexcept {
  constexpr uint8_t kPrefix[4] = {0x20, 0x01, 0x00, 0x00};
  constexpr uint32_t kSrcOffset = 8, kDstOffset = 24;
  uint32_t off = 0;
  if (!teredo_ipv6_offset(u, off) || off + kIpv6HeaderLen > u.cap || (u.p[off] >> 4) != 6) return false;
  return std::memcmp(u.p + off + kSrcOffset, kPrefix, 4) == 0 ||
         std::memcmp(u.p + off + kDstOffset, kPrefix, 4) == 0;
}

PacketClass decode_teredo(const Span& u, DecodedPacket& out, bool& taken) noexcept {
  uint32_t off = 0;
  if (!teredo_ipv6_offset(u, off)) return out.cls;
  // Only a plausible IPv6 header makes this Teredo: version 6 and a payload length that fills the
  // datagram exactly (a bubble, next header 59 and length 0, may carry trailing bytes).
  if (off + kIpv6HeaderLen > u.decl || off + kIpv6HeaderLen > u.cap) return out.cls;
  const uint8_t* ip6 = u.p + off;
  if ((ip6[0] >> 4) != 6) return out.cls;
  const uint32_t plen = rd16(ip6 + 4);
  const bool bubble = plen == 0 && ip6[6] == kProtoNoNext;
  if (off + kIpv6HeaderLen + plen != u.decl && !bubble) return out.cls;
  taken = true;
  if (!enter_tunnel(TunnelType::kTeredo, true, out)) return too_deep(out);
  return decode_ipv6(ip6, u.cap - off, out);
}

PacketClass decode_ayiya(const Span& u, DecodedPacket& out, bool& taken) noexcept {
  if (u.decl < kAyiyaFixedLen || u.cap < kAyiyaFixedLen) return out.cls;
  // Identity length is 2^n bytes, signature length n*4 bytes; only "forward" carries a packet.
  const uint32_t hl = kAyiyaFixedLen + (uint32_t(1) << (u.p[0] >> 4)) + uint32_t(u.p[1] >> 4) * 4;
  const uint8_t next = u.p[3];
  if ((u.p[2] & 0x0f) != kAyiyaOpForward || (next != kProtoIpInIp && next != kProtoIpv6)) return out.cls;
  if (hl >= u.decl) return out.cls;
  taken = true;
  if (hl >= u.cap) return fail(out, DecodeError::kBadTunnel);
  if (!enter_tunnel(TunnelType::kAyiya, true, out)) return too_deep(out);
  return next == kProtoIpInIp ? decode_ipv4(u.p + hl, u.cap - hl, out)
                              : decode_ipv6(u.p + hl, u.cap - hl, out);
}

}  // namespace

bool enter_tunnel(TunnelType type, bool outer_is_udp, DecodedPacket& out) noexcept {
  if (out.tunnel_depth >= kMaxTunnelDepth) return false;
  if (outer_is_udp) out.carriers[out.carrier_count++] = out.inner;  // depth < kMaxTunnelDepth bounds it
  if (out.tunnel_depth == 0) {
    out.outer = out.inner;
    out.tunnel = type;
    out.outer_is_udp = outer_is_udp;
  }
  ++out.tunnel_depth;
  // The inner layers are decoded from scratch.
  out.inner = IpEndpoints{};
  out.icmp_type = out.icmp_code = 0;
  out.fragment = Fragment::kNone;
  out.frag_id = 0;
  out.tcp_flags = 0;
  out.tcp_seq = out.tcp_ack = 0;
  out.tcp_window = 0;
  out.payload_len = out.payload_captured = 0;
  out.payload = nullptr;
  out.l3 = nullptr;
  out.l3_captured = 0;
  return true;
}

PacketClass decode_gre(const Span& g, DecodedPacket& out) noexcept {
  if (g.cap < kGreBaseLen) return fail(out, DecodeError::kBadTunnel);
  const uint16_t flags = rd16(g.p);
  const uint16_t proto = rd16(g.p + 2);
  const uint16_t version = flags & kGreVersionMask;
  if (version == 1) return decode_pptp_gre(g, out);
  if (version != 0) return portless_flow(g, out);

  uint32_t hl = kGreBaseLen;
  if (flags & (kGreChecksum | kGreRouting)) hl += kGreOptionalLen;  // checksum + offset
  if (flags & kGreKey) hl += kGreOptionalLen;
  if (flags & kGreSeq) hl += kGreOptionalLen;
  if (hl > g.cap) return fail(out, DecodeError::kBadTunnel);
  if (flags & kGreRouting) {
    // RFC 1701 source route entries, ended by one with address family 0 and length 0.
    for (;;) {
      if (hl + kGreSreHeaderLen > g.cap) return fail(out, DecodeError::kBadTunnel);
      const uint16_t af = rd16(g.p + hl);
      const uint8_t sre_len = g.p[hl + 3];
      hl += kGreSreHeaderLen + sre_len;
      if (af == 0 && sre_len == 0) break;
    }
    if (hl > g.cap) return fail(out, DecodeError::kBadTunnel);
  }

  const Span inner{g.p + hl, g.decl - hl, g.cap - hl};
  switch (proto) {
    case kEtherIpv4:
    case kEtherIpv6:
    case kEtherTransparentBridging:
    case kEtherMplsUnicast:
    case kEtherMplsMulticast:
      if (!enter_tunnel(TunnelType::kGre, false, out)) return too_deep(out);
      return decode_by_ethertype(proto, inner.p, inner.cap, out);
    case kEtherErspanII:
    case kEtherErspanIII:
      return decode_erspan(proto, (flags & kGreSeq) != 0, inner, out);
    default:
      return portless_flow(g, out);  // keepalives, WCCP, NVGRE variants, ...: GRE is the flow
  }
}

PacketClass decode_ip_in_ip(uint8_t inner_proto, const Span& l4, DecodedPacket& out) noexcept {
  if (!enter_tunnel(TunnelType::kIpInIp, false, out)) return too_deep(out);
  return inner_proto == kProtoIpInIp ? decode_ipv4(l4.p, l4.cap, out) : decode_ipv6(l4.p, l4.cap, out);
}

PacketClass decode_udp_tunnel(const Span& u, DecodedPacket& out, bool& taken) noexcept {
  taken = false;
  // The server port is usually the destination; try it first, then the source.
  const uint16_t ports[2] = {out.inner.dst_port, out.inner.src_port};
  for (size_t i = 0; i < 2; ++i) {
    if (i == 1 && ports[1] == ports[0]) break;
    PacketClass (*probe)(const Span&, DecodedPacket&, bool&) noexcept = nullptr;
    switch (ports[i]) {
      case kPortVxlan:
        probe = decode_vxlan;
        break;
      case kPortGeneve:
        probe = decode_geneve;
        break;
      case kPortGtpU:
        probe = decode_gtpu;
        break;
      case kPortTeredo:
        probe = decode_teredo;
        break;
      case kPortAyiya:
        probe = decode_ayiya;
        break;
      default:
        continue;
    }
    // The outer UDP packet forms a flow of its own (Zeek and tshark count it). If what the tunnel
    // carries is no IP flow (ARP inside VXLAN) or does not decode (garbage that passed the heuristic,
    // an inner packet cut by the snaplen), undo the tunnel and report the UDP packet. A truncated
    // tunnel header (kBadTunnel before entering) and excessive nesting stay errors. Only packets on
    // tunnel ports pay for the copy.
    const DecodedPacket before = out;
    const PacketClass c = probe(u, out, taken);
    if (!taken) continue;
    const bool entered = out.tunnel_depth > before.tunnel_depth;
    if (c == PacketClass::kFlow || !entered || out.error == DecodeError::kTunnelTooDeep) return c;
    out = before;
    taken = false;
    return out.cls;
  }
  if (teredo_signature(u)) {
    const DecodedPacket before = out;
    const PacketClass c = decode_teredo(u, out, taken);
    if (!taken || c == PacketClass::kFlow || out.error == DecodeError::kTunnelTooDeep) return c;
    out = before;
    taken = false;
  }
  return out.cls;
}

}  // namespace spanwatch::lib::decode_detail
