// Zeek-compatible TCP endpoint states, history letters and conn_state for one connection, plus Zeek's
// role-flip and port-reuse decisions and the UDP conn_state. Each rule names the Zeek function it mirrors
// (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc unless said otherwise).
#include "lib/tcp/tcp_state_machine.hpp"

#include <type_traits>
#include <utility>

#include "lib/core/tcp_flags.hpp"

namespace spanwatch::lib {

static_assert(std::is_trivially_copyable_v<TcpStateMachine>, "pooled by the flow shard, zeroed as new");

namespace {

constexpr int32_t seq_delta(uint32_t a, uint32_t b) noexcept {
  return int32_t(a - b);
}

constexpr char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

constexpr bool is_power_of_10(uint32_t n) noexcept {
  for (uint32_t p = 1;; p *= 10) {
    if (n == p) return true;
    if (p > n / 10) return false;
  }
}

// Zeek's likely_server_ports is filled by each loaded protocol script (`redef likely_server_ports +=
// { ports }`). This is the union of the ports Zeek's base scripts add and a list of other common services.
struct PortSet {
  std::array<uint64_t, 1024> bits{};
  constexpr bool has(uint16_t p) const noexcept { return ((bits[p >> 6] >> (p & 63)) & 1) != 0; }
};
template <size_t N>
consteval PortSet make_port_set(const uint16_t (&ports)[N]) {
  PortSet s;
  for (uint16_t p : ports) s.bits[p >> 6] |= uint64_t(1) << (p & 63);
  return s;
}

constexpr uint16_t kTcpServerPorts[] = {
    // Zeek base scripts: ftp, ssh, smtp, dns, http, krb, dce-rpc, smb, imap, ldap, modbus, mqtt, mysql,
    // postgresql, rdp, redis, socks, ssl, irc, xmpp, dnp3, finger.
    21, 2811, 22, 25, 587, 53, 80, 81, 631, 1080, 3128, 8000, 8080, 8888, 88, 135, 139, 445, 143, 389, 3268,
    502, 1883, 1434, 3306, 5432, 3389, 6379, 443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223, 6666,
    6667, 6668, 6669, 5222, 5269, 20000, 79,
    // Other common services.
    23, 110, 111, 137, 138, 179, 465, 514, 1433, 1521, 1723, 2049, 5060, 5061, 5900, 8443, 9200, 27017};
constexpr uint16_t kUdpServerPorts[] = {
    // Zeek base scripts: dns, dhcp (v4 only: Zeek has no DHCPv6 analyzer, and the pppoe.pcap baseline
    // keeps a 547 -> 546 reply unflipped), krb, ntp, snmp, ldap, ssl (DTLS), quic, syslog, radius, rdp
    // (rdpeudp), sip, dnp3, openvpn, nat-mapping, tunnels (ayiya, teredo, gtp, vxlan, geneve).
    53, 137, 5353, 5355, 67, 88, 123, 161, 162, 389, 443, 784, 853, 514, 1812, 3389, 5060, 20000, 1194, 5351,
    5072, 3544, 2152, 2123, 4789, 6081,
    // Other common services.
    69, 111, 138, 500, 2049, 4500};

constexpr PortSet kTcpLikely = make_port_set(kTcpServerPorts);
constexpr PortSet kUdpLikely = make_port_set(kUdpServerPorts);

}  // namespace

bool TcpStateMachine::is_likely_server_port(uint16_t port) noexcept {
  return kTcpLikely.has(port);
}

// TCPAnalyzer::WantConnection: a connection that does not start with a pure SYN is a partial one; guess
// the true responder from the ports. Both plausible: flip only if not a SYN-ACK (stealth scans) and the
// source port is the lower one.
bool TcpStateMachine::first_packet_from_responder(const TcpSegment& first, uint16_t src_port,
                                                  uint16_t dst_port) noexcept {
  if ((first.flags & kTcpSyn) && !(first.flags & kTcpAck)) return false;
  if (!kTcpLikely.has(src_port)) return false;
  if (kTcpLikely.has(dst_port)) return !(first.flags & kTcpSyn) && src_port < dst_port;
  return true;
}

// The letters Zeek's history uses here, as 5-bit codes: '^' is 0, the upper-case letters 1..13 and their
// lower-case forms the same plus 16, so that swapping the case flips bit 4. An unknown letter would be
// kept as '?' (none is: every letter added below is in the table; the unit tests check each).
constexpr char kUpperLetters[] = "ADFGHIQRSTWZC";
constexpr unsigned kLowerCase = 16, kUnknownCode = 15;
constexpr std::array<char, 32> kHistoryLetters = [] {
  std::array<char, 32> t{};
  t.fill('?');
  t[0] = '^';
  for (unsigned k = 0; kUpperLetters[k] != '\0'; ++k) {
    t[k + 1] = kUpperLetters[k];
    t[k + 1 + kLowerCase] = to_lower(kUpperLetters[k]);
  }
  return t;
}();
constexpr std::array<uint8_t, 128> kHistoryCodes = [] {  // letter -> code: one load per letter added
  std::array<uint8_t, 128> t{};
  t.fill(uint8_t(kUnknownCode));
  for (unsigned code = 0; code < kHistoryLetters.size(); ++code)
    if (kHistoryLetters[code] != '?') t[uint8_t(kHistoryLetters[code])] = uint8_t(code);
  return t;
}();
constexpr unsigned history_code(char c) noexcept {
  return uint8_t(c) < kHistoryCodes.size() ? kHistoryCodes[uint8_t(c)] : kUnknownCode;
}
constexpr unsigned swap_case_code(unsigned code) noexcept {
  return (code & (kLowerCase - 1)) != 0 ? code ^ kLowerCase : code;
}
static_assert(history_code('^') == 0 && history_code('a') == swap_case_code(history_code('A')) &&
              kHistoryLetters[history_code('z')] == 'z' && history_code('x') == kUnknownCode);

unsigned TcpStateMachine::letter_code(unsigned i, const TcpRareStore& rare) const noexcept {
  constexpr uint64_t kMask = (1u << kCodeBits) - 1;
  if (i < kInlineHistory) return unsigned(letters_ >> (i * kCodeBits) & kMask);
  return TcpRareStore::is_full(rare_)
             ? unsigned(rare.state(rare_).more_letters >> ((i - kInlineHistory) * kCodeBits) & kMask)
             : 0;
}

void TcpStateMachine::set_letter_code(unsigned i, unsigned code, TcpRareStore& rare) noexcept {
  constexpr uint64_t kMask = (1u << kCodeBits) - 1;
  if (i < kInlineHistory) {
    const unsigned shift = i * kCodeBits;
    letters_ = (letters_ & ~(kMask << shift)) | uint64_t(code) << shift;
    return;
  }
  if (!TcpRareStore::is_full(rare_)) return;  // no slot was left: the letter is lost (counted by the store)
  const unsigned shift = (i - kInlineHistory) * kCodeBits;
  uint64_t& w = rare.state(rare_).more_letters;
  w = (w & ~(kMask << shift)) | uint64_t(code) << shift;
}

unsigned TcpStateMachine::copy_history(char* out, unsigned cap, const TcpRareStore& rare) const noexcept {
  const unsigned len = history_len_, n = len < cap ? len : cap;
  for (unsigned i = 0; i < n; ++i) out[i] = kHistoryLetters[letter_code(i, rare)];
  return n;
}

// The SYN-ACK-first flip: the letters so far become the other role's (case swapped) after a leading '^'
// (out of line: rare, and inlined it cost on_packet two more saved registers on every packet).
void TcpStateMachine::history_after_synack_flip(TcpRareStore& rare) noexcept {
  const unsigned len = history_len_;
  unsigned n = len < kMaxHistory ? len : kMaxHistory - 1;
  // One more letter than the machine holds needs the rare slot; with none left the last inline letter is
  // lost and the length stays.
  if (n >= kInlineHistory && !take_rare(rare)) n = kInlineHistory - 1;
  for (unsigned i = n; i > 0; --i) set_letter_code(i, swap_case_code(letter_code(i - 1, rare)), rare);
  set_letter_code(0, history_code('^'), rare);
  history_len_ = n + 1;
}

void TcpStateMachine::add_history(char c, TcpRareStore& rare) noexcept {
  const unsigned len = history_len_;
  if (len < kInlineHistory) [[likely]] {
    letters_ |= uint64_t(history_code(c)) << (len * kCodeBits);  // the code's bits are still zero
    history_len_ = len + 1;
  } else if (len < kMaxHistory) {
    add_late_letter(history_code(c), rare);
  }
}

void TcpStateMachine::add_late_letter(unsigned code, TcpRareStore& rare) noexcept {
  if (!take_rare(rare)) return;  // the letter is lost; the history ends before it
  const unsigned len = history_len_;
  set_letter_code(len, code, rare);
  history_len_ = len + 1;
}

// TCP_Endpoint::CheckHistory / Session::CheckHistory: record `code` the first time only; true if seen before.
void TcpStateMachine::first_letter(Dir dir, uint8_t mask, char code, TcpRareStore& rare) noexcept {
  Endpoint& e = ep_[size_t(dir)];
  e.hist_seen = uint16_t(e.hist_seen | (mask & 0x7f));  // every HIST_* bit is below 0x80
  add_history(dir == Dir::kOrig ? code : to_lower(code), rare);
}

// Connection::ScaledHistoryEntry: the letter on the 1st, 10th, 100th, ... event.
void TcpStateMachine::scaled_history(Dir dir, uint32_t& counter, char code, TcpRareStore& rare) noexcept {
  if (is_power_of_10(++counter)) add_history(dir == Dir::kOrig ? code : to_lower(code), rare);
}

// Swaps the endpoints (TCPSessionAdapter::FlipRoles). The per-role history bits stay with the role, as
// Connection::hist_seen does; the caller appends '^' (Connection::FlipRoles).
void TcpStateMachine::flip_roles(TcpRareStore& rare) noexcept {
  std::swap(ep_[0], ep_[1]);
  const uint16_t seen = ep_[0].hist_seen;  // bit-fields: no std::swap
  ep_[0].hist_seen = ep_[1].hist_seen;
  ep_[1].hist_seen = seen;
  swap_rare_sides(rare);
}

// The rare state belongs to the endpoint, as the rest of Endpoint does.
void TcpStateMachine::swap_rare_sides(TcpRareStore& rare) noexcept {
  rst_at_last_ = (rst_at_last_ & 1) << 1 | rst_at_last_ >> 1;
  if (rare_ == 0) return;
  std::array<uint32_t, 2>& rxmt = rare.counts(rare_).rxmt_cnt;
  std::swap(rxmt[0], rxmt[1]);
  if (TcpRareStore::is_full(rare_)) std::swap(rare.state(rare_).ep[0], rare.state(rare_).ep[1]);
}

// Implicit while it equals what last_seq and start_seq say, else in the rare state (not written when
// unchanged, so a zero needs no slot).
void TcpStateMachine::set_hist_last_fin(TcpRareStore& rare, size_t i, uint32_t v) noexcept {
  Endpoint& e = ep_[i];
  if (e.last_seq - 1 - e.start_seq == v) {
    e.fin_at_last = 1;
    return;
  }
  e.fin_at_last = 0;
  if (v != rare_value(rare, i).hist_last_fin) rare_side(rare, i).hist_last_fin = v;
}

void TcpStateMachine::set_hist_last_rst(TcpRareStore& rare, size_t i, uint32_t v) noexcept {
  const Endpoint& e = ep_[i];
  if (e.last_seq - e.start_seq == v) {
    rst_at_last_ |= 1u << i;
    return;
  }
  rst_at_last_ &= ~(1u << i);
  if (v != rare_value(rare, i).hist_last_rst) rare_side(rare, i).hist_last_rst = v;
}

void TcpStateMachine::write_out_implicit(TcpRareStore& rare, size_t i) noexcept {
  const uint32_t fin = hist_last_fin(rare, i), rst = hist_last_rst(rare, i);
  ep_[i].fin_at_last = 0;
  rst_at_last_ &= ~(1u << i);
  if (fin != rare_value(rare, i).hist_last_fin) rare_side(rare, i).hist_last_fin = fin;
  if (rst != rare_value(rare, i).hist_last_rst) rare_side(rare, i).hist_last_rst = rst;
}

TcpRareState::Side& TcpStateMachine::rare_side(TcpRareStore& rare, size_t i) noexcept {
  return (take_rare(rare) ? rare.state(rare_) : rare.scratch()).ep[i];
}

uint32_t& TcpStateMachine::rxmt_count(TcpRareStore& rare, size_t i) noexcept {
  if (rare_ == 0) rare_ = rare.acquire_counts();
  return (rare_ != 0 ? rare.counts(rare_) : rare.scratch().counts).rxmt_cnt[i];
}

// TCPSessionAdapter::IsReuse: does this packet start a new connection on the same tuple?
bool TcpStateMachine::is_reuse(const TcpSegment& seg) const noexcept {
  // Reuse only occurs on initial SYNs, except for half connections it can occur on SYN-ACKs.
  if (!(seg.flags & kTcpSyn)) return false;
  const Endpoint* conn_orig = &ep_[0];
  if (seg.flags & kTcpAck) {
    if (ep_[0].state != kInactive) return false;  // not a half connection
    conn_orig = &ep_[1];
  }
  const bool is_closed = ep_[0].did_close || ep_[1].did_close;  // TCPSessionAdapter::IsClosed
  if (!is_closed) {
    if (seg.seq == conn_orig->start_seq) return false;  // a retransmission
    // SYN and SYN-ACK seen in reverse order: not a reuse, UpdateInactiveState flips the roles.
    if (!(seg.flags & kTcpAck) && conn_orig->state == kSynAckSent && ep_[1].state == kInactive &&
        seg.seq == ep_[1].start_seq)
      return false;
    // Zeek: weird SYN_seq_jump / active_connection_reuse, and a new connection all the same.
  }
  return true;
}

// process() for the segment most packets are: an ACK or data segment (no SYN, FIN or RST) between two
// established endpoints. Every control branch of process() is decided for it, so what is left is its
// history letters, the ACK and last sequence updates and the gap check, in process()'s order.
void TcpStateMachine::established_segment(Dir dir, const TcpSegment& seg, TcpRareStore& rare) noexcept {
  const size_t ei = size_t(dir), pi = 1 - ei;
  Endpoint& e = ep_[ei];
  Endpoint& p = ep_[pi];
  const uint32_t len = seg.payload_len, ack_seq = seg.ack;
  if (len)
    check_history(dir, kHistData, 'D', rare);
  else
    check_history(dir, kHistAck, 'A', rare);
  if (seg.window == 0)
    scaled_history(dir, rare_side(rare, ei).win0_cnt, 'W', rare);  // neither side is closed or reset
  bool gap_check = false;
  uint32_t prev_peer_ack = 0;
  if (seq_delta(ack_seq, p.start_seq) >= 0) {
    prev_peer_ack = p.ack_seq;
    gap_check = true;
    const int32_t delta_ack = seq_delta(ack_seq, p.ack_seq);
    if (ack_seq == 0 && delta_ack > kTooLargeSeqDelta) {
      // more likely a broken ack than a large connection landing on 0
    } else if (delta_ack > 0) {
      p.ack_seq = ack_seq;
    }
  }
  const uint32_t seq_one_past_segment = seg.seq + len;
  if (seq_delta(seq_one_past_segment, e.last_seq) > 0)
    e.last_seq = seq_one_past_segment;  // established: no implicit FIN or RST (keep_implicit not needed)
  else if (len > 0)
    scaled_history(dir, rxmt_count(rare, ei), 'T', rare);
  if (gap_check && seq_delta(ack_seq, p.last_seq) > 0 && seq_delta(ack_seq, prev_peer_ack) > 0)
    scaled_history(Dir(pi), rare_side(rare, pi).gap_cnt, 'G', rare);
}

TcpVerdict TcpStateMachine::on_packet(Dir dir, const TcpSegment& seg, TcpRareStore& rare) noexcept {
  // Both established: started (a state changes only when a packet is processed).
  if ((seg.flags & (kTcpSyn | kTcpFin | kTcpRst | kTcpAck)) == kTcpAck && ep_[0].state == kEstablished &&
      ep_[1].state == kEstablished) [[likely]] {
    established_segment(dir, seg, rare);  // no reuse (no SYN), no flip (both established)
    return TcpVerdict::kContinue;
  }
  TcpVerdict verdict = TcpVerdict::kContinue;
  if (!started_) {
    started_ = 1;
    // IPBasedAnalyzer::NewConn flips before the first packet is processed; Connection::FlipRoles adds '^'.
    if (dir == Dir::kResp) add_history('^', rare);
  } else {
    if (is_reuse(seg)) return TcpVerdict::kNewConnection;

    // Zeek PR #2191 (flip connections that begin with SYN-ACKs if subsequent acks or data seen): a
    // connection that started with an unflipped SYN-ACK is flipped on the next ACK or data segment in
    // either direction, and its history "H" becomes "^h". Stealth scans answer with RSTs or nothing.
    const bool control = (seg.flags & (kTcpSyn | kTcpFin | kTcpRst)) != 0;
    if (ep_[0].state == kSynAckSent && ep_[1].state == kInactive && !control &&
        ((seg.flags & kTcpAck) || seg.payload_len > 0)) {
      std::swap(ep_[0], ep_[1]);  // history bits follow the endpoint: the history is rewritten below
      swap_rare_sides(rare);
      Endpoint& server = ep_[1];  // its SYN-ACK now counts as the responder's (UpdateInactiveState)
      server.prev_state = server.state;
      server.state = kEstablished;
      history_after_synack_flip(rare);
      dir = other(dir);
      verdict = TcpVerdict::kFlipRoles;
    }
  }
  process(dir, seg, verdict, rare);
  return verdict;
}

// TCPSessionAdapter::Process, minus events, reassembly and weirds.
void TcpStateMachine::process(Dir dir, const TcpSegment& seg, TcpVerdict& verdict,
                              TcpRareStore& rare) noexcept {
  size_t ei = size_t(dir), pi = 1 - ei;  // indices move if the roles flip below
  const uint8_t f = seg.flags;
  const bool syn = f & kTcpSyn, fin = f & kTcpFin, rst = f & kTcpRst, ack = f & kTcpAck;
  const uint32_t len = seg.payload_len;
  const uint32_t base_seq = seg.seq, ack_seq = seg.ack;

  // get_segment_len: SYN and FIN take one sequence number each; a RST's data is not part of the stream.
  uint32_t seg_len = len + (syn ? 1 : 0) + (fin ? 1 : 0);
  if (rst) seg_len -= len;
  const uint32_t seq_one_past_segment = base_seq + seg_len;

  // init_endpoint
  {
    if (syn) keep_implicit(rare, ei);  // it may renumber the endpoint
    Endpoint& e = ep_[ei];
    switch (e.state) {
      case kInactive:
        if (syn) {
          e.ack_seq = e.start_seq = base_seq;
          e.last_seq = seq_one_past_segment;
        } else {  // partial connection: number as though a SYN had been seen
          e.ack_seq = e.start_seq = base_seq - 1;
          e.last_seq = base_seq;  // but ensure the first packet is not marked duplicate
        }
        break;
      case kSynSent:
      case kSynAckSent:
        if (syn && base_seq != e.start_seq) {  // SYN_seq_jump
          e.ack_seq = e.start_seq = base_seq;
          e.last_seq = seq_one_past_segment;
        }
        break;
      case kEstablished:
      case kPartial:
        if (syn) {  // guess that this SYN is the one that really sets the connection up
          e.ack_seq = e.start_seq = base_seq;
          e.last_seq = seq_one_past_segment;
        }
        break;
      case kReset:
        if (syn && e.prev_state == kInactive) {  // the earlier RST may have been spoofed
          e.ack_seq = e.start_seq = base_seq;
          e.last_seq = seq_one_past_segment;
        }
        break;
      default:
        break;
    }
  }
  const uint32_t rel_seq = base_seq - ep_[ei].start_seq;  // get_relative_seq, modulo 2^32

  // update_history
  uint32_t fin_last = 0;                            // hist_last_fin's new value, when fin_recorded
  bool fin_recorded = false, rst_recorded = false;  // hist_last_rst's new value: rel_seq
  {
    const Dir d = Dir(ei);
    const int bits_set = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits_set > 1) {
      if (fin && rst)
        check_history(d, kHistFinRst, 'I', rare);
      else
        check_history(d, kHistMultiFlag, 'Q', rare);
    } else if (bits_set == 1) {
      // A value equal to the last one is not written: a zero needs no slot.
      const TcpRareState::Side last = rare_value(rare, ei);
      if (syn) {
        const char code = ack ? 'H' : 'S';
        if (check_history(d, kHistSyn, code, rare) && rel_seq != last.hist_last_syn)
          add_history(d == Dir::kOrig ? code : to_lower(code), rare);
        if (rel_seq != last.hist_last_syn) rare_side(rare, ei).hist_last_syn = rel_seq;
      }
      if (fin) {  // a FIN's sequence number comes after the packet's data
        if (check_history(d, kHistFin, 'F', rare) && rel_seq + len != hist_last_fin(rare, ei))
          add_history(d == Dir::kOrig ? 'F' : 'f', rare);
        ep_[ei].fin_at_last = 0;  // replaced once last_seq is updated (below)
        fin_last = rel_seq + len;
        fin_recorded = true;
      }
      if (rst) {
        if (check_history(d, kHistRst, 'R', rare) && rel_seq != hist_last_rst(rare, ei))
          add_history(d == Dir::kOrig ? 'R' : 'r', rare);
        rst_at_last_ &= ~(1u << ei);  // replaced once last_seq is updated (below)
        rst_recorded = true;
      }
    } else if (len) {
      check_history(d, kHistData, 'D', rare);
    } else if (ack) {
      check_history(d, kHistAck, 'A', rare);
    }
  }

