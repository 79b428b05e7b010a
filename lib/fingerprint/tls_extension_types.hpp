// IANA TLS ExtensionType values (RFC 8446 4.2 and the registry) that the ClientHello and ServerHello parsers
// and the JA4 fingerprint look at by name.
#pragma once
#include <cstdint>

namespace spanwatch::lib {

inline constexpr uint16_t kTlsExtServerName = 0x0000;
inline constexpr uint16_t kTlsExtSupportedGroups = 0x000a;
inline constexpr uint16_t kTlsExtEcPointFormats = 0x000b;
inline constexpr uint16_t kTlsExtSignatureAlgorithms = 0x000d;
inline constexpr uint16_t kTlsExtAlpn = 0x0010;
inline constexpr uint16_t kTlsExtSupportedVersions = 0x002b;
inline constexpr uint16_t kTlsExtKeyShare = 0x0033;

}  // namespace spanwatch::lib
