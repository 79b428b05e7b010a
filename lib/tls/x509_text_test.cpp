// Tests for the X.509 text helpers and the DER reader on hand-built DER: RFC 2253 escaping rules, string
// types, invalid strings, unknown OIDs, the bounded writer, and DER length/tag edge cases. The OpenSSL
// cross-check over generated certificates is in x509_certificate_test.cpp.
#include "lib/tls/x509_text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/tls/der_reader.hpp"

namespace spanwatch::lib {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes tlv(uint8_t tag, const Bytes& v) {
  Bytes out = {tag};
  if (v.size() < 0x80) {
    out.push_back(static_cast<uint8_t>(v.size()));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(v.size() >> 8));
    out.push_back(static_cast<uint8_t>(v.size()));
  }
  out.insert(out.end(), v.begin(), v.end());
  return out;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes str(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

const Bytes kCn = {0x55, 0x04, 0x03};
const Bytes kO = {0x55, 0x04, 0x0a};
const Bytes kC = {0x55, 0x04, 0x06};

// One attribute: SEQUENCE { OID, value }.
Bytes atv(const Bytes& oid, uint8_t type, const Bytes& value) {
  return tlv(0x30, cat({tlv(0x06, oid), tlv(type, value)}));
}
// Name: SEQUENCE OF SET OF attribute; each inner vector is one RDN.
Bytes name(const std::vector<std::vector<Bytes>>& rdns) {
  Bytes seq;
  for (const auto& rdn : rdns) {
    Bytes set;
    for (const auto& a : rdn) set.insert(set.end(), a.begin(), a.end());
    const Bytes s = tlv(0x31, set);
    seq.insert(seq.end(), s.begin(), s.end());
  }
  return tlv(0x30, seq);
}

der::Tlv top(const Bytes& b) {
  der::Der d(b.data(), b.size());
  der::Tlv t;
  EXPECT_TRUE(d.next(t));
  return t;
}

struct Formatted {
  bool ok;
  std::string text;
  bool truncated;
  std::string cn;
};

Formatted fmt(const Bytes& n) {
  FixedText<kX509NameMax> t;
  x509_text::Text w(t);
  der::Tlv cn;
  const bool ok = x509_text::format_name(top(n), w, &cn);
  std::string cn_text;
  if (cn.val != nullptr) {
    FixedText<kX509CommonNameMax> c;
    x509_text::Text cw(c);
    x509_text::common_name(cn, cw);
    cn_text = std::string(c.view());
  }
  return {ok, std::string(t.view()), t.truncated, cn_text};
}

TEST(X509Text, Rfc2253OrderSeparatorsAndEscapes) {
  EXPECT_EQ(fmt(name({{atv(kC, 0x13, str("US"))},
                      {atv(kO, 0x0c, str("Example, Inc."))},
                      {atv(kCn, 0x0c, str("a+b"))}}))
                .text,
            "CN=a\\+b,O=Example\\, Inc.,C=US");
  // Multi-valued RDN: values joined with '+', in reverse order like the RDNs.
  EXPECT_EQ(fmt(name({{atv(kO, 0x0c, str("x")), atv(kCn, 0x0c, str("y"))}, {atv(kC, 0x13, str("DE"))}})).text,
            "C=DE,CN=y+O=x");
  EXPECT_EQ(fmt(name({{atv(kCn, 0x0c, str("#lead"))}})).text, "CN=\\#lead");
  EXPECT_EQ(fmt(name({{atv(kCn, 0x0c, str("mid#"))}})).text, "CN=mid#");
  EXPECT_EQ(fmt(name({{atv(kCn, 0x0c, str(" sp "))}})).text, "CN=\\ sp\\ ");
  EXPECT_EQ(fmt(name({{atv(kCn, 0x0c, str("#"))}})).text, "CN=#");  // a 1-char value counts as "last"
  EXPECT_EQ(fmt(name({{atv(kCn, 0x0c, str(" "))}})).text, "CN=\\ ");
  EXPECT_EQ(fmt(name({{atv(kCn, 0x0c, str("q\"<>;\\="))}})).text, "CN=q\\\"\\<\\>\\;\\\\=");
  EXPECT_EQ(fmt(name({{atv(kCn, 0x0c, Bytes{'a', 0x00, 0x0a, 0x7f})}})).text, "CN=a\\00\\0A\\7F");
  EXPECT_EQ(fmt(name({})).text, "");
}

TEST(X509Text, StringTypes) {
  // UTF8String: non-ASCII as \XX of its UTF-8 bytes. T61String: bytes taken as Latin-1, then UTF-8.
  EXPECT_EQ(fmt(name({{atv(kCn, 0x0c, Bytes{'e', 0xc3, 0xa9})}})).text, "CN=e\\C3\\A9");
  EXPECT_EQ(fmt(name({{atv(kCn, 0x14, Bytes{'e', 0xe9})}})).text, "CN=e\\C3\\A9");
  // BMPString U+0414, UniversalString U+1F600.
  EXPECT_EQ(fmt(name({{atv(kCn, 0x1e, Bytes{0x04, 0x14})}})).text, "CN=\\D0\\94");
  EXPECT_EQ(fmt(name({{atv(kCn, 0x1c, Bytes{0x00, 0x01, 0xf6, 0x00})}})).text, "CN=\\F0\\9F\\98\\80");
  // A BMP surrogate cannot be re-encoded: OpenSSL drops the character.
  EXPECT_EQ(fmt(name({{atv(kCn, 0x1e, Bytes{0x00, 'a', 0xd8, 0x00, 0x00, 'b'})}})).text, "CN=ab");
  // Types OpenSSL does not print as text (here OCTET STRING) are dumped as #hex of the DER.
  EXPECT_EQ(fmt(name({{atv(kCn, 0x04, Bytes{0x01, 0xff})}})).text, "CN=#040201FF");
  // An OID OpenSSL has no name for: dotted OID and #hex, whatever the value type.
  EXPECT_EQ(
      fmt(name({{atv(Bytes{0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0x8f, 0x43, 0x01}, 0x0c, str("v"))}})).text,
      "1.3.6.1.4.1.51139.1=#0C0176");
}

TEST(X509Text, InvalidStringsStopTheName) {
  // OpenSSL prints nothing of an invalid value and stops: "CN=" then the end. We flag it truncated.
  const auto bad_utf8 = fmt(name({{atv(kO, 0x0c, str("ok"))}, {atv(kCn, 0x0c, Bytes{'a', 0xc3})}}));
  EXPECT_TRUE(bad_utf8.ok);
  EXPECT_EQ(bad_utf8.text, "CN=");
  EXPECT_TRUE(bad_utf8.truncated);
  EXPECT_EQ(fmt(name({{atv(kCn, 0x0c, Bytes{0xc0, 0x80})}})).text, "CN=");        // overlong
  EXPECT_EQ(fmt(name({{atv(kCn, 0x0c, Bytes{0xed, 0xa0, 0x80})}})).text, "CN=");  // surrogate
  EXPECT_EQ(fmt(name({{atv(kCn, 0x1e, Bytes{0x00, 'a', 0x00})}})).text, "CN=");   // odd BMP length
  EXPECT_EQ(fmt(name({{atv(kCn, 0x1c, Bytes{0x00, 0x00, 0x00})}})).text, "CN=");  // Universal, not 4n
  // Broken structure is an error, not text.
  EXPECT_FALSE(fmt(tlv(0x30, tlv(0x31, tlv(0x04, {1})))).ok);             // not an attribute
  EXPECT_FALSE(fmt(tlv(0x30, tlv(0x30, {}))).ok);                         // RDN is not a SET
  EXPECT_FALSE(fmt(tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, kCn))))).ok);  // no value
  EXPECT_FALSE(fmt(tlv(0x30, tlv(0x31, tlv(0x30, cat({tlv(0x06, {}), tlv(0x0c, {})}))))).ok);  // empty OID
}

