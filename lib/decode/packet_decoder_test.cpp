// Tests for decode_packet(): every link type, encapsulation and tunnel built byte by byte, hostile
// inputs (all prefixes, lying lengths, deep nesting, fuzz) and the real pcap corpus when present.
#include "lib/decode/packet_decoder.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/decode/checksum.hpp"

namespace spanwatch::lib {

// Readable gtest failure messages for the enums.
void PrintTo(PacketClass c, std::ostream* os) {
  static constexpr const char* kNames[] = {"flow", "non_flow", "error"};
  *os << kNames[size_t(c)];
}
void PrintTo(DecodeError e, std::ostream* os) {
  *os << kDecodeErrorNames[size_t(e)];
}
void PrintTo(NonFlowKind k, std::ostream* os) {
  *os << kNonFlowKindNames[size_t(k)];
}
void PrintTo(TunnelType t, std::ostream* os) {
  *os << kTunnelTypeNames[size_t(t)];
}
void PrintTo(Fragment f, std::ostream* os) {
  static constexpr const char* kNames[] = {"none", "first", "later"};
  *os << kNames[size_t(f)];
}

namespace {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------------
// Packet builders. Each returns a header followed by the given payload, lengths filled in.

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
void put16(Bytes& b, uint16_t v) {
  const uint8_t two[2] = {uint8_t(v >> 8), uint8_t(v)};
  b.insert(b.end(), two, two + 2);
}
void put32(Bytes& b, uint32_t v) {
  put16(b, uint16_t(v >> 16));
  put16(b, uint16_t(v));
}
void set16(Bytes& b, size_t off, uint16_t v) {
  // at(): GCC 12 -O2 mis-sizes freshly copied vectors with operator[] (false -Wstringop-overflow).
  b.at(off) = uint8_t(v >> 8);
  b.at(off + 1) = uint8_t(v);
}
Bytes filler(size_t n, uint8_t start = 0xa0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(start + i);
  return b;
}

constexpr std::array<uint8_t, 6> kDstMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
constexpr std::array<uint8_t, 6> kSrcMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

Bytes eth_hdr(uint16_t type, std::array<uint8_t, 6> dst = kDstMac, std::array<uint8_t, 6> src = kSrcMac) {
  Bytes b(dst.begin(), dst.end());
  b.insert(b.end(), src.begin(), src.end());
  put16(b, type);
  return b;
}
Bytes eth(uint16_t type, const Bytes& payload) {
  return cat({eth_hdr(type), payload});
}
// A VLAN tag as it follows the previous type field: TCI, then the next type.
Bytes vlan(uint16_t tci, uint16_t next_type) {
  Bytes b;
  put16(b, tci);
  put16(b, next_type);
  return b;
}
Bytes mpls(uint32_t label, bool bottom, uint8_t ttl = 64) {
  Bytes b;
  put32(b, (label << 12) | (bottom ? 0x100u : 0u) | ttl);
  return b;
}

using V4 = std::array<uint8_t, 4>;
using V6 = std::array<uint8_t, 16>;
constexpr V4 kA4{10, 0, 0, 1};
constexpr V4 kB4{10, 0, 0, 2};
constexpr V4 kC4{192, 168, 1, 1};
constexpr V4 kD4{192, 168, 1, 2};
V6 v6(uint8_t last, uint8_t prefix = 0x20) {
  V6 a{};
  a[0] = prefix;
  a[1] = 0x01;
  a[2] = 0x0d;
  a[3] = 0xb8;
  a[15] = last;
  return a;
}
IpAddress ip(const V4& a) {
  return IpAddress::from_v4(a.data());
}
IpAddress ip(const V6& a) {
  return IpAddress::from_v6(a.data());
}

struct V4Opts {
  uint8_t ihl = 5;
  uint16_t id = 0x1234;
  uint16_t frag = 0;  // flags (MF = 0x2000) | offset in 8-byte units
  int total = -1;     // override the total length field
  uint8_t version = 4;
};
Bytes ipv4(uint8_t proto, const Bytes& payload, V4 src = kA4, V4 dst = kB4, V4Opts o = {}) {
  Bytes b;
  b.push_back(uint8_t((o.version << 4) | (o.ihl & 0x0f)));
  b.push_back(0);
  const size_t hl = size_t(o.ihl) * 4;
  const size_t opt_len = hl > 20 ? hl - 20 : 0;
  put16(b, o.total >= 0 ? uint16_t(o.total) : uint16_t(20 + opt_len + payload.size()));
  put16(b, o.id);
  put16(b, o.frag);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);  // checksum is not checked
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  for (size_t i = 0; i < opt_len; ++i) b.push_back(i + 1 == opt_len ? 0x00 : 0x01);  // NOPs, EOL
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
Bytes ipv6(uint8_t nh, const Bytes& payload, V6 src = v6(1), V6 dst = v6(2), int plen = -1) {
  Bytes b{0x60, 0x00, 0x00, 0x00};
  put16(b, plen >= 0 ? uint16_t(plen) : uint16_t(payload.size()));
  b.push_back(nh);
  b.push_back(64);
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
// Hop-by-hop / routing / destination options: (units + 1) * 8 bytes, PadN inside.
Bytes ext_hdr(uint8_t nh, uint8_t units, const Bytes& payload) {
  Bytes b{nh, units, 0x01, uint8_t((units + 1) * 8 - 4)};
  b.resize(size_t(units + 1) * 8, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
Bytes frag6_hdr(uint8_t nh, uint16_t offset_units, bool more, uint32_t id, const Bytes& payload) {
  Bytes b{nh, 0};
  put16(b, uint16_t((offset_units << 3) | (more ? 1 : 0)));
  put32(b, id);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
Bytes ah_hdr(uint8_t nh, uint8_t len_field, const Bytes& payload) {
  Bytes b{nh, len_field, 0, 0};
  b.resize(size_t(len_field + 2) * 4, 0x5a);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes tcp(uint16_t sp, uint16_t dp, uint8_t flags, const Bytes& payload = {}, uint8_t doff = 5,
          uint32_t seq = 1000, uint32_t ack = 2000, uint16_t win = 29200) {
  Bytes b;
  put16(b, sp);
  put16(b, dp);
  put32(b, seq);
  put32(b, ack);
  b.push_back(uint8_t(doff << 4));
  b.push_back(flags);
  put16(b, win);
  put16(b, 0);
  put16(b, 0);
  if (doff > 5) b.resize(size_t(doff) * 4, 0x01);  // NOP options
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
Bytes udp(uint16_t sp, uint16_t dp, const Bytes& payload = {}) {
  Bytes b;
  put16(b, sp);
  put16(b, dp);
  put16(b, uint16_t(8 + payload.size()));
  put16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
Bytes icmp(uint8_t type, uint8_t code, const Bytes& payload = {}) {
  Bytes b{type, code, 0, 0, 0x12, 0x34, 0x00, 0x01};
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
Bytes sctp(uint16_t sp, uint16_t dp, const Bytes& payload = {}) {
  Bytes b;
  put16(b, sp);
  put16(b, dp);
  put32(b, 0xdeadbeef);  // verification tag
  put32(b, 0);           // checksum
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// GRE version 0 with the optional fields the flags ask for.
constexpr uint16_t kGreC = 0x8000, kGreK = 0x2000, kGreS = 0x1000;
Bytes gre(uint16_t proto, const Bytes& payload, uint16_t flags = 0) {
  Bytes b;
  put16(b, flags);
  put16(b, proto);
  if (flags & kGreC) put32(b, 0);
  if (flags & kGreK) put32(b, 0x0000abcd);
  if (flags & kGreS) put32(b, 7);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
// PPTP enhanced GRE (version 1) carrying a PPP frame.
Bytes pptp_gre(const Bytes& ppp, bool seq = true, bool ack = false) {
  Bytes b;
  put16(b, uint16_t(0x2001 | (seq ? 0x1000 : 0) | (ack ? 0x0080 : 0)));
  put16(b, 0x880b);
  put16(b, uint16_t(ppp.size()));
  put16(b, 0x4242);  // call id
  if (seq) put32(b, 1);
  if (ack) put32(b, 0);
  b.insert(b.end(), ppp.begin(), ppp.end());
  return b;
}
Bytes vxlan(const Bytes& frame, uint8_t flags = 0x08) {
  Bytes b{flags, 0, 0, 0, 0x00, 0x10, 0x01, 0};
  b.insert(b.end(), frame.begin(), frame.end());
  return b;
}
Bytes geneve(uint16_t proto, const Bytes& payload, uint8_t opt_words = 0) {
  Bytes b{uint8_t(opt_words & 0x3f), 0};
  put16(b, proto);
  put32(b, 0x00123400);
  for (size_t i = 0; i < size_t(opt_words) * 4; ++i) b.push_back(uint8_t(0xc0 + i));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}
// GTP-U: flags 0x30 = version 1, PT 1. ext: extension headers as raw bytes (already 4-byte units).
Bytes gtpu(const Bytes& payload, uint8_t flags = 0x30, uint8_t msg = 0xff, const Bytes& opt_and_ext = {}) {
  Bytes b{flags, msg};
  put16(b, uint16_t(opt_and_ext.size() + payload.size()));
  put32(b, 0x11223344);
  b.insert(b.end(), opt_and_ext.begin(), opt_and_ext.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// AYIYA: identity 2^id_log2 bytes, signature sig_words*4 bytes; opcode 1 = forward.
Bytes ayiya(uint8_t next, const Bytes& payload, uint8_t id_log2 = 4, uint8_t sig_words = 5,
            uint8_t opcode = 1) {
  Bytes b{uint8_t((id_log2 << 4) | 1), uint8_t((sig_words << 4) | 2), uint8_t(0x10 | opcode), next};
  put32(b, 0x5f000000);
  b.resize(b.size() + (size_t(1) << id_log2) + size_t(sig_words) * 4, 0x77);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// The standard inner flow used by the tunnel tests.
Bytes inner_tcp4() {
  return ipv4(6, tcp(40000, 443, 0x18, filler(20)), kC4, kD4);
}
Bytes outer_udp4(uint16_t sp, uint16_t dp, const Bytes& payload) {
  return eth(0x0800, ipv4(17, udp(sp, dp, payload)));
}

// ---------------------------------------------------------------------------------------------------
// Decoding with invariant checks that hold for every result.

void check_invariants(const DecodedPacket& d, const uint8_t* data, uint32_t len) {
  ASSERT_EQ(d.frame_len, len);
  ASSERT_EQ(d.cls == PacketClass::kError, d.error != DecodeError::kNone);
  ASSERT_EQ(d.cls == PacketClass::kNonFlow, d.non_flow != NonFlowKind::kNone);
  ASSERT_LE(d.tunnel_depth, kMaxTunnelDepth);
  ASSERT_LE(d.payload_captured, d.payload_len);
  if (d.payload != nullptr) {
    ASSERT_GE(d.payload, data);
    ASSERT_LE(d.payload + d.payload_captured, data + len);
  } else {
    ASSERT_EQ(d.payload_captured, 0u);
  }
  if (d.l3 != nullptr) {
    ASSERT_GE(d.l3, data);
    ASSERT_LE(d.l3 + d.l3_captured, data + len);
  }
  if (d.cls == PacketClass::kFlow) {
    ASSERT_TRUE(d.inner.ip_version == 4 || d.inner.ip_version == 6);
    ASSERT_NE(d.l3, nullptr);
    if (d.fragment == Fragment::kLater) {
      ASSERT_EQ(d.inner.src_port, 0);
      ASSERT_EQ(d.inner.dst_port, 0);
    }
    if (d.tunnel_depth > 0) {
      ASSERT_NE(d.tunnel, TunnelType::kNone);
    }
  }
}

// The decode result plus the first payload byte, read while the buffer was alive (tests often decode
// temporaries, so the payload pointer may dangle by the time it is checked; never dereference it).
struct Decoded : DecodedPacket {
  int payload0 = -1;
};

// Decodes from an exactly sized heap copy so that ASan catches any read past the end.
Decoded dec(const Bytes& b, LinkType link = LinkType::kEthernet) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[b.size() + (b.empty() ? 1 : 0)]);
  if (!b.empty()) std::memcpy(copy.get(), b.data(), b.size());
  Decoded d;
  d.cls = PacketClass::kNonFlow;  // decode must overwrite everything
  d.tunnel_depth = 9;
  const PacketClass c = decode_packet(copy.get(), uint32_t(b.size()), link, d);
  EXPECT_EQ(c, d.cls);
  check_invariants(d, copy.get(), uint32_t(b.size()));
  if (d.payload != nullptr && d.payload_captured > 0) d.payload0 = *d.payload;
  // Make the pointers refer to the caller's buffer so tests can compare offsets.
  auto rebase = [&](const uint8_t* p) { return p == nullptr ? nullptr : b.data() + (p - copy.get()); };
  d.payload = rebase(d.payload);
  d.l3 = rebase(d.l3);
  return d;
}

#define EXPECT_FLOW(d) \
  EXPECT_EQ((d).cls, PacketClass::kFlow) << "error " << kDecodeErrorNames[size_t((d).error)]
#define EXPECT_ERROR(d, e)                   \
  do {                                       \
    EXPECT_EQ((d).cls, PacketClass::kError); \
    EXPECT_EQ((d).error, DecodeError::e);    \
  } while (0)
#define EXPECT_NON_FLOW(d, k)                  \
  do {                                         \
    EXPECT_EQ((d).cls, PacketClass::kNonFlow); \
    EXPECT_EQ((d).non_flow, NonFlowKind::k);   \
  } while (0)

void expect_inner_tcp4(const Decoded& d) {
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.ip_version, 4);
  EXPECT_EQ(d.inner.src, ip(kC4));
  EXPECT_EQ(d.inner.dst, ip(kD4));
  EXPECT_EQ(d.inner.l4_proto, 6);
  EXPECT_EQ(d.inner.src_port, 40000);
  EXPECT_EQ(d.inner.dst_port, 443);
  EXPECT_EQ(d.inner.ip_bytes, 60u);
  EXPECT_EQ(d.tcp_flags, 0x18);
  EXPECT_EQ(d.payload_len, 20u);
  EXPECT_EQ(d.payload_captured, 20u);
  EXPECT_NE(d.payload, nullptr);
  EXPECT_EQ(d.payload0, 0xa0);
}

void expect_outer_udp4(const DecodedPacket& d, uint16_t sp, uint16_t dp) {
  EXPECT_TRUE(d.outer_is_udp);
  EXPECT_EQ(d.outer.ip_version, 4);
  EXPECT_EQ(d.outer.src, ip(kA4));
  EXPECT_EQ(d.outer.dst, ip(kB4));
  EXPECT_EQ(d.outer.l4_proto, 17);
  EXPECT_EQ(d.outer.src_port, sp);
  EXPECT_EQ(d.outer.dst_port, dp);
}

// ===================================================================================================
// Link layer

TEST(DecodeName, TablesMatchEnums) {
  EXPECT_EQ(kDecodeErrorNames.size(), size_t(DecodeError::kCount));
  EXPECT_EQ(kNonFlowKindNames.size(), size_t(NonFlowKind::kCount));
  EXPECT_EQ(kTunnelTypeNames.size(), size_t(TunnelType::kCount));
  for (auto n : kDecodeErrorNames) EXPECT_FALSE(n.empty());
  EXPECT_EQ(kDecodeErrorNames[size_t(DecodeError::kTunnelTooDeep)], "tunnel_too_deep");
}

TEST(DecodeLink, EthernetIpv4Tcp) {
  const Bytes ip_pkt = ipv4(6, tcp(1234, 80, 0x02, filler(10), 5, 0x01020304, 0x05060708, 1024));
  const Bytes f = eth(0x0800, ip_pkt);
  const Decoded d = dec(f);
  EXPECT_FLOW(d);
  EXPECT_TRUE(d.has_mac);
  EXPECT_EQ(d.dst_mac, kDstMac);
  EXPECT_EQ(d.src_mac, kSrcMac);
  EXPECT_EQ(d.vlan_count, 0);
  EXPECT_EQ(d.frame_len, f.size());
  EXPECT_EQ(d.inner.ip_version, 4);
  EXPECT_EQ(d.inner.src, ip(kA4));
  EXPECT_EQ(d.inner.dst, ip(kB4));
  EXPECT_EQ(d.inner.l4_proto, 6);
  EXPECT_EQ(d.inner.src_port, 1234);
  EXPECT_EQ(d.inner.dst_port, 80);
  EXPECT_EQ(d.inner.ip_bytes, 50u);
  EXPECT_EQ(d.tcp_flags, 0x02);
  EXPECT_EQ(d.tcp_seq, 0x01020304u);
  EXPECT_EQ(d.tcp_ack, 0x05060708u);
  EXPECT_EQ(d.tcp_window, 1024);
  EXPECT_EQ(d.payload_len, 10u);
  EXPECT_EQ(d.payload_captured, 10u);
  EXPECT_EQ(d.payload, f.data() + 14 + 20 + 20);
  EXPECT_EQ(d.l3, f.data() + 14);
  EXPECT_EQ(d.l3_captured, 50u);
  EXPECT_EQ(d.fragment, Fragment::kNone);
  EXPECT_EQ(d.tunnel, TunnelType::kNone);
  EXPECT_EQ(d.tunnel_depth, 0);
  EXPECT_FALSE(d.outer_is_udp);
}

TEST(DecodeLink, EthernetIpv6Udp) {
  const Decoded d = dec(eth(0x86dd, ipv6(17, udp(5353, 53, filler(7)))));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.ip_version, 6);
  EXPECT_EQ(d.inner.src, ip(v6(1)));
  EXPECT_EQ(d.inner.dst, ip(v6(2)));
  EXPECT_EQ(d.inner.l4_proto, 17);
  EXPECT_EQ(d.inner.src_port, 5353);
  EXPECT_EQ(d.inner.dst_port, 53);
  EXPECT_EQ(d.inner.ip_bytes, 55u);
  EXPECT_EQ(d.payload_len, 7u);
  EXPECT_EQ(d.payload_captured, 7u);
}

TEST(DecodeLink, EthernetPaddingIsNotPayload) {
  Bytes f = eth(0x0800, ipv4(17, udp(1, 2, filler(2))));  // 14 + 30 = 44 bytes
  f.resize(60, 0);                                        // minimum frame
  const Decoded d = dec(f);
  EXPECT_FLOW(d);
  EXPECT_EQ(d.payload_len, 2u);
  EXPECT_EQ(d.payload_captured, 2u);
  EXPECT_EQ(d.inner.ip_bytes, 30u);
  EXPECT_EQ(d.l3_captured, 30u);
  EXPECT_EQ(d.frame_len, 60u);
  // Same for a TCP ACK without payload.
  Bytes g = eth(0x0800, ipv4(6, tcp(1, 2, 0x10)));
  g.resize(60, 0xee);
  const Decoded e = dec(g);
  EXPECT_FLOW(e);
  EXPECT_EQ(e.payload_len, 0u);
  EXPECT_EQ(e.payload_captured, 0u);
}

TEST(DecodeLink, NonFlowEthertypes) {
  EXPECT_NON_FLOW(dec(eth(0x0806, filler(28))), kArp);
  EXPECT_NON_FLOW(dec(eth(0x8035, filler(28))), kArp);
  EXPECT_NON_FLOW(dec(eth(0x88cc, filler(40))), kOtherEthertype);  // LLDP
  EXPECT_NON_FLOW(dec(eth(0x0026, filler(46))), kOtherEthertype);  // 802.3 length field (STP)
  EXPECT_NON_FLOW(dec(eth(0x8863, filler(30))), kOtherEthertype);  // PPPoE discovery
  EXPECT_NON_FLOW(dec(eth(0x888e, filler(30))), kOtherEthertype);  // EAPOL
  // MACs are recorded on non-flow frames too.
  const Decoded d = dec(eth(0x0806, filler(28)));
  EXPECT_TRUE(d.has_mac);
  EXPECT_EQ(d.src_mac, kSrcMac);
}

TEST(DecodeLink, TruncatedEthernet) {
  EXPECT_ERROR(dec(Bytes{}), kTruncatedLink);
  EXPECT_ERROR(dec(filler(13)), kTruncatedLink);
  EXPECT_ERROR(dec(eth_hdr(0x0800)), kTruncatedIpv4);
  EXPECT_ERROR(dec(eth_hdr(0x86dd)), kTruncatedIpv6);
}

TEST(DecodeLink, SingleVlan) {
  const Decoded d = dec(eth(0x8100, cat({vlan(0x2064, 0x0800), ipv4(17, udp(1, 2))})));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.vlan_count, 1);
  EXPECT_EQ(d.vlan_ids[0], 100);  // PCP bits stripped
  EXPECT_EQ(d.vlan_ids[1], 0);
}

TEST(DecodeLink, QinQKeepsTwoCountsAll) {
  const Decoded d = dec(eth(0x88a8, cat({vlan(10, 0x8100), vlan(20, 0x0800), ipv4(6, tcp(1, 2, 0x02))})));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.vlan_count, 2);
  EXPECT_EQ(d.vlan_ids[0], 10);
  EXPECT_EQ(d.vlan_ids[1], 20);
  const Decoded e = dec(eth(0x9100, cat({vlan(1, 0x88a8), vlan(2, 0x8100), vlan(3, 0x8100), vlan(4, 0x86dd),
                                         ipv6(17, udp(1, 2))})));
  EXPECT_FLOW(e);
  EXPECT_EQ(e.vlan_count, 4);
  EXPECT_EQ(e.vlan_ids[0], 1);
  EXPECT_EQ(e.vlan_ids[1], 2);
  EXPECT_EQ(e.inner.ip_version, 6);
}

TEST(DecodeLink, VlanTruncatedAndNonFlow) {
  EXPECT_ERROR(dec(eth(0x8100, Bytes{0x00, 0x0a, 0x08})), kTruncatedVlan);
  EXPECT_ERROR(dec(eth(0x8100, cat({vlan(1, 0x8100), Bytes{0x00}}))), kTruncatedVlan);
  const Decoded d = dec(eth(0x8100, cat({vlan(7, 0x0806), filler(28)})));
  EXPECT_NON_FLOW(d, kArp);
  EXPECT_EQ(d.vlan_count, 1);
  EXPECT_EQ(d.vlan_ids[0], 7);
}

TEST(DecodeLink, MplsIpv4AndIpv6) {
  const Decoded d = dec(eth(0x8847, cat({mpls(100, true), ipv4(17, udp(1, 53))})));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.dst_port, 53);
  const Decoded e =
      dec(eth(0x8847, cat({mpls(100, false), mpls(200, false), mpls(300, true), ipv6(6, tcp(5, 6, 0x11))})));
  EXPECT_FLOW(e);
  EXPECT_EQ(e.inner.ip_version, 6);
  EXPECT_EQ(e.tcp_flags, 0x11);
  const Decoded m = dec(eth(0x8848, cat({mpls(5, true), ipv4(1, icmp(8, 0))})));
  EXPECT_FLOW(m);
  EXPECT_EQ(m.icmp_type, 8);
  // MPLS after a VLAN tag.
  const Decoded v = dec(eth(0x8100, cat({vlan(9, 0x8847), mpls(1, true), ipv4(17, udp(1, 2))})));
  EXPECT_FLOW(v);
  EXPECT_EQ(v.vlan_count, 1);
}

TEST(DecodeLink, MplsPseudowireEthernet) {
  const Bytes inner = cat({eth_hdr(0x0800, {0x0a, 0, 0, 0, 0, 1}, {0x0a, 0, 0, 0, 0, 2}), inner_tcp4()});
  const Bytes cw{0x00, 0x00, 0x00, 0x05};
  const Decoded d = dec(eth(0x8847, cat({mpls(16, false), mpls(17, true), cw, inner})));
  expect_inner_tcp4(d);
  EXPECT_EQ(d.src_mac, kSrcMac);  // the outer frame's MACs
  EXPECT_EQ(d.tunnel_depth, 0);
  // Inner Ethernet with a VLAN tag.
  const Bytes tagged = cat({eth_hdr(0x8100), vlan(55, 0x0800), inner_tcp4()});
  const Decoded t = dec(eth(0x8847, cat({mpls(16, true), cw, tagged})));
  expect_inner_tcp4(t);
}

TEST(DecodeLink, MplsErrors) {
  EXPECT_ERROR(dec(eth(0x8847, Bytes{0x00, 0x06, 0x41})), kTruncatedMpls);
  EXPECT_ERROR(dec(eth(0x8847, mpls(1, false))), kTruncatedMpls);  // no bottom of stack
  EXPECT_ERROR(dec(eth(0x8847, mpls(1, true))), kTruncatedMpls);   // nothing after it
  EXPECT_ERROR(dec(eth(0x8847, cat({mpls(1, true), Bytes{0x00, 0, 0, 0}, filler(5)}))), kTruncatedMpls);
  EXPECT_ERROR(dec(eth(0x8847, cat({mpls(1, true), Bytes{0x85}, filler(30)}))), kBadIpVersion);
}

Bytes pppoe(uint16_t ppp_proto, const Bytes& payload) {
  Bytes b{0x11, 0x00, 0x12, 0x34};
  put16(b, uint16_t(payload.size() + 2));
  put16(b, ppp_proto);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

TEST(DecodeLink, PppoeSession) {
  const Decoded d = dec(eth(0x8864, pppoe(0x0021, ipv4(6, tcp(1000, 22, 0x02)))));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.dst_port, 22);
  const Decoded e = dec(eth(0x8864, pppoe(0x0057, ipv6(17, udp(546, 547)))));
  EXPECT_FLOW(e);
  EXPECT_EQ(e.inner.ip_version, 6);
  EXPECT_NON_FLOW(dec(eth(0x8864, pppoe(0xc021, filler(10)))), kOtherEthertype);  // LCP
  EXPECT_ERROR(dec(eth(0x8864, Bytes{0x11, 0x00, 0x12})), kTruncatedPppoe);
  EXPECT_ERROR(dec(eth(0x8864, Bytes{0x11, 0x00, 0x12, 0x34, 0x00, 0x02})), kTruncatedPppoe);
  // PPPoE over QinQ.
  const Decoded q =
      dec(eth(0x88a8, cat({vlan(100, 0x8100), vlan(200, 0x8864), pppoe(0x0021, ipv4(17, udp(1, 2)))})));
  EXPECT_FLOW(q);
  EXPECT_EQ(q.vlan_count, 2);
}

TEST(DecodeLink, ProviderBackboneBridging) {
  const Bytes itag{0x00, 0x01, 0x00, 0x01};
  const Bytes customer =
      cat({eth_hdr(0x8100, {0x0c, 0, 0, 0, 0, 1}, {0x0c, 0, 0, 0, 0, 2}), vlan(30, 0x0800), inner_tcp4()});
  const Decoded d = dec(eth(0x88e7, cat({itag, customer})));
  expect_inner_tcp4(d);
  EXPECT_EQ(d.src_mac, kSrcMac);  // backbone MACs
  // Backbone VLAN before the I-TAG.
  const Decoded b = dec(eth(0x88a8, cat({vlan(5, 0x88e7), itag, customer})));
  expect_inner_tcp4(b);
  EXPECT_GE(b.vlan_count, 1);
  EXPECT_EQ(b.vlan_ids[0], 5);
  EXPECT_ERROR(dec(eth(0x88e7, cat({itag, filler(10)}))), kTruncatedLink);
}

TEST(DecodeLink, VnTag) {
  const Decoded d = dec(eth(0x8926, cat({Bytes{0x80, 0x01, 0x00, 0x02, 0x08, 0x00}, inner_tcp4()})));
  expect_inner_tcp4(d);
  EXPECT_ERROR(dec(eth(0x8926, Bytes{0x80, 0x01, 0x00})), kTruncatedLink);
}

TEST(DecodeLink, RawIp) {
  EXPECT_FLOW(dec(ipv4(17, udp(1, 2)), LinkType::kRaw));
  EXPECT_FLOW(dec(ipv6(17, udp(1, 2)), LinkType::kRaw));
  EXPECT_FLOW(dec(ipv6(17, udp(1, 2)), LinkType::kRawDlt));  // DLT_RAW as pcap_datalink() reports it
  EXPECT_FLOW(dec(ipv4(17, udp(1, 2)), LinkType(DLT_RAW)));
  EXPECT_FLOW(dec(ipv4(17, udp(1, 2)), LinkType::kIpv4));
  EXPECT_FLOW(dec(ipv6(17, udp(1, 2)), LinkType::kIpv6));
  EXPECT_ERROR(dec(ipv6(17, udp(1, 2)), LinkType::kIpv4), kBadIpv4Header);
  EXPECT_ERROR(dec(ipv4(17, udp(1, 2), kA4, kB4), LinkType::kIpv6), kTruncatedIpv6);  // 28 < 40 bytes
  EXPECT_ERROR(dec(ipv4(17, udp(1, 2, filler(20))), LinkType::kIpv6), kBadIpVersion);
  EXPECT_ERROR(dec(Bytes{0x50, 0, 0, 0}, LinkType::kRaw), kBadIpVersion);
  EXPECT_ERROR(dec(Bytes{}, LinkType::kRaw), kTruncatedLink);
  const Decoded d = dec(ipv4(6, tcp(1, 2, 0x02)), LinkType::kRaw);
  EXPECT_FALSE(d.has_mac);
}

TEST(DecodeLink, LinuxSll) {
  Bytes sll{0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};
  put16(sll, 0x0800);
  const Decoded d = dec(cat({sll, inner_tcp4()}), LinkType::kLinuxSll);
  expect_inner_tcp4(d);
  EXPECT_FALSE(d.has_mac);
  Bytes vl = sll;
  set16(vl, 14, 0x8100);
  const Decoded v = dec(cat({vl, vlan(12, 0x0800), inner_tcp4()}), LinkType::kLinuxSll);
  expect_inner_tcp4(v);
  EXPECT_EQ(v.vlan_count, 1);
  Bytes arp = sll;
  set16(arp, 14, 0x0806);
  EXPECT_NON_FLOW(dec(cat({arp, filler(28)}), LinkType::kLinuxSll), kArp);
  Bytes llc = sll;
  set16(llc, 14, 0x0004);
  EXPECT_NON_FLOW(dec(cat({llc, filler(28)}), LinkType::kLinuxSll), kOtherEthertype);
  EXPECT_ERROR(dec(filler(15), LinkType::kLinuxSll), kTruncatedLink);
}

TEST(DecodeLink, LinuxSll2) {
  Bytes sll2;
  put16(sll2, 0x86dd);  // protocol
  put16(sll2, 0);       // reserved
  put32(sll2, 3);       // interface index
  put16(sll2, 1);       // ARPHRD_ETHER
  sll2.push_back(0);    // packet type
  sll2.push_back(6);    // address length
  for (int i = 0; i < 8; ++i) sll2.push_back(uint8_t(i));
  const Decoded d = dec(cat({sll2, ipv6(6, tcp(7, 8, 0x04))}), LinkType::kLinuxSll2);
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.ip_version, 6);
  EXPECT_EQ(d.tcp_flags, 0x04);
  EXPECT_ERROR(dec(filler(19), LinkType::kLinuxSll2), kTruncatedLink);
}

TEST(DecodeLink, BsdNullAndLoop) {
  const Bytes v4 = ipv4(17, udp(1, 2));
  const Bytes v6p = ipv6(17, udp(1, 2));
  // DLT_NULL: host byte order (either).
  EXPECT_EQ(dec(cat({Bytes{2, 0, 0, 0}, v4}), LinkType::kNull).inner.ip_version, 4);
  EXPECT_EQ(dec(cat({Bytes{0, 0, 0, 2}, v4}), LinkType::kNull).inner.ip_version, 4);
  for (uint8_t af : {24, 28, 30}) {
    const Decoded le = dec(cat({Bytes{af, 0, 0, 0}, v6p}), LinkType::kNull);
    EXPECT_FLOW(le);
    EXPECT_EQ(le.inner.ip_version, 6);
    const Decoded be = dec(cat({Bytes{0, 0, 0, af}, v6p}), LinkType::kLoop);
    EXPECT_FLOW(be);
    EXPECT_EQ(be.inner.ip_version, 6);
  }
  EXPECT_NON_FLOW(dec(cat({Bytes{7, 0, 0, 0}, v4}), LinkType::kNull), kOtherEthertype);
  EXPECT_ERROR(dec(Bytes{2, 0, 0}, LinkType::kNull), kTruncatedLink);
  EXPECT_ERROR(dec(Bytes{2, 0, 0, 0}, LinkType::kNull), kTruncatedIpv4);
}

TEST(DecodeLink, Ppp) {
  EXPECT_FLOW(dec(cat({Bytes{0xff, 0x03, 0x00, 0x21}, ipv4(17, udp(1, 2))}), LinkType::kPpp));
  EXPECT_FLOW(dec(cat({Bytes{0x00, 0x57}, ipv6(17, udp(1, 2))}), LinkType::kPpp));
  EXPECT_FLOW(dec(cat({Bytes{0x21}, ipv4(17, udp(1, 2))}), LinkType::kPpp));  // protocol field compression
  EXPECT_NON_FLOW(dec(Bytes{0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4}, LinkType::kPpp), kOtherEthertype);
  EXPECT_ERROR(dec(Bytes{0xff, 0x03, 0x00}, LinkType::kPpp), kTruncatedLink);
}

TEST(DecodeLink, UnknownLinkType) {
  EXPECT_NON_FLOW(dec(filler(64), LinkType(147)), kOtherLinkType);  // DLT_USER0
  EXPECT_NON_FLOW(dec(filler(64), LinkType(192)), kOtherLinkType);  // DLT_PPI
}

// 802.11 QoS data frame from a station to the AP (ToDS), with LLC/SNAP and IPv4 inside.
Bytes wlan_qos_data(uint8_t flags, const Bytes& llc_payload) {
  Bytes h{0x88, flags, 0x2c, 0x00};
  for (uint8_t a = 1; a <= 3; ++a)
    for (uint8_t i = 0; i < 6; ++i) h.push_back(uint8_t(a * 0x10 + i));  // addr1, addr2, addr3
  h.insert(h.end(), {0x10, 0x00});                                       // sequence control
  h.insert(h.end(), {0x06, 0x00});                                       // QoS control
  return cat({h, llc_payload});
}

TEST(DecodeLink, Ieee80211AndRadiotap) {
  const Bytes snap_ip = cat({Bytes{0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00}, ipv4(17, udp(5, 53))});
  const DecodedPacket d = dec(wlan_qos_data(0x01, snap_ip), LinkType::kIeee80211);
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.dst_port, 53);
  EXPECT_EQ(d.src_mac[0], 0x20);  // ToDS: addr2 is the sender
  EXPECT_EQ(d.dst_mac[0], 0x30);  // ToDS: addr3 is the destination
  const Bytes radiotap{0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_FLOW(dec(cat({radiotap, wlan_qos_data(0x01, snap_ip)}), LinkType::kRadiotap));
  EXPECT_NON_FLOW(dec(wlan_qos_data(0x41, snap_ip), LinkType::kIeee80211), kWlanNonData);  // protected
  EXPECT_NON_FLOW(dec(cat({Bytes{0x80, 0x00}, filler(40)}), LinkType::kIeee80211), kWlanNonData);  // beacon
  EXPECT_ERROR(dec(Bytes{0x88, 0x01, 0x00}, LinkType::kIeee80211), kTruncatedLink);
  EXPECT_ERROR(dec(Bytes{0x00, 0x00, 0x40, 0x00, 0x00}, LinkType::kRadiotap), kTruncatedLink);
  const Bytes cut = wlan_qos_data(0x01, snap_ip);
  for (size_t n = 0; n < cut.size(); ++n)
    dec(Bytes(cut.begin(), cut.begin() + long(n)), LinkType::kIeee80211);
}

// ===================================================================================================
// IPv4 / IPv6

TEST(DecodeIpv4, Options) {
  for (uint8_t ihl = 5; ihl <= 15; ++ihl) {
    V4Opts o;
    o.ihl = ihl;
    const Bytes f = eth(0x0800, ipv4(6, tcp(4321, 8080, 0x12, filler(3)), kA4, kB4, o));
    const Decoded d = dec(f);
    EXPECT_FLOW(d);
    EXPECT_EQ(d.inner.src_port, 4321) << int(ihl);
    EXPECT_EQ(d.inner.dst_port, 8080);
    EXPECT_EQ(d.payload_len, 3u);
    EXPECT_EQ(d.payload, f.data() + 14 + ihl * 4 + 20);
    EXPECT_EQ(d.inner.ip_bytes, uint32_t(ihl * 4 + 23));
  }
}

TEST(DecodeIpv4, SnaplenCut) {
  Bytes f = eth(0x0800, ipv4(6, tcp(1, 2, 0x18, filler(1000))));
  f.resize(96);  // a typical snaplen
  const Decoded d = dec(f);
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.ip_bytes, 1040u);  // as the header says
  EXPECT_EQ(d.payload_len, 1000u);
  EXPECT_EQ(d.payload_captured, 96u - 54u);
  EXPECT_EQ(d.l3_captured, 96u - 14u);
  // Cut inside TCP options: the fixed header is enough for the flow.
  Bytes g = eth(0x0800, ipv4(6, tcp(1, 2, 0x02, filler(0), 10)));
  g.resize(14 + 20 + 24);
  const Decoded e = dec(g);
  EXPECT_FLOW(e);
  EXPECT_EQ(e.tcp_flags, 0x02);
  EXPECT_EQ(e.payload_captured, 0u);
  EXPECT_EQ(e.payload, nullptr);
  // Cut inside the fixed TCP header.
  Bytes h = eth(0x0800, ipv4(6, tcp(1, 2, 0x02)));
  h.resize(14 + 20 + 19);
  EXPECT_ERROR(dec(h), kTruncatedTcp);
  // Cut UDP payload.
  Bytes u = eth(0x0800, ipv4(17, udp(1, 2, filler(500))));
  u.resize(64);
  const Decoded ud = dec(u);
  EXPECT_FLOW(ud);
  EXPECT_EQ(ud.payload_len, 500u);
  EXPECT_EQ(ud.payload_captured, 64u - 42u);
}

TEST(DecodeIpv4, TsoZeroTotalLength) {
  V4Opts o;
  o.total = 0;
  const Decoded d = dec(eth(0x0800, ipv4(6, tcp(1, 2, 0x10, filler(3000)), kA4, kB4, o)));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.payload_len, 3000u);  // the frame bounds the packet
  EXPECT_EQ(d.inner.ip_bytes, 0u);  // the header's value, as Zeek's orig_ip_bytes counts it
}

TEST(DecodeIpv4, LyingHeaders) {
  V4Opts o;
  o.ihl = 4;
  EXPECT_ERROR(dec(eth(0x0800, ipv4(17, udp(1, 2), kA4, kB4, o))), kBadIpv4Header);
  o = {};
  o.ihl = 15;  // 60 bytes of header, frame has fewer
  Bytes f = eth(0x0800, ipv4(17, udp(1, 2), kA4, kB4, o));
  f.resize(14 + 40);
  EXPECT_ERROR(dec(f), kBadIpv4Header);
  o = {};
  o.total = 19;
  EXPECT_ERROR(dec(eth(0x0800, ipv4(17, udp(1, 2), kA4, kB4, o))), kBadIpv4Length);
  o = {};
  o.ihl = 6;
  o.total = 22;
  EXPECT_ERROR(dec(eth(0x0800, ipv4(17, udp(1, 2), kA4, kB4, o))), kBadIpv4Length);
  o = {};
  o.version = 5;
  EXPECT_ERROR(dec(eth(0x0800, ipv4(17, udp(1, 2), kA4, kB4, o))), kBadIpv4Header);
  EXPECT_ERROR(dec(eth(0x0800, filler(19, 0x45))), kTruncatedIpv4);
  // Total length leaves no room for the UDP header although bytes follow (padding).
  o = {};
  o.total = 24;
  EXPECT_ERROR(dec(eth(0x0800, ipv4(17, udp(1, 2), kA4, kB4, o))), kTruncatedUdp);
  // Total length larger than the frame: treated as cut by the snaplen.
  o = {};
  o.total = 1500;
  const Decoded d = dec(eth(0x0800, ipv4(17, udp(1, 2, filler(4)), kA4, kB4, o)));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.payload_len, 1500u - 28u);
  EXPECT_EQ(d.payload_captured, 4u);
}

TEST(DecodeIpv4, TcpDataOffset) {
  Bytes bad = ipv4(6, tcp(1, 2, 0x02, filler(8), 4));
  EXPECT_ERROR(dec(eth(0x0800, bad)), kBadTcpHeader);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(6, tcp(1, 2, 0x02, filler(8), 0)))), kBadTcpHeader);
  // Data offset 15 (60 bytes) but the segment is 28 bytes long.
  Bytes past = tcp(1, 2, 0x02, filler(8));
  past[12] = 0xf0;
  EXPECT_ERROR(dec(eth(0x0800, ipv4(6, past))), kBadTcpHeader);
  // Options fill the segment exactly.
  const Decoded d = dec(eth(0x0800, ipv4(6, tcp(1, 2, 0x02, {}, 15))));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.payload_len, 0u);
}

