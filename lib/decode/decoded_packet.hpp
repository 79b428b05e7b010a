// The result of decoding one frame: where the flow's 5-tuple, counters and payload are, plus the outer
// layers (MACs, VLANs, tunnel) that are recorded on the flow. A fixed-size POD; pointers point into the
// frame.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "lib/core/ip_address.hpp"

namespace spanwatch::lib {

// Link-layer header type of a port, as pcap DLT numbers (a NIC port is always kEthernet).
enum class LinkType : uint16_t {
  kNull = 0,  // BSD loopback: 4-byte host-order address family
  kEthernet = 1,
  kPpp = 9,          // PPP: optional FF 03 address/control, then the PPP protocol (pcaps of PPP links)
  kRawDlt = 12,      // DLT_RAW: what pcap_datalink() returns for LINKTYPE_RAW (101) on Linux; same as kRaw
  kRaw = 101,        // raw IPv4/IPv6, version from the first nibble
  kLoop = 108,       // OpenBSD loopback: 4-byte network-order address family
  kIeee80211 = 105,  // 802.11 frames (monitor mode): data frames with LLC/SNAP carry the flows
  kLinuxSll = 113,
  kRadiotap = 127,  // radiotap header, then 802.11
  kIpv4 = 228,
  kIpv6 = 229,
  kLinuxSll2 = 276,
};

// What a frame turned out to be. kFlow packets update a flow; the others are only counted.
enum class PacketClass : uint8_t { kFlow, kNonFlow, kError };

// Frames that are well-formed but carry no IP flow (ARP, LLDP, STP, ...). One counter each.
enum class NonFlowKind : uint8_t {
  kNone = 0,
  kArp,
  kOtherEthertype,  // LLDP, STP (802.3 length field), LACP, EAPOL, IPX, ...
  kOtherLinkType,   // a link type we do not decode
  kWlanNonData,     // 802.11 management, control, null-data or encrypted frames
  kCount
};
inline constexpr std::array<std::string_view, size_t(NonFlowKind::kCount)> kNonFlowKindNames{
    "none", "arp", "other_ethertype", "other_link_type", "wlan_non_data"};

// Why a frame could not be decoded. Every value has a counter; names appear unchanged in stats.
enum class DecodeError : uint8_t {
  kNone = 0,
  kTruncatedLink,  // shorter than the link header (Ethernet, SLL, null)
  kTruncatedVlan,
  kTruncatedMpls,
  kTruncatedPppoe,
  kTruncatedIpv4,
  kBadIpv4Header,  // version != 4, IHL < 5, IHL past the end
  kBadIpv4Length,  // total length < IHL*4
  kTruncatedIpv6,
  kBadIpv6ExtHeader,  // extension header chain runs past the end or is too long
  kBadIpVersion,      // raw/tunnel payload whose first nibble is neither 4 nor 6
  kTruncatedTcp,
  kBadTcpHeader,  // data offset < 5 or past the end
  kTruncatedUdp,
  kTruncatedIcmp,
  kTruncatedSctp,
  kBadTunnel,      // a tunnel header that is truncated or inconsistent
  kTunnelTooDeep,  // more nested encapsulations than kMaxTunnelDepth
  // flows.verify_checksums only. A bad IPv4 header checksum drops the packet; a bad TCP, UDP or ICMP
  // checksum is counted here and the packet still reaches its flow, uncounted (DecodedPacket::bad_checksum).
  kBadIpv4Checksum,
  kBadTcpChecksum,
  kBadUdpChecksum,
  kBadIcmpChecksum,
  kCount
};
inline constexpr std::array<std::string_view, size_t(DecodeError::kCount)> kDecodeErrorNames{
    "none",
    "truncated_link",
    "truncated_vlan",
    "truncated_mpls",
    "truncated_pppoe",
    "truncated_ipv4",
    "bad_ipv4_header",
    "bad_ipv4_length",
    "truncated_ipv6",
    "bad_ipv6_ext_header",
    "bad_ip_version",
    "truncated_tcp",
    "bad_tcp_header",
    "truncated_udp",
    "truncated_icmp",
    "truncated_sctp",
    "bad_tunnel",
    "tunnel_too_deep",
    "bad_ipv4_checksum",
    "bad_tcp_checksum",
    "bad_udp_checksum",
    "bad_icmp_checksum"};

enum class TunnelType : uint8_t {
  kNone = 0,
  kGre,
  kErspan,
  kVxlan,
  kGeneve,
  kGtpU,
  kIpInIp,
  kTeredo,
  kAyiya,
  kCount
};
inline constexpr std::array<std::string_view, size_t(TunnelType::kCount)> kTunnelTypeNames{
    "none", "gre", "erspan", "vxlan", "geneve", "gtp-u", "ip-in-ip", "teredo", "ayiya"};

inline constexpr unsigned kMaxTunnelDepth = 4;
inline constexpr unsigned kMaxVlans = 2;  // outer and inner tag are recorded; deeper tags are skipped

enum class Fragment : uint8_t { kNone = 0, kFirst, kLater };

// One IP layer's addresses and transport ports (the flow's, or the outermost tunnel's).
struct IpEndpoints {
  IpAddress src, dst;
  uint16_t src_port = 0, dst_port = 0;  // host order; ICMP: see DecodedPacket
  uint8_t l4_proto = 0;                 // IANA protocol number
  uint8_t ip_version = 0;               // 4 or 6
  uint32_t ip_bytes = 0;                // IPv4 total length / IPv6 40 + payload length, as the header says
};

struct DecodedPacket {
  PacketClass cls = PacketClass::kError;
  DecodeError error = DecodeError::kNone;
  NonFlowKind non_flow = NonFlowKind::kNone;
  // Checksums were verified (decode_packet's verify_checksums) and the flow's TCP, UDP or ICMP checksum is
  // wrong: the packet makes or keeps its flow but is not counted (Zeek: history letter C/c). `error` says
  // which transport. A UDP tunnel with a bad checksum is not entered: the packet is the carrier's.
  bool bad_checksum = false;
  bool verify_checksums = false;  // decode_packet's argument, for the layers below it

