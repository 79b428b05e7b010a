// Test helpers for lib/quic: hex, varints, frames, an independent packet protector (OpenSSL EVP used
// directly) that builds Initial packets for any version, so the decryptor is checked against a second
// implementation of RFC 9001 §5, and a flow (Conn) with its two CRYPTO streams.
#pragma once
#include <openssl/evp.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lib/fingerprint/tls_client_hello.hpp"
#include "lib/quic/quic_initial.hpp"
#include "lib/quic/quic_keys.hpp"

namespace spanwatch::lib::quic_test {

using Bytes = std::vector<uint8_t>;

inline Bytes hex(std::string_view s) {
  Bytes out;
  int hi = -1;
  for (const char c : s) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

inline std::string to_hex(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}
template <typename C>
std::string to_hex(const C& c) {
  return to_hex(c.data(), c.size());
}

inline void put_varint(Bytes& b, uint64_t v) {
  if (v < 64) {
    b.push_back(static_cast<uint8_t>(v));
  } else if (v < 16384) {
    b.push_back(static_cast<uint8_t>(0x40 | v >> 8));
    b.push_back(static_cast<uint8_t>(v));
  } else if (v < (1u << 30)) {
    for (int i = 3; i >= 0; --i)
      b.push_back(static_cast<uint8_t>((i == 3 ? 0x80 : 0) | (v >> (8 * i) & 0xff)));
  } else {
    for (int i = 7; i >= 0; --i)
      b.push_back(static_cast<uint8_t>((i == 7 ? 0xc0 : 0) | (v >> (8 * i) & 0xff)));
  }
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes crypto_frame(uint64_t offset, const uint8_t* data, size_t len) {
  Bytes f{0x06};
  put_varint(f, offset);
  put_varint(f, len);
  f.insert(f.end(), data, data + len);
  return f;
}
inline Bytes crypto_frame(uint64_t offset, const Bytes& data) {
  return crypto_frame(offset, data.data(), data.size());
}

// Keys a side protects its Initial packets with, for `version` (first salt of the table entry).
inline QuicInitialKeys keys_for(uint32_t version, const Bytes& odcid, bool client) {
  const QuicVersionInfo* info = find_quic_version(version);
  if (info == nullptr) throw std::invalid_argument("unsupported version");
  QuicInitialKeys k;
  derive_quic_initial_keys(info->salt, info->v2, odcid.data(), odcid.size(), client, k);
  return k;
}

inline uint8_t long_first_byte(QuicPacketType t, bool v2, size_t pn_len) {
  const unsigned bits = v2 ? (static_cast<unsigned>(t) + 1) & 3u : static_cast<unsigned>(t);
  return static_cast<uint8_t>(0xc0 | bits << 4 | (pn_len - 1));
}

// Unprotected long header up to and including the packet number; Length covers pn + payload + tag.
inline Bytes long_header(uint32_t version, bool v2, QuicPacketType type, const Bytes& dcid, const Bytes& scid,
                         const Bytes& token, uint64_t pn, size_t pn_len, size_t payload_len) {
  Bytes h{long_first_byte(type, v2, pn_len)};
  for (int i = 3; i >= 0; --i) h.push_back(static_cast<uint8_t>(version >> (8 * i)));
  h.push_back(static_cast<uint8_t>(dcid.size()));
  h.insert(h.end(), dcid.begin(), dcid.end());
  h.push_back(static_cast<uint8_t>(scid.size()));
  h.insert(h.end(), scid.begin(), scid.end());
  if (type == QuicPacketType::kInitial) {
    put_varint(h, token.size());
    h.insert(h.end(), token.begin(), token.end());
  }
  const size_t length = pn_len + payload_len + kQuicAeadTagLen;
  h.push_back(static_cast<uint8_t>(0x40 | length >> 8));  // always the 2-byte form, as most stacks do
  h.push_back(static_cast<uint8_t>(length));
  for (size_t i = pn_len; i-- > 0;) h.push_back(static_cast<uint8_t>(pn >> (8 * i)));
  return h;
}

// AEAD-seals `payload` under `header` and applies header protection (RFC 9001 §5.3-5.4).
inline Bytes protect(const QuicInitialKeys& k, const Bytes& header, size_t pn_len, uint64_t pn,
                     const Bytes& payload) {
  uint8_t nonce[kQuicAeadIvLen];
  std::memcpy(nonce, k.iv.data(), sizeof(nonce));
  for (size_t i = 0; i < 8; ++i) nonce[kQuicAeadIvLen - 1 - i] ^= static_cast<uint8_t>(pn >> (8 * i));
  Bytes pkt = header;
  pkt.resize(header.size() + payload.size() + kQuicAeadTagLen);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), nullptr, k.key.data(), nonce);
  EVP_EncryptUpdate(c, nullptr, &n, header.data(), static_cast<int>(header.size()));
  EVP_EncryptUpdate(c, pkt.data() + header.size(), &n, payload.data(), static_cast<int>(payload.size()));
  EVP_EncryptFinal_ex(c, pkt.data() + header.size() + n, &n);
  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kQuicAeadTagLen),
                      pkt.data() + header.size() + payload.size());
  EVP_CIPHER_CTX_free(c);

  const size_t pn_offset = header.size() - pn_len;
  uint8_t mask[32];
  c = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), nullptr, k.hp.data(), nullptr);
  EVP_CIPHER_CTX_set_padding(c, 0);
  EVP_EncryptUpdate(c, mask, &n, pkt.data() + pn_offset + 4, static_cast<int>(kQuicHpSampleLen));
  EVP_CIPHER_CTX_free(c);
  pkt[0] ^= mask[0] & ((pkt[0] & 0x80) ? 0x0f : 0x1f);
  for (size_t i = 0; i < pn_len; ++i) pkt[pn_offset + i] ^= mask[1 + i];
  return pkt;
}

