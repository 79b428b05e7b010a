// Decodes one frame, from the link layer through VLAN/MPLS/PPPoE, IPv4/IPv6 (options, extension headers,
// fragments) and tunnels (GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP-in-IP, Teredo, AYIYA) down to TCP, UDP,
// ICMP, ICMPv6 or SCTP. Never reads past `len`; every malformed frame yields a DecodeError.
#pragma once
#include <cstdint>

#include "lib/decode/decoded_packet.hpp"

namespace spanwatch::lib {

// `out` is fully overwritten. Returns out.cls. noexcept, no allocation: safe on the fast path.
// verify_checksums: check IPv4 header and TCP/UDP/ICMP checksums as Zeek does without -C (lib/decode/
// checksum.hpp); false costs a predictable branch per IP and transport layer.
PacketClass decode_packet(const uint8_t* data, uint32_t len, LinkType link, DecodedPacket& out,
                          bool verify_checksums = false) noexcept;

}  // namespace spanwatch::lib
