// The trace generator's engine: N flow slots picked by Zipf rank, each replaying a re-addressed template
// handshake, then IMIX data with consistent TCP seq/ack, then FIN/FIN-ACK/ACK; plus a SYN flood and
// elephants.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "trace_templates.hpp"
#include "trace_writer.hpp"

namespace spanwatch::tools {

struct EngineOptions {
  uint32_t flows = 10'000;     // concurrent flow slots
  uint64_t packets = 200'000;  // total frames
  uint64_t seed = 1;
  uint64_t syn_flood = 0;  // SYNs, each its own 5-tuple
  uint32_t elephants = 0;
  double elephant_share = 0.10;           // of all packets, when elephants > 0
  double zipf = 1.0;                      // exponent of the rank popularity
  uint64_t pps = 1'000'000;               // trace-time packet rate
  uint32_t min_data_packets = 0;          // added to every non-DNS flow's drawn data packets
  std::array<double, kAppClasses> mix{};  // flow shares (any scale; zero for classes without templates)
};

// IMIX (simple): 64, 594 and 1518-byte frames on the wire in 7:4:1; in pcap without the 4-byte FCS.
inline constexpr std::array<uint32_t, 3> kImixFrameBytes{60, 590, 1514};

struct EngineResult {
  uint64_t packets = 0, bytes = 0;
  uint64_t flows_started = 0, flows_ended = 0, elephants_started = 0;
  std::array<uint64_t, kAppClasses> flows_by_app{};
  uint64_t handshake_packets = 0, data_packets = 0, close_packets = 0, flood_packets = 0,
           elephant_packets = 0;
  std::array<uint64_t, 3> imix_data{};  // data frames of the Zipf flows per IMIX size
  uint64_t data_other_size = 0;         // QUIC frames that had to be larger (long connection ids)
  uint64_t first_ts_ns = 0, last_ts_ns = 0;
  uint64_t slots_opened = 0;  // reaches the concurrent flow count once the ramp is over
  uint64_t ramp_packets = 0;  // packets written when the last slot sent its first packet (0: never)
};

// Per-slot state: 24 bytes, so 10 M concurrent flows take 240 MB (plus 8 B of alias table and 4 B of
// queue per slot). Addresses, ports and ISNs derive from `serial` and are not stored.
struct Slot {
  uint64_t serial = 0;
  uint32_t seq[2] = {0, 0};  // next sequence number per direction (data and close phases)
  uint32_t data_left = 0;    // data packets still to send before closing
  uint16_t tmpl = 0;         // FlowTemplate index
  uint8_t step = 0;          // next template packet, close step, or elephant ACK counter
  uint8_t phase = 0;         // Phase
};
static_assert(sizeof(Slot) == 24, "per-flow state must stay compact for 10 M flows");

class TraceEngine {
 public:
  // Throws std::invalid_argument for impossible options (no template for any class with a share, ...).
  TraceEngine(const EngineOptions& opt, const TemplateSet& templates);
  EngineResult run(PcapWriter& out);

 private:
  struct Endpoints {
    uint32_t ip[2];
    uint16_t port[2];
  };
  struct AliasEntry {
    uint32_t threshold;  // keep the drawn index when the 32-bit uniform is below this
    uint32_t alias;
  };

  uint64_t next();
  uint32_t below(uint32_t n);
  uint32_t zipf_rank();
  uint32_t resolve_and_draw(uint32_t pos);
  void new_flow(Slot& s);
  Endpoints endpoints(const Slot& s, bool elephant) const;
  uint32_t isn(uint64_t serial, int dir) const;

  void emit_normal();
  void refill_window();
  void serve_window();
  void end_flow(uint32_t idx);
  void emit_template(const Slot& s, bool elephant);
  void emit_tcp(const Endpoints& e, int dir, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t payload,
                bool tls_record);
  bool emit_quic(const Slot& s, uint32_t frame_bytes);  // false: the frame had to be larger
  void emit_data(uint32_t idx);
  void emit_close(Slot& s);
  void emit_flood();
  void emit_elephant();
  uint8_t* begin_frame(const Endpoints& e, int dir, uint8_t proto, uint32_t l4_len);
  uint64_t payload_sum(uint8_t* dst, uint32_t len, bool odd_position);

  EngineOptions opt_;
  const TemplateSet& t_;
  std::array<uint64_t, 4> rng_{};
  std::array<uint64_t, kAppClasses> mix_cdf_{};  // cumulative shares scaled to 2^32
  std::vector<AliasEntry> alias_;
  // Zipf draws run kAhead calls ahead of use so the alias entry, then the slot, are prefetched: at 1 M+
  // flows both are cache misses that would otherwise serialise.
  static constexpr uint32_t kAhead = 16;
  std::array<uint64_t, kAhead> draws_{};  // uniform draws whose alias entry is being prefetched
  std::array<uint32_t, kAhead> ranks_{};  // resolved ranks whose slot is being prefetched
  uint32_t ahead_pos_ = 0;
  std::vector<Slot> slots_;
  std::vector<uint32_t> queue_;  // slots waiting for the window: to start a new flow or to close
  uint64_t q_head_ = 0, q_tail_ = 0;
  std::vector<uint32_t> window_;  // round robin of flows in their handshake or close
  uint64_t w_head_ = 0, w_tail_ = 0;
  uint32_t next_unopened_ = 0;
  uint64_t data_flows_ = 0;
  uint64_t next_serial_ = 0;
  std::vector<Slot> elephants_;
  uint64_t elephant_rr_ = 0;
  std::vector<uint8_t> pool_;       // pseudo-random payload bytes
  std::vector<uint64_t> pool_sum_;  // prefix sums of its big-endian words, for O(1) checksums
  PcapWriter* out_ = nullptr;
  uint64_t ts_ns_ = 0;
  uint16_t ip_id_ = 0;
  EngineResult r_;
};

}  // namespace spanwatch::tools
