// The writer end of the shared-memory record ring: owns the POSIX shm object (create, size, map, lock,
// unlink) and publishes records into it without ever waiting for a reader. One writer per ring name.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "lib/core/counter.hpp"
#include "lib/ring/shm_posix.hpp"
#include "lib/ring/shm_ring_layout.hpp"

namespace spanwatch::lib {

struct ShmRingWriterOptions {
  std::string name;           // POSIX shm name, "/spanwatch-flows" (appears as /dev/shm/spanwatch-flows)
  uint64_t capacity = 65536;  // slots, power of two: how far a reader may lag before it loses records
  uint32_t max_payload_bytes = 256;  // largest record publish() accepts, <= shm_ring::kMaxPayloadBytes
  uint32_t record_type = 0;          // written to the header; readers refuse a type they do not know
  uint32_t record_bytes = 0;         // fixed record size readers can check; 0 = variable
  std::string context;               // opaque bytes readers get once (context()): what they need to
                                     // interpret the records; at most shm_ring::kMaxContextBytes
  mode_t mode = 0644;                // permissions of the object (applied exactly, not through umask)
  bool unlink_on_close = true;       // remove the name when the writer is destroyed
};

struct ShmRingWriterStats {
  uint64_t published = 0;  // records published (the header's write sequence)
  uint64_t rejected = 0;   // publish() calls refused: len > max_payload_bytes, or after close()
};

class ShmRingWriter {
 public:
  // Creates the ring. A stale ring of the same name (its writer crashed or exited without unlinking) is
  // removed and created anew, so readers still mapping the old one see it replaced, never reinitialised
  // under them. Throws ShmRingError (message names the ring and the failed call) for an invalid name or
  // option, a live writer already owning the name (kInUse), missing permission, or a full /dev/shm.
  explicit ShmRingWriter(const ShmRingWriterOptions& opts);
  // close(), then unlinks the name if unlink_on_close and the name still refers to this ring.
  ~ShmRingWriter();
  ShmRingWriter(const ShmRingWriter&) = delete;
  ShmRingWriter& operator=(const ShmRingWriter&) = delete;

  // Copies one record into the next slot. Never blocks, allocates or makes a system call: a reader that
  // falls behind loses the oldest records instead (it is told how many). Returns false, counting it, if
  // len > max_payload_bytes() or after close().
  bool publish(const void* data, uint32_t len) noexcept;

  // Publishing in place, for an encoder that writes a record straight into its slot (no staging copy):
  // begin_record() marks the next slot as being written and returns its payload area, max_payload_bytes()
  // bytes (nullptr after close(), counted as rejected); commit_record(len) publishes the record. A record
  // that is never committed is never seen: the next begin_record() takes the same slot again.
  std::byte* begin_record() noexcept;
  bool commit_record(uint32_t len) noexcept;

  // Tells readers no more records will come (they drain, then read() returns kWriterGone). Idempotent.
  void close() noexcept;

  // Safe to call from another thread (reads atomics only).
  ShmRingWriterStats stats() const noexcept {
    return {header_->write_seq.load(std::memory_order_relaxed), rejected_.get()};
  }
  const std::string& name() const noexcept { return name_; }
  uint64_t capacity() const noexcept { return capacity_; }
  uint32_t max_payload_bytes() const noexcept { return max_payload_; }
  uint64_t generation() const noexcept { return header_->generation; }
  uint64_t shm_bytes() const noexcept { return header_->total_bytes; }

