// X.509 (RFC 5280) certificate fields from DER, bounded and allocation-free. Text output follows what
// Zeek logs, which is OpenSSL's: X509_NAME_print_ex(XN_FLAG_RFC2253), i2a_ASN1_INTEGER, i2t_ASN1_OBJECT.
// Every TLV is checked against its parent's bounds before it is read.
#include "lib/tls/x509_certificate.hpp"

#include <cstring>

#include "lib/fingerprint/digest.hpp"
#include "lib/tls/der_reader.hpp"
#include "lib/tls/x509_text.hpp"

namespace spanwatch::lib {
namespace {

using namespace der;  // NOLINT: tags and the reader are this file's vocabulary
using x509_text::Text;

constexpr uint8_t kTagSanDns = 0x82;  // GeneralName dNSName [2] IA5String
constexpr uint8_t kTagSanIp = 0x87;   // GeneralName iPAddress [7] OCTET STRING

constexpr uint8_t kOidRsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
constexpr uint8_t kOidMd5Rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04};
constexpr uint8_t kOidEcPublicKey[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
constexpr uint8_t kOidDsa[] = {0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01};
constexpr uint8_t kOidEd25519[] = {0x2b, 0x65, 0x70};
constexpr uint8_t kOidEd448[] = {0x2b, 0x65, 0x71};
constexpr uint8_t kOidSubjectAltName[] = {0x55, 0x1d, 0x11};
constexpr uint8_t kOidBasicConstraints[] = {0x55, 0x1d, 0x13};

// ---- times ----

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = m > 2 ? m - 3 : m + 9;  // March-based month, so leap days fall at the year end
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(const uint8_t* p, size_t n, unsigned& v) noexcept {
  v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + (p[i] - '0');
  }
  return true;
}

// UTCTime YYMMDDHHMM[SS](Z|+hhmm|-hhmm) or GeneralizedTime YYYYMMDDHHMM[SS[.f*]][Z|+hhmm|-hhmm].
bool parse_time(const Tlv& t, int64_t& out) noexcept {
  const uint8_t* p = t.val;
  size_t n = t.len;
  unsigned year = 0;
  if (t.tag == kTagUtcTime) {
    if (n < 10 || !digits(p, 2, year)) return false;
    year += year < 50 ? 2000 : 1900;  // RFC 5280 4.1.2.5.1
    p += 2;
    n -= 2;
  } else if (t.tag == kTagGeneralizedTime) {
    if (n < 12 || !digits(p, 4, year)) return false;
    p += 4;
    n -= 4;
  } else {
    return false;
  }
  unsigned mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (!digits(p, 2, mon) || !digits(p + 2, 2, day) || !digits(p + 4, 2, hour) || !digits(p + 6, 2, min)) {
    return false;
  }
  p += 8;
  n -= 8;
  if (n >= 2 && p[0] >= '0' && p[0] <= '9') {
    if (!digits(p, 2, sec)) return false;
    p += 2;
    n -= 2;
    if (t.tag == kTagGeneralizedTime && n > 0 && (p[0] == '.' || p[0] == ',')) {
      do {
        ++p;
        --n;
      } while (n > 0 && p[0] >= '0' && p[0] <= '9');
    }
  }
  int64_t offset = 0;
  if (n == 1 && p[0] == 'Z') {
    n = 0;
  } else if (n == 5 && (p[0] == '+' || p[0] == '-')) {
    unsigned oh = 0, om = 0;
    if (!digits(p + 1, 2, oh) || !digits(p + 3, 2, om) || oh > 23 || om > 59) return false;
    offset = (p[0] == '+' ? 1 : -1) * static_cast<int64_t>(oh * 3600 + om * 60);
    n = 0;
  } else if (n != 0 || t.tag == kTagUtcTime) {
    return false;  // UTCTime needs a zone; GeneralizedTime without one is taken as UTC
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59) return false;
  out = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - offset;
  return true;
}

// ---- integers and keys ----

// i2a_ASN1_INTEGER: uppercase hex of the magnitude ('-' if negative), the DER sign pad byte removed.
void format_serial(const Tlv& v, Text& out) noexcept {
  constexpr size_t kMaxBytes = (kX509SerialMax - 2) / 2;
  uint8_t mag[kMaxBytes + 1];
  const bool neg = (v.val[0] & 0x80) != 0;
  const uint8_t* src = v.val;
  size_t n = v.len;
  if (neg) {  // magnitude of a two's complement number: invert and add one, from the low end
    unsigned carry = 1;
    for (size_t i = v.len; i-- > 0;) {
      const unsigned x = (~v.val[i] & 0xffu) + carry;
      carry = x >> 8;
      if (i < sizeof(mag)) mag[i] = static_cast<uint8_t>(x);
    }
    src = mag;
    n = v.len < sizeof(mag) ? v.len : sizeof(mag);
    out.ch('-');
  }
  const size_t start = n > 1 && src[0] == 0 ? 1 : 0;
  const size_t shown = n - start < kMaxBytes ? n - start : kMaxBytes;
  for (size_t i = start; i < start + shown; ++i) out.hex_byte(src[i], kHexUpper);
  if (v.len - start > shown) out.mark_truncated();
}

unsigned integer_bits(const Tlv& v) noexcept {
  size_t i = 0;
  while (i < v.len && v.val[i] == 0) ++i;
  if (i == v.len) return 0;
  unsigned top = 0;
  for (uint8_t b = v.val[i]; b != 0; b >>= 1) ++top;
  return static_cast<unsigned>((v.len - i - 1) * 8) + top;
}

void parse_key(const Tlv& spki, X509Certificate& out) noexcept {
  Der s(spki);
  Tlv alg, key, oid, params;
  if (!s.next(kTagSequence, alg) || !s.next(kTagBitString, key)) return;
  Der a(alg);
  if (!a.next(kTagOid, oid)) return;
  const bool has_params = a.next(params);
  Text name(out.key_algorithm);
  x509_text::algorithm_name(oid, name);
  // RSA keys labelled md5WithRSAEncryption (RDP servers) are read as RSA, as Zeek does.
  if (oid_is(oid, kOidRsa) || oid_is(oid, kOidMd5Rsa)) {
    out.key_type = X509KeyType::kRsa;
    if (key.len < 1 || key.val[0] != 0) return;  // unused-bits octet
    Der k(key.val + 1, key.len - 1);
    Tlv seq, n, e;
    if (!k.next(kTagSequence, seq)) return;
    Der r(seq);
    if (!r.next(kTagInteger, n) || !r.next(kTagInteger, e)) return;
    out.key_bits = static_cast<uint16_t>(integer_bits(n) < UINT16_MAX ? integer_bits(n) : UINT16_MAX);
    if (integer_bits(e) <= 64) {
      for (size_t i = 0; i < e.len; ++i) out.rsa_exponent = out.rsa_exponent << 8 | e.val[i];
    }
  } else if (oid_is(oid, kOidEcPublicKey)) {
    out.key_type = X509KeyType::kEcdsa;
    if (!has_params || params.tag != kTagOid) return;  // explicit curve parameters: unnamed
    const x509_text::OidName* c = x509_text::find_curve(params);
    Text curve(out.curve);
    if (c != nullptr) {
      curve.put(c->name);
      out.key_bits = c->bits;
    } else {
      x509_text::oid_text(params, curve);
    }
  } else if (oid_is(oid, kOidDsa)) {
    out.key_type = X509KeyType::kDsa;
    Tlv p;
    if (!has_params || params.tag != kTagSequence) return;
    Der d(params);
    if (d.next(kTagInteger, p)) out.key_bits = static_cast<uint16_t>(integer_bits(p) & 0xffff);
  } else if (oid_is(oid, kOidEd25519)) {
    out.key_type = X509KeyType::kEd25519;  // Zeek reports no key length for EdDSA
  } else if (oid_is(oid, kOidEd448)) {
    out.key_type = X509KeyType::kEd448;
  }
}

// ---- extensions ----

void parse_san(const Tlv& octets, X509Certificate& out) noexcept {
  out.has_san = true;
  Der d(octets);
  Tlv names;
  if (!d.next(kTagSequence, names)) return;  // Zeek: x509_san_parse_error weird
  Der g(names);
  Tlv gn;
  size_t pool_used = 0;
  while (g.next(gn)) {
    if (gn.tag == kTagSanDns) {
      if (out.san_dns_total < UINT16_MAX) ++out.san_dns_total;
      if (out.san_dns_count < kX509MaxSanDns && pool_used + gn.len <= kX509SanPoolLen) {
        std::memcpy(out.san_pool.data() + pool_used, gn.val, gn.len);
        out.san_dns_off[out.san_dns_count] = static_cast<uint16_t>(pool_used);
        out.san_dns_len[out.san_dns_count] = static_cast<uint16_t>(gn.len);
        ++out.san_dns_count;
        pool_used += gn.len;
      }
    } else if (gn.tag == kTagSanIp && (gn.len == 4 || gn.len == 16)) {
      if (out.san_ip_total < UINT16_MAX) ++out.san_ip_total;
      if (out.san_ip_count < kX509MaxSanIps) {
        out.san_ips[out.san_ip_count++] =
            gn.len == 4 ? IpAddress::from_v4(gn.val) : IpAddress::from_v6(gn.val);
      }
    } else if (out.san_other < UINT16_MAX) {
      ++out.san_other;
    }
  }
}

void parse_basic_constraints(const Tlv& octets, X509Certificate& out) noexcept {
  Der d(octets);
  Tlv seq, ca;
  if (!d.next(kTagSequence, seq)) return;
  Der s(seq);
  if (s.next(kTagBoolean, ca) && ca.len == 1) out.is_ca = ca.val[0] != 0;
}

bool parse_extensions(const Tlv& explicit_tag, X509Certificate& out) noexcept {
  Der outer(explicit_tag);
  Tlv list, ext;
  if (!outer.next(kTagSequence, list)) return false;
  Der exts(list);
  while (!exts.empty()) {
    if (!exts.next(kTagSequence, ext)) return false;
    Der e(ext);
    Tlv oid, v;
    if (!e.next(kTagOid, oid) || !e.next(v)) return false;
    if (v.tag == kTagBoolean && !e.next(v)) return false;  // critical flag
    if (v.tag != kTagOctetString) return false;
    if (oid_is(oid, kOidSubjectAltName)) {
      parse_san(v, out);
    } else if (oid_is(oid, kOidBasicConstraints)) {
      parse_basic_constraints(v, out);
    }
  }
  return true;
}

X509Status parse_tbs(const Tlv& tbs, X509Certificate& out) noexcept {
  Der t(tbs);
  Tlv f;
  uint8_t tag = 0;
  out.version = 1;
  if (t.peek_tag(tag) && tag == kTagVersion) {
    Tlv v;
    if (!t.next(f)) return X509Status::kMalformed;
    Der vd(f);
    if (!vd.next(kTagInteger, v) || v.len != 1 || v.val[0] > 2) return X509Status::kMalformed;
    out.version = static_cast<uint8_t>(v.val[0] + 1);
  }
  if (!t.next(kTagInteger, f) || f.len == 0) return X509Status::kMalformed;
  Text serial(out.serial);
  format_serial(f, serial);
  if (!t.next(kTagSequence, f)) return X509Status::kMalformed;  // signature (repeated outside)
  Tlv issuer, validity, subject, spki;
  if (!t.next(kTagSequence, issuer) || !t.next(kTagSequence, validity) || !t.next(kTagSequence, subject) ||
      !t.next(kTagSequence, spki)) {
    return X509Status::kMalformed;
  }
  Text issuer_text(out.issuer);
  Text subject_text(out.subject);
  Tlv cn;
  if (!x509_text::format_name(issuer, issuer_text, nullptr) ||
      !x509_text::format_name(subject, subject_text, &cn)) {
    return X509Status::kMalformed;
  }
  if (cn.val != nullptr) {
    Text cn_text(out.common_name);
    x509_text::common_name(cn, cn_text);
  }
  Der v(validity);
  Tlv nb, na;
  out.validity_ok =
      v.next(nb) && v.next(na) && parse_time(nb, out.not_before) && parse_time(na, out.not_after);
  parse_key(spki, out);
  while (!t.empty()) {  // issuerUniqueID [1], subjectUniqueID [2], extensions [3]
    if (!t.next(f)) return X509Status::kMalformed;
    if (f.tag == kTagExtensions && !parse_extensions(f, out)) return X509Status::kMalformed;
  }
  return X509Status::kOk;
}

}  // namespace

