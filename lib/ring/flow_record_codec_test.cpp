// Tests for the BIN4 flow record codec: JSON(decode(encode(r, e))) == JSON(r, e) byte for byte for the test
// records, with and without enrichment, and for the worst records (every string full and hostile); sizes;
// and decoding hostile bytes (random, truncated, bit-flipped) that never reads past the payload.
#include "lib/ring/flow_record_codec.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "lib/export/json_flow_writer.hpp"
#include "lib/export/test_records.hpp"
#include "lib/export/test_worst_records.hpp"

namespace spanwatch::lib {
namespace {

std::string json_of(JsonFlowWriter& w, const FlowRecord& r, const FlowEnrichment* e) {
  rapidjson::StringBuffer b;
  w.write(r, b, e);
  return {b.GetString(), b.GetSize()};
}

std::string encode(const FlowRecord& r, const FlowEnrichment* e, size_t cap = size_t{1} << 20) {
  std::string out(cap, '\0');
  const size_t n = encode_flow_record(r, e, reinterpret_cast<std::byte*>(out.data()), cap);
  out.resize(n);
  return out;
}

// Encodes, decodes and formats both; the two lines must be the same bytes.
void expect_round_trip(JsonFlowWriter& w, const FlowRecord& r, const FlowEnrichment* e) {
  const std::string bytes = encode(r, e);
  ASSERT_FALSE(bytes.empty());
  FlowRecord back;
  FlowEnrichment back_e;
  const FlowDecodeResult d = decode_flow_record(bytes, back, back_e);
  ASSERT_EQ(d.status, FlowDecodeStatus::kOk) << kFlowDecodeStatusNames[size_t(d.status)];
  EXPECT_EQ(d.has_enrichment, e != nullptr);
  EXPECT_EQ(json_of(w, back, d.has_enrichment ? &back_e : nullptr), json_of(w, r, e));
}

TEST(FlowRecordCodec, SampleRecordsRoundTripToTheSameJson) {
  JsonFlowWriter w(full_context());
  const FlowEnrichment full = full_enrichment();
  FlowEnrichment sparse_e;  // a little: the presence masks with most bits clear
  sparse_e.ep[1].service = "https";
  sparse_e.current_bps = 0;
  const FlowEnrichment& sparse = sparse_e;
  for (const FlowRecord& r : sample_records())
    for (const FlowEnrichment* e : {static_cast<const FlowEnrichment*>(nullptr), &full, &sparse}) {
      SCOPED_TRACE(testing::Message() << "kind " << int(r.app.kind) << " enrichment " << (e != nullptr));
      expect_round_trip(w, r, e);
    }
}

TEST(FlowRecordCodec, WorstRecordsRoundTripToTheSameJson) {
  std::mt19937 rng(7);
  for (unsigned k = 0; k < 6; ++k) {
    JsonFlowWriter w(worst_context(k, rng));
    const WorstEnrichment we(k, rng);
    for (unsigned kind = 0; kind <= unsigned(AppKind::kDhcp); ++kind)
      for (const FlowEnrichment* e : {static_cast<const FlowEnrichment*>(nullptr), &we.e}) {
        SCOPED_TRACE(testing::Message()
                     << "pattern " << k << " kind " << kind << " enrichment " << (e != nullptr));
        expect_round_trip(w, worst_record(AppKind(kind), k, rng), e);
      }
  }
}

TEST(FlowRecordCodec, RefusesWhatItCannotCarry) {
  std::mt19937 rng(1);
  FlowRecord r = worst_record(AppKind::kTls, 5, rng);
  r.app.kind = AppKind(200);  // no such kind: no encoding
  EXPECT_TRUE(encode(r, nullptr).empty());
  FlowEnrichment e;
  const std::string huge(70000, 'x');  // longer than a u16 length
  e.ep[0].os = huge;
  EXPECT_TRUE(encode(tcp_record(), &e).empty());
}

// A slot smaller than the largest record takes the checked path: every cap below the size fails cleanly,
// the exact size succeeds with the same bytes.
TEST(FlowRecordCodec, EveryCapacityBelowTheSizeFails) {
  const FlowEnrichment full = full_enrichment();
  for (const FlowRecord& r : {tcp_record(), tls_record(), dns_record()}) {
    const std::string want = encode(r, &full);
    for (size_t cap = 0; cap < want.size(); ++cap) ASSERT_TRUE(encode(r, &full, cap).empty()) << cap;
    EXPECT_EQ(encode(r, &full, want.size()), want);
  }
}

// The worst enrichment (67 KB of strings) always takes the checked path: its strings cut to n bytes.
FlowEnrichment cut_to(const FlowEnrichment& e, size_t n) {
  FlowEnrichment c = e;
  const auto cut = [n](std::string_view& v) { v = v.substr(0, std::min(v.size(), n)); };
  cut(c.direction);
  for (EndpointEnrichment& p : c.ep)
    for (std::string_view* v : {&p.service, &p.mac_vendor, &p.mac_class, &p.country_iso_code, &p.country_name,
                                &p.city_name, &p.as_organization, &p.as_class, &p.as_class_source, &p.domain,
                                &p.hostname, &p.hostname_source, &p.os, &p.owner, &p.role})
      cut(*v);
  for (RuleHit& h : c.rules) cut(h.name);
  return c;
}

// With room for the enrichment's upper bound the encoder writes it without checks: it must still never
// write past `cap` (guard bytes after it stay untouched) and give the same bytes as with any other cap.
TEST(FlowRecordCodec, EnrichmentNeverWritesPastTheSlot) {
  std::mt19937 rng(11);
  for (unsigned k = 0; k < 6; ++k) {
    const WorstEnrichment we(k, rng);
    const FlowEnrichment e = cut_to(we.e, 20 + 40 * k);
    for (const FlowRecord& r : {tls_record(), worst_record(AppKind::kTls, k, rng)}) {
      const std::string want = encode(r, &e);
      ASSERT_FALSE(want.empty());
      // Caps below the size must fail (a bound too small would write past them), above it give `want`.
      for (size_t cap = want.size() - std::min<size_t>(want.size(), 1024); cap < want.size() + 1024;
           cap += 3) {
        std::string buf(cap + 64, '\x5a');
        const size_t n = encode_flow_record(r, &e, reinterpret_cast<std::byte*>(buf.data()), cap);
        ASSERT_EQ(std::string_view(buf).substr(0, n), cap < want.size() ? "" : want)
            << "pattern " << k << " cap " << cap;
        ASSERT_EQ(buf.substr(cap), std::string(64, '\x5a')) << "pattern " << k << " cap " << cap;
      }
    }
  }
}

TEST(FlowRecordCodec, Sizes) {
  const FlowEnrichment full = full_enrichment();
  const size_t tcp = encode(tcp_record(), nullptr).size(), tls = encode(tls_record(), nullptr).size(),
               dns = encode(dns_record(), nullptr).size();
  std::printf("BIN4 bytes: tcp %zu, tls_full %zu, dns %zu; with full enrichment +%zu\n", tcp, tls, dns,
              encode(tcp_record(), &full).size() - tcp);
  EXPECT_LT(tcp, 300u);  // FlowRecord is 1808 bytes, its JSON line ~1.2 KB
  EXPECT_LT(tls, 700u);
  // The largest record without enrichment fits the smallest slot the config allows (ring.slot_bytes 1024)
  // except for full-length strings; the worst TLS record still fits the default 4096.
  std::mt19937 rng(3);
  EXPECT_LT(encode(worst_record(AppKind::kTls, 4, rng), nullptr).size(), 4096u);
}

// Hostile payloads at the very end of a readable page, the next page unmapped: a read past the payload
// faults instead of passing unnoticed.
class GuardedPage {
 public:
  GuardedPage() {
    page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    mem_ = static_cast<char*>(
        ::mmap(nullptr, 2 * kPages * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    EXPECT_NE(mem_, MAP_FAILED);
    EXPECT_EQ(::mprotect(mem_ + kPages * page_, kPages * page_, PROT_NONE), 0);
  }
  ~GuardedPage() { ::munmap(mem_, 2 * kPages * page_); }
  // `bytes` copied so that they end where the unreadable page begins.
  std::string_view place(std::string_view bytes) {
    char* at = mem_ + kPages * page_ - bytes.size();
    std::memcpy(at, bytes.data(), bytes.size());
    return {at, bytes.size()};
  }
  static constexpr size_t kPages = 32;  // 128 KiB: more than any encoded record here

 private:
  size_t page_ = 0;
  char* mem_ = nullptr;
};

// What a decoded record must allow: formatting it as valid JSON.
void expect_formats(JsonFlowWriter& w, const FlowRecord& r, const FlowEnrichment* e) {
  const std::string line = json_of(w, r, e);
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
  ASSERT_FALSE(d.HasParseError());
}

TEST(FlowRecordCodec, HostileBytesNeverReadPastThePayload) {
  GuardedPage page;
  JsonFlowWriter w(full_context());
  std::mt19937 rng(11);
  const FlowEnrichment full = full_enrichment();
  std::vector<std::string> valid;
  for (const FlowRecord& r : sample_records()) {
    valid.push_back(encode(r, nullptr));
    valid.push_back(encode(r, &full));
  }
  for (unsigned kind = 0; kind <= unsigned(AppKind::kDhcp); ++kind)
    valid.push_back(encode(worst_record(AppKind(kind), 5, rng), &full));
  FlowRecord r;
  FlowEnrichment e;
  size_t ok = 0, refused = 0;
  auto decode = [&](std::string_view bytes) {
    const FlowDecodeResult d = decode_flow_record(page.place(bytes), r, e);
    if (d.status != FlowDecodeStatus::kOk) return ++refused, false;
    ++ok;
    expect_formats(w, r, d.has_enrichment ? &e : nullptr);
    return true;
  };
  for (const std::string& v : valid) {
    ASSERT_TRUE(decode(v));
    // Every truncation is refused (a record never ends early).
    for (size_t n = 0; n < v.size(); ++n) ASSERT_FALSE(decode(std::string_view(v).substr(0, n))) << n;
    // Trailing bytes are refused.
    ASSERT_FALSE(decode(v + '\0'));
    // Flipped bytes: decoded or refused, never a fault or invalid JSON.
    for (int i = 0; i < 500; ++i) {
      std::string m = v;
      for (int flips = 1 + int(rng() % 4); flips > 0; --flips) m[rng() % m.size()] = char(rng());
      decode(m);
    }
  }
  // Random bytes of random lengths.
  for (int i = 0; i < 10000; ++i) {
    std::string m(rng() % 2048, '\0');
    for (char& c : m) c = char(rng());
    if (i % 2 == 0 && !m.empty()) m[0] = char(rng() % 2);  // a plausible flags byte
    decode(m);
  }
  EXPECT_GT(refused, 0u);
  EXPECT_GT(ok, valid.size());  // some mutations decode: they must format
}

}  // namespace
}  // namespace spanwatch::lib
