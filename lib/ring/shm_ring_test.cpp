// Single-process tests of the shm ring: exact round trips, wraparound, overrun accounting, refusal of
// oversized records and of foreign, corrupt or truncated shm objects, writer shutdown, crash and restart.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "lib/ring/shm_ring_reader.hpp"
#include "lib/ring/shm_ring_test_util.hpp"
#include "lib/ring/shm_ring_writer.hpp"

namespace spanwatch::lib {
namespace {

using namespace ring_test;
namespace ring = shm_ring;
using Start = ShmRingReaderOptions::Start;
}  // namespace

// Readable gtest failures.
std::ostream& operator<<(std::ostream& os, ReadStatus s) {
  return os << name_of(s);
}
std::ostream& operator<<(std::ostream& os, WriterState s) {
  return os << name_of(s);
}

namespace {

ShmRingWriterOptions writer_opts(const std::string& name, uint64_t capacity, uint32_t max_payload) {
  ShmRingWriterOptions o;
  o.name = name;
  o.capacity = capacity;
  o.max_payload_bytes = max_payload;
  return o;
}

ShmRingReaderOptions reader_opts(const std::string& name, Start start = Start::kOldest) {
  ShmRingReaderOptions o;
  o.name = name;
  o.start = start;
  o.liveness_interval = std::chrono::milliseconds(0);
  return o;
}

void publish_n(ShmRingWriter& w, uint64_t first, uint64_t count) {
  std::array<std::byte, ring::kMaxPayloadBytes> buf{};
  for (uint64_t n = first; n < first + count; ++n) {
    const uint32_t len = payload_len(n, w.max_payload_bytes());
    fill_payload(n, buf.data(), len);
    ASSERT_TRUE(w.publish(buf.data(), len));
  }
}

// Reads one record and checks it is record `n`, exactly.
void expect_record(ShmRingReader& r, uint64_t n) {
  std::array<std::byte, ring::kMaxPayloadBytes> buf{};
  const ReadResult res = r.read(buf.data(), buf.size());
  ASSERT_EQ(res.status, ReadStatus::kRecord) << "expected record " << n;
  EXPECT_EQ(res.seq, n);
  EXPECT_TRUE(payload_ok(n, buf.data(), res.len, r.max_payload_bytes())) << "record " << n;
}

ReadResult read_one(ShmRingReader& r) {
  std::array<std::byte, ring::kMaxPayloadBytes> buf{};
  return r.read(buf.data(), buf.size());
}

template <class F>
ShmRingErrc error_code_of(F&& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const ShmRingError& e) {
    if (message != nullptr) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no ShmRingError thrown";
  return ShmRingErrc::kSystem;
}

TEST(ShmRing, RoundTripKeepsExactBytesAndLengths) {
  NameGuard g{unique_name("roundtrip")};
  ShmRingWriter w(writer_opts(g.name, 16, 100));
  ShmRingReader r(reader_opts(g.name));
  EXPECT_EQ(read_one(r).status, ReadStatus::kEmpty);
  for (uint32_t len : {0u, 1u, 7u, 8u, 9u, 63u, 100u}) {
    std::array<std::byte, 100> in{}, out{};
    for (uint32_t i = 0; i < len; ++i) in[i] = std::byte(i * 31 + len);
    ASSERT_TRUE(w.publish(in.data(), len));
    const ReadResult res = r.read(out.data(), out.size());
    ASSERT_EQ(res.status, ReadStatus::kRecord);
    ASSERT_EQ(res.len, len);
    EXPECT_EQ(0, std::memcmp(in.data(), out.data(), len)) << "len " << len;
  }
  EXPECT_EQ(read_one(r).status, ReadStatus::kEmpty);
  EXPECT_EQ(w.stats().published, 7u);
  EXPECT_EQ(r.stats().received, 7u);
  EXPECT_EQ(r.published(), 7u);
}

TEST(ShmRing, WrapsAroundManyTimesWithoutLoss) {
  NameGuard g{unique_name("wrap")};
  ShmRingWriter w(writer_opts(g.name, 8, 200));
  ShmRingReader r(reader_opts(g.name));
  uint64_t n = 0;
  for (int round = 0; round < 300; ++round) {
    const uint64_t burst = 1 + round % 8;  // up to a full ring, never more
    publish_n(w, n, burst);
    for (uint64_t i = 0; i < burst; ++i) expect_record(r, n + i);
    n += burst;
    ASSERT_EQ(read_one(r).status, ReadStatus::kEmpty);
  }
  EXPECT_EQ(r.stats().received, n);
  EXPECT_EQ(r.stats().overruns, 0u);
  EXPECT_EQ(r.stats().missed, 0u);
}

TEST(ShmRing, OverrunCountsMissedRecordsAndResumesAtOldest) {
  NameGuard g{unique_name("overrun")};
  ShmRingWriter w(writer_opts(g.name, 8, 64));
  ShmRingReader r(reader_opts(g.name));
  publish_n(w, 0, 3);
  expect_record(r, 0);
  publish_n(w, 3, 47);  // 50 published; the ring holds 42..49, and 42 is next to be overwritten
  const ReadResult res = read_one(r);
  ASSERT_EQ(res.status, ReadStatus::kOverrun);
  EXPECT_EQ(res.missed, 43u - 1u);  // records 1..42
  for (uint64_t n = 43; n < 50; ++n) expect_record(r, n);
  EXPECT_EQ(read_one(r).status, ReadStatus::kEmpty);
  EXPECT_EQ(r.stats().received + r.stats().missed, 50u);
  EXPECT_EQ(r.stats().overruns, 1u);
}

TEST(ShmRing, OverrunResumesWithHeadroomInLargerRings) {
  NameGuard g{unique_name("headroom")};
  ShmRingWriter w(writer_opts(g.name, 64, 64));
  ShmRingReader r(reader_opts(g.name));
  publish_n(w, 0, 200);  // the ring holds 136..199
  const ReadResult res = read_one(r);
  ASSERT_EQ(res.status, ReadStatus::kOverrun);
  EXPECT_EQ(res.missed, 200u - 64u + 64u / 8u);  // resumes at 144: 8 records of headroom
  for (uint64_t n = 144; n < 200; ++n) expect_record(r, n);
  EXPECT_EQ(read_one(r).status, ReadStatus::kEmpty);
  EXPECT_EQ(r.stats().received + r.stats().missed, 200u);
}

TEST(ShmRing, StartPositions) {
  NameGuard g{unique_name("start")};
  ShmRingWriter w(writer_opts(g.name, 8, 64));
  publish_n(w, 0, 5);
  ShmRingReader oldest(reader_opts(g.name, Start::kOldest));
  ShmRingReader newest(reader_opts(g.name, Start::kNewest));
  EXPECT_EQ(oldest.position(), 0u);
  EXPECT_EQ(newest.position(), 5u);
  EXPECT_EQ(read_one(newest).status, ReadStatus::kEmpty);
  publish_n(w, 5, 5);  // 10 published; the ring holds 2..9
  expect_record(newest, 5);
  publish_n(w, 10, 10);  // 20 published
  EXPECT_EQ(newest.start_at_newest(), 20u - 6u);
  EXPECT_EQ(read_one(newest).status, ReadStatus::kEmpty);
  EXPECT_EQ(oldest.start_at_oldest(), 13u);
  EXPECT_EQ(oldest.position(), 13u);
  for (uint64_t n = 13; n < 20; ++n) expect_record(oldest, n);
}

TEST(ShmRing, OversizedPayloadIsRejectedAndNothingIsWritten) {
  NameGuard g{unique_name("oversize")};
  ShmRingWriter w(writer_opts(g.name, 8, 64));
  ShmRingReader r(reader_opts(g.name));
  std::array<std::byte, 65> big{};
  EXPECT_FALSE(w.publish(big.data(), 65));
  EXPECT_EQ(w.stats().rejected, 1u);
  EXPECT_EQ(w.stats().published, 0u);
  EXPECT_EQ(read_one(r).status, ReadStatus::kEmpty);
  EXPECT_TRUE(w.publish(big.data(), 64));
}

TEST(ShmRing, SmallReaderBufferConsumesNothing) {
  NameGuard g{unique_name("smallbuf")};
  ShmRingWriter w(writer_opts(g.name, 8, 64));
  ShmRingReader r(reader_opts(g.name));
  std::array<std::byte, 50> in{};
  in.fill(std::byte{0x5a});
  ASSERT_TRUE(w.publish(in.data(), 50));
  std::array<std::byte, 16> small{};
  const ReadResult res = r.read(small.data(), small.size());
  EXPECT_EQ(res.status, ReadStatus::kBufferTooSmall);
  EXPECT_EQ(res.len, 50u);
  EXPECT_EQ(r.position(), 0u);
  std::array<std::byte, 64> out{};
  ASSERT_EQ(r.read(out.data(), out.size()).status, ReadStatus::kRecord);
  EXPECT_EQ(0, std::memcmp(in.data(), out.data(), 50));
}

TEST(ShmRing, CloseLetsReadersDrainThenReportsWriterGone) {
  NameGuard g{unique_name("close")};
  auto w = std::make_unique<ShmRingWriter>(writer_opts(g.name, 8, 64));
  ShmRingReader r(reader_opts(g.name));
  publish_n(*w, 0, 3);
  EXPECT_EQ(r.writer_state(), WriterState::kAlive);
  w.reset();  // close + unlink
  EXPECT_EQ(::shm_open(g.name.c_str(), O_RDONLY, 0), -1) << "the name is unlinked";
  for (uint64_t n = 0; n < 3; ++n) expect_record(r, n);
  EXPECT_EQ(read_one(r).status, ReadStatus::kWriterGone);
  EXPECT_EQ(r.writer_state(), WriterState::kClosed);
}

TEST(ShmRing, PublishAfterCloseIsRefused) {
  NameGuard g{unique_name("afterclose")};
  ShmRingWriter w(writer_opts(g.name, 8, 64));
  w.close();
  std::byte b{};
  EXPECT_FALSE(w.publish(&b, 1));
  EXPECT_EQ(w.stats().rejected, 1u);
}

TEST(ShmRing, KeepsTheNameWhenAskedAndAppliesTheModeExactly) {
  NameGuard g{unique_name("keep")};
  auto o = writer_opts(g.name, 8, 64);
  o.unlink_on_close = false;
  o.mode = 0640;
  const mode_t old_umask = ::umask(077);
  { ShmRingWriter w(o); }
  ::umask(old_umask);
  const int fd = ::shm_open(g.name.c_str(), O_RDONLY, 0);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ::close(fd);
  ShmRingReader r(reader_opts(g.name));  // a closed ring still opens; it reports the end at once
  EXPECT_EQ(read_one(r).status, ReadStatus::kWriterGone);
}

TEST(ShmRing, RejectsInvalidNamesAndOptionsNamingThem) {
  for (const std::string& name :
       std::vector<std::string>{"", "x", "/", "/a/b", "/" + std::string(300, 'n')}) {
    std::string msg;
    EXPECT_EQ(error_code_of([&] { ShmRingWriter w(writer_opts(name, 8, 64)); }, &msg),
              ShmRingErrc::kInvalidName)
        << name;
    EXPECT_NE(msg.find("\"" + name + "\""), std::string::npos) << msg;
    EXPECT_EQ(error_code_of([&] { ShmRingReader r(reader_opts(name)); }), ShmRingErrc::kInvalidName) << name;
  }
  const std::string name = unique_name("badopt");
  NameGuard g{name};
  for (auto [cap, max] :
       {std::pair<uint64_t, uint32_t>{3, 64}, {0, 64}, {1, 64}, {8, 0}, {8, ring::kMaxPayloadBytes + 1}}) {
    std::string msg;
    EXPECT_EQ(error_code_of([&] { ShmRingWriter w(writer_opts(name, cap, max)); }, &msg),
              ShmRingErrc::kInvalidArgument);
    EXPECT_NE(msg.find(name), std::string::npos) << msg;
  }
  EXPECT_EQ(::shm_open(name.c_str(), O_RDONLY, 0), -1) << "nothing created";
}

TEST(ShmRing, MissingRingIsNotFound) {
  const std::string name = unique_name("missing");
  std::string msg;
  EXPECT_EQ(error_code_of([&] { ShmRingReader r(reader_opts(name)); }, &msg), ShmRingErrc::kNotFound);
  EXPECT_NE(msg.find(name), std::string::npos) << msg;
}

TEST(ShmRing, RecordTypeAndSizeAreChecked) {
  NameGuard g{unique_name("rectype")};
  auto o = writer_opts(g.name, 8, 64);
  o.record_type = 7;
  o.record_bytes = 48;
  ShmRingWriter w(o);
  auto ro = reader_opts(g.name);
  ro.expect_record_type = 7;
  ro.expect_record_bytes = 48;
  ShmRingReader ok(ro);
  EXPECT_EQ(ok.record_type(), 7u);
  ro.expect_record_type = 8;
  EXPECT_EQ(error_code_of([&] { ShmRingReader r(ro); }), ShmRingErrc::kRecordMismatch);
  ro.expect_record_type = 7;
  ro.expect_record_bytes = 40;
  EXPECT_EQ(error_code_of([&] { ShmRingReader r(ro); }), ShmRingErrc::kRecordMismatch);
}

// A shm object written by hand: a valid ring header (capacity 8, payload 64) that each case then damages.
class ForeignObject : public ::testing::Test {
 protected:
  void make(const std::function<void(ring::RingHeader&)>& damage, int64_t size_delta = 0) {
    const uint32_t slot = ring::slot_bytes_for(64);
    const uint64_t total = ring::ring_total_bytes(8, slot, ring::header_bytes_for(0));
    const int fd = ::shm_open(g_.name.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(total)), 0);
    void* p = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT_NE(p, MAP_FAILED);
    auto* h = new (p) ring::RingHeader{};
    h->layout_version = ring::kRingLayoutVersion;
    h->header_bytes = sizeof(ring::RingHeader);
    h->slot_bytes = slot;
    h->max_payload_bytes = 64;
    h->capacity = 8;
    h->total_bytes = total;
    h->magic.store(ring::kRingMagic);
    damage(*h);
    ::munmap(p, total);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(static_cast<int64_t>(total) + size_delta)), 0);
    ::close(fd);
  }
  ShmRingErrc open_error(std::string* msg = nullptr) {
    return error_code_of([&] { ShmRingReader r(reader_opts(g_.name)); }, msg);
  }
  NameGuard g_{unique_name("foreign")};
};

