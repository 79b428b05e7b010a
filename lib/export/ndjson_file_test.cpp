// Tests for NdjsonFile: appends, buffering, rotation keeps every line exactly once, short writes never leave
// a partial line (RLIMIT_FSIZE makes the kernel cut a write short), ENOSPC (/dev/full) keeps then drops
// lines.
#include "lib/export/ndjson_file.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <system_error>
#include <vector>

namespace spanwatch::lib {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ndjson_file_test.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t nl; (nl = s.find('\n', pos)) != std::string::npos; pos = nl + 1)
    out.push_back(s.substr(pos, nl - pos));
  EXPECT_EQ(pos, s.size()) << "file ends in a partial line";
  return out;
}

std::string line(int i) {
  return "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(40, 'x') + "\"}\n";
}

NdjsonFileOptions opts(const TempDir& d) {
  NdjsonFileOptions o;
  o.dir = d.str();
  return o;
}

TEST(NdjsonFile, AppendsWholeLinesAndCounts) {
  TempDir d;
  std::string expected;
  {
    NdjsonFile f(opts(d));
    EXPECT_EQ(f.path(), d.str() + "/flows.json");
    std::string batch;
    for (int i = 0; i < 10; ++i) batch += line(i);
    EXPECT_EQ(f.write(batch), NdjsonStatus::kOk);
    expected += batch;
    EXPECT_EQ(f.pending_bytes(), batch.size());  // below flush_bytes: still buffered
    EXPECT_EQ(f.counters().records_written.get(), 0u);
    EXPECT_EQ(f.flush(), NdjsonStatus::kOk);
    EXPECT_EQ(f.pending_bytes(), 0u);
    EXPECT_EQ(f.counters().records_written.get(), 10u);
    EXPECT_EQ(f.counters().bytes_written.get(), batch.size());
    EXPECT_EQ(f.file_bytes(), batch.size());
    EXPECT_EQ(read_file(f.path()), expected);
    EXPECT_EQ(f.write(line(10)), NdjsonStatus::kOk);
    expected += line(10);
  }  // destructor flushes
  EXPECT_EQ(read_file(d.path() / "flows.json"), expected);

  NdjsonFile again(opts(d));  // reopening appends
  EXPECT_EQ(again.file_bytes(), expected.size());
  again.write(line(11));
  again.flush();
  EXPECT_EQ(read_file(again.path()), expected + line(11));
}

TEST(NdjsonFile, WritesOnceFlushBytesArePending) {
  TempDir d;
  NdjsonFileOptions o = opts(d);
  o.flush_bytes = 250;
  NdjsonFile f(o);
  f.write(line(0));
  EXPECT_EQ(f.counters().records_written.get(), 0u);
  for (int i = 1; i < 5; ++i) f.write(line(i));
  EXPECT_EQ(f.counters().records_written.get(), 5u);  // 5 lines of 57 bytes >= 250: written
  EXPECT_EQ(f.pending_bytes(), 0u);
}

TEST(NdjsonFile, TrailingFragmentIsDroppedNotGlued) {
  TempDir d;
  NdjsonFile f(opts(d));
  EXPECT_EQ(f.write(line(0) + "{\"partial\""), NdjsonStatus::kDropped);
  EXPECT_EQ(f.counters().records_dropped.get(), 1u);
  f.write(line(1));
  f.flush();
  EXPECT_EQ(read_file(f.path()), line(0) + line(1));
}

TEST(NdjsonFile, CutsAPartialLineLeftByACrash) {
  TempDir d;
  {
    std::ofstream out(d.path() / "flows.json", std::ios::binary);
    out << line(0) << "{\"torn\":";
  }
  NdjsonFile f(opts(d));
  EXPECT_EQ(f.file_bytes(), line(0).size());
  f.write(line(1));
  f.flush();
  EXPECT_EQ(read_file(f.path()), line(0) + line(1));

  TempDir d2;  // a file with no newline at all is all fragment
  {
    std::ofstream out(d2.path() / "flows.json", std::ios::binary);
    out << std::string(200000, 'z');
  }
  NdjsonFile f2(opts(d2));
  EXPECT_EQ(f2.file_bytes(), 0u);
}

