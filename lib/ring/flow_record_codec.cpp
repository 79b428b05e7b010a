// The BIN4 encoding of a flow record. Integers are little-endian (the host's order, asserted below), with no
// padding, in the order of the field lists below, which the encoder and the decoder share:
//   u8 flags: bit 0 = enrichment follows
//   the record: numbers and addresses; MACs only when present, tunnel endpoints only on tunnel flows; VLAN
//     ids, TCP history, nDPI's host name and the payload prefixes with their counts or lengths
//   u8 AppKind, then that kind's metadata (nothing for kNone)
//   the enrichment, if flagged: a u32 presence mask and the members it marks, then the same for each
//     endpoint, then the rule matches
// A string is its length (u8 for fields of at most 255 bytes, else u16) and its bytes, without a NUL; a
// list is its count and min(count, capacity) elements; a digest (JA3, JA3S, HASSH: 16 bytes, certificate
// SHA-1: 20) is its bytes, only when its flag says it is there (BIN1 carried them as hex text, a length and
// 32 or 40 digits). Nothing here depends on FlowRecord's memory layout,
// but adding a field to a record struct needs a line below (the size asserts say so).
#include "lib/ring/flow_record_codec.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <optional>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "lib/export/json_text_writer.hpp"

namespace spanwatch::lib {
namespace {

static_assert(std::endian::native == std::endian::little,
              "BIN4 is little-endian: this host needs byte swaps");
// A field added to one of these structs must be added to its field list below too.
static_assert(sizeof(FlowRecord) == 1744 && sizeof(TlsMetadata) == 1240 && sizeof(DnsMetadata) == 944 &&
                  sizeof(HttpMetadata) == 816 && sizeof(SshMetadata) == 290 && sizeof(DhcpMetadata) == 328 &&
                  sizeof(EndpointEnrichment) == 296 && sizeof(FlowEnrichment) == 1552,
              "a record struct changed: update the field lists of the BIN4 codec");

constexpr uint8_t kHasEnrichment = 1;

template <size_t N>
using TextLen = std::conditional_t<(N <= 255), uint8_t, uint16_t>;

// memcpy for the short, variable lengths here (GCC expands memcpy of a length it knows to be small into a
// byte loop): whole 16-byte steps, then the tail as two overlapping loads and stores. Never touches a byte
// outside [0, n) of either side.
inline void copy_bytes(std::byte* dst, const void* src, size_t n) noexcept {
  const auto* s = static_cast<const char*>(src);
  if (n >= 16) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) std::memcpy(dst + i, s + i, 16);
    if (i < n) std::memcpy(dst + n - 16, s + n - 16, 16);
  } else if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, s, 8);
    std::memcpy(&b, s + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, s, 4);
    std::memcpy(&b, s + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = static_cast<std::byte>(s[i]);
  }
}

// The text of s (up to its NUL, at most N bytes) copied to dst in one pass: 16 bytes at a time, looking
// for the NUL in each block as it goes (strnlen + memcpy were two thirds of a TLS record's encoding).
// Returns the length. Reads only s[0, N); stores only to dst[0, N), possibly past the text.
template <size_t N>
size_t copy_text(std::byte* dst, const char (&s)[N]) noexcept {
#if defined(__SSE2__)
  if constexpr (N >= 16) {
    const __m128i zero = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= N; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), v);
      if (const auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero))); m != 0)
        return i + static_cast<size_t>(std::countr_zero(m));
    }
    if (i < N) {  // the last N - i bytes, as the 16 that end at N
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + N - 16));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + N - 16), v);
      const auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero))) >> (16 - (N - i));
      if (m != 0) return i + static_cast<size_t>(std::countr_zero(m));
    }
    return N;
  }
#endif
  const size_t n = strnlen(s, N);
  copy_bytes(dst, s, n);
  return n;
}

// The most bytes the record part (everything but the enrichment) can take: each field takes at most its
// size in FlowRecord, plus at most 2 length bytes for each of the (fewer than 24) strings, plus the flags.
constexpr size_t kMaxRecordPartBytes = sizeof(FlowRecord) + 64;

// The encoder. kChecked: test the room before each write (a slot smaller than kMaxRecordPartBytes, and the
// enrichment, whose strings have no fixed bound); unchecked, a record is a run of plain stores.
template <bool kChecked>
class Out {
 public:
  Out(std::byte* p, size_t cap) noexcept : begin_(p), p_(p), end_(p + cap) {}

