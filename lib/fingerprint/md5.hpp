// MD5 (RFC 1321), incremental. Only for the fingerprints that are defined as MD5 hex strings (JA3, JA3S,
// HASSH); never for security. No allocation.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace spanwatch::lib {

class Md5 {
 public:
  static constexpr size_t kDigestLen = 16;
  static constexpr size_t kHexLen = 32;
  Md5() noexcept { reset(); }
  void reset() noexcept;
  void update(const void* data, size_t len) noexcept;
  void finish(uint8_t digest[kDigestLen]) noexcept;  // object must be reset() before reuse

 private:
  void block(const uint8_t* p) noexcept;
  std::array<uint32_t, 4> h_{};
  std::array<uint8_t, 64> buf_{};
  uint64_t total_ = 0;
  size_t buf_len_ = 0;
};

// Lowercase hex MD5 of `len` bytes into out[kHexLen + 1] (NUL-terminated).
void md5_hex(const void* data, size_t len, char out[Md5::kHexLen + 1]) noexcept;

}  // namespace spanwatch::lib
