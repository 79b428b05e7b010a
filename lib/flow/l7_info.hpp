// Which application nDPI says a flow carries, copied out of nDPI once detection ends (the nDPI flow state
// is freed then). POD: it travels inside FlowRecord. What the application revealed (SNI, DNS query, ...)
// comes from spanwatch's own parsers: AppMetadata.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace spanwatch::lib {

enum class L7State : uint8_t {
  kNone,      // no DPI on this flow (tunnel carrier, DPI pool exhausted, no payload yet)
  kDetected,  // nDPI identified the application
  kGuessed,   // nDPI gave up and guessed from ports/addresses
  kUnknown,   // nDPI gave up without a guess
};
inline constexpr std::array<std::string_view, 4> kL7StateNames{"none", "detected", "guessed", "unknown"};

struct L7Info {
  L7State state = L7State::kNone;
  bool encrypted = false;              // nDPI: the application protocol is encrypted
  uint16_t master_id = 0, app_id = 0;  // nDPI protocol ids
  uint64_t risks = 0;   // bit i = nDPI risk i (ndpi_risk_enum); spanwatch's own use the top bits
  char proto[40] = {};  // nDPI name, "TLS.Google"
  char master[24] = {}, app[24] = {};
  char category[24] = {};
  char breed[16] = {};       // nDPI breed: Safe, Acceptable, Fun, Unsafe, Dangerous, ...
  char confidence[24] = {};  // how nDPI decided: "DPI", "Match by port", ...
  char host[80] = {};        // nDPI's host name (SNI, Host, query, ...): the info line when we parsed nothing

  bool state_final() const noexcept { return state != L7State::kNone; }
};

}  // namespace spanwatch::lib
