// Tests for the DER certificate parser. OpenSSL (libcrypto) builds certificates with awkward names, serials,
// times, SANs and keys, and serves as the oracle: Zeek's x509 fields are exactly these OpenSSL calls
// (X509_NAME_print_ex RFC2253, i2a_ASN1_INTEGER, i2t_ASN1_OBJECT). Only the test uses OpenSSL.
#include "lib/tls/x509_certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/tls/tls_test_util.hpp"

namespace spanwatch::lib {
namespace {

using tlstest::Bytes;

template <auto Fn>
struct Free {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};
using X509Ptr = std::unique_ptr<X509, Free<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO_free>>;

std::string bio_text(BIO* b) {
  char* p = nullptr;
  const long n = BIO_get_mem_data(b, &p);
  return std::string(p, static_cast<size_t>(n));
}

// ---- the oracle: what Zeek would log ----

std::string zeek_name(const X509_NAME* n) {
  BioPtr b(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(b.get(), n, 0, XN_FLAG_RFC2253);
  return bio_text(b.get());
}

std::string zeek_serial(const X509* x) {
  BioPtr b(BIO_new(BIO_s_mem()));
  i2a_ASN1_INTEGER(b.get(), X509_get0_serialNumber(x));
  return bio_text(b.get());
}

std::string zeek_cn(const X509* x) {
  const X509_NAME* n = X509_get_subject_name(x);
  int pos = -1;
  for (int j; (j = X509_NAME_get_index_by_NID(n, NID_commonName, pos)) != -1;) pos = j;
  if (pos < 0) return "";
  BioPtr b(BIO_new(BIO_s_mem()));
  ASN1_STRING_print(b.get(), X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, pos)));
  const std::string s = bio_text(b.get());
  return s.substr(0, s.find('\n') == std::string::npos ? s.size() : s.find('\n') + 1);  // Zeek: BIO_gets
}

std::string obj_name(const ASN1_OBJECT* o) {
  char buf[256];
  i2t_ASN1_OBJECT(buf, sizeof(buf), o);
  return buf;
}

int64_t unix_time(const ASN1_TIME* t) {
  struct tm tm {};
  ASN1_TIME_to_tm(t, &tm);
  return timegm(&tm);
}

std::string hex_digest(const X509* x, const EVP_MD* md) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(x, md, d, &n);
  std::string s;
  char b[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(b, sizeof(b), "%02x", d[i]);
    s += b;
  }
  return s;
}

Bytes der_of(const X509* x) {
  unsigned char* p = nullptr;
  const int n = i2d_X509(x, &p);
  Bytes out(p, p + n);
  OPENSSL_free(p);
  return out;
}

