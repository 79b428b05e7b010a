// RingIngest::run: open (or wait for) the ring, drain it in batches into the store, follow writer restarts.
#include "viewer/ring_ingest.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "lib/ring/flow_ring_reader.hpp"
#include "viewer/ingest_batch.hpp"

namespace spanwatch::viewer {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kBatchRecords = 512;                           // records parsed before one store update
constexpr auto kBatchTime = std::chrono::milliseconds(20);      // or this long, whichever comes first
constexpr auto kPublishEvery = std::chrono::milliseconds(250);  // snapshot() refresh
constexpr auto kExpireEvery = std::chrono::seconds(1);
// Room after a record's JSON in the parse buffer: its NUL and the parser's padding (parsed in place).
constexpr size_t kParseSlack = 1 + RecordParser::kPadding;

uint64_t wall_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Wakes the reader the moment the ring's shm object appears (/dev/shm is where glibc's shm_open puts
// it). A replayed capture's ring may live only milliseconds; polling every reconnect interval would
// miss it. Without inotify the reader falls back to polling.
class ShmWatch {
 public:
  explicit ShmWatch(const std::string& ring_name) : file_(ring_name.substr(1)) {
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ >= 0 && inotify_add_watch(fd_, "/dev/shm", IN_CREATE | IN_MOVED_TO) < 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~ShmWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  ShmWatch(const ShmWatch&) = delete;
  ShmWatch& operator=(const ShmWatch&) = delete;

  // Waits up to `ms` for the ring's name to be created; true if it was.
  bool wait(uint32_t ms) {
    if (fd_ < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(ms)) <= 0) return false;
    alignas(inotify_event) char buf[4096];
    bool seen = false;
    for (ssize_t n; (n = ::read(fd_, buf, sizeof buf)) > 0;) {
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        if (ev->len > 0 && file_ == ev->name) seen = true;
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
    return seen;
  }

 private:
  std::string file_;
  int fd_ = -1;
};

constexpr auto kNotReadyRetry = std::chrono::milliseconds(1);  // the writer is initialising the header
constexpr int kNotReadyTries = 2000;

}  // namespace

RingIngest::RingIngest(RingReadConfig cfg, SharedFlowStore& store, const std::atomic<bool>& stop)
    : cfg_(std::move(cfg)), store_(store), stop_(stop) {
  snap_.ring_name = cfg_.name;
  snap_.state = "waiting";
}

IngestSnapshot RingIngest::snapshot() const {
  const std::lock_guard lock(mu_);
  return snap_;
}

void RingIngest::run() {
  std::optional<lib::FlowRingReader> reader;
  lib::ShmRingReaderStats base;  // counts of readers already closed
  uint64_t last_generation = 0;
  uint32_t run = 0;
  uint64_t invalid = 0, not_flow = 0;
  uint64_t undecodable_base = 0;  // records of readers already closed that did not decode
  std::string state = "waiting", last_error;
  std::vector<char> buf;
  IngestBatch batch(kBatchRecords);
  Clock::time_point next_publish{}, next_expire = Clock::now() + kExpireEvery;
  uint64_t rate_base = 0;
  Clock::time_point rate_at = Clock::now();
  double rate = 0;
  auto add = [](lib::ShmRingReaderStats& a, const lib::ShmRingReaderStats& b) {
    a.received += b.received;
    a.overruns += b.overruns;
    a.missed += b.missed;
    a.torn_reads += b.torn_reads;
    a.corrupt += b.corrupt;
  };

  auto flush = [&] {
    if (!batch.empty()) batch.flush(store_, wall_ms());
  };
  auto publish = [&] {
    const Clock::time_point now = Clock::now();
    lib::ShmRingReaderStats total = base;
    if (reader) add(total, reader->ring().stats());
    const uint64_t undecodable = undecodable_base + (reader ? reader->undecodable() : 0);
    if (now - rate_at >= std::chrono::seconds(1)) {
      rate = static_cast<double>(total.received - rate_base) /
             std::chrono::duration<double>(now - rate_at).count();
      rate_base = total.received;
      rate_at = now;
    }
    const std::lock_guard lock(mu_);
    snap_.state = state;
    snap_.last_error = last_error;
    snap_.runs = run;
    snap_.received = total.received;
    snap_.overruns = total.overruns;
    snap_.missed = total.missed;
    snap_.torn_reads = total.torn_reads;
    snap_.corrupt = total.corrupt + undecodable;
    snap_.invalid_json = invalid;
    snap_.not_a_flow = not_flow;
    snap_.records_per_s = rate;
    if (reader) {
      snap_.generation = reader->ring().generation();
      snap_.writer_pid = reader->ring().writer_pid();
      snap_.capacity = reader->ring().capacity();
      snap_.published = reader->ring().published();
      snap_.position = reader->ring().position();
    }
    next_publish = now + kPublishEvery;
  };

  auto maintain = [&] {
    const Clock::time_point now = Clock::now();
    if (now >= next_expire) {
      const std::unique_lock lock(store_.mu);
      store_.store.expire(wall_ms());
      next_expire = now + kExpireEvery;
    }
    if (now >= next_publish) publish();
  };

  ShmWatch watch(cfg_.name);
  int not_ready = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    if (!reader) {
      try {
        lib::ShmRingReaderOptions o;
        o.name = cfg_.name;
        o.start = cfg_.from_oldest ? lib::ShmRingReaderOptions::Start::kOldest
                                   : lib::ShmRingReaderOptions::Start::kNewest;
        lib::FlowRingReader r(o);
        not_ready = 0;
        if (r.ring().generation() == last_generation) {
          // The ring we already read to its end (its writer died without removing it): wait for a new one.
          maintain();
          watch.wait(cfg_.reconnect_interval_ms);
          continue;
        }
        reader.emplace(std::move(r));
        last_generation = reader->ring().generation();
        ++run;
        {
          const std::unique_lock lock(store_.mu);
          store_.store.begin_run(run);
        }
        state = "connected";
        last_error.clear();
        std::fprintf(stderr,
                     "spanwatch-viewer: reading ring %s (generation %016llx, writer pid %d, %llu slots)\n",
                     cfg_.name.c_str(), static_cast<unsigned long long>(last_generation),
                     reader->ring().writer_pid(), static_cast<unsigned long long>(reader->ring().capacity()));
      } catch (const lib::ShmRingError& e) {
        if (e.code() != lib::ShmRingErrc::kNotFound && e.code() != lib::ShmRingErrc::kNotReady &&
            last_error != e.what())
          std::fprintf(stderr, "spanwatch-viewer: %s (retrying)\n", e.what());
        last_error = e.what();
        maintain();
        if (e.code() == lib::ShmRingErrc::kNotReady && ++not_ready < kNotReadyTries) {
          std::this_thread::sleep_for(kNotReadyRetry);  // the ring is being set up: be there when it starts
        } else {
          not_ready = 0;
          watch.wait(cfg_.reconnect_interval_ms);
        }
        continue;
      }
    }

    const Clock::time_point batch_end = Clock::now() + kBatchTime;
    bool idle = false, gone = false;
    while (!batch.full()) {
      const lib::FlowReadResult res = reader->read();
      if (res.status == lib::ReadStatus::kRecord) {
        // The JSON line without its '\n', copied where the parser may overwrite it and read past its end.
        const size_t len = res.json.size() - 1;
        if (buf.size() < len + kParseSlack) buf.resize(len + kParseSlack);
        std::memcpy(buf.data(), res.json.data(), len);
        const ParseStatus ps = batch.add(buf.data(), len, run);
        if (ps != ParseStatus::kOk) {
          (ps == ParseStatus::kInvalidJson ? invalid : not_flow) += 1;
          continue;
        }
      } else if (res.status == lib::ReadStatus::kEmpty) {
        idle = true;
        break;
      } else if (res.status == lib::ReadStatus::kWriterGone) {
        gone = true;
        break;
      }  // kOverrun / kCorrupt: counted by the reader; go on
      if ((batch.size() & 63) == 0 && Clock::now() >= batch_end) break;
    }
    flush();
    if (gone) {
      state = std::string("writer_gone: ").append(lib::name_of(reader->ring().writer_state()));
      std::fprintf(stderr,
                   "spanwatch-viewer: ring %s: writer gone (%s); keeping the flows, waiting for a new one\n",
                   cfg_.name.c_str(), std::string(lib::name_of(reader->ring().writer_state())).c_str());
      publish();
      add(base, reader->ring().stats());
      undecodable_base += reader->undecodable();
      reader.reset();
      continue;
    }
    maintain();
    if (idle) std::this_thread::sleep_for(std::chrono::milliseconds(cfg_.poll_interval_ms));
  }
}

}  // namespace spanwatch::viewer
