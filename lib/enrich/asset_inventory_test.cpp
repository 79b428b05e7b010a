// Tests for AssetInventory: the shipped example conf/inventory.csv, CSV details (quotes, column order,
// CRLF, BOM, comments), every error with FILE:LINE and its count, warnings, and random hostile input.
#include "lib/enrich/asset_inventory.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

namespace spanwatch::lib {
namespace {

IpAddress ip(const char* s) {
  std::optional<IpAddress> a = parse_ip_address(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(IpAddress{});
}

std::string source_root() {
  const char* env = std::getenv("SPANWATCH_SOURCE_ROOT");
  return env && *env ? env : "/work/main";
}

// The message of the exception load_text throws ("" if it loads).
std::string load_error(std::string_view text) {
  try {
    AssetInventory::load_text(text, "inv.csv");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(AssetInventory, ShippedExampleLoadsAndAnswers) {
  const AssetInventory inv = AssetInventory::load_file(source_root() + "/conf/inventory.csv");
  EXPECT_EQ(inv.size(), 8u);
  EXPECT_TRUE(inv.warnings().empty());
  const AssetInfo* dc = inv.lookup(ip("10.20.1.10"));
  ASSERT_NE(dc, nullptr);
  EXPECT_EQ(dc->hostname, "dc1.corp.example");
  EXPECT_EQ(dc->owner, "Infrastructure");
  EXPECT_EQ(dc->role, "domain-controller");
  EXPECT_EQ(dc->os, "Windows Server 2022");
  EXPECT_EQ(dc->network.prefix_len, 32);
  // An address of the server VLAN without a host row gets the network's row.
  const AssetInfo* vlan = inv.lookup(ip("10.20.200.3"));
  ASSERT_NE(vlan, nullptr);
  EXPECT_EQ(vlan->hostname, "");
  EXPECT_EQ(vlan->role, "server-vlan");
  EXPECT_EQ(vlan->network, *parse_cidr("10.20.0.0/16"));
  const AssetInfo* ws = inv.lookup(ip("10.30.4.4"));
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(ws->owner, "IT, helpdesk");  // quoted comma
  EXPECT_EQ(ws->os, "Windows 11");
  const AssetInfo* build = inv.lookup(ip("10.20.4.7"));
  ASSERT_NE(build, nullptr);
  EXPECT_EQ(build->hostname, "build-01.corp.example");
  const AssetInfo* ns = inv.lookup(ip("2001:db8:20::53"));
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->hostname, "ns1.corp.example");
  EXPECT_EQ(inv.lookup(ip("2001:db8:20::54"))->role, "server-vlan");
  EXPECT_EQ(inv.lookup(ip("8.8.8.8")), nullptr);
  EXPECT_EQ(inv.lookup(ip("10.21.0.1")), nullptr);
}

TEST(AssetInventory, CsvDetails) {
  const std::string text =
      "\xEF\xBB\xBF# comment first\r\n"
      "\r\n"
      "  OS , Cidr,hostname\r\n"  // any order, case, blanks; owner and role absent
      "\"Linux \"\"Bookworm\"\"\", 192.0.2.0/24 , \r\n"
      "   # an indented comment\n"
      ",192.0.2.7,\"web, front\"\n"
      "\"\",\"2001:db8::1\",\"#not-a-comment\"";  // no final newline
  const AssetInventory inv = AssetInventory::load_text(text, "t.csv");
  ASSERT_EQ(inv.size(), 3u);
  const AssetInfo* net = inv.lookup(ip("192.0.2.1"));
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->os, "Linux \"Bookworm\"");
  EXPECT_EQ(net->hostname, "");
  EXPECT_EQ(net->owner, "");
  EXPECT_EQ(net->line, 4u);
  const AssetInfo* host = inv.lookup(ip("192.0.2.7"));
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->hostname, "web, front");
  EXPECT_EQ(host->os, "");
  EXPECT_EQ(inv.lookup(ip("2001:db8::1"))->hostname, "#not-a-comment");
}

TEST(AssetInventory, ViewsSurviveMoves) {
  AssetInventory a = AssetInventory::load_text("cidr,hostname\n10.0.0.1,x\n", "m.csv");  // tiny text
  AssetInventory b = std::move(a);
  AssetInventory c;
  c = std::move(b);
  ASSERT_NE(c.lookup(ip("10.0.0.1")), nullptr);
  EXPECT_EQ(c.lookup(ip("10.0.0.1"))->hostname, "x");
}

TEST(AssetInventory, WarningsForHostBitsAndRepeats) {
  const AssetInventory inv = AssetInventory::load_text(
      "cidr,hostname\n10.1.2.3/8,first\n10.0.0.0/8,second\nfd00::1/8,v6\n", "w.csv");
  EXPECT_EQ(inv.lookup(ip("10.9.9.9"))->hostname, "second");
  EXPECT_EQ(inv.lookup(ip("fd12::1"))->hostname, "v6");
  ASSERT_EQ(inv.warnings().size(), 3u);
  EXPECT_NE(inv.warnings()[0].find("w.csv:2"), std::string::npos) << inv.warnings()[0];
  EXPECT_NE(inv.warnings()[0].find("10.0.0.0/8"), std::string::npos) << inv.warnings()[0];
  EXPECT_NE(inv.warnings()[1].find("repeats line 2"), std::string::npos) << inv.warnings()[1];
  EXPECT_NE(inv.warnings()[2].find("w.csv:4"), std::string::npos) << inv.warnings()[2];
}

TEST(AssetInventory, EveryBadLineIsReportedWithFileAndLine) {
  const std::string msg = load_error(
      "cidr,hostname,owner\n"
      "10.0.0.0/8,a,b\n"
      "10.0.0/8,a,b\n"          // 3: bad cidr
      "10.1.0.0/16,a\n"         // 4: too few fields
      "10.2.0.0/16,\"open,b\n"  // 5: unterminated quote
      "10.3.0.0/16,a\"b,c\n"    // 6: quote inside
      "10.4.0.0/16,\"a\"x,c\n"  // 7: text after the quote
      "10.5.0.0/16,a\x01z,c\n"  // 8: control character
      "10.6.0.0/16,a,b,c\n"     // 9: too many fields
      ",a,b\n");                // 10: empty cidr
  EXPECT_NE(msg.find("8 problems"), std::string::npos) << msg;
  for (const char* where : {"inv.csv:3:", "inv.csv:4:", "inv.csv:5:", "inv.csv:6:", "inv.csv:7:",
                            "inv.csv:8:", "inv.csv:9:", "inv.csv:10:"}) {
    EXPECT_NE(msg.find(where), std::string::npos) << where << " in " << msg;
  }
  EXPECT_EQ(msg.find("inv.csv:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"10.0.0/8\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("control character 0x01"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 3 fields"), std::string::npos) << msg;
}

TEST(AssetInventory, HeaderProblems) {
  EXPECT_NE(load_error("").find("no header"), std::string::npos);
  EXPECT_NE(load_error("# only comments\n\n").find("no header"), std::string::npos);
  EXPECT_NE(load_error("hostname,owner\nx,y\n").find("no \"cidr\" column"), std::string::npos);
  EXPECT_NE(load_error("cidr,hostnme\n10.0.0.1,x\n").find("unknown column \"hostnme\""), std::string::npos);
  EXPECT_NE(load_error("cidr,os,OS\n10.0.0.1,x,y\n").find("given twice"), std::string::npos);
  EXPECT_NE(load_error("cidr,\"os\n").find("inv.csv:1: unterminated quote"), std::string::npos);
}

TEST(AssetInventory, OverlongFieldAndManyErrors) {
  const std::string big(kAssetFieldMax + 1, 'h');
  EXPECT_NE(load_error("cidr,hostname\n10.0.0.1," + big + "\n").find("256 bytes (at most 255)"),
            std::string::npos);
  EXPECT_EQ(load_error("cidr,hostname\n10.0.0.1," + big.substr(1) + "\n"), "");
  std::string many = "cidr\n";
  for (int i = 0; i < 30; ++i) many += "bad\n";
  const std::string msg = load_error(many);
  EXPECT_NE(msg.find("30 problems"), std::string::npos) << msg;
  EXPECT_NE(msg.find("... and 10 more"), std::string::npos) << msg;
  EXPECT_NE(msg.find("inv.csv:21:"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("inv.csv:22:"), std::string::npos) << msg;
}

TEST(AssetInventory, FileErrors) {
  try {
    AssetInventory::load_file("/nonexistent/inventory.csv");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/inventory.csv: cannot open"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(AssetInventory::load_file("/"), std::runtime_error);  // a directory
}

TEST(AssetInventory, RandomInputNeverCrashes) {
  std::mt19937_64 rng(7);
  const std::string alphabet = "0123456789abcdef.:/,\"# \t\r\n\x01\xff";
  size_t loaded = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string text = round % 2 ? "cidr,hostname,os\n" : "";
    const size_t n = rng() % 200;
    for (size_t i = 0; i < n; ++i) text.push_back(alphabet[rng() % alphabet.size()]);
    try {
      const AssetInventory inv = AssetInventory::load_text(text, "fuzz");
      inv.lookup(ip("10.0.0.1"));
      ++loaded;
    } catch (const std::runtime_error&) {
    }
  }
  EXPECT_GT(loaded, 0u);
}

}  // namespace
}  // namespace spanwatch::lib
