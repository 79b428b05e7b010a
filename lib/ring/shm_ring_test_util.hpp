// Test helpers for the shm ring: unique names, and payloads that are a deterministic function of the
// record's sequence number, so a reader can prove every record it accepts is exact.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace spanwatch::lib::ring_test {

inline uint64_t mix(uint64_t x) noexcept {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Length of record n: 8..max bytes, deliberately not always a multiple of 8.
inline uint32_t payload_len(uint64_t n, uint32_t max) noexcept {
  return 8 + static_cast<uint32_t>(mix(n) % (max - 7));
}

// Record n: its sequence number, then bytes derived from it.
inline void fill_payload(uint64_t n, std::byte* out, uint32_t len) noexcept {
  std::memcpy(out, &n, 8);
  for (uint32_t off = 8; off < len; off += 8) {
    const uint64_t w = mix(n * 0x100000001b3ull + off);
    std::memcpy(out + off, &w, len - off < 8 ? len - off : 8);
  }
}

inline bool payload_ok(uint64_t n, const std::byte* data, uint32_t len, uint32_t max) noexcept {
  if (len != payload_len(n, max)) return false;
  std::byte expect[512];
  if (len > sizeof expect) return false;
  fill_payload(n, expect, len);
  return std::memcmp(expect, data, len) == 0;
}

// A name no other test or process uses; the caller unlinks it.
inline std::string unique_name(const char* what) {
  static std::atomic<unsigned> counter{0};
  return "/sw-ring-test-" + std::to_string(::getpid()) + "-" + what + "-" + std::to_string(counter++);
}

// Unlinks the name at scope exit, whatever the test did.
struct NameGuard {
  std::string name;
  ~NameGuard() { ::shm_unlink(name.c_str()); }
};

}  // namespace spanwatch::lib::ring_test
