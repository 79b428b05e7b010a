// Community ID v1 (network.community_id): flow hash shared with Zeek/Suricata/ECS, with a configurable seed.
#pragma once
#include <cstddef>
#include <cstdint>

#include "lib/core/ip_address.hpp"

namespace spanwatch::lib {

// One flow tuple as seen on the wire. For ICMP/ICMPv6 src_port carries the type and dst_port the code; the
// spec's request/reply mapping is applied inside community_id_v1(). Protocols other than TCP/UDP/SCTP/ICMP/
// ICMPv6 hash no ports, so their port fields are ignored.
struct CommunityIdInput {
  IpAddress src, dst;
  uint8_t proto = 0;
  uint16_t src_port = 0;  // ICMP: type
  uint16_t dst_port = 0;  // ICMP: code
};

// "1:" + 28 base64 chars, or "1:" + 40 hex chars, plus NUL; room to spare.
inline constexpr size_t kCommunityIdMaxLen = 64;

// Writes the NUL-terminated id into `out` (kCommunityIdMaxLen bytes) and returns its length. base64=false
// gives lowercase hex (the reference `--no-base64` form). Endpoints of different address families cannot be
// hashed: out becomes "" and 0 is returned (the spec allows an empty id when it cannot be computed).
size_t community_id_v1(const CommunityIdInput& in, uint16_t seed, bool base64, char* out) noexcept;

}  // namespace spanwatch::lib
