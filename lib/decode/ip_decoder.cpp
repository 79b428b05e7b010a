// IPv4 (options, lengths, fragments), IPv6 (extension header chain, fragments, jumbograms) and the
// transport headers (TCP, UDP, ICMP, ICMPv6, SCTP, port-less protocols). Hands tunnels to tunnel_decoder.cpp.
#include "lib/decode/checksum.hpp"
#include "lib/decode/decode_internal.hpp"

namespace spanwatch::lib::decode_detail {
namespace {

constexpr uint16_t kIpv4MoreFragments = 0x2000;
constexpr uint16_t kIpv4FragOffsetMask = 0x1fff;
constexpr uint16_t kIpv6FragMore = 0x0001;
constexpr uint32_t kIpv6ExtMinLen = 8;
constexpr uint32_t kIpv6FragHeaderLen = 8;
constexpr unsigned kMaxIpv6ExtHeaders = 8;  // real chains have 1-3; more is an attack or garbage
constexpr uint8_t kIpv6OptPad1 = 0x00;
constexpr uint8_t kIpv6OptJumbo = 0xc2;
constexpr uint32_t kTcpMinHeaderLen = 20;
constexpr uint32_t kIcmpHeaderLen = 8;
constexpr uint32_t kSctpHeaderLen = 12;

// flows.verify_checksums: the flow's transport checksum, checked only when the whole segment was
// captured and is not a fragment (Zeek checks the reassembled datagram; we do not reassemble).
// The checks are tail calls out of the hot functions, so that with verification off these keep no
// register across a call (callgrind: a checksum call inside decode_ipv4 cost 11 instructions a packet).
bool checksum_bad(uint8_t proto, const Span& s, DecodeError kind, DecodedPacket& out) noexcept {
  if (s.cap != s.decl || out.fragment != Fragment::kNone || l4_checksum_ok(out.l3, proto, s.p, s.cap))
    return false;
  out.bad_checksum = true;
  out.error = kind;
  return true;
}
[[gnu::noinline]] PacketClass flow_verified(uint8_t proto, Span s, DecodeError kind,
                                            DecodedPacket& out) noexcept {
  checksum_bad(proto, s, kind, out);
  return flow(out);
}

void set_payload(const uint8_t* p, uint32_t decl, uint32_t cap, DecodedPacket& out) noexcept {
  out.payload_len = decl;
  out.payload_captured = cap;
  out.payload = cap != 0 ? p : nullptr;
}

PacketClass decode_tcp(const Span& s, DecodedPacket& out) noexcept {
  if (s.cap < kTcpMinHeaderLen) return fail(out, DecodeError::kTruncatedTcp);
  const uint32_t doff = uint32_t(s.p[12] >> 4) * 4;
  if (doff < kTcpMinHeaderLen || doff > s.decl) return fail(out, DecodeError::kBadTcpHeader);
  out.inner.src_port = rd16(s.p);
  out.inner.dst_port = rd16(s.p + 2);
  out.tcp_seq = rd32(s.p + 4);
  out.tcp_ack = rd32(s.p + 8);
  out.tcp_flags = s.p[13];
  out.tcp_window = rd16(s.p + 14);
  // Options cut by the snaplen are fine: the fixed header has all the flow needs.
  set_payload(s.p + doff, s.decl - doff, s.cap > doff ? s.cap - doff : 0, out);
  if (out.verify_checksums) [[unlikely]]
    return flow_verified(kProtoTcp, s, DecodeError::kBadTcpChecksum, out);
  return flow(out);
}

// The UDP payload: a tunnel, or this UDP flow's data.
PacketClass udp_payload(const Span& payload, DecodedPacket& out) noexcept {
  if (out.fragment == Fragment::kNone) {
    bool taken = false;
    const PacketClass c = decode_udp_tunnel(payload, out, taken);
    if (taken) return c;
  }
  return flow(out);
}

// A tunnel behind a bad checksum is not entered (Zeek): the packet is this UDP flow's.
[[gnu::noinline]] PacketClass udp_payload_verified(Span udp, Span payload, DecodedPacket& out) noexcept {
  if (checksum_bad(kProtoUdp, udp, DecodeError::kBadUdpChecksum, out)) return flow(out);
  return udp_payload(payload, out);
}

PacketClass decode_udp(const Span& s, DecodedPacket& out) noexcept {
  if (s.cap < kUdpHeaderLen) return fail(out, DecodeError::kTruncatedUdp);
  out.inner.src_port = rd16(s.p);
  out.inner.dst_port = rd16(s.p + 2);
  // The IP length bounds the payload (the UDP length field is redundant and less trusted).
  const Span payload{s.p + kUdpHeaderLen, s.decl - kUdpHeaderLen, s.cap - kUdpHeaderLen};
  set_payload(payload.p, payload.decl, payload.cap, out);
  if (out.verify_checksums) [[unlikely]]
    return udp_payload_verified(s, payload, out);
  return udp_payload(payload, out);
}

// ICMP and ICMPv6 share the layout: type, code, checksum, 4 type-specific bytes.
PacketClass decode_icmp(const Span& s, DecodedPacket& out) noexcept {
  if (s.cap < kIcmpHeaderLen) return fail(out, DecodeError::kTruncatedIcmp);
  out.icmp_type = s.p[0];
  out.icmp_code = s.p[1];
  out.inner.src_port = s.p[0];
  out.inner.dst_port = s.p[1];
  set_payload(s.p + kIcmpHeaderLen, s.decl - kIcmpHeaderLen, s.cap - kIcmpHeaderLen, out);
  if (out.verify_checksums) [[unlikely]]
    return flow_verified(out.inner.l4_proto, s, DecodeError::kBadIcmpChecksum, out);
  return flow(out);
}

PacketClass decode_sctp(const Span& s, DecodedPacket& out) noexcept {
  if (s.cap < kSctpHeaderLen) return fail(out, DecodeError::kTruncatedSctp);
  out.inner.src_port = rd16(s.p);
  out.inner.dst_port = rd16(s.p + 2);
  set_payload(s.p + kSctpHeaderLen, s.decl - kSctpHeaderLen, s.cap - kSctpHeaderLen, out);
  return flow(out);
}

PacketClass decode_l4(uint8_t proto, const Span& s, DecodedPacket& out) noexcept {
  // Fragments never enter a tunnel: the inner packet would be cut at the fragment boundary, and the
  // later fragments could not follow it anyway.
  const bool whole = out.fragment == Fragment::kNone;
  switch (proto) {
    case kProtoTcp:
      return decode_tcp(s, out);
    case kProtoUdp:
      return decode_udp(s, out);
    case kProtoIcmp:
    case kProtoIcmpv6:
      return decode_icmp(s, out);
    case kProtoSctp:
      return decode_sctp(s, out);
    case kProtoIpInIp:
    case kProtoIpv6:
      return whole ? decode_ip_in_ip(proto, s, out) : portless_flow(s, out);
    case kProtoGre:
      return whole ? decode_gre(s, out) : portless_flow(s, out);
    default:
      return portless_flow(s, out);
  }
}

// A jumbogram has payload length 0 and a Jumbo Payload option in the hop-by-hop header.
bool has_jumbo_option(const uint8_t* h, uint32_t n) noexcept {
  if (n < kIpv6ExtMinLen) return false;
  const uint32_t hl = min_u32((uint32_t(h[1]) + 1) * 8, n);
  uint32_t off = 2;
  while (off < hl) {
    if (h[off] == kIpv6OptJumbo) return true;
    if (h[off] == kIpv6OptPad1) {
      ++off;
      continue;
    }
    if (off + 1 >= hl) return false;
    off += 2 + uint32_t(h[off + 1]);
  }
  return false;
}

}  // namespace

PacketClass portless_flow(const Span& l4, DecodedPacket& out) noexcept {
  set_payload(l4.p, l4.decl, l4.cap, out);
  return flow(out);
}

PacketClass decode_ip(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  if (n == 0) return fail(out, DecodeError::kTruncatedLink);
  switch (p[0] >> 4) {
    case 4:
      return decode_ipv4(p, n, out);
    case 6:
      return decode_ipv6(p, n, out);
    default:
      return fail(out, DecodeError::kBadIpVersion);
  }
}

PacketClass decode_ipv4(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  if (out.verify_checksums) [[unlikely]]
    return decode_ipv4_verified(p, n, out);
  return decode_ipv4_header(p, n, out);
}

PacketClass decode_ipv4_header(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  if (n < kIpv4MinHeaderLen) return fail(out, DecodeError::kTruncatedIpv4);
  if ((p[0] >> 4) != 4) return fail(out, DecodeError::kBadIpv4Header);
  const uint32_t hl = uint32_t(p[0] & 0x0f) * 4;
  if (hl < kIpv4MinHeaderLen || hl > n) return fail(out, DecodeError::kBadIpv4Header);
  const uint32_t header_total = rd16(p + 2);
  // Total length 0 is what TSO/LRO hands a host capture: the frame is the packet. ip_bytes keeps the
  // header's 0, as Zeek's orig_ip_bytes does, so IP byte counts stay comparable with conn.log.
  const uint32_t total = header_total == 0 ? n : header_total;
  if (total < hl) return fail(out, DecodeError::kBadIpv4Length);
  // Bounding by total length drops Ethernet padding; a total beyond n means the snaplen cut it.
  const uint32_t cap = min_u32(total, n);

  IpEndpoints& ip = out.inner;
  ip.ip_version = 4;
  ip.src = IpAddress::from_v4(p + 12);
  ip.dst = IpAddress::from_v4(p + 16);
  ip.l4_proto = p[9];
  ip.ip_bytes = header_total;
  out.l3 = p;
  out.l3_captured = cap;

  const uint16_t frag = rd16(p + 6);
  const Span l4{p + hl, total - hl, cap - hl};
  if ((frag & (kIpv4MoreFragments | kIpv4FragOffsetMask)) != 0) {
    out.frag_id = rd16(p + 4);
    if ((frag & kIpv4FragOffsetMask) != 0) {
      out.fragment = Fragment::kLater;
      return portless_flow(l4, out);
    }
    out.fragment = Fragment::kFirst;
  }
  return decode_l4(ip.l4_proto, l4, out);
}

// Zeek drops a packet whose IPv4 header checksum is wrong before any connection exists. A header too short
// or malformed to check is decode_ipv4_header()'s error.
PacketClass decode_ipv4_verified(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  const uint32_t hl = n != 0 ? uint32_t(p[0] & 0x0f) * 4 : 0;
  if (n >= kIpv4MinHeaderLen && (p[0] >> 4) == 4 && hl >= kIpv4MinHeaderLen && hl <= n &&
      !ipv4_header_checksum_ok(p, hl))
    return fail(out, DecodeError::kBadIpv4Checksum);
  return decode_ipv4_header(p, n, out);
}

PacketClass decode_ipv6(const uint8_t* p, uint32_t n, DecodedPacket& out) noexcept {
  if (n < kIpv6HeaderLen) return fail(out, DecodeError::kTruncatedIpv6);
  if ((p[0] >> 4) != 6) return fail(out, DecodeError::kBadIpVersion);
  const uint32_t plen = rd16(p + 4);
  uint8_t nh = p[6];
  uint32_t total = kIpv6HeaderLen + plen;
  if (plen == 0 && nh == kProtoHopByHop && has_jumbo_option(p + kIpv6HeaderLen, n - kIpv6HeaderLen))
    total = n;
  const uint32_t cap = min_u32(total, n);

  IpEndpoints& ip = out.inner;
  ip.ip_version = 6;
  ip.src = IpAddress::from_v6(p + 8);
  ip.dst = IpAddress::from_v6(p + 24);
  ip.ip_bytes = total;
  out.l3 = p;
  out.l3_captured = cap;

  uint32_t off = kIpv6HeaderLen;
  for (unsigned count = 0;; ++count) {
    if (nh != kProtoHopByHop && nh != kProtoRouting && nh != kProtoDstOpts && nh != kProtoFragment &&
        nh != kProtoAh)
      break;
    if (count == kMaxIpv6ExtHeaders || off + kIpv6ExtMinLen > cap)
      return fail(out, DecodeError::kBadIpv6ExtHeader);
    const uint8_t* h = p + off;
    if (nh == kProtoFragment) {
      const uint16_t fo = rd16(h + 2);
      const uint16_t frag_offset = uint16_t(fo >> 3);
      nh = h[0];
      off += kIpv6FragHeaderLen;
      // Offset 0 without M is an atomic fragment (RFC 6946): a whole packet.
      if (frag_offset != 0 || (fo & kIpv6FragMore) != 0) {
        out.frag_id = rd32(h + 4);
        out.fragment = frag_offset != 0 ? Fragment::kLater : Fragment::kFirst;
      }
      if (out.fragment == Fragment::kLater) {
        ip.l4_proto = nh;
        return portless_flow(Span{p + off, total - off, cap - off}, out);
      }
      continue;
    }
    const uint32_t hl = nh == kProtoAh ? (uint32_t(h[1]) + 2) * 4 : (uint32_t(h[1]) + 1) * 8;
    if (off + hl > cap) return fail(out, DecodeError::kBadIpv6ExtHeader);
    nh = h[0];
    off += hl;
  }
  ip.l4_proto = nh;
  return decode_l4(nh, Span{p + off, total - off, cap - off}, out);
}

}  // namespace spanwatch::lib::decode_detail
