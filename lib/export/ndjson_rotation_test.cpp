// Rotation under load: a writer thread appends numbered lines through NdjsonFile with a small rotation size,
// or a short rotation age on a fake clock (hundreds of rotations), while a reader thread tails the directory
// the way Filebeat does. Every number must arrive exactly once, in order, and every line whole. A unit test
// rather than an end-to-end run: the exporter drives NdjsonFile exactly like this (bursts of lines, a flush
// per housekeeping tick), and here the load is far higher and the result exact.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "lib/export/ndjson_file.hpp"

namespace spanwatch::lib {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kAllLines = 1'000'000;
constexpr uint64_t kAgeLines = 300'000;      // by age: fewer, so both runs stay well inside the test timeout
constexpr uint64_t kRotateBytes = 64 << 10;  // ~65 MB of lines: about 1000 rotations
constexpr uint32_t kAgeTicks = 1;            // by age: a file lasts one tick (~30 KB of lines)
constexpr size_t kFlushBytes = 4 << 10;      // small writes: the reader often sees a file mid-line
constexpr size_t kReadChunk = 64 << 10;
constexpr auto kWriterBreather = std::chrono::microseconds(100);  // lets the reader catch up now and then
constexpr uint64_t kPauseEvery = 64;                    // rotations the reader follows between pauses
constexpr auto kPause = std::chrono::milliseconds(10);  // long enough for the writer to rotate a few times

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ndjson_rotation_test.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

// Line n: {"seq":n,"pad":"<(n * 7919) % 97 letters>"}: the length varies, so rotation and write boundaries
// fall everywhere, and the reader can tell a whole line from a cut one.
size_t pad_len(uint64_t n) {
  return (n * 7919) % 97;
}
char pad_char(uint64_t n) {
  return char('a' + n % 26);
}
void append_line(std::string& out, uint64_t n) {
  out += "{\"seq\":";
  out += std::to_string(n);
  out += ",\"pad\":\"";
  out.append(pad_len(n), pad_char(n));
  out += "\"}\n";
}

// Follows DIR/flows.json by inode, as Filebeat's log input does: read the open file to EOF; once the name
// points elsewhere the file was rotated, so finish the old inode, then open the new flows.json; rotated files
// it never opened (several rotations between two looks) are read from the directory scan, oldest first.
class DirTailer {
 public:
  explicit DirTailer(std::string dir) : dir_(std::move(dir)), live_(dir_ + "/flows.json") {}
  ~DirTailer() {
    if (cur_fd_ >= 0) ::close(cur_fd_);
  }

  // One look; false when nothing new was read. Sets error() on the first violation.
  bool poll() {
    bool progress = false;
    if (cur_fd_ < 0) {
      cur_fd_ = ::open(live_.c_str(), O_RDONLY | O_CLOEXEC);
      if (cur_fd_ < 0) return false;  // between rename and re-create
      struct stat st {};
      ::fstat(cur_fd_, &st);
      cur_ino_ = st.st_ino;
      cur_off_ = 0;
      fresh_ = true;
      ++opened_;
      if (finished_.contains(cur_ino_)) fail("opened flows.json whose inode was already read as rotated");
    }
    struct stat st {};
    if (!fresh_) {  // the common case: follow the open file until the name points elsewhere
      progress |= read_to_eof(cur_fd_, cur_off_, cur_partial_);
      if (::stat(live_.c_str(), &st) == 0 && st.st_ino == cur_ino_) return progress;
    }
    // Just opened, or rotated: which rotated files exist, oldest first? Everything rotated before we opened
    // the current file was renamed before this scan started, so it is listed; files rotated during the scan
    // may or may not be.
    const std::vector<Rotated> rotated = scan();
    // Still the same flows.json after the scan: nothing newer than the current file can have been listed.
    const bool still_current = ::stat(live_.c_str(), &st) == 0 && st.st_ino == cur_ino_;
    size_t older_end = rotated.size();
    if (!still_current) {  // rotated: read the files before it, then it, then follow the new flows.json
      const auto it =
          std::find_if(rotated.begin(), rotated.end(), [&](const Rotated& r) { return r.ino == cur_ino_; });
      if (it == rotated.end()) return progress;  // renamed during the scan: the next scan lists it
      older_end = size_t(it - rotated.begin());
    }
    for (size_t i = 0; i < older_end; ++i) {  // rotated while we were not looking
      if (finished_.contains(rotated[i].ino)) continue;
      const int fd = ::open(rotated[i].path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        fail("cannot open " + rotated[i].path + ": " + std::strerror(errno));
        return progress;
      }
      uint64_t off = 0;
      std::string partial;
      progress |= read_to_eof(fd, off, partial);
      ::close(fd);
      if (!partial.empty()) fail(rotated[i].path + " ends in a partial line: " + partial);
      finished_.insert(rotated[i].ino);
      ++missed_files_read_;
    }
    progress |= read_to_eof(cur_fd_, cur_off_, cur_partial_);
    fresh_ = false;
    if (!still_current) {  // renamed: the writer is done with it, what we read now is all it will hold
      progress |= read_to_eof(cur_fd_, cur_off_, cur_partial_);
      if (!cur_partial_.empty()) fail("rotated flows.json ends in a partial line: " + cur_partial_);
      cur_partial_.clear();
      finished_.insert(cur_ino_);
      ::close(cur_fd_);
      cur_fd_ = -1;
      ++followed_rotations_;
      progress = true;
    }
    return progress;
  }