std::string_view to_string(X509Status s) noexcept {
  switch (s) {
    case X509Status::kOk:
      return "ok";
    case X509Status::kTruncated:
      return "truncated";
    case X509Status::kMalformed:
      return "malformed";
    case X509Status::kNoCertificate:
      return "no_certificate";
  }
  return "?";
}

std::string_view to_string(X509KeyType t) noexcept {
  switch (t) {
    case X509KeyType::kRsa:
      return "rsa";
    case X509KeyType::kDsa:
      return "dsa";
    case X509KeyType::kEcdsa:
      return "ecdsa";
    default:
      return "";
  }
}

X509Status parse_x509_der(const uint8_t* der, size_t len, X509Certificate& out,
                          X509Fingerprints fingerprints) noexcept {
  out = X509Certificate{};
  if (der == nullptr || len == 0) return X509Status::kTruncated;
  if (der[0] != kTagSequence) return X509Status::kMalformed;
  uint8_t tag = 0;
  size_t hdr = 0;
  size_t body = 0;
  const HdrResult h = read_header(der, len, tag, hdr, body);
  if (h == HdrResult::kBad || (h == HdrResult::kOk && tag != kTagSequence)) return X509Status::kMalformed;
  if (h == HdrResult::kShort || body > len - hdr) return X509Status::kTruncated;

  out.der_len = static_cast<uint32_t>(len);
  out.sha1 = sha1(der, len);
  if (fingerprints == X509Fingerprints::kSha1AndSha256) {
    Sha256 s256;
    s256.update(der, len);
    uint8_t d2[Sha256::kDigestLen];
    s256.finish(d2);
    static_assert(sizeof out.sha256_hex == 2 * sizeof d2 + 1);
    format_hex_lower(d2, sizeof d2, out.sha256_hex.data());
    out.sha256_hex.back() = '\0';
  }

  Der cert(der + hdr, body);
  Tlv tbs, sig_alg, sig_oid, sig;
  if (!cert.next(kTagSequence, tbs) || !cert.next(kTagSequence, sig_alg) || !cert.next(kTagBitString, sig)) {
    return X509Status::kMalformed;
  }
  Der a(sig_alg);
  if (!a.next(kTagOid, sig_oid)) return X509Status::kMalformed;
  Text sig_name(out.signature_algorithm);
  x509_text::algorithm_name(sig_oid, sig_name);
  return parse_tbs(tbs, out);
}

