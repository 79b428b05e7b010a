// What deep packet inspection found in a flow, as fixed-size text copied out of nDPI once detection ends
// (the nDPI flow state itself is freed then). POD: it travels inside FlowRecord. Strings are raw packet
// bytes, NUL-terminated and bounded; the JSON writer makes them safe.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace spanwatch::lib {

// Which application metadata the fields hold (decides the ECS names they are written under).
enum class L7Family : uint8_t { kNone, kTls, kQuic, kDns, kHttp, kSsh, kOther };

enum class L7State : uint8_t {
  kNone,      // no DPI on this flow (tunnel carrier, DPI pool exhausted, no payload yet)
  kDetected,  // nDPI identified the application
  kGuessed,   // nDPI gave up and guessed from ports/addresses
  kUnknown,   // nDPI gave up without a guess
};
inline constexpr std::array<std::string_view, 4> kL7StateNames{"none", "detected", "guessed", "unknown"};

struct L7Info {
  L7State state = L7State::kNone;
  L7Family family = L7Family::kNone;
  uint16_t master_id = 0, app_id = 0;  // nDPI protocol ids
  uint16_t tls_version = 0;            // e.g. 0x0304
  uint16_t dns_qtype = 0;
  uint8_t dns_rcode = 0;
  bool dns_answered = false;
  char proto[40] = {};  // nDPI name, "TLS.Google"
  char master[24] = {}, app[24] = {};
  char category[24] = {};
  char host[80] = {};  // SNI, HTTP Host, DNS query name (nDPI host_server_name)
  char ja3c[33] = {}, ja3s[33] = {};
  char alpn[64] = {};  // offered ALPNs, comma-separated
  char ssh_client[48] = {}, ssh_server[48] = {};
  char hassh_client[33] = {}, hassh_server[33] = {};
  char ja4[40] = {};  // JA4 of the client's ClientHello (ours, not nDPI's)

  bool state_final() const noexcept { return state != L7State::kNone; }
};

}  // namespace spanwatch::lib
