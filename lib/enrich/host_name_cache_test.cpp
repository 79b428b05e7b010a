// Tests for HostNameCache: DHCP over DNS, bounds and hostile names, eviction of the oldest entry, MAC ->
// client, a randomized comparison with a map, and names learned from corpus captures (values read with
// tshark 4.0: pcaps/zeek/dhcp-dhcp.pcap, pcaps/ja4/dhcp.pcapng, pcaps/ndpi/dns_ambiguous_names.pcap,
// pcaps/ndpi/dns-invalid-chars.pcap).
#include "lib/enrich/host_name_cache.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "lib/app/app_test_pcap.hpp"
#include "lib/app/dhcp_message.hpp"
#include "lib/app/dns_message.hpp"
#include "lib/enrich/cidr.hpp"

namespace spanwatch::lib {
namespace {

IpAddress ip(const char* s) {
  std::optional<IpAddress> a = parse_ip_address(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(IpAddress{});
}

std::string name_of(const HostNameCache& c, const char* addr) {
  const HostName* h = c.lookup(ip(addr));
  return h ? std::string(h->name()) : "-";
}

TEST(HostNameCache, DnsNamesAndLatestAnswerWins) {
  HostNameCache c(64, 64, 1);
  EXPECT_EQ(c.lookup(ip("192.0.2.1")), nullptr);
  c.learn_dns(ip("192.0.2.1"), "www.example.com", 10);
  c.learn_dns(ip("2001:db8::1"), "v6.example.com", 11);
  EXPECT_EQ(name_of(c, "192.0.2.1"), "www.example.com");
  EXPECT_EQ(name_of(c, "2001:db8::1"), "v6.example.com");
  EXPECT_EQ(name_of(c, "::c000:201"), "-");  // not the IPv4 address
  const HostName* h = c.lookup(ip("192.0.2.1"));
  EXPECT_EQ(h->source, HostNameSource::kDns);
  EXPECT_EQ(h->last_seen_ns, 10u);
  EXPECT_EQ(host_name_source_name(h->source), "dns");
  c.learn_dns(ip("192.0.2.1"), "cdn.example.net", 20);
  EXPECT_EQ(name_of(c, "192.0.2.1"), "cdn.example.net");
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.stats().dns_learned, 3u);
}

TEST(HostNameCache, DhcpBeatsDns) {
  HostNameCache c(64, 64, 1);
  const MacAddress mac{0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42};
  c.learn_dns(ip("192.168.0.10"), "printer.example.com", 1);
  c.learn_dhcp(ip("192.168.0.10"), &mac, "laptop-7", "Windows 10/11", 2);  // replaces the DNS name
  c.learn_dns(ip("192.168.0.10"), "wpad.example.com", 3);                  // kept out
  const HostName* h = c.lookup(ip("192.168.0.10"));
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->name(), "laptop-7");
  EXPECT_EQ(h->source, HostNameSource::kDhcp);
  EXPECT_EQ(h->os_hint(), "Windows 10/11");
  EXPECT_EQ(h->last_seen_ns, 2u);
  EXPECT_EQ(c.stats().dns_kept_dhcp, 1u);
  c.learn_dhcp(ip("192.168.0.10"), &mac, "laptop-8", "", 4);  // a new DHCP name replaces, the hint stays
  EXPECT_EQ(c.lookup(ip("192.168.0.10"))->name(), "laptop-8");
  EXPECT_EQ(c.lookup(ip("192.168.0.10"))->os_hint(), "Windows 10/11");
}

TEST(HostNameCache, OsHintAloneLetsDnsNameTheHost) {
  HostNameCache c(64, 64, 1);
  c.learn_dhcp(ip("10.0.0.9"), nullptr, "", "Android", 1);
  const HostName* h = c.lookup(ip("10.0.0.9"));
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->name(), "");
  EXPECT_EQ(h->os_hint(), "Android");
  c.learn_dns(ip("10.0.0.9"), "phone.lan", 2);
  h = c.lookup(ip("10.0.0.9"));
  EXPECT_EQ(h->name(), "phone.lan");
  EXPECT_EQ(h->source, HostNameSource::kDns);
  EXPECT_EQ(h->os_hint(), "Android");
}

