// The IPFIX Information Elements spanwatch sends (RFC 7011, IANA "IPFIX Information Elements", RFC 5103
// biflows), as one table: the template builder writes its field specifiers from it, the data-record
// encoder writes one value per entry in the same order, and docs/ipfix.md lists the same rows (a unit test
// checks that). Fixed-length elements come first, variable-length strings last.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace spanwatch::lib::ipfix {

inline constexpr uint16_t kVersion = 10;
inline constexpr uint16_t kTemplateSetId = 2;
inline constexpr uint16_t kTemplateIdV4 = 256;
inline constexpr uint16_t kTemplateIdV6 = 257;
inline constexpr uint16_t kVariableLength = 0xFFFF;
inline constexpr size_t kMessageHeaderBytes = 16;
inline constexpr size_t kSetHeaderBytes = 4;

// RFC 5103: the reverse direction of an IANA element is the same id under this enterprise number.
inline constexpr uint32_t kReversePen = 29305;
// PLACEHOLDER: 32473 is the Private Enterprise Number RFC 5612 sets aside for documentation. spanwatch's
// own elements use it until a number is registered with IANA; collectors must be told the same number.
inline constexpr uint32_t kSpanwatchPen = 32473;

// Longest string value sent; longer ones are cut (at a byte boundary, the value is raw wire text).
inline constexpr size_t kMaxStringBytes = 255;

// RFC 6759 Classification Engine ID "PANA-L7-PEN": an application id scoped by an enterprise number.
inline constexpr uint8_t kClassificationEnginePanaL7Pen = 20;

// Where an element's value comes from (the encoder's switch; one case per entry below).
enum class Field : uint8_t {
  kSrcAddr,
  kDstAddr,
  kSrcPort,
  kDstPort,
  kProto,
  kIcmpTypeCode,
  kIpVersion,
  kPackets,
  kOctets,
  kL2Octets,
  kRevPackets,
  kRevOctets,
  kRevL2Octets,
  kStartMs,
  kEndMs,
  kTcpFlags,
  kRevTcpFlags,
  kVlanId,
  kSrcMac,
  kDstMac,
  kEndReason,
  kBiflowDirection,
  kFlowId,
  kAppId,
  kAppName,
  kSni,
  kJa3,
  kJa4,
  kConnState,
  kLabels,
};

enum class Family : uint8_t { kBoth, kV4, kV6 };  // which template carries the element

struct Element {
  Field field;
  uint16_t id;
  uint32_t pen;     // 0: IANA
  uint16_t length;  // bytes on the wire; kVariableLength for strings
  Family family;
  std::string_view name;    // IANA name (reverse ones as RFC 5103 spells them)
  std::string_view type;    // IANA abstract data type
  std::string_view source;  // the flows.json field it carries
};

