#include "lib/fingerprint/hassh.hpp"

#include <cstring>

namespace spanwatch::lib {

void hassh(std::string_view kex, std::string_view enc, std::string_view mac, std::string_view comp,
           Hassh& out) noexcept {
  out = Hassh{};
  const std::string_view parts[4] = {kex, enc, mac, comp};
  Md5 md5;
  size_t stored = 0;
  for (size_t i = 0; i < 4; ++i) {
    // Hash and raw copy are built from the same pieces, so no joined copy of unbounded size is needed.
    const std::string_view piece = parts[i];
    if (i > 0) {
      md5.update(";", 1);
      if (stored < kHasshRawMax) {
        out.raw[stored++] = ';';
      } else {
        out.raw_truncated = true;
      }
    }
    md5.update(piece.data(), piece.size());
    const size_t room = kHasshRawMax - stored;
    const size_t n = piece.size() < room ? piece.size() : room;
    if (n > 0) std::memcpy(out.raw + stored, piece.data(), n);
    stored += n;
    if (n < piece.size()) out.raw_truncated = true;
  }
  out.raw[stored] = '\0';
  out.raw_len = static_cast<uint16_t>(stored);

  md5.finish(out.md5.data());
}

}  // namespace spanwatch::lib
