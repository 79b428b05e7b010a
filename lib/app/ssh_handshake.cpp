#include "lib/app/ssh_handshake.hpp"

#include <algorithm>
#include <cstring>

#include "lib/core/big_endian.hpp"

namespace spanwatch::lib {
namespace {

constexpr char kSshPrefix[] = "SSH-";
constexpr size_t kSshPrefixLen = 4;
constexpr size_t kPacketHeaderLen = 5;  // uint32 packet_length, byte padding_length
constexpr size_t kListLenBytes = 4;

}  // namespace

SshStatus SshHandshakeParser::feed(const uint8_t* data, size_t len) noexcept {
  if (status_ != SshStatus::kNeedMore || data == nullptr) return status_;
  size_t off = 0;
  while (off < len && status_ == SshStatus::kNeedMore) {
    const size_t used =
        stage_ == Stage::kLine ? feed_line(data + off, len - off) : feed_packet(data + off, len - off);
    if (used == 0) break;  // cannot happen (each call consumes or ends the parse); guards against a spin
    off += used;
  }
  consumed_ += static_cast<uint32_t>(off);
  return status_;
}

size_t SshHandshakeParser::feed_line(const uint8_t* p, size_t n) noexcept {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = p[i];
    if (c == '\n') {
      finish_line();
      return i + 1;
    }
    if (line_total_ < kSshPrefixLen && c != uint8_t(kSshPrefix[line_total_])) {
      // A client must open with its banner; a server may send other lines first.
      if (role_ == SshRole::kClient) {
        fail(SshStatus::kNotSsh);
        return i + 1;
      }
      line_is_banner_ = false;
    }
    if (line_total_ < kSshBannerMax) banner_.line[line_total_] = char(c);
    ++line_total_;
    last_was_cr_ = c == '\r';
    if (line_total_ > kSshMaxLineScan) {
      fail(line_is_banner_ ? SshStatus::kMalformed : SshStatus::kNotSsh);
      return i + 1;
    }
  }
  return n;
}

void SshHandshakeParser::finish_line() noexcept {
  const bool is_banner = line_is_banner_ && line_total_ >= kSshPrefixLen;
  if (!is_banner) {
    if (role_ == SshRole::kClient) {
      fail(SshStatus::kNotSsh);
      return;
    }
    pre_banner_bytes_ += line_total_ + 1;
    ++banner_.pre_banner_lines;
    if (pre_banner_bytes_ > kSshMaxPreBannerBytes || banner_.pre_banner_lines > kSshMaxPreBannerLines) {
      fail(SshStatus::kNotSsh);
    }
    line_total_ = 0;
    line_is_banner_ = true;
    last_was_cr_ = false;
    return;
  }
  // The line ends at LF; a CR before it belongs to the terminator (RFC 4253 also tolerates a bare LF).
  const size_t content = line_total_ - (last_was_cr_ ? 1 : 0);
  const size_t len = std::min(content, kSshBannerMax);
  banner_.len = static_cast<uint16_t>(len);
  banner_.truncated = content > kSshBannerMax;
  std::fill(banner_.line.begin() + static_cast<std::ptrdiff_t>(len), banner_.line.end(), '\0');

  // "SSH-" protoversion "-" softwareversion [SP comments]
  const char* s = banner_.line.data();
  size_t i = kSshPrefixLen;
  while (i < len && s[i] != '-' && s[i] != ' ') ++i;
  banner_.proto_len = static_cast<uint8_t>(std::min<size_t>(i - kSshPrefixLen, UINT8_MAX));
  if (i < len && s[i] == '-') {
    const size_t sw = i + 1;
    size_t e = sw;
    while (e < len && s[e] != ' ') ++e;
    banner_.software_off = static_cast<uint16_t>(sw);
    banner_.software_len = static_cast<uint16_t>(e - sw);
    if (e < len) {
      banner_.comments_off = static_cast<uint16_t>(e + 1);
      banner_.comments_len = static_cast<uint16_t>(len - e - 1);
    }
  }
  has_banner_ = true;
  if (!banner_.is_v2()) {
    status_ = SshStatus::kDone;  // SSH-1.x frames packets differently; there is no KEXINIT to read
    return;
  }
  stage_ = Stage::kPacketHeader;
  acc_len_ = 0;
}

bool SshHandshakeParser::take(const uint8_t*& p, const uint8_t* end, size_t need) noexcept {
  const size_t n = std::min(need - acc_len_, size_t(end - p));
  std::memcpy(acc_.data() + acc_len_, p, n);
  acc_len_ = static_cast<uint8_t>(acc_len_ + n);
  p += n;
  return acc_len_ == need;
}

void SshHandshakeParser::end_list() noexcept {
  kex_.pool_used = static_cast<uint16_t>(kex_.pool_used + kex_.lists[list_index_].len);
  if (++list_index_ < kSshListCount) {
    stage_ = Stage::kListLen;
    return;
  }
  if (payload_left_ > 0) {
    stage_ = Stage::kFollows;
    return;
  }
  finish_kexinit();  // no first_kex_packet_follows byte: lenient, the lists are what matters
}