TEST(DecodeIpv4, Fragments) {
  V4Opts o;
  o.id = 0xbeef;
  o.frag = 0x2000;  // MF, offset 0
  const Decoded first = dec(eth(0x0800, ipv4(17, udp(5000, 53, filler(100)), kA4, kB4, o)));
  EXPECT_FLOW(first);
  EXPECT_EQ(first.fragment, Fragment::kFirst);
  EXPECT_EQ(first.frag_id, 0xbeefu);
  EXPECT_EQ(first.inner.src_port, 5000);
  EXPECT_EQ(first.inner.dst_port, 53);
  o.frag = 0x2000 | 14;  // MF, offset 112
  const Decoded mid = dec(eth(0x0800, ipv4(17, filler(112), kA4, kB4, o)));
  EXPECT_FLOW(mid);
  EXPECT_EQ(mid.fragment, Fragment::kLater);
  EXPECT_EQ(mid.frag_id, 0xbeefu);
  EXPECT_EQ(mid.inner.l4_proto, 17);
  EXPECT_EQ(mid.inner.src_port, 0);
  EXPECT_EQ(mid.inner.dst_port, 0);
  EXPECT_EQ(mid.payload_len, 112u);
  o.frag = 28;  // last fragment: no MF, offset > 0
  const Decoded last = dec(eth(0x0800, ipv4(6, filler(9), kA4, kB4, o)));
  EXPECT_FLOW(last);
  EXPECT_EQ(last.fragment, Fragment::kLater);
  EXPECT_EQ(last.payload_len, 9u);
  // DF alone is not a fragment.
  o.frag = 0x4000;
  const Decoded df = dec(eth(0x0800, ipv4(17, udp(1, 2), kA4, kB4, o)));
  EXPECT_EQ(df.fragment, Fragment::kNone);
  EXPECT_EQ(df.frag_id, 0u);
  // A later fragment that happens to start with tunnel-looking bytes is not decoded as a tunnel.
  o.frag = 100;
  const Decoded gre_frag = dec(eth(0x0800, ipv4(47, gre(0x0800, inner_tcp4()), kA4, kB4, o)));
  EXPECT_FLOW(gre_frag);
  EXPECT_EQ(gre_frag.tunnel_depth, 0);
  EXPECT_EQ(gre_frag.inner.l4_proto, 47);
  // A first fragment of GRE is not entered either (the inner packet is cut at the boundary).
  o.frag = 0x2000;
  const Decoded gre_first = dec(eth(0x0800, ipv4(47, gre(0x0800, inner_tcp4()), kA4, kB4, o)));
  EXPECT_FLOW(gre_first);
  EXPECT_EQ(gre_first.tunnel_depth, 0);
}

