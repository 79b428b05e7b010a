// Tests for the DHCPv4 parser: hand-built messages (every option we read, RFC 3396 repeats, FQDN in both
// encodings), hostile input (overrunning options, no cookie, every truncation, random bytes), corpus
// packets whose values were read with tshark 4.0.17 (`tshark -r X -Y dhcp -V`, cited per packet), and
// nDPI's DHCP fields (truth/ndpi*/...: Hostname, DHCP Fingerprint, DHCP Class Ident) on the corpus.
#include "lib/app/dhcp_message.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/app/app_test_pcap.hpp"

namespace spanwatch::lib {
namespace {

using apptest::Bytes;

std::string ip(const IpAddress& a) {
  char buf[kIpTextMax];
  return std::string(buf, a.format(buf, sizeof(buf)));
}

std::string mac(const DhcpMessage& m) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m.chaddr[0], m.chaddr[1], m.chaddr[2],
                m.chaddr[3], m.chaddr[4], m.chaddr[5]);
  return buf;
}

Bytes bootp(uint8_t op, uint32_t xid, bool cookie = true) {
  Bytes b(kBootpHeaderLen, 0);
  b[0] = op;
  b[1] = 1;
  b[2] = 6;
  b[4] = uint8_t(xid >> 24);
  b[5] = uint8_t(xid >> 16);
  b[6] = uint8_t(xid >> 8);
  b[7] = uint8_t(xid);
  b[10] = 0x80;  // broadcast
  const uint8_t yi[4] = {192, 168, 1, 50};
  std::memcpy(&b[16], yi, 4);
  const uint8_t hw[6] = {0x00, 0x1a, 0xe9, 0x9d, 0x53, 0xb7};
  std::memcpy(&b[28], hw, 6);
  if (cookie) b.insert(b.end(), {99, 130, 83, 99});
  return b;
}

void opt(Bytes& b, uint8_t code, const Bytes& v) {
  b.push_back(code);
  b.push_back(uint8_t(v.size()));
  b.insert(b.end(), v.begin(), v.end());
}
Bytes text(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

DhcpStatus parse(const Bytes& b, DhcpMessage& m) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[b.size() + 1]);  // exact size: ASan catches overreads
  if (!b.empty()) std::memcpy(copy.get(), b.data(), b.size());
  return parse_dhcp(copy.get(), b.size(), m);
}

Bytes full_request() {
  Bytes b = bootp(1, 0x601b69bc);
  opt(b, 53, {3});
  opt(b, 61, {1, 0x00, 0x1a, 0xe9, 0x9d, 0x53, 0xb7});
  opt(b, 50, {192, 168, 2, 18});
  opt(b, 12, text("Wii"));
  opt(b, 60, text("MSFT 5.0"));
  opt(b, 55, {1, 3, 6, 15, 28, 33, 121, 252});
  opt(b, 81, {0x05, 0, 0, 4, 'h', 'o', 's', 't', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0});
  opt(b, 54, {192, 168, 2, 1});
  opt(b, 51, {0, 0, 0x0e, 0x10});
  b.push_back(0);  // pad
  b.push_back(255);
  b.insert(b.end(), 10, 0);
  return b;
}

