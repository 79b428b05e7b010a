// nDPI 4.2 hashes every server certificate it reads (its "Certificate SHA-1") with its own portable SHA-1,
// one SHA1Transform call per 64-byte block through the PLT; libcrypto's block function uses the CPU's SHA
// instructions (SHA-NI) where there are any. Same digest, so the same flow risks and fields.
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA1_Transform: deprecated in OpenSSL 3, present through 3.x
#include <dlfcn.h>
#include <openssl/sha.h>

#include <cstdint>

#include "workers/ndpi_overrides.hpp"

extern "C" {

// nDPI's signature (ndpi_sha1.h): one block into the five state words; the block is not modified.
void SHA1Transform(uint32_t state[5], const unsigned char buffer[64]) noexcept {
  SHA_CTX c;  // the block function reads and writes only h0..h4
  c.h0 = state[0];
  c.h1 = state[1];
  c.h2 = state[2];
  c.h3 = state[3];
  c.h4 = state[4];
  SHA1_Transform(&c, buffer);
  state[0] = c.h0;
  state[1] = c.h1;
  state[2] = c.h2;
  state[3] = c.h3;
  state[4] = c.h4;
}

}  // extern "C"

namespace spanwatch::workers {

bool sha1_interposed() noexcept {
  return dlsym(RTLD_DEFAULT, "SHA1Transform") == reinterpret_cast<void*>(&SHA1Transform);
}

}  // namespace spanwatch::workers
