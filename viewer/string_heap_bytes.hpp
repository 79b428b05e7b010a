// The heap bytes a std::string holds beyond its own object (libstdc++: none up to the 15-byte SSO buffer),
// for the viewer's memory accounting.
#pragma once
#include <cstddef>
#include <string>

namespace spanwatch::viewer {

inline size_t string_heap(const std::string& s) noexcept {
  constexpr size_t kSso = 15, kMallocOverhead = 16;
  return s.capacity() > kSso ? s.capacity() + 1 + kMallocOverhead : 0;
}

}  // namespace spanwatch::viewer
