#include "lib/enrich/flow_labels.hpp"

#include "lib/core/ip_proto.hpp"
#include "lib/core/tcp_flags.hpp"
#include "lib/flow/flow_risk.hpp"

namespace spanwatch::lib {
namespace {

constexpr FlowLabelSet bit(FlowLabel l) noexcept {
  return FlowLabelSet(1u << unsigned(l));
}

// Zeek's SH is "SYN then FIN from the originator, no SYN-ACK": an attempt only if the responder said nothing.
bool is_attempt(const FlowRecord& r) noexcept {
  switch (r.conn_state) {
    case ConnState::kS0:
    case ConnState::kREJ:
    case ConnState::kRSTOS0:
      return true;
    case ConnState::kSH:
      return r.dir[size_t(Dir::kResp)].payload_bytes == 0;
    default:
      return false;
  }
}
}  // namespace

FlowLabelSet flow_labels(const FlowRecord& r, const FlowLabelThresholds& t) noexcept {
  FlowLabelSet s = 0;
  const DirStats& o = r.dir[size_t(Dir::kOrig)];
  const DirStats& p = r.dir[size_t(Dir::kResp)];
  const bool tcp = r.l4_proto == kProtoTcp;
  const bool attempt = tcp && is_attempt(r);
  if (attempt) s |= bit(FlowLabel::kConnectionAttempt);

  constexpr uint64_t kProbeRisks =
      (1ull << kRiskTcpNullScan) | (1ull << kRiskTcpXmasScan) | (1ull << kRiskTcpFinScan);
  const bool probe = (tcp_risks(r) & kProbeRisks) != 0;
  const bool silent_syn =
      tcp && p.packets == 0 && o.payload_bytes == 0 && (o.tcp_flags & kTcpSyn) && !(o.tcp_flags & kTcpAck);
  if (probe || silent_syn) s |= bit(FlowLabel::kPotentialScan);

  // One way only. An attempt is already explained by its own label; a TCP originator that sends ACKs
  // without ever having been seen to receive a packet acknowledges a responder the span port did not see.
  const bool one_way = (o.packets == 0) != (p.packets == 0);
  if (one_way && !attempt && !probe) {
    const DirStats& sender = o.packets ? o : p;
    const bool acked_other_side = tcp && (sender.tcp_flags & kTcpAck);
    s |= bit(acked_other_side ? FlowLabel::kAsymmetricCapture : FlowLabel::kUnidirectional);
  }

  if (r.last_ns >= r.first_ns && r.first_ns != 0 && r.last_ns - r.first_ns >= t.long_lived_ns)
    s |= bit(FlowLabel::kLongLived);
  if (o.frame_bytes + p.frame_bytes >= t.elephant_bytes) s |= bit(FlowLabel::kElephant);
  return s;
}

}  // namespace spanwatch::lib
