#include "workers/flow_shard.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/app/dhcp_message.hpp"
#include "lib/decode/packet_decoder.hpp"

namespace spanwatch::workers {
namespace {

constexpr uint64_t kSec = 1'000'000'000ULL;
constexpr uint64_t kT0 = 1'700'000'000 * kSec;

struct CollectingSink : RecordSink {
  std::vector<lib::FlowRecord> recs;
  void emit(const lib::FlowRecord& r) noexcept override { recs.push_back(r); }
};

lib::IpAddress v4(uint8_t d) {
  const uint8_t a[4] = {10, 0, 0, d};
  return lib::IpAddress::from_v4(a);
}

lib::DecodedPacket packet(uint8_t proto, uint8_t src, uint16_t sport, uint8_t dst, uint16_t dport,
                          uint32_t payload = 0, uint8_t tcp_flags = 0, uint32_t seq = 0, uint32_t ack = 0) {
  lib::DecodedPacket p;
  p.cls = lib::PacketClass::kFlow;
  p.inner.src = v4(src);
  p.inner.dst = v4(dst);
  p.inner.src_port = sport;
  p.inner.dst_port = dport;
  p.inner.l4_proto = proto;
  p.inner.ip_version = 4;
  const uint32_t l4 = proto == 6 ? 20 : 8;
  p.inner.ip_bytes = 20 + l4 + payload;
  p.payload_len = payload;
  p.frame_len = 14 + p.inner.ip_bytes;
  p.tcp_flags = tcp_flags;
  p.tcp_seq = seq;
  p.tcp_ack = ack;
  p.tcp_window = 1000;
  return p;
}

lib::FlowConfig small_config() {
  lib::FlowConfig c;
  c.max_flows_per_worker = 1024;
  return c;
}

TEST(FlowShard, UdpRequestResponseIsOneFlowWithPerDirectionCounters) {
  CollectingSink sink;
  FlowShard shard(small_config(), 3, sink);
  shard.process(packet(17, 1, 40000, 2, 53, 30), kT0, 0, kLayerInner);
  shard.process(packet(17, 2, 53, 1, 40000, 90), kT0 + kSec / 10, 0, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  const lib::FlowRecord& r = sink.recs[0];
  EXPECT_EQ(r.src_ip, v4(1));
  EXPECT_EQ(r.src_port, 40000);
  EXPECT_EQ(r.dst_port, 53);
  EXPECT_EQ(r.dir[0].packets, 1u);
  EXPECT_EQ(r.dir[1].packets, 1u);
  EXPECT_EQ(r.dir[0].ip_bytes, 58u);
  EXPECT_EQ(r.dir[1].payload_bytes, 90u);
  EXPECT_EQ(r.dir[0].frame_bytes, 72u);
  EXPECT_EQ(r.conn_state, lib::ConnState::kSF);
  EXPECT_EQ(r.reason, lib::EndReason::kShutdown);
  EXPECT_TRUE(r.final);
  EXPECT_EQ(r.worker_id, 3);
  EXPECT_EQ(r.flow_id >> 56, 3u);
  EXPECT_EQ(r.first_ns, kT0);
  EXPECT_EQ(r.last_ns, kT0 + kSec / 10);
}

TEST(FlowShard, UdpReplyFirstStillMakesTheClientTheOriginator) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  // First packet seen is the DNS answer (capture started mid-exchange): 53 is a likely server port.
  shard.process(packet(17, 2, 53, 1, 40000, 90), kT0, 0, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(sink.recs[0].src_ip, v4(1));
  EXPECT_EQ(sink.recs[0].dst_port, 53);
  EXPECT_EQ(sink.recs[0].dir[0].packets, 0u);
  EXPECT_EQ(sink.recs[0].dir[1].packets, 1u);
  EXPECT_EQ(sink.recs[0].conn_state, lib::ConnState::kSHR);
}

TEST(FlowShard, TcpSessionEndsAfterLingerWithZeekState) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  uint64_t t = kT0;
  auto step = [&](lib::DecodedPacket p) { shard.process(p, t += kSec / 100, 0, kLayerInner); };
  step(packet(6, 1, 50000, 2, 80, 0, 0x02, 100, 0));     // S
  step(packet(6, 2, 80, 1, 50000, 0, 0x12, 500, 101));   // h
  step(packet(6, 1, 50000, 2, 80, 0, 0x10, 101, 501));   // A
  step(packet(6, 1, 50000, 2, 80, 10, 0x18, 101, 501));  // D
  step(packet(6, 2, 80, 1, 50000, 20, 0x18, 501, 111));  // d (data with ACK: no pure ACK, so no "a")
  step(packet(6, 1, 50000, 2, 80, 0, 0x11, 111, 521));   // F
  step(packet(6, 2, 80, 1, 50000, 0, 0x11, 521, 112));   // f
  step(packet(6, 1, 50000, 2, 80, 0, 0x10, 112, 522));
  EXPECT_TRUE(sink.recs.empty());
  // A packet of another flow after the linger time drives the clock.
  shard.process(packet(17, 7, 1, 8, 2), t + 6 * kSec, 0, kLayerInner);
  ASSERT_EQ(sink.recs.size(), 1u);
  const lib::FlowRecord& r = sink.recs[0];
  EXPECT_EQ(r.reason, lib::EndReason::kEndOfFlow);
  EXPECT_EQ(r.conn_state, lib::ConnState::kSF);
  EXPECT_EQ(std::string(r.history.data(), r.history_len), "ShADdFf");
  EXPECT_EQ(r.dir[0].packets, 5u);
  EXPECT_EQ(r.dir[1].packets, 3u);
  EXPECT_EQ(r.dir[0].tcp_flags, 0x1b);
  EXPECT_EQ(r.dir[1].tcp_flags, 0x1b);
}

// flows.verify_checksums: a packet with a bad transport checksum makes its flow (Zeek: the connection
// exists) but is not counted; the history gets C (originator) / c (responder) on the 1st, 10th, ... one.
TEST(FlowShard, BadChecksumPacketsMakeAZeroPacketFlowWithHistoryC) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  auto bad = [](lib::DecodedPacket p) {
    p.bad_checksum = true;
    return p;
  };
  // The VXLAN carriers of tunnels-vxlan-encapsulated-igmp-v2.pcap: one UDP packet, outer checksum wrong.
  shard.process(bad(packet(17, 1, 48036, 2, 4789, 64)), kT0, 0, kLayerInner);
  // TCP: a bad SYN, then the handshake; ten bad packets from the responder give c twice (1st, 10th).
  uint64_t t = kT0;
  shard.process(bad(packet(6, 3, 50000, 4, 80, 0, 0x02, 100, 0)), t += kSec / 100, 0, kLayerInner);
  shard.process(packet(6, 3, 50000, 4, 80, 0, 0x02, 100, 0), t += kSec / 100, 0, kLayerInner);
  shard.process(packet(6, 4, 80, 3, 50000, 0, 0x12, 500, 101), t += kSec / 100, 0, kLayerInner);
  for (int i = 0; i < 10; ++i)
    shard.process(bad(packet(6, 4, 80, 3, 50000, 10, 0x18, 501, 101)), t += kSec / 100, 0, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 2u);
  const lib::FlowRecord& u = sink.recs[0].dst_port == 4789 ? sink.recs[0] : sink.recs[1];
  const lib::FlowRecord& c = sink.recs[0].dst_port == 4789 ? sink.recs[1] : sink.recs[0];
  EXPECT_EQ(u.src_ip, v4(1));
  EXPECT_EQ(u.dir[0].packets + u.dir[1].packets, 0u);
  EXPECT_EQ(u.dir[0].ip_bytes + u.dir[1].ip_bytes, 0u);
  EXPECT_EQ(u.conn_state, lib::ConnState::kOTH);
  EXPECT_EQ(std::string(u.history.data(), u.history_len), "C");
  EXPECT_EQ(u.first_ns, kT0);

