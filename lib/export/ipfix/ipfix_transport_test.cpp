// Transport and Exporter over real loopback sockets: UDP messages as a collector receives them (templates
// first, refresh by message count), TCP with templates at the start of each session and again after the
// collector drops the connection, and a collector that is down: records dropped and counted, never a stall.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "lib/core/unique_fd.hpp"
#include "lib/export/ipfix/ipfix_exporter.hpp"
#include "lib/export/ipfix/ipfix_test_decoder.hpp"

namespace spanwatch::lib::ipfix {
namespace {

using test::Template;

uint64_t now_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

FlowRecord record(uint32_t i) {
  FlowRecord r;
  const uint8_t a[4] = {10, 0, uint8_t(i >> 8), uint8_t(i)};
  const uint8_t b[4] = {10, 1, 0, 1};
  r.src_ip = IpAddress::from_v4(a);
  r.dst_ip = IpAddress::from_v4(b);
  r.src_port = uint16_t(1024 + i);
  r.dst_port = 80;
  r.l4_proto = 17;
  r.ip_version = 4;
  r.flow_id = i;
  r.dir[0].packets = i + 1;
  r.dir[0].ip_bytes = 100 * (i + 1);
  return r;
}

// A listening socket on 127.0.0.1 with a kernel-chosen port.
UniqueFd listen_on(int type, uint16_t& port) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  if (type == SOCK_STREAM) {
    EXPECT_EQ(::listen(fd.get(), 4), 0);
  }
  socklen_t len = sizeof a;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

// A port nothing listens on: bound, then closed.
uint16_t closed_port(int type) {
  uint16_t port = 0;
  listen_on(type, port);
  return port;
}

TEST(IpfixExporter, UdpMessagesDecodeWithTemplatesFirstAndRefreshByCount) {
  uint16_t port = 0;
  UniqueFd srv = listen_on(SOCK_DGRAM, port);
  ExporterOptions o;
  o.transport.port = port;
  o.observation_domain = 9;
  o.template_refresh_messages = 2;
  Exporter x(o, nullptr);
  constexpr uint32_t kRecords = 40;  // several 1400-byte messages
  for (uint32_t i = 0; i < kRecords; ++i) x.add(record(i), nullptr);
  x.tick(now_ms());

  std::map<uint16_t, Template> known;
  std::vector<test::DataRecord> got;
  uint32_t expect_seq = 0, messages = 0, with_templates = 0;
  std::vector<uint8_t> buf(65536);
  while (readable(srv.get(), 200)) {
    const ssize_t n = ::recv(srv.get(), buf.data(), buf.size(), 0);
    ASSERT_GT(n, 0);
    ASSERT_LE(size_t(n), 1400u);
    const auto m = test::decode(buf.data(), size_t(n), known);  // throws if data precede their template
    if (messages == 0) {
      EXPECT_FALSE(m.templates.empty());
    }
    with_templates += !m.templates.empty();
    EXPECT_EQ(m.domain, 9u);
    EXPECT_EQ(m.sequence, expect_seq);
    expect_seq += uint32_t(m.records.size());
    got.insert(got.end(), m.records.begin(), m.records.end());
    ++messages;
  }
  ASSERT_EQ(got.size(), kRecords);
  for (uint32_t i = 0; i < kRecords; ++i) {
    EXPECT_EQ(got[i].num(148), i);
    EXPECT_EQ(got[i].num(86), i + 1);
    EXPECT_EQ(got[i].num(85), 100u * (i + 1));
  }
  EXPECT_GE(messages, 3u);
  EXPECT_GE(with_templates, messages / 3);  // refreshed every 2 data messages
  EXPECT_EQ(x.counters().records.get(), kRecords);
  EXPECT_EQ(x.transport_counters().messages.get(), messages);
  EXPECT_EQ(x.counters().template_sends.get(), with_templates);
  EXPECT_EQ(x.transport_counters().dropped_records.get(), 0u);
}

TEST(IpfixExporter, TcpSessionsStartWithTemplatesAndReconnectAfterTheCollectorCloses) {
  uint16_t port = 0;
  UniqueFd srv = listen_on(SOCK_STREAM, port);
  ExporterOptions o;
  o.transport.port = port;
  o.transport.protocol = Protocol::kTcp;
  o.transport.reconnect_min_ms = 10;
  Exporter x(o, nullptr);

  auto session = [&](uint32_t first, uint32_t count) {
    UniqueFd c(::accept(srv.get(), nullptr, nullptr));
    EXPECT_TRUE(c);
    for (uint32_t i = 0; i < count; ++i) x.add(record(first + i), nullptr);
    x.tick(now_ms());
    x.flush(now_ms(), 1000);
    // Read the stream: messages back to back, each with its length in bytes 2-3.
    std::vector<uint8_t> stream;
    std::vector<uint8_t> buf(65536);
    while (readable(c.get(), 200)) {
      const ssize_t n = ::recv(c.get(), buf.data(), buf.size(), 0);
      if (n <= 0) break;
      stream.insert(stream.end(), buf.begin(), buf.begin() + n);
    }
    std::map<uint16_t, Template> known;  // a new session knows no templates
    std::vector<uint64_t> ids;
    uint32_t expect_seq = 0;
    for (size_t off = 0; off + 16 <= stream.size();) {
      const size_t len = size_t(stream[off + 2]) << 8 | stream[off + 3];
      const auto m = test::decode(stream.data() + off, len, known);
      EXPECT_EQ(m.sequence, expect_seq);
      expect_seq += uint32_t(m.records.size());
      for (const auto& r : m.records) ids.push_back(r.num(148));
      off += len;
    }
    EXPECT_EQ(ids.size(), count);
    for (uint32_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], first + i);
    return c;
  };
  // Give the background connect its accept; records added before it completes would be dropped.
  for (int i = 0; i < 50 && x.transport_counters().connects.get() == 0; ++i) {
    usleep(2000);
    x.tick(now_ms());
  }
  ASSERT_EQ(x.transport_counters().connects.get(), 1u);
  { UniqueFd c = session(0, 30); }  // closes the connection

