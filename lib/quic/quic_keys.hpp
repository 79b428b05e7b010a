// The QUIC versions whose Initial packets we can read (salt, HKDF labels, long-header type bits) and the
// derivation of Initial keys from the client's original Destination Connection ID (RFC 9001 §5.2, RFC 9369
// §3.3). noexcept and allocation-free: used per packet on the worker lcores.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace spanwatch::lib {

inline constexpr size_t kQuicMaxCidLen = 20;   // RFC 9000 §17.2: longer CIDs are invalid in v1/v2/drafts
inline constexpr size_t kQuicSecretLen = 32;   // SHA-256 output
inline constexpr size_t kQuicAeadKeyLen = 16;  // Initial packets always use AEAD_AES_128_GCM
inline constexpr size_t kQuicAeadIvLen = 12;
inline constexpr size_t kQuicHpKeyLen = 16;  // AES-128-ECB header protection
inline constexpr size_t kQuicAeadTagLen = 16;
inline constexpr size_t kQuicHpSampleLen = 16;

enum class QuicPacketType : uint8_t { kInitial, kZeroRtt, kHandshake, kRetry };

// Initial salts. Several versions share one; kNone marks "no second guess".
enum class QuicSalt : uint8_t { kDraft22, kDraft23, kDraft29, kV1, kV2, kNone };

struct QuicVersionInfo {
  QuicSalt salt;      // tried first
  QuicSalt alt_salt;  // tried when `salt` fails to authenticate (reserved versions only), else kNone
  bool v2;            // RFC 9369: "quicv2 " HKDF labels and rotated long-header type bits
};

// How to read `version`'s Initial packets, or nullptr when we cannot: Google QUIC (Q0xx, T0xx), drafts
// before 22, version 0 (Version Negotiation) and anything unknown.
const QuicVersionInfo* find_quic_version(uint32_t version) noexcept;

// True for versions of the QUIC families we know but cannot decrypt: Google QUIC (Q0xx, T0xx), other IETF
// drafts, other mvfst versions, the provisional v2 numbers. Tells "QUIC we cannot read" from "not QUIC".
bool is_known_quic_version_family(uint32_t version) noexcept;

// Long-header type bits (first byte, bits 4-5). v2 rotates them: Initial is 0b01 (RFC 9369 §3.2).
constexpr QuicPacketType quic_packet_type(uint8_t first_byte, bool v2) noexcept {
  const unsigned bits = (first_byte >> 4) & 0x03u;
  return static_cast<QuicPacketType>(v2 ? (bits + 3) & 0x03u : bits);
}

struct QuicInitialKeys {
  std::array<uint8_t, kQuicAeadKeyLen> key{};
  std::array<uint8_t, kQuicAeadIvLen> iv{};
  std::array<uint8_t, kQuicHpKeyLen> hp{};
};

// client_initial_secret or server_initial_secret = HKDF-Expand-Label(HKDF-Extract(salt, odcid),
// "client in" | "server in", "", 32). `odcid_len` <= kQuicMaxCidLen.
void quic_initial_secret(QuicSalt salt, const uint8_t* odcid, size_t odcid_len, bool client,
                         uint8_t out[kQuicSecretLen]) noexcept;

// key, iv and hp from a secret ("quic key"/"quic iv"/"quic hp", or the "quicv2 " labels).
void quic_keys_from_secret(const uint8_t secret[kQuicSecretLen], bool v2, QuicInitialKeys& out) noexcept;

// Both steps: the Initial keys one side protects its packets with.
void derive_quic_initial_keys(QuicSalt salt, bool v2, const uint8_t* odcid, size_t odcid_len, bool client,
                              QuicInitialKeys& out) noexcept;

}  // namespace spanwatch::lib
