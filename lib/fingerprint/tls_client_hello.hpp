// Bounded, allocation-free parser of a TLS ClientHello (from the first bytes of a client's TCP stream, or
// from a bare handshake message such as QUIC CRYPTO data). Everything it keeps is copied into fixed arrays.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spanwatch::lib {

enum class TlsParseStatus : uint8_t {
  kOk,
  kNeedMore,        // the bytes are a plausible prefix of a ClientHello; call again with more
  kNotTls,          // the stream does not start with a TLS handshake record
  kNotClientHello,  // a handshake record, but not a ClientHello
  kMalformed,       // inconsistent lengths or an oversized message
};

std::string_view to_string(TlsParseStatus s) noexcept;

inline constexpr size_t kTlsRecordHeaderLen = 5;
inline constexpr size_t kTlsHandshakeHeaderLen = 4;
inline constexpr size_t kMaxClientHelloLen = 16384;  // largest handshake message we reassemble from records
inline constexpr size_t kMaxCiphers = 2048;          // JA3 must hash every one: scanners offer hundreds
inline constexpr size_t kMaxExtensions = 64;
inline constexpr size_t kMaxSigAlgs = 64;
inline constexpr size_t kMaxGroups = 32;
inline constexpr size_t kMaxSupportedVersions = 16;
inline constexpr size_t kMaxPointFormats = 8;
inline constexpr size_t kMaxAlpn = 8;
inline constexpr size_t kMaxSniLen = 255;
inline constexpr size_t kAlpnPoolLen = 256;

// GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ..., 0xfafa.
constexpr bool is_grease(uint16_t v) noexcept {
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

// Up to N values in wire order; `total` counts every value seen, so total > size() means overflow.
template <typename T, size_t N>
struct FixedList {
  std::array<T, N> v{};
  uint16_t count = 0;  // stored
  uint16_t total = 0;  // seen on the wire

  void push(T x) noexcept {
    if (count < N) v[count++] = x;
    if (total < UINT16_MAX) ++total;
  }
  bool overflow() const noexcept { return total > count; }
  size_t size() const noexcept { return count; }
  const T* begin() const noexcept { return v.data(); }
  const T* end() const noexcept { return v.data() + count; }
  T operator[](size_t i) const noexcept { return v[i]; }
};

struct ClientHello {
  uint16_t record_version = 0;  // 0 when parsed from a bare handshake message
  uint16_t legacy_version = 0;  // ClientHello.client_version
  uint8_t session_id_len = 0;
  FixedList<uint16_t, kMaxCiphers> ciphers;
  FixedList<uint16_t, kMaxExtensions> extensions;  // types, wire order, GREASE included
  FixedList<uint16_t, kMaxSigAlgs> signature_algorithms;
  FixedList<uint16_t, kMaxGroups> supported_groups;
  FixedList<uint16_t, kMaxSupportedVersions> supported_versions;
  FixedList<uint8_t, kMaxPointFormats> ec_point_formats;

  bool has_sni_ext = false;                 // extension 0x0000 present (JA4 'd')
  bool has_alpn_ext = false;                // extension 0x0010 present
  bool has_supported_versions_ext = false;  // extension 0x002b present
  bool bad_extension_body = false;          // a known extension's body was inconsistent (type still listed)
  std::array<char, kMaxSniLen + 1> sni{};   // first host_name, NUL-terminated, truncated to kMaxSniLen
  uint16_t sni_len = 0;

  // ALPN protocol names copied into one pool; entry i is pool[alpn_off[i] .. + alpn_len[i]].
  std::array<char, kAlpnPoolLen> alpn_pool{};
  std::array<uint16_t, kMaxAlpn> alpn_off{};
  std::array<uint8_t, kMaxAlpn> alpn_len{};
  uint8_t alpn_count = 0;  // stored entries (the first one always fits: names are at most 255 bytes)
  uint8_t alpn_total = 0;  // entries on the wire

  uint32_t handshake_len = 0;      // body length from the handshake header
  uint32_t stream_bytes_used = 0;  // bytes of the input (records or message) that held this ClientHello

  std::string_view server_name() const noexcept { return {sni.data(), sni_len}; }
  std::string_view alpn(size_t i) const noexcept {
    return i < alpn_count ? std::string_view(alpn_pool.data() + alpn_off[i], alpn_len[i])
                          : std::string_view();
  }
};

// `stream` holds the first `len` bytes the client sent on a TCP connection (concatenated payloads, in order).
// Parses the TLS records that carry the first handshake message (defragmenting across records, up to
// kMaxClientHelloLen). Returns kNeedMore while that message is incomplete. `out` is reset first.
TlsParseStatus parse_client_hello(const uint8_t* stream, size_t len, ClientHello& out) noexcept;

// `msg` starts with the 4-byte handshake header (type 1, 24-bit length); e.g. reassembled QUIC CRYPTO data.
TlsParseStatus parse_client_hello_message(const uint8_t* msg, size_t len, ClientHello& out) noexcept;

}  // namespace spanwatch::lib