TEST(HostNameCache, HostileAndEmptyInput) {
  HostNameCache c(64, 64, 1);
  const std::string longest(kHostNameMax, 'a');
  const std::string too_long = std::string(300, 'b') + "\n\x1b[31m";
  c.learn_dns(ip("10.0.0.1"), longest, 1);
  c.learn_dns(ip("10.0.0.2"), too_long, 1);
  c.learn_dhcp(ip("10.0.0.3"), nullptr, std::string_view("pc\x01\x7f\xff name\0\0", 13), "", 1);
  EXPECT_EQ(c.lookup(ip("10.0.0.1"))->name(), longest);
  EXPECT_FALSE(c.lookup(ip("10.0.0.1"))->truncated);
  EXPECT_EQ(c.lookup(ip("10.0.0.2"))->name(), too_long.substr(0, kHostNameMax));
  EXPECT_TRUE(c.lookup(ip("10.0.0.2"))->truncated);
  EXPECT_EQ(c.lookup(ip("10.0.0.3"))->name(), std::string_view("pc\x01\x7f\xff name", 10));  // NULs dropped
  EXPECT_EQ(c.stats().truncated, 1u);
  const std::string long_hint(100, 'h');
  c.learn_dhcp(ip("10.0.0.4"), nullptr, "x", long_hint, 1);
  EXPECT_EQ(c.lookup(ip("10.0.0.4"))->os_hint(), long_hint.substr(0, kOsHintMax));

  const uint64_t ignored = c.stats().ignored;
  c.learn_dns(ip("10.0.0.5"), "", 1);
  c.learn_dns(ip("0.0.0.0"), "zero", 1);
  c.learn_dns(ip("::"), "zero6", 1);
  c.learn_dhcp(ip("10.0.0.6"), nullptr, std::string_view("\0", 1), "", 1);
  EXPECT_EQ(c.stats().ignored, ignored + 4);
  EXPECT_EQ(c.lookup(ip("0.0.0.0")), nullptr);
  EXPECT_EQ(c.lookup(ip("10.0.0.5")), nullptr);
  EXPECT_EQ(c.size(), 4u);
}

TEST(HostNameCache, FullBucketLosesItsOldestEntry) {
  HostNameCache c(1, 1, 1);  // one bucket of kWays
  ASSERT_EQ(c.capacity(), HostNameCache::kWays);
  for (unsigned i = 0; i < HostNameCache::kWays; ++i) {
    const std::string a = "10.0.0." + std::to_string(i + 1);
    c.learn_dns(ip(a.c_str()), "h" + std::to_string(i), 100 + i);
  }
  c.learn_dns(ip("10.0.0.1"), "h0-again", 200);  // 10.0.0.2 is now the oldest
  c.learn_dns(ip("10.0.0.99"), "newcomer", 300);
  EXPECT_EQ(c.size(), HostNameCache::kWays);
  EXPECT_EQ(c.stats().evicted, 1u);
  EXPECT_EQ(name_of(c, "10.0.0.2"), "-");
  EXPECT_EQ(name_of(c, "10.0.0.1"), "h0-again");
  EXPECT_EQ(name_of(c, "10.0.0.99"), "newcomer");
  EXPECT_EQ(name_of(c, "10.0.0.3"), "h2");
  // A taken-over slot does not keep the old entry's data.
  EXPECT_EQ(c.lookup(ip("10.0.0.99"))->os_hint(), "");
}

TEST(HostNameCache, CapacityIsRoundedUpToBuckets) {
  EXPECT_EQ(HostNameCache(1000, 10, 1).capacity(), 1024u);
  EXPECT_EQ(HostNameCache(1000, 10, 1).client_capacity(), 16u);
  EXPECT_EQ(HostNameCache(0, 0, 1).capacity(), HostNameCache::kWays);
  EXPECT_EQ(HostNameCache().capacity(), kHostNameCacheDefaultCapacity);
}

