// Names for the bits of a cumulative TCP flags byte (the OR of every segment's flags in one direction).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spanwatch::lib {

// Fills out[0..n) with the names of the bits set in `flags`, in the order SYN, ACK, FIN, RST, PSH, URG,
// ECE, CWR (handshake first, so "SYN ACK FIN" reads like the connection did), and returns n.
size_t tcp_flag_labels(uint8_t flags, std::array<std::string_view, 8>& out) noexcept;

}  // namespace spanwatch::lib
