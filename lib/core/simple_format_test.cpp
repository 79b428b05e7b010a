#include "lib/core/simple_format.hpp"

#include <gtest/gtest.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace spanwatch::lib {
namespace {

struct Result {
  bool handled = false;
  int length = -1;
  std::string bytes;  // the whole buffer, NUL and untouched bytes included
};

// Runs simple_vsnprintf into a buffer of `maxlen` bytes (of 64, prefilled with '#').
Result simple(size_t maxlen, const char* fmt, ...) {
  char buf[64];
  std::memset(buf, '#', sizeof buf);
  Result r;
  va_list ap;
  va_start(ap, fmt);
  r.handled = simple_vsnprintf(maxlen > 0 ? buf : nullptr, maxlen, fmt, ap, r.length);
  va_end(ap);
  r.bytes.assign(buf, sizeof buf);
  return r;
}

// The C library's vsnprintf, likewise.
Result libc(size_t maxlen, const char* fmt, ...) {
  char buf[64];
  std::memset(buf, '#', sizeof buf);
  Result r;
  va_list ap;
  va_start(ap, fmt);
  r.length = std::vsnprintf(maxlen > 0 ? buf : nullptr, maxlen, fmt, ap);
  va_end(ap);
  r.handled = true;
  r.bytes.assign(buf, sizeof buf);
  return r;
}

#define EXPECT_SAME(maxlen, ...)                                                      \
  do {                                                                                \
    const Result want = libc(maxlen, __VA_ARGS__), got = simple(maxlen, __VA_ARGS__); \
    EXPECT_TRUE(got.handled) << #__VA_ARGS__;                                         \
    EXPECT_EQ(got.length, want.length) << #__VA_ARGS__ << " maxlen " << maxlen;       \
    EXPECT_EQ(got.bytes, want.bytes) << #__VA_ARGS__ << " maxlen " << maxlen;         \
  } while (0)

TEST(SimpleFormat, NdpiJa3Formats) {
  for (size_t maxlen : {0, 1, 2, 3, 5, 8, 64}) {
    EXPECT_SAME(maxlen, "%u,", 771u);
    EXPECT_SAME(maxlen, "%s%u", "-", 49195u);
    EXPECT_SAME(maxlen, "%s%u", "", 0u);
    EXPECT_SAME(maxlen, "%02x", 0x0u);
    EXPECT_SAME(maxlen, "%02x", 0xabu);
    EXPECT_SAME(maxlen, "%02X", 0xabu);
    EXPECT_SAME(maxlen, ",");
    EXPECT_SAME(maxlen, "%s%s=%s", ", ", "CN", "example.com");
    EXPECT_SAME(maxlen, "%u-%u", 4294967295u, 7u);
    EXPECT_SAME(maxlen, "100%% %d%%", 5);
  }
}

// The formats recognised by their bytes (no interpreter): every value class and buffer size, and the
// near misses that must go through the interpreter.
TEST(SimpleFormat, FrequentFormats) {
  const unsigned values[] = {0u, 1u, 9u, 10u, 0xfu, 0x10u, 0xffu, 0x100u, 771u, 49195u, 4294967295u};
  for (unsigned v : values) {
    for (size_t maxlen : {0, 1, 2, 3, 4, 6, 11, 12, 64}) {
      EXPECT_SAME(maxlen, "%s%u", "-", v);
      EXPECT_SAME(maxlen, "%s%u", "", v);
      EXPECT_SAME(maxlen, "%s%u", "ab", v);
      EXPECT_SAME(maxlen, "%02x", v);
      EXPECT_SAME(maxlen, "%02X", v);
      EXPECT_SAME(maxlen, "%u,", v);
      EXPECT_SAME(maxlen, "%s%u,", "-", v);
      EXPECT_SAME(maxlen, "%02xz", v);
      EXPECT_SAME(maxlen, "%u,%u", v, v);
    }
  }
  EXPECT_FALSE(simple(64, "%s%u", static_cast<const char*>(nullptr), 5u).handled);
  EXPECT_FALSE(simple(64, "%02", 5u).handled);
}

TEST(SimpleFormat, IntegersWidthsFlagsAndLengths) {
  const int ints[] = {0, 1, -1, 42, -42, 2147483647, -2147483647 - 1};
  for (int v : ints) {
    for (size_t maxlen : {0, 1, 4, 64}) {
      EXPECT_SAME(maxlen, "%d", v);
      EXPECT_SAME(maxlen, "%i|%5d|%-5d|%05d|%-05d|%0d", v, v, v, v, v, v);
      EXPECT_SAME(maxlen, "%u %x %X %08x %-8X|", v, v, v, v, v);
      EXPECT_SAME(maxlen, "%hd %hu %hhd %hhu %hx %hhx", v, v, v, v, v, v);
    }
  }
  const int64_t longs[] = {0, -1, INT64_MIN, INT64_MAX, 1234567890123LL};
  for (int64_t v : longs) {
    EXPECT_SAME(64, "%ld %lu %lx %lld %llu %llX %20ld|%-20lld|%020ld", long(v), (unsigned long)v,
                (unsigned long)v, (long long)v, (unsigned long long)v, (unsigned long long)v, long(v),
                (long long)v, long(v));
    EXPECT_SAME(64, "%zu %zd %jd %ju %td", size_t(v), ptrdiff_t(v), intmax_t(v), uintmax_t(v), ptrdiff_t(v));
  }
}

TEST(SimpleFormat, TextAndCharacters) {
  for (size_t maxlen : {0, 1, 3, 10, 64}) {
    EXPECT_SAME(maxlen, "%s", "");
    EXPECT_SAME(maxlen, "[%s]", "hello");
    EXPECT_SAME(maxlen, "[%10s][%-10s][%2s]", "abc", "abc", "abcdef");
    EXPECT_SAME(maxlen, "%c%c%c", 'a', 'b', 'c');
    EXPECT_SAME(maxlen, "[%3c][%-3c]", 'x', 'y');
    EXPECT_SAME(maxlen, "a%cb", 0);  // a NUL character is written and counted
    EXPECT_SAME(maxlen, "no conversions at all");
  }
}

// True when simple_vsnprintf formats `fmt` with these arguments.
bool handles(const char* fmt, ...) {
  char buf[32];
  int n = -1;
  va_list ap;
  va_start(ap, fmt);
  const bool ok = simple_vsnprintf(buf, sizeof buf, fmt, ap, n);
  va_end(ap);
  return ok;
}

// Everything else is refused, so the caller asks the C library.
TEST(SimpleFormat, RefusesWhatItDoesNotHandle) {
  for (const char* fmt : {"%.3s", "%*d",  "%+d",  "% d", "%#x", "%f",   "%e",  "%g", "%p", "%n", "%ls",
                          "%lc",  "%05s", "%05c", "%Lf", "%qd", "%1$d", "%'d", "%",  "%o", "ab%"})
    EXPECT_FALSE(handles(fmt, 1, 2, 3)) << fmt;
  EXPECT_FALSE(handles("%s", static_cast<const char*>(nullptr)));  // glibc prints "(null)"
  EXPECT_TRUE(handles("%s", "x"));
}

}  // namespace
}  // namespace spanwatch::lib