TEST(NdjsonFile, OpenFailureThrowsWithPath) {
  NdjsonFileOptions o;
  o.dir = "/nonexistent/spanwatch-test-dir";
  try {
    NdjsonFile f(o);
    FAIL() << "expected an exception";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/spanwatch-test-dir/flows.json"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.code().value(), ENOENT);
  }
}

TEST(NdjsonFile, RotationKeepsEveryLineExactlyOnce) {
  TempDir d;
  NdjsonFileOptions o = opts(d);
  o.rotate_bytes = 1000;
  o.flush_bytes = 300;
  constexpr int kLines = 2000;
  {
    NdjsonFile f(o);
    for (int i = 0; i < kLines; i += 3) {  // batches of 1-3 lines
      std::string batch;
      for (int j = i; j < std::min(i + 3, kLines); ++j) batch += line(j);
      ASSERT_EQ(f.write(batch), NdjsonStatus::kOk);
    }
    ASSERT_EQ(f.flush(), NdjsonStatus::kOk);
    EXPECT_GT(f.counters().rotations.get(), 50u);
    EXPECT_EQ(f.counters().rotate_errors.get(), 0u);
    EXPECT_EQ(f.counters().records_written.get(), uint64_t(kLines));
  }
  std::map<int, int> seen;
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(d.path())) {
    const std::string name = e.path().filename().string();
    ++files;
    if (name != "flows.json") {  // flows-YYYYmmddTHHMMSS-N.json
      ASSERT_EQ(name.size() >= 27 && name.rfind("flows-", 0) == 0, true) << name;
      EXPECT_EQ(name[14], 'T') << name;
      EXPECT_EQ(name.substr(name.size() - 5), ".json") << name;
      EXPECT_LE(fs::file_size(e.path()), 1000u + 300u + line(0).size() * 3) << name;
    }
    for (const std::string& l : split_lines(read_file(e.path()))) {
      ASSERT_EQ(l.rfind("{\"n\":", 0), 0u) << name << ": " << l;
      ++seen[std::stoi(l.substr(5))];
    }
  }
  EXPECT_GT(files, 50u);
  ASSERT_EQ(seen.size(), size_t(kLines));
  for (const auto& [n, count] : seen) EXPECT_EQ(count, 1) << "line " << n;
}

TEST(NdjsonFile, NewPolicyTakesEffectWithoutReopening) {
  TempDir d;
  NdjsonFileOptions o = opts(d);
  o.flush_bytes = 1;
  NdjsonFile f(o);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(f.write(line(i)), NdjsonStatus::kOk);
  EXPECT_EQ(f.counters().rotations.get(), 0u);
  NdjsonFileOptions reloaded = o;
  reloaded.rotate_bytes = 500;  // the live file is already larger: the next write rotates it
  reloaded.max_files = 2;
  reloaded.dir = "/nonexistent";  // not taken: the file stays where it is
  f.set_policy(reloaded);
  for (int i = 50; i < 200; ++i) ASSERT_EQ(f.write(line(i)), NdjsonStatus::kOk);
  ASSERT_EQ(f.flush(), NdjsonStatus::kOk);
  EXPECT_GT(f.counters().rotations.get(), 5u);
  EXPECT_EQ(f.path(), d.str() + "/flows.json");
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(d.path())) ++files;
  EXPECT_EQ(files, 3u);  // flows.json and the two newest rotated files (max_files)
  EXPECT_GT(f.counters().files_deleted.get(), 0u);
}

TEST(NdjsonFile, RotationNeverOverwritesAnExistingFile) {
  TempDir d;
  NdjsonFileOptions o = opts(d);
  o.rotate_bytes = 1;
  NdjsonFile f(o);
  for (int i = 0; i < 20; ++i) {
    f.write(line(i));
    f.flush();
  }
  EXPECT_EQ(f.counters().rotations.get(), 20u);
  size_t lines = 0;
  for (const auto& e : fs::directory_iterator(d.path())) lines += split_lines(read_file(e.path())).size();
  EXPECT_EQ(lines, 20u);
}