X509Status parse_tls_leaf_certificate(const uint8_t* body, size_t len, X509Certificate& out, bool tls13,
                                      X509Fingerprints fingerprints) noexcept {
  out = X509Certificate{};
  if (body == nullptr) return X509Status::kTruncated;
  size_t pos = 0;
  if (tls13) {  // certificate_request_context<0..255>
    if (len < 1 || len - 1 < body[0]) return X509Status::kTruncated;
    pos = 1 + size_t{body[0]};
  }
  if (len - pos < 3) return X509Status::kTruncated;
  const size_t list_len = size_t{body[pos]} << 16 | size_t{body[pos + 1]} << 8 | body[pos + 2];
  pos += 3;
  if (list_len == 0) return X509Status::kNoCertificate;
  if (list_len < 3) return X509Status::kMalformed;
  if (len - pos < 3) return X509Status::kTruncated;
  const size_t cert_len = size_t{body[pos]} << 16 | size_t{body[pos + 1]} << 8 | body[pos + 2];
  pos += 3;
  if (cert_len == 0 || cert_len + 3 > list_len) return X509Status::kMalformed;
  if (len - pos < cert_len) return X509Status::kTruncated;
  return parse_x509_der(body + pos, cert_len, out, fingerprints);
}

}  // namespace spanwatch::lib
