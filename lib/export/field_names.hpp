// Every key the NDJSON flow record emits: dotted path (ECS name, or spanwatch.* for our own), the key written
// at its level of nesting, and its JSON type. The writer and the tests read only this table.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace spanwatch::lib {

enum class JsonType : uint8_t { kObject, kString, kInteger, kBool, kStringArray };

struct JsonField {
  std::string_view path;  // "source.ip"
  std::string_view key;   // "ip": what is written inside the parent object
  JsonType type;
};

// The key is the last path component (npos + 1 wraps to 0 for top-level keys).
consteval JsonField json_field(std::string_view path, JsonType type) {
  return {path, path.substr(path.rfind('.') + 1), type};
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

// Application (nDPI) and what it revealed.
inline constexpr JsonField kNetworkProtocol = json_field("network.protocol", kString);
inline constexpr JsonField kNetworkCommunityId = json_field("network.community_id", kString);
inline constexpr JsonField kNetworkApplication = json_field("network.application", kString);
inline constexpr JsonField kL7 = json_field("spanwatch.l7", kObject);
inline constexpr JsonField kL7Proto = json_field("spanwatch.l7.proto", kString);
inline constexpr JsonField kL7Master = json_field("spanwatch.l7.master", kString);
inline constexpr JsonField kL7App = json_field("spanwatch.l7.app", kString);
inline constexpr JsonField kL7Category = json_field("spanwatch.l7.category", kString);
inline constexpr JsonField kL7State = json_field("spanwatch.l7.state", kString);
inline constexpr JsonField kTls = json_field("tls", kObject);
inline constexpr JsonField kTlsVersion = json_field("tls.version", kString);
inline constexpr JsonField kTlsVersionProtocol = json_field("tls.version_protocol", kString);
inline constexpr JsonField kTlsClient = json_field("tls.client", kObject);
inline constexpr JsonField kTlsClientServerName = json_field("tls.client.server_name", kString);
inline constexpr JsonField kTlsClientJa3 = json_field("tls.client.ja3", kString);
inline constexpr JsonField kTlsServer = json_field("tls.server", kObject);
inline constexpr JsonField kTlsServerJa3s = json_field("tls.server.ja3s", kString);
inline constexpr JsonField kSwTls = json_field("spanwatch.tls", kObject);
inline constexpr JsonField kSwTlsClientAlpns = json_field("spanwatch.tls.client_alpns", kStringArray);
inline constexpr JsonField kSwTlsJa4 = json_field("spanwatch.tls.ja4", kString);
inline constexpr JsonField kSwSsh = json_field("spanwatch.ssh", kObject);
inline constexpr JsonField kSwSshClient = json_field("spanwatch.ssh.client", kObject);
inline constexpr JsonField kSwSshClientSoftware = json_field("spanwatch.ssh.client.software", kString);
inline constexpr JsonField kSwSshClientHassh = json_field("spanwatch.ssh.client.hassh", kString);
inline constexpr JsonField kSwSshServer = json_field("spanwatch.ssh.server", kObject);
inline constexpr JsonField kSwSshServerSoftware = json_field("spanwatch.ssh.server.software", kString);
inline constexpr JsonField kSwSshServerHassh = json_field("spanwatch.ssh.server.hassh", kString);
inline constexpr JsonField kDns = json_field("dns", kObject);
inline constexpr JsonField kDnsQuestion = json_field("dns.question", kObject);
inline constexpr JsonField kDnsQuestionName = json_field("dns.question.name", kString);
inline constexpr JsonField kDnsQuestionType = json_field("dns.question.type", kString);
inline constexpr JsonField kDnsResponseCode = json_field("dns.response_code", kString);
inline constexpr JsonField kUrl = json_field("url", kObject);
inline constexpr JsonField kUrlDomain = json_field("url.domain", kString);
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
    field::kL7,
    field::kL7Proto,
    field::kL7Master,
    field::kL7App,
    field::kL7Category,
    field::kL7State,
    field::kTls,
    field::kTlsVersion,
    field::kTlsVersionProtocol,
    field::kTlsClient,
    field::kTlsClientServerName,
    field::kTlsClientJa3,
    field::kTlsServer,
    field::kTlsServerJa3s,
    field::kSwTls,
    field::kSwTlsClientAlpns,
    field::kSwTlsJa4,
    field::kSwSsh,
    field::kSwSshClient,
    field::kSwSshClientSoftware,
    field::kSwSshClientHassh,
    field::kSwSshServer,
    field::kSwSshServerSoftware,
    field::kSwSshServerHassh,
    field::kDns,
    field::kDnsQuestion,
    field::kDnsQuestionName,
    field::kDnsQuestionType,
    field::kDnsResponseCode,
    field::kUrl,
    field::kUrlDomain,
};

// Fixed values of the record.
inline constexpr std::string_view kEventKindValue = "event";
inline constexpr std::string_view kEventCategoryNetwork = "network";
inline constexpr std::string_view kEventDatasetValue = "spanwatch.flow";
inline constexpr std::string_view kDefaultEcsVersion = "8.17.0";

}  // namespace spanwatch::lib
