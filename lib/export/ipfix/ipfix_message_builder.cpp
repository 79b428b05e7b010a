#include "lib/export/ipfix/ipfix_message_builder.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "lib/core/hex_digits.hpp"

namespace spanwatch::lib::ipfix {
namespace {

uint8_t* put8(uint8_t* p, uint8_t v) noexcept {
  *p = v;
  return p + 1;
}
uint8_t* put16(uint8_t* p, uint16_t v) noexcept {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
  return p + 2;
}
uint8_t* put32(uint8_t* p, uint32_t v) noexcept {
  for (int i = 3; i >= 0; --i) *p++ = uint8_t(v >> (8 * i));
  return p;
}
uint8_t* put64(uint8_t* p, uint64_t v) noexcept {
  for (int i = 7; i >= 0; --i) *p++ = uint8_t(v >> (8 * i));
  return p;
}
uint8_t* put_bytes(uint8_t* p, const uint8_t* src, size_t n) noexcept {
  if (n != 0) std::memcpy(p, src, n);  // an empty string_view may have a null data()
  return p + n;
}
// RFC 7011 7: one length byte below 255, else 255 and a 2-byte length.
uint8_t* put_string(uint8_t* p, std::string_view s, size_t bound) noexcept {
  const size_t n = std::min({s.size(), bound, kMaxStringBytes});
  if (n < 255) {
    p = put8(p, uint8_t(n));
  } else {
    p = put8(p, 255);
    p = put16(p, uint16_t(n));
  }
  return put_bytes(p, reinterpret_cast<const uint8_t*>(s.data()), n);
}

uint8_t end_reason(EndReason r) noexcept {
  switch (r) {
    case EndReason::kIdleTimeout:
      return kEndIdleTimeout;
    case EndReason::kActiveTimeout:
    case EndReason::kLiveUpdate:
      return kEndActiveTimeout;
    case EndReason::kEndOfFlow:
    case EndReason::kTcpReuse:  // a new SYN on the same 5-tuple ended the connection
      return kEndOfFlow;
    case EndReason::kEvicted:
      return kEndLackOfResources;
    case EndReason::kShutdown:
    case EndReason::kCount:
      break;
  }
  return kEndForced;
}

bool is_icmp(const FlowRecord& r) noexcept {
  return r.l4_proto == 1 || r.l4_proto == 58;
}

bool has_l7_name(const L7Info& l7) noexcept {
  return l7.state == L7State::kDetected || l7.state == L7State::kGuessed;
}

// nDPI's "master.app" name in lower case, as spanwatch.l7.proto in flows.json.
std::string_view app_name(const L7Info& l7, const L7NameTable* t,
                          std::array<char, kMaxAppNameBytes>& buf) noexcept {
  if (l7.state == L7State::kUnknown) return "unknown";
  if (t == nullptr || !has_l7_name(l7)) return {};
  size_t n = 0;
  auto append = [&](std::string_view s) {
    for (char c : s) {
      if (n == buf.size()) return;
      buf[n++] = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    }
  };
  if (l7.master_id != 0 && l7.master_id != l7.app_id) {
    append(t->protocol(l7.master_id));
    if (l7.app_id != 0) {
      append(".");
      append(t->protocol(l7.app_id));
    }
  } else {
    append(t->protocol(l7.app_id));
  }
  return {buf.data(), n};
}

std::string_view labels(const FlowEnrichment* e, std::array<char, kMaxLabelsBytes>& buf) noexcept {
  if (e == nullptr) return {};
  size_t n = 0;
  for (size_t i = 0; i < size_t(FlowLabel::kCount); ++i) {
    if (!has_label(e->labels, FlowLabel(i))) continue;
    const std::string_view name = kFlowLabelNames[i];
    if (n + 1 + name.size() > buf.size()) break;
    if (n != 0) buf[n++] = ',';
    std::memcpy(buf.data() + n, name.data(), name.size());
    n += name.size();
  }
  return {buf.data(), n};
}

const TlsMetadata* tls_of(const FlowRecord& r) noexcept {
  return r.app.kind == AppKind::kTls ? &r.app.tls : nullptr;
}

const std::array<uint8_t, 6>& mac_of(const DirStats& d) noexcept {
  static constexpr std::array<uint8_t, 6> kNone{};
  return d.has_mac ? d.mac : kNone;
}

}  // namespace

MessageBuilder::MessageBuilder(uint32_t observation_domain, size_t max_message_bytes,
                               const L7NameTable* l7_names)
    : domain_(observation_domain),
      l7_names_(l7_names),
      buf_(std::clamp(max_message_bytes, kMinMessageBytes, kMaxMessageBytes)) {}

bool MessageBuilder::add_templates() noexcept {
  if (!empty()) return false;
  uint8_t* p = buf_.data() + len_;
  uint8_t* const set = p;
  p += kSetHeaderBytes;
  for (bool v6 : {false, true}) {
    uint16_t fields = 0;
    for (const Element& e : kElements) fields += in_family(e, v6);
    p = put16(p, v6 ? kTemplateIdV6 : kTemplateIdV4);
    p = put16(p, fields);
    for (const Element& e : kElements) {
      if (!in_family(e, v6)) continue;
      p = put16(p, e.pen ? uint16_t(e.id | 0x8000) : e.id);  // enterprise bit, then the enterprise number
      p = put16(p, e.length);
      if (e.pen) p = put32(p, e.pen);
    }
  }
  const size_t set_len = size_t(p - set);
  put16(set, kTemplateSetId);
  put16(set + 2, uint16_t(set_len));
  len_ += set_len;
  has_templates_ = true;
  return true;
}

size_t MessageBuilder::encode_record(const FlowRecord& r, const FlowEnrichment* e,
                                     uint8_t* out) const noexcept {
  const bool v6 = !r.src_ip.is_v4();
  const bool icmp = is_icmp(r);
  const TlsMetadata* tls = tls_of(r);
  const DirStats& o = r.dir[size_t(Dir::kOrig)];
  const DirStats& rs = r.dir[size_t(Dir::kResp)];
  std::array<char, kMaxAppNameBytes> app_buf;
  std::array<char, kMaxLabelsBytes> label_buf;
  uint8_t* p = out;
  for (const Element& el : kElements) {
    if (!in_family(el, v6)) continue;
    switch (el.field) {
      case Field::kSrcAddr:
        p = v6 ? put_bytes(p, r.src_ip.bytes.data(), 16) : put_bytes(p, r.src_ip.v4(), 4);
        break;
      case Field::kDstAddr:
        p = v6 ? put_bytes(p, r.dst_ip.bytes.data(), 16) : put_bytes(p, r.dst_ip.v4(), 4);
        break;
      case Field::kSrcPort:
        p = put16(p, icmp ? 0 : r.src_port);
        break;
      case Field::kDstPort:
        p = put16(p, icmp ? 0 : r.dst_port);
        break;
      case Field::kProto:
        p = put8(p, r.l4_proto);
        break;
      case Field::kIcmpTypeCode:
        p = put16(p, icmp ? uint16_t((r.src_port & 0xff) << 8 | (r.dst_port & 0xff)) : 0);
        break;
      case Field::kIpVersion:
        p = put8(p, v6 ? 6 : 4);
        break;
      case Field::kPackets:
        p = put64(p, o.packets);
        break;
      case Field::kOctets:
        p = put64(p, o.ip_bytes);
        break;
      case Field::kL2Octets:
        p = put64(p, o.frame_bytes);
        break;
      case Field::kRevPackets:
        p = put64(p, rs.packets);
        break;
      case Field::kRevOctets:
        p = put64(p, rs.ip_bytes);
        break;
      case Field::kRevL2Octets:
        p = put64(p, rs.frame_bytes);
        break;
      case Field::kStartMs:
        p = put64(p, r.first_ns / 1'000'000);
        break;
      case Field::kEndMs:
        p = put64(p, r.last_ns / 1'000'000);
        break;
      case Field::kTcpFlags:
        p = put16(p, o.tcp_flags);
        break;
      case Field::kRevTcpFlags:
        p = put16(p, rs.tcp_flags);
        break;
      case Field::kVlanId:
        p = put16(p, r.vlan_count ? uint16_t(r.vlan_ids[0] & 0x0fff) : 0);
        break;
      case Field::kSrcMac:
        p = put_bytes(p, mac_of(o).data(), 6);
        break;
      case Field::kDstMac:
        p = put_bytes(p, mac_of(rs).data(), 6);
        break;
      case Field::kEndReason:
        p = put8(p, end_reason(r.reason));
        break;
      case Field::kBiflowDirection:
        p = put8(p, 1);  // RFC 5103 initiator: the source is the side that opened the flow
        break;
      case Field::kFlowId:
        p = put64(p, r.flow_id);
        break;
      case Field::kAppId: {
        const uint16_t id = has_l7_name(r.l7) ? (r.l7.app_id ? r.l7.app_id : r.l7.master_id) : 0;
        p = put8(p, kClassificationEnginePanaL7Pen);
        p = put32(p, kSpanwatchPen);
        p = put16(p, id);
        break;
      }
      case Field::kAppName:
        p = put_string(p, app_name(r.l7, l7_names_, app_buf), kMaxAppNameBytes);
        break;
      case Field::kSni:
        p = put_string(p, tls ? get_text(tls->sni) : std::string_view{}, kMaxStringBytes);
        break;
      case Field::kJa3: {
        const bool has_ja3 = tls != nullptr && tls->has_client_hello;
        std::array<char, 2 * kMd5Bytes> ja3{};
        if (has_ja3) ja3 = hex_lower(tls->ja3);
        p = put_string(p, {ja3.data(), has_ja3 ? ja3.size() : 0}, kMaxStringBytes);
        break;
      }
      case Field::kJa4:
        p = put_string(p, tls ? get_text(tls->ja4) : std::string_view{}, kMaxStringBytes);
        break;
      case Field::kConnState:
        p = put_string(p, r.l4_proto == 6 ? kConnStateNames[size_t(r.conn_state)] : std::string_view{},
                       kMaxStringBytes);
        break;
      case Field::kLabels:
        p = put_string(p, labels(e, label_buf), kMaxLabelsBytes);
        break;
    }
  }
  return size_t(p - out);
}

void MessageBuilder::close_set() noexcept {
  if (set_start_ == 0) return;
  put16(buf_.data() + set_start_ + 2, uint16_t(len_ - set_start_));
  set_start_ = 0;
  set_template_ = 0;
}

bool MessageBuilder::add_record(const FlowRecord& r, const FlowEnrichment* e) noexcept {
  std::array<uint8_t, kMaxRecordBytes> rec;
  const size_t n = encode_record(r, e, rec.data());
  const uint16_t tid = r.src_ip.is_v4() ? kTemplateIdV4 : kTemplateIdV6;
  const size_t need = n + (tid == set_template_ ? 0 : kSetHeaderBytes);
  if (len_ + need > buf_.size()) return false;
  if (tid != set_template_) {
    close_set();
    set_start_ = len_;
    set_template_ = tid;
    put16(buf_.data() + len_, tid);  // a data set's id is its template's id
    len_ += kSetHeaderBytes;
  }
  std::memcpy(buf_.data() + len_, rec.data(), n);
  len_ += n;
  ++records_;
  return true;
}

std::span<const uint8_t> MessageBuilder::finish(uint32_t export_time_s) noexcept {
  close_set();
  uint8_t* p = buf_.data();
  p = put16(p, kVersion);
  p = put16(p, uint16_t(len_));
  p = put32(p, export_time_s);
  p = put32(p, sequence_);
  put32(p, domain_);
  return {buf_.data(), len_};
}

void MessageBuilder::reset() noexcept {
  close_set();
  sequence_ += records_;
  records_ = 0;
  len_ = kMessageHeaderBytes;
  has_templates_ = false;
}

constexpr size_t template_set_bytes() noexcept {
  size_t n = kSetHeaderBytes;
  for (bool v6 : {false, true}) {
    n += 4;  // template id, field count
    for (const Element& e : kElements)
      if (in_family(e, v6)) n += e.pen ? 8 : 4;
  }
  return n;
}
static_assert(kMessageHeaderBytes + template_set_bytes() + kSetHeaderBytes + kMaxRecordBytes <=
                  kMinMessageBytes,
              "a message of the smallest size holds the templates and the longest record");

}  // namespace spanwatch::lib::ipfix
