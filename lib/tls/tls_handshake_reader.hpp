// Incremental reader of one direction of a TLS-over-TCP byte stream: walks the record layer, reassembles
// handshake messages across records and packets into a caller-provided buffer, and yields whole messages.
// No allocation; every length is checked, so hostile input ends in a state value, never a bad access.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/fingerprint/tls_client_hello.hpp"  // kTlsRecordHeaderLen, kTlsHandshakeHeaderLen

namespace spanwatch::lib {

inline constexpr size_t kTlsMaxRecordLen = 16384 + 2048;  // TLSCiphertext limit (RFC 8446 5.2)
inline constexpr uint32_t kTlsMaxPlaintextLen = 16384;    // TLSPlaintext limit (RFC 8446 5.1)
// A handshake message announcing more than this is treated as garbage (certificate chains stay far below).
inline constexpr uint32_t kTlsMaxHandshakeLen = 256 * 1024;
// Recommended buffer per direction: the largest handshake message the reader reassembles whole. 16 KiB
// holds any ClientHello/ServerHello and most certificate chains; larger Certificate messages still yield
// their first part when the leaf certificate fits (see TlsHandshakeMessage::truncated).
inline constexpr size_t kTlsReaderDefaultCapacity = 16384;

enum class TlsContentType : uint8_t {
  kChangeCipherSpec = 20,
  kAlert = 21,
  kHandshake = 22,
  kApplicationData = 23,
  kHeartbeat = 24,
};

enum class TlsHandshakeType : uint8_t {
  kHelloRequest = 0,
  kClientHello = 1,
  kServerHello = 2,
  kNewSessionTicket = 4,
  kEndOfEarlyData = 5,
  kHelloRetryRequest = 6,  // TLS 1.3 drafts before -22 only; later drafts use a ServerHello
  kEncryptedExtensions = 8,
  kCertificate = 11,
  kServerKeyExchange = 12,
  kCertificateRequest = 13,
  kServerHelloDone = 14,
  kCertificateVerify = 15,
  kClientKeyExchange = 16,
  kFinished = 20,
  kCertificateStatus = 22,
};

// True if `p` starts with a TLS handshake record header: 0x16 0x03 0x00..0x04, and, when the length field
// is present, a length in 1..kTlsMaxRecordLen. Cheap enough to run on the first bytes of every chunk.
bool looks_like_tls_record(const uint8_t* p, size_t len) noexcept;

// One handshake message. `data` holds the 4-byte header followed by the body and stays valid until the
// next call on the reader (it points either into the caller's chunk or into the reader's buffer).
struct TlsHandshakeMessage {
  TlsHandshakeType type = TlsHandshakeType::kHelloRequest;
  uint32_t length = 0;            // body length from the header
  const uint8_t* data = nullptr;  // header + body
  uint32_t data_len = 0;          // 4 + body bytes present
  bool truncated = false;         // only a prefix of the body (an oversized Certificate whose leaf fits)

  const uint8_t* body() const noexcept { return data + kTlsHandshakeHeaderLen; }
  uint32_t body_len() const noexcept { return data_len - static_cast<uint32_t>(kTlsHandshakeHeaderLen); }
};

enum class TlsStreamState : uint8_t {
  kWaitingForTls,  // not TLS (yet): input is skipped until TLS starts (see TlsStart, begin_tls())
  kHandshake,      // reading plaintext records
  kEncrypted,      // application data, or a ciphertext record after ChangeCipherSpec: nothing more to read
  kAlert,          // a plaintext alert record: the handshake ended
  kNotTls,         // the first bytes were not a TLS record header (TlsStart::kFirstByte)
  kMalformed,      // a bad record header after TLS had started, an absurd message length, or a gap
  kCount
};
std::string_view to_string(TlsStreamState s) noexcept;

// Where TLS starts in the stream.
enum class TlsStart : uint8_t {
  kFirstByte,  // at byte 0; anything else is kNotTls (plain TLS ports)
  kDetect,     // at the first chunk that looks_like_tls_record() (STARTTLS, HTTP CONNECT, SOCKS preambles)
  kManual,     // only when the caller calls begin_tls()
};

// Per-reader counters; the owner adds them to its stage counters (one writer).
struct TlsReaderStats {
  uint32_t records = 0;
  uint32_t messages = 0;            // yielded whole
  uint32_t truncated_messages = 0;  // yielded as a prefix
  uint32_t skipped_messages = 0;    // larger than the buffer and not yielded
  uint32_t max_message_len = 0;     // largest header + body announced, to size buffers
  uint64_t preamble_bytes = 0;      // skipped while waiting for TLS
  uint64_t dropped_bytes = 0;       // not examined: after the handshake ended, or lost in a gap
};

// After a ChangeCipherSpec, TLS <= 1.2 sends only ciphertext (an encrypted Finished in a handshake record),
// while TLS 1.3 sends its compatibility CCS before a plaintext second ClientHello (after a
// HelloRetryRequest) or ServerHello. So a handshake record after CCS is read only if it starts with a
// ClientHello/ServerHello header whose length fills the record; anything else counts as encrypted.
//
// Usage, per in-order TCP payload chunk:  r.feed(p, n); while (r.next(msg)) handle(msg);
// The chunk must stay valid until next() returns false. A chunk fed before the previous one was drained
// counts as a gap. The buffer (capacity >= 64 bytes to be useful) belongs to the caller, e.g. a per-worker
// pool; the reader never allocates.
class TlsHandshakeReader {
 public:
  TlsHandshakeReader() noexcept = default;
  TlsHandshakeReader(uint8_t* buf, size_t cap, TlsStart start = TlsStart::kDetect) noexcept {
    init(buf, cap, start);
  }
  void init(uint8_t* buf, size_t cap, TlsStart start = TlsStart::kDetect) noexcept;
  void reset() noexcept;  // same buffer and start mode, fresh stream

