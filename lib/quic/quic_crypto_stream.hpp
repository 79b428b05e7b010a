// One direction's QUIC CRYPTO stream (Initial packet number space), reassembled by offset into a buffer
// the caller owns (the worker takes it from a pool). Frames may arrive out of order, overlap, repeat, or be
// split across packets; only the first bytes that fit the buffer are kept. noexcept, no allocation.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace spanwatch::lib {

// Disjoint received ranges we track. Chrome scatters a ClientHello over a handful of CRYPTO frames in random
// order ("chaos protection"); 16 holes is far more than any capture in the corpus needs.
inline constexpr size_t kQuicCryptoMaxRanges = 16;

class QuicCryptoStream {
 public:
  QuicCryptoStream() noexcept = default;  // unbound: every byte counts as dropped
  QuicCryptoStream(uint8_t* buf, uint32_t capacity) noexcept : buf_(buf), cap_(buf ? capacity : 0) {}

  // Binds a (new) buffer and forgets everything received.
  void bind(uint8_t* buf, uint32_t capacity) noexcept;
  // Forgets everything received (the buffer stays bound), e.g. when a new ClientHello starts after Version
  // Negotiation.
  void reset() noexcept;

  // Stores stream bytes [offset, offset + len). Bytes already held are kept as they are (QUIC retransmits
  // identical data). Bytes at or past capacity are dropped and counted; so is a frame that would need
  // more than kQuicCryptoMaxRanges disjoint ranges.
  void add(uint64_t offset, const uint8_t* data, size_t len) noexcept;

  // Bytes available from offset 0 without a gap.
  uint32_t contiguous() const noexcept { return nranges_ > 0 && ranges_[0].begin == 0 ? ranges_[0].end : 0; }
  const uint8_t* data() const noexcept { return buf_; }
  uint32_t capacity() const noexcept { return cap_; }

  // True when the first TLS handshake message (4-byte header + body) is entirely in contiguous(): the
  // moment to parse the ClientHello or ServerHello. False while it does not fit the buffer.
  bool first_message_complete() const noexcept;
  // Type of the first handshake message (1 ClientHello, 2 ServerHello), or -1 while offset 0 is missing.
  int first_message_type() const noexcept { return contiguous() > 0 ? buf_[0] : -1; }

  uint64_t bytes_dropped() const noexcept { return bytes_dropped_; }    // past capacity
  uint32_t frames_dropped() const noexcept { return frames_dropped_; }  // range list full
  size_t range_count() const noexcept { return nranges_; }
  size_t peak_range_count() const noexcept { return peak_ranges_; }  // most disjoint ranges held at once

 private:
  struct Range {
    uint32_t begin, end;  // [begin, end), sorted, disjoint, never adjacent
  };

  uint8_t* buf_ = nullptr;
  uint32_t cap_ = 0;
  uint8_t nranges_ = 0;
  uint8_t peak_ranges_ = 0;
  uint32_t frames_dropped_ = 0;
  uint64_t bytes_dropped_ = 0;
  std::array<Range, kQuicCryptoMaxRanges> ranges_{};
};

}  // namespace spanwatch::lib