  EXPECT_EQ(c.src_ip, v4(3));
  EXPECT_EQ(c.dir[0].packets, 1u);
  EXPECT_EQ(c.dir[1].packets, 1u);
  EXPECT_EQ(std::string(c.history.data(), c.history_len), "CShcc");
}

// A UDP flow with bad checksums on both sides, and good packets: only the good ones count.
TEST(FlowShard, UdpHistoryHoldsTheChecksumLettersOfBothSides) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  lib::DecodedPacket q = packet(17, 1, 40000, 2, 53, 30);
  shard.process(q, kT0, 0, kLayerInner);
  q.bad_checksum = true;
  shard.process(q, kT0 + 1, 0, kLayerInner);
  lib::DecodedPacket a = packet(17, 2, 53, 1, 40000, 90);
  a.bad_checksum = true;
  shard.process(a, kT0 + 2, 0, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(sink.recs[0].dir[0].packets, 1u);
  EXPECT_EQ(sink.recs[0].dir[1].packets, 0u);
  EXPECT_EQ(sink.recs[0].conn_state, lib::ConnState::kS0);
  EXPECT_EQ(std::string(sink.recs[0].history.data(), sink.recs[0].history_len), "Cc");
}

// A retransmission takes a rare-state slot (TcpRareStore); the flow gives it back when it
// ends, also when a new connection on the same tuple ends it.
TEST(FlowShard, TcpRareStateSlotIsGivenBackWithTheFlow) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  uint64_t t = kT0;
  auto step = [&](lib::DecodedPacket p) { shard.process(p, t += kSec / 100, 0, kLayerInner); };
  step(packet(6, 1, 50000, 2, 80, 0, 0x02, 100, 0));
  step(packet(6, 2, 80, 1, 50000, 0, 0x12, 500, 101));
  step(packet(6, 1, 50000, 2, 80, 0, 0x10, 101, 501));
  step(packet(6, 1, 50000, 2, 80, 10, 0x18, 101, 501));
  EXPECT_EQ(shard.tcp_rare_states().in_use(), 0u);
  step(packet(6, 1, 50000, 2, 80, 10, 0x18, 101, 501));  // the same data again: T
  EXPECT_EQ(shard.tcp_rare_states().in_use(), 1u);
  step(packet(6, 1, 50000, 2, 80, 0, 0x04, 111, 0));   // RST at relative 11, its side's last_seq: implicit
  step(packet(6, 1, 50000, 2, 80, 0, 0x02, 9000, 0));  // a new SYN on the closed tuple: a new flow
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(std::string(sink.recs[0].history.data(), sink.recs[0].history_len), "ShADTR");
  EXPECT_EQ(shard.tcp_rare_states().in_use(), 0u);
  step(packet(6, 1, 50000, 2, 80, 0, 0x04, 8995, 0));  // a RST below the SYN: its number takes a slot
  EXPECT_EQ(shard.tcp_rare_states().in_use(), 1u);
  shard.flush_all(lib::EndReason::kShutdown);
  EXPECT_EQ(shard.tcp_rare_states().in_use(), 0u);
  EXPECT_EQ(shard.tcp_rare_states().exhausted.get(), 0u);
}

TEST(FlowShard, IdleTimeoutSplitsAFlowOnPacketTime) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0, 0, kLayerInner);
  shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0 + 61 * kSec, 0, kLayerInner);
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(sink.recs[0].reason, lib::EndReason::kIdleTimeout);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 2u);
  EXPECT_NE(sink.recs[0].flow_id, sink.recs[1].flow_id);
  EXPECT_EQ(sink.recs[1].dir[0].packets, 1u);
}

TEST(FlowShard, ActiveTimeoutEmitsCumulativeInterimRecords) {
  lib::FlowConfig cfg = small_config();
  cfg.active_timeout_s = 10;
  CollectingSink sink;
  FlowShard shard(cfg, 0, sink);
  for (int i = 0; i <= 25; ++i) {
    shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0 + i * kSec, 0, kLayerInner);
    // The count of interim records lives in the flow's FlowSide: none before the first.
    EXPECT_EQ(shard.sides().in_use(), i < 10 ? 0u : 1u) << i;
  }
  shard.flush_all(lib::EndReason::kShutdown);
  EXPECT_EQ(shard.sides().in_use(), 0u);
  ASSERT_EQ(sink.recs.size(), 3u);
  EXPECT_FALSE(sink.recs[0].final);
  EXPECT_EQ(sink.recs[0].reason, lib::EndReason::kActiveTimeout);
  EXPECT_EQ(sink.recs[0].sequence, 0u);
  EXPECT_EQ(sink.recs[0].dir[0].packets, 10u);  // packets at t=0..9 before the one at t=10
  EXPECT_FALSE(sink.recs[1].final);
  EXPECT_EQ(sink.recs[1].sequence, 1u);
  EXPECT_EQ(sink.recs[1].dir[0].packets, 20u);
  EXPECT_TRUE(sink.recs[2].final);
  EXPECT_EQ(sink.recs[2].sequence, 2u);
  EXPECT_EQ(sink.recs[2].dir[0].packets, 26u);
  EXPECT_EQ(sink.recs[0].flow_id, sink.recs[2].flow_id);
}

// A flow's next interim record is due an active timeout after its first packet seen or its last interim
// record. A packet older than the first (out of order) moves the record's first_ns back, not the interim
// record's time: that due time is then kept in the FlowSide.
TEST(FlowShard, ActiveTimeoutCountsFromTheFirstPacketSeenWhenAnOlderOneArrives) {
  lib::FlowConfig cfg = small_config();
  cfg.active_timeout_s = 10;
  CollectingSink sink;
  FlowShard shard(cfg, 0, sink);
  shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0 + 5 * kSec, 0, kLayerInner);
  EXPECT_EQ(shard.sides().in_use(), 0u);
  shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0, 0, kLayerInner);  // older: first_ns moves back
  EXPECT_EQ(shard.sides().in_use(), 1u);                                // the due time (kT0 + 15 s)
  for (const uint64_t s : {11u, 14u, 16u, 25u, 27u})
    shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0 + s * kSec, 0, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  EXPECT_EQ(shard.sides().in_use(), 0u);
  ASSERT_EQ(sink.recs.size(), 3u);
  EXPECT_FALSE(sink.recs[0].final);
  EXPECT_EQ(sink.recs[0].emit_ns, kT0 + 16 * kSec);  // due at 15 s, not at 10 s
  EXPECT_EQ(sink.recs[0].first_ns, kT0);
  EXPECT_EQ(sink.recs[0].dir[0].packets, 4u);
  EXPECT_FALSE(sink.recs[1].final);
  EXPECT_EQ(sink.recs[1].emit_ns, kT0 + 27 * kSec);  // due at 26 s
  EXPECT_EQ(sink.recs[1].sequence, 1u);
  EXPECT_TRUE(sink.recs[2].final);
  EXPECT_EQ(sink.recs[2].dir[0].packets, 7u);
}

TEST(FlowShard, FullTableEvictsTheLeastRecentlyActiveFlow) {
  lib::FlowConfig cfg = small_config();
  cfg.max_flows_per_worker = 4;
  CollectingSink sink;
  FlowShard shard(cfg, 0, sink);
  for (uint16_t p = 1; p <= 4; ++p) shard.process(packet(17, 1, p, 2, 9), kT0 + p, 0, kLayerInner);
  shard.process(packet(17, 1, 1, 2, 9), kT0 + 10, 0, kLayerInner);  // flow 1 becomes most recent
  shard.process(packet(17, 1, 5, 2, 9), kT0 + 11, 0, kLayerInner);  // table full: evict flow 2
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(sink.recs[0].reason, lib::EndReason::kEvicted);
  EXPECT_EQ(sink.recs[0].src_port, 2);
  EXPECT_EQ(shard.counters().flows_evicted.get(), 1u);
  shard.flush_all(lib::EndReason::kShutdown);
  uint64_t pkts = 0;
  for (const auto& r : sink.recs) pkts += r.dir[0].packets + r.dir[1].packets;
  EXPECT_EQ(pkts, 6u);  // nothing lost
}

