// Tests for NdjsonFile: appends, buffering, rotation keeps every line exactly once, short writes never leave
// a partial line (RLIMIT_FSIZE makes the kernel cut a write short), ENOSPC (/dev/full) keeps then drops
// lines.
#include "lib/export/ndjson_file.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
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

}  // namespace
}  // namespace spanwatch::lib