TEST(DecodeIpv6, ExtensionHeaderChain) {
  const Bytes l4 = tcp(1111, 2222, 0x02, filler(5));
  // hop-by-hop -> destination options -> routing -> AH -> destination options -> TCP
  const Bytes chain = ext_hdr(60, 1, ext_hdr(43, 2, ext_hdr(51, 0, ah_hdr(60, 4, ext_hdr(6, 0, l4)))));
  const Bytes f = eth(0x86dd, ipv6(0, chain));
  const Decoded d = dec(f);
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.l4_proto, 6);
  EXPECT_EQ(d.inner.src_port, 1111);
  EXPECT_EQ(d.inner.dst_port, 2222);
  EXPECT_EQ(d.payload_len, 5u);
  EXPECT_EQ(d.inner.ip_bytes, uint32_t(40 + chain.size()));
  EXPECT_EQ(d.payload, f.data() + f.size() - 5);
}

TEST(DecodeIpv6, ExtensionHeaderLimitsAndLies) {
  // Eight headers are fine, nine are not.
  Bytes chain = udp(1, 2);
  uint8_t next = 17;
  for (int i = 0; i < 8; ++i) {
    chain = ext_hdr(next, 0, chain);
    next = 60;
  }
  EXPECT_FLOW(dec(eth(0x86dd, ipv6(60, chain))));
  EXPECT_ERROR(dec(eth(0x86dd, ipv6(60, ext_hdr(60, 0, chain)))), kBadIpv6ExtHeader);
  // A chain that points at itself forever is bounded by count and length.
  Bytes loop;
  for (int i = 0; i < 40; ++i) loop = cat({loop, Bytes{60, 0, 1, 4, 0, 0, 0, 0}});
  EXPECT_ERROR(dec(eth(0x86dd, ipv6(60, loop))), kBadIpv6ExtHeader);
  // Header length runs past the payload length.
  EXPECT_ERROR(dec(eth(0x86dd, ipv6(0, Bytes{6, 5, 1, 2, 0, 0, 0, 0}))), kBadIpv6ExtHeader);
  EXPECT_ERROR(dec(eth(0x86dd, ipv6(43, Bytes{6, 0, 0}))), kBadIpv6ExtHeader);
  EXPECT_ERROR(dec(eth(0x86dd, ipv6(51, Bytes{6, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))), kBadIpv6ExtHeader);
  // Payload length past the captured end: decoded as a cut packet.
  const Decoded cut = dec(eth(0x86dd, ipv6(17, udp(1, 2, filler(4)), v6(1), v6(2), 1000)));
  EXPECT_FLOW(cut);
  EXPECT_EQ(cut.inner.ip_bytes, 1040u);
  EXPECT_EQ(cut.payload_len, 992u);
  EXPECT_EQ(cut.payload_captured, 4u);
  // Payload length shorter than the UDP header.
  EXPECT_ERROR(dec(eth(0x86dd, ipv6(17, udp(1, 2, filler(4)), v6(1), v6(2), 6))), kTruncatedUdp);
  // Version nibble wrong behind the IPv6 ethertype.
  Bytes bad = ipv6(17, udp(1, 2));
  bad[0] = 0x45;
  EXPECT_ERROR(dec(eth(0x86dd, bad)), kBadIpVersion);
}

TEST(DecodeIpv6, NoNextHeader) {
  const Decoded d = dec(eth(0x86dd, ipv6(59, {})));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.l4_proto, 59);
  EXPECT_EQ(d.inner.src_port, 0);
  EXPECT_EQ(d.payload_len, 0u);
  const Decoded e = dec(eth(0x86dd, ipv6(60, ext_hdr(59, 0, {}))));
  EXPECT_FLOW(e);
  EXPECT_EQ(e.inner.l4_proto, 59);
}

