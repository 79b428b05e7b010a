// Tests for the Zeek-compatible TCP state machine: one focused test per conn_state and history rule, and a
// regression run against Zeek's own conn.log baselines from the shared corpus (when it is present).
#include "lib/tcp/tcp_state_machine.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace spanwatch::lib {
namespace {

std::string history_of(const TcpStateMachine& m, const TcpRareStore& rare) {
  char h[TcpStateMachine::kMaxHistory];
  return std::string(h, m.copy_history(h, sizeof h, rare));
}

constexpr uint8_t F = 0x01, S = 0x02, R = 0x04, P = 0x08, A = 0x10;

// ---- a tiny driver that plays the flow table's part: orientation, flips, reuse ------------------------

struct Pkt {
  bool from_a;  // sent by host A (port a_port) rather than host B
  uint8_t flags;
  uint32_t seq, ack;
  uint32_t len = 0;
  uint16_t win = 8192;
};

struct Finished {
  std::string history;
  ConnState state;
};

struct Driver {
  uint16_t a_port = 40000, b_port = 8080;
  TcpRareStore rare{4};
  TcpStateMachine m;
  bool started = false;
  bool a_is_orig = true;
  std::vector<Finished> finished;
  std::vector<TcpVerdict> verdicts;

  TcpVerdict feed(const Pkt& p) {
    const TcpSegment s{p.flags, p.seq, p.ack, p.len, p.win};
    if (!started) {
      started = true;
      const uint16_t src = p.from_a ? a_port : b_port, dst = p.from_a ? b_port : a_port;
      const bool flip = TcpStateMachine::first_packet_from_responder(s, src, dst);
      a_is_orig = p.from_a != flip;
    }
    const Dir d = p.from_a == a_is_orig ? Dir::kOrig : Dir::kResp;
    const TcpVerdict v = m.on_packet(d, s, rare);
    verdicts.push_back(v);
    if (v == TcpVerdict::kFlipRoles) a_is_orig = !a_is_orig;
    if (v == TcpVerdict::kNewConnection) {
      end();
      return feed(p);
    }
    return v;
  }
  void feed_all(std::initializer_list<Pkt> ps) {
    for (const Pkt& p : ps) feed(p);
  }
  std::string history() const { return history_of(m, rare); }
  ConnState state() const { return m.conn_state(rare); }
  void end() {
    finished.push_back({history(), state()});
    m.release(rare);
    m = TcpStateMachine{};
    started = false;
  }
};

std::string name(ConnState s) {
  return std::string(kConnStateNames[size_t(s)]);
}

// A normal session from A (client, 40000) to B (server, 8080): handshake, one request, one reply, close.
void normal_session(Driver& d, uint32_t c = 1000, uint32_t s = 5000) {
  d.feed_all({{true, S, c, 0},
              {false, S | A, s, c + 1},
              {true, A, c + 1, s + 1},
              {true, P | A, c + 1, s + 1, 100},
              {false, A, s + 1, c + 101},
              {false, P | A, s + 1, c + 101, 200},
              {true, A, c + 101, s + 201},
              {true, F | A, c + 101, s + 201},
              {false, F | A, s + 201, c + 102},
              {true, A, c + 102, s + 202}});
}

// ---- object shape ---------------------------------------------------------------------------------------

TEST(TcpStateMachine, IsSmallPod) {
  static_assert(std::is_trivially_copyable_v<TcpStateMachine>);
  EXPECT_EQ(sizeof(TcpStateMachine), 40u);
  TcpStateMachine m;
  EXPECT_EQ(m.history_len(), 0u);
  EXPECT_EQ(m.conn_state(TcpRareStore(1)), ConnState::kOTH);  // nothing seen: both INACTIVE
}

// on_plain_segment() is on_packet() for the plain segments of established connections: for any segment it
// either leaves the machine untouched and declines, or leaves it byte for byte as on_packet() does. Random
// segments (in order, repeated, past the peer's data, zero windows, now and then a FIN or RST) on
// connections that the same segments drive through on_packet().
TEST(TcpStateMachine, PlainSegmentsAsOnPacket) {
  std::mt19937 rng(7);
  unsigned plain = 0, declined = 0, plain_flipped = 0;
  for (int conn = 0; conn < 300; ++conn) {
    Driver d;
    const uint32_t c = rng(), s = rng();
    std::array<uint32_t, 2> next{c + 1, s + 1};  // [Dir]: the next new sequence number
    const int start = conn % 3;  // roles as the first packet left them, or flipped (Zeek's '^')
    if (start == 0) {
      d.feed_all({{true, S, c, 0}, {false, S | A, s, c + 1}, {true, A, c + 1, s + 1}});
    } else if (start == 1) {  // SYN-ACK first, then the client's ACK flips the roles ("^h")
      d.a_port = 1080;
      d.b_port = 8000;
      d.feed_all({{false, S | A, s, c + 1}, {true, A, c + 1, s + 1}});
    } else {  // midstream, the server's data first ("^d"): partial endpoints, every segment declined
      d.feed_all({{false, P | A, s, c, 20}, {true, A, c, s + 20}, {true, P | A, c, s + 20, 5}});
      next = {c + 5, s + 20};
    }
    for (int i = 0; i < 300; ++i) {
      const auto dir = size_t(rng() % 2);
      const unsigned r = rng() % 1000;
      uint8_t flags = (r % 3 == 0) ? A : uint8_t(P | A);
      if (r < 2) flags |= F;
      if (r == 2) flags |= R;
      if (r == 3) flags = S;  // never summarised, but declined all the same
      const uint32_t len = (r % 5 == 0) ? 0 : 1 + rng() % 1460;
      uint32_t seq = next[dir];
      if (r % 17 == 0) seq -= rng() % 3000;  // a repeat
      if (r % 29 == 0) seq += rng() % 3000;  // a hole
      uint32_t ack = next[1 - dir];
      if (r % 13 == 0) ack -= rng() % 3000;
      if (r % 31 == 0) ack += rng() % 3000;  // acks data not seen
      if (r % 37 == 0) ack = 0;
      const uint16_t win = (r % 41 == 0) ? 0 : 8192;
      const TcpSegment seg{flags, seq, ack, len, win};
      const Dir dd = Dir(dir);
      TcpStateMachine fast = d.m;
      if (fast.on_plain_segment(dd, seg.flags, seg.seq, seg.ack, seg.payload_len, seg.window)) {
        ++plain;
        plain_flipped += start == 1;
        ASSERT_EQ(d.m.on_packet(dd, seg, d.rare), TcpVerdict::kContinue);
        ASSERT_EQ(std::memcmp(&fast, &d.m, sizeof fast), 0) << "connection " << conn << " segment " << i;
        for (const Dir side : {Dir::kOrig, Dir::kResp}) {  // what the flow's timeout class relies on
          ASSERT_EQ(fast.endpoint_state(side), TcpEndpointState::kEstablished);
          ASSERT_FALSE(fast.did_close(side));
        }
      } else {
        ++declined;
        ASSERT_EQ(std::memcmp(&fast, &d.m, sizeof fast), 0) << "declined, yet changed";
        if (d.m.on_packet(dd, seg, d.rare) == TcpVerdict::kNewConnection) break;
      }
      if (int32_t(seq + len - next[dir]) > 0) next[dir] = seq + len;
    }
    d.m.release(d.rare);
  }
  EXPECT_GT(plain, 20000u);  // about half of the handshaken connections': F and R close them early
  EXPECT_GT(plain_flipped, 10000u);
  EXPECT_GT(declined, 5000u);
}

// The repeat rules' sequence numbers and the T/W/G counts live in a TcpRareStore slot, taken only when one
// of them becomes non-zero: a clean connection has none until its FIN.
TEST(TcpRareState, TakenOnlyWhenAValueBecomesNonZero) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, A, 1001, 5001}});
  EXPECT_FALSE(d.m.has_rare_state());  // both SYNs are at relative sequence 0
  d.feed_all({{true, P | A, 1001, 5001, 100}, {false, P | A, 5001, 1101, 50}, {true, A, 1101, 5051}});
  EXPECT_FALSE(d.m.has_rare_state());
  EXPECT_EQ(d.rare.in_use(), 0u);
  d.feed(Pkt{true, P | A, 1001, 5051, 100});  // a retransmission
  EXPECT_TRUE(d.m.has_rare_state());
  EXPECT_EQ(d.rare.in_use(), 1u);
  EXPECT_EQ(d.history(), "ShADdT");
  d.end();
  EXPECT_EQ(d.rare.in_use(), 0u);  // given back with the connection
}

