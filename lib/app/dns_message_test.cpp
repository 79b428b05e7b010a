// Tests for the DNS message parser: hand-built queries and responses (compression, every rdata kind we
// render, names tshark shows specially), hostile input (pointer loops, forward pointers, over-long names,
// every truncation, random bytes), and agreement with tshark's dns_queries / dns_responses columns over
// every capture of the corpus.
#include "lib/app/dns_message.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/app/app_test_pcap.hpp"

namespace spanwatch::lib {
namespace {

using apptest::Bytes;

void put16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, uint16_t(v >> 16));
  put16(b, uint16_t(v));
}

Bytes header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns = 0, uint16_t ar = 0) {
  Bytes b;
  for (uint16_t v : {id, flags, qd, an, ns, ar}) put16(b, v);
  return b;
}

// Labels in wire form; `tail` replaces the root octet (e.g. a compression pointer).
Bytes name(const std::vector<std::string>& labels, Bytes tail = {0}) {
  Bytes b;
  for (const auto& l : labels) {
    b.push_back(uint8_t(l.size()));
    b.insert(b.end(), l.begin(), l.end());
  }
  b.insert(b.end(), tail.begin(), tail.end());
  return b;
}
Bytes ptr(uint16_t off) {
  return {uint8_t(0xc0 | (off >> 8)), uint8_t(off)};
}

Bytes question(const Bytes& qname, uint16_t type, uint16_t cls = 1) {
  Bytes b = qname;
  put16(b, type);
  put16(b, cls);
  return b;
}

Bytes rr(const Bytes& owner, uint16_t type, const Bytes& rdata, uint32_t ttl = 300, uint16_t cls = 1) {
  Bytes b = owner;
  put16(b, type);
  put16(b, cls);
  put32(b, ttl);
  put16(b, uint16_t(rdata.size()));
  b.insert(b.end(), rdata.begin(), rdata.end());
  return b;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Parses from an exact-size heap copy, so that any read past the end is caught by ASan builds.
DnsStatus parse(const Bytes& b, DnsMessage& m, bool tcp = false) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[b.size() + 1]);
  if (!b.empty()) std::memcpy(copy.get(), b.data(), b.size());
  return tcp ? parse_dns_tcp(copy.get(), b.size(), m) : parse_dns(copy.get(), b.size(), m);
}

std::string ip_text(const IpAddress& a) {
  char buf[kIpTextMax];
  return std::string(buf, a.format(buf, sizeof(buf)));
}

void check_invariants(const DnsMessage& m) {
  ASSERT_LE(m.qname_len, kDnsNameTextMax);
  ASSERT_EQ(m.qname[m.qname_len], '\0');
  ASSERT_LE(m.pool_used, kDnsTextPool);
  ASSERT_LE(m.answer_count, kDnsMaxAnswers);
  ASSERT_LE(m.ip_count, kDnsMaxIps);
  for (size_t i = 0; i < m.answer_count; ++i) {
    for (const DnsText* t : {&m.answers[i].name, &m.answers[i].data})
      ASSERT_LE(size_t(t->off) + t->len, m.pool_used);
  }
}

// "www.example.com A?" -> CNAME chain, A, AAAA; names compressed against the question (offset 12).
Bytes example_response() {
  const Bytes q = question(name({"www", "example", "com"}), 1);
  const size_t cname_at = 12 + q.size() + 12;  // rdata of the first answer
  return cat({header(0xbeef, 0x8180, 1, 3), q, rr(ptr(12), 5, name({"edge"}, ptr(16))),
              rr(ptr(uint16_t(cname_at)), 1, {93, 184, 216, 34}, 60),
              rr(ptr(uint16_t(cname_at)), 28,
                 {0x26, 0x06, 0x28, 0, 0x02, 0x20, 0, 1, 0x2, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46})});
}