TEST(X509Text, CommonNameIsTheLastOneRawWithDots) {
  const auto f =
      fmt(name({{atv(kCn, 0x0c, str("first"))}, {atv(kCn, 0x0c, Bytes{'s', 0xc3, 0xa9, 0x01, '\n', 'x'})}}));
  EXPECT_EQ(f.cn, "s...\n");  // bytes > '~' and controls as '.', cut after a newline (Zeek's BIO_gets)
  EXPECT_EQ(fmt(name({{atv(kO, 0x0c, str("no cn"))}})).cn, "");
}

TEST(X509Text, OidTextAndAlgorithmNames) {
  const auto oid = [](const Bytes& content) {
    FixedText<kX509AlgNameMax> t;
    x509_text::Text w(t);
    x509_text::algorithm_name(top(tlv(0x06, content)), w);
    return std::string(t.view()) + (t.truncated ? " (truncated)" : "");
  };
  EXPECT_EQ(oid({0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}), "sha256WithRSAEncryption");
  EXPECT_EQ(oid({0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}), "ecdsa-with-SHA256");
  EXPECT_EQ(oid({0x2b, 0x65, 0x70}), "ED25519");
  EXPECT_EQ(oid({0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x63}), "1.2.840.113549.1.1.99");
  EXPECT_EQ(oid({0x55, 0x1d, 0x11}), "2.5.29.17");
  EXPECT_EQ(oid({0x88, 0x37}), "2.999");  // first subidentifier >= 80
  EXPECT_EQ(oid({0x06}), "0.6");
  // An arc wider than 64 bits is not printed as a wrong number.
  EXPECT_EQ(oid({0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}), "1.2 (truncated)");
  // Longer than the field: flagged, never overflowing.
  Bytes long_oid = {0x2a};
  for (int i = 0; i < 40; ++i) long_oid.insert(long_oid.end(), {0x87, 0x67});
  EXPECT_NE(oid(long_oid).find("(truncated)"), std::string::npos);
}