  uint64_t next_seq() const { return next_; }
  uint64_t files_opened() const { return opened_; }
  uint64_t followed_rotations() const { return followed_rotations_; }
  uint64_t missed_files_read() const { return missed_files_read_; }
  uint64_t files_finished() const { return finished_.size(); }
  const std::string& partial() const { return cur_partial_; }
  const std::string& error() const { return error_; }

 private:
  struct Rotated {
    std::string stamp;  // YYYYmmddTHHMMSS
    unsigned n;         // rotation within that second
    std::string path;
    ino_t ino;
  };

  void fail(const std::string& msg) {
    if (error_.empty()) error_ = msg;
  }

  // flows-<stamp>-<n>.json, ordered as they were rotated.
  std::vector<Rotated> scan() {
    std::vector<Rotated> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (!name.starts_with("flows-") || !name.ends_with(".json")) continue;
      const std::string mid = name.substr(6, name.size() - 6 - 5);
      const size_t dash = mid.rfind('-');
      Rotated r{mid.substr(0, dash), 0, e.path().string(), 0};
      std::from_chars(mid.data() + dash + 1, mid.data() + mid.size(), r.n);
      if (const auto it = ino_by_name_.find(name); it != ino_by_name_.end()) {
        r.ino = it->second;  // a rotated name never changes its file
      } else {
        struct stat st {};
        if (::stat(r.path.c_str(), &st) != 0) continue;
        r.ino = ino_by_name_[name] = st.st_ino;
      }
      out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(), [](const Rotated& a, const Rotated& b) {
      return std::tie(a.stamp, a.n) < std::tie(b.stamp, b.n);
    });
    return out;
  }

  // Reads fd from off to EOF; checks complete lines, keeps a trailing partial one in `partial`.
  bool read_to_eof(int fd, uint64_t& off, std::string& partial) {
    bool any = false;
    for (;;) {
      const ssize_t n = ::pread(fd, buf_.data(), buf_.size(), off_t(off));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      any = true;
      off += uint64_t(n);
      std::string_view chunk(buf_.data(), size_t(n));
      if (!partial.empty()) {  // the rest of a line cut by the previous read
        const size_t nl = chunk.find('\n');
        partial.append(chunk.substr(0, nl));
        if (nl == std::string_view::npos) continue;
        check_line(partial);
        partial.clear();
        chunk.remove_prefix(nl + 1);
      }
      for (size_t nl; (nl = chunk.find('\n')) != std::string_view::npos; chunk.remove_prefix(nl + 1))
        check_line(chunk.substr(0, nl));
      partial.assign(chunk);
    }
    return any;
  }

  // Exactly line_text(seq) without its '\n', and seq the next number expected.
  void check_line(std::string_view l) {
    constexpr std::string_view kHead = "{\"seq\":", kMid = ",\"pad\":\"", kTail = "\"}";
    uint64_t seq = 0;
    const char* const end = l.data() + l.size();
    const auto r = l.starts_with(kHead) ? std::from_chars(l.data() + kHead.size(), end, seq)
                                        : std::from_chars_result{l.data(), std::errc::invalid_argument};
    bool whole = r.ec == std::errc{};
    if (whole) {
      std::string_view rest(r.ptr, size_t(end - r.ptr));
      const size_t pad = pad_len(seq);
      whole = rest.size() == kMid.size() + pad + kTail.size() && rest.starts_with(kMid) &&
              rest.ends_with(kTail) &&
              rest.substr(kMid.size(), pad).find_first_not_of(pad_char(seq)) == std::string_view::npos;
    }
    if (!whole) {
      fail("cut or corrupt line after " + std::to_string(next_) + ": " + std::string(l.substr(0, 160)));
      return;
    }
    if (seq != next_)
      fail("expected line " + std::to_string(next_) + ", got " + std::to_string(seq) +
           (seq < next_ ? " (duplicate or out of order)" : " (lines lost)"));
    next_ = seq + 1;
  }

