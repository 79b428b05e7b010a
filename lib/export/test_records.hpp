// Hand-built FlowRecords for the lib/export tests (json_flow_writer_test, json_schema_test): a TCP flow with
// every base field set, and application records that together emit every key in kAllJsonFields. Test-only.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "lib/export/json_flow_writer.hpp"
#include "lib/flow/flow_record.hpp"

namespace spanwatch::lib {

inline IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t p[4] = {a, b, c, d};
  return IpAddress::from_v4(p);
}
inline IpAddress v6(std::initializer_list<uint8_t> bytes) {
  uint8_t p[16] = {};
  size_t i = 0;
  for (uint8_t b : bytes) p[i++] = b;
  return IpAddress::from_v6(p);
}

// A digest from its hex text (the text must be 2 * N hex digits).
template <size_t N>
std::array<uint8_t, N> digest_from_hex(std::string_view hex) {
  auto nibble = [](char c) { return static_cast<uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10); };
  std::array<uint8_t, N> d{};
  for (size_t i = 0; i < N && 2 * i + 1 < hex.size(); ++i)
    d[i] = static_cast<uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  return d;
}

inline constexpr uint64_t kT0 = 1767607200000001000ull;  // 2026-01-05T10:00:00.000001Z

inline FlowRecord tcp_record() {
  FlowRecord r;
  r.flow_id = (uint64_t{3} << 56) | 0x42;
  r.worker_id = 3;
  r.emit_ns = 1767607241123456789ull;  // 2026-01-05T10:00:41.123456789Z
  r.first_ns = kT0;
  r.last_ns = kT0 + 40499999000ull;
  r.src_ip = v4(1, 2, 3, 4);
  r.dst_ip = v4(5, 6, 7, 8);
  r.src_port = 1122;
  r.dst_port = 3344;
  r.l4_proto = 6;
  r.ip_version = 4;
  auto& o = r.dir[size_t(Dir::kOrig)];
  o.packets = 60;
  o.frame_bytes = 4004;
  o.ip_bytes = 3164;
  o.payload_bytes = 1000;
  o.mac = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x23};
  o.has_mac = true;
  o.tcp_flags = 0x1b;
  auto& s = r.dir[size_t(Dir::kResp)];
  s.packets = 61;
  s.frame_bytes = 94000;
  s.ip_bytes = 93146;
  s.payload_bytes = 90000;
  s.mac = {0xab, 0xcd, 0xef, 0x01, 0x02, 0x03};
  s.has_mac = true;
  s.tcp_flags = 0x13;
  r.vlan_count = 2;
  r.vlan_ids = {100, 4094};
  r.conn_state = ConnState::kSF;
  const std::string_view hist = "ShADadFf";
  std::copy(hist.begin(), hist.end(), r.history.begin());
  r.history_len = uint8_t(hist.size());
  r.reason = EndReason::kEndOfFlow;
  r.final = true;
  r.port_id = 1;
  r.sequence = 0;
  return r;
}

inline JsonFlowContext full_context() {
  JsonFlowContext c;
  c.observer_hostname = "sensor1.example.net";
  c.observer_name = "dc1-span";
  c.port_names = {"port0", "0000:3b:00.0"};
  c.risks[9] = {"TLS Certificate Expired", "High", 100};  // as nDPI 4.2 names NDPI_TLS_CERTIFICATE_EXPIRED
  // nDPI 4.2's names of the ids the records below use (index 0 left empty: the records set no category,
  // breed or confidence but the TLS one).
  L7NameTable& n = c.l7_names;
  n.protocols.resize(127);
  n.protocols[0] = "Unknown";
  n.protocols[5] = "DNS";
  n.protocols[7] = "HTTP";
  n.protocols[18] = "DHCP";
  n.protocols[91] = "TLS";
  n.protocols[92] = "SSH";
  n.protocols[126] = "Google";
  n.categories = {"", "", "", "", "", "Web"};
  n.breeds = {"", "Acceptable"};
  n.confidences = {"", "", "", "", "DPI"};
  return c;
}