// A retransmission count needs only a small slot; the first other rare value moves the machine to a full
// one, which takes the counts over.
TEST(TcpRareState, RetransmissionsTakeASmallSlotUntilAnotherRareValue) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, A, 1001, 5001}});
  d.feed_all({{true, P | A, 1001, 5001, 100}, {false, P | A, 5001, 1101, 50}, {true, A, 1101, 5051}});
  d.feed(Pkt{true, P | A, 1001, 5051, 100});  // A's first retransmission
  EXPECT_EQ(d.m.rare_state_bytes(), sizeof(TcpRareCounts));
  d.feed(Pkt{false, A, 5051, 1101, 0, 0});  // B's zero window: a W count, which the small slot lacks
  EXPECT_EQ(d.m.rare_state_bytes(), sizeof(TcpRareState));
  EXPECT_EQ(d.rare.in_use(), 1u);  // the small slot went back
  EXPECT_EQ(d.history(), "ShADdTaw");
  for (int i = 2; i < 10; ++i) d.feed(Pkt{true, P | A, 1001, 5051, 100});
  EXPECT_EQ(d.history(), "ShADdTaw");
  d.feed(Pkt{true, P | A, 1001, 5051, 100});  // the 10th: the count came along
  EXPECT_EQ(d.history(), "ShADdTawT");
  d.end();
  EXPECT_EQ(d.rare.in_use(), 0u);
}

// A RST at its side's highest sequence number, as nearly every RST is, needs no slot: hist_last_rst is
// last_seq - start_seq while that holds.
TEST(TcpRareState, ARstAtTheEndNeedsNoSlot) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, A, 1001, 5001}});
  d.feed_all({{true, P | A, 1001, 5001, 100}, {false, P | A, 5001, 1101, 50}});
  d.feed(Pkt{true, R, 1101, 0});
  EXPECT_FALSE(d.m.has_rare_state());
  d.feed(Pkt{true, R, 1101, 0});  // the same RST again: no second R
  EXPECT_EQ(d.history(), "ShADdR");
  EXPECT_FALSE(d.m.has_rare_state());
  d.feed(Pkt{true, R, 1050, 0});  // another, lower: a second R, its number kept in the slot
  EXPECT_EQ(d.history(), "ShADdRR");
  EXPECT_TRUE(d.m.has_rare_state());
  d.feed(Pkt{true, R, 1050, 0});
  EXPECT_EQ(d.history(), "ShADdRR");
  d.feed(Pkt{true, R, 1101, 0});  // the first one again differs from the last: R
  EXPECT_EQ(d.history(), "ShADdRRR");
}

TEST(TcpRareState, AnImplicitRstIsWrittenOutBeforeLastSeqMoves) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {true, R, 1001, 0}});  // relative 1: last_seq - start_seq
  EXPECT_FALSE(d.m.has_rare_state());
  d.feed(Pkt{true, F, 1500, 0});  // only SYN and RST seen: the FIN moves last_seq
  EXPECT_TRUE(d.m.has_rare_state());
  d.feed(Pkt{true, R, 1001, 0});  // the same RST as before: no second R
  EXPECT_EQ(d.history(), "SRF");
}

// The counts of a small slot and an implicit RST belong to their endpoint, as the full slot's values do.
TEST(TcpRareState, SmallSlotCountsFollowTheEndpointsWhenRolesFlip) {
  Driver d;  // both ports likely servers: the SYN-ACK is not flipped on arrival, the client's ACK flips
  d.a_port = 1080;
  d.b_port = 8000;
  d.feed(Pkt{false, S | A, 5000, 1001, 10});  // B's first T: a SYN's data counts as a retransmission
  EXPECT_EQ(d.history(), "HT");
  EXPECT_EQ(d.m.rare_state_bytes(), sizeof(TcpRareCounts));
  EXPECT_EQ(d.feed(Pkt{true, A, 1001, 5011}), TcpVerdict::kFlipRoles);
  EXPECT_EQ(d.history(), "^htA");
  // B's retransmissions 2 to 9 add no letter, its 10th adds 't': the count moved with B to the responder.
  d.feed(Pkt{false, P | A, 5011, 1001, 10});
  for (int i = 2; i < 10; ++i) d.feed(Pkt{false, P | A, 5011, 1001, 10});
  EXPECT_EQ(d.history(), "^htAd");
  d.feed(Pkt{false, P | A, 5011, 1001, 10});
  EXPECT_EQ(d.history(), "^htAdt");
  d.feed(Pkt{false, R, 5021, 0});  // B's RST at its end: implicit, on B's side
  d.feed(Pkt{false, R, 5021, 0});
  EXPECT_EQ(d.history(), "^htAdtr");
  EXPECT_EQ(d.m.rare_state_bytes(), sizeof(TcpRareCounts));
}

TEST(TcpRareState, AFinAtTheEndNeedsNoSlot) {
  Driver d;
  normal_session(d);  // each FIN is its side's highest segment: hist_last_fin follows from last_seq
  EXPECT_FALSE(d.m.has_rare_state());
  d.feed(Pkt{true, F | A, 1101, 5202});  // the same FIN again: no second F
  EXPECT_EQ(d.history(), "ShADadFf");
  EXPECT_FALSE(d.m.has_rare_state());
}

TEST(TcpRareState, AnImplicitFinIsWrittenOutBeforeLastSeqMoves) {
  Driver d;
  normal_session(d);
  d.feed(Pkt{true, P | A, 1102, 5202, 10});  // data past the FIN: last_seq moves, the FIN's number stays
  EXPECT_TRUE(d.m.has_rare_state());
  d.feed(Pkt{true, F | A, 1101, 5202});  // the same FIN as before: no second F
  EXPECT_EQ(d.history(), "ShADadFf");
}

TEST(TcpRareState, AFinBelowTheHighestSegmentIsKeptInTheSlot) {
  Driver d;
  normal_session(d);
  d.feed(Pkt{true, F | A, 1050, 5202});  // another FIN, lower: a second F, its number kept in the slot
  EXPECT_EQ(d.history(), "ShADadFfF");
  EXPECT_TRUE(d.m.has_rare_state());
  d.feed(Pkt{true, F | A, 1050, 5202});  // the same again: no letter
  EXPECT_EQ(d.history(), "ShADadFfF");
  d.feed(Pkt{true, F | A, 1101, 5202});  // the first one again differs from the last: F
  EXPECT_EQ(d.history(), "ShADadFfFF");
}

TEST(TcpRareState, FollowsTheEndpointsWhenRolesFlip) {
  Driver d;  // both ports likely servers: the SYN-ACK is not flipped on arrival, the client's ACK flips
  d.a_port = 1080;
  d.b_port = 8000;
  d.feed(Pkt{false, S | A, 5000, 1001, 0, 0});  // zero window: B's first W
  EXPECT_EQ(d.history(), "HW");
  EXPECT_TRUE(d.m.has_rare_state());
  EXPECT_EQ(d.feed(Pkt{true, A, 1001, 5001}), TcpVerdict::kFlipRoles);
  EXPECT_EQ(d.history(), "^hwA");
  // B's zero windows 2 to 9 add no letter, its 10th adds 'w': the count moved with B to the responder.
  for (int i = 2; i < 10; ++i) d.feed(Pkt{false, A, 5001, 1001, 0, 0});
  EXPECT_EQ(d.history(), "^hwAa");
  d.feed(Pkt{false, A, 5001, 1001, 0, 0});
  EXPECT_EQ(d.history(), "^hwAaw");
}

TEST(TcpRareState, AFullStoreIsCountedAndLosesOnlyTheRareValues) {
  TcpRareStore rare(1);
  TcpStateMachine a, b;
  a.on_packet(Dir::kOrig, TcpSegment{S, 1000, 0, 0, 8192}, rare);  // relative sequence 0: no slot
  EXPECT_FALSE(a.has_rare_state());
  a.on_packet(Dir::kOrig, TcpSegment{R, 999, 0, 0, 0}, rare);  // hist_last_rst 2^32 - 1: below last_seq
  EXPECT_TRUE(a.has_rare_state());
  b.on_packet(Dir::kOrig, TcpSegment{S, 1000, 0, 0, 8192}, rare);
  b.on_packet(Dir::kOrig, TcpSegment{R, 999, 0, 0, 0}, rare);
  EXPECT_FALSE(b.has_rare_state());
  EXPECT_EQ(rare.exhausted.get(), 1u);
  char h[TcpStateMachine::kMaxHistory];
  EXPECT_EQ(std::string(h, b.copy_history(h, sizeof h, rare)), "SR");  // the letters are the machine's own
  a.release(rare);
  EXPECT_EQ(rare.in_use(), 0u);
}

// ---- conn_state, one test per value ------------------------------------------------------------------

TEST(TcpConnState, SF_NormalSession) {
  Driver d;
  normal_session(d);
  EXPECT_EQ(d.history(), "ShADadFf");
  EXPECT_EQ(name(d.state()), "SF");
  EXPECT_TRUE(d.m.is_closed());
  EXPECT_EQ(d.m.payload_size(Dir::kOrig), 100u);
  EXPECT_EQ(d.m.payload_size(Dir::kResp), 200u);
}