TEST(DnsMessage, QueryHeaderAndQuestion) {
  const Bytes b = cat({header(0x1234, 0x0120, 1, 0, 0, 1), question(name({"www", "Example", "com"}), 28)});
  DnsMessage m;
  ASSERT_EQ(parse(b, m), DnsStatus::kOk);
  EXPECT_EQ(m.header.id, 0x1234);
  EXPECT_FALSE(m.header.qr);
  EXPECT_EQ(m.header.opcode, 0);
  EXPECT_TRUE(m.header.rd);
  EXPECT_TRUE(m.header.ad);
  EXPECT_FALSE(m.header.cd);
  EXPECT_EQ(m.header.arcount, 1);  // additional records are not read
  ASSERT_TRUE(m.has_question);
  EXPECT_EQ(m.question_name(), "www.Example.com");  // case as on the wire
  EXPECT_EQ(m.qtype, 28);
  EXPECT_EQ(m.qclass, 1);
  EXPECT_EQ(m.wire_len, b.size());
}

TEST(DnsMessage, ResponseWithCompressedCnameChainAndAddresses) {
  DnsMessage m;
  ASSERT_EQ(parse(example_response(), m), DnsStatus::kOk);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.ra);
  EXPECT_EQ(m.header.rcode, 0);
  ASSERT_EQ(m.answer_count, 3);
  EXPECT_EQ(m.answers_read, 3);
  EXPECT_EQ(m.text(m.answers[0].name), "www.example.com");
  EXPECT_EQ(m.answers[0].type, 5);
  EXPECT_EQ(m.text(m.answers[0].data), "edge.example.com");
  EXPECT_EQ(m.text(m.answers[1].name), "edge.example.com");
  EXPECT_EQ(m.text(m.answers[1].data), "93.184.216.34");
  EXPECT_EQ(m.answers[1].ttl, 60u);
  EXPECT_EQ(m.text(m.answers[2].data), "2606:2800:220:1:248:1893:25c8:1946");
  ASSERT_EQ(m.ip_count, 2);
  EXPECT_EQ(m.ips_total, 2);
  EXPECT_EQ(ip_text(m.ips[0]), "93.184.216.34");
  EXPECT_EQ(ip_text(m.ips[1]), "2606:2800:220:1:248:1893:25c8:1946");
  check_invariants(m);
}

TEST(DnsMessage, RdataKinds) {
  const Bytes q = question(name({"example", "org"}), 255);
  Bytes mx = {0, 10};
  mx = cat({mx, name({"mail"}, ptr(12))});
  Bytes srv = {0, 1, 0, 2, 0x13, 0xc4};
  srv = cat({srv, name({"sip"}, ptr(12))});
  const Bytes txt = {5, 'h', 'e', 'l', 'l', 'o', 3, 'x', 'y', 'z'};
  const Bytes b =
      cat({header(1, 0x8400, 1, 7), q, rr(ptr(12), 15, mx), rr(ptr(12), 33, srv), rr(ptr(12), 16, txt),
           rr(ptr(12), 12, name({"host"}, ptr(12))), rr(ptr(12), 2, name({"ns1"}, ptr(12))),
           rr(ptr(12), 6, Bytes(22, 0)), rr(name({}), 1, {1, 2, 3})});
  DnsMessage m;
  ASSERT_EQ(parse(b, m), DnsStatus::kOk);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answer_count, 7);
  EXPECT_EQ(m.text(m.answers[0].data), "mail.example.org");
  EXPECT_EQ(m.text(m.answers[1].data), "sip.example.org");
  EXPECT_EQ(m.text(m.answers[2].data), "hello");  // the first string only
  EXPECT_EQ(m.text(m.answers[3].data), "host.example.org");
  EXPECT_EQ(m.text(m.answers[4].data), "ns1.example.org");
  EXPECT_EQ(m.text(m.answers[5].data), "");  // SOA: not rendered
  EXPECT_FALSE(m.answers[5].bad_rdata);
  EXPECT_EQ(m.text(m.answers[6].name), "<Root>");
  EXPECT_TRUE(m.answers[6].bad_rdata);  // an A record with 3 bytes
  EXPECT_EQ(m.ips_total, 0);
  // Rdata names must end inside the rdata; short MX/SRV/TXT are flagged.
  const Bytes bad = cat({header(1, 0x8000, 1, 4), q, rr(ptr(12), 5, name({"abc"})), rr(ptr(12), 15, {0, 1}),
                         rr(ptr(12), 16, {9, 'a'}), rr(ptr(12), 33, {0, 0, 0, 0, 0, 0})});
  ASSERT_EQ(parse(bad, m), DnsStatus::kOk);
  EXPECT_FALSE(m.answers[0].bad_rdata);
  EXPECT_TRUE(m.answers[1].bad_rdata);
  EXPECT_TRUE(m.answers[2].bad_rdata);
  EXPECT_TRUE(m.answers[3].bad_rdata);
  // CNAME whose rdlength is shorter than its name.
  Bytes shortname = cat({header(1, 0x8000, 1, 1), q, ptr(12)});
  put16(shortname, 5);
  put16(shortname, 1);
  put32(shortname, 1);
  put16(shortname, 2);
  shortname = cat({shortname, name({"abc"})});
  ASSERT_EQ(parse(shortname, m), DnsStatus::kOk);  // the record itself is consistent...
  EXPECT_TRUE(m.answers[0].bad_rdata);             // ...but its name runs past the 2-byte rdata
}

