// A flow's per-direction counters as FlowEntry keeps them: the low 32 bits in the entry (most flows never
// carry), the high words in a pooled FlowWideCounters slot taken on the first carry (issue 3: bytes per
// flow). The sum is exact at any size: add() reports that a counter carried, carries() which ones, and
// the caller adds those carries to the high words.
#pragma once
#include <array>
#include <cstdint>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace spanwatch::workers {

// Index of a counter in DirCounters::carry masks and FlowWideCounters::high.
enum CounterId : unsigned { kPackets, kFrameBytes, kIpBytes, kPayloadBytes, kCounterCount };

struct DirCounters {
  uint32_t packets = 0;
  uint32_t frame_bytes = 0;
  uint32_t ip_bytes = 0;
  uint32_t payload_bytes = 0;

  // Counts one packet; true when a counter wrapped past 2^32 (then carries() says which). The four words
  // are added as one SSE2 vector (fewer instructions than four adds and their carry flags): a counter
  // wrapped when its new low word is below what was added.
  bool add(uint32_t frame, uint32_t ip, uint32_t payload) noexcept {
#ifdef __SSE2__
    const __m128i a = _mm_set_epi32(int(payload), int(ip), int(frame), 1);
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(this));
    v = _mm_add_epi32(v, a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(this), v);
    const __m128i bias = _mm_set1_epi32(INT32_MIN);  // unsigned order as signed compares
    return _mm_movemask_epi8(_mm_cmpgt_epi32(_mm_xor_si128(a, bias), _mm_xor_si128(v, bias))) != 0;
#else
    bool carry = ++packets == 0;
    carry |= __builtin_add_overflow(frame_bytes, frame, &frame_bytes);
    carry |= __builtin_add_overflow(ip_bytes, ip, &ip_bytes);
    carry |= __builtin_add_overflow(payload_bytes, payload, &payload_bytes);
    return carry;
#endif
  }
  // Right after add() of the same amounts: a mask (bit CounterId) of the counters that wrapped, i.e.
  // whose new low word is below what was added (off the per-packet path, so add() returns one bit).
  unsigned carries(uint32_t frame, uint32_t ip, uint32_t payload) const noexcept {
    return unsigned(packets == 0) << kPackets | unsigned(frame_bytes < frame) << kFrameBytes |
           unsigned(ip_bytes < ip) << kIpBytes | unsigned(payload_bytes < payload) << kPayloadBytes;
  }
};

// What few flows need beyond DirCounters: the high words of counters that carried, the packets a tunnel
// carrier flow counted as carrier (FlowRecord::own_packets is the rest) and non-first IP fragments.
struct FlowWideCounters {
  std::array<std::array<uint32_t, kCounterCount>, 2> high{};  // [Dir][CounterId]
  uint64_t carrier_packets = 0;
  uint32_t fragments = 0;                   // as FlowRecord::fragments
  std::array<uint32_t, 2> bad_checksums{};  // [Dir]: packets not counted (flows.verify_checksums)

  void add_carries(unsigned dir, unsigned carry) noexcept {
    for (unsigned c = 0; c < kCounterCount; ++c) high[dir][c] += (carry >> c) & 1u;
  }
};

inline uint64_t widen(uint32_t low, uint32_t high) noexcept {
  return uint64_t{high} << 32 | low;
}

}  // namespace spanwatch::workers
