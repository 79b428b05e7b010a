// A reader of the shared-memory record ring (web viewer, spanwatch-tail): maps the ring read-only,
// validates its header, and copies records out. It never slows the writer down; a reader that falls
// behind is told how many records it lost and continues near the oldest one still in the ring.
#pragma once
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/ring/shm_posix.hpp"
#include "lib/ring/shm_ring_layout.hpp"

namespace spanwatch::lib {

enum class ReadStatus : uint8_t {
  kRecord,          // a complete record was copied to `out`
  kEmpty,           // nothing new yet: poll again later (sleep or yield; never spin)
  kOverrun,         // the writer overwrote records before this reader got to them; `missed` says how many.
                    // The reader resumes near the oldest record still in the ring (capacity/8 after it, so
                    // that a reader slower than the writer gets runs of records, not an overrun per record)
  kBufferTooSmall,  // the next record has `len` bytes, more than `cap`; nothing was consumed
  kCorrupt,         // the next slot holds an impossible length (not written by ShmRingWriter); skipped and
                    // counted in `missed`
  kWriterGone,      // everything has been read and nothing more will come: the writer closed the ring, died,
                    // or a new writer replaced it (writer_state() says which). Reopen the name to follow
                    // a restarted writer.
};

inline constexpr std::array<std::string_view, 6> kReadStatusNames{
    "record", "empty", "overrun", "buffer_too_small", "corrupt", "writer_gone"};
static_assert(kReadStatusNames.size() == size_t(ReadStatus::kWriterGone) + 1, "one name per ReadStatus");
inline constexpr std::string_view name_of(ReadStatus s) noexcept {
  return kReadStatusNames[size_t(s)];
}

// The writer as seen by writer_state() (which makes system calls; read() calls it on its empty path at most
// once per liveness_interval).
enum class WriterState : uint8_t {
  kAlive,     // a live writer holds the ring's writer lock
  kClosed,    // the writer shut down cleanly
  kDead,      // no process holds the writer lock: the writer crashed
  kReplaced,  // the name now refers to a newer ring (writer restarted): reopen
};

inline constexpr std::array<std::string_view, 4> kWriterStateNames{"alive", "closed", "dead", "replaced"};
static_assert(kWriterStateNames.size() == size_t(WriterState::kReplaced) + 1, "one name per WriterState");
inline constexpr std::string_view name_of(WriterState s) noexcept {
  return kWriterStateNames[size_t(s)];
}

struct ReadResult {
  ReadStatus status = ReadStatus::kEmpty;
  uint32_t len = 0;     // kRecord: payload bytes copied; kBufferTooSmall: bytes needed
  uint64_t seq = 0;     // kRecord: the record's sequence number (0 = first record the writer published)
  uint64_t missed = 0;  // kOverrun/kCorrupt: records skipped
};

struct ShmRingReaderStats {
  uint64_t received = 0;    // records returned as kRecord
  uint64_t overruns = 0;    // kOverrun events
  uint64_t missed = 0;      // records skipped by overruns and corrupt slots
  uint64_t torn_reads = 0;  // copies discarded because the writer overwrote the slot meanwhile
  uint64_t corrupt = 0;     // kCorrupt events
};

struct ShmRingReaderOptions {
  enum class Start : uint8_t { kNewest, kOldest };
  std::string name;                  // as given to the writer, e.g. "/spanwatch-flows"
  uint32_t expect_record_type = 0;   // refuse a ring carrying another record type; 0 = accept any
  uint32_t expect_record_bytes = 0;  // refuse a ring whose fixed record size differs; 0 = accept any
  Start start = Start::kNewest;      // where the first read() begins
  // While the ring is empty, read() checks at most this often whether the writer is still there (a few
  // system calls). 0 = on every empty read.
  std::chrono::milliseconds liveness_interval{250};
};

class ShmRingReader {
 public:
  // Opens the ring read-only (O_RDONLY, PROT_READ) and validates magic, layout version, geometry against
  // the object's size, and the expected record type/size. Throws ShmRingError naming the ring: kNotFound /
  // kNotReady (retry later), kPermission, kBadMagic, kBadVersion, kBadLayout, kRecordMismatch.
  explicit ShmRingReader(ShmRingReaderOptions opts);
  ShmRingReader(ShmRingReader&&) noexcept = default;
  ShmRingReader& operator=(ShmRingReader&&) noexcept = default;
  ShmRingReader(const ShmRingReader&) = delete;
  ShmRingReader& operator=(const ShmRingReader&) = delete;
  ~ShmRingReader() = default;

  // Copies the next record into out[0, cap). Never returns a partial or torn record; out's contents are
  // unspecified unless the status is kRecord. Pass cap >= max_payload_bytes() to never see kBufferTooSmall.
  // No allocation; system calls only on the empty path, at most once per liveness_interval.
  ReadResult read(void* out, uint32_t cap) noexcept;

  // Reposition; both return how many unread records were skipped (not counted as missed: the caller chose).
  uint64_t start_at_oldest() noexcept;  // next read: the oldest record the writer is not about to overwrite
  uint64_t start_at_newest() noexcept;  // next read: the next record the writer publishes

  WriterState writer_state() noexcept;

  const ShmRingReaderStats& stats() const noexcept { return stats_; }
  uint64_t position() const noexcept { return next_; }  // sequence number read() expects next
  uint64_t published() const noexcept;                  // the writer's write sequence (records so far)
  const std::string& name() const noexcept { return opts_.name; }
  uint64_t capacity() const noexcept { return capacity_; }
  uint32_t max_payload_bytes() const noexcept { return max_payload_; }
  uint32_t record_type() const noexcept { return header_->record_type; }
  uint32_t record_bytes() const noexcept { return header_->record_bytes; }
  uint64_t generation() const noexcept { return header_->generation; }
  uint64_t created_unix_ns() const noexcept { return header_->created_unix_ns; }
  int32_t writer_pid() const noexcept { return header_->writer_pid; }
  // The writer's context bytes (ShmRingWriterOptions::context), immutable for the ring's life: a view into
  // the mapping, valid while this reader lives.
  std::string_view context() const noexcept {
    return {reinterpret_cast<const char*>(base_) + sizeof(shm_ring::RingHeader), header_->context_bytes};
  }

 private:
  ReadResult try_read(void* out, uint32_t cap) noexcept;
  uint64_t oldest_safe() const noexcept;
  uint64_t resync_position() const noexcept;
  uint64_t move_to(uint64_t seq) noexcept;

  // After an overrun the reader resumes capacity / kResyncHeadroomDivisor records after the oldest one.
  static constexpr uint64_t kResyncHeadroomDivisor = 8;

  ShmRingReaderOptions opts_;
  shm_detail::Fd fd_;
  shm_detail::ObjectId id_;
  shm_detail::MappedRegion region_;
  const shm_ring::RingHeader* header_ = nullptr;
  const std::byte* base_ = nullptr;
  uint64_t capacity_ = 0;
  uint32_t slot_bytes_ = 0;
  uint32_t header_bytes_ = 0;
  uint32_t max_payload_ = 0;
  uint64_t next_ = 0;
  std::chrono::steady_clock::time_point next_liveness_check_{};
  bool writer_gone_ = false;
  ShmRingReaderStats stats_;
};

}  // namespace spanwatch::lib