  std::string dir_, live_;
  int cur_fd_ = -1;
  ino_t cur_ino_ = 0;
  uint64_t cur_off_ = 0;
  bool fresh_ = false;  // opened, but the rotated files older than it are not read yet
  std::string cur_partial_;
  std::unordered_set<ino_t> finished_;
  std::unordered_map<std::string, ino_t> ino_by_name_;
  std::vector<char> buf_ = std::vector<char>(kReadChunk);
  uint64_t next_ = 0, opened_ = 0, followed_rotations_ = 0, missed_files_read_ = 0;
  std::string error_;
};

// by_age: rotation by age only (rotate_interval_s with a fake clock that advances one second per housekeeping
// tick) instead of by size; the reader must see the same guarantees.
void run_tailing(bool by_age) {
  const uint64_t total = by_age ? kAgeLines : kAllLines;
  TempDir d;
  std::atomic<bool> writer_done{false};
  uint64_t rotations = 0, written = 0, dropped = 0, errors = 0, rotate_errors = 0;

  std::thread writer([&] {
    NdjsonFileOptions o;
    o.dir = d.str();
    int64_t fake_now = 1'700'000'000;  // only this thread reads it
    if (by_age) {
      o.rotate_interval_s = kAgeTicks;
      o.clock = [&fake_now] { return fake_now; };
    } else {
      o.rotate_bytes = kRotateBytes;
    }
    o.flush_bytes = kFlushBytes;
    {
      NdjsonFile f(o);
      // The housekeeping tick: by age it is tick() with a second gone by, as the exporter calls it.
      auto housekeeping = [&] { return by_age ? (++fake_now, f.tick()) : f.flush(); };
      std::mt19937_64 rng(42);
      std::string batch;
      for (uint64_t n = 0; n < total;) {
        batch.clear();
        const uint64_t lines = std::min<uint64_t>(1 + rng() % 64, total - n);  // an exporter ring burst
        for (uint64_t i = 0; i < lines; ++i) append_line(batch, n++);
        if (f.write(batch) != NdjsonStatus::kOk) ++errors;
        if (rng() % 16 == 0 && housekeeping() != NdjsonStatus::kOk) ++errors;
        if (rng() % 8 == 0) std::this_thread::sleep_for(kWriterBreather);  // rings empty for a moment
      }
      if (f.flush() != NdjsonStatus::kOk) ++errors;
      rotations = f.counters().rotations.get();
      written = f.counters().records_written.get();
      dropped = f.counters().records_dropped.get();
      rotate_errors = f.counters().rotate_errors.get();
    }
    writer_done.store(true, std::memory_order_release);
  });

  DirTailer tail(d.str());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  uint64_t paused_at = 0;
  for (;;) {
    // A poll that finds nothing new after the writer finished has read everything it wrote.
    const bool done = writer_done.load(std::memory_order_acquire);
    const bool progress = tail.poll();
    if (!tail.error().empty() || (done && !progress)) break;
    if (std::chrono::steady_clock::now() > deadline) break;
    if (tail.followed_rotations() >= paused_at + kPauseEvery) {
      // A slow reader (Filebeat backed off by its output): the writer rotates several times meanwhile.
      paused_at = tail.followed_rotations();
      std::this_thread::sleep_for(kPause);
    } else if (!progress) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  writer.join();

  EXPECT_EQ(tail.error(), "");
  EXPECT_EQ(tail.next_seq(), total) << "lines read";
  EXPECT_EQ(tail.partial(), "") << "flows.json ends in a partial line";
  EXPECT_EQ(written, total);
  EXPECT_EQ(dropped, 0u);
  EXPECT_EQ(errors, 0u);
  EXPECT_EQ(rotate_errors, 0u);
  EXPECT_GT(rotations, 300u) << "the test must rotate hundreds of times";
  EXPECT_EQ(tail.files_finished(), rotations) << "every rotated file read to its end once";
  // Both ways a tailer meets a rotation: it had the file open (finish the old inode, open the new name), or
  // the file was rotated while it was not looking (found by the directory scan).
  EXPECT_GT(tail.followed_rotations(), 0u);
  EXPECT_GT(tail.missed_files_read(), 0u);
  std::printf(
      "%llu lines, %llu rotations: the reader followed %llu of them in the open file and found %llu "
      "rotated files it had never opened\n",
      (unsigned long long)total, (unsigned long long)rotations, (unsigned long long)tail.followed_rotations(),
      (unsigned long long)tail.missed_files_read());
}

TEST(NdjsonRotation, TailingReaderSeesEveryLineOnceInOrderAndWhole) {
  run_tailing(false);
}

TEST(NdjsonRotation, RotationByAgeKeepsTheSameGuaranteesForATailingReader) {
  run_tailing(true);
}

}  // namespace
}  // namespace spanwatch::lib