  // update_window: zero windows are boring with or after a RST, or after the peer's FIN.
  if (seg.window == 0 && !rst && ep_[pi].state != kClosed && ep_[ei].state != kReset)
    scaled_history(Dir(ei), rare_side(rare, ei).win0_cnt, 'W', rare);

  if (fin) ep_[ei].fin_seen = 1;  // FIN_cnt > 0

  // ACK handling: init_peer for a silent peer, else update_ack_seq (not from RSTs, not below its start).
  bool gap_check = false;
  uint32_t prev_peer_ack = 0;
  if (ack) {
    Endpoint& p = ep_[pi];
    if (p.state == kInactive) {
      keep_implicit(rare, pi);  // (an inactive endpoint has sent no FIN or RST)
      p.start_seq = p.ack_seq = p.last_seq = ack_seq - 1;
    } else if (seq_delta(ack_seq, p.start_seq) >= 0) {
      prev_peer_ack = p.ack_seq;
      gap_check = true;
      if (!rst) {
        const int32_t delta_ack = seq_delta(ack_seq, p.ack_seq);
        if (ack_seq == 0 && delta_ack > kTooLargeSeqDelta) {
          // more likely a broken ack than a large connection landing on 0
        } else if (delta_ack > 0) {
          p.ack_seq = ack_seq;
        }
      }
    }
  }

