#include "lib/flow/flow_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

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

// Hashes that put every key on one of 7 home slots near the end of a 1024-slot table: long probe chains
// that wrap around to slot 0 (keys of one home share their tag, so only the entry's key tells them apart;
// erase hashes the keys again in runs this long). A table given these keys' hashes is given the hasher too.
uint64_t colliding_hash(const FlowKey& k) noexcept {
  const uint32_t n = uint32_t(k.addr_lo.v4()[1]) << 16 | uint32_t(k.addr_lo.v4()[2]) << 8 | k.addr_lo.v4()[3];
  return uint64_t{(n % 7) * 0x9e3779b9u} + 1020;
}
struct CollidingHash {
  uint64_t operator()(const FlowKey& k) const noexcept { return colliding_hash(k); }
};

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

// A slot is 4 bytes: the entry index + 1 in bit_width(capacity) bits, a tag in the rest. The largest
// table (a 27-bit index, flows.max_flows_per_worker's limit) keeps a 5-bit tag and works; a larger one is
// refused with the range.
TEST(FlowTable, SlotLayoutAndCapacityLimit) {
  EXPECT_EQ((FlowTable<TestEntry>::kSlotBytes), 4u);
  EXPECT_EQ(FlowTable<TestEntry>(1000).tag_bits(), 22u);
  EXPECT_EQ(FlowTable<TestEntry>(1024).tag_bits(), 21u);  // index + 1 = 1024 takes 11 bits
  EXPECT_EQ(FlowTable<TestEntry>(262144).tag_bits(), 13u);
  EXPECT_EQ(FlowTable<TestEntry>(10'000'000).tag_bits(), 8u);
  {
    FlowTable<TestEntry> big(kFlowTableMaxCapacity);  // zero pages: only what is touched is mapped
    EXPECT_EQ(big.tag_bits(), 5u);
    std::vector<uint32_t> idx;
    for (uint32_t n = 0; n < 2000; ++n) idx.push_back(big.insert(key_n(n), flow_hash(key_n(n))));
    for (uint32_t n = 0; n < 2000; n += 2) big.erase(idx[n], flow_hash(key_n(n)));
    for (uint32_t n = 0; n < 2000; ++n)
      ASSERT_EQ(big.find(key_n(n), flow_hash(key_n(n))), n % 2 ? idx[n] : kNilIndex) << n;
  }
  EXPECT_THROW(FlowTable<TestEntry>(0), std::invalid_argument);
  try {
    FlowTable<TestEntry> t(kFlowTableMaxCapacity + 1);
    ADD_FAILURE() << "a 28-bit index was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("134217727"), std::string::npos) << e.what();
  }
}

// Every entry of a full table whose capacity is a power of two (its last index + 1 takes the index part's
// top bit), erased in a random order with the others still found after each erase.
TEST(FlowTable, FullPowerOfTwoTableEmptiesInAnyOrder) {
  constexpr uint32_t kCap = 1024;
  FlowTable<TestEntry> t(kCap);
  for (uint32_t n = 0; n < kCap; ++n) ASSERT_EQ(t.insert(key_n(n), flow_hash(key_n(n))), n);
  EXPECT_TRUE(t.full());
  EXPECT_EQ(t.insert(key_n(kCap), flow_hash(key_n(kCap))), kNilIndex);
  std::vector<uint32_t> order(kCap);
  for (uint32_t n = 0; n < kCap; ++n) order[n] = n;
  std::shuffle(order.begin(), order.end(), std::mt19937(5));
  for (size_t i = 0; i < kCap; ++i) {
    t.erase(order[i], flow_hash(key_n(order[i])));
    if (i % 64 == 0 || i + 1 == kCap) {
      for (size_t j = 0; j < kCap; ++j)
        ASSERT_EQ(t.find(key_n(order[j]), flow_hash(key_n(order[j]))), j <= i ? kNilIndex : order[j]) << i;
    }
  }
  EXPECT_EQ(t.size(), 0u);
}