TEST(DnsMessage, NamesRenderedLikeTshark) {
  DnsMessage m;
  // tshark: "www.allyourba\004\005\006arebelongto.cn" (corpus: the all-your-base query).
  ASSERT_EQ(parse(cat({header(1, 0, 1, 0), question(name({"www",
                                                          "allyourba\x04\x05\x06"
                                                          "arebelongto",
                                                          "cn"}),
                                                    1)}),
                  m),
            DnsStatus::kOk);
  EXPECT_EQ(m.question_name(), "www.allyourba\\004\\005\\006arebelongto.cn");
  ASSERT_EQ(parse(cat({header(1, 0, 1, 0), question(name({}), 2)}), m), DnsStatus::kOk);
  EXPECT_EQ(m.question_name(), "<Root>");
  ASSERT_EQ(parse(cat({header(1, 0, 1, 0), question(name({"a.b", "c d"}), 1)}), m), DnsStatus::kOk);
  EXPECT_EQ(m.question_name(), "a.b.c d");  // tshark does not escape dots or spaces inside labels
  ASSERT_EQ(parse(cat({header(1, 0, 1, 0), question(name({std::string("nul\0", 4)}), 1)}), m),
            DnsStatus::kOk);
  EXPECT_EQ(m.question_name(), "nul\\000");

  // 253 characters is the longest name; one more byte of wire length is "<Name too long>".
  const std::vector<std::string> longest = {std::string(63, 'a'), std::string(63, 'b'), std::string(63, 'c'),
                                            std::string(61, 'd')};
  ASSERT_EQ(parse(cat({header(1, 0, 1, 0), question(name(longest), 1)}), m), DnsStatus::kOk);
  EXPECT_EQ(m.qname_len, 253);
  EXPECT_EQ(m.qname_error, DnsNameError::kNone);
  auto too_long = longest;
  too_long.back() += "d";
  ASSERT_EQ(parse(cat({header(1, 0, 1, 0), question(name(too_long), 16)}), m), DnsStatus::kOk);
  EXPECT_EQ(m.question_name(), "<Name too long>");
  EXPECT_EQ(m.qname_error, DnsNameError::kTooLong);
  EXPECT_EQ(m.qtype, 16);  // the record is still read past the name
  // Escapes that overflow the text buffer are cut (not split) and flagged.
  std::vector<std::string> ctl(4, std::string(60, '\x01'));
  ASSERT_EQ(parse(cat({header(1, 0, 1, 0), question(name(ctl), 1)}), m), DnsStatus::kOk);
  EXPECT_TRUE(m.qname_truncated);
  EXPECT_EQ(m.qname_len, 253);  // 60 escapes, '.', 3 escapes: the next "\001" would pass 255
}

