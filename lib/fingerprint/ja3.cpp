// JA3/JA3S: the string is produced once, streamed into MD5 through a 256-byte block (one MD5 update per
// block, not per value) and into the caller's (optional) buffer, so the hash is right even when the string
// copy is truncated.
#include "lib/fingerprint/ja3.hpp"

namespace spanwatch::lib {
namespace {

class Ja3Writer {
 public:
  Ja3Writer(char* str, size_t cap) noexcept : str_(str), cap_(str != nullptr ? cap : 0) {}

  void put(const char* p, size_t n) noexcept {
    if (pending_ + n > sizeof block_) flush();  // n is at most 10 (ch(), dec())
    for (size_t i = 0; i < n; ++i) block_[pending_ + i] = p[i];
    pending_ += n;
    for (size_t i = 0; i < n && cap_ != 0; ++i)
      if (len_ + i + 1 < cap_) str_[len_ + i] = p[i];
    len_ += n;
  }
  void ch(char c) noexcept { put(&c, 1); }
  void dec(uint32_t v) noexcept {
    char tmp[10];
    size_t n = 0;
    do {
      tmp[sizeof(tmp) - 1 - n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    put(tmp + sizeof(tmp) - n, n);
  }
  // Values joined with '-', GREASE dropped (point formats are 8-bit and never GREASE).
  template <typename T>
  void list(const T* v, size_t n) noexcept {
    bool first = true;
    for (size_t i = 0; i < n; ++i) {
      if constexpr (sizeof(T) == 2) {
        if (is_grease(v[i])) continue;
      }
      if (!first) ch('-');
      dec(v[i]);
      first = false;
    }
  }
  size_t finish(Md5Digest& hash_out) noexcept {
    flush();
    md5_.finish(hash_out.data());
    if (cap_ != 0) str_[len_ < cap_ ? len_ : cap_ - 1] = '\0';
    return len_;
  }

 private:
  // The string goes to MD5 in blocks: one MD5_Update per value (a few digits) cost more than the hashing.
  void flush() noexcept {
    md5_.update(block_, pending_);
    pending_ = 0;
  }

  Md5 md5_;
  char block_[256];
  size_t pending_ = 0;
  char* str_;
  size_t cap_;
  size_t len_ = 0;
};

}  // namespace

size_t ja3(const ClientHello& ch, Md5Digest& hash_out, char* str, size_t str_cap) noexcept {
  Ja3Writer w(str, str_cap);
  w.dec(ch.legacy_version);
  w.ch(',');
  w.list(ch.ciphers.begin(), ch.ciphers.size());
  w.ch(',');
  w.list(ch.extensions.begin(), ch.extensions.size());
  w.ch(',');
  w.list(ch.supported_groups.begin(), ch.supported_groups.size());
  w.ch(',');
  w.list(ch.ec_point_formats.begin(), ch.ec_point_formats.size());
  return w.finish(hash_out);
}

bool ja3_complete(const ClientHello& ch) noexcept {
  return !ch.ciphers.overflow() && !ch.extensions.overflow() && !ch.supported_groups.overflow() &&
         !ch.ec_point_formats.overflow();
}

size_t ja3s(uint16_t version, uint16_t cipher, const uint16_t* extensions, size_t extension_count,
            Md5Digest& hash_out, char* str, size_t str_cap) noexcept {
  Ja3Writer w(str, str_cap);
  w.dec(version);
  w.ch(',');
  w.dec(cipher);
  w.ch(',');
  if (extensions != nullptr) w.list(extensions, extension_count);
  return w.finish(hash_out);
}

}  // namespace spanwatch::lib
