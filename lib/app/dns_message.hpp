// One DNS message (RFC 1035; also mDNS and LLMNR, which share the format): header, first question, the
// first answers with rendered rdata, and the addresses of every A/AAAA answer. Names are rendered as tshark
// shows them (labels joined by '.', control bytes as \ooo, "<Root>"). Bounded, no allocation.
// Type, class and rcode mnemonics live in lib/export/protocol_names.hpp; this parser keeps the numbers.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "lib/core/ip_address.hpp"

namespace spanwatch::lib {

enum class DnsStatus : uint8_t {
  kOk,
  kTruncated,  // the data ends inside a record after the first question (cut segment, snaplen)
  kTooShort,   // fewer than 12 bytes, or a TCP message without its 2-byte length
  kMalformed,  // a name with a bad label or pointer, or the data ends inside the first question.
               // What was read before it is kept: the header always, has_question says for the question
  kCount
};
inline constexpr std::array<std::string_view, size_t(DnsStatus::kCount)> kDnsStatusNames{
    "ok", "truncated", "too_short", "malformed"};
inline std::string_view to_string(DnsStatus s) noexcept {
  return kDnsStatusNames[size_t(s)];
}

// Why a name could not be read (kTooLong still has a known end: tshark shows "<Name too long>").
enum class DnsNameError : uint8_t { kNone, kPastEnd, kBadLabel, kBadPointer, kTooLong };

inline constexpr size_t kDnsHeaderLen = 12;
inline constexpr size_t kDnsMaxNameWire = 255;  // RFC 1035 3.1, length octets and the root label included
// Rendered text of one name: 253 characters unescaped; escapes (\ooo) can make it longer, then it is cut.
inline constexpr size_t kDnsNameTextMax = 255;
// Compression pointers followed per name. Each must point before the previous one's target, so a name
// cannot loop; the cap bounds the work per name.
inline constexpr unsigned kDnsMaxPointers = 64;
inline constexpr size_t kDnsMaxAnswers = 8;  // stored; every answer is still read for the address list
inline constexpr size_t kDnsMaxIps = 16;
inline constexpr size_t kDnsTextPool = 2048;  // owner names and rdata text of the stored answers

inline constexpr uint16_t kDnsTypeA = 1, kDnsTypeNs = 2, kDnsTypeCname = 5, kDnsTypePtr = 12, kDnsTypeMx = 15,
                          kDnsTypeTxt = 16, kDnsTypeAaaa = 28, kDnsTypeSrv = 33, kDnsTypeDname = 39;

struct DnsHeader {
  uint16_t id = 0;
  uint16_t flags = 0;  // the raw flags word
  bool qr = false, aa = false, tc = false, rd = false, ra = false, z = false, ad = false, cd = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;  // the header's 4 bits (an OPT record may extend it; not applied)
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
};

// A piece of text in DnsMessage::pool.
struct DnsText {
  uint16_t off = 0, len = 0;
  bool truncated = false;  // cut by the per-name limit or because the pool ran out
};

struct DnsAnswer {
  uint16_t type = 0, rclass = 0;  // rclass as on the wire (mDNS: top bit = cache flush)
  uint32_t ttl = 0;
  uint16_t rdlength = 0;
  DnsText name;  // owner name
  DnsText data;  // A/AAAA address; NS/CNAME/PTR/DNAME/MX/SRV target name; first TXT string; else empty
  bool bad_rdata = false;  // rdata inconsistent with its type (wrong address size, name past rdata)
};

struct DnsMessage {
  DnsHeader header;
  uint32_t wire_len = 0;  // message length: the data given (UDP) or the TCP length prefix
  bool cut = false;       // TCP: fewer bytes given than the length prefix announces

  bool has_question = false;
  uint16_t qtype = 0, qclass = 0;
  char qname[kDnsNameTextMax + 1] = {};  // rendered, NUL-terminated
  uint16_t qname_len = 0;
  bool qname_truncated = false;  // rendered text cut at kDnsNameTextMax
  DnsNameError qname_error = DnsNameError::kNone;

  uint16_t answers_read = 0;  // answer records parsed (all of ancount unless the data ended)
  uint8_t answer_count = 0;   // stored in answers
  std::array<DnsAnswer, kDnsMaxAnswers> answers{};
  uint16_t ips_total = 0;  // A/AAAA answers seen
  uint8_t ip_count = 0;    // stored in ips
  std::array<IpAddress, kDnsMaxIps> ips{};

  std::array<char, kDnsTextPool> pool{};
  uint16_t pool_used = 0;

  std::string_view question_name() const noexcept { return {qname, qname_len}; }
  std::string_view text(const DnsText& t) const noexcept { return {pool.data() + t.off, t.len}; }
};
static_assert(std::is_trivially_copyable_v<DnsMessage>, "a fast-path result: no owned resources");

// Parses a message that starts at `data` (UDP payload). `out` is fully overwritten.
DnsStatus parse_dns(const uint8_t* data, size_t len, DnsMessage& out) noexcept;
// DNS over TCP: a 2-byte length, then the message; parses what of it is present (out.cut says if cut).
DnsStatus parse_dns_tcp(const uint8_t* data, size_t len, DnsMessage& out) noexcept;

// Reads the name at msg[off] into `raw` (labels joined by '.', at most kDnsMaxNameWire - 2 bytes) and sets
// `next` to the offset after the name where it starts. Exposed for tests.
DnsNameError dns_read_name(const uint8_t* msg, size_t len, size_t off, uint8_t (&raw)[kDnsMaxNameWire],
                           size_t& raw_len, size_t& next) noexcept;

}  // namespace spanwatch::lib
