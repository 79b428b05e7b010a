// Hands an application parser one TCP direction's payload in order, as a byte stream: retransmitted
// bytes are cut off, and a gap (lost or out-of-order segment on the span port) ends the stream, because
// a handshake parser cannot resynchronise in the middle of a message.
#pragma once
#include <cstdint>

namespace spanwatch::workers {

struct TcpStreamCursor {
  uint32_t next_seq = 0;
  bool started = false;
  bool broken = false;  // a gap was seen: nothing more is handed out

  struct Slice {
    const uint8_t* data = nullptr;
    uint32_t len = 0;
  };

  // `seq` is the segment's sequence number, `syn` whether it carries SYN (which consumes one number);
  // `captured` of the segment's `len` payload bytes are present (a snaplen cut leaves a gap after them).
  Slice take(uint32_t seq, bool syn, const uint8_t* payload, uint32_t captured, uint32_t len) noexcept {
    if (broken) return {};
    const uint32_t data_seq = seq + (syn ? 1u : 0u);
    if (!started) {
      if (syn) {
        next_seq = data_seq;
        started = true;
      } else if (len > 0) {
        next_seq = data_seq;  // midstream: the first payload we see starts the stream
        started = true;
      } else {
        return {};
      }
    }
    if (len == 0) return {};
    const auto ahead = static_cast<int32_t>(data_seq - next_seq);  // wraps with the sequence space
    if (ahead > 0) {
      broken = true;
      return {};
    }
    const auto old = static_cast<uint32_t>(-ahead);  // bytes already handed out
    if (old >= len) return {};
    next_seq += len - old;
    if (captured < len) broken = true;
    return old < captured ? Slice{payload + old, captured - old} : Slice{};
  }
};

}  // namespace spanwatch::workers
