// Every key the NDJSON flow record emits: dotted path (ECS name, or spanwatch.* for our own), the key written
// at its level of nesting, and its JSON type. The writer and the tests read only this table.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace spanwatch::lib {

// kObjectArray: an array of objects whose keys are the fields below it (dns.answers[].name).
// kNumber: a floating-point value (geo_point latitude/longitude).
enum class JsonType : uint8_t { kObject, kString, kInteger, kNumber, kBool, kStringArray, kObjectArray };

// Room for a key as the writer emits it, quotes and colon included (the longest,
// "supported_versions":, has 21 bytes).
inline constexpr size_t kQuotedKeyRoom = 24;

struct JsonField {
  std::string_view path;  // "source.ip"
  std::string_view key;   // "ip": what is written inside the parent object
  JsonType type;
  // `"ip":`, zero-padded to kQuotedKeyRoom: the writer copies a key in one fixed-size move.
  std::array<char, kQuotedKeyRoom> quoted_key{};
  uint8_t quoted_key_len = 0;
};

// The key is the last path component (npos + 1 wraps to 0 for top-level keys).
consteval JsonField json_field(std::string_view path, JsonType type) {
  JsonField f{path, path.substr(path.rfind('.') + 1), type};
  if (f.key.size() + 3 > kQuotedKeyRoom) throw "key longer than kQuotedKeyRoom allows";  // compile error
  f.quoted_key[0] = '"';
  for (size_t i = 0; i < f.key.size(); ++i) f.quoted_key[i + 1] = f.key[i];
  f.quoted_key[f.key.size() + 1] = '"';
  f.quoted_key[f.key.size() + 2] = ':';
  f.quoted_key_len = static_cast<uint8_t>(f.key.size() + 3);
  return f;
}