TEST(DhcpMessage, RequestWithEveryOptionWeRead) {
  DhcpMessage m;
  ASSERT_EQ(parse(full_request(), m), DhcpStatus::kOk);
  EXPECT_EQ(m.op, 1);
  EXPECT_EQ(m.xid, 0x601b69bcu);
  EXPECT_EQ(m.flags, 0x8000);
  EXPECT_TRUE(m.has_mac());
  EXPECT_EQ(mac(m), "00:1a:e9:9d:53:b7");
  EXPECT_EQ(ip(m.yiaddr), "192.168.1.50");
  EXPECT_EQ(ip(m.ciaddr), "0.0.0.0");
  EXPECT_TRUE(m.has_cookie);
  EXPECT_EQ(m.message_type, 3);
  EXPECT_EQ(dhcp_message_type_name(m.message_type), "REQUEST");
  EXPECT_EQ(m.hostname.view(), "Wii");
  EXPECT_EQ(m.vendor_class.view(), "MSFT 5.0");
  EXPECT_EQ(m.param_list.view(), "1,3,6,15,28,33,121,252");
  EXPECT_EQ(m.param_count, 8);
  ASSERT_TRUE(m.has_requested_ip);
  EXPECT_EQ(ip(m.requested_ip), "192.168.2.18");
  ASSERT_TRUE(m.has_server_id);
  EXPECT_EQ(ip(m.server_id), "192.168.2.1");
  EXPECT_EQ(m.lease_time_s, 3600u);
  ASSERT_EQ(m.client_id_len, 7);
  EXPECT_EQ(m.client_id[0], 1);
  EXPECT_EQ(m.client_id[6], 0xb7);
  ASSERT_TRUE(m.has_fqdn);
  EXPECT_EQ(m.fqdn_flags, 0x05);
  EXPECT_EQ(m.fqdn.view(), "host.example");
  EXPECT_FALSE(m.fqdn_bad);
  EXPECT_EQ(m.option_count, 9);
  EXPECT_TRUE(m.end_seen);
}

TEST(DhcpMessage, MessageTypeNames) {
  const char* want[] = {"", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"};
  for (uint8_t i = 0; i < 9; ++i) EXPECT_EQ(dhcp_message_type_name(i), want[i]);
  EXPECT_EQ(dhcp_message_type_name(10), "LEASEQUERY");
  EXPECT_EQ(dhcp_message_type_name(19), "");
  EXPECT_EQ(dhcp_message_type_name(255), "");
}

TEST(DhcpMessage, OddButValidOptions) {
  Bytes b = bootp(1, 1);
  opt(b, 55, {1, 3});
  opt(b, 53, {1});
  opt(b, 53, {8});                                    // the first message type wins
  opt(b, 55, {6, 255, 0});                            // RFC 3396: one list
  opt(b, 12, {});                                     // empty hostname: present, empty
  opt(b, 81, {0x00, 0, 0, 'a', 's', 'c', 'i', 'i'});  // deprecated ASCII form
  opt(b, 50, {1, 2, 3});                              // wrong size: ignored
  opt(b, 52, {3});                                    // overload: noted only
  DhcpMessage m;
  ASSERT_EQ(parse(b, m), DhcpStatus::kOk);  // no END: tolerated
  EXPECT_FALSE(m.end_seen);
  EXPECT_EQ(m.message_type, 1);
  EXPECT_EQ(m.param_list.view(), "1,3,6,255,0");
  EXPECT_EQ(m.param_count, 5);
  EXPECT_TRUE(m.hostname.present);
  EXPECT_EQ(m.hostname.view(), "");
  EXPECT_EQ(m.fqdn.view(), "ascii");
  EXPECT_FALSE(m.has_requested_ip);
  EXPECT_EQ(m.overload, 3);
  // FQDN wire names: a pointer or a label past the option is bad.
  b = bootp(1, 1);
  opt(b, 81, {0x04, 0, 0, 3, 'a', 'b', 'c', 0xc0, 0x0c});
  ASSERT_EQ(parse(b, m), DhcpStatus::kOk);
  EXPECT_TRUE(m.fqdn_bad);
  b = bootp(1, 1);
  opt(b, 81, {0x04, 0, 0, 9, 'a'});
  ASSERT_EQ(parse(b, m), DhcpStatus::kOk);
  EXPECT_TRUE(m.fqdn_bad);
  // A full option-55 list of 255 codes fits; a repeat beyond the text limit is cut at a whole number.
  b = bootp(1, 1);
  Bytes codes(255);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = uint8_t(i + 1);
  opt(b, 55, codes);
  opt(b, 55, codes);
  ASSERT_EQ(parse(b, m), DhcpStatus::kOk);
  EXPECT_EQ(m.param_count, 510);
  EXPECT_TRUE(m.param_list.truncated);
  EXPECT_LE(m.param_list.len, kDhcpParamListTextMax);
  EXPECT_NE(m.param_list.view().back(), ',');
  EXPECT_EQ(m.param_list.view().substr(0, 8), "1,2,3,4,");
  // Long client id is cut.
  b = bootp(1, 1);
  opt(b, 61, Bytes(200, 0xab));
  ASSERT_EQ(parse(b, m), DhcpStatus::kOk);
  EXPECT_EQ(m.client_id_len, kDhcpClientIdMax);
  EXPECT_TRUE(m.client_id_truncated);
}

TEST(DhcpMessage, HostileInput) {
  DhcpMessage m;
  EXPECT_EQ(parse(Bytes(kBootpHeaderLen - 1, 0), m), DhcpStatus::kTooShort);
  EXPECT_EQ(parse_dhcp(nullptr, 500, m), DhcpStatus::kTooShort);
  Bytes b = bootp(2, 7, false);
  EXPECT_EQ(parse(b, m), DhcpStatus::kNoCookie);  // BOOTP: header still read
  EXPECT_EQ(m.xid, 7u);
  EXPECT_EQ(m.op, 2);
  b.insert(b.end(), {99, 130, 83, 98});
  EXPECT_EQ(parse(b, m), DhcpStatus::kNoCookie);
  // An option longer than the packet, and an option code with no length byte.
  b = bootp(1, 1);
  opt(b, 53, {1});
  b.insert(b.end(), {12, 50, 'a', 'b'});
  EXPECT_EQ(parse(b, m), DhcpStatus::kBadOptions);
  EXPECT_EQ(m.message_type, 1);  // kept
  EXPECT_FALSE(m.hostname.present);
  b = bootp(1, 1);
  b.push_back(12);
  EXPECT_EQ(parse(b, m), DhcpStatus::kBadOptions);
  // Every prefix of a full message.
  const Bytes full = full_request();
  for (size_t n = 0; n <= full.size(); ++n) {
    const DhcpStatus s = parse(Bytes(full.begin(), full.begin() + std::ptrdiff_t(n)), m);
    if (n < kBootpHeaderLen) {
      EXPECT_EQ(s, DhcpStatus::kTooShort);
    } else if (n < kDhcpOptionsOffset) {
      EXPECT_EQ(s, DhcpStatus::kNoCookie);
    }
    ASSERT_LE(m.hostname.len, kDhcpHostnameMax);
  }
  std::mt19937 rng(3);
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes r = full;
    if (iter % 2 == 0) {
      r.resize(kDhcpOptionsOffset + rng() % 80);
      for (size_t i = kDhcpOptionsOffset; i < r.size(); ++i) r[i] = uint8_t(rng());
    } else {
      for (int f = 0, flips = 1 + int(rng() % 5); f < flips; ++f) {
        r[kDhcpOptionsOffset + rng() % (r.size() - kDhcpOptionsOffset)] = uint8_t(rng());
      }
    }
    parse(r, m);
    ASSERT_LE(m.param_list.len, kDhcpParamListTextMax);
    ASSERT_LE(m.fqdn.len, kDhcpFqdnMax);
    ASSERT_LE(m.client_id_len, kDhcpClientIdMax);
    ASSERT_EQ(m.param_list.buf[m.param_list.len], '\0');
  }
}

