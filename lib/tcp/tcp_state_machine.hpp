// Zeek-compatible TCP connection tracking for one connection: per-endpoint states, the `history`
// string and `conn_state`, including Zeek's originator/responder role flips. A fixed-size POD (pooled by
// the flow shard); what only some connections need is in a TcpRareStore slot named by index, taken on first
// need. No allocation. Rules: ../shared/reference/zeek-conn-state.md.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "lib/core/tcp_flags.hpp"
#include "lib/tcp/conn_state.hpp"
#include "lib/tcp/tcp_rare_state.hpp"

namespace spanwatch::lib {

// What the state machine needs from one TCP segment.
struct TcpSegment {
  uint8_t flags = 0;  // FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80
  uint32_t seq = 0, ack = 0;
  uint32_t payload_len = 0;  // TCP payload bytes per the IP length
  uint16_t window = 0;
};

// What the caller must do after a packet.
enum class TcpVerdict : uint8_t {
  kContinue,       // packet belongs to this connection
  kFlipRoles,      // packet belongs to it, and Zeek now swaps originator and responder: the caller swaps
                   // its per-direction counters and endpoints (the machine has already flipped itself).
                   // The packet was processed as travelling in other(dir): relative to the NEW originator.
  kNewConnection,  // the packet starts a new connection on the same 5-tuple (port reuse after close):
                   // the caller ends this flow, then creates a fresh one for the packet. The machine is
                   // left untouched by that packet.
};

// Zeek's endpoint states (init-bare.zeek TCP_INACTIVE .. TCP_RESET), for callers that time flows out.
enum class TcpEndpointState : uint8_t {
  kInactive,
  kSynSent,
  kSynAckSent,
  kPartial,
  kEstablished,
  kClosed,
  kReset
};

class TcpStateMachine {
 public:
  static constexpr unsigned kMaxHistory = 23;  // letters kept; Zeek does not cap, long histories are rare
  // Letters kept in the machine; the rest go to the rare state (TcpRareState::more_letters), lost (and
  // counted as the store's `exhausted`) when no slot is left. Every history of the corpus has at most 12,
  // most 2-8.
  static constexpr unsigned kInlineHistory = 11;

  // Zeek's decision for the first packet of a connection: true when its sender should be the responder
  // (no pure SYN and the source port is a likely server port, see TCP.cc WantConnection/flip logic).
  // Zeek also refuses to flip when the destination is a broadcast address (IPBasedAnalyzer::NewConn);
  // that check is the caller's, which has the addresses.
  static bool first_packet_from_responder(const TcpSegment& first, uint16_t src_port,
                                          uint16_t dst_port) noexcept;

  // Whether a TCP port is in the built-in copy of Zeek's likely_server_ports.
  static bool is_likely_server_port(uint16_t port) noexcept;

