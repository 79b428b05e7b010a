#include "lib/flow/flow_table.hpp"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace spanwatch::lib {
namespace {

struct TestEntry {
  FlowKey key;
  uint64_t value = 0;
};

FlowKey key_n(uint32_t n) {
  FlowKey k;
  const uint8_t a[4] = {10, uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
  k.addr_lo = IpAddress::from_v4(a);
  k.port_lo = static_cast<uint16_t>(n);
  k.proto = 6;
  return k;
}

TEST(FlowTable, InsertFindErase) {
  FlowTable<TestEntry> t(100);
  const FlowKey k = key_n(1);
  const uint64_t h = flow_hash(k);
  EXPECT_EQ(t.find(k, h), kNilIndex);
  const uint32_t idx = t.insert(k, h);
  ASSERT_NE(idx, kNilIndex);
  t.at(idx).value = 42;
  EXPECT_EQ(t.find(k, h), idx);
  EXPECT_EQ(t.size(), 1u);
  t.erase(idx, h);
  EXPECT_EQ(t.find(k, h), kNilIndex);
  EXPECT_EQ(t.size(), 0u);
}

TEST(FlowTable, FullTableRefusesInsert) {
  FlowTable<TestEntry> t(4);
  for (uint32_t i = 0; i < 4; ++i) ASSERT_NE(t.insert(key_n(i), flow_hash(key_n(i))), kNilIndex);
  EXPECT_TRUE(t.full());
  EXPECT_EQ(t.insert(key_n(9), flow_hash(key_n(9))), kNilIndex);
}

// Random insert/erase against std::unordered_map, with a deliberately bad hash to force long probe
// chains and wrap-around, which is where backward-shift deletion can go wrong.
TEST(FlowTable, MatchesReferenceUnderChurnWithCollidingHashes) {
  constexpr uint32_t kCap = 512;
  FlowTable<TestEntry> t(kCap);
  std::unordered_map<uint32_t, uint32_t> ref;  // n -> idx
  std::mt19937 rng(1);
  auto bad_hash = [](uint32_t n) { return uint64_t{(n % 7) * 0x9e3779b9u} + 1020; };  // 7 homes near the end
  for (int step = 0; step < 200000; ++step) {
    const uint32_t n = rng() % 2000;
    const FlowKey k = key_n(n);
    const uint64_t h = bad_hash(n);
    auto it = ref.find(n);
    if (it == ref.end()) {
      if (t.full()) continue;
      const uint32_t idx = t.insert(k, h);
      ASSERT_NE(idx, kNilIndex);
      t.at(idx).value = n;
      ref[n] = idx;
    } else if (rng() % 2) {
      t.erase(it->second, h);
      ref.erase(it);
    }
    if (step % 997 == 0) {
      for (auto& [m, idx] : ref) {
        ASSERT_EQ(t.find(key_n(m), bad_hash(m)), idx) << "step " << step;
        ASSERT_EQ(t.at(idx).value, m);
      }
    }
  }
  EXPECT_EQ(t.size(), ref.size());
}

struct ListEntry {
  ListLink link;
};

TEST(IndexList, PushRemoveTouchKeepOrder) {
  ListEntry e[5];
  IndexList<ListEntry, &ListEntry::link> l;
  for (uint32_t i = 0; i < 5; ++i) l.push_back(e, i);
  EXPECT_EQ(l.front(), 0u);
  l.touch(e, 0);
  EXPECT_EQ(l.front(), 1u);
  l.remove(e, 1);
  EXPECT_EQ(l.front(), 2u);
  l.remove(e, 3);
  EXPECT_EQ(l.size(), 3u);
  std::vector<uint32_t> order;
  for (uint32_t i = l.front(); i != kNilIndex; i = e[i].link.next) order.push_back(i);
  EXPECT_EQ(order, (std::vector<uint32_t>{2, 4, 0}));
}

}  // namespace
}  // namespace spanwatch::lib
