// X.509 text: OpenSSL's names for OIDs, and its RFC 2253 printing of names with the escaping and
// character-set handling of crypto/asn1/a_strex.c (do_buf, do_esc_char, do_dump).
#include "lib/tls/x509_text.hpp"

namespace spanwatch::lib::x509_text {
namespace {

using der::Der;
using der::kTagOid;
using der::kTagSequence;
using der::kTagSet;

// X.520 attributes 2.5.4.n (DER 55 04 n), OpenSSL short names; "" where OpenSSL has none.
// clang-format off
constexpr const char* kX520[] = {
    "", "", "", "CN", "SN", "serialNumber", "C", "L", "ST", "street", "O", "OU", "title", "description",
    "searchGuide", "businessCategory", "postalAddress", "postalCode", "postOfficeBox",
    "physicalDeliveryOfficeName", "telephoneNumber", "telexNumber", "teletexTerminalIdentifier",
    "facsimileTelephoneNumber", "x121Address", "internationaliSDNNumber", "registeredAddress",
    "destinationIndicator", "preferredDeliveryMethod", "presentationAddress", "supportedApplicationContext",
    "member", "owner", "roleOccupant", "seeAlso", "userPassword", "userCertificate", "cACertificate",
    "authorityRevocationList", "certificateRevocationList", "crossCertificatePair", "name", "GN", "initials",
    "generationQualifier", "x500UniqueIdentifier", "dnQualifier", "enhancedSearchGuide",
    "protocolInformation", "distinguishedName", "uniqueMember", "houseIdentifier", "supportedAlgorithms",
    "deltaRevocationList", "dmdName",
};
// clang-format on

constexpr OidName kOtherAttributes[] = {
    {3, {0x55, 0x04, 0x41}, "pseudonym", 0},
    {3, {0x55, 0x04, 0x48}, "role", 0},
    {3, {0x55, 0x04, 0x61}, "organizationIdentifier", 0},
    {3, {0x55, 0x04, 0x62}, "c3", 0},
    {3, {0x55, 0x04, 0x63}, "n3", 0},
    {3, {0x55, 0x04, 0x64}, "dnsName", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}, "emailAddress", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02}, "unstructuredName", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x08}, "unstructuredAddress", 0},
    {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01}, "UID", 0},
    {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x03}, "mail", 0},
    {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, "DC", 0},
    {11, {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01, 0x01}, "jurisdictionL", 0},
    {11, {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01, 0x02}, "jurisdictionST", 0},
    {11, {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01, 0x03}, "jurisdictionC", 0},
};

// Signature and key algorithms: OpenSSL long names (what i2t_ASN1_OBJECT prints).
constexpr OidName kAlgorithms[] = {
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}, "rsaEncryption", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x02}, "md2WithRSAEncryption", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x03}, "md4WithRSAEncryption", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04}, "md5WithRSAEncryption", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05}, "sha1WithRSAEncryption", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a}, "rsassaPss", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}, "sha256WithRSAEncryption", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c}, "sha384WithRSAEncryption", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d}, "sha512WithRSAEncryption", 0},
    {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0e}, "sha224WithRSAEncryption", 0},
    {7, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}, "id-ecPublicKey", 0},
    {7, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01}, "ecdsa-with-SHA1", 0},
    {8, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01}, "ecdsa-with-SHA224", 0},
    {8, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}, "ecdsa-with-SHA256", 0},
    {8, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}, "ecdsa-with-SHA384", 0},
    {8, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04}, "ecdsa-with-SHA512", 0},
    {7, {0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01}, "dsaEncryption", 0},
    {7, {0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03}, "dsaWithSHA1", 0},
    {9, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x01}, "dsa_with_SHA224", 0},
    {9, {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02}, "dsa_with_SHA256", 0},
    {3, {0x2b, 0x65, 0x70}, "ED25519", 0},
    {3, {0x2b, 0x65, 0x71}, "ED448", 0},
    {5, {0x2b, 0x0e, 0x03, 0x02, 0x1d}, "sha1WithRSA", 0},
    {8, {0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75}, "SM2-with-SM3", 0},
};