  // Feeds one packet travelling in direction `dir` (relative to the current originator). The first
  // packet of a connection must be the one that created it: Dir::kResp there means the caller flipped
  // the roles at creation (first_packet_from_responder), which Zeek records as a leading '^'. `rare`
  // holds this machine's rare state (TcpRareState) once it has any: always the same store for a machine.
  TcpVerdict on_packet(Dir dir, const TcpSegment& seg, TcpRareStore& rare) noexcept;
  // on_packet() inline for the segment nearly every packet of a long connection is: an ACK or data segment
  // (no SYN, FIN or RST) between two established endpoints that have not closed, with a window, whose
  // letter (D or A) its side has recorded already, that neither repeats data (T) nor acks data the peer has
  // not sent (G). Makes established_segment()'s changes (the peer's ack, this side's last sequence number)
  // and returns true, the connection still established on both sides, not closed; false, with nothing
  // changed, for any other segment: the caller then takes on_packet().
  [[gnu::always_inline]] bool on_plain_segment(Dir dir, uint8_t flags, uint32_t seq, uint32_t ack,
                                               uint32_t payload_len, uint16_t window) noexcept {
    Endpoint& e = ep_[size_t(dir)];
    Endpoint& p = ep_[1 - size_t(dir)];
    // Whether a segment carries data, and whether it moves the peer's ack, are as random as the traffic:
    // as branches they were mispredicted about one packet in three each. They select values instead, and
    // the branches left are taken only by the segments this declines.
    const uint8_t letter = kHistAck >> (payload_len != 0);  // D (kHistData) or A
    static_assert(kHistData == kHistAck >> 1);
    if ((flags & (kTcpSyn | kTcpFin | kTcpRst | kTcpAck)) != kTcpAck || window == 0 ||
        e.state != kEstablished || p.state != kEstablished || e.did_close || p.did_close ||
        !(e.hist_seen & letter))
      return false;
    const uint32_t end = seq + payload_len;
    const bool advances = int32_t(end - e.last_seq) > 0;
    const int32_t delta_ack = int32_t(ack - p.ack_seq);
    const bool acks_more = (int32_t(ack - p.start_seq) >= 0) & (delta_ack > 0);
    // A retransmission, or a gap (an ack of data the peer has not sent): one test, which g++ keeps free
    // of branches (as two, it branched on `advances` again).
    if ((!advances & (payload_len != 0)) | (acks_more & (int32_t(ack - p.last_seq) > 0))) return false;
    p.ack_seq = acks_more & ((ack != 0) | (delta_ack <= kTooLargeSeqDelta)) ? ack : p.ack_seq;
    e.last_seq = advances ? end : e.last_seq;
    return true;
  }
  // Whether on_packet() would answer kNewConnection for this segment (and leave the machine untouched).
  bool starts_new_connection(const TcpSegment& seg) const noexcept { return started_ && is_reuse(seg); }
  // Gives the rare state's slot back; the connection has ended. A copy of a machine shares its slot (so only
  // one copy may go on taking packets: a move to the full class gives the small slot back).
  void release(TcpRareStore& rare) noexcept {
    rare.release(rare_);
    rare_ = 0;
  }
  bool has_rare_state() const noexcept { return rare_ != 0; }
  // The bytes of its rare state's slot (TcpRareStore's size classes), 0 while it has none.
  size_t rare_state_bytes() const noexcept { return TcpRareStore::slot_bytes(rare_); }

  // A segment with a bad checksum (flows.verify_checksums), seen by `dir`, and not given to on_packet():
  // TCP_Endpoint::ChecksumError, the letter C/c on the 1st, 10th, 100th, ... (`counter`: this side's).
  void on_bad_checksum(Dir dir, uint32_t& counter, TcpRareStore& rare) noexcept {
    scaled_history(dir, counter, 'C', rare);
  }

  // `rare` as for on_packet (the letters past kInlineHistory are there).
  ConnState conn_state(const TcpRareStore& rare) const noexcept;
  // The history letters, e.g. "ShADadFf": copies the first min(history_len(), cap) to `out` (not
  // NUL-terminated) and returns how many.
  unsigned copy_history(char* out, unsigned cap, const TcpRareStore& rare) const noexcept;
  unsigned history_len() const noexcept { return history_len_; }

  // True once the connection is closed or reset on both sides in a way after which Zeek lingers
  // (used to pick the short linger timeout): both sides closed/reset, or one side reset.
  bool is_closed() const noexcept;

  // Zeek's TCPSessionAdapter::AttemptTimer condition: the originator sent a SYN (or SYN-ACK) and the
  // responder has sent nothing. Zeek drops such a connection tcp_attempt_delay (5 s) after the SYN.
  bool is_attempt() const noexcept;

  TcpEndpointState endpoint_state(Dir d) const noexcept { return TcpEndpointState(ep_[size_t(d)].state); }
  // Zeek's TCP_Endpoint::did_close: this side's FIN or RST has been reported (TCPSessionAdapter::IsClosed).
  bool did_close(Dir d) const noexcept { return ep_[size_t(d)].did_close; }
  // Zeek's TCP_Endpoint::Size(): payload bytes from sequence numbers (conn.log orig_bytes/resp_bytes),
  // modulo 2^32 (we do not count sequence wraps).
  uint64_t payload_size(Dir d) const noexcept;