// ---- corpus ----

// The UDP payload of frame `frame` in a capture.
Bytes frame_payload(const std::string& pcap, size_t frame) {
  std::string err;
  for (const auto& c : apptest::read_conversations((apptest::corpus_root() / "pcaps" / pcap).string(), err)) {
    for (const auto& p : c.packets) {
      if (p.frame == frame) return p.payload;
    }
  }
  return {};
}

TEST(DhcpCorpus, PacketsCheckedWithTshark) {
  if (!std::filesystem::is_directory(apptest::corpus_root() / "pcaps")) GTEST_SKIP() << "no corpus";
  DhcpMessage m;
  // ja4/dhcp.pcapng frame 1 (tshark: Discover, xid 0x3d1d, 00:0b:82:01:fc:42, option 55 = 1,3,6,42,
  // client id = type 1 + the MAC), frame 4 (ACK, yiaddr 192.168.0.10).
  ASSERT_EQ(parse(frame_payload("ja4/dhcp.pcapng", 1), m), DhcpStatus::kOk);
  EXPECT_EQ(dhcp_message_type_name(m.message_type), "DISCOVER");
  EXPECT_EQ(m.xid, 0x3d1du);
  EXPECT_EQ(mac(m), "00:0b:82:01:fc:42");
  EXPECT_EQ(m.param_list.view(), "1,3,6,42");
  ASSERT_EQ(m.client_id_len, 7);
  EXPECT_EQ(m.client_id[0], 1);
  EXPECT_EQ(m.client_id[1], 0x00);
  EXPECT_EQ(m.client_id[6], 0x42);
  ASSERT_EQ(parse(frame_payload("ja4/dhcp.pcapng", 4), m), DhcpStatus::kOk);
  EXPECT_EQ(dhcp_message_type_name(m.message_type), "ACK");
  EXPECT_EQ(ip(m.yiaddr), "192.168.0.10");
  EXPECT_EQ(m.op, 2);

  // zeek/dhcp-dhcp.pcap frames 1-8 (tshark): Discover/Offer/Request/NAK/Request/ACK/Decline/Release, xid
  // 0x7c0 (frame 8: 0x79c), MAC 90:b1:1c:99:49:29; frame 1: requested 192.168.211.194, hostname
  // btest.is.cool; frame 6: yiaddr 128.2.6.189, server id 128.2.6.152, lease 900 s, vendor class ArubaAP.
  const char* types[] = {"DISCOVER", "OFFER", "REQUEST", "NAK", "REQUEST", "ACK", "DECLINE", "RELEASE"};
  for (size_t f = 1; f <= 8; ++f) {
    ASSERT_EQ(parse(frame_payload("zeek/dhcp-dhcp.pcap", f), m), DhcpStatus::kOk) << f;
    EXPECT_EQ(dhcp_message_type_name(m.message_type), types[f - 1]) << f;
    EXPECT_EQ(m.xid, f == 8 ? 0x79cu : 0x7c0u) << f;
    EXPECT_EQ(mac(m), "90:b1:1c:99:49:29") << f;
  }
  ASSERT_EQ(parse(frame_payload("zeek/dhcp-dhcp.pcap", 1), m), DhcpStatus::kOk);
  EXPECT_EQ(ip(m.requested_ip), "192.168.211.194");
  EXPECT_EQ(m.hostname.view(), "btest.is.cool");
  ASSERT_EQ(parse(frame_payload("zeek/dhcp-dhcp.pcap", 6), m), DhcpStatus::kOk);
  EXPECT_EQ(ip(m.yiaddr), "128.2.6.189");
  EXPECT_EQ(ip(m.server_id), "128.2.6.152");
  EXPECT_EQ(m.lease_time_s, 900u);
  EXPECT_EQ(m.vendor_class.view(), "ArubaAP");

  // ndpi/teams.pcap frame 250 (tshark): Discover from 00:80:8f:9a:ae:bd, client id of 19 bytes (type 255,
  // RFC 4361), vendor class dhcpcd-6.10.1:Linux-4.9.57-v7+:armv7l:BCM2835, hostname pi3.ntop.org,
  // option 55 = 1,121,33,3,6,12,15,26,28,42,51,54,58,59,119.
  ASSERT_EQ(parse(frame_payload("ndpi/teams.pcap", 250), m), DhcpStatus::kOk);
  EXPECT_EQ(mac(m), "00:80:8f:9a:ae:bd");
  EXPECT_EQ(m.client_id_len, 19);
  EXPECT_EQ(m.client_id[0], 0xff);
  EXPECT_EQ(m.vendor_class.view(), "dhcpcd-6.10.1:Linux-4.9.57-v7+:armv7l:BCM2835");
  EXPECT_EQ(m.hostname.view(), "pi3.ntop.org");
  EXPECT_EQ(m.param_list.view(), "1,121,33,3,6,12,15,26,28,42,51,54,58,59,119");

  // zeek/tunnels-Teredo.pcap frame 26 (tshark): Request, hostname Wii, requested 192.168.2.18,
  // option 55 = 1,3,6,15,28,33.
  ASSERT_EQ(parse(frame_payload("zeek/tunnels-Teredo.pcap", 26), m), DhcpStatus::kOk);
  EXPECT_EQ(dhcp_message_type_name(m.message_type), "REQUEST");
  EXPECT_EQ(m.hostname.view(), "Wii");
  EXPECT_EQ(ip(m.requested_ip), "192.168.2.18");
  EXPECT_EQ(m.param_list.view(), "1,3,6,15,28,33");
}

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(uint8_t(c)));
  return s;
}

