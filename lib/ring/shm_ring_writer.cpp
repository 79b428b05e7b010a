// The writer end of the shared-memory record ring: creation, stale-ring recovery and shutdown. publish()
// is inline in the header.
#include "lib/ring/shm_ring_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <new>
#include <thread>

namespace spanwatch::lib {
namespace {

using shm_detail::Fd;
using shm_detail::throw_errno;

// A reader probes writer liveness with a momentary flock(LOCK_SH); a new writer that finds the lock taken
// retries this often before it concludes that a live writer owns the name.
constexpr int kLockProbeAttempts = 20;
constexpr auto kLockProbePause = std::chrono::milliseconds(5);

// The pid in an existing ring's header, for the "in use" message; 0 when it cannot be read.
int32_t header_pid(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(shm_ring::RingHeader))) return 0;
  void* p = ::mmap(nullptr, sizeof(shm_ring::RingHeader), PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return 0;
  const auto* h = static_cast<const shm_ring::RingHeader*>(p);
  const int32_t pid = h->magic.load(std::memory_order_acquire) == shm_ring::kRingMagic ? h->writer_pid : 0;
  ::munmap(p, sizeof(shm_ring::RingHeader));
  return pid;
}

// Makes the name free: returns when no object exists, or after removing one that no live writer holds.
void remove_stale_ring(const std::string& name) {
  for (int attempt = 1;; ++attempt) {
    Fd fd(::shm_open(name.c_str(), O_RDONLY, 0));
    if (!fd) {
      if (errno == ENOENT) return;
      throw_errno(name, "shm_open(existing ring, O_RDONLY)", errno);
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      // Nobody holds the writer lock: its writer crashed or exited without unlinking. Readers still mapping
      // it keep their (now nameless) copy and see it replaced.
      if (::shm_unlink(name.c_str()) != 0 && errno != ENOENT)
        throw_errno(name, "shm_unlink(stale ring)", errno);
      return;
    }
    if (errno != EWOULDBLOCK) throw_errno(name, "flock(existing ring)", errno);
    if (attempt == kLockProbeAttempts) {
      const int32_t pid = header_pid(fd.get());
      throw ShmRingError(
          ShmRingErrc::kInUse,
          fmt::format("shm ring {}: in use by a running writer{}; stop it or choose another name", name,
                      pid != 0 ? fmt::format(" (pid {})", pid) : std::string()));
    }
    std::this_thread::sleep_for(kLockProbePause);
  }
}

void check_options(const ShmRingWriterOptions& o) {
  shm_detail::check_name(o.name);
  if (!shm_ring::is_power_of_two(o.capacity) || o.capacity < 2 || o.capacity > shm_ring::kMaxCapacity)
    throw ShmRingError(ShmRingErrc::kInvalidArgument,
                       fmt::format("shm ring {}: capacity {} must be a power of two in [2, {}]", o.name,
                                   o.capacity, shm_ring::kMaxCapacity));
  if (o.max_payload_bytes == 0 || o.max_payload_bytes > shm_ring::kMaxPayloadBytes)
    throw ShmRingError(ShmRingErrc::kInvalidArgument,
                       fmt::format("shm ring {}: max_payload_bytes {} must be in [1, {}]", o.name,
                                   o.max_payload_bytes, shm_ring::kMaxPayloadBytes));
  if (o.record_bytes > o.max_payload_bytes)
    throw ShmRingError(ShmRingErrc::kInvalidArgument,
                       fmt::format("shm ring {}: record_bytes {} > max_payload_bytes {}", o.name,
                                   o.record_bytes, o.max_payload_bytes));
  if (o.context.size() > shm_ring::kMaxContextBytes)
    throw ShmRingError(ShmRingErrc::kInvalidArgument,
                       fmt::format("shm ring {}: context of {} bytes is more than {}", o.name,
                                   o.context.size(), shm_ring::kMaxContextBytes));
}

// Removes the name again if construction fails after the object was created.
struct UnlinkGuard {
  const std::string& name;
  bool armed = true;
  ~UnlinkGuard() {
    if (armed) ::shm_unlink(name.c_str());
  }
};

uint64_t random_generation() noexcept {
  uint64_t r = 0;
  if (::getrandom(&r, sizeof r, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof r)) r = 0;
  const auto t = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return (r ^ t ^ (static_cast<uint64_t>(::getpid()) << 40)) | 1;  // unique enough without entropy; never 0
}

uint64_t unix_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

ShmRingWriter::ShmRingWriter(const ShmRingWriterOptions& opts)
    : name_(opts.name), unlink_on_close_(opts.unlink_on_close) {
  check_options(opts);
  remove_stale_ring(name_);

  fd_.reset(::shm_open(name_.c_str(), O_CREAT | O_EXCL | O_RDWR, opts.mode));
  if (!fd_) {
    if (errno == EEXIST)
      throw ShmRingError(ShmRingErrc::kInUse,
                         fmt::format("shm ring {}: created concurrently by another writer; stop it or choose "
                                     "another name",
                                     name_));
    throw_errno(name_, "shm_open(O_CREAT|O_EXCL|O_RDWR)", errno);
  }
  UnlinkGuard unlink_guard{name_};
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0)
    throw ShmRingError(ShmRingErrc::kInUse,
                       fmt::format("shm ring {}: another writer locked the new ring", name_));
  if (::fchmod(fd_.get(), opts.mode) != 0) throw_errno(name_, fmt::format("fchmod({:o})", opts.mode), errno);
  id_ = shm_detail::object_id(fd_.get(), name_);