TEST(DecodeIpv6, Fragments) {
  const Decoded first =
      dec(eth(0x86dd, ipv6(44, frag6_hdr(17, 0, true, 0xcafef00d, udp(53, 5353, filler(50))))));
  EXPECT_FLOW(first);
  EXPECT_EQ(first.fragment, Fragment::kFirst);
  EXPECT_EQ(first.frag_id, 0xcafef00du);
  EXPECT_EQ(first.inner.l4_proto, 17);
  EXPECT_EQ(first.inner.src_port, 53);
  const Decoded later = dec(eth(0x86dd, ipv6(44, frag6_hdr(17, 7, false, 0xcafef00d, filler(30)))));
  EXPECT_FLOW(later);
  EXPECT_EQ(later.fragment, Fragment::kLater);
  EXPECT_EQ(later.frag_id, 0xcafef00du);
  EXPECT_EQ(later.inner.l4_proto, 17);
  EXPECT_EQ(later.inner.src_port, 0);
  EXPECT_EQ(later.payload_len, 30u);
  // Fragment header after hop-by-hop.
  const Decoded hbh = dec(eth(0x86dd, ipv6(0, ext_hdr(44, 0, frag6_hdr(6, 3, true, 9, filler(24))))));
  EXPECT_EQ(hbh.fragment, Fragment::kLater);
  EXPECT_EQ(hbh.inner.l4_proto, 6);
  // Atomic fragment (offset 0, no M): a whole packet.
  const Decoded atomic = dec(eth(0x86dd, ipv6(44, frag6_hdr(58, 0, false, 5, icmp(128, 0)))));
  EXPECT_FLOW(atomic);
  EXPECT_EQ(atomic.fragment, Fragment::kNone);
  EXPECT_EQ(atomic.icmp_type, 128);
}

TEST(DecodeIpv6, Jumbogram) {
  // Hop-by-hop with PadN and a Jumbo Payload option, payload length 0.
  const Bytes hbh{17, 0, 0xc2, 4, 0x00, 0x01, 0x00, 0x30};
  const Bytes f = eth(0x86dd, ipv6(0, cat({hbh, udp(1, 2, filler(32))}), v6(1), v6(2), 0));
  const Decoded d = dec(f);
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.dst_port, 2);
  EXPECT_EQ(d.payload_len, 32u);
  EXPECT_EQ(d.inner.ip_bytes, uint32_t(f.size() - 14));
  // Without the option, payload length 0 means no payload: the hop-by-hop header does not fit.
  const Bytes nojumbo{17, 0, 0x01, 4, 0, 0, 0, 0};
  EXPECT_ERROR(dec(eth(0x86dd, ipv6(0, cat({nojumbo, udp(1, 2)}), v6(1), v6(2), 0))), kBadIpv6ExtHeader);
}

// ===================================================================================================
// Transport protocols

TEST(DecodeL4, Icmp) {
  const Decoded d = dec(eth(0x0800, ipv4(1, icmp(3, 1, filler(28)))));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.icmp_type, 3);
  EXPECT_EQ(d.icmp_code, 1);
  EXPECT_EQ(d.inner.src_port, 3);
  EXPECT_EQ(d.inner.dst_port, 1);
  EXPECT_EQ(d.payload_len, 28u);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(1, Bytes{8, 0, 0, 0}))), kTruncatedIcmp);
}

TEST(DecodeL4, Icmpv6) {
  const Decoded d = dec(eth(0x86dd, ipv6(58, icmp(135, 0, filler(24)))));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.icmp_type, 135);
  EXPECT_EQ(d.inner.src_port, 135);
  EXPECT_EQ(d.inner.dst_port, 0);
  EXPECT_EQ(d.inner.l4_proto, 58);
  EXPECT_ERROR(dec(eth(0x86dd, ipv6(58, Bytes{128, 0}))), kTruncatedIcmp);
}

TEST(DecodeL4, Sctp) {
  const Decoded d = dec(eth(0x0800, ipv4(132, sctp(2905, 2906, filler(16)))));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.l4_proto, 132);
  EXPECT_EQ(d.inner.src_port, 2905);
  EXPECT_EQ(d.inner.dst_port, 2906);
  EXPECT_EQ(d.payload_len, 16u);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(132, filler(11)))), kTruncatedSctp);
  EXPECT_FLOW(dec(eth(0x86dd, ipv6(132, sctp(1, 2)))));
}

TEST(DecodeL4, OtherProtocolsArePortless) {
  for (uint8_t proto : {2, 50, 89, 103, 112, 255}) {
    const Decoded d = dec(eth(0x0800, ipv4(proto, filler(24))));
    EXPECT_FLOW(d);
    EXPECT_EQ(d.inner.l4_proto, proto);
    EXPECT_EQ(d.inner.src_port, 0);
    EXPECT_EQ(d.inner.dst_port, 0);
    EXPECT_EQ(d.payload_len, 24u);
  }
  const Decoded esp6 = dec(eth(0x86dd, ipv6(50, filler(40))));
  EXPECT_FLOW(esp6);
  EXPECT_EQ(esp6.inner.l4_proto, 50);
  EXPECT_FLOW(dec(eth(0x0800, ipv4(112, {}))));  // empty payload
}

TEST(DecodeL4, UdpTruncated) {
  EXPECT_ERROR(dec(eth(0x0800, ipv4(17, Bytes{0, 1, 0, 2, 0, 8, 0}))), kTruncatedUdp);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(6, filler(19)))), kTruncatedTcp);
}

// ===================================================================================================
// Tunnels

void expect_gre_outer(const DecodedPacket& d, TunnelType t = TunnelType::kGre) {
  EXPECT_EQ(d.tunnel, t);
  EXPECT_EQ(d.tunnel_depth, 1);
  EXPECT_FALSE(d.outer_is_udp);
  EXPECT_EQ(d.outer.ip_version, 4);
  EXPECT_EQ(d.outer.src, ip(kA4));
  EXPECT_EQ(d.outer.dst, ip(kB4));
  EXPECT_EQ(d.outer.l4_proto, 47);
  EXPECT_EQ(d.outer.src_port, 0);
}

TEST(DecodeTunnel, GreIpv4WithOptionalFields) {
  for (uint16_t flags :
       {uint16_t(0), kGreC, kGreK, kGreS, uint16_t(kGreC | kGreK | kGreS), uint16_t(kGreK | kGreS)}) {
    const Bytes outer_ip = ipv4(47, gre(0x0800, inner_tcp4(), flags));
    const Decoded d = dec(eth(0x0800, outer_ip));
    expect_inner_tcp4(d);
    expect_gre_outer(d);
    EXPECT_EQ(d.outer.ip_bytes, uint32_t(outer_ip.size()));
    EXPECT_TRUE(d.has_mac);
  }
}

TEST(DecodeTunnel, GreIpv6AndOverIpv6) {
  const Decoded d = dec(eth(0x0800, ipv4(47, gre(0x86dd, ipv6(17, udp(1, 2, filler(3)))))));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.inner.ip_version, 6);
  expect_gre_outer(d);
  const Decoded e = dec(eth(0x86dd, ipv6(47, gre(0x0800, inner_tcp4(), kGreK))));
  expect_inner_tcp4(e);
  EXPECT_EQ(e.tunnel, TunnelType::kGre);
  EXPECT_EQ(e.outer.ip_version, 6);
  EXPECT_EQ(e.outer.l4_proto, 47);
}

