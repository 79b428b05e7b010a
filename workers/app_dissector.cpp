#include "workers/app_dissector.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "lib/app/dhcp_message.hpp"
#include "lib/app/dns_message.hpp"
#include "lib/app/http_message.hpp"
#include "lib/core/ip_proto.hpp"
#include "lib/core/tcp_flags.hpp"
#include "lib/fingerprint/ja3.hpp"
#include "lib/fingerprint/ja4.hpp"
#include "lib/fingerprint/tls_client_hello.hpp"
#include "lib/tls/tls_server_hello.hpp"
#include "lib/tls/x509_certificate.hpp"
#include "workers/name_service_ports.hpp"

namespace spanwatch::workers {
namespace {

using lib::kProtoTcp, lib::kProtoUdp;

bool is_dns_port(uint16_t p) noexcept {
  return p == 53 || p == 5353 || p == 5355;
}
bool is_dhcp_port(uint16_t p) noexcept {
  return p == 67 || p == 68;
}

// A QUIC long header (RFC 9000 17.2: form and fixed bits set) with a version: Initial packets start so.
bool looks_like_quic(const uint8_t* p, uint32_t n) noexcept {
  return n >= 7 && (p[0] & 0xc0) == 0xc0 && (p[1] | p[2] | p[3] | p[4]) != 0;
}
bool looks_like_ssh(const uint8_t* p, uint32_t n) noexcept {
  return n >= 4 && std::memcmp(p, "SSH-", 4) == 0;
}
bool starts_with(const uint8_t* p, uint32_t n, std::string_view s) noexcept {
  return n >= s.size() && std::memcmp(p, s.data(), s.size()) == 0;
}
bool looks_like_http(const uint8_t* p, uint32_t n, lib::Dir d) noexcept {
  if (d == lib::Dir::kResp) return starts_with(p, n, "HTTP/1.");
  for (std::string_view m :
       {"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE "})
    if (starts_with(p, n, m)) return true;
  return false;
}

// "h2,http/1.1" from the parsed ClientHello's ALPN list, cut at whole names.
void join_alpns(const lib::ClientHello& ch, char (&out)[128]) noexcept {
  size_t n = 0;
  for (size_t i = 0; i < ch.alpn_count; ++i) {
    const std::string_view a = ch.alpn(i);
    if (n + (n > 0) + a.size() >= sizeof out) break;
    if (n > 0) out[n++] = ',';
    std::memcpy(out + n, a.data(), a.size());
    n += a.size();
  }
  out[n] = '\0';
}

void fill_client_hello(const lib::ClientHello& ch, char transport, lib::TlsMetadata& t) noexcept {
  t.has_client_hello = true;
  t.client_version = ch.legacy_version;
  t.sni_truncated = !lib::set_text(t.sni, ch.server_name());
  join_alpns(ch, t.client_alpns);
  t.supported_version_count = 0;
  for (uint16_t v : ch.supported_versions) {
    if (lib::is_grease(v) || t.supported_version_count >= t.supported_versions.size()) continue;
    t.supported_versions[t.supported_version_count++] = v;
  }
  lib::ja3(ch, t.ja3);
  lib::ja4(ch, transport, t.ja4);
}

void fill_server_hello(const lib::ServerHello& sh, lib::TlsMetadata& t) noexcept {
  t.has_server_hello = true;
  t.version = sh.selected_version;
  t.cipher = sh.cipher_suite;
  lib::set_text(t.alpn, sh.alpn());
  lib::ja3s(sh, t.ja3s);
}

void fill_certificate(const lib::X509Certificate& c, lib::TlsMetadata& t) noexcept {
  t.has_certificate = true;
  lib::set_text(t.subject, c.subject.view());
  lib::set_text(t.issuer, c.issuer.view());
  lib::set_text(t.serial, c.serial.view());
  t.cert_sha1 = c.sha1;
  if (c.validity_ok) {
    t.not_before = c.not_before;
    t.not_after = c.not_after;
  }
  // DNS names then addresses, comma-separated, whole names only.
  size_t n = 0;
  auto append = [&](std::string_view v) {
    if (n + (n > 0) + v.size() >= sizeof t.san) return;
    if (n > 0) t.san[n++] = ',';
    std::memcpy(t.san + n, v.data(), v.size());
    n += v.size();
  };
  for (size_t i = 0; i < c.san_dns_count; ++i) append(c.san_dns(i));
  for (size_t i = 0; i < c.san_ip_count; ++i) {
    std::array<char, lib::kIpTextMax> ip;
    append({ip.data(), c.san_ips[i].format(ip.data(), ip.size())});
  }
  t.san[n] = '\0';
}

// DNS on a port that is not DNS's: only a message that parses cleanly as one question with consistent
// counts (a query without records, or a response) is taken as DNS.
bool looks_like_dns(const uint8_t* p, uint32_t n) noexcept {
  if (n < lib::kDnsHeaderLen + 5) return false;
  lib::DnsMessage msg;
  if (lib::parse_dns(p, n, msg) != lib::DnsStatus::kOk || !msg.has_question) return false;
  const lib::DnsHeader& h = msg.header;
  if (h.qdcount != 1 || h.opcode != 0 || h.z || msg.qname_error != lib::DnsNameError::kNone) return false;
  if (!h.qr && (h.ancount != 0 || h.nscount != 0)) return false;
  return msg.qclass == 1 && msg.answers_read == h.ancount;
}

}  // namespace

AppDissector::AppDissector(uint32_t max_parsing_flows, uint32_t max_metadata_flows)
    : states_(max_parsing_flows), meta_(max_metadata_flows), packed_(max_metadata_flows) {
  if (max_metadata_flows >= 1u << PackedMetadataStore::kClassShift)
    throw std::runtime_error("AppDissector: too many metadata flows");
}

lib::AppMetadata* AppDissector::metadata(FlowEntry& e, lib::AppKind kind) noexcept {
  if (PackedMetadataStore::is_packed(e.app_meta) && !unpark(e)) return nullptr;
  if (e.app_meta == kNoSlot) {
    e.app_meta = meta_.acquire();
    if (e.app_meta == kNoSlot) {
      ctr_.meta_exhausted.add(1);
      return nullptr;
    }
    meta_[e.app_meta].reset(kind);
  }
  lib::AppMetadata& m = meta_[e.app_meta];
  // One kind per flow. A TLS handshake wins over what came before it (an HTTP CONNECT, a STARTTLS).
  if (m.kind != kind) {
    if (kind != lib::AppKind::kTls) return nullptr;
    m.reset(kind);
  }
  return &m;
}

void AppDissector::release_state(FlowEntry& e, FlowSide* side) noexcept {
  e.app_done = true;
  if (side && side->app_state != kNoSlot) {
    states_.release(side->app_state);
    side->app_state = kNoSlot;
  }
}

// The metadata is final now (no parser runs again): keep only its packed bytes.
void AppDissector::stop_parsing(FlowEntry& e, FlowSide& side) noexcept {
  release_state(e, &side);
  if (e.app_meta == kNoSlot) return;
  if (PackedMetadataStore::is_packed(e.app_meta)) {  // parked between messages
    lib::AppMetadata m;
    packed_.get(e.app_meta, m);
    e.app_info = lib::has_info_line(m);
    return;
  }
  e.app_info = lib::has_info_line(meta_[e.app_meta]);
  park(e);
}

// Whether the message a UDP flow's parser waits for rarely comes on this flow, so that its unpacked
// metadata would stay for the flow's whole life: a DHCP server's ACK (sent to another address), the answer
// to an mDNS, LLMNR or NetBIOS name query (multicast or broadcast: the answer comes from the responder's
// own address), the query of an answer whose query was not seen. A unicast DNS query's answer comes within
// milliseconds (and an unanswered one ends after 10 s idle): packing and unpacking every DNS flow once
// more would cost more than it saves.
bool AppDissector::waits_in_vain(const FlowEntry& e, uint16_t sp, uint16_t dp) const noexcept {
  if (e.app_meta == kNoSlot || PackedMetadataStore::is_packed(e.app_meta)) return false;
  const lib::AppMetadata& m = meta_[e.app_meta];
  if (m.kind == lib::AppKind::kDhcp) return true;
  if (m.kind != lib::AppKind::kDns) return false;
  return is_local_name_service_port(sp) || is_local_name_service_port(dp) ||
         (m.dns.has_response && !m.dns.has_query);
}

// Packed, though a later message may still add to it (unpark). Kept unpacked when it does not fit.
void AppDissector::park(FlowEntry& e) noexcept {
  if (e.app_meta == kNoSlot || PackedMetadataStore::is_packed(e.app_meta)) return;
  if (const uint32_t h = packed_.put(meta_[e.app_meta]); h != PackedMetadataStore::kNoSlot) {
    meta_.release(e.app_meta);
    e.app_meta = h;
  }
}

// Parked metadata back in an unpacked slot for a parser to add to; false (counted) when none is left.
bool AppDissector::unpark(FlowEntry& e) noexcept {
  const uint32_t s = meta_.acquire();
  if (s == kNoSlot) {
    ctr_.meta_exhausted.add(1);
    return false;
  }
  packed_.get(e.app_meta, meta_[s]);
  packed_.release(e.app_meta);
  e.app_meta = s;
  return true;
}

void AppDissector::release(FlowEntry& e, FlowSide* side) noexcept {
  release_state(e, side);
  if (e.app_meta == kNoSlot) return;
  if (PackedMetadataStore::is_packed(e.app_meta))
    packed_.release(e.app_meta);
  else
    meta_.release(e.app_meta);
  e.app_meta = kNoSlot;
}

void AppDissector::copy_metadata(const FlowEntry& e, lib::AppMetadata& out) const noexcept {
  if (e.app_meta == kNoSlot)
    out.kind = lib::AppKind::kNone;
  else if (PackedMetadataStore::is_packed(e.app_meta))
    packed_.get(e.app_meta, out);
  else
    out = meta_[e.app_meta];
}

void AppDissector::on_flip(FlowEntry& e, FlowSide& side) noexcept {
  if (side.app_state == kNoSlot) return;
  AppParseState& s = states_[side.app_state];
  std::swap(s.cursor[0], s.cursor[1]);
  switch (s.proto) {
    case ParseProto::kTls: {  // each reader keeps its own buffer: swapping the readers is enough
      TlsParseState& t = s.as<TlsParseState>();
      std::swap(t.reader[0], t.reader[1]);
      std::swap(t.done[0], t.done[1]);
      break;
    }
    default:
      stop_parsing(e, side);  // rare (Zeek flips on the first packets); not worth more state
      break;
  }
}

// Picks the parser from the first payload of a flow (or a later one, for TLS after a preamble) and
// gives the flow a parse state when the protocol needs one.
bool AppDissector::start(FlowEntry& e, FlowSide& side, lib::Dir d, const lib::DecodedPacket& pkt) noexcept {
  const uint8_t* p = pkt.payload;
  const uint32_t n = pkt.payload_captured;
  ParseProto proto = ParseProto::kUndecided;
  if (lib::looks_like_tls_record(p, n))
    proto = ParseProto::kTls;
  else if (looks_like_ssh(p, n))
    proto = ParseProto::kSsh;
  else if (looks_like_http(p, n, d))
    proto = ParseProto::kHttp;
  if (proto == ParseProto::kUndecided) return false;
  side.app_state = states_.acquire_uninitialized();
  if (side.app_state == kNoSlot) {
    ctr_.state_exhausted.add(1);
    stop_parsing(e, side);
    return false;
  }
  ctr_.flows.add(1);
  states_[side.app_state].begin(proto);
  return true;
}

void AppDissector::on_packet(FlowEntry& e, FlowSide& side, lib::Dir d,
                             const lib::DecodedPacket& pkt) noexcept {
  if (e.app_done || pkt.payload_captured == 0) return;
  const uint8_t proto = e.key.proto;
  if (proto == kProtoUdp) {
    const uint16_t sp = e.orig_port(), dp = e.resp_port();
    bool done = true;
    const bool dns_flow = e.app_meta != kNoSlot && kind_of(e.app_meta) == lib::AppKind::kDns;
    if (is_dns_port(sp) || is_dns_port(dp) || dns_flow) {
      done = dns(e, d, pkt.payload, pkt.payload_captured, false);
    } else if (is_dhcp_port(sp) || is_dhcp_port(dp)) {
      done = dhcp(e, pkt.payload, pkt.payload_captured);
    } else if (side.app_state != kNoSlot || looks_like_quic(pkt.payload, pkt.payload_captured)) {
      if (side.app_state == kNoSlot) {
        side.app_state = states_.acquire_uninitialized();
        if (side.app_state == kNoSlot) {
          ctr_.state_exhausted.add(1);
          stop_parsing(e, side);
          return;
        }
        ctr_.flows.add(1);
        states_[side.app_state].begin(ParseProto::kQuic);
      }
      done = quic(e, states_[side.app_state], d, pkt);
    } else if (e.app_packets == 0 && looks_like_dns(pkt.payload, pkt.payload_captured)) {
      done = dns(e, d, pkt.payload, pkt.payload_captured, false);  // DNS on another port
    }
    if (done || ++e.app_packets >= kMaxPayloadPackets) {
      if (!done) ctr_.gave_up.add(1);
      stop_parsing(e, side);
    } else if (waits_in_vain(e, sp, dp)) {
      park(e);
    }
    return;
  }
  if (proto != kProtoTcp) {
    stop_parsing(e, side);
    return;
  }
  if (e.orig_port() == 53 || e.resp_port() == 53) {
    if (dns(e, d, pkt.payload, pkt.payload_captured, true) || ++e.app_packets >= kMaxPayloadPackets)
      stop_parsing(e, side);
    return;
  }
  if (++e.app_packets > kMaxPayloadPackets) {
    if (side.app_state != kNoSlot) ctr_.gave_up.add(1);
    stop_parsing(e, side);
    return;
  }
  if (side.app_state == kNoSlot && !start(e, side, d, pkt)) return;
  if (side.app_state == kNoSlot) return;
  AppParseState& s = states_[side.app_state];
  const size_t di = size_t(d);
  const TcpStreamCursor::Slice in = s.cursor[di].take(pkt.tcp_seq, (pkt.tcp_flags & lib::kTcpSyn) != 0,
                                                      pkt.payload, pkt.payload_captured, pkt.payload_len);
  if (s.cursor[di].broken) ctr_.stream_gaps.add(1);
  bool done = false;
  if (in.len > 0) {
    switch (s.proto) {
      case ParseProto::kTls:
        done = tls(e, s, d, in.data, in.len);
        break;
      case ParseProto::kSsh:
        done = ssh(e, s, d, in.data, in.len);
        break;
      case ParseProto::kHttp:
        done = http(e, s, d, in.data, in.len);
        break;
      default:
        done = true;
        break;
    }
  }
  if (done || (s.cursor[0].broken && s.cursor[1].broken)) stop_parsing(e, side);
}

bool AppDissector::tls(FlowEntry& e, AppParseState& s, lib::Dir d, const uint8_t* data,
                       uint32_t len) noexcept {
  TlsParseState& t = s.as<TlsParseState>();
  const size_t di = size_t(d);
  if (t.done[di]) return t.done[0] && t.done[1];
  lib::TlsHandshakeReader& r = t.reader[di];
  r.feed(data, len);
  lib::TlsHandshakeMessage msg;
  while (!t.done[di] && r.next(msg)) {
    if (d == lib::Dir::kOrig && msg.type == lib::TlsHandshakeType::kClientHello) {
      lib::ClientHello ch;
      if (lib::parse_client_hello_message(msg.data, msg.data_len, ch) != lib::TlsParseStatus::kOk) {
        ctr_.tls_malformed.add(1);
      } else {
        ctr_.tls_client_hellos.add(1);
        if (lib::AppMetadata* m = metadata(e, lib::AppKind::kTls)) fill_client_hello(ch, 't', m->tls);
      }
      t.done[0] = true;
    } else if (d == lib::Dir::kResp && msg.type == lib::TlsHandshakeType::kServerHello) {
      lib::ServerHello sh;
      if (lib::parse_server_hello_message(msg.data, msg.data_len, sh) != lib::ServerHelloStatus::kOk) {
        ctr_.tls_malformed.add(1);
        t.done[1] = true;
      } else {
        ctr_.tls_server_hellos.add(1);
        if (lib::AppMetadata* m = metadata(e, lib::AppKind::kTls)) fill_server_hello(sh, m->tls);
        // TLS 1.3 encrypts the certificate: nothing more to read. A HelloRetryRequest means a second
        // ServerHello follows.
        if (sh.selected_version >= 0x0304 && !sh.hello_retry_request) t.done[1] = true;
      }
    } else if (d == lib::Dir::kResp && msg.type == lib::TlsHandshakeType::kCertificate) {
      lib::X509Certificate cert;
      if (lib::parse_tls_leaf_certificate(msg.body(), msg.body_len(), cert, false,
                                          lib::X509Fingerprints::kSha1) == lib::X509Status::kOk) {
        ctr_.tls_certificates.add(1);
        if (lib::AppMetadata* m = metadata(e, lib::AppKind::kTls)) fill_certificate(cert, m->tls);
      } else {
        ctr_.tls_malformed.add(1);
      }
      t.done[1] = true;
    }
  }
  if (r.done()) t.done[di] = true;  // encrypted, alert, not TLS or malformed: this side has nothing more
  return t.done[0] && t.done[1];
}

bool AppDissector::quic(FlowEntry& e, AppParseState& s, lib::Dir d, const lib::DecodedPacket& pkt) noexcept {
  QuicParseState& q = s.as<QuicParseState>();
  const size_t di = size_t(d);
  // A client that is done still goes through the decryptor: after a Retry or Version Negotiation its next
  // Initial brings the connection id the server's Initial keys derive from.
  if (q.done[di] && d == lib::Dir::kResp) return q.done[0] && q.done[1];
  const lib::QuicStatus st =
      quic_.feed(pkt.payload, pkt.payload_captured, d == lib::Dir::kOrig, q.flow, q.crypto[di]);
  if (st == lib::QuicStatus::kOk) {
    ctr_.quic_initials.add(1);
  } else if (st == lib::QuicStatus::kDecryptFailed || st == lib::QuicStatus::kUnsupportedVersion) {
    ctr_.quic_undecryptable.add(1);
  } else if (st == lib::QuicStatus::kNotQuic && !(q.flow.flags & lib::QuicFlowState::kHaveOdcid)) {
    return true;  // not QUIC after all
  }
  const lib::QuicCryptoStream& c = q.crypto[di];
  if (q.done[di] || !c.first_message_complete()) return q.done[0] && q.done[1];
  if (d == lib::Dir::kOrig) {
    lib::ClientHello ch;
    if (lib::parse_client_hello_message(c.data(), c.contiguous(), ch) == lib::TlsParseStatus::kOk) {
      ctr_.tls_client_hellos.add(1);
      if (lib::AppMetadata* m = metadata(e, lib::AppKind::kTls)) {
        m->tls.quic = true;
        fill_client_hello(ch, 'q', m->tls);
      }
    } else {
      ctr_.tls_malformed.add(1);
    }
  } else {
    lib::ServerHello sh;
    if (lib::parse_server_hello_message(c.data(), c.contiguous(), sh) == lib::ServerHelloStatus::kOk) {
      ctr_.tls_server_hellos.add(1);
      if (lib::AppMetadata* m = metadata(e, lib::AppKind::kTls)) {
        m->tls.quic = true;
        fill_server_hello(sh, m->tls);
      }
    } else {
      ctr_.tls_malformed.add(1);
    }
  }
  q.done[di] = true;
  return q.done[0] && q.done[1];
}

bool AppDissector::ssh(FlowEntry& e, AppParseState& s, lib::Dir d, const uint8_t* data,
                       uint32_t len) noexcept {
  SshParseState& st = s.as<SshParseState>();
  lib::SshHandshakeParser& p = st.dir[size_t(d)];
  if (p.status() != lib::SshStatus::kNeedMore) return false;
  const bool had_banner = p.has_banner(), had_kex = p.has_kexinit();
  p.feed(data, len);
  lib::AppMetadata* m = (p.has_banner() && !had_banner) || (p.has_kexinit() && !had_kex)
                            ? metadata(e, lib::AppKind::kSsh)
                            : nullptr;
  const bool client = d == lib::Dir::kOrig;
  if (m != nullptr && p.has_banner() && !had_banner) {
    ctr_.ssh_banners.add(1);
    lib::set_text(client ? m->ssh.client_software : m->ssh.server_software, p.banner().text());
  }
  if (m != nullptr && p.has_kexinit() && !had_kex) {
    ctr_.ssh_kexinits.add(1);
    lib::Hassh h;
    if (lib::ssh_hassh(p.kexinit(), client ? lib::SshRole::kClient : lib::SshRole::kServer, h)) {
      (client ? m->ssh.has_hassh : m->ssh.has_hassh_server) = true;
      (client ? m->ssh.hassh : m->ssh.hassh_server) = h.md5;
    }
  }
  return st.dir[0].status() != lib::SshStatus::kNeedMore && st.dir[1].status() != lib::SshStatus::kNeedMore;
}

bool AppDissector::dns(FlowEntry& e, lib::Dir, const uint8_t* data, uint32_t len, bool tcp) noexcept {
  lib::DnsMessage msg;
  const lib::DnsStatus st = tcp ? lib::parse_dns_tcp(data, len, msg) : lib::parse_dns(data, len, msg);
  if (st != lib::DnsStatus::kOk && (st != lib::DnsStatus::kTruncated || !msg.has_question)) {
    ctr_.dns_malformed.add(1);
    return false;  // a later message of the flow may still parse
  }
  ctr_.dns_messages.add(1);
  const bool response = msg.header.qr;
  lib::AppMetadata* m = metadata(e, lib::AppKind::kDns);
  if (m == nullptr) return true;
  lib::DnsMetadata& dm = m->dns;
  if (response ? dm.has_response : dm.has_query) return dm.has_query && dm.has_response;
  if (!dm.has_query || (response && dm.qname[0] == '\0')) {  // the question: from the query if we saw one
    dm.id = msg.header.id;
    dm.qtype = msg.qtype;
    dm.qclass = msg.qclass;
    dm.qname_truncated = msg.qname_truncated || !lib::set_text(dm.qname, msg.question_name());
  }
  dm.flags = msg.header.flags;
  if (response) {
    dm.has_response = true;
    dm.rcode = msg.header.rcode;
    dm.answer_total = msg.answers_read;
    dm.answer_count = static_cast<uint8_t>(std::min<size_t>(msg.answer_count, dm.answers.size()));
    for (size_t i = 0; i < dm.answer_count; ++i) {
      const lib::DnsAnswer& a = msg.answers[i];
      lib::DnsAnswerRecord& out = dm.answers[i];
      out.type = a.type;
      out.ttl = a.ttl;
      lib::set_text(out.name, msg.text(a.name));
      lib::set_text(out.data, msg.text(a.data));
    }
    dm.resolved_ip_count = static_cast<uint8_t>(std::min<size_t>(msg.ip_count, dm.resolved_ips.size()));
    std::copy_n(msg.ips.begin(), dm.resolved_ip_count, dm.resolved_ips.begin());
  } else {
    dm.has_query = true;
  }
  return dm.has_query && dm.has_response;
}

bool AppDissector::http(FlowEntry& e, AppParseState& s, lib::Dir d, const uint8_t* data,
                        uint32_t len) noexcept {
  HttpParseState& h = s.as<HttpParseState>();
  if (h.connect && lib::looks_like_tls_record(data, len)) {  // the CONNECT tunnel starts its TLS handshake
    s.proto = ParseProto::kTls;
    s.emplace<TlsParseState>();
    return tls(e, s, d, data, len);
  }
  if (d == lib::Dir::kOrig && !h.request) {
    lib::HttpRequest req;
    if (lib::parse_http_request(data, len, req) == lib::HttpStatus::kNotHttp) return true;
    h.request = true;
    ctr_.http_requests.add(1);
    h.connect = req.method.view() == "CONNECT";
    if (lib::AppMetadata* m = metadata(e, lib::AppKind::kHttp)) {
      lib::HttpMetadata& hm = m->http;
      hm.has_request = true;
      lib::set_text(hm.method, req.method.view());
      std::string_view v = req.version.view();
      if (v.starts_with("HTTP/")) v.remove_prefix(5);
      lib::set_text(hm.version, v);
      lib::set_text(hm.url, req.target.view());
      lib::set_text(hm.host, lib::http_host_name(req.host.view()));
      lib::set_text(hm.user_agent, req.user_agent.view());
      lib::set_text(hm.request_content_type, req.head.content_type.view());
      hm.request_body_bytes = req.head.has_content_length ? req.head.content_length : 0;
    }
  } else if (d == lib::Dir::kResp && !h.response) {
    lib::HttpResponse resp;
    if (lib::parse_http_response(data, len, resp) == lib::HttpStatus::kNotHttp) return !h.connect;
    h.response = true;
    ctr_.http_responses.add(1);
    if (lib::AppMetadata* m = metadata(e, lib::AppKind::kHttp)) {
      lib::HttpMetadata& hm = m->http;
      hm.has_response = true;
      hm.status = resp.status_code;
      lib::set_text(hm.server, resp.server.view());
      lib::set_text(hm.response_content_type, resp.head.content_type.view());
      hm.response_body_bytes = resp.head.has_content_length ? resp.head.content_length : 0;
      if (hm.version[0] == '\0') {
        std::string_view v = resp.version.view();
        if (v.starts_with("HTTP/")) v.remove_prefix(5);
        lib::set_text(hm.version, v);
      }
    }
  }
  return h.request && h.response && !h.connect;  // a CONNECT keeps watching for the tunnelled TLS
}

bool AppDissector::dhcp(FlowEntry& e, const uint8_t* data, uint32_t len) noexcept {
  lib::DhcpMessage msg;
  const lib::DhcpStatus st = lib::parse_dhcp(data, len, msg);
  if (st == lib::DhcpStatus::kTooShort) return true;
  ctr_.dhcp_messages.add(1);
  lib::AppMetadata* m = metadata(e, lib::AppKind::kDhcp);
  if (m == nullptr) return true;
  lib::DhcpMetadata& dm = m->dhcp;
  if (msg.op == 1) {  // from the client: its identity
    if (dm.message_type == 0) dm.message_type = msg.message_type;
    if (msg.has_mac() && !dm.has_client_mac) {
      dm.has_client_mac = true;
      std::copy_n(msg.chaddr.begin(), 6, dm.client_mac.begin());
    }
    if (msg.hostname.present && dm.hostname[0] == '\0') lib::set_text(dm.hostname, msg.hostname.view());
    if (msg.vendor_class.present && dm.vendor_class[0] == '\0')
      lib::set_text(dm.vendor_class, msg.vendor_class.view());
    if (msg.param_list.present && dm.parameter_list[0] == '\0')
      lib::set_text(dm.parameter_list, msg.param_list.view());
    if (msg.has_requested_ip) dm.requested_ip = msg.requested_ip;
  } else if (msg.message_type == uint8_t(lib::DhcpMessageType::kAck)) {
    dm.assigned_ip = msg.yiaddr;
    return true;  // the exchange is complete
  }
  return false;
}

}  // namespace spanwatch::workers
