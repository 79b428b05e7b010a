// QUIC version table and Initial key derivation: HKDF-SHA256 (RFC 5869) with TLS 1.3 labels (RFC 8446 §7.1).
#include "lib/quic/quic_keys.hpp"

// HMAC is built on OpenSSL's SHA256_Init/Update/Final, deprecated since 3.0 but present through 3.x. The
// EVP interfaces allocate on every use in OpenSSL 3.0 (measured with CRYPTO_set_mem_functions: EVP_MAC
// HMAC 5 allocations per MAC, EVP_DigestInit_ex2 1 per init), which the per-packet path must not do. The
// low-level calls run the same SHA-NI/AVX2 code, allocate nothing, and their contexts are plain structs, so
// a key's HMAC pad states are computed once and copied. Must precede every OpenSSL include.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstring>
#include <string_view>

namespace spanwatch::lib {
namespace {

constexpr size_t kSaltLen = 20;
// Indexed by QuicSalt.
constexpr uint8_t kSalts[][kSaltLen] = {
    // draft-22 (also mvfst 0xfaceb001)
    {0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a,
     0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a},
    // draft-23 .. draft-28 (also mvfst 0xfaceb002, 0xfaceb00e)
    {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
     0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02},
    // draft-29 .. draft-32
    {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
     0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99},
    // v1 (RFC 9001 §5.2), draft-33, draft-34
    {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
     0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
    // v2 (RFC 9369 §3.3.1)
    {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
     0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
};
constexpr size_t kSaltCount = static_cast<size_t>(QuicSalt::kNone);
static_assert(sizeof(kSalts) / kSaltLen == kSaltCount, "one salt per QuicSalt");

constexpr QuicVersionInfo kInfoDraft22{QuicSalt::kDraft22, QuicSalt::kNone, false};
constexpr QuicVersionInfo kInfoDraft23{QuicSalt::kDraft23, QuicSalt::kNone, false};
constexpr QuicVersionInfo kInfoDraft29{QuicSalt::kDraft29, QuicSalt::kNone, false};
constexpr QuicVersionInfo kInfoV1{QuicSalt::kV1, QuicSalt::kNone, false};
constexpr QuicVersionInfo kInfoV2{QuicSalt::kV2, QuicSalt::kNone, true};
// Reserved versions force Version Negotiation (RFC 9000 §15) and define no salt. Clients that sent data in
// them used their own version's salt; Wireshark and nDPI assume draft-29, we also try v1.
constexpr QuicVersionInfo kInfoReserved{QuicSalt::kDraft29, QuicSalt::kV1, false};

constexpr size_t kShaBlockLen = 64;

// HMAC-SHA256 (RFC 2104) with the key's inner and outer pad states precomputed. Keys are at most one block
// (salts are 20 bytes, secrets 32).
class HmacSha256 {
 public:
  HmacSha256(const uint8_t* key, size_t key_len) noexcept {
    std::array<uint8_t, kShaBlockLen> pad{};
    std::memcpy(pad.data(), key, key_len < kShaBlockLen ? key_len : kShaBlockLen);
    for (auto& b : pad) b ^= 0x36;
    SHA256_Init(&inner_);
    SHA256_Update(&inner_, pad.data(), pad.size());
    for (auto& b : pad) b ^= 0x36 ^ 0x5c;
    SHA256_Init(&outer_);
    SHA256_Update(&outer_, pad.data(), pad.size());
  }

  void mac(const uint8_t* msg, size_t len, uint8_t out[kQuicSecretLen]) const noexcept {
    SHA256_CTX c = inner_;
    SHA256_Update(&c, msg, len);
    SHA256_Final(out, &c);
    c = outer_;
    SHA256_Update(&c, out, kQuicSecretLen);
    SHA256_Final(out, &c);
  }

 private:
  SHA256_CTX inner_{};
  SHA256_CTX outer_{};
};

// HKDF-Expand-Label(secret, label, "", len) for len <= 32: one HKDF-Expand block, T(1).
void expand_label(const HmacSha256& secret, std::string_view label, uint8_t* out, size_t len) noexcept {
  constexpr std::string_view kPrefix = "tls13 ";
  // HkdfLabel: uint16 length, opaque label<7..255> ("tls13 " + label), opaque context<0..255> (empty);
  // then the HKDF-Expand counter byte 0x01.
  std::array<uint8_t, 2 + 1 + 6 + 16 + 1 + 1> info{};
  size_t n = 0;
  info[n++] = 0;
  info[n++] = static_cast<uint8_t>(len);
  info[n++] = static_cast<uint8_t>(kPrefix.size() + label.size());
  std::memcpy(&info[n], kPrefix.data(), kPrefix.size());
  n += kPrefix.size();
  std::memcpy(&info[n], label.data(), label.size());
  n += label.size();
  info[n++] = 0;
  info[n++] = 1;
  uint8_t t[kQuicSecretLen];
  secret.mac(info.data(), n, t);
  std::memcpy(out, t, len);
}

}  // namespace

const QuicVersionInfo* find_quic_version(uint32_t version) noexcept {
  switch (version) {
    case 0x00000001:
      return &kInfoV1;
    case 0x6b3343cf:
      return &kInfoV2;
    case 0xfaceb001:  // mvfst draft-22
      return &kInfoDraft22;
    case 0xfaceb002:  // mvfst draft-27
    case 0xfaceb00e:  // mvfst experimental, draft-27 based
      return &kInfoDraft23;
    default:
      break;
  }
  if ((version >> 8) == 0xff0000) {  // IETF draft-NN
    const unsigned draft = version & 0xff;
    if (draft == 22) return &kInfoDraft22;
    if (draft >= 23 && draft <= 28) return &kInfoDraft23;
    if (draft >= 29 && draft <= 32) return &kInfoDraft29;
    if (draft == 33 || draft == 34) return &kInfoV1;
    return nullptr;
  }
  if ((version & 0x0f0f0f0f) == 0x0a0a0a0a) return &kInfoReserved;
  return nullptr;
}

bool is_known_quic_version_family(uint32_t version) noexcept {
  const auto digit = [](uint32_t c) { return c >= '0' && c <= '9'; };
  const uint32_t tag = version >> 24;
  if ((tag == 'Q' || tag == 'T') && digit(version >> 16 & 0xff) && digit(version >> 8 & 0xff) &&
      digit(version & 0xff)) {
    return true;  // Google QUIC: "Q050", "T051"
  }
  return (version >> 8) == 0xff0000 || (version >> 8) == 0xfaceb0 || version == 0x709a50c4 ||
         version == 0xff020000;
}

void quic_initial_secret(QuicSalt salt, const uint8_t* odcid, size_t odcid_len, bool client,
                         uint8_t out[kQuicSecretLen]) noexcept {
  // HKDF-Extract keys HMAC with the salt: its pad states are computed once, leaving 14 SHA-256 blocks.
  static const std::array<HmacSha256, kSaltCount> kSaltMacs = [] {
    return std::array<HmacSha256, kSaltCount>{
        HmacSha256(kSalts[0], kSaltLen), HmacSha256(kSalts[1], kSaltLen), HmacSha256(kSalts[2], kSaltLen),
        HmacSha256(kSalts[3], kSaltLen), HmacSha256(kSalts[4], kSaltLen)};
  }();
  const auto idx =
      static_cast<size_t>(salt) < kSaltCount ? static_cast<size_t>(salt) : static_cast<size_t>(QuicSalt::kV1);
  uint8_t initial_secret[kQuicSecretLen];
  kSaltMacs[idx].mac(odcid, odcid_len > kQuicMaxCidLen ? kQuicMaxCidLen : odcid_len, initial_secret);
  expand_label(HmacSha256(initial_secret, sizeof(initial_secret)), client ? "client in" : "server in", out,
               kQuicSecretLen);
}

void quic_keys_from_secret(const uint8_t secret[kQuicSecretLen], bool v2, QuicInitialKeys& out) noexcept {
  const HmacSha256 prk(secret, kQuicSecretLen);
  expand_label(prk, v2 ? "quicv2 key" : "quic key", out.key.data(), out.key.size());
  expand_label(prk, v2 ? "quicv2 iv" : "quic iv", out.iv.data(), out.iv.size());
  expand_label(prk, v2 ? "quicv2 hp" : "quic hp", out.hp.data(), out.hp.size());
}

void derive_quic_initial_keys(QuicSalt salt, bool v2, const uint8_t* odcid, size_t odcid_len, bool client,
                              QuicInitialKeys& out) noexcept {
  uint8_t secret[kQuicSecretLen];
  quic_initial_secret(salt, odcid, odcid_len, client, secret);
  quic_keys_from_secret(secret, v2, out);
}

}  // namespace spanwatch::lib
