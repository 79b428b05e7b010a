// What a TCP connection keeps only once something rare happened on it: per endpoint, the relative sequence
// numbers of its last SYN, FIN and RST (Zeek's repeat rules for the S/H, F and R letters), its
// retransmission, zero-window and gap counts (the logarithmic T, W and G letters), and the letters of a
// history longer than the machine holds. Zeek starts them all at zero, so a connection whose values are all
// still zero needs no slot: most established connections without retransmissions (issue 3: bytes per TCP
// flow; workers/flow_memory_bench measures it).
#pragma once
#include <array>
#include <cstdint>
#include <cstring>

#include "lib/core/counter.hpp"
#include "lib/core/index_free_list.hpp"
#include "lib/core/zeroed_array.hpp"

namespace spanwatch::lib {

struct TcpRareState {
  struct Side {
    uint32_t hist_last_syn = 0, hist_last_fin = 0, hist_last_rst = 0;  // S/H, F, R repeat rules
    uint32_t rxmt_cnt = 0, win0_cnt = 0, gap_cnt = 0;                  // T, W, G (logarithmic letters)
  };
  std::array<Side, 2> ep{};   // as TcpStateMachine's endpoints: they move together when roles flip
  uint64_t more_letters = 0;  // the history letters past TcpStateMachine::kInlineHistory, 5 bits each
};
static_assert(sizeof(TcpRareState) == 56);

// The slots of one owner's state machines (pool indices, not pointers): sized once for as many connections
// as the owner keeps at once, zero pages until used, no allocation afterwards. 4 KiB pages: a slot is read
// only on rare events, so a 2 MiB page would cost more memory than the TLB misses it saves. Not
// thread-safe.
class TcpRareStore {
 public:
  static constexpr uint32_t kNone = IndexFreeList::kNone;

  explicit TcpRareStore(uint32_t capacity)
      : slots_(capacity > 0 ? capacity : 1, ZeroedArray<TcpRareState>::kSmallPages),
        free_(capacity > 0 ? capacity : 1) {}

  // A zeroed slot, or kNone (counted in `exhausted`) when every slot is in use.
  uint32_t acquire() noexcept {
    const uint32_t s = free_.acquire();
    if (s == IndexFreeList::kNone) {
      exhausted.add(1);
      return kNone;
    }
    std::memset(static_cast<void*>(&slots_[s]), 0, sizeof(TcpRareState));
    return s;
  }
  void release(uint32_t s) noexcept { free_.release(s); }

  TcpRareState& operator[](uint32_t s) noexcept { return slots_[s]; }
  const TcpRareState& operator[](uint32_t s) const noexcept { return slots_[s]; }
  // Where a machine writes when no slot was left (the values are lost; `exhausted` says so).
  TcpRareState& scratch() noexcept { return scratch_; }
  uint32_t in_use() const noexcept { return free_.in_use(); }

  Counter exhausted;

 private:
  ZeroedArray<TcpRareState> slots_;
  IndexFreeList free_;
  TcpRareState scratch_;
};

}  // namespace spanwatch::lib