TEST(TcpConnState, S0_SynOnly) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {true, S, 1000, 0}, {true, S, 1000, 0}});  // retransmissions
  EXPECT_EQ(d.history(), "S");
  EXPECT_EQ(name(d.state()), "S0");
  EXPECT_TRUE(d.m.is_attempt());
  EXPECT_FALSE(d.m.is_closed());
}

TEST(TcpConnState, S1_EstablishedNotClosed) {
  Driver d;
  d.feed_all({{true, S, 1000, 0},
              {false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {true, P | A, 1001, 5001, 10},
              {false, P | A, 5001, 1011, 20}});
  EXPECT_EQ(d.history(), "ShADd");
  EXPECT_EQ(name(d.state()), "S1");
  EXPECT_FALSE(d.m.is_attempt());
}

TEST(TcpConnState, REJ_SynAnsweredByRst) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {false, R | A, 0, 1001}});
  EXPECT_EQ(d.history(), "Sr");
  EXPECT_EQ(name(d.state()), "REJ");
  EXPECT_TRUE(d.m.is_closed());
}

TEST(TcpConnState, REJ_BothResetNoData) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, R, 1001, 0}, {false, R, 5001, 0}});
  // Both sides RESET and neither sent payload: REJ (main.zeek: os == RESET and both sizes 0).
  EXPECT_EQ(d.history(), "ShRr");
  EXPECT_EQ(name(d.state()), "REJ");
}

TEST(TcpConnState, S2_OriginatorCloseOnly) {
  Driver d;
  d.feed_all(
      {{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, A, 1001, 5001}, {true, F | A, 1001, 5001}});
  EXPECT_EQ(d.history(), "ShAF");
  EXPECT_EQ(name(d.state()), "S2");
}

TEST(TcpConnState, S3_ResponderCloseOnly) {
  Driver d;
  d.feed_all(
      {{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, A, 1001, 5001}, {false, F | A, 5001, 1001}});
  EXPECT_EQ(d.history(), "ShAf");
  EXPECT_EQ(name(d.state()), "S3");
}

TEST(TcpConnState, RSTO_OriginatorAborts) {
  Driver d;
  d.feed_all({{true, S, 1000, 0},
              {false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {true, P | A, 1001, 5001, 10},
              {true, R | A, 1011, 5001}});
  EXPECT_EQ(d.history(), "ShADR");
  EXPECT_EQ(name(d.state()), "RSTO");
  EXPECT_TRUE(d.m.is_closed());
}

TEST(TcpConnState, RSTO_HalfOpenScan) {
  Driver d;  // SYN scan of an open port: SYN, SYN-ACK, scanner's RST
  d.feed_all({{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, R, 1001, 0}});
  EXPECT_EQ(d.history(), "ShR");
  EXPECT_EQ(name(d.state()), "RSTO");
}

TEST(TcpConnState, RSTR_ResponderAborts) {
  Driver d;
  d.feed_all({{true, S, 1000, 0},
              {false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {true, P | A, 1001, 5001, 10},
              {false, R | A, 5001, 1011}});
  EXPECT_EQ(d.history(), "ShADr");
  EXPECT_EQ(name(d.state()), "RSTR");
}

TEST(TcpConnState, RSTOS0_SynThenOwnRst) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {true, R, 1001, 0}});
  EXPECT_EQ(d.history(), "SR");
  EXPECT_EQ(name(d.state()), "RSTOS0");
}

TEST(TcpConnState, OTH_WhenRstWithoutLeadingSyn) {
  Driver d;  // the RSTOS0 regex needs the history to start with S: a bare RST stays OTH
  d.feed_all({{true, R, 1001, 0}});
  EXPECT_EQ(d.history(), "R");
  EXPECT_EQ(name(d.state()), "OTH");
}

TEST(TcpConnState, RSTRH_SynAckThenRst) {
  Driver d;  // server (B, port 8080) answers a SYN we never saw, then resets
  d.a_port = 40000;
  d.b_port = 8080;
  d.feed_all({{false, S | A, 5000, 1001}, {false, R, 5001, 0}});
  EXPECT_EQ(d.history(), "^hr");
  EXPECT_EQ(name(d.state()), "RSTRH");
}

TEST(TcpConnState, SH_SynThenFin) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {true, F, 1001, 0}});
  EXPECT_EQ(d.history(), "SF");
  EXPECT_EQ(name(d.state()), "SH");
}

TEST(TcpConnState, SHR_SynAckThenFin) {
  Driver d;
  d.feed_all({{false, S | A, 5000, 1001}, {false, F | A, 5001, 1001}});
  EXPECT_EQ(d.history(), "^hf");
  EXPECT_EQ(name(d.state()), "SHR");
}

TEST(TcpConnState, OTH_Midstream) {
  Driver d;  // client side first: no flip; both sides only send data
  d.feed_all({{true, P | A, 1000, 5000, 10}, {false, P | A, 5000, 1010, 20}, {true, A, 1010, 5020}});
  EXPECT_EQ(d.history(), "DdA");
  EXPECT_EQ(name(d.state()), "OTH");
}

TEST(TcpConnState, MajorAndDescription) {
  const std::map<std::string, ConnStateMajor> want = {
      {"S0", ConnStateMajor::kAttempted},     {"REJ", ConnStateMajor::kAttempted},
      {"RSTOS0", ConnStateMajor::kAttempted}, {"RSTRH", ConnStateMajor::kAttempted},
      {"SH", ConnStateMajor::kAttempted},     {"SHR", ConnStateMajor::kAttempted},
      {"S1", ConnStateMajor::kEstablished},   {"OTH", ConnStateMajor::kEstablished},
      {"SF", ConnStateMajor::kClosed},        {"S2", ConnStateMajor::kClosed},
      {"S3", ConnStateMajor::kClosed},        {"RSTO", ConnStateMajor::kClosed},
      {"RSTR", ConnStateMajor::kClosed}};
  for (size_t i = 0; i < size_t(ConnState::kCount); ++i) {
    const ConnState s = ConnState(i);
    EXPECT_EQ(major_of(s), want.at(name(s))) << name(s);
    EXPECT_FALSE(describe(s).empty()) << name(s);
  }
  EXPECT_EQ(describe(ConnState::kS0), "Connection attempt seen, no reply.");
  EXPECT_EQ(describe(ConnState::kREJ), "Connection attempt rejected.");
}

// ---- history letters ----------------------------------------------------------------------------------

TEST(TcpHistory, FlipOnFirstPacketFromServerPort) {
  Driver d;  // midstream capture that starts with the server's data: '^' then lowercase letters
  d.feed_all({{false, P | A, 5000, 1000, 20}, {true, A, 1000, 5020}, {true, P | A, 1000, 5020, 5}});
  EXPECT_EQ(d.history(), "^dAD");
  EXPECT_FALSE(d.a_is_orig == false);  // A (the client) is the originator
  EXPECT_EQ(name(d.state()), "OTH");
}

TEST(TcpHistory, SynAckFirstThenAckFlipsToCaretH) {
  Driver d;  // both ports likely servers: a SYN-ACK is not flipped on arrival (stealth scans) ...
  d.a_port = 1080;
  d.b_port = 8000;
  d.feed(Pkt{false, S | A, 5000, 1001});
  EXPECT_EQ(d.history(), "H");
  EXPECT_FALSE(d.a_is_orig);
  // ... but the client's ACK shows it was a real handshake: flip, history "^h" (Zeek PR #2191).
  EXPECT_EQ(d.feed(Pkt{true, A, 1001, 5001}), TcpVerdict::kFlipRoles);
  EXPECT_TRUE(d.a_is_orig);
  d.feed_all({{true, P | A, 1001, 5001, 100},
              {false, A, 5001, 1101},
              {false, P | A, 5001, 1101, 50},
              {false, F | A, 5051, 1101},
              {true, F | A, 1101, 5052},
              {false, A, 5052, 1102}});
  EXPECT_EQ(d.history(), "^hADadfF");
  EXPECT_EQ(name(d.state()), "SF");
}

