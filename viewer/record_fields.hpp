// The fields of one flow record that the viewer keeps (FlowSummary), captured in one SAX pass over the
// record's JSON text, parsed in place: no document tree, no member lookups afterwards. Each field is what a
// lookup in the parsed document would find: the first member of that name, whatever its type.
#pragma once
#include <rapidjson/document.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace spanwatch::viewer {

// Where a field sits in a record, e.g. kEventStart is event.start. Source and destination have the same
// fields, from kSrc and kDst on (EndpointField).
struct RecordField {
  enum : uint8_t {
    kTimestamp,
    kEventStart,
    kEventEnd,
    kEventDuration,
    kEventReason,
    kEventRiskScore,
    kObserverName,
    kNetTransport,
    kNetIana,
    kNetProtocol,
    kNetApplication,
    kNetVlanId,
    kTls,
    kTlsServerName,
    kDnsQuestionName,
    kUrlDomain,
    kUrlOriginal,
    kFlowId,
    kFlowFinal,
    kFlowSequence,
    kFlowConnState,
    kFlowHistory,
    kL7Proto,
    kL7Category,
    kL7Breed,
    kL7Encrypted,
    kL7Info,
    kSshClientSoftware,
    kDhcpHostname,
    kTcpConnState,
    kTcpConnStateMajor,
    kTcpHistory,
    kTcpFlags,
    kTcpFlagsTs,
    kTcpFlagsTc,
    kRiskScore,
    kRiskList,
    kLabels,
    kSrcPayloadBytes,
    kSrc,
  };
};
struct EndpointField {  // source.* / destination.* and spanwatch.src.* / spanwatch.dst.*
  enum : uint8_t {
    kIp,
    kPort,
    kBytes,
    kPackets,
    kMac,
    kDomain,
    kCountryIso,
    kCountryName,
    kCity,
    kAsNumber,
    kAsOrg,
    kMacVendor,
    kService,
    kHostname,
    kAsClass,
    kCount
  };
};
inline constexpr size_t kDstFields = size_t{RecordField::kSrc} + size_t{EndpointField::kCount};
inline constexpr size_t kRecordFields = kDstFields + EndpointField::kCount;

class RecordFields {
 public:
  static constexpr size_t kMaxLabels = 16;  // labels/risks kept per flow; the record bounds them too
  static constexpr size_t kMaxRisks = 32;

  struct Risk {  // one spanwatch.risk.list[] item; fields absent when the item is not an object
    rapidjson::Value name, id, severity;
    bool has_name = false, has_id = false, has_severity = false;
  };

  RecordFields();
  ~RecordFields();
  RecordFields(const RecordFields&) = delete;
  RecordFields& operator=(const RecordFields&) = delete;
  // Parses `text` in place (NUL-terminated, valid UTF-8, 16 readable bytes after the NUL). False when it is
  // not JSON or not a JSON object. The fields' strings point into `text`.
  bool parse(char* text);

  // The field's value, or nullptr when the record has no such member.
  const rapidjson::Value* get(size_t field) const noexcept {
    return present_[field] ? &values_[field] : nullptr;
  }
  // spanwatch.labels[] strings (at most kMaxLabels), when spanwatch.labels is an array.
  const std::vector<std::string_view>& labels() const noexcept { return labels_; }
  // spanwatch.risk.list[] items (at most kMaxRisks), when the list is an array.
  const std::vector<Risk>& risks() const noexcept { return risks_; }

 private:
  friend class RecordCapture;
  void clear() noexcept;
  std::array<rapidjson::Value, kRecordFields> values_;
  std::array<bool, kRecordFields> present_{};
  std::vector<std::string_view> labels_;
  std::vector<Risk> risks_;
  struct Frame;
  std::vector<Frame> stack_;
};

}  // namespace spanwatch::viewer
