// An IPv4 or IPv6 address in 16 bytes. IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so that one
// comparison orders both families and an IPv4 address never equals an IPv6 one.
#pragma once
#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace spanwatch::lib {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};

  static IpAddress from_v4(const uint8_t* p) noexcept {
    IpAddress a;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(&a.bytes[12], p, 4);
    return a;
  }
  static IpAddress from_v6(const uint8_t* p) noexcept {
    IpAddress a;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
  }
  bool is_v4() const noexcept {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(bytes.data(), kMapped, 12) == 0;
  }
  const uint8_t* v4() const noexcept { return &bytes[12]; }

  // Writes the textual form (inet_ntop style, IPv4 dotted) and returns its length; buf needs 46 bytes.
  size_t format(char* buf, size_t cap) const noexcept;

  // Byte order (as the defaulted operators), on two 64-bit words: every packet's flow key compares its
  // two addresses (make_flow_key, worker_hash), and the byte-wise loop was a visible share of that.
  friend constexpr bool operator==(const IpAddress& a, const IpAddress& b) noexcept {
    const auto x = words(a), y = words(b);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
  }
  friend constexpr std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b) noexcept {
    const auto x = words(a), y = words(b);
    return x[0] != y[0] ? x[0] <=> y[0] : x[1] <=> y[1];
  }

 private:
  // The bytes as two words that order as the bytes do (big-endian values).
  static constexpr std::array<uint64_t, 2> words(const IpAddress& a) noexcept {
    auto w = std::bit_cast<std::array<uint64_t, 2>>(a.bytes);
    if constexpr (std::endian::native == std::endian::little) {
      w[0] = __builtin_bswap64(w[0]);
      w[1] = __builtin_bswap64(w[1]);
    }
    return w;
  }
};

inline constexpr size_t kIpTextMax = 46;  // INET6_ADDRSTRLEN

}  // namespace spanwatch::lib