TEST(TcpHistory, SynAckFirstThenDataEstablishes) {
  Driver d;
  d.a_port = 1080;
  d.b_port = 8000;
  d.feed_all({{false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {true, P | A, 1001, 5001, 10},
              {false, P | A, 5001, 1011, 5}});
  EXPECT_EQ(d.history(), "^hADd");
  EXPECT_EQ(name(d.state()), "S1");
}

TEST(TcpHistory, SynSynAckReversal) {
  Driver d;  // SYN-ACK captured before its SYN, no likely server port: Zeek flips on the SYN
  d.a_port = 40000;
  d.b_port = 41000;
  d.feed(Pkt{false, S | A, 5000, 1001});
  EXPECT_EQ(d.feed(Pkt{true, S, 1000, 0}), TcpVerdict::kFlipRoles);
  EXPECT_TRUE(d.a_is_orig);
  d.feed(Pkt{true, A, 1001, 5001});
  EXPECT_EQ(d.history(), "Hs^A");  // letters are never rewritten by this flip (Connection::FlipRoles)
  EXPECT_EQ(name(d.state()), "S1");
}

TEST(TcpHistory, SynRepeatOnlyWhenRelativeSeqChanges) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {true, S, 1000, 0}, {false, R | A, 0, 1001}});
  d.end();
  EXPECT_EQ(d.finished.back().history, "Sr");
  // After the RST the same SYN is a new connection (reuse of a closed connection).
  Driver e;
  e.feed_all({{true, S, 1000, 0}, {false, R | A, 0, 1001}});
  EXPECT_EQ(e.feed(Pkt{true, S, 1000, 0}), TcpVerdict::kContinue);  // the driver restarted it
  EXPECT_EQ(e.verdicts[2], TcpVerdict::kNewConnection);
  ASSERT_EQ(e.finished.size(), 1u);
  EXPECT_EQ(e.finished[0].history, "Sr");
  EXPECT_EQ(name(e.finished[0].state), "REJ");
  EXPECT_EQ(e.history(), "S");
}

TEST(TcpHistory, FinRepeatRule) {
  Driver d;
  d.feed_all({{true, S, 1000, 0},
              {false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {true, F | A, 1001, 5001},
              {true, F | A, 1001, 5001}});  // retransmitted FIN: no new F
  EXPECT_EQ(d.history(), "ShAF");
  d.feed(Pkt{true, F | A, 1001, 5001, 10});  // FIN with data: seq+len moved on: F again
  EXPECT_EQ(d.history(), "ShAFF");
}

TEST(TcpHistory, RstRepeatRule) {
  Driver d;
  d.feed_all({{true, S, 1000, 0},
              {false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {false, R, 5001, 0},
              {false, R, 5001, 0},
              {false, R, 5100, 0}});
  EXPECT_EQ(d.history(), "ShArr");
  EXPECT_EQ(name(d.state()), "RSTR");
}

TEST(TcpHistory, MultiFlagLetters) {
  Driver d;
  d.feed_all({{true, S | F, 1000, 0}, {false, F | R | A, 5000, 1001}, {false, F | R | A, 5000, 1001}});
  EXPECT_EQ(d.history(), "Qi");
}

TEST(TcpHistory, RetransmissionIsLogarithmic) {
  Driver d;
  d.feed_all({{true, S, 1000, 0},
              {false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {true, P | A, 1001, 5001, 100}});
  for (int i = 0; i < 10; ++i) d.feed(Pkt{true, P | A, 1001, 5001, 100});  // 10 retransmissions
  EXPECT_EQ(d.history(), "ShADTT");                                        // the 1st and the 10th
  for (int i = 0; i < 90; ++i) d.feed(Pkt{true, P | A, 1050, 5001, 20});   // partial overlaps count too
  EXPECT_EQ(d.history(), "ShADTTT");
}

TEST(TcpHistory, KeepAliveCountsAsRetransmission) {
  Driver d;  // a keep-alive probe re-sends the last byte: Zeek sees a retransmission
  d.feed_all({{true, S, 1000, 0},
              {false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {true, P | A, 1001, 5001, 10},
              {false, A, 5001, 1011},
              {true, A, 1010, 5001, 1}});
  EXPECT_EQ(d.history(), "ShADaT");
}

TEST(TcpHistory, ZeroWindow) {
  Driver d;
  d.feed_all({{true, S, 1000, 0},
              {false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {true, P | A, 1001, 5001, 100},
              {false, A, 5001, 1101, 0, 0},
              {false, A, 5001, 1101, 0, 0}});
  EXPECT_EQ(d.history(), "ShADaw");
  // Not after a RST, nor after the peer's FIN.
  d.feed_all({{true, F | A, 1101, 5001}, {false, A, 5001, 1102, 0, 0}});
  EXPECT_EQ(d.history(), "ShADawF");
}

TEST(TcpHistory, ContentGapWhenAckPassesUnseenData) {
  Driver d;  // B acknowledges 500 bytes of A's data that the capture never saw
  d.feed_all({{true, S, 1000, 0},
              {false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {true, P | A, 1001, 5001, 100},
              {false, A, 5001, 1601}});
  EXPECT_EQ(d.history(), "ShADaG");
}

TEST(TcpHistory, FinThenRstIsNormalClose) {
  Driver d;  // A closes, resets before B's FIN arrives; B's FIN turns A back into CLOSED
  d.feed_all({{true, S, 1000, 0},
              {false, S | A, 5000, 1001},
              {true, A, 1001, 5001},
              {true, F | A, 1001, 5001},
              {true, R, 1002, 0}});
  EXPECT_EQ(name(d.state()), "RSTO");
  d.feed(Pkt{false, F | A, 5001, 1002});
  EXPECT_EQ(d.history(), "ShAFRf");
  EXPECT_EQ(name(d.state()), "SF");
}

TEST(TcpHistory, RstAfterFinExchangeChangesNothing) {
  Driver d;
  normal_session(d);
  d.feed(Pkt{true, R, 1102, 0});
  EXPECT_EQ(d.history(), "ShADadFfR");
  EXPECT_EQ(name(d.state()), "SF");
}

TEST(TcpHistory, HistoryIsCapped) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, A, 1001, 5001}});
  for (uint32_t i = 0; i < 40; ++i) d.feed(Pkt{true, F | A, 1001 + i * 10, 5001, 10});  // a new F each time
  EXPECT_EQ(d.m.history_len(), TcpStateMachine::kMaxHistory);
  // The letters are packed five bits each: every one of the 23 comes back, the last ones too.
  EXPECT_EQ(d.history(), "ShA" + std::string(TcpStateMachine::kMaxHistory - 3, 'F'));
  char first[4];
  ASSERT_EQ(d.m.copy_history(first, sizeof first, d.rare), 4u);
  EXPECT_EQ(std::string(first, 4), "ShAF");
}

// The first kInlineHistory letters are the machine's own; later ones go to the rare state (taken for
// them). With no slot left they are lost (counted), and the history ends after the machine's own letters.
TEST(TcpHistory, LettersPastTheInlineOnesLiveInTheRareState) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, A, 1001, 5001}});
  for (uint32_t i = 0; i < TcpStateMachine::kInlineHistory - 3; ++i)
    d.feed(Pkt{true, F | A, 1001 + i * 10, 5001, 10});  // a new F each time (its number: rare state)
  EXPECT_EQ(d.history(), "ShA" + std::string(TcpStateMachine::kInlineHistory - 3, 'F'));
  d.feed(Pkt{true, F | A, 2001, 5001, 10});
  EXPECT_EQ(d.history(), "ShA" + std::string(TcpStateMachine::kInlineHistory - 2, 'F'));
  EXPECT_TRUE(d.m.has_rare_state());

  TcpRareStore full(1);
  TcpStateMachine holder, m;
  holder.on_packet(Dir::kOrig, TcpSegment{S, 1000, 0, 0, 8192}, full);
  holder.on_packet(Dir::kOrig, TcpSegment{R, 999, 0, 0, 0}, full);  // takes the only full slot
  ASSERT_EQ(holder.rare_state_bytes(), sizeof(TcpRareState));
  m.on_packet(Dir::kOrig, TcpSegment{S, 1000, 0, 0, 8192}, full);
  m.on_packet(Dir::kResp, TcpSegment{S | A, 5000, 1001, 0, 8192}, full);
  m.on_packet(Dir::kOrig, TcpSegment{A, 1001, 5001, 0, 8192}, full);
  for (uint32_t i = 0; i < 30; ++i)
    m.on_packet(Dir::kOrig, TcpSegment{F | A, 1001 + i * 10, 5001, 10, 8192}, full);
  EXPECT_FALSE(m.has_rare_state());
  EXPECT_GT(full.exhausted.get(), 0u);
  EXPECT_EQ(m.history_len(), TcpStateMachine::kInlineHistory);
  EXPECT_EQ(history_of(m, full), "ShA" + std::string(TcpStateMachine::kInlineHistory - 3, 'F'));
  holder.release(full);
}

// Every letter the machine writes survives the 5-bit packing, in both cases and at every position
// (the flip rewrite swaps the case of each code): "^" and the letters of the tests above.
TEST(TcpHistory, PackedLettersKeepTheirCase) {
  Driver d;
  d.feed_all({{false, S | A, 5000, 1001}, {true, A, 1001, 5001}});  // SYN-ACK first, then an ACK: "^h"
  EXPECT_EQ(d.history(), "^hA");
  d.feed_all({{true, P | A, 1001, 5001, 100},
              {false, P | A, 5001, 1101, 50},
              {true, F | A, 1101, 5051},
              {false, F | A, 5051, 1102}});
  EXPECT_EQ(d.history(), "^hADdFf");
}