// The idle lists' moves are deferred and made in batches (FlowShard::defer_touch): evictions, expiry and
// the order of the records must be what moving each flow to its list's tail on every packet gives. A model
// does exactly that; thousands of packets of a few hundred flows (skewed, so the log holds a flow many
// times; times with ties and steps back), two timeout classes, then more flows than the table holds.
TEST(FlowShard, DeferredIdleListMovesKeepTheLeastRecentlyActiveOrder) {
  lib::FlowConfig cfg = small_config();
  cfg.max_flows_per_worker = 128;
  CollectingSink sink;
  FlowShard shard(cfg, 0, sink);
  constexpr unsigned kFlows = 300;
  auto is_dns = [](unsigned f) { return f % 5 == 0; };  // port 53: the DNS class, its own list and timeout
  auto id_of = [](const lib::FlowRecord& r) { return unsigned(std::max(r.src_port, r.dst_port) - 10000); };
  // Model: one list per class in touch order, a flow's activity time, the shard's eviction rule.
  std::vector<unsigned> udp, dns;
  std::vector<uint64_t> activity(kFlows, 0);
  std::vector<bool> live(kFlows, false);
  std::vector<unsigned> expected;
  auto erase = [](std::vector<unsigned>& l, unsigned f) { l.erase(std::find(l.begin(), l.end(), f)); };
  uint64_t rng = 12345;
  auto next = [&rng] {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return unsigned(rng >> 33);
  };
  uint64_t ts = kT0;
  for (unsigned k = 0; k < 6000; ++k) {
    // First fewer flows than the table holds (no eviction: the log fills and is replayed whole), then more.
    const unsigned range = k < 3000 ? 100 : kFlows;
    const unsigned f = next() % 7 == 0 ? next() % range : (next() % 17) * (next() % 17) % range;
    ts += next() % 3 == 0 ? 0 : kSec / 1000;                         // ties
    const uint64_t t = next() % 9 == 0 ? ts - 2 * kSec / 1000 : ts;  // a step back now and then
    std::vector<unsigned>& list = is_dns(f) ? dns : udp;
    if (!live[f]) {
      if (udp.size() + dns.size() == cfg.max_flows_per_worker) {  // FlowShard::evict_oldest
        std::vector<unsigned>* victim = nullptr;
        for (std::vector<unsigned>* l : {&udp, &dns})  // the shard's class order: kUdp before kUdpDns
          if (!l->empty() && (!victim || activity[l->front()] < activity[victim->front()])) victim = l;
        live[victim->front()] = false;
        expected.push_back(victim->front());
        victim->erase(victim->begin());
      }
      live[f] = true;
      activity[f] = t;
    } else {
      erase(list, f);
      activity[f] = std::max(activity[f], t);
    }
    list.push_back(f);
    shard.process(packet(17, 1, uint16_t(10000 + f), 2, is_dns(f) ? 53 : 6000, 10), t, 0, kLayerInner);
  }
  ASSERT_GT(shard.counters().flows_evicted.get(), 100u);
  // Expiry walks each list from its head while the head is due (the DNS class times out after 10 s).
  const uint64_t now = ts + 10 * kSec - 3 * kSec / 1000;
  for (std::vector<unsigned>* l : {&udp, &dns}) {
    const uint64_t timeout = (l == &dns ? 10 : 60) * kSec;
    while (!l->empty() && activity[l->front()] + timeout <= now) {
      expected.push_back(l->front());
      l->erase(l->begin());
    }
  }
  shard.expire(now);
  ASSERT_GT(shard.counters().flows_ended.get(), 0u);
  ASSERT_FALSE(dns.empty());
  for (std::vector<unsigned>* l : {&udp, &dns}) expected.insert(expected.end(), l->begin(), l->end());
  shard.flush_all(lib::EndReason::kShutdown);
  std::vector<unsigned> got;
  for (const lib::FlowRecord& r : sink.recs) got.push_back(id_of(r));
  EXPECT_EQ(got, expected);
}

// The first fragment of a UDP datagram from 1:5000 to 2:`dport` (it carries the ports) and a later one.
std::pair<lib::DecodedPacket, lib::DecodedPacket> fragments(uint16_t dport, uint32_t frag_id) {
  lib::DecodedPacket first = packet(17, 1, 5000, 2, dport, 1472);
  first.fragment = lib::Fragment::kFirst;
  first.frag_id = frag_id;
  lib::DecodedPacket later = packet(17, 1, 0, 2, 0, 500);
  later.fragment = lib::Fragment::kLater;
  later.frag_id = frag_id;
  return {first, later};
}

TEST(FlowShard, LaterFragmentsJoinTheirFlowAndOrphansAreCounted) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  const auto [first, later] = fragments(6000, 77);
  lib::DecodedPacket orphan = later;
  orphan.frag_id = 78;
  shard.process(first, kT0, 0, kLayerInner);
  shard.process(later, kT0 + 1, 0, kLayerInner);
  shard.process(orphan, kT0 + 2, 0, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(sink.recs[0].dir[0].packets, 2u);
  EXPECT_EQ(sink.recs[0].fragments, 1u);
  EXPECT_EQ(shard.counters().fragments_matched.get(), 1u);
  EXPECT_EQ(shard.counters().fragments_unmatched.get(), 1u);
}

// A later fragment of a flow that has ended (expired before its fragment entry) is an orphan: it must not
// touch the ended entry, whose key and side are no longer the flow's.
TEST(FlowShard, ALaterFragmentOfAnEndedFlowIsAnOrphan) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  const auto [first, later] = fragments(53, 91);
  shard.process(first, kT0, 0, kLayerInner);
  shard.expire(kT0 + 11 * kSec);  // the DNS class: 10 s idle
  ASSERT_EQ(sink.recs.size(), 1u);
  shard.process(later, kT0 + 12 * kSec, 0, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(sink.recs[0].dir[0].packets, 1u);
  EXPECT_EQ(shard.counters().fragments_matched.get(), 0u);
  EXPECT_EQ(shard.counters().fragments_unmatched.get(), 1u);
  EXPECT_EQ(shard.counters().flows_active.get(), 0u);
}

TEST(FlowShard, TunnelCarrierAndInnerFlowAreSeparateRecords) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  lib::DecodedPacket p = packet(6, 1, 1234, 2, 80, 0, 0x02, 1, 0);
  p.tunnel = lib::TunnelType::kVxlan;
  p.tunnel_depth = 1;
  p.outer_is_udp = true;
  p.outer.src = v4(100);
  p.outer.dst = v4(101);
  p.outer.src_port = 33333;
  p.outer.dst_port = 4789;
  p.outer.l4_proto = 17;
  p.outer.ip_version = 4;
  p.outer.ip_bytes = 100;
  p.carrier_count = 1;
  p.carriers[0] = p.outer;
  shard.process(p, kT0, 0, kLayerInner | carrier_layer(0));
  // The carrier's count of carried packets is in its FlowSide; the inner flow's tunnel endpoints are named
  // by its context, so it holds none.
  EXPECT_EQ(shard.sides().in_use(), 1u);
  EXPECT_EQ(shard.tunnels().distinct(), 1u);
  shard.flush_all(lib::EndReason::kShutdown);
  EXPECT_EQ(shard.sides().in_use(), 0u);
  EXPECT_EQ(shard.tunnels().distinct(), 0u);
  ASSERT_EQ(sink.recs.size(), 2u);
  const auto& carrier = sink.recs[0].is_tunnel_carrier ? sink.recs[0] : sink.recs[1];
  const auto& inner = sink.recs[0].is_tunnel_carrier ? sink.recs[1] : sink.recs[0];
  EXPECT_EQ(carrier.dst_port, 4789);
  EXPECT_EQ(carrier.l4_proto, 17);
  EXPECT_EQ(carrier.dir[0].ip_bytes, 100u);
  EXPECT_EQ(inner.tunnel, lib::TunnelType::kVxlan);
  EXPECT_EQ(inner.tunnel_src, v4(100));
  EXPECT_EQ(inner.dst_port, 80);
  EXPECT_EQ(shard.counters().packets.get(), 1u);
  EXPECT_EQ(shard.counters().carrier_packets.get(), 1u);
  EXPECT_EQ(carrier.own_packets, 0u);
  EXPECT_EQ(inner.own_packets, 1u);
}

// The inner flows of one tunnel share its endpoints (interned) and, while the rest of their context is the
// same, one context that names them; each flow's record carries them, also after its context changed.
TEST(FlowShard, InnerFlowsOfOneTunnelShareItsEndpoints) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  auto inner = [](uint16_t sport, uint8_t outer_dst) {
    lib::DecodedPacket p = packet(6, 1, sport, 2, 80, 0, 0x02, 1, 0);
    p.tunnel = lib::TunnelType::kVxlan;
    p.tunnel_depth = 1;
    p.outer.src = v4(100);
    p.outer.dst = v4(outer_dst);
    return p;
  };
  shard.process(inner(1000, 101), kT0, 0, kLayerInner);
  shard.process(inner(1001, 101), kT0 + 1, 0, kLayerInner);
  EXPECT_EQ(shard.tunnels().distinct(), 1u);
  EXPECT_EQ(shard.tunnel_contexts().distinct(), 1u);
  EXPECT_EQ(shard.contexts().distinct(), 0u);
  EXPECT_EQ(shard.sides().in_use(), 0u);
  shard.process(inner(1002, 102), kT0 + 2, 0, kLayerInner);
  EXPECT_EQ(shard.tunnels().distinct(), 2u);
  EXPECT_EQ(shard.tunnel_contexts().distinct(), 2u);
  lib::DecodedPacket with_mac = inner(1001, 101);  // its first MAC: the flow's context changes
  with_mac.has_mac = true;
  with_mac.src_mac = {0xa, 0, 0, 0, 0, 1};
  shard.process(with_mac, kT0 + 3, 0, kLayerInner);
  EXPECT_EQ(shard.tunnel_contexts().distinct(), 3u);
  EXPECT_EQ(shard.tunnels().distinct(), 2u);
  shard.flush_all(lib::EndReason::kShutdown);
  EXPECT_EQ(shard.tunnels().distinct(), 0u);
  EXPECT_EQ(shard.tunnel_contexts().distinct(), 0u);
  ASSERT_EQ(sink.recs.size(), 3u);
  for (const auto& r : sink.recs) {
    EXPECT_EQ(r.tunnel, lib::TunnelType::kVxlan);
    EXPECT_EQ(r.tunnel_src, v4(100));
    EXPECT_EQ(r.tunnel_dst, v4(r.src_port == 1002 ? 102 : 101));
    EXPECT_EQ(r.dir[0].has_mac, r.src_port == 1001);
  }
}

