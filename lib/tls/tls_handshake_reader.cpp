// TLS record walk and handshake defragmentation. A message that sits whole inside one record of the
// current chunk is handed out in place (no copy); only messages split across records or chunks are
// copied into the caller's buffer, so the buffer holds at most one partial message at a time.
#include "lib/tls/tls_handshake_reader.hpp"

#include <algorithm>
#include <cstring>

namespace spanwatch::lib {
namespace {

// Below this a Certificate prefix cannot hold any real leaf (header + two u24 lengths + a DER header).
constexpr size_t kMinPrefixCapacity = 16;

constexpr uint32_t u24(const uint8_t* p) noexcept {
  return uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | uint32_t{p[2]};
}

// Record header bytes seen so far (n <= 5) can still start a TLS record: content type 20..24, version 3.x
// with x <= 4 (SSL 3.0 .. TLS 1.3), length within the ciphertext limit.
bool header_prefix_ok(const uint8_t* h, size_t n) noexcept {
  if (n >= 1 && (h[0] < 20 || h[0] > 24)) return false;
  if (n >= 2 && h[1] != 0x03) return false;
  if (n >= 3 && h[2] > 0x04) return false;
  if (n >= 5 && (size_t{h[3]} << 8 | h[4]) > kTlsMaxRecordLen) return false;
  return true;
}

// TLS 1.2 Certificate body: u24 list length, then u24 length + DER per certificate. The prefix is worth
// yielding only if it holds the whole first (leaf) certificate.
bool leaf_fits(const uint8_t* body, size_t len) noexcept {
  if (len < 6) return false;
  const uint32_t cert_len = u24(body + 3);
  return cert_len > 0 && size_t{6} + cert_len <= len;
}

}  // namespace

std::string_view to_string(TlsStreamState s) noexcept {
  switch (s) {
    case TlsStreamState::kWaitingForTls:
      return "waiting_for_tls";
    case TlsStreamState::kHandshake:
      return "handshake";
    case TlsStreamState::kEncrypted:
      return "encrypted";
    case TlsStreamState::kAlert:
      return "alert";
    case TlsStreamState::kNotTls:
      return "not_tls";
    case TlsStreamState::kMalformed:
      return "malformed";
    case TlsStreamState::kCount:
      break;
  }
  return "?";
}

bool looks_like_tls_record(const uint8_t* p, size_t len) noexcept {
  if (p == nullptr || len < 3 || p[0] != static_cast<uint8_t>(TlsContentType::kHandshake)) return false;
  if (!header_prefix_ok(p, len < kTlsRecordHeaderLen ? len : kTlsRecordHeaderLen)) return false;
  return len < kTlsRecordHeaderLen || (p[3] | p[4]) != 0;  // an empty handshake record is not legal
}

void TlsHandshakeReader::init(uint8_t* buf, size_t cap, TlsStart start) noexcept {
  buf_ = buf;
  cap_ = buf == nullptr ? 0 : static_cast<uint32_t>(std::min<size_t>(cap, UINT32_MAX));
  start_ = start;
  reset();
}

void TlsHandshakeReader::reset() noexcept {
  reset_framing();
  in_ = nullptr;
  in_len_ = in_pos_ = 0;
  stats_ = {};
  state_ = start_ == TlsStart::kFirstByte ? TlsStreamState::kHandshake : TlsStreamState::kWaitingForTls;
}

void TlsHandshakeReader::reset_framing() noexcept {
  rec_hdr_have_ = 0;
  rec_type_ = 0;
  in_record_ = false;
  rec_left_ = 0;
  rec_len_ = 0;
  after_ccs_ = false;
  check_after_ccs_ = false;
  alert_[0] = alert_[1] = 0;
  alert_have_ = 0;
  hs_hdr_have_ = 0;
  msg_len_ = msg_have_ = buf_len_ = 0;
  skipping_ = partial_ = false;
  seen_record_ = false;
}

void TlsHandshakeReader::begin_tls() noexcept {
  reset_framing();
  state_ = TlsStreamState::kHandshake;
}

void TlsHandshakeReader::on_gap() noexcept {
  if (state_ != TlsStreamState::kHandshake) return;
  reset_framing();
  state_ = start_ == TlsStart::kDetect ? TlsStreamState::kWaitingForTls : TlsStreamState::kMalformed;
}

void TlsHandshakeReader::feed(const uint8_t* data, size_t len) noexcept {
  if (in_pos_ < in_len_) {  // the caller did not drain the previous chunk: its rest is lost
    stats_.dropped_bytes += in_len_ - in_pos_;
    on_gap();
  }
  in_ = data;
  in_len_ = data != nullptr ? len : 0;
  in_pos_ = 0;
  // A chunk too short to judge (1-2 bytes) starts TLS tentatively if it is a plausible record start: the
  // header check in next() falls back to waiting if the following bytes are not TLS after all.
  if (state_ == TlsStreamState::kWaitingForTls && start_ == TlsStart::kDetect &&
      (looks_like_tls_record(in_, in_len_) ||
       (in_len_ > 0 && in_len_ < 3 && in_[0] == static_cast<uint8_t>(TlsContentType::kHandshake) &&
        header_prefix_ok(in_, in_len_)))) {
    begin_tls();
  }
}

void TlsHandshakeReader::stop(TlsStreamState s) noexcept {
  state_ = s;
}

void TlsHandshakeReader::start_record() noexcept {
  const uint16_t len = static_cast<uint16_t>(rec_hdr_[3] << 8 | rec_hdr_[4]);
  rec_type_ = rec_hdr_[0];
  rec_left_ = len;
  rec_len_ = len;
  in_record_ = len != 0;
  seen_record_ = true;
  ++stats_.records;
  switch (static_cast<TlsContentType>(rec_type_)) {
    case TlsContentType::kChangeCipherSpec:
      after_ccs_ = true;  // TLS <= 1.2 sends only ciphertext after it (see plaintext_after_ccs)
      return;
    case TlsContentType::kAlert:
      if (after_ccs_) {
        stop(TlsStreamState::kEncrypted);
      } else if (len == 0) {
        stop(TlsStreamState::kAlert);
      }
      return;
    case TlsContentType::kHandshake:
      if (after_ccs_) {
        // A message cut by the CCS cannot be plaintext; otherwise its header decides (see the header).
        if (hs_hdr_have_ != 0) {
          stop(TlsStreamState::kEncrypted);
        } else {
          check_after_ccs_ = true;
        }
      }
      return;
    case TlsContentType::kApplicationData:
      stop(TlsStreamState::kEncrypted);  // also every TLS 1.3 record after the hellos
      return;
    case TlsContentType::kHeartbeat:
      return;  // skipped
  }
}

bool TlsHandshakeReader::plaintext_after_ccs(uint8_t type, uint32_t len) noexcept {
  if (!check_after_ccs_) return true;
  check_after_ccs_ = false;
  const bool hello = type == static_cast<uint8_t>(TlsHandshakeType::kClientHello) ||
                     type == static_cast<uint8_t>(TlsHandshakeType::kServerHello);
  if (hello && len <= kTlsMaxPlaintextLen && len + kTlsHandshakeHeaderLen >= rec_len_) return true;
  stop(TlsStreamState::kEncrypted);
  return false;
}

bool TlsHandshakeReader::begin_message(TlsHandshakeMessage& out) noexcept {
  msg_len_ = u24(hs_hdr_ + 1);
  if (!plaintext_after_ccs(hs_hdr_[0], msg_len_)) return false;
  stats_.max_message_len = std::max<uint32_t>(stats_.max_message_len, msg_len_ + 4);
  if (msg_len_ > kTlsMaxHandshakeLen) {
    stop(TlsStreamState::kMalformed);
    return false;
  }
  msg_have_ = 0;
  skipping_ = partial_ = false;
  if (msg_len_ == 0) {  // e.g. ServerHelloDone: the header is the whole message
    hs_hdr_have_ = 0;
    out = {static_cast<TlsHandshakeType>(hs_hdr_[0]), 0, hs_hdr_, kTlsHandshakeHeaderLen, false};
    ++stats_.messages;
    return true;
  }
  const bool certificate = hs_hdr_[0] == static_cast<uint8_t>(TlsHandshakeType::kCertificate);
  if (size_t{msg_len_} + kTlsHandshakeHeaderLen <= cap_ || (certificate && cap_ >= kMinPrefixCapacity)) {
    std::memcpy(buf_, hs_hdr_, kTlsHandshakeHeaderLen);
    buf_len_ = kTlsHandshakeHeaderLen;
    partial_ = size_t{msg_len_} + kTlsHandshakeHeaderLen > cap_;
  } else {
    skipping_ = true;
    ++stats_.skipped_messages;
  }
  return false;
}

bool TlsHandshakeReader::handshake_bytes(TlsHandshakeMessage& out) noexcept {
  const uint8_t* p = in_ + in_pos_;
  const size_t n = std::min<size_t>(in_len_ - in_pos_, rec_left_);
  const auto consume = [this](size_t k) noexcept {
    in_pos_ += k;
    rec_left_ = static_cast<uint16_t>(rec_left_ - k);
    in_record_ = rec_left_ != 0;
  };

  if (hs_hdr_have_ == 0 && n >= kTlsHandshakeHeaderLen) {
    // Fast path: the whole message lies in this record and chunk; hand it out in place.
    const uint32_t len = u24(p + 1);
    if (size_t{len} + kTlsHandshakeHeaderLen <= n) {
      if (!plaintext_after_ccs(p[0], len)) return false;
      stats_.max_message_len = std::max<uint32_t>(stats_.max_message_len, len + 4);
      out = {static_cast<TlsHandshakeType>(p[0]), len, p, len + 4, false};
      consume(len + kTlsHandshakeHeaderLen);
      ++stats_.messages;
      return true;
    }
  }
  if (hs_hdr_have_ < kTlsHandshakeHeaderLen) {
    const size_t take = std::min<size_t>(kTlsHandshakeHeaderLen - hs_hdr_have_, n);
    std::memcpy(hs_hdr_ + hs_hdr_have_, p, take);
    hs_hdr_have_ = static_cast<uint8_t>(hs_hdr_have_ + take);
    consume(take);
    return hs_hdr_have_ == kTlsHandshakeHeaderLen && begin_message(out);
  }

  const size_t take = std::min<size_t>(n, msg_len_ - msg_have_);
  if (!skipping_) {
    const size_t store = std::min<size_t>(take, cap_ - buf_len_);
    std::memcpy(buf_ + buf_len_, p, store);
    buf_len_ += static_cast<uint32_t>(store);
  }
  msg_have_ += static_cast<uint32_t>(take);
  consume(take);
  const bool complete = msg_have_ == msg_len_;
  const auto type = static_cast<TlsHandshakeType>(hs_hdr_[0]);
  if (complete) hs_hdr_have_ = 0;

  if (partial_ && !skipping_ && buf_len_ == cap_) {
    // Oversized Certificate: the buffer is full. Yield it now if the leaf is inside; skip the rest.
    skipping_ = true;
    if (leaf_fits(buf_ + kTlsHandshakeHeaderLen, buf_len_ - kTlsHandshakeHeaderLen)) {
      out = {type, msg_len_, buf_, buf_len_, true};
      ++stats_.truncated_messages;
      return true;
    }
    ++stats_.skipped_messages;
  }
  if (complete && !skipping_) {
    out = {type, msg_len_, buf_, buf_len_, false};
    ++stats_.messages;
    return true;
  }
  return false;
}

bool TlsHandshakeReader::next(TlsHandshakeMessage& out) noexcept {
  while (in_pos_ < in_len_) {
    const size_t avail = in_len_ - in_pos_;
    if (state_ == TlsStreamState::kWaitingForTls) {
      stats_.preamble_bytes += avail;
      in_pos_ = in_len_;
      break;
    }
    if (state_ != TlsStreamState::kHandshake) {
      stats_.dropped_bytes += avail;
      in_pos_ = in_len_;
      break;
    }
    if (!in_record_) {
      const size_t take = std::min<size_t>(kTlsRecordHeaderLen - rec_hdr_have_, avail);
      std::memcpy(rec_hdr_ + rec_hdr_have_, in_ + in_pos_, take);
      rec_hdr_have_ = static_cast<uint8_t>(rec_hdr_have_ + take);
      in_pos_ += take;
      if (!header_prefix_ok(rec_hdr_, rec_hdr_have_)) {
        // Garbage before any record: not TLS (or not yet, with kDetect); after records: broken framing.
        rec_hdr_have_ = 0;
        stop(seen_record_                  ? TlsStreamState::kMalformed
             : start_ == TlsStart::kDetect ? TlsStreamState::kWaitingForTls
                                           : TlsStreamState::kNotTls);
        continue;
      }
      if (rec_hdr_have_ < kTlsRecordHeaderLen) break;
      rec_hdr_have_ = 0;
      start_record();
      continue;
    }
    const size_t n = std::min<size_t>(avail, rec_left_);
    switch (static_cast<TlsContentType>(rec_type_)) {
      case TlsContentType::kHandshake:
        if (handshake_bytes(out)) return true;
        continue;
      case TlsContentType::kAlert:
        for (size_t i = 0; i < n && alert_have_ < 2; ++i) alert_[alert_have_++] = in_[in_pos_ + i];
        break;
      default:  // ChangeCipherSpec body, heartbeat
        break;
    }
    in_pos_ += n;
    rec_left_ = static_cast<uint16_t>(rec_left_ - n);
    in_record_ = rec_left_ != 0;
    if (!in_record_ && rec_type_ == static_cast<uint8_t>(TlsContentType::kAlert))
      stop(TlsStreamState::kAlert);
  }
  return false;
}

}  // namespace spanwatch::lib
