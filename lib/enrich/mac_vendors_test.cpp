// Checks MacVendorTable against Debian's ieee-data CSVs, read here independently (a simple split per
// line: every record starts on its own line there), for every assigned block of every size, plus flags,
// missing files and malformed CSV.
#include "lib/enrich/mac_vendors.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "lib/core/temp_file.hpp"

namespace spanwatch::lib {
namespace {

using namespace std::string_literals;
using Mac = std::array<uint8_t, 6>;

Mac mac_of(uint64_t v) {
  Mac m;
  for (int i = 5; i >= 0; --i, v >>= 8) m[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
  return m;
}

// The registries as plain maps: bits -> (block -> first organization name).
struct Registries {
  std::map<unsigned, std::map<uint64_t, std::string>> blocks;
  size_t records = 0;

  // Longest-prefix owner of `mac`, or empty.
  std::string owner(uint64_t mac) const {
    for (const unsigned bits : {36u, 28u, 24u}) {
      const auto& m = blocks.at(bits);
      const auto it = m.find(mac >> (48 - bits));
      if (it != m.end()) return it->second;
    }
    return {};
  }
};

// "REGISTRY,ASSIGNMENT,NAME,..." where NAME may be quoted with "" for a quote. Hand-split rather than
// std::regex, which GCC 12 cannot compile warning-free under -fsanitize=address -O2.
bool split_record(const std::string& line, std::string& registry, std::string& assignment,
                  std::string& name) {
  const size_t c1 = line.find(',');
  if (c1 == std::string::npos) return false;
  const size_t c2 = line.find(',', c1 + 1);
  if (c2 == std::string::npos) return false;
  registry = line.substr(0, c1);
  assignment = line.substr(c1 + 1, c2 - c1 - 1);
  if (assignment.empty() || assignment.find_first_not_of("0123456789ABCDEF") != std::string::npos)
    return false;
  name.clear();
  size_t i = c2 + 1;
  if (i < line.size() && line[i] == '"') {
    for (++i; i < line.size(); ++i) {
      if (line[i] != '"') {
        name += line[i];
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        name += '"';
        ++i;
      } else {
        break;
      }
    }
  } else {
    name = line.substr(i, line.find(',', i) - i);
  }
  return true;
}

Registries read_registries() {
  Registries r;
  r.blocks[24], r.blocks[28], r.blocks[36];
  const std::map<std::string, unsigned> kBits = {{"MA-L", 24}, {"MA-M", 28}, {"MA-S", 36}, {"IAB", 36}};
  const IeeeRegistryFiles files;
  for (const std::string& path : {files.ma_l, files.ma_m, files.ma_s, files.iab}) {
    std::ifstream in(path);
    EXPECT_TRUE(in) << path << " is missing: install ieee-data (scripts/install-deps.sh)";
    std::string line, registry, assignment, name;
    while (std::getline(in, line)) {
      if (!split_record(line, registry, assignment, name) || !kBits.count(registry)) continue;
      name.erase(0, name.find_first_not_of(" \t"));
      name.erase(name.find_last_not_of(" \t") + 1);
      r.blocks[kBits.at(registry)].emplace(std::stoull(assignment, nullptr, 16), name);
      ++r.records;
    }
  }
  return r;
}

const Registries& registries() {
  static const Registries r = read_registries();
  return r;
}

const MacVendorTable& table() {
  static const MacVendorTable t{IeeeRegistryFiles{}};
  return t;
}

MacKind expected_kind(uint64_t mac, const std::string& owner) {
  if (mac == 0xFFFFFFFFFFFF) return MacKind::kBroadcast;
  if ((mac >> 40) & 1) return MacKind::kMulticast;
  if ((mac >> 40) & 2) return MacKind::kLocallyAdministered;
  return owner.empty() ? MacKind::kUnknown : MacKind::kVendor;
}

void expect_owner(uint64_t mac) {
  const std::string owner = registries().owner(mac);
  const MacVendor v = table().lookup(mac_of(mac));
  const MacKind kind = expected_kind(mac, owner);
  ASSERT_EQ(v.kind, kind) << std::hex << mac;
  ASSERT_EQ(v.vendor, kind == MacKind::kVendor ? owner : "") << std::hex << mac;
}

TEST(MacVendors, LoadsEveryRegistryCleanly) {
  const MacVendorTable& t = table();
  EXPECT_TRUE(t.warnings().empty()) << t.warnings().front();
  EXPECT_EQ(t.stats().malformed_records, 0u);
  const Registries& r = registries();
  EXPECT_EQ(t.stats().blocks24, r.blocks.at(24).size());
  EXPECT_EQ(t.stats().blocks28, r.blocks.at(28).size());
  EXPECT_EQ(t.stats().blocks36, r.blocks.at(36).size());
  EXPECT_EQ(t.stats().blocks24 + t.stats().blocks28 + t.stats().blocks36 + t.stats().duplicate_blocks,
            r.records);
  EXPECT_GT(r.blocks.at(24).size(), 30000u);
  EXPECT_GT(r.blocks.at(28).size(), 4000u);
  EXPECT_GT(r.blocks.at(36).size(), 9000u);
}

TEST(MacVendors, EveryBlockOfEverySizeResolvesToItsLongestPrefixOwner) {
  uint64_t seed = 0x5eed;
  for (const auto& [bits, blocks] : registries().blocks) {
    const unsigned host_bits = 48 - bits;
    const uint64_t host_mask = (uint64_t{1} << host_bits) - 1;
    for (const auto& [block, name] : blocks) {
      const uint64_t base = block << host_bits;
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;  // deterministic inner address
      for (const uint64_t mac : {base, base | host_mask, base | ((seed >> 16) & host_mask)}) {
        expect_owner(mac);
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(MacVendors, LongestPrefixWins) {
  const Registries& r = registries();
  // 70-B3-D5 is an IEEE MA-L block carved into MA-S blocks; 70-B3-D5-F2-F is TELEPLATFORMS's.
  EXPECT_EQ(r.blocks.at(24).at(0x70B3D5), "IEEE Registration Authority");
  const MacVendor mas = table().lookup({0x70, 0xB3, 0xD5, 0xF2, 0xF1, 0x23});
  EXPECT_EQ(mas.kind, MacKind::kVendor);
  EXPECT_EQ(mas.vendor, r.blocks.at(36).at(0x70B3D5F2F));
  EXPECT_EQ(mas.vendor, "TELEPLATFORMS");
  // A 36-bit block in 70-B3-D5 nobody holds falls back to the MA-L owner.
  uint64_t free36 = 0x70B3D5000;
  while (r.blocks.at(36).count(free36)) ++free36;
  ASSERT_LT(free36, 0x70B3D6000u);
  EXPECT_EQ(table().lookup(mac_of(free36 << 12)).vendor, "IEEE Registration Authority");
  // Same for an MA-M block: 74-1A-E0-9 is listed as "Private".
  EXPECT_EQ(table().lookup({0x74, 0x1A, 0xE0, 0x90, 0, 1}).vendor, r.blocks.at(28).at(0x741AE09));
}

TEST(MacVendors, FlaggedAddressesNameNoVendor) {
  const auto kind = [](Mac m) { return table().lookup(m).kind; };
  EXPECT_EQ(kind({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), MacKind::kBroadcast);
  EXPECT_EQ(kind({0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB}), MacKind::kMulticast);  // IPv4 mDNS
  EXPECT_EQ(kind({0x33, 0x33, 0x00, 0x00, 0x00, 0x01}), MacKind::kMulticast);  // IPv6 all-nodes
  EXPECT_EQ(kind({0x01, 0x80, 0xC2, 0x00, 0x00, 0x00}), MacKind::kMulticast);  // STP
  EXPECT_EQ(kind({0x02, 0x00, 0x00, 0x00, 0x00, 0x01}), MacKind::kLocallyAdministered);
  EXPECT_EQ(kind({0xDA, 0xA1, 0x19, 0x12, 0x34, 0x56}), MacKind::kLocallyAdministered);  // randomised
  // DECnet's AA-00-04 is registered to DEC but has the U/L bit set: flagged, not named.
  ASSERT_EQ(registries().blocks.at(24).at(0xAA0004), "DIGITAL EQUIPMENT CORPORATION");
  EXPECT_EQ(kind({0xAA, 0x00, 0x04, 0x00, 0x12, 0x34}), MacKind::kLocallyAdministered);
  EXPECT_TRUE(table().lookup({0x01, 0x00, 0x5E, 0, 0, 1}).vendor.empty());
  // A universally administered OUI nobody holds.
  uint64_t oui = 0x000000;  // 00-xx-xx: universally administered, individual
  while (registries().blocks.at(24).count(oui)) ++oui;
  ASSERT_LT(oui, 0x010000u);
  const MacVendor unknown = table().lookup(mac_of((oui << 24) | 1));
  EXPECT_EQ(unknown.kind, MacKind::kUnknown);
  EXPECT_TRUE(unknown.vendor.empty());
}

TEST(MacVendors, MissingFilesWarnAndAnswerUnknown) {
  const MacVendorTable t(IeeeRegistryFiles{"/nonexistent/oui.csv", "/nonexistent/mam.csv",
                                           "/nonexistent/oui36.csv", "/nonexistent/iab.csv"});
  ASSERT_EQ(t.warnings().size(), 4u);
  EXPECT_NE(t.warnings()[0].find("/nonexistent/oui.csv"), std::string::npos) << t.warnings()[0];
  EXPECT_EQ(t.lookup({0x00, 0x00, 0x0C, 1, 2, 3}).kind, MacKind::kUnknown);  // Cisco's first OUI
  EXPECT_EQ(t.lookup({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}).kind, MacKind::kBroadcast);
  const MacVendorTable none(IeeeRegistryFiles{"", "", "", ""});
  EXPECT_TRUE(none.warnings().empty());
  EXPECT_EQ(none.lookup({0x00, 0x00, 0x0C, 1, 2, 3}).kind, MacKind::kUnknown);
}

TEST(MacVendors, MalformedRecordsSkippedAndCounted) {
  const TempFile f(
      "\xEF\xBB\xBFRegistry,Assignment,Organization Name,Organization Address\r\n"
      "MA-L,00AABB,\"Quoted, Inc.\",\"Line one\nline two, \"\"quoted\"\"\"\r\n"  // lines 2-3
      "MA-L,00AABC,\"He said \"\"hi\"\"\",addr\n"
      "MA-L,00AABD,  Spaced\tName  ,addr\n"
      "MA-L,00AABB,Duplicate,addr\n"
      "\n"
      "MA-L,00AAB,Short Hex,addr\n"  // line 8
      "MA-L,00AAGG,Bad Hex,addr\n"
      "XX-X,00AABE,Unknown Registry,addr\n"
      "MA-L,00AABF\n"
      "MA-L,00AAC0,,addr\n"
      "MA-L,00AAC1,Bad \xff UTF-8,addr\n"
      "MA-M,00AAC12,Twenty Eight,addr\n"
      "IAB,00AAC1234,Thirty Six,addr\n"
      "MA-L,00AAC2,\"never closed,addr\nMA-L,00AAC3,Swallowed,addr\n"s);
  const MacVendorTable t(IeeeRegistryFiles{f.path(), "", "", ""});
  EXPECT_EQ(t.stats().malformed_records, 7u);
  EXPECT_EQ(t.stats().duplicate_blocks, 1u);
  EXPECT_EQ(t.stats().blocks24, 3u);
  EXPECT_EQ(t.stats().blocks28, 1u);
  EXPECT_EQ(t.stats().blocks36, 1u);
  EXPECT_EQ(t.lookup({0x00, 0xAA, 0xBB, 1, 2, 3}).vendor, "Quoted, Inc.");
  EXPECT_EQ(t.lookup({0x00, 0xAA, 0xBC, 1, 2, 3}).vendor, "He said \"hi\"");
  EXPECT_EQ(t.lookup({0x00, 0xAA, 0xBD, 1, 2, 3}).vendor, "Spaced Name");
  EXPECT_EQ(t.lookup({0x00, 0xAA, 0xC1, 0x23, 0x45, 0x67}).vendor, "Thirty Six");
  EXPECT_EQ(t.lookup({0x00, 0xAA, 0xC1, 0x20, 0x45, 0x67}).vendor, "Twenty Eight");
  EXPECT_EQ(t.lookup({0x00, 0xAA, 0xC1, 0x30, 0x45, 0x67}).kind, MacKind::kUnknown);  // parent has no name
  EXPECT_EQ(t.lookup({0x00, 0xAA, 0xC3, 1, 2, 3}).kind, MacKind::kUnknown);
  ASSERT_EQ(t.warnings().size(), 1u);
  EXPECT_NE(t.warnings()[0].find("7 malformed records"), std::string::npos) << t.warnings()[0];
  EXPECT_NE(t.warnings()[0].find("line 8"), std::string::npos) << t.warnings()[0];
}

}  // namespace
}  // namespace spanwatch::lib
