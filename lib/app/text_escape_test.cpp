// Tests for escape_text_tshark. The expected strings were produced by tshark 4.0.17 (Debian 12) from DNS
// queries carrying these bytes as labels (`tshark -T json -e dns.qry.name`, JSON escapes undone).
#include "lib/app/text_escape.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace spanwatch::lib {
namespace {

std::string esc(const std::string& in, size_t cap = 1024, bool* truncated = nullptr) {
  std::string out(cap, '\xee');
  const EscapeResult r =
      escape_text_tshark(reinterpret_cast<const uint8_t*>(in.data()), in.size(), out.data(), cap);
  EXPECT_LT(r.len, cap);
  EXPECT_EQ(out[r.len], '\0');
  if (truncated != nullptr) *truncated = r.truncated;
  return out.substr(0, r.len);
}

TEST(TextEscape, AsciiControlsAsTsharkShowsThem) {
  EXPECT_EQ(esc(std::string("a\0b.c\ad\be\tf\ng\vh\fi\rj\x1bk\x7fl", 23)),
            "a\\000b.c\\ad\\be\\tf\\ng\\vh\\fi\\rj\\033k\\177l");
  EXPECT_EQ(esc("sp ace.do.t.back\\slash.q\"uote"), "sp ace.do.t.back\\slash.q\"uote");
  EXPECT_EQ(esc("www.allyourba\x04\x05\x06"
                "arebelongto.cn"),
            "www.allyourba\\004\\005\\006arebelongto.cn");
  EXPECT_EQ(esc(""), "");
}

TEST(TextEscape, Utf8ValidInvalidAndNonPrintable) {
  // é, lead byte at the end of a label, lead byte before ASCII, stray continuation, 0xff, 0xfe.
  EXPECT_EQ(esc("\xc3\xa9.x\xc3.\xc3"
                "a.\x80.\xff.\xfe"),
            "\xc3\xa9.x\xef\xbf\xbd.\xef\xbf\xbd"
            "a.\xef\xbf\xbd.\xef\xbf\xbd.\xef\xbf\xbd");
  // U+0080 (C1 control), U+200B (format), overlong NUL, surrogate, above U+10FFFF, U+FFFF, U+00AD.
  EXPECT_EQ(esc("\xc2\x80.\xe2\x80\x8b.\xc0\x80.\xed\xa0\x80.\xf4\x90\x80\x80.\xef\xbf\xbf.\xc2\xad"),
            "\\u0080.\\u200B.\\u0000.\xef\xbf\xbd.\xef\xbf\xbd.\\uFFFF.\\u00AD");
  // Astral and private-use characters pass; a 5-byte form is one replacement character.
  EXPECT_EQ(esc("\xf0\x9f\x92\xa9.\xee\x80\x80.\xf3\xb0\x80\x80.\xe0\xa0\x80.\xf8\x88\x80\x80\x80"),
            "\xf0\x9f\x92\xa9.\xee\x80\x80.\xf3\xb0\x80\x80.\xe0\xa0\x80.\xef\xbf\xbd");
  // Format characters (U+2060, U+0600) are escaped. Known gap: tshark also escapes *unassigned* code points
  // (U+0378 -> \u0378, U+1FBFF -> \U0001FBFF) from GLib's Unicode tables; we pass those through.
  EXPECT_EQ(esc("\xe2\x81\xa0.\xd8\x80"), "\\u2060.\\u0600");
  EXPECT_EQ(esc("\xf3\xa0\x80\x81"), "\\U000E0001");  // language tag (format, astral)
}

TEST(TextEscape, BoundedOutputNeverSplitsAnEscape) {
  bool cut = false;
  EXPECT_EQ(esc("abc", 4, &cut), "abc");
  EXPECT_FALSE(cut);
  EXPECT_EQ(esc("abcd", 4, &cut), "abc");
  EXPECT_TRUE(cut);
  EXPECT_EQ(esc("ab\x01", 5, &cut), "ab");  // "\001" needs 4 bytes
  EXPECT_TRUE(cut);
  EXPECT_EQ(esc("ab\x01", 7, &cut), "ab\\001");
  EXPECT_FALSE(cut);
  EXPECT_EQ(esc("a\xc3\xa9", 3, &cut), "a");  // é is 2 bytes
  EXPECT_TRUE(cut);
  EXPECT_EQ(esc("x", 1, &cut), "");
  EXPECT_TRUE(cut);
  char none[1];
  EXPECT_TRUE(escape_text_tshark(reinterpret_cast<const uint8_t*>("x"), 1, none, 0).truncated);
}

TEST(TextEscape, RandomBytesStayBoundedAndValidUtf8) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string in(rng() % 64, '\0');
    for (auto& c : in) c = char(rng());
    const size_t cap = 1 + rng() % 80;
    const std::string out = esc(in, cap);
    ASSERT_LT(out.size(), cap);
    // Output is valid UTF-8 with no raw control bytes.
    for (size_t j = 0; j < out.size();) {
      const auto c = uint8_t(out[j]);
      ASSERT_TRUE(c >= 0x20 && c != 0x7f) << i;
      size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
      ASSERT_NE(k, 0u) << i;
      ASSERT_LE(j + k, out.size()) << i;
      for (size_t m = 1; m < k; ++m) ASSERT_EQ(uint8_t(out[j + m]) & 0xc0, 0x80) << i;
      j += k;
    }
  }
}

}  // namespace
}  // namespace spanwatch::lib