// ---- reuse ----------------------------------------------------------------------------------------------

TEST(TcpReuse, NewSynAfterCloseStartsNewConnection) {
  Driver d;
  normal_session(d);
  EXPECT_TRUE(d.m.starts_new_connection(TcpSegment{S, 90000, 0, 0, 8192}));
  EXPECT_EQ(d.m.on_packet(Dir::kOrig, TcpSegment{S, 90000, 0, 0, 8192}, d.rare), TcpVerdict::kNewConnection);
  EXPECT_EQ(d.history(), "ShADadFf");  // untouched by the refused packet
  d.feed(Pkt{true, S, 90000, 0});
  ASSERT_EQ(d.finished.size(), 1u);
  EXPECT_EQ(d.finished[0].history, "ShADadFf");
  EXPECT_EQ(d.history(), "S");
}

TEST(TcpReuse, SynWithNewSeqWhileActiveIsReuse) {
  Driver d;  // IsReuse: a SYN whose sequence number differs from the originator's start is a new connection
  d.feed_all({{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, A, 1001, 5001}, {true, S, 777777, 0}});
  ASSERT_EQ(d.finished.size(), 1u);
  EXPECT_EQ(d.finished[0].history, "ShA");
  EXPECT_EQ(name(d.finished[0].state), "S1");
  EXPECT_EQ(d.history(), "S");
}

TEST(TcpReuse, RetransmittedSynIsNotReuse) {
  Driver d;
  d.feed_all({{true, S, 1000, 0}, {false, S | A, 5000, 1001}, {true, S, 1000, 0}});
  EXPECT_TRUE(d.finished.empty());
  EXPECT_EQ(d.history(), "Sh");
}

TEST(TcpReuse, SynAckReusesOnlyHalfConnections) {
  Driver d;  // a SYN-ACK is never a reuse once the originator has sent something
  normal_session(d);
  d.feed(Pkt{false, S | A, 123456, 1001});
  EXPECT_TRUE(d.finished.empty());
  EXPECT_EQ(d.history(), "ShADadFfh");
}

// ---- flip heuristics ----------------------------------------------------------------------------------

TEST(TcpFlip, FirstPacketRules) {
  const TcpSegment syn{S, 1, 0, 0, 1}, synack{S | A, 1, 2, 0, 1}, data{P | A, 1, 2, 10, 1};
  EXPECT_FALSE(TcpStateMachine::first_packet_from_responder(syn, 80, 40000));    // a pure SYN never flips
  EXPECT_TRUE(TcpStateMachine::first_packet_from_responder(synack, 80, 40000));  // server port -> client
  EXPECT_TRUE(TcpStateMachine::first_packet_from_responder(data, 443, 40000));
  EXPECT_FALSE(TcpStateMachine::first_packet_from_responder(data, 40000, 443));
  EXPECT_FALSE(TcpStateMachine::first_packet_from_responder(data, 40000, 41000));  // neither likely
  // Both likely: flip only if not a SYN-ACK and the source port is the lower one.
  EXPECT_TRUE(TcpStateMachine::first_packet_from_responder(data, 80, 8080));
  EXPECT_FALSE(TcpStateMachine::first_packet_from_responder(data, 8080, 80));
  EXPECT_FALSE(TcpStateMachine::first_packet_from_responder(synack, 80, 8080));
  for (uint16_t p : {21, 22, 25, 53, 80, 88, 389, 443, 445, 502, 1080, 3306, 5432, 6669, 8000, 8888, 27017})
    EXPECT_TRUE(TcpStateMachine::is_likely_server_port(p)) << p;
  for (uint16_t p : {0, 1024, 40000, 49152, 65535})
    EXPECT_FALSE(TcpStateMachine::is_likely_server_port(p)) << p;
}

TEST(UdpState, ConnStateAndFlip) {
  EXPECT_EQ(udp_conn_state(true, true), ConnState::kSF);
  EXPECT_EQ(udp_conn_state(true, false), ConnState::kS0);
  EXPECT_EQ(udp_conn_state(false, true), ConnState::kSHR);
  EXPECT_EQ(udp_conn_state(false, false), ConnState::kOTH);
  EXPECT_TRUE(udp_first_packet_from_responder(53, 40000));
  EXPECT_FALSE(udp_first_packet_from_responder(40000, 53));
  EXPECT_TRUE(udp_first_packet_from_responder(67, 68));  // DHCP server reply first (68 is not a server port)
  EXPECT_FALSE(udp_first_packet_from_responder(53, 123));  // both likely: UDP has no tie-break, no flip
  EXPECT_FALSE(udp_first_packet_from_responder(123, 53));
}

// ---- regression against Zeek's conn.log baselines ------------------------------------------------------
//
// For every Zeek case whose conn.log baseline is complete, read the pcap with libpcap, decode TCP with the
// small parser below (Ethernet/VLAN/MPLS/PPPoE/PBB/VN-Tag, SLL, PPP, raw IP, and the tunnels the corpus
// uses: GRE incl. PPTP and ERSPAN, VXLAN, Geneve, Teredo, AYIYA, GTP-U, IP-in-IP), group packets into
// connections the way Zeek's session manager does (including its connection timers, which split some
// connections), and compare conn_state and history with Zeek's rows.

struct TcpPacket {
  double ts = 0;
  std::string src, dst;
  uint16_t sport = 0, dport = 0;
  TcpSegment seg;
  bool header_ok = true;    // the whole TCP header was captured (else Zeek makes the connection only)
  bool checksum_ok = true;  // only computed when the whole segment was captured
};

uint16_t be16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

std::string addr_str(const uint8_t* a, bool v6) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, a, buf, sizeof buf);
  return buf;
}

uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += be16(p + i);
  if (n & 1) acc += uint32_t(p[n - 1]) << 8;
  return acc;
}

class Decoder {
 public:
  std::vector<TcpPacket> out;
  double ts = 0;

  void frame(int dlt, const uint8_t* p, size_t n) {
    depth_ = 0;
    switch (dlt) {
      case DLT_EN10MB:
        ether(p, n);
        break;
      case DLT_LINUX_SLL:
        if (n >= 16) ethertype(be16(p + 14), p + 16, n - 16);
        break;
      case DLT_LINUX_SLL2:
        if (n >= 20) ethertype(be16(p), p + 20, n - 20);
        break;
      case DLT_PPP:
        ppp(p, n);
        break;
      case DLT_RAW:
      case 101:
      case 228:
      case 229:
        ip(p, n);
        break;
      case DLT_NULL:
        if (n >= 4) ip(p + 4, n - 4);
        break;
      default:
        break;
    }
  }

 private:
  int depth_ = 0;

  void ether(const uint8_t* p, size_t n) {
    if (n < 14) return;
    ethertype(be16(p + 12), p + 14, n - 14);
  }
  void ethertype(uint16_t type, const uint8_t* p, size_t n) {
    for (int guard = 0; guard < 16; ++guard) {
      switch (type) {
        case 0x0800:
        case 0x86dd:
          ip(p, n);
          return;
        case 0x8100:
        case 0x88a8:
        case 0x9100:  // VLAN tags: TCI, then a type
          if (n < 4) return;
          type = be16(p + 2);
          p += 4, n -= 4;
          break;
        case 0x8926:  // VN-Tag: 4-byte tag, then a type
          if (n < 6) return;
          type = be16(p + 4);
          p += 6, n -= 6;
          break;
        case 0x88e7:  // PBB: I-TAG, then the customer MAC header
          if (n < 18) return;
          type = be16(p + 16);
          p += 18, n -= 18;
          break;
        case 0x8847:
        case 0x8848:  // MPLS: labels up to bottom of stack, then IP (as Zeek assumes)
          while (n >= 4) {
            const bool bottom = p[2] & 1;
            p += 4, n -= 4;
            if (bottom) break;
          }
          ip(p, n);
          return;
        case 0x8864:  // PPPoE session
          if (n < 6) return;
          ppp(p + 6, n - 6);
          return;
        default:
          return;
      }
    }
  }
  void ppp(const uint8_t* p, size_t n) {
    if (n >= 2 && p[0] == 0xff && p[1] == 0x03) p += 2, n -= 2;
    if (n < 1) return;
    uint16_t proto;
    if (p[0] & 1) {  // protocol field compression
      proto = p[0];
      p += 1, n -= 1;
    } else {
      if (n < 2) return;
      proto = be16(p);
      p += 2, n -= 2;
    }
    if (proto == 0x21 || proto == 0x57) ip(p, n);
  }