  void feed(const uint8_t* data, size_t len) noexcept;
  bool next(TlsHandshakeMessage& out) noexcept;

  // TLS starts at the next unread byte: call just before or just after feed() of the chunk that starts it.
  void begin_tls() noexcept;
  // The caller lost stream bytes (a TCP hole): the record framing cannot be trusted any more. With
  // kDetect the reader resynchronises on a later chunk that starts with a handshake record.
  void on_gap() noexcept;

  TlsStreamState state() const noexcept { return state_; }
  bool done() const noexcept {
    return state_ != TlsStreamState::kWaitingForTls && state_ != TlsStreamState::kHandshake;
  }
  bool after_change_cipher_spec() const noexcept { return after_ccs_; }
  // The plaintext alert that ended the handshake (state kAlert), level and description; 0/0 if none.
  uint8_t alert_level() const noexcept { return alert_[0]; }
  uint8_t alert_description() const noexcept { return alert_[1]; }
  const TlsReaderStats& stats() const noexcept { return stats_; }

 private:
  void reset_framing() noexcept;
  void stop(TlsStreamState s) noexcept;
  void start_record() noexcept;                             // acts on a complete, valid rec_hdr_
  bool handshake_bytes(TlsHandshakeMessage& out) noexcept;  // consumes from the current record
  bool begin_message(TlsHandshakeMessage& out) noexcept;
  bool plaintext_after_ccs(uint8_t type, uint32_t len) noexcept;

  uint8_t* buf_ = nullptr;
  uint32_t cap_ = 0;
  TlsStart start_ = TlsStart::kDetect;
  TlsStreamState state_ = TlsStreamState::kWaitingForTls;

  const uint8_t* in_ = nullptr;  // current chunk
  size_t in_len_ = 0;
  size_t in_pos_ = 0;

  uint8_t rec_hdr_[kTlsRecordHeaderLen] = {};
  uint8_t rec_hdr_have_ = 0;
  uint8_t rec_type_ = 0;
  bool in_record_ = false;
  uint16_t rec_left_ = 0;
  uint16_t rec_len_ = 0;
  bool after_ccs_ = false;
  bool check_after_ccs_ = false;  // the next message header decides: plaintext hello or ciphertext
  uint8_t alert_[2] = {};
  uint8_t alert_have_ = 0;

  uint8_t hs_hdr_[kTlsHandshakeHeaderLen] = {};
  uint8_t hs_hdr_have_ = 0;
  uint32_t msg_len_ = 0;      // body length of the message being assembled
  uint32_t msg_have_ = 0;     // body bytes consumed so far
  uint32_t buf_len_ = 0;      // bytes (header + body) stored in buf_
  bool skipping_ = false;     // the rest of the message is discarded
  bool partial_ = false;      // oversized Certificate: keep a prefix in case the leaf fits
  bool seen_record_ = false;  // a valid record header since TLS started

  TlsReaderStats stats_;
};

}  // namespace spanwatch::lib