  // Link layer of the outermost frame.
  bool has_mac = false;
  std::array<uint8_t, 6> src_mac{}, dst_mac{};
  uint8_t vlan_count = 0;  // tags seen (may exceed kMaxVlans; only the first two kept)
  std::array<uint16_t, kMaxVlans> vlan_ids{};
  uint32_t frame_len = 0;  // bytes as received (caller fills it; decode() keeps it)

  // The flow: innermost IP layer. For ICMP/ICMPv6 src_port = type, dst_port = code.
  IpEndpoints inner;
  uint8_t icmp_type = 0, icmp_code = 0;

  // Fragmentation of the inner IP packet. Later fragments carry no L4 header: ports are 0.
  Fragment fragment = Fragment::kNone;
  uint32_t frag_id = 0;  // IPv4 identification or IPv6 fragment id

  // TCP (valid when inner.l4_proto == 6).
  uint8_t tcp_flags = 0;  // FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80
  uint32_t tcp_seq = 0, tcp_ack = 0;
  uint16_t tcp_window = 0;

  // Payload after the L4 header: length as the IP header says, and what is actually captured.
  uint32_t payload_len = 0;
  uint32_t payload_captured = 0;
  const uint8_t* payload = nullptr;

  // Inner IP header (for DPI: nDPI takes the IP packet) and its captured length.
  const uint8_t* l3 = nullptr;
  uint32_t l3_captured = 0;

  // Tunnels. tunnel_depth counts encapsulations; outer is the outermost IP layer when depth > 0, and
  // outer_is_udp says whether the outermost encapsulation is a UDP tunnel.
  TunnelType tunnel = TunnelType::kNone;  // outermost encapsulation
  uint8_t tunnel_depth = 0;
  IpEndpoints outer;
  bool outer_is_udp = false;
  // Every UDP tunnel layer (VXLAN, Geneve, GTP-U, Teredo, AYIYA), outermost first: each is a UDP flow
  // of its own, as Zeek and tshark report it, besides the inner flow. Entries past carrier_count are
  // left as they were (decode_packet() does not clear them: a packet's fast path).
  uint8_t carrier_count = 0;
  std::array<IpEndpoints, kMaxTunnelDepth> carriers{};
};

}  // namespace spanwatch::lib
