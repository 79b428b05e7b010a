// A reader of the shared-memory record ring: open and validate, the seqlock read, overrun resync and
// writer liveness.
#include "lib/ring/shm_ring_reader.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <utility>

namespace spanwatch::lib {
namespace {

using shm_detail::throw_errno;
namespace ring = shm_ring;

[[noreturn]] void refuse(ShmRingErrc code, const std::string& name, const std::string& why) {
  throw ShmRingError(code, fmt::format("shm ring {}: {}", name, why));
}

// Everything a reader relies on before it touches a slot. The header was published with the magic last, so
// after the acquire load of the magic the other fields are complete and immutable.
void validate(const ring::RingHeader& h, uint64_t object_bytes, const ShmRingReaderOptions& o) {
  const uint64_t magic = h.magic.load(std::memory_order_acquire);
  if (magic == 0)
    refuse(ShmRingErrc::kNotReady, o.name, "the writer is still initialising it; retry shortly");
  if (magic != ring::kRingMagic)
    refuse(ShmRingErrc::kBadMagic, o.name,
           fmt::format("not a spanwatch ring (magic {:#018x}, expected {:#018x})", magic, ring::kRingMagic));
  if (h.layout_version != ring::kRingLayoutVersion)
    refuse(
        ShmRingErrc::kBadVersion, o.name,
        fmt::format("ring layout version {}, this reader understands version {}; use a reader from the same "
                    "spanwatch release as the writer",
                    h.layout_version, ring::kRingLayoutVersion));
  if (h.context_bytes > ring::kMaxContextBytes || h.header_bytes != ring::header_bytes_for(h.context_bytes))
    refuse(ShmRingErrc::kBadLayout, o.name,
           fmt::format("header and context are {} bytes, expected {} for a context of {} bytes (at most {})",
                       h.header_bytes, ring::header_bytes_for(h.context_bytes), h.context_bytes,
                       ring::kMaxContextBytes));
  if (!ring::is_power_of_two(h.capacity) || h.capacity > ring::kMaxCapacity)
    refuse(ShmRingErrc::kBadLayout, o.name,
           fmt::format("capacity {} is not a power of two <= {}", h.capacity, ring::kMaxCapacity));
  if (h.max_payload_bytes == 0 || h.max_payload_bytes > ring::kMaxPayloadBytes ||
      h.slot_bytes != ring::slot_bytes_for(h.max_payload_bytes))
    refuse(ShmRingErrc::kBadLayout, o.name,
           fmt::format("slot of {} bytes for payloads of {} bytes is inconsistent (expected {})",
                       h.slot_bytes, h.max_payload_bytes, ring::slot_bytes_for(h.max_payload_bytes)));
  const uint64_t total = ring::ring_total_bytes(h.capacity, h.slot_bytes, h.header_bytes);
  if (h.total_bytes != total)
    refuse(ShmRingErrc::kBadLayout, o.name,
           fmt::format("header says {} bytes, its geometry needs {}", h.total_bytes, total));
  if (object_bytes < total)
    refuse(ShmRingErrc::kBadLayout, o.name,
           fmt::format("truncated: the object has {} bytes, the ring needs {}", object_bytes, total));
  if (o.expect_record_type != 0 && h.record_type != o.expect_record_type)
    refuse(ShmRingErrc::kRecordMismatch, o.name,
           fmt::format("carries record type {}, this reader understands type {}", h.record_type,
                       o.expect_record_type));
  if (o.expect_record_bytes != 0 && h.record_bytes != o.expect_record_bytes)
    refuse(ShmRingErrc::kRecordMismatch, o.name,
           fmt::format("carries records of {} bytes, this reader expects {} bytes", h.record_bytes,
                       o.expect_record_bytes));
}

}  // namespace

ShmRingReader::ShmRingReader(ShmRingReaderOptions opts) : opts_(std::move(opts)) {
  shm_detail::check_name(opts_.name);
  fd_.reset(::shm_open(opts_.name.c_str(), O_RDONLY, 0));
  if (!fd_) throw_errno(opts_.name, "shm_open(O_RDONLY)", errno);
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw_errno(opts_.name, "fstat", errno);
  id_ = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size == 0) refuse(ShmRingErrc::kNotReady, opts_.name, "the writer is still sizing it; retry shortly");
  if (size < sizeof(ring::RingHeader))
    refuse(ShmRingErrc::kBadLayout, opts_.name,
           fmt::format("truncated: the object has {} bytes, less than the {}-byte header", size,
                       sizeof(ring::RingHeader)));
  region_ = shm_detail::map_shared(fd_.get(), size, /*writable=*/false, /*populate=*/false, opts_.name);
  base_ = region_.get();
  header_ = reinterpret_cast<const ring::RingHeader*>(base_);
  validate(*header_, size, opts_);
  capacity_ = header_->capacity;
  slot_bytes_ = header_->slot_bytes;
  header_bytes_ = header_->header_bytes;
  max_payload_ = header_->max_payload_bytes;
  if (opts_.start == ShmRingReaderOptions::Start::kOldest)
    start_at_oldest();
  else
    start_at_newest();
}