TEST(NdjsonFile, FullDiskKeepsLinesUpToTheBoundThenDrops) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  TempDir d;
  fs::create_symlink("/dev/full", d.path() / "flows.json");  // every write fails with ENOSPC
  NdjsonFileOptions o = opts(d);
  o.flush_bytes = 100;
  o.max_pending_bytes = line(0).size() * 4;
  NdjsonFile f(o);
  EXPECT_EQ(f.write(line(0)), NdjsonStatus::kOk);
  EXPECT_EQ(f.write(line(1)), NdjsonStatus::kRetry);  // 2 lines >= flush_bytes: write fails, lines kept
  EXPECT_EQ(f.last_errno(), ENOSPC);
  EXPECT_EQ(f.counters().write_errors.get(), 1u);
  EXPECT_EQ(f.pending_bytes(), 2 * line(0).size());
  EXPECT_EQ(f.write(line(2) + line(3) + line(4) + line(5)), NdjsonStatus::kDropped);
  EXPECT_EQ(f.pending_bytes(), 4 * line(0).size());
  EXPECT_EQ(f.counters().records_dropped.get(), 2u);
  EXPECT_EQ(f.counters().records_written.get(), 0u);
  EXPECT_EQ(f.counters().bytes_written.get(), 0u);
  EXPECT_EQ(f.flush(), NdjsonStatus::kRetry);
}

TEST(NdjsonFile, LineLongerThanTheBufferIsDropped) {
  TempDir d;
  NdjsonFileOptions o = opts(d);
  o.max_pending_bytes = 100;
  NdjsonFile f(o);
  const std::string huge = std::string(500, 'h') + "\n";
  EXPECT_EQ(f.write(line(0) + huge + line(1)), NdjsonStatus::kDropped);
  EXPECT_EQ(f.counters().records_dropped.get(), 1u);
  f.flush();
  EXPECT_EQ(read_file(f.path()), line(0) + line(1));
}

// RLIMIT_FSIZE makes write() stop at the limit (short write) and then fail with EFBIG: the file must end on a
// line boundary, and after the limit is lifted every line must be there exactly once, in order.
TEST(NdjsonFile, ShortWriteIsCutBackAndRetried) {
  TempDir d;
  NdjsonFileOptions o = opts(d);
  o.flush_bytes = 1 << 20;  // only explicit flushes
  NdjsonFile f(o);
  std::string all;
  for (int i = 0; i < 10; ++i) all += line(i);
  f.write(all.substr(0, line(0).size() * 3));
  ASSERT_EQ(f.flush(), NdjsonStatus::kOk);

  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit lim = old;
  lim.rlim_cur = line(0).size() * 5 + 10;  // mid-way through line 5
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
  f.write(all.substr(line(0).size() * 3));
  const NdjsonStatus st = f.flush();
  const std::string at_limit = read_file(f.path());
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(st, NdjsonStatus::kRetry);
  EXPECT_EQ(f.last_errno(), EFBIG);
  EXPECT_EQ(at_limit, all.substr(0, line(0).size() * 5)) << "lines 0-4 whole, nothing of line 5";
  EXPECT_EQ(f.counters().records_written.get(), 5u);
  EXPECT_EQ(f.counters().write_errors.get(), 1u);
  EXPECT_EQ(f.pending_bytes(), line(0).size() * 5);

  ASSERT_EQ(f.flush(), NdjsonStatus::kOk);
  EXPECT_EQ(read_file(f.path()), all);
  EXPECT_EQ(f.counters().records_written.get(), 10u);
  EXPECT_EQ(f.counters().bytes_written.get(), all.size());
}

// --- Rotation by age, retention, fsync policy. A fake clock replaces sleeping. ---

constexpr int64_t kT0 = 1'700'000'000;  // 2023-11-14T22:13:20Z

// flows-YYYYmmddTHHMMSS-N.json, checked by hand (std::regex does not compile warning-free under ASan -O2).
bool is_rotated_name(const std::string& name) {
  const auto digits = [&](size_t from, size_t n) {
    if (from + n > name.size()) return false;
    for (size_t i = from; i < from + n; ++i)
      if (name[i] < '0' || name[i] > '9') return false;
    return true;
  };
  const std::string_view prefix = "flows-", suffix = ".json";
  if (name.size() < prefix.size() + 16 + 1 + suffix.size() || name.rfind(prefix, 0) != 0) return false;
  if (!digits(6, 8) || name[14] != 'T' || !digits(15, 6) || name[21] != '-') return false;
  const size_t end = name.size() - suffix.size();
  return name.compare(end, suffix.size(), suffix) == 0 && end > 22 && digits(22, end - 22);
}

