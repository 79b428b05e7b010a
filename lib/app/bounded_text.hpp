// Small fixed-size building blocks shared by the lib/app parsers: a bounded text field with presence and
// truncation flags, and a bounded copy of the first bytes of a stream direction (for parsers that re-read
// a message head until it is complete). Both are trivially copyable and never allocate.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace spanwatch::lib {

// Up to N bytes of a value, NUL-terminated. Bytes are copied as received (the JSON writer escapes them).
template <size_t N>
struct BoundedText {
  static_assert(N > 0 && N < UINT16_MAX, "length must fit uint16_t");
  std::array<char, N + 1> buf{};
  uint16_t len = 0;
  bool present = false;    // the field was in the message (possibly empty)
  bool truncated = false;  // the value was longer than N

  static constexpr size_t kCapacity = N;
  std::string_view view() const noexcept { return {buf.data(), len}; }
  void assign(const void* p, size_t n) noexcept {
    const size_t k = n < N ? n : N;
    if (k > 0) std::memcpy(buf.data(), p, k);
    buf[k] = '\0';
    len = static_cast<uint16_t>(k);
    present = true;
    truncated = k < n;
  }
  void assign(std::string_view s) noexcept { assign(s.data(), s.size()); }
};

// The first N bytes of one direction of a stream, appended segment by segment (in order).
template <size_t N>
struct StreamPrefix {
  static_assert(N > 0 && N <= UINT32_MAX, "size must fit uint32_t");
  std::array<uint8_t, N> buf{};
  uint32_t len = 0;
  bool full = false;  // bytes were dropped because the buffer was full

  // Appends what fits; returns the number of bytes taken.
  size_t append(const uint8_t* p, size_t n) noexcept {
    const size_t room = N - len;
    const size_t k = n < room ? n : room;
    if (k > 0) std::memcpy(buf.data() + len, p, k);
    len += static_cast<uint32_t>(k);
    if (k < n) full = true;
    return k;
  }
  const uint8_t* data() const noexcept { return buf.data(); }
  size_t size() const noexcept { return len; }
};

}  // namespace spanwatch::lib