TEST(HostNameCache, DhcpClientsByMac) {
  HostNameCache c(64, 64, 1);
  const MacAddress a{0x90, 0xb1, 0x1c, 0x99, 0x49, 0x29}, b{0x02, 0, 0, 0, 0, 1};
  c.learn_dhcp(ip("0.0.0.0"), &a, "btest", "", 1);  // DISCOVER: no address yet
  EXPECT_EQ(c.lookup(ip("0.0.0.0")), nullptr);
  const DhcpClient* cl = c.lookup_client(a);
  ASSERT_NE(cl, nullptr);
  EXPECT_EQ(cl->hostname(), "btest");
  EXPECT_FALSE(cl->has_ip);
  c.learn_dhcp(ip("128.2.6.189"), &a, "", "", 2);  // e.g. a RELEASE: keeps the name, records the address
  cl = c.lookup_client(a);
  EXPECT_EQ(cl->hostname(), "btest");
  EXPECT_TRUE(cl->has_ip);
  EXPECT_EQ(cl->ip, ip("128.2.6.189"));
  EXPECT_EQ(cl->last_seen_ns, 2u);
  EXPECT_EQ(c.lookup_client(b), nullptr);
}

// Random learn sequences against a std::map model, sized so that no bucket overflows.
TEST(HostNameCache, MatchesAMapModel) {
  struct Entry {
    std::string name, os;
    HostNameSource src;
  };
  std::mt19937_64 rng(99);
  HostNameCache c(65536, 64, 12345);
  std::map<IpAddress, Entry> model;
  std::vector<IpAddress> pool;
  for (int i = 0; i < 3000; ++i) {
    uint8_t b[16];
    for (auto& x : b) x = uint8_t(rng());
    pool.push_back(i % 3 ? IpAddress::from_v4(b) : IpAddress::from_v6(b));
  }
  for (int step = 0; step < 20000; ++step) {
    const IpAddress& a = pool[rng() % pool.size()];
    const std::string name = "n" + std::to_string(rng() % 50000);
    if (rng() % 4 == 0) {
      const std::string os = rng() % 2 ? "os" + std::to_string(step) : "";
      c.learn_dhcp(a, nullptr, name, os, uint64_t(step));
      Entry& e = model[a];
      e.name = name;
      e.src = HostNameSource::kDhcp;
      if (!os.empty()) e.os = os;
    } else {
      c.learn_dns(a, name, uint64_t(step));
      auto it = model.find(a);
      if (it == model.end() || it->second.src != HostNameSource::kDhcp) {
        Entry& e = model[a];
        e.name = name;
        e.src = HostNameSource::kDns;
      }
    }
  }
  ASSERT_EQ(c.stats().evicted, 0u) << "the model assumes no eviction";
  EXPECT_EQ(c.size(), model.size());
  for (const auto& [a, e] : model) {
    const HostName* h = c.lookup(a);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->name(), e.name);
    EXPECT_EQ(h->source, e.src);
    EXPECT_EQ(h->os_hint(), e.os);
  }
}

// --- corpus ---

struct Learned {
  size_t dhcp_messages = 0, dns_answers = 0;
};

// Feeds every DHCP and DNS message of a capture the way the enricher does: DHCP clients by MAC, the
// name carried to the address an ACK assigns; each DNS response's addresses -> its question name.
Learned learn_capture(const std::string& pcap, HostNameCache& cache) {
  Learned out;
  std::string err;
  const auto convs = apptest::read_conversations((apptest::corpus_root() / pcap).string(), err);
  EXPECT_TRUE(err.empty()) << err;
  std::map<std::array<uint8_t, 16>, std::string> name_by_mac;
  uint64_t t = 0;
  for (const auto& conv : convs) {
    if (conv.proto != 17) continue;
    for (const auto& p : conv.packets) {
      ++t;
      const bool dhcp_ports =
          conv.port[0] == 67 || conv.port[0] == 68 || conv.port[1] == 67 || conv.port[1] == 68;
      const bool dns_ports = conv.port[0] == 53 || conv.port[1] == 53;
      if (dhcp_ports) {
        DhcpMessage m;
        if (parse_dhcp(p.payload.data(), p.payload.size(), m) == DhcpStatus::kTooShort || !m.has_mac())
          continue;
        ++out.dhcp_messages;
        MacAddress mac;
        std::copy_n(m.chaddr.begin(), 6, mac.begin());
        if (m.op == 1) {
          if (m.hostname.present) name_by_mac[m.chaddr] = std::string(m.hostname.view());
          const IpAddress at = m.has_requested_ip ? m.requested_ip : m.ciaddr;
          cache.learn_dhcp(at, &mac, m.hostname.view(), {}, t);
        } else if (m.message_type == uint8_t(DhcpMessageType::kAck)) {
          cache.learn_dhcp(m.yiaddr, &mac, name_by_mac[m.chaddr], {}, t);
        }
      } else if (dns_ports) {
        DnsMessage m;
        if (parse_dns(p.payload.data(), p.payload.size(), m) != DnsStatus::kOk || !m.header.qr) continue;
        for (size_t i = 0; i < m.ip_count; ++i) {
          cache.learn_dns(m.ips[i], m.question_name(), t);
          ++out.dns_answers;
        }
      }
    }
  }
  return out;
}

