#include "pipeline/exporter_lcore.hpp"

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <array>
#include <cstdio>
#include <cstring>

namespace spanwatch::pipeline {
namespace {
constexpr unsigned kBurst = 32;
}

ExporterLcore::ExporterLcore(ExporterParams p) : p_(std::move(p)), writer_(p_.json), file_(p_.file) {}

unsigned ExporterLcore::drain_once() noexcept {
  unsigned total = 0;
  std::array<lib::FlowRecord, kBurst> recs;
  for (rte_ring* ring : p_.record_rings) {
    const unsigned n =
        rte_ring_sc_dequeue_burst_elem(ring, recs.data(), sizeof(lib::FlowRecord), kBurst, nullptr);
    if (n == 0) continue;
    buf_.Clear();
    for (unsigned i = 0; i < n; ++i) {
      const lib::FlowRecord& r = recs[i];
      writer_.write(r, buf_);
      if (r.final) {
        ctr_.final_records.add(1);
        ctr_.packets_in_records.add(r.own_packets);
      } else {
        ctr_.interim_records.add(1);
      }
      if (r.is_tunnel_carrier) ctr_.carrier_records.add(1);
    }
    ctr_.records.add(n);
    ctr_.json_bytes.add(buf_.GetSize());
    file_.write(std::string_view(buf_.GetString(), buf_.GetSize()));
    total += n;
  }
  return total;
}

void ExporterLcore::housekeeping() noexcept {
  // Say it once when writing starts failing and once when it recovers; the counters say how much.
  const bool failing = file_.flush() == lib::NdjsonStatus::kRetry;
  if (failing && !write_failing_)
    std::fprintf(stderr, "spanwatch: writing %s: %s (records kept in memory and retried; see stats.json)\n",
                 file_.path().c_str(), std::strerror(file_.last_errno()));
  else if (!failing && write_failing_)
    std::fprintf(stderr, "spanwatch: writing %s works again\n", file_.path().c_str());
  write_failing_ = failing;
}

}  // namespace spanwatch::pipeline
