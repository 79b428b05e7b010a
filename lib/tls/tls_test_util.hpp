// Test-only builders for TLS handshake messages and records (std containers allowed; never in product code).
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace spanwatch::lib::tlstest {

using Bytes = std::vector<uint8_t>;

inline void put8(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v));
}
inline void put16(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put24(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 16));
  put16(b, v);
}
inline void append(Bytes& b, const Bytes& x) {
  b.insert(b.end(), x.begin(), x.end());
}

// Handshake message: type, u24 length, body.
inline Bytes handshake(uint8_t type, const Bytes& body) {
  Bytes m;
  put8(m, type);
  put24(m, static_cast<uint32_t>(body.size()));
  append(m, body);
  return m;
}

// Records of `content_type` carrying `payload`, at most `frag` bytes each.
inline Bytes records(const Bytes& payload, size_t frag = 16384, uint8_t content_type = 0x16,
                     uint16_t version = 0x0303) {
  Bytes out;
  for (size_t off = 0; off < payload.size(); off += frag) {
    const size_t n = std::min(frag, payload.size() - off);
    put8(out, content_type);
    put16(out, version);
    put16(out, static_cast<uint32_t>(n));
    out.insert(out.end(), payload.begin() + static_cast<std::ptrdiff_t>(off),
               payload.begin() + static_cast<std::ptrdiff_t>(off + n));
  }
  return out;
}

struct Ext {
  uint16_t type;
  Bytes body;
};

inline Bytes ext_block(const std::vector<Ext>& exts) {
  Bytes e;
  for (const auto& x : exts) {
    put16(e, x.type);
    put16(e, static_cast<uint32_t>(x.body.size()));
    append(e, x.body);
  }
  Bytes b;
  put16(b, static_cast<uint32_t>(e.size()));
  append(b, e);
  return b;
}

inline Ext alpn_ext(const std::string& proto) {
  Bytes b;
  put16(b, static_cast<uint32_t>(proto.size() + 1));
  put8(b, static_cast<uint32_t>(proto.size()));
  b.insert(b.end(), proto.begin(), proto.end());
  return {0x0010, b};
}

// ServerHello body (RFC 5246/8446 layout); `random_byte` fills the random unless `random` is given.
inline Bytes server_hello_body(uint16_t version, uint16_t cipher, const std::vector<Ext>& exts,
                               bool with_ext_block = true, uint8_t sid_len = 32, const Bytes& random = {}) {
  Bytes b;
  put16(b, version);
  if (random.size() == 32) {
    append(b, random);
  } else {
    for (int i = 0; i < 32; ++i) put8(b, static_cast<uint32_t>(0x40 + i));
  }
  put8(b, sid_len);
  for (int i = 0; i < sid_len; ++i) put8(b, 0xee);
  put16(b, cipher);
  put8(b, 0);
  if (with_ext_block) append(b, ext_block(exts));
  return b;
}

// A minimal ClientHello body with the given cipher list and extensions.
inline Bytes client_hello_body(const std::vector<uint16_t>& ciphers, const std::vector<Ext>& exts) {
  Bytes b;
  put16(b, 0x0303);
  for (int i = 0; i < 32; ++i) put8(b, static_cast<uint32_t>(i));
  put8(b, 0);
  put16(b, static_cast<uint32_t>(ciphers.size() * 2));
  for (uint16_t c : ciphers) put16(b, c);
  put8(b, 1);
  put8(b, 0);
  append(b, ext_block(exts));
  return b;
}

// Certificate body (TLS 1.2 layout) holding the given DER blobs.
inline Bytes certificate_body(const std::vector<Bytes>& certs) {
  Bytes list;
  for (const auto& c : certs) {
    put24(list, static_cast<uint32_t>(c.size()));
    append(list, c);
  }
  Bytes b;
  put24(b, static_cast<uint32_t>(list.size()));
  append(b, list);
  return b;
}

}  // namespace spanwatch::lib::tlstest