// Random inserts and erases against a reference, with hashes that make runs of every length around the
// 16 slots that erase's home bits cover (shorter: the home slot from the tag; longer: the key hashed again)
// and across the wrap-around: homes in the last 40 slots of the 2048 and the first few.
struct RunsHash {
  uint64_t operator()(const FlowKey& k) const noexcept {
    const uint64_t h = flow_hash(k);
    return (h & ~uint64_t{2047}) | ((2008 + h % 48) & 2047);
  }
};
TEST(FlowTable, EraseShiftsBackAcrossShortAndLongRunsAndTheWrap) {
  constexpr uint32_t kCap = 1024;  // 2048 slots
  FlowTable<TestEntry, RunsHash> t(kCap);
  std::unordered_map<uint32_t, uint32_t> ref;  // n -> idx
  std::mt19937 rng(11);
  size_t max_size = 0;
  for (int step = 0; step < 100000; ++step) {
    const uint32_t n = rng() % 120;
    const FlowKey k = key_n(n);
    const uint64_t h = RunsHash{}(k);
    const auto it = ref.find(n);
    if (it == ref.end()) {
      const uint32_t idx = t.insert(k, h);
      ASSERT_NE(idx, kNilIndex);
      ref[n] = idx;
    } else {
      t.erase(it->second, h);
      ref.erase(it);
    }
    max_size = std::max(max_size, ref.size());
    if (step % 101 == 0) {
      for (uint32_t m = 0; m < 120; ++m) {
        const auto r = ref.find(m);
        ASSERT_EQ(t.find(key_n(m), RunsHash{}(key_n(m))), r == ref.end() ? kNilIndex : r->second)
            << "step " << step;
      }
    }
  }
  EXPECT_GT(max_size, 70u);  // runs of 30+ slots, from slot 2008 past slot 0
}

// Keys whose hashes differ only above the tag's bits share home slot and tag: the staged probe's hint may
// name another of them, and find() tells them apart by the key, also after erases shift them back.
struct SameTagHash {
  uint64_t operator()(const FlowKey& k) const noexcept {
    return 0x0123'4567ull | (uint64_t{k.addr_lo.v4()[3]} << 40);  // 512 entries: the tag is bits 0-3, 46-63
  }
};
TEST(FlowTable, KeysOfOneTagAreToldApartByTheirKeys) {
  FlowTable<TestEntry, SameTagHash> t(512);
  for (uint32_t n = 0; n < 20; ++n) ASSERT_EQ(t.insert(key_n(n), SameTagHash{}(key_n(n))), n);
  for (uint32_t n = 0; n < 20; ++n) {
    const uint64_t h = SameTagHash{}(key_n(n));
    const auto hint = t.probe(h);
    EXPECT_EQ(hint.index, 0u);  // the run's first: every key's tag matches it
    EXPECT_EQ(t.find(key_n(n), h, hint), n);
    EXPECT_EQ(t.find(key_n(n), h), n);
  }
  for (uint32_t n = 0; n < 20; n += 3) t.erase(n, SameTagHash{}(key_n(n)));
  for (uint32_t n = 0; n < 25; ++n) {
    const uint64_t h = SameTagHash{}(key_n(n));
    const uint32_t want = n < 20 && n % 3 != 0 ? n : kNilIndex;
    EXPECT_EQ(t.find(key_n(n), h), want) << n;
    EXPECT_EQ(t.find(key_n(n), h, t.probe(h)), want) << n;
  }
}

