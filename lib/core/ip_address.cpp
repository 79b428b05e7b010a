#include "lib/core/ip_address.hpp"

#include <arpa/inet.h>

namespace spanwatch::lib {

size_t IpAddress::format(char* buf, size_t cap) const noexcept {
  const char* r = is_v4() ? inet_ntop(AF_INET, v4(), buf, static_cast<socklen_t>(cap))
                          : inet_ntop(AF_INET6, bytes.data(), buf, static_cast<socklen_t>(cap));
  if (r == nullptr) {
    if (cap) buf[0] = '\0';
    return 0;
  }
  return std::strlen(buf);
}

}  // namespace spanwatch::lib
