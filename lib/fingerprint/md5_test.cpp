#include <gtest/gtest.h>

#include <string>

#include "lib/fingerprint/digest.hpp"

namespace spanwatch::lib {
namespace {

std::string hex(const std::string& s) {
  char out[Md5::kHexLen + 1];
  md5_hex(s.data(), s.size(), out);
  return out;
}

TEST(Md5, Rfc1321TestSuite) {
  EXPECT_EQ(hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, IncrementalEqualsOneShotAcrossBlockBoundaries) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(char(i * 7));
  for (size_t split : {1, 55, 56, 63, 64, 65, 500}) {
    Md5 m;
    m.update(data.data(), split);
    m.update(data.data() + split, data.size() - split);
    uint8_t d[Md5::kDigestLen];
    m.finish(d);
    char h[Md5::kHexLen + 1];
    static constexpr char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < Md5::kDigestLen; ++i) {
      h[2 * i] = kHex[d[i] >> 4];
      h[2 * i + 1] = kHex[d[i] & 15];
    }
    h[Md5::kHexLen] = '\0';
    EXPECT_EQ(std::string(h), hex(data)) << split;
  }
}

}  // namespace
}  // namespace spanwatch::lib
