// What a flow shares with many others, interned per worker (InternTable) so that the FlowEntry holds a
// 4-byte id (issue 3): where it came from (port, VLAN ids, tunnel type and depth, the first MAC address of
// each side) and what detection made of it (lib::L7Info but its state, which every packet tests and so
// stays in the entry). A flow re-interns when a side's first MAC arrives, the roles flip, or detection
// answers. Flat, without padding, so that equal values have equal bytes and the hash reads them as words.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "lib/decode/decoded_packet.hpp"
#include "lib/flow/l7_info.hpp"
#include "workers/intern_table.hpp"

namespace spanwatch::workers {

struct FlowContext {
  // Bits of the packed ids: enough for every value of nDPI's (static_asserts in flow_shard.cpp, where
  // nDPI's headers are: its protocol ids need 9) and for the decoder's 12-bit VLAN ids.
  static constexpr unsigned kL7IdBits = 12, kL7CategoryBits = 8, kL7SmallIdBits = 4, kVlanIdBits = 12;

  // lib::L7Info::risks, as two 32-bit halves: the context is 4-byte aligned, so that InternTable keeps it
  // and its count in 36 bytes, not 40 (issue 3: bytes per flow).
  std::array<uint32_t, 2> l7_risks{};
  std::array<std::array<uint8_t, 6>, 2>
      mac{};  // [Dir]: the first MAC address of each side (FlowEntry::has_mac)
  // Bit-fields that fill their words: the context is 32 bytes, not 36 (issue 3: bytes per flow).
  uint32_t vlan_id0 : kVlanIdBits = 0, vlan_id1 : kVlanIdBits = 0;
  uint32_t vlan_count : 8 = 0;  // tags seen (DecodedPacket::vlan_count)
  uint32_t l7_master_id : kL7IdBits = 0, l7_app_id : kL7IdBits = 0;
  uint32_t l7_category_id : kL7CategoryBits = 0;
  uint16_t port_id = 0;  // where the flow came in
  uint8_t l7_breed_id : kL7SmallIdBits = 0, l7_confidence_id : kL7SmallIdBits = 0;
  uint8_t tunnel : 4 = 0;  // lib::TunnelType
  uint8_t tunnel_depth : 3 = 0;
  uint8_t l7_encrypted : 1 = 0;

  // As words: no padding (below), and interning compares on every flow event.
  bool operator==(const FlowContext& o) const noexcept { return std::memcmp(this, &o, sizeof o) == 0; }

  // lib::L7Info but its state.
  void set_l7(const lib::L7Info& i) noexcept {
    l7_risks = {static_cast<uint32_t>(i.risks), static_cast<uint32_t>(i.risks >> 32)};
    l7_encrypted = i.encrypted;
    l7_breed_id = i.breed_id;
    l7_confidence_id = i.confidence_id;
    l7_master_id = i.master_id;
    l7_app_id = i.app_id;
    l7_category_id = i.category_id;
  }
  void set_vlans(uint8_t count, const std::array<uint16_t, lib::kMaxVlans>& ids) noexcept {
    vlan_count = count;
    vlan_id0 = ids[0];
    vlan_id1 = ids[1];
  }
  std::array<uint16_t, lib::kMaxVlans> vlan_ids() const noexcept {
    return {static_cast<uint16_t>(vlan_id0), static_cast<uint16_t>(vlan_id1)};
  }
  lib::L7Info l7(lib::L7State state) const noexcept {
    lib::L7Info i;
    i.risks = uint64_t{l7_risks[1]} << 32 | l7_risks[0];
    i.state = state;
    i.encrypted = l7_encrypted;
    i.breed_id = l7_breed_id;
    i.confidence_id = l7_confidence_id;
    i.master_id = l7_master_id;
    i.app_id = l7_app_id;
    i.category_id = l7_category_id;
    return i;
  }
};
static_assert(sizeof(FlowContext) == 32 && std::has_unique_object_representations_v<FlowContext>,
              "no padding: the hash reads the bytes");
static_assert(alignof(FlowContext) == 4, "InternTable's value and count in 36 bytes");
static_assert(sizeof(lib::L7Info) == 24, "a new L7Info field needs a place in FlowContext (set_l7(), l7())");
static_assert(lib::kMaxVlans == 2, "FlowContext's layout");
static_assert(lib::kMaxTunnelDepth <= 7 && size_t(lib::TunnelType::kCount) <= 16,
              "FlowContext's tunnel bits");

using FlowContextHash = InternBytesHash<FlowContext>;

// The context of an inner flow of a tunnel, with its tunnel endpoints' id (FlowShard's InternTable of
// FlowTunnel): the flows of one tunnel share it, so that none holds a FlowSide for the id, and the flows
// outside tunnels keep the smaller FlowContext (issue 3: bytes per flow).
struct TunnelFlowContext {
  FlowContext context;
  uint32_t tunnel = 0;  // FlowTunnel id; each flow holds its own reference to it

  bool operator==(const TunnelFlowContext& o) const noexcept { return std::memcmp(this, &o, sizeof o) == 0; }
};
static_assert(std::has_unique_object_representations_v<TunnelFlowContext>, "the hash reads the bytes");

using TunnelFlowContextHash = InternBytesHash<TunnelFlowContext>;

}  // namespace spanwatch::workers