// Compares every field we produce with OpenSSL's view of the same certificate.
void expect_matches_openssl(const X509* x, const X509Certificate& c) {
  EXPECT_EQ(c.version, X509_get_version(x) + 1);
  EXPECT_EQ(c.serial.view(), zeek_serial(x));
  EXPECT_EQ(c.subject.view(), zeek_name(X509_get_subject_name(x)));
  EXPECT_EQ(c.issuer.view(), zeek_name(X509_get_issuer_name(x)));
  EXPECT_FALSE(c.subject.truncated);
  EXPECT_EQ(c.common_name.view(), zeek_cn(x));
  ASSERT_TRUE(c.validity_ok);
  EXPECT_EQ(c.not_before, unix_time(X509_get0_notBefore(x)));
  EXPECT_EQ(c.not_after, unix_time(X509_get0_notAfter(x)));
  EXPECT_EQ(c.signature_algorithm.view(), obj_name(OBJ_nid2obj(X509_get_signature_nid(x))));
  ASN1_OBJECT* alg = nullptr;
  X509_PUBKEY_get0_param(&alg, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(x));
  EXPECT_EQ(c.key_algorithm.view(), obj_name(alg));
  EVP_PKEY* pk = X509_get0_pubkey(x);
  const int base = EVP_PKEY_get_base_id(pk);
  if (base == EVP_PKEY_RSA || base == EVP_PKEY_EC) {
    EXPECT_EQ(c.key_bits, EVP_PKEY_get_bits(pk));
  }
  if (base == EVP_PKEY_RSA) {
    EXPECT_EQ(c.key_type, X509KeyType::kRsa);
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(pk, "e", &e);
    EXPECT_EQ(c.rsa_exponent, BN_get_word(e));
    BN_free(e);
  }
  if (base == EVP_PKEY_EC) {
    EXPECT_EQ(c.key_type, X509KeyType::kEcdsa);
    char group[64];
    EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), nullptr);
    EXPECT_EQ(c.curve.view(), group);
  }
  GENERAL_NAMES* gens =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  size_t dns = 0, ips = 0;
  for (int i = 0; gens != nullptr && i < sk_GENERAL_NAME_num(gens); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens, i);
    if (g->type == GEN_DNS) {
      const std::string want(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                             static_cast<size_t>(ASN1_STRING_length(g->d.dNSName)));
      EXPECT_EQ(c.san_dns(dns++), want);
    } else if (g->type == GEN_IPADD) {
      const unsigned char* a = ASN1_STRING_get0_data(g->d.iPAddress);
      const IpAddress want =
          ASN1_STRING_length(g->d.iPAddress) == 4 ? IpAddress::from_v4(a) : IpAddress::from_v6(a);
      EXPECT_EQ(c.san_ips[ips++], want);
    }
  }
  EXPECT_EQ(c.has_san, gens != nullptr);
  EXPECT_EQ(c.san_dns_count, dns);
  EXPECT_EQ(c.san_ip_count, ips);
  GENERAL_NAMES_free(gens);
  const auto sha1 = hex_lower(c.sha1);
  EXPECT_EQ(std::string(sha1.data(), sha1.size()), hex_digest(x, EVP_sha1()));
  EXPECT_EQ(std::string(c.sha256_hex.data()), hex_digest(x, EVP_sha256()));
}

// ---- certificate factory ----

struct NameEntrySpec {
  std::string field;  // short name or dotted OID
  int type;           // MBSTRING_* for text, or V_ASN1_* for raw bytes
  std::string value;
  int set = 0;  // -1: join the previous RDN (multi-valued)
};

void add_entries(X509_NAME* n, const std::vector<NameEntrySpec>& entries) {
  for (const auto& e : entries) {
    ASN1_OBJECT* obj = OBJ_txt2obj(e.field.c_str(), 0);
    ASSERT_NE(obj, nullptr) << e.field;
    X509_NAME_ENTRY* ent = X509_NAME_ENTRY_create_by_OBJ(
        nullptr, obj, e.type, reinterpret_cast<const unsigned char*>(e.value.data()),
        static_cast<int>(e.value.size()));
    ASSERT_NE(ent, nullptr) << e.field;
    ASSERT_EQ(X509_NAME_add_entry(n, ent, -1, e.set), 1);
    X509_NAME_ENTRY_free(ent);
    ASN1_OBJECT_free(obj);
  }
}

struct CertSpec {
  std::vector<NameEntrySpec> subject = {{"CN", MBSTRING_UTF8, "example.com"}};
  std::vector<NameEntrySpec> issuer = {{"C", MBSTRING_ASC, "US"}, {"O", MBSTRING_ASC, "Example CA"}};
  long version = 2;  // DER value (2 = v3)
  std::string serial_hex = "0123456789ABCDEF";
  bool negative_serial = false;
  std::string not_before = "20240101000000Z";  // ASN1_TIME_set_string picks UTCTime or GeneralizedTime
  std::string not_after = "20250101120000Z";
  std::string san;  // X509V3 config text, e.g. "DNS:a.example,IP:10.0.0.1"
  bool ca = false;
  std::string key = "EC:P-256";  // "RSA:2048", "EC:<curve>", "ED25519"
  const EVP_MD* md = EVP_sha256();
};

PkeyPtr make_key(const std::string& k) {
  if (k.rfind("RSA:", 0) == 0)
    return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(std::stoul(k.substr(4)))));
  if (k.rfind("EC:", 0) == 0) return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", k.substr(3).c_str()));
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, k.c_str()));
}

