// Reads QUIC Initial packets (RFC 9000/9001, v2 RFC 9369, drafts 22-34, mvfst) off UDP payloads: removes
// header protection, decrypts with the Initial keys both sides derive from the client's original DCID,
// and feeds the CRYPTO frames into a QuicCryptoStream, so the ClientHello and ServerHello can be parsed.
#pragma once
#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>

#include "lib/core/c_handle.hpp"
#include "lib/quic/quic_crypto_stream.hpp"
#include "lib/quic/quic_keys.hpp"

namespace spanwatch::lib {

// What one datagram turned out to be. kOk wins if any Initial packet in it decrypted.
enum class QuicStatus : uint8_t {
  kOk,                  // an Initial packet decrypted; its CRYPTO frames went into the stream
  kNotQuic,             // too short, neither a long nor a short header, or a long header of no QUIC version
  kNotInitial,          // QUIC (or a short header), but no Initial packet: Handshake, 0-RTT, 1-RTT
  kUnsupportedVersion,  // a QUIC version we have no keys for: gQUIC Q0xx/T0xx, other drafts or mvfst
  kVersionNegotiation,  // server's Version Negotiation; the client's next Initial may start over
  kRetry,               // server's Retry; the client's next Initial brings the new ODCID
  kNoClientInitial,     // server Initial, but this flow's client Initial (its ODCID) was never read
  kDecryptFailed,       // the AEAD tag did not verify: wrong keys (missed ODCID change) or not QUIC
  kMalformed,           // lengths run past the datagram, or a frame runs past its packet
  kCount
};
inline constexpr std::array<std::string_view, static_cast<size_t>(QuicStatus::kCount)> kQuicStatusNames{
    "ok",
    "not_quic",
    "not_initial",
    "unsupported_version",
    "version_negotiation",
    "retry",
    "no_client_initial",
    "decrypt_failed",
    "malformed"};
constexpr std::string_view to_string(QuicStatus s) noexcept {
  return static_cast<size_t>(s) < kQuicStatusNames.size() ? kQuicStatusNames[static_cast<size_t>(s)] : "?";
}

// Per flow (kept with the flow's other L7 state): what decrypting the next Initial needs. Keys are not
// cached here; the decryptor derives them per packet (see QuicInitialDecryptor).
struct QuicFlowState {
  enum Flag : uint8_t {
    kHaveOdcid = 0x01,              // odcid holds the client's original DCID
    kRetrySeen = 0x02,              // a Retry arrived: the client's next Initial carries a new ODCID
    kVersionNegotiated = 0x04,      // a Version Negotiation arrived: the client may start over
    kClientDecrypted = 0x08,        // at least one client Initial decrypted
    kServerDecrypted = 0x10,        // at least one server Initial decrypted
    kConnectionClosed = 0x20,       // a CONNECTION_CLOSE frame was seen in an Initial packet
    kClientStreamRestarted = 0x40,  // the client's CRYPTO stream was reset for a new ClientHello
  };
  uint32_t version = 0;               // version of the last client Initial that decrypted
  std::array<uint32_t, 2> next_pn{};  // largest Initial packet number + 1, [0] client, [1] server
  std::array<uint8_t, kQuicMaxCidLen> odcid{};
  uint8_t odcid_len = 0;
  uint8_t flags = 0;