// A tunnel's UDP flow may also carry packets of its own (AYIYA keep-alives, GTP-U echo): they count
// as that flow's own packets, so the accounting over final records stays exact.
TEST(FlowShard, PlainPacketsOnACarrierFlowAreItsOwn) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  lib::DecodedPacket tunnelled = packet(17, 1, 5, 2, 6);
  tunnelled.tunnel = lib::TunnelType::kAyiya;
  tunnelled.tunnel_depth = 1;
  tunnelled.carrier_count = 1;
  tunnelled.carriers[0] = packet(17, 100, 40000, 101, 5072).inner;
  shard.process(tunnelled, kT0, 0, kLayerInner | carrier_layer(0));
  shard.process(packet(17, 100, 40000, 101, 5072, 20), kT0 + 1, 0, kLayerInner);  // keep-alive
  shard.flush_all(lib::EndReason::kShutdown);
  uint64_t own = 0;
  for (const auto& r : sink.recs) own += r.own_packets;
  EXPECT_EQ(own, 2u);
}

// Counters live in 32-bit words in the flow entry; what carries past 2^32 goes to a pooled high word. A
// long flow's records stay exact (payloads this size stand in for many packets).
TEST(FlowShard, ByteCountersPastTwoToThe32AreExact) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  constexpr uint32_t kPayload = 3'000'000'000u;
  for (int i = 0; i < 3; ++i) {
    shard.process(packet(17, 1, 40000, 2, 53, kPayload), kT0 + uint64_t(i), 0, kLayerInner);
    shard.process(packet(17, 2, 53, 1, 40000, 10), kT0 + uint64_t(i), 0, kLayerInner);
  }
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  const lib::FlowRecord& r = sink.recs[0];
  EXPECT_EQ(r.dir[0].packets, 3u);
  EXPECT_EQ(r.dir[0].payload_bytes, 3 * uint64_t{kPayload});
  EXPECT_EQ(r.dir[0].ip_bytes, 3 * (uint64_t{kPayload} + 28));
  EXPECT_EQ(r.dir[0].frame_bytes, 3 * (uint64_t{kPayload} + 42));
  EXPECT_EQ(r.dir[1].payload_bytes, 30u);
  EXPECT_EQ(r.dir[1].frame_bytes, 3u * 52);
  EXPECT_EQ(r.own_packets, 6u);
  EXPECT_EQ(r.fragments, 0u);
}

// When Zeek swaps the roles, everything kept per direction moves with them: the 32-bit words, the high
// words they carried into, the TCP flags and the MAC addresses.
TEST(FlowShard, RoleFlipMovesCarriedCountersFlagsAndMacs) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  constexpr uint32_t kPayload = 3'000'000'000u;
  // Neither port is a likely server port: the SYN-ACK's sender (2) is the originator until 1's SYN.
  lib::DecodedPacket synack = packet(6, 2, 41000, 1, 40000, kPayload, 0x12, 5000, 1001);
  synack.has_mac = true;
  synack.src_mac = {2, 2, 2, 2, 2, 2};
  shard.process(synack, kT0, 0, kLayerInner);
  shard.process(synack, kT0 + 1, 0, kLayerInner);  // a retransmission: the payload bytes carry
  lib::DecodedPacket syn = packet(6, 1, 40000, 2, 41000, 0, 0x02, 1000, 0);
  syn.has_mac = true;
  syn.src_mac = {1, 1, 1, 1, 1, 1};
  shard.process(syn, kT0 + 2, 0, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  const lib::FlowRecord& r = sink.recs[0];
  ASSERT_EQ(r.src_ip, v4(1));  // the roles flipped
  EXPECT_EQ(r.dir[0].packets, 1u);
  EXPECT_EQ(r.dir[0].payload_bytes, 0u);
  EXPECT_EQ(r.dir[0].tcp_flags, 0x02);
  EXPECT_TRUE(r.dir[0].has_mac);
  EXPECT_EQ(r.dir[0].mac, syn.src_mac);
  EXPECT_EQ(r.dir[1].packets, 2u);
  EXPECT_EQ(r.dir[1].payload_bytes, 2 * uint64_t{kPayload});
  EXPECT_EQ(r.dir[1].ip_bytes, 2 * (uint64_t{kPayload} + 40));
  EXPECT_EQ(r.dir[1].tcp_flags, 0x12);
  EXPECT_TRUE(r.dir[1].has_mac);
  EXPECT_EQ(r.dir[1].mac, synack.src_mac);
  EXPECT_EQ(r.own_packets, 3u);
}

// The first MAC address of each side is kept, and a side that sent none has none.
TEST(FlowShard, FirstMacOfEachSideAndVlansAndPortAreRecorded) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  lib::DecodedPacket a = packet(17, 1, 40000, 2, 53, 10);
  a.has_mac = true;
  a.src_mac = {0xa, 0, 0, 0, 0, 1};
  a.vlan_count = 2;
  a.vlan_ids = {100, 200};
  shard.process(a, kT0, 7, kLayerInner);
  a.src_mac = {0xa, 0, 0, 0, 0, 2};  // a later MAC does not replace the first
  shard.process(a, kT0 + 1, 8, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  const lib::FlowRecord& r = sink.recs[0];
  EXPECT_TRUE(r.dir[0].has_mac);
  EXPECT_EQ(r.dir[0].mac, (std::array<uint8_t, 6>{0xa, 0, 0, 0, 0, 1}));
  EXPECT_FALSE(r.dir[1].has_mac);
  EXPECT_EQ(r.dir[1].mac, (std::array<uint8_t, 6>{}));
  EXPECT_EQ(r.port_id, 7);  // the first packet's
  EXPECT_EQ(r.vlan_count, 2);
  EXPECT_EQ(r.vlan_ids, (std::array<uint16_t, lib::kMaxVlans>{100, 200}));
}

// The context packs nDPI's ids in bit-fields (as wide as flow_shard.cpp asserts nDPI's ranges need): the
// largest values they hold come back whole, and every field apart from the others.
TEST(FlowContext, L7InfoComesBackWhole) {
  lib::L7Info i;
  i.risks = 0x8000'0000'0000'0001ULL;
  i.state = lib::L7State::kGuessed;
  i.encrypted = true;
  i.breed_id = 15;
  i.confidence_id = 14;
  i.master_id = 4095;
  i.app_id = 4094;
  i.category_id = 255;
  FlowContext c;
  c.set_l7(i);
  const lib::L7Info o = c.l7(lib::L7State::kGuessed);
  EXPECT_EQ(o.risks, i.risks);
  EXPECT_EQ(o.state, i.state);
  EXPECT_EQ(o.encrypted, i.encrypted);
  EXPECT_EQ(o.breed_id, i.breed_id);
  EXPECT_EQ(o.confidence_id, i.confidence_id);
  EXPECT_EQ(o.master_id, i.master_id);
  EXPECT_EQ(o.app_id, i.app_id);
  EXPECT_EQ(o.category_id, i.category_id);
  lib::L7Info one;  // one field set: its neighbours in the bit-fields stay zero
  one.app_id = 1;
  c = FlowContext{};
  c.set_l7(one);
  const lib::L7Info n = c.l7(lib::L7State::kNone);
  EXPECT_EQ(n.app_id, 1);
  EXPECT_EQ(n.master_id, 0);
  EXPECT_EQ(n.category_id, 0);
  EXPECT_EQ(n.breed_id, 0);
}

// The context packs the VLAN ids and count in bit-fields: their largest values come back whole.
TEST(FlowShard, LargestVlanIdsAndCountAreRecorded) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  lib::DecodedPacket a = packet(17, 1, 40000, 2, 53, 10);
  a.vlan_count = 255;  // the decoder's count saturates there
  a.vlan_ids = {4095, 4094};
  shard.process(a, kT0, 65535, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(sink.recs[0].port_id, 65535);
  EXPECT_EQ(sink.recs[0].vlan_count, 255);
  EXPECT_EQ(sink.recs[0].vlan_ids, (std::array<uint16_t, lib::kMaxVlans>{4095, 4094}));
}

TEST(FlowShard, IcmpEchoRequestAndReplyAreOneFlow) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  lib::DecodedPacket req = packet(1, 1, 8, 2, 0, 56);
  lib::DecodedPacket rep = packet(1, 2, 0, 1, 0, 56);
  shard.process(req, kT0, 0, kLayerInner);
  shard.process(rep, kT0 + 1, 0, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(sink.recs[0].src_port, 8);  // Zeek: orig_p = type, resp_p = code
  EXPECT_EQ(sink.recs[0].dst_port, 0);
  EXPECT_EQ(sink.recs[0].dir[1].packets, 1u);
}

