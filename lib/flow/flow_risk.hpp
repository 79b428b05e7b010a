// Flow risks: nDPI's (bit i = ndpi_risk_enum i, names and scores supplied by the worker side at start-up,
// since lib/ does not link nDPI) plus spanwatch's own TCP risks in the top bits, derived from a finished
// record's TCP flags and state (scans and refused connections, as ntopng alerts on).
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "lib/flow/flow_record.hpp"

namespace spanwatch::lib {

struct RiskInfo {
  std::string_view name;      // "TLS Certificate Expired"; empty = unknown id
  std::string_view severity;  // "Low", "Medium", "High", "Severe"
  uint16_t score = 0;
};
using RiskTable = std::array<RiskInfo, 64>;

inline constexpr unsigned kRiskTcpNullScan = 60;  // originator sent TCP packets with no flag at all
inline constexpr unsigned kRiskTcpXmasScan = 61;  // FIN+PSH+URG without SYN
inline constexpr unsigned kRiskTcpFinScan = 62;   // FIN alone, no handshake
inline constexpr unsigned kRiskTcpRefused = 63;   // connection attempt answered with RST (Zeek REJ)

// The own risks of a record (0 if none).
uint64_t tcp_risks(const FlowRecord& r) noexcept;

// Adds spanwatch's own entries to a table that may already hold nDPI's.
void add_own_risks(RiskTable& t) noexcept;

}  // namespace spanwatch::lib
