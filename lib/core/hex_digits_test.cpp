// format_hex_lower: its SSE2 blocks and byte tail against snprintf's "%02x" for every length up to 40
// (the digests are 16 and 20 bytes) and for every byte value.
#include "lib/core/hex_digits.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

namespace spanwatch::lib {
namespace {

std::string printf_hex(const uint8_t* b, size_t n) {
  std::string s;
  char two[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(two, sizeof two, "%02x", b[i]);
    s += two;
  }
  return s;
}

TEST(HexDigits, EveryLengthMatchesPrintf) {
  std::array<uint8_t, 40> in{};
  for (size_t n = 0; n <= in.size(); ++n) {
    for (size_t i = 0; i < n; ++i) in[i] = static_cast<uint8_t>(i * 37 + n * 11 + 5);
    std::array<char, 2 * 40 + 1> out;
    out.fill('#');
    format_hex_lower(in.data(), n, out.data());
    EXPECT_EQ(std::string(out.data(), 2 * n), printf_hex(in.data(), n)) << n;
    EXPECT_EQ(out[2 * n], '#') << n;  // nothing written past 2n
  }
}

TEST(HexDigits, EveryByteValue) {
  std::array<uint8_t, 256> in;
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i);
  std::array<char, 512> out;
  format_hex_lower(in.data(), in.size(), out.data());
  EXPECT_EQ(std::string(out.data(), out.size()), printf_hex(in.data(), in.size()));
}

TEST(HexDigits, DigestArray) {
  const std::array<uint8_t, 16> md5 = {0xe7, 0xd7, 0x05, 0xa3, 0x28, 0x6e, 0x19, 0xea,
                                       0x42, 0xf5, 0x87, 0xb3, 0x44, 0xee, 0x68, 0x65};
  const auto hex = hex_lower(md5);
  EXPECT_EQ(std::string(hex.data(), hex.size()), "e7d705a3286e19ea42f587b344ee6865");
}

}  // namespace
}  // namespace spanwatch::lib
