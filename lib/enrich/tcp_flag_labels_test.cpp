// Round-trips all 256 flag bytes through tcp_flag_labels and checks the order of the labels.
#include "lib/enrich/tcp_flag_labels.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <string>

namespace spanwatch::lib {
namespace {

TEST(TcpFlagLabels, AllValuesRoundTripInOrder) {
  // Bit values written out independently of the implementation (RFC 9293 section 3.1, RFC 3168).
  const std::map<std::string_view, uint8_t> kBit = {{"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04},
                                                    {"PSH", 0x08}, {"ACK", 0x10}, {"URG", 0x20},
                                                    {"ECE", 0x40}, {"CWR", 0x80}};
  const std::map<std::string_view, int> kRank = {{"SYN", 0}, {"ACK", 1}, {"FIN", 2}, {"RST", 3},
                                                 {"PSH", 4}, {"URG", 5}, {"ECE", 6}, {"CWR", 7}};
  for (int v = 0; v < 256; ++v) {
    std::array<std::string_view, 8> labels;
    const size_t n = tcp_flag_labels(static_cast<uint8_t>(v), labels);
    ASSERT_EQ(n, static_cast<size_t>(std::popcount(static_cast<unsigned>(v)))) << v;
    unsigned back = 0;
    int last_rank = -1;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(kBit.count(labels[i])) << v << " " << labels[i];
      EXPECT_EQ(back & kBit.at(labels[i]), 0u) << "repeated label " << labels[i];
      back |= kBit.at(labels[i]);
      EXPECT_GT(kRank.at(labels[i]), last_rank) << v << ": out of order";
      last_rank = kRank.at(labels[i]);
    }
    EXPECT_EQ(back, static_cast<unsigned>(v));
  }
}

TEST(TcpFlagLabels, Examples) {
  std::array<std::string_view, 8> l;
  ASSERT_EQ(tcp_flag_labels(0x1b, l), 4u);  // FIN PSH ACK SYN: a short complete exchange
  EXPECT_EQ(l[0], "SYN");
  EXPECT_EQ(l[1], "ACK");
  EXPECT_EQ(l[2], "FIN");
  EXPECT_EQ(l[3], "PSH");
  EXPECT_EQ(tcp_flag_labels(0, l), 0u);
  ASSERT_EQ(tcp_flag_labels(0xc0, l), 2u);
  EXPECT_EQ(l[0], "ECE");
  EXPECT_EQ(l[1], "CWR");
}

}  // namespace
}  // namespace spanwatch::lib
