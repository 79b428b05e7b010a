// Fuzz target: the TLS ClientHello parser, both entry points (a client's TCP stream with its records, and
// a bare handshake message as QUIC CRYPTO data gives it), and every fingerprint computed from the result:
// JA3 (hash and string), JA4 and JA4_o for TCP and QUIC, and the raw JA4_r. Input: the stream bytes.
#include <cstdint>
#include <cstring>

#include "lib/fingerprint/ja3.hpp"
#include "lib/fingerprint/ja4.hpp"
#include "lib/fingerprint/tls_client_hello.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;

namespace {

void fingerprints(const lib::ClientHello& ch, size_t input_len) {
  FUZZ_CHECK(ch.stream_bytes_used <= input_len);
  FUZZ_CHECK(ch.sni_len <= lib::kMaxSniLen && ch.sni[ch.sni_len] == '\0');
  FUZZ_CHECK(ch.alpn_count <= lib::kMaxAlpn);
  for (size_t i = 0; i < ch.alpn_count; ++i)
    FUZZ_CHECK(size_t{ch.alpn_off[i]} + ch.alpn_len[i] <= ch.alpn_pool.size());
  lib::Md5Digest hash;
  static char str[lib::kJa3StringMax];
  const size_t n = lib::ja3(ch, hash, str, sizeof str);
  FUZZ_CHECK(std::strlen(str) == (n < sizeof str ? n : sizeof str - 1));
  lib::ja3_complete(ch);
  for (char transport : {'t', 'q'}) {
    for (lib::Ja4Order order : {lib::Ja4Order::kSorted, lib::Ja4Order::kOriginal}) {
      char ja4[lib::kJa4MaxLen];
      FUZZ_CHECK(lib::ja4(ch, transport, ja4, order) == lib::kJa4Len);
      FUZZ_CHECK(std::strlen(ja4) == lib::kJa4Len);
      static char raw[lib::kJa4RawMaxLen];
      const size_t r = lib::ja4_r(ch, transport, raw, sizeof raw, order);
      FUZZ_CHECK(r < sizeof raw && std::strlen(raw) == r);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lib::ClientHello ch;
  if (lib::parse_client_hello(data, size, ch) == lib::TlsParseStatus::kOk) fingerprints(ch, size);
  if (lib::parse_client_hello_message(data, size, ch) == lib::TlsParseStatus::kOk) fingerprints(ch, size);
  // A TLS stream's first record, read as a bare message (what the QUIC path sees): skip the record header.
  if (size > lib::kTlsRecordHeaderLen &&
      lib::parse_client_hello_message(data + lib::kTlsRecordHeaderLen, size - lib::kTlsRecordHeaderLen, ch) ==
          lib::TlsParseStatus::kOk)
    fingerprints(ch, size - lib::kTlsRecordHeaderLen);
  return 0;
}