  template <class T>
  void num(const T& x) noexcept requires(kChecked) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (static_cast<size_t>(end_ - p_) < sizeof x) [[unlikely]]
      return fail();
    std::memcpy(p_, &x, sizeof x);
    p_ += sizeof x;
  }
  template <class T>
  void num(const T& x) noexcept requires(!kChecked) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::memcpy(p_, &x, sizeof x);  // a fixed size: one or two plain stores
    p_ += sizeof x;
  }
  void flag(bool b) noexcept { num(static_cast<uint8_t>(b)); }
  template <size_t N>
  void text(const char (&s)[N]) noexcept {
    if constexpr (!kChecked) {  // room for the length and all N bytes (kMaxRecordPartBytes)
      const auto n = static_cast<TextLen<N>>(copy_text(p_ + sizeof(TextLen<N>), s));
      std::memcpy(p_, &n, sizeof n);
      p_ += sizeof n + n;
    } else {
      const auto n = static_cast<TextLen<N>>(strnlen(s, N));
      num(n);
      bytes(s, n);
    }
  }
  void bytes(const void* s, size_t n) noexcept {
    if constexpr (kChecked) {
      if (static_cast<size_t>(end_ - p_) < n) [[unlikely]]
        return fail();
    }
    copy_bytes(p_, s, n);
    p_ += n;
  }
  void str(std::string_view s) noexcept {
    if constexpr (kChecked) {  // unchecked: within enrichment_bound(), so shorter than 64 KiB
      if (s.size() > UINT16_MAX) [[unlikely]]
        return fail();
    }
    num(static_cast<uint16_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void invalid() noexcept { fail(); }

  // Members written only when set: begin_mask() keeps room for the mask, each member takes the next bit.
  void begin_mask() noexcept {
    mask_at_ = p_;
    mask_ = 0;
    bit_ = 0;
    num(mask_);
  }
  void end_mask() noexcept {
    if (!failed_) std::memcpy(mask_at_, &mask_, sizeof mask_);
  }
  void view(std::string_view s) noexcept {
    if (!s.empty()) {
      set_bit();
      str(s);
    }
    ++bit_;
  }
  template <class T>
  void opt(const std::optional<T>& o) noexcept {
    if (o) {
      set_bit();
      num(*o);
    }
    ++bit_;
  }
  template <class T>
  void nonzero(const T& x) noexcept {
    if (x != 0) {
      set_bit();
      num(x);
    }
    ++bit_;
  }

  bool failed() const noexcept { return failed_; }
  size_t written() const noexcept { return static_cast<size_t>(p_ - begin_); }

 private:
  void fail() noexcept {
    failed_ = true;
    p_ = end_;
  }
  void set_bit() noexcept { mask_ |= uint32_t{1} << bit_; }

  std::byte* begin_;
  std::byte* p_;
  std::byte* end_;
  std::byte* mask_at_ = nullptr;
  uint32_t mask_ = 0;
  unsigned bit_ = 0;
  bool failed_ = false;
};

// The decoder: every read is bounds-checked; a short input sets truncated_, an impossible value bad_.
class In {
 public:
  explicit In(std::string_view s) noexcept : p_(s.data()), end_(s.data() + s.size()) {}

  template <class T>
  void num(T& x) noexcept {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>);
    bytes(&x, sizeof x);
  }
  void flag(bool& b) noexcept {
    uint8_t v = 0;
    num(v);
    if (v > 1) bad_ = true;
    b = v == 1;
  }
  template <size_t N>
  void text(char (&s)[N]) noexcept {
    TextLen<N> n = 0;
    num(n);
    if (n > N) {
      bad_ = true;
      return;
    }
    bytes(s, n);
    if (n < N) s[n] = '\0';
  }
  void bytes(void* d, size_t n) noexcept {
    if (static_cast<size_t>(end_ - p_) < n) {
      truncated_ = true;
      p_ = end_;
      return;
    }
    if (n != 0) std::memcpy(d, p_, n);
    p_ += n;
  }
  void str(std::string_view& s) noexcept {
    uint16_t n = 0;
    num(n);
    if (static_cast<size_t>(end_ - p_) < n) {
      truncated_ = true;
      p_ = end_;
      return;
    }
    s = {p_, n};
    p_ += n;
  }
  void invalid() noexcept { bad_ = true; }

  void begin_mask() noexcept {
    mask_ = 0;
    bit_ = 0;
    num(mask_);
  }
  void end_mask() noexcept {
    if (bit_ < 32 && (mask_ >> bit_) != 0) bad_ = true;  // a member no encoder knows
  }
  void view(std::string_view& s) noexcept {
    if (has_bit()) str(s);
    ++bit_;
  }
  template <class T>
  void opt(std::optional<T>& o) noexcept {
    if (has_bit()) {
      T v{};
      if constexpr (std::is_same_v<T, bool>)
        flag(v);
      else
        num(v);
      o = v;
    }
    ++bit_;
  }
  template <class T>
  void nonzero(T& x) noexcept {
    if (has_bit()) num(x);
    ++bit_;
  }

  bool truncated() const noexcept { return truncated_; }
  bool bad() const noexcept { return bad_; }
  bool at_end() const noexcept { return p_ == end_; }

 private:
  bool has_bit() const noexcept { return (mask_ >> bit_) & 1; }

  const char* p_;
  const char* end_;
  uint32_t mask_ = 0;
  unsigned bit_ = 0;
  bool truncated_ = false;
  bool bad_ = false;
};

