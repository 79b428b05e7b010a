#include "lib/flow/flow_key.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "lib/decode/packet_decoder.hpp"

namespace spanwatch::lib {
namespace {

IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t x[4] = {a, b, c, d};
  return IpAddress::from_v4(x);
}

// IpAddress compares as two words: the order must stay the bytes' (lexicographic), as keys depend on it.
TEST(IpAddressOrder, MatchesByteOrder) {
  std::mt19937_64 rng(7);
  std::vector<IpAddress> addrs;
  for (int i = 0; i < 400; ++i) {
    IpAddress a;
    for (auto& b : a.bytes) b = uint8_t(rng() % 4 == 0 ? 0 : rng());  // shared prefixes, ties
    if (i % 3 == 0) a = v4(uint8_t(rng()), uint8_t(rng() % 2), 0, uint8_t(rng() % 3));
    addrs.push_back(a);
  }
  for (const IpAddress& a : addrs)
    for (const IpAddress& b : addrs) {
      const int c = std::memcmp(a.bytes.data(), b.bytes.data(), 16);
      ASSERT_EQ(a < b, c < 0);
      ASSERT_EQ(a == b, c == 0);
      ASSERT_EQ(a > b, c > 0);
    }
}

TEST(FlowKey, BothDirectionsGiveTheSameKeyAndHash) {
  bool lo1 = false, lo2 = false;
  const auto a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2);
  const FlowKey k1 = make_flow_key(a, b, {40000, 443}, 6, lo1);
  const FlowKey k2 = make_flow_key(b, a, {443, 40000}, 6, lo2);
  EXPECT_EQ(k1, k2);
  EXPECT_NE(lo1, lo2);
  EXPECT_EQ(flow_hash(k1), flow_hash(k2));
  EXPECT_EQ(worker_hash(a, b), worker_hash(b, a));
}

TEST(FlowKey, SameAddressesDifferentPortsOrderByPort) {
  bool lo = false;
  const auto a = v4(1, 1, 1, 1);
  const FlowKey k1 = make_flow_key(a, a, {5, 9}, 17, lo);
  EXPECT_TRUE(lo);
  const FlowKey k2 = make_flow_key(a, a, {9, 5}, 17, lo);
  EXPECT_FALSE(lo);
  EXPECT_EQ(k1, k2);
}

TEST(FlowKey, IcmpEchoRequestAndReplyShareAKey) {
  IpEndpoints req;
  req.l4_proto = 1;
  req.src_port = 8;  // type
  req.dst_port = 0;  // code
  IpEndpoints rep = req;
  rep.src_port = 0;
  const FlowPorts p1 = flow_ports(req), p2 = flow_ports(rep);
  bool lo = false;
  const auto a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2);
  EXPECT_EQ(make_flow_key(a, b, p1, 1, lo), make_flow_key(b, a, p2, 1, lo));
  EXPECT_EQ(p1.src, 8);
  EXPECT_EQ(p1.dst, 0);
}

TEST(FlowKey, IcmpUnreachableKeepsTypeAndCode) {
  IpEndpoints e;
  e.l4_proto = 1;
  e.src_port = 3;
  e.dst_port = 3;
  const FlowPorts p = flow_ports(e);
  EXPECT_EQ(p.src, 3);
  EXPECT_EQ(p.dst, 3);
}

TEST(FlowKey, PortlessProtocolsHaveZeroPorts) {
  IpEndpoints e;
  e.l4_proto = 47;
  e.src_port = 7;
  const FlowPorts p = flow_ports(e);
  EXPECT_EQ(p.src, 0);
  EXPECT_EQ(p.dst, 0);
}

TEST(FlowKey, V4AndV6NeverCollide) {
  uint8_t raw[16] = {};
  raw[15] = 1;
  const auto six = IpAddress::from_v6(raw);
  const auto four = v4(0, 0, 0, 1);
  EXPECT_NE(six, four);
  EXPECT_TRUE(four.is_v4());
  EXPECT_FALSE(six.is_v4());
  char buf[kIpTextMax];
  four.format(buf, sizeof buf);
  EXPECT_STREQ(buf, "0.0.0.1");
  six.format(buf, sizeof buf);
  EXPECT_STREQ(buf, "::1");
}