TEST(FlowShard, LiveUpdatesSnapshotOnlyFlowsThatChanged) {
  lib::FlowConfig cfg = small_config();
  cfg.live_update_ms = 1000;
  CollectingSink sink;
  FlowShard shard(cfg, 0, sink);
  shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0, 0, kLayerInner);  // flow A: a snapshot is due now
  EXPECT_TRUE(sink.recs.empty());
  shard.process(packet(17, 3, 1000, 4, 2000, 5), kT0, 0, kLayerInner);  // flow B; the tick runs first
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(sink.recs[0].reason, lib::EndReason::kLiveUpdate);
  EXPECT_FALSE(sink.recs[0].final);
  EXPECT_EQ(sink.recs[0].src_ip, v4(1));
  shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0 + kSec / 2, 0, kLayerInner);  // A changes again
  EXPECT_EQ(sink.recs.size(), 1u);  // the next tick is a second after the first
  shard.expire(kT0 + kSec);
  ASSERT_EQ(sink.recs.size(), 3u);  // A and B changed since the last tick
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(sink.recs[i].reason, lib::EndReason::kLiveUpdate);
    EXPECT_EQ(sink.recs[i].sequence, 0u);  // snapshots do not count as interim records
    if (sink.recs[i].src_ip == v4(1)) {
      EXPECT_EQ(sink.recs[i].dir[0].packets, 2u);  // cumulative
    }
  }
  shard.expire(kT0 + 2 * kSec);  // nothing changed
  EXPECT_EQ(sink.recs.size(), 3u);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 5u);
  EXPECT_TRUE(sink.recs[3].final && sink.recs[4].final);
}

