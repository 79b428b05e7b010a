// The IPFIX exporting process: flow records in, whole messages out to one collector. Records are batched
// into messages of at most `mtu` bytes; a message goes out when full and on tick() (about once a second),
// so a record waits at most a second. Templates lead every new TCP session and, over UDP, are sent again
// every template_refresh_s seconds or template_refresh_messages messages (RFC 7011 8.4 / 10.3.6).
#pragma once
#include <cstdint>

#include "lib/core/counter.hpp"
#include "lib/export/ipfix/ipfix_message_builder.hpp"
#include "lib/export/ipfix/ipfix_transport.hpp"

namespace spanwatch::lib::ipfix {

struct ExporterOptions {
  TransportOptions transport;
  uint32_t observation_domain = 0;
  uint32_t mtu = 1400;                        // bytes per IPFIX message (UDP payload)
  uint32_t template_refresh_s = 60;           // UDP only; 0 = never by time
  uint32_t template_refresh_messages = 1000;  // UDP only; 0 = never by count
};

struct ExporterCounters {
  Counter records;         // data records handed to the exporter
  Counter template_sends;  // messages that carried the templates
};

class Exporter {
 public:
  // Throws std::runtime_error when the collector cannot be resolved (a start-up error).
  Exporter(const ExporterOptions& o, const L7NameTable* l7_names);

  void add(const FlowRecord& r, const FlowEnrichment* e) noexcept;
  // Periodic work: sends the message being built, refreshes templates, drives the TCP connection.
  void tick(uint64_t now_ms) noexcept;
  // Shutdown: sends what is left and gives a TCP connection up to `budget_ms` to take it.
  void flush(uint64_t now_ms, uint32_t budget_ms) noexcept;

  const ExporterCounters& counters() const noexcept { return ctr_; }
  const TransportCounters& transport_counters() const noexcept { return transport_.counters(); }
  const ExporterOptions& options() const noexcept { return opt_; }
  const std::string& peer() const noexcept { return transport_.peer(); }
  uint32_t sequence() const noexcept { return builder_.sequence(); }

 private:
  void send_current() noexcept;
  void note_new_session() noexcept;
  void begin_message_if_needed() noexcept;

  ExporterOptions opt_;
  MessageBuilder builder_;
  MessageBuilder template_builder_;  // templates-only messages (a new session while a message is half built)
  Transport transport_;
  uint64_t now_ms_ = 0;
  uint64_t templates_sent_ms_ = 0;
  uint32_t messages_since_templates_ = 0;
  bool templates_due_ = false;      // UDP: first message and refresh
  bool session_templates_ = false;  // TCP: a new connection needs them before any data
  ExporterCounters ctr_;
};

}  // namespace spanwatch::lib::ipfix
