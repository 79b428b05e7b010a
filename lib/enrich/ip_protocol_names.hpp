// IANA "Assigned Internet Protocol Numbers" keywords, lowercased as ECS network.transport wants them.
// A constant table: no data file, no allocation.
#pragma once
#include <cstdint>
#include <string_view>

namespace spanwatch::lib {

// "tcp", "udp", "ipv6-icmp", "gre", "esp", "sctp", ...; empty where IANA gives no keyword (unassigned,
// experimentation, reserved and the "any ..." entries 61/63/68/99/114): the writer then prints only the
// number. Keywords are IANA's verbatim, lowercased, so two contain spaces ("isis over ipv4", "mobility
// header"); a "(deprecated)" note in IANA's keyword column is not part of the keyword.
std::string_view ip_protocol_keyword(uint8_t number) noexcept;

}  // namespace spanwatch::lib
