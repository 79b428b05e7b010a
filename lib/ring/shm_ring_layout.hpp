// The one definition of the shared-memory ring layout (an ABI shared by the exporter and every live
// consumer). Single writer, any number of read-only readers, a per-slot seqlock. Change the layout only
// together with kRingLayoutVersion.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace spanwatch::lib::shm_ring {

// "SPWRING" + layout generation byte, read as a little-endian uint64_t. 0 in shared memory means "the
// writer is still initialising the header": it stores the magic last, with release.
inline constexpr uint64_t kRingMagic = 0x01474e4952575053ull;  // bytes: S P W R I N G \x01
// Version 2 added the context area: header_bytes = sizeof(RingHeader) + the context rounded up to cache
// lines.
inline constexpr uint32_t kRingLayoutVersion = 2;
inline constexpr size_t kCacheLine = 64;
// Payloads are opaque bytes; each ring fixes its own bound (max_payload_bytes, the slot size), at most this.
// The hard bound keeps a corrupt header from asking readers for absurd buffers.
inline constexpr uint32_t kMaxPayloadBytes = 65536;
// 2^24 slots: far more than a live consumer can use, and capacity * slot bytes stays well inside 64 bits.
inline constexpr uint64_t kMaxCapacity = uint64_t{1} << 24;
// The context area (what a reader needs to interpret the records, written once before the magic) is at
// most this: the bound keeps a corrupt header from asking readers for absurd buffers.
inline constexpr uint32_t kMaxContextBytes = 1u << 20;

// Readers copy payload bytes as whole 64-bit words with relaxed atomic loads: a copy may race with the
// writer overwriting the slot, and with atomics on the reader's side that race is defined (the seqlock then
// discards the copy). The writer's publish() stores whole words atomically too; records encoded in place
// (begin_record()) are written with plain stores, the classic seqlock writer (ShmRingWriter says why).
using Word = std::atomic<uint64_t>;

static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free,
              "the ring needs address-free (lock-free) 32- and 64-bit atomics to work across processes");
static_assert(sizeof(Word) == 8 && alignof(Word) == 8, "a payload word must be exactly a uint64_t");

// At offset 0 of the shared-memory object. All fields but the atomics are written once, before `magic`.
struct alignas(kCacheLine) RingHeader {
  // Cache line 0: identity and geometry (immutable once magic is set).
  std::atomic<uint64_t> magic;  // kRingMagic once initialised
  uint32_t layout_version;      // kRingLayoutVersion
  uint32_t header_bytes;        // sizeof(RingHeader): slot 0 starts here
  uint32_t slot_bytes;          // stride between slots, multiple of kCacheLine
  uint32_t max_payload_bytes;   // largest payload the writer accepts
  uint64_t capacity;            // number of slots, power of two
  uint64_t total_bytes;         // header_bytes + capacity * slot_bytes (size of the object)
  uint32_t record_type;         // chosen by the integrator (e.g. "flow record v3"); 0 = opaque
  uint32_t record_bytes;        // fixed payload size of that record type; 0 = variable
  uint64_t generation;          // random per ring creation: tells a restarted writer's ring apart
  uint64_t created_unix_ns;     // CLOCK_REALTIME at creation
  // Cache line 1: the only header field written per record.
  alignas(kCacheLine) std::atomic<uint64_t> write_seq;  // records published so far (next sequence number)
  // Cache line 2: writer state, written at start and at a clean shutdown.
  alignas(kCacheLine) std::atomic<uint32_t> writer_closed;  // 1 after a clean shutdown: no more records
  int32_t writer_pid;
  // The context area follows the header (offset sizeof(RingHeader)); slot 0 starts at header_bytes.
  uint32_t context_bytes;  // immutable once magic is set, like line 0
};

static_assert(std::is_standard_layout_v<RingHeader>, "RingHeader is shared memory: keep it standard layout");
static_assert(offsetof(RingHeader, magic) == 0 && offsetof(RingHeader, layout_version) == 8 &&
                  offsetof(RingHeader, header_bytes) == 12 && offsetof(RingHeader, slot_bytes) == 16 &&
                  offsetof(RingHeader, max_payload_bytes) == 20 && offsetof(RingHeader, capacity) == 24 &&
                  offsetof(RingHeader, total_bytes) == 32 && offsetof(RingHeader, record_type) == 40 &&
                  offsetof(RingHeader, record_bytes) == 44 && offsetof(RingHeader, generation) == 48 &&
                  offsetof(RingHeader, created_unix_ns) == 56,
              "RingHeader line 0 moved: this is an ABI change, bump kRingLayoutVersion");
