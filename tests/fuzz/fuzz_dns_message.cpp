// Fuzz target: the DNS message parser as the workers call it, over UDP (the datagram) and over TCP (a
// 2-byte length prefix, then the message). Input: the payload bytes; both readings are tried.
#include <cstdint>

#include "lib/app/dns_message.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;

namespace {

void check(const lib::DnsMessage& m) {
  FUZZ_CHECK(m.qname_len <= lib::kDnsNameTextMax && m.qname[m.qname_len] == '\0');
  FUZZ_CHECK(m.answer_count <= m.answers.size() && m.answer_count <= m.answers_read);
  FUZZ_CHECK(m.ip_count <= m.ips.size());
  FUZZ_CHECK(m.pool_used <= m.pool.size());
  unsigned sum = 0;
  for (size_t i = 0; i < m.answer_count; ++i) {
    for (const lib::DnsText* t : {&m.answers[i].name, &m.answers[i].data}) {
      FUZZ_CHECK(size_t{t->off} + t->len <= m.pool.size());
      for (char c : m.text(*t)) sum += static_cast<unsigned char>(c);
    }
  }
  spanwatch::fuzz::sink(sum);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lib::DnsMessage msg;
  lib::parse_dns(data, size, msg);
  check(msg);
  lib::parse_dns_tcp(data, size, msg);
  check(msg);
  return 0;
}
