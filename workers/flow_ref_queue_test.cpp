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

// Flows come and go faster than the front is read: a full queue drops the stale references (ended flows)
// and keeps the live ones in order, and never holds more than twice the live ones.
TEST(FlowRefQueue, FullQueueDropsStaleReferencesAndKeepsTheOrder) {
  constexpr uint32_t kLive = 8;
  FlowRefQueue<Ref> q(kLive);
  std::set<uint32_t> live;  // ids of live flows
  std::deque<uint32_t> model;
  uint32_t next_id = 0, asked = 0;
  auto is_live = [&](const Ref& r) {
    ++asked;
    return live.count(r.id) != 0;
  };
  auto prefetch = [](const Ref&) {};
  std::mt19937 rng(7);
  for (int step = 0; step < 5000; ++step) {
    if (live.size() == kLive || (!live.empty() && rng() % 3 == 0)) {  // a flow ends: its reference stays
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      live.erase(it);
    }
    const uint32_t id = next_id++;
    live.insert(id);
    model.push_back(id);
    q.push_back(Ref{id % kLive, id}, is_live, prefetch);
    ASSERT_LE(q.size(), 2 * kLive + 2);
    if (step % 97 == 0) {  // the reader: skips stale references at the front
      while (!q.empty() && !live.count(q.front().id)) q.pop_front();
      while (!model.empty() && !live.count(model.front())) model.pop_front();
      if (!q.empty()) {
        EXPECT_EQ(q.front().id, model.front());
      }
    }
  }
  EXPECT_GT(q.compactions(), 100u);
  EXPECT_LE(asked, 3u * 5000);  // constant work per push
  std::deque<uint32_t> got;
  while (!q.empty()) {
    if (live.count(q.front().id)) got.push_back(q.front().id);
    q.pop_front();
  }
  std::deque<uint32_t> want;
  for (uint32_t id : model)
    if (live.count(id)) want.push_back(id);
  EXPECT_EQ(got, want);
  EXPECT_EQ(got.size(), live.size());
}

}  // namespace
}  // namespace spanwatch::workers
