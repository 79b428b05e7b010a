// The application part of a flow record: nDPI's classification and risks (network.protocol, spanwatch.l7,
// spanwatch.risk) and what spanwatch's parsers read (tls.*, dns.*, http.*, url.*, user_agent.*,
// spanwatch.tls/.ssh/.http/.dhcp). Values from the wire always go through write_safe_string.
#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstring>

#include "lib/app/dhcp_message.hpp"
#include "lib/export/json_flow_writer.hpp"
#include "lib/export/json_write_helpers.hpp"
#include "lib/export/protocol_names.hpp"

namespace spanwatch::lib {

using namespace json_detail;

namespace {

// nDPI's protocol names in ECS's lowercase form ("TLS.Google" -> "tls.google").
struct Lower {
  std::array<char, 64> buf;
  size_t n = 0;
  explicit Lower(std::string_view s) noexcept {
    n = std::min(s.size(), buf.size());
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
  }
  std::string_view view() const noexcept { return {buf.data(), n}; }
};

// "TYPE65280" / "0xC0FF"-style fallbacks for numbers without a registered name.
struct NumberName {
  std::array<char, 16> buf{};
  size_t n = 0;
  NumberName(std::string_view prefix, uint64_t v, int base = 10) noexcept {
    n = std::min(prefix.size(), size_t{8});
    std::memcpy(buf.data(), prefix.data(), n);
    n = static_cast<size_t>(std::to_chars(buf.data() + n, buf.data() + buf.size(), v, base).ptr - buf.data());
    if (base == 16)
      for (size_t i = prefix.size(); i < n; ++i)
        buf[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(buf[i])));
  }
  std::string_view view() const noexcept { return {buf.data(), n}; }
};

void name_or_number(JsonWriter& w, const JsonField& f, std::string_view name, std::string_view prefix,
                    uint64_t v, int base = 10) noexcept {
  if (!name.empty())
    str_field(w, f, name);
  else
    str_field(w, f, NumberName(prefix, v, base).view());
}

bool has_name(const L7Info& l7) noexcept {
  return l7.state == L7State::kDetected || l7.state == L7State::kGuessed;
}

// Comma-separated wire strings (offered ALPNs) as a JSON array.
void comma_list(JsonWriter& w, const JsonField& f, std::string_view list) noexcept {
  key(w, f);
  w.StartArray();
  if (list.size() <= kMaxSafeStringBytes && w.PlainList(list.data(), list.size())) {  // most lists
    w.EndArray();
    return;
  }
  // Otherwise item by item, each repaired and escaped as it needs.
  for (size_t start = 0; start < list.size();) {
    const size_t comma = JsonWriter::NextComma(list.data(), start, list.size());
    if (comma > start) write_safe_string(w, list.substr(start, comma - start));
    start = comma + 1;
  }
  w.EndArray();
}

// Unix seconds -> RFC 3339 (certificate validity); outside the writer's range (before 1970) is omitted.
void unix_time_field(JsonWriter& w, const JsonField& f, int64_t secs) noexcept {
  if (secs <= 0 || secs > int64_t{17'000'000'000}) return;
  time_field(w, f, static_cast<uint64_t>(secs) * 1'000'000'000ull);
}

std::string_view info_line(const FlowRecord& rec, std::array<char, kInfoLineMax>& buf) noexcept {
  const AppMetadata& m = rec.app;
  switch (m.kind) {
    case AppKind::kTls:
      if (m.tls.sni[0] != '\0') return wire_text(m.tls.sni);
      break;
    case AppKind::kDns:
      if (m.dns.qname[0] != '\0') return wire_text(m.dns.qname);
      break;
    case AppKind::kHttp: {  // ntopng's "host/url"
      const std::string_view host = wire_text(m.http.host), url = wire_text(m.http.url);
      if (host.empty()) return url;
      const size_t nh = std::min(host.size(), buf.size());
      std::memcpy(buf.data(), host.data(), nh);
      const size_t nu = std::min(url.size(), buf.size() - nh);
      std::memcpy(buf.data() + nh, url.data(), nu);
      return {buf.data(), nh + nu};
    }
    case AppKind::kSsh:
      if (m.ssh.client_software[0] != '\0') return wire_text(m.ssh.client_software);
      break;
    case AppKind::kDhcp:
      if (m.dhcp.hostname[0] != '\0') return wire_text(m.dhcp.hostname);
      break;
    case AppKind::kNone:
      break;
  }
  return wire_text(rec.l7_host);
}

// nDPI's names of a record's ids, from the table the worker side filled at start-up.
struct L7Names {
  std::string_view master, app, category, breed, confidence;
  std::array<char, 64> proto_buf;
  std::string_view proto;

  L7Names(const L7Info& l7, const L7NameTable& t) noexcept {
    if (l7.master_id != 0) master = t.protocol(l7.master_id);
    app = t.protocol(l7.app_id);
    category = t.category(l7.category_id);
    breed = t.breed(l7.breed_id);
    confidence = t.confidence(l7.confidence_id);
    // As nDPI's ndpi_protocol2name: "master.app", or the one of them that is known.
    const std::string_view full_master = t.protocol(l7.master_id), full_app = t.protocol(l7.app_id);
    size_t n = 0;
    auto append = [&](std::string_view s) {
      const size_t k = std::min(s.size(), proto_buf.size() - 1 - n);
      std::memcpy(proto_buf.data() + n, s.data(), k);
      n += k;
    };
    if (l7.master_id != 0 && l7.master_id != l7.app_id) {
      append(full_master);
      if (l7.app_id != 0) {
        append(".");
        append(full_app);
      }
    } else {
      append(full_app);
    }
    proto = {proto_buf.data(), n};
  }
};

}  // namespace

JsonFlowWriter::JsonFlowWriter(JsonFlowContext ctx) : ctx_(std::move(ctx)) {
  add_own_risks(ctx_.risks);
  render_context();
  compute_bounds();
}

// What a rendered piece writes besides its text from outside: braces, keys, numbers, quotes (the observer,
// the largest, takes about 200 bytes; risk_<id> 16 more). Start-up only, so generous.
static constexpr size_t kRenderRoom = 1024;

template <class F>
std::string JsonFlowWriter::render(size_t outside_text, F&& members) {
  rapidjson::StringBuffer b;
  w_.Reset(b);
  w_.Reserve(json_room::escaped(outside_text) + kRenderRoom);
  w_.StartObject();
  members();
  w_.EndObject();
  w_.Finish();
  const std::string_view text(b.GetString(), b.GetSize());
  return std::string(text.substr(1, text.size() - 2));
}

// What depends only on the context is written here once, by the code that used to write it per record, and
// copied into each record as text: the observer, ecs.version, nDPI's names (lowercased, repaired, escaped)
// and the risk objects. Start-up only.
void JsonFlowWriter::render_context() {
  ecs_json_ = render(ctx_.ecs_version.size(), [&] {
    begin(w_, field::kEcs);
    safe_field(w_, field::kEcsVersion, ctx_.ecs_version);
    end(w_);
  });
  {  // an open object and array: written and finished without render()'s braces
    rapidjson::StringBuffer b;
    w_.Reset(b);
    w_.Reserve(kRenderRoom);  // our constants only
    write_event_head();
    w_.Finish();  // takes back the ',' after the last value; RawValue puts it back
    event_head_json_.assign(b.GetString(), b.GetSize());
  }
  observer_json_.clear();
  const size_t observer_text = ctx_.observer_hostname.size() + ctx_.observer_name.size();
  for (size_t i = 0; i < std::min<size_t>(ctx_.port_names.size(), size_t{UINT16_MAX} + 1); ++i)
    observer_json_.push_back(render(observer_text + ctx_.port_names[i].size(),
                                    [&] { write_observer_members(ctx_.port_names[i]); }));
  observer_json_.push_back(render(observer_text, [&] { write_observer_members({}); }));  // no port name

  // A value alone: rendered as {"":value}, less the braces and the "": prefix.
  constexpr size_t kEmptyKey = 3;
  const auto name_json = [&](std::string_view name, bool lower) {
    NameJson n;
    n.empty = name.empty();
    n.json = render(name.size(), [&] {
               w_.Key("", 0);
               write_safe_string(w_, lower ? Lower(name).view() : name);
             }).substr(kEmptyKey);
    n.short_plain = name.size() <= 63 && is_plain_json_text(name);
    return n;
  };
  const auto names = [&](const std::vector<std::string>& in, bool lower) {
    std::vector<NameJson> out;
    for (const std::string& name : in) out.push_back(name_json(name, lower));
    return out;
  };
  protocol_lower_ = names(ctx_.l7_names.protocols, true);
  categories_ = names(ctx_.l7_names.categories, false);
  breeds_ = names(ctx_.l7_names.breeds, false);
  confidences_ = names(ctx_.l7_names.confidences, false);

  for (unsigned id = 0; id < risk_json_.size(); ++id) {
    const RiskInfo& info = ctx_.risks[id];
    risk_json_[id] = render(info.name.size() + info.severity.size(), [&] {
                       w_.Key("", 0);
                       w_.StartObject();
                       uint_field(w_, field::kRiskListId, id);
                       if (!info.name.empty())
                         str_field(w_, field::kRiskListName, info.name);
                       else
                         str_field(w_, field::kRiskListName, NumberName("risk_", id).view());
                       if (!info.severity.empty()) str_field(w_, field::kRiskListSeverity, info.severity);
                       uint_field(w_, field::kRiskListScore, info.score);
                       w_.EndObject();
                     }).substr(kEmptyKey);
  }
}

const JsonFlowWriter::NameJson JsonFlowWriter::kNoName{"\"\"", true, true};

uint32_t JsonFlowWriter::risk_score(uint64_t risks) const noexcept {
  uint32_t score = 0;
  for (uint64_t r = risks; r != 0; r &= r - 1) score += ctx_.risks[size_t(std::countr_zero(r))].score;
  return score;
}

void JsonFlowWriter::write_network_application(const L7Info& l7) noexcept {
  if (!has_name(l7)) return;
  // As L7Names: master only for a master id; names lowercased, repaired and escaped once (render_context).
  const NameJson& master = l7.master_id != 0 ? protocol_name(l7.master_id) : kNoName;
  const NameJson& app = protocol_name(l7.app_id);
  const NameJson& proto = master.empty ? app : master;
  raw_field(w_, field::kNetworkProtocol, proto.json);
  if (!master.empty && !app.empty && l7.app_id != l7.master_id) {
    raw_field(w_, field::kNetworkApplication, app.json);
  }
}

void JsonFlowWriter::write_l7_proto(const L7Info& l7) noexcept {
  // ndpi_protocol2name's "master.app" (L7Names::proto), lowercased: joined from the rendered names when
  // both are short plain ASCII (then lowercasing, repair and escaping change nothing but the case), else
  // built and repaired here as L7Names does.
  const NameJson& m = protocol_name(l7.master_id);
  const NameJson& a = protocol_name(l7.app_id);
  const bool join = l7.master_id != 0 && l7.master_id != l7.app_id;
  if (!join && a.short_plain) {
    raw_field(w_, field::kL7Proto, a.json);
    return;
  }
  if (join && m.short_plain &&
      (l7.app_id == 0 || (a.short_plain && m.json.size() + a.json.size() <= 63 + 3))) {
    key(w_, field::kL7Proto);
    if (l7.app_id == 0) {
      w_.RawValue(m.json.data(), m.json.size());
      return;
    }
    // m.json and a.json are "name": join as "master.app" (the lengths less the quotes plus the dot <= 63).
    std::array<char, 72> buf;
    const size_t nm = m.json.size() - 1, na = a.json.size() - 1;
    std::memcpy(buf.data(), m.json.data(), nm);
    buf[nm] = '.';
    std::memcpy(buf.data() + nm + 1, a.json.data() + 1, na);
    w_.RawValue(buf.data(), nm + 1 + na);
    return;
  }
  const L7Names n(l7, ctx_.l7_names);
  safe_field(w_, field::kL7Proto, Lower(n.proto).view());
}

void JsonFlowWriter::write_application(const FlowRecord& rec) noexcept {
  switch (rec.app.kind) {
    case AppKind::kTls:
      write_tls(rec.app.tls);
      return;
    case AppKind::kDns:
      write_dns(rec.app.dns);
      return;
    case AppKind::kHttp:
      write_http(rec.app.http);
      return;
    default:
      return;
  }
}

void JsonFlowWriter::write_tls(const TlsMetadata& t) noexcept {
  if (!t.has_client_hello && !t.has_server_hello) return;
  begin(w_, field::kTls);
  const uint16_t version = t.has_server_hello ? t.version : 0;
  if (const TlsVersionName v = tls_version_name(version); !v.version.empty()) {
    str_field(w_, field::kTlsVersion, v.version);
    str_field(w_, field::kTlsVersionProtocol, v.protocol);
  }
  if (t.has_server_hello) {
    if (!cipher_known_ || cipher_id_ != t.cipher) {
      cipher_name_ = tls_cipher_name(t.cipher);
      cipher_id_ = t.cipher;
      cipher_known_ = true;
    }
    name_or_number(w_, field::kTlsCipher, cipher_name_, "0x", t.cipher, 16);
    if (t.alpn[0] != '\0') safe_field(w_, field::kTlsNextProtocol, wire_text(t.alpn));
  }
  if (t.has_client_hello) {
    begin(w_, field::kTlsClient);
    if (t.sni[0] != '\0') safe_field(w_, field::kTlsClientServerName, wire_text(t.sni));
    hex_field(w_, field::kTlsClientJa3, t.ja3);
    end(w_);
  }
  if (t.has_server_hello || t.has_certificate) {
    begin(w_, field::kTlsServer);
    if (t.has_server_hello) hex_field(w_, field::kTlsServerJa3s, t.ja3s);
    if (t.has_certificate) {
      if (t.subject[0] != '\0') safe_field(w_, field::kTlsServerSubject, wire_text(t.subject));
      if (t.issuer[0] != '\0') safe_field(w_, field::kTlsServerIssuer, wire_text(t.issuer));
      unix_time_field(w_, field::kTlsServerNotBefore, t.not_before);
      unix_time_field(w_, field::kTlsServerNotAfter, t.not_after);
      begin(w_, field::kTlsServerHash);
      hex_field(w_, field::kTlsServerHashSha1, t.cert_sha1);
      end_filled(w_);
      if (t.serial[0] != '\0' || t.san[0] != '\0') {
        begin(w_, field::kTlsServerX509);
        if (t.serial[0] != '\0') str_field(w_, field::kTlsServerX509SerialNumber, wire_text(t.serial));
        if (t.san[0] != '\0') comma_list(w_, field::kTlsServerX509AlternativeNames, wire_text(t.san));
        end_filled(w_);
      }
    }
    end(w_);
  }
  end_filled(w_);
}

void JsonFlowWriter::write_dns(const DnsMetadata& d) noexcept {
  if (!d.has_query && !d.has_response) return;
  begin(w_, field::kDns);
  decimal_field(w_, field::kDnsId, d.id);
  str_field(w_, field::kDnsType, d.has_response ? "answer" : "query");
  decimal_field(w_, field::kDnsOpCode, (d.flags >> 11) & 0xF);
  {
    key(w_, field::kDnsHeaderFlags);
    w_.StartArray();
    static constexpr std::pair<uint16_t, std::string_view> kFlags[] = {
        {0x0400, "AA"}, {0x0200, "TC"}, {0x0100, "RD"}, {0x0080, "RA"}, {0x0020, "AD"}, {0x0010, "CD"}};
    for (const auto& [bit, name] : kFlags)
      if (d.flags & bit) lit(w_, name);
    w_.EndArray();
  }
  if (d.qname[0] != '\0' || d.qtype != 0) {
    begin(w_, field::kDnsQuestion);
    if (d.qname[0] != '\0') safe_field(w_, field::kDnsQuestionName, wire_text(d.qname));
    if (d.qtype != 0) name_or_number(w_, field::kDnsQuestionType, dns_type_name(d.qtype), "TYPE", d.qtype);
    if (d.qclass != 0)
      name_or_number(w_, field::kDnsQuestionClass, dns_class_name(d.qclass), "CLASS", d.qclass);
    end_filled(w_);
  }
  if (d.has_response) {
    name_or_number(w_, field::kDnsResponseCode, dns_rcode_name(d.rcode), "RCODE", d.rcode);
    if (d.answer_count > 0) {
      key(w_, field::kDnsAnswers);
      w_.StartArray();
      for (size_t i = 0; i < std::min<size_t>(d.answer_count, d.answers.size()); ++i) {
        const DnsAnswerRecord& a = d.answers[i];
        w_.StartObject();
        if (a.name[0] != '\0') safe_field(w_, field::kDnsAnswersName, wire_text(a.name));
        name_or_number(w_, field::kDnsAnswersType, dns_type_name(a.type), "TYPE", a.type);
        str_field(w_, field::kDnsAnswersClass, "IN");
        uint_field(w_, field::kDnsAnswersTtl, a.ttl);
        if (a.data[0] != '\0') safe_field(w_, field::kDnsAnswersData, wire_text(a.data));
        w_.EndObjectAfterValue();
      }
      w_.EndArrayAfterValue();
    }
    if (d.resolved_ip_count > 0) {
      key(w_, field::kDnsResolvedIp);
      w_.StartArray();
      for (size_t i = 0; i < std::min<size_t>(d.resolved_ip_count, d.resolved_ips.size()); ++i)
        ip_value(w_, d.resolved_ips[i]);
      w_.EndArrayAfterValue();
    }
  }
  end_filled(w_);
}

void JsonFlowWriter::write_http(const HttpMetadata& h) noexcept {
  if (!h.has_request && !h.has_response) return;
  begin(w_, field::kHttp);
  if (h.version[0] != '\0') safe_field(w_, field::kHttpVersion, wire_text(h.version));
  if (h.has_request) {
    begin(w_, field::kHttpRequest);
    if (h.method[0] != '\0') safe_field(w_, field::kHttpRequestMethod, wire_text(h.method));
    if (h.request_content_type[0] != '\0')
      safe_field(w_, field::kHttpRequestMimeType, wire_text(h.request_content_type));
    if (h.request_body_bytes != 0) {
      begin(w_, field::kHttpRequestBody);
      uint_field(w_, field::kHttpRequestBodyBytes, h.request_body_bytes);
      end(w_);
    }
    end(w_);
  }
  if (h.has_response) {
    begin(w_, field::kHttpResponse);
    if (h.status != 0) uint_field(w_, field::kHttpResponseStatusCode, h.status);
    if (h.response_content_type[0] != '\0')
      safe_field(w_, field::kHttpResponseMimeType, wire_text(h.response_content_type));
    if (h.response_body_bytes != 0) {
      begin(w_, field::kHttpResponseBody);
      uint_field(w_, field::kHttpResponseBodyBytes, h.response_body_bytes);
      end(w_);
    }
    end(w_);
  }
  end(w_);
  if (h.url[0] != '\0' || h.host[0] != '\0') {
    begin(w_, field::kUrl);
    if (h.url[0] != '\0') safe_field(w_, field::kUrlOriginal, wire_text(h.url));
    if (h.host[0] != '\0') safe_field(w_, field::kUrlDomain, wire_text(h.host));
    end(w_);
  }
  if (h.user_agent[0] != '\0') {
    begin(w_, field::kUserAgent);
    safe_field(w_, field::kUserAgentOriginal, wire_text(h.user_agent));
    end(w_);
  }
}

void JsonFlowWriter::write_risks(uint64_t risks) noexcept {
  begin(w_, field::kRisk);
  uint_field(w_, field::kRiskScore, risk_score_);  // of risks_, as event.risk_score
  key(w_, field::kRiskList);
  w_.StartArray();
  for (uint64_t r = risks; r != 0; r &= r - 1) {
    const auto id = static_cast<unsigned>(std::countr_zero(r));
    w_.RawValue(risk_json_[id].data(), risk_json_[id].size());  // rendered once (render_context)
  }
  w_.EndArrayAfterValue();
  end_filled(w_);
}

void JsonFlowWriter::write_spanwatch_application(const FlowRecord& rec) noexcept {
  const L7Info& l7 = rec.l7;
  if (l7.state != L7State::kNone) {
    begin(w_, field::kL7);
    if (has_name(l7)) {
      // As L7Names, from the names rendered once (render_context).
      write_l7_proto(l7);
      const auto name = [&](const JsonField& f, const NameJson& n) {
        if (n.empty) return;
        raw_field(w_, f, n.json);
      };
      if (l7.master_id != 0) name(field::kL7Master, protocol_name(l7.master_id));
      name(field::kL7App, protocol_name(l7.app_id));
      name(field::kL7Category, name_at(categories_, l7.category_id));
      name(field::kL7Breed, name_at(breeds_, l7.breed_id));
      name(field::kL7Confidence, name_at(confidences_, l7.confidence_id));
      bool_field(w_, field::kL7Encrypted, l7.encrypted);
    } else if (l7.state == L7State::kUnknown) {
      str_field(w_, field::kL7Proto, "unknown");  // an answer too: nDPI saw the flow and knows nothing
    }
    str_field(w_, field::kL7State, kL7StateNames[size_t(l7.state)]);
    std::array<char, kInfoLineMax> buf;
    if (const std::string_view info = info_line(rec, buf); !info.empty())
      safe_field(w_, field::kL7Info, info);
    end_filled(w_);
  }
  if (risks_ != 0) write_risks(risks_);

  const AppMetadata& m = rec.app;
  switch (m.kind) {
    case AppKind::kTls: {
      const TlsMetadata& t = m.tls;
      if (t.ja4[0] == '\0' && t.client_alpns[0] == '\0' && t.supported_version_count == 0) break;
      begin(w_, field::kSwTls);
      if (t.ja4[0] != '\0') str_field(w_, field::kSwTlsJa4, wire_text(t.ja4));
      if (t.client_alpns[0] != '\0') comma_list(w_, field::kSwTlsClientAlpns, wire_text(t.client_alpns));
      if (t.supported_version_count > 0) {
        key(w_, field::kSwTlsSupportedVersions);
        w_.StartArray();
        for (size_t i = 0; i < std::min<size_t>(t.supported_version_count, t.supported_versions.size());
             ++i) {
          const TlsVersionName v = tls_version_name(t.supported_versions[i]);
          if (!v.version.empty())
            lit(w_, v.version);
          else
            lit(w_, NumberName("0x", t.supported_versions[i], 16).view());
        }
        w_.EndArrayAfterValue();
      }
      end_filled(w_);
      break;
    }
    case AppKind::kSsh: {
      const SshMetadata& s = m.ssh;
      begin(w_, field::kSwSsh);
      for (const bool client : {true, false}) {
        const std::string_view sw = wire_text(client ? s.client_software : s.server_software);
        const bool has_hassh = client ? s.has_hassh : s.has_hassh_server;
        if (sw.empty() && !has_hassh) continue;
        begin(w_, client ? field::kSwSshClient : field::kSwSshServer);
        if (!sw.empty())
          safe_field(w_, client ? field::kSwSshClientSoftware : field::kSwSshServerSoftware, sw);
        if (has_hassh)
          hex_field(w_, client ? field::kSwSshClientHassh : field::kSwSshServerHassh,
                    client ? s.hassh : s.hassh_server);
        end(w_);
      }
      end(w_);
      break;
    }
    case AppKind::kHttp:
      if (m.http.server[0] != '\0') {
        begin(w_, field::kSwHttp);
        safe_field(w_, field::kSwHttpServer, wire_text(m.http.server));
        end(w_);
      }
      break;
    case AppKind::kDhcp: {
      const DhcpMetadata& d = m.dhcp;
      begin(w_, field::kSwDhcp);
      if (d.message_type != 0)
        name_or_number(w_, field::kSwDhcpMessageType, dhcp_message_type_name(d.message_type), "TYPE",
                       d.message_type);
      if (d.hostname[0] != '\0') safe_field(w_, field::kSwDhcpHostname, wire_text(d.hostname));
      if (d.vendor_class[0] != '\0') safe_field(w_, field::kSwDhcpVendorClass, wire_text(d.vendor_class));
      if (d.parameter_list[0] != '\0')
        safe_field(w_, field::kSwDhcpParameterList, wire_text(d.parameter_list));
      if (d.has_client_mac) mac_field(w_, field::kSwDhcpClientMac, d.client_mac);
      if (!is_zero(d.requested_ip)) ip_field(w_, field::kSwDhcpRequestedIp, d.requested_ip);
      if (!is_zero(d.assigned_ip)) ip_field(w_, field::kSwDhcpAssignedIp, d.assigned_ip);
      end(w_);
      break;
    }
    default:
      break;
  }
}

}  // namespace spanwatch::lib
