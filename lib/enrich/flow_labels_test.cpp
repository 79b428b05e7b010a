#include "lib/enrich/flow_labels.hpp"

#include <gtest/gtest.h>

#include "lib/enrich/flow_rate_tracker.hpp"

namespace spanwatch::lib {
namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20;

FlowRecord tcp(ConnState st, uint8_t orig_flags, uint64_t orig_pkts, uint8_t resp_flags, uint64_t resp_pkts) {
  FlowRecord r;
  r.l4_proto = 6;
  r.conn_state = st;
  r.first_ns = 1'000'000'000;
  r.last_ns = 2'000'000'000;
  r.dir[0].tcp_flags = orig_flags;
  r.dir[0].packets = orig_pkts;
  r.dir[0].frame_bytes = orig_pkts * 60;
  r.dir[1].tcp_flags = resp_flags;
  r.dir[1].packets = resp_pkts;
  r.dir[1].frame_bytes = resp_pkts * 60;
  return r;
}

std::vector<std::string_view> names(FlowLabelSet s) {
  std::vector<std::string_view> v;
  for (size_t i = 0; i < kFlowLabelNames.size(); ++i)
    if (has_label(s, FlowLabel(i))) v.push_back(kFlowLabelNames[i]);
  return v;
}

using V = std::vector<std::string_view>;
const FlowLabelThresholds kT{};

TEST(FlowLabels, CompletedConnectionHasNoLabel) {
  FlowRecord r = tcp(ConnState::kSF, kSyn | kAck | kFin | kPsh, 8, kSyn | kAck | kFin | kPsh, 7);
  r.dir[0].payload_bytes = 300;
  r.dir[1].payload_bytes = 5000;
  EXPECT_EQ(names(flow_labels(r, kT)), V{});
}

TEST(FlowLabels, UnansweredSynIsAnAttemptAndAPotentialScan) {
  EXPECT_EQ(names(flow_labels(tcp(ConnState::kS0, kSyn, 3, 0, 0), kT)),
            (V{"connection_attempt", "potential_scan"}));
}

TEST(FlowLabels, UnansweredSynWithDataIsNotAScan) {  // TCP Fast Open and the like: a client, not a probe
  FlowRecord r = tcp(ConnState::kS0, kSyn, 1, 0, 0);
  r.dir[0].payload_bytes = 100;
  EXPECT_EQ(names(flow_labels(r, kT)), V{"connection_attempt"});
}

TEST(FlowLabels, RefusedAndResetAttempts) {
  EXPECT_EQ(names(flow_labels(tcp(ConnState::kREJ, kSyn, 1, kRst | kAck, 1), kT)), V{"connection_attempt"});
  EXPECT_EQ(names(flow_labels(tcp(ConnState::kRSTOS0, kSyn | kRst, 2, 0, 0), kT)),
            (V{"connection_attempt", "potential_scan"}));
}

TEST(FlowLabels, ShIsAnAttemptOnlyWhenTheResponderSentNothing) {
  EXPECT_EQ(names(flow_labels(tcp(ConnState::kSH, kSyn | kFin, 2, 0, 0), kT)),
            (V{"connection_attempt", "potential_scan"}));
  FlowRecord r = tcp(ConnState::kSH, kSyn | kFin, 2, kAck, 1);
  r.dir[1].payload_bytes = 10;
  EXPECT_FALSE(has_label(flow_labels(r, kT), FlowLabel::kConnectionAttempt));
}

TEST(FlowLabels, NullFinXmasProbesArePotentialScans) {
  for (uint8_t f : {uint8_t{0}, kFin, uint8_t(kFin | kPsh | kUrg)}) {
    const FlowLabelSet s = flow_labels(tcp(ConnState::kOTH, f, 1, kRst | kAck, 1), kT);
    EXPECT_TRUE(has_label(s, FlowLabel::kPotentialScan)) << int(f);
  }
}

TEST(FlowLabels, OneWayUdpIsUnidirectional) {
  FlowRecord r;
  r.l4_proto = 17;
  r.dir[0].packets = 10;
  r.dir[0].frame_bytes = 1000;
  EXPECT_EQ(names(flow_labels(r, kT)), V{"unidirectional"});
}

TEST(FlowLabels, OneWayTcpThatAcknowledgesTheOtherSideIsAsymmetricCapture) {
  // Only the client's half crossed this span port: its ACKs show the server answered.
  FlowRecord r = tcp(ConnState::kOTH, kSyn | kAck | kPsh, 20, 0, 0);
  r.dir[0].payload_bytes = 4000;
  EXPECT_EQ(names(flow_labels(r, kT)), V{"asymmetric_capture"});
}

TEST(FlowLabels, Thresholds) {
  FlowRecord r = tcp(ConnState::kSF, kSyn | kAck | kFin, 10, kSyn | kAck | kFin, 10);
  FlowLabelThresholds t;
  t.long_lived_ns = 1'000'000'000;  // the record lasts exactly 1 s
  t.elephant_bytes = 1200;          // 20 packets of 60 bytes
  EXPECT_EQ(names(flow_labels(r, t)), (V{"long_lived", "elephant"}));
  t.long_lived_ns += 1;
  t.elephant_bytes += 1;
  EXPECT_EQ(names(flow_labels(r, t)), V{});
}

TEST(FlowRateTracker, RateBetweenRecordsOfOneFlow) {
  FlowRateTracker t(1024);
  EXPECT_FALSE(t.update(7, 1000, 1'000'000'000, false));
  const auto rate = t.update(7, 126'000, 2'000'000'000, false);  // 125 kB in 1 s
  ASSERT_TRUE(rate);
  EXPECT_EQ(*rate, 1'000'000u);
  EXPECT_EQ(*t.update(7, 126'000 + 500, 2'500'000'000, true), 8000u);
  EXPECT_FALSE(t.update(7, 200'000, 3'000'000'000, false));  // the final record freed the slot
}

TEST(FlowRateTracker, FlowIdZeroAndCollisions) {
  FlowRateTracker t(1);  // one slot: every flow collides
  EXPECT_FALSE(t.update(0, 0, 10, false));
  EXPECT_FALSE(t.update(1, 50, 20, false));   // took the slot
  EXPECT_FALSE(t.update(0, 100, 30, false));  // lost its previous sample
}

TEST(BitsPerSecond, EmptyInterval) {
  EXPECT_EQ(bits_per_second(100, 5, 5), 0u);
  EXPECT_EQ(bits_per_second(1'000'000, 0, 8'000'000'000), 1'000'000u);
}

}  // namespace
}  // namespace spanwatch::lib