  // update_last_seq; a payload at or below the highest sequence number seen is a retransmission (T).
  int32_t delta_last;
  {
    Endpoint& e = ep_[ei];
    delta_last = seq_delta(seq_one_past_segment, e.last_seq);
    if ((syn || rst) && (delta_last > kTooLargeSeqDelta || delta_last < -kTooLargeSeqDelta)) {
      // don't trust outlandish SYN/RST sequence numbers
    } else if (fin && e.last_seq == e.start_seq + 1) {
      keep_implicit(rare, ei);
      e.last_seq = seq_one_past_segment;  // > 2 GB connections of which only SYN and FIN were seen
    } else if (e.state == kReset) {
      // don't trust any subsequent sequence numbers
    } else if (delta_last > 0) {
      keep_implicit(rare, ei);
      e.last_seq = seq_one_past_segment;
    } else if (len > 0) {
      scaled_history(Dir(ei), rxmt_count(rare, ei), 'T', rare);  // TCP_Endpoint::DidRxmit
    }
  }
  if (fin_recorded) set_hist_last_fin(rare, ei, fin_last);
  if (rst_recorded) set_hist_last_rst(rare, ei, rel_seq);

  // UpdateStateMachine
  const bool is_orig = ei == 0;
  bool do_close = false;
  auto set_state = [](Endpoint& ep, uint8_t s) {  // TCP_Endpoint::SetState
    if (s != ep.state) {
      ep.prev_state = ep.state;
      ep.state = s;
    }
  };
  switch (ep_[ei].state) {
    case kInactive: {  // UpdateInactiveState
      if (syn) {
        if (is_orig) {
          set_state(ep_[ei], ack ? kSynAckSent : kSynSent);  // SYN-ACK: weird connection_originator_SYN_ack
        } else {
          if (!ack && ep_[pi].state == kSynAckSent && base_seq == ep_[ei].start_seq) {
            // A SYN/SYN-ACK reversal (see IsReuse): flip the endpoints and establish the connection.
            flip_roles(rare);
            std::swap(ei, pi);
            add_history('^', rare);
            verdict = TcpVerdict::kFlipRoles;
            set_state(ep_[pi], kEstablished);
          }
          if (ep_[pi].state == kSynSent) set_state(ep_[pi], kEstablished);
          set_state(ep_[ei], kEstablished);
        }
      }
      if (fin) {
        set_state(ep_[ei], kClosed);
        do_close = true;
      }
      if (rst) {
        set_state(ep_[ei], kReset);
        do_close = true;
      }
      if (ep_[ei].state == kInactive) {  // no control flags changed the state
        if (!is_orig && len == 0 && ep_[0].state == kSynSent) {
          // some stacks ack an initial SYN before replying with a SYN-ACK: not a partial connection
        } else if (ack && ep_[pi].state == kEstablished) {
          set_state(ep_[ei], kEstablished);  // SYN-ACK seen, SYN missed: establish rather than partial
        } else {
          set_state(ep_[ei], kPartial);
        }
      }
      break;
    }
    case kSynSent:
    case kSynAckSent:  // UpdateSYN_SentState
      if (fin) {
        set_state(ep_[ei], kClosed);
        do_close = true;
      }
      if (rst) {
        set_state(ep_[ei], kReset);
        do_close = true;
      }
      break;
    case kEstablished:
    case kPartial:  // UpdateEstablishedState
      if (syn && ep_[ei].state == kPartial && ep_[pi].state == kInactive && !ack)
        set_state(ep_[ei], kSynSent);  // SYN_after_partial
      if (fin && !rst) {
        set_state(ep_[ei], kClosed);
        // The peer sent a FIN followed by a RST: that was a normal termination after all.
        if (ep_[pi].state == kReset && ep_[pi].prev_state == kClosed) set_state(ep_[pi], kClosed);
        do_close = true;
      }
      if (rst) {
        set_state(ep_[ei], kReset);
        do_close = true;
      }
      break;
    case kClosed:  // UpdateClosedState: after a FIN exchange a RST changes nothing
      if (rst && ep_[pi].state != kClosed) {
        set_state(ep_[ei], kReset);
        if (!ep_[ei].did_close) do_close = true;
      }
      break;
    default:  // kReset: UpdateResetState only reports weirds
      break;
  }

