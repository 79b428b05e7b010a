// One worker's nDPI: its own detection module, and a fixed pool of nDPI flow states that a flow holds
// only while detection (or extra dissection, e.g. the TLS server hello for JA3S) is still running. When
// detection ends the results are copied into the flow's L7Info and the state goes back to the pool, so a
// classified flow carries no nDPI memory. Not thread-safe: one per worker lcore.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "lib/core/c_handle.hpp"
#include "lib/core/counter.hpp"
#include "lib/core/index_free_list.hpp"
#include "lib/core/zeroed_array.hpp"
#include "lib/flow/flow_risk.hpp"
#include "lib/flow/l7_info.hpp"
#include "lib/flow/l7_name_table.hpp"
#include "workers/slot_pool.hpp"

struct ndpi_detection_module_struct;
struct ndpi_flow_struct;

namespace spanwatch::workers {

struct DpiCounters {
  lib::Counter flows;           // flows that got an nDPI state
  lib::Counter packets;         // packets fed to nDPI
  lib::Counter detected;        // detection ended with an identified application
  lib::Counter guessed;         // gave up, application guessed
  lib::Counter unknown;         // gave up, nothing known
  lib::Counter pool_exhausted;  // flows left without DPI because every state was in use
};

// nDPI's risk names, severities and scores by risk id, for the exporter (lib/ does not link nDPI).
void fill_ndpi_risk_table(lib::RiskTable& table) noexcept;

// nDPI's host name of a flow (SNI, HTTP Host, DNS query, NetBIOS name, ...), as nDPI bounds it, in the
// short slot when it fits (most names: every one of the memory bench's captures).
struct L7HostName {
  char name[80];
};
struct L7ShortHostName {
  char name[32];
};

class NdpiDetector {
 public:
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  static constexpr uint16_t kMaxTcpPackets = 80;  // as ndpiReader: enough for telnet-style banners
  static constexpr uint16_t kMaxUdpPackets = 24;

  // `max_host_names`: flows that may keep nDPI's host name at once (a slot each, see host()).
  // Throws std::runtime_error when nDPI cannot be initialised. Call from one thread at a time.
  NdpiDetector(uint32_t max_concurrent_flows, uint32_t max_host_names);
  ~NdpiDetector();
  NdpiDetector(const NdpiDetector&) = delete;
  NdpiDetector& operator=(const NdpiDetector&) = delete;

  // nDPI's protocol, category, breed and confidence names by id, for the exporter (lib/ does not link
  // nDPI). Start-up only, before the worker runs: it reads this detector's module.
  void fill_name_table(lib::L7NameTable& table) const;

  // A state for a new flow, or kNoSlot (counted) when the pool is empty.
  uint32_t acquire() noexcept;

  // Feeds one packet (IP header onwards). Returns true when detection ended: `info` is filled, the
  // slot released, and `host_slot` (kNoSlot before) holds nDPI's host name if it found one.
  // `packets_seen` counts this flow's packets so far (both directions).
  bool feed(uint32_t slot, const uint8_t* l3, uint32_t l3_len, uint64_t ts_ms, bool tcp,
            uint32_t packets_seen, lib::L7Info& info, uint32_t& host_slot) noexcept;

  // Prefetches the lines of a state that a packet reads (all of it: nDPI's packet processing reads fields
  // throughout), ahead of feed().
  void prefetch(uint32_t slot) const noexcept;

  // The flow ends before detection did: give up (with nDPI's guess), fill `info` and `host_slot`,
  // release the slot.
  void finish(uint32_t slot, lib::L7Info& info, uint32_t& host_slot) noexcept;

  // A flow's host name (from feed/finish), and its release (when the flow ends or no longer needs it).
  const char* host(uint32_t host_slot) const noexcept {
    return (host_slot & kLongHost) != 0 ? long_hosts_[host_slot & ~kLongHost].name
                                        : short_hosts_[host_slot].name;
  }
  void release_host(uint32_t& host_slot) noexcept {
    if (host_slot == kNoSlot) return;
    if ((host_slot & kLongHost) != 0)
      long_hosts_.release(host_slot & ~kLongHost);
    else
      short_hosts_.release(host_slot);
    host_slot = kNoSlot;
  }
  static size_t host_bytes(uint32_t host_slot) noexcept {  // the slot's size
    return (host_slot & kLongHost) != 0 ? sizeof(L7HostName) : sizeof(L7ShortHostName);
  }
  uint32_t hosts_in_use() const noexcept { return short_hosts_.in_use() + long_hosts_.in_use(); }
  uint32_t states_in_use() const noexcept { return free_.in_use(); }
  static size_t state_bytes() noexcept;  // sizeof(ndpi_flow_struct), without nDPI's own allocations
  // nDPI's calls of __snprintf_chk, __sprintf_chk, snprintf, SHA1Transform and ndpi_realloc take ours
  // (workers/ndpi_overrides.hpp).
  bool fast_snprintf() const noexcept { return fast_snprintf_; }
  bool fast_sha1() const noexcept { return fast_sha1_; }
  bool fast_realloc() const noexcept { return fast_realloc_; }

  const DpiCounters& counters() const noexcept { return ctr_; }

 private:
  void extract(ndpi_flow_struct* f, uint16_t master, uint16_t app, uint16_t category, lib::L7State state,
               lib::L7Info& info, uint32_t& host_slot) noexcept;
  void release(uint32_t slot) noexcept;

  ndpi_detection_module_struct* module_ = nullptr;
  lib::ZeroedArray<ndpi_flow_struct> pool_;
  static constexpr uint32_t kLongHost = 1u << 31;  // in a host slot of long_hosts_ (capacities below it)
  SlotPool<L7ShortHostName> short_hosts_;
  SlotPool<L7HostName> long_hosts_;
  lib::IndexFreeList free_{0};
  uint32_t capacity_ = 0;
  bool fast_snprintf_ = false, fast_sha1_ = false, fast_realloc_ = false;
  DpiCounters ctr_;
};

}  // namespace spanwatch::workers