uint64_t ShmRingReader::published() const noexcept {
  return header_->write_seq.load(std::memory_order_acquire);
}

uint64_t ShmRingReader::oldest_safe() const noexcept {
  // Records [W - capacity, W) are in the ring, but the writer's next record W overwrites W - capacity.
  const uint64_t w = published();
  return w >= capacity_ ? w - capacity_ + 1 : 0;
}

uint64_t ShmRingReader::resync_position() const noexcept {
  // Jumping to the very oldest record would leave a reader that is slower than the writer right where the
  // writer overwrites next: it would be overrun again after a record or two, over and over, discarding
  // torn copies each time. A margin of capacity / kResyncHeadroomDivisor gives it a run of records first.
  const uint64_t w = published();
  const uint64_t headroom = std::max<uint64_t>(1, capacity_ / kResyncHeadroomDivisor);
  return w >= capacity_ ? w - capacity_ + headroom : 0;
}

uint64_t ShmRingReader::start_at_oldest() noexcept {
  return move_to(oldest_safe());
}
uint64_t ShmRingReader::start_at_newest() noexcept {
  return move_to(published());
}

uint64_t ShmRingReader::move_to(uint64_t seq) noexcept {
  const uint64_t skipped = seq > next_ ? seq - next_ : 0;
  next_ = seq;
  return skipped;
}

ReadResult ShmRingReader::try_read(void* out, uint32_t cap) noexcept {
  const uint64_t n = next_;
  const ring::SlotHead* slot = ring::slot_head(base_, slot_bytes_, capacity_, n, header_bytes_);
  const uint64_t want = ring::seq_complete(n);
  // Seqlock read: acquire the seq, copy with relaxed atomic loads, acquire fence, re-check the seq. If it
  // did not change, no store of a later record can have been seen by the copy.
  const uint64_t s1 = slot->seq.load(std::memory_order_acquire);
  if (s1 < want) return {};  // record n not written yet, or being written (s1 == 2n+1)
  if (s1 == want) {
    const uint32_t len = slot->len.load(std::memory_order_relaxed);
    if (len <= cap && len <= max_payload_)
      ring::load_payload(static_cast<std::byte*>(out), ring::slot_words(slot), len);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot->seq.load(std::memory_order_relaxed) == s1) {
      if (len > max_payload_) [[unlikely]] {
        ++next_;
        ++stats_.corrupt;
        ++stats_.missed;
        return {ReadStatus::kCorrupt, len, n, 1};
      }
      if (len > cap) [[unlikely]]
        return {ReadStatus::kBufferTooSmall, len, n, 0};
      ++next_;
      ++stats_.received;
      return {ReadStatus::kRecord, len, n, 0};
    }
    ++stats_.torn_reads;  // the writer lapped this reader during the copy: record n is gone
  }
  // The slot holds (or is receiving) a record at least `capacity` newer: n and its successors were lost.
  uint64_t to = resync_position();
  if (to <= n) to = n + 1;  // only with a corrupt write sequence; still make progress
  const uint64_t missed = to - n;
  next_ = to;
  ++stats_.overruns;
  stats_.missed += missed;
  return {ReadStatus::kOverrun, 0, 0, missed};
}

ReadResult ShmRingReader::read(void* out, uint32_t cap) noexcept {
  ReadResult r = try_read(out, cap);
  if (r.status != ReadStatus::kEmpty) return r;
  if (!writer_gone_ && header_->writer_closed.load(std::memory_order_acquire) == 0) {
    if (opts_.liveness_interval.count() > 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now < next_liveness_check_) return r;
      next_liveness_check_ = now + opts_.liveness_interval;
    }
    if (writer_state() == WriterState::kAlive) return r;
  }
  writer_gone_ = true;  // a dead or replaced writer does not come back to this ring
  // The writer is gone. Whatever it completed before that is visible now (the closed flag is a release
  // store; a dead process wrote its last stores long ago): read it before reporting the end.
  r = try_read(out, cap);
  if (r.status == ReadStatus::kEmpty) r.status = ReadStatus::kWriterGone;
  return r;
}

WriterState ShmRingReader::writer_state() noexcept {
  if (header_->writer_closed.load(std::memory_order_acquire) != 0) return WriterState::kClosed;
  shm_detail::Fd cur(::shm_open(opts_.name.c_str(), O_RDONLY, 0));
  struct stat st {};
  if (cur && ::fstat(cur.get(), &st) == 0 &&
      !(static_cast<uint64_t>(st.st_dev) == id_.dev && static_cast<uint64_t>(st.st_ino) == id_.ino))
    return WriterState::kReplaced;
  // The writer holds flock(LOCK_EX) while it lives; a shared lock succeeds only when nobody holds it.
  if (::flock(fd_.get(), LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd_.get(), LOCK_UN);
    return header_->writer_closed.load(std::memory_order_acquire) != 0 ? WriterState::kClosed
                                                                       : WriterState::kDead;
  }
  return WriterState::kAlive;
}

}  // namespace spanwatch::lib