  // TCP_Reassembler content gaps (G), approximated without reassembly: the peer acknowledges sequence
  // space beyond anything seen from this side, while both sides are established (gaps revealed by a
  // FIN or RST are not flagged, TCPSessionAdapter::Process; report_gap()).
  if (gap_check && ep_[ei].state == kEstablished && ep_[pi].state == kEstablished) {
    Endpoint& p = ep_[pi];
    if (seq_delta(ack_seq, p.last_seq) > 0 && seq_delta(ack_seq, prev_peer_ack) > 0)
      scaled_history(Dir(pi), rare_side(rare, pi).gap_cnt, 'G', rare);
  }

  // ConnectionClosed: remember that this side's close was reported (IsClosed, reuse).
  if (do_close) ep_[ei].did_close = 1;
}

// TCP_Endpoint::Size()
uint64_t TcpStateMachine::payload_size(Dir d) const noexcept {
  const Endpoint& e = ep_[size_t(d)];
  const Endpoint& p = ep_[1 - size_t(d)];
  const bool no_data_acked = e.ack_seq == e.start_seq || e.ack_seq == e.start_seq + 1;
  // A half-open connection that was discovered and aborted: its numbers say nothing about data.
  if (e.prev_state == kSynSent && e.state == kReset && p.state == kInactive && !no_data_acked) return 0;
  uint32_t size = seq_delta(e.last_seq, e.ack_seq) > 0 ? e.last_seq - e.start_seq : e.ack_seq - e.start_seq;
  if (size != 0) --size;                // the SYN (real or assumed)
  if (e.fin_seen && size != 0) --size;  // the FIN
  return size;
}

