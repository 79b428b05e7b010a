// Robustness over real traffic: every lib/app parser on every TCP/UDP payload of every corpus capture
// (fuzzed and malformed ones included) and on every reassembled TCP direction, fed in its real segments.
// The assertion is "stays within bounds"; run it under ASan/UBSan to make that strict.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "lib/app/app_test_pcap.hpp"
#include "lib/app/dhcp_message.hpp"
#include "lib/app/dns_message.hpp"
#include "lib/app/http_message.hpp"
#include "lib/app/ssh_handshake.hpp"

namespace spanwatch::lib {
namespace {

using apptest::Bytes;

TEST(AppCorpusSmoke, EveryPayloadThroughEveryParser) {
  const auto pcaps = apptest::corpus_pcaps();
  if (pcaps.empty()) GTEST_SKIP() << "no corpus";
  size_t payloads = 0, streams = 0, dns_ok = 0, http_ok = 0, dhcp_ok = 0, ssh_done = 0;
  DnsMessage dns;
  HttpRequest rq;
  HttpResponse rs;
  DhcpMessage dhcp;
  for (const auto& pcap : pcaps) {
    std::string err;
    const auto convs = apptest::read_conversations(pcap.string(), err, 64 * 1024);
    for (const auto& c : convs) {
      for (const auto& p : c.packets) {
        if (p.payload.empty()) continue;
        ++payloads;
        // Exact-size copy so that an overread is a heap overflow under ASan.
        std::unique_ptr<uint8_t[]> b(new uint8_t[p.payload.size()]);
        std::memcpy(b.get(), p.payload.data(), p.payload.size());
        const size_t n = p.payload.size();
        dns_ok += parse_dns(b.get(), n, dns) == DnsStatus::kOk;
        parse_dns_tcp(b.get(), n, dns);
        ASSERT_LE(dns.pool_used, kDnsTextPool);
        http_ok += parse_http_request(b.get(), n, rq) == HttpStatus::kOk;
        parse_http_response(b.get(), n, rs);
        ASSERT_LE(rq.head.head_len, n);
        dhcp_ok += parse_dhcp(b.get(), n, dhcp) == DhcpStatus::kOk;
        ASSERT_LE(dhcp.param_list.len, kDhcpParamListTextMax);
      }
      if (c.proto != 6) continue;
      for (int d = 0; d < 2; ++d) {
        if (c.chunks[d].empty()) continue;
        ++streams;
        for (SshRole role : {SshRole::kClient, SshRole::kServer}) {
          SshHandshakeParser ssh(role);
          for (const auto& ch : c.chunks[d]) {
            std::unique_ptr<uint8_t[]> b(new uint8_t[ch.size()]);
            std::memcpy(b.get(), ch.data(), ch.size());
            if (ssh.feed(b.get(), ch.size()) != SshStatus::kNeedMore) break;
          }
          ssh_done += ssh.status() == SshStatus::kDone;
          ASSERT_LE(ssh.banner().len, kSshBannerMax);
          ASSERT_LE(ssh.kexinit().pool_used, kSshNameListPool);
        }
        const Bytes& s = c.stream[d];
        std::unique_ptr<uint8_t[]> b(new uint8_t[s.size()]);
        std::memcpy(b.get(), s.data(), s.size());
        parse_http_request(b.get(), s.size(), rq);
        parse_http_response(b.get(), s.size(), rs);
        parse_dns_tcp(b.get(), s.size(), dns);
      }
    }
  }
  std::printf(
      "%zu payloads, %zu TCP directions: DNS ok %zu, HTTP request heads %zu, DHCP %zu, SSH done %zu\n",
      payloads, streams, dns_ok, http_ok, dhcp_ok, ssh_done);
  EXPECT_GT(payloads, 10000u);
}

}  // namespace
}  // namespace spanwatch::lib
