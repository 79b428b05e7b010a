// Where a flow's AppMetadata goes once its parsers are done: packed (zero_run_codec) into the smallest
// slot size class that holds it, so that a classified flow keeps only the bytes its application revealed
// instead of the 1.3 kB fixed-size struct. Each class is a pool as SlotPool (sized at start-up, zero pages
// so only used pages are touched, no allocation afterwards). A handle carries its class in the top bits.
// Not thread-safe (one per worker).
#pragma once
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "lib/core/index_free_list.hpp"
#include "lib/core/zeroed_array.hpp"
#include "lib/flow/app_metadata.hpp"
#include "workers/zero_run_codec.hpp"

namespace spanwatch::workers {

class PackedMetadataStore {
 public:
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  static constexpr unsigned kClassShift = 27;  // handle = (class + 1) << 27 | slot; 0 there: not packed
  // Steps of 16 bytes up to 256, 32 up to 512, 64 up to 1 kB (1.03x to 1.5x; 1.06x to 1.14x where most
  // classified flows' metadata falls), so a slot wastes about 5% of its bytes on the corpus, not the 12% of
  // the earlier 14 classes (1.2x to 1.5x steps): fewer bytes per classified flow (issue 3) for 2.9x the
  // reserved address space (zero pages: only used slots' pages are touched; 4 KiB pages, so a class costs
  // no 2 MiB page before it holds that much). Up to 1 kB, which holds a TLS handshake with a certificate
  // (only larger ones stay in the 1.3 kB unpacked form). At most 30 classes: (class + 1) << 27 | slot must
  // never be kNoSlot.
  static constexpr std::array<size_t, 30> kSlotBytes{32,  48,  64,  80,  96,  112, 128, 144, 160, 176,
                                                     192, 208, 224, 240, 256, 288, 320, 352, 384, 416,
                                                     448, 480, 512, 576, 640, 704, 768, 832, 896, 1024};
  static constexpr size_t kClasses = kSlotBytes.size();
  static_assert((uint32_t(kClasses) << kClassShift | ((1u << kClassShift) - 1)) != kNoSlot &&
                    kClasses < (1u << (32 - kClassShift)) && kSlotBytes.back() <= 0xffff,
                "handle bits, 2-byte length");

  explicit PackedMetadataStore(uint32_t max_flows) {
    for (size_t c = 0; c < kClasses; ++c) pools_[c].init(kSlotBytes[c], max_flows);
  }

  // A handle of this store (as opposed to an AppDissector metadata slot number, which is below 2^28).
  static bool is_packed(uint32_t h) noexcept { return h != kNoSlot && (h >> kClassShift) != 0; }
  static size_t slot_bytes(uint32_t h) noexcept { return kSlotBytes[cls(h)]; }
  // Bytes of the slot that hold data (length header included); the rest is the size class's rounding.
  size_t used_bytes(uint32_t h) const noexcept {
    const uint8_t* b = pools_[cls(h)].at(slot(h));
    return 2 + (size_t(b[0]) | size_t(b[1]) << 8);
  }

  // Packs `m`; kNoSlot when it needs more than the largest class (the caller keeps it unpacked).
  uint32_t put(const lib::AppMetadata& m) noexcept {
    std::array<uint8_t, kSlotBytes.back()> buf;
    const size_t n =
        pack_zero_runs(reinterpret_cast<const uint8_t*>(&m), sizeof m, buf.data() + 2, buf.size() - 2);
    if (n == kPackDoesNotFit) return kNoSlot;
    size_t c = 0;
    while (n + 2 > kSlotBytes[c]) ++c;
    const uint32_t s = pools_[c].acquire();
    if (s == kNoSlot) return kNoSlot;
    buf[0] = static_cast<uint8_t>(n);
    buf[1] = static_cast<uint8_t>(n >> 8);
    std::memcpy(pools_[c].at(s), buf.data(), n + 2);
    return uint32_t(c + 1) << kClassShift | s;
  }

  void get(uint32_t h, lib::AppMetadata& out) const noexcept {
    const uint8_t* b = pools_[cls(h)].at(slot(h));
    unpack_zero_runs(b + 2, size_t(b[0]) | size_t(b[1]) << 8, reinterpret_cast<uint8_t*>(&out), sizeof out);
  }

  void release(uint32_t h) noexcept { pools_[cls(h)].release(slot(h)); }

  // Slots in use of class c (kSlotBytes[c] bytes each).
  uint32_t in_use(size_t c) const noexcept { return pools_[c].free.in_use(); }

 private:
  static size_t cls(uint32_t h) noexcept { return (h >> kClassShift) - 1; }
  static uint32_t slot(uint32_t h) noexcept { return h & ((1u << kClassShift) - 1); }

  // One size class: `bytes`-sized slots and their free list.
  struct Pool {
    size_t bytes = 0;
    lib::ZeroedArray<uint8_t> mem;
    lib::IndexFreeList free{0};

    void init(size_t slot_bytes, uint32_t n) {
      bytes = slot_bytes;
      const uint32_t capacity = n > 0 ? n : 1;
      mem = lib::ZeroedArray<uint8_t>(capacity * bytes, lib::ZeroedArray<uint8_t>::kSmallPages);
      free = lib::IndexFreeList(capacity);
    }
    uint32_t acquire() noexcept {
      const uint32_t s = free.acquire();
      return s == lib::IndexFreeList::kNone ? kNoSlot : s;
    }
    void release(uint32_t s) noexcept { free.release(s); }
    uint8_t* at(uint32_t s) noexcept { return mem.data() + size_t(s) * bytes; }
    const uint8_t* at(uint32_t s) const noexcept { return mem.data() + size_t(s) * bytes; }
  };
  std::array<Pool, kClasses> pools_;
};

}  // namespace spanwatch::workers
