// The flow ring end to end in one process: FlowRingWriter publishes BIN4 records with the JSON context in
// the ring, FlowRingReader (which gets the context from the ring alone) prints the lines the flow files get;
// the context area's bounds; a ring whose context is not a flow context is refused.
#include "lib/ring/flow_ring.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "lib/export/json_flow_writer.hpp"
#include "lib/export/test_records.hpp"
#include "lib/export/test_worst_records.hpp"
#include "lib/ring/flow_ring_context.hpp"
#include "lib/ring/flow_ring_reader.hpp"
#include "lib/ring/flow_ring_writer.hpp"
#include "lib/ring/shm_ring_test_util.hpp"

namespace spanwatch::lib {
namespace {

ShmRingWriterOptions writer_opts(const std::string& name, uint32_t slot = 4096) {
  ShmRingWriterOptions o;
  o.name = name;
  o.capacity = 64;
  o.max_payload_bytes = slot;
  return o;
}
ShmRingReaderOptions reader_opts(const std::string& name) {
  ShmRingReaderOptions o;
  o.name = name;
  o.start = ShmRingReaderOptions::Start::kOldest;
  return o;
}

std::string json_of(JsonFlowWriter& w, const FlowRecord& r, const FlowEnrichment* e) {
  rapidjson::StringBuffer b;
  w.write(r, b, e);
  return {b.GetString(), b.GetSize()};
}

TEST(FlowRing, ReaderPrintsTheLinesTheFilesGet) {
  const std::string name = ring_test::unique_name("flowring");
  const JsonFlowContext ctx = full_context();
  FlowRingWriter w(writer_opts(name), ctx);
  FlowRingReader r(reader_opts(name));
  JsonFlowWriter files(ctx);
  const FlowEnrichment full = full_enrichment();
  std::vector<std::string> want;
  for (const FlowRecord& rec : sample_records())
    for (const FlowEnrichment* e : {static_cast<const FlowEnrichment*>(nullptr), &full}) {
      ASSERT_TRUE(w.publish(rec, e));
      want.push_back(json_of(files, rec, e));
    }
  for (size_t i = 0; i < want.size(); ++i) {
    const FlowReadResult res = r.read();
    ASSERT_EQ(res.status, ReadStatus::kRecord) << i;
    EXPECT_EQ(res.seq, i);
    EXPECT_EQ(res.json, want[i]) << i;
    EXPECT_EQ(r.record().flow_id, sample_records()[i / 2].flow_id);
  }
  EXPECT_EQ(r.read().status, ReadStatus::kEmpty);
  EXPECT_EQ(r.undecodable(), 0u);
}

// The worst context (long hostile names, risk names as views) survives the ring: the reader formats as the
// exporter's writer would.
TEST(FlowRing, HostileContextAndRecords) {
  const std::string name = ring_test::unique_name("flowring-worst");
  std::mt19937 rng(2);
  const JsonFlowContext ctx = worst_context(0, rng);
  const std::optional<JsonFlowContext> back = decode_flow_context(encode_flow_context(ctx));
  ASSERT_TRUE(back.has_value());
  FlowRingWriter w(writer_opts(name, 65536), ctx);
  FlowRingReader r(reader_opts(name));
  JsonFlowWriter files(ctx);
  const FlowEnrichment full = full_enrichment();
  for (unsigned kind = 0; kind <= unsigned(AppKind::kDhcp); ++kind) {
    const FlowRecord rec = worst_record(AppKind(kind), 0, rng);
    ASSERT_TRUE(w.publish(rec, &full));
    const FlowReadResult res = r.read();
    ASSERT_EQ(res.status, ReadStatus::kRecord);
    EXPECT_EQ(res.json, json_of(files, rec, &full)) << kind;
  }
}

// A record whose encoding is larger than a slot is refused (the exporter counts it); the ring goes on.
TEST(FlowRing, OversizeRecordsAreRefused) {
  const std::string name = ring_test::unique_name("flowring-small");
  FlowRingWriter w(writer_opts(name, 1024), full_context());
  FlowRingReader r(reader_opts(name));
  std::mt19937 rng(4);
  EXPECT_FALSE(w.publish(worst_record(AppKind::kTls, 4, rng), nullptr));
  EXPECT_EQ(r.read().status, ReadStatus::kEmpty);  // the abandoned slot is not a record
  EXPECT_TRUE(w.publish(tcp_record(), nullptr));
  const FlowReadResult res = r.read();
  ASSERT_EQ(res.status, ReadStatus::kRecord);
  EXPECT_EQ(res.seq, 0u);
}

TEST(FlowRing, ContextDecodingIsBoundsChecked) {
  const std::string bytes = encode_flow_context(full_context());
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_flow_context(bytes.substr(0, n))) << n;
  EXPECT_FALSE(decode_flow_context(bytes + 'x'));
  std::mt19937 rng(9);
  for (int i = 0; i < 5000; ++i) {
    std::string m = bytes;
    m[rng() % m.size()] = char(rng());
    (void)decode_flow_context(m);  // decoded or refused; never a fault or a huge allocation
  }
}

TEST(FlowRing, RingWithoutAFlowContextIsRefused) {
  const std::string name = ring_test::unique_name("flowring-noctx");
  ShmRingWriterOptions o = writer_opts(name);
  o.record_type = kFlowRingRecordType;
  o.context = "not a context";
  ShmRingWriter w(o);
  try {
    FlowRingReader r(reader_opts(name));
    FAIL() << "opened a ring without a flow context";
  } catch (const ShmRingError& e) {
    EXPECT_EQ(e.code(), ShmRingErrc::kRecordMismatch);
  }
}

TEST(FlowRing, JsonRingOfAnOlderWriterIsRefused) {
  const std::string name = ring_test::unique_name("flowring-jsn1");
  ShmRingWriterOptions o = writer_opts(name);
  o.record_type = 0x314e534a;  // "JSN1": the JSON text ring of layout version 1
  ShmRingWriter w(o);
  EXPECT_THROW(FlowRingReader r(reader_opts(name)), ShmRingError);
}

}  // namespace
}  // namespace spanwatch::lib