// Rotated files (PREFIX-STAMP-N.json) in the directory, sorted by name, with their contents.
std::map<std::string, std::string> rotated_files(const TempDir& d) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(d.path())) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && !e.is_symlink() && is_rotated_name(name)) out[name] = read_file(e.path());
  }
  return out;
}

TEST(NdjsonFile, ParsesFsyncModeNames) {
  EXPECT_EQ(parse_ndjson_fsync("none"), NdjsonFsync::kNone);
  EXPECT_EQ(parse_ndjson_fsync("rotate"), NdjsonFsync::kRotate);
  EXPECT_EQ(parse_ndjson_fsync("interval"), NdjsonFsync::kInterval);
  EXPECT_FALSE(parse_ndjson_fsync("always"));
  EXPECT_FALSE(parse_ndjson_fsync(""));
}

TEST(NdjsonFile, RotatesByAgeOfTheFileNotOnEmptyFiles) {
  TempDir d;
  int64_t t = kT0;
  NdjsonFileOptions o = opts(d);
  o.rotate_interval_s = 60;
  o.clock = [&t] { return t; };
  NdjsonFile f(o);
  ASSERT_EQ(f.write(line(0)), NdjsonStatus::kOk);
  t += 59;
  ASSERT_EQ(f.tick(), NdjsonStatus::kOk);  // flushes, but the file is 59 s old
  EXPECT_EQ(f.counters().rotations.get(), 0u);
  EXPECT_EQ(read_file(f.path()), line(0));
  ASSERT_EQ(f.write(line(1)), NdjsonStatus::kOk);
  t += 1;
  ASSERT_EQ(f.tick(), NdjsonStatus::kOk);  // 60 s: pending line written first, then the whole file renamed
  EXPECT_EQ(f.counters().rotations.get(), 1u);
  const auto rotated = rotated_files(d);
  ASSERT_EQ(rotated.size(), 1u);
  EXPECT_EQ(rotated.begin()->first, "flows-20231114T221420-0.json");  // named by the injected clock
  EXPECT_EQ(rotated.begin()->second, line(0) + line(1));
  ASSERT_TRUE(fs::exists(f.path())) << "the new file exists before any further write";
  EXPECT_EQ(fs::file_size(f.path()), 0u);

  // An empty file is never rotated; its age restarts at the missed deadline.
  t += 60;
  ASSERT_EQ(f.tick(), NdjsonStatus::kOk);
  EXPECT_EQ(f.counters().rotations.get(), 1u);
  ASSERT_EQ(f.write(line(2)), NdjsonStatus::kOk);
  t += 59;
  ASSERT_EQ(f.tick(), NdjsonStatus::kOk);
  EXPECT_EQ(f.counters().rotations.get(), 1u);
  t += 1;
  ASSERT_EQ(f.tick(), NdjsonStatus::kOk);
  EXPECT_EQ(f.counters().rotations.get(), 2u);
  EXPECT_EQ(rotated_files(d).size(), 2u);
  EXPECT_EQ(f.counters().rotate_errors.get(), 0u);
}

TEST(NdjsonFile, AgeAndSizeRotationTogetherKeepEveryLineExactlyOnce) {
  TempDir d;
  int64_t t = kT0;
  NdjsonFileOptions o = opts(d);
  o.rotate_bytes = 2000;
  o.rotate_interval_s = 3;
  o.flush_bytes = 300;
  o.clock = [&t] { return t; };
  constexpr int kLines = 3000;
  {
    NdjsonFile f(o);
    for (int i = 0; i < kLines; ++i) {
      ASSERT_EQ(f.write(line(i)), NdjsonStatus::kOk);
      if (i % 7 == 0) {  // a tick every 7 lines, a second every 14: age rotates before size mostly
        t += (i % 14 == 0);
        ASSERT_EQ(f.tick(), NdjsonStatus::kOk);
      }
    }
    ASSERT_EQ(f.flush(), NdjsonStatus::kOk);
    EXPECT_GT(f.counters().rotations.get(), 50u);
    EXPECT_EQ(f.counters().rotate_errors.get(), 0u);
  }
  std::map<int, int> seen;
  int last = -1;
  auto files = rotated_files(d);
  files["~live"] = read_file(d.path() / "flows.json");  // sorts after the rotated names
  for (const auto& [name, text] : files) {
    EXPECT_FALSE(name != "~live" && text.empty()) << name << ": an empty file was rotated";
    for (const std::string& l : split_lines(text)) {
      const int n = std::stoi(l.substr(5));
      EXPECT_EQ(n, last + 1) << name << ": lines out of order";
      last = n;
      ++seen[n];
    }
  }
  ASSERT_EQ(seen.size(), size_t(kLines));
  for (const auto& [n, count] : seen) EXPECT_EQ(count, 1) << "line " << n;
}

