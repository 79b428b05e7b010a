// Checks ServiceNameTable against netbase's /etc/services and nmap-common's nmap-services, parsed here
// independently with a stream reader, plus overrides, missing files and malformed input.
#include "lib/enrich/service_names.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "lib/core/temp_file.hpp"

namespace spanwatch::lib {
namespace {

using namespace std::string_literals;

constexpr uint8_t kTcp = 6, kUdp = 17, kSctp = 132;
const std::string kServices(ServiceNameTable::kDefaultServicesPath);
const std::string kNmap(ServiceNameTable::kDefaultNmapServicesPath);

using Key = std::pair<uint8_t, uint16_t>;  // (IP protocol number, port)

// First name per (transport, port) in a services(5)-style file; ddp and other transports ignored.
std::map<Key, std::string> first_names(const std::string& path, bool skip_unknown) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path << " is missing: install netbase and nmap-common (scripts/install-deps.sh)";
  const std::map<std::string, uint8_t> kProto = {{"tcp", kTcp}, {"udp", kUdp}, {"sctp", kSctp}};
  std::map<Key, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line.substr(0, line.find('#')));
    std::string name, port_proto;
    if (!(words >> name >> port_proto)) continue;
    const size_t slash = port_proto.find('/');
    const auto proto = kProto.find(port_proto.substr(slash + 1));
    if (proto == kProto.end() || (skip_unknown && name == "unknown")) continue;
    out.emplace(Key{proto->second, static_cast<uint16_t>(std::stoul(port_proto.substr(0, slash)))}, name);
  }
  return out;
}

TEST(ServiceNames, IanaSampleAsEtcServicesSaysIt) {
  const ServiceNameTable t(ServiceNameTable::kDefaultServicesPath,
                           ServiceNameTable::kDefaultNmapServicesPath);
  EXPECT_TRUE(t.warnings().empty()) << t.warnings().front();
  const std::map<Key, std::string> etc = first_names(kServices, false);
  const std::map<Key, std::string> nmap = first_names(kNmap, true);
  // The sample's names as IANA assigns them; each must also be what the Debian file we read says.
  const std::pair<Key, std::string_view> kSample[] = {
      {{kTcp, 22}, "ssh"},     {{kTcp, 443}, "https"},          {{kUdp, 443}, "https"},
      {{kUdp, 53}, "domain"},  {{kTcp, 53}, "domain"},          {{kUdp, 123}, "ntp"},
      {{kTcp, 25}, "smtp"},    {{kTcp, 3389}, "ms-wbt-server"}, {{kUdp, 67}, "bootps"},
      {{kSctp, 5672}, "amqp"}, {{kSctp, 2905}, "m3ua"},         {{kTcp, 5432}, "postgresql"}};
  for (const auto& [key, iana] : kSample) {
    const auto in_etc = etc.find(key);
    const std::string& file_name = in_etc != etc.end() ? in_etc->second : nmap.at(key);
    EXPECT_EQ(file_name, iana) << int(key.first) << "/" << key.second;
    EXPECT_EQ(t.name(key.first, key.second), iana) << int(key.first) << "/" << key.second;
  }
  EXPECT_EQ(etc.count({kSctp, 2905}), 0u) << "m3ua now in /etc/services: the sample no longer tests nmap";
}

TEST(ServiceNames, EveryEtcServicesLineResolvesToItsFirstName) {
  const ServiceNameTable t(kServices, "");
  const std::map<Key, std::string> etc = first_names(kServices, false);
  ASSERT_GT(etc.size(), 250u);
  for (const auto& [key, name] : etc) EXPECT_EQ(t.name(key.first, key.second), name) << key.second;
  EXPECT_EQ(t.stats().services_ports, etc.size());
  EXPECT_EQ(t.stats().malformed_lines, 0u);
  EXPECT_GT(t.stats().other_transport_lines, 0u);  // netbase's AppleTalk ddp lines
  size_t named = 0;
  for (const uint8_t proto : {kTcp, kUdp, kSctp})
    for (uint32_t port = 0; port < 65536; ++port)
      named += !t.name(proto, static_cast<uint16_t>(port)).empty();
  EXPECT_EQ(named, etc.size()) << "only ports in the file are named";
}

