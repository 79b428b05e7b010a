// AsClassTable: the shipped conf/as-classes.tsv (read independently here too), malformed files, the
// organization-name heuristic and its per-ASN cache, and classes for the fetched ASN database's answers.
#include "lib/enrich/as_class_table.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "lib/core/temp_file.hpp"
#include "lib/enrich/geo_lookup.hpp"

namespace spanwatch::lib {
namespace {

namespace fs = std::filesystem;

// conf/as-classes.tsv: $SPANWATCH_SOURCE_ROOT, else found by walking up from this source file and the binary.
fs::path shipped_table() {
  std::error_code ec;
  if (const char* root = std::getenv("SPANWATCH_SOURCE_ROOT")) return fs::path(root) / "conf/as-classes.tsv";
  for (fs::path p : {fs::absolute(__FILE__, ec).parent_path(),
                     fs::read_symlink("/proc/self/exe", ec).parent_path(), fs::current_path(ec)}) {
    for (; !p.empty() && p != p.root_path(); p = p.parent_path()) {
      if (fs::exists(p / "conf/as-classes.tsv", ec) && fs::exists(p / "lib/enrich", ec)) {
        return p / "conf/as-classes.tsv";
      }
    }
  }
  return {};
}

TEST(AsClassName, RoundTrips) {
  for (AsClass c : {AsClass::kUnknown, AsClass::kHosting, AsClass::kIsp, AsClass::kEducation,
                    AsClass::kBusiness, AsClass::kGovernment}) {
    EXPECT_EQ(parse_as_class(as_class_name(c)), c);
  }
  EXPECT_EQ(as_class_name(AsClass::kIsp), "isp");
  EXPECT_EQ(as_class_name(static_cast<AsClass>(200)), "unknown");
  EXPECT_FALSE(parse_as_class("Hosting"));
  EXPECT_FALSE(parse_as_class(""));
}

TEST(ShippedTable, LoadsEveryLineWithItsSource) {
  const fs::path path = shipped_table();
  ASSERT_FALSE(path.empty()) << "conf/as-classes.tsv not found; set SPANWATCH_SOURCE_ROOT";
  AsClassTable table(path.string());
  EXPECT_EQ(table.rejected_lines(), 0u) << (table.problems().empty() ? "" : table.problems().front());
  EXPECT_GE(table.size(), 100u);
  EXPECT_LE(table.size(), 250u);

  // Read the file again here, simply, and check that every line answers as written.
  std::ifstream in(path);
  std::map<AsClass, size_t> per_class;
  size_t lines = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    ++lines;
    std::stringstream ss(line);
    std::string asn, cls, source;
    std::getline(ss, asn, '\t');
    std::getline(ss, cls, '\t');
    std::getline(ss, source);
    const auto answer = table.find(uint32_t(std::stoul(asn)));
    ASSERT_TRUE(answer) << line;
    EXPECT_EQ(as_class_name(answer->cls), cls) << line;
    EXPECT_EQ(answer->source, source) << line;
    EXPECT_GT(source.size(), 20u) << "a source must say where the answer comes from: " << line;
    ++per_class[answer->cls];
  }
  EXPECT_EQ(lines, table.size());
  for (AsClass c :
       {AsClass::kHosting, AsClass::kIsp, AsClass::kEducation, AsClass::kBusiness, AsClass::kGovernment}) {
    EXPECT_GE(per_class[c], 10u) << as_class_name(c);
  }
  // The networks analysts meet daily.
  for (uint32_t asn : {16509u, 14618u, 15169u, 396982u, 8075u, 13335u, 20940u, 16625u, 54113u, 16276u, 24940u,
                       14061u, 63949u, 31898u, 45102u}) {
    EXPECT_EQ(table.find(asn)->cls, AsClass::kHosting) << asn;
  }
  for (uint32_t asn : {7922u, 3320u, 7018u, 701u, 3215u})
    EXPECT_EQ(table.find(asn)->cls, AsClass::kIsp) << asn;
  for (uint32_t asn : {20965u, 11537u, 680u, 786u})
    EXPECT_EQ(table.find(asn)->cls, AsClass::kEducation) << asn;
  EXPECT_EQ(table.find(721)->cls, AsClass::kGovernment);
  EXPECT_EQ(table.find(32934)->cls, AsClass::kBusiness);
  // The table wins over the heuristic, whose keyword would say otherwise.
  EXPECT_EQ(table.classify(7922, "Comcast Cable Communications, LLC").source, table.find(7922)->source);
  EXPECT_EQ(table.classify(13335, "Cloudflare, Inc.").cls, AsClass::kHosting);
  EXPECT_EQ(table.heuristic_runs(), 0u);
  EXPECT_FALSE(table.find(64512));
}

TEST(TableFile, MalformedLinesAreCountedAndNamed) {
  std::string long_line(100000, 'x');
  const TempFile file(
      "# comment\n"
      "\n"
      "   # indented comment\n"
      "16509\thosting\tAWS cloud\n"
      "7922\tisp\tComcast access\r\n"  // CRLF is fine
      "65001\tunknown\tlisted on purpose\n"
      "AS1\thosting\tprefix not allowed\n"       // 1
      "0\thosting\tAS0 is reserved\n"            // 2
      "4294967296\tisp\ttoo big\n"               // 3
      "12x\tisp\ttrailing garbage\n"             // 4
      "100\tHosting\tclass is case-sensitive\n"  // 5
      "101\tcdn\tunknown class\n"                // 6
      "102\tisp\t\n"                             // 7: no source
      "103\tisp\n"                               // 8: two fields
      "104\tisp\ta\tb\n"                         // 9: four fields
      "16509\tisp\trepeated\n"                   // 10
      "\x01\x02\xff\xfe\tgarbage\t\x7f\n"        // 11
      + long_line +
      "\n"  // 12
      "4294967295\tbusiness\tlargest 32-bit ASN\n");
  AsClassTable table(file.path());
  EXPECT_EQ(table.size(), 4u);
  EXPECT_EQ(table.rejected_lines(), 12u);
  ASSERT_EQ(table.problems().size(), 12u);
  EXPECT_EQ(table.find(16509)->cls, AsClass::kHosting);  // the first line for an ASN stays
  EXPECT_EQ(table.find(16509)->source, "AWS cloud");
  EXPECT_EQ(table.find(7922)->source, "Comcast access");
  EXPECT_EQ(table.find(65001)->cls, AsClass::kUnknown);
  EXPECT_EQ(table.find(4294967295u)->cls, AsClass::kBusiness);
  EXPECT_EQ(table.problems()[0], file.path() + ":7: asn 'AS1' is not a number from 1 to 4294967295");
  EXPECT_NE(table.problems()[4].find(":11: class 'Hosting' is not one of"), std::string::npos);
  EXPECT_NE(table.problems()[6].find(":13: AS102 has no source"), std::string::npos);
  EXPECT_NE(table.problems()[7].find("found 2 field(s)"), std::string::npos);
  EXPECT_NE(table.problems()[9].find(":16: AS16509 repeats line 4"), std::string::npos);
  for (const std::string& p : table.problems()) {
    EXPECT_LT(p.size(), file.path().size() + 120) << "messages quote at most 40 bytes of a field";
    for (char c : p) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << "control byte in: " << p;
  }
}

TEST(TableFile, TableLargerThanTheHashTableStillAnswersEveryLine) {
  std::string text;
  const uint32_t n = 110000;  // more than the hash table stores (3/4 of 2^17)
  for (uint32_t asn = 1; asn <= n; ++asn) {
    text +=
        std::to_string(asn) + (asn % 2 ? "\tisp\tline " : "\thosting\tline ") + std::to_string(asn) + "\n";
  }
  const TempFile file(text);
  AsClassTable table(file.path());
  ASSERT_EQ(table.size(), n);
  for (uint32_t asn = 1; asn <= n; ++asn) {
    const AsClassAnswer a = table.classify(asn, "Example University");
    ASSERT_EQ(a.cls, asn % 2 ? AsClass::kIsp : AsClass::kHosting) << asn;
    ASSERT_EQ(a.source, "line " + std::to_string(asn));
  }
  EXPECT_EQ(table.heuristic_runs(), 0u);
  EXPECT_EQ(table.classify(n + 1, "Example University").cls, AsClass::kEducation);
}

TEST(TableFile, MissingFileThrowsNamingIt) {
  try {
    AsClassTable table("/nonexistent/as-classes.tsv");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/as-classes.tsv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

TEST(Heuristic, KeywordsAndPrecedence) {
  struct Case {
    const char* organization;
    AsClass cls;
    const char* keyword;  // must be quoted in the source
  };
  const Case cases[] = {
      {"Carnegie Mellon University", AsClass::kEducation, "'universit'"},
      {"UNIVERSITAET WIEN", AsClass::kEducation, "'universit'"},
      {"Universit\xc3\xa4t Z\xc3\xbcrich", AsClass::kEducation, "'universit'"},
      {"Universidade Federal do Rio Grande do Sul", AsClass::kEducation, "'universidad'"},  // not government
      {"Ministry of Education - EMISC", AsClass::kEducation, "'education'"},  // documented precedence
      {"Bergen County Vocational Technical School District", AsClass::kEducation, "'school'"},
      {"Polish Academy of Sciences", AsClass::kEducation, "'academ'"},
      {"State of Oregon", AsClass::kGovernment, "'state of'"},
      {"County of San Bernardino", AsClass::kGovernment, "'county'"},
      {"City of Los Angeles", AsClass::kGovernment, "'city of'"},
      {"Federal Aviation Administration", AsClass::kGovernment, "'federal'"},
      {"Seoul Metropolitan Government", AsClass::kGovernment, "'government'"},
      {"Contabo Hosting", AsClass::kHosting, "'hosting'"},
      {"WebHosting24 GmbH", AsClass::kHosting, "'hosting'"},
      {"Cloudflare, Inc.", AsClass::kHosting, "'cloud'"},
      {"Iomart Cloud Services Limited", AsClass::kHosting, "'cloud'"},
      {"Dedicated Servers Ltd", AsClass::kHosting, "'server'"},
      {"Example Data Center AB", AsClass::kHosting, "'data center'"},
      {"Fast VPS s.r.o.", AsClass::kHosting, "'vps'"},
      {"Colo Facilities Ltd", AsClass::kHosting, "'colo'"},
      {"Colombia Telecomunicaciones S.A.", AsClass::kIsp, "'telecom'"},  // "colo" only as a whole word
      {"Deutsche Telekom AG", AsClass::kIsp, "'telekom'"},
      {"Comcast Cable Communications, LLC", AsClass::kIsp, "'cable'"},
      {"Cablevision Systems", AsClass::kIsp, "'cable'"},
      {"T-Mobile USA, Inc.", AsClass::kIsp, "'mobile'"},
      {"Mifflin Wireless LLC", AsClass::kIsp, "'wireless'"},
      {"Cogent Communications", AsClass::kIsp, "'communication'"},
      {"Acme Internet Services Ltd", AsClass::kIsp, "'internet service'"},
      {"Rural ISP Cooperative", AsClass::kIsp, "'isp'"},
  };
  for (const Case& c : cases) {
    const AsClassAnswer a = classify_as_organization(c.organization);
    EXPECT_EQ(a.cls, c.cls) << c.organization << " -> " << a.source;
    EXPECT_NE(a.source.find(c.keyword), std::string_view::npos) << c.organization << " -> " << a.source;
  }
  // Keywords inside other words do not count (except 'hosting', 'telecom', 'telekom').
  for (const char* org : {"SoundCloud Ltd", "Crispy Foods", "CNSERVERS LLC", "Hetzner Online GmbH",
                          "Amazon.com, Inc.", "Massachusetts Institute of Technology"}) {
    const AsClassAnswer a = classify_as_organization(org);
    EXPECT_EQ(a.cls, AsClass::kUnknown) << org << " -> " << a.source;
    EXPECT_NE(a.source.find("no class keyword"), std::string_view::npos);
  }
  EXPECT_EQ(classify_as_organization("").source, "not in the AS class table; no organization name");
}

TEST(Heuristic, HostileNamesAreBoundedAndHarmless) {
  std::string huge(1 << 20, 'a');
  EXPECT_EQ(classify_as_organization(huge).cls, AsClass::kUnknown);
  huge.replace(300, 7, " hosting");  // past the 256 bytes read
  EXPECT_EQ(classify_as_organization(huge).cls, AsClass::kUnknown);
  huge.replace(10, 8, " hosting");
  EXPECT_EQ(classify_as_organization(huge).cls, AsClass::kHosting);
  const std::string binary("\0\xff\x01 Cloud\0", 10);
  EXPECT_EQ(classify_as_organization(binary).cls, AsClass::kHosting);
}

TEST(Heuristic, RunsOncePerAsn) {
  AsClassTable table;  // empty: everything goes to the heuristic
  const AsClassAnswer first = table.classify(64512, "Example Hosting");
  EXPECT_EQ(first.cls, AsClass::kHosting);
  EXPECT_EQ(table.heuristic_runs(), 1u);
  const AsClassAnswer again = table.classify(64512, "Example Hosting");
  EXPECT_EQ(again.cls, first.cls);
  EXPECT_EQ(again.source, first.source);
  EXPECT_EQ(table.heuristic_runs(), 1u);
  EXPECT_EQ(table.classify(64513, "").cls, AsClass::kUnknown);
  EXPECT_EQ(table.classify(64513, "").source, "not in the AS class table; no organization name");
  EXPECT_EQ(table.heuristic_runs(), 2u);
  table.classify(0, "Example University");  // AS 0: nothing to cache under
  table.classify(0, "Example University");
  EXPECT_EQ(table.heuristic_runs(), 4u);

  // Many ASNs: answers stay right; the cache holds most of them, the rest are answered uncached.
  AsClassTable big;
  const size_t n = 120000;
  for (uint32_t asn = 1; asn <= n; ++asn) {
    ASSERT_EQ(big.classify(asn, asn % 2 ? "Foo Telecom" : "Bar University").cls,
              asn % 2 ? AsClass::kIsp : AsClass::kEducation);
  }
  EXPECT_EQ(big.heuristic_runs(), n);
  for (uint32_t asn = 1; asn <= n; ++asn) {
    ASSERT_EQ(big.classify(asn, asn % 2 ? "Foo Telecom" : "Bar University").cls,
              asn % 2 ? AsClass::kIsp : AsClass::kEducation);
  }
  EXPECT_LT(big.heuristic_runs() - n, n / 4);  // at least 3/4 of the second pass came from the cache
}

// The fetched ASN database's answers for real addresses, classified (skipped without it).
TEST(FetchedAsnDatabase, ClassifiesRealAnswers) {
  const char* dir_env = std::getenv("SPANWATCH_GEOIP_DIR");
  const fs::path dir = dir_env ? fs::path(dir_env) : fs::path("/var/lib/spanwatch/geoip");
  const fs::path table_path = shipped_table();
  std::error_code ec;
  std::vector<std::string> asn_files;
  if (fs::is_directory(dir, ec)) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".mmdb") continue;
      const std::string type(GeoipDatabase(entry.path().string()).database_type());
      if (type.find("asn") != std::string::npos || type.find("ASN") != std::string::npos) {
        asn_files.push_back(entry.path().string());
      }
    }
  }
  if (asn_files.empty()) {
    GTEST_SKIP() << "no ASN database in " << dir
                 << ": run scripts/fetch-geoip.sh (or set SPANWATCH_GEOIP_DIR)";
  }
  ASSERT_FALSE(table_path.empty());
  AsClassTable table(table_path.string());
  GeoLookup lookup = GeoLookup::open({}, asn_files);
  auto class_of = [&](const char* text) {
    uint8_t b[16];
    IpAddress a;
    if (inet_pton(AF_INET, text, b) == 1) {
      a = IpAddress::from_v4(b);
    } else {
      EXPECT_EQ(inet_pton(AF_INET6, text, b), 1) << text;
      a = IpAddress::from_v6(b);
    }
    const GeoAnswer answer = lookup.lookup(a);
    EXPECT_TRUE(answer.as) << text;
    return answer.as ? table.classify(answer.as->number, answer.as->organization).cls : AsClass::kUnknown;
  };
  EXPECT_EQ(class_of("1.1.1.1"), AsClass::kHosting);  // Cloudflare
  EXPECT_EQ(class_of("8.8.8.8"), AsClass::kHosting);  // Google
  EXPECT_EQ(class_of("2a00:1450:4001:80b::200e"), AsClass::kHosting);
}

}  // namespace
}  // namespace spanwatch::lib
