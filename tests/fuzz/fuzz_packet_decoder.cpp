// Fuzz target: decode_packet over every link type, layer and tunnel. Input: 1 byte choosing the link type
// (its top bit: checksums verified), then the frame. Checks what the pipeline relies on: every pointer the
// decoder returns (payload, inner IP header) lies inside the frame, and the counts stay within their arrays.
#include <cstdint>

#include "lib/decode/packet_decoder.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;
using spanwatch::fuzz::inside;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const lib::LinkType link = spanwatch::fuzz::kLinkTypes[(data[0] & 0x7f) % spanwatch::fuzz::kLinkTypeCount];
  const uint8_t* frame = data + 1;
  const uint32_t len = static_cast<uint32_t>(size - 1);
  lib::DecodedPacket pkt;
  pkt.frame_len = len;
  const bool verify = (data[0] & 0x80) != 0;
  const lib::PacketClass cls = lib::decode_packet(frame, len, link, pkt, verify);
  FUZZ_CHECK(cls == pkt.cls);
  FUZZ_CHECK(!pkt.bad_checksum ||
             (verify && cls == lib::PacketClass::kFlow && pkt.error >= lib::DecodeError::kBadTcpChecksum &&
              pkt.error <= lib::DecodeError::kBadIcmpChecksum));
  FUZZ_CHECK(pkt.frame_len == len);
  if (cls == lib::PacketClass::kError) {
    FUZZ_CHECK(pkt.error != lib::DecodeError::kNone && pkt.error < lib::DecodeError::kCount);
    return 0;
  }
  FUZZ_CHECK(pkt.non_flow < lib::NonFlowKind::kCount);
  FUZZ_CHECK(pkt.tunnel < lib::TunnelType::kCount);
  FUZZ_CHECK(pkt.carrier_count <= pkt.carriers.size());
  FUZZ_CHECK(pkt.tunnel_depth <= lib::kMaxTunnelDepth);
  if (cls != lib::PacketClass::kFlow) return 0;
  FUZZ_CHECK(pkt.payload_captured <= pkt.payload_len);
  FUZZ_CHECK(inside(pkt.payload, pkt.payload_captured, frame, len));
  FUZZ_CHECK(inside(pkt.l3, pkt.l3_captured, frame, len));
  FUZZ_CHECK(pkt.inner.ip_version == 4 || pkt.inner.ip_version == 6);
  // Touch every payload byte the flow stage would hand to the L7 parsers.
  unsigned sum = 0;
  for (uint32_t i = 0; i < pkt.payload_captured; ++i) sum += pkt.payload[i];
  for (uint32_t i = 0; i < pkt.l3_captured; ++i) sum += pkt.l3[i];
  spanwatch::fuzz::sink(sum);
  return 0;
}