// The free entries are a stack threaded through themselves: released ones come back last released first,
// then the never-used ones in order, as IndexFreeList handed them out; a released entry's other fields stay
// (the shard tells a stale reference by a dead entry's id and timeout class).
TEST(FlowTable, FreeEntriesComeBackLastReleasedFirstAndKeepTheirFields) {
  FlowTable<TestEntry> t(4);
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_EQ(t.insert(key_n(i), flow_hash(key_n(i))), i);
    t.at(i).value = 100 + i;
  }
  t.erase(1, flow_hash(key_n(1)));
  t.erase(0, flow_hash(key_n(0)));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.at(0).value, 100u);
  EXPECT_EQ(t.at(1).value, 101u);
  EXPECT_EQ(t.insert(key_n(10), flow_hash(key_n(10))), 0u);
  EXPECT_EQ(t.insert(key_n(11), flow_hash(key_n(11))), 1u);
  EXPECT_EQ(t.insert(key_n(12), flow_hash(key_n(12))), 3u);  // the last never used
  EXPECT_TRUE(t.full());
  EXPECT_EQ(t.insert(key_n(13), flow_hash(key_n(13))), kNilIndex);
  for (uint32_t n : {10u, 11u, 2u, 12u}) EXPECT_NE(t.find(key_n(n), flow_hash(key_n(n))), kNilIndex) << n;
  EXPECT_EQ(t.at(0).value, 0u);  // constructed anew
  t.erase(3, flow_hash(key_n(12)));
  EXPECT_EQ(t.insert(key_n(14), flow_hash(key_n(14))), 3u);
  EXPECT_EQ(t.size(), 4u);
}

// Random insert/erase against std::unordered_map, with a deliberately bad hash to force long probe
// chains and wrap-around, which is where backward-shift deletion can go wrong.
TEST(FlowTable, MatchesReferenceUnderChurnWithCollidingHashes) {
  constexpr uint32_t kCap = 512;
  FlowTable<TestEntry, CollidingHash> t(kCap);
  std::unordered_map<uint32_t, uint32_t> ref;  // n -> idx
  std::mt19937 rng(1);
  auto bad_hash = [](uint32_t n) { return colliding_hash(key_n(n)); };  // 7 homes near the end
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

// find_bulk() and the staged lookup (prefetch, probe, find with the hint) agree with find() for present and
// absent keys, for every batch size around the pipeline's group size, with real and colliding hashes.
template <class Hash>
void bulk_and_staged_lookups_match_find() {
  const bool colliding = std::is_same_v<Hash, CollidingHash>;
  const Hash hash{};
  FlowTable<TestEntry, Hash> t(512);
  std::mt19937 rng(7);
  for (uint32_t i = 0; i < 300; ++i) {
    const FlowKey k = key_n(rng() % 1000);
    if (t.find(k, hash(k)) == kNilIndex) {
      ASSERT_NE(t.insert(k, hash(k)), kNilIndex);
    }
  }
  for (const size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{16}, size_t{17},
                         size_t{25}, size_t{1000}}) {
    std::vector<FlowKey> keys(n);
    for (auto& k : keys) k = key_n(rng() % 1000);  // about a third present
    std::vector<uint32_t> out(n + 1, 12345);
    t.find_bulk(keys.data(), n, out.data());
    size_t hits = 0;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t h = hash(keys[i]);
      const uint32_t want = t.find(keys[i], h);
      ASSERT_EQ(out[i], want) << "colliding " << colliding << " n " << n << " i " << i;
      t.prefetch(h);
      const auto hint = t.probe(h);
      t.prefetch_entry(hint, true);
      ASSERT_EQ(t.find(keys[i], h, hint), want);
      if (want == kNilIndex) {
        EXPECT_TRUE(colliding || hint.slot == t.kNoSlot);  // a real hash's tags rarely collide
      } else if (!colliding) {
        EXPECT_EQ(hint.index, want);
      }
      hits += want != kNilIndex;
    }
    EXPECT_EQ(out[n], 12345u) << "wrote past the batch";
    if (n == 1000) {
      EXPECT_GT(hits, 200u);
    }
  }
}
TEST(FlowTable, BulkAndStagedLookupsMatchFind) {
  bulk_and_staged_lookups_match_find<FlowHash>();
  bulk_and_staged_lookups_match_find<CollidingHash>();
}

