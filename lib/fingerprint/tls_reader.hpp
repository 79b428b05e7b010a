// Bounded big-endian reading of TLS handshake messages (ClientHello here, ServerHello in lib/tls): every
// read checks what is left, so a lying length field can never take a read past the message.
#pragma once
#include <cstddef>
#include <cstdint>

namespace spanwatch::lib {

class TlsReader {
 public:
  TlsReader(const uint8_t* p, size_t n) noexcept : p_(p), n_(n) {}
  size_t left() const noexcept { return n_ - pos_; }
  const uint8_t* cur() const noexcept { return p_ + pos_; }
  bool u8(uint8_t& v) noexcept {
    if (left() < 1) return false;
    v = p_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) noexcept {
    if (left() < 2) return false;
    v = static_cast<uint16_t>(p_[pos_] << 8 | p_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u24(uint32_t& v) noexcept {
    if (left() < 3) return false;
    v = static_cast<uint32_t>(p_[pos_]) << 16 | static_cast<uint32_t>(p_[pos_ + 1]) << 8 | p_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool skip(size_t k) noexcept {
    if (left() < k) return false;
    pos_ += k;
    return true;
  }
  // A sub-reader over the next k bytes, which are consumed.
  bool sub(size_t k, TlsReader& r) noexcept {
    if (left() < k) return false;
    r = TlsReader(p_ + pos_, k);
    pos_ += k;
    return true;
  }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
};

// The extensions block that ends a hello: each type is recorded in hello.extensions (in wire order, for
// the fingerprints) and each body handed to parse_extension(type, body, hello); a body it rejects marks
// hello.bad_extension_body. false: the block's lengths do not add up.
template <class Hello, class ParseExtension>
bool read_hello_extensions(TlsReader& body, Hello& hello, ParseExtension parse_extension) noexcept {
  uint16_t ext_len = 0;
  TlsReader exts(nullptr, 0);
  if (!body.u16(ext_len) || !body.sub(ext_len, exts)) return false;
  while (exts.left() > 0) {
    uint16_t type = 0;
    uint16_t len = 0;
    TlsReader eb(nullptr, 0);
    if (!exts.u16(type) || !exts.u16(len) || !exts.sub(len, eb)) return false;
    hello.extensions.push(type);
    if (!parse_extension(type, eb, hello)) hello.bad_extension_body = true;
  }
  return true;
}

}  // namespace spanwatch::lib