// The field lists. V is Out (R const) or In; a count is visited before the elements it counts, so the
// decoder knows how many follow when it gets there.
template <class V, class R>
void record_fields(V& v, R& r) noexcept {
  v.num(r.flow_id);
  v.num(r.emit_ns);
  v.num(r.made_tsc);
  v.num(r.first_ns);
  v.num(r.last_ns);
  v.num(r.src_ip);
  v.num(r.dst_ip);
  v.num(r.src_port);
  v.num(r.dst_port);
  v.num(r.l4_proto);
  v.num(r.ip_version);
  for (auto& d : r.dir) {
    v.num(d.packets);
    v.num(d.frame_bytes);
    v.num(d.ip_bytes);
    v.num(d.payload_bytes);
    v.num(d.tcp_flags);
    v.flag(d.has_mac);
    if (d.has_mac) v.num(d.mac);
  }
  v.num(r.conn_state);
  v.num(r.reason);
  v.flag(r.final);
  v.num(r.port_id);
  v.num(r.worker_id);
  v.num(r.sequence);
  v.num(r.tunnel);
  v.num(r.tunnel_depth);
  v.flag(r.is_tunnel_carrier);
  if (r.tunnel != TunnelType::kNone || r.is_tunnel_carrier) {  // the only records that print them
    v.num(r.tunnel_src);
    v.num(r.tunnel_dst);
  }
  v.num(r.fragments);
  v.num(r.l7.risks);
  v.num(r.l7.state);
  v.flag(r.l7.encrypted);
  v.num(r.l7.breed_id);
  v.num(r.l7.confidence_id);
  v.num(r.l7.master_id);
  v.num(r.l7.app_id);
  v.num(r.l7.category_id);
  v.num(r.own_packets);
  v.num(r.vlan_count);
  for (size_t i = 0; i < std::min<size_t>(r.vlan_count, r.vlan_ids.size()); ++i) v.num(r.vlan_ids[i]);
  v.num(r.history_len);
  v.bytes(r.history.data(), std::min<size_t>(r.history_len, r.history.size()));
  v.text(r.l7_host);
  for (auto& p : r.payload) {
    v.num(p.len);
    v.bytes(p.bytes.data(), std::min<size_t>(p.len, p.bytes.size()));
  }
}

template <class V, class T>
void tls_fields(V& v, T& t) noexcept {
  v.flag(t.quic);
  v.flag(t.has_client_hello);
  v.flag(t.has_server_hello);
  v.flag(t.has_certificate);
  v.flag(t.sni_truncated);
  v.num(t.client_version);
  v.num(t.version);
  v.num(t.cipher);
  v.num(t.supported_version_count);
  for (size_t i = 0; i < std::min<size_t>(t.supported_version_count, t.supported_versions.size()); ++i)
    v.num(t.supported_versions[i]);
  v.text(t.sni);
  v.text(t.client_alpns);
  v.text(t.alpn);
  if (t.has_client_hello) v.num(t.ja3);
  if (t.has_server_hello) v.num(t.ja3s);
  v.text(t.ja4);
  v.text(t.subject);
  v.text(t.issuer);
  v.text(t.san);
  v.text(t.serial);
  if (t.has_certificate) v.num(t.cert_sha1);
  v.num(t.not_before);
  v.num(t.not_after);
}

