// The worst records for the JSON writer's tests and the flow ring codec's (test-only): every string of the
// record, the context and the enrichment filled to its capacity with the text that grows most when escaped
// (control bytes), invalid UTF-8, quotes, comma lists of one-byte items, plain text or random bytes; every
// number at its widest and every optional part set, for each application kind.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "lib/export/json_flow_writer.hpp"
#include "lib/export/test_records.hpp"

namespace spanwatch::lib {

// Fills `n` bytes with pattern `k`; no NUL, so wire text takes the whole array.
inline std::string hostile(size_t n, unsigned k, std::mt19937& rng) {
  std::string s(n, '\x01');
  for (size_t i = 0; i < n; ++i) {
    switch (k) {
      case 0:  // control bytes: \u0001, six bytes each
        s[i] = '\x1f';
        break;
      case 1:  // invalid UTF-8: U+FFFD each
        s[i] = '\xff';
        break;
      case 2:  // one-byte list items: "\u0001",
        s[i] = i % 2 ? ',' : '\x01';
        break;
      case 3:  // quotes: \" each
        s[i] = '"';
        break;
      case 4:  // plain: the fast path at full length
        s[i] = 'a';
        break;
      default:  // random bytes, NUL aside
        s[i] = static_cast<char>(1 + rng() % 255);
    }
  }
  return s;
}
template <size_t N>
void fill(char (&dst)[N], unsigned k, std::mt19937& rng) {
  const std::string s = hostile(N, k, rng);
  std::memcpy(dst, s.data(), N);
}

template <size_t N>
void fill(std::array<uint8_t, N>& digest, std::mt19937& rng) {
  for (uint8_t& b : digest) b = static_cast<uint8_t>(rng());
}

inline FlowRecord worst_record(AppKind kind, unsigned k, std::mt19937& rng) {
  FlowRecord r = tcp_record();
  for (DirStats& d : r.dir) {
    d.packets = d.frame_bytes = d.ip_bytes = d.payload_bytes = UINT64_MAX;
    d.tcp_flags = 0xFF;
    d.has_mac = true;
  }
  const uint8_t ff[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 255, 255, 255, 255};
  r.src_ip = IpAddress::from_v6(ff);
  r.dst_ip = IpAddress::from_v6(mapped);
  r.src_port = r.dst_port = UINT16_MAX;
  r.l4_proto = static_cast<uint8_t>(k % 2 ? 6 : 17);  // TCP's part, or conn_state and history in flow
  r.flow_id = UINT64_MAX;
  r.worker_id = UINT16_MAX;
  r.sequence = k % 2 ? 0 : UINT32_MAX;  // "start" and "end" (and "denied"), or a wide number
  r.fragments = UINT32_MAX;
  r.vlan_count = 255;
  r.vlan_ids = {4095, 4095};
  r.first_ns = 1;
  r.emit_ns = r.last_ns = UINT64_MAX;
  r.reason = EndReason::kActiveTimeout;
  r.final = true;
  r.conn_state = k % 2 ? ConnState::kREJ : ConnState::kRSTOS0;
  r.history_len = 255;
  const std::string h = hostile(r.history.size(), k, rng);
  std::memcpy(r.history.data(), h.data(), h.size());
  r.tunnel = TunnelType(1);
  r.tunnel_depth = 255;
  r.tunnel_src = IpAddress::from_v6(mapped);
  r.tunnel_dst = IpAddress::from_v6(ff);
  r.is_tunnel_carrier = true;
  r.l7.state = L7State::kDetected;
  r.l7.master_id = 1;  // the context's long hostile names
  r.l7.app_id = static_cast<uint16_t>(k % 2 ? 2 : 3);
  r.l7.category_id = r.l7.breed_id = r.l7.confidence_id = 1;
  r.l7.risks = ~uint64_t{0};
  fill(r.l7_host, k, rng);
  r.app.reset(kind);
  switch (kind) {
    case AppKind::kTls: {
      TlsMetadata& t = r.app.tls;
      t.has_client_hello = t.has_server_hello = t.has_certificate = true;
      t.version = 0x7f7f;  // unnamed
      t.cipher = static_cast<uint16_t>(k % 2 ? 0xc0ff : 0xc02c);
      fill(t.sni, k, rng);
      fill(t.client_alpns, k, rng);
      fill(t.alpn, k, rng);
      fill(t.ja3, rng);
      fill(t.ja3s, rng);
      fill(t.ja4, 4, rng);  // our own hex text: written as it is
      fill(t.subject, k, rng);
      fill(t.issuer, k, rng);
      fill(t.san, k, rng);
      fill(t.serial, 4, rng);  // our own hex text: written as it is
      fill(t.cert_sha1, rng);
      t.supported_version_count = 255;
      t.supported_versions.fill(0xfafa);
      t.not_before = 1;
      t.not_after = 16'999'999'999;
      break;
    }
    case AppKind::kDns: {
      DnsMetadata& d = r.app.dns;
      d.has_query = d.has_response = true;
      d.id = UINT16_MAX;
      d.flags = UINT16_MAX;
      d.qtype = d.qclass = 65280;
      d.rcode = 255;
      fill(d.qname, k, rng);
      d.answer_count = d.resolved_ip_count = 255;
      for (DnsAnswerRecord& a : d.answers) {
        a.type = 65280;
        a.ttl = UINT32_MAX;
        fill(a.name, k, rng);
        fill(a.data, k, rng);
      }
      d.resolved_ips.fill(IpAddress::from_v6(mapped));
      break;
    }
    case AppKind::kHttp: {
      HttpMetadata& x = r.app.http;
      x.has_request = x.has_response = true;
      x.status = UINT16_MAX;
      x.request_body_bytes = x.response_body_bytes = UINT64_MAX;
      fill(x.method, k, rng);
      fill(x.version, k, rng);
      fill(x.url, k, rng);
      fill(x.host, k, rng);
      fill(x.user_agent, k, rng);
      fill(x.request_content_type, k, rng);
      fill(x.response_content_type, k, rng);
      fill(x.server, k, rng);
      break;
    }
    case AppKind::kSsh: {
      SshMetadata& x = r.app.ssh;
      fill(x.client_software, k, rng);
      fill(x.server_software, k, rng);
      x.has_hassh = x.has_hassh_server = true;
      fill(x.hassh, rng);
      fill(x.hassh_server, rng);
      break;
    }
    case AppKind::kDhcp: {
      DhcpMetadata& x = r.app.dhcp;
      x.message_type = 250;  // unnamed
      x.has_client_mac = true;
      x.requested_ip = x.assigned_ip = IpAddress::from_v6(mapped);
      fill(x.hostname, k, rng);
      fill(x.vendor_class, k, rng);
      fill(x.parameter_list, k, rng);
      break;
    }
    default:
      break;
  }
  return r;
}

// A context whose every text is long and hostile: names past what write_safe_string keeps, escaping.
inline JsonFlowContext worst_context(unsigned k, std::mt19937& rng) {
  JsonFlowContext c;
  c.observer_hostname = hostile(3000, k, rng);
  c.observer_name = hostile(1500, k, rng);
  c.port_names = {hostile(2000, k, rng)};
  c.ecs_version = hostile(1100, k, rng);
  L7NameTable& n = c.l7_names;
  n.protocols = {"Unknown", hostile(200, k, rng), hostile(200, k, rng), std::string(40, 'Q')};
  n.categories = {"", hostile(1200, k, rng)};
  n.breeds = {"", hostile(1200, k, rng)};
  n.confidences = {"", hostile(1200, k, rng)};
  // RiskInfo holds views of nDPI's static names, written as they are (plain ASCII): long ones here, kept
  // as long as the test runs.
  static std::deque<std::string> risk_text;
  for (unsigned id = 0; id < 64; ++id) {
    risk_text.push_back(hostile(100 + id, 4, rng));
    risk_text.push_back(hostile(20, 4, rng));
    c.risks[id] = {risk_text[risk_text.size() - 2], risk_text.back(), 100};
  }
  return c;
}

struct WorstEnrichment {
  std::vector<std::string> text;  // what the views point into
  FlowEnrichment e;
  WorstEnrichment(unsigned k, std::mt19937& rng) {
    text.reserve(64);
    const auto t = [&](size_t n, unsigned pattern) {
      text.push_back(hostile(n, pattern, rng));
      return std::string_view(text.back());
    };
    // Our own words (direction, rule severity and field names): written as they are, so plain; counted by
    // their length.
    e.direction = t(40, 4);
    for (EndpointEnrichment& p : e.ep) {
      for (std::string_view* v :
           {&p.service, &p.mac_vendor, &p.mac_class, &p.country_iso_code, &p.country_name, &p.city_name,
            &p.as_organization, &p.as_class, &p.as_class_source, &p.domain, &p.hostname, &p.hostname_source,
            &p.os, &p.owner, &p.role})
        *v = t(1500, k);
      p.location = std::array<double, 2>{-1.7976931348623157e308, -123456789.123456789};
      p.as_number = UINT32_MAX;
      p.is_local = false;
      p.bps = UINT64_MAX;
    }
    e.labels = 0xFF;
    e.throughput_bps = e.current_bps = UINT64_MAX;
    e.rule_count = 255;
    for (RuleHit& h : e.rules) {
      h.id = UINT32_MAX;
      h.name = t(1300, k);
      h.severity = t(30, 4);
      h.field = t(30, 4);
    }
  }
};

}  // namespace spanwatch::lib
