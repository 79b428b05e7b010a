#include "lib/core/ip_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace spanwatch::lib {
namespace {

// IpAddress::format writes IPv6 by hand: byte for byte what glibc's inet_ntop writes, for every pattern of
// zero and non-zero groups (runs of every length and place, ties, the embedded IPv4 forms) with random and
// small group values, and for random addresses.
TEST(IpAddress, FormatsIPv6AsInetNtop) {
  std::mt19937 rng(11);
  auto check = [](const uint8_t(&raw)[16]) {
    const IpAddress a = IpAddress::from_v6(raw);
    char want[INET6_ADDRSTRLEN], got[kIpTextMax];
    ASSERT_NE(inet_ntop(a.is_v4() ? AF_INET : AF_INET6, a.is_v4() ? a.v4() : raw, want, sizeof want),
              nullptr);
    const size_t n = a.format(got, sizeof got);
    ASSERT_STREQ(got, want);
    ASSERT_EQ(n, std::strlen(want));
  };
  uint8_t raw[16];
  for (unsigned pattern = 0; pattern < 256; ++pattern) {
    for (int round = 0; round < 200; ++round) {
      for (int g = 0; g < 8; ++g) {
        uint16_t v = 0;
        if (pattern >> g & 1) {
          const unsigned kind = rng() % 4;  // 1-4 hex digits
          v = static_cast<uint16_t>(kind == 0 ? rng() % 16 + 1 : kind == 1 ? rng() % 256 : rng() % 65536);
          if (v == 0) v = 1;
          if (round == 0) v = 0xffff;
        }
        raw[2 * g] = uint8_t(v >> 8);
        raw[2 * g + 1] = uint8_t(v);
      }
      check(raw);
    }
  }
  for (int round = 0; round < 200000; ++round) {
    for (uint8_t& b : raw) b = static_cast<uint8_t>(rng());
    check(raw);
  }
}

}  // namespace
}  // namespace spanwatch::lib
