#include "lib/app/dns_message.hpp"

#include <algorithm>
#include <cstring>

#include "lib/app/text_escape.hpp"
#include "lib/core/big_endian.hpp"

namespace spanwatch::lib {
namespace {

constexpr size_t kRrFixedLen = 10;  // type, class, ttl, rdlength after the owner name
constexpr char kRootText[] = "<Root>";
constexpr char kTooLongText[] = "<Name too long>";  // tshark's text for a name over 255 bytes

// tshark's display form of a name read by dns_read_name.
EscapeResult render_name(DnsNameError err, const uint8_t* raw, size_t raw_len, char* out,
                         size_t cap) noexcept {
  const char* fixed = err == DnsNameError::kTooLong ? kTooLongText : raw_len == 0 ? kRootText : nullptr;
  if (fixed != nullptr)
    return escape_text_tshark(reinterpret_cast<const uint8_t*>(fixed), std::strlen(fixed), out, cap);
  return escape_text_tshark(raw, raw_len, out, cap);
}

DnsText pool_put(DnsMessage& m, const char* s, size_t n, bool truncated) noexcept {
  DnsText t;
  t.off = m.pool_used;
  const size_t room = m.pool.size() - m.pool_used;
  const size_t k = std::min(n, room);
  std::memcpy(m.pool.data() + m.pool_used, s, k);
  t.len = static_cast<uint16_t>(k);
  t.truncated = truncated || k < n;
  m.pool_used = static_cast<uint16_t>(m.pool_used + k);
  return t;
}

// A name inside rdata: its in-place part must end within the rdata.
DnsText rdata_name(DnsMessage& m, const uint8_t* msg, size_t len, size_t at, size_t rd_end,
                   bool& bad) noexcept {
  uint8_t raw[kDnsMaxNameWire];
  size_t raw_len = 0, next = 0;
  const DnsNameError e = dns_read_name(msg, len, at, raw, raw_len, next);
  if ((e != DnsNameError::kNone && e != DnsNameError::kTooLong) || next > rd_end) {
    bad = true;
    return {};
  }
  char text[kDnsNameTextMax + 1];
  const EscapeResult r = render_name(e, raw, raw_len, text, sizeof(text));
  return pool_put(m, text, r.len, r.truncated);
}

DnsText render_rdata(DnsMessage& m, const uint8_t* msg, size_t len, uint16_t type, size_t rd, uint16_t rdlen,
                     bool& bad) noexcept {
  const uint8_t* p = msg + rd;
  const size_t rd_end = rd + rdlen;
  char text[kDnsNameTextMax + 1];
  switch (type) {
    case kDnsTypeA:
    case kDnsTypeAaaa: {
      if (rdlen != (type == kDnsTypeA ? 4 : 16)) {
        bad = true;
        return {};
      }
      const IpAddress a = type == kDnsTypeA ? IpAddress::from_v4(p) : IpAddress::from_v6(p);
      char buf[kIpTextMax];
      return pool_put(m, buf, a.format(buf, sizeof(buf)), false);
    }
    case kDnsTypeNs:
    case kDnsTypeCname:
    case kDnsTypePtr:
    case kDnsTypeDname:
      return rdata_name(m, msg, len, rd, rd_end, bad);
    case kDnsTypeMx:  // preference, exchange
      if (rdlen < 3) break;
      return rdata_name(m, msg, len, rd + 2, rd_end, bad);
    case kDnsTypeSrv:  // priority, weight, port, target
      if (rdlen < 7) break;
      return rdata_name(m, msg, len, rd + 6, rd_end, bad);
    case kDnsTypeTxt: {
      if (rdlen < 1 || size_t(1) + p[0] > rdlen) break;
      const EscapeResult r = escape_text_tshark(p + 1, p[0], text, sizeof(text));
      return pool_put(m, text, r.len, r.truncated);
    }
    default:
      return {};
  }
  bad = true;
  return {};
}

}  // namespace

DnsNameError dns_read_name(const uint8_t* msg, size_t len, size_t off, uint8_t (&raw)[kDnsMaxNameWire],
                           size_t& raw_len, size_t& next) noexcept {
  raw_len = 0;
  next = 0;
  size_t pos = off;
  size_t floor = off;  // a pointer must target below the start of the run it ends
  bool jumped = false;
  unsigned jumps = 0;
  size_t wire = 1;  // the root octet
  bool too_long = false;
  for (;;) {
    if (pos >= len) return DnsNameError::kPastEnd;
    const uint8_t b = msg[pos];
    if (b == 0) {
      if (!jumped) next = pos + 1;
      return too_long ? DnsNameError::kTooLong : DnsNameError::kNone;
    }
    switch (b & 0xc0) {
      case 0x00: {
        if (pos + 1 + b > len) return DnsNameError::kPastEnd;
        wire += 1 + size_t(b);
        if (wire > kDnsMaxNameWire) {
          // Keep reading only to find where the name ends in place (tshark still decodes the record).
          too_long = true;
          if (jumped) return DnsNameError::kTooLong;
        }
        if (!too_long) {
          if (raw_len > 0) raw[raw_len++] = '.';
          std::memcpy(raw + raw_len, msg + pos + 1, b);
          raw_len += b;
        }
        pos += 1 + size_t(b);
        break;
      }
      case 0xc0: {
        if (pos + 1 >= len) return DnsNameError::kPastEnd;
        const size_t target = size_t(b & 0x3f) << 8 | msg[pos + 1];
        if (!jumped) next = pos + 2;
        if (too_long) return DnsNameError::kTooLong;
        // Strictly backwards from the current run's start: every jump lowers `floor`, so no loop.
        if (target >= floor || ++jumps > kDnsMaxPointers) return DnsNameError::kBadPointer;
        jumped = true;
        floor = target;
        pos = target;
        break;
      }
      default:
        return DnsNameError::kBadLabel;  // 0x40 extended (RFC 6891 retired them) or reserved 0x80
    }
  }
}

DnsStatus parse_dns(const uint8_t* d, size_t len, DnsMessage& out) noexcept {
  out = DnsMessage{};
  out.wire_len = static_cast<uint32_t>(len);
  if (d == nullptr || len < kDnsHeaderLen) return DnsStatus::kTooShort;
  DnsHeader& h = out.header;
  h.id = be16(d);
  h.flags = be16(d + 2);
  h.qr = (h.flags & 0x8000) != 0;
  h.opcode = uint8_t((h.flags >> 11) & 0xf);
  h.aa = (h.flags & 0x0400) != 0;
  h.tc = (h.flags & 0x0200) != 0;
  h.rd = (h.flags & 0x0100) != 0;
  h.ra = (h.flags & 0x0080) != 0;
  h.z = (h.flags & 0x0040) != 0;
  h.ad = (h.flags & 0x0020) != 0;
  h.cd = (h.flags & 0x0010) != 0;
  h.rcode = uint8_t(h.flags & 0xf);
  h.qdcount = be16(d + 4);
  h.ancount = be16(d + 6);
  h.nscount = be16(d + 8);
  h.arcount = be16(d + 10);

  size_t pos = kDnsHeaderLen;
  uint8_t raw[kDnsMaxNameWire];
  size_t raw_len = 0, next = 0;
  for (uint32_t i = 0; i < h.qdcount; ++i) {
    const DnsNameError e = dns_read_name(d, len, pos, raw, raw_len, next);
    const bool readable = e == DnsNameError::kNone || e == DnsNameError::kTooLong;
    if (i == 0) {
      out.qname_error = e;
      if (!readable || next + 4 > len) return DnsStatus::kMalformed;
      const EscapeResult r = render_name(e, raw, raw_len, out.qname, sizeof(out.qname));
      out.qname_len = static_cast<uint16_t>(r.len);
      out.qname_truncated = r.truncated;
      out.qtype = be16(d + next);
      out.qclass = be16(d + next + 2);
      out.has_question = true;
    } else if (!readable) {
      return e == DnsNameError::kPastEnd ? DnsStatus::kTruncated : DnsStatus::kMalformed;
    } else if (next + 4 > len) {
      return DnsStatus::kTruncated;
    }
    pos = next + 4;
  }

  for (uint32_t i = 0; i < h.ancount; ++i) {
    const DnsNameError e = dns_read_name(d, len, pos, raw, raw_len, next);
    if (e != DnsNameError::kNone && e != DnsNameError::kTooLong) {
      return e == DnsNameError::kPastEnd ? DnsStatus::kTruncated : DnsStatus::kMalformed;
    }
    if (next + kRrFixedLen > len) return DnsStatus::kTruncated;
    const uint16_t type = be16(d + next);
    const uint16_t rdlen = be16(d + next + 8);
    const size_t rd = next + kRrFixedLen;
    if (rd + rdlen > len) return DnsStatus::kTruncated;
    ++out.answers_read;
    if ((type == kDnsTypeA && rdlen == 4) || (type == kDnsTypeAaaa && rdlen == 16)) {
      if (out.ip_count < kDnsMaxIps) {
        out.ips[out.ip_count++] = type == kDnsTypeA ? IpAddress::from_v4(d + rd) : IpAddress::from_v6(d + rd);
      }
      ++out.ips_total;
    }
    if (out.answer_count < kDnsMaxAnswers) {
      DnsAnswer& a = out.answers[out.answer_count++];
      a.type = type;
      a.rclass = be16(d + next + 2);
      a.ttl = be32(d + next + 4);
      a.rdlength = rdlen;
      char text[kDnsNameTextMax + 1];
      const EscapeResult r = render_name(e, raw, raw_len, text, sizeof(text));
      a.name = pool_put(out, text, r.len, r.truncated);
      a.data = render_rdata(out, d, len, type, rd, rdlen, a.bad_rdata);
    }
    pos = rd + rdlen;
  }
  return DnsStatus::kOk;
}

DnsStatus parse_dns_tcp(const uint8_t* data, size_t len, DnsMessage& out) noexcept {
  if (data == nullptr || len < 2) {
    out = DnsMessage{};
    return DnsStatus::kTooShort;
  }
  const size_t msg_len = be16(data);
  const size_t avail = std::min(len - 2, msg_len);
  const DnsStatus s = parse_dns(data + 2, avail, out);
  out.wire_len = static_cast<uint32_t>(msg_len);
  out.cut = avail < msg_len;
  return s;
}

}  // namespace spanwatch::lib