X509Ptr make_cert(const CertSpec& s) {
  static std::map<std::string, PkeyPtr>* keys = new std::map<std::string, PkeyPtr>();  // keygen is slow
  PkeyPtr& key = (*keys)[s.key];
  if (!key) key = make_key(s.key);
  X509Ptr x(X509_new());
  X509_set_version(x.get(), s.version);
  BIGNUM* bn = nullptr;
  BN_hex2bn(&bn, s.serial_hex.c_str());
  BN_set_negative(bn, s.negative_serial ? 1 : 0);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
  BN_free(bn);
  add_entries(X509_get_subject_name(x.get()), s.subject);
  add_entries(X509_get_issuer_name(x.get()), s.issuer);
  ASN1_TIME_set_string_X509(X509_getm_notBefore(x.get()), s.not_before.c_str());
  ASN1_TIME_set_string_X509(X509_getm_notAfter(x.get()), s.not_after.c_str());
  X509_set_pubkey(x.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  if (!s.san.empty()) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, s.san.c_str());
    X509_add_ext(x.get(), e, -1);
    X509_EXTENSION_free(e);
  }
  if (s.ca) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(x.get(), e, -1);
    X509_EXTENSION_free(e);
  }
  X509_sign(x.get(), key.get(), s.key == "ED25519" ? nullptr : s.md);
  return x;
}

X509Certificate parse_ok(const X509* x) {
  const Bytes der = der_of(x);
  X509Certificate c;
  EXPECT_EQ(parse_x509_der(der.data(), der.size(), c), X509Status::kOk);
  return c;
}

TEST(X509, PlainCertificateMatchesOpenSsl) {
  CertSpec s;
  s.subject = {{"C", MBSTRING_ASC, "US"},
               {"ST", MBSTRING_ASC, "California"},
               {"L", MBSTRING_ASC, "Mountain View"},
               {"O", MBSTRING_ASC, "Example Inc"},
               {"CN", MBSTRING_ASC, "www.example.com"}};
  s.san =
      "DNS:www.example.com,DNS:example.com,IP:192.0.2.7,IP:2001:db8::1,email:a@example.com,URI:https://x/";
  const X509Ptr x = make_cert(s);
  const X509Certificate c = parse_ok(x.get());
  expect_matches_openssl(x.get(), c);
  EXPECT_EQ(c.subject.view(), "CN=www.example.com,O=Example Inc,L=Mountain View,ST=California,C=US");
  EXPECT_EQ(c.issuer.view(), "O=Example CA,C=US");
  EXPECT_EQ(c.common_name.view(), "www.example.com");
  EXPECT_EQ(c.serial.view(), "0123456789ABCDEF");
  EXPECT_EQ(c.version, 3);
  EXPECT_EQ(c.not_before, 1704067200);
  EXPECT_EQ(c.not_after, 1735732800);
  EXPECT_EQ(c.signature_algorithm.view(), "ecdsa-with-SHA256");
  EXPECT_EQ(c.key_algorithm.view(), "id-ecPublicKey");
  EXPECT_EQ(to_string(c.key_type), "ecdsa");
  EXPECT_EQ(c.curve.view(), "prime256v1");
  EXPECT_EQ(c.key_bits, 256);
  EXPECT_EQ(c.san_dns_count, 2);
  EXPECT_EQ(c.san_dns(1), "example.com");
  EXPECT_EQ(c.san_ip_count, 2);
  EXPECT_EQ(c.san_other, 2);
  EXPECT_FALSE(c.is_ca);
}