// A live snapshot of a flow whose interim record is due (it changed before its due time, and no packet of
// it came since) emits that record first: both have the same counters, and the interim record comes no
// later than the snapshot.
TEST(FlowShard, LiveSnapshotOfADueFlowFollowsItsInterimRecord) {
  lib::FlowConfig cfg = small_config();
  cfg.live_update_ms = 1000;
  cfg.active_timeout_s = 10;
  CollectingSink sink;
  FlowShard shard(cfg, 0, sink);
  // Flow A, due at 10 s: its last packet at 9.5 s, after the snapshot of that time.
  for (uint64_t ms = 0; ms <= 9'500; ms += 500)
    shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0 + ms * 1'000'000, 0, kLayerInner);
  sink.recs.clear();
  shard.process(packet(17, 3, 3000, 4, 2000, 5), kT0 + 10'700'000'000, 0, kLayerInner);  // the 10.5 s tick
  ASSERT_EQ(sink.recs.size(), 2u);
  EXPECT_EQ(sink.recs[0].reason, lib::EndReason::kActiveTimeout);
  EXPECT_EQ(sink.recs[0].emit_ns, kT0 + 10'700'000'000);
  EXPECT_EQ(sink.recs[0].dir[0].packets, 20u);
  EXPECT_EQ(sink.recs[1].reason, lib::EndReason::kLiveUpdate);
  EXPECT_EQ(sink.recs[1].sequence, 1u);
  EXPECT_EQ(sink.recs[1].dir[0].packets, 20u);
  shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0 + 11 * kSec, 0, kLayerInner);
  EXPECT_EQ(sink.recs.size(), 2u);  // not due again before 20.7 s
  EXPECT_EQ(shard.counters().interim_records.get(), 1u);
}

// Flows with the same port, VLANs and MAC addresses share one interned FlowContext, and every way a flow
// ends gives its reference back (issue 3: the entry holds a 4-byte id).
TEST(FlowShard, FlowContextsAreSharedAndEveryEndGivesTheReferenceBack) {
  lib::FlowConfig cfg = small_config();
  cfg.max_flows_per_worker = 8;
  CollectingSink sink;
  FlowShard shard(cfg, 0, sink);
  auto with_l2 = [](lib::DecodedPacket p, uint8_t mac_src, uint8_t mac_dst) {
    p.has_mac = true;
    p.src_mac = {0xa, 0, 0, 0, 0, mac_src};
    p.dst_mac = {0xa, 0, 0, 0, 0, mac_dst};
    p.vlan_count = 1;
    p.vlan_ids = {42, 0};
    return p;
  };
  uint64_t t = kT0;
  for (uint16_t sport = 1000; sport < 1006; ++sport) {  // six flows between the same two routers
    shard.process(with_l2(packet(17, 1, sport, 2, 2000, 5), 1, 2), t += 1000, 4, kLayerInner);
    shard.process(with_l2(packet(17, 2, 2000, 1, sport, 5), 2, 1), t += 1000, 4, kLayerInner);
  }
  EXPECT_EQ(shard.contexts().distinct(), 1u);
  shard.process(with_l2(packet(17, 3, 1, 2, 2000, 5), 3, 2), t += 1000, 4, kLayerInner);  // another MAC
  EXPECT_EQ(shard.contexts().distinct(), 2u);
  // A role flip swaps the MACs: a SYN-ACK first, then the SYN.
  shard.process(with_l2(packet(6, 2, 80, 1, 50000, 0, 0x12, 500, 101), 2, 1), t += 1000, 4, kLayerInner);
  shard.process(with_l2(packet(6, 1, 50000, 2, 80, 0, 0x02, 100, 0), 1, 2), t += 1000, 4, kLayerInner);
  // Eight flows: the next evicts; then idle timeouts, then the rest at shutdown.
  shard.process(with_l2(packet(17, 5, 1, 6, 2, 5), 5, 6), t += 1000, 4, kLayerInner);
  EXPECT_EQ(shard.counters().flows_evicted.get(), 1u);
  shard.process(with_l2(packet(17, 7, 1, 8, 2, 5), 7, 8), t += 61 * kSec, 4, kLayerInner);
  EXPECT_GE(sink.recs.size(), 8u);
  shard.flush_all(lib::EndReason::kShutdown);
  EXPECT_EQ(shard.contexts().distinct(), 0u);
  EXPECT_EQ(shard.contexts().exhausted.get(), 0u);
  for (const lib::FlowRecord& r : sink.recs) {
    EXPECT_EQ(r.port_id, 4);
    EXPECT_EQ(r.vlan_count, 1);
    EXPECT_EQ(r.vlan_ids[0], 42);
    ASSERT_TRUE(r.dir[0].has_mac);
    EXPECT_EQ(r.dir[0].mac[5], r.src_ip.v4()[3]);  // each host's MAC ends in its address
    if (r.dir[1].has_mac) {
      EXPECT_EQ(r.dir[1].mac[5], r.dst_ip.v4()[3]);
    }
  }
}

// No order of due times is kept: a flow's interim record comes at its first packet at or after the due
// time, before that packet is counted, whatever other flows' packets came first. A flow silent since its
// due time gets none: its final record (here its idle timeout) carries the counters the interim record
// would have had.
TEST(FlowShard, InterimRecordComesAtTheFlowsFirstPacketPastItsDueTime) {
  lib::FlowConfig cfg = small_config();
  cfg.active_timeout_s = 10;  // UDP idle timeout 60 s
  CollectingSink sink;
  FlowShard shard(cfg, 0, sink);
  auto busy = [](uint64_t t) { return std::pair{packet(17, 1, 1000, 2, 2000, 5), t}; };
  std::vector<std::pair<lib::DecodedPacket, uint64_t>> packets;
  for (uint64_t s = 0; s <= 25; ++s) packets.push_back(busy(kT0 + s * kSec));
  packets.push_back(busy(kT0 + 70 * kSec));
  for (const uint64_t ms : {0u, 4'000u})  // silent from 4 s on
    packets.emplace_back(packet(17, 3, 3000, 4, 2000, 5), kT0 + ms * 1'000'000 + 1);
  for (const uint64_t ms : {0u, 13'500u, 14'000u})  // its first packet past 10 s is at 13.5 s
    packets.emplace_back(packet(17, 5, 4000, 6, 2000, 5), kT0 + ms * 1'000'000 + 2);
  std::stable_sort(packets.begin(), packets.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  for (const auto& [p, t] : packets) shard.process(p, t, 0, kLayerInner);
  shard.flush_all(lib::EndReason::kShutdown);

  auto of = [&](uint16_t port) {
    std::vector<lib::FlowRecord> r;
    for (const lib::FlowRecord& x : sink.recs)
      if (x.src_port == port) r.push_back(x);
    return r;
  };
  const std::vector<lib::FlowRecord> a = of(1000), silent = of(3000), late = of(4000);
  ASSERT_EQ(a.size(), 4u);
  const uint64_t a_emit[] = {10, 20, 70};
  const uint32_t a_packets[] = {10, 20, 26, 27};
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].final, i == 3) << i;
    EXPECT_EQ(a[i].sequence, i) << i;
    EXPECT_EQ(a[i].dir[0].packets, a_packets[i]) << i;
    if (i < 3) {
      EXPECT_EQ(a[i].reason, lib::EndReason::kActiveTimeout) << i;
      EXPECT_EQ(a[i].emit_ns, kT0 + a_emit[i] * kSec) << i;  // the third: due at 30 s, silent until 70 s
    }
  }
  ASSERT_EQ(silent.size(), 1u);
  EXPECT_TRUE(silent[0].final);
  EXPECT_EQ(silent[0].reason, lib::EndReason::kIdleTimeout);
  EXPECT_EQ(silent[0].emit_ns, kT0 + 70 * kSec);  // idle since 4 s: ended by the packet at 70 s
  EXPECT_EQ(silent[0].sequence, 0u);
  EXPECT_EQ(silent[0].dir[0].packets, 2u);
  ASSERT_EQ(late.size(), 2u);
  EXPECT_FALSE(late[0].final);
  EXPECT_EQ(late[0].emit_ns, kT0 + 13'500'000'002);
  EXPECT_EQ(late[0].dir[0].packets, 1u);
  EXPECT_TRUE(late[1].final);
  EXPECT_EQ(late[1].sequence, 1u);
  EXPECT_EQ(late[1].dir[0].packets, 3u);
  EXPECT_EQ(shard.counters().interim_records.get(), 4u);
}

// A full table evicts a flow for every new one: each ends with its final record and no interim record,
// and the long flow still gets its interim records on time.
TEST(FlowShard, InterimRecordsOfALongFlowAmidEvictions) {
  lib::FlowConfig cfg = small_config();
  cfg.max_flows_per_worker = 4;
  cfg.active_timeout_s = 10;
  CollectingSink sink;
  FlowShard shard(cfg, 0, sink);
  uint16_t port = 1;
  for (uint64_t ms = 0; ms <= 25'000; ms += 100) {
    const uint64_t t = kT0 + ms * 1'000'000;
    shard.process(packet(17, 1, 1000, 2, 2000, 5), t, 0, kLayerInner);        // the long flow, most recent
    shard.process(packet(17, 3, port++, 4, 2000, 5), t + 1, 0, kLayerInner);  // evicts a short one
  }
  shard.flush_all(lib::EndReason::kShutdown);
  std::vector<lib::FlowRecord> interim;
  size_t finals = 0;
  for (const lib::FlowRecord& r : sink.recs) {
    if (!r.final)
      interim.push_back(r);
    else
      ++finals;
  }
  ASSERT_EQ(interim.size(), 2u);  // at 10 s and 20 s
  EXPECT_EQ(interim[0].src_port, 1000);
  EXPECT_EQ(interim[0].emit_ns, kT0 + 10 * kSec);
  EXPECT_EQ(interim[1].src_port, 1000);
  EXPECT_EQ(interim[1].emit_ns, kT0 + 20 * kSec);
  EXPECT_EQ(interim[1].sequence, 1u);
  EXPECT_EQ(shard.counters().interim_records.get(), 2u);
  EXPECT_EQ(finals, shard.counters().flows_created.get());  // every flow once, evicted or flushed
  EXPECT_EQ(shard.counters().flows_evicted.get(), shard.counters().flows_created.get() - 4);
}

// A flow that changed and then ended is not in the next snapshot, also when a new flow took its entry.
TEST(FlowShard, LiveSnapshotsSkipFlowsThatEnded) {
  lib::FlowConfig cfg = small_config();
  cfg.max_flows_per_worker = 2;
  cfg.live_update_ms = 1000;
  CollectingSink sink;
  FlowShard shard(cfg, 0, sink);
  shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0, 0, kLayerInner);              // A
  shard.process(packet(17, 3, 1000, 4, 2000, 5), kT0, 0, kLayerInner);              // B (A's snapshot first)
  shard.process(packet(17, 1, 1000, 2, 2000, 5), kT0 + kSec / 10, 0, kLayerInner);  // A again
  shard.process(packet(17, 5, 1000, 6, 2000, 5), kT0 + kSec / 5, 0, kLayerInner);   // C evicts B
  ASSERT_EQ(sink.recs.size(), 2u);
  EXPECT_EQ(sink.recs[1].reason, lib::EndReason::kEvicted);
  EXPECT_EQ(sink.recs[1].src_ip, v4(3));
  shard.expire(kT0 + kSec);
  ASSERT_EQ(sink.recs.size(), 4u);
  EXPECT_EQ(sink.recs[2].reason, lib::EndReason::kLiveUpdate);
  EXPECT_EQ(sink.recs[2].src_ip, v4(1));
  EXPECT_EQ(sink.recs[3].reason, lib::EndReason::kLiveUpdate);
  EXPECT_EQ(sink.recs[3].src_ip, v4(5));
  shard.expire(kT0 + 2 * kSec);
  EXPECT_EQ(sink.recs.size(), 4u);
}

// Zeek's attempt timer runs from the first SYN however often it is sent again: the activity time stays
// while last_ns moves (kept beside the TCP machine, FlowShard::activity_ns()).
TEST(FlowShard, RetransmittedSynsDoNotPostponeTheAttemptTimeout) {
  CollectingSink sink;
  FlowShard shard(small_config(), 0, sink);
  for (uint64_t s = 0; s < 4; ++s)
    shard.process(packet(6, 1, 50000, 2, 80, 0, 0x02, 100, 0), kT0 + s * kSec, 0, kLayerInner);
  shard.process(packet(17, 7, 1, 8, 2), kT0 + 5 * kSec - 1, 0, kLayerInner);
  EXPECT_TRUE(sink.recs.empty());
  shard.process(packet(17, 7, 1, 8, 2), kT0 + 5 * kSec, 0, kLayerInner);
  ASSERT_EQ(sink.recs.size(), 1u);
  EXPECT_EQ(sink.recs[0].reason, lib::EndReason::kIdleTimeout);
  EXPECT_EQ(sink.recs[0].dir[0].packets, 4u);
  EXPECT_EQ(sink.recs[0].last_ns, kT0 + 3 * kSec);
}

// An Ethernet + IPv4 + TCP (proto 6) or UDP frame with `payload` zero bytes.
std::vector<uint8_t> frame(uint8_t proto, uint8_t src, uint16_t sport, uint8_t dst, uint16_t dport,
                           uint32_t payload, uint8_t tcp_flags = 0, uint32_t seq = 0, uint32_t ack = 0) {
  const uint32_t l4 = proto == 6 ? 20 : 8, ip_len = 20 + l4 + payload;
  std::vector<uint8_t> f(14 + ip_len, 0);
  auto put16 = [&](size_t at, uint32_t v) {
    f[at] = uint8_t(v >> 8);
    f[at + 1] = uint8_t(v);
  };
  auto put32 = [&](size_t at, uint32_t v) {
    put16(at, v >> 16);
    put16(at + 2, v & 0xffff);
  };
  for (size_t i = 0; i < 6; ++i) f[i] = dst, f[6 + i] = src;  // MACs: one per host
  put16(12, 0x0800);
  f[14] = 0x45;
  put16(16, ip_len);
  f[22] = 64;
  f[23] = proto;
  const uint8_t s4[4] = {10, 0, 0, src}, d4[4] = {10, 0, 0, dst};
  std::copy_n(s4, 4, &f[26]);
  std::copy_n(d4, 4, &f[30]);
  put16(34, sport);
  put16(36, dport);
  if (proto == 6) {
    put32(38, seq);
    put32(42, ack);
    f[46] = 0x50;
    f[47] = tcp_flags;
    put16(48, 1000);
  } else {
    put16(38, l4 + payload);
  }
  return f;
}

// A packet through the summary path as the worker gives it: the lookup started and, with `hint`, its entry
// prefetched (the worker's staged burst), then process(summary, lookup, frame).
void process_summary(FlowShard& shard, const lib::PacketSummary& s, const std::vector<uint8_t>& f,
                     const lib::DecodedPacket& pkt, uint64_t ts, bool hint) {
  FlowShard::FlowLookup l;
  shard.start_lookup(s, l);
  if (hint) shard.prefetch_entries(std::span(&l, 1));
  shard.process(s, l, FlowShard::Frame{f.data(), uint32_t(f.size()), lib::LinkType::kEthernet, pkt.frame_len},
                ts, 0);
}

// The RX lcore's summary and the worker's decode must account a packet the same way: a TCP session (role
// flip on a SYN-ACK first, data both ways, close), a UDP flow whose responder's MAC comes later, and a
// flow that starts again on the same tuple, through one shard fed DecodedPackets and two fed summaries
// wherever lib::summarize() gives one: one without the table hint (FlowShard::account_summary()), one with
// it, as the worker's burst gives it (FlowShard::account_classified(), inline for plain segments).
TEST(FlowShard, SummarisedPacketsAccountAsDecodedOnes) {
  std::vector<std::vector<uint8_t>> frames = {
      frame(6, 2, 41000, 1, 40000, 0, 0x12, 5000, 1001),  // SYN-ACK first: originator guessed
      frame(6, 1, 40000, 2, 41000, 0, 0x10, 1001, 5001),  // its ACK flips the roles (no SYN)
      frame(6, 2, 41000, 1, 40000, 100, 0x18, 5001, 1001),
      frame(6, 1, 40000, 2, 41000, 1400, 0x18, 1001, 5101),
      frame(6, 1, 40000, 2, 41000, 1400, 0x10, 1001, 5101),  // a retransmission
      frame(6, 2, 41000, 1, 40000, 200, 0x18, 5101, 2401),   // plain segments: more data, an ACK
      frame(6, 1, 40000, 2, 41000, 0, 0x10, 2401, 5301),
      frame(17, 3, 5000, 4, 6000, 50),
      frame(17, 3, 5000, 4, 6000, 60),
      frame(17, 4, 6000, 3, 5000, 70),  // the responder's first packet: its MAC
      frame(6, 2, 41000, 1, 40000, 0, 0x11, 5301, 2401),
      frame(6, 1, 40000, 2, 41000, 0, 0x11, 2401, 5302),
      frame(6, 2, 41000, 1, 40000, 0, 0x10, 5302, 2402),
      frame(6, 1, 40000, 2, 41000, 0, 0x02, 90000, 0),  // a new connection on the tuple
      frame(6, 2, 41000, 1, 40000, 0, 0x12, 7000, 90001),
      frame(6, 1, 40000, 2, 41000, 10, 0x18, 90001, 7001),
      frame(6, 2, 41000, 1, 40000, 0, 0x04, 7001, 0),
  };
  CollectingSink decoded_sink, summary_sink, hinted_sink;
  FlowShard decoded(small_config(), 0, decoded_sink), summarised(small_config(), 0, summary_sink),
      hinted(small_config(), 0, hinted_sink);
  unsigned summaries = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto& f = frames[i];
    const uint64_t ts = kT0 + i * kSec / 10;
    lib::DecodedPacket pkt;
    ASSERT_EQ(lib::decode_packet(f.data(), uint32_t(f.size()), lib::LinkType::kEthernet, pkt),
              lib::PacketClass::kFlow);
    pkt.frame_len = uint32_t(f.size());
    decoded.process(pkt, ts, 0, kLayerInner);
    lib::PacketSummary s;
    if (lib::summarize(pkt, s)) {
      ++summaries;
      process_summary(summarised, s, f, pkt, ts, false);
      process_summary(hinted, s, f, pkt, ts, true);
    } else {
      summarised.process(pkt, ts, 0, kLayerInner);
      hinted.process(pkt, ts, 0, kLayerInner);
    }
  }
  EXPECT_EQ(summaries, 14u);  // all but the three with a SYN
  decoded.flush_all(lib::EndReason::kShutdown);
  summarised.flush_all(lib::EndReason::kShutdown);
  hinted.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(decoded_sink.recs.size(), 3u);
  ASSERT_EQ(summary_sink.recs.size(), decoded_sink.recs.size());
  ASSERT_EQ(hinted_sink.recs.size(), decoded_sink.recs.size());
  for (size_t i = 0; i < 2 * decoded_sink.recs.size(); ++i) {
    const size_t r = i % decoded_sink.recs.size();
    const CollectingSink& other = i < decoded_sink.recs.size() ? summary_sink : hinted_sink;
    const lib::FlowRecord &a = decoded_sink.recs[r], &b = other.recs[r];
    EXPECT_EQ(a.flow_id, b.flow_id);
    EXPECT_EQ(a.src_ip, b.src_ip);
    EXPECT_EQ(a.src_port, b.src_port);
    EXPECT_EQ(a.dst_port, b.dst_port);
    EXPECT_EQ(a.first_ns, b.first_ns);
    EXPECT_EQ(a.last_ns, b.last_ns);
    EXPECT_EQ(a.conn_state, b.conn_state);
    EXPECT_EQ(std::string(a.history.data(), a.history_len), std::string(b.history.data(), b.history_len));
    EXPECT_EQ(a.reason, b.reason);
    for (size_t d = 0; d < 2; ++d) {
      EXPECT_EQ(a.dir[d].packets, b.dir[d].packets);
      EXPECT_EQ(a.dir[d].frame_bytes, b.dir[d].frame_bytes);
      EXPECT_EQ(a.dir[d].ip_bytes, b.dir[d].ip_bytes);
      EXPECT_EQ(a.dir[d].payload_bytes, b.dir[d].payload_bytes);
      EXPECT_EQ(a.dir[d].tcp_flags, b.dir[d].tcp_flags);
      EXPECT_EQ(a.dir[d].has_mac, b.dir[d].has_mac);
      EXPECT_EQ(a.dir[d].mac, b.dir[d].mac);
    }
  }
  EXPECT_TRUE(decoded_sink.recs[2].dir[1].has_mac);  // the UDP responder's MAC, from its decoded frame
  EXPECT_EQ(decoded.counters().packets.get(), summarised.counters().packets.get());
  EXPECT_EQ(decoded.counters().packets.get(), hinted.counters().packets.get());
  EXPECT_EQ(decoded.counters().tcp_reuse.get(), 1u);
  EXPECT_EQ(summarised.counters().tcp_reuse.get(), 1u);
  EXPECT_EQ(hinted.counters().tcp_reuse.get(), 1u);
}

