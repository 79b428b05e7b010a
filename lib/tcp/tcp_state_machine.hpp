// Zeek-compatible TCP connection tracking for one connection: per-endpoint states, the `history`
// string and `conn_state`, including Zeek's originator/responder role flips. A fixed-size POD that
// lives inside the flow entry; no allocation. Rules: ../shared/reference/zeek-conn-state.md.
#pragma once
#include <array>
#include <cstdint>

#include "lib/tcp/conn_state.hpp"

namespace spanwatch::lib {

// What the state machine needs from one TCP segment.
struct TcpSegment {
  uint8_t flags = 0;          // FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80
  uint32_t seq = 0, ack = 0;
  uint32_t payload_len = 0;   // TCP payload bytes per the IP length
  uint16_t window = 0;
};

// What the caller must do after a packet.
enum class TcpVerdict : uint8_t {
  kContinue,        // packet belongs to this connection
  kFlipRoles,       // packet belongs to it, and Zeek now swaps originator and responder: the caller swaps
                    // its per-direction counters and endpoints (the machine has already flipped itself)
  kNewConnection,   // the packet starts a new connection on the same 5-tuple (port reuse after close):
                    // the caller ends this flow, then creates a fresh one for the packet
};

class TcpStateMachine {
 public:
  static constexpr unsigned kMaxHistory = 23;  // letters kept; Zeek does not cap, long histories are rare

  // Zeek's decision for the first packet of a connection: true when its sender should be the responder
  // (no pure SYN and the source port is a likely server port, see TCP.cc WantConnection/flip logic).
  static bool first_packet_from_responder(const TcpSegment& first, uint16_t src_port, uint16_t dst_port) noexcept;

  // Feeds one packet travelling in direction `dir` (relative to the current originator).
  TcpVerdict on_packet(Dir dir, const TcpSegment& seg) noexcept;

  ConnState conn_state() const noexcept;
  // The history letters (not NUL-terminated), e.g. "ShADadFf".
  const char* history() const noexcept { return history_.data(); }
  unsigned history_len() const noexcept { return history_len_; }

  // True once the connection is closed or reset on both sides in a way after which Zeek lingers
  // (used to pick the short linger timeout).
  bool is_closed() const noexcept;

 private:
  // Implementation-defined per-endpoint state; keep the whole object small (target <= 64 bytes).
  struct Endpoint {
    uint8_t state = 0;          // Zeek TCP_INACTIVE..TCP_RESET
    uint8_t hist_seen = 0;      // letters already recorded once-per-direction
    uint8_t flags_seen = 0;
    uint8_t pad = 0;
    uint32_t start_seq = 0;     // for relative seq (S/H/F/R repeat rules)
    uint32_t last_syn_seq = 0, last_fin_seq = 0, last_rst_seq = 0;
    uint32_t scaled_counts = 0; // logarithmic letter counters packed (C/G/T/W), implementation-defined
  };
  std::array<Endpoint, 2> ep_{};
  std::array<char, kMaxHistory + 1> history_{};
  uint8_t history_len_ = 0;
  uint8_t flags_ = 0;           // implementation-defined bits (e.g. started with SYN-ACK)
};

// UDP and other transports, as Zeek decides them at removal: UDP SF/S0/SHR/OTH by which sides sent.
ConnState udp_conn_state(bool orig_sent, bool resp_sent) noexcept;

// Zeek's flip decision for the first packet of a UDP flow (likely server port heuristic).
bool udp_first_packet_from_responder(uint16_t src_port, uint16_t dst_port) noexcept;

}  // namespace spanwatch::lib