 private:
  // One side of the connection; it moves when roles flip. hist_seen is swapped back to stay with the
  // role (Zeek's Connection::hist_seen is not flipped), except in the SYN-ACK-first flip, which rewrites
  // the history letters too.
  // 14 bytes (packed: issue 3, bytes per TCP flow; x86 reads the unaligned sequence numbers at full speed).
  struct [[gnu::packed]] Endpoint {
    uint32_t start_seq = 0;  // TCP_Endpoint start/last/ack seq (relative seq, Size(), retransmissions)
    uint32_t last_seq = 0;
    uint32_t ack_seq = 0;
    // No field straddles a byte: hist_seen in the low bits of the first (testing and setting a letter's
    // bit, every packet, needs no shift), the states in the second (what every packet's timeout reads).
    uint16_t hist_seen : 7 = 0;    // once-per-direction letters recorded (Zeek HIST_* bits of this role)
    uint16_t did_close : 1 = 0;    // this side's FIN or RST has been reported (TCP_Endpoint::did_close)
    uint16_t state : 3 = 0;        // TcpEndpointState
    uint16_t prev_state : 3 = 0;   // TCP_Endpoint::prev_state
    uint16_t fin_seen : 1 = 0;     // FIN_cnt > 0
    uint16_t fin_at_last : 1 = 0;  // hist_last_fin is implicit (below)
  };                               // its repeat rules' sequence numbers and T/W/G counts: TcpRareState::Side
  static_assert(sizeof(Endpoint) == 14);
  // fin_at_last: hist_last_fin is last_seq - 1 - start_seq (the FIN was this side's highest segment, as
  // nearly every FIN is) and is kept so, without a rare-state slot. Only a closed or reset endpoint has it.
  // The same for a RST at this side's last_seq (rst_at_last_, below: the endpoint has no bit left).

  // Endpoint::state values (here, not in the .cpp, for on_plain_segment()).
  static constexpr uint8_t kInactive = uint8_t(TcpEndpointState::kInactive);
  static constexpr uint8_t kSynSent = uint8_t(TcpEndpointState::kSynSent);
  static constexpr uint8_t kSynAckSent = uint8_t(TcpEndpointState::kSynAckSent);
  static constexpr uint8_t kPartial = uint8_t(TcpEndpointState::kPartial);
  static constexpr uint8_t kEstablished = uint8_t(TcpEndpointState::kEstablished);
  static constexpr uint8_t kClosed = uint8_t(TcpEndpointState::kClosed);
  static constexpr uint8_t kReset = uint8_t(TcpEndpointState::kReset);
  // TCP_Endpoint HIST_* bits (one byte per role here; Zeek keeps both roles in one word, resp << 16).
  static constexpr uint8_t kHistSyn = 0x01, kHistFin = 0x02, kHistRst = 0x04, kHistFinRst = 0x08;
  static constexpr uint8_t kHistData = 0x10, kHistAck = 0x20, kHistMultiFlag = 0x40;
  static constexpr int32_t kTooLargeSeqDelta = 1048576;  // TOO_LARGE_SEQ_DELTA

