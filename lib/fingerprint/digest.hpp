// SHA-1, SHA-256 and MD5 for fingerprints and flow ids (Community ID, certificate hashes, JA3/JA3S/JA4,
// HASSH); never for security. Thin wrappers over OpenSSL libcrypto's low-level digest API, which runs SHA-NI
// or optimised assembly; the contexts are plain structs, so nothing allocates.
#pragma once
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "lib/core/hex_digits.hpp"
namespace spanwatch::lib {

inline constexpr size_t kSha1DigestLen = 20;
using Sha1Digest = std::array<uint8_t, kSha1DigestLen>;

// FIPS 180-4 SHA-1 of a whole message.
Sha1Digest sha1(const uint8_t* data, size_t len) noexcept;

// SHA-256 (FIPS 180-4), incremental.
class Sha256 {
 public:
  static constexpr size_t kDigestLen = 32;
  Sha256() noexcept { reset(); }
  void reset() noexcept;
  void update(const void* data, size_t len) noexcept;
  void finish(uint8_t digest[kDigestLen]) noexcept;  // object must be reset() before reuse

 private:
  SHA256_CTX ctx_;
};

inline constexpr size_t kMd5DigestLen = 16;
using Md5Digest = std::array<uint8_t, kMd5DigestLen>;

// MD5 (RFC 1321), incremental.
class Md5 {
 public:
  static constexpr size_t kDigestLen = kMd5DigestLen;
  static constexpr size_t kHexLen = 32;
  Md5() noexcept { reset(); }
  void reset() noexcept;
  void update(const void* data, size_t len) noexcept;
  void finish(uint8_t digest[kDigestLen]) noexcept;  // object must be reset() before reuse

 private:
  MD5_CTX ctx_;
};

// Lowercase hex MD5 of `len` bytes into out[kHexLen + 1] (NUL-terminated).
void md5_hex(const void* data, size_t len, char out[Md5::kHexLen + 1]) noexcept;

}  // namespace spanwatch::lib
