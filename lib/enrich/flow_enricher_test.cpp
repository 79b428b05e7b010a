// FlowEnricher over real tables: Debian's registries, the project's data files and rules, test GeoIP
// databases written by MaxMind's own writer (tests/tools/make_test_mmdb.pl), a temporary inventory.
#include "lib/enrich/flow_enricher.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace spanwatch::lib {
namespace {

namespace fs = std::filesystem;

IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t p[4] = {a, b, c, d};
  return IpAddress::from_v4(p);
}

fs::path source_root() {
  if (const char* r = std::getenv("SPANWATCH_SOURCE_ROOT")) return r;
  return fs::path(__FILE__).parent_path().parent_path().parent_path();
}

class FlowEnricherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* geo = std::getenv("SPANWATCH_GEO_TESTDATA");
    if (!geo) GTEST_SKIP() << "SPANWATCH_GEO_TESTDATA not set (meson sets it)";
    dir_ = fs::temp_directory_path() / ("flow_enricher_test." + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "inventory.csv")
        << "cidr,hostname,owner,role,os\n10.1.2.3/32,build-7,CI team,build server,Debian 12\n";
    EnrichmentConfig cfg;
    cfg.geoip_city = {(fs::path(geo) / "city-geoip2.mmdb").string()};
    cfg.geoip_asn = {(fs::path(geo) / "asn.mmdb").string()};
    cfg.geoip_default = false;
    cfg.inventory = (dir_ / "inventory.csv").string();
    cfg.rules = (source_root() / "conf/rules.yaml").string();
    cfg.services = {{6, 8443, "admin-ui"}};
    tables_ = load_enrichment_tables(cfg, (source_root() / "conf").string());
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  static FlowRecord tcp(const IpAddress& src, uint16_t sport, const IpAddress& dst, uint16_t dport) {
    FlowRecord r;
    r.flow_id = 42;
    r.l4_proto = 6;
    r.src_ip = src;
    r.dst_ip = dst;
    r.src_port = sport;
    r.dst_port = dport;
    r.conn_state = ConnState::kSF;
    r.first_ns = 1'000'000'000;
    r.last_ns = 3'000'000'000;
    r.emit_ns = r.last_ns;
    r.dir[0] = {10, 1000, 800, 100, {0x3c, 0xa6, 0xf6, 1, 2, 3}, 0x1b, true};
    r.dir[1] = {10, 3000, 2800, 2000, {0x02, 0, 0, 0, 0, 1}, 0x1b, true};
    return r;
  }

  fs::path dir_;
  std::unique_ptr<EnrichmentTables> tables_;
};

TEST_F(FlowEnricherTest, NamesPlacesAndOwners) {
  FlowEnricher en(std::move(tables_), 1024);
  const FlowEnrichment& e = en.enrich(tcp(v4(10, 1, 2, 3), 40000, v4(81, 2, 69, 160), 443));
  EXPECT_EQ(e.direction, "outbound");
  const EndpointEnrichment& s = e.ep[0];
  const EndpointEnrichment& d = e.ep[1];
  EXPECT_EQ(s.service, "");  // an ephemeral client port has no name
  EXPECT_EQ(d.service, "https");
  EXPECT_EQ(s.is_local, true);
  EXPECT_EQ(d.is_local, false);
  EXPECT_EQ(s.mac_vendor, "Apple, Inc.");  // 3C:A6:F6 in Debian's ieee-data oui.csv
  EXPECT_EQ(d.mac_class, "locally_administered");
  EXPECT_EQ(d.mac_vendor, "");
  EXPECT_EQ(d.country_iso_code, "GB");  // city-geoip2.mmdb: 81.2.69.0/24 London
  EXPECT_EQ(d.city_name, "London");
  ASSERT_TRUE(d.location);
  EXPECT_NEAR((*d.location)[0], 51.5142, 1e-3);
  EXPECT_EQ(s.country_iso_code, "");  // local addresses are not looked up
  EXPECT_EQ(s.hostname, "build-7");
  EXPECT_EQ(s.hostname_source, "inventory");
  EXPECT_EQ(s.owner, "CI team");
  EXPECT_EQ(s.os, "Debian 12");
  EXPECT_EQ(*e.throughput_bps, (1000u + 3000u) * 8 / 2);
  EXPECT_EQ(*d.bps, 3000u * 8 / 2);
  EXPECT_FALSE(e.current_bps);
  EXPECT_EQ(e.labels, 0);
}

TEST_F(FlowEnricherTest, AsnClassAndOverrides) {
  FlowEnricher en(std::move(tables_), 1024);
  const FlowEnrichment& e = en.enrich(tcp(v4(192, 168, 1, 9), 40000, v4(8, 8, 8, 8), 8443));
  EXPECT_EQ(e.ep[1].service, "admin-ui");
  EXPECT_EQ(e.ep[1].as_number, 15169u);
  EXPECT_EQ(e.ep[1].as_organization, "Google LLC");
  EXPECT_EQ(e.ep[1].as_class, "hosting");  // conf/as-classes.tsv lists AS15169
  EXPECT_NE(e.ep[1].as_class_source.find("Google"), std::string_view::npos);
}

