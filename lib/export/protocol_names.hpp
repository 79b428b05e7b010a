// Names for numbers that application protocols carry: DNS record types and response codes (IANA DNS
// parameters registry) and TLS versions, as ECS and Zeek write them.
#pragma once
#include <cstdint>
#include <string_view>

namespace spanwatch::lib {

// "A", "AAAA", "HTTPS", ...; empty when unnamed (the writer then prints "TYPE<n>", RFC 3597 style).
std::string_view dns_type_name(uint16_t qtype) noexcept;
// "NOERROR", "NXDOMAIN", ...; empty when unnamed.
std::string_view dns_rcode_name(uint8_t rcode) noexcept;
// ECS tls.version ("1.3") and tls.version_protocol ("tls"/"ssl"); empty version when unknown.
struct TlsVersionName {
  std::string_view version, protocol;
};
TlsVersionName tls_version_name(uint16_t wire_version) noexcept;
// IANA cipher suite name ("TLS_AES_128_GCM_SHA256"); empty when unregistered (the writer prints 0xXXXX).
std::string_view tls_cipher_name(uint16_t id) noexcept;
// "IN", "CH", "HS", "ANY"; empty otherwise.
std::string_view dns_class_name(uint16_t qclass) noexcept;

}  // namespace spanwatch::lib