 private:
  shm_ring::SlotHead* start_slot(uint64_t n) noexcept;  // its seq odd: record n is being written
  void finish_slot(shm_ring::SlotHead* slot, uint64_t n, uint32_t len) noexcept;  // record n complete
  std::string name_;
  bool unlink_on_close_;
  shm_detail::Fd fd_;  // holds flock(LOCK_EX) for the writer's lifetime: "a live writer owns this ring"
  shm_detail::ObjectId id_;
  shm_detail::MappedRegion region_;
  shm_ring::RingHeader* header_ = nullptr;
  std::byte* base_ = nullptr;
  uint32_t header_bytes_ = 0;  // slot 0 starts here (after the context area)
  uint64_t capacity_ = 0;
  uint32_t slot_bytes_ = 0;
  uint32_t max_payload_ = 0;
  uint64_t next_ = 0;  // sequence number of the next record
  // Payload bytes of the last record committed in place: how many lines to prefetch.
  uint32_t last_len_ = 0;
  // How far ahead begin_record() asks for slot lines: 2-4 measured alike (about 1 KB ahead for a TCP
  // record, 3 KB for an enriched one); 1 was too late, 8 no better.
  static constexpr uint64_t kPrefetchRecords = 3;
  bool closed_ = false;
  Counter rejected_;
};

inline shm_ring::SlotHead* ShmRingWriter::start_slot(uint64_t n) noexcept {
  shm_ring::SlotHead* slot = shm_ring::slot_head(base_, slot_bytes_, capacity_, n, header_bytes_);
  // Seqlock write (Boehm, "Can seqlocks get along with programming language memory models?", 2012): odd
  // seq, release fence, then the data stores, then the even seq with release. A reader that sees any of the
  // new data words also sees the odd seq (or later) on its re-check, and discards its copy.
  slot->seq.store(shm_ring::seq_writing(n), std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  return slot;
}

inline void ShmRingWriter::finish_slot(shm_ring::SlotHead* slot, uint64_t n, uint32_t len) noexcept {
  slot->len.store(len, std::memory_order_relaxed);
  slot->seq.store(shm_ring::seq_complete(n), std::memory_order_release);
  header_->write_seq.store(n + 1, std::memory_order_release);
  next_ = n + 1;
}

inline bool ShmRingWriter::publish(const void* data, uint32_t len) noexcept {
  if (len > max_payload_ || closed_) [[unlikely]] {
    rejected_.add(1);
    return false;
  }
  const uint64_t n = next_;
  shm_ring::SlotHead* slot = start_slot(n);
  shm_ring::store_payload(shm_ring::slot_words(slot), static_cast<const std::byte*>(data), len);
  finish_slot(slot, n, len);
  return true;
}

inline std::byte* ShmRingWriter::begin_record() noexcept {
  if (closed_) [[unlikely]] {
    rejected_.add(1);
    return nullptr;
  }
  // The ring is far larger than the cache: each slot line a record writes is first read from memory (read
  // for ownership), and the stores wait for it. Ask now for the lines of a slot a few records ahead (as
  // many as the last record used), so that those reads overlap with encoding the records in between.
  const std::byte* ahead = reinterpret_cast<const std::byte*>(
      shm_ring::slot_head(base_, slot_bytes_, capacity_, next_ + kPrefetchRecords, header_bytes_));
  for (const std::byte* end = ahead + sizeof(shm_ring::SlotHead) + last_len_; ahead < end;
       ahead += shm_ring::kCacheLine)
    __builtin_prefetch(ahead, 1);
  // The encoder's stores are plain ones, not relaxed atomics (a byte-wise encoder cannot write whole
  // atomic words): a reader copying the slot meanwhile sees the odd or a later seq on its re-check and
  // discards its copy, as with publish(). That is the classic seqlock writer (the kernel's, folly's); only
  // the readers must load atomically.
  return reinterpret_cast<std::byte*>(shm_ring::slot_words(start_slot(next_)));
}

inline bool ShmRingWriter::commit_record(uint32_t len) noexcept {
  if (len > max_payload_ || closed_) [[unlikely]] {
    rejected_.add(1);
    return false;
  }
  const uint64_t n = next_;
  shm_ring::SlotHead* slot = shm_ring::slot_head(base_, slot_bytes_, capacity_, n, header_bytes_);
  // Zero the rest of the last word, as store_payload does: a slot carries no bytes of an older record.
  if (const uint32_t rest = len % 8; rest != 0)
    std::memset(reinterpret_cast<std::byte*>(shm_ring::slot_words(slot)) + len, 0, 8 - rest);
  finish_slot(slot, n, len);
  last_len_ = len;
  return true;
}

}  // namespace spanwatch::lib