TEST(X509, NameEscapingAndCharacterSets) {
  const std::vector<std::vector<NameEntrySpec>> names = {
      {{"CN", MBSTRING_ASC, "a,b+c\"d\\e<f>g;h=i"}},
      {{"CN", MBSTRING_ASC, "#hash"}, {"O", MBSTRING_ASC, " lead and trail "}},
      {{"CN", MBSTRING_ASC, "#"}, {"OU", MBSTRING_ASC, " "}, {"OU", MBSTRING_ASC, "x#"}},
      {{"CN", V_ASN1_UTF8STRING, std::string("ctl\x01\x1f\x7f", 6)}},
      {{"CN", V_ASN1_UTF8STRING, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"}},
      {{"O", V_ASN1_T61STRING, "Soci\xe9t\xe9"}, {"OU", V_ASN1_IA5STRING, "ia5"}},
      {{"CN", V_ASN1_BMPSTRING, std::string("\x00h\x00i\x04\x14", 6)}},
      {{"CN", V_ASN1_UNIVERSALSTRING, std::string("\x00\x00\x00z\x00\x01\xf6\x00", 8)}},
      {{"OU", MBSTRING_ASC, "a"},
       {"OU", MBSTRING_ASC, "b", -1},
       {"CN", MBSTRING_ASC, "c"},
       {"O", MBSTRING_ASC, "d", -1}},
      {{"1.2.3.4.5", V_ASN1_UTF8STRING, "unknown"}, {"CN", MBSTRING_ASC, "known"}},
      {{"emailAddress", MBSTRING_ASC, "a@b.c"},
       {"DC", MBSTRING_ASC, "com"},
       {"jurisdictionC", MBSTRING_ASC, "US"},
       {"serialNumber", MBSTRING_ASC, "123"},
       {"businessCategory", MBSTRING_ASC, "Private Organization"},
       {"organizationIdentifier", MBSTRING_ASC, "VATDE-1"},
       {"UID", MBSTRING_ASC, "u1"},
       {"GN", MBSTRING_ASC, "g"}},
      {{"CN", V_ASN1_PRINTABLESTRING, ""}},
      {{"CN", MBSTRING_ASC, "first"}, {"CN", MBSTRING_ASC, "second\nline"}},
  };
  for (const auto& n : names) {
    CertSpec s;
    s.subject = n;
    s.issuer = n;
    const X509Ptr x = make_cert(s);
    const X509Certificate c = parse_ok(x.get());
    SCOPED_TRACE(zeek_name(X509_get_subject_name(x.get())));
    expect_matches_openssl(x.get(), c);
  }
  // Spot-check the exact text for a few (OpenSSL's behaviour, written out).
  CertSpec s;
  s.subject = {{"OU", MBSTRING_ASC, "a"}, {"OU", MBSTRING_ASC, "b", -1}, {"CN", MBSTRING_ASC, "#x,"}};
  EXPECT_EQ(parse_ok(make_cert(s).get()).subject.view(), "CN=\\#x\\,,OU=b+OU=a");
  s.subject = {{"CN", V_ASN1_UTF8STRING, "caf\xc3\xa9"}};
  EXPECT_EQ(parse_ok(make_cert(s).get()).subject.view(), "CN=caf\\C3\\A9");
  s.subject = {{"1.2.3.4.5", V_ASN1_UTF8STRING, "u"}};
  EXPECT_EQ(parse_ok(make_cert(s).get()).subject.view(), "1.2.3.4.5=#0C0175");
}

TEST(X509, SerialsTimesKeysAndAlgorithms) {
  std::vector<CertSpec> specs(12);
  specs[0].serial_hex = "80";  // needs the 0x00 sign pad
  specs[1].serial_hex = "0";
  specs[2].serial_hex = "7F";
  specs[2].negative_serial = true;
  specs[3].serial_hex = "0102030405060708090A0B0C0D0E0F1011121314";
  specs[4].not_before = "19500101000000Z";  // UTCTime 50 = 1950
  specs[4].not_after = "20491231235959Z";   // UTCTime 49 = 2049
  specs[5].not_after = "20500101000000Z";   // GeneralizedTime from 2050
  specs[5].not_before = "19491231235959Z";  // GeneralizedTime before 1950
  specs[6].key = "RSA:2048";
  specs[7].key = "RSA:1024";
  specs[7].md = EVP_sha1();
  specs[8].key = "EC:P-384";
  specs[8].md = EVP_sha384();
  specs[9].key = "ED25519";
  specs[10].version = 0;  // v1, no extensions
  specs[11].ca = true;
  specs[11].key = "EC:P-521";
  specs[11].md = EVP_sha512();
  for (const CertSpec& s : specs) {
    const X509Ptr x = make_cert(s);
    const X509Certificate c = parse_ok(x.get());
    SCOPED_TRACE(zeek_serial(x.get()) + " " + s.key);
    expect_matches_openssl(x.get(), c);
  }
  EXPECT_EQ(parse_ok(make_cert(specs[2]).get()).serial.view(), "-7F");
  EXPECT_EQ(parse_ok(make_cert(specs[0]).get()).serial.view(), "80");
  EXPECT_EQ(parse_ok(make_cert(specs[1]).get()).serial.view(), "00");
  EXPECT_EQ(parse_ok(make_cert(specs[4]).get()).not_before, -631152000);
  EXPECT_EQ(parse_ok(make_cert(specs[5]).get()).not_after, 2524608000);
  const X509Certificate rsa = parse_ok(make_cert(specs[6]).get());
  EXPECT_EQ(rsa.key_bits, 2048);
  EXPECT_EQ(rsa.rsa_exponent, 65537u);
  EXPECT_EQ(rsa.signature_algorithm.view(), "sha256WithRSAEncryption");
  EXPECT_EQ(to_string(rsa.key_type), "rsa");
  const X509Certificate ed = parse_ok(make_cert(specs[9]).get());
  EXPECT_EQ(ed.key_type, X509KeyType::kEd25519);
  EXPECT_EQ(ed.signature_algorithm.view(), "ED25519");
  EXPECT_EQ(parse_ok(make_cert(specs[10]).get()).version, 1);
  EXPECT_TRUE(parse_ok(make_cert(specs[11]).get()).is_ca);
}

TEST(X509, OutputLimitsAreFlagged) {
  CertSpec s;
  s.subject.clear();
  for (int i = 0; i < 80; ++i)
    s.subject.push_back({"CN", MBSTRING_ASC, "host" + std::to_string(i) + ".example.com"});
  std::string san;
  for (int i = 0; i < 50; ++i)
    san += (i ? "," : "") + std::string("DNS:n") + std::to_string(i) + ".example.org";
  s.san = san;
  const X509Ptr x = make_cert(s);
  const X509Certificate c = parse_ok(x.get());
  EXPECT_TRUE(c.subject.truncated);
  const std::string full = zeek_name(X509_get_subject_name(x.get()));
  ASSERT_LT(c.subject.len, full.size());
  EXPECT_EQ(full.substr(0, c.subject.len), c.subject.view());  // an exact prefix, cut between tokens
  EXPECT_EQ(c.common_name.view(), "host79.example.com");
  EXPECT_EQ(c.san_dns_total, 50);
  EXPECT_EQ(c.san_dns_count, kX509MaxSanDns);
  EXPECT_EQ(c.san_dns(31), "n31.example.org");
}

// The worker asks for the SHA-1 only: the same fields, no SHA-256.
TEST(X509, Sha1OnlyLeavesSha256Empty) {
  CertSpec s;
  s.san = "DNS:leaf.example";
  const Bytes leaf = der_of(make_cert(s).get());
  const Bytes body = tlstest::certificate_body({leaf});
  X509Certificate both, sha1_only;
  ASSERT_EQ(parse_tls_leaf_certificate(body.data(), body.size(), both), X509Status::kOk);
  ASSERT_EQ(parse_tls_leaf_certificate(body.data(), body.size(), sha1_only, false, X509Fingerprints::kSha1),
            X509Status::kOk);
  EXPECT_EQ(sha1_only.sha1, both.sha1);
  EXPECT_EQ(std::strlen(both.sha256_hex.data()), 64u);
  EXPECT_EQ(sha1_only.sha256_hex[0], '\0');
  EXPECT_EQ(sha1_only.san_dns(0), "leaf.example");
  EXPECT_EQ(sha1_only.subject.view(), both.subject.view());
  EXPECT_EQ(sha1_only.der_len, both.der_len);
}

TEST(X509, TlsCertificateMessage) {
  CertSpec s;
  s.san = "DNS:leaf.example";
  const Bytes leaf = der_of(make_cert(s).get());
  const Bytes chain = der_of(make_cert(CertSpec{}).get());
  const Bytes body = tlstest::certificate_body({leaf, chain});
  X509Certificate c;
  ASSERT_EQ(parse_tls_leaf_certificate(body.data(), body.size(), c), X509Status::kOk);
  EXPECT_EQ(c.san_dns(0), "leaf.example");
  EXPECT_EQ(c.der_len, leaf.size());
  // A prefix that holds the leaf is enough (the reader's truncated Certificate).
  ASSERT_EQ(parse_tls_leaf_certificate(body.data(), 6 + leaf.size(), c), X509Status::kOk);
  for (size_t n = 0; n < 6 + leaf.size(); ++n) {
    const Bytes prefix(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n));
    ASSERT_EQ(parse_tls_leaf_certificate(prefix.data(), prefix.size(), c), X509Status::kTruncated) << n;
  }
  // TLS 1.3 layout: request context, then entries with extensions.
  Bytes t13 = {0x00};
  Bytes list;
  tlstest::put24(list, static_cast<uint32_t>(leaf.size()));
  tlstest::append(list, leaf);
  tlstest::put16(list, 0);
  tlstest::put24(t13, static_cast<uint32_t>(list.size()));
  tlstest::append(t13, list);
  ASSERT_EQ(parse_tls_leaf_certificate(t13.data(), t13.size(), c, true), X509Status::kOk);
  EXPECT_EQ(c.san_dns(0), "leaf.example");
  // Empty list (client without a certificate), zero-length entry, entry longer than the list.
  const Bytes empty = {0, 0, 0};
  EXPECT_EQ(parse_tls_leaf_certificate(empty.data(), empty.size(), c), X509Status::kNoCertificate);
  const Bytes zero = {0, 0, 3, 0, 0, 0};
  EXPECT_EQ(parse_tls_leaf_certificate(zero.data(), zero.size(), c), X509Status::kMalformed);
  const Bytes over = {0, 0, 4, 0, 0, 9, 0x30};
  EXPECT_EQ(parse_tls_leaf_certificate(over.data(), over.size(), c), X509Status::kMalformed);
}

TEST(X509, HostileDer) {
  X509Certificate c;
  const auto st = [&](const Bytes& b) { return parse_x509_der(b.data(), b.size(), c); };
  EXPECT_EQ(st({}), X509Status::kTruncated);
  EXPECT_EQ(st({0x30}), X509Status::kTruncated);
  EXPECT_EQ(st({0x31, 0x00}), X509Status::kMalformed);
  EXPECT_EQ(st({0x30, 0x80, 0x00, 0x00}), X509Status::kMalformed);                    // indefinite length
  EXPECT_EQ(st({0x30, 0x85, 1, 0, 0, 0, 0}), X509Status::kMalformed);                 // 5 length octets
  EXPECT_EQ(st({0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30}), X509Status::kTruncated);  // 4 GiB claimed
  EXPECT_EQ(st({0x30, 0x00}), X509Status::kMalformed);                                // empty certificate
  EXPECT_EQ(st({0x30, 0x03, 0x30, 0x05, 0x00}), X509Status::kMalformed);              // child past parent
  EXPECT_EQ(st({0x30, 0x04, 0x1f, 0xff, 0xff, 0xff}), X509Status::kMalformed);        // endless high tag

  // Every prefix of a real certificate is truncated or malformed; every byte mutation stays bounded.
  CertSpec s;
  s.san = "DNS:a.example,IP:10.1.2.3";
  s.subject = {{"CN", V_ASN1_UTF8STRING, "caf\xc3\xa9"}, {"O", V_ASN1_BMPSTRING, std::string("\x00o", 2)}};
  const Bytes der = der_of(make_cert(s).get());
  for (size_t n = 0; n < der.size(); ++n) {
    const Bytes prefix(der.begin(), der.begin() + static_cast<std::ptrdiff_t>(n));
    ASSERT_EQ(parse_x509_der(prefix.data(), prefix.size(), c), X509Status::kTruncated) << n;
  }
  std::mt19937 rng(31337);
  int ok = 0;
  for (int iter = 0; iter < 30000; ++iter) {
    Bytes b = der;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0) b.resize(rng() % (b.size() + 1));
    if (parse_x509_der(b.data(), b.size(), c) == X509Status::kOk) {
      ++ok;
      ASSERT_LT(c.subject.len, kX509NameMax);
      ASSERT_EQ(c.subject.s[c.subject.len], '\0');
      ASSERT_LE(c.san_dns_count, kX509MaxSanDns);
    }
  }
  EXPECT_GT(ok, 0);
}

}  // namespace
}  // namespace spanwatch::lib