TEST(NdjsonFile, RetentionByCountDeletesOldestRotatedFilesOnly) {
  TempDir d;
  // Unrelated files, and look-alikes that are not ours to delete: all must survive.
  const std::vector<std::string> unrelated{"stats.json",
                                           "other.json",
                                           "flows-old.json",
                                           "flows-20000101T000000-0.json.gz",
                                           "flows-20000101T000000-x.json",
                                           "flows-2000010T000000-0.json",
                                           "xflows-20000101T000000-0.json"};
  for (const std::string& n : unrelated) std::ofstream(d.path() / n) << "keep\n";
  fs::create_directory(d.path() / "flows-20000101T000000-1.json");  // a directory with our pattern
  fs::create_symlink(d.path() / "stats.json", d.path() / "flows-20000101T000000-2.json");  // never followed
  std::ofstream(d.path() / "flows-20000101T000000-3.json") << line(-1);  // a previous run's: oldest

  int64_t t = kT0;
  NdjsonFileOptions o = opts(d);
  o.rotate_bytes = 1;  // every flush rotates
  o.max_files = 3;
  o.clock = [&t] { return t; };
  NdjsonFile f(o);
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(f.write(line(i)), NdjsonStatus::kOk);
    ASSERT_EQ(f.flush(), NdjsonStatus::kOk);
    ++t;
    // After each rotation the newest min(i + 2, 3) rotated files are there, oldest gone first.
    auto rot = rotated_files(d);
    ASSERT_EQ(rot.size(), std::min<size_t>(size_t(i) + 2, 3)) << "after rotation " << i;
    EXPECT_EQ(rot.rbegin()->second, line(i));
    if (i >= 2) {  // 4 files > 3: the previous run's goes first
      EXPECT_FALSE(rot.contains("flows-20000101T000000-3.json"));
    }
  }
  const auto rot = rotated_files(d);
  EXPECT_EQ(rot.at("flows-20231114T221323-0.json"), line(3));
  EXPECT_EQ(rot.at("flows-20231114T221324-0.json"), line(4));
  EXPECT_EQ(rot.at("flows-20231114T221325-0.json"), line(5));
  EXPECT_EQ(f.counters().rotations.get(), 6u);
  EXPECT_EQ(f.counters().files_deleted.get(), 4u);  // the old one and lines 0-2
  EXPECT_EQ(f.counters().delete_errors.get(), 0u);
  for (const std::string& n : unrelated) EXPECT_EQ(read_file(d.path() / n), "keep\n") << n;
  EXPECT_TRUE(fs::is_directory(d.path() / "flows-20000101T000000-1.json"));
  EXPECT_TRUE(fs::is_symlink(d.path() / "flows-20000101T000000-2.json"));
  EXPECT_TRUE(fs::exists(f.path()));
}

