// The first payload bytes of each side of a flow, for Hyperscan rules on payload prefixes (lib/enrich
// rule_matcher). Only runs when a rule needs them: a pooled slot per flow from its first payload packet to
// its end (in the flow's FlowSide), filled from the first payload packets until kPayloadPrefixBytes per side.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "lib/decode/decoded_packet.hpp"
#include "lib/flow/flow_record.hpp"
#include "workers/flow_entry.hpp"
#include "workers/slot_pool.hpp"

namespace spanwatch::workers {

class PayloadPrefixCapture {
 public:
  explicit PayloadPrefixCapture(uint32_t max_flows) : pool_(max_flows) {}

  void on_packet(FlowEntry& e, FlowSide& side, lib::Dir d, const lib::DecodedPacket& pkt) noexcept {
    if (e.prefix_done || pkt.payload_captured == 0 || pkt.payload == nullptr) return;
    if (side.prefix_slot == kNoSlot) {
      side.prefix_slot = pool_.acquire();  // exhaustion is counted by the pool
      if (side.prefix_slot == kNoSlot) {
        e.prefix_done = true;
        return;
      }
    }
    auto& p = pool_[side.prefix_slot][size_t(d)];
    const size_t n = std::min<size_t>(pkt.payload_captured, lib::kPayloadPrefixBytes - p.len);
    std::memcpy(p.bytes.data() + p.len, pkt.payload, n);
    p.len = static_cast<uint8_t>(p.len + n);
    const auto& both = pool_[side.prefix_slot];
    e.prefix_done = both[0].len == lib::kPayloadPrefixBytes && both[1].len == lib::kPayloadPrefixBytes;
  }
  void on_flip(FlowSide& side) noexcept {
    if (side.prefix_slot != kNoSlot) std::swap(pool_[side.prefix_slot][0], pool_[side.prefix_slot][1]);
  }
  void copy(const FlowSide& side, lib::FlowRecord& r) const noexcept {
    if (side.prefix_slot != kNoSlot) r.payload = pool_[side.prefix_slot];
  }
  void release(FlowSide& side) noexcept {
    if (side.prefix_slot != kNoSlot) pool_.release(side.prefix_slot);
    side.prefix_slot = kNoSlot;
  }
  uint64_t exhausted() const noexcept { return pool_.exhausted.get(); }
  uint32_t in_use() const noexcept { return pool_.in_use(); }

 private:
  static constexpr uint32_t kNoSlot = SlotPool<std::array<lib::PayloadPrefix, 2>>::kNoSlot;
  SlotPool<std::array<lib::PayloadPrefix, 2>> pool_;
};

}  // namespace spanwatch::workers
