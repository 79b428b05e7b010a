// The start of one direction of an SSH connection: the identification line (RFC 4253 4.2) and the first
// SSH_MSG_KEXINIT (RFC 4253 7.1), parsed incrementally from in-order TCP payload into fixed-size fields.
// One parser per direction; it keeps no pointer into the caller's bytes and never allocates.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "lib/fingerprint/hassh.hpp"

namespace spanwatch::lib {

enum class SshRole : uint8_t { kClient, kServer };

enum class SshStatus : uint8_t {
  kNeedMore,   // consistent so far: feed the next in-order bytes
  kDone,       // banner and KEXINIT parsed, or an SSH-1 banner (no KEXINIT follows)
  kNotSsh,     // the stream does not open with an identification line
  kMalformed,  // an over-long line, impossible packet lengths, or no KEXINIT among the first packets
  kCount
};
inline constexpr std::array<std::string_view, size_t(SshStatus::kCount)> kSshStatusNames{
    "need_more", "done", "not_ssh", "malformed"};
inline std::string_view to_string(SshStatus s) noexcept {
  return kSshStatusNames[size_t(s)];
}

// RFC 4253 4.2 allows 255 bytes including CR LF; longer lines are kept cut at this length and flagged.
inline constexpr size_t kSshBannerMax = 255;
// A line (banner or pre-banner) longer than this without LF ends the parse: no SSH peer sends one.
inline constexpr size_t kSshMaxLineScan = 8192;
// Servers may send other lines first (RFC 4253 4.2); OpenSSH's client accepts 1024 lines of them.
inline constexpr size_t kSshMaxPreBannerBytes = 16384;
inline constexpr uint16_t kSshMaxPreBannerLines = 1024;
// RFC 4253 6.1: implementations must handle packets of 35000 bytes; a larger length is not SSH framing.
inline constexpr uint32_t kSshMaxPacketLen = 35000;
// Non-KEXINIT packets (SSH_MSG_IGNORE, ...) skipped before giving up.
inline constexpr uint8_t kSshMaxSkippedPackets = 4;
inline constexpr uint8_t kSshMsgKexInit = 20;
inline constexpr size_t kSshCookieLen = 16;

// The ten KEXINIT name-lists in wire order.
enum class SshList : uint8_t {
  kKex,
  kHostKey,
  kEncC2s,
  kEncS2c,
  kMacC2s,
  kMacS2c,
  kCompC2s,
  kCompS2c,
  kLangC2s,
  kLangS2c,
  kCount
};
inline constexpr size_t kSshListCount = size_t(SshList::kCount);
// Bytes for all stored name-lists. Host-key and language lists are capped at kSshMinorListMax so a long
// one cannot crowd out the lists HASSH needs (OpenSSH 10 sends about 1.7 KB in all ten lists).
inline constexpr size_t kSshNameListPool = 2048;
inline constexpr size_t kSshMinorListMax = 384;

struct SshBanner {
  // The line without CR LF (what tshark shows as ssh.protocol), NUL-terminated. It may contain NUL
  // itself: len is authoritative.
  std::array<char, kSshBannerMax + 1> line{};
  uint16_t len = 0;
  bool truncated = false;  // the line was longer than kSshBannerMax
  uint8_t proto_len = 0;   // "2.0", "1.99", "1.5" at line[4]
  uint16_t software_off = 0, software_len = 0;
  uint16_t comments_off = 0, comments_len = 0;  // after the first space; 0 when absent
  uint16_t pre_banner_lines = 0;                // other lines before it (servers only)