TEST(HostNameCacheCorpus, ZeekDhcpTraceNamesTheLease) {
  HostNameCache c(1024, 64, 1);
  const Learned l = learn_capture("pcaps/zeek/dhcp-dhcp.pcap", c);
  EXPECT_EQ(l.dhcp_messages, 9u);  // tshark: 9 frames
  // Frame 5 REQUEST (option 12 btest.is.cool, requested 128.2.6.189), frame 6 ACK yiaddr 128.2.6.189.
  const HostName* h = c.lookup(ip("128.2.6.189"));
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->name(), "btest.is.cool");
  EXPECT_EQ(h->source, HostNameSource::kDhcp);
  const DhcpClient* cl = c.lookup_client(MacAddress{0x90, 0xb1, 0x1c, 0x99, 0x49, 0x29});
  ASSERT_NE(cl, nullptr);
  EXPECT_EQ(cl->hostname(), "btest.is.cool");
  EXPECT_TRUE(cl->has_ip);
  // Frame 1 requested 192.168.211.194 (then NAKed); the client named itself for it too.
  EXPECT_EQ(c.lookup(ip("192.168.211.194"))->name(), "btest.is.cool");
}

TEST(HostNameCacheCorpus, Ja4DhcpFixtureHasNoHostName) {
  HostNameCache c(1024, 64, 1);
  const Learned l = learn_capture("pcaps/ja4/dhcp.pcapng", c);
  EXPECT_EQ(l.dhcp_messages, 4u);
  EXPECT_EQ(c.lookup(ip("192.168.0.10")), nullptr);  // no option 12 in any frame
  const DhcpClient* cl = c.lookup_client(MacAddress{0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42});
  ASSERT_NE(cl, nullptr);
  EXPECT_EQ(cl->hostname(), "");
  EXPECT_EQ(cl->ip, ip("192.168.0.10"));  // frame 3 REQUEST option 50
}

TEST(HostNameCacheCorpus, DnsAnswersNameTheirAddresses) {
  HostNameCache c(1024, 64, 1);
  const Learned l = learn_capture("pcaps/ndpi/dns_ambiguous_names.pcap", c);
  EXPECT_GE(l.dns_answers, 30u);
  // tshark -Y "dns.flags.response==1 && dns.a": frame 4, 2, 14, 18.
  EXPECT_EQ(name_of(c, "13.107.3.128"), "teams.skype.com");
  EXPECT_EQ(name_of(c, "17.57.146.139"), "41-courier.push.apple.com");
  EXPECT_EQ(name_of(c, "17.57.146.133"), "41-courier.push.apple.com");
  EXPECT_EQ(name_of(c, "64.233.164.198"), "wide-youtube.l.google.com");
  EXPECT_EQ(name_of(c, "203.205.254.220"), "short.weixin.qq.com");
  EXPECT_EQ(name_of(c, "52.113.194.131"), "api.teams.skype.com");
  EXPECT_EQ(c.lookup(ip("13.107.3.128"))->source, HostNameSource::kDns);

  HostNameCache hostile(1024, 64, 1);
  learn_capture("pcaps/ndpi/dns-invalid-chars.pcap", hostile);
  // tshark shows the question as www.allyourbasesare\001\002\003ongto.cn; lib/app renders it the same.
  EXPECT_EQ(name_of(hostile, "19.185.141.241"), "www.allyourbasesare\\001\\002\\003ongto.cn");
}

}  // namespace
}  // namespace spanwatch::lib
