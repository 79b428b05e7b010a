// Fuzz target: the TLS ServerHello parser (a server's TCP stream, and a bare handshake message) and JA3S.
// Input: the stream bytes.
#include <cstdint>
#include <cstring>

#include "lib/tls/tls_server_hello.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;

namespace {

void check(const lib::ServerHello& sh) {
  FUZZ_CHECK(sh.alpn_len <= lib::kMaxAlpnNameLen);
  FUZZ_CHECK(sh.session_id_len <= sh.session_id.size());
  FUZZ_CHECK(sh.extensions.size() <= lib::kMaxServerExtensions);
  lib::Md5Digest hash;
  static char str[lib::kJa3sStringMax];
  const size_t n = lib::ja3s(sh, hash, str, sizeof str);
  FUZZ_CHECK(std::strlen(str) == (n < sizeof str ? n : sizeof str - 1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lib::ServerHello sh;
  if (lib::parse_server_hello(data, size, sh) == lib::ServerHelloStatus::kOk) check(sh);
  if (lib::parse_server_hello_message(data, size, sh) == lib::ServerHelloStatus::kOk) check(sh);
  if (size > lib::kTlsRecordHeaderLen &&
      lib::parse_server_hello_message(data + lib::kTlsRecordHeaderLen, size - lib::kTlsRecordHeaderLen, sh) ==
          lib::ServerHelloStatus::kOk)
    check(sh);
  return 0;
}