void SshHandshakeParser::finish_kexinit() noexcept {
  has_kexinit_ = true;
  status_ = SshStatus::kDone;
}

size_t SshHandshakeParser::feed_packet(const uint8_t* p, size_t n) noexcept {
  const uint8_t* q = p;
  const uint8_t* const end = p + n;
  while (q < end && status_ == SshStatus::kNeedMore) {
    switch (stage_) {
      case Stage::kPacketHeader: {
        if (!take(q, end, kPacketHeaderLen)) break;
        acc_len_ = 0;
        const uint32_t packet_len = be32(acc_.data());
        const uint8_t pad = acc_[4];
        // The payload must hold at least the message number.
        if (packet_len > kSshMaxPacketLen || packet_len < uint32_t(pad) + 2) {
          fail(SshStatus::kMalformed);
          break;
        }
        kex_.packet_len = packet_len;
        kex_.padding_len = pad;
        payload_left_ = packet_len - pad - 1;
        stage_ = Stage::kMsgType;
        break;
      }
      case Stage::kMsgType: {
        const uint8_t msg = *q++;
        --payload_left_;
        if (msg == kSshMsgKexInit) {
          if (payload_left_ < kSshCookieLen) {
            fail(SshStatus::kMalformed);
            break;
          }
          list_left_ = kSshCookieLen;
          stage_ = Stage::kCookie;
          break;
        }
        if (++skipped_packets_ > kSshMaxSkippedPackets) {
          fail(SshStatus::kMalformed);
          break;
        }
        payload_left_ += kex_.padding_len;  // skip the rest of the packet, padding included
        stage_ = payload_left_ > 0 ? Stage::kSkip : Stage::kPacketHeader;
        break;
      }
      case Stage::kSkip: {
        const size_t k = std::min<size_t>(size_t(end - q), payload_left_);
        q += k;
        payload_left_ -= static_cast<uint32_t>(k);
        if (payload_left_ == 0) stage_ = Stage::kPacketHeader;
        break;
      }
      case Stage::kCookie: {
        const size_t k = std::min<size_t>(size_t(end - q), list_left_);
        std::memcpy(kex_.cookie.data() + (kSshCookieLen - list_left_), q, k);
        q += k;
        list_left_ -= static_cast<uint32_t>(k);
        payload_left_ -= static_cast<uint32_t>(k);
        if (list_left_ == 0) stage_ = Stage::kListLen;
        break;
      }
      case Stage::kListLen: {
        if (acc_len_ == 0 && payload_left_ < kListLenBytes) {
          fail(SshStatus::kMalformed);
          break;
        }
        if (!take(q, end, kListLenBytes)) break;
        acc_len_ = 0;
        payload_left_ -= kListLenBytes;
        const uint32_t wire_len = be32(acc_.data());
        if (wire_len > payload_left_) {
          fail(SshStatus::kMalformed);
          break;
        }
        SshNameList& l = kex_.lists[list_index_];
        l.wire_len = wire_len;
        l.off = kex_.pool_used;
        const bool minor =
            list_index_ == size_t(SshList::kHostKey) || list_index_ >= size_t(SshList::kLangC2s);
        const size_t room = kSshNameListPool - kex_.pool_used;
        list_cap_ =
            static_cast<uint16_t>(std::min<size_t>({wire_len, room, minor ? kSshMinorListMax : room}));
        list_left_ = wire_len;
        if (list_left_ == 0) {
          end_list();
        } else {
          stage_ = Stage::kListBody;
        }
        break;
      }
      case Stage::kListBody: {
        SshNameList& l = kex_.lists[list_index_];
        const size_t k = std::min<size_t>(size_t(end - q), list_left_);
        const size_t store = std::min<size_t>(k, size_t(list_cap_ - l.len));
        std::memcpy(kex_.pool.data() + l.off + l.len, q, store);
        l.len = static_cast<uint16_t>(l.len + store);
        q += k;
        list_left_ -= static_cast<uint32_t>(k);
        payload_left_ -= static_cast<uint32_t>(k);
        if (list_left_ == 0) end_list();
        break;
      }
      case Stage::kFollows:
        kex_.first_kex_packet_follows = *q++ != 0;
        finish_kexinit();
        break;
      case Stage::kLine:
        return size_t(q - p);  // unreachable: lines are fed by feed_line
    }
  }
  return size_t(q - p);
}

bool ssh_hassh(const SshKexInit& kex, SshRole role, Hassh& out) noexcept {
  const bool client = role == SshRole::kClient;
  const SshList lists[4] = {SshList::kKex, client ? SshList::kEncC2s : SshList::kEncS2c,
                            client ? SshList::kMacC2s : SshList::kMacS2c,
                            client ? SshList::kCompC2s : SshList::kCompS2c};
  for (SshList l : lists) {
    if (kex.lists[size_t(l)].truncated()) {
      out = Hassh{};
      return false;
    }
  }
  hassh(kex.list(lists[0]), kex.list(lists[1]), kex.list(lists[2]), kex.list(lists[3]), out);
  return true;
}

}  // namespace spanwatch::lib