static_assert(offsetof(RingHeader, write_seq) == 64 && offsetof(RingHeader, writer_closed) == 128 &&
                  offsetof(RingHeader, writer_pid) == 132 && offsetof(RingHeader, context_bytes) == 136 &&
                  sizeof(RingHeader) == 192,
              "RingHeader lines 1-2 moved: this is an ABI change, bump kRingLayoutVersion");

// At the start of every slot, followed by the payload words. Record n (counted from 0) lives in slot
// n & (capacity - 1). Seqlock: seq is 0 when the slot was never written, 2n+1 while record n is being
// written, 2n+2 once it is complete.
struct SlotHead {
  std::atomic<uint64_t> seq;
  std::atomic<uint32_t> len;  // payload bytes of the record in the slot
  uint32_t reserved;
};
static_assert(std::is_standard_layout_v<SlotHead> && sizeof(SlotHead) == 16 && offsetof(SlotHead, len) == 8,
              "SlotHead moved: this is an ABI change, bump kRingLayoutVersion");

inline constexpr uint64_t seq_writing(uint64_t n) noexcept {
  return 2 * n + 1;
}
inline constexpr uint64_t seq_complete(uint64_t n) noexcept {
  return 2 * n + 2;
}

inline constexpr uint64_t words_for(uint64_t bytes) noexcept {
  return (bytes + 7) / 8;
}

// Slot stride for a payload bound: head + payload words, rounded up to whole cache lines.
inline constexpr uint32_t slot_bytes_for(uint32_t max_payload_bytes) noexcept {
  const uint64_t raw = sizeof(SlotHead) + words_for(max_payload_bytes) * sizeof(Word);
  return static_cast<uint32_t>((raw + kCacheLine - 1) / kCacheLine * kCacheLine);
}
static_assert(slot_bytes_for(48) == 64 && slot_bytes_for(64) == 128 && slot_bytes_for(0) == 64,
              "slot stride arithmetic");

// Where slot 0 starts: after the header and the context area, on a cache line.
inline constexpr uint32_t header_bytes_for(uint32_t context_bytes) noexcept {
  return static_cast<uint32_t>(sizeof(RingHeader) +
                               (uint64_t{context_bytes} + kCacheLine - 1) / kCacheLine * kCacheLine);
}
static_assert(header_bytes_for(0) == 192 && header_bytes_for(1) == 256 && header_bytes_for(64) == 256,
              "context area arithmetic");

inline constexpr uint64_t ring_total_bytes(uint64_t capacity, uint32_t slot_bytes,
                                           uint32_t header_bytes) noexcept {
  return header_bytes + capacity * slot_bytes;
}

inline constexpr bool is_power_of_two(uint64_t v) noexcept {
  return v != 0 && (v & (v - 1)) == 0;
}

// The slot that holds record n. `base` is the start of the mapping (the header).
template <class Byte>
inline auto* slot_head(Byte* base, uint32_t slot_bytes, uint64_t capacity, uint64_t n,
                       uint32_t header_bytes) noexcept {
  using Head = std::conditional_t<std::is_const_v<Byte>, const SlotHead, SlotHead>;
  return reinterpret_cast<Head*>(base + header_bytes + (n & (capacity - 1)) * slot_bytes);
}
inline Word* slot_words(SlotHead* s) noexcept {
  return reinterpret_cast<Word*>(s + 1);
}
inline const Word* slot_words(const SlotHead* s) noexcept {
  return reinterpret_cast<const Word*>(s + 1);
}

// Writer side: bytes -> words. The last partial word is zero-padded.
inline void store_payload(Word* dst, const std::byte* src, uint32_t len) noexcept {
  const uint32_t full = len / 8;
  for (uint32_t i = 0; i < full; ++i) {
    uint64_t w;
    std::memcpy(&w, src + size_t{i} * 8, 8);
    dst[i].store(w, std::memory_order_relaxed);
  }
  if (const uint32_t rest = len % 8; rest != 0) {
    uint64_t w = 0;
    std::memcpy(&w, src + size_t{full} * 8, rest);
    dst[full].store(w, std::memory_order_relaxed);
  }
}

// Reader side: words -> bytes. The copy may be torn; the caller validates it with the slot's seq.
inline void load_payload(std::byte* dst, const Word* src, uint32_t len) noexcept {
  const uint32_t full = len / 8;
  for (uint32_t i = 0; i < full; ++i) {
    const uint64_t w = src[i].load(std::memory_order_relaxed);
    std::memcpy(dst + size_t{i} * 8, &w, 8);
  }
  if (const uint32_t rest = len % 8; rest != 0) {
    const uint64_t w = src[full].load(std::memory_order_relaxed);
    std::memcpy(dst + size_t{full} * 8, &w, rest);
  }
}

}  // namespace spanwatch::lib::shm_ring
