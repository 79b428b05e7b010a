// Bounded DER reader for the X.509 parser (internal to lib/tls): one TLV at a time, every length checked
// against what its parent holds. Definite lengths of up to 4 octets only, as DER requires.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace spanwatch::lib::der {

inline constexpr uint8_t kTagBoolean = 0x01;
inline constexpr uint8_t kTagInteger = 0x02;
inline constexpr uint8_t kTagBitString = 0x03;
inline constexpr uint8_t kTagOctetString = 0x04;
inline constexpr uint8_t kTagOid = 0x06;
inline constexpr uint8_t kTagUtcTime = 0x17;
inline constexpr uint8_t kTagGeneralizedTime = 0x18;
inline constexpr uint8_t kTagSequence = 0x30;
inline constexpr uint8_t kTagSet = 0x31;
inline constexpr uint8_t kTagVersion = 0xa0;     // [0] EXPLICIT
inline constexpr uint8_t kTagExtensions = 0xa3;  // [3] EXPLICIT

struct Tlv {
  uint8_t tag = 0;  // identifier octet (high tag numbers keep their first octet: never an expected tag)
  const uint8_t* hdr = nullptr;
  const uint8_t* val = nullptr;
  size_t len = 0;
  size_t total() const noexcept { return static_cast<size_t>(val - hdr) + len; }
};

enum class HdrResult : uint8_t { kOk, kShort, kBad };

// Identifier and length octets at p[0..n). Definite lengths of up to 4 octets only (DER).
inline HdrResult read_header(const uint8_t* p, size_t n, uint8_t& tag, size_t& hdr_len,
                             size_t& len) noexcept {
  size_t i = 0;
  if (n < 2) return HdrResult::kShort;
  tag = p[i++];
  if ((tag & 0x1f) == 0x1f) {  // high tag number form: up to 4 continuation octets
    for (int k = 0;; ++k) {
      if (i >= n) return HdrResult::kShort;
      if (k == 4) return HdrResult::kBad;
      if ((p[i++] & 0x80) == 0) break;
    }
  }
  if (i >= n) return HdrResult::kShort;
  const uint8_t l0 = p[i++];
  if (l0 < 0x80) {
    len = l0;
  } else {
    const size_t nb = l0 & 0x7f;
    if (nb == 0 || nb > 4) return HdrResult::kBad;  // indefinite length, or absurdly long
    if (n - i < nb) return HdrResult::kShort;
    len = 0;
    for (size_t k = 0; k < nb; ++k) len = len << 8 | p[i++];
  }
  hdr_len = i;
  return HdrResult::kOk;
}

class Der {
 public:
  Der() noexcept = default;
  Der(const uint8_t* p, size_t n) noexcept : p_(p), n_(n) {}
  explicit Der(const Tlv& t) noexcept : p_(t.val), n_(t.len) {}
  bool empty() const noexcept { return pos_ >= n_; }

  bool next(Tlv& t) noexcept {
    if (pos_ >= n_) return false;
    size_t hdr = 0;
    size_t len = 0;
    uint8_t tag = 0;
    if (read_header(p_ + pos_, n_ - pos_, tag, hdr, len) != HdrResult::kOk) return false;
    if (len > n_ - pos_ - hdr) return false;
    t = {tag, p_ + pos_, p_ + pos_ + hdr, len};
    pos_ += hdr + len;
    return true;
  }
  bool next(uint8_t want, Tlv& t) noexcept { return next(t) && t.tag == want; }
  bool peek_tag(uint8_t& tag) const noexcept {
    if (pos_ >= n_) return false;
    tag = p_[pos_];
    return true;
  }

 private:
  const uint8_t* p_ = nullptr;
  size_t n_ = 0;
  size_t pos_ = 0;
};

// True if the OBJECT IDENTIFIER's content octets equal `want`.
template <size_t N>
bool oid_is(const Tlv& oid, const uint8_t (&want)[N]) noexcept {
  return oid.len == N && std::memcmp(oid.val, want, N) == 0;
}

}  // namespace spanwatch::lib::der
