// What a TCP connection keeps only once something rare happened on it: per endpoint, the relative sequence
// numbers of its last SYN, FIN and RST (Zeek's repeat rules for the S/H, F and R letters), its
// retransmission, zero-window and gap counts (the logarithmic T, W and G letters), and the letters of a
// history longer than the machine holds. Zeek starts them all at zero, so a connection whose values are all
// still zero needs no slot: most established connections without retransmissions (issue 3: bytes per TCP
// flow; workers/flow_memory_bench measures it).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "lib/core/counter.hpp"
#include "lib/core/index_free_list.hpp"
#include "lib/core/zeroed_array.hpp"

namespace spanwatch::lib {

// What retransmissions, the commonest rare event, need: a connection with nothing else rare keeps only
// these, in an 8-byte slot instead of a TcpRareState.
struct TcpRareCounts {
  std::array<uint32_t, 2> rxmt_cnt{};  // per endpoint, as TcpStateMachine's: T (logarithmic letters)
};
static_assert(sizeof(TcpRareCounts) == 8);

struct TcpRareState {
  struct Side {
    uint32_t hist_last_syn = 0, hist_last_fin = 0, hist_last_rst = 0;  // S/H, F, R repeat rules
    uint32_t win0_cnt = 0, gap_cnt = 0;                                // W, G (logarithmic letters)
  };
  TcpRareCounts counts;
  std::array<Side, 2> ep{};   // as TcpStateMachine's endpoints: they move together when roles flip
  uint64_t more_letters = 0;  // the history letters past TcpStateMachine::kInlineHistory, 5 bits each
};
static_assert(sizeof(TcpRareState) == 56);

// The slots of one owner's state machines, in two size classes (TcpRareCounts, TcpRareState), named by a
// handle (pool indices, not pointers; 0 is none): sized once for as many connections as the owner keeps at
// once (below 2^31), zero pages until used, no allocation afterwards. A machine holds at most one slot and
// moves from the small class to the full one on its first rare value that the small one has no room for.
// 4 KiB pages: a slot is read only on rare events, so a 2 MiB page would cost more memory than the TLB
// misses it saves. Not thread-safe.
class TcpRareStore {
 public:
  explicit TcpRareStore(uint32_t capacity)
      : counts_(capacity > 0 ? capacity : 1, ZeroedArray<TcpRareCounts>::kSmallPages),
        states_(capacity > 0 ? capacity : 1, ZeroedArray<TcpRareState>::kSmallPages),
        free_counts_(capacity > 0 ? capacity : 1),
        free_states_(capacity > 0 ? capacity : 1) {
    if (capacity >= kFull) throw std::length_error("TcpRareStore: capacity from 2^31 on");
  }

  static bool is_full(uint32_t h) noexcept { return (h & kFull) != 0; }
  static size_t slot_bytes(uint32_t h) noexcept {
    return h == 0 ? 0 : is_full(h) ? sizeof(TcpRareState) : sizeof(TcpRareCounts);
  }

  // A zeroed small slot, or 0 (counted in `exhausted`) when every one is in use.
  uint32_t acquire_counts() noexcept {
    const uint32_t s = free_counts_.acquire();
    if (s == IndexFreeList::kNone) {
      exhausted.add(1);
      return 0;
    }
    counts_[s] = TcpRareCounts{};
    return s + 1;
  }
  // A full slot in place of `h` (none or a small slot, whose counts it takes and gives back), or `h` itself
  // (counted in `exhausted`) when every full slot is in use.
  uint32_t acquire_state(uint32_t h) noexcept {
    const uint32_t s = free_states_.acquire();
    if (s == IndexFreeList::kNone) {
      exhausted.add(1);
      return h;
    }
    std::memset(static_cast<void*>(&states_[s]), 0, sizeof(TcpRareState));
    if (h != 0) {
      states_[s].counts = counts_[h - 1];
      free_counts_.release(h - 1);
    }
    return (s + 1) | kFull;
  }
  void release(uint32_t h) noexcept {
    if (is_full(h))
      free_states_.release((h & ~kFull) - 1);
    else if (h != 0)
      free_counts_.release(h - 1);
  }

  // `h` not 0.
  TcpRareCounts& counts(uint32_t h) noexcept { return is_full(h) ? state(h).counts : counts_[h - 1]; }
  const TcpRareCounts& counts(uint32_t h) const noexcept {
    return is_full(h) ? state(h).counts : counts_[h - 1];
  }
  // `h` a full slot.
  TcpRareState& state(uint32_t h) noexcept { return states_[(h & ~kFull) - 1]; }
  const TcpRareState& state(uint32_t h) const noexcept { return states_[(h & ~kFull) - 1]; }
  // Where a machine writes when no slot was left (the values are lost; `exhausted` says so).
  TcpRareState& scratch() noexcept { return scratch_; }
  uint32_t in_use() const noexcept { return free_counts_.in_use() + free_states_.in_use(); }

  Counter exhausted;

 private:
  static constexpr uint32_t kFull = 1u << 31;  // a handle's class; below it the slot index + 1

  ZeroedArray<TcpRareCounts> counts_;
  ZeroedArray<TcpRareState> states_;
  IndexFreeList free_counts_, free_states_;
  TcpRareState scratch_;
};

}  // namespace spanwatch::lib
