#include "workers/flow_ref_queue.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <set>

namespace spanwatch::workers {
namespace {

struct Ref {
  uint32_t idx, id;
};

TEST(FlowRefQueue, FirstInFirstOut) {
  FlowRefQueue<Ref> q(4);
  auto all = [](const Ref&) { return true; };
  auto none = [](const Ref&) {};
  EXPECT_TRUE(q.empty());
  for (uint32_t i = 0; i < 3; ++i) q.push_back(Ref{i, 100 + i}, all, none);
  EXPECT_EQ(q.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_FALSE(q.empty());
    EXPECT_EQ(q.front().idx, i);
    EXPECT_EQ(q.front().id, 100 + i);
    q.pop_front();
  }
  EXPECT_TRUE(q.empty());
}

// Flows come and go faster than the front is read (a long flow holds it): the sweep drops the stale
// references (ended flows) a few per push and keeps the live ones in order; the array never overflows,
// and no push asks about more than kSweepPerPush references.
void churn(uint32_t live_at_most, int read_every, uint32_t seed) {
  FlowRefQueue<Ref> q(live_at_most);
  std::set<uint32_t> live;  // ids of live flows
  std::deque<uint32_t> model;
  uint32_t next_id = 0, asked = 0;
  auto is_live = [&](const Ref& r) {
    ++asked;
    return live.count(r.id) != 0;
  };
  auto prefetch = [](const Ref&) {};
  std::mt19937 rng(seed);
  for (int step = 0; step < 20000; ++step) {
    if (live.size() == live_at_most ||
        (!live.empty() && rng() % 3 == 0)) {  // a flow ends: its reference stays
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      live.erase(it);
    }
    const uint32_t id = next_id++;
    live.insert(id);
    model.push_back(id);
    asked = 0;
    q.push_back(Ref{id % live_at_most, id}, is_live, prefetch);
    ASSERT_LE(asked, FlowRefQueue<Ref>::kSweepPerPush);
    ASSERT_LE(q.high_water(), q.capacity());
    if (read_every > 0 && step % read_every == 0) {  // the reader: drops stale references at the front
      while (!q.empty() && !live.count(q.front().id)) q.pop_front();
      while (!model.empty() && !live.count(model.front())) model.pop_front();
      ASSERT_EQ(q.empty(), model.empty());
      if (!q.empty()) {
        ASSERT_EQ(q.front().id, model.front());
      }
    }
  }
  EXPECT_GT(q.sweeps(), 100u);
  std::deque<uint32_t> got, want;
  while (!q.empty()) {
    if (live.count(q.front().id)) got.push_back(q.front().id);
    q.pop_front();
  }
  for (uint32_t id : model)
    if (live.count(id)) want.push_back(id);
  EXPECT_EQ(got, want);
  EXPECT_EQ(got.size(), live.size());
}

TEST(FlowRefQueue, SweepDropsStaleReferencesAndKeepsTheOrder) {
  churn(8, 97, 7);
  churn(8, 0, 8);  // nobody reads: the sweep alone keeps it within bounds
  churn(64, 5, 9);
  churn(1, 3, 10);
}

}  // namespace
}  // namespace spanwatch::workers