// The worker's burst: hints are taken for a whole burst, then earlier packets of the burst create and end
// flows (inserts, erases with backward shifts across the wrap-around, reused indices) before later packets
// look up with their now stale hints. find() with a hint must still give exactly what find() gives.
template <class Hash>
void stale_hints_after_inserts_and_erases_in_the_burst() {
  const bool colliding = std::is_same_v<Hash, CollidingHash>;
  const Hash hash{};
  constexpr uint32_t kCap = 512;
  FlowTable<TestEntry, Hash> t(kCap);
  std::unordered_map<uint32_t, uint32_t> ref;  // n -> idx
  std::mt19937 rng(3);
  constexpr size_t kBurst = 32;
  size_t created_after_hint = 0, erased_after_hint = 0;
  for (int burst = 0; burst < 5000; ++burst) {
    std::vector<uint32_t> erased;  // indices erased in this burst
    FlowKey keys[kBurst];
    uint32_t ns[kBurst];
    bool present[kBurst];  // when the hints were taken
    typename FlowTable<TestEntry, Hash>::Hint hints[kBurst];
    for (size_t i = 0; i < kBurst; ++i) {
      ns[i] = rng() % 1000;
      keys[i] = key_n(ns[i]);
      present[i] = ref.count(ns[i]) != 0;
      t.prefetch(hash(keys[i]));
    }
    for (size_t i = 0; i < kBurst; ++i) hints[i] = t.probe(hash(keys[i]));
    for (size_t i = 0; i < kBurst; ++i) {
      const uint64_t h = hash(keys[i]);
      const uint32_t idx = t.find(keys[i], h, hints[i]);
      const auto it = ref.find(ns[i]);
      ASSERT_EQ(idx, it == ref.end() ? kNilIndex : it->second)
          << "colliding " << colliding << " burst " << burst << " packet " << i;
      created_after_hint += idx != kNilIndex && !present[i];
      erased_after_hint += std::find(erased.begin(), erased.end(), hints[i].index) != erased.end();
      // What processing the packet does to the table: a new flow, or the flow ends (and another with it).
      if (idx == kNilIndex) {
        if (t.full()) continue;
        const uint32_t added = t.insert(keys[i], h);
        ASSERT_NE(added, kNilIndex);
        ref[ns[i]] = added;
      } else if (rng() % 3 == 0) {
        t.erase(idx, h);
        erased.push_back(idx);
        ref.erase(it);
        if (!ref.empty() && rng() % 2) {  // an expiry: some other flow ends too
          auto other = std::next(ref.begin(), rng() % ref.size());
          t.erase(other->second, hash(key_n(other->first)));
          erased.push_back(other->second);
          ref.erase(other);
        }
      }
    }
  }
  EXPECT_EQ(t.size(), ref.size());
  // Both kinds of stale hint happened, or the test did not test them.
  EXPECT_GT(created_after_hint, 100u) << "colliding " << colliding;
  EXPECT_GT(erased_after_hint, 100u) << "colliding " << colliding;
}
TEST(FlowTable, StaleHintsAfterInsertsAndErasesInTheBurst) {
  stale_hints_after_inserts_and_erases_in_the_burst<FlowHash>();
  stale_hints_after_inserts_and_erases_in_the_burst<CollidingHash>();
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

// Several moves at once (FlowShard::apply_touches()): every entry unlinked first, then linked back in order.
TEST(IndexList, UnlinkThenLinkBackMovesToTheTail) {
  ListEntry e[5];
  IndexList<ListEntry, &ListEntry::link> l;
  for (uint32_t i = 0; i < 5; ++i) l.push_back(e, i);
  for (uint32_t i : {4u, 0u, 2u}) l.unlink(e, i);  // the tail, the head, one between
  for (uint32_t i : {2u, 0u, 4u}) l.link_back(e, i);
  EXPECT_EQ(l.size(), 5u);
  std::vector<uint32_t> order;
  for (uint32_t i = l.front(); i != kNilIndex; i = e[i].link.next) order.push_back(i);
  EXPECT_EQ(order, (std::vector<uint32_t>{1, 3, 2, 0, 4}));
  std::vector<uint32_t> backwards;
  for (uint32_t i = 4; i != kNilIndex; i = e[i].link.prev) backwards.push_back(i);
  EXPECT_EQ(backwards, (std::vector<uint32_t>{4, 0, 2, 3, 1}));
}

}  // namespace
}  // namespace spanwatch::lib
