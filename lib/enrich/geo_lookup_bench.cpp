// Cost of GeoIP/ASN lookups on the fetched databases: libmaxminddb uncached, GeoLookup cache hits and
// misses, AsClassTable::classify. Per ns of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID). Not a test.
// Usage: geo_lookup_bench [GEOIP_DIR [AS_CLASSES_TSV]]   (default /var/lib/spanwatch/geoip, no table)
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "lib/enrich/as_class_table.hpp"
#include "lib/enrich/geo_lookup.hpp"

namespace {

using namespace spanwatch::lib;

double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

// Random global unicast addresses, 70% IPv4 (fixed seed).
std::vector<IpAddress> random_addresses(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<IpAddress> out;
  while (out.size() < n) {
    uint8_t b[16];
    for (uint8_t& x : b) x = uint8_t(rng());
    IpAddress a;
    if (rng() % 10 < 3) {
      b[0] = uint8_t(0x20 + (b[0] & 0x0f));
      a = IpAddress::from_v6(b);
    } else {
      a = IpAddress::from_v4(b);
    }
    if (!is_special_purpose_address(a)) out.push_back(a);
  }
  return out;
}

template <class F>
double ns_per_call(size_t calls, F&& f) {
  const double t0 = cpu_ns();
  f();
  return (cpu_ns() - t0) / double(calls);
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "/var/lib/spanwatch/geoip";
  std::vector<std::string> city, asn;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".mmdb") continue;
    const std::string type(GeoipDatabase(entry.path().string()).database_type());
    (type.find("asn") != std::string::npos || type.find("ASN") != std::string::npos ? asn : city)
        .push_back(entry.path().string());
  }
  if (city.empty() && asn.empty()) {
    std::fprintf(stderr, "no .mmdb files in %s (scripts/fetch-geoip.sh)\n", dir.c_str());
    return 1;
  }
  const std::vector<IpAddress> distinct = random_addresses(200000, 1);
  size_t sink = 0;

  GeoLookup uncached = GeoLookup::open(city, asn, 0);
  for (const IpAddress& a : distinct) sink += uncached.lookup(a).location.has_value();  // page faults
  const double miss_db = ns_per_call(distinct.size(), [&] {
    for (const IpAddress& a : distinct) sink += uncached.lookup(a).location.has_value();
  });
  GeoLookup cached = GeoLookup::open(city, asn);
  for (const IpAddress& a : distinct) sink += cached.lookup(a).location.has_value();  // its own mappings
  const std::vector<IpAddress> other = random_addresses(200000, 2);
  const double miss_cached = ns_per_call(other.size(), [&] {
    for (const IpAddress& a : other) sink += cached.lookup(a).location.has_value();
  });
  const std::vector<IpAddress> hot(distinct.begin(), distinct.begin() + 4096);
  for (const IpAddress& a : hot) cached.lookup(a);
  const uint64_t hits_before = cached.cache_stats().hits;
  const size_t rounds = 500;
  const double hit = ns_per_call(rounds * hot.size(), [&] {
    for (size_t r = 0; r < rounds; ++r) {
      for (const IpAddress& a : hot) sink += cached.lookup(a).location.has_value();
    }
  });
  const double hit_ratio = double(cached.cache_stats().hits - hits_before) / double(rounds * hot.size());
  // Hits only: the hot addresses that keep their slot (in a direct-mapped cache some pairs collide).
  std::vector<IpAddress> resident;
  for (const IpAddress& a : hot) {
    const uint64_t before = cached.cache_stats().hits;
    cached.lookup(a);
    if (cached.cache_stats().hits > before) resident.push_back(a);
  }
  const double pure_hit = ns_per_call(rounds * resident.size(), [&] {
    for (size_t r = 0; r < rounds; ++r) {
      for (const IpAddress& a : resident) sink += cached.lookup(a).location.has_value();
    }
  });

  std::printf("databases: %zu city, %zu asn in %s\n", city.size(), asn.size(), dir.c_str());
  std::printf("uncached lookup (city + asn)      %8.0f ns\n", miss_db);
  for (const GeoipDatabase& db : uncached.city_databases()) {
    const double ns = ns_per_call(distinct.size(), [&] {
      for (const IpAddress& a : distinct) sink += db.find_location(a).has_value();
    });
    std::printf("  find_location %-40s %6.0f ns\n", db.path().c_str(), ns);
  }
  for (const GeoipDatabase& db : uncached.asn_databases()) {
    const double ns = ns_per_call(distinct.size(), [&] {
      for (const IpAddress& a : distinct) sink += db.find_as(a).has_value();
    });
    std::printf("  find_as       %-40s %6.0f ns\n", db.path().c_str(), ns);
  }
  std::printf("cached lookup, miss               %8.0f ns\n", miss_cached);
  std::printf("cached lookup, hit                 %8.1f ns\n", pure_hit);
  std::printf("cached, 4096 hot addresses        %8.1f ns (%.1f%% hits: direct-mapped collisions)\n", hit,
              hit_ratio * 100);

  if (argc > 2) {
    AsClassTable table(argv[2]);
    std::vector<std::pair<uint32_t, std::string_view>> as;
    for (const IpAddress& a : distinct) {
      if (const auto info = uncached.lookup(a).as) as.emplace_back(info->number, info->organization);
    }
    const double first = ns_per_call(as.size(), [&] {
      for (const auto& [n, org] : as) sink += size_t(table.classify(n, org).cls);
    });
    const double again = ns_per_call(as.size() * 10, [&] {
      for (int r = 0; r < 10; ++r) {
        for (const auto& [n, org] : as) sink += size_t(table.classify(n, org).cls);
      }
    });
    std::printf("AsClassTable::classify, first     %8.1f ns (%zu answers, %llu heuristic runs)\n", first,
                as.size(), static_cast<unsigned long long>(table.heuristic_runs()));
    std::printf("AsClassTable::classify, cached    %8.1f ns\n", again);
  }
  return sink == 42 ? 1 : 0;
}