TEST(DnsMessage, PointerLoopsAndForwardPointersAreRejected) {
  DnsMessage m;
  // Self pointer, mutual pointers, pointer forward, pointer to itself through a label.
  EXPECT_EQ(parse(cat({header(1, 0, 1, 0), ptr(12), Bytes{0, 1, 0, 1}}), m), DnsStatus::kMalformed);
  EXPECT_EQ(m.qname_error, DnsNameError::kBadPointer);
  EXPECT_EQ(parse(cat({header(1, 0, 1, 0), ptr(14), ptr(12), Bytes{0, 1, 0, 1}}), m), DnsStatus::kMalformed);
  EXPECT_EQ(parse(cat({header(1, 0, 1, 0), name({"a"}, ptr(12)), Bytes{0, 1, 0, 1}}), m),
            DnsStatus::kMalformed);
  EXPECT_EQ(parse(cat({header(1, 0, 1, 0), ptr(20), Bytes{0, 1, 0, 1, 1, 'x', 0}}), m),
            DnsStatus::kMalformed);
  // In an answer, the loop stops the answers but keeps the question.
  const Bytes q = question(name({"a"}), 1);
  Bytes b = cat({header(1, 0x8000, 1, 1), q});
  b = cat({b, ptr(uint16_t(b.size()))});
  EXPECT_EQ(parse(b, m), DnsStatus::kMalformed);
  EXPECT_TRUE(m.has_question);
  EXPECT_EQ(m.question_name(), "a");
  // A long chain of legal backward pointers ends at the jump limit.
  Bytes chain = header(1, 0, 1, 0);
  chain.push_back(0);  // offset 12: root
  for (unsigned i = 0; i <= kDnsMaxPointers + 1; ++i) {
    const Bytes p = ptr(uint16_t(chain.size() - (i == 0 ? 1 : 2)));
    chain.insert(chain.end(), p.begin(), p.end());
  }
  uint8_t raw[kDnsMaxNameWire];
  size_t raw_len = 0, next = 0;
  EXPECT_EQ(dns_read_name(chain.data(), chain.size(), chain.size() - 2, raw, raw_len, next),
            DnsNameError::kBadPointer);
  EXPECT_EQ(dns_read_name(chain.data(), chain.size(), 13 + 2 * 10, raw, raw_len, next), DnsNameError::kNone);
  // Extended (0x40) and reserved (0x80) label types.
  EXPECT_EQ(parse(cat({header(1, 0, 1, 0), Bytes{0x41, 8, 0xff, 0}, Bytes{0, 1, 0, 1}}), m),
            DnsStatus::kMalformed);
  EXPECT_EQ(m.qname_error, DnsNameError::kBadLabel);
  EXPECT_EQ(parse(cat({header(1, 0, 1, 0), Bytes{0x80, 0}, Bytes{0, 1, 0, 1}}), m), DnsStatus::kMalformed);
}

TEST(DnsMessage, EveryTruncationIsSafeAndClassified) {
  const Bytes full = example_response();
  const size_t question_end = 12 + 17 + 4;
  for (size_t n = 0; n <= full.size(); ++n) {
    DnsMessage m;
    const DnsStatus s = parse(Bytes(full.begin(), full.begin() + std::ptrdiff_t(n)), m);
    check_invariants(m);
    if (n < kDnsHeaderLen) {
      EXPECT_EQ(s, DnsStatus::kTooShort) << n;
    } else if (n < question_end) {
      EXPECT_EQ(s, DnsStatus::kMalformed) << n;
      EXPECT_FALSE(m.has_question) << n;
    } else if (n < full.size()) {
      EXPECT_EQ(s, DnsStatus::kTruncated) << n;
      EXPECT_EQ(m.question_name(), "www.example.com") << n;
    } else {
      EXPECT_EQ(s, DnsStatus::kOk);
    }
  }
}

