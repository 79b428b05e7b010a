#include "viewer/flow_store.hpp"

#include <gtest/gtest.h>

#include <list>
#include <random>
#include <string>

#include "viewer/viewer_test_util.hpp"

namespace spanwatch::viewer {
namespace {

using testing::Rec;

void put(FlowStore& st, const Rec& r, uint64_t now_ms, uint32_t run = 1) {
  st.apply(testing::parse(r, run), testing::record(r), now_ms);
}

TEST(FlowStore, KeepsTheLatestRecordPerFlowAndComputesCurrentRate) {
  FlowStore st(StoreLimits{});
  st.begin_run(1);
  Rec r;
  put(st, r, 1000);
  ASSERT_EQ(st.size(), 1u);
  const FlowEntry* e = st.find("1:w0-000000000001");
  ASSERT_NE(e, nullptr);
  EXPECT_DOUBLE_EQ(st.current_bps(*e), 10000.0 * 8 / 10);  // first sight: the average so far
  r.src_bytes += 1000;                                     // 1 s later (packet time), 1000 more bytes
  r.dst_bytes += 4000;
  r.end = "2024-01-01T00:00:11.000000Z";
  put(st, r, 2000);
  EXPECT_EQ(st.size(), 1u);
  e = st.find("1:w0-000000000001");
  EXPECT_EQ(e->records, 2u);
  EXPECT_EQ(e->s.bytes(), 15000u);
  EXPECT_DOUBLE_EQ(st.current_bps(*e), 5000.0 * 8);
  EXPECT_EQ(st.active(), 1u);
  r.final = true;
  r.reason = "end_of_flow";
  put(st, r, 3000);
  EXPECT_EQ(st.active(), 0u);
  EXPECT_DOUBLE_EQ(st.current_bps(*st.find("1:w0-000000000001")), 0.0);  // ended flows have no current rate
  EXPECT_NE(st.find("1:w0-000000000001")->raw.find("end_of_flow"), std::string::npos);
}

TEST(FlowStore, RunsKeepRestartedIdsApart) {
  FlowStore st(StoreLimits{});
  Rec r;
  st.begin_run(1);
  put(st, r, 1, 1);
  st.begin_run(2);
  put(st, r, 2, 2);
  EXPECT_EQ(st.size(), 2u);
  // The first run's flow never got its final record: it is kept, but it has no current rate.
  EXPECT_DOUBLE_EQ(st.current_bps(*st.find("1:w0-000000000001")), 0.0);
  EXPECT_GT(st.current_bps(*st.find("2:w0-000000000001")), 0.0);
}

TEST(FlowStore, EvictsOldestFirstByCountBytesAndRetention) {
  StoreLimits lim;
  lim.max_flows = 100;
  lim.retention_ms = 10'000;
  FlowStore st(lim);
  for (int i = 0; i < 150; ++i) {
    Rec r;
    r.id = "w0-" + std::to_string(i);
    put(st, r, 1000 + i);
  }
  EXPECT_EQ(st.size(), 100u);
  EXPECT_EQ(st.counters().evicted_max_flows, 50u);
  EXPECT_EQ(st.find("1:w0-49"), nullptr);
  EXPECT_NE(st.find("1:w0-50"), nullptr);
  // Updating a flow makes it the newest.
  Rec again;
  again.id = "w0-50";
  put(st, again, 5000);
  EXPECT_EQ(st.size(), 100u);
  // Flows 51-119 last heard of before 1120 (w0-50 was updated at 5000) are past retention at 11120.
  EXPECT_EQ(st.expire(1000 + 10'000 + 120), 69u);
  EXPECT_EQ(st.counters().evicted_retention, 69u);
  EXPECT_NE(st.find("1:w0-50"), nullptr);
  EXPECT_EQ(st.find("1:w0-119"), nullptr);
  EXPECT_NE(st.find("1:w0-120"), nullptr);
  EXPECT_EQ(st.size(), 31u);

  StoreLimits small;
  small.max_bytes = 64 * 1024;
  FlowStore mem(small);
  for (int i = 0; i < 1000; ++i) {
    Rec r;
    r.id = "w0-" + std::to_string(i);
    put(mem, r, 1);
    ASSERT_LE(mem.bytes(), small.max_bytes);
  }
  EXPECT_GT(mem.counters().evicted_memory, 0u);
  EXPECT_LT(mem.size(), 1000u);
  size_t sum = 0;
  mem.for_each([&](const FlowEntry& e) { sum += e.accounted; });
  EXPECT_EQ(sum, mem.bytes());
}

TEST(FlowStore, IndexFollowsInsertsUpdatesAndEvictionsUnderChurn) {
  // The open-addressing index (with backward-shift deletion) and the recycled entries against a model: the
  // last max_flows distinct flows touched, in LRU order, over several writer runs and index growths.
  StoreLimits lim;
  lim.max_flows = 1500;
  FlowStore st(lim);
  std::list<std::string> model;  // keys, least recently updated first
  std::mt19937 rng(6);
  RecordParser parser;
  FlowSummary s;
  for (int i = 0; i < 30000; ++i) {
    const uint32_t run = 1 + static_cast<uint32_t>(i / 10000);
    Rec r;
    r.id = "w0-" + std::to_string(rng() % 2500);
    r.sequence = static_cast<uint64_t>(i);
    const std::string text = testing::record(r);
    ASSERT_EQ(parser.parse(text, s), ParseStatus::kOk);
    s.run = run;
    st.apply(s, text, 1);
    const std::string key = std::to_string(run) + ":" + r.id;
    model.remove(key);
    model.push_back(key);
    if (model.size() > lim.max_flows) model.pop_front();
    if (i % 997 == 0 || i == 29999) {
      ASSERT_EQ(st.size(), model.size());
      auto it = model.begin();
      st.for_each([&](const FlowEntry& e) { ASSERT_EQ(e.key, *it++); });
      for (const std::string& k : model) ASSERT_NE(st.find(k), nullptr) << k;
      ASSERT_EQ(st.find("9:w0-1"), nullptr);
    }
  }
  EXPECT_EQ(st.counters().evicted_max_flows, st.counters().flows_created - st.size());
  size_t sum = 0;
  st.for_each([&](const FlowEntry& e) { sum += e.accounted; });
  EXPECT_EQ(sum, st.bytes());
}

TEST(FlowStore, IgnoresOlderStateOfAFlow) {
  FlowStore st(StoreLimits{});
  Rec r;
  r.sequence = 2;
  put(st, r, 1);
  r.sequence = 1;
  r.src_bytes = 1;
  put(st, r, 2);
  EXPECT_EQ(st.counters().stale_records, 1u);
  EXPECT_EQ(st.find("1:w0-000000000001")->s.client.bytes, 1000u);
}

TEST(ThroughputSeries, SpreadsBytesOverTheSecondsTheyCover) {
  ThroughputSeries ts(10);
  EXPECT_TRUE(ts.points().empty());
  ts.add(100'000'000, 102'000'000, 2000, 4000);  // seconds 100 and 101, evenly
  auto pts = ts.points();
  ASSERT_EQ(pts.size(), 10u);
  EXPECT_EQ(pts.back().sec, 102);
  double up = 0, down = 0;
  for (const auto& p : pts) {
    up += p.up;
    down += p.down;
  }
  EXPECT_NEAR(up, 2000, 1e-6);
  EXPECT_NEAR(down, 4000, 1e-6);
  EXPECT_NEAR(pts[8].up, 1000, 1e-6);       // second 101
  ts.add(200'000'000, 200'500'000, 10, 0);  // far later: the window moves, old buckets are gone
  pts = ts.points();
  EXPECT_EQ(pts.back().sec, 200);
  EXPECT_NEAR(pts.back().up, 10, 1e-9);
  EXPECT_NEAR(pts[0].up + pts[8].up, 0, 1e-9);
  ts.add(150'000'000, 150'000'000, 5, 5);  // older than the window: dropped
  EXPECT_NEAR(ts.points().back().up, 10, 1e-9);
}

}  // namespace
}  // namespace spanwatch::viewer