TEST(ServiceNames, NmapFillsOnlyWhatEtcServicesLacks) {
  const ServiceNameTable t(ServiceNameTable::kDefaultServicesPath,
                           ServiceNameTable::kDefaultNmapServicesPath);
  const std::map<Key, std::string> etc = first_names(kServices, false);
  const std::map<Key, std::string> nmap = first_names(kNmap, true);
  size_t from_nmap = 0;
  for (const auto& [key, name] : nmap) {
    if (etc.count(key)) continue;
    ++from_nmap;
    EXPECT_EQ(t.name(key.first, key.second), name) << int(key.first) << "/" << key.second;
  }
  for (const auto& [key, name] : etc) EXPECT_EQ(t.name(key.first, key.second), name) << key.second;
  EXPECT_EQ(t.stats().nmap_ports, from_nmap);
  EXPECT_GT(from_nmap, 10000u);
  // nmap calls tcp/4 "unknown": that is no name.
  EXPECT_EQ(t.name(kTcp, 4), "");
  // Not a transport with ports.
  EXPECT_EQ(t.name(1, 22), "");
  EXPECT_EQ(t.name(58, 443), "");
}

TEST(ServiceNames, OverridesWin) {
  ServiceNameTable t(ServiceNameTable::kDefaultServicesPath, ServiceNameTable::kDefaultNmapServicesPath);
  t.add_override(kTcp, 443, "web");
  t.add_override(kUdp, 40000, "game-server");
  t.add_override(kSctp, 9, "mine");
  EXPECT_EQ(t.name(kTcp, 443), "web");
  EXPECT_EQ(t.name(kUdp, 443), "https");  // other transport untouched
  EXPECT_EQ(t.name(kUdp, 40000), "game-server");
  EXPECT_EQ(t.name(kSctp, 9), "mine");
  EXPECT_THROW(t.add_override(1, 1, "x"), std::invalid_argument);
  EXPECT_THROW(t.add_override(kTcp, 1, ""), std::invalid_argument);
  EXPECT_THROW(t.add_override(kTcp, 1, "has space"), std::invalid_argument);
  EXPECT_THROW(t.add_override(kTcp, 1, std::string(65, 'a')), std::invalid_argument);
  EXPECT_THROW(t.add_override(kTcp, 1, "ctl\x01"), std::invalid_argument);
  try {
    t.add_override(kTcp, 8080, "bad name");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("6/8080"), std::string::npos) << e.what();
  }
}

TEST(ServiceNames, MissingFilesWarnAndLeaveTableEmpty) {
  const ServiceNameTable t("/nonexistent/services", "/nonexistent/nmap-services");
  ASSERT_EQ(t.warnings().size(), 2u);
  EXPECT_NE(t.warnings()[0].find("/nonexistent/services"), std::string::npos) << t.warnings()[0];
  EXPECT_NE(t.warnings()[0].find("No such file"), std::string::npos) << t.warnings()[0];
  EXPECT_EQ(t.name(kTcp, 22), "");
  const ServiceNameTable only_nmap("/nonexistent/services", kNmap);
  EXPECT_EQ(only_nmap.warnings().size(), 1u);
  EXPECT_EQ(only_nmap.name(kTcp, 22), "ssh");
}

TEST(ServiceNames, MalformedLinesSkippedAndCounted) {
  const TempFile f(
      "# comment\n"
      "\n"
      "good 1000/tcp alias # comment\n"
      "noport\n"
      "badport abc/tcp\n"
      "toobig 65536/udp\n"
      "negative -1/udp\n"
      "noproto 1001/\n"
      "ddp-thing 1/ddp\n" +
      std::string(65, 'n') +
      " 1002/tcp\n"
      "ctl\x01name 1003/tcp\n"
      "first 1004/udp\r\n"
      "second 1004/udp\n"
      "\xff\xfe\x00\x01 binary\n"
      "maxport 65535/sctp\n"
      "zero 0/tcp\n"s);
  const ServiceNameTable t(f.path(), "");
  EXPECT_EQ(t.stats().malformed_lines, 8u);
  EXPECT_EQ(t.stats().duplicate_lines, 1u);
  EXPECT_EQ(t.stats().other_transport_lines, 1u);
  EXPECT_EQ(t.stats().services_ports, 4u);
  EXPECT_EQ(t.name(kTcp, 1000), "good");
  EXPECT_EQ(t.name(kUdp, 1004), "first");
  EXPECT_EQ(t.name(kSctp, 65535), "maxport");
  EXPECT_EQ(t.name(kTcp, 0), "zero");
  EXPECT_EQ(t.name(kTcp, 1002), "");
  EXPECT_EQ(t.name(kTcp, 1003), "");
  ASSERT_EQ(t.warnings().size(), 1u);
  EXPECT_NE(t.warnings()[0].find("8 malformed lines"), std::string::npos) << t.warnings()[0];
  EXPECT_NE(t.warnings()[0].find("line 4"), std::string::npos) << t.warnings()[0];
}

}  // namespace
}  // namespace spanwatch::lib
