// ICMP/ICMPv6 request and reply types that belong to one exchange, as Community ID pairs them: a flow keys
// and prints them as (type, counterpart type), so an echo request and its reply are one flow.
#pragma once
#include <cstdint>
#include <span>

namespace spanwatch::lib {

// The counterpart of `type`, or -1 for one-way messages (errors, redirects), which keep their code instead.
constexpr int icmp_counterpart(bool v6, uint16_t type) noexcept {
  struct Pair {
    uint8_t a, b;
  };
  constexpr Pair kV4[] = {
      {8, 0}, {13, 14}, {15, 16}, {10, 9}, {17, 18}};  // echo, timestamp, info, router, mask
  constexpr Pair kV6[] = {{128, 129}, {133, 134}, {135, 136}, {130, 131}, {139, 140}, {144, 145}};
  for (const Pair& p : v6 ? std::span<const Pair>(kV6) : std::span<const Pair>(kV4)) {
    if (type == p.a) return p.b;
    if (type == p.b) return p.a;
  }
  return -1;
}

}  // namespace spanwatch::lib
