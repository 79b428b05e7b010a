// Small helpers shared by the fuzz targets: an invariant check that aborts (a crash libFuzzer records) and
// a deterministic split of an input into chunks, as TCP segments would cut a stream.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "lib/decode/decoded_packet.hpp"

#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace spanwatch::fuzz {

// fuzz_packet_decoder's first input byte picks one of these (modulo the count); the seed extractor writes it.
inline constexpr lib::LinkType kLinkTypes[] = {
    lib::LinkType::kEthernet, lib::LinkType::kNull, lib::LinkType::kPpp,       lib::LinkType::kRawDlt,
    lib::LinkType::kRaw,      lib::LinkType::kLoop, lib::LinkType::kIeee80211, lib::LinkType::kLinuxSll,
    lib::LinkType::kRadiotap, lib::LinkType::kIpv4, lib::LinkType::kIpv6,      lib::LinkType::kLinuxSll2};
inline constexpr size_t kLinkTypeCount = sizeof kLinkTypes / sizeof kLinkTypes[0];

// True if [p, p + n) lies inside [base, base + len): what every pointer a parser returns must satisfy.
inline bool inside(const uint8_t* p, size_t n, const uint8_t* base, size_t len) noexcept {
  if (n == 0) return true;
  return p != nullptr && p >= base && n <= len && p - base <= static_cast<std::ptrdiff_t>(len - n);
}

// Keeps a computed value alive so the compiler cannot drop the reads that produced it.
inline void sink(unsigned v) noexcept {
  static volatile unsigned g;
  g = g + v;
}

// Chunk lengths (1..64, sometimes larger) from a generator seeded by the input itself, so the same input
// always splits the same way and a mutation of the data also moves the cut points.
class ChunkSplitter {
 public:
  ChunkSplitter(const uint8_t* data, size_t len) noexcept : state_(0x9e3779b97f4a7c15ull ^ len) {
    for (size_t i = 0; i < len && i < 16; ++i) state_ = state_ * 31 + data[len - 1 - i];
    if (state_ == 0) state_ = 1;
  }
  size_t next(size_t left) noexcept {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    const size_t r = static_cast<size_t>(state_ >> 32);
    const size_t n = (r & 7) == 0 ? 1 + r % 2048 : 1 + r % 64;
    return n < left ? n : left;
  }

 private:
  uint64_t state_;
};

}  // namespace spanwatch::fuzz