constexpr OidName kCurves[] = {
    {8, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, "prime256v1", 256},
    {5, {0x2b, 0x81, 0x04, 0x00, 0x22}, "secp384r1", 384},
    {5, {0x2b, 0x81, 0x04, 0x00, 0x23}, "secp521r1", 521},
    {5, {0x2b, 0x81, 0x04, 0x00, 0x21}, "secp224r1", 224},
    {5, {0x2b, 0x81, 0x04, 0x00, 0x0a}, "secp256k1", 256},
    {8, {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01}, "prime192v1", 192},
    {9, {0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07}, "brainpoolP256r1", 256},
    {9, {0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b}, "brainpoolP384r1", 384},
    {9, {0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d}, "brainpoolP512r1", 512},
};

constexpr uint8_t kOidCommonName[] = {0x55, 0x04, 0x03};

template <size_t N>
const OidName* find_oid(const OidName (&table)[N], const Tlv& oid) noexcept {
  for (const OidName& e : table) {
    if (e.len == oid.len && std::memcmp(e.der, oid.val, e.len) == 0) return &e;
  }
  return nullptr;
}

const char* attribute_short_name(const Tlv& oid) noexcept {
  if (oid.len == 3 && oid.val[0] == 0x55 && oid.val[1] == 0x04 &&
      oid.val[2] < sizeof(kX520) / sizeof(kX520[0]) && kX520[oid.val[2]][0] != '\0') {
    return kX520[oid.val[2]];
  }
  const OidName* e = find_oid(kOtherAttributes, oid);
  return e != nullptr ? e->name : nullptr;
}

// ---- names: OpenSSL X509_NAME_print_ex(XN_FLAG_RFC2253) ----

// OpenSSL's char_type table (crypto/asn1/charmap.h) for 0..127, restricted to the bits RFC 2253 uses.
constexpr uint8_t kEsc2253 = 0x01;   // always backslash-escaped
constexpr uint8_t kEscCtrl = 0x02;   // \XX
constexpr uint8_t kEscFirst = 0x20;  // escaped when first (' ', '#')
constexpr uint8_t kEscLast = 0x40;   // escaped when last (' ')

uint8_t char_class(uint8_t c) noexcept {
  if (c < 0x20 || c == 0x7f) return kEscCtrl;
  switch (c) {
    case ' ':
      return kEscFirst | kEscLast;
    case '#':
      return kEscFirst;
    case '"':
    case '+':
    case ',':
    case ';':
    case '<':
    case '>':
    case '\\':
      return kEsc2253;
    default:
      return 0;
  }
}

// One output byte of a value (from the UTF-8 form of a character), escaped as do_esc_char() does.
bool put_escaped(uint8_t b, uint8_t pos_flags, Text& out) noexcept {
  if (b > 0x7f) return out.ch('\\') && out.hex_byte(b, kHexUpper);  // ESC_MSB
  const uint8_t cls = char_class(b) & (kEsc2253 | kEscCtrl | pos_flags);
  if (cls & (kEsc2253 | kEscFirst | kEscLast)) {
    const char t[2] = {'\\', static_cast<char>(b)};
    return out.put(t, 2);
  }
  if (cls & kEscCtrl) return out.ch('\\') && out.hex_byte(b, kHexUpper);
  return out.ch(static_cast<char>(b));
}

// Characters per string type, as OpenSSL's tag2nbyte: 0 = UTF-8, 1/2/4 = fixed width, -1 = dump as hex.
int char_width(uint8_t tag) noexcept {
  switch (tag) {
    case 0x0c:  // UTF8String
      return 0;
    case 0x12:  // NumericString
    case 0x13:  // PrintableString
    case 0x14:  // T61String (taken as Latin-1, as OpenSSL does)
    case 0x16:  // IA5String
    case 0x17:  // UTCTime
    case 0x18:  // GeneralizedTime
    case 0x1a:  // VisibleString
      return 1;
    case 0x1c:  // UniversalString
      return 4;
    case 0x1e:  // BMPString
      return 2;
    default:
      return -1;
  }
}