TEST_F(ForeignObject, ValidHandMadeRingOpens) {
  make([](ring::RingHeader&) {});
  ShmRingReader r(reader_opts(g_.name));
  EXPECT_EQ(r.capacity(), 8u);
  EXPECT_EQ(read_one(r).status, ReadStatus::kWriterGone) << "no writer holds the lock";
  EXPECT_EQ(r.writer_state(), WriterState::kDead);
}

TEST_F(ForeignObject, BadMagicIsRefused) {
  make([](ring::RingHeader& h) { h.magic.store(0x1234); });
  std::string msg;
  EXPECT_EQ(open_error(&msg), ShmRingErrc::kBadMagic);
  EXPECT_NE(msg.find(g_.name), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a spanwatch ring"), std::string::npos) << msg;
}

TEST_F(ForeignObject, UninitialisedHeaderIsNotReady) {
  make([](ring::RingHeader& h) { h.magic.store(0); });
  EXPECT_EQ(open_error(), ShmRingErrc::kNotReady);
}

TEST_F(ForeignObject, OtherLayoutVersionIsRefused) {
  make([](ring::RingHeader& h) { h.layout_version = ring::kRingLayoutVersion + 1; });
  std::string msg;
  EXPECT_EQ(open_error(&msg), ShmRingErrc::kBadVersion);
  EXPECT_NE(msg.find("version"), std::string::npos) << msg;
}

TEST_F(ForeignObject, InconsistentGeometryIsRefused) {
  make([](ring::RingHeader& h) { h.capacity = 6; });
  EXPECT_EQ(open_error(), ShmRingErrc::kBadLayout);
  make([](ring::RingHeader& h) { h.slot_bytes = 64; });
  EXPECT_EQ(open_error(), ShmRingErrc::kBadLayout);
  make([](ring::RingHeader& h) { h.max_payload_bytes = 1u << 20; });
  EXPECT_EQ(open_error(), ShmRingErrc::kBadLayout);
  make([](ring::RingHeader& h) { h.total_bytes += 64; });
  EXPECT_EQ(open_error(), ShmRingErrc::kBadLayout);
  make([](ring::RingHeader& h) { h.header_bytes = 128; });
  EXPECT_EQ(open_error(), ShmRingErrc::kBadLayout);
  // A context area the header does not make room for, or one beyond the bound.
  make([](ring::RingHeader& h) { h.context_bytes = 1; });
  EXPECT_EQ(open_error(), ShmRingErrc::kBadLayout);
  make([](ring::RingHeader& h) {
    h.context_bytes = ring::kMaxContextBytes + 1;
    h.header_bytes = ring::header_bytes_for(h.context_bytes);
    h.total_bytes = ring::ring_total_bytes(h.capacity, h.slot_bytes, h.header_bytes);
  });
  EXPECT_EQ(open_error(), ShmRingErrc::kBadLayout);
  // Room made, but the object is too small for it.
  make([](ring::RingHeader& h) {
    h.context_bytes = 100;
    h.header_bytes = ring::header_bytes_for(100);
    h.total_bytes = ring::ring_total_bytes(h.capacity, h.slot_bytes, h.header_bytes);
  });
  EXPECT_EQ(open_error(), ShmRingErrc::kBadLayout);
}

// The context area: the writer's bytes, readable by every reader, with the slots after it.
TEST(ShmRing, ContextAreaBeforeTheSlots) {
  NameGuard g{unique_name("context")};
  const std::string& name = g.name;
  for (const size_t len : {size_t{0}, size_t{1}, size_t{64}, size_t{65}, size_t{5000}}) {
    ShmRingWriterOptions o = writer_opts(name, 8, 64);
    o.context.assign(len, 'c');
    if (len > 0) o.context[len - 1] = 'z';
    ShmRingWriter w(o);
    ShmRingReader r(reader_opts(name));
    EXPECT_EQ(r.context(), o.context);
    publish_n(w, 0, 20);  // wraps: every slot written twice, the context untouched
    EXPECT_EQ(r.context(), o.context);
    r.start_at_oldest();
    for (uint64_t n = 13; n < 20; ++n) {
      std::array<std::byte, 64> buf{};
      const ReadResult got = r.read(buf.data(), buf.size());
      ASSERT_EQ(got.status, ReadStatus::kRecord) << len;
      EXPECT_EQ(got.seq, n);
      EXPECT_TRUE(payload_ok(n, buf.data(), got.len, 64));
    }
  }
  ShmRingWriterOptions big = writer_opts(name, 8, 64);
  big.context.assign(ring::kMaxContextBytes + 1, 'x');
  EXPECT_THROW(ShmRingWriter w(big), ShmRingError);
}

TEST_F(ForeignObject, TruncatedObjectIsRefused) {
  make([](ring::RingHeader&) {}, -1);
  std::string msg;
  EXPECT_EQ(open_error(&msg), ShmRingErrc::kBadLayout);
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  const int fd = ::shm_open(g_.name.c_str(), O_RDWR, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 100), 0);  // smaller than the header
  EXPECT_EQ(open_error(&msg), ShmRingErrc::kBadLayout);
  ASSERT_EQ(::ftruncate(fd, 0), 0);  // a writer between shm_open and ftruncate
  EXPECT_EQ(open_error(), ShmRingErrc::kNotReady);
  ::close(fd);
}