template <class V, class D>
void dns_fields(V& v, D& d) noexcept {
  v.flag(d.has_query);
  v.flag(d.has_response);
  v.flag(d.qname_truncated);
  v.num(d.rcode);
  v.num(d.id);
  v.num(d.flags);
  v.num(d.qtype);
  v.num(d.qclass);
  v.num(d.answer_total);
  v.text(d.qname);
  v.num(d.answer_count);
  for (size_t i = 0; i < std::min<size_t>(d.answer_count, d.answers.size()); ++i) {
    auto& a = d.answers[i];
    v.num(a.type);
    v.num(a.ttl);
    v.text(a.name);
    v.text(a.data);
  }
  v.num(d.resolved_ip_count);
  for (size_t i = 0; i < std::min<size_t>(d.resolved_ip_count, d.resolved_ips.size()); ++i)
    v.num(d.resolved_ips[i]);
}

template <class V, class H>
void http_fields(V& v, H& h) noexcept {
  v.flag(h.has_request);
  v.flag(h.has_response);
  v.num(h.status);
  v.text(h.method);
  v.text(h.version);
  v.text(h.url);
  v.text(h.host);
  v.text(h.user_agent);
  v.text(h.request_content_type);
  v.text(h.response_content_type);
  v.text(h.server);
  v.num(h.request_body_bytes);
  v.num(h.response_body_bytes);
}

template <class V, class S>
void ssh_fields(V& v, S& s) noexcept {
  v.text(s.client_software);
  v.text(s.server_software);
  v.flag(s.has_hassh);
  if (s.has_hassh) v.num(s.hassh);
  v.flag(s.has_hassh_server);
  if (s.has_hassh_server) v.num(s.hassh_server);
}

template <class V, class D>
void dhcp_fields(V& v, D& d) noexcept {
  v.num(d.message_type);
  v.flag(d.has_client_mac);
  v.num(d.client_mac);
  v.num(d.requested_ip);
  v.num(d.assigned_ip);
  v.text(d.hostname);
  v.text(d.vendor_class);
  v.text(d.parameter_list);
}

template <class V, class A>
void app_fields(V& v, A& a) noexcept {
  v.num(a.kind);
  switch (a.kind) {
    case AppKind::kNone:
      return;
    case AppKind::kTls:
      return tls_fields(v, a.tls);
    case AppKind::kDns:
      return dns_fields(v, a.dns);
    case AppKind::kHttp:
      return http_fields(v, a.http);
    case AppKind::kSsh:
      return ssh_fields(v, a.ssh);
    case AppKind::kDhcp:
      return dhcp_fields(v, a.dhcp);
  }
  v.invalid();
}

template <class V, class P>
void endpoint_fields(V& v, P& p) noexcept {
  v.begin_mask();
  v.view(p.service);
  v.view(p.mac_vendor);
  v.view(p.mac_class);
  v.view(p.country_iso_code);
  v.view(p.country_name);
  v.view(p.city_name);
  v.opt(p.location);
  v.nonzero(p.as_number);
  v.view(p.as_organization);
  v.view(p.as_class);
  v.view(p.as_class_source);
  v.opt(p.is_local);
  v.view(p.domain);
  v.view(p.hostname);
  v.view(p.hostname_source);
  v.view(p.os);
  v.view(p.owner);
  v.view(p.role);
  v.opt(p.bps);
  v.end_mask();
}

template <class V, class E>
void enrichment_fields(V& v, E& e) noexcept {
  v.begin_mask();
  v.view(e.direction);
  v.nonzero(e.labels);
  v.opt(e.throughput_bps);
  v.opt(e.current_bps);
  v.nonzero(e.rule_count);
  v.end_mask();
  for (auto& p : e.ep) endpoint_fields(v, p);
  for (size_t i = 0; i < std::min<size_t>(e.rule_count, e.rules.size()); ++i) {
    auto& h = e.rules[i];
    v.num(h.id);
    v.str(h.name);
    v.str(h.severity);
    v.str(h.field);
  }
}

// The most bytes enrichment_fields() can write for `e`: each string its bytes and a u16 length, each other
// member its size, and the presence masks. Adding up the lengths costs a load and an add per string; a room
// check before each piece cost about 20 instructions per string. A member added to FlowEnrichment needs a
// term here too (the size asserts above fire).
size_t enrichment_bound(const FlowEnrichment& e) noexcept {
  constexpr size_t kFixed = sizeof(uint32_t) + sizeof(uint16_t) + sizeof(e.labels) + 2 * sizeof(uint64_t) +
                            sizeof(e.rule_count) +
                            2 * (sizeof(uint32_t) + 15 * sizeof(uint16_t) + sizeof(std::array<double, 2>) +
                                 sizeof(uint32_t) + sizeof(bool) + sizeof(uint64_t)) +
                            FlowEnrichment::kMaxRules * (sizeof(uint32_t) + 3 * sizeof(uint16_t));
  size_t n = kFixed + e.direction.size();
  for (const EndpointEnrichment& p : e.ep)
    n += p.service.size() + p.mac_vendor.size() + p.mac_class.size() + p.country_iso_code.size() +
         p.country_name.size() + p.city_name.size() + p.as_organization.size() + p.as_class.size() +
         p.as_class_source.size() + p.domain.size() + p.hostname.size() + p.hostname_source.size() +
         p.os.size() + p.owner.size() + p.role.size();
  for (size_t i = 0; i < std::min<size_t>(e.rule_count, e.rules.size()); ++i)
    n += e.rules[i].name.size() + e.rules[i].severity.size() + e.rules[i].field.size();
  return n;
}

