#include "pipeline/exporter_lcore.hpp"

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "pipeline/startup_error.hpp"

namespace spanwatch::pipeline {
namespace {
constexpr unsigned kBurst = 32;
constexpr uint32_t kIpfixFlushBudgetMs = 2000;  // at exit, how long a TCP collector gets to take the rest

uint64_t steady_ms() noexcept {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}
}  // namespace

ExporterLcore::ExporterLcore(ExporterParams p)
    : p_(std::move(p)), writer_(p_.json), file_(p_.file), recs_(std::make_unique<lib::FlowRecord[]>(kBurst)) {
  if (p_.ipfix) {
    try {
      ipfix_ = std::make_unique<lib::ipfix::Exporter>(*p_.ipfix, &p_.json.l7_names);
    } catch (const std::exception& e) {
      throw StartupError(e.what());  // an unresolvable collector is a configuration error
    }
  }
  if (!p_.ring) return;
  // The ring is for live views: when it cannot be had (another spanwatch owns the name, /dev/shm is
  // full), say so and keep writing files rather than refuse to run.
  try {
    ring_ = std::make_unique<lib::FlowRingWriter>(*p_.ring, p_.json);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spanwatch: shared-memory ring disabled: %s\n", e.what());
  }
}

void ExporterLcore::publish(const lib::FlowRecord& r, const lib::FlowEnrichment* e) noexcept {
  if (!ring_) return;
  if (ring_->publish(r, e))
    ctr_.ring_published.add(1);
  else
    ctr_.ring_oversize.add(1);
}

unsigned ExporterLcore::drain_once() noexcept {
  unsigned total = 0;
  lib::FlowRecord* recs = recs_.get();
  std::array<uint32_t, kBurst + 1> line_end;  // offsets of the file lines in buf_
  for (rte_ring* ring : p_.record_rings) {
    const unsigned n = rte_ring_sc_dequeue_burst_elem(ring, recs, sizeof(lib::FlowRecord), kBurst, nullptr);
    if (n == 0) continue;
    // The ring is FIFO: its oldest record is the first of the burst.
    const uint64_t lag = rte_rdtsc() - recs[0].made_tsc;
    if (lag > lag_max_cycles_ && lag < (uint64_t{1} << 62)) lag_max_cycles_ = lag;
    buf_.Clear();
    unsigned lines = 0;
    line_end[0] = 0;
    for (unsigned i = 0; i < n; ++i) {
      const lib::FlowRecord& r = recs[i];
      const lib::FlowEnrichment* e = p_.enricher ? &p_.enricher->enrich(r) : nullptr;
      // The ring gets the record itself (readers format it): now, while the enrichment's views hold.
      publish(r, e);
      if (r.reason == lib::EndReason::kLiveUpdate) {
        ctr_.live_records.add(1);
        continue;
      }
      writer_.write(r, buf_, e);
      if (ipfix_) ipfix_->add(r, e);
      line_end[++lines] = static_cast<uint32_t>(buf_.GetSize());
      if (r.final) {
        ctr_.final_records.add(1);
        ctr_.packets_in_records.add(r.own_packets);
      } else {
        ctr_.interim_records.add(1);
      }
      if (r.is_tunnel_carrier) ctr_.carrier_records.add(1);
    }
    ctr_.records.add(lines);
    ctr_.json_bytes.add(buf_.GetSize());
    if (lines > 0) file_.write(std::string_view(buf_.GetString(), buf_.GetSize()));
    for (unsigned l = 0; l < lines; ++l) {
      const char* line = buf_.GetString() + line_end[l];
      const uint32_t len = line_end[l + 1] - line_end[l];
      if (p_.nats) p_.nats->offer(std::string_view(line, len));  // final and interim records, not snapshots
    }
    total += n;
  }
  return total;
}

void ExporterLcore::finish_ipfix() noexcept {
  if (ipfix_) ipfix_->flush(steady_ms(), kIpfixFlushBudgetMs);
}

void ExporterLcore::housekeeping() noexcept {
  ctr_.lag_cycles.set(lag_max_cycles_);
  lag_max_cycles_ = 0;
  if (ipfix_) ipfix_->tick(steady_ms());
  // Say it once when writing starts failing and once when it recovers; the counters say how much.
  // tick(): flush, plus rotation by age and the fsync policy.
  const bool failing = file_.tick() == lib::NdjsonStatus::kRetry;
  if (failing && !write_failing_)
    std::fprintf(stderr, "spanwatch: writing %s: %s (records kept in memory and retried; see stats.json)\n",
                 file_.path().c_str(), std::strerror(file_.last_errno()));
  else if (!failing && write_failing_)
    std::fprintf(stderr, "spanwatch: writing %s works again\n", file_.path().c_str());
  write_failing_ = failing;

  // fsync, rotation and retention failures: one line when they start, none while they go on.
  const lib::NdjsonFileCounters& c = file_.counters();
  const uint64_t errs = c.fsync_errors.get() + c.rotate_errors.get() + c.delete_errors.get();
  if (errs > file_errors_seen_ && !file_errors_failing_)
    std::fprintf(stderr, "spanwatch: %s: fsync, rotation or retention failed: %s (counted in stats.json)\n",
                 file_.path().c_str(), std::strerror(file_.last_errno()));
  file_errors_failing_ = errs > file_errors_seen_;
  file_errors_seen_ = errs;
}

}  // namespace spanwatch::pipeline
