#include "workers/intern_table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace spanwatch::workers {
namespace {

struct Pair {
  uint32_t a = 0, b = 0;
  bool operator==(const Pair&) const = default;
};
struct PairHash {
  uint64_t operator()(const Pair& p) const noexcept {
    return (uint64_t{p.a} << 32 | p.b) * 0x9e3779b97f4a7c15ULL;
  }
};
// Every value in one probe chain: deletions must keep the rest findable (backward shift).
struct CollidingHash {
  uint64_t operator()(const Pair& p) const noexcept { return p.a % 3; }
};
// Few home buckets, with tags (the hash's top bits) that tell most values apart and some that do not.
struct SharedHomeHash {
  uint64_t operator()(const Pair& p) const noexcept { return uint64_t{p.a % 5} << 60 | p.a % 2; }
};

TEST(InternTable, EqualValuesShareOneIdAndLeaveWithTheirLastReference) {
  InternTable<Pair, PairHash> t(8);
  EXPECT_EQ(t.intern(Pair{}), 0u);  // T{} needs no reference
  const uint32_t x = t.intern(Pair{1, 2});
  EXPECT_NE(x, 0u);
  EXPECT_EQ(t.intern(Pair{1, 2}), x);
  const uint32_t y = t.intern(Pair{2, 1});
  EXPECT_NE(y, x);
  EXPECT_EQ(t.refs(x), 2u);
  EXPECT_EQ(t.distinct(), 2u);
  EXPECT_EQ(t[x], (Pair{1, 2}));
  t.release(x);
  EXPECT_EQ(t.distinct(), 2u);
  t.release(x);
  EXPECT_EQ(t.distinct(), 1u);
  EXPECT_EQ(t[y], (Pair{2, 1}));
  t.release(y);
  t.release(0);
  EXPECT_EQ(t.distinct(), 0u);
  EXPECT_NE(t.intern(Pair{1, 2}), 0u);  // a slot comes back
  EXPECT_EQ(t.distinct(), 1u);
  EXPECT_EQ(t.exhausted.get(), 0u);
}

// intern() first tries the value it returned last: that guess must not outlive the value.
TEST(InternTable, TheLastValueAgainSharesItsIdUntilItLeaves) {
  InternTable<Pair, PairHash> t(4);
  const uint32_t x = t.intern(Pair{1, 2});
  EXPECT_EQ(t.intern(Pair{1, 2}), x);
  EXPECT_EQ(t.refs(x), 2u);
  t.release(x);
  t.release(x);  // the last value left: its slot is empty
  EXPECT_EQ(t.distinct(), 0u);
  const uint32_t y = t.intern(Pair{3, 4});  // takes the freed slot
  EXPECT_EQ(t[y], (Pair{3, 4}));
  const uint32_t x2 = t.intern(Pair{1, 2});  // not y's id, though y's slot was x's
  EXPECT_NE(x2, y);
  EXPECT_EQ(t[x2], (Pair{1, 2}));
  EXPECT_EQ(t.intern(Pair{3, 4}), y);  // found by its hash, after another value
  EXPECT_EQ(t.refs(y), 2u);
  t.release(y);
  t.release(y);
  t.release(x2);
  EXPECT_EQ(t.distinct(), 0u);
  EXPECT_EQ(t.intern(Pair{3, 4}), t.intern(Pair{3, 4}));
  EXPECT_EQ(t.distinct(), 1u);
}

TEST(InternTable, FullTableGivesTheEmptyValueAndCountsIt) {
  InternTable<Pair, PairHash> t(2);
  EXPECT_NE(t.intern(Pair{1, 1}), 0u);
  EXPECT_NE(t.intern(Pair{2, 2}), 0u);
  EXPECT_EQ(t.intern(Pair{3, 3}), 0u);
  EXPECT_EQ(t.exhausted.get(), 1u);
  EXPECT_NE(t.intern(Pair{1, 1}), 0u);  // known values still get their id
}

// Random interns and releases against a model, with a hash that puts everything into a few chains.
template <typename Hash>
void check_against_model(uint32_t seed) {
  InternTable<Pair, Hash> t(64);
  std::mt19937 rng(seed);
  std::vector<std::pair<Pair, uint32_t>> held;  // value, id
  std::map<uint32_t, uint32_t> refs;            // value.a -> references
  for (int step = 0; step < 20000; ++step) {
    if (held.size() < 60 && (held.empty() || rng() % 2)) {
      const Pair v{1 + uint32_t(rng() % 40), 7};
      const uint32_t id = t.intern(v);
      ASSERT_NE(id, 0u);
      for (const auto& [hv, hid] : held) ASSERT_EQ(hv == v, hid == id);
      held.emplace_back(v, id);
      ++refs[v.a];
    } else {
      const size_t k = rng() % held.size();
      t.release(held[k].second);
      if (--refs[held[k].first.a] == 0) refs.erase(held[k].first.a);
      held.erase(held.begin() + long(k));
    }
    ASSERT_EQ(t.distinct(), refs.size());
    for (const auto& [v, id] : held) {
      ASSERT_EQ(t[id], v);
      ASSERT_EQ(t.refs(id), refs[v.a]);
    }
  }
  for (const auto& [v, id] : held) t.release(id);
  EXPECT_EQ(t.distinct(), 0u);
}

TEST(InternTable, MatchesAModelUnderRandomInternsAndReleases) {
  check_against_model<PairHash>(1);
  check_against_model<CollidingHash>(2);
  check_against_model<SharedHomeHash>(3);
}

}  // namespace
}  // namespace spanwatch::workers