// main.zeek conn_state(): RSTOS0 needs the history to match /\^?S[^HAFGIQ]*R.*/ (whole string).
namespace {
bool history_matches_rstos0(const char* h, unsigned n) noexcept {
  unsigned i = 0;
  if (i < n && h[i] == '^') ++i;
  if (i >= n || h[i] != 'S') return false;
  for (++i; i < n; ++i) {
    const char c = h[i];
    if (c == 'R') return true;
    if (c == 'H' || c == 'A' || c == 'F' || c == 'G' || c == 'I' || c == 'Q') return false;
  }
  return false;
}
}  // namespace

ConnState TcpStateMachine::conn_state(const TcpRareStore& rare) const noexcept {
  const uint8_t os = ep_[0].state, rs = ep_[1].state;
  const bool o_inactive = os == kInactive || os == kPartial;
  const bool r_inactive = rs == kInactive || rs == kPartial;
  if (rs == kReset) {
    if (os == kSynSent || os == kSynAckSent ||
        (os == kReset && payload_size(Dir::kOrig) == 0 && payload_size(Dir::kResp) == 0))
      return ConnState::kREJ;
    return o_inactive ? ConnState::kRSTRH : ConnState::kRSTR;
  }
  if (os == kReset) {
    if (r_inactive) {
      std::array<char, kMaxHistory> h;
      return history_matches_rstos0(h.data(), copy_history(h.data(), kMaxHistory, rare)) ? ConnState::kRSTOS0
                                                                                         : ConnState::kOTH;
    }
    return ConnState::kRSTO;
  }
  if (rs == kClosed && os == kClosed) return ConnState::kSF;
  if (os == kClosed) return r_inactive ? ConnState::kSH : ConnState::kS2;
  if (rs == kClosed) return o_inactive ? ConnState::kSHR : ConnState::kS3;
  if (os == kSynSent && rs == kInactive) return ConnState::kS0;
  if (os == kEstablished && rs == kEstablished) return ConnState::kS1;
  return ConnState::kOTH;
}

bool TcpStateMachine::is_closed() const noexcept {
  const uint8_t os = ep_[0].state, rs = ep_[1].state;
  if (os == kReset || rs == kReset) return true;
  return os == kClosed && rs == kClosed;
}

bool TcpStateMachine::is_attempt() const noexcept {
  return (ep_[0].state == kSynSent || ep_[0].state == kSynAckSent) && ep_[1].state == kInactive;
}

// main.zeek conn_state() for UDP: UDP_ACTIVE once a side has sent.
ConnState udp_conn_state(bool orig_sent, bool resp_sent) noexcept {
  if (orig_sent) return resp_sent ? ConnState::kSF : ConnState::kS0;
  return resp_sent ? ConnState::kSHR : ConnState::kOTH;
}

// UDPAnalyzer::WantConnection: flip when the source port is a likely server port and the destination is
// not. Unlike TCP there is no tie-break when both are.
bool udp_first_packet_from_responder(uint16_t src_port, uint16_t dst_port) noexcept {
  return kUdpLikely.has(src_port) && !kUdpLikely.has(dst_port);
}

}  // namespace spanwatch::lib
