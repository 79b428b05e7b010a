// Fuzz target: ShmRingReader over a hostile ring. The input describes a shared-memory segment (geometry, or
// a raw header) and then a script of what a writer (buggy, malicious, or a corrupted segment) does between
// the reader's calls: publish records properly, overwrite any 8 bytes of the header or the slots, move the
// write sequence, close, hold or drop the writer lock. The reader must never crash, read outside its
// mapping, or hand back a record longer than the caller's buffer or the ring's payload bound.
//
// Input: [flags][log2 capacity][max payload:2] [raw header:192 if flags bit 0] then ops (see below).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "lib/ring/shm_ring_layout.hpp"
#include "lib/ring/shm_ring_reader.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;
namespace ring = spanwatch::lib::shm_ring;

namespace {

class Input {
 public:
  Input(const uint8_t* p, size_t n) noexcept : p_(p), n_(n) {}
  bool empty() const noexcept { return i_ >= n_; }
  uint64_t take(size_t bytes) noexcept {  // little-endian, zero past the end
    uint64_t v = 0;
    for (size_t k = 0; k < bytes; ++k) v |= uint64_t{i_ < n_ ? p_[i_++] : uint8_t{0}} << (8 * k);
    return v;
  }
  void copy(void* dst, size_t bytes) noexcept {
    const size_t k = std::min(bytes, n_ - std::min(i_, n_));
    if (k > 0) std::memcpy(dst, p_ + i_, k);
    i_ += k;
  }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t i_ = 0;
};

// The segment as the writer side sees it: created, sized and mapped read-write here, unlinked at the end.
struct Segment {
  std::string name = "/spanwatch-fuzz-ring-" + std::to_string(::getpid());
  int fd = -1;
  std::byte* base = nullptr;
  size_t size = 0;
  Segment(size_t bytes) : size(bytes) {
    fd = ::shm_open(name.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0600);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(::ftruncate(fd, static_cast<off_t>(size)) == 0);
    if (size > 0) {
      void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      FUZZ_CHECK(m != MAP_FAILED);
      base = static_cast<std::byte*>(m);
    }
  }
  ~Segment() {
    if (base != nullptr) ::munmap(base, size);
    ::close(fd);
    ::shm_unlink(name.c_str());
  }
  ring::RingHeader& header() { return *reinterpret_cast<ring::RingHeader*>(base); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint64_t flags = in.take(1);
  const uint64_t capacity = uint64_t{1} << (in.take(1) % 5);
  const auto max_payload = static_cast<uint32_t>(1 + in.take(2) % 1024);
  const uint32_t slot_bytes = ring::slot_bytes_for(max_payload);
  uint64_t total = ring::ring_total_bytes(capacity, slot_bytes, ring::header_bytes_for(0));
  // A segment shorter or longer than its header says (a writer that died while sizing it, or a stale one).
  if (flags & 0x10) total = total - std::min<uint64_t>(total, 1 + (flags >> 5) * 61);
  if (flags & 0x08) total += 64;
  Segment seg(total);
  if (total >= sizeof(ring::RingHeader)) {
    ring::RingHeader& h = seg.header();
    if (flags & 1) {
      in.copy(seg.base, sizeof(ring::RingHeader));  // whatever the input says
    } else {
      h.layout_version = ring::kRingLayoutVersion;
      h.header_bytes = sizeof(ring::RingHeader);
      h.slot_bytes = slot_bytes;
      h.max_payload_bytes = max_payload;
      h.capacity = capacity;
      h.total_bytes = ring::ring_total_bytes(capacity, slot_bytes, ring::header_bytes_for(0));
      h.record_type = 7;
      h.generation = 42;
      h.magic.store(ring::kRingMagic);
    }
  }

  lib::ShmRingReaderOptions opts;
  opts.name = seg.name;
  opts.start =
      (flags & 2) ? lib::ShmRingReaderOptions::Start::kOldest : lib::ShmRingReaderOptions::Start::kNewest;
  opts.expect_record_type = (flags & 4) ? 7 : 0;
  opts.liveness_interval = std::chrono::milliseconds(0);
  std::optional<lib::ShmRingReader> reader;
  try {
    reader.emplace(opts);
  } catch (const lib::ShmRingError&) {
    return 0;  // refused at open: what a bad header must lead to
  }
  FUZZ_CHECK(total >= ring::ring_total_bytes(reader->capacity(),
                                             ring::slot_bytes_for(reader->max_payload_bytes()),
                                             ring::header_bytes_for(0)));

  // The harness's own view of the slots (its geometry; a raw header may claim another): null when the slot
  // is outside the segment, so the harness itself never writes out of bounds.
  auto slot = [&](uint64_t n) -> ring::SlotHead* {
    ring::SlotHead* s = ring::slot_head(seg.base, slot_bytes, capacity, n, ring::header_bytes_for(0));
    const auto at = static_cast<uint64_t>(reinterpret_cast<std::byte*>(s) - seg.base);
    return at + slot_bytes <= total ? s : nullptr;
  };

  uint64_t write_seq = seg.header().write_seq.load();
  bool locked = false;
  auto read_once = [&](uint32_t cap) {
    std::vector<uint8_t> out(cap);  // exact size: a longer copy is an ASan report
    const uint64_t before = reader->position();
    const lib::ReadResult r = reader->read(out.data(), cap);
    if (r.status == lib::ReadStatus::kRecord) {
      FUZZ_CHECK(r.len <= cap && r.len <= reader->max_payload_bytes());
      FUZZ_CHECK(r.seq == before && reader->position() == before + 1);
    }
    return r.status;
  };
  for (int ops = 0; ops < 512 && !in.empty(); ++ops) {
    switch (in.take(1) % 10) {
      case 0: {  // publish one record the way ShmRingWriter does
        const uint64_t n = write_seq++;
        const auto len = static_cast<uint32_t>(in.take(2) % (max_payload + 1));
        ring::SlotHead* s = slot(n);
        if (s == nullptr) break;
        s->seq.store(ring::seq_writing(n));
        s->len.store(len);
        std::vector<std::byte> payload(len);
        in.copy(payload.data(), len);
        ring::store_payload(ring::slot_words(s), payload.data(), len);
        s->seq.store(ring::seq_complete(n));
        seg.header().write_seq.store(write_seq);
        break;
      }
      case 1: {  // overwrite any 8 bytes of the segment
        const uint64_t off = in.take(4) % (total - 7);
        const uint64_t v = in.take(8);
        std::memcpy(seg.base + off, &v, 8);
        break;
      }
      case 2:
        read_once(static_cast<uint32_t>(in.take(2)));
        break;
      case 3:
        reader->start_at_oldest();
        break;
      case 4:
        reader->start_at_newest();
        break;
      case 5:
        reader->writer_state();
        break;
      case 6:
        seg.header().writer_closed.store(1);
        break;
      case 7:  // a write sequence out of thin air (corrupt, or wrapped far ahead)
        write_seq = in.take(8);
        seg.header().write_seq.store(write_seq);
        break;
      case 8:  // a live writer holds the lock; a dead one does not
        locked = !locked;
        ::flock(seg.fd, locked ? LOCK_EX | LOCK_NB : LOCK_UN);
        break;
      case 9: {  // a slot header with any sequence and length
        ring::SlotHead* s = slot(in.take(2));
        if (s == nullptr) break;
        s->seq.store(in.take(8));
        s->len.store(static_cast<uint32_t>(in.take(4)));
        break;
      }
    }
  }
  // What a consumer does at the end: read until the ring says there is nothing more.
  for (int i = 0; i < 64; ++i) {
    const lib::ReadStatus s = read_once(reader->max_payload_bytes());
    if (s == lib::ReadStatus::kEmpty || s == lib::ReadStatus::kWriterGone) break;
  }
  if (locked) ::flock(seg.fd, LOCK_UN);
  return 0;
}
