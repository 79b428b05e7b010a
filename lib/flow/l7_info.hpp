// Which application nDPI says a flow carries, copied out of nDPI once detection ends (the nDPI flow state
// is freed then), as nDPI ids. POD: it travels inside FlowRecord. What the application revealed (SNI, DNS
// query, ...) comes from spanwatch's own parsers: AppMetadata.
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

// Ids only (24 bytes, it lives in every flow): the exporter names them through L7NameTable.
struct L7Info {
  uint64_t risks = 0;  // bit i = nDPI risk i (ndpi_risk_enum); spanwatch's own use the top bits
  L7State state = L7State::kNone;
  bool encrypted = false;              // nDPI: the application protocol is encrypted
  uint8_t breed_id = 0;                // ndpi_protocol_breed_t of the app (else master) protocol
  uint8_t confidence_id = 0;           // ndpi_confidence_t: how nDPI decided ("DPI", "Match by port", ...)
  uint16_t master_id = 0, app_id = 0;  // nDPI protocol ids (master 0: none)
  uint16_t category_id = 0;            // ndpi_protocol_category_t

  bool state_final() const noexcept { return state != L7State::kNone; }
};

}  // namespace spanwatch::lib
