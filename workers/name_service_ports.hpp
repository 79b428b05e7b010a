// Ports of the name services whose exchanges are short and often unanswered on the same flow: the flow
// table gives them DNS's short timeout, and the app dissector packs their metadata while it waits.
#pragma once
#include <cstdint>

namespace spanwatch::workers {

// mDNS, LLMNR, NetBIOS-NS: link-local name services, queries multicast or broadcast, answers on other flows.
constexpr bool is_local_name_service_port(uint16_t p) noexcept {
  return p == 5353 || p == 5355 || p == 137;
}
// DNS and the link-local name services.
constexpr bool is_name_service_port(uint16_t p) noexcept {
  return p == 53 || is_local_name_service_port(p);
}

}  // namespace spanwatch::workers