// A classified flow's packets take account_classified(), which tests the due time before anything else:
// the interim records are those of the same packets decoded.
TEST(FlowShard, SummarisedPacketsEmitInterimRecordsAsDecodedOnes) {
  lib::FlowConfig cfg = small_config();
  cfg.active_timeout_s = 10;
  CollectingSink decoded_sink, hinted_sink;
  FlowShard decoded(cfg, 0, decoded_sink), hinted(cfg, 0, hinted_sink);
  for (uint64_t i = 0; i <= 50; ++i) {
    const std::vector<uint8_t> f = i % 2 ? frame(17, 4, 6000, 3, 5000, 70) : frame(17, 3, 5000, 4, 6000, 50);
    const uint64_t ts = kT0 + i * kSec / 2;
    lib::DecodedPacket pkt;
    ASSERT_EQ(lib::decode_packet(f.data(), uint32_t(f.size()), lib::LinkType::kEthernet, pkt),
              lib::PacketClass::kFlow);
    pkt.frame_len = uint32_t(f.size());
    decoded.process(pkt, ts, 0, kLayerInner);
    lib::PacketSummary s;
    ASSERT_TRUE(lib::summarize(pkt, s));
    process_summary(hinted, s, f, pkt, ts, true);
  }
  decoded.flush_all(lib::EndReason::kShutdown);
  hinted.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(decoded_sink.recs.size(), 3u);  // interim records at 10 s and 20 s, the final one
  ASSERT_EQ(hinted_sink.recs.size(), decoded_sink.recs.size());
  for (size_t i = 0; i < decoded_sink.recs.size(); ++i) {
    const lib::FlowRecord &a = decoded_sink.recs[i], &b = hinted_sink.recs[i];
    EXPECT_EQ(a.final, i == 2) << i;
    EXPECT_EQ(b.final, a.final) << i;
    EXPECT_EQ(b.emit_ns, a.emit_ns) << i;
    EXPECT_EQ(b.sequence, a.sequence) << i;
    EXPECT_EQ(b.dir[0].packets, a.dir[0].packets) << i;
    EXPECT_EQ(b.dir[1].packets, a.dir[1].packets) << i;
    EXPECT_EQ(b.dir[1].frame_bytes, a.dir[1].frame_bytes) << i;
  }
  EXPECT_EQ(decoded_sink.recs[0].emit_ns, kT0 + 10 * kSec);
  EXPECT_EQ(decoded_sink.recs[0].dir[0].packets + decoded_sink.recs[0].dir[1].packets, 20u);
  EXPECT_EQ(decoded_sink.recs[1].emit_ns, kT0 + 20 * kSec);
  EXPECT_EQ(hinted.counters().interim_records.get(), 2u);
}