  void process(Dir dir, const TcpSegment& seg, TcpVerdict& verdict, TcpRareStore& rare) noexcept;
  void established_segment(Dir dir, const TcpSegment& seg, TcpRareStore& rare) noexcept;  // the common case
  bool is_reuse(const TcpSegment& seg) const noexcept;
  void flip_roles(TcpRareStore& rare) noexcept;
  void swap_rare_sides(TcpRareStore& rare) noexcept;
  // Endpoint i's rare state to write: the full slot is taken on first need (in place of a small one).
  [[gnu::cold, gnu::noinline]] TcpRareState::Side& rare_side(TcpRareStore& rare, size_t i) noexcept;
  // Endpoint i's retransmission count to write: a small slot does (taken on first need).
  [[gnu::cold, gnu::noinline]] uint32_t& rxmt_count(TcpRareStore& rare, size_t i) noexcept;
  // Takes a full rare slot if the machine has none yet; false when none is left (counted by the store).
  bool take_rare(TcpRareStore& rare) noexcept {
    if (!TcpRareStore::is_full(rare_)) rare_ = rare.acquire_state(rare_);
    return TcpRareStore::is_full(rare_);
  }
  // Endpoint i's rare state to read: all zero while the machine has no full slot.
  TcpRareState::Side rare_value(const TcpRareStore& rare, size_t i) const noexcept {
    return TcpRareStore::is_full(rare_) ? rare.state(rare_).ep[i] : TcpRareState::Side{};
  }
  uint32_t hist_last_fin(const TcpRareStore& rare, size_t i) const noexcept {
    const Endpoint& e = ep_[i];
    return e.fin_at_last ? e.last_seq - 1 - e.start_seq : rare_value(rare, i).hist_last_fin;
  }
  void set_hist_last_fin(TcpRareStore& rare, size_t i, uint32_t v) noexcept;
  bool rst_at_last(size_t i) const noexcept { return (rst_at_last_ >> i & 1) != 0; }
  uint32_t hist_last_rst(const TcpRareStore& rare, size_t i) const noexcept {
    const Endpoint& e = ep_[i];
    return rst_at_last(i) ? e.last_seq - e.start_seq : rare_value(rare, i).hist_last_rst;
  }
  void set_hist_last_rst(TcpRareStore& rare, size_t i, uint32_t v) noexcept;
  // Before endpoint i's start_seq or last_seq changes: an implicit hist_last_fin or hist_last_rst is
  // written out.
  void keep_implicit(TcpRareStore& rare, size_t i) noexcept {
    if (ep_[i].fin_at_last | rst_at_last(i)) [[unlikely]]
      write_out_implicit(rare, i);
  }
  [[gnu::cold, gnu::noinline]] void write_out_implicit(TcpRareStore& rare, size_t i) noexcept;
  void add_history(char c, TcpRareStore& rare) noexcept;
  [[gnu::cold, gnu::noinline]] void history_after_synack_flip(TcpRareStore& rare) noexcept;
  bool check_history(Dir dir, uint8_t mask, char code, TcpRareStore& rare) noexcept {
    if (ep_[size_t(dir)].hist_seen & mask) return true;  // most packets: no call
    first_letter(dir, mask, code, rare);
    return false;
  }
  [[gnu::noinline]] void first_letter(Dir dir, uint8_t mask, char code, TcpRareStore& rare) noexcept;
  void scaled_history(Dir dir, uint32_t& counter, char code, TcpRareStore& rare) noexcept;
  // The letters past kInlineHistory: the rare state is taken on first need.
  [[gnu::cold, gnu::noinline]] void add_late_letter(unsigned code, TcpRareStore& rare) noexcept;

  // The history letters as 5-bit codes (kHistoryLetters), letter i at bits [5i, 5i + 5) of `letters_`
  // for i < kInlineHistory, of the rare state's `more_letters` after (issue 3: bytes per TCP flow).
  // All zero is an empty history.
  static constexpr unsigned kCodeBits = 5, kInlineBits = kInlineHistory * kCodeBits;
  unsigned letter_code(unsigned i, const TcpRareStore& rare) const noexcept;
  void set_letter_code(unsigned i, unsigned code, TcpRareStore& rare) noexcept;

  std::array<Endpoint, 2> ep_{};  // [Dir::kOrig], [Dir::kResp]
  uint32_t rare_ = 0;             // TcpRareStore handle; 0: none yet (a zeroed machine is a new one)
  uint64_t letters_ : kInlineBits = 0;
  uint64_t history_len_ : 5 = 0;
  uint64_t started_ : 1 = 0;      // a packet has been seen
  uint64_t rst_at_last_ : 2 = 0;  // bit i: endpoint i's hist_last_rst is last_seq - start_seq (Endpoint)
};
static_assert(TcpStateMachine::kMaxHistory < 32, "history_len_ bits");
static_assert(TcpStateMachine::kInlineHistory * 5 + 8 <= 64 &&
                  (TcpStateMachine::kMaxHistory - TcpStateMachine::kInlineHistory) * 5 <= 64,
              "letters_, more_letters");
static_assert(sizeof(TcpStateMachine) == 40, "issue 3: bytes per TCP flow (was 52, 96, 108 before)");

// UDP and other transports, as Zeek decides them at removal: UDP SF/S0/SHR/OTH by which sides sent.
ConnState udp_conn_state(bool orig_sent, bool resp_sent) noexcept;

// Zeek's flip decision for the first packet of a UDP flow (likely server port heuristic).
bool udp_first_packet_from_responder(uint16_t src_port, uint16_t dst_port) noexcept;

}  // namespace spanwatch::lib
