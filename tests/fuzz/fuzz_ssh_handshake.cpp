// Fuzz target: the SSH identification line and KEXINIT parser (as a client and as a server, which may send
// lines before its banner) and HASSH. Input: one direction's stream. The parser must reach the same result
// whether the stream comes whole or cut into pieces.
#include <cstdint>
#include <cstring>

#include "lib/app/ssh_handshake.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;

namespace {

void check(const lib::SshHandshakeParser& p) {
  const lib::SshBanner& b = p.banner();
  FUZZ_CHECK(b.len <= lib::kSshBannerMax);
  FUZZ_CHECK(size_t{b.software_off} + b.software_len <= b.len || !p.has_banner());
  FUZZ_CHECK(size_t{b.comments_off} + b.comments_len <= b.len || !p.has_banner());
  const lib::SshKexInit& k = p.kexinit();
  FUZZ_CHECK(k.pool_used <= k.pool.size());
  for (const lib::SshNameList& l : k.lists) FUZZ_CHECK(size_t{l.off} + l.len <= k.pool.size());
  if (p.has_kexinit()) {
    for (lib::SshRole role : {lib::SshRole::kClient, lib::SshRole::kServer}) {
      lib::Hassh h;
      if (lib::ssh_hassh(k, role, h)) FUZZ_CHECK(h.raw_len <= lib::kHasshRawMax);
    }
  }
}

bool same(const lib::SshHandshakeParser& a, const lib::SshHandshakeParser& b) {
  if (a.status() != b.status() || a.has_banner() != b.has_banner() || a.has_kexinit() != b.has_kexinit() ||
      a.bytes_consumed() != b.bytes_consumed())
    return false;
  if (a.has_banner() && a.banner().text() != b.banner().text()) return false;
  if (a.has_kexinit()) {
    for (size_t i = 0; i < lib::kSshListCount; ++i)
      if (a.kexinit().list(lib::SshList(i)) != b.kexinit().list(lib::SshList(i))) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (lib::SshRole role : {lib::SshRole::kClient, lib::SshRole::kServer}) {
    lib::SshHandshakeParser whole(role);
    whole.feed(data, size);
    check(whole);
    lib::SshHandshakeParser pieces(role);
    spanwatch::fuzz::ChunkSplitter cut(data, size);
    for (size_t off = 0; off < size;) {
      const size_t n = cut.next(size - off);
      pieces.feed(data + off, n);
      off += n;
    }
    check(pieces);
    FUZZ_CHECK(same(whole, pieces));
  }
  return 0;
}