  capacity_ = opts.capacity;
  max_payload_ = opts.max_payload_bytes;
  slot_bytes_ = shm_ring::slot_bytes_for(max_payload_);
  const auto context_bytes = static_cast<uint32_t>(opts.context.size());
  header_bytes_ = shm_ring::header_bytes_for(context_bytes);
  const uint64_t total = shm_ring::ring_total_bytes(capacity_, slot_bytes_, header_bytes_);
  if (::ftruncate(fd_.get(), static_cast<off_t>(total)) != 0)
    throw_errno(name_, fmt::format("ftruncate({} bytes)", total), errno);
  // tmpfs allocates pages on first touch, and a full /dev/shm then kills the writer with SIGBUS. Reserve
  // them now so "full" is a start-up error instead.
  if (const int err = ::posix_fallocate(fd_.get(), 0, static_cast<off_t>(total)); err != 0)
    throw_errno(name_,
                fmt::format("reserving {} bytes ({} slots of {} bytes)", total, capacity_, slot_bytes_), err);
  region_ = shm_detail::map_shared(fd_.get(), total, /*writable=*/true, /*populate=*/true, name_);
  base_ = region_.get();

  // Fill the header and publish it with the magic last: a reader that sees the magic sees the whole header.
  // The slots are used as the new object gives them, all zero bytes (sequence 0: never written), as the
  // readers in other processes use them: writing 64 MB of zeros over zeros cost every start-up ~50 ms.
  header_ = new (base_) shm_ring::RingHeader{};
  header_->layout_version = shm_ring::kRingLayoutVersion;
  header_->header_bytes = header_bytes_;
  header_->context_bytes = context_bytes;
  if (context_bytes != 0)
    std::memcpy(base_ + sizeof(shm_ring::RingHeader), opts.context.data(), context_bytes);
  header_->slot_bytes = slot_bytes_;
  header_->max_payload_bytes = max_payload_;
  header_->capacity = capacity_;
  header_->total_bytes = total;
  header_->record_type = opts.record_type;
  header_->record_bytes = opts.record_bytes;
  header_->generation = random_generation();
  header_->created_unix_ns = unix_ns();
  header_->writer_pid = static_cast<int32_t>(::getpid());
  header_->write_seq.store(0, std::memory_order_relaxed);
  header_->writer_closed.store(0, std::memory_order_relaxed);
  header_->magic.store(shm_ring::kRingMagic, std::memory_order_release);
  unlink_guard.armed = false;
}

void ShmRingWriter::close() noexcept {
  if (closed_) return;
  closed_ = true;
  header_->writer_closed.store(1, std::memory_order_release);
}

ShmRingWriter::~ShmRingWriter() {
  close();
  if (unlink_on_close_) {
    // Unlink only our own object: the name may have been removed or reused by hand meanwhile.
    Fd cur(::shm_open(name_.c_str(), O_RDONLY, 0));
    struct stat st {};
    if (cur && ::fstat(cur.get(), &st) == 0 && static_cast<uint64_t>(st.st_dev) == id_.dev &&
        static_cast<uint64_t>(st.st_ino) == id_.ino)
      ::shm_unlink(name_.c_str());
  }
  // region_ unmaps, then fd_ closes and releases the writer lock.
}

}  // namespace spanwatch::lib
