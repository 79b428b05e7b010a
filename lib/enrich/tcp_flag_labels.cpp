// Bit values from RFC 9293 (FIN..URG) and RFC 3168 (ECE, CWR).
#include "lib/enrich/tcp_flag_labels.hpp"

namespace spanwatch::lib {
namespace {

struct FlagName {
  uint8_t bit;
  std::string_view name;
};
constexpr FlagName kOrder[] = {{0x02, "SYN"}, {0x10, "ACK"}, {0x01, "FIN"}, {0x04, "RST"},
                               {0x08, "PSH"}, {0x20, "URG"}, {0x40, "ECE"}, {0x80, "CWR"}};

}  // namespace

size_t tcp_flag_labels(uint8_t flags, std::array<std::string_view, 8>& out) noexcept {
  size_t n = 0;
  for (const FlagName& f : kOrder)
    if (flags & f.bit) out[n++] = f.name;
  return n;
}

}  // namespace spanwatch::lib
