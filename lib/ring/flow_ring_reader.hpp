// A reader of spanwatch's flow ring (spanwatch-tail, the viewer): ShmRingReader underneath, each BIN4
// record decoded and formatted as the NDJSON line the flow files have, by the lib's JsonFlowWriter with the
// context the exporter published in the ring. Needs neither nDPI nor spanwatch's configuration.
#pragma once
#include <rapidjson/stringbuffer.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/enrich/flow_enrichment.hpp"
#include "lib/export/json_flow_writer.hpp"
#include "lib/flow/flow_record.hpp"
#include "lib/ring/shm_ring_reader.hpp"

namespace spanwatch::lib {

struct FlowReadResult {
  ReadStatus status = ReadStatus::kEmpty;  // as ShmRingReader::read; kCorrupt also for a record that does
                                           // not decode (missed 1, counted in undecodable())
  std::string_view json;                   // kRecord: the record's NDJSON line, '\n' included; valid until
                                           // the next read()
  uint64_t seq = 0;                        // kRecord: the record's sequence number
  uint64_t missed = 0;                     // kOverrun/kCorrupt: records skipped
};

class FlowRingReader {
 public:
  // Opens the ring as ShmRingReader does (expect_record_type is set to the flow ring's) and reads the
  // context area. Throws ShmRingError: as ShmRingReader, and kRecordMismatch when the context does not
  // decode.
  explicit FlowRingReader(ShmRingReaderOptions opts);

  // The next record as JSON. No system calls but ShmRingReader's (on its empty path).
  FlowReadResult read() noexcept {
    FlowReadResult r = next();
    if (r.status == ReadStatus::kRecord) r.json = json();
    return r;
  }
  // The next record decoded but not formatted (`json` empty): a reader that filters on record() first
  // formats only what it keeps, with json().
  FlowReadResult next() noexcept;
  // The JSON line of the record next() returned last, '\n' included; valid until the next call.
  std::string_view json() noexcept;

  // The record next() or read() returned last (kRecord).
  const FlowRecord& record() const noexcept { return rec_; }
  uint64_t undecodable() const noexcept { return undecodable_; }  // records that did not decode
  ShmRingReader& ring() noexcept { return ring_; }
  const ShmRingReader& ring() const noexcept { return ring_; }

 private:
  ShmRingReader ring_;
  // A copy of the ring's context bytes (the writer could change the shared ones): the JsonFlowContext's
  // risk names point into it. Behind a pointer so that they stay put when the reader moves.
  std::unique_ptr<const std::string> context_bytes_;
  std::unique_ptr<JsonFlowWriter> writer_;
  std::vector<char> payload_;  // one record's bytes; the enrichment's strings point into it
  rapidjson::StringBuffer json_;
  FlowRecord rec_;
  FlowEnrichment enrichment_;
  bool has_enrichment_ = false;  // of rec_
  uint64_t undecodable_ = 0;
};

}  // namespace spanwatch::lib
