// "00" "01" ... "99": numbers are written two digits at a time (JSON writer, simple_vsnprintf).
#pragma once
#include <array>

namespace spanwatch::lib {

inline constexpr std::array<char, 200> kDigitPairs = [] {
  std::array<char, 200> t{};
  for (unsigned i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

}  // namespace spanwatch::lib
