// What the viewer keeps of one flow record besides its text: the fields the table, the filters, the sort
// and the aggregations need, parsed once when the record arrives (RecordParser), plus labels, service
// names and an "info" line derived when the record does not carry them yet (enrichment, issue 4).
#pragma once
#include <rapidjson/document.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/ip_address.hpp"

namespace spanwatch::viewer {

inline constexpr uint32_t kNoPort = UINT32_MAX;

struct Endpoint {
  lib::IpAddress ip;
  std::string ip_text;      // as the record wrote it
  uint32_t port = kNoPort;  // kNoPort when the transport has none
  uint64_t bytes = 0, packets = 0;
  std::string mac;         // "AA-BB-CC-DD-EE-FF"
  std::string mac_vendor;  // spanwatch.{src,dst}.mac_vendor
  std::string service;     // spanwatch.{src,dst}.service, else the system's services database
  std::string hostname;    // spanwatch.{src,dst}.hostname, else source/destination.domain
  std::string country;     // ISO 3166 alpha-2 (geo.country_iso_code), validated: two letters A-Z
  std::string country_name;
  std::string city;
  std::string as_org;    // as.organization.name
  std::string as_class;  // spanwatch.{src,dst}.as_class
  uint32_t asn = 0;      // as.number; 0 = unknown
  bool has_ip = false;
  bool is_public = false;  // globally routable: reputation links make sense

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct FlowSummary {
  uint32_t run = 0;         // which ring generation (writer run) the flow came from; ids restart per run
  std::string id;           // spanwatch.flow.id
  bool final = false;       // spanwatch.flow.final
  uint64_t sequence = 0;    // spanwatch.flow.sequence
  std::string reason;       // event.reason
  std::string transport;    // network.transport ("tcp")
  int iana = -1;            // network.iana_number; -1 = absent
  std::string protocol;     // network.protocol ("tls")
  std::string application;  // network.application ("google")
  std::string l7_proto;     // spanwatch.l7.proto ("tls.google")
  std::string category;     // spanwatch.l7.category
  std::string breed;        // spanwatch.l7.breed
  std::string app;          // what the table shows: l7.proto, else protocol[.application], else "unknown"
  bool encrypted = false;   // l7.encrypted, or a TLS/SSH/QUIC session
  int64_t start_us = 0, end_us = 0;  // event.start / event.end, Unix microseconds
  int64_t record_us = 0;             // @timestamp: when the pipeline made the record (packet time)
  int64_t duration_ns = 0;           // event.duration
  Endpoint client, server;           // source = originator, destination = responder
  std::string info;                  // spanwatch.l7.info, else SNI / DNS name / HTTP host+url / SSH banner
  std::string conn_state;            // spanwatch.tcp.conn_state or spanwatch.flow.conn_state
  std::string conn_state_major;      // spanwatch.tcp.conn_state_major
  std::string history;               // spanwatch.tcp.history or spanwatch.flow.history
  int flags = -1, flags_ts = -1, flags_tc = -1;  // TCP flag unions (hex in the record); -1 = absent
  uint32_t risk_score = 0;                       // spanwatch.risk.score (or event.risk_score)
  std::vector<std::string> risks;                // spanwatch.risk.list[].name
  std::string risk_severity;                     // the highest severity in the list
  std::vector<std::string> labels;               // spanwatch.labels[], else derived (connection_attempt, ...)
  bool labels_derived = false;                   // true when the viewer derived the labels itself
  std::string vlan;                              // network.vlan.id
  std::string sensor;                            // observer.name (the History page's sensor column)

  uint64_t bytes() const noexcept { return client.bytes + server.bytes; }
  uint64_t packets() const noexcept { return client.packets + server.packets; }
  // Bytes the structure owns on the heap beyond sizeof(FlowSummary) (for the store's memory bound).
  size_t heap_bytes() const noexcept;
  // Back to a default-constructed value, keeping the strings' buffers for the next record.
  void reset() noexcept;

  friend bool operator==(const FlowSummary&, const FlowSummary&) = default;
};

enum class ParseStatus : uint8_t { kOk, kInvalidJson, kNotAFlow };

// Parses one ring record (the JSON text of an NDJSON line). Reuses its buffers: one parser per thread.
class RecordParser {
 public:
  RecordParser();
  ~RecordParser();
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  ParseStatus parse(std::string_view text, FlowSummary& out);
  // The same over text the parser may overwrite, without a copy: text[len] is set to NUL, and the kPadding
  // bytes after it must be readable (the scanner reads the text in blocks of 16 bytes).
  // `out` may hold an earlier record: every field is rewritten, into the buffers it already has.
  static constexpr size_t kPadding = 16;
  ParseStatus parse_in_place(char* text, size_t len, FlowSummary& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Helpers shared with the tests and the API.
bool is_valid_utf8(std::string_view text) noexcept;        // RFC 3629 (what RapidJSON's validation accepts)
int64_t parse_rfc3339_us(std::string_view text) noexcept;  // 0 when malformed
std::vector<std::string> derive_labels(const FlowSummary& s, uint64_t src_payload_bytes);
void derive_labels(const FlowSummary& s, uint64_t src_payload_bytes, std::vector<std::string>& out);
std::string_view service_name(uint32_t port, std::string_view transport);  // /etc/services; "" if none

}  // namespace spanwatch::viewer
