// Fuzz target: the X.509 leaf-certificate parser (DER walk, RFC 2253 names, OIDs, SANs, validity, keys).
// Input: a TLS Certificate message body (after the 4-byte handshake header), read in the TLS 1.2 and 1.3
// layouts, and the same bytes as one bare DER certificate.
#include <cstdint>
#include <cstring>

#include "lib/tls/x509_certificate.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;

namespace {

template <size_t N>
void check_text(const lib::FixedText<N>& t) {
  FUZZ_CHECK(t.len < N && t.s[t.len] == '\0');
}

void check(const lib::X509Certificate& c) {
  check_text(c.serial);
  check_text(c.subject);
  check_text(c.issuer);
  check_text(c.common_name);
  check_text(c.signature_algorithm);
  check_text(c.key_algorithm);
  check_text(c.curve);
  FUZZ_CHECK(c.san_dns_count <= lib::kX509MaxSanDns && c.san_ip_count <= lib::kX509MaxSanIps);
  for (size_t i = 0; i < c.san_dns_count; ++i)
    FUZZ_CHECK(size_t{c.san_dns_off[i]} + c.san_dns_len[i] <= c.san_pool.size());
  FUZZ_CHECK(std::strlen(c.sha256_hex.data()) == 64);
  for (size_t i = 0; i < c.san_ip_count; ++i) {
    char ip[lib::kIpTextMax];
    c.san_ips[i].format(ip, sizeof ip);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lib::X509Certificate cert;
  for (bool tls13 : {false, true})
    if (lib::parse_tls_leaf_certificate(data, size, cert, tls13) == lib::X509Status::kOk) check(cert);
  if (lib::parse_x509_der(data, size, cert) == lib::X509Status::kOk) check(cert);
  // The leaf alone, as the message carries it (3-byte list length, 3-byte certificate length).
  if (size > 6 && lib::parse_x509_der(data + 6, size - 6, cert) == lib::X509Status::kOk) check(cert);
  return 0;
}
