// TCP header flag bits (RFC 9293 3.1; ECE and CWR from RFC 3168), as DecodedPacket::tcp_flags holds them.
#pragma once
#include <cstdint>

namespace spanwatch::lib {

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

}  // namespace spanwatch::lib