// Flattened: with every field list inlined the encoder's write position stays in a register; called
// through a reference, each byte store (which may alias anything) made the compiler reload it.
template <bool kChecked>
[[gnu::flatten]] size_t encode_with(const FlowRecord& rec, const FlowEnrichment* e, std::byte* out,
                                    size_t cap) noexcept {
  Out<kChecked> o(out, cap);
  o.num(static_cast<uint8_t>(e ? kHasEnrichment : 0));
  record_fields(o, rec);
  app_fields(o, rec.app);
  if (o.failed()) return 0;
  size_t n = o.written();
  // Unchecked when it surely fits (the usual case); within 64 KiB, no string's length overflows its u16.
  if (const size_t bound = e ? enrichment_bound(*e) : 0;
      e && bound <= std::min<size_t>(cap - n, UINT16_MAX)) {
    Out<false> c(out + n, cap - n);
    enrichment_fields(c, *e);
    assert(c.written() <= bound);  // the debug and sanitizer builds (tests, fuzzers) check the bound
    n += c.written();
  } else if (e) {
    Out<true> c(out + n, cap - n);
    enrichment_fields(c, *e);
    if (c.failed()) return 0;
    n += c.written();
  }
  return n;
}

// Values the JSON writer indexes tables with, or copies without repair because on the writer's side they
// are our own text: enum values, JA4 and the certificate serial our parsers format, the enrichment's
// direction and rule severity/field. Anything else is repaired by the writer itself.
template <size_t N>
bool plain_text(const char (&s)[N]) noexcept {
  return is_plain_json_text(get_text(s));
}
bool in_range(const FlowRecord& r) noexcept {
  if (size_t(r.reason) >= size_t(EndReason::kCount) || size_t(r.conn_state) >= size_t(ConnState::kCount) ||
      size_t(r.l7.state) >= kL7StateNames.size() || size_t(r.tunnel) >= size_t(TunnelType::kCount))
    return false;
  if (r.app.kind == AppKind::kTls) {
    const TlsMetadata& t = r.app.tls;
    return plain_text(t.ja4) && plain_text(t.serial);
  }
  return true;
}
bool in_range(const FlowEnrichment& e) noexcept {
  if (!is_plain_json_text(e.direction)) return false;
  for (size_t i = 0; i < std::min<size_t>(e.rule_count, e.rules.size()); ++i)
    if (!is_plain_json_text(e.rules[i].severity) || !is_plain_json_text(e.rules[i].field)) return false;
  return true;
}

}  // namespace

size_t encode_flow_record(const FlowRecord& rec, const FlowEnrichment* enrichment, std::byte* out,
                          size_t cap) noexcept {
  return cap >= kMaxRecordPartBytes ? encode_with<false>(rec, enrichment, out, cap)
                                    : encode_with<true>(rec, enrichment, out, cap);
}

FlowDecodeResult decode_flow_record(std::string_view in, FlowRecord& rec,
                                    FlowEnrichment& enrichment) noexcept {
  rec = FlowRecord{};
  enrichment = FlowEnrichment{};
  In d(in);
  uint8_t flags = 0;
  d.num(flags);
  record_fields(d, rec);
  app_fields(d, rec.app);
  const bool has_enrichment = (flags & kHasEnrichment) != 0;
  if (has_enrichment) enrichment_fields(d, enrichment);
  if (d.truncated()) return {FlowDecodeStatus::kTruncated, false};
  if (d.bad() || (flags & ~kHasEnrichment) != 0 || !in_range(rec) ||
      (has_enrichment && !in_range(enrichment)))
    return {FlowDecodeStatus::kBadValue, false};
  if (!d.at_end()) return {FlowDecodeStatus::kTrailingBytes, false};
  return {FlowDecodeStatus::kOk, has_enrichment};
}

}  // namespace spanwatch::lib