  // The exporter notices the close, backs off, reconnects, and the new session gets templates first.
  for (int i = 0; i < 200 && x.transport_counters().connects.get() < 2; ++i) {
    usleep(5000);
    x.tick(now_ms());
  }
  ASSERT_EQ(x.transport_counters().connects.get(), 2u);
  session(100, 20);
  EXPECT_EQ(x.transport_counters().dropped_records.get(), 0u);
  EXPECT_GE(x.counters().template_sends.get(), 2u);
}

TEST(IpfixExporter, DownCollectorCostsCountedDropsNotAStall) {
  for (Protocol proto : {Protocol::kTcp, Protocol::kUdp}) {
    ExporterOptions o;
    o.transport.protocol = proto;
    o.transport.port = closed_port(proto == Protocol::kTcp ? SOCK_STREAM : SOCK_DGRAM);
    Exporter x(o, nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    constexpr uint32_t kRecords = 2000;
    for (uint32_t i = 0; i < kRecords; ++i) {
      x.add(record(i), nullptr);
      if (i % 100 == 0) x.tick(now_ms());
    }
    x.flush(now_ms(), 200);
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(took, std::chrono::seconds(1)) << int(proto);
    const TransportCounters& c = x.transport_counters();
    EXPECT_EQ(x.counters().records.get(), kRecords);
    if (proto == Protocol::kTcp) {
      EXPECT_GE(c.connect_errors.get(), 1u);
      EXPECT_EQ(c.dropped_records.get(), kRecords);  // nothing was ever connected
      EXPECT_EQ(c.messages.get(), 0u);
    } else {
      // Loopback answers a closed UDP port with ICMP: the sends after the first fail with ECONNREFUSED.
      EXPECT_GE(c.send_errors.get(), 1u);
      EXPECT_GE(c.dropped_records.get(), 1u);
      EXPECT_LT(c.dropped_records.get(), uint64_t{kRecords});
    }
  }
}

}  // namespace
}  // namespace spanwatch::lib::ipfix
