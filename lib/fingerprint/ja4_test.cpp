// Tests for the TLS ClientHello parser, SHA-256 and JA4: hand-built hellos, truncation/mutation robustness,
// and agreement with FoxIO's ja4.py on the shared corpus (truth/ja4/*.json, TCP streams only).
#include "lib/fingerprint/ja4.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "lib/fingerprint/digest.hpp"
#include "lib/fingerprint/tls_client_hello.hpp"

namespace spanwatch::lib {
namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

struct Ext {
  uint16_t type;
  Bytes body;
};

Ext sni_ext(const std::string& host) {
  Bytes b;
  put16(b, static_cast<uint16_t>(host.size() + 3));
  b.push_back(0);
  put16(b, static_cast<uint16_t>(host.size()));
  b.insert(b.end(), host.begin(), host.end());
  return {0x0000, b};
}

Ext alpn_ext(const std::vector<std::string>& protos) {
  Bytes l;
  for (const auto& p : protos) {
    l.push_back(static_cast<uint8_t>(p.size()));
    l.insert(l.end(), p.begin(), p.end());
  }
  Bytes b;
  put16(b, static_cast<uint16_t>(l.size()));
  b.insert(b.end(), l.begin(), l.end());
  return {0x0010, b};
}

Ext u16_list_ext(uint16_t type, const std::vector<uint16_t>& v, bool one_byte_len = false) {
  Bytes b;
  if (one_byte_len) {
    b.push_back(static_cast<uint8_t>(v.size() * 2));
  } else {
    put16(b, static_cast<uint16_t>(v.size() * 2));
  }
  for (uint16_t x : v) put16(b, x);
  return {type, b};
}

// The handshake message (header + body).
Bytes build_hello_message(uint16_t version, const std::vector<uint16_t>& ciphers,
                          const std::vector<Ext>& exts, bool with_ext_block = true) {
  Bytes body;
  put16(body, version);
  for (int i = 0; i < 32; ++i) body.push_back(static_cast<uint8_t>(i));
  body.push_back(32);
  for (int i = 0; i < 32; ++i) body.push_back(0xaa);
  put16(body, static_cast<uint16_t>(ciphers.size() * 2));
  for (uint16_t c : ciphers) put16(body, c);
  body.push_back(1);
  body.push_back(0);
  if (with_ext_block) {
    Bytes e;
    for (const auto& x : exts) {
      put16(e, x.type);
      put16(e, static_cast<uint16_t>(x.body.size()));
      e.insert(e.end(), x.body.begin(), x.body.end());
    }
    put16(body, static_cast<uint16_t>(e.size()));
    body.insert(body.end(), e.begin(), e.end());
  }
  Bytes m = {0x01, static_cast<uint8_t>(body.size() >> 16), static_cast<uint8_t>(body.size() >> 8),
             static_cast<uint8_t>(body.size())};
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

// Wraps a handshake message into TLS records of at most `frag` payload bytes each.
Bytes to_records(const Bytes& msg, size_t frag = 16384) {
  Bytes out;
  for (size_t off = 0; off < msg.size(); off += frag) {
    const size_t n = std::min(frag, msg.size() - off);
    out.push_back(0x16);
    put16(out, 0x0301);
    put16(out, static_cast<uint16_t>(n));
    out.insert(out.end(), msg.begin() + static_cast<std::ptrdiff_t>(off),
               msg.begin() + static_cast<std::ptrdiff_t>(off + n));
  }
  return out;
}

std::string ja4_str(const ClientHello& ch, char t = 't', Ja4Order o = Ja4Order::kSorted) {
  char buf[kJa4MaxLen];
  const size_t n = ja4(ch, t, buf, o);
  EXPECT_EQ(n, kJa4Len);
  EXPECT_EQ(std::strlen(buf), n);
  return buf;
}

std::string ja4_r_str(const ClientHello& ch, char t = 't', Ja4Order o = Ja4Order::kSorted) {
  std::vector<char> buf(kJa4RawMaxLen);
  const size_t n = ja4_r(ch, t, buf.data(), buf.size(), o);
  return std::string(buf.data(), n);
}

std::string sha_hex(const std::string& s) {
  Sha256 h;
  h.update(s.data(), s.size());
  uint8_t d[32];
  h.finish(d);
  std::string out;
  char b[3];
  for (uint8_t x : d) {
    std::snprintf(b, sizeof(b), "%02x", x);
    out += b;
  }
  return out;
}

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(sha_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      sha_hex(
          "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
          "mnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  // One million 'a', fed in odd-sized pieces to exercise buffering.
  Sha256 h;
  const std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left > 0) {
    const size_t n = std::min(left, chunk.size());
    h.update(chunk.data(), n);
    left -= n;
  }
  uint8_t d[32];
  h.finish(d);
  char b[65];
  for (int i = 0; i < 32; ++i) std::snprintf(b + 2 * i, 3, "%02x", d[i]);
  EXPECT_STREQ(b, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Chrome's hello from the corpus (JA4_ro order), with GREASE added where Chrome puts it.
const std::vector<uint16_t> kChromeCiphers = {0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                                              0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
const std::vector<uint16_t> kChromeSigAlgs = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};

std::vector<Ext> chrome_exts(bool sni, const std::vector<std::string>& alpn) {
  std::vector<Ext> e;
  e.push_back({0x2a2a, {}});
  e.push_back({0x0033, Bytes(10, 0)});
  e.push_back({0xff01, {0}});
  e.push_back(u16_list_ext(0x002b, {0x7a7a, 0x0304, 0x0303}, true));
  if (sni) e.push_back(sni_ext("www.example.com"));
  e.push_back({0x4469, {0, 3, 2, 'h', '2'}});
  e.push_back({0x001b, {2, 0, 2}});
  e.push_back({0x000b, {1, 0}});
  e.push_back({0x0012, {}});
  e.push_back({0x0005, {1, 0, 0, 0, 0}});
  e.push_back(u16_list_ext(0x000d, kChromeSigAlgs));
  e.push_back({0x0017, {}});
  e.push_back({0x002d, {1, 1}});
  if (!alpn.empty()) e.push_back(alpn_ext(alpn));
  e.push_back(u16_list_ext(0x000a, {0x1a1a, 0x001d, 0x0017, 0x0018}));
  e.push_back({0x0023, {}});
  e.push_back({0x0015, Bytes(20, 0)});
  e.push_back({0x5a5a, {0}});
  return e;
}

TEST(ClientHello, ChromeMatchesReferenceJa4) {
  const Bytes rec =
      to_records(build_hello_message(0x0303, kChromeCiphers, chrome_exts(true, {"h2", "http/1.1"})));
  ClientHello ch;
  ASSERT_EQ(parse_client_hello(rec.data(), rec.size(), ch), TlsParseStatus::kOk);
  EXPECT_EQ(ch.legacy_version, 0x0303);
  EXPECT_EQ(ch.record_version, 0x0301);
  EXPECT_EQ(ch.ciphers.size(), 16u);
  EXPECT_EQ(ch.extensions.size(), 18u);
  EXPECT_EQ(ch.server_name(), "www.example.com");
  ASSERT_EQ(ch.alpn_count, 2);
  EXPECT_EQ(ch.alpn(0), "h2");
  EXPECT_EQ(ch.alpn(1), "http/1.1");
  EXPECT_EQ(ch.supported_versions.size(), 3u);
  EXPECT_EQ(ch.supported_groups.size(), 4u);
  EXPECT_EQ(ch.signature_algorithms.size(), 8u);
  ASSERT_EQ(ch.ec_point_formats.size(), 1u);
  EXPECT_EQ(ch.stream_bytes_used, rec.size());
  EXPECT_FALSE(ch.bad_extension_body);

  EXPECT_EQ(ja4_str(ch), "t13d1516h2_8daaf6152771_e5627efa2ab1");
  EXPECT_EQ(ja4_str(ch, 't', Ja4Order::kOriginal), "t13d1516h2_acb858a92679_687a3a2ce3c4");
  EXPECT_EQ(
      ja4_r_str(ch),
      "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,"
      "000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601");
  EXPECT_EQ(
      ja4_r_str(ch, 't', Ja4Order::kOriginal),
      "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_0033,ff01,002b,"
      "0000,4469,001b,000b,0012,0005,000d,0017,002d,0010,000a,0023,0015_0403,0804,0401,0503,0805,0501,0806,"
      "0601");
  EXPECT_EQ(ja4_str(ch, 'q').substr(0, 1), "q");

  // The same message fragmented into 100-byte records, and as a bare handshake message (QUIC CRYPTO).
  const Bytes msg = build_hello_message(0x0303, kChromeCiphers, chrome_exts(true, {"h2", "http/1.1"}));
  const Bytes frag = to_records(msg, 100);
  ClientHello ch2;
  ASSERT_EQ(parse_client_hello(frag.data(), frag.size(), ch2), TlsParseStatus::kOk);
  EXPECT_EQ(ja4_str(ch2), "t13d1516h2_8daaf6152771_e5627efa2ab1");
  EXPECT_EQ(ch2.stream_bytes_used, frag.size());
  ClientHello ch3;
  ASSERT_EQ(parse_client_hello_message(msg.data(), msg.size(), ch3), TlsParseStatus::kOk);
  EXPECT_EQ(ja4_str(ch3), "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

TEST(ClientHello, NoSniNoAlpn) {
  const Bytes rec = to_records(build_hello_message(0x0303, kChromeCiphers, chrome_exts(false, {})));
  ClientHello ch;
  ASSERT_EQ(parse_client_hello(rec.data(), rec.size(), ch), TlsParseStatus::kOk);
  EXPECT_FALSE(ch.has_sni_ext);
  EXPECT_EQ(ch.server_name(), "");
  // Same sorted extension list (SNI and ALPN are excluded from the hash anyway), two fewer in the count.
  EXPECT_EQ(ja4_str(ch), "t13i151400_8daaf6152771_e5627efa2ab1");
}

TEST(ClientHello, AlpnCharacterRules) {
  const auto prefix_for = [](const std::vector<std::string>& alpn) {
    const Bytes rec = to_records(build_hello_message(0x0303, {0x1301}, {alpn_ext(alpn)}));
    ClientHello ch;
    EXPECT_EQ(parse_client_hello(rec.data(), rec.size(), ch), TlsParseStatus::kOk);
    return ja4_str(ch).substr(0, 10);
  };
  EXPECT_EQ(prefix_for({"http/1.1", "h2"}), "t12i0101h1");
  EXPECT_EQ(prefix_for({"h3"}), "t12i0101h3");
  EXPECT_EQ(prefix_for({"x"}), "t12i0101xx");
  EXPECT_EQ(prefix_for({std::string("\xab", 1)}), "t12i0101ab");
  EXPECT_EQ(prefix_for({std::string("\xab\xcd", 2)}), "t12i0101ad");
  EXPECT_EQ(prefix_for({std::string("0\xab", 2)}), "t12i01013b");
  EXPECT_EQ(prefix_for({std::string("01\xab\xcd", 4)}), "t12i01013d");
  EXPECT_EQ(prefix_for({std::string("0\xab\xcd"
                                    "1",
                                    4)}),
            "t12i010101");                          // both ends alphanumeric
  EXPECT_EQ(prefix_for({"", "h2"}), "t12i010100");  // empty first value
  EXPECT_EQ(prefix_for({}), "t12i010100");          // extension with an empty list
}

TEST(ClientHello, VersionsAndGrease) {
  // No supported_versions: legacy version; SSL 3.0 hello without an extension block.
  const Bytes ssl3 = to_records(build_hello_message(0x0300, {0x000a, 0x0a0a}, {}, false));
  ClientHello ch;
  ASSERT_EQ(parse_client_hello(ssl3.data(), ssl3.size(), ch), TlsParseStatus::kOk);
  EXPECT_EQ(ja4_str(ch), "ts3i010000_" + sha_hex("000a").substr(0, 12) + "_000000000000");
  EXPECT_EQ(ja4_r_str(ch), "ts3i010000_000a_");

  // supported_versions with only GREASE falls back to the legacy version; unknown versions print "00".
  const Bytes g = to_records(build_hello_message(0x0302, {0x2f}, {u16_list_ext(0x002b, {0xfafa}, true)}));
  ASSERT_EQ(parse_client_hello(g.data(), g.size(), ch), TlsParseStatus::kOk);
  EXPECT_EQ(ja4_str(ch).substr(0, 10), "t11i010100");
  const Bytes u = to_records(build_hello_message(0x7f1c, {}, {}));
  ASSERT_EQ(parse_client_hello(u.data(), u.size(), ch), TlsParseStatus::kOk);
  EXPECT_EQ(ja4_str(ch), "t00i000000_000000000000_000000000000");

  // DTLS versions: highest is numerically lowest.
  const Bytes d =
      to_records(build_hello_message(0xfefd, {0x2f}, {u16_list_ext(0x002b, {0xfeff, 0xfefc, 0xfefd}, true)}));
  ASSERT_EQ(parse_client_hello(d.data(), d.size(), ch), TlsParseStatus::kOk);
  EXPECT_EQ(ja4_str(ch, 'd').substr(0, 4), "dd3i");

  // Extensions but no signature algorithms: no trailing underscore in the hashed string.
  const Bytes n = to_records(build_hello_message(0x0303, {0x2f}, {{0x0017, {}}, {0x0005, {}}}));
  ASSERT_EQ(parse_client_hello(n.data(), n.size(), ch), TlsParseStatus::kOk);
  EXPECT_EQ(ja4_r_str(ch), "t12i010200_002f_0005,0017");
  EXPECT_EQ(ja4_str(ch).substr(24), sha_hex("0005,0017").substr(0, 12));

  // Only SNI: the extension hash is zeros in JA4 and (as FoxIO ja4.py prints it) in JA4_o.
  const Bytes s = to_records(build_hello_message(0x0301, {0x2f}, {sni_ext("a.example")}));
  ASSERT_EQ(parse_client_hello(s.data(), s.size(), ch), TlsParseStatus::kOk);
  EXPECT_EQ(ja4_str(ch).substr(0, 11), "t10d010100_");
  EXPECT_EQ(ja4_str(ch).substr(24), "000000000000");
  EXPECT_EQ(ja4_str(ch, 't', Ja4Order::kOriginal).substr(24), "000000000000");
  EXPECT_EQ(ja4_r_str(ch, 't', Ja4Order::kOriginal), "t10d010100_002f_0000");
}

TEST(ClientHello, CapsAndOverflow) {
  std::vector<uint16_t> many;
  const auto n_ciphers = static_cast<uint16_t>(kMaxCiphers + 50);
  for (uint16_t i = 1; i <= n_ciphers; ++i) many.push_back(i);
  std::vector<Ext> exts;
  for (uint16_t i = 0x100; i < 0x100 + 120; ++i) exts.push_back({i, {}});
  const Bytes rec = to_records(build_hello_message(0x0303, many, exts));
  ClientHello ch;
  ASSERT_EQ(parse_client_hello(rec.data(), rec.size(), ch), TlsParseStatus::kOk);
  EXPECT_TRUE(ch.ciphers.overflow());
  EXPECT_EQ(ch.ciphers.total, n_ciphers);
  EXPECT_TRUE(ch.extensions.overflow());
  EXPECT_EQ(ja4_str(ch).substr(0, 10), "t12i999900");
  EXPECT_GT(ja4_r_str(ch).size(), 10u);
}

TEST(ClientHello, NotTlsOrNotClientHello) {
  ClientHello ch;
  const std::string http = "GET / HTTP/1.1\r\n\r\n";
  EXPECT_EQ(parse_client_hello(reinterpret_cast<const uint8_t*>(http.data()), http.size(), ch),
            TlsParseStatus::kNotTls);
  Bytes sh = to_records(build_hello_message(0x0303, {0x1301}, {}));
  sh[5] = 0x02;  // ServerHello
  EXPECT_EQ(parse_client_hello(sh.data(), sh.size(), ch), TlsParseStatus::kNotClientHello);
  EXPECT_EQ(parse_client_hello(nullptr, 0, ch), TlsParseStatus::kNeedMore);
  const uint8_t one = 0x16;
  EXPECT_EQ(parse_client_hello(&one, 1, ch), TlsParseStatus::kNeedMore);
  // Inconsistent inner length (cipher list longer than the message).
  Bytes bad = to_records(build_hello_message(0x0303, {0x1301}, {}));
  bad[5 + 4 + 2 + 32 + 1 + 32] = 0x7f;
  EXPECT_EQ(parse_client_hello(bad.data(), bad.size(), ch), TlsParseStatus::kMalformed);
  // Handshake length above the cap.
  Bytes huge = {0x16, 0x03, 0x01, 0x00, 0x10, 0x01, 0x01, 0x00, 0x00};
  EXPECT_EQ(parse_client_hello(huge.data(), huge.size(), ch), TlsParseStatus::kMalformed);
  // A bad body in a known extension keeps the type listed and flags it.
  const Bytes be =
      to_records(build_hello_message(0x0303, {0x1301}, {{0x0000, {0, 9, 0}}, {0x000d, {0, 3, 1}}}));
  ASSERT_EQ(parse_client_hello(be.data(), be.size(), ch), TlsParseStatus::kOk);
  EXPECT_TRUE(ch.bad_extension_body);
  EXPECT_EQ(ch.extensions.size(), 2u);
}

TEST(ClientHello, EveryTruncationNeedsMore) {
  const Bytes msg = build_hello_message(0x0303, kChromeCiphers, chrome_exts(true, {"h2"}));
  for (size_t frag : {size_t{16384}, size_t{7}, size_t{100}}) {
    const Bytes rec = to_records(msg, frag);
    for (size_t n = 0; n < rec.size(); ++n) {
      ClientHello ch;
      // Copy the prefix to its own allocation so that ASan catches any over-read.
      const Bytes prefix(rec.begin(), rec.begin() + static_cast<std::ptrdiff_t>(n));
      ASSERT_EQ(parse_client_hello(prefix.data(), prefix.size(), ch), TlsParseStatus::kNeedMore)
          << "frag " << frag << " len " << n;
    }
    for (size_t n = 0; n < msg.size(); ++n) {
      ClientHello ch;
      const Bytes prefix(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(n));
      ASSERT_EQ(parse_client_hello_message(prefix.data(), prefix.size(), ch), TlsParseStatus::kNeedMore) << n;
    }
  }
}

TEST(ClientHello, RandomMutationsStayBounded) {
  const Bytes base = to_records(build_hello_message(0x0303, kChromeCiphers, chrome_exts(true, {"h2"})), 300);
  std::mt19937 rng(12345);
  int ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = base;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    b.resize(rng() % (b.size() + 1));
    ClientHello ch;
    if (parse_client_hello(b.data(), b.size(), ch) == TlsParseStatus::kOk) {
      ++ok;
      char out[kJa4MaxLen];
      EXPECT_EQ(ja4(ch, 't', out), kJa4Len);
      std::vector<char> raw(kJa4RawMaxLen);
      EXPECT_GT(ja4_r(ch, 't', raw.data(), raw.size()), 10u);
    }
  }
  EXPECT_GT(ok, 0);
}

// ---- Corpus: FoxIO ja4.py truth vs. our parser on the client's first TCP bytes ----

struct PacketTcp {
  std::string src, dst;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0;
  uint8_t flags = 0;
  const uint8_t* payload = nullptr;
  size_t payload_len = 0;
};

std::string ip_str(const uint8_t* p, bool v6) {
  char buf[64];
  if (!v6) {
    std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
    return buf;
  }
  // RFC 5952 text form (longest zero run compressed), as ja4.py prints it.
  uint16_t w[8];
  for (int i = 0; i < 8; ++i) w[i] = static_cast<uint16_t>(p[2 * i] << 8 | p[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && w[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string s;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      s += "::";
      i += best_len - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s += ':';
    std::snprintf(buf, sizeof(buf), "%x", w[i]);
    s += buf;
  }
  return s;
}

// Ethernet/VLAN/IPv4/IPv6/TCP only; no tunnels.
bool decode_tcp(int dlt, const uint8_t* p, size_t n, PacketTcp& out) {
  uint16_t et = 0;
  size_t off = 0;
  if (dlt == DLT_EN10MB) {
    if (n < 14) return false;
    et = static_cast<uint16_t>(p[12] << 8 | p[13]);
    off = 14;
    while ((et == 0x8100 || et == 0x88a8) && n >= off + 4) {
      et = static_cast<uint16_t>(p[off + 2] << 8 | p[off + 3]);
      off += 4;
    }
  } else if (dlt == DLT_NULL || dlt == DLT_LOOP) {
    if (n < 4) return false;
    off = 4;
    et = (p[4] >> 4) == 6 ? 0x86dd : 0x0800;
  } else if (dlt == DLT_RAW || dlt == 12 || dlt == 14) {
    if (n < 1) return false;
    et = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
  } else if (dlt == DLT_LINUX_SLL) {
    if (n < 16) return false;
    et = static_cast<uint16_t>(p[14] << 8 | p[15]);
    off = 16;
  } else {
    return false;
  }
  uint8_t proto = 0;
  size_t l4 = 0, end = n;
  if (et == 0x0800) {
    if (n < off + 20) return false;
    const size_t ihl = (p[off] & 0xf) * 4u;
    const size_t tot = static_cast<size_t>(p[off + 2] << 8 | p[off + 3]);
    if (ihl < 20 || n < off + ihl) return false;
    if ((p[off + 6] & 0x3f) != 0 || p[off + 7] != 0) return false;  // fragments
    proto = p[off + 9];
    out.src = ip_str(p + off + 12, false);
    out.dst = ip_str(p + off + 16, false);
    l4 = off + ihl;
    if (tot >= ihl && off + tot < n) end = off + tot;
  } else if (et == 0x86dd) {
    if (n < off + 40) return false;
    proto = p[off + 6];
    out.src = ip_str(p + off + 8, true);
    out.dst = ip_str(p + off + 24, true);
    const size_t plen = static_cast<size_t>(p[off + 4] << 8 | p[off + 5]);
    if (off + 40 + plen < n) end = off + 40 + plen;
    l4 = off + 40;
    while ((proto == 0 || proto == 43 || proto == 60) && end >= l4 + 8) {
      proto = p[l4];
      l4 += (p[l4 + 1] + 1u) * 8;
    }
  } else {
    return false;
  }
  if (proto != 6 || end < l4 + 20) return false;
  const uint8_t* t = p + l4;
  const size_t doff = (t[12] >> 4) * 4u;
  if (doff < 20 || end < l4 + doff) return false;
  out.sport = static_cast<uint16_t>(t[0] << 8 | t[1]);
  out.dport = static_cast<uint16_t>(t[2] << 8 | t[3]);
  out.seq = static_cast<uint32_t>(t[4]) << 24 | static_cast<uint32_t>(t[5]) << 16 |
            static_cast<uint32_t>(t[6]) << 8 | t[7];
  out.flags = t[13];
  out.payload = t + doff;
  out.payload_len = end - l4 - doff;
  return true;
}

constexpr size_t kStreamCap = 16384;

struct ClientStream {
  Bytes data;
  bool have_seq = false;
  uint32_t next_seq = 0;
};

// Directional TCP payload streams in capture order, keyed "src|sport|dst|dport"; port reuse opens a new one.
std::map<std::string, std::vector<ClientStream>> read_streams(const std::string& path, std::string& err) {
  std::map<std::string, std::vector<ClientStream>> streams;
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(path.c_str(), errbuf);
  if (pc == nullptr) {
    err = errbuf;
    return streams;
  }
  const int dlt = pcap_datalink(pc);
  pcap_pkthdr* hdr = nullptr;
  const u_char* pkt = nullptr;
  while (pcap_next_ex(pc, &hdr, &pkt) == 1) {
    PacketTcp t;
    if (!decode_tcp(dlt, pkt, hdr->caplen, t)) continue;
    const std::string key =
        t.src + "|" + std::to_string(t.sport) + "|" + t.dst + "|" + std::to_string(t.dport);
    auto& list = streams[key];
    const bool syn = (t.flags & 0x02) != 0;
    if (list.empty() || (syn && !list.back().data.empty())) list.emplace_back();
    ClientStream& s = list.back();
    if (syn) {
      s.have_seq = true;
      s.next_seq = t.seq + 1;
      continue;
    }
    if (t.payload_len == 0) continue;
    if (!s.have_seq) {  // capture started mid-connection
      s.have_seq = true;
      s.next_seq = t.seq;
    }
    const auto delta = static_cast<int32_t>(s.next_seq - t.seq);  // bytes of this segment already seen
    if (delta < 0 || static_cast<size_t>(delta) >= t.payload_len) continue;  // gap or pure retransmission
    const size_t fresh = t.payload_len - static_cast<size_t>(delta);
    const size_t room = kStreamCap - std::min(kStreamCap, s.data.size());
    s.data.insert(s.data.end(), t.payload + delta, t.payload + delta + std::min(fresh, room));
    s.next_seq += static_cast<uint32_t>(fresh);
  }
  pcap_close(pc);
  return streams;
}

// Skips leading bytes that are not a TLS handshake record (SOCKS/CONNECT preambles); test-only heuristic.
size_t find_tls_start(const Bytes& d) {
  for (size_t i = 0; i + 5 < d.size(); ++i) {
    if (d[i] == 0x16 && d[i + 1] == 0x03 && d[i + 2] <= 0x04 && d[i + 5] == 0x01) return i;
  }
  return d.size();
}

// Parses the n-th (1-based) ClientHello in the client's bytes (a second one follows a HelloRetryRequest).
TlsParseStatus nth_client_hello(const Bytes& d, int nth, ClientHello& ch, bool& used_scan) {
  size_t off = 0;
  used_scan = false;
  TlsParseStatus st = parse_client_hello(d.data(), d.size(), ch);
  if (st == TlsParseStatus::kNotTls) {
    off = find_tls_start(d);
    used_scan = true;
    st = parse_client_hello(d.data() + off, d.size() - off, ch);
  }
  for (int i = 1; i < nth && st == TlsParseStatus::kOk; ++i) {
    off += ch.stream_bytes_used;
    // Skip records that are not handshakes (ChangeCipherSpec in TLS 1.3 middlebox mode).
    while (d.size() - off >= 5 && d[off] != 0x16 && d[off + 1] == 0x03) {
      off += 5 + static_cast<size_t>(d[off + 3] << 8 | d[off + 4]);
      if (off > d.size()) off = d.size();
    }
    st = parse_client_hello(d.data() + off, d.size() - off, ch);
  }
  return st;
}

TEST(Ja4Corpus, MatchesFoxIoPython) {
  const char* env = std::getenv("SPANWATCH_CORPUS");
  const std::filesystem::path corpus = env != nullptr && *env != '\0' ? env : "/work/shared/corpus";
  const auto truth_dir = corpus / "truth" / "ja4";
  if (!std::filesystem::is_directory(truth_dir)) GTEST_SKIP() << "no corpus at " << corpus;

  int total = 0, matched = 0, quic_skipped = 0, scanned = 0;
  int o_total = 0, o_matched = 0;
  std::vector<std::string> misses;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(truth_dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& jf : files) {
    std::ifstream in(jf);
    std::stringstream ss;
    ss << in.rdbuf();
    rapidjson::Document doc;
    doc.Parse(ss.str().c_str());
    if (doc.HasParseError() || !doc.IsArray()) {
      ADD_FAILURE() << "bad json " << jf;
      continue;
    }
    const std::string name = jf.stem().string();  // "<pcap>" (".json" stripped)
    std::string err;
    auto streams = read_streams((corpus / "pcaps" / "ja4" / name).string(), err);
    std::map<std::string, size_t> next_instance;
    for (const auto& row : doc.GetArray()) {
      if (!row.IsObject() || !row.HasMember("src") || !row.HasMember("srcport")) continue;
      const std::string key = std::string(row["src"].GetString()) + "|" + row["srcport"].GetString() + "|" +
                              row["dst"].GetString() + "|" + row["dstport"].GetString();
      bool has_ja4 = false;
      for (auto m = row.MemberBegin(); m != row.MemberEnd(); ++m) {
        const std::string k = m->name.GetString();
        if (k == "JA4" || k.rfind("JA4.", 0) == 0) has_ja4 = true;
      }
      if (!has_ja4) continue;
      const size_t inst = next_instance[key]++;
      for (auto m = row.MemberBegin(); m != row.MemberEnd(); ++m) {
        const std::string k = m->name.GetString();
        if (k != "JA4" && k.rfind("JA4.", 0) != 0) continue;
        const std::string want = m->value.GetString();
        if (!want.empty() && want[0] == 'q') {
          ++quic_skipped;
          continue;
        }
        const int nth = k == "JA4" ? 1 : std::atoi(k.c_str() + 4);
        const std::string suffix = k.substr(3);
        ++total;
        const auto it = streams.find(key);
        std::string got = "<no stream>";
        ClientHello ch;
        if (it != streams.end() && inst < it->second.size()) {
          bool used_scan = false;
          const TlsParseStatus st = nth_client_hello(it->second[inst].data, nth, ch, used_scan);
          if (st == TlsParseStatus::kOk) {
            got = ja4_str(ch);
            scanned += used_scan ? 1 : 0;
            const std::string o_key = "JA4_o" + suffix;
            if (row.HasMember(o_key.c_str())) {
              ++o_total;
              const std::string got_o = ja4_str(ch, 't', Ja4Order::kOriginal);
              if (got_o == row[o_key.c_str()].GetString()) {
                ++o_matched;
              } else {
                misses.push_back(name + " " + key + " " + o_key + ": want " + row[o_key.c_str()].GetString() +
                                 " got " + got_o + " raw " + ja4_r_str(ch, 't', Ja4Order::kOriginal));
              }
            }
            const std::string r_key = "JA4_r" + suffix;
            if (row.HasMember(r_key.c_str())) {
              EXPECT_EQ(ja4_r_str(ch), row[r_key.c_str()].GetString()) << name;
            }
          } else {
            got = "<" + std::string(to_string(st)) + ">";
          }
        }
        if (got == want) {
          ++matched;
        } else {
          misses.push_back(name + " " + key + " " + k + ": want " + want + " got " + got);
        }
      }
    }
  }
  std::printf(
      "JA4 corpus: %d/%d TCP client hellos match ja4.py (%d found after a non-TLS preamble); "
      "JA4_o %d/%d; %d QUIC rows skipped\n",
      matched, total, scanned, o_matched, o_total, quic_skipped);
  for (const auto& m : misses) std::printf("  miss: %s\n", m.c_str());
  ASSERT_GT(total, 0);
  EXPECT_GE(matched * 100, total * 99) << matched << "/" << total;
  EXPECT_EQ(o_matched, o_total);
}

}  // namespace
}  // namespace spanwatch::lib
