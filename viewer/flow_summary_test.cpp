#include "viewer/flow_summary.hpp"

#include <gtest/gtest.h>

#include "viewer/viewer_test_util.hpp"

namespace spanwatch::viewer {
namespace {

using testing::Rec;

TEST(FlowSummary, ParsesTheTableFields) {
  Rec r;
  r.extra_network = R"(,"protocol":"tls","application":"google")";
  r.extra_top = R"(,"tls":{"version":"1.3","client":{"server_name":"www.google.com"}})";
  r.extra_spanwatch =
      R"(,"l7":{"proto":"tls.google","category":"Web","breed":"Safe"},)"
      R"("risk":{"score":60,"list":[{"id":1,"name":"Known Proto on Non Std Port","severity":"medium","score":10},)"
      R"({"id":2,"name":"Self-signed Cert","severity":"high","score":50}]})";
  FlowSummary s = testing::parse(r);
  EXPECT_EQ(s.id, "w0-000000000001");
  EXPECT_FALSE(s.final);
  EXPECT_EQ(s.app, "tls.google");
  EXPECT_TRUE(s.encrypted);
  EXPECT_EQ(s.transport, "tcp");
  EXPECT_EQ(s.iana, 6);
  EXPECT_EQ(s.client.ip_text, "192.168.1.10");
  EXPECT_FALSE(s.client.is_public);
  EXPECT_TRUE(s.server.is_public);
  EXPECT_EQ(s.server.port, 443u);
  EXPECT_EQ(s.server.service, "https");  // from /etc/services (netbase)
  EXPECT_EQ(s.client.service, "");       // ephemeral client ports get no name
  EXPECT_EQ(s.bytes(), 10000u);
  EXPECT_EQ(s.info, "www.google.com");
  EXPECT_EQ(s.end_us - s.start_us, 10'000'000);
  EXPECT_EQ(s.flags, 0x1b);
  EXPECT_EQ(s.risk_score, 60u);
  ASSERT_EQ(s.risks.size(), 2u);
  EXPECT_EQ(s.risk_severity, "high");
  EXPECT_TRUE(s.labels.empty());
}

TEST(FlowSummary, InfoFallsBackToDnsHttpSsh) {
  Rec r;
  r.extra_top = R"(,"dns":{"question":{"name":"example.org","type":"A"}})";
  EXPECT_EQ(testing::parse(r).info, "example.org");
  r.extra_top = R"(,"url":{"domain":"example.org","original":"/index.html"})";
  EXPECT_EQ(testing::parse(r).info, "example.org/index.html");
  r.extra_top = "";
  r.extra_spanwatch = R"(,"ssh":{"client":{"software":"SSH-2.0-OpenSSH_9.2"}})";
  EXPECT_EQ(testing::parse(r).info, "SSH-2.0-OpenSSH_9.2");
  r.extra_spanwatch = R"(,"l7":{"info":"given"},"ssh":{"client":{"software":"x"}})";
  EXPECT_EQ(testing::parse(r).info, "given");
}

TEST(FlowSummary, EnrichmentFieldsShowWhenPresent) {
  Rec r;
  r.extra_top = R"(,"x":1)";
  std::string rec = testing::record(r);
  // Splice enrichment into source/destination as issue 4 will emit them.
  rec.replace(
      rec.find(R"("bytes":1000,"packets":10})"), 0,
      R"("geo":{"country_iso_code":"de","country_name":"Germany"},"as":{"number":3320,"organization":{"name":"Deutsche Telekom AG"}},"domain":"client.lan",)");
  rec.replace(rec.find(R"("src":{)") + 7, 0, R"("mac_vendor":"Intel Corporate","as_class":"isp",)");
  RecordParser p;
  FlowSummary s;
  ASSERT_EQ(p.parse(rec, s), ParseStatus::kOk);
  EXPECT_EQ(s.client.country, "DE");
  EXPECT_EQ(s.client.country_name, "Germany");
  EXPECT_EQ(s.client.asn, 3320u);
  EXPECT_EQ(s.client.as_org, "Deutsche Telekom AG");
  EXPECT_EQ(s.client.hostname, "client.lan");
  EXPECT_EQ(s.client.mac_vendor, "Intel Corporate");
  EXPECT_EQ(s.client.as_class, "isp");
  EXPECT_EQ(s.server.country, "");
  // A hostile "country code" is dropped, not shown.
  rec.replace(rec.find(R"("de")"), 4, R"("<i")");
  ASSERT_EQ(p.parse(rec, s), ParseStatus::kOk);
  EXPECT_EQ(s.client.country, "");
}

TEST(FlowSummary, RejectsInvalidRecords) {
  RecordParser p;
  FlowSummary s;
  EXPECT_EQ(p.parse("", s), ParseStatus::kInvalidJson);
  EXPECT_EQ(p.parse("{\"a\":", s), ParseStatus::kInvalidJson);
  EXPECT_EQ(p.parse("{} trailing", s), ParseStatus::kInvalidJson);
  EXPECT_EQ(p.parse("{\"s\":\"\xff\xfe\"}", s), ParseStatus::kInvalidJson);  // not UTF-8
  EXPECT_EQ(p.parse("[1,2]", s), ParseStatus::kInvalidJson);
  EXPECT_EQ(p.parse("{\"spanwatch\":{\"flow\":{}}}", s), ParseStatus::kNotAFlow);
  // The parser is reusable after failures.
  EXPECT_EQ(p.parse(testing::record(Rec{}), s), ParseStatus::kOk);
}

TEST(FlowSummary, DerivedLabels) {
  Rec r;
  r.conn_state = "S0";
  r.history = "S";
  r.dst_pkts = 0;
  r.dst_bytes = 0;
  r.src_pkts = 1;
  r.src_bytes = 60;
  FlowSummary s = testing::parse(r);
  EXPECT_TRUE(s.labels_derived);
  EXPECT_EQ(s.labels, (std::vector<std::string>{"connection_attempt", "potential_scan", "unidirectional"}));
  r.src_pkts = 3;  // retransmitted SYNs: an attempt, not a probe
  r.src_bytes = 180;
  s = testing::parse(r);
  EXPECT_EQ(s.labels, (std::vector<std::string>{"connection_attempt", "unidirectional"}));
  r = Rec{};
  r.conn_state = "SF";
  r.history = "ShADadFf";
  EXPECT_TRUE(testing::parse(r).labels.empty());  // a normal connection gets no label
  r.dst_pkts = 0;  // one-way capture of a handshake that went through: not unidirectional
  r.dst_bytes = 0;
  r.history = "SADF";
  EXPECT_TRUE(testing::parse(r).labels.empty());
  r.extra_spanwatch = R"(,"labels":["elephant"])";  // the pipeline's labels win
  s = testing::parse(r);
  EXPECT_FALSE(s.labels_derived);
  EXPECT_EQ(s.labels, std::vector<std::string>{"elephant"});
}

TEST(FlowSummary, Rfc3339) {
  EXPECT_EQ(parse_rfc3339_us("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_us("1970-01-01T00:00:01.5Z"), 1'500'000);
  EXPECT_EQ(parse_rfc3339_us("2020-02-07T21:04:48.041083Z"), 1581109488041083);
  EXPECT_EQ(parse_rfc3339_us("2020-02-07 21:04:48Z"), 0);
  EXPECT_EQ(parse_rfc3339_us("garbage"), 0);
}

}  // namespace
}  // namespace spanwatch::viewer