TEST(DecodeTunnel, GreTransparentEthernetAndMpls) {
  const Decoded d = dec(eth(0x0800, ipv4(47, gre(0x6558, eth(0x0800, inner_tcp4()), kGreK))));
  expect_inner_tcp4(d);
  expect_gre_outer(d);
  // VLAN tags inside the tunnel are not the port's tags.
  const Decoded v =
      dec(eth(0x0800, ipv4(47, gre(0x6558, eth(0x8100, cat({vlan(99, 0x0800), inner_tcp4()}))))));
  expect_inner_tcp4(v);
  EXPECT_EQ(v.vlan_count, 0);
  const Decoded m = dec(eth(0x0800, ipv4(47, gre(0x8847, cat({mpls(3, true), inner_tcp4()})))));
  expect_inner_tcp4(m);
  expect_gre_outer(m);
}

TEST(DecodeTunnel, GreRouting) {
  // C/R: checksum + offset, then SREs ending with a null SRE.
  Bytes g;
  put16(g, 0x4000);
  put16(g, 0x0800);
  put32(g, 0);
  g.insert(g.end(), {0x08, 0x00, 0x00, 0x08});  // SRE: AF IPv4, offset 0, length 8
  g.insert(g.end(), {1, 1, 1, 1, 2, 2, 2, 2});
  g.insert(g.end(), {0, 0, 0, 0});  // null SRE
  const Bytes inner = inner_tcp4();
  g.insert(g.end(), inner.begin(), inner.end());
  expect_inner_tcp4(dec(eth(0x0800, ipv4(47, g))));
  Bytes cut(g.begin(), g.begin() + 18);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(47, cut))), kBadTunnel);
}

TEST(DecodeTunnel, GreFallbacksAndErrors) {
  // Unknown protocol or version: the GRE packet itself is the (port-less) flow.
  const Decoded u = dec(eth(0x0800, ipv4(47, gre(0x88b5, filler(20)))));
  EXPECT_FLOW(u);
  EXPECT_EQ(u.tunnel_depth, 0);
  EXPECT_EQ(u.inner.l4_proto, 47);
  EXPECT_EQ(u.inner.src, ip(kA4));
  Bytes v3 = gre(0x0800, inner_tcp4());
  v3[1] = 0x03;
  const Decoded w = dec(eth(0x0800, ipv4(47, v3)));
  EXPECT_FLOW(w);
  EXPECT_EQ(w.tunnel_depth, 0);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(47, Bytes{0x00, 0x00, 0x08}))), kBadTunnel);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(47, Bytes{0x30, 0x00, 0x08, 0x00, 0, 0, 0, 1}))), kBadTunnel);
  // Inner packet broken: the inner error is reported.
  EXPECT_ERROR(dec(eth(0x0800, ipv4(47, gre(0x0800, filler(10, 0x45))))), kTruncatedIpv4);
}

TEST(DecodeTunnel, Erspan) {
  const Bytes mirrored = eth(0x0800, inner_tcp4());
  // Type I: no ERSPAN header, GRE without sequence number.
  const Decoded t1 = dec(eth(0x0800, ipv4(47, gre(0x88be, mirrored))));
  expect_inner_tcp4(t1);
  expect_gre_outer(t1, TunnelType::kErspan);
  // Type II: 8-byte header.
  const Bytes h2{0x10, 0x64, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
  const Decoded t2 = dec(eth(0x0800, ipv4(47, gre(0x88be, cat({h2, mirrored}), kGreS))));
  expect_inner_tcp4(t2);
  expect_gre_outer(t2, TunnelType::kErspan);
  EXPECT_EQ(t2.src_mac, kSrcMac);
  // Type III: 12-byte header, plus the 8-byte platform subheader when O is set.
  Bytes h3{0x20, 0x64, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00};
  const Decoded t3 = dec(eth(0x0800, ipv4(47, gre(0x22eb, cat({h3, mirrored}), kGreS))));
  expect_inner_tcp4(t3);
  EXPECT_EQ(t3.tunnel, TunnelType::kErspan);
  h3[11] = 0x01;
  const Decoded t3o = dec(eth(0x0800, ipv4(47, gre(0x22eb, cat({h3, filler(8), mirrored}), kGreS))));
  expect_inner_tcp4(t3o);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(47, gre(0x22eb, Bytes{0x20, 0x64, 0, 1}, kGreS)))), kBadTunnel);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(47, gre(0x88be, Bytes{0x10, 0x64, 0, 1}, kGreS)))), kBadTunnel);
}

TEST(DecodeTunnel, PptpEnhancedGre) {
  const Bytes inner = inner_tcp4();
  for (const Bytes& ppp_hdr : {Bytes{0xff, 0x03, 0x00, 0x21}, Bytes{0x00, 0x21}, Bytes{0x21}}) {
    const Decoded d = dec(eth(0x0800, ipv4(47, pptp_gre(cat({ppp_hdr, inner})))));
    expect_inner_tcp4(d);
    expect_gre_outer(d);
  }
  const Decoded ack =
      dec(eth(0x0800, ipv4(47, pptp_gre(cat({Bytes{0xff, 0x03, 0x00, 0x21}, inner}), true, true))));
  expect_inner_tcp4(ack);
  const Decoded v6p =
      dec(eth(0x0800, ipv4(47, pptp_gre(cat({Bytes{0xff, 0x03, 0x00, 0x57}, ipv6(17, udp(1, 2))})))));
  EXPECT_FLOW(v6p);
  EXPECT_EQ(v6p.inner.ip_version, 6);
  // Acknowledgment only, LCP and compressed/encrypted PPP: the GRE packet is the flow.
  for (const Bytes& g : {pptp_gre({}, false, true), pptp_gre(Bytes{0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4}),
                         pptp_gre(Bytes{0x00, 0xfd, 0x90, 0x00, 0x12, 0x34})}) {
    const Decoded d = dec(eth(0x0800, ipv4(47, g)));
    EXPECT_FLOW(d);
    EXPECT_EQ(d.tunnel_depth, 0);
    EXPECT_EQ(d.inner.l4_proto, 47);
  }
  EXPECT_ERROR(dec(eth(0x0800, ipv4(47, Bytes{0x30, 0x01, 0x88, 0x0b, 0x00, 0x10}))), kBadTunnel);
  Bytes seq_cut = pptp_gre(cat({Bytes{0x00, 0x21}, inner}));
  seq_cut.resize(10);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(47, seq_cut))), kBadTunnel);
}

TEST(DecodeTunnel, IpInIp) {
  const Decoded a = dec(eth(0x0800, ipv4(4, inner_tcp4())));
  expect_inner_tcp4(a);
  EXPECT_EQ(a.tunnel, TunnelType::kIpInIp);
  EXPECT_EQ(a.outer.l4_proto, 4);
  EXPECT_EQ(a.outer.src, ip(kA4));
  const Decoded b = dec(eth(0x0800, ipv4(41, ipv6(17, udp(1, 2)))));  // 6in4
  EXPECT_FLOW(b);
  EXPECT_EQ(b.inner.ip_version, 6);
  EXPECT_EQ(b.tunnel, TunnelType::kIpInIp);
  EXPECT_EQ(b.outer.l4_proto, 41);
  const Decoded c = dec(eth(0x86dd, ipv6(4, inner_tcp4())));  // 4in6
  expect_inner_tcp4(c);
  EXPECT_EQ(c.outer.ip_version, 6);
  const Decoded e = dec(eth(0x86dd, ipv6(41, ipv6(6, tcp(1, 2, 0x02), v6(3), v6(4)))));  // 6in6
  EXPECT_FLOW(e);
  EXPECT_EQ(e.inner.src, ip(v6(3)));
  EXPECT_EQ(e.outer.src, ip(v6(1)));
  // 6in6 behind a destination options header.
  const Decoded f = dec(eth(0x86dd, ipv6(60, ext_hdr(41, 0, ipv6(17, udp(1, 2), v6(3), v6(4))))));
  EXPECT_FLOW(f);
  EXPECT_EQ(f.tunnel, TunnelType::kIpInIp);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(4, filler(8, 0x45)))), kTruncatedIpv4);
  EXPECT_ERROR(dec(eth(0x0800, ipv4(41, inner_tcp4()))), kBadIpVersion);
}

// The worker reuses one DecodedPacket per burst slot and decode_packet() leaves the tunnel carriers past
// carrier_count alone: a plain packet after a tunnelled one must not look tunnelled.
TEST(DecodeTunnel, ReusedResultCarriesNothingOver) {
  const Bytes tunnelled = outer_udp4(50123, 4789, vxlan(eth(0x0800, inner_tcp4())));
  const Bytes plain = eth(0x0800, inner_tcp4());
  DecodedPacket d;
  ASSERT_EQ(decode_packet(tunnelled.data(), uint32_t(tunnelled.size()), LinkType::kEthernet, d),
            PacketClass::kFlow);
  ASSERT_EQ(d.carrier_count, 1);
  ASSERT_EQ(decode_packet(plain.data(), uint32_t(plain.size()), LinkType::kEthernet, d), PacketClass::kFlow);
  EXPECT_EQ(d.carrier_count, 0);
  EXPECT_EQ(d.tunnel_depth, 0);
  EXPECT_EQ(d.tunnel, TunnelType::kNone);
  EXPECT_FALSE(d.outer_is_udp);
  EXPECT_EQ(d.outer.ip_version, 0);
  const Decoded fresh = dec(plain);
  EXPECT_EQ(d.inner.src, fresh.inner.src);
  EXPECT_EQ(d.inner.dst_port, fresh.inner.dst_port);
  EXPECT_EQ(d.payload_len, fresh.payload_len);
}

TEST(DecodeTunnel, Vxlan) {
  const Bytes frame = outer_udp4(50123, 4789, vxlan(eth(0x0800, inner_tcp4())));
  const Decoded d = dec(frame);
  expect_inner_tcp4(d);
  EXPECT_EQ(d.tunnel, TunnelType::kVxlan);
  EXPECT_EQ(d.tunnel_depth, 1);
  expect_outer_udp4(d, 50123, 4789);
  EXPECT_EQ(d.outer.ip_bytes, uint32_t(frame.size() - 14));
  EXPECT_EQ(d.src_mac, kSrcMac);
  // Reply direction (4789 as the source port) and the GBP flag.
  expect_inner_tcp4(dec(outer_udp4(4789, 50123, vxlan(eth(0x0800, inner_tcp4())))));
  expect_inner_tcp4(dec(outer_udp4(50123, 4789, vxlan(eth(0x0800, inner_tcp4()), 0x88))));
  // Inner ICMP over IPv6 outer.
  const Decoded i = dec(eth(0x86dd, ipv6(17, udp(1000, 4789, vxlan(eth(0x0800, ipv4(1, icmp(8, 0))))))));
  EXPECT_FLOW(i);
  EXPECT_EQ(i.tunnel, TunnelType::kVxlan);
  EXPECT_EQ(i.outer.ip_version, 6);
  EXPECT_EQ(i.inner.l4_proto, 1);
  // VXLAN-GPE style flags (P bit) on 4789 are still VXLAN, as for Zeek and tshark.
  expect_inner_tcp4(dec(outer_udp4(50123, 4789, vxlan(eth(0x0800, inner_tcp4()), 0x0c))));
  // Inner ARP: no inner flow, but the outer UDP packet still counts for its own flow (as in Zeek).
  const Decoded a = dec(outer_udp4(50123, 4789, vxlan(eth(0x0806, filler(28)))));
  EXPECT_FLOW(a);
  EXPECT_EQ(a.tunnel, TunnelType::kNone);
  EXPECT_EQ(a.tunnel_depth, 0);
  EXPECT_EQ(a.inner.src, ip(kA4));
  EXPECT_EQ(a.inner.dst_port, 4789);
  EXPECT_EQ(a.payload_len, 8u + 14u + 28u);
  // Inside GRE, the VXLAN packet becomes the flow and GRE stays the tunnel.
  const Decoded g = dec(
      eth(0x0800, ipv4(47, gre(0x0800, ipv4(17, udp(1, 4789, vxlan(eth(0x0806, filler(28)))), kC4, kD4)))));
  EXPECT_FLOW(g);
  EXPECT_EQ(g.tunnel, TunnelType::kGre);
  EXPECT_EQ(g.tunnel_depth, 1);
  EXPECT_EQ(g.inner.src, ip(kC4));
  EXPECT_EQ(g.inner.dst_port, 4789);
  // Over GRE transparent bridging the ARP stays non-flow (GRE is not a flow of its own).
  const Decoded b = dec(eth(0x0800, ipv4(47, gre(0x6558, eth(0x0806, filler(28))))));
  EXPECT_NON_FLOW(b, kArp);
  EXPECT_EQ(b.tunnel, TunnelType::kGre);
}

