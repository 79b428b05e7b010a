// Fuzz target: the flow ring's BIN4 record decoder as FlowRingReader calls it on a slot's payload (hostile or
// corrupt shared memory). Input: the payload bytes. A record that decodes must format as valid JSON, and
// encoding it again must give a record that formats the same line.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/export/json_flow_writer.hpp"
#include "lib/export/test_records.hpp"
#include "lib/ring/flow_record_codec.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;

namespace {

std::string json_of(lib::JsonFlowWriter& w, const lib::FlowRecord& r, const lib::FlowEnrichment* e) {
  rapidjson::StringBuffer b;
  w.write(r, b, e);
  return {b.GetString(), b.GetSize()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lib::JsonFlowWriter writer(lib::full_context());
  static lib::FlowRecord rec, again;
  static lib::FlowEnrichment enr, enr_again;
  static std::vector<std::byte> buf(size_t{1} << 17);
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const lib::FlowDecodeResult d = lib::decode_flow_record(in, rec, enr);
  if (d.status != lib::FlowDecodeStatus::kOk) return 0;
  const lib::FlowEnrichment* e = d.has_enrichment ? &enr : nullptr;
  const std::string line = json_of(writer, rec, e);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
  FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
  const size_t n = lib::encode_flow_record(rec, e, buf.data(), buf.size());
  FUZZ_CHECK(n != 0 && n <= size);  // no longer than its input: only what is present is written
  const lib::FlowDecodeResult d2 =
      lib::decode_flow_record({reinterpret_cast<const char*>(buf.data()), n}, again, enr_again);
  FUZZ_CHECK(d2.status == lib::FlowDecodeStatus::kOk && d2.has_enrichment == d.has_enrichment);
  FUZZ_CHECK(json_of(writer, again, d2.has_enrichment ? &enr_again : nullptr) == line);
  return 0;
}