TEST(FlowKey, WorkerHashSpreadsEvenly) {
  // A symmetric Toeplitz key would collapse to 16 bits; ours must spread over workers evenly.
  std::mt19937 rng(7);
  constexpr int kWorkers = 3, kN = 30000;
  int count[kWorkers] = {};
  std::set<uint32_t> distinct;
  for (int i = 0; i < kN; ++i) {
    const uint32_t x = rng(), y = rng();
    const auto a = v4(uint8_t(x), uint8_t(x >> 8), uint8_t(x >> 16), uint8_t(x >> 24));
    const auto b = v4(uint8_t(y), uint8_t(y >> 8), uint8_t(y >> 16), uint8_t(y >> 24));
    const uint32_t h = worker_hash(a, b);
    distinct.insert(h);
    ++count[h % kWorkers];
  }
  for (int c : count) EXPECT_NEAR(c, kN / kWorkers, kN / kWorkers * 0.05);
  EXPECT_GT(distinct.size(), size_t{kN - 5});
}

// Ethernet + IPv4 fragment of a UDP datagram: the first one carries the UDP header (ports), later ones
// only payload. `offset8` is the fragment offset in 8-byte units.
std::vector<uint8_t> ipv4_fragment(uint16_t offset8, bool more, uint16_t sport, uint16_t dport) {
  std::vector<uint8_t> f(14 + 20 + 64, 0);
  f[12] = 0x08;  // IPv4
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  ip[2] = 0;
  ip[3] = 20 + 64;
  ip[4] = 0x12;  // identification
  ip[5] = 0x34;
  ip[6] = uint8_t((more ? 0x20 : 0) | (offset8 >> 8));
  ip[7] = uint8_t(offset8);
  ip[8] = 64;
  ip[9] = 17;
  const uint8_t src[4] = {192, 0, 2, 10}, dst[4] = {198, 51, 100, 20};
  std::copy(src, src + 4, ip + 12);
  std::copy(dst, dst + 4, ip + 16);
  if (offset8 == 0) {
    ip[20] = uint8_t(sport >> 8), ip[21] = uint8_t(sport), ip[22] = uint8_t(dport >> 8),
    ip[23] = uint8_t(dport);
    ip[24] = 0x05, ip[25] = 0xdc;  // UDP length of the whole datagram (1500)
  }
  return f;
}

TEST(FlowKey, FragmentsOfOneDatagramPickTheSameWorker) {
  // The RX lcore picks the worker from worker_hash(inner.src, inner.dst): addresses only, as Suricata does
  // for fragments, because a later fragment has no ports. Hashing ports too would send the first fragment
  // and the rest of the same datagram to different workers, and none could reassemble it.
  DecodedPacket first, later, last;
  const auto f0 = ipv4_fragment(0, true, 5353, 40000), f1 = ipv4_fragment(8, true, 0, 0),
             f2 = ipv4_fragment(16, false, 0, 0);
  ASSERT_EQ(decode_packet(f0.data(), uint32_t(f0.size()), LinkType::kEthernet, first), PacketClass::kFlow);
  ASSERT_EQ(decode_packet(f1.data(), uint32_t(f1.size()), LinkType::kEthernet, later), PacketClass::kFlow);
  ASSERT_EQ(decode_packet(f2.data(), uint32_t(f2.size()), LinkType::kEthernet, last), PacketClass::kFlow);
  EXPECT_EQ(first.inner.src_port, 5353);
  EXPECT_EQ(later.inner.src_port, 0);  // no L4 header in a later fragment
  EXPECT_NE(later.fragment, Fragment::kNone);
  const uint32_t h = worker_hash(first.inner.src, first.inner.dst);
  EXPECT_EQ(worker_hash(later.inner.src, later.inner.dst), h);
  EXPECT_EQ(worker_hash(last.inner.src, last.inner.dst), h);
  for (unsigned workers = 2; workers <= 16; ++workers) {
    EXPECT_EQ(worker_hash(later.inner.src, later.inner.dst) % workers, h % workers);
    // ... and the reply direction too (a fragmented answer from the server).
    EXPECT_EQ(worker_hash(last.inner.dst, last.inner.src) % workers, h % workers);
  }
}

}  // namespace
}  // namespace spanwatch::lib
