#include "lib/flow/flow_risk.hpp"

#include "lib/core/ip_proto.hpp"
#include "lib/core/tcp_flags.hpp"

namespace spanwatch::lib {
namespace {
constexpr uint64_t bit(unsigned i) noexcept {
  return uint64_t{1} << i;
}
}  // namespace

uint64_t tcp_risks(const FlowRecord& r) noexcept {
  if (r.l4_proto != kProtoTcp || r.dir[0].packets == 0) return 0;
  const uint8_t f = r.dir[0].tcp_flags;  // union over the originator's packets
  uint64_t risks = 0;
  if (f == 0) risks |= bit(kRiskTcpNullScan);
  if ((f & (kTcpFin | kTcpPsh | kTcpUrg)) == (kTcpFin | kTcpPsh | kTcpUrg) && !(f & kTcpSyn))
    risks |= bit(kRiskTcpXmasScan);
  if ((f & ~kTcpRst) == kTcpFin) risks |= bit(kRiskTcpFinScan);
  if (r.conn_state == ConnState::kREJ) risks |= bit(kRiskTcpRefused);
  return risks;
}

void add_own_risks(RiskTable& t) noexcept {
  t[kRiskTcpNullScan] = {"TCP NULL Scan", "High", 100};
  t[kRiskTcpXmasScan] = {"TCP XMAS Scan", "High", 100};
  t[kRiskTcpFinScan] = {"TCP FIN Scan", "High", 100};
  t[kRiskTcpRefused] = {"TCP Connection Refused", "Low", 10};
}

}  // namespace spanwatch::lib
