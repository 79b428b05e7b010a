// JA3 (TLS client) and JA3S (TLS server) fingerprints, salesforce/ja3: decimal values joined with '-',
// fields separated by ',', GREASE (RFC 8701) removed, then MD5. No allocation; caller-provided buffers.
#pragma once
#include <cstddef>
#include <cstdint>

#include "lib/fingerprint/digest.hpp"
#include "lib/fingerprint/tls_client_hello.hpp"

namespace spanwatch::lib {

// Longest JA3 string the stored ClientHello lists can produce: "65535" + ',' + 6 chars per cipher
// ("65535-") ... + 4 per point format ("255-"), plus NUL. A buffer this size never truncates.
inline constexpr size_t kJa3StringMax =
    5 + 1 + 6 * kMaxCiphers + 1 + 6 * kMaxExtensions + 1 + 6 * kMaxGroups + 1 + 4 * kMaxPointFormats + 1;

// JA3 of a parsed ClientHello: SSLVersion (legacy client_version), ciphers, extension types, supported
// groups, EC point formats. Writes the MD5 digest into hash_out. If str != nullptr, also copies the
// string form into str[str_cap] (NUL-terminated, truncated if needed). Returns the length of the full
// string; like snprintf, a result >= str_cap means the copy was cut short (the hash never is).
size_t ja3(const ClientHello& ch, Md5Digest& hash_out, char* str = nullptr, size_t str_cap = 0) noexcept;

// False if the ClientHello had more ciphers/extensions/groups/point formats than FixedList stores; the
// fingerprint then covers only the stored ones and will not match other tools.
bool ja3_complete(const ClientHello& ch) noexcept;

inline constexpr size_t kJa3sStringMax = 5 + 1 + 5 + 1 + 6 * 64 + 1;  // for up to 64 extensions

// JA3S from the ServerHello fields: legacy server_version, selected cipher, extension types in wire order
// (lib/tls/tls_server_hello.hpp has an overload taking a ServerHello). Same output contract as ja3().
size_t ja3s(uint16_t version, uint16_t cipher, const uint16_t* extensions, size_t extension_count,
            Md5Digest& hash_out, char* str = nullptr, size_t str_cap = 0) noexcept;

}  // namespace spanwatch::lib
