// QUIC Initial packets: long-header walk over coalesced packets, header protection removal, AES-128-GCM
// decryption with OpenSSL (contexts made once, re-keyed in place), and the frames allowed in Initials.
#include "lib/quic/quic_initial.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace spanwatch::lib {
namespace {

constexpr size_t kMaxDatagram = 65536;             // plain_ scratch: a UDP payload is at most 65527 bytes
constexpr size_t kMaxPnLen = 4;                    // packet numbers are 1-4 bytes on the wire
constexpr uint64_t kMaxStreamOffset = 1ull << 62;  // RFC 9000 §19.6: offset + length < 2^62

// Bounded big-endian reader over [p, end): every read checks what is left.
struct Reader {
  const uint8_t* p;
  const uint8_t* end;

  size_t left() const noexcept { return static_cast<size_t>(end - p); }
  bool u8(uint8_t& v) noexcept {
    if (p >= end) return false;
    v = *p++;
    return true;
  }
  bool u32(uint32_t& v) noexcept {
    if (left() < 4) return false;
    v = static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
        static_cast<uint32_t>(p[2]) << 8 | p[3];
    p += 4;
    return true;
  }
  bool varint(uint64_t& v) noexcept {  // RFC 9000 §16: 2-bit length prefix, 1/2/4/8 bytes
    if (p >= end) return false;
    const size_t n = size_t{1} << (*p >> 6);
    if (left() < n) return false;
    v = *p & 0x3f;
    for (size_t i = 1; i < n; ++i) v = v << 8 | p[i];
    p += n;
    return true;
  }
  bool skip(uint64_t n) noexcept {
    if (n > left()) return false;
    p += n;
    return true;
  }
  // Connection ID: length byte, then at most kQuicMaxCidLen bytes.
  bool cid(const uint8_t*& id, uint8_t& len) noexcept {
    if (!u8(len) || len > kQuicMaxCidLen || left() < len) return false;
    id = p;
    p += len;
    return true;
  }
};

// RFC 9000 §A.3: the full packet number closest to the next expected one.
uint64_t decode_pn(uint64_t expected, uint32_t truncated, size_t pn_len) noexcept {
  const uint64_t win = uint64_t{1} << (8 * pn_len);
  const uint64_t hwin = win / 2;
  const uint64_t candidate = (expected & ~(win - 1)) | truncated;
  if (candidate + hwin <= expected && candidate < (uint64_t{1} << 62) - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

bool same_cid(const uint8_t* a, size_t alen, const uint8_t* b, size_t blen) noexcept {
  return alen == blen && (alen == 0 || std::memcmp(a, b, alen) == 0);
}

}  // namespace

// One long-header packet inside the datagram. pn..end is the protected packet number and payload.
struct QuicInitialDecryptor::Packet {
  const uint8_t* start;
  const uint8_t* pn;
  const uint8_t* end;
  const uint8_t* dcid;
  uint8_t dcid_len;
  uint32_t version;
  const QuicVersionInfo* info;
};

QuicInitialDecryptor::QuicInitialDecryptor() : plain_(new uint8_t[kMaxDatagram]) {
  gcm_.reset(EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr));
  ecb_.reset(EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr));
  if (!gcm_ || !ecb_) throw std::runtime_error("EVP_CIPHER_fetch(AES-128-GCM/ECB): not available");
  for (size_t dir = 0; dir < 2; ++dir) {
    aead_[dir].reset(EVP_CIPHER_CTX_new());
    hp_[dir].reset(EVP_CIPHER_CTX_new());
    if (!aead_[dir] || !hp_[dir]) throw std::runtime_error("EVP_CIPHER_CTX_new: out of memory");
    // Bind the algorithms now; feed() only sets keys and IVs, which allocates nothing.
    if (EVP_DecryptInit_ex2(aead_[dir].get(), gcm_.get(), nullptr, nullptr, nullptr) != 1 ||
        EVP_EncryptInit_ex2(hp_[dir].get(), ecb_.get(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(hp_[dir].get(), 0) != 1) {
      throw std::runtime_error("EVP_DecryptInit_ex2/EVP_EncryptInit_ex2(AES-128-GCM/ECB) failed");
    }
  }
}

QuicInitialDecryptor::~QuicInitialDecryptor() = default;

QuicStatus QuicInitialDecryptor::feed(const uint8_t* udp_payload, size_t len, bool from_client,
                                      QuicFlowState& flow, QuicCryptoStream& out) noexcept {
  const QuicStatus st = walk(udp_payload, len, from_client, flow, out);
  ++ctr_.datagrams[static_cast<size_t>(st)];
  return st;
}

QuicStatus QuicInitialDecryptor::walk(const uint8_t* udp_payload, size_t len, bool from_client,
                                      QuicFlowState& flow, QuicCryptoStream& out) noexcept {
  if (udp_payload == nullptr || len == 0) return QuicStatus::kNotQuic;
  if ((udp_payload[0] & 0x80) == 0) {
    // A short header (fixed bit set) or something else entirely.
    return (udp_payload[0] & 0x40) != 0 ? QuicStatus::kNotInitial : QuicStatus::kNotQuic;
  }
  const uint8_t* const end = udp_payload + len;
  const uint8_t* first_dcid = nullptr;
  uint8_t first_dcid_len = 0;
  bool decrypted = false, header_error = false;
  QuicStatus initial_error = QuicStatus::kCount;  // first failure of an Initial packet, if any

  for (const uint8_t* cur = udp_payload; cur < end;) {
    const bool first = cur == udp_payload;
    Reader r{cur, end};
    uint8_t b0 = 0;
    uint32_t version = 0;
    r.u8(b0);
    // A short-header packet runs to the end of the datagram; zero bytes are padding after the packets.
    if ((b0 & 0x80) == 0) break;
    if (!r.u32(version)) {
      if (first) return QuicStatus::kNotQuic;
      header_error = true;
      break;
    }
    if (version == 0) {  // Version Negotiation (RFC 9000 §17.2.1): never coalesced, only from servers
      if (!first || from_client) {
        header_error = true;
        break;
      }
      flow.flags |= QuicFlowState::kVersionNegotiated;
      return QuicStatus::kVersionNegotiation;
    }
    const QuicVersionInfo* info = find_quic_version(version);
    if (info == nullptr) {
      if (first) {
        return is_known_quic_version_family(version) ? QuicStatus::kUnsupportedVersion : QuicStatus::kNotQuic;
      }
      break;  // coalesced packets share a version; anything else is not ours to read
    }
    Packet pkt{cur, nullptr, nullptr, nullptr, 0, version, info};
    const uint8_t* scid = nullptr;
    uint8_t scid_len = 0;
    if (!r.cid(pkt.dcid, pkt.dcid_len) || !r.cid(scid, scid_len)) {
      header_error = true;
      break;
    }
    const QuicPacketType type = quic_packet_type(b0, info->v2);
    if (type == QuicPacketType::kRetry) {  // no Length field: the rest of the datagram is the Retry
      if (!first || from_client) {
        header_error = true;
        break;
      }
      flow.flags |= QuicFlowState::kRetrySeen;
      return QuicStatus::kRetry;
    }
    if (first) {
      first_dcid = pkt.dcid;
      first_dcid_len = pkt.dcid_len;
    } else if (!same_cid(pkt.dcid, pkt.dcid_len, first_dcid, first_dcid_len)) {
      ++ctr_.foreign_dcid_packets;  // RFC 9000 §12.2: receivers SHOULD ignore them
      break;
    }
    uint64_t token_len = 0, length = 0;
    if ((type == QuicPacketType::kInitial && (!r.varint(token_len) || !r.skip(token_len))) ||
        !r.varint(length) || length > r.left()) {
      header_error = true;
      break;
    }
    pkt.pn = r.p;
    pkt.end = r.p + length;
    cur = pkt.end;
    if (type != QuicPacketType::kInitial) {
      ++ctr_.other_long_packets;
      continue;
    }
    ++ctr_.initial_packets;
    const QuicStatus st = read_initial(pkt, from_client, flow, out);
    if (st == QuicStatus::kOk) {
      decrypted = true;
    } else if (initial_error == QuicStatus::kCount) {
      initial_error = st;
    }
  }
  if (decrypted) return QuicStatus::kOk;
  if (initial_error != QuicStatus::kCount) return initial_error;
  return header_error ? QuicStatus::kMalformed : QuicStatus::kNotInitial;
}

QuicStatus QuicInitialDecryptor::read_initial(const Packet& p, bool from_client, QuicFlowState& flow,
                                              QuicCryptoStream& out) noexcept {
  // Header protection samples 16 bytes starting 4 bytes past the packet number (RFC 9001 §5.4.2).
  if (static_cast<size_t>(p.end - p.pn) < kMaxPnLen + kQuicHpSampleLen) return QuicStatus::kMalformed;

  // Keys come from the client's original DCID. The client's first Initial sets it; after a Retry (whose
  // new CID is never the old one) or a Version Negotiation the client's next Initial may bring a new one.
  const uint8_t* odcid = flow.odcid.data();
  size_t odcid_len = flow.odcid_len;
  bool adopt = false;
  if (from_client) {
    const bool restarting =
        flow.has(QuicFlowState::kRetrySeen) || flow.has(QuicFlowState::kVersionNegotiated);
    if (!flow.has(QuicFlowState::kHaveOdcid) ||
        (restarting && !same_cid(p.dcid, p.dcid_len, flow.odcid.data(), flow.odcid_len))) {
      odcid = p.dcid;
      odcid_len = p.dcid_len;
      adopt = true;
    }
  } else if (!flow.has(QuicFlowState::kHaveOdcid)) {
    return QuicStatus::kNoClientInitial;
  }

  size_t plain_len = 0;
  uint64_t pn = 0;
  const auto decrypt = [&] {
    return try_decrypt(p, p.info->salt, odcid, odcid_len, from_client, flow, plain_len, pn) ||
           (p.info->alt_salt != QuicSalt::kNone &&
            try_decrypt(p, p.info->alt_salt, odcid, odcid_len, from_client, flow, plain_len, pn));
  };
  bool ok = decrypt();
  if (!ok && adopt && flow.has(QuicFlowState::kHaveOdcid)) {
    // Not a restart after all (an Initial sent before the Retry, or a forged Version Negotiation): the
    // flow's ODCID still holds. At most two CIDs times two salts are tried.
    odcid = flow.odcid.data();
    odcid_len = flow.odcid_len;
    adopt = false;
    ok = decrypt();
  }
  if (!ok) {
    ++ctr_.decrypt_failures;
    return QuicStatus::kDecryptFailed;
  }
  ++ctr_.decrypted_packets;

  const size_t dir = from_client ? 0 : 1;
  if (pn + 1 > flow.next_pn[dir]) {
    flow.next_pn[dir] = static_cast<uint32_t>(std::min<uint64_t>(pn + 1, UINT32_MAX));
  }
  if (from_client) {
    if (adopt) {
      std::memcpy(flow.odcid.data(), p.dcid, p.dcid_len);
      flow.odcid_len = p.dcid_len;
      flow.flags =
          static_cast<uint8_t>((flow.flags | QuicFlowState::kHaveOdcid) & ~QuicFlowState::kRetrySeen);
    }
    if (p.version != flow.version) {
      // A new version means a new connection attempt after Version Negotiation: a new ClientHello whose
      // bytes must not mix with the old one's.
      if (flow.has(QuicFlowState::kClientDecrypted)) {
        out.reset();
        flow.flags |= QuicFlowState::kClientStreamRestarted;
      }
      flow.flags &= static_cast<uint8_t>(~QuicFlowState::kVersionNegotiated);
      flow.version = p.version;
    }
    flow.flags |= QuicFlowState::kClientDecrypted;
  } else {
    flow.flags |= QuicFlowState::kServerDecrypted;
  }
  return parse_frames(plain_.get(), plain_len, flow, out);
}

void QuicInitialDecryptor::load_keys(size_t dir, QuicSalt salt, bool v2, const uint8_t* odcid,
                                     size_t odcid_len) noexcept {
  LoadedKeys& lk = loaded_[dir];
  if (lk.valid && lk.salt == salt && lk.v2 == v2 && same_cid(lk.dcid.data(), lk.dcid_len, odcid, odcid_len)) {
    ++ctr_.key_cache_hits;
    return;
  }
  derive_quic_initial_keys(salt, v2, odcid, odcid_len, dir == 0, lk.keys);
  ++ctr_.key_derivations;
  lk.salt = salt;
  lk.v2 = v2;
  lk.dcid_len = static_cast<uint8_t>(odcid_len);
  std::memcpy(lk.dcid.data(), odcid, odcid_len);
  // Re-keying an initialised context runs the AES key schedule in place; no allocation.
  lk.valid = EVP_DecryptInit_ex2(aead_[dir].get(), nullptr, lk.keys.key.data(), nullptr, nullptr) == 1 &&
             EVP_EncryptInit_ex2(hp_[dir].get(), nullptr, lk.keys.hp.data(), nullptr, nullptr) == 1;
}

bool QuicInitialDecryptor::try_decrypt(const Packet& p, QuicSalt salt, const uint8_t* odcid, size_t odcid_len,
                                       bool from_client, const QuicFlowState& flow, size_t& plain_len,
                                       uint64_t& pn) noexcept {
  const size_t dir = from_client ? 0 : 1;
  load_keys(dir, salt, p.info->v2, odcid, odcid_len);
  const LoadedKeys& lk = loaded_[dir];
  if (!lk.valid) return false;

  // Header protection (RFC 9001 §5.4.1): mask = AES-ECB(hp, sample); 4 low bits of a long header's first
  // byte, then the packet number bytes.
  uint8_t mask[kQuicHpSampleLen];
  int n = 0;
  if (EVP_EncryptUpdate(hp_[dir].get(), mask, &n, p.pn + kMaxPnLen, static_cast<int>(kQuicHpSampleLen)) !=
          1 ||
      n != static_cast<int>(kQuicHpSampleLen)) {
    return false;
  }
  const uint8_t b0 = static_cast<uint8_t>(p.start[0] ^ (mask[0] & 0x0f));
  const size_t pn_len = (b0 & 0x03u) + 1;
  uint8_t pn_bytes[kMaxPnLen];
  uint32_t truncated = 0;
  for (size_t i = 0; i < pn_len; ++i) {
    pn_bytes[i] = static_cast<uint8_t>(p.pn[i] ^ mask[1 + i]);
    truncated = truncated << 8 | pn_bytes[i];
  }
  const uint8_t* payload = p.pn + pn_len;
  const size_t payload_len = static_cast<size_t>(p.end - payload);
  if (payload_len <= kQuicAeadTagLen) return false;  // a packet carries at least one frame
  const size_t ct_len = payload_len - kQuicAeadTagLen;
  pn = decode_pn(flow.next_pn[dir], truncated, pn_len);

  // Nonce: the IV with the 62-bit packet number XORed into its last 8 bytes (RFC 9001 §5.3).
  uint8_t nonce[kQuicAeadIvLen];
  std::memcpy(nonce, lk.keys.iv.data(), kQuicAeadIvLen);
  for (size_t i = 0; i < 8; ++i) nonce[kQuicAeadIvLen - 1 - i] ^= static_cast<uint8_t>(pn >> (8 * i));

  // The associated data is the unprotected header, fed in three pieces instead of copied.
  EVP_CIPHER_CTX* ctx = aead_[dir].get();
  uint8_t tag[kQuicAeadTagLen];
  std::memcpy(tag, p.end - kQuicAeadTagLen, kQuicAeadTagLen);
  int outl = 0, finl = 0;
  const bool ok =
      EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce, nullptr) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &outl, &b0, 1) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &outl, p.start + 1, static_cast<int>(p.pn - p.start - 1)) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &outl, pn_bytes, static_cast<int>(pn_len)) == 1 &&
      EVP_DecryptUpdate(ctx, plain_.get(), &outl, payload, static_cast<int>(ct_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kQuicAeadTagLen), tag) == 1 &&
      EVP_DecryptFinal_ex(ctx, plain_.get() + outl, &finl) == 1;
  plain_len = ok ? ct_len : 0;
  return ok;
}

