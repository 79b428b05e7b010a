// What spanwatch's own application parsers read from a flow (TLS/QUIC handshakes, DNS, HTTP, SSH, DHCP), as
// fixed-size POD copied into the FlowRecord. nDPI says which application a flow is (L7Info); these say what
// it revealed. Strings are raw wire bytes, NUL-terminated and bounded (the JSON writer makes them safe);
// `*_truncated` flags say a value did not fit. Digests (JA3, JA3S, HASSH, certificate SHA-1) are bytes, a
// flag says whether each is there, and whoever writes text formats them (lib/core/hex_digits.hpp).
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "lib/core/ip_address.hpp"

namespace spanwatch::lib {

// Copies at most N-1 bytes of `s` and NUL-terminates; returns false if `s` was cut.
template <size_t N>
bool set_text(char (&dst)[N], std::string_view s) noexcept {
  const size_t n = s.size() < N ? s.size() : N - 1;
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
  return n == s.size();
}

template <size_t N>
std::string_view get_text(const char (&s)[N]) noexcept {
  return {s, strnlen(s, N)};
}

enum class AppKind : uint8_t { kNone, kTls, kDns, kHttp, kSsh, kDhcp };

inline constexpr size_t kMd5Bytes = 16, kSha1Bytes = 20;
using Md5Bytes = std::array<uint8_t, kMd5Bytes>;
using Sha1Bytes = std::array<uint8_t, kSha1Bytes>;

struct TlsMetadata {
  bool quic;  // the handshake came from QUIC Initial packets
  // Each also says its digest is there: ja3 with the ClientHello, ja3s with the ServerHello, cert_sha1 with
  // the certificate (each is computed whenever its message is parsed).
  bool has_client_hello, has_server_hello, has_certificate;
  bool sni_truncated;
  // The ServerHello's answers, then the SNI, before their padding (each field's padding costs a run header
  // in packed form, PackedMetadataStore).
  uint16_t version;  // negotiated (ServerHello supported_versions, else legacy_version)
  uint16_t cipher;   // negotiated cipher suite
  Md5Bytes ja3s;
  char alpn[32];  // negotiated
  char sni[256];
  // What the ClientHello says of the client software, up to ja3: contiguous and without padding, so that
  // PackedMetadataStore shares them between the flows of one client (its client fingerprint blob).
  uint16_t client_version;                     // ClientHello.legacy_version
  std::array<uint16_t, 8> supported_versions;  // offered by the client, GREASE removed
  uint8_t supported_version_count;
  char client_alpns[128];  // offered, comma-separated, wire order
  char ja4[37];
  Md5Bytes ja3;
  // Leaf certificate (TLS 1.2 and earlier send it in clear).
  char subject[192], issuer[192];
  char san[256];  // DNS names and IPs, comma-separated
  char serial[48];
  Sha1Bytes cert_sha1;
  int64_t not_before, not_after;  // Unix seconds
};

struct DnsAnswerRecord {
  uint16_t type;
  // Only in packed form (PackedMetadataStore): `data` was the text of its address in resolved_ips and is
  // left out, rendered again when unpacked. Zero everywhere else.
  uint8_t data_is_address;
  uint32_t ttl;
  char name[64];
  char data[64];  // rendered rdata (address, target name, first TXT string)
};

struct DnsMetadata {
  bool has_query, has_response;
  bool qname_truncated;
  uint8_t rcode;   // response code of the first response
  uint16_t id;     // transaction id of the first message
  uint16_t flags;  // header flags word of the first response (else of the query)
  uint16_t qtype, qclass;
  uint16_t answer_total;  // answer RRs in the first response
  uint8_t answer_count;   // stored below
  uint8_t resolved_ip_count;
  char qname[256];
  std::array<DnsAnswerRecord, 4> answers;
  std::array<IpAddress, 8> resolved_ips;
};

struct HttpMetadata {
  bool has_request, has_response;
  uint16_t status;
  char method[16];
  char version[12];
  char url[256];  // request-target as sent
  char host[128];
  char user_agent[192];
  char request_content_type[64];
  char response_content_type[64];
  char server[64];
  uint64_t request_body_bytes, response_body_bytes;  // Content-Length when given
};

struct SshMetadata {
  char client_software[128], server_software[128];  // identification lines, without CR LF
  bool has_hassh, has_hassh_server;
  Md5Bytes hassh, hassh_server;
};

struct DhcpMetadata {
  uint8_t message_type;  // option 53 of the client's first message
  bool has_client_mac;
  std::array<uint8_t, 6> client_mac;
  IpAddress requested_ip, assigned_ip;  // option 50 / yiaddr of an ACK
  char hostname[64];                    // option 12
  char vendor_class[64];                // option 60
  char parameter_list[160];             // option 55 as "1,3,6,15"
};

// One of the above, selected by `kind`. Zero-initialised (every member is POD): empty strings, no values.
struct AppMetadata {
  AppKind kind;
  union {
    TlsMetadata tls;
    DnsMetadata dns;
    HttpMetadata http;
    SshMetadata ssh;
    DhcpMetadata dhcp;
  };
  AppMetadata() noexcept { clear(); }
  void clear() noexcept { std::memset(static_cast<void*>(this), 0, sizeof *this); }
  void reset(AppKind k) noexcept {
    clear();
    kind = k;
  }
};

// Whether the metadata gives spanwatch.l7.info (lib/export info_line: SNI, DNS name, HTTP host/url, SSH
// client banner, DHCP host name), so that nDPI's host name would not be used.
inline bool has_info_line(const AppMetadata& m) noexcept {
  switch (m.kind) {
    case AppKind::kTls:
      return m.tls.sni[0] != '\0';
    case AppKind::kDns:
      return m.dns.qname[0] != '\0';
    case AppKind::kHttp:
      return true;  // host/url, even when both are empty
    case AppKind::kSsh:
      return m.ssh.client_software[0] != '\0';
    case AppKind::kDhcp:
      return m.dhcp.hostname[0] != '\0';
    case AppKind::kNone:
      break;
  }
  return false;
}

}  // namespace spanwatch::lib