TEST(X509Text, WriterIsAllOrNothingAndSticky) {
  FixedText<8> t;  // 7 characters + NUL
  x509_text::Text w(t);
  EXPECT_TRUE(w.put("abcd", 4));
  EXPECT_FALSE(w.put("wxyz", 4));  // would need 8 + NUL
  EXPECT_TRUE(t.truncated);
  EXPECT_FALSE(w.ch('x'));  // sticky: nothing after the first miss
  EXPECT_EQ(t.view(), "abcd");
  EXPECT_EQ(t.s[4], '\0');
}

TEST(DerReader, LengthsAndTags) {
  const auto read = [](const Bytes& b, der::Tlv& t) {
    der::Der d(b.data(), b.size());
    return d.next(t);
  };
  der::Tlv t;
  ASSERT_TRUE(read({0x04, 0x81, 0x02, 0xaa, 0xbb}, t));  // long form (non-minimal, accepted)
  EXPECT_EQ(t.len, 2u);
  EXPECT_EQ(t.total(), 5u);
  EXPECT_FALSE(read({0x04, 0x80, 0x00, 0x00}, t));        // indefinite
  EXPECT_FALSE(read({0x04, 0x85, 0, 0, 0, 0, 1, 0}, t));  // 5 length octets
  EXPECT_FALSE(read({0x04, 0x03, 0x01}, t));              // past the end
  EXPECT_FALSE(read({0x04}, t));                          // no length
  ASSERT_TRUE(read({0x9f, 0x81, 0x01, 0x01, 0x07}, t));   // high tag number form
  EXPECT_EQ(t.len, 1u);
  EXPECT_FALSE(read({0x9f, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00}, t));  // endless tag
  EXPECT_FALSE(read({0x84, 0x84, 0xff, 0xff, 0xff, 0xff}, t));              // 4 GiB claimed
}

}  // namespace
}  // namespace spanwatch::lib