QuicStatus QuicInitialDecryptor::parse_frames(const uint8_t* data, size_t len, QuicFlowState& flow,
                                              QuicCryptoStream& out) noexcept {
  Reader r{data, data + len};
  while (r.left() > 0) {
    uint64_t type = 0;
    if (!r.varint(type)) {  // a multi-byte type prefix cut off by the packet's end
      ++ctr_.malformed_frames;
      return QuicStatus::kMalformed;
    }
    switch (type) {
      case 0x00:  // PADDING: usually hundreds of bytes in a row
        while (r.p < r.end && *r.p == 0) ++r.p;
        break;
      case 0x01:  // PING
        break;
      case 0x02:    // ACK
      case 0x03: {  // ACK with ECN counts
        uint64_t largest = 0, delay = 0, ranges = 0, first_range = 0, v = 0;
        bool ok = r.varint(largest) && r.varint(delay) && r.varint(ranges) && r.varint(first_range);
        // Each range is two varints (>= 2 bytes), so a bogus count ends at the packet's end.
        for (uint64_t i = 0; ok && i < ranges; ++i) ok = r.varint(v) && r.varint(v);
        if (ok && type == 0x03) ok = r.varint(v) && r.varint(v) && r.varint(v);
        if (!ok) {
          ++ctr_.malformed_frames;
          return QuicStatus::kMalformed;
        }
        break;
      }
      case 0x06: {  // CRYPTO
        uint64_t offset = 0, length = 0;
        if (!r.varint(offset) || !r.varint(length) || length > r.left() ||
            offset + length >= kMaxStreamOffset) {
          ++ctr_.malformed_frames;
          return QuicStatus::kMalformed;
        }
        out.add(offset, r.p, static_cast<size_t>(length));
        r.p += length;
        ++ctr_.crypto_frames;
        ctr_.crypto_bytes += length;
        break;
      }
      case 0x1c:    // CONNECTION_CLOSE (transport): error, frame type, reason
      case 0x1d: {  // CONNECTION_CLOSE (application): error, reason; not allowed in Initials but harmless
        uint64_t error = 0, frame_type = 0, reason_len = 0;
        if (!r.varint(error) || (type == 0x1c && !r.varint(frame_type)) || !r.varint(reason_len) ||
            !r.skip(reason_len)) {
          ++ctr_.malformed_frames;
          return QuicStatus::kMalformed;
        }
        flow.flags |= QuicFlowState::kConnectionClosed;
        break;
      }
      default:  // not allowed in an Initial packet (RFC 9000 §12.4); what follows cannot be delimited
        ++ctr_.unexpected_frames;
        return QuicStatus::kOk;
    }
  }
  return QuicStatus::kOk;
}

}  // namespace spanwatch::lib
