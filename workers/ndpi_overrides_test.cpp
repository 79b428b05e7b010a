#include "workers/ndpi_overrides.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <ndpi/ndpi_api.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lib/fingerprint/digest.hpp"
#include "workers/ndpi_detector.hpp"

extern "C" int __snprintf_chk(char* __restrict s, size_t maxlen, int flag, size_t slen,
                              const char* __restrict format, ...) noexcept;
extern "C" int __sprintf_chk(char* __restrict s, int flag, size_t slen, const char* __restrict format,
                             ...) noexcept;

namespace spanwatch::workers {
namespace {

TEST(NdpiOverrides, LibndpiCallsOurs) {
  EXPECT_TRUE(snprintf_interposed());
  EXPECT_TRUE(sha1_interposed());
  EXPECT_TRUE(realloc_interposed());
  NdpiDetector d(4, 4);
  EXPECT_TRUE(d.fast_snprintf());
  EXPECT_TRUE(d.fast_sha1());
  EXPECT_TRUE(d.fast_realloc());
}

// What nDPI's reassembly relies on: the old bytes survive growing and shrinking, and the result is a block
// nDPI's own free (the C library's) takes.
TEST(NdpiOverrides, NdpiReallocKeepsTheBytes) {
  auto* p = static_cast<uint8_t*>(ndpi_malloc(2048));
  ASSERT_NE(p, nullptr);
  for (size_t i = 0; i < 2048; ++i) p[i] = static_cast<uint8_t>(i * 7);
  p = static_cast<uint8_t*>(ndpi_realloc(p, 2048, 2048 + 1460));
  ASSERT_NE(p, nullptr);
  for (size_t i = 0; i < 2048; ++i) ASSERT_EQ(p[i], static_cast<uint8_t>(i * 7)) << i;
  p = static_cast<uint8_t*>(ndpi_realloc(p, 3508, 100));
  ASSERT_NE(p, nullptr);
  for (size_t i = 0; i < 100; ++i) ASSERT_EQ(p[i], static_cast<uint8_t>(i * 7)) << i;
  ndpi_free(p);
  void* q = ndpi_realloc(nullptr, 0, 64);  // from nothing: a new block
  ASSERT_NE(q, nullptr);
  ndpi_free(q);
}

// nDPI's list of certificate names grows a few bytes at a time: every step keeps what was written.
TEST(NdpiOverrides, NdpiReallocGrowsByNamesKeepingTheBytes) {
  char* p = static_cast<char*>(ndpi_malloc(8));
  ASSERT_NE(p, nullptr);
  size_t len = 0;
  for (size_t i = 0; i < 2000; ++i) {
    const size_t add = 1 + i % 37;
    p = static_cast<char*>(ndpi_realloc(p, len, len + add));
    ASSERT_NE(p, nullptr);
    for (size_t j = 0; j < add; ++j) p[len + j] = static_cast<char>('a' + (len + j) % 26);
    len += add;
  }
  for (size_t j = 0; j < len; ++j) ASSERT_EQ(p[j], static_cast<char>('a' + j % 26)) << j;
  ndpi_free(p);
}

// nDPI's own SHA1Init/Update/Final around our SHA1Transform give the SHA-1 of the message, for every
// split of the blocks (lengths 0..300 cover partial, whole and several blocks).
TEST(NdpiOverrides, NdpiSha1IsSha1) {
  std::vector<uint8_t> msg(300);
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i * 131 + 7);
  for (size_t len = 0; len <= msg.size(); ++len) {
    u_char got[20];
    ndpi_string_sha1_hash(msg.data(), len, got);
    const lib::Sha1Digest want = lib::sha1(msg.data(), len);
    EXPECT_EQ(0, std::memcmp(got, want.data(), 20)) << len;
  }
}

std::string libc_format(size_t maxlen, const char* fmt, ...) {
  char buf[48];
  std::memset(buf, '#', sizeof buf);
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(maxlen > 0 ? buf : nullptr, maxlen, fmt, ap);
  va_end(ap);
  return std::to_string(n) + ":" + std::string(buf, sizeof buf);
}

#define CHK(maxlen, ...)                                                                          \
  [&] {                                                                                           \
    char buf[48];                                                                                 \
    std::memset(buf, '#', sizeof buf);                                                            \
    const int n = __snprintf_chk(maxlen > 0 ? buf : nullptr, maxlen, 1, sizeof buf, __VA_ARGS__); \
    return std::to_string(n) + ":" + std::string(buf, sizeof buf);                                \
  }()

// The fortified entry point formats as glibc's, on its fast path and on the formats it hands to glibc.
TEST(NdpiOverrides, SnprintfChkIsGlibcs) {
  for (size_t maxlen : {0, 1, 4, 48}) {
    EXPECT_EQ(CHK(maxlen, "%s%u", "-", 4865u), libc_format(maxlen, "%s%u", "-", 4865u));
    EXPECT_EQ(CHK(maxlen, "%02x", 0x0au), libc_format(maxlen, "%02x", 0x0au));
    EXPECT_EQ(CHK(maxlen, "%.3s|%5.1f", "abcdef", 2.25), libc_format(maxlen, "%.3s|%5.1f", "abcdef", 2.25));
    EXPECT_EQ(CHK(maxlen, "%s", static_cast<const char*>(nullptr)),
              libc_format(maxlen, "%s", static_cast<const char*>(nullptr)));
  }
}

// The plain snprintf libndpi binds to (looked up as the dynamic linker does, so the header's fortified
// inline wrapper does not stand in between): glibc's bytes and length.
TEST(NdpiOverrides, PlainSnprintfIsGlibcs) {
  using Snprintf = int (*)(char*, size_t, const char*, ...);
  const auto plain = reinterpret_cast<Snprintf>(dlsym(RTLD_DEFAULT, "snprintf"));
  ASSERT_NE(plain, nullptr);
  const auto run = [&](size_t maxlen, const char* fmt, const char* arg) {
    char buf[48];
    std::memset(buf, '#', sizeof buf);
    const int n = plain(maxlen > 0 ? buf : nullptr, maxlen, fmt, arg);
    return std::to_string(n) + ":" + std::string(buf, sizeof buf);
  };
  for (size_t maxlen : {0, 1, 2, 4, 48}) {
    EXPECT_EQ(run(maxlen, ",", nullptr), libc_format(maxlen, ","));
    EXPECT_EQ(run(maxlen, "%s", "h2,http/1.1"), libc_format(maxlen, "%s", "h2,http/1.1"));
    EXPECT_EQ(run(maxlen, "%.2s", "abc"), libc_format(maxlen, "%.2s", "abc"));
  }
}

#define SPRINTF_CHK(...)                                           \
  [&] {                                                            \
    char buf[48];                                                  \
    std::memset(buf, '#', sizeof buf);                             \
    const int n = __sprintf_chk(buf, 1, sizeof buf, __VA_ARGS__);  \
    return std::to_string(n) + ":" + std::string(buf, sizeof buf); \
  }()

// nDPI's certificate serial numbers ("%02X") and any other format that fits: glibc's bytes and length.
TEST(NdpiOverrides, SprintfChkIsGlibcs) {
  for (unsigned v : {0x0u, 0x7u, 0xabu, 0x1abu}) {
    EXPECT_EQ(SPRINTF_CHK("%02X", v), libc_format(48, "%02X", v));
    EXPECT_EQ(SPRINTF_CHK("%02x", v), libc_format(48, "%02x", v));
  }
  EXPECT_EQ(SPRINTF_CHK("%s%u", "-", 4865u), libc_format(48, "%s%u", "-", 4865u));
  EXPECT_EQ(SPRINTF_CHK("%.3s|%5.1f", "abcdef", 2.25), libc_format(48, "%.3s|%5.1f", "abcdef", 2.25));
  EXPECT_EQ(SPRINTF_CHK("%s", static_cast<const char*>(nullptr)),
            libc_format(48, "%s", static_cast<const char*>(nullptr)));
  // Exactly as long as the object allows: 47 characters and the NUL.
  const std::string s47(47, 'a');
  EXPECT_EQ(SPRINTF_CHK("%s", s47.c_str()), libc_format(48, "%s", s47.c_str()));
}

}  // namespace
}  // namespace spanwatch::workers