// Next code point of a UTF8String; same acceptance rules as OpenSSL's UTF8_getc. 0 on invalid input.
size_t utf8_next(const uint8_t* p, size_t n, uint32_t& c) noexcept {
  if (n == 0) return 0;
  const auto cont = [&](size_t k) noexcept {
    for (size_t i = 1; i < k; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
    }
    return true;
  };
  if (p[0] < 0x80) {
    c = p[0];
    return 1;
  }
  if ((p[0] & 0xe0) == 0xc0) {
    if (n < 2 || !cont(2)) return 0;
    c = uint32_t{p[0] & 0x1fu} << 6 | (p[1] & 0x3fu);
    return c < 0x80 ? 0 : 2;
  }
  if ((p[0] & 0xf0) == 0xe0) {
    if (n < 3 || !cont(3)) return 0;
    c = uint32_t{p[0] & 0x0fu} << 12 | uint32_t{p[1] & 0x3fu} << 6 | (p[2] & 0x3fu);
    return c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 0 : 3;
  }
  if ((p[0] & 0xf8) == 0xf0) {
    if (n < 4 || !cont(4)) return 0;
    c = uint32_t{p[0] & 0x07u} << 18 | uint32_t{p[1] & 0x3fu} << 12 | uint32_t{p[2] & 0x3fu} << 6 |
        (p[3] & 0x3fu);
    return c < 0x10000 ? 0 : 4;
  }
  return 0;
}

// UTF-8 encoding of a code point; 0 for surrogates and values past U+10FFFF (OpenSSL drops those).
size_t utf8_put(uint32_t c, uint8_t* o) noexcept {
  if (c < 0x80) {
    o[0] = static_cast<uint8_t>(c);
    return 1;
  }
  if (c < 0x800) {
    o[0] = static_cast<uint8_t>(0xc0 | c >> 6);
    o[1] = static_cast<uint8_t>(0x80 | (c & 0x3f));
    return 2;
  }
  if (c < 0x10000) {
    if (c >= 0xd800 && c <= 0xdfff) return 0;
    o[0] = static_cast<uint8_t>(0xe0 | c >> 12);
    o[1] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3f));
    o[2] = static_cast<uint8_t>(0x80 | (c & 0x3f));
    return 3;
  }
  if (c < 0x110000) {
    o[0] = static_cast<uint8_t>(0xf0 | c >> 18);
    o[1] = static_cast<uint8_t>(0x80 | ((c >> 12) & 0x3f));
    o[2] = static_cast<uint8_t>(0x80 | ((c >> 6) & 0x3f));
    o[3] = static_cast<uint8_t>(0x80 | (c & 0x3f));
    return 4;
  }
  return 0;
}

// Walks the characters of a string value; false if the value is not valid for its type.
template <typename F>
bool for_each_char(const Tlv& v, int width, F&& f) noexcept {
  const uint8_t* p = v.val;
  const uint8_t* end = v.val + v.len;
  if ((width == 2 && (v.len & 1)) || (width == 4 && (v.len & 3))) return false;
  while (p != end) {
    const bool first = p == v.val;
    uint32_t c = 0;
    size_t k = 0;
    switch (width) {
      case 0:
        k = utf8_next(p, static_cast<size_t>(end - p), c);
        if (k == 0) return false;
        break;
      case 1:
        c = p[0];
        k = 1;
        break;
      case 2:
        c = uint32_t{p[0]} << 8 | p[1];
        k = 2;
        break;
      default:
        c = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
        k = 4;
        break;
    }
    p += k;
    // As in OpenSSL's do_buf(): the last character's flag replaces the first's (a 1-char value is "last").
    f(c, p == end ? kEscLast : first ? kEscFirst : uint8_t{0});
  }
  return true;
}

bool put_value(const Tlv& v, bool dump, Text& out) noexcept {
  const int width = dump ? -1 : char_width(v.tag);
  if (width < 0) {  // "#" + hex of the whole DER encoding (ASN1_STRFLGS_DUMP_DER)
    if (!out.ch('#')) return false;
    for (size_t i = 0; i < v.total(); ++i) {
      if (!out.hex_byte(v.hdr[i], kHexUpper)) return false;
    }
    return true;
  }
  // OpenSSL sizes the value in a first pass and prints nothing of it if the string is invalid.
  if (!for_each_char(v, width, [](uint32_t, uint8_t) noexcept {})) return false;
  bool ok = true;
  for_each_char(v, width, [&](uint32_t c, uint8_t pos) noexcept {
    uint8_t u[4];
    const size_t n = utf8_put(c, u);
    for (size_t i = 0; i < n && ok; ++i) ok = put_escaped(u[i], pos, out);
  });
  return ok;
}