  void ip(const uint8_t* p, size_t n) {
    if (++depth_ > 8 || n < 1) return;
    const int v = p[0] >> 4;
    const uint8_t* src;
    const uint8_t* dst;
    uint8_t proto;
    size_t hdr, total;
    if (v == 4) {
      if (n < 20) return;
      hdr = size_t(p[0] & 15) * 4;
      total = be16(p + 2);
      if (total == 0) total = n;  // TCP segmentation offload zeroes ip_len; Zeek then uses the capture
      if (hdr < 20 || total < hdr || n < hdr) return;
      if ((be16(p + 6) & 0x3fff) != 0) return;  // fragments: none with TCP in the corpus
      proto = p[9];
      src = p + 12, dst = p + 16;
    } else if (v == 6) {
      if (n < 40) return;
      total = size_t(be16(p + 4)) + 40;
      proto = p[6];
      hdr = 40;
      src = p + 8, dst = p + 24;
      for (int i = 0; i < 8; ++i) {
        if (proto == 0 || proto == 43 || proto == 60) {
          if (n < hdr + 8) return;
          const uint8_t next = p[hdr];
          hdr += (size_t(p[hdr + 1]) + 1) * 8;
          proto = next;
        } else if (proto == 44) {
          if (n < hdr + 8) return;
          if ((be16(p + hdr + 2) & 0xfff9) != 0) return;  // a real fragment
          proto = p[hdr];
          hdr += 8;
        } else {
          break;
        }
      }
      if (total < hdr || n < hdr) return;
    } else {
      return;
    }
    const size_t avail = std::min(n, total) - hdr;  // captured bytes of the IP payload
    const size_t plen = total - hdr;                // payload length per the IP header
    const uint8_t* l4 = p + hdr;
    switch (proto) {
      case 6:
        tcp(src, dst, v == 6, l4, avail, plen);
        break;
      case 17:
        udp(l4, avail);
        break;
      case 47:
        gre(l4, avail);
        break;
      case 4:
      case 41:
        ip(l4, avail);
        break;
      default:
        break;
    }
  }

  void tcp(const uint8_t* src, const uint8_t* dst, bool v6, const uint8_t* t, size_t avail, size_t plen) {
    if (avail < 20 || plen < 20) return;  // Zeek: truncated_header, no connection
    TcpPacket k;
    k.ts = ts;
    k.src = addr_str(src, v6);
    k.dst = addr_str(dst, v6);
    k.sport = be16(t);
    k.dport = be16(t + 2);
    const size_t doff = size_t(t[12] >> 4) * 4;
    k.seg.seq = be32(t + 4);
    k.seg.ack = be32(t + 8);
    k.seg.flags = t[13];
    k.seg.window = be16(t + 14);
    k.header_ok = doff >= 20 && doff <= avail && doff <= plen;
    k.seg.payload_len = k.header_ok ? uint32_t(plen - doff) : 0;
    if (avail >= plen) {  // TCP_Endpoint::ValidChecksum over the pseudo header and the segment
      uint32_t acc = 0;
      acc = sum16(src, v6 ? 16 : 4, acc);
      acc = sum16(dst, v6 ? 16 : 4, acc);
      acc += 6 + uint32_t(plen);
      acc = sum16(t, plen, acc);
      while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
      k.checksum_ok = acc == 0xffff;
    }
    out.push_back(k);
  }

  void udp(const uint8_t* u, size_t n) {
    if (n < 8) return;
    const uint16_t sp = be16(u), dp = be16(u + 2);
    const uint8_t* p = u + 8;
    n -= 8;
    auto either = [&](uint16_t port) { return sp == port || dp == port; };
    if (dp == 4789 && n >= 8) {  // VXLAN
      ether(p + 8, n - 8);
    } else if (dp == 6081 && n >= 8) {  // Geneve
      const size_t hl = 8 + size_t(p[0] & 0x3f) * 4;
      if (n < hl) return;
      const uint16_t type = be16(p + 2);
      if (type == 0x6558)
        ether(p + hl, n - hl);
      else
        ethertype(type, p + hl, n - hl);
    } else if (either(5072) && n >= 8) {  // AYIYA
      const size_t hl = 8 + (size_t(1) << (p[0] >> 4)) + size_t(p[1] >> 4) * 4;
      if (n < hl) return;
      if (p[3] == 4 || p[3] == 41) ip(p + hl, n - hl);
    } else if (either(2152) && n >= 8) {  // GTP-U G-PDU
      if ((p[0] >> 5) != 1 || p[1] != 0xff) return;
      size_t hl = 8;
      if (p[0] & 0x07) {
        if (n < 12) return;
        uint8_t next = p[11];
        hl = 12;
        while (next != 0) {
          if (n < hl + 1) return;
          const size_t el = size_t(p[hl]) * 4;
          if (el == 0 || n < hl + el) return;
          next = p[hl + el - 1];
          hl += el;
        }
      }
      if (n > hl) ip(p + hl, n - hl);
    } else {
      // Teredo, on any port: Zeek detects it from the payload (protocol detection registered for UDP).
      // Optional authentication and origin indication headers, then an IPv6 packet filling the datagram.
      for (int i = 0; i < 2 && n >= 2; ++i) {
        if (p[0] == 0 && p[1] == 1 && n >= 4) {
          const size_t al = 4 + size_t(p[2]) + p[3] + 9;
          if (n < al) return;
          p += al, n -= al;
        } else if (p[0] == 0 && p[1] == 0 && n >= 8) {
          p += 8, n -= 8;
        }
      }
      if (n >= 40 && (p[0] >> 4) == 6 && size_t(be16(p + 4)) + 40 == n) ip(p, n);
    }
  }

  void gre(const uint8_t* g, size_t n) {
    if (n < 4) return;
    const uint16_t fl = be16(g), proto = be16(g + 2);
    size_t hl = 4;
    if (fl & 0x8000) hl += 4;                     // checksum
    if (fl & 0x2000) hl += 4;                     // key
    if (fl & 0x1000) hl += 4;                     // sequence
    if ((fl & 7) == 1 && (fl & 0x0080)) hl += 4;  // PPTP acknowledgment
    if (n < hl) return;
    const uint8_t* p = g + hl;
    n -= hl;
    switch (proto) {
      case 0x0800:
      case 0x86dd:
        ip(p, n);
        break;
      case 0x6558:
        ether(p, n);
        break;
      case 0x880b:
        ppp(p, n);
        break;
      case 0x88be:
        if (fl & 0x1000) {
          if (n >= 8) ether(p + 8, n - 8);
        } else {
          ether(p, n);
        }
        break;
      case 0x22eb:
        if (n >= 12) {
          const size_t h = 12 + ((p[11] & 1) ? 8 : 0);
          if (n >= h) ether(p + h, n - h);
        }
        break;
      default:
        break;
    }
  }
};

// One row of a conn.log (ours or Zeek's).
struct ConnRow {
  std::string orig_h, resp_h;
  uint16_t orig_p = 0, resp_p = 0;
  std::string state, history;
};

// Zeek's session handling around the TCP analyzer, enough to split connections where Zeek does:
// IsReuse, the first-packet flip, and the TCPSessionAdapter timers with their default values
// (tcp_attempt_delay, tcp_SYN_timeout, tcp_session_timer, tcp_connection_linger, tcp_close_delay,
// tcp_partial_close_delay, udp/tcp_inactivity_timeout from init-bare.zeek).
class ZeekSessions {
 public:
  bool ignore_checksums = false;
  size_t dropped_bad_checksum = 0;
  std::vector<ConnRow> rows;

  void packet(const TcpPacket& k) {
    advance(k.ts);
    const Key key = k.src < k.dst || (k.src == k.dst && k.sport < k.dport)
                        ? Key{k.src, k.sport, k.dst, k.dport}
                        : Key{k.dst, k.dport, k.src, k.sport};
    auto it = conns_.find(key);
    if (it != conns_.end() && k.header_ok && is_reuse_probe(it->second, k)) {
      finish(it);
      it = conns_.end();
    }
    if (it == conns_.end()) {
      Conn c;
      const bool flip = TcpStateMachine::first_packet_from_responder(k.seg, k.sport, k.dport);
      c.orig_h = flip ? k.dst : k.src;
      c.orig_p = flip ? k.dport : k.sport;
      c.resp_h = flip ? k.src : k.dst;
      c.resp_p = flip ? k.sport : k.dport;
      c.start = c.last = k.ts;
      c.timers.push_back({k.ts + 5, kExpire});  // tcp_SYN_timeout
      it = conns_.emplace(key, c).first;
    }
    Conn& c = it->second;
    if (!k.header_ok) return;                   // TCPAnalyzer::ExtractTCP_Header fails
    if (!ignore_checksums && !k.checksum_ok) {  // TCPAnalyzer::ValidateChecksum: Zeek adds 'C', we do not
      ++dropped_bad_checksum;
      return;
    }
    const bool from_orig = k.src == c.orig_h && k.sport == c.orig_p;
    const Dir dir = from_orig ? Dir::kOrig : Dir::kResp;

    const auto before = states(c.m);
    const bool od = c.m.did_close(Dir::kOrig), rd = c.m.did_close(Dir::kResp);
    if (!(od && rd)) c.last = k.ts;  // Process: SetLastTime unless both sides closed
    const TcpVerdict v = c.m.on_packet(dir, k.seg, rare_);
    ASSERT_NE(v, TcpVerdict::kNewConnection);  // is_reuse_probe() said no
    Dir pdir = dir;
    if (v == TcpVerdict::kFlipRoles) {
      std::swap(c.orig_h, c.resp_h);
      std::swap(c.orig_p, c.resp_p);
      pdir = other(dir);
    }
    after_packet(c, k, pdir, before, od, rd, v == TcpVerdict::kFlipRoles);
  }

