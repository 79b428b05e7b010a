// ServerHello body walk (RFC 5246 7.4.1.3, RFC 8446 4.1.3, and the pre-draft-22 TLS 1.3 layout) and the
// record-layer entry point, which reuses TlsHandshakeReader over a stack buffer.
#include "lib/tls/tls_server_hello.hpp"

#include <cstring>

#include "lib/fingerprint/tls_extension_types.hpp"
#include "lib/fingerprint/tls_reader.hpp"
#include "lib/tls/tls_handshake_reader.hpp"

namespace spanwatch::lib {
namespace {

// SHA-256("HelloRetryRequest"): the ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3).
constexpr uint8_t kHrrRandom[32] = {0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
                                    0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
                                    0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

bool parse_extension(uint16_t type, TlsReader body, ServerHello& out) noexcept {
  switch (type) {
    case kTlsExtSupportedVersions:  // the server selects exactly one version
      out.has_supported_versions_ext = true;
      return body.u16(out.selected_version) && body.left() == 0;
    case kTlsExtAlpn: {  // exactly one protocol name (RFC 7301 3.1)
      out.has_alpn_ext = true;
      uint16_t list_len = 0;
      uint8_t n = 0;
      TlsReader l(nullptr, 0);
      if (!body.u16(list_len) || !body.sub(list_len, l) || !l.u8(n) || n == 0 || l.left() < n) return false;
      std::memcpy(out.alpn_name.data(), l.cur(), n);
      out.alpn_name[n] = '\0';
      out.alpn_len = n;
      return l.left() == n;
    }
    case kTlsExtKeyShare:  // KeyShareEntry {group, key}, or only the group in a HelloRetryRequest
      return body.u16(out.key_share_group);
    default:
      return true;
  }
}

ServerHelloStatus parse_body(TlsReader body, ServerHello& out) noexcept {
  if (!body.u16(out.legacy_version) || body.left() < 32) return ServerHelloStatus::kMalformed;
  out.hello_retry_request = std::memcmp(body.cur(), kHrrRandom, sizeof(kHrrRandom)) == 0;
  body.skip(32);
  // TLS 1.3 drafts before -22 (0x7f00 | n): no session id, no compression method.
  const bool early_draft = (out.legacy_version >> 8) == 0x7f && (out.legacy_version & 0xff) < 22;
  if (!early_draft) {
    if (!body.u8(out.session_id_len) || out.session_id_len > 32 || body.left() < out.session_id_len) {
      return ServerHelloStatus::kMalformed;
    }
    std::memcpy(out.session_id.data(), body.cur(), out.session_id_len);
    body.skip(out.session_id_len);
  }
  if (!body.u16(out.cipher_suite) || (!early_draft && !body.u8(out.compression_method))) {
    return ServerHelloStatus::kMalformed;
  }
  out.selected_version = out.legacy_version;
  if (body.left() == 0) return ServerHelloStatus::kOk;  // no extensions block (SSL 3.0 style)

  if (!read_hello_extensions(body, out, parse_extension)) return ServerHelloStatus::kMalformed;
  return ServerHelloStatus::kOk;
}

}  // namespace

std::string_view to_string(ServerHelloStatus s) noexcept {
  switch (s) {
    case ServerHelloStatus::kOk:
      return "ok";
    case ServerHelloStatus::kNeedMore:
      return "need_more";
    case ServerHelloStatus::kNotTls:
      return "not_tls";
    case ServerHelloStatus::kNotServerHello:
      return "not_server_hello";
    case ServerHelloStatus::kMalformed:
      return "malformed";
  }
  return "?";
}

ServerHelloStatus parse_server_hello_message(const uint8_t* msg, size_t len, ServerHello& out) noexcept {
  out = ServerHello{};
  if (msg == nullptr || len < kTlsHandshakeHeaderLen) return ServerHelloStatus::kNeedMore;
  if (msg[0] != static_cast<uint8_t>(TlsHandshakeType::kServerHello))
    return ServerHelloStatus::kNotServerHello;
  const uint32_t hs_len = uint32_t{msg[1]} << 16 | uint32_t{msg[2]} << 8 | msg[3];
  if (len - kTlsHandshakeHeaderLen < hs_len) return ServerHelloStatus::kNeedMore;
  out.handshake_len = hs_len;
  return parse_body(TlsReader(msg + kTlsHandshakeHeaderLen, hs_len), out);
}

ServerHelloStatus parse_server_hello(const uint8_t* stream, size_t len, ServerHello& out) noexcept {
  out = ServerHello{};
  if (stream == nullptr || len == 0) return ServerHelloStatus::kNeedMore;
  uint8_t scratch[kMaxServerHelloLen];
  TlsHandshakeReader reader(scratch, sizeof(scratch), TlsStart::kFirstByte);
  reader.feed(stream, len);
  TlsHandshakeMessage msg;
  if (!reader.next(msg)) {
    switch (reader.state()) {
      case TlsStreamState::kHandshake:
        return reader.stats().skipped_messages != 0 ? ServerHelloStatus::kMalformed
                                                    : ServerHelloStatus::kNeedMore;
      case TlsStreamState::kNotTls:
        return ServerHelloStatus::kNotTls;
      case TlsStreamState::kMalformed:
        return ServerHelloStatus::kMalformed;
      default:  // an alert or encrypted data before any handshake message
        return ServerHelloStatus::kNotServerHello;
    }
  }
  // A ServerHello too large for the scratch buffer was skipped, so the yielded message is a later one.
  if (reader.stats().skipped_messages != 0) return ServerHelloStatus::kMalformed;
  const ServerHelloStatus st = parse_server_hello_message(msg.data, msg.data_len, out);
  if (len >= 3) out.record_version = static_cast<uint16_t>(stream[1] << 8 | stream[2]);
  return st;
}

}  // namespace spanwatch::lib