TEST(DecodeTunnel, VxlanGarbageIsPlainUdp) {
  for (const Bytes& payload : {filler(40), Bytes(40, 0x00), filler(10, 0x08), vxlan(filler(4))}) {
    const Decoded d = dec(outer_udp4(50123, 4789, payload));
    EXPECT_FLOW(d);
    EXPECT_EQ(d.tunnel, TunnelType::kNone);
    EXPECT_EQ(d.inner.dst_port, 4789);
    EXPECT_EQ(d.payload_len, uint32_t(payload.size()));
  }
  // Header cut by the snaplen: the tunnel is there but truncated.
  Bytes cut = outer_udp4(50123, 4789, vxlan(eth(0x0800, inner_tcp4())));
  cut.resize(14 + 20 + 8 + 5);
  EXPECT_ERROR(dec(cut), kBadTunnel);
  // Cut inside the inner frame, or an I flag followed by garbage: the UDP packet is the flow (it still
  // counts for the outer UDP connection, as in Zeek).
  Bytes cut2 = outer_udp4(50123, 4789, vxlan(eth(0x0800, inner_tcp4())));
  cut2.resize(14 + 20 + 8 + 8 + 10);
  Bytes garbage = vxlan(eth(0x0800, filler(30, 0x30)));
  for (const Bytes& f : {cut2, outer_udp4(50123, 4789, garbage)}) {
    const Decoded d = dec(f);
    EXPECT_FLOW(d);
    EXPECT_EQ(d.tunnel, TunnelType::kNone);
    EXPECT_EQ(d.tunnel_depth, 0);
    EXPECT_EQ(d.inner.dst_port, 4789);
    EXPECT_EQ(d.l3, f.data() + 14);
  }
  // The same inner errors in GTP-U, Geneve, Teredo and AYIYA.
  for (const Bytes& f :
       {outer_udp4(2152, 2152, gtpu(filler(30, 0x41))), outer_udp4(1, 6081, geneve(0x0800, filler(30, 0x4f))),
        outer_udp4(3544, 1, ipv6(51, Bytes{6, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})),
        outer_udp4(5072, 1, ayiya(4, filler(30, 0x4f)))}) {
    const Decoded d = dec(f);
    EXPECT_FLOW(d);
    EXPECT_EQ(d.tunnel, TunnelType::kNone);
    EXPECT_EQ(d.inner.l4_proto, 17);
  }
  // Over GRE (not a flow of its own) an inner error stays an error.
  EXPECT_ERROR(dec(eth(0x0800, ipv4(47, gre(0x6558, eth(0x0800, filler(30, 0x30)))))), kBadIpv4Header);
}

TEST(DecodeTunnel, Geneve) {
  const Decoded d = dec(outer_udp4(40000, 6081, geneve(0x6558, eth(0x0800, inner_tcp4()), 3)));
  expect_inner_tcp4(d);
  EXPECT_EQ(d.tunnel, TunnelType::kGeneve);
  expect_outer_udp4(d, 40000, 6081);
  expect_inner_tcp4(dec(outer_udp4(40000, 6081, geneve(0x0800, inner_tcp4()))));
  const Decoded v6p = dec(outer_udp4(40000, 6081, geneve(0x86dd, ipv6(17, udp(1, 2)), 1)));
  EXPECT_FLOW(v6p);
  EXPECT_EQ(v6p.inner.ip_version, 6);
  EXPECT_EQ(v6p.tunnel, TunnelType::kGeneve);
  // Not Geneve: unknown protocol, version 1, options longer than the datagram.
  Bytes ver1 = geneve(0x6558, eth(0x0800, inner_tcp4()));
  ver1[0] = 0x40;
  for (const Bytes& p : {geneve(0x1234, filler(30)), ver1, geneve(0x6558, filler(10), 0) /* 0x3f words */}) {
    Bytes q = p;
    if (q.size() == 18) q[0] = 0x3f;
    const Decoded e = dec(outer_udp4(40000, 6081, q));
    EXPECT_FLOW(e);
    EXPECT_EQ(e.tunnel, TunnelType::kNone);
  }
  Bytes cut = outer_udp4(40000, 6081, geneve(0x6558, eth(0x0800, inner_tcp4()), 4));
  cut.resize(14 + 20 + 8 + 12);
  EXPECT_ERROR(dec(cut), kBadTunnel);
}

TEST(DecodeTunnel, GtpU) {
  const Decoded d = dec(outer_udp4(2152, 2152, gtpu(inner_tcp4())));
  expect_inner_tcp4(d);
  EXPECT_EQ(d.tunnel, TunnelType::kGtpU);
  expect_outer_udp4(d, 2152, 2152);
  // Sequence number present (S flag): 4 optional bytes.
  expect_inner_tcp4(
      dec(outer_udp4(2152, 2152, gtpu(inner_tcp4(), 0x32, 0xff, Bytes{0x00, 0x07, 0x00, 0x00}))));
  // Extension header chain: PDU session container (0x85), then a 2-unit extension, then none.
  const Bytes ext{0x00, 0x00, 0x00, 0x85, 0x01, 0x09, 0x01, 0x40, 0x02, 1, 2, 3, 4, 5, 6, 0x00};
  expect_inner_tcp4(dec(outer_udp4(2152, 2152, gtpu(inner_tcp4(), 0x34, 0xff, ext))));
  const Decoded v6p = dec(outer_udp4(2152, 2152, gtpu(ipv6(17, udp(1, 2)))));
  EXPECT_FLOW(v6p);
  EXPECT_EQ(v6p.inner.ip_version, 6);
  EXPECT_EQ(v6p.tunnel, TunnelType::kGtpU);
}

TEST(DecodeTunnel, GtpUOtherMessagesAndErrors) {
  // Echo request, GTPv2 and GTP' flags, a non-IP PDU, a length beyond the datagram: plain UDP.
  Bytes long_len = gtpu(inner_tcp4());
  set16(long_len, 2, 0x0400);
  for (const Bytes& p : {gtpu(Bytes{0x00, 0x00, 0x00, 0x00}, 0x32, 0x01), gtpu(inner_tcp4(), 0x48),
                         gtpu(inner_tcp4(), 0x20), gtpu(filler(30, 0x00)), long_len, gtpu({})}) {
    const Decoded d = dec(outer_udp4(2152, 2152, p));
    EXPECT_FLOW(d);
    EXPECT_EQ(d.tunnel, TunnelType::kNone);
    EXPECT_EQ(d.inner.l4_proto, 17);
    EXPECT_EQ(d.inner.dst_port, 2152);
  }
  // Extension length 0, an extension past the GTP length, and an endless chain.
  EXPECT_ERROR(
      dec(outer_udp4(2152, 2152, gtpu(inner_tcp4(), 0x34, 0xff, Bytes{0, 0, 0, 0x85, 0x00, 1, 2, 0}))),
      kBadTunnel);
  EXPECT_ERROR(dec(outer_udp4(2152, 2152, gtpu({}, 0x34, 0xff, Bytes{0, 0, 0, 0x85, 0x05, 1, 2, 0}))),
               kBadTunnel);
  Bytes chain{0, 0, 0, 0x85};
  for (int i = 0; i < 20; ++i) chain.insert(chain.end(), {0x01, 0, 0, 0x85});
  EXPECT_ERROR(dec(outer_udp4(2152, 2152, gtpu(inner_tcp4(), 0x34, 0xff, chain))), kBadTunnel);
  // GTP header cut by the snaplen.
  Bytes cut = outer_udp4(2152, 2152, gtpu(inner_tcp4()));
  cut.resize(14 + 20 + 8 + 6);
  EXPECT_ERROR(dec(cut), kBadTunnel);
}

Bytes teredo_origin() {
  return Bytes{0x00, 0x00, 0xf0, 0x0f, 0x3f, 0xff, 0xff, 0xfe};
}
Bytes teredo_auth() {
  Bytes b{0x00, 0x01, 2, 3, 'i', 'd', 'a', 'u', 'x'};
  for (int i = 0; i < 8; ++i) b.push_back(uint8_t(i));  // nonce
  b.push_back(0);                                       // confirmation
  return b;
}

// Every UDP tunnel layer is a flow of its own (Zeek and tshark report each): VXLAN inside Geneve.
TEST(DecodeTunnel, NestedUdpTunnelsListEveryCarrier) {
  const Bytes inner_vxlan =
      eth(0x0800, ipv4(17, udp(26383, 4789, vxlan(eth(0x0800, ipv4(17, udp(1, 53))))), kC4, kC4));
  const Decoded d = dec(outer_udp4(5555, 6081, geneve(0x6558, inner_vxlan)));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.tunnel_depth, 2);
  ASSERT_EQ(d.carrier_count, 2);
  EXPECT_EQ(d.carriers[0].dst_port, 6081);
  EXPECT_EQ(d.carriers[1].dst_port, 4789);
  EXPECT_EQ(d.carriers[1].src, ip(kC4));
  EXPECT_EQ(d.inner.dst_port, 53);
  EXPECT_EQ(d.outer.dst_port, 6081);
}

// A relay talks to the client's NAT-mapped port: Zeek's dpd_teredo signature (an IPv6 header with an
// address in 2001:0::/32) finds Teredo on any UDP port; without the prefix it stays plain UDP.
TEST(DecodeTunnel, TeredoOnAnyPortBySignature) {
  V6 teredo_client = v6(9, 0x20);
  teredo_client[2] = teredo_client[3] = 0;  // 2001:0000::/32
  const Bytes inner = ipv6(6, tcp(1286, 80, 0x10), teredo_client, v6(10, 0x30));
  const Decoded d = dec(outer_udp4(3797, 32900, inner));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.tunnel, TunnelType::kTeredo);
  EXPECT_EQ(d.inner.dst_port, 80);
  EXPECT_TRUE(d.outer_is_udp);
  const Decoded plain = dec(outer_udp4(3797, 32900, ipv6(6, tcp(1286, 80, 0x10), v6(9, 0x30), v6(10, 0x30))));
  EXPECT_FLOW(plain);
  EXPECT_EQ(plain.tunnel, TunnelType::kNone);
  EXPECT_EQ(plain.inner.dst_port, 32900);
}

TEST(DecodeTunnel, Teredo) {
  const Bytes inner6 = ipv6(6, tcp(3333, 80, 0x02), v6(9, 0x20), v6(10, 0x20));
  for (const Bytes& hdr : {Bytes{}, teredo_origin(), teredo_auth(), cat({teredo_auth(), teredo_origin()})}) {
    const Decoded d = dec(outer_udp4(3544, 61000, cat({hdr, inner6})));
    EXPECT_FLOW(d);
    EXPECT_EQ(d.tunnel, TunnelType::kTeredo);
    expect_outer_udp4(d, 3544, 61000);
    EXPECT_EQ(d.inner.ip_version, 6);
    EXPECT_EQ(d.inner.src_port, 3333);
    EXPECT_EQ(d.inner.src, ip(v6(9)));
  }
  // Bubble (no next header), also with trailing bytes.
  const Decoded b = dec(outer_udp4(61000, 3544, ipv6(59, {})));
  EXPECT_FLOW(b);
  EXPECT_EQ(b.tunnel, TunnelType::kTeredo);
  EXPECT_EQ(b.inner.l4_proto, 59);
  const Decoded bp = dec(outer_udp4(61000, 3544, cat({ipv6(59, {}), filler(12)})));
  EXPECT_EQ(bp.tunnel, TunnelType::kTeredo);
  EXPECT_EQ(bp.inner.l4_proto, 59);
}

TEST(DecodeTunnel, TeredoHeuristicsFailIsPlainUdp) {
  const Bytes inner6 = ipv6(17, udp(1, 2, filler(8)));
  Bytes bad_version = inner6;
  bad_version[0] = 0x45;
  Bytes bad_length = inner6;
  set16(bad_length, 4, 200);
  Bytes short_length = inner6;
  set16(short_length, 4, 4);
  for (const Bytes& p :
       {filler(60), bad_version, bad_length, short_length, cat({inner6, filler(3)}), filler(10),
        cat({teredo_origin(), teredo_origin(), inner6}), cat({Bytes{0x00, 0x01, 200, 200}, inner6})}) {
    const Decoded d = dec(outer_udp4(3544, 61000, p));
    EXPECT_FLOW(d);
    EXPECT_EQ(d.tunnel, TunnelType::kNone);
    EXPECT_EQ(d.inner.src_port, 3544);
  }
}

TEST(DecodeTunnel, Ayiya) {
  const Decoded d = dec(outer_udp4(5072, 40000, ayiya(41, ipv6(6, tcp(1, 2, 0x02)))));
  EXPECT_FLOW(d);
  EXPECT_EQ(d.tunnel, TunnelType::kAyiya);
  expect_outer_udp4(d, 5072, 40000);
  EXPECT_EQ(d.inner.ip_version, 6);
  expect_inner_tcp4(dec(outer_udp4(40000, 5072, ayiya(4, inner_tcp4()))));
  expect_inner_tcp4(dec(outer_udp4(40000, 5072, ayiya(4, inner_tcp4(), 9, 0))));  // 512-byte identity
  // Not forwarding, unknown next header, identity longer than the datagram: plain UDP.
  for (const Bytes& p : {ayiya(41, ipv6(59, {}), 4, 5, 0), ayiya(17, filler(20)), filler(30),
                         ayiya(41, ipv6(59, {}), 15, 0)}) {
    Bytes q = p;
    if (q.size() > 1000) q.resize(100);  // the 32 KiB identity does not fit
    const Decoded e = dec(outer_udp4(5072, 5072, q));
    EXPECT_FLOW(e);
    EXPECT_EQ(e.tunnel, TunnelType::kNone);
  }
  Bytes cut = outer_udp4(5072, 40000, ayiya(41, ipv6(6, tcp(1, 2, 0x02))));
  cut.resize(14 + 20 + 8 + 20);
  EXPECT_ERROR(dec(cut), kBadTunnel);
}

