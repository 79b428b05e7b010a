#include "lib/export/ipfix/ipfix_exporter.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>

namespace spanwatch::lib::ipfix {
namespace {
uint32_t export_time_s() noexcept {
  return static_cast<uint32_t>(std::time(nullptr));
}
uint64_t steady_ms() noexcept {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}
}  // namespace

Exporter::Exporter(const ExporterOptions& o, const L7NameTable* l7_names)
    : opt_(o),
      builder_(o.observation_domain, o.mtu, l7_names),
      template_builder_(o.observation_domain, kMinMessageBytes, nullptr),
      transport_(o.transport),
      now_ms_(steady_ms()),
      templates_sent_ms_(now_ms_),
      templates_due_(o.transport.protocol == Protocol::kUdp) {
  transport_.poll(now_ms_);  // TCP: start connecting now, not with the first record
}

void Exporter::note_new_session() noexcept {
  if (!transport_.take_new_session()) return;
  builder_.restart_sequence();  // a new transport session counts its records from 0
  session_templates_ = true;
}

void Exporter::begin_message_if_needed() noexcept {
  if (!builder_.empty() || !(templates_due_ || session_templates_)) return;
  builder_.add_templates();
  templates_due_ = session_templates_ = false;
}

void Exporter::add(const FlowRecord& r, const FlowEnrichment* e) noexcept {
  ctr_.records.add(1);
  begin_message_if_needed();
  if (builder_.add_record(r, e)) return;
  send_current();
  begin_message_if_needed();
  builder_.add_record(r, e);  // always fits an empty message (kMaxRecordBytes < kMinMessageBytes)
}

void Exporter::send_current() noexcept {
  if (builder_.empty()) return;
  transport_.poll(now_ms_);
  note_new_session();
  if (builder_.has_templates()) session_templates_ = false;
  if (session_templates_) {
    // The connection came up while this message was being built without templates: send them first.
    template_builder_.restart_sequence();
    template_builder_.add_templates();
    if (transport_.send(template_builder_.finish(export_time_s()), 0, now_ms_)) ctr_.template_sends.add(1);
    template_builder_.reset();
    session_templates_ = false;
  }
  const bool templates = builder_.has_templates();
  const bool sent = transport_.send(builder_.finish(export_time_s()), builder_.records(), now_ms_);
  if (sent && templates) {
    ctr_.template_sends.add(1);
    templates_sent_ms_ = now_ms_;
    messages_since_templates_ = 0;
  } else if (sent) {
    ++messages_since_templates_;
  } else if (templates && opt_.transport.protocol == Protocol::kUdp) {
    templates_due_ = true;  // they did not leave: the next message carries them
  }
  builder_.reset();
  if (opt_.transport.protocol == Protocol::kUdp && opt_.template_refresh_messages != 0 &&
      messages_since_templates_ >= opt_.template_refresh_messages)
    templates_due_ = true;
}

void Exporter::tick(uint64_t now_ms) noexcept {
  now_ms_ = now_ms;
  transport_.poll(now_ms);
  note_new_session();
  if (opt_.transport.protocol == Protocol::kUdp && opt_.template_refresh_s != 0 &&
      now_ms - templates_sent_ms_ >= uint64_t{opt_.template_refresh_s} * 1000)
    templates_due_ = true;
  begin_message_if_needed();  // idle: a templates-only message keeps the collector's templates fresh
  send_current();
}

void Exporter::flush(uint64_t now_ms, uint32_t budget_ms) noexcept {
  tick(now_ms);
  if (opt_.transport.protocol != Protocol::kTcp) return;
  const uint64_t until = steady_ms() + budget_ms;
  for (uint64_t t = steady_ms(); transport_.pending_bytes() > 0 && t < until; t = steady_ms()) {
    usleep(1000);
    transport_.poll(t);
  }
}

}  // namespace spanwatch::lib::ipfix