TEST(NdjsonFile, RetentionByTotalSizeKeepsTheNewestFile) {
  TempDir d;
  int64_t t = kT0;
  NdjsonFileOptions o = opts(d);
  o.rotate_bytes = 1;
  o.max_total_bytes = line(0).size() * 5 / 2;  // room for two one-line files
  // All rotations in one second: N orders them.
  o.clock = [&t] { return t; };
  {
    NdjsonFile f(o);
    for (int i = 0; i < 5; ++i) {
      f.write(line(i));
      ASSERT_EQ(f.flush(), NdjsonStatus::kOk);
    }
    EXPECT_EQ(f.counters().files_deleted.get(), 3u);
  }
  auto rot = rotated_files(d);
  ASSERT_EQ(rot.size(), 2u);
  EXPECT_EQ(rot.at("flows-20231114T221320-3.json"), line(3));
  EXPECT_EQ(rot.at("flows-20231114T221320-4.json"), line(4));

  // A limit below one file still keeps the file just rotated: a shipper may be reading it.
  o.max_total_bytes = 1;
  NdjsonFile f(o);
  f.write(line(5) + line(6));
  ASSERT_EQ(f.flush(), NdjsonStatus::kOk);
  rot = rotated_files(d);
  ASSERT_EQ(rot.size(), 1u);
  EXPECT_EQ(rot.begin()->second, line(5) + line(6));
  EXPECT_EQ(f.counters().files_deleted.get(), 2u);
}

TEST(NdjsonFile, FsyncPolicies) {
  for (const NdjsonFsync mode : {NdjsonFsync::kNone, NdjsonFsync::kRotate, NdjsonFsync::kInterval}) {
    SCOPED_TRACE(int(mode));
    TempDir d;
    int64_t t = kT0;
    NdjsonFileOptions o = opts(d);
    o.fsync = mode;
    o.fsync_interval_s = 2;
    o.rotate_interval_s = 10;
    o.clock = [&t] { return t; };
    NdjsonFile f(o);
    f.write(line(0));
    ++t;
    ASSERT_EQ(f.tick(), NdjsonStatus::kOk);  // 1 s: not yet an interval
    EXPECT_EQ(f.counters().fsyncs.get(), 0u);
    ++t;
    ASSERT_EQ(f.tick(), NdjsonStatus::kOk);  // 2 s: interval mode syncs the file
    EXPECT_EQ(f.counters().fsyncs.get(), mode == NdjsonFsync::kInterval ? 1u : 0u);
    t += 2;
    ASSERT_EQ(f.tick(), NdjsonStatus::kOk);  // nothing new written: no sync
    EXPECT_EQ(f.counters().fsyncs.get(), mode == NdjsonFsync::kInterval ? 1u : 0u);
    f.write(line(1));
    t += 6;
    ASSERT_EQ(f.tick(), NdjsonStatus::kOk);  // 10 s: rotation (file data + directory unless kNone)
    EXPECT_EQ(f.counters().rotations.get(), 1u);
    const uint64_t expect = mode == NdjsonFsync::kNone ? 0u : mode == NdjsonFsync::kRotate ? 2u : 3u;
    EXPECT_EQ(f.counters().fsyncs.get(), expect);
    EXPECT_EQ(f.counters().fsync_errors.get(), 0u);
  }
}

// fdatasync on a FIFO fails (EINVAL): the error is counted, writing goes on, and it is retried.
TEST(NdjsonFile, FsyncErrorsAreCountedNotFatal) {
  TempDir d;
  ASSERT_EQ(mkfifo((d.path() / "flows.json").c_str(), 0600), 0);
  int64_t t = kT0;
  NdjsonFileOptions o = opts(d);
  o.fsync = NdjsonFsync::kInterval;
  o.clock = [&t] { return t; };
  NdjsonFile f(o);  // O_RDWR: opening a FIFO does not wait for a reader
  ASSERT_EQ(f.write(line(0)), NdjsonStatus::kOk);
  ++t;
  EXPECT_EQ(f.tick(), NdjsonStatus::kOk);
  EXPECT_EQ(f.counters().records_written.get(), 1u);
  EXPECT_EQ(f.counters().fsync_errors.get(), 1u);
  EXPECT_EQ(f.last_errno(), EINVAL);
  ++t;
  EXPECT_EQ(f.tick(), NdjsonStatus::kOk);  // still unsynced: tried again
  EXPECT_EQ(f.counters().fsync_errors.get(), 2u);
  EXPECT_EQ(f.counters().fsyncs.get(), 0u);
  ASSERT_EQ(f.write(line(1)), NdjsonStatus::kOk);
  EXPECT_EQ(f.flush(), NdjsonStatus::kOk);
  EXPECT_EQ(f.counters().records_written.get(), 2u);
}

}  // namespace
}  // namespace spanwatch::lib
