// FlowRecord -> one ECS-aligned NDJSON line (field reference: docs in shared/reference/flow-record.md; key
// names in field_names.hpp). Runs on the exporter lcore: appends to a caller-owned buffer, no heap allocation
// once warm.
#pragma once
#include <rapidjson/stringbuffer.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/enrich/flow_enrichment.hpp"
#include "lib/export/field_names.hpp"
#include "lib/export/json_text_writer.hpp"
#include "lib/flow/flow_record.hpp"
#include "lib/flow/flow_risk.hpp"
#include "lib/flow/l7_name_table.hpp"

namespace spanwatch::lib {

// Every string that comes from outside (packets, databases, config) goes through write_safe_string, which
// repairs it to valid UTF-8 first; the rest are our own ASCII constants. So the writer need not validate
// again; JsonTextWriter copies keys and clean strings in one piece.
using JsonWriter = JsonTextWriter;

// Upper bound for one untrusted string (SNI, user agent, banner ...); the repaired copy lives on the stack.
inline constexpr size_t kMaxSafeStringBytes = 1024;

struct SafeStringStats {
  bool truncated = false;  // input did not fit in max_bytes
  uint32_t replaced = 0;   // invalid UTF-8 sequences replaced by U+FFFD
};

// Copies `in` to `out` as valid UTF-8 of at most max_bytes bytes: each maximal invalid subsequence (Unicode
// 3.9, "substitution of maximal subparts") becomes U+FFFD; overlongs, surrogates and > U+10FFFF are invalid;
// the cut falls on a character boundary. Returns the bytes written. `out` must hold max_bytes.
size_t sanitize_utf8(std::string_view in, char* out, size_t max_bytes,
                     SafeStringStats* stats = nullptr) noexcept;

// write_safe_string's way for text that is not plain ASCII or too long: sanitize_utf8, then escaping.
SafeStringStats write_repaired_string(JsonWriter& w, std::string_view s, size_t cap) noexcept;

// Writes `s` as a JSON string value after sanitize_utf8 (max_bytes capped at kMaxSafeStringBytes); the
// writer escapes quotes, backslashes and control characters. Most text (host names, versions, cipher
// lists) is plain ASCII, checked while it is copied, in one piece (inline); the rest is repaired first.
[[gnu::always_inline]] inline SafeStringStats write_safe_string(
    JsonWriter& w, std::string_view s, size_t max_bytes = kMaxSafeStringBytes) noexcept {
  const size_t cap = max_bytes < kMaxSafeStringBytes ? max_bytes : kMaxSafeStringBytes;
  if (s.size() <= cap && w.PlainString(s.data(), s.size())) [[likely]]
    return {};
  return write_repaired_string(w, s, cap);
}

// Formats ns since the epoch as RFC 3339 UTC with microseconds ("2026-01-05T10:00:41.123456Z"); returns the
// length (kRfc3339Len). `out` must hold kRfc3339Len bytes. Truncates (does not round) to the microsecond.
inline constexpr size_t kRfc3339Len = 27;
size_t format_rfc3339_us(uint64_t ns, char* out) noexcept;

// What the writer needs besides the record: who observed it, and port names indexed by port_id.
struct JsonFlowContext {
  std::string observer_hostname;        // observer.hostname (omitted when empty)
  std::string observer_name;            // observer.name (omitted when empty)
  std::vector<std::string> port_names;  // observer.ingress.interface.name by FlowRecord::port_id
  std::string ecs_version = std::string(kDefaultEcsVersion);
  uint16_t community_id_seed = 0;  // network.community_id
  RiskTable risks{};               // names/scores of spanwatch.risk.list ids (nDPI's + add_own_risks)
  L7NameTable l7_names;            // nDPI's names of L7Info's ids (NdpiDetector::fill_name_table)
};

class JsonFlowWriter {
 public:
  explicit JsonFlowWriter(JsonFlowContext ctx);

  // Appends one JSON object and '\n' to `out` (which the caller clears/reuses). Returns the bytes appended.
  // `enrichment` (FlowEnricher's answer for this record) adds geo, AS, names, labels and rule matches.
  size_t write(const FlowRecord& rec, rapidjson::StringBuffer& out,
               const FlowEnrichment* enrichment = nullptr) noexcept;

  // The most bytes write() may touch for this record, its text from outside at its worst (every byte
  // escaped): write() reserves it once, and the writer's calls then need no bounds check each
  // (json_record_bound.cpp).
  size_t record_bound(const FlowRecord& rec, const FlowEnrichment* enrichment) const noexcept {
    const auto kind = static_cast<size_t>(rec.app.kind);
    return base_bound_ + app_bound_[kind < app_bound_.size() ? kind : 0] +
           (enrichment ? enrichment_bound(*enrichment) : 0);
  }

