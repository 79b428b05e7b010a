// Maps a fragmented datagram (addresses, protocol, IP id) to the flow its first fragment belonged to,
// so later fragments, which carry no ports, are accounted to that flow. Direct-mapped and fixed-size:
// a collision replaces the older datagram, whose later fragments are then counted as unmatched.
#pragma once
#include <cstdint>
#include <vector>

#include "lib/core/ip_address.hpp"
#include "lib/flow/index_list.hpp"

namespace spanwatch::workers {

class FragmentTable {
 public:
  FragmentTable(uint32_t slots, uint64_t timeout_ns);

  void remember(const lib::IpAddress& src, const lib::IpAddress& dst, uint8_t proto, uint32_t id,
                uint32_t flow_idx, uint64_t flow_id, uint64_t now_ns) noexcept;

  // Returns the flow index, or kNilIndex; `flow_id` must still match (the flow may have ended).
  uint32_t lookup(const lib::IpAddress& src, const lib::IpAddress& dst, uint8_t proto, uint32_t id,
                  uint64_t now_ns, uint64_t& flow_id) const noexcept;

 private:
  struct Slot {
    lib::IpAddress src, dst;
    uint32_t id = 0;
    uint32_t flow_idx = lib::kNilIndex;
    uint64_t flow_id = 0;
    uint64_t expires_ns = 0;
    uint8_t proto = 0;
  };
  size_t slot_of(const lib::IpAddress& src, const lib::IpAddress& dst, uint8_t proto,
                 uint32_t id) const noexcept;

  std::vector<Slot> slots_;
  uint64_t timeout_ns_;
};

}  // namespace spanwatch::workers