inline constexpr std::array kElements = std::to_array<Element>({
    {Field::kSrcAddr, 8, 0, 4, Family::kV4, "sourceIPv4Address", "ipv4Address", "source.ip"},
    {Field::kDstAddr, 12, 0, 4, Family::kV4, "destinationIPv4Address", "ipv4Address", "destination.ip"},
    {Field::kSrcAddr, 27, 0, 16, Family::kV6, "sourceIPv6Address", "ipv6Address", "source.ip"},
    {Field::kDstAddr, 28, 0, 16, Family::kV6, "destinationIPv6Address", "ipv6Address", "destination.ip"},
    {Field::kSrcPort, 7, 0, 2, Family::kBoth, "sourceTransportPort", "unsigned16",
     "source.port (0 for ICMP)"},
    {Field::kDstPort, 11, 0, 2, Family::kBoth, "destinationTransportPort", "unsigned16",
     "destination.port (0 for ICMP)"},
    {Field::kProto, 4, 0, 1, Family::kBoth, "protocolIdentifier", "unsigned8", "network.iana_number"},
    {Field::kIcmpTypeCode, 32, 0, 2, Family::kV4, "icmpTypeCodeIPv4", "unsigned16",
     "ICMP type * 256 + code of the originator's first packet (0 for other protocols)"},
    {Field::kIcmpTypeCode, 139, 0, 2, Family::kV6, "icmpTypeCodeIPv6", "unsigned16",
     "ICMPv6 type * 256 + code of the originator's first packet (0 for other protocols)"},
    {Field::kIpVersion, 60, 0, 1, Family::kBoth, "ipVersion", "unsigned8", "network.type"},
    {Field::kPackets, 86, 0, 8, Family::kBoth, "packetTotalCount", "unsigned64", "source.packets"},
    {Field::kOctets, 85, 0, 8, Family::kBoth, "octetTotalCount", "unsigned64", "spanwatch.src.ip_bytes"},
    {Field::kL2Octets, 353, 0, 8, Family::kBoth, "layer2OctetTotalCount", "unsigned64", "source.bytes"},
    {Field::kRevPackets, 86, kReversePen, 8, Family::kBoth, "reversePacketTotalCount", "unsigned64",
     "destination.packets"},
    {Field::kRevOctets, 85, kReversePen, 8, Family::kBoth, "reverseOctetTotalCount", "unsigned64",
     "spanwatch.dst.ip_bytes"},
    {Field::kRevL2Octets, 353, kReversePen, 8, Family::kBoth, "reverseLayer2OctetTotalCount", "unsigned64",
     "destination.bytes"},
    {Field::kStartMs, 152, 0, 8, Family::kBoth, "flowStartMilliseconds", "dateTimeMilliseconds",
     "event.start"},
    {Field::kEndMs, 153, 0, 8, Family::kBoth, "flowEndMilliseconds", "dateTimeMilliseconds", "event.end"},
    {Field::kTcpFlags, 6, 0, 2, Family::kBoth, "tcpControlBits", "unsigned16", "spanwatch.tcp.flags_ts"},
    {Field::kRevTcpFlags, 6, kReversePen, 2, Family::kBoth, "reverseTcpControlBits", "unsigned16",
     "spanwatch.tcp.flags_tc"},
    {Field::kVlanId, 58, 0, 2, Family::kBoth, "vlanId", "unsigned16", "network.vlan.id (outer tag; 0: none)"},
    {Field::kSrcMac, 56, 0, 6, Family::kBoth, "sourceMacAddress", "macAddress", "source.mac"},
    {Field::kDstMac, 80, 0, 6, Family::kBoth, "destinationMacAddress", "macAddress", "destination.mac"},
    {Field::kEndReason, 136, 0, 1, Family::kBoth, "flowEndReason", "unsigned8", "event.reason"},
    {Field::kBiflowDirection, 239, 0, 1, Family::kBoth, "biflowDirection", "unsigned8",
     "always 1 (initiator): source is the originator"},
    {Field::kFlowId, 148, 0, 8, Family::kBoth, "flowId", "unsigned64", "spanwatch.flow.id (as a number)"},
    {Field::kAppId, 95, 0, 7, Family::kBoth, "applicationId", "octetArray",
     "nDPI protocol id (RFC 6759 PANA-L7-PEN: engine 20, spanwatch PEN, 2-byte id)"},
    {Field::kAppName, 96, 0, kVariableLength, Family::kBoth, "applicationName", "string",
     "spanwatch.l7.proto"},
    {Field::kSni, 1, kSpanwatchPen, kVariableLength, Family::kBoth, "spanwatchTlsServerName", "string",
     "tls.client.server_name"},
    {Field::kJa3, 2, kSpanwatchPen, kVariableLength, Family::kBoth, "spanwatchJa3", "string",
     "tls.client.ja3"},
    {Field::kJa4, 3, kSpanwatchPen, kVariableLength, Family::kBoth, "spanwatchJa4", "string",
     "spanwatch.tls.ja4"},
    {Field::kConnState, 4, kSpanwatchPen, kVariableLength, Family::kBoth, "spanwatchConnState", "string",
     "spanwatch.tcp.conn_state (empty for other protocols)"},
    {Field::kLabels, 5, kSpanwatchPen, kVariableLength, Family::kBoth, "spanwatchLabels", "string",
     "spanwatch.labels, comma-separated"},
});

constexpr bool in_family(const Element& e, bool v6) noexcept {
  return e.family == Family::kBoth || e.family == (v6 ? Family::kV6 : Family::kV4);
}

// flowEndReason values (IANA "flowEndReason"): 1 idle, 2 active, 3 end of flow, 4 forced end, 5 lack of
// resources.
inline constexpr uint8_t kEndIdleTimeout = 1, kEndActiveTimeout = 2, kEndOfFlow = 3, kEndForced = 4,
                         kEndLackOfResources = 5;

}  // namespace spanwatch::lib::ipfix