// A protected Initial packet of `version` carrying `payload`, keyed from `odcid`.
inline Bytes initial_packet(uint32_t version, bool client, const Bytes& odcid, const Bytes& dcid,
                            const Bytes& scid, uint64_t pn, const Bytes& payload, size_t pn_len = 2,
                            const Bytes& token = {}) {
  const bool v2 = find_quic_version(version) != nullptr && find_quic_version(version)->v2;
  const Bytes h =
      long_header(version, v2, QuicPacketType::kInitial, dcid, scid, token, pn, pn_len, payload.size());
  return protect(keys_for(version, odcid, client), h, pn_len, pn, payload);
}

// A Handshake or 0-RTT packet with an opaque body (we never decrypt those).
inline Bytes opaque_long_packet(uint32_t version, bool v2, QuicPacketType type, const Bytes& dcid,
                                const Bytes& scid, size_t body_len) {
  Bytes p = long_header(version, v2, type, dcid, scid, {}, 0, 1, body_len);
  for (size_t i = 0; i < body_len + kQuicAeadTagLen; ++i) p.push_back(static_cast<uint8_t>(i * 13 + 5));
  return p;
}

// Two CRYPTO streams with their own buffers, as the worker would hold them for one flow.
struct Streams {
  Bytes cbuf = Bytes(4096), sbuf = Bytes(2048);
  QuicCryptoStream client{cbuf.data(), static_cast<uint32_t>(cbuf.size())};
  QuicCryptoStream server{sbuf.data(), static_cast<uint32_t>(sbuf.size())};
  Bytes client_bytes() const { return Bytes(client.data(), client.data() + client.contiguous()); }
  Bytes server_bytes() const { return Bytes(server.data(), server.data() + server.contiguous()); }
};

struct Conn {
  explicit Conn(QuicInitialDecryptor& dec) : d(dec) {}
  QuicInitialDecryptor& d;
  QuicFlowState flow{};
  Streams s;
  QuicStatus client(const Bytes& b) { return d.feed(b.data(), b.size(), true, flow, s.client); }
  QuicStatus server(const Bytes& b) { return d.feed(b.data(), b.size(), false, flow, s.server); }
};

inline std::string sni_of(const Bytes& msg) {
  ClientHello ch;
  if (parse_client_hello_message(msg.data(), msg.size(), ch) != TlsParseStatus::kOk) return "<no hello>";
  return std::string(ch.server_name());
}

}  // namespace spanwatch::lib::quic_test