namespace field {
using enum JsonType;

inline constexpr JsonField kTimestamp = json_field("@timestamp", kString);

inline constexpr JsonField kEcs = json_field("ecs", kObject);
inline constexpr JsonField kEcsVersion = json_field("ecs.version", kString);

inline constexpr JsonField kEvent = json_field("event", kObject);
inline constexpr JsonField kEventKind = json_field("event.kind", kString);
inline constexpr JsonField kEventCategory = json_field("event.category", kStringArray);
inline constexpr JsonField kEventType = json_field("event.type", kStringArray);
inline constexpr JsonField kEventDataset = json_field("event.dataset", kString);
inline constexpr JsonField kEventStart = json_field("event.start", kString);
inline constexpr JsonField kEventEnd = json_field("event.end", kString);
inline constexpr JsonField kEventDuration = json_field("event.duration", kInteger);
inline constexpr JsonField kEventReason = json_field("event.reason", kString);

inline constexpr JsonField kObserver = json_field("observer", kObject);
inline constexpr JsonField kObserverHostname = json_field("observer.hostname", kString);
inline constexpr JsonField kObserverName = json_field("observer.name", kString);
inline constexpr JsonField kObserverIngress = json_field("observer.ingress", kObject);
inline constexpr JsonField kObserverIngressInterface = json_field("observer.ingress.interface", kObject);
inline constexpr JsonField kObserverIngressInterfaceName =
    json_field("observer.ingress.interface.name", kString);

inline constexpr JsonField kNetwork = json_field("network", kObject);
inline constexpr JsonField kNetworkTransport = json_field("network.transport", kString);
inline constexpr JsonField kNetworkIanaNumber = json_field("network.iana_number", kString);
inline constexpr JsonField kNetworkType = json_field("network.type", kString);
inline constexpr JsonField kNetworkBytes = json_field("network.bytes", kInteger);
inline constexpr JsonField kNetworkPackets = json_field("network.packets", kInteger);
inline constexpr JsonField kNetworkVlan = json_field("network.vlan", kObject);
inline constexpr JsonField kNetworkVlanId = json_field("network.vlan.id", kString);
inline constexpr JsonField kNetworkInner = json_field("network.inner", kObject);
inline constexpr JsonField kNetworkInnerVlan = json_field("network.inner.vlan", kObject);
inline constexpr JsonField kNetworkInnerVlanId = json_field("network.inner.vlan.id", kString);

inline constexpr JsonField kSource = json_field("source", kObject);
inline constexpr JsonField kSourceIp = json_field("source.ip", kString);
inline constexpr JsonField kSourcePort = json_field("source.port", kInteger);
inline constexpr JsonField kSourceMac = json_field("source.mac", kString);
inline constexpr JsonField kSourceBytes = json_field("source.bytes", kInteger);
inline constexpr JsonField kSourcePackets = json_field("source.packets", kInteger);

inline constexpr JsonField kDestination = json_field("destination", kObject);
inline constexpr JsonField kDestinationIp = json_field("destination.ip", kString);
inline constexpr JsonField kDestinationPort = json_field("destination.port", kInteger);
inline constexpr JsonField kDestinationMac = json_field("destination.mac", kString);
inline constexpr JsonField kDestinationBytes = json_field("destination.bytes", kInteger);
inline constexpr JsonField kDestinationPackets = json_field("destination.packets", kInteger);

inline constexpr JsonField kRelated = json_field("related", kObject);
inline constexpr JsonField kRelatedIp = json_field("related.ip", kStringArray);

inline constexpr JsonField kSpanwatch = json_field("spanwatch", kObject);
inline constexpr JsonField kFlow = json_field("spanwatch.flow", kObject);
inline constexpr JsonField kFlowId = json_field("spanwatch.flow.id", kString);
inline constexpr JsonField kFlowFinal = json_field("spanwatch.flow.final", kBool);
inline constexpr JsonField kFlowSequence = json_field("spanwatch.flow.sequence", kInteger);
inline constexpr JsonField kFlowFragments = json_field("spanwatch.flow.fragments", kInteger);
inline constexpr JsonField kFlowConnState =
    json_field("spanwatch.flow.conn_state", kString);                                     // non-TCP (Zeek)
inline constexpr JsonField kFlowHistory = json_field("spanwatch.flow.history", kString);  // non-TCP (Zeek)

inline constexpr JsonField kSrc = json_field("spanwatch.src", kObject);
inline constexpr JsonField kSrcIpBytes = json_field("spanwatch.src.ip_bytes", kInteger);
inline constexpr JsonField kSrcPayloadBytes = json_field("spanwatch.src.payload_bytes", kInteger);
inline constexpr JsonField kDst = json_field("spanwatch.dst", kObject);
inline constexpr JsonField kDstIpBytes = json_field("spanwatch.dst.ip_bytes", kInteger);
inline constexpr JsonField kDstPayloadBytes = json_field("spanwatch.dst.payload_bytes", kInteger);

inline constexpr JsonField kTcp = json_field("spanwatch.tcp", kObject);
inline constexpr JsonField kTcpConnState = json_field("spanwatch.tcp.conn_state", kString);
inline constexpr JsonField kTcpConnStateMajor = json_field("spanwatch.tcp.conn_state_major", kString);
inline constexpr JsonField kTcpHistory = json_field("spanwatch.tcp.history", kString);
inline constexpr JsonField kTcpFlags = json_field("spanwatch.tcp.flags", kString);
inline constexpr JsonField kTcpFlagsTs = json_field("spanwatch.tcp.flags_ts", kString);
inline constexpr JsonField kTcpFlagsTc = json_field("spanwatch.tcp.flags_tc", kString);

inline constexpr JsonField kTunnel = json_field("spanwatch.tunnel", kObject);
inline constexpr JsonField kTunnelType = json_field("spanwatch.tunnel.type", kString);
inline constexpr JsonField kTunnelDepth = json_field("spanwatch.tunnel.depth", kInteger);
inline constexpr JsonField kTunnelSrcIp = json_field("spanwatch.tunnel.src_ip", kString);
inline constexpr JsonField kTunnelDstIp = json_field("spanwatch.tunnel.dst_ip", kString);
inline constexpr JsonField kTunnelCarrier = json_field("spanwatch.tunnel.carrier", kBool);

// Application: nDPI's classification, risks, and what our parsers read (ECS names where ECS has one).
inline constexpr JsonField kNetworkProtocol = json_field("network.protocol", kString);
inline constexpr JsonField kNetworkCommunityId = json_field("network.community_id", kString);
inline constexpr JsonField kNetworkApplication = json_field("network.application", kString);
inline constexpr JsonField kEventRiskScore = json_field("event.risk_score", kInteger);
inline constexpr JsonField kL7 = json_field("spanwatch.l7", kObject);
inline constexpr JsonField kL7Proto = json_field("spanwatch.l7.proto", kString);
inline constexpr JsonField kL7Master = json_field("spanwatch.l7.master", kString);
inline constexpr JsonField kL7App = json_field("spanwatch.l7.app", kString);
inline constexpr JsonField kL7Category = json_field("spanwatch.l7.category", kString);
inline constexpr JsonField kL7Breed = json_field("spanwatch.l7.breed", kString);
inline constexpr JsonField kL7Confidence = json_field("spanwatch.l7.confidence", kString);
inline constexpr JsonField kL7Encrypted = json_field("spanwatch.l7.encrypted", kBool);
inline constexpr JsonField kL7State = json_field("spanwatch.l7.state", kString);
inline constexpr JsonField kL7Info = json_field("spanwatch.l7.info", kString);
inline constexpr JsonField kRisk = json_field("spanwatch.risk", kObject);
inline constexpr JsonField kRiskScore = json_field("spanwatch.risk.score", kInteger);
inline constexpr JsonField kRiskList = json_field("spanwatch.risk.list", kObjectArray);
inline constexpr JsonField kRiskListId = json_field("spanwatch.risk.list.id", kInteger);
inline constexpr JsonField kRiskListName = json_field("spanwatch.risk.list.name", kString);
inline constexpr JsonField kRiskListSeverity = json_field("spanwatch.risk.list.severity", kString);
inline constexpr JsonField kRiskListScore = json_field("spanwatch.risk.list.score", kInteger);
inline constexpr JsonField kTls = json_field("tls", kObject);
inline constexpr JsonField kTlsVersion = json_field("tls.version", kString);
inline constexpr JsonField kTlsVersionProtocol = json_field("tls.version_protocol", kString);
inline constexpr JsonField kTlsCipher = json_field("tls.cipher", kString);
inline constexpr JsonField kTlsNextProtocol = json_field("tls.next_protocol", kString);
inline constexpr JsonField kTlsClient = json_field("tls.client", kObject);
inline constexpr JsonField kTlsClientServerName = json_field("tls.client.server_name", kString);
inline constexpr JsonField kTlsClientJa3 = json_field("tls.client.ja3", kString);
inline constexpr JsonField kTlsServer = json_field("tls.server", kObject);
inline constexpr JsonField kTlsServerJa3s = json_field("tls.server.ja3s", kString);
inline constexpr JsonField kTlsServerSubject = json_field("tls.server.subject", kString);
inline constexpr JsonField kTlsServerIssuer = json_field("tls.server.issuer", kString);
inline constexpr JsonField kTlsServerNotBefore = json_field("tls.server.not_before", kString);
inline constexpr JsonField kTlsServerNotAfter = json_field("tls.server.not_after", kString);
inline constexpr JsonField kTlsServerHash = json_field("tls.server.hash", kObject);
inline constexpr JsonField kTlsServerHashSha1 = json_field("tls.server.hash.sha1", kString);
inline constexpr JsonField kTlsServerX509 = json_field("tls.server.x509", kObject);
inline constexpr JsonField kTlsServerX509SerialNumber = json_field("tls.server.x509.serial_number", kString);
inline constexpr JsonField kTlsServerX509AlternativeNames =
    json_field("tls.server.x509.alternative_names", kStringArray);
inline constexpr JsonField kSwTls = json_field("spanwatch.tls", kObject);
inline constexpr JsonField kSwTlsClientAlpns = json_field("spanwatch.tls.client_alpns", kStringArray);
inline constexpr JsonField kSwTlsSupportedVersions =
    json_field("spanwatch.tls.supported_versions", kStringArray);
inline constexpr JsonField kSwTlsJa4 = json_field("spanwatch.tls.ja4", kString);
inline constexpr JsonField kSwSsh = json_field("spanwatch.ssh", kObject);
inline constexpr JsonField kSwSshClient = json_field("spanwatch.ssh.client", kObject);
inline constexpr JsonField kSwSshClientSoftware = json_field("spanwatch.ssh.client.software", kString);
inline constexpr JsonField kSwSshClientHassh = json_field("spanwatch.ssh.client.hassh", kString);
inline constexpr JsonField kSwSshServer = json_field("spanwatch.ssh.server", kObject);
inline constexpr JsonField kSwSshServerSoftware = json_field("spanwatch.ssh.server.software", kString);
inline constexpr JsonField kSwSshServerHassh = json_field("spanwatch.ssh.server.hassh", kString);
inline constexpr JsonField kDns = json_field("dns", kObject);
inline constexpr JsonField kDnsId = json_field("dns.id", kString);
inline constexpr JsonField kDnsType = json_field("dns.type", kString);
inline constexpr JsonField kDnsOpCode = json_field("dns.op_code", kString);
inline constexpr JsonField kDnsHeaderFlags = json_field("dns.header_flags", kStringArray);
inline constexpr JsonField kDnsQuestion = json_field("dns.question", kObject);
inline constexpr JsonField kDnsQuestionName = json_field("dns.question.name", kString);
inline constexpr JsonField kDnsQuestionType = json_field("dns.question.type", kString);
inline constexpr JsonField kDnsQuestionClass = json_field("dns.question.class", kString);
inline constexpr JsonField kDnsResponseCode = json_field("dns.response_code", kString);
inline constexpr JsonField kDnsAnswers = json_field("dns.answers", kObjectArray);
inline constexpr JsonField kDnsAnswersName = json_field("dns.answers.name", kString);
inline constexpr JsonField kDnsAnswersType = json_field("dns.answers.type", kString);
inline constexpr JsonField kDnsAnswersClass = json_field("dns.answers.class", kString);
inline constexpr JsonField kDnsAnswersTtl = json_field("dns.answers.ttl", kInteger);
inline constexpr JsonField kDnsAnswersData = json_field("dns.answers.data", kString);
inline constexpr JsonField kDnsResolvedIp = json_field("dns.resolved_ip", kStringArray);
inline constexpr JsonField kHttp = json_field("http", kObject);
inline constexpr JsonField kHttpVersion = json_field("http.version", kString);
inline constexpr JsonField kHttpRequest = json_field("http.request", kObject);
inline constexpr JsonField kHttpRequestMethod = json_field("http.request.method", kString);
inline constexpr JsonField kHttpRequestMimeType = json_field("http.request.mime_type", kString);
inline constexpr JsonField kHttpRequestBody = json_field("http.request.body", kObject);
inline constexpr JsonField kHttpRequestBodyBytes = json_field("http.request.body.bytes", kInteger);
inline constexpr JsonField kHttpResponse = json_field("http.response", kObject);
inline constexpr JsonField kHttpResponseStatusCode = json_field("http.response.status_code", kInteger);
inline constexpr JsonField kHttpResponseMimeType = json_field("http.response.mime_type", kString);
inline constexpr JsonField kHttpResponseBody = json_field("http.response.body", kObject);
inline constexpr JsonField kHttpResponseBodyBytes = json_field("http.response.body.bytes", kInteger);
inline constexpr JsonField kUrl = json_field("url", kObject);
inline constexpr JsonField kUrlOriginal = json_field("url.original", kString);
inline constexpr JsonField kUrlDomain = json_field("url.domain", kString);
inline constexpr JsonField kUserAgent = json_field("user_agent", kObject);
inline constexpr JsonField kUserAgentOriginal = json_field("user_agent.original", kString);
inline constexpr JsonField kSwHttp = json_field("spanwatch.http", kObject);
inline constexpr JsonField kSwHttpServer = json_field("spanwatch.http.server", kString);
inline constexpr JsonField kSwDhcp = json_field("spanwatch.dhcp", kObject);
inline constexpr JsonField kSwDhcpMessageType = json_field("spanwatch.dhcp.message_type", kString);
inline constexpr JsonField kSwDhcpHostname = json_field("spanwatch.dhcp.hostname", kString);
inline constexpr JsonField kSwDhcpVendorClass = json_field("spanwatch.dhcp.vendor_class", kString);
inline constexpr JsonField kSwDhcpParameterList = json_field("spanwatch.dhcp.parameter_list", kString);
inline constexpr JsonField kSwDhcpClientMac = json_field("spanwatch.dhcp.client_mac", kString);
inline constexpr JsonField kSwDhcpRequestedIp = json_field("spanwatch.dhcp.requested_ip", kString);
inline constexpr JsonField kSwDhcpAssignedIp = json_field("spanwatch.dhcp.assigned_ip", kString);

// Enrichment (lib/enrich): names for numbers, places, owners and behaviour, added once per record.
inline constexpr JsonField kNetworkDirection = json_field("network.direction", kString);
inline constexpr JsonField kSourceDomain = json_field("source.domain", kString);
inline constexpr JsonField kSourceGeo = json_field("source.geo", kObject);
inline constexpr JsonField kSourceGeoCountryIsoCode = json_field("source.geo.country_iso_code", kString);
inline constexpr JsonField kSourceGeoCountryName = json_field("source.geo.country_name", kString);
inline constexpr JsonField kSourceGeoCityName = json_field("source.geo.city_name", kString);
inline constexpr JsonField kSourceGeoLocation = json_field("source.geo.location", kObject);
inline constexpr JsonField kSourceGeoLocationLat = json_field("source.geo.location.lat", kNumber);
inline constexpr JsonField kSourceGeoLocationLon = json_field("source.geo.location.lon", kNumber);
inline constexpr JsonField kSourceAs = json_field("source.as", kObject);
inline constexpr JsonField kSourceAsNumber = json_field("source.as.number", kInteger);
inline constexpr JsonField kSourceAsOrganization = json_field("source.as.organization", kObject);
inline constexpr JsonField kSourceAsOrganizationName = json_field("source.as.organization.name", kString);
inline constexpr JsonField kDestinationDomain = json_field("destination.domain", kString);
inline constexpr JsonField kDestinationGeo = json_field("destination.geo", kObject);
inline constexpr JsonField kDestinationGeoCountryIsoCode =
    json_field("destination.geo.country_iso_code", kString);
inline constexpr JsonField kDestinationGeoCountryName = json_field("destination.geo.country_name", kString);
inline constexpr JsonField kDestinationGeoCityName = json_field("destination.geo.city_name", kString);
inline constexpr JsonField kDestinationGeoLocation = json_field("destination.geo.location", kObject);
inline constexpr JsonField kDestinationGeoLocationLat = json_field("destination.geo.location.lat", kNumber);
inline constexpr JsonField kDestinationGeoLocationLon = json_field("destination.geo.location.lon", kNumber);
inline constexpr JsonField kDestinationAs = json_field("destination.as", kObject);
inline constexpr JsonField kDestinationAsNumber = json_field("destination.as.number", kInteger);
inline constexpr JsonField kDestinationAsOrganization = json_field("destination.as.organization", kObject);
inline constexpr JsonField kDestinationAsOrganizationName =
    json_field("destination.as.organization.name", kString);

inline constexpr JsonField kLabels = json_field("spanwatch.labels", kStringArray);
inline constexpr JsonField kFlowThroughputBps = json_field("spanwatch.flow.throughput_bps", kInteger);
inline constexpr JsonField kFlowCurrentBps = json_field("spanwatch.flow.current_bps", kInteger);
inline constexpr JsonField kTcpFlagsLabels = json_field("spanwatch.tcp.flags_labels", kStringArray);
inline constexpr JsonField kTcpFlagsTsLabels = json_field("spanwatch.tcp.flags_ts_labels", kStringArray);
inline constexpr JsonField kTcpFlagsTcLabels = json_field("spanwatch.tcp.flags_tc_labels", kStringArray);
// spanwatch.src.* and spanwatch.dst.* have the same members.
inline constexpr JsonField kSrcService = json_field("spanwatch.src.service", kString);
inline constexpr JsonField kSrcBps = json_field("spanwatch.src.bps", kInteger);
inline constexpr JsonField kSrcIsLocal = json_field("spanwatch.src.is_local", kBool);
inline constexpr JsonField kSrcMacVendor = json_field("spanwatch.src.mac_vendor", kString);
inline constexpr JsonField kSrcMacClass = json_field("spanwatch.src.mac_class", kString);
inline constexpr JsonField kSrcAsClass = json_field("spanwatch.src.as_class", kString);
inline constexpr JsonField kSrcAsClassSource = json_field("spanwatch.src.as_class_source", kString);
inline constexpr JsonField kSrcHostname = json_field("spanwatch.src.hostname", kString);
inline constexpr JsonField kSrcHostnameSource = json_field("spanwatch.src.hostname_source", kString);
inline constexpr JsonField kSrcOs = json_field("spanwatch.src.os", kString);
inline constexpr JsonField kSrcOwner = json_field("spanwatch.src.owner", kString);
inline constexpr JsonField kSrcRole = json_field("spanwatch.src.role", kString);
inline constexpr JsonField kDstService = json_field("spanwatch.dst.service", kString);
inline constexpr JsonField kDstBps = json_field("spanwatch.dst.bps", kInteger);
inline constexpr JsonField kDstIsLocal = json_field("spanwatch.dst.is_local", kBool);
inline constexpr JsonField kDstMacVendor = json_field("spanwatch.dst.mac_vendor", kString);
inline constexpr JsonField kDstMacClass = json_field("spanwatch.dst.mac_class", kString);
inline constexpr JsonField kDstAsClass = json_field("spanwatch.dst.as_class", kString);
inline constexpr JsonField kDstAsClassSource = json_field("spanwatch.dst.as_class_source", kString);
inline constexpr JsonField kDstHostname = json_field("spanwatch.dst.hostname", kString);
inline constexpr JsonField kDstHostnameSource = json_field("spanwatch.dst.hostname_source", kString);
inline constexpr JsonField kDstOs = json_field("spanwatch.dst.os", kString);
inline constexpr JsonField kDstOwner = json_field("spanwatch.dst.owner", kString);
inline constexpr JsonField kDstRole = json_field("spanwatch.dst.role", kString);
inline constexpr JsonField kRules = json_field("spanwatch.rules", kObjectArray);
inline constexpr JsonField kRulesId = json_field("spanwatch.rules.id", kInteger);
inline constexpr JsonField kRulesName = json_field("spanwatch.rules.name", kString);
inline constexpr JsonField kRulesSeverity = json_field("spanwatch.rules.severity", kString);
inline constexpr JsonField kRulesField = json_field("spanwatch.rules.field", kString);
}  // namespace field

