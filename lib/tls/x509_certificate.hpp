// Minimal bounded DER parser for the leaf certificate of a TLS Certificate message: the fields Zeek logs in
// x509.log (subject/issuer as OpenSSL's RFC 2253 print, serial, validity, algorithms, key, SANs) plus SHA-1
// and SHA-256 of the DER. No allocation: outputs are fixed char arrays with truncation flags.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/core/ip_address.hpp"
#include "lib/fingerprint/digest.hpp"

namespace spanwatch::lib {

enum class X509Status : uint8_t {
  kOk,
  kTruncated,      // the certificate (or the Certificate message) ends before its declared length
  kMalformed,      // not a DER X.509 certificate, or inconsistent lengths
  kNoCertificate,  // a Certificate message with an empty list (a client without a certificate)
};
std::string_view to_string(X509Status s) noexcept;

enum class X509KeyType : uint8_t { kUnknown, kRsa, kDsa, kEcdsa, kEd25519, kEd448 };
// Zeek's certificate.key_type words: "rsa", "dsa", "ecdsa"; "" for the others (Zeek leaves it unset).
std::string_view to_string(X509KeyType t) noexcept;

inline constexpr size_t kX509NameMax = 512;           // subject / issuer text + NUL
inline constexpr size_t kX509CommonNameMax = 256;     // last CN + NUL
inline constexpr size_t kX509SerialMax = 2 * 40 + 2;  // '-' + hex of 40 bytes (RFC 5280 allows 20) + NUL
inline constexpr size_t kX509AlgNameMax = 48;         // OpenSSL long name or dotted OID + NUL
inline constexpr size_t kX509CurveNameMax = 24;
inline constexpr size_t kX509MaxSanDns = 32;
inline constexpr size_t kX509SanPoolLen = 1024;
inline constexpr size_t kX509MaxSanIps = 8;

// A NUL-terminated string in a fixed array; `truncated` says the source text did not fit.
template <size_t N>
struct FixedText {
  std::array<char, N> s{};
  uint16_t len = 0;
  bool truncated = false;
  std::string_view view() const noexcept { return {s.data(), len}; }
};

struct X509Certificate {
  uint8_t version = 0;               // 1..3, as Zeek prints it (DER value + 1)
  FixedText<kX509SerialMax> serial;  // uppercase hex of the magnitude, '-' if negative (i2a_ASN1_INTEGER)
  // RFC 2253 strings exactly as OpenSSL's X509_NAME_print_ex(XN_FLAG_RFC2253) prints them, which is what
  // Zeek logs: most specific RDN first, ',' between RDNs, '+' inside one, short attribute names, RFC 2253
  // escapes, non-ASCII as \XX of its UTF-8 bytes, unknown attribute OIDs as dotted OID=#hex(DER).
  FixedText<kX509NameMax> subject;
  FixedText<kX509NameMax> issuer;
  FixedText<kX509CommonNameMax> common_name;  // the last CN of the subject (Zeek's certificate.cn)
  int64_t not_before = 0;                     // Unix seconds (UTC); valid when validity_ok
  int64_t not_after = 0;
  bool validity_ok = false;
  FixedText<kX509AlgNameMax> signature_algorithm;  // e.g. "sha256WithRSAEncryption"
  FixedText<kX509AlgNameMax> key_algorithm;        // e.g. "rsaEncryption", "id-ecPublicKey"
  X509KeyType key_type = X509KeyType::kUnknown;
  uint16_t key_bits = 0;               // RSA modulus / DSA p bits; EC curve order bits; 0 if unknown
  uint64_t rsa_exponent = 0;           // 0 if not RSA or wider than 64 bits
  FixedText<kX509CurveNameMax> curve;  // EC named curve (OpenSSL short name), e.g. "prime256v1"

  // subjectAltName: DNS names copied into one pool (entry i is san_pool[san_dns_off[i] .. + len]).
  std::array<char, kX509SanPoolLen> san_pool{};
  std::array<uint16_t, kX509MaxSanDns> san_dns_off{};
  std::array<uint16_t, kX509MaxSanDns> san_dns_len{};
  uint8_t san_dns_count = 0;   // stored
  uint16_t san_dns_total = 0;  // on the wire; > san_dns_count means some did not fit
  std::array<IpAddress, kX509MaxSanIps> san_ips{};
  uint8_t san_ip_count = 0;
  uint16_t san_ip_total = 0;
  uint16_t san_other = 0;  // e-mail, URI, directoryName, otherName, ...
  bool has_san = false;
  bool is_ca = false;  // basicConstraints cA

  Sha1Digest sha1{};                  // of the certificate bytes given (nDPI's "Certificate SHA-1")
  std::array<char, 65> sha256_hex{};  // same bytes (Zeek's fingerprint / cert_chain_fps); empty: kSha1
  uint32_t der_len = 0;

  std::string_view san_dns(size_t i) const noexcept {
    return i < san_dns_count ? std::string_view(san_pool.data() + san_dns_off[i], san_dns_len[i])
                             : std::string_view();
  }
};

// The fingerprints a parse computes; each hashes the whole certificate. The worker's records carry the
// SHA-1 only, so it leaves sha256_hex empty and saves a SHA-256 of every certificate.
enum class X509Fingerprints : uint8_t { kSha1AndSha256, kSha1 };

// Parses one DER certificate of `len` bytes (trailing bytes after the outer SEQUENCE are hashed but not
// parsed, as Zeek and nDPI hash what TLS carried). `out` is reset first.
X509Status parse_x509_der(const uint8_t* der, size_t len, X509Certificate& out,
                          X509Fingerprints fingerprints = X509Fingerprints::kSha1AndSha256) noexcept;

// Parses the first (leaf) certificate of a Certificate handshake message body (after the 4-byte header).
// `len` may be a prefix of the body (TlsHandshakeMessage::truncated) as long as the leaf is inside it.
// tls13: the RFC 8446 layout (certificate_request_context first).
X509Status parse_tls_leaf_certificate(
    const uint8_t* body, size_t len, X509Certificate& out, bool tls13 = false,
    X509Fingerprints fingerprints = X509Fingerprints::kSha1AndSha256) noexcept;

}  // namespace spanwatch::lib
