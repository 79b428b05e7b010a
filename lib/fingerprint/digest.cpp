// OpenSSL's SHA1_*, SHA256_* and MD5_* are deprecated since 3.0 but present through 3.x, and the fastest way
// in: the one-shot SHA1()/SHA256() and EVP_Digest fetch the algorithm by name on every call, and an
// EVP_MD_CTX is a heap object. Measured here (64 B SHA-1, 100 B SHA-256): low-level 90/100 ns, EVP with a
// cached EVP_MD and a reused context 117/120 ns, one-shot 350/375 ns. Must precede every OpenSSL include.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "lib/fingerprint/digest.hpp"

namespace spanwatch::lib {

Sha1Digest sha1(const uint8_t* data, size_t len) noexcept {
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, data, len);
  Sha1Digest out;
  SHA1_Final(out.data(), &ctx);
  return out;
}

void Sha256::reset() noexcept {
  SHA256_Init(&ctx_);
}

void Sha256::update(const void* data, size_t len) noexcept {
  SHA256_Update(&ctx_, data, len);
}

void Sha256::finish(uint8_t digest[kDigestLen]) noexcept {
  SHA256_Final(digest, &ctx_);
}

void Md5::reset() noexcept {
  MD5_Init(&ctx_);
}

void Md5::update(const void* data, size_t len) noexcept {
  MD5_Update(&ctx_, data, len);
}

void Md5::finish(uint8_t digest[kDigestLen]) noexcept {
  MD5_Final(digest, &ctx_);
}

void md5_hex(const void* data, size_t len, char out[Md5::kHexLen + 1]) noexcept {
  Md5 md5;
  md5.update(data, len);
  Md5Digest d;
  md5.finish(d.data());
  format_hex_lower(d.data(), d.size(), out);
  out[Md5::kHexLen] = '\0';
}

}  // namespace spanwatch::lib