std::string ndpi_field(const std::string& line, const std::string& key) {
  const size_t at = line.find("[" + key + ": ");
  if (at == std::string::npos) return "";
  const size_t start = at + key.size() + 3;
  return line.substr(start, line.find(']', start) - start);
}

TEST(DhcpCorpus, AgreesWithNdpi) {
  const auto root = apptest::corpus_root();
  if (!std::filesystem::is_directory(root / "truth")) GTEST_SKIP() << "no corpus";
  int total = 0, ok = 0;
  std::vector<std::string> notes;
  for (const auto& pcap : apptest::corpus_pcaps()) {
    const std::string src = pcap.parent_path().filename().string();
    std::vector<std::filesystem::path> truth = {root / "truth" / "ndpi42" / src /
                                                (pcap.filename().string() + ".flows.txt")};
    if (src == "ndpi") truth.push_back(root / "truth" / "ndpi" / (pcap.filename().string() + ".out"));
    std::vector<std::string> lines;
    for (const auto& t : truth) {
      for (const auto& l : apptest::split(apptest::read_text(t), '\n')) {
        if (l.find("/DHCP]") != std::string::npos && l.find("UDP ") != std::string::npos) lines.push_back(l);
      }
    }
    if (lines.empty()) continue;
    std::string err;
    const auto convs = apptest::read_conversations(pcap.string(), err);
    for (const auto& line : lines) {
      const auto f = apptest::split(line.substr(line.find("UDP ")), ' ');
      auto endpoint = [](const std::string& t, std::string& addr) {
        const size_t c = t.rfind(':');
        addr = t.substr(0, c);
        return uint16_t(std::atoi(t.c_str() + c + 1));
      };
      std::string a, b;
      const uint16_t pa = endpoint(f[1], a), pb = endpoint(f[3], b);
      const apptest::Conversation* c = nullptr;
      for (const auto& x : convs)
        c = c == nullptr && x.proto == 17 && x.same_endpoints(a, pa, b, pb) ? &x : c;
      // nDPI reports the flow's first DHCP packet that carries each option.
      std::string host, fp, cls;
      bool have_host = false, have_fp = false, have_cls = false;
      for (size_t i = 0; c != nullptr && i < c->packets.size(); ++i) {
        DhcpMessage m;
        const auto& p = c->packets[i].payload;
        if (parse_dhcp(p.data(), p.size(), m) != DhcpStatus::kOk) continue;
        if (!have_host && m.hostname.present) host = std::string(m.hostname.view()), have_host = true;
        if (!have_fp && m.param_list.present) fp = std::string(m.param_list.view()), have_fp = true;
        if (!have_cls && m.vendor_class.present) cls = std::string(m.vendor_class.view()), have_cls = true;
      }
      const std::string where = pcap.filename().string() + " " + f[1] + " ";
      const std::pair<std::string, std::string> checks[] = {
          {"Hostname/SNI", host}, {"DHCP Fingerprint", fp}, {"DHCP Class Ident", cls}};
      for (const auto& [key, got] : checks) {
        std::string want = ndpi_field(line, key);
        if (want.empty()) continue;
        ++total;
        // nDPI lowercases host names; nDPI 4.2 also cuts "btest.is.cool" to 10 characters.
        const bool host_key = key == "Hostname/SNI";
        const std::string g = host_key ? lower(got) : got;
        if (g == want) {
          ++ok;
        } else if (host_key && want.size() >= 8 && g.rfind(want, 0) == 0) {
          ++ok;
          notes.push_back(where + key + ": nDPI '" + want + "' is a prefix of ours '" + got + "'");
        } else {
          notes.push_back(where + key + ": MISS nDPI '" + want + "' ours '" + got + "'");
        }
      }
    }
  }
  std::printf("DHCP vs nDPI: %d/%d fields agree\n", ok, total);
  for (const auto& n : notes) std::printf("  %s\n", n.c_str());
  EXPECT_GT(total, 5);
  EXPECT_EQ(ok, total);
}

}  // namespace
}  // namespace spanwatch::lib
