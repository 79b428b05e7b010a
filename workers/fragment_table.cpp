#include "workers/fragment_table.hpp"

#include <bit>
#include <cstring>

namespace spanwatch::workers {

FragmentTable::FragmentTable(uint32_t slots, uint64_t timeout_ns)
    : slots_(std::bit_ceil(std::max<uint32_t>(slots, 16))), timeout_ns_(timeout_ns) {}

size_t FragmentTable::slot_of(const lib::IpAddress& src, const lib::IpAddress& dst, uint8_t proto,
                              uint32_t id) const noexcept {
  uint64_t a, b, c, d;
  std::memcpy(&a, &src.bytes[0], 8);
  std::memcpy(&b, &src.bytes[8], 8);
  std::memcpy(&c, &dst.bytes[0], 8);
  std::memcpy(&d, &dst.bytes[8], 8);
  uint64_t h = (a * 0x9e3779b97f4a7c15ULL) ^ (b + 0x632be59bd9b4e019ULL) ^ (c * 0xc2b2ae3d27d4eb4fULL) ^ d;
  h ^= (uint64_t{id} << 8) | proto;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h & (slots_.size() - 1);
}

void FragmentTable::remember(const lib::IpAddress& src, const lib::IpAddress& dst, uint8_t proto, uint32_t id,
                             uint32_t flow_idx, uint64_t flow_id, uint64_t now_ns) noexcept {
  Slot& s = slots_[slot_of(src, dst, proto, id)];
  s = Slot{src, dst, id, flow_idx, flow_id, now_ns + timeout_ns_, proto};
}

uint32_t FragmentTable::lookup(const lib::IpAddress& src, const lib::IpAddress& dst, uint8_t proto,
                               uint32_t id, uint64_t now_ns, uint64_t& flow_id) const noexcept {
  const Slot& s = slots_[slot_of(src, dst, proto, id)];
  if (s.flow_idx == lib::kNilIndex || s.id != id || s.proto != proto || s.src != src || s.dst != dst ||
      now_ns > s.expires_ns)
    return lib::kNilIndex;
  flow_id = s.flow_id;
  return s.flow_idx;
}

}  // namespace spanwatch::workers
