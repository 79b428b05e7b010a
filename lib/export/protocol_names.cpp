#include "lib/export/protocol_names.hpp"

namespace spanwatch::lib {

std::string_view dns_type_name(uint16_t t) noexcept {
  switch (t) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 13:
      return "HINFO";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 29:
      return "LOC";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    case 39:
      return "DNAME";
    case 41:
      return "OPT";
    case 43:
      return "DS";
    case 44:
      return "SSHFP";
    case 46:
      return "RRSIG";
    case 47:
      return "NSEC";
    case 48:
      return "DNSKEY";
    case 50:
      return "NSEC3";
    case 51:
      return "NSEC3PARAM";
    case 52:
      return "TLSA";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 99:
      return "SPF";
    case 249:
      return "TKEY";
    case 250:
      return "TSIG";
    case 251:
      return "IXFR";
    case 252:
      return "AXFR";
    case 255:
      return "ANY";
    case 256:
      return "URI";
    case 257:
      return "CAA";
    default:
      return {};
  }
}

std::string_view dns_rcode_name(uint8_t rcode) noexcept {
  static constexpr std::string_view kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                                "NXRRSET", "NOTAUTH", "NOTZONE"};
  return rcode < std::size(kNames) ? kNames[rcode] : std::string_view{};
}

TlsVersionName tls_version_name(uint16_t v) noexcept {
  switch (v) {
    case 0x0300:
      return {"3.0", "ssl"};
    case 0x0301:
      return {"1.0", "tls"};
    case 0x0302:
      return {"1.1", "tls"};
    case 0x0303:
      return {"1.2", "tls"};
    case 0x0304:
      return {"1.3", "tls"};
    default:
      return {};
  }
}

}  // namespace spanwatch::lib
