// Bounded, allocation-free parser of a TLS ServerHello (also a TLS 1.3 HelloRetryRequest, which is a
// ServerHello with a fixed random). Takes a whole handshake message, e.g. from TlsHandshakeReader, or the
// first bytes of a server's TCP stream. Everything kept is copied into fixed arrays.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/fingerprint/ja3.hpp"
#include "lib/fingerprint/tls_client_hello.hpp"

namespace spanwatch::lib {

enum class ServerHelloStatus : uint8_t {
  kOk,
  kNeedMore,        // a plausible prefix; call again with more bytes
  kNotTls,          // the stream does not start with a TLS record
  kNotServerHello,  // TLS, but the first handshake message is not a ServerHello (or an alert came first)
  kMalformed,       // inconsistent lengths
};
std::string_view to_string(ServerHelloStatus s) noexcept;

inline constexpr size_t kMaxServerExtensions = 32;
inline constexpr size_t kMaxServerHelloLen = 4096;  // largest ServerHello parse_server_hello() reassembles
inline constexpr size_t kMaxAlpnNameLen = 255;

struct ServerHello {
  uint16_t record_version = 0;    // 0 when parsed from a bare handshake message
  uint16_t legacy_version = 0;    // ServerHello.server_version / legacy_version (JA3S uses this one)
  uint16_t selected_version = 0;  // supported_versions (0x002b) if present, else legacy_version
  uint16_t cipher_suite = 0;
  uint8_t compression_method = 0;
  uint8_t session_id_len = 0;
  std::array<uint8_t, 32> session_id{};  // lets the caller spot resumption (echo of the client's id)
  FixedList<uint16_t, kMaxServerExtensions> extensions;  // types in wire order

  bool hello_retry_request = false;  // random == SHA-256("HelloRetryRequest") (RFC 8446 4.1.3)
  bool has_supported_versions_ext = false;
  bool has_alpn_ext = false;
  bool bad_extension_body = false;  // a known extension's body was inconsistent (type still listed)
  uint16_t key_share_group = 0;     // TLS 1.3 key_share (0x0033): the server's (or HRR's) group
  std::array<char, kMaxAlpnNameLen + 1> alpn_name{};  // the selected protocol, NUL-terminated
  uint8_t alpn_len = 0;

  uint32_t handshake_len = 0;  // body length from the handshake header

  std::string_view alpn() const noexcept { return {alpn_name.data(), alpn_len}; }
};

// `msg` starts with the 4-byte handshake header (type 2). `out` is reset first.
ServerHelloStatus parse_server_hello_message(const uint8_t* msg, size_t len, ServerHello& out) noexcept;

// `stream` holds the first `len` bytes the server sent on a TCP connection (concatenated payloads, in
// order). Walks the records to the first handshake message (defragmenting up to kMaxServerHelloLen) and
// parses it. Returns kNeedMore while it is incomplete.
ServerHelloStatus parse_server_hello(const uint8_t* stream, size_t len, ServerHello& out) noexcept;

// JA3S of a parsed ServerHello (legacy version, cipher, extension types), see lib/fingerprint/ja3.hpp.
inline size_t ja3s(const ServerHello& sh, Md5Digest& hash_out, char* str = nullptr,
                   size_t str_cap = 0) noexcept {
  return ja3s(sh.legacy_version, sh.cipher_suite, sh.extensions.begin(), sh.extensions.size(), hash_out, str,
              str_cap);
}

}  // namespace spanwatch::lib