  const JsonFlowContext& context() const noexcept { return ctx_; }

 private:
  void write_event(const FlowRecord& rec) noexcept;
  void write_event_head() noexcept;  // the part of event every record has
  void write_observer(const FlowRecord& rec) noexcept;
  void write_network(const FlowRecord& rec) noexcept;
  void write_endpoint(const FlowRecord& rec, Dir d) noexcept;
  void write_endpoint_enrichment(const EndpointEnrichment& e,
                                 bool orig) noexcept;                           // ECS source.*/destination.*
  void write_side_enrichment(const EndpointEnrichment& e, bool orig) noexcept;  // spanwatch.src/dst
  void write_flag_labels(const JsonField& f, uint8_t flags) noexcept;
  void write_enrichment_tail(const FlowEnrichment& e) noexcept;  // spanwatch.labels, spanwatch.rules
  void write_spanwatch(const FlowRecord& rec) noexcept;
  void write_network_application(const L7Info& l7) noexcept;         // network.protocol / .application
  void write_application(const FlowRecord& rec) noexcept;            // tls.*, dns.*, http.*, url.*, ...
  void write_spanwatch_application(const FlowRecord& rec) noexcept;  // spanwatch.l7, .risk, .tls, ...
  void write_tls(const TlsMetadata& t) noexcept;
  void write_dns(const DnsMetadata& d) noexcept;
  void write_http(const HttpMetadata& h) noexcept;
  void write_risks(uint64_t risks) noexcept;
  uint32_t risk_score(uint64_t risks) const noexcept;

  // An nDPI name rendered once as a JSON string value.
  struct NameJson {
    std::string json;          // the value as write_safe_string writes it, quotes included
    bool empty = true;         // no name
    bool short_plain = false;  // printable ASCII without '"' or '\\', at most 63 bytes: joins as it is
  };
  // What `members` writes into an object, without the braces; `outside_text`: the bytes of text from
  // outside (config, nDPI's names) it writes, for the room to reserve.
  template <class F>
  std::string render(size_t outside_text, F&& members);
  void render_context();  // the constructor's part: fills the members below
  void compute_bounds();  // base_bound_, app_bound_ (json_record_bound.cpp)
  static size_t enrichment_bound(const FlowEnrichment& e) noexcept;
  void write_observer_members(std::string_view port_name) noexcept;  // "" = no interface name
  static const NameJson& name_at(const std::vector<NameJson>& v, size_t i) noexcept {
    return i < v.size() ? v[i] : kNoName;
  }
  const NameJson& protocol_name(uint16_t id) const noexcept {  // as L7NameTable::protocol
    return name_at(protocol_lower_, id < protocol_lower_.size() ? id : 0);
  }
  static const NameJson kNoName;
  void write_l7_proto(const L7Info& l7) noexcept;  // spanwatch.l7.proto: "master.app" as ndpi_protocol2name

  JsonFlowContext ctx_;
  JsonWriter w_;                       // the emitter; nothing of a record stays in it after Finish()
  const FlowEnrichment* e_ = nullptr;  // of the record being written

  // Per-context text, rendered once by the same code that wrote it per record before: the same bytes.
  std::string ecs_json_;                    // "ecs":{"version":...}
  std::string event_head_json_;             // "event":{... up to "type":["connection" (write_event_head)
  std::vector<std::string> observer_json_;  // "observer":{...} by port_id; the last for any other port
  std::vector<NameJson> protocol_lower_;    // Lower(protocol name), by nDPI protocol id
  std::vector<NameJson> categories_, breeds_, confidences_;
  std::array<std::string, 64> risk_json_;      // spanwatch.risk.list objects by risk id
  std::array<std::string_view, 2> ip_text_{};  // source.ip and destination.ip: the record's text in `out`
  size_t base_bound_ = 0;              // record_bound: what every record may write but its application
  std::array<size_t, 6> app_bound_{};  // and what each AppKind's metadata and info line may add
  uint64_t risks_ = 0;                 // the record's nDPI and own risks (write() finds them once)
  uint32_t risk_score_ = 0;            // their score
  // The last cipher looked up (tls_cipher_name is a binary search; a sensor sees few ciphers in a row).
  uint16_t cipher_id_ = 0;
  std::string_view cipher_name_;
  bool cipher_known_ = false;
};

}  // namespace spanwatch::lib
