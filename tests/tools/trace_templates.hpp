// Handshake templates for the trace generator: real flows read from pcaps with libpcap, cut to their
// handshake, classified as TLS/QUIC/HTTP/DNS/SSH, kept as L4 bytes so any flow can replay them re-addressed.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spanwatch::tools {

enum class AppClass : uint8_t { kTls, kQuic, kHttp, kDns, kSsh, kCount };
inline constexpr size_t kAppClasses = size_t(AppClass::kCount);
inline constexpr std::array<std::string_view, kAppClasses> kAppClassNames{"tls", "quic", "http", "dns",
                                                                          "ssh"};

inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08, kTcpAck = 0x10;

// Direction of a packet inside a flow; arrays of per-direction values are indexed by it.
enum Dir : uint8_t { kClient = 0, kServer = 1 };

// One packet of a template: its L4 header and payload as captured (ports, seq/ack and checksum are
// rewritten per generated flow).
struct TemplatePacket {
  uint32_t offset = 0;  // into TemplateSet::bytes
  uint16_t l4_len = 0;  // L4 header + payload
  uint16_t l4_hdr_len = 0;
  uint8_t dir = kClient;
  uint8_t tcp_flags = 0;
  uint32_t seq = 0, ack = 0;  // template numbering (TCP)
  // One's complement sum (not folded) of the L4 bytes with the fields a flow rewrites set to zero:
  // ports, checksum, TCP seq/ack, DNS transaction id. A flow adds its own values and the pseudo-header.
  uint64_t base_sum = 0;
};

struct FlowTemplate {
  AppClass app = AppClass::kTls;
  uint8_t l4proto = kProtoTcp;
  uint16_t server_port = 0;
  uint32_t first = 0, count = 0;  // packets [first, first + count) in TemplateSet::packets
  uint32_t isn[2] = {0, 0};       // TCP: SYN and SYN-ACK sequence numbers
  uint32_t end_seq[2] = {0, 0};   // TCP: next sequence number of each side after the template
  uint8_t cid_len[2] = {0, 0};    // QUIC: connection id that packets sent by [dir] carry (short header)
  uint8_t cid[2][20] = {};
  std::string origin;  // "file.pcap flow N", for messages
};

// What loading saw; skipped packets and flows are counted by reason, never silently lost.
struct TemplateStats {
  uint64_t files = 0, packets = 0, flows_seen = 0;
  uint64_t skipped_link = 0, skipped_not_ip = 0, skipped_truncated = 0, skipped_fragment = 0;
  uint64_t skipped_l4 = 0;  // not TCP/UDP, or IPv6 extension headers
  uint64_t flows_no_handshake = 0, flows_unknown_app = 0, flows_incomplete = 0, flows_too_large = 0;
  std::array<uint64_t, kAppClasses> kept{};
};

class TemplateSet {
 public:
  // Reads one capture (pcap or pcapng, any link type listed in trace_templates.cpp) and adds every
  // usable flow. Throws std::invalid_argument when the file cannot be read as a capture.
  void load(const std::string& path);

  std::vector<uint8_t> bytes;
  std::vector<TemplatePacket> packets;
  std::vector<FlowTemplate> flows;
  std::array<std::vector<uint32_t>, kAppClasses> by_class;  // flow indices per class
  TemplateStats stats;
  // At most this many packets per template (0: the per-class defaults, 12 TCP / 16 TLS / 4 DNS / 8 QUIC).
  // Shorter handshakes open many flows with fewer packets; flows whose classifying payload is cut are
  // skipped.
  size_t max_packets = 0;
  size_t limit(size_t class_default) const {
    return max_packets ? std::min(max_packets, class_default) : class_default;
  }

  // Frames are at most this many bytes (Ethernet + IPv4 + L4): TCP payloads above it are resegmented
  // (loopback captures hold 64 KB segments), UDP flows above it are skipped.
  static constexpr uint32_t kMaxFrame = 1514;
  static constexpr uint32_t kMaxL4 = kMaxFrame - 14 - 20;
};

// Big-endian stores into packet bytes, shared with the generator.
inline void wr16(uint8_t* p, uint32_t v) noexcept {
  p[0] = uint8_t(v >> 8), p[1] = uint8_t(v);
}
inline void wr32(uint8_t* p, uint32_t v) noexcept {
  p[0] = uint8_t(v >> 24), p[1] = uint8_t(v >> 16), p[2] = uint8_t(v >> 8), p[3] = uint8_t(v);
}

// Checksum helpers shared with the generator (RFC 1071 one's complement sums over big-endian words).
inline uint64_t sum_be16(const uint8_t* p, size_t n) noexcept {
  uint64_t s = 0;
  size_t i = 0;
  for (; i + 1 < n; i += 2) s += (uint32_t(p[i]) << 8) | p[i + 1];
  if (i < n) s += uint32_t(p[i]) << 8;
  return s;
}
inline uint16_t fold16(uint64_t s) noexcept {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}

}  // namespace spanwatch::tools