TEST_F(FlowEnricherTest, LearnsHostNamesFromDhcpAndDns) {
  FlowEnricher en(std::move(tables_), 1024);
  FlowRecord dhcp = tcp(v4(0, 0, 0, 0), 68, v4(255, 255, 255, 255), 67);
  dhcp.l4_proto = 17;
  dhcp.app.reset(AppKind::kDhcp);
  dhcp.app.dhcp.message_type = 5;  // ACK
  dhcp.app.dhcp.assigned_ip = v4(192, 168, 1, 50);
  set_text(dhcp.app.dhcp.hostname, "alice-laptop");
  set_text(dhcp.app.dhcp.vendor_class, "MSFT 5.0");
  en.enrich(dhcp);

  FlowRecord dns = tcp(v4(192, 168, 1, 50), 5353, v4(192, 168, 1, 1), 53);
  dns.l4_proto = 17;
  dns.app.reset(AppKind::kDns);
  set_text(dns.app.dns.qname, "www.example.com");
  dns.app.dns.resolved_ips[0] = v4(81, 2, 69, 160);
  dns.app.dns.resolved_ip_count = 1;
  en.enrich(dns);

  const FlowEnrichment& e = en.enrich(tcp(v4(192, 168, 1, 50), 40001, v4(81, 2, 69, 160), 443));
  EXPECT_EQ(e.ep[0].hostname, "alice-laptop");
  EXPECT_EQ(e.ep[0].hostname_source, "dhcp");
  EXPECT_NE(e.ep[0].os.find("Windows"), std::string_view::npos) << e.ep[0].os;  // vendor class MSFT 5.0
  EXPECT_EQ(e.ep[1].domain, "www.example.com");
  EXPECT_EQ(e.ep[1].hostname, "");  // a DNS name names a service, not the host
}

TEST_F(FlowEnricherTest, RulesFromTheShippedFile) {
  FlowEnricher en(std::move(tables_), 1024);
  FlowRecord r = tcp(v4(10, 1, 2, 3), 40000, v4(81, 2, 69, 160), 80);
  r.app.reset(AppKind::kHttp);
  set_text(r.app.http.user_agent, "sqlmap/1.7.2#stable (https://sqlmap.org)");
  set_text(r.app.http.url, "/index.php?id=1");
  const FlowEnrichment& e = en.enrich(r);
  ASSERT_EQ(e.rule_count, 1);
  EXPECT_EQ(e.rules[0].id, 1003u);
  EXPECT_EQ(e.rules[0].field, "user_agent");
  EXPECT_EQ(en.counters().rule_matches.get(), 1u);
}

TEST_F(FlowEnricherTest, CurrentRateOnlyForActiveFlows) {
  FlowEnricher en(std::move(tables_), 1024);
  FlowRecord r = tcp(v4(10, 1, 2, 3), 40000, v4(81, 2, 69, 160), 443);
  r.final = false;
  r.reason = EndReason::kLiveUpdate;
  EXPECT_FALSE(en.enrich(r).current_bps);
  r.dir[1].frame_bytes += 125'000;  // one more second: 1 Mbit/s
  r.emit_ns += 1'000'000'000;
  ASSERT_TRUE(en.enrich(r).current_bps);
  EXPECT_EQ(*en.enrich(r).current_bps, 0u);  // same bytes again at the same time: no interval
}

TEST_F(FlowEnricherTest, ReplaceTablesKeepsLearnedNames) {
  EnrichmentConfig cfg;
  cfg.geoip_default = false;
  FlowEnricher en(std::move(tables_), 1024);
  FlowRecord dns = tcp(v4(192, 168, 1, 50), 5353, v4(192, 168, 1, 1), 53);
  dns.app.reset(AppKind::kDns);
  set_text(dns.app.dns.qname, "svc.example.net");
  dns.app.dns.resolved_ips[0] = v4(81, 2, 69, 161);
  dns.app.dns.resolved_ip_count = 1;
  en.enrich(dns);
  en.replace_tables(load_enrichment_tables(cfg, (source_root() / "conf").string()));
  const FlowEnrichment& e = en.enrich(tcp(v4(10, 1, 2, 3), 40000, v4(81, 2, 69, 161), 443));
  EXPECT_EQ(e.ep[1].domain, "svc.example.net");
  EXPECT_EQ(e.ep[1].country_iso_code, "");  // the new tables have no GeoIP
  EXPECT_EQ(en.counters().reloads.get(), 1u);
}

TEST(EnrichmentTables, BadDataStopsStartUpNamingIt) {
  EnrichmentConfig cfg;
  cfg.geoip_default = false;
  cfg.local_networks = {"10.0.0/8"};
  try {
    load_enrichment_tables(cfg, "");
    ADD_FAILURE() << "expected an exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("10.0.0/8"), std::string::npos) << e.what();
  }
  cfg.local_networks = {"10.0.0.0/8"};
  cfg.geoip_city = {"/nonexistent/city.mmdb"};
  const auto t = load_enrichment_tables(cfg, "");  // a named but missing database is a warning
  EXPECT_FALSE(t->geo);
  bool warned = false;
  for (const std::string& w : t->warnings) warned |= w.find("/nonexistent/city.mmdb") != std::string::npos;
  EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace spanwatch::lib
