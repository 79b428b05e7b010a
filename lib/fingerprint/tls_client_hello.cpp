// TLS ClientHello parsing: record defragmentation and the body walk. Every read goes through TlsReader, which
// checks bounds, so malformed or truncated input ends in a status value, never an out-of-bounds access.
#include "lib/fingerprint/tls_client_hello.hpp"

#include <cstring>

#include "lib/fingerprint/tls_extension_types.hpp"
#include "lib/fingerprint/tls_reader.hpp"

namespace spanwatch::lib {
namespace {

constexpr uint8_t kContentHandshake = 0x16;
constexpr uint8_t kHandshakeClientHello = 0x01;
constexpr size_t kMaxRecordLen = 16384 + 2048;  // TLSCiphertext limit (RFC 8446 5.2)

// A u16-length-prefixed list of u16 values.
template <size_t N>
bool read_u16_list16(TlsReader r, FixedList<uint16_t, N>& out) noexcept {
  uint16_t n = 0;
  TlsReader l(nullptr, 0);
  if (!r.u16(n) || (n & 1) || !r.sub(n, l)) return false;
  uint16_t v = 0;
  while (l.u16(v)) out.push(v);
  return true;
}

bool parse_sni(TlsReader r, ClientHello& out) noexcept {
  uint16_t list_len = 0;
  TlsReader l(nullptr, 0);
  if (!r.u16(list_len) || !r.sub(list_len, l)) return false;
  while (l.left() > 0) {
    uint8_t type = 0;
    uint16_t name_len = 0;
    if (!l.u8(type) || !l.u16(name_len) || l.left() < name_len) return false;
    if (type == 0 && out.sni_len == 0) {
      const size_t n = name_len < kMaxSniLen ? name_len : kMaxSniLen;
      std::memcpy(out.sni.data(), l.cur(), n);
      out.sni[n] = '\0';
      out.sni_len = static_cast<uint16_t>(n);
    }
    l.skip(name_len);
  }
  return true;
}

bool parse_alpn(TlsReader r, ClientHello& out) noexcept {
  uint16_t list_len = 0;
  TlsReader l(nullptr, 0);
  if (!r.u16(list_len) || !r.sub(list_len, l)) return false;
  size_t pool_used = 0;
  while (l.left() > 0) {
    uint8_t n = 0;
    if (!l.u8(n) || l.left() < n) return false;
    if (out.alpn_count < kMaxAlpn && pool_used + n <= kAlpnPoolLen) {
      std::memcpy(out.alpn_pool.data() + pool_used, l.cur(), n);
      out.alpn_off[out.alpn_count] = static_cast<uint16_t>(pool_used);
      out.alpn_len[out.alpn_count] = n;
      ++out.alpn_count;
      pool_used += n;
    }
    if (out.alpn_total < UINT8_MAX) ++out.alpn_total;
    l.skip(n);
  }
  return true;
}

bool parse_extension(uint16_t type, TlsReader body, ClientHello& out) noexcept {
  switch (type) {
    case kTlsExtServerName:
      out.has_sni_ext = true;
      // An empty body is legal (server echo); a client sending it still counts as SNI present.
      return body.left() == 0 || parse_sni(body, out);
    case kTlsExtAlpn:
      out.has_alpn_ext = true;
      return parse_alpn(body, out);
    case kTlsExtSupportedVersions: {
      out.has_supported_versions_ext = true;
      uint8_t n = 0;
      TlsReader l(nullptr, 0);
      if (!body.u8(n) || (n & 1) || !body.sub(n, l)) return false;
      uint16_t v = 0;
      while (l.u16(v)) out.supported_versions.push(v);
      return true;
    }
    case kTlsExtSignatureAlgorithms:
      return read_u16_list16(body, out.signature_algorithms);
    case kTlsExtSupportedGroups:
      return read_u16_list16(body, out.supported_groups);
    case kTlsExtEcPointFormats: {
      uint8_t n = 0;
      TlsReader l(nullptr, 0);
      if (!body.u8(n) || !body.sub(n, l)) return false;
      uint8_t v = 0;
      while (l.u8(v)) out.ec_point_formats.push(v);
      return true;
    }
    default:
      return true;
  }
}

// `body` is the ClientHello body (after the 4-byte handshake header), exactly handshake_len bytes.
TlsParseStatus parse_body(TlsReader body, ClientHello& out) noexcept {
  uint8_t sid_len = 0;
  uint16_t cs_len = 0;
  uint8_t comp_len = 0;
  TlsReader cs(nullptr, 0);
  if (!body.u16(out.legacy_version) || !body.skip(32) || !body.u8(sid_len) || sid_len > 32 ||
      !body.skip(sid_len) || !body.u16(cs_len) || (cs_len & 1) || !body.sub(cs_len, cs) ||
      !body.u8(comp_len) || !body.skip(comp_len)) {
    return TlsParseStatus::kMalformed;
  }
  out.session_id_len = sid_len;
  uint16_t c = 0;
  while (cs.u16(c)) out.ciphers.push(c);
  if (body.left() == 0) return TlsParseStatus::kOk;  // no extensions block (SSL 3.0 style)

  if (!read_hello_extensions(body, out, parse_extension)) return TlsParseStatus::kMalformed;
  return TlsParseStatus::kOk;
}

}  // namespace

std::string_view to_string(TlsParseStatus s) noexcept {
  switch (s) {
    case TlsParseStatus::kOk:
      return "ok";
    case TlsParseStatus::kNeedMore:
      return "need_more";
    case TlsParseStatus::kNotTls:
      return "not_tls";
    case TlsParseStatus::kNotClientHello:
      return "not_client_hello";
    case TlsParseStatus::kMalformed:
      return "malformed";
  }
  return "?";
}

TlsParseStatus parse_client_hello_message(const uint8_t* msg, size_t len, ClientHello& out) noexcept {
  out = ClientHello{};
  if (msg == nullptr || len == 0) return TlsParseStatus::kNeedMore;
  if (msg[0] != kHandshakeClientHello) return TlsParseStatus::kNotClientHello;
  TlsReader r(msg, len);
  uint8_t type = 0;
  uint32_t hs_len = 0;
  if (!r.u8(type) || !r.u24(hs_len)) return TlsParseStatus::kNeedMore;
  if (hs_len > kMaxClientHelloLen) return TlsParseStatus::kMalformed;
  TlsReader body(nullptr, 0);
  if (!r.sub(hs_len, body)) return TlsParseStatus::kNeedMore;
  out.handshake_len = hs_len;
  out.stream_bytes_used = static_cast<uint32_t>(kTlsHandshakeHeaderLen + hs_len);
  return parse_body(body, out);
}

TlsParseStatus parse_client_hello(const uint8_t* stream, size_t len, ClientHello& out) noexcept {
  out = ClientHello{};
  if (stream == nullptr || len == 0) return TlsParseStatus::kNeedMore;
  if (stream[0] != kContentHandshake) return TlsParseStatus::kNotTls;
  if (len >= 2 && stream[1] != 0x03) return TlsParseStatus::kNotTls;
  if (len < kTlsRecordHeaderLen) return TlsParseStatus::kNeedMore;

  const uint16_t record_version = static_cast<uint16_t>(stream[1] << 8 | stream[2]);
  const size_t first_len = static_cast<size_t>(stream[3] << 8 | stream[4]);
  if (first_len == 0 || first_len > kMaxRecordLen) return TlsParseStatus::kMalformed;
  if (len > kTlsRecordHeaderLen && stream[kTlsRecordHeaderLen] != kHandshakeClientHello) {
    return TlsParseStatus::kNotClientHello;
  }

  // Fast path: the whole handshake message sits in the first record.
  const size_t first_avail = len - kTlsRecordHeaderLen < first_len ? len - kTlsRecordHeaderLen : first_len;
  if (first_avail >= kTlsHandshakeHeaderLen) {
    const uint8_t* m = stream + kTlsRecordHeaderLen;
    const size_t hs_len = static_cast<size_t>(m[1]) << 16 | static_cast<size_t>(m[2]) << 8 | m[3];
    if (hs_len > kMaxClientHelloLen) return TlsParseStatus::kMalformed;
    if (kTlsHandshakeHeaderLen + hs_len <= first_len) {
      if (first_avail < kTlsHandshakeHeaderLen + hs_len) return TlsParseStatus::kNeedMore;
      const TlsParseStatus st = parse_client_hello_message(m, kTlsHandshakeHeaderLen + hs_len, out);
      out.record_version = record_version;
      const size_t used = kTlsRecordHeaderLen + first_len;
      out.stream_bytes_used = static_cast<uint32_t>(used < len ? used : len);
      return st;
    }
  }

  // Slow path: the message spans records. Gather record payloads into a stack buffer.
  uint8_t scratch[kTlsHandshakeHeaderLen + kMaxClientHelloLen];
  size_t have = 0;
  size_t need = 0;  // full message length once the header is known
  size_t pos = 0;
  while (true) {
    if (len - pos < kTlsRecordHeaderLen) return TlsParseStatus::kNeedMore;
    const uint8_t* h = stream + pos;
    if (h[0] != kContentHandshake || h[1] != 0x03) return TlsParseStatus::kMalformed;
    const size_t rec_len = static_cast<size_t>(h[3] << 8 | h[4]);
    if (rec_len == 0 || rec_len > kMaxRecordLen) return TlsParseStatus::kMalformed;
    const size_t avail = len - pos - kTlsRecordHeaderLen;
    const size_t take_rec = avail < rec_len ? avail : rec_len;
    // Copy at most what the message still needs (or all of it until the header is known).
    size_t want = need != 0 ? need - have : sizeof(scratch) - have;
    size_t take = take_rec < want ? take_rec : want;
    if (have + take > sizeof(scratch)) take = sizeof(scratch) - have;
    std::memcpy(scratch + have, h + kTlsRecordHeaderLen, take);
    have += take;
    if (need == 0 && have >= kTlsHandshakeHeaderLen) {
      const size_t hs_len =
          static_cast<size_t>(scratch[1]) << 16 | static_cast<size_t>(scratch[2]) << 8 | scratch[3];
      if (hs_len > kMaxClientHelloLen) return TlsParseStatus::kMalformed;
      need = kTlsHandshakeHeaderLen + hs_len;
      if (have > need) have = need;
    }
    if (need != 0 && have >= need) {
      const TlsParseStatus st = parse_client_hello_message(scratch, need, out);
      out.record_version = record_version;
      const size_t used = pos + kTlsRecordHeaderLen + rec_len;
      out.stream_bytes_used = static_cast<uint32_t>(used < len ? used : len);
      return st;
    }
    if (take_rec < rec_len) return TlsParseStatus::kNeedMore;
    pos += kTlsRecordHeaderLen + rec_len;
  }
}

}  // namespace spanwatch::lib