// Records that together emit every key in kAllJsonFields (set_text: lib/flow/app_metadata.hpp).
inline FlowRecord tls_record() {
  FlowRecord r = tcp_record();
  r.l7.state = L7State::kDetected;
  r.l7.master_id = 91;
  r.l7.app_id = 126;
  r.l7.encrypted = true;
  r.l7.category_id = 5;           // Web
  r.l7.breed_id = 1;              // Acceptable
  r.l7.confidence_id = 4;         // DPI
  r.l7.risks = uint64_t{1} << 9;  // NDPI_TLS_CERTIFICATE_EXPIRED
  r.app.reset(AppKind::kTls);
  TlsMetadata& t = r.app.tls;
  t.has_client_hello = t.has_server_hello = t.has_certificate = true;
  set_text(t.sni, "www.google.com");
  t.ja3 = digest_from_hex<kMd5Bytes>("e7d705a3286e19ea42f587b344ee6865");
  t.ja3s = digest_from_hex<kMd5Bytes>("eb1d94daa7e0344597e756a1fb6e7054");
  set_text(t.client_alpns, "h2,http/1.1");
  set_text(t.alpn, "h2");
  t.version = 0x0304;
  t.cipher = 0x1301;
  t.supported_version_count = 2;
  t.supported_versions = {0x0304, 0x0303};
  set_text(t.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
  set_text(t.subject, "CN=www.google.com");
  set_text(t.issuer, "CN=GTS CA 1C3,O=Google Trust Services LLC,C=US");
  set_text(t.san, "www.google.com,google.com");
  set_text(t.serial, "0A1B2C");
  t.cert_sha1 = digest_from_hex<kSha1Bytes>("0123456789abcdef0123456789abcdef01234567");
  t.not_before = 1767225600;  // 2026-01-01
  t.not_after = 1774915200;   // 2026-03-31
  return r;
}

inline FlowRecord dns_record() {
  FlowRecord r = tcp_record();
  r.l4_proto = 17;
  r.l7.state = L7State::kDetected;
  r.l7.app_id = 5;
  r.app.reset(AppKind::kDns);
  DnsMetadata& d = r.app.dns;
  d.has_query = d.has_response = true;
  d.id = 4660;
  d.flags = 0x8183;  // response, RD, RA, NXDOMAIN
  set_text(d.qname, "nosuch.example");
  d.qtype = 28;
  d.qclass = 1;
  d.rcode = 3;
  d.answer_count = 1;
  d.answers[0].type = 1;
  d.answers[0].ttl = 60;
  set_text(d.answers[0].name, "nosuch.example");
  set_text(d.answers[0].data, "192.0.2.7");
  d.resolved_ip_count = 1;
  d.resolved_ips[0] = v4(192, 0, 2, 7);
  return r;
}

inline FlowRecord ssh_record() {
  FlowRecord r = tcp_record();
  r.l7.state = L7State::kDetected;
  r.l7.app_id = 92;
  r.app.reset(AppKind::kSsh);
  set_text(r.app.ssh.client_software, "SSH-2.0-OpenSSH_9.2p1");
  set_text(r.app.ssh.server_software, "SSH-2.0-OpenSSH_8.9");
  r.app.ssh.has_hassh = r.app.ssh.has_hassh_server = true;
  r.app.ssh.hassh = digest_from_hex<kMd5Bytes>("aec6d0ea42f7e1e4f1d1d7c7b4a9b2c1");
  r.app.ssh.hassh_server = digest_from_hex<kMd5Bytes>("b12d2871a1189eff20364cf5333619ee");
  return r;
}

inline FlowRecord http_record() {
  FlowRecord r = tcp_record();
  r.l7.state = L7State::kGuessed;
  r.l7.app_id = 7;
  r.app.reset(AppKind::kHttp);
  HttpMetadata& h = r.app.http;
  h.has_request = h.has_response = true;
  set_text(h.method, "GET");
  set_text(h.version, "1.1");
  set_text(h.url, "/index.html?q=1");
  set_text(h.host, "probe.example.test");
  set_text(h.user_agent, "curl/7.88.1");
  set_text(h.request_content_type, "application/json");
  set_text(h.response_content_type, "text/html");
  set_text(h.server, "nginx");
  h.status = 200;
  h.request_body_bytes = 12;
  h.response_body_bytes = 612;
  return r;
}

inline FlowRecord dhcp_record() {
  FlowRecord r = tcp_record();
  r.l4_proto = 17;
  r.l7.state = L7State::kDetected;
  r.l7.app_id = 18;
  r.app.reset(AppKind::kDhcp);
  DhcpMetadata& d = r.app.dhcp;
  d.message_type = 3;
  d.has_client_mac = true;
  d.client_mac = {0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42};
  d.requested_ip = v4(192, 168, 0, 10);
  d.assigned_ip = v4(192, 168, 0, 10);
  set_text(d.hostname, "laptop-7");
  set_text(d.vendor_class, "MSFT 5.0");
  set_text(d.parameter_list, "1,3,6,15,31,33");
  return r;
}

// Every enrichment member set: what FlowEnricher gives a record with GeoIP, an inventory and rules.
inline FlowEnrichment full_enrichment() {
  FlowEnrichment e;
  e.direction = "outbound";
  for (size_t i = 0; i < 2; ++i) {
    EndpointEnrichment& p = e.ep[i];
    p.service = i ? "https" : "ntp";
    p.mac_vendor = i ? "" : "Intel Corporate";
    p.mac_class = i ? "locally_administered" : "";
    p.country_iso_code = "DE";
    p.country_name = "Germany";
    p.city_name = "Berlin";
    p.location = {{52.52, 13.405}};
    p.as_number = 3320;
    p.as_organization = "Deutsche Telekom AG";
    p.as_class = "isp";
    p.as_class_source = "as-classes.tsv: operator's description";
    p.is_local = i == 0;
    p.domain = i ? "www.example.com" : "laptop-7.corp.example";
    p.hostname = "laptop-7";
    p.hostname_source = "inventory";
    p.os = "Debian 12";
    p.owner = "Alice";
    p.role = "workstation";
    p.bps = 8000 * (i + 1);
  }
  e.labels = FlowLabelSet(1u << unsigned(FlowLabel::kLongLived));
  e.throughput_bps = 24000;
  e.current_bps = 12000;
  e.rule_count = 1;
  e.rules[0] = {9001, "Suspicious user agent", "high", "user_agent"};
  return e;
}

inline std::vector<FlowRecord> sample_records() {
  FlowRecord tcp = tcp_record();
  tcp.tunnel = TunnelType::kGtpU;
  tcp.tunnel_depth = 1;
  tcp.tunnel_src = v4(10, 0, 0, 1);
  tcp.tunnel_dst = v4(10, 0, 0, 2);
  tcp.fragments = 2;
  FlowRecord udp = tcp_record();
  udp.l4_proto = 17;
  udp.is_tunnel_carrier = true;
  udp.history[0] = 'D';
  udp.history_len = 1;
  FlowRecord scan = tcp_record();  // own risks: NULL scan
  scan.dir[0].tcp_flags = 0;
  return {tcp, udp, tls_record(), dns_record(), ssh_record(), http_record(), dhcp_record(), scan};
}

}  // namespace spanwatch::lib