// A flow holds a FlowSide only while a stage needs it: the parse state while the HTTP parser waits for the
// response, then nothing (a classified flow keeps its entry and its metadata only); the record is whole.
TEST(FlowShard, ParsedFlowGivesItsSideSlotBack) {
  CollectingSink sink;
  AppDissector apps(64, 1024);
  FlowShard shard(small_config(), 0, sink, nullptr, &apps);
  auto with_payload = [](lib::DecodedPacket p, std::string_view text) {
    p.payload = reinterpret_cast<const uint8_t*>(text.data());
    p.payload_captured = static_cast<uint32_t>(text.size());
    return p;
  };
  constexpr std::string_view kRequest = "GET /index.html HTTP/1.1\r\nHost: example.org\r\n\r\n";
  constexpr std::string_view kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  shard.process(packet(6, 1, 40000, 2, 80, 0, 0x02, 100, 0), kT0, 0, kLayerInner);
  shard.process(packet(6, 2, 80, 1, 40000, 0, 0x12, 500, 101), kT0 + 1, 0, kLayerInner);
  shard.process(packet(6, 1, 40000, 2, 80, 0, 0x10, 101, 501), kT0 + 2, 0, kLayerInner);
  EXPECT_EQ(shard.sides().in_use(), 0u);  // no payload yet: nothing to keep
  const auto req = static_cast<uint32_t>(kRequest.size()), resp = static_cast<uint32_t>(kResponse.size());
  shard.process(with_payload(packet(6, 1, 40000, 2, 80, req, 0x18, 101, 501), kRequest), kT0 + 3, 0,
                kLayerInner);
  EXPECT_EQ(shard.sides().in_use(), 1u);  // the parse state waits for the response
  EXPECT_EQ(apps.parse_states_in_use(), 1u);
  shard.process(with_payload(packet(6, 2, 80, 1, 40000, resp, 0x18, 501, 101 + req), kResponse), kT0 + 4, 0,
                kLayerInner);
  EXPECT_EQ(shard.sides().in_use(), 0u);
  EXPECT_EQ(apps.parse_states_in_use(), 0u);
  shard.process(packet(6, 1, 40000, 2, 80, 0, 0x10, 101 + req, 501 + resp), kT0 + 5, 0, kLayerInner);
  EXPECT_EQ(shard.sides().in_use(), 0u);
  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 1u);
  const lib::FlowRecord& r = sink.recs[0];
  EXPECT_EQ(r.app.kind, lib::AppKind::kHttp);
  EXPECT_EQ(lib::get_text(r.app.http.method), "GET");
  EXPECT_EQ(lib::get_text(r.app.http.host), "example.org");
  EXPECT_EQ(r.app.http.status, 200);
  EXPECT_EQ(r.dir[0].packets, 4u);
  EXPECT_EQ(r.dir[1].packets, 2u);
  EXPECT_EQ(std::string_view(r.history.data(), r.history_len), "ShADd");  // no pure ACK from the server
}

// A DHCP client's flow rarely sees the server's ACK (sent to another address): its metadata is packed
// while it waits, and unpacked again if the ACK comes after all; nothing is lost, and in between the flow
// holds no 1.3 kB metadata slot. So is a multicast name query's (mDNS); a unicast DNS query's is not
// packed before its answer (which comes).
TEST(FlowShard, WaitingDhcpMetadataIsPackedBetweenMessages) {
  CollectingSink sink;
  AppDissector apps(64, 1024);
  FlowShard shard(small_config(), 0, sink, nullptr, &apps);
  auto with_payload = [](lib::DecodedPacket p, const std::vector<uint8_t>& bytes) {
    p.payload = bytes.data();
    p.payload_captured = static_cast<uint32_t>(bytes.size());
    p.payload_len = static_cast<uint32_t>(bytes.size());
    p.inner.ip_bytes = 28 + p.payload_len;
    return p;
  };
  auto bootp = [](uint8_t op, uint8_t type, std::initializer_list<uint8_t> more) {
    std::vector<uint8_t> b(lib::kBootpHeaderLen, 0);
    b[0] = op;
    b[1] = 1;
    b[2] = 6;
    const uint8_t yiaddr[4] = {10, 0, 0, 50}, mac[6] = {0x00, 0x1a, 0xe9, 0x9d, 0x53, 0xb7};
    if (op == 2) std::copy_n(yiaddr, 4, &b[16]);
    std::copy_n(mac, 6, &b[28]);
    b.insert(b.end(), {99, 130, 83, 99, 53, 1, type});
    b.insert(b.end(), more);
    b.push_back(255);
    return b;
  };
  const std::vector<uint8_t> request = bootp(1, 3, {12, 3, 'W', 'i', 'i', 55, 4, 1, 3, 6, 15});
  const std::vector<uint8_t> ack = bootp(2, 5, {});
  shard.process(with_payload(packet(17, 1, 68, 2, 67), request), kT0, 0, kLayerInner);
  EXPECT_EQ(apps.metadata_in_use(), 0u);  // parked: packed
  EXPECT_EQ(apps.packed().in_use(0) + apps.packed().in_use(1) + apps.packed().in_use(2), 1u);
  shard.process(with_payload(packet(17, 2, 67, 1, 68), ack), kT0 + 1, 0, kLayerInner);
  EXPECT_EQ(apps.metadata_in_use(), 0u);  // done: packed for good

  std::vector<uint8_t> query = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  query.insert(query.end(), {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0, 0, 1, 0, 1});
  shard.process(with_payload(packet(17, 3, 40000, 4, 53), query), kT0 + 2, 0, kLayerInner);
  EXPECT_EQ(apps.metadata_in_use(), 1u);  // a DNS query waits unpacked for its answer
  // The same question as an mDNS query (multicast: answers come from the responders' addresses): parked.
  shard.process(with_payload(packet(17, 3, 5353, 5, 5353), query), kT0 + 3, 0, kLayerInner);
  EXPECT_EQ(apps.metadata_in_use(), 1u);

  shard.flush_all(lib::EndReason::kShutdown);
  ASSERT_EQ(sink.recs.size(), 3u);
  for (const lib::FlowRecord& dns : sink.recs)
    if (dns.app.kind == lib::AppKind::kDns) {
      EXPECT_EQ(lib::get_text(dns.app.dns.qname), "example.org");
    }
  const lib::FlowRecord& r = *std::find_if(sink.recs.begin(), sink.recs.end(), [](const lib::FlowRecord& x) {
    return x.app.kind == lib::AppKind::kDhcp;
  });
  ASSERT_EQ(r.app.kind, lib::AppKind::kDhcp);
  const lib::DhcpMetadata& d = r.app.dhcp;
  EXPECT_EQ(d.message_type, 3u);
  EXPECT_TRUE(d.has_client_mac);
  EXPECT_EQ(d.client_mac[5], 0xb7);
  EXPECT_EQ(lib::get_text(d.hostname), "Wii");
  EXPECT_EQ(lib::get_text(d.parameter_list), "1,3,6,15");
  EXPECT_EQ(d.assigned_ip, v4(50));  // from the ACK, added after unpacking
  for (size_t c = 0; c < PackedMetadataStore::kClasses; ++c) EXPECT_EQ(apps.packed().in_use(c), 0u);
}

// Payload prefixes (for rules) live in the flow's FlowSide: kept from the first payload to the end of the
// flow, following a role flip, and given back with it.
TEST(FlowShard, PayloadPrefixesStayInTheSideUntilTheFlowEnds) {
  CollectingSink sink;
  PayloadPrefixCapture prefixes(64);
  FlowShard shard(small_config(), 0, sink, nullptr, nullptr, &prefixes);
  auto with_payload = [](lib::DecodedPacket p, std::string_view text) {
    p.payload = reinterpret_cast<const uint8_t*>(text.data());
    p.payload_captured = static_cast<uint32_t>(text.size());
    return p;
  };
  shard.process(packet(17, 1, 40000, 2, 9999, 0), kT0, 0, kLayerInner);
  EXPECT_EQ(shard.sides().in_use(), 0u);  // no payload yet
  shard.process(with_payload(packet(17, 1, 40000, 2, 9999, 5), "hello"), kT0 + 1, 0, kLayerInner);
  shard.process(with_payload(packet(17, 2, 9999, 1, 40000, 5), "world"), kT0 + 2, 0, kLayerInner);
  EXPECT_EQ(shard.sides().in_use(), 1u);
  EXPECT_EQ(prefixes.in_use(), 1u);
  shard.flush_all(lib::EndReason::kShutdown);
  EXPECT_EQ(shard.sides().in_use(), 0u);
  EXPECT_EQ(prefixes.in_use(), 0u);
  ASSERT_EQ(sink.recs.size(), 1u);
  const lib::FlowRecord& r = sink.recs[0];
  ASSERT_EQ(r.payload[0].len, 5u);
  ASSERT_EQ(r.payload[1].len, 5u);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(r.payload[0].bytes.data()), 5), "hello");
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(r.payload[1].bytes.data()), 5), "world");
}

}  // namespace
}  // namespace spanwatch::workers