  void finish_all() {
    while (!conns_.empty()) finish(conns_.begin());
  }

 private:
  using Key = std::tuple<std::string, uint16_t, std::string, uint16_t>;
  enum TimerKind { kExpire, kAttempt, kDelete, kPartialClose };
  struct Conn {
    std::string orig_h, resp_h;
    uint16_t orig_p = 0, resp_p = 0;
    TcpStateMachine m;
    double start = 0, last = 0;
    double inactivity = 60;  // TCPAnalyzer::MakeSessionAdapter uses udp_inactivity_timeout until established
    bool active = true;      // TCPSessionAdapter::is_active
    std::vector<std::pair<double, TimerKind>> timers;
  };
  std::map<Key, Conn> conns_;
  TcpRareStore rare_{1 << 16};

  static std::pair<TcpEndpointState, TcpEndpointState> states(const TcpStateMachine& m) {
    return {m.endpoint_state(Dir::kOrig), m.endpoint_state(Dir::kResp)};
  }
  static bool handshake(TcpEndpointState s) {
    return s == TcpEndpointState::kInactive || s == TcpEndpointState::kSynSent ||
           s == TcpEndpointState::kSynAckSent;
  }

  // The state machine answers IsReuse itself, without taking the packet (on_packet's kNewConnection).
  static bool is_reuse_probe(const Conn& c, const TcpPacket& k) { return c.m.starts_new_connection(k.seg); }

  void after_packet(Conn& c, const TcpPacket& k, Dir dir,
                    std::pair<TcpEndpointState, TcpEndpointState> before, bool od, bool rd, bool flipped) {
    if (flipped) {
      std::swap(before.first, before.second);
      std::swap(od, rd);
    }
    const TcpStateMachine& m = c.m;
    const auto now = states(m);
    // TCP_Endpoint::SetState: leaving the handshake switches to tcp_inactivity_timeout.
    if (handshake(before.first) && handshake(before.second) &&
        (!handshake(now.first) || !handshake(now.second)))
      c.inactivity = 300;
    // UpdateInactiveState: an originator SYN arms the attempt timer (tcp_attempt_delay).
    if (dir == Dir::kOrig && (k.seg.flags & S) && before.first == TcpEndpointState::kInactive &&
        (now.first == TcpEndpointState::kSynSent || now.first == TcpEndpointState::kSynAckSent))
      c.timers.push_back({k.ts + 5, kAttempt});
    // ConnectionReset / ConnectionFinished clear is_active.
    if (now.first == TcpEndpointState::kReset || now.second == TcpEndpointState::kReset) c.active = false;
    // ConnectionClosed, when this packet reported its side's close.
    const bool was_closed = dir == Dir::kOrig ? od : rd;
    if (!was_closed && m.did_close(dir)) {
      const Dir peer = other(dir);
      const TcpEndpointState es = m.endpoint_state(dir), ps = m.endpoint_state(peer);
      const bool complete =
          es == TcpEndpointState::kReset || m.did_close(peer) || ps == TcpEndpointState::kInactive;
      if (complete) {
        if (k.seg.flags & F) c.active = false;      // ConnectionFinished
        c.timers.clear();                           // CancelTimers
        c.timers.push_back({c.last + 5, kDelete});  // tcp_close_delay
      } else if ((dir == Dir::kOrig ? before.first : before.second) == TcpEndpointState::kInactive) {
        c.timers.push_back({c.last + 3, kPartialClose});  // tcp_partial_close_delay
      } else {
        c.timers.push_back({c.last + 6, kExpire});  // tcp_session_timer
      }
    }
  }

  // Fires every timer due at or before t, in time order (the timer manager runs before each packet).
  void advance(double t) {
    for (;;) {
      double best = t;
      bool found = false;
      std::map<Key, Conn>::iterator bi;
      size_t bt = 0;
      bool inactivity = false;
      for (auto it = conns_.begin(); it != conns_.end(); ++it) {
        const Conn& c = it->second;
        for (size_t i = 0; i < c.timers.size(); ++i)
          if (c.timers[i].first <= best)
            best = c.timers[i].first, bi = it, bt = i, found = true, inactivity = false;
        if (c.last + c.inactivity <= best)
          best = c.last + c.inactivity, bi = it, found = true, inactivity = true;
      }
      if (!found) return;
      if (inactivity) {  // Session::InactivityTimer
        finish(bi);
        continue;
      }
      Conn& c = bi->second;
      const auto [when, kind] = c.timers[bt];
      c.timers.erase(c.timers.begin() + long(bt));
      const TcpEndpointState os = c.m.endpoint_state(Dir::kOrig), rs = c.m.endpoint_state(Dir::kResp);
      const bool od = c.m.did_close(Dir::kOrig), rd = c.m.did_close(Dir::kResp);
      const bool reset = os == TcpEndpointState::kReset || rs == TcpEndpointState::kReset;
      const bool inactive = os == TcpEndpointState::kInactive || rs == TcpEndpointState::kInactive;
      switch (kind) {
        case kDelete:
          finish(bi);
          break;
        case kAttempt:
          if (c.active && c.m.is_attempt()) finish(bi);
          break;
        case kPartialClose:
          if (c.active && os != TcpEndpointState::kInactive && rs != TcpEndpointState::kInactive &&
              !(od && rd) && !reset)
            finish(bi);
          break;
        case kExpire:
          if (!c.active) break;
          if (c.last + 5 < when) {  // tcp_connection_linger
            if ((od || rd) && ((od && rd) || reset || inactive)) {
              finish(bi);
              break;
            }
            if (os == TcpEndpointState::kInactive && rs == TcpEndpointState::kInactive) {
              finish(bi);
              break;
            }
          }
          c.timers.push_back({when + 6, kExpire});  // tcp_session_timer
          break;
      }
    }
  }

  void finish(std::map<Key, Conn>::iterator it) {
    Conn& c = it->second;
    rows.push_back({c.orig_h, c.resp_h, c.orig_p, c.resp_p,
                    std::string(kConnStateNames[size_t(c.m.conn_state(rare_))]), history_of(c.m, rare_)});
    c.m.release(rare_);
    conns_.erase(it);
  }
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> v;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) v.push_back(cur);
  return v;
}

