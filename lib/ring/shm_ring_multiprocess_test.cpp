// The shm ring across processes: a forked writer publishes millions of records whose bytes are a function of
// their sequence number while forked readers (one deliberately slow) verify every record they accept. Each
// reader must end with received + missed == published and no bad record; the writer's CPU time with readers
// must stay within a generous factor of its time alone (it never waits for anyone).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "lib/ring/shm_ring_reader.hpp"
#include "lib/ring/shm_ring_test_util.hpp"
#include "lib/ring/shm_ring_writer.hpp"

namespace spanwatch::lib {
namespace {

using namespace ring_test;
using namespace std::chrono_literals;

constexpr uint64_t kRecords = 5'000'000;
constexpr uint64_t kCapacity = 16384;
constexpr uint32_t kMaxPayload = 120;
constexpr auto kScenarioTimeout = 180s;    // a hung child fails the test instead of hanging it
constexpr uint64_t kSlowEvery = 1000;      // the slow reader sleeps after this many records...
constexpr auto kSlowSleep = 2ms;           // ...for this long: it falls far behind and must overrun
constexpr double kMaxWriterCpuRatio = 20;  // writer CPU time with readers / alone (generous, see below)
constexpr auto kWriterGoneCheck = 10ms;

struct WriterReport {
  int32_t error = 0;  // 0 ok, else a step that failed
  uint64_t published = 0;
  uint64_t refused = 0;
  double cpu_s = 0, wall_s = 0;
};

struct ReaderReport {
  int32_t error = 0;
  uint64_t received = 0, missed = 0, overruns = 0, torn = 0, corrupt = 0;
  uint64_t bad_records = 0;  // wrong bytes, wrong length, or out-of-order sequence
  uint64_t published = 0;    // the write sequence the reader saw at the end
  uint64_t empty_polls = 0;
};

double seconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool write_full(int fd, const void* p, size_t n) {
  const auto* b = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t k = ::write(fd, b, n);
    if (k <= 0) return false;
    b += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

// Reads exactly n bytes, giving up at the deadline (children that hang must not hang the test).
bool read_full(int fd, void* p, size_t n, std::chrono::steady_clock::time_point deadline) {
  auto* b = static_cast<char*>(p);
  while (n > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t k = ::read(fd, b, n);
    if (k <= 0) return false;
    b += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

struct Params {
  uint64_t records = kRecords;
  uint64_t capacity = kCapacity;
};

[[noreturn]] void writer_child(const std::string& name, const Params& p, int report_fd, int go_fd) {
  WriterReport rep;
  try {
    ShmRingWriterOptions o;
    o.name = name;
    o.capacity = p.capacity;
    o.max_payload_bytes = kMaxPayload;
    ShmRingWriter w(o);
    const char ready = 'r';
    if (!write_full(report_fd, &ready, 1)) ::_exit(3);
    char go = 0;
    if (::read(go_fd, &go, 1) != 1) ::_exit(4);  // the parent closed the pipe: give up
    std::array<std::byte, kMaxPayload> buf{};
    const double cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID), wall0 = seconds(CLOCK_MONOTONIC);
    for (uint64_t n = 0; n < p.records; ++n) {
      const uint32_t len = payload_len(n, kMaxPayload);
      fill_payload(n, buf.data(), len);
      if (!w.publish(buf.data(), len)) ++rep.refused;
    }
    rep.cpu_s = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    rep.wall_s = seconds(CLOCK_MONOTONIC) - wall0;
    rep.published = w.stats().published;
    w.close();
  } catch (...) {
    rep.error = 1;
  }
  ::_exit(write_full(report_fd, &rep, sizeof rep) ? 0 : 5);
}

[[noreturn]] void reader_child(const std::string& name, bool slow, int report_fd) {
  ReaderReport rep;
  try {
    ShmRingReaderOptions o;
    o.name = name;
    o.start = ShmRingReaderOptions::Start::kOldest;
    o.liveness_interval = kWriterGoneCheck;
    ShmRingReader r(o);
    const char ready = 'r';
    if (!write_full(report_fd, &ready, 1)) ::_exit(3);
    std::array<std::byte, kMaxPayload> buf{};
    const auto deadline = std::chrono::steady_clock::now() + kScenarioTimeout;
    unsigned idle = 0;
    for (bool done = false; !done;) {
      const uint64_t expect = r.position();
      const ReadResult res = r.read(buf.data(), buf.size());
      switch (res.status) {
        case ReadStatus::kRecord:
          idle = 0;
          if (res.seq != expect || !payload_ok(res.seq, buf.data(), res.len, kMaxPayload)) ++rep.bad_records;
          if (slow && r.stats().received % kSlowEvery == 0) std::this_thread::sleep_for(kSlowSleep);
          break;
        case ReadStatus::kOverrun:
          break;
        case ReadStatus::kEmpty:
          ++rep.empty_polls;
          // Give the CPU back: yield a few times, then sleep (two CPUs for four processes).
          if (++idle < 8)
            ::sched_yield();
          else
            std::this_thread::sleep_for(50us);
          if (std::chrono::steady_clock::now() > deadline) {
            rep.error = 2;
            done = true;
          }
          break;
        case ReadStatus::kWriterGone:
          done = true;
          break;
        default:
          rep.error = 3;
          done = true;
          break;
      }
    }
    const ShmRingReaderStats& s = r.stats();
    rep.received = s.received;
    rep.missed = s.missed;
    rep.overruns = s.overruns;
    rep.torn = s.torn_reads;
    rep.corrupt = s.corrupt;
    rep.published = r.published();
  } catch (...) {
    rep.error = 1;
  }
  ::_exit(write_full(report_fd, &rep, sizeof rep) ? 0 : 5);
}

struct Child {
  pid_t pid = -1;
  int report_fd = -1;
};

// Forks a child running f(report_fd); the parent keeps the read end.
template <class F>
Child spawn(F&& f) {
  int p[2];
  if (::pipe(p) != 0) return {};
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    f(p[1]);
  }
  ::close(p[1]);
  if (pid < 0) {
    ::close(p[0]);
    return {};
  }
  return {pid, p[0]};
}

struct Scenario {
  WriterReport writer;
  std::vector<ReaderReport> readers;
};

// Writer + `readers` reader processes (the last one slow when `with_slow`). Any failure is a gtest failure.
Scenario run_scenario(int readers, bool with_slow, const Params& p = {}) {
  Scenario out;
  NameGuard g{unique_name("mp")};
  const auto deadline = std::chrono::steady_clock::now() + kScenarioTimeout;
  std::vector<Child> children;
  const auto reap_all = [&] {
    for (const Child& c : children) {
      if (c.pid > 0 && ::waitpid(c.pid, nullptr, WNOHANG) == 0) ::kill(c.pid, SIGKILL);
      if (c.pid > 0) ::waitpid(c.pid, nullptr, 0);
      if (c.report_fd >= 0) ::close(c.report_fd);
    }
  };

  int go[2];
  if (::pipe(go) != 0) {
    ADD_FAILURE() << "pipe";
    return out;
  }
  const Child writer = spawn([&](int fd) {
    ::close(go[1]);
    writer_child(g.name, p, fd, go[0]);
  });
  ::close(go[0]);
  children.push_back(writer);
  char ready = 0;
  bool ok = writer.pid > 0 && read_full(writer.report_fd, &ready, 1, deadline);
  for (int i = 0; ok && i < readers; ++i) {
    const bool slow = with_slow && i == readers - 1;
    const Child c = spawn([&](int fd) {
      ::close(go[1]);
      reader_child(g.name, slow, fd);
    });
    children.push_back(c);
    ok = c.pid > 0 && read_full(c.report_fd, &ready, 1, deadline);
  }
  EXPECT_TRUE(ok) << "children did not start";
  if (ok) ok = write_full(go[1], "g", 1);
  ::close(go[1]);
  if (ok) ok = read_full(writer.report_fd, &out.writer, sizeof out.writer, deadline);
  EXPECT_TRUE(ok) << "no report from the writer";
  for (size_t i = 1; ok && i < children.size(); ++i) {
    ReaderReport r;
    ok = read_full(children[i].report_fd, &r, sizeof r, deadline);
    EXPECT_TRUE(ok) << "no report from reader " << i - 1;
    out.readers.push_back(r);
  }
  reap_all();
  return out;
}

TEST(ShmRingMultiProcess, ReadersGetExactRecordsOrCountedOverrunsAndTheWriterNeverWaits) {
  // Baseline: the same writer alone.
  const Scenario alone = run_scenario(0, false);
  ASSERT_EQ(alone.writer.error, 0);
  ASSERT_EQ(alone.writer.published, kRecords);

  // Two readers that keep up as well as two shared CPUs allow, and one that sleeps 2 ms every 1000 records.
  const Scenario s = run_scenario(3, true);
  ASSERT_EQ(s.writer.error, 0);
  EXPECT_EQ(s.writer.published, kRecords);
  EXPECT_EQ(s.writer.refused, 0u);
  ASSERT_EQ(s.readers.size(), 3u);
  for (size_t i = 0; i < s.readers.size(); ++i) {
    const ReaderReport& r = s.readers[i];
    std::printf("reader %zu%s: received %lu missed %lu overruns %lu torn %lu empty_polls %lu\n", i,
                i == 2 ? " (slow)" : "", static_cast<unsigned long>(r.received),
                static_cast<unsigned long>(r.missed), static_cast<unsigned long>(r.overruns),
                static_cast<unsigned long>(r.torn), static_cast<unsigned long>(r.empty_polls));
    EXPECT_EQ(r.error, 0) << "reader " << i;
    EXPECT_EQ(r.bad_records, 0u) << "reader " << i << " accepted a record that is not exact";
    EXPECT_EQ(r.corrupt, 0u) << "reader " << i;
    EXPECT_EQ(r.published, kRecords) << "reader " << i;
    EXPECT_EQ(r.received + r.missed, kRecords) << "reader " << i << ": every record is received or counted";
  }
  EXPECT_GT(s.readers[2].missed, 0u) << "the slow reader should have been overrun";
  EXPECT_GT(s.readers[2].received, 0u);

  // The writer has no code path that waits; the timing only guards against one appearing. CPU time (not
  // wall time, which depends on how two shared CPUs are scheduled) with readers pulling the same cache lines
  // must stay within a generous factor of the time alone.
  std::printf(
      "writer alone: %.3f s CPU, %.3f s wall (%.1f M records/s); with 3 readers: %.3f s CPU, %.3f s wall\n",
      alone.writer.cpu_s, alone.writer.wall_s, static_cast<double>(kRecords) / alone.writer.wall_s / 1e6,
      s.writer.cpu_s, s.writer.wall_s);
  EXPECT_LT(s.writer.cpu_s, kMaxWriterCpuRatio * alone.writer.cpu_s + 0.05);
}

// An 8-slot ring lapped continuously: readers are overrun or torn all the time and must still accept only
// exact records and account for every other one.
TEST(ShmRingMultiProcess, TinyRingLappedConstantlyNeverYieldsGarbage) {
  const Params p{1'000'000, 8};
  const Scenario s = run_scenario(2, false, p);
  ASSERT_EQ(s.writer.error, 0);
  EXPECT_EQ(s.writer.published, p.records);
  ASSERT_EQ(s.readers.size(), 2u);
  for (size_t i = 0; i < s.readers.size(); ++i) {
    const ReaderReport& r = s.readers[i];
    std::printf("reader %zu: received %lu missed %lu overruns %lu torn %lu\n", i,
                static_cast<unsigned long>(r.received), static_cast<unsigned long>(r.missed),
                static_cast<unsigned long>(r.overruns), static_cast<unsigned long>(r.torn));
    EXPECT_EQ(r.error, 0) << "reader " << i;
    EXPECT_EQ(r.bad_records, 0u) << "reader " << i << " accepted a record that is not exact";
    EXPECT_EQ(r.received + r.missed, p.records) << "reader " << i;
  }
}

}  // namespace
}  // namespace spanwatch::lib