TEST(ShmRing, CorruptSlotLengthIsSkippedNeverCopied) {
  NameGuard g{unique_name("corrupt")};
  ShmRingWriter w(writer_opts(g.name, 8, 64));
  ShmRingReader r(reader_opts(g.name));
  publish_n(w, 0, 2);
  const int fd = ::shm_open(g.name.c_str(), O_RDWR, 0);
  ASSERT_GE(fd, 0);
  void* p = ::mmap(nullptr, w.shm_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  ring::slot_head(static_cast<std::byte*>(p), ring::slot_bytes_for(64), 8, 0, ring::header_bytes_for(0))
      ->len.store(1u << 30);
  const ReadResult res = read_one(r);
  EXPECT_EQ(res.status, ReadStatus::kCorrupt);
  EXPECT_EQ(res.missed, 1u);
  expect_record(r, 1);
  EXPECT_EQ(r.stats().received + r.stats().missed, 2u);
  ::munmap(p, w.shm_bytes());
  ::close(fd);
}

TEST(ShmRing, SecondWriterIsRefusedWhileTheFirstLives) {
  NameGuard g{unique_name("inuse")};
  std::optional<ShmRingWriter> first(std::in_place, writer_opts(g.name, 8, 64));
  std::string msg;
  EXPECT_EQ(error_code_of([&] { ShmRingWriter w(writer_opts(g.name, 8, 64)); }, &msg), ShmRingErrc::kInUse);
  EXPECT_NE(msg.find("pid " + std::to_string(::getpid())), std::string::npos) << msg;
  ShmRingReader r(reader_opts(g.name));  // the refused writer left the live ring alone
  EXPECT_EQ(r.generation(), first->generation());
  first.reset();
  ShmRingWriter second(writer_opts(g.name, 8, 64));
}

TEST(ShmRing, StaleRingOfACrashedWriterIsReplaced) {
  NameGuard g{unique_name("crash")};
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // a writer that publishes 5 records and dies without any cleanup
    auto* w = new ShmRingWriter(writer_opts(g.name, 8, 64));
    std::array<std::byte, 64> buf{};
    for (uint64_t n = 0; n < 5; ++n) {
      fill_payload(n, buf.data(), payload_len(n, 64));
      if (!w->publish(buf.data(), payload_len(n, 64))) ::_exit(2);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  ShmRingReader old_reader(reader_opts(g.name));
  EXPECT_EQ(old_reader.writer_state(), WriterState::kDead);
  for (uint64_t n = 0; n < 5; ++n) expect_record(old_reader, n);
  EXPECT_EQ(read_one(old_reader).status, ReadStatus::kWriterGone);
  EXPECT_EQ(read_one(old_reader).status, ReadStatus::kWriterGone) << "stays gone";

  ShmRingWriter w(writer_opts(g.name, 8, 64));  // recreates the ring instead of failing
  EXPECT_EQ(old_reader.writer_state(), WriterState::kReplaced);
  ShmRingReader new_reader(reader_opts(g.name));
  EXPECT_NE(new_reader.generation(), old_reader.generation());
  EXPECT_EQ(new_reader.writer_pid(), ::getpid());
  EXPECT_EQ(read_one(new_reader).status, ReadStatus::kEmpty);
  EXPECT_EQ(new_reader.writer_state(), WriterState::kAlive);
}

TEST(ShmRing, ReaderWithoutReadPermissionIsToldSo) {
  NameGuard g{unique_name("perm")};
  auto o = writer_opts(g.name, 8, 64);
  o.mode = 0600;
  ShmRingWriter w(o);
  // Open as another user (root bypasses file permissions, so a root test drops to "nobody" in a child).
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(100);
    if (::geteuid() == 0) ::_exit(100);
    try {
      ShmRingReader r(reader_opts(g.name));
    } catch (const ShmRingError& e) {
      const bool named = std::string(e.what()).find(g.name) != std::string::npos;
      ::_exit(e.code() == ShmRingErrc::kPermission && named ? 0 : 102);
    }
    ::_exit(103);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 100) GTEST_SKIP() << "cannot switch to another user";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "100 no setuid, 102 wrong code or message, 103 opened";
}

}  // namespace
}  // namespace spanwatch::lib