// All of the above, for tests and documentation (every key the writer may emit must be listed here).
inline constexpr std::array kAllJsonFields{
    field::kTimestamp,
    field::kEcs,
    field::kEcsVersion,
    field::kEvent,
    field::kEventKind,
    field::kEventCategory,
    field::kEventType,
    field::kEventDataset,
    field::kEventStart,
    field::kEventEnd,
    field::kEventDuration,
    field::kEventReason,
    field::kObserver,
    field::kObserverHostname,
    field::kObserverName,
    field::kObserverIngress,
    field::kObserverIngressInterface,
    field::kObserverIngressInterfaceName,
    field::kNetwork,
    field::kNetworkTransport,
    field::kNetworkIanaNumber,
    field::kNetworkType,
    field::kNetworkBytes,
    field::kNetworkPackets,
    field::kNetworkVlan,
    field::kNetworkVlanId,
    field::kNetworkInner,
    field::kNetworkInnerVlan,
    field::kNetworkInnerVlanId,
    field::kSource,
    field::kSourceIp,
    field::kSourcePort,
    field::kSourceMac,
    field::kSourceBytes,
    field::kSourcePackets,
    field::kDestination,
    field::kDestinationIp,
    field::kDestinationPort,
    field::kDestinationMac,
    field::kDestinationBytes,
    field::kDestinationPackets,
    field::kRelated,
    field::kRelatedIp,
    field::kSpanwatch,
    field::kFlow,
    field::kFlowId,
    field::kFlowFinal,
    field::kFlowSequence,
    field::kFlowFragments,
    field::kFlowConnState,
    field::kFlowHistory,
    field::kSrc,
    field::kSrcIpBytes,
    field::kSrcPayloadBytes,
    field::kDst,
    field::kDstIpBytes,
    field::kDstPayloadBytes,
    field::kTcp,
    field::kTcpConnState,
    field::kTcpConnStateMajor,
    field::kTcpHistory,
    field::kTcpFlags,
    field::kTcpFlagsTs,
    field::kTcpFlagsTc,
    field::kTunnel,
    field::kTunnelType,
    field::kTunnelDepth,
    field::kTunnelSrcIp,
    field::kTunnelDstIp,
    field::kTunnelCarrier,
    field::kNetworkProtocol,
    field::kNetworkCommunityId,
    field::kNetworkApplication,
    field::kEventRiskScore,
    field::kL7,
    field::kL7Proto,
    field::kL7Master,
    field::kL7App,
    field::kL7Category,
    field::kL7Breed,
    field::kL7Confidence,
    field::kL7Encrypted,
    field::kL7State,
    field::kL7Info,
    field::kRisk,
    field::kRiskScore,
    field::kRiskList,
    field::kRiskListId,
    field::kRiskListName,
    field::kRiskListSeverity,
    field::kRiskListScore,
    field::kTls,
    field::kTlsVersion,
    field::kTlsVersionProtocol,
    field::kTlsCipher,
    field::kTlsNextProtocol,
    field::kTlsClient,
    field::kTlsClientServerName,
    field::kTlsClientJa3,
    field::kTlsServer,
    field::kTlsServerJa3s,
    field::kTlsServerSubject,
    field::kTlsServerIssuer,
    field::kTlsServerNotBefore,
    field::kTlsServerNotAfter,
    field::kTlsServerHash,
    field::kTlsServerHashSha1,
    field::kTlsServerX509,
    field::kTlsServerX509SerialNumber,
    field::kTlsServerX509AlternativeNames,
    field::kSwTls,
    field::kSwTlsClientAlpns,
    field::kSwTlsSupportedVersions,
    field::kSwTlsJa4,
    field::kSwSsh,
    field::kSwSshClient,
    field::kSwSshClientSoftware,
    field::kSwSshClientHassh,
    field::kSwSshServer,
    field::kSwSshServerSoftware,
    field::kSwSshServerHassh,
    field::kDns,
    field::kDnsId,
    field::kDnsType,
    field::kDnsOpCode,
    field::kDnsHeaderFlags,
    field::kDnsQuestion,
    field::kDnsQuestionName,
    field::kDnsQuestionType,
    field::kDnsQuestionClass,
    field::kDnsResponseCode,
    field::kDnsAnswers,
    field::kDnsAnswersName,
    field::kDnsAnswersType,
    field::kDnsAnswersClass,
    field::kDnsAnswersTtl,
    field::kDnsAnswersData,
    field::kDnsResolvedIp,
    field::kHttp,
    field::kHttpVersion,
    field::kHttpRequest,
    field::kHttpRequestMethod,
    field::kHttpRequestMimeType,
    field::kHttpRequestBody,
    field::kHttpRequestBodyBytes,
    field::kHttpResponse,
    field::kHttpResponseStatusCode,
    field::kHttpResponseMimeType,
    field::kHttpResponseBody,
    field::kHttpResponseBodyBytes,
    field::kUrl,
    field::kUrlOriginal,
    field::kUrlDomain,
    field::kUserAgent,
    field::kUserAgentOriginal,
    field::kSwHttp,
    field::kSwHttpServer,
    field::kSwDhcp,
    field::kSwDhcpMessageType,
    field::kSwDhcpHostname,
    field::kSwDhcpVendorClass,
    field::kSwDhcpParameterList,
    field::kSwDhcpClientMac,
    field::kSwDhcpRequestedIp,
    field::kSwDhcpAssignedIp,
    field::kNetworkDirection,
    field::kSourceDomain,
    field::kSourceGeo,
    field::kSourceGeoCountryIsoCode,
    field::kSourceGeoCountryName,
    field::kSourceGeoCityName,
    field::kSourceGeoLocation,
    field::kSourceGeoLocationLat,
    field::kSourceGeoLocationLon,
    field::kSourceAs,
    field::kSourceAsNumber,
    field::kSourceAsOrganization,
    field::kSourceAsOrganizationName,
    field::kDestinationDomain,
    field::kDestinationGeo,
    field::kDestinationGeoCountryIsoCode,
    field::kDestinationGeoCountryName,
    field::kDestinationGeoCityName,
    field::kDestinationGeoLocation,
    field::kDestinationGeoLocationLat,
    field::kDestinationGeoLocationLon,
    field::kDestinationAs,
    field::kDestinationAsNumber,
    field::kDestinationAsOrganization,
    field::kDestinationAsOrganizationName,
    field::kLabels,
    field::kFlowThroughputBps,
    field::kFlowCurrentBps,
    field::kTcpFlagsLabels,
    field::kTcpFlagsTsLabels,
    field::kTcpFlagsTcLabels,
    field::kSrcService,
    field::kSrcBps,
    field::kSrcIsLocal,
    field::kSrcMacVendor,
    field::kSrcMacClass,
    field::kSrcAsClass,
    field::kSrcAsClassSource,
    field::kSrcHostname,
    field::kSrcHostnameSource,
    field::kSrcOs,
    field::kSrcOwner,
    field::kSrcRole,
    field::kDstService,
    field::kDstBps,
    field::kDstIsLocal,
    field::kDstMacVendor,
    field::kDstMacClass,
    field::kDstAsClass,
    field::kDstAsClassSource,
    field::kDstHostname,
    field::kDstHostnameSource,
    field::kDstOs,
    field::kDstOwner,
    field::kDstRole,
    field::kRules,
    field::kRulesId,
    field::kRulesName,
    field::kRulesSeverity,
    field::kRulesField,
};

// Fixed values of the record.
inline constexpr std::string_view kEventKindValue = "event";
inline constexpr std::string_view kEventCategoryNetwork = "network";
inline constexpr std::string_view kEventDatasetValue = "spanwatch.flow";
inline constexpr std::string_view kDefaultEcsVersion = "8.17.0";

}  // namespace spanwatch::lib