TEST(DnsMessage, TcpFraming) {
  const Bytes msg = example_response();
  Bytes tcp;
  put16(tcp, uint16_t(msg.size()));
  tcp = cat({tcp, msg, Bytes{0, 0x20}});  // the next message's length follows
  DnsMessage m;
  ASSERT_EQ(parse(tcp, m, true), DnsStatus::kOk);
  EXPECT_FALSE(m.cut);
  EXPECT_EQ(m.wire_len, msg.size());
  EXPECT_EQ(m.ip_count, 2);
  const Bytes part(tcp.begin(), tcp.begin() + 40);
  EXPECT_EQ(parse(part, m, true), DnsStatus::kTruncated);
  EXPECT_TRUE(m.cut);
  EXPECT_EQ(m.question_name(), "www.example.com");
  EXPECT_EQ(parse(Bytes{0}, m, true), DnsStatus::kTooShort);
  EXPECT_EQ(parse(Bytes{0, 5, 1, 2, 3, 4, 5}, m, true), DnsStatus::kTooShort);
  EXPECT_EQ(parse_dns(nullptr, 100, m), DnsStatus::kTooShort);
}

TEST(DnsMessage, ManyAnswersAreCountedButStoredBounded) {
  const Bytes q = question(name({"many", "example"}), 1);
  Bytes b = cat({header(7, 0x8180, 1, 40), q});
  for (int i = 0; i < 40; ++i) b = cat({b, rr(ptr(12), 1, {10, 0, 0, uint8_t(i)})});
  DnsMessage m;
  ASSERT_EQ(parse(b, m), DnsStatus::kOk);
  EXPECT_EQ(m.answers_read, 40);
  EXPECT_EQ(m.answer_count, kDnsMaxAnswers);
  EXPECT_EQ(m.ips_total, 40);
  EXPECT_EQ(m.ip_count, kDnsMaxIps);
  EXPECT_EQ(ip_text(m.ips[15]), "10.0.0.15");
  // ancount larger than what is present.
  b = cat({header(7, 0x8180, 1, 65535), q, rr(ptr(12), 1, {1, 1, 1, 1})});
  EXPECT_EQ(parse(b, m), DnsStatus::kTruncated);
  EXPECT_EQ(m.ips_total, 1);
  // Long owner names exhaust the text pool: texts are cut and flagged, never written past it.
  const std::vector<std::string> big = {std::string(63, 'a'), std::string(63, 'b'), std::string(63, 'c'),
                                        std::string(61, 'd')};
  b = cat({header(7, 0x8180, 1, 8), question(name(big), 16)});
  for (int i = 0; i < 8; ++i) b = cat({b, rr(ptr(12), 5, ptr(12))});
  ASSERT_EQ(parse(b, m), DnsStatus::kOk);
  EXPECT_EQ(m.pool_used, kDnsTextPool);
  EXPECT_TRUE(m.answers[7].data.truncated || m.answers[7].name.truncated);
  check_invariants(m);
  // mDNS keeps the cache-flush bit in the class.
  b = cat({header(0, 0x8400, 0, 1), rr(name({"printer", "local"}), 1, {192, 168, 1, 9}, 120, 0x8001)});
  ASSERT_EQ(parse(b, m), DnsStatus::kOk);
  EXPECT_FALSE(m.has_question);
  EXPECT_EQ(m.answers[0].rclass, 0x8001);
  EXPECT_EQ(m.text(m.answers[0].name), "printer.local");
}

TEST(DnsMessage, RandomAndMutatedInput) {
  std::mt19937 rng(99);
  const Bytes good = example_response();
  for (int iter = 0; iter < 30000; ++iter) {
    Bytes b;
    if (iter % 3 == 0) {
      b.resize(rng() % 300);
      for (auto& x : b) x = uint8_t(rng());
      if (b.size() > 6) b[5] = 1;  // usually one question
    } else {
      b = good;
      for (int f = 0, flips = 1 + int(rng() % 5); f < flips; ++f) {
        // Bias towards length and pointer bytes.
        const uint8_t v = uint8_t(rng() % 4 == 0 ? 0xc0 | (rng() % 2) : rng());
        b[rng() % b.size()] = v;
      }
      if (iter % 7 == 0) b.resize(rng() % b.size());
    }
    DnsMessage m;
    parse(b, m, iter % 5 == 0);
    check_invariants(m);
  }
}

