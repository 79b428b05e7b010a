// Text forms of X.509 values exactly as OpenSSL prints them (which is what Zeek logs): names via
// X509_NAME_print_ex(XN_FLAG_RFC2253), OIDs via i2t_ASN1_OBJECT, the CN via ASN1_STRING_print. Internal
// to lib/tls; output goes through a bounded writer into FixedText arrays.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lib/core/hex_digits.hpp"
#include "lib/tls/der_reader.hpp"
#include "lib/tls/x509_certificate.hpp"

namespace spanwatch::lib::x509_text {

using der::Tlv;

// Appends to a FixedText. All or nothing per call, so an escape sequence is never cut in half; once
// something did not fit the text is flagged truncated and later calls write nothing.
class Text {
 public:
  template <size_t N>
  explicit Text(FixedText<N>& t) noexcept : s_(t.s.data()), cap_(N), len_(t.len), truncated_(t.truncated) {}

  // All or nothing, so an escape sequence is never cut in half. Sticky once something did not fit.
  bool put(const char* p, size_t n) noexcept {
    if (truncated_) return false;
    if (len_ + n + 1 > cap_) {
      truncated_ = true;
      return false;
    }
    std::memcpy(s_ + len_, p, n);
    len_ = static_cast<uint16_t>(len_ + n);
    s_[len_] = '\0';
    return true;
  }
  bool put(const char* z) noexcept { return put(z, std::strlen(z)); }
  bool ch(char c) noexcept { return put(&c, 1); }
  bool hex_byte(uint8_t b, const char* digits) noexcept {
    const char t[2] = {digits[b >> 4], digits[b & 0xf]};
    return put(t, 2);
  }
  bool dec(uint64_t v) noexcept {
    char tmp[20];
    size_t n = 0;
    do {
      tmp[sizeof(tmp) - 1 - n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    return put(tmp + sizeof(tmp) - n, n);
  }
  void mark_truncated() noexcept { truncated_ = true; }

 private:
  char* s_;
  size_t cap_;
  uint16_t& len_;
  bool& truncated_;
};

struct OidName {
  uint8_t len;
  uint8_t der[11];
  const char* name;
  uint16_t bits;  // curves: order size
};

// Dotted-decimal OID text (what OpenSSL prints for an OID it has no name for).
void oid_text(const Tlv& oid, Text& out) noexcept;
// OpenSSL long name of a signature or key algorithm, else the dotted OID.
void algorithm_name(const Tlv& oid, Text& out) noexcept;
// A named EC curve (OpenSSL short name and order bits), or nullptr.
const OidName* find_curve(const Tlv& oid) noexcept;

// An RDNSequence as X509_NAME_print_ex(XN_FLAG_RFC2253) prints it. `last_cn` (optional) receives the
// value of the last commonName in DER order. False if the DER structure is broken.
bool format_name(const Tlv& name, Text& out, Tlv* last_cn) noexcept;

// Zeek's cn: ASN1_STRING_print() of the raw value bytes (non-printables as '.'), up to a newline.
void common_name(const Tlv& value, Text& out) noexcept;

}  // namespace spanwatch::lib::x509_text
