#include "workers/ndpi_detector.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace spanwatch::workers {
namespace {

// An IPv4/UDP DNS query (A, IN) for `name`, from 10.0.0.1:40000 to 10.0.0.53:53.
std::vector<uint8_t> dns_query(const std::string& name) {
  std::vector<uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  for (size_t start = 0; start < name.size();) {
    const size_t dot = std::min(name.find('.', start), name.size());
    q.push_back(uint8_t(dot - start));
    q.insert(q.end(), name.begin() + long(start), name.begin() + long(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 1, 0, 1});
  const size_t udp = 8 + q.size(), total = 20 + udp;
  std::vector<uint8_t> p = {0x45,
                            0,
                            uint8_t(total >> 8),
                            uint8_t(total),
                            0,
                            1,
                            0,
                            0,
                            64,
                            17,
                            0,
                            0,
                            10,
                            0,
                            0,
                            1,
                            10,
                            0,
                            0,
                            53,
                            0x9c,
                            0x40,
                            0,
                            53,
                            uint8_t(udp >> 8),
                            uint8_t(udp),
                            0,
                            0};
  p.insert(p.end(), q.begin(), q.end());
  return p;
}

// nDPI's host name comes back whole from a 32-byte slot when it fits (up to 31 characters), else from an
// 80-byte one, and both kinds of slot are given back.
TEST(NdpiDetector, KeepsHostNamesWholeInTheSmallestSlot) {
  NdpiDetector dpi(4, 4);
  const std::string names[] = {"www.example.com", "abcdefghijklmnopqrst.example.org",
                               "abcdefghijklmnopqrs.example.org",
                               "a-long-host-name.in-a-subdomain.example.org"};
  for (const std::string& name : names) {
    const uint32_t slot = dpi.acquire();
    ASSERT_NE(slot, NdpiDetector::kNoSlot);
    lib::L7Info info{};
    uint32_t host = NdpiDetector::kNoSlot;
    const std::vector<uint8_t> packet = dns_query(name);
    if (!dpi.feed(slot, packet.data(), uint32_t(packet.size()), 1000, false, 1, info, host))
      dpi.finish(slot, info, host);
    ASSERT_NE(host, NdpiDetector::kNoSlot) << name;
    EXPECT_EQ(std::string(dpi.host(host)), name);
    EXPECT_EQ(NdpiDetector::host_bytes(host),
              name.size() < 32 ? sizeof(L7ShortHostName) : sizeof(L7HostName));
    EXPECT_EQ(dpi.hosts_in_use(), 1u);
    dpi.release_host(host);
    EXPECT_EQ(host, NdpiDetector::kNoSlot);
    EXPECT_EQ(dpi.hosts_in_use(), 0u);
  }
}

}  // namespace
}  // namespace spanwatch::workers