TEST(DecodeTunnel, NestingRecordsOutermost) {
  // VXLAN inside GRE: outermost is GRE, not a UDP flow.
  const Decoded a = dec(
      eth(0x0800, ipv4(47, gre(0x0800, ipv4(17, udp(1, 4789, vxlan(eth(0x0800, inner_tcp4()))), kD4, kC4)))));
  expect_inner_tcp4(a);
  EXPECT_EQ(a.tunnel, TunnelType::kGre);
  EXPECT_EQ(a.tunnel_depth, 2);
  EXPECT_FALSE(a.outer_is_udp);
  EXPECT_EQ(a.outer.src, ip(kA4));
  // GRE inside VXLAN: outermost is the UDP flow.
  const Decoded b =
      dec(outer_udp4(7, 4789, vxlan(eth(0x0800, ipv4(47, gre(0x0800, inner_tcp4()), kD4, kC4)))));
  expect_inner_tcp4(b);
  EXPECT_EQ(b.tunnel, TunnelType::kVxlan);
  EXPECT_EQ(b.tunnel_depth, 2);
  expect_outer_udp4(b, 7, 4789);
  // GTP-U -> 6in6 -> 4in6 -> GRE: four encapsulations are allowed.
  const Bytes l3 = ipv6(41, ipv6(4, ipv4(47, gre(0x0800, inner_tcp4()))));
  const Decoded c = dec(outer_udp4(2152, 2152, gtpu(l3)));
  expect_inner_tcp4(c);
  EXPECT_EQ(c.tunnel, TunnelType::kGtpU);
  EXPECT_EQ(c.tunnel_depth, 4);
}

TEST(DecodeTunnel, TooDeep) {
  Bytes pkt = inner_tcp4();
  for (unsigned depth = 1; depth <= kMaxTunnelDepth + 2; ++depth) {
    pkt = ipv4(4, pkt);
    const Decoded d = dec(eth(0x0800, pkt));
    if (depth <= kMaxTunnelDepth) {
      expect_inner_tcp4(d);
      EXPECT_EQ(d.tunnel_depth, depth);
    } else {
      EXPECT_ERROR(d, kTunnelTooDeep);
    }
  }
  // Same with mixed tunnel kinds.
  Bytes mixed = inner_tcp4();
  mixed = ipv4(17, udp(1, 4789, vxlan(eth(0x0800, mixed))));
  mixed = ipv4(47, gre(0x0800, mixed));
  mixed = ipv4(17, udp(1, 6081, geneve(0x0800, mixed)));
  mixed = ipv4(47, gre(0x6558, eth(0x0800, mixed)));
  expect_inner_tcp4(dec(eth(0x0800, mixed)));
  mixed = ipv4(17, udp(2152, 2152, gtpu(mixed)));
  EXPECT_ERROR(dec(eth(0x0800, mixed)), kTunnelTooDeep);
  // Hundreds of GRE layers stop at the limit without deep recursion.
  Bytes many = inner_tcp4();
  for (int i = 0; i < 300; ++i) many = ipv4(47, gre(0x0800, many));
  EXPECT_ERROR(dec(eth(0x0800, many)), kTunnelTooDeep);
}

TEST(DecodeLink, DeepLinkNestingIsIterative) {
  // Thousands of VLAN tags / PBB frames / MPLS pseudowires: a loop, not recursion.
  Bytes tags;
  for (int i = 0; i < 3000; ++i) tags = cat({tags, vlan(uint16_t(i), 0x8100)});
  const Decoded d = dec(eth(0x8100, cat({tags, vlan(1, 0x0800), inner_tcp4()})));
  expect_inner_tcp4(d);
  EXPECT_EQ(d.vlan_count, 255);  // saturates
  Bytes pw = eth(0x0800, inner_tcp4());
  for (int i = 0; i < 500; ++i) pw = eth(0x8847, cat({mpls(1, true), Bytes{0, 0, 0, 0}, pw}));
  expect_inner_tcp4(dec(pw));
}

// ===================================================================================================
// Hostile inputs

struct Sample {
  const char* name;
  Bytes bytes;
  LinkType link;
};

std::vector<Sample> valid_samples() {
  V4Opts opts;
  opts.ihl = 8;
  V4Opts frag;
  frag.frag = 0x2000;
  Bytes sll(14, 0);
  put16(sll, 0x8100);
  return {
      {"eth-ipv4-tcp-opts", eth(0x0800, ipv4(6, tcp(1, 2, 0x18, filler(30), 8), kA4, kB4, opts)),
       LinkType::kEthernet},
      {"eth-ipv6-ext-udp",
       eth(0x86dd, ipv6(0, ext_hdr(44, 1, frag6_hdr(17, 0, true, 3, udp(1, 2, filler(9)))))),
       LinkType::kEthernet},
      {"qinq-pppoe-ipv6",
       eth(0x88a8, cat({vlan(1, 0x8100), vlan(2, 0x8864), pppoe(0x0057, ipv6(58, icmp(1, 4)))})),
       LinkType::kEthernet},
      {"mpls-pw",
       eth(0x8847, cat({mpls(1, false), mpls(2, true), Bytes{0, 0, 0, 0}, eth(0x0800, inner_tcp4())})),
       LinkType::kEthernet},
      {"pbb", eth(0x88e7, cat({Bytes{0, 0, 0, 1}, eth(0x0800, ipv4(132, sctp(1, 2), kA4, kB4, frag))})),
       LinkType::kEthernet},
      {"gre-erspan2",
       eth(0x0800,
           ipv4(47, gre(0x88be, cat({Bytes{0x10, 0, 0, 1, 0, 0, 0, 0}, eth(0x0800, inner_tcp4())}), kGreS))),
       LinkType::kEthernet},
      {"gre-erspan3",
       eth(0x0800, ipv4(47, gre(0x22eb,
                                cat({Bytes{0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, filler(8),
                                     eth(0x0800, inner_tcp4())}),
                                kGreS))),
       LinkType::kEthernet},
      {"pptp",
       eth(0x0800, ipv4(47, pptp_gre(cat({Bytes{0xff, 0x03, 0x00, 0x21}, inner_tcp4()}), true, true))),
       LinkType::kEthernet},
      {"vxlan", outer_udp4(1, 4789, vxlan(eth(0x8100, cat({vlan(3, 0x0800), inner_tcp4()})))),
       LinkType::kEthernet},
      {"geneve", outer_udp4(1, 6081, geneve(0x6558, eth(0x0800, inner_tcp4()), 2)), LinkType::kEthernet},
      {"gtpu-ext",
       outer_udp4(2152, 2152, gtpu(inner_tcp4(), 0x34, 0xff, Bytes{0, 0, 0, 0x85, 0x01, 9, 1, 0})),
       LinkType::kEthernet},
      {"teredo", outer_udp4(3544, 9, cat({teredo_auth(), teredo_origin(), ipv6(17, udp(1, 2, filler(4)))})),
       LinkType::kEthernet},
      {"ayiya", outer_udp4(9, 5072, ayiya(41, ipv6(6, tcp(1, 2, 0x02)))), LinkType::kEthernet},
      {"6in4-4in6", eth(0x0800, ipv4(41, ipv6(4, inner_tcp4()))), LinkType::kEthernet},
      {"sll-vlan", cat({sll, vlan(5, 0x0800), inner_tcp4()}), LinkType::kLinuxSll},
      {"null", cat({Bytes{30, 0, 0, 0}, ipv6(17, udp(1, 2))}), LinkType::kNull},
      {"ppp", cat({Bytes{0xff, 0x03, 0x00, 0x21}, inner_tcp4()}), LinkType::kPpp},
      {"raw-v6-jumbo",
       ipv6(0, cat({Bytes{17, 0, 0xc2, 4, 0, 0, 0, 0x30}, udp(1, 2, filler(32))}), v6(1), v6(2), 0),
       LinkType::kRaw},
  };
}

TEST(DecodeHostile, EveryPrefixOfValidPackets) {
  for (const Sample& s : valid_samples()) {
    SCOPED_TRACE(s.name);
    const Decoded full = dec(s.bytes, s.link);
    EXPECT_FLOW(full);
    for (size_t len = 0; len < s.bytes.size(); ++len) {
      const Bytes prefix(s.bytes.begin(), s.bytes.begin() + ptrdiff_t(len));
      const Decoded d = dec(prefix, s.link);
      // A cut frame still has its link layer, so non-flow is only possible where one byte of PPP
      // already reads as a (compressed) protocol.
      if (s.link != LinkType::kPpp) {
        ASSERT_NE(d.cls, PacketClass::kNonFlow) << "len " << len;
      }
    }
  }
}

TEST(DecodeHostile, RandomBuffers) {
  std::mt19937 rng(20240601);
  constexpr LinkType kLinks[] = {
      LinkType::kEthernet, LinkType::kRaw,      LinkType::kIpv4,      LinkType::kIpv6, LinkType::kNull,
      LinkType::kLoop,     LinkType::kLinuxSll, LinkType::kLinuxSll2, LinkType::kPpp,  LinkType(127)};
  std::map<PacketClass, size_t> classes;
  for (int i = 0; i < 200000; ++i) {
    Bytes b(rng() % 160);
    for (auto& x : b) x = uint8_t(rng());
    // Bias some buffers towards plausible headers so that deeper code runs.
    if (b.size() > 34 && (i & 1)) {
      b[12] = 0x08;
      b[13] = 0x00;
      b[14] = uint8_t(0x45 + (rng() % 3));
      b[23] = std::array<uint8_t, 8>{1, 4, 6, 17, 41, 47, 58, 132}[rng() % 8];
    }
    const Decoded d = dec(b, kLinks[rng() % std::size(kLinks)]);
    ++classes[d.cls];
  }
  EXPECT_GT(classes[PacketClass::kError], 0u);
  EXPECT_GT(classes[PacketClass::kFlow], 0u);
}

TEST(DecodeHostile, MutationsOfValidPackets) {
  std::mt19937 rng(7);
  const std::vector<Sample> samples = valid_samples();
  std::map<PacketClass, size_t> classes;
  for (int i = 0; i < 200000; ++i) {
    const Sample& s = samples[rng() % samples.size()];
    Bytes b = s.bytes;
    const int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      const size_t pos = rng() % b.size();
      switch (rng() % 4) {
        case 0:
          b[pos] = uint8_t(rng());
          break;
        case 1:
          b[pos] ^= uint8_t(1u << (rng() % 8));
          break;
        case 2:
          b[pos] = (rng() & 1) ? 0xff : 0x00;
          break;
        default:
          b.resize(pos);
          break;
      }
      if (b.empty()) break;
    }
    const Decoded d = dec(b, s.link);
    ++classes[d.cls];
  }
  EXPECT_GT(classes[PacketClass::kError], 0u);
  EXPECT_GT(classes[PacketClass::kFlow], 0u);
}

TEST(DecodeHostile, NullDataZeroLength) {
  DecodedPacket d;
  EXPECT_EQ(decode_packet(nullptr, 0, LinkType::kEthernet, d), PacketClass::kError);
  EXPECT_EQ(d.error, DecodeError::kTruncatedLink);
  EXPECT_EQ(decode_packet(nullptr, 0, LinkType::kRaw, d), PacketClass::kError);
  EXPECT_EQ(decode_packet(nullptr, 0, LinkType::kIpv6, d), PacketClass::kError);
}

// ===================================================================================================
// Real captures

struct PcapStats {
  size_t packets = 0, flows = 0, non_flow = 0, errors = 0;
  std::array<size_t, size_t(DecodeError::kCount)> by_error{};
  std::array<size_t, size_t(NonFlowKind::kCount)> by_non_flow{};
  std::array<size_t, size_t(TunnelType::kCount)> by_tunnel{};
  size_t max_vlans = 0;
  size_t vxlan_inner_icmp = 0;
  std::vector<size_t> first_error_frames;  // 1-based frame numbers, for `tshark -r FILE -V -c N`

  void add(const DecodedPacket& d, size_t frame_no) {
    ++packets;
    switch (d.cls) {
      case PacketClass::kFlow:
        ++flows;
        break;
      case PacketClass::kNonFlow:
        ++non_flow;
        break;
      case PacketClass::kError:
        ++errors;
        break;
    }
    ++by_error[size_t(d.error)];
    ++by_non_flow[size_t(d.non_flow)];
    if (d.cls == PacketClass::kFlow) ++by_tunnel[size_t(d.tunnel)];
    max_vlans = std::max<size_t>(max_vlans, d.vlan_count);
    if (d.cls == PacketClass::kFlow && d.tunnel == TunnelType::kVxlan && d.inner.l4_proto == 1)
      ++vxlan_inner_icmp;
    if (d.cls == PacketClass::kError && first_error_frames.size() < 5) first_error_frames.push_back(frame_no);
  }
  void merge(const PcapStats& o) {
    packets += o.packets;
    flows += o.flows;
    non_flow += o.non_flow;
    errors += o.errors;
    for (size_t i = 0; i < by_error.size(); ++i) by_error[i] += o.by_error[i];
    for (size_t i = 0; i < by_non_flow.size(); ++i) by_non_flow[i] += o.by_non_flow[i];
    for (size_t i = 0; i < by_tunnel.size(); ++i) by_tunnel[i] += o.by_tunnel[i];
  }
};

std::string describe(const PcapStats& s) {
  std::string out = std::to_string(s.packets) + " pkts: " + std::to_string(s.flows) + " flow, " +
                    std::to_string(s.non_flow) + " non-flow, " + std::to_string(s.errors) + " error";
  for (size_t i = 1; i < s.by_error.size(); ++i)
    if (s.by_error[i]) out += " " + std::string(kDecodeErrorNames[i]) + "=" + std::to_string(s.by_error[i]);
  for (size_t i = 1; i < s.by_non_flow.size(); ++i)
    if (s.by_non_flow[i])
      out += " " + std::string(kNonFlowKindNames[i]) + "=" + std::to_string(s.by_non_flow[i]);
  for (size_t i = 1; i < s.by_tunnel.size(); ++i)
    if (s.by_tunnel[i])
      out += " tunnel:" + std::string(kTunnelTypeNames[i]) + "=" + std::to_string(s.by_tunnel[i]);
  if (!s.first_error_frames.empty()) {
    out += " (error frames";
    for (size_t f : s.first_error_frames) out += " " + std::to_string(f);
    out += ")";
  }
  return out;
}

