// A single-producer single-consumer queue of variable-length byte records in one fixed buffer: the exporter
// lcore pushes each NDJSON line, the publisher thread pops it. No allocation and no lock after construction;
// a push that does not fit fails (the caller counts the drop) instead of waiting.
#pragma once
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace spanwatch::lib::jetstream {

class RecordQueue {
 public:
  // capacity_bytes: rounded up to a power of two (at least 4 KiB). Each record costs its length + 4, rounded
  // up to 8.
  explicit RecordQueue(size_t capacity_bytes) {
    size_t cap = 4096;
    while (cap < capacity_bytes) cap <<= 1;
    buf_ = std::make_unique<uint8_t[]>(cap);
    cap_ = cap;
  }

  size_t capacity_bytes() const noexcept { return cap_; }

  // Producer only. False when the record does not fit now (or ever: longer than half the buffer).
  bool push(std::string_view rec) noexcept {
    const size_t need = slot_bytes(rec.size());
    if (need > cap_ / 2) return false;
    const uint64_t head = head_.load(std::memory_order_relaxed);
    const uint64_t tail = tail_.load(std::memory_order_acquire);
    size_t off = head & (cap_ - 1);
    uint64_t pad = 0;  // bytes skipped at the end of the buffer so the record is contiguous
    if (off + need > cap_) pad = cap_ - off;
    if (head + pad + need - tail > cap_) return false;
    if (pad != 0) {
      if (pad >= kHeader) store_len(off, kWrap);
      off = 0;
    }
    store_len(off, static_cast<uint32_t>(rec.size()));
    std::memcpy(buf_.get() + off + kHeader, rec.data(), rec.size());
    head_.store(head + pad + need, std::memory_order_release);
    return true;
  }

  // Consumer only. Calls fn(std::string_view) for up to `max` records; returns how many. The view is valid
  // only during the call.
  template <class Fn>
  size_t pop(Fn&& fn, size_t max) noexcept(noexcept(fn(std::string_view{}))) {
    uint64_t tail = tail_.load(std::memory_order_relaxed);
    const uint64_t head = head_.load(std::memory_order_acquire);
    size_t n = 0;
    while (tail != head && n < max) {
      size_t off = tail & (cap_ - 1);
      if (cap_ - off < kHeader || load_len(off) == kWrap) {  // the rest of the buffer is padding
        tail += cap_ - off;
        continue;
      }
      const uint32_t len = load_len(off);
      fn(std::string_view(reinterpret_cast<const char*>(buf_.get() + off + kHeader), len));
      tail += slot_bytes(len);
      ++n;
      tail_.store(tail, std::memory_order_release);  // free the space at once: the producer may be waiting
    }
    tail_.store(tail, std::memory_order_release);
    return n;
  }

  bool empty() const noexcept {
    return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
  }

 private:
  static constexpr size_t kHeader = 4;
  static constexpr uint32_t kWrap = 0xffffffffu;
  static size_t slot_bytes(size_t len) noexcept { return (len + kHeader + 7) & ~size_t{7}; }
  void store_len(size_t off, uint32_t v) noexcept { std::memcpy(buf_.get() + off, &v, sizeof v); }
  uint32_t load_len(size_t off) const noexcept {
    uint32_t v;
    std::memcpy(&v, buf_.get() + off, sizeof v);
    return v;
  }

  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_ = 0;
  alignas(64) std::atomic<uint64_t> head_{0};  // bytes ever written (producer)
  alignas(64) std::atomic<uint64_t> tail_{0};  // bytes ever read (consumer)
};

}  // namespace spanwatch::lib::jetstream
