// Builds IPFIX messages (RFC 7011) of biflow records (RFC 5103) in one buffer allocated at construction:
// an optional template set (IPv4 and IPv6 templates, ipfix_elements.hpp), then data sets of records, each
// FlowRecord (+ its enrichment) encoded as one data record. No allocation per record or per message.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "lib/enrich/flow_enrichment.hpp"
#include "lib/export/ipfix/ipfix_elements.hpp"
#include "lib/flow/flow_record.hpp"
#include "lib/flow/l7_name_table.hpp"

namespace spanwatch::lib::ipfix {

// Longest data record: 139 bytes of fixed fields (IPv6) plus the strings at their bounds (SNI 255 with a
// 3-byte length, application name 63, JA3 32, JA4 36, conn_state 6, labels 90, 1-byte lengths).
inline constexpr size_t kMaxRecordBytes = 640;
inline constexpr size_t kMaxAppNameBytes = 63;
inline constexpr size_t kMaxLabelsBytes = 96;
inline constexpr size_t kMinMessageBytes = 1024;   // the template set and the longest record fit
inline constexpr size_t kMaxMessageBytes = 65507;  // largest UDP payload over IPv4

class MessageBuilder {
 public:
  // max_message_bytes in [kMinMessageBytes, kMaxMessageBytes]: the IPFIX message (UDP payload) limit.
  MessageBuilder(uint32_t observation_domain, size_t max_message_bytes, const L7NameTable* l7_names);

  // Puts the template set in the current message; call on an empty message only. Returns false if not.
  bool add_templates() noexcept;

  // Appends `r` as a data record; false when it does not fit (finish() the message and add it to the next).
  // A record longer than a whole message cannot happen (strings are bounded, the limit is >= 1024).
  bool add_record(const FlowRecord& r, const FlowEnrichment* e) noexcept;

  bool empty() const noexcept { return records_ == 0 && !has_templates_; }
  uint32_t records() const noexcept { return records_; }
  bool has_templates() const noexcept { return has_templates_; }

  // Closes the message: header with export time, sequence number (data records of earlier messages, RFC 7011
  // 3.1) and the observation domain. The view stays valid until reset().
  std::span<const uint8_t> finish(uint32_t export_time_s) noexcept;
  // Starts the next message (after finish(), sent or not: the sequence number counts the records either way,
  // so a collector sees records that were dropped as a gap).
  void reset() noexcept;
  // A new transport session (TCP reconnect) starts counting from 0 again.
  void restart_sequence() noexcept { sequence_ = 0; }
  uint32_t sequence() const noexcept { return sequence_; }

  // The encoded data record alone (tests, and the fit check): writes into out, returns its length.
  size_t encode_record(const FlowRecord& r, const FlowEnrichment* e, uint8_t* out) const noexcept;

 private:
  void close_set() noexcept;

  uint32_t domain_;
  const L7NameTable* l7_names_;
  std::vector<uint8_t> buf_;  // the message, sized once
  size_t len_ = kMessageHeaderBytes;
  size_t set_start_ = 0;  // offset of the open data set's header; 0 = none open
  uint16_t set_template_ = 0;
  uint32_t records_ = 0;
  uint32_t sequence_ = 0;
  bool has_templates_ = false;
};

}  // namespace spanwatch::lib::ipfix