struct NameEntry {
  Tlv oid;
  Tlv value;
  uint32_t set = 0;  // RDN index: equal for the values of one multi-valued RDN
};
// Entries kept for printing. OpenSSL prints the last first, so a ring keeps the last kMaxNameEntries and
// the printed prefix stays exact when a name has more (the output is then flagged truncated).
constexpr size_t kMaxNameEntries = 64;

}  // namespace

// Dotted-decimal OID text (what OpenSSL prints for an OID it has no name for).
void oid_text(const Tlv& oid, Text& out) noexcept {
  uint64_t v = 0;
  bool first = true;
  for (size_t i = 0; i < oid.len; ++i) {
    if (v > (UINT64_MAX >> 7)) {  // an arc wider than 64 bits: give up rather than print a wrong number
      out.mark_truncated();
      return;
    }
    v = v << 7 | (oid.val[i] & 0x7f);
    if (oid.val[i] & 0x80) continue;
    if (first) {
      const uint64_t top = v < 40 ? 0 : v < 80 ? 1 : 2;
      out.dec(top);
      out.ch('.');
      out.dec(v - top * 40);
      first = false;
    } else {
      out.ch('.');
      out.dec(v);
    }
    v = 0;
  }
}

void algorithm_name(const Tlv& oid, Text& out) noexcept {
  const OidName* e = find_oid(kAlgorithms, oid);
  if (e != nullptr) {
    out.put(e->name);
  } else {
    oid_text(oid, out);
  }
}

const OidName* find_curve(const Tlv& oid) noexcept {
  return find_oid(kCurves, oid);
}

bool format_name(const Tlv& name, Text& out, Tlv* last_cn) noexcept {
  NameEntry ring[kMaxNameEntries];
  size_t total = 0;
  uint32_t set_index = 0;
  Der rdns(name);
  Tlv set;
  while (!rdns.empty()) {
    if (!rdns.next(kTagSet, set)) return false;
    Der atvs(set);
    Tlv atv;
    while (!atvs.empty()) {
      NameEntry e;
      if (!atvs.next(kTagSequence, atv)) return false;
      Der f(atv);
      if (!f.next(kTagOid, e.oid) || e.oid.len == 0 || !f.next(e.value) || !f.empty()) return false;
      e.set = set_index;
      if (last_cn != nullptr && oid_is(e.oid, kOidCommonName)) *last_cn = e.value;
      ring[total % kMaxNameEntries] = e;
      ++total;
    }
    ++set_index;
  }
  const size_t shown = total < kMaxNameEntries ? total : kMaxNameEntries;
  for (size_t k = 0; k < shown; ++k) {
    const NameEntry& e = ring[(total - 1 - k) % kMaxNameEntries];
    if (k != 0) {
      const NameEntry& prev = ring[(total - k) % kMaxNameEntries];
      if (!out.ch(e.set == prev.set ? '+' : ',')) return true;
    }
    const char* sn = attribute_short_name(e.oid);
    if (sn != nullptr) {
      out.put(sn);
    } else {
      oid_text(e.oid, out);
    }
    if (!out.ch('=')) return true;
    if (!put_value(e.value, sn == nullptr, out)) {
      out.mark_truncated();  // OpenSSL stops the whole name at an invalid string
      return true;
    }
  }
  if (total > shown) out.mark_truncated();
  return true;
}

void common_name(const Tlv& v, Text& out) noexcept {
  for (size_t i = 0; i < v.len; ++i) {
    const uint8_t c = v.val[i];
    const bool printable = c <= '~' && (c >= ' ' || c == '\n' || c == '\r');
    if (!out.ch(printable ? static_cast<char>(c) : '.') || c == '\n') return;
  }
}

}  // namespace spanwatch::lib::x509_text