// ---- corpus: agreement with tshark (truth/tshark/*/*.conv.tsv) ----

struct FirstMessages {
  bool has_query = false, has_response = false;
  std::string query, response;  // "name/qtype", "name/qtype/rcode" or "<status>"
};

std::string describe(const DnsMessage& m, DnsStatus s, bool response) {
  if (!m.has_question) return "<" + std::string(to_string(s)) + ", no question>";
  std::string r = std::string(m.question_name()) + "/" + std::to_string(m.qtype);
  if (response) r += "/" + std::to_string(m.header.rcode);
  return r;
}

void take(FirstMessages& f, const DnsMessage& m, DnsStatus s) {
  if (s == DnsStatus::kTooShort) return;
  if (!m.header.qr && !f.has_query) {
    f.has_query = true;
    f.query = describe(m, s, false);
  } else if (m.header.qr && !f.has_response) {
    f.has_response = true;
    f.response = describe(m, s, true);
  }
}

FirstMessages first_dns(const apptest::Conversation& c) {
  FirstMessages f;
  DnsMessage m;
  if (c.proto == 17) {
    for (const auto& p : c.packets) {
      if (p.payload.empty()) continue;
      take(f, m, parse_dns(p.payload.data(), p.payload.size(), m));
    }
    return f;
  }
  for (int d = 0; d < 2; ++d) {  // the first message of each direction's stream
    const Bytes& s = c.stream[d];
    if (s.size() >= 2) take(f, m, parse_dns_tcp(s.data(), s.size(), m));
  }
  return f;
}

// The first entry of a tshark list column; names may contain ',' so the entry is matched as a prefix.
bool first_entry_is(const std::string& column, const std::string& want) {
  return column == want || column.rfind(want + ",", 0) == 0;
}

TEST(DnsCorpus, FirstQueryAndResponseAgreeWithTshark) {
  const auto pcaps = apptest::corpus_pcaps();
  if (pcaps.empty()) GTEST_SKIP() << "no corpus";
  int convs = 0, q_total = 0, q_ok = 0, r_total = 0, r_ok = 0, files = 0;
  std::vector<std::string> misses;
  for (const auto& pcap : pcaps) {
    const auto rows = apptest::read_tshark_conv(pcap);
    bool any = false;
    for (const auto& r : rows) any = any || r["dns_queries"] != "-" || r["dns_responses"] != "-";
    if (!any) continue;
    ++files;
    std::string err;
    const auto conversations = apptest::read_conversations(pcap.string(), err);
    const std::string name = pcap.parent_path().filename().string() + "/" + pcap.filename().string();
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      if (r["dns_queries"] == "-" && r["dns_responses"] == "-") continue;
      ++convs;
      const apptest::Conversation* c = apptest::match_row(conversations, rows, i);
      const FirstMessages f = c != nullptr ? first_dns(*c) : FirstMessages{};
      const std::string where = name + " " + r["conv"] + " " + r["addr_a"] + ":" + r["port_a"] + " ";
      if (r["dns_queries"] != "-") {
        ++q_total;
        if (f.has_query && first_entry_is(r["dns_queries"], f.query)) {
          ++q_ok;
        } else {
          misses.push_back(where + "query: tshark " + r["dns_queries"].substr(0, 120) + " | ours " +
                           (f.has_query ? f.query : "<none>"));
        }
      }
      if (r["dns_responses"] != "-") {
        ++r_total;
        if (f.has_response && first_entry_is(r["dns_responses"], f.response)) {
          ++r_ok;
        } else {
          misses.push_back(where + "response: tshark " + r["dns_responses"].substr(0, 120) + " | ours " +
                           (f.has_response ? f.response : "<none>"));
        }
      }
    }
  }
  std::printf(
      "DNS corpus: %d files, %d conversations; first query name/qtype %d/%d, first response "
      "name/qtype/rcode %d/%d\n",
      files, convs, q_ok, q_total, r_ok, r_total);
  for (const auto& m : misses) std::printf("  miss: %s\n", m.c_str());
  ASSERT_GT(q_total, 150);
  EXPECT_GE(q_ok * 100, q_total * 97);
  EXPECT_GE(r_ok * 100, r_total * 97);
}

