// Fuzz target: the DHCPv4/BOOTP parser (fixed header, magic cookie, options including client id, FQDN
// wire-format names and the parameter list). Input: the UDP payload.
#include <cstdint>

#include "lib/app/dhcp_message.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;

namespace {

template <size_t N>
void check_text(const lib::BoundedText<N>& t) {
  FUZZ_CHECK(t.len <= N && t.buf[t.len] == '\0');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lib::DhcpMessage msg;
  lib::parse_dhcp(data, size, msg);
  check_text(msg.hostname);
  check_text(msg.vendor_class);
  check_text(msg.param_list);
  check_text(msg.fqdn);
  FUZZ_CHECK(msg.client_id_len <= msg.client_id.size());
  spanwatch::fuzz::sink(static_cast<unsigned>(lib::dhcp_message_type_name(msg.message_type).size()));
  return 0;
}