std::vector<ConnRow> read_zeek_tcp_rows(const std::filesystem::path& path) {
  std::vector<ConnRow> rows;
  std::ifstream in(path);
  std::string line;
  std::map<std::string, size_t> col;
  while (std::getline(in, line)) {
    if (line.rfind("#fields", 0) == 0) {
      const auto f = split(line, '\t');
      for (size_t i = 1; i < f.size(); ++i) col[f[i]] = i - 1;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const auto f = split(line, '\t');
    auto get = [&](const char* k) { return col.count(k) && col[k] < f.size() ? f[col[k]] : std::string(); };
    if (get("proto") != "tcp") continue;
    ConnRow r;
    r.orig_h = get("id.orig_h");
    r.resp_h = get("id.resp_h");
    r.orig_p = uint16_t(std::atoi(get("id.orig_p").c_str()));
    r.resp_p = uint16_t(std::atoi(get("id.resp_p").c_str()));
    r.state = get("conn_state");
    r.history = get("history");
    if (r.history == "-") r.history.clear();
    rows.push_back(r);
  }
  return rows;
}

// Why a remaining difference from Zeek is expected, per corpus case.
std::string known_reason(const std::string& name) {
  static const std::map<std::string, std::string> kReasons = {
      {"vntag_vlan_sandwich_clean.pcap",
       "zeek -b loads only base/protocols/conn, so that run's likely_server_ports is empty and Zeek keeps "
       "the "
       "SYN-ACK sender (port 443) as originator; our built-in list (Zeek's default scripts) flips it. Our "
       "conn_state (OTH) and history (empty: the TCP header is cut by the snap length) are Zeek's."},
      {"http-deeply-nested-mime.pcap", "'X' is added by the HTTP analyzer (analysis limit), not by TCP"},
      {"tcp-syn-bad.pcap", "'C' (bad checksum) is out of scope: spanwatch does not verify checksums"},
      {"tunnels-geneve-inner-tcp-bad-checksum.pcap", "'C' (bad checksum) is out of scope"},
      {"tunnels-vxlan-inner-tcp-bad-checksum.pcap", "'C' (bad checksum) is out of scope"},
  };
  const auto it = kReasons.find(name);
  return it == kReasons.end() ? "unexplained" : it->second;
}

// Runs a pcap through the decoder and Zeek's session handling; returns the TCP connections.
std::vector<ConnRow> run_pcap(const std::filesystem::path& pcap_path, bool ignore_checksums,
                              size_t* bad_checksums = nullptr) {
  ZeekSessions zs;
  zs.ignore_checksums = ignore_checksums;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(pcap_path.c_str(), err);
  if (!pc) {
    ADD_FAILURE() << err;
    return {};
  }
  const int dlt = pcap_datalink(pc);
  pcap_pkthdr* h;
  const u_char* data;
  Decoder dec;
  while (pcap_next_ex(pc, &h, &data) == 1) {
    dec.out.clear();
    dec.ts = double(h->ts.tv_sec) + double(h->ts.tv_usec) / 1e6;
    dec.frame(dlt, data, h->caplen);
    for (const TcpPacket& k : dec.out) zs.packet(k);
  }
  pcap_close(pc);
  zs.finish_all();
  if (bad_checksums) *bad_checksums = zs.dropped_bad_checksum;
  return zs.rows;
}

bool zeek_ignores_checksums(const std::string& cmd) {
  for (const char* opt : {" -C", " -bC", " -Cr", " -bCr"})
    if (cmd.find(opt) != std::string::npos) return true;
  return false;
}

TEST(TcpZeekCorpus, AgreesWithZeekConnLog) {
  const char* env = std::getenv("SPANWATCH_CORPUS");
  const std::filesystem::path root = env && *env ? env : "/work/shared/corpus";
  const auto baselines = root / "truth/zeek/baselines.tsv";
  if (!std::filesystem::exists(baselines))
    GTEST_SKIP() << "corpus not found at " << root << " (set SPANWATCH_CORPUS)";

  size_t total = 0, state_ok = 0, hist_ok = 0;
  std::vector<std::string> mismatches;
  std::ifstream in(baselines);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const auto f = split(line, '\t');
    if (f.size() < 5 || f[1] != "conn.log" || f[3] != "full") continue;
    const std::string& name = f[0];
    const auto pcap_path = root / "pcaps/zeek" / name;
    const auto zeek_rows = read_zeek_tcp_rows(root / "truth/zeek" / name / "conn.log");
    if (zeek_rows.empty()) continue;

    size_t bad = 0;
    const bool ignore = zeek_ignores_checksums(f[4]);
    const std::vector<ConnRow> ours = run_pcap(pcap_path, ignore, &bad);
    if (bad)
      std::cout << "  " << name << ": " << bad
                << " TCP packets with bad checksums dropped, as Zeek without -C\n";

    // Match each Zeek row with one of ours on the 4-tuple, preferring an exact agreement.
    std::vector<bool> used(ours.size(), false);
    for (const ConnRow& z : zeek_rows) {
      ++total;
      std::optional<size_t> pick;
      for (int pass = 0; pass < 3 && !pick; ++pass)
        for (size_t i = 0; i < ours.size() && !pick; ++i) {
          const ConnRow& o = ours[i];
          if (used[i] || o.orig_h != z.orig_h || o.orig_p != z.orig_p || o.resp_h != z.resp_h ||
              o.resp_p != z.resp_p)
            continue;
          if (pass == 0 && (o.state != z.state || o.history != z.history)) continue;
          if (pass == 1 && o.state != z.state && o.history != z.history) continue;
          pick = i;
        }
      std::ostringstream what;
      what << name << " " << z.orig_h << ":" << z.orig_p << " > " << z.resp_h << ":" << z.resp_p << "  zeek "
           << z.state << " " << (z.history.empty() ? "-" : z.history);
      if (!pick) {
        mismatches.push_back(what.str() + "  ours: no such connection");
        continue;
      }
      used[*pick] = true;
      const ConnRow& o = ours[*pick];
      state_ok += o.state == z.state;
      hist_ok += o.history == z.history;
      if (o.state != z.state || o.history != z.history)
        mismatches.push_back(what.str() + "  ours " + o.state + " " + (o.history.empty() ? "-" : o.history));
    }
    for (size_t i = 0; i < ours.size(); ++i)
      if (!used[i])
        std::cout << "  extra (not in Zeek's log): " << name << " " << ours[i].orig_h << ":" << ours[i].orig_p
                  << " > " << ours[i].resp_h << ":" << ours[i].resp_p << " " << ours[i].state << " "
                  << ours[i].history << "\n";
  }
  ASSERT_GT(total, 0u);
  const double state_pct = 100.0 * double(state_ok) / double(total);
  const double hist_pct = 100.0 * double(hist_ok) / double(total);
  std::cout << "Zeek TCP connections: " << total << "; conn_state agrees " << state_ok << " (" << state_pct
            << "%), history agrees " << hist_ok << " (" << hist_pct << "%)\n";
  for (const auto& m : mismatches)
    std::cout << "  mismatch: " << m << "\n    reason: " << known_reason(m.substr(0, m.find(' '))) << "\n";
  RecordProperty("zeek_tcp_connections", int(total));
  RecordProperty("conn_state_agree", int(state_ok));
  RecordProperty("history_agree", int(hist_ok));
  // Product targets: conn_state >= 98 %, history >= 95 %. Reached: 141 of 142 for both (99.3 %); the one
  // left is an originator choice that depends on which scripts that Zeek run loaded (known_reason()).
  EXPECT_GE(state_pct, 98.0);
  EXPECT_GE(hist_pct, 95.0);
  EXPECT_GE(state_ok, 141u);
  EXPECT_GE(hist_ok, 141u);
}

// The .cut baselines that keep `history` but no connection tuple (and often no proto): every TCP history
// we produce must be one of Zeek's rows for that pcap.
TEST(TcpZeekCorpus, HistoriesAppearInCutBaselines) {
  const char* env = std::getenv("SPANWATCH_CORPUS");
  const std::filesystem::path root = env && *env ? env : "/work/shared/corpus";
  const auto baselines = root / "truth/zeek/baselines.tsv";
  if (!std::filesystem::exists(baselines))
    GTEST_SKIP() << "corpus not found at " << root << " (set SPANWATCH_CORPUS)";
  size_t ours_total = 0, found = 0;
  std::ifstream in(baselines);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const auto f = split(line, '\t');
    if (f.size() < 5 || f[1] != "conn.log.cut" || f[3].find("history") == std::string::npos) continue;
    const std::string& name = f[0];
    std::ifstream cut(root / "truth/zeek" / name / "conn.log.cut");
    std::vector<std::string> zeek_hist, cols;
    std::string l;
    size_t hcol = 0, pcol = SIZE_MAX;
    bool header = true;
    while (std::getline(cut, l)) {
      if (l.empty() || l[0] == '#') continue;
      const auto c = split(l, '\t');
      if (header) {  // zeek-cut -m style header line with column names
        for (size_t i = 0; i < c.size(); ++i) {
          if (c[i] == "history") hcol = i;
          if (c[i] == "proto") pcol = i;
        }
        header = false;
        continue;
      }
      if (pcol != SIZE_MAX && pcol < c.size() && c[pcol] != "tcp") continue;
      zeek_hist.push_back(hcol < c.size() ? c[hcol] : std::string());
    }
    const auto rows = run_pcap(root / "pcaps/zeek" / name, zeek_ignores_checksums(f[4]));
    for (const ConnRow& o : rows) {
      ++ours_total;
      const std::string h = o.history.empty() ? "-" : o.history;
      auto it = std::find(zeek_hist.begin(), zeek_hist.end(), h);
      if (it != zeek_hist.end()) {
        ++found;
        zeek_hist.erase(it);
      } else {
        std::cout << "  cut mismatch: " << name << " " << o.orig_h << ":" << o.orig_p << " > " << o.resp_h
                  << ":" << o.resp_p << " ours " << o.state << " " << h << "; zeek left:";
        for (const auto& z : zeek_hist) std::cout << " " << z;
        std::cout << "\n    reason: " << known_reason(name) << "\n";
      }
    }
  }
  std::cout << "TCP connections in pcaps with history-only baselines: " << ours_total
            << "; history found in Zeek's: " << found << "\n";
  // Reached: 26 of 30; the other 4 are the 'X' and 'C' letters, out of scope (see known_reason()).
  EXPECT_GE(found, 26u);
  EXPECT_GE(ours_total, 30u);
}

}  // namespace
}  // namespace spanwatch::lib
