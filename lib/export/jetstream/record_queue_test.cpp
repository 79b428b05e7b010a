#include "lib/export/jetstream/record_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace spanwatch::lib::jetstream {
namespace {

std::string record(uint64_t i) {
  // Lengths from 1 to ~700 bytes so records wrap at every offset of the buffer.
  std::string s = std::to_string(i) + ":";
  s.append((i * 7919) % 700, char('a' + i % 26));
  return s;
}

TEST(RecordQueue, FifoAcrossWrapsSingleThread) {
  RecordQueue q(4096);
  uint64_t pushed = 0, popped = 0;
  for (int round = 0; round < 2000; ++round) {
    while (q.push(record(pushed))) ++pushed;
    q.pop(
        [&](std::string_view v) {
          ASSERT_EQ(v, record(popped));
          ++popped;
        },
        3);
  }
  q.pop([&](std::string_view v) { ASSERT_EQ(v, record(popped++)); }, ~size_t{0});
  EXPECT_EQ(pushed, popped);
  EXPECT_GT(pushed, 4000u);
  EXPECT_TRUE(q.empty());
}

TEST(RecordQueue, FullQueueRefusesAndTooLargeNeverFits) {
  RecordQueue q(4096);
  EXPECT_FALSE(q.push(std::string(3000, 'x')));  // more than half the buffer
  size_t n = 0;
  while (q.push(std::string(100, 'y'))) ++n;
  EXPECT_EQ(n, 4096u / 104u);  // 100 bytes + 4 header, 8-aligned
  EXPECT_EQ(q.pop([](std::string_view) {}, 1), 1u);
  EXPECT_TRUE(q.push(std::string(100, 'y')));  // the freed space is usable at once
}

TEST(RecordQueue, ProducerAndConsumerThreadsKeepEveryRecordInOrder) {
  RecordQueue q(1 << 14);
  constexpr uint64_t kN = 200000;
  std::thread producer([&] {
    for (uint64_t i = 0; i < kN; ++i)
      while (!q.push(record(i))) std::this_thread::yield();
  });
  uint64_t got = 0;
  bool ok = true;
  while (got < kN) {
    if (q.pop([&](std::string_view v) { ok = ok && v == record(got++); }, 64) == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_TRUE(ok);
  EXPECT_EQ(got, kN);
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace spanwatch::lib::jetstream