// Zeek dns.log `answers` (rendered rdata, answer section) and `TTLs` for the types we render the same way.
TEST(DnsCorpus, AnswersAgreeWithZeek) {
  const auto pcaps = apptest::corpus_pcaps();
  if (pcaps.empty()) GTEST_SKIP() << "no corpus";
  int rows_checked = 0, rows_ok = 0, rows_skipped = 0;
  std::vector<std::string> misses;
  for (const auto& pcap : pcaps) {
    const auto log = apptest::zeek_log_path(pcap, "dns");
    if (log.empty()) continue;
    const auto zrows = apptest::read_zeek_log(log);
    std::string err;
    const auto convs = apptest::read_conversations(pcap.string(), err);
    for (const auto& z : zrows) {
      if (z["answers"] == "-" || z["trans_id"] == "-" || z["id.orig_h"] == "-") continue;
      const auto op = uint16_t(std::atoi(z["id.orig_p"].c_str())),
                 rp = uint16_t(std::atoi(z["id.resp_p"].c_str()));
      const auto id = uint16_t(std::atoi(z["trans_id"].c_str()));
      DnsMessage found;
      bool have = false;
      for (const auto& c : convs) {
        if (have || !c.same_endpoints(z["id.orig_h"], op, z["id.resp_h"], rp)) continue;
        std::vector<Bytes> msgs;
        if (c.proto == 17) {
          for (const auto& p : c.packets) msgs.push_back(p.payload);
        } else {
          for (const auto& st : c.stream) msgs.push_back(st);
        }
        for (const auto& b : msgs) {
          DnsMessage m;
          const DnsStatus s =
              c.proto == 17 ? parse_dns(b.data(), b.size(), m) : parse_dns_tcp(b.data(), b.size(), m);
          if (s != DnsStatus::kTooShort && m.header.qr && m.header.id == id && !have) {
            found = m;
            have = true;
          }
        }
      }
      const auto want = apptest::split(z["answers"], ',');
      const auto ttls = apptest::split(z["TTLs"], ',');
      bool comparable = have && found.answer_count == want.size() && found.answers_read == found.answer_count;
      for (size_t i = 0; comparable && i < found.answer_count; ++i) {
        const uint16_t t = found.answers[i].type;
        comparable = t == kDnsTypeA || t == kDnsTypeAaaa || t == kDnsTypeCname || t == kDnsTypePtr ||
                     t == kDnsTypeNs || t == kDnsTypeMx || t == kDnsTypeSrv;
      }
      if (!comparable) {
        ++rows_skipped;
        continue;
      }
      ++rows_checked;
      std::string got, got_ttl;
      for (size_t i = 0; i < found.answer_count; ++i) {
        got += (i ? "," : "") + std::string(found.text(found.answers[i].data));
        got_ttl += (i ? "," : "") + std::to_string(found.answers[i].ttl) + ".000000";
      }
      if (got == z["answers"] && got_ttl == z["TTLs"]) {
        ++rows_ok;
      } else {
        misses.push_back(log.parent_path().filename().string() + " id " + z["trans_id"] + ": zeek " +
                         z["answers"] + " / " + z["TTLs"] + " | ours " + got + " / " + got_ttl);
      }
    }
  }
  std::printf(
      "DNS answers vs zeek dns.log: %d/%d rows agree (%d rows with other rdata types or not stored)\n",
      rows_ok, rows_checked, rows_skipped);
  for (const auto& m : misses) std::printf("  miss: %s\n", m.c_str());
  EXPECT_GT(rows_checked, 0);
  EXPECT_EQ(rows_ok, rows_checked);
}

}  // namespace
}  // namespace spanwatch::lib
