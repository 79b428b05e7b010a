#include "lib/decode/checksum.hpp"

#include "lib/core/big_endian.hpp"
#include "lib/core/ip_proto.hpp"

namespace spanwatch::lib {
namespace {

// The ones' complement sum of `n` bytes added to `acc`, folded to 16 bits at the end by fold(). Four bytes
// a step: a 32-bit big-endian word folds to the sum of its two 16-bit words (2^16 = 1 modulo 0xffff).
uint64_t add_bytes(const uint8_t* p, uint32_t n, uint64_t acc) noexcept {
  for (; n >= 4; p += 4, n -= 4) acc += be32(p);
  for (; n >= 2; p += 2, n -= 2) acc += uint32_t(p[0]) << 8 | p[1];
  if (n != 0) acc += uint32_t(p[0]) << 8;
  return acc;
}

uint16_t fold(uint64_t acc) noexcept {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

constexpr uint32_t kUdpChecksumOffset = 6;

}  // namespace

bool ipv4_header_checksum_ok(const uint8_t* h, uint32_t header_len) noexcept {
  return fold(add_bytes(h, header_len, 0)) == 0xffff;
}

bool l4_checksum_ok(const uint8_t* ip, uint8_t proto, const uint8_t* l4, uint32_t len) noexcept {
  const bool v4 = (ip[0] >> 4) == 4;
  if (proto == kProtoIcmp) return fold(add_bytes(l4, len, 0)) == 0xffff;
  if (proto == kProtoUdp && v4 && len >= kUdpChecksumOffset + 2 && l4[kUdpChecksumOffset] == 0 &&
      l4[kUdpChecksumOffset + 1] == 0)
    return true;
  // Pseudo-header: the addresses, the protocol and the segment length.
  uint64_t acc = v4 ? add_bytes(ip + 12, 8, 0) : add_bytes(ip + 8, 32, 0);
  acc += proto;
  acc += len;
  return fold(add_bytes(l4, len, acc)) == 0xffff;
}

}  // namespace spanwatch::lib
