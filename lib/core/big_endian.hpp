// Network byte order reads. The caller has bounds-checked the bytes read.
#pragma once
#include <cstdint>

namespace spanwatch::lib {

inline uint16_t be16(const uint8_t* p) noexcept {
  return uint16_t(p[0] << 8 | p[1]);
}
inline uint32_t be32(const uint8_t* p) noexcept {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

}  // namespace spanwatch::lib
