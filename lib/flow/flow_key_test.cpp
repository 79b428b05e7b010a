#include "lib/flow/flow_key.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace spanwatch::lib {
namespace {

IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t x[4] = {a, b, c, d};
  return IpAddress::from_v4(x);
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

}  // namespace
}  // namespace spanwatch::lib
