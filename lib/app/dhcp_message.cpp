#include "lib/app/dhcp_message.hpp"

#include <cstring>

#include "lib/core/big_endian.hpp"

namespace spanwatch::lib {
namespace {

constexpr uint8_t kMagicCookie[4] = {99, 130, 83, 99};
constexpr uint8_t kFqdnFlagE = 0x04;  // RFC 4702 2.1: the name is in DNS wire format

enum : uint8_t {
  kOptPad = 0,
  kOptHostname = 12,
  kOptRequestedIp = 50,
  kOptLeaseTime = 51,
  kOptOverload = 52,
  kOptMessageType = 53,
  kOptServerId = 54,
  kOptParamList = 55,
  kOptVendorClass = 60,
  kOptClientId = 61,
  kOptFqdn = 81,
  kOptEnd = 255,
};

// Appends the codes as decimal text, comma-separated, continuing an existing list.
void append_codes(DhcpMessage& m, const uint8_t* p, size_t n) noexcept {
  auto& t = m.param_list;
  t.present = true;
  for (size_t i = 0; i < n; ++i) {
    char num[5];
    size_t k = 0;
    if (m.param_count > 0) num[k++] = ',';
    const uint8_t v = p[i];
    if (v >= 100) num[k++] = char('0' + v / 100);
    if (v >= 10) num[k++] = char('0' + v / 10 % 10);
    num[k++] = char('0' + v % 10);
    ++m.param_count;
    if (t.truncated || t.len + k > t.kCapacity) {
      t.truncated = true;  // never store half a number
      continue;
    }
    std::memcpy(t.buf.data() + t.len, num, k);
    t.len = static_cast<uint16_t>(t.len + k);
    t.buf[t.len] = '\0';
  }
}

// RFC 4702 with the E flag: uncompressed DNS labels (a partial name may omit the root), joined by '.'.
bool render_wire_name(const uint8_t* p, size_t n, BoundedText<kDhcpFqdnMax>& out) noexcept {
  char text[kDhcpFqdnMax];
  size_t len = 0, i = 0;
  bool cut = false;
  while (i < n) {
    const uint8_t l = p[i++];
    if (l == 0) break;
    if (l > 63 || i + l > n) return false;  // a compression pointer or a label past the option
    const size_t need = (len > 0 ? 1 : 0) + size_t(l);
    if (cut || len + need > sizeof(text)) {
      cut = true;  // keep whole labels only
    } else {
      if (len > 0) text[len++] = '.';
      std::memcpy(text + len, p + i, l);
      len += l;
    }
    i += l;
  }
  out.assign(text, len);
  out.truncated = cut;
  return true;
}

}  // namespace

std::string_view dhcp_message_type_name(uint8_t type) noexcept {
  static constexpr std::string_view kNames[] = {"",
                                                "DISCOVER",
                                                "OFFER",
                                                "REQUEST",
                                                "DECLINE",
                                                "ACK",
                                                "NAK",
                                                "RELEASE",
                                                "INFORM",
                                                "FORCERENEW",
                                                "LEASEQUERY",
                                                "LEASEUNASSIGNED",
                                                "LEASEUNKNOWN",
                                                "LEASEACTIVE",
                                                "BULKLEASEQUERY",
                                                "LEASEQUERYDONE",
                                                "ACTIVELEASEQUERY",
                                                "LEASEQUERYSTATUS",
                                                "TLS"};
  return type < std::size(kNames) ? kNames[type] : std::string_view{};
}

DhcpStatus parse_dhcp(const uint8_t* d, size_t len, DhcpMessage& out) noexcept {
  out = DhcpMessage{};
  if (d == nullptr || len < kBootpHeaderLen) return DhcpStatus::kTooShort;
  out.op = d[0];
  out.htype = d[1];
  out.hlen = d[2];
  out.hops = d[3];
  out.xid = be32(d + 4);
  out.secs = be16(d + 8);
  out.flags = be16(d + 10);
  out.ciaddr = IpAddress::from_v4(d + 12);
  out.yiaddr = IpAddress::from_v4(d + 16);
  out.siaddr = IpAddress::from_v4(d + 20);
  out.giaddr = IpAddress::from_v4(d + 24);
  std::memcpy(out.chaddr.data(), d + 28, out.chaddr.size());
  // sname (44..107) and file (108..235) are only used by option overload; not parsed.
  if (len < kDhcpOptionsOffset || std::memcmp(d + kBootpHeaderLen, kMagicCookie, 4) != 0) {
    return DhcpStatus::kNoCookie;
  }
  out.has_cookie = true;

  size_t pos = kDhcpOptionsOffset;
  while (pos < len) {
    const uint8_t code = d[pos];
    if (code == kOptPad) {
      ++pos;
      continue;
    }
    if (code == kOptEnd) {
      out.end_seen = true;
      break;
    }
    if (pos + 2 > len || pos + 2 + size_t(d[pos + 1]) > len) return DhcpStatus::kBadOptions;
    const uint8_t n = d[pos + 1];
    const uint8_t* v = d + pos + 2;
    ++out.option_count;
    switch (code) {
      case kOptMessageType:
        if (n >= 1 && out.message_type == 0) out.message_type = v[0];
        break;
      case kOptHostname:
        if (!out.hostname.present) out.hostname.assign(v, n);
        break;
      case kOptVendorClass:
        if (!out.vendor_class.present) out.vendor_class.assign(v, n);
        break;
      case kOptParamList:  // repeated instances are one list (RFC 3396)
        append_codes(out, v, n);
        break;
      case kOptRequestedIp:
        if (n == 4 && !out.has_requested_ip) {
          out.has_requested_ip = true;
          out.requested_ip = IpAddress::from_v4(v);
        }
        break;
      case kOptServerId:
        if (n == 4 && !out.has_server_id) {
          out.has_server_id = true;
          out.server_id = IpAddress::from_v4(v);
        }
        break;
      case kOptLeaseTime:
        if (n == 4 && !out.has_lease_time) {
          out.has_lease_time = true;
          out.lease_time_s = be32(v);
        }
        break;
      case kOptClientId:
        if (out.client_id_len == 0 && !out.client_id_truncated) {
          const size_t k = n < kDhcpClientIdMax ? n : kDhcpClientIdMax;
          std::memcpy(out.client_id.data(), v, k);
          out.client_id_len = static_cast<uint8_t>(k);
          out.client_id_truncated = k < n;
        }
        break;
      case kOptFqdn:
        if (n >= 3 && !out.has_fqdn) {
          out.has_fqdn = true;
          out.fqdn_flags = v[0];
          if ((v[0] & kFqdnFlagE) != 0) {
            out.fqdn_bad = !render_wire_name(v + 3, n - 3u, out.fqdn);
          } else {
            out.fqdn.assign(v + 3, n - 3u);  // deprecated ASCII form
          }
        }
        break;
      case kOptOverload:
        if (n >= 1) out.overload = v[0];
        break;
      default:
        break;
    }
    pos += 2 + size_t(n);
  }
  return DhcpStatus::kOk;
}

}  // namespace spanwatch::lib