// Decodes one capture; returns false if libpcap cannot open it.
bool decode_pcap(const std::filesystem::path& path, PcapStats& stats, std::string& err) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pc = pcap_open_offline(path.c_str(), errbuf);
  if (pc == nullptr) {
    err = errbuf;
    return false;
  }
  // As pipeline/pcap_probe does: DLT numbers are LinkType values (DLT_RAW 12 included).
  const LinkType link = static_cast<LinkType>(pcap_datalink(pc));
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  size_t frame_no = 0;
  int rc = 0;
  while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
    ++frame_no;
    // Exact-size copy: ASan then catches any read past caplen.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[hdr->caplen + 1]);
    std::memcpy(copy.get(), data, hdr->caplen);
    DecodedPacket d;
    decode_packet(copy.get(), hdr->caplen, link, d);
    check_invariants(d, copy.get(), hdr->caplen);
    stats.add(d, frame_no);
  }
  // libpcap 1.10 refuses some pcapng files part-way (e.g. interfaces with different snaplens).
  if (rc == PCAP_ERROR) err = pcap_geterr(pc);
  pcap_close(pc);
  return true;
}

std::filesystem::path corpus_root() {
  const char* env = std::getenv("SPANWATCH_CORPUS");
  return std::filesystem::path(env != nullptr && *env != '\0' ? env : "/work/shared/corpus");
}

TEST(DecodeCorpus, AllPcapsDecode) {
  const std::filesystem::path pcaps = corpus_root() / "pcaps";
  if (!std::filesystem::is_directory(pcaps))
    GTEST_SKIP() << "no pcap corpus at " << pcaps << " (set SPANWATCH_CORPUS to the corpus folder)";

  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(pcaps))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  const bool verbose = std::getenv("SPANWATCH_DECODE_VERBOSE") != nullptr;
  std::map<std::string, PcapStats> per_file;
  PcapStats total;
  size_t opened = 0;
  for (const auto& f : files) {
    PcapStats s;
    std::string err;
    if (!decode_pcap(f, s, err)) {
      std::cout << "[ corpus ] cannot open " << f.string() << ": " << err << "\n";
      continue;
    }
    ++opened;
    const std::string key = f.parent_path().filename().string() + "/" + f.filename().string();
    if (!err.empty()) std::cout << "[ corpus ] " << key << ": libpcap stopped reading: " << err << "\n";
    if (verbose || s.errors != 0) std::cout << "[ corpus ] " << key << ": " << describe(s) << "\n";
    total.merge(s);
    per_file[key] = s;
  }
  std::cout << "[ corpus ] " << opened << " of " << files.size() << " pcaps; total " << describe(total)
            << "\n";
  EXPECT_GE(opened, files.size() - 1);  // wlanmon (802.11) opens fine; allow one odd file

  // Known facts about particular captures.
  auto stats = [&](const std::string& key) -> const PcapStats* {
    auto it = per_file.find(key);
    return it == per_file.end() ? nullptr : &it->second;
  };
  if (const PcapStats* s = stats("zeek/tunnels-vxlan.pcap")) {
    EXPECT_GT(s->by_tunnel[size_t(TunnelType::kVxlan)], 0u);
    EXPECT_GT(s->vxlan_inner_icmp, 0u);
  }
  if (const PcapStats* s = stats("zeek/q-in-q.pcap")) {
    EXPECT_EQ(s->max_vlans, 2u);
  }
  if (const PcapStats* s = stats("zeek/pppoe.pcap")) {
    EXPECT_GT(s->flows, 0u);
  }
  if (const PcapStats* s = stats("zeek/pppoe-over-qinq.pcap")) {
    EXPECT_GT(s->flows, 0u);
  }
  if (const PcapStats* s = stats("zeek/tunnels-Teredo.pcap")) {
    EXPECT_GT(s->by_tunnel[size_t(TunnelType::kTeredo)], 0u);
  }
  if (const PcapStats* s = stats("zeek/tunnels-ayiya3.pcap")) {
    EXPECT_GT(s->by_tunnel[size_t(TunnelType::kAyiya)], 0u);
  }
  if (const PcapStats* s = stats("zeek/tunnels-gtp-gtp7_ipv6.pcap")) {
    EXPECT_GT(s->by_tunnel[size_t(TunnelType::kGtpU)], 0u);
  }
  if (const PcapStats* s = stats("zeek/tunnels-geneve-ipv6.pcap")) {
    EXPECT_GT(s->by_tunnel[size_t(TunnelType::kGeneve)], 0u);
  }
  if (const PcapStats* s = stats("zeek/tunnels-gre-sample.pcap")) {
    EXPECT_GT(s->by_tunnel[size_t(TunnelType::kGre)], 0u);
  }
  if (const PcapStats* s = stats("zeek/erspanII.pcap")) {
    EXPECT_GT(s->by_tunnel[size_t(TunnelType::kErspan)], 0u);
  }
  if (const PcapStats* s = stats("zeek/erspanIII.pcap")) {
    EXPECT_GT(s->by_tunnel[size_t(TunnelType::kErspan)], 0u);
  }
  if (const PcapStats* s = stats("ndpi/4in4tunnel.pcap")) {
    EXPECT_GT(s->by_tunnel[size_t(TunnelType::kIpInIp)], 0u);
  }
  if (const PcapStats* s = stats("ndpi/6in6tunnel.pcap")) {
    EXPECT_GT(s->by_tunnel[size_t(TunnelType::kIpInIp)], 0u);
  }
  if (const PcapStats* s = stats("ndpi/iqiyi.pcap")) {
    EXPECT_EQ(s->flows, s->packets);  // DLT_RAW
  }
  if (const PcapStats* s = stats("ndpi/dlt_ppp.pcap")) {
    EXPECT_EQ(s->flows, s->packets);
  }
  if (const PcapStats* s = stats("zeek/wlanmon.pcap")) {
    EXPECT_EQ(s->flows, s->packets);  // 802.11 QoS data frames, as Zeek decodes them
  }
}

// ---------------------------------------------------------------------------------------------------
// Checksums (decode_packet's verify_checksums; lib/decode/checksum.hpp).

// RFC 1071 written out once more, independently of checksum.cpp: the checksum field's value.
uint16_t rfc1071(const Bytes& pseudo, const uint8_t* p, size_t n) {
  Bytes all = pseudo;
  all.insert(all.end(), p, p + n);
  if (all.size() % 2) all.push_back(0);
  uint32_t sum = 0;
  for (size_t i = 0; i < all.size(); i += 2) sum += uint32_t(all[i]) << 8 | all[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

// An IP packet (no IPv6 extension headers) with correct checksums in its IPv4 header and transport.
Bytes sealed(Bytes ip) {
  const bool v4 = (ip[0] >> 4) == 4;
  const size_t hl = v4 ? size_t(ip[0] & 0x0f) * 4 : 40;
  const uint8_t proto = v4 ? ip[9] : ip[6];
  if (v4) set16(ip, 10, rfc1071({}, ip.data(), hl));
  const size_t len = ip.size() - hl;
  Bytes pseudo = v4 ? Bytes(ip.begin() + 12, ip.begin() + 20) : Bytes(ip.begin() + 8, ip.begin() + 40);
  pseudo.insert(pseudo.end(), {0, 0, 0, proto, uint8_t(len >> 8), uint8_t(len)});
  const size_t at = proto == 6 ? 16 : proto == 17 ? 6 : 2;
  if (proto == 1) pseudo.clear();  // ICMPv4: no pseudo-header
  set16(ip, hl + at, 0);
  set16(ip, hl + at, rfc1071(pseudo, ip.data() + hl, len));
  return ip;
}

DecodedPacket verified(const Bytes& frame, bool verify = true) {
  DecodedPacket d;
  decode_packet(frame.data(), uint32_t(frame.size()), LinkType::kEthernet, d, verify);
  return d;
}

TEST(Checksum, Ipv4HeaderKnownVector) {
  // The worked example of the IPv4 header checksum (checksum b861).
  const Bytes h{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_TRUE(ipv4_header_checksum_ok(h.data(), 20));
  Bytes bad = h;
  bad[8] = 0x3f;  // TTL
  EXPECT_FALSE(ipv4_header_checksum_ok(bad.data(), 20));
}

TEST(Checksum, GoodAndCorruptedTransportsOverIpv4AndIpv6) {
  const struct {
    const char* name;
    Bytes ip;
    DecodeError kind;
  } cases[] = {
      {"tcp4", ipv4(6, tcp(40000, 80, 0x18, filler(11))), DecodeError::kBadTcpChecksum},
      {"udp4", ipv4(17, udp(40000, 53, filler(9))), DecodeError::kBadUdpChecksum},
      {"icmp4", ipv4(1, icmp(8, 0, filler(5))), DecodeError::kBadIcmpChecksum},
      {"tcp6", ipv6(6, tcp(40000, 80, 0x18, filler(11))), DecodeError::kBadTcpChecksum},
      {"udp6", ipv6(17, udp(40000, 53, filler(9))), DecodeError::kBadUdpChecksum},
      {"icmp6", ipv6(58, icmp(128, 0, filler(5))), DecodeError::kBadIcmpChecksum},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const uint16_t type = (c.ip[0] >> 4) == 4 ? 0x0800 : 0x86dd;
    const Bytes good = eth(type, sealed(c.ip));
    DecodedPacket d = verified(good);
    EXPECT_EQ(d.cls, PacketClass::kFlow);
    EXPECT_FALSE(d.bad_checksum);
    EXPECT_EQ(d.error, DecodeError::kNone);

    Bytes bad = good;
    bad.back() ^= 0x40;  // a payload bit
    d = verified(bad);
    EXPECT_EQ(d.cls, PacketClass::kFlow);  // the flow is still made or kept
    EXPECT_TRUE(d.bad_checksum);
    EXPECT_EQ(d.error, c.kind);
    EXPECT_EQ(d.inner.dst_port, c.kind == DecodeError::kBadIcmpChecksum ? 0 : (c.name[0] == 't' ? 80 : 53));

    EXPECT_FALSE(verified(bad, false).bad_checksum);  // not verified: the default

    // Cut by the snap length: the checksum cannot be checked, as in Zeek (caplen < len).
    const Bytes cut(bad.begin(), bad.end() - 1);
    d = verified(cut);
    EXPECT_EQ(d.cls, PacketClass::kFlow);
    EXPECT_FALSE(d.bad_checksum);
  }
}

TEST(Checksum, UdpZeroChecksumIsNoneOverIpv4OnlyAndFragmentsAreNotChecked) {
  Bytes v4 = eth(0x0800, sealed(ipv4(17, udp(40000, 53, filler(9)))));
  set16(v4, 14 + 20 + 6, 0);
  v4.back() ^= 0x40;
  EXPECT_FALSE(verified(v4).bad_checksum);

  Bytes v6 = eth(0x86dd, sealed(ipv6(17, udp(40000, 53, filler(9)))));
  set16(v6, 14 + 40 + 6, 0);
  EXPECT_TRUE(verified(v6).bad_checksum);  // mandatory over IPv6

  // A first fragment: the datagram's checksum covers bytes it does not have (here: any non-zero value).
  Bytes frag = eth(0x0800, ipv4(17, udp(40000, 53, filler(9)), kA4, kB4, V4Opts{.frag = 0x2000}));
  set16(frag, 14 + 20 + 6, 0x1234);
  const Bytes ip(frag.begin() + 14, frag.begin() + 34);
  set16(frag, 14 + 10, rfc1071({}, ip.data(), 20));
  const DecodedPacket d = verified(frag);
  EXPECT_EQ(d.cls, PacketClass::kFlow);
  EXPECT_EQ(d.fragment, Fragment::kFirst);
  EXPECT_FALSE(d.bad_checksum);
}

TEST(Checksum, BadIpv4HeaderDropsThePacket) {
  Bytes f = eth(0x0800, sealed(ipv4(6, tcp(40000, 80, 0x02))));
  EXPECT_EQ(verified(f).cls, PacketClass::kFlow);
  f[14 + 8] ^= 1;  // TTL: the header checksum no longer matches (TCP's does not cover it)
  DecodedPacket d = verified(f);
  EXPECT_EQ(d.cls, PacketClass::kError);
  EXPECT_EQ(d.error, DecodeError::kBadIpv4Checksum);
  EXPECT_EQ(verified(f, false).cls, PacketClass::kFlow);
}

TEST(Checksum, TunnelBehindABadUdpChecksumIsNotEntered) {
  const Bytes inner =
      eth(0x0800, sealed(ipv4(17, udp(5000, 53, filler(9)), V4{192, 168, 0, 1}, V4{192, 168, 0, 2})));
  Bytes f = eth(0x0800, sealed(ipv4(17, udp(48036, 4789, vxlan(inner)))));
  DecodedPacket d = verified(f);
  EXPECT_EQ(d.tunnel_depth, 1);
  EXPECT_EQ(d.inner.dst_port, 53);
  EXPECT_FALSE(d.bad_checksum);

  f[14 + 20 + 7] ^= 0x01;  // the outer UDP checksum
  d = verified(f);
  EXPECT_EQ(d.cls, PacketClass::kFlow);
  EXPECT_TRUE(d.bad_checksum);
  EXPECT_EQ(d.error, DecodeError::kBadUdpChecksum);
  EXPECT_EQ(d.tunnel_depth, 0);
  EXPECT_EQ(d.carrier_count, 0);
  EXPECT_EQ(d.inner.src_port, 48036);
  EXPECT_EQ(d.inner.dst_port, 4789);
  EXPECT_EQ(verified(f, false).tunnel_depth, 1);
}

}  // namespace
}  // namespace spanwatch::lib
