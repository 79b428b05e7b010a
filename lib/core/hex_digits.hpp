// The hexadecimal digits by value, one table for every writer of hex text.
#pragma once

namespace spanwatch::lib {

inline constexpr char kHexLower[] = "0123456789abcdef";
inline constexpr char kHexUpper[] = "0123456789ABCDEF";

}  // namespace spanwatch::lib