  std::string_view text() const noexcept { return {line.data(), len}; }
  std::string_view proto_version() const noexcept { return {line.data() + 4, proto_len}; }
  std::string_view software() const noexcept { return {line.data() + software_off, software_len}; }
  std::string_view comments() const noexcept { return {line.data() + comments_off, comments_len}; }
  // SSH-2.0, or SSH-1.99 (a server that also speaks 2.0): a KEXINIT follows.
  bool is_v2() const noexcept { return proto_version() == "2.0" || proto_version() == "1.99"; }
};

struct SshNameList {
  uint32_t wire_len = 0;  // bytes on the wire
  uint16_t off = 0;       // into SshKexInit::pool
  uint16_t len = 0;       // bytes stored; < wire_len when cut
  bool truncated() const noexcept { return len < wire_len; }
};

struct SshKexInit {
  uint32_t packet_len = 0;  // of the KEXINIT binary packet
  uint8_t padding_len = 0;
  bool first_kex_packet_follows = false;
  std::array<uint8_t, kSshCookieLen> cookie{};
  std::array<SshNameList, kSshListCount> lists{};
  std::array<char, kSshNameListPool> pool{};
  uint16_t pool_used = 0;

  std::string_view list(SshList l) const noexcept {
    const SshNameList& n = lists[size_t(l)];
    return {pool.data() + n.off, n.len};
  }
};

class SshHandshakeParser {
 public:
  explicit SshHandshakeParser(SshRole role = SshRole::kClient) noexcept : role_(role) {}

  // Consumes the next in-order payload bytes of this direction. After kDone/kNotSsh/kMalformed further
  // calls change nothing and return the same status.
  SshStatus feed(const uint8_t* data, size_t len) noexcept;

  SshStatus status() const noexcept { return status_; }
  SshRole role() const noexcept { return role_; }
  bool has_banner() const noexcept { return has_banner_; }
  bool has_kexinit() const noexcept { return has_kexinit_; }
  const SshBanner& banner() const noexcept { return banner_; }
  const SshKexInit& kexinit() const noexcept { return kex_; }
  uint32_t bytes_consumed() const noexcept { return consumed_; }
  uint8_t skipped_packets() const noexcept { return skipped_packets_; }

 private:
  enum class Stage : uint8_t {
    kLine,
    kPacketHeader,
    kMsgType,
    kSkip,
    kCookie,
    kListLen,
    kListBody,
    kFollows
  };

  size_t feed_line(const uint8_t* p, size_t n) noexcept;
  size_t feed_packet(const uint8_t* p, size_t n) noexcept;
  void finish_line() noexcept;
  void end_list() noexcept;
  void finish_kexinit() noexcept;
  bool take(const uint8_t*& p, const uint8_t* end, size_t need) noexcept;  // into acc_
  void fail(SshStatus s) noexcept { status_ = s; }

  SshRole role_;
  SshStatus status_ = SshStatus::kNeedMore;
  Stage stage_ = Stage::kLine;
  bool has_banner_ = false, has_kexinit_ = false;
  bool line_is_banner_ = true;  // the current line still matches "SSH-"
  bool last_was_cr_ = false;
  uint8_t skipped_packets_ = 0;
  uint8_t list_index_ = 0;
  uint8_t acc_len_ = 0;
  std::array<uint8_t, 5> acc_{};  // a length field split across calls
  uint32_t line_total_ = 0;       // bytes of the current line before LF
  uint32_t pre_banner_bytes_ = 0;
  uint32_t consumed_ = 0;
  uint32_t payload_left_ = 0;  // of the current binary packet (KEXINIT payload, or bytes to skip)
  uint32_t list_left_ = 0;     // of the current name-list (or of the cookie)
  uint16_t list_cap_ = 0;      // bytes of the current name-list that will be stored
  SshBanner banner_;
  SshKexInit kex_;
};
static_assert(std::is_trivially_copyable_v<SshHandshakeParser>,
              "lives in flow state; copied and reset by value");

// HASSH of a parsed KEXINIT: the client's (c2s lists) for SshRole::kClient, HASSH-server (s2c lists) for
// kServer. Returns false, leaving `out` empty, when a needed list did not fit the pool (the hash would be
// wrong).
bool ssh_hassh(const SshKexInit& kex, SshRole role, Hassh& out) noexcept;

}  // namespace spanwatch::lib