  bool has(Flag f) const noexcept { return (flags & f) != 0; }
};
static_assert(std::is_trivially_copyable_v<QuicFlowState>, "QuicFlowState lives in the POD flow state");
static_assert(sizeof(QuicFlowState) <= 36, "QuicFlowState must stay small: one per QUIC flow");

// Counters of one decryptor (one writer: its worker). Statuses are counted per datagram, the rest per packet.
struct QuicDecryptorCounters {
  std::array<uint64_t, static_cast<size_t>(QuicStatus::kCount)> datagrams{};  // by returned status
  uint64_t initial_packets = 0;     // long-header Initial packets seen (coalesced ones counted each)
  uint64_t other_long_packets = 0;  // 0-RTT and Handshake packets skipped
  uint64_t decrypted_packets = 0;   // Initial packets that authenticated
  uint64_t decrypt_failures = 0;    // Initial packets whose tag did not verify (all salts tried)
  uint64_t key_derivations = 0;     // HKDF runs (each ~14 SHA-256 blocks)
  uint64_t key_cache_hits = 0;      // packets that reused the previous packet's keys
  uint64_t crypto_frames = 0;
  uint64_t crypto_bytes = 0;
  uint64_t unexpected_frames = 0;     // frame types not allowed in Initial packets; rest of packet skipped
  uint64_t malformed_frames = 0;      // a frame ran past its packet
  uint64_t foreign_dcid_packets = 0;  // coalesced packets with another DCID, ignored (RFC 9000 §12.2)
};

// One per worker. The constructor fetches AES-128-GCM/ECB and creates the cipher contexts once (throws
// std::runtime_error if OpenSSL cannot); feed() reuses them and never allocates or throws.
//
// Keys are derived per packet, not cached per flow: derivation is ~14 SHA-256 blocks (~0.7 us with
// SHA-NI), a flow has only a few Initial packets per direction, and caching both directions' key, IV and
// HP key would add 88 bytes to every QUIC flow's state. The decryptor remembers the last keys used per
// direction, so back-to-back packets of one flow (a split ClientHello, a coalesced datagram) skip both the
// derivation and the AES key schedule.
class QuicInitialDecryptor {
 public:
  QuicInitialDecryptor();
  ~QuicInitialDecryptor();
  QuicInitialDecryptor(const QuicInitialDecryptor&) = delete;
  QuicInitialDecryptor& operator=(const QuicInitialDecryptor&) = delete;

  // Walks every coalesced long-header packet in `udp_payload` (stops at a short header), decrypts the
  // Initial ones with the client's (from_client) or the server's keys, and adds their CRYPTO frames to
  // `out` (the stream of the sending direction). Updates `flow`: the ODCID from the first client Initial
  // (or the first one after a Retry or Version Negotiation), packet numbers, flags.
  QuicStatus feed(const uint8_t* udp_payload, size_t len, bool from_client, QuicFlowState& flow,
                  QuicCryptoStream& out) noexcept;

  const QuicDecryptorCounters& counters() const noexcept { return ctr_; }

 private:
  using CipherPtr = std::unique_ptr<EVP_CIPHER, CFree<EVP_CIPHER_free>>;
  using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CFree<EVP_CIPHER_CTX_free>>;

  // The keys loaded into one direction's cipher contexts, and what they were derived from.
  struct LoadedKeys {
    bool valid = false;
    QuicSalt salt = QuicSalt::kNone;
    bool v2 = false;
    uint8_t dcid_len = 0;
    std::array<uint8_t, kQuicMaxCidLen> dcid{};
    QuicInitialKeys keys;
  };

  struct Packet;  // one parsed long header, defined in the .cpp

  QuicStatus walk(const uint8_t* udp_payload, size_t len, bool from_client, QuicFlowState& flow,
                  QuicCryptoStream& out) noexcept;
  QuicStatus read_initial(const Packet& p, bool from_client, QuicFlowState& flow,
                          QuicCryptoStream& out) noexcept;
  bool try_decrypt(const Packet& p, QuicSalt salt, const uint8_t* odcid, size_t odcid_len, bool from_client,
                   const QuicFlowState& flow, size_t& plain_len, uint64_t& pn) noexcept;
  void load_keys(size_t dir, QuicSalt salt, bool v2, const uint8_t* odcid, size_t odcid_len) noexcept;
  QuicStatus parse_frames(const uint8_t* data, size_t len, QuicFlowState& flow,
                          QuicCryptoStream& out) noexcept;

  CipherPtr gcm_, ecb_;
  std::array<CipherCtxPtr, 2> aead_, hp_;  // [0] client keys, [1] server keys
  std::array<LoadedKeys, 2> loaded_;
  std::unique_ptr<uint8_t[]> plain_;  // decrypted payload of one packet (up to a 64 KiB datagram)
  QuicDecryptorCounters ctr_;
};

}  // namespace spanwatch::lib
