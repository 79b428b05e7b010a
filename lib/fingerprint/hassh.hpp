// HASSH (salesforce/hassh): MD5 of "kex;enc;mac;comp" taken from one side's SSH_MSG_KEXINIT name-lists.
// The client's HASSH uses the *_client_to_server lists, HASSH-server the *_server_to_client lists; which
// lists to pass is the caller's business (lib/app/ssh_handshake.hpp does it). No allocation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/fingerprint/digest.hpp"

namespace spanwatch::lib {

// The hashed string ("hasshAlgorithms") is kept up to this many bytes; real KEXINITs stay well under it
// (OpenSSH 10: about 700 bytes), the MD5 always covers the whole string.
inline constexpr size_t kHasshRawMax = 1023;

struct Hassh {
  Md5Digest md5 = {};
  char raw[kHasshRawMax + 1] = {};  // "kex;enc;mac;comp" as hashed, NUL-terminated, cut at kHasshRawMax
  uint16_t raw_len = 0;             // bytes stored in raw
  bool raw_truncated = false;       // the hashed string was longer than kHasshRawMax

  std::string_view algorithms() const noexcept { return {raw, raw_len}; }
};

// Fills `out` from the four name-lists exactly as they appear on the wire (comma-separated names).
void hassh(std::string_view kex, std::string_view enc, std::string_view mac, std::string_view comp,
           Hassh& out) noexcept;

}  // namespace spanwatch::lib
