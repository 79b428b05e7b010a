// Tests for the rules-file parser: every key, escapes, indicator lists (inline, files with bad lines), each
// error message (file, line, rule, key) and the shipped conf/rules.yaml.
#include "lib/enrich/rule_set.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace spanwatch::lib {
namespace {

namespace fs = std::filesystem;

// A private folder per test process for rules files and indicator files.
class RuleSetFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("spanwatch_rule_set_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path dir_;
};

// The message of a parse that must fail ("" if it did not).
std::string error_of(const std::string& yaml, const std::string& path = "/etc/spanwatch/rules.yaml") {
  try {
    parse_rule_set(yaml, path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

size_t lines_in(const std::string& s) {
  return s.empty() ? 0 : size_t(std::count(s.begin(), s.end(), '\n')) + 1;
}

// conf/rules.yaml: $SPANWATCH_SOURCE_ROOT, else found by walking up from this source file and the binary.
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

TEST(RuleSet, ParsesLiteralAndRegexRules) {
  const RuleSet rs = parse_rule_set(R"(rules:
  - id: 10
    name: Curl
    severity: low
    field: user_agent
    regex: '^curl/'
  - id: 11
    name: '  Evil host  '
    severity: critical
    field: [sni, http_host, sni]
    literal: Evil
    nocase: true
    description: a host we know
)",
                                    "r.yaml");
  ASSERT_EQ(rs.rules.size(), 2u);
  EXPECT_EQ(rs.path, "r.yaml");
  const Rule& a = rs.rules[0];
  EXPECT_EQ(a.id, 10u);
  EXPECT_EQ(a.name, "Curl");
  EXPECT_EQ(a.severity, RuleSeverity::kLow);
  EXPECT_EQ(a.kind, RuleKind::kRegex);
  EXPECT_EQ(a.fields, rule_field_bit(RuleField::kUserAgent));
  EXPECT_EQ(a.pattern, "^curl/");
  EXPECT_FALSE(a.nocase);
  EXPECT_EQ(a.line, 2);
  const Rule& b = rs.rules[1];
  EXPECT_EQ(b.name, "Evil host");  // trimmed
  EXPECT_EQ(b.severity, RuleSeverity::kCritical);
  EXPECT_EQ(b.kind, RuleKind::kLiteral);
  EXPECT_EQ(b.fields, rule_field_bit(RuleField::kSni) | rule_field_bit(RuleField::kHttpHost));
  EXPECT_EQ(b.pattern, "Evil");
  EXPECT_TRUE(b.nocase);
  EXPECT_EQ(b.description, "a host we know");
  EXPECT_EQ(b.line, 7);
  EXPECT_TRUE(rs.warnings.empty());
}

TEST(RuleSet, EveryFieldAndSeverityName) {
  for (size_t i = 0; i < kRuleTextFieldCount; ++i) {
    const auto f = static_cast<RuleField>(i);
    EXPECT_EQ(parse_rule_text_field(rule_field_name(f)), f);
    const RuleSet rs = parse_rule_set("rules: [{id: 1, name: n, severity: high, literal: x, field: " +
                                          std::string(rule_field_name(f)) + "}]",
                                      "r.yaml");
    EXPECT_EQ(rs.rules.at(0).fields, rule_field_bit(f));
  }
  EXPECT_FALSE(parse_rule_text_field("src_ip"));  // addresses belong to IP lists only
  EXPECT_EQ(rule_field_name(RuleField::kDstIp), "dst_ip");
  for (auto s : {RuleSeverity::kLow, RuleSeverity::kMedium, RuleSeverity::kHigh, RuleSeverity::kCritical})
    EXPECT_EQ(parse_rule_severity(rule_severity_name(s)), s);
  EXPECT_FALSE(parse_rule_severity("High"));
}

TEST(RuleSet, LiteralEscapes) {
  std::string why;
  EXPECT_EQ(decode_literal_escapes(R"(\x16\x03\x00ab)", why), std::string("\x16\x03\x00"
                                                                          "ab",
                                                                          5));
  EXPECT_EQ(decode_literal_escapes(R"(C:\\Windows\xFF)", why), "C:\\Windows\xff");
  EXPECT_EQ(decode_literal_escapes("plain", why), "plain");
  EXPECT_FALSE(decode_literal_escapes(R"(C:\Windows)", why));
  EXPECT_NE(why.find("unknown escape"), std::string::npos) << why;
  EXPECT_FALSE(decode_literal_escapes(R"(\x1)", why));
  EXPECT_NE(why.find("two hex digits"), std::string::npos) << why;
  EXPECT_FALSE(decode_literal_escapes(R"(\xzz)", why));
  EXPECT_FALSE(decode_literal_escapes("end\\", why));

  // In the file: single quotes leave the escapes to the parser, which makes bytes of them.
  const RuleSet rs = parse_rule_set(R"(rules:
  - {id: 1, name: tls, severity: low, field: payload_orig, literal: '\x16\x03\x01\x00'})",
                                    "r.yaml");
  EXPECT_EQ(rs.rules.at(0).pattern, std::string("\x16\x03\x01\x00", 4));
}

TEST(RuleSet, DomainNormalization) {
  std::string why;
  EXPECT_EQ(normalize_indicator_domain(" WWW.Example.COM. ", why), "www.example.com");
  EXPECT_EQ(normalize_indicator_domain("*.evil.example", why), "evil.example");
  EXPECT_EQ(normalize_indicator_domain(".evil.example", why), "evil.example");
  EXPECT_EQ(normalize_indicator_domain("onion", why), "onion");  // a whole TLD is allowed
  EXPECT_EQ(normalize_indicator_domain("_dmarc.x-y.example", why), "_dmarc.x-y.example");
  EXPECT_EQ(normalize_indicator_domain("xn--bcher-kva.example", why), "xn--bcher-kva.example");

  EXPECT_FALSE(normalize_indicator_domain("http://evil.example/", why));
  EXPECT_NE(why.find("character \":\" is not allowed"), std::string::npos) << why;
  EXPECT_FALSE(normalize_indicator_domain("192.0.2.1", why));
  EXPECT_NE(why.find("type: ip"), std::string::npos) << why;
  EXPECT_FALSE(normalize_indicator_domain("2001:db8::1", why));
  EXPECT_FALSE(normalize_indicator_domain("a..example", why));
  EXPECT_NE(why.find("empty label"), std::string::npos) << why;
  EXPECT_FALSE(
      normalize_indicator_domain("b\xc3\xbc"
                                 "cher.example",
                                 why));
  EXPECT_NE(why.find("punycode"), std::string::npos) << why;
  EXPECT_FALSE(normalize_indicator_domain(std::string(64, 'a') + ".example", why));
  EXPECT_NE(why.find("label is longer than 63"), std::string::npos) << why;
  EXPECT_TRUE(normalize_indicator_domain(std::string(63, 'a') + ".example", why));
  std::string long_name;
  while (long_name.size() < 254) long_name += "abcdefghi.";
  EXPECT_FALSE(normalize_indicator_domain(long_name + "x", why));
  EXPECT_NE(why.find("longer than 253"), std::string::npos) << why;
  EXPECT_FALSE(normalize_indicator_domain("", why));
  EXPECT_FALSE(normalize_indicator_domain("*.", why));
  EXPECT_FALSE(normalize_indicator_domain("evil example", why));
}

TEST(RuleSet, InlineIndicatorsComeAfterRules) {
  const RuleSet rs = parse_rule_set(R"(indicators:
  - id: 900
    name: bad names
    severity: high
    type: domain
    values: [Evil.Example, a.evil.example., evil.example, '*.c2.test']
  - id: 901
    name: bad nets
    severity: medium
    type: ip
    values: [192.0.2.0/24, 198.51.100.7, '2001:db8::/32', 192.0.2.0/24]
rules:
  - {id: 1, name: r, severity: low, field: url, regex: x}
)",
                                    "r.yaml");
  ASSERT_EQ(rs.rules.size(), 3u);
  EXPECT_EQ(rs.rules[0].id, 1u);  // rules first, then lists, whatever the key order in the file
  const Rule& d = rs.rules[1];
  EXPECT_EQ(d.kind, RuleKind::kDomainList);
  EXPECT_EQ(d.fields, kDomainIndicatorFields);
  EXPECT_EQ(d.domains, (std::vector<std::string>{"a.evil.example", "c2.test", "evil.example"}));
  EXPECT_EQ(d.line, 2);
  const Rule& n = rs.rules[2];
  EXPECT_EQ(n.kind, RuleKind::kIpList);
  EXPECT_EQ(n.fields, rule_field_bit(RuleField::kSrcIp) | rule_field_bit(RuleField::kDstIp));
  ASSERT_EQ(n.networks.size(), 3u);  // the repeated prefix once
  EXPECT_EQ(n.networks[0], *parse_cidr("192.0.2.0/24"));
  EXPECT_EQ(n.networks[1], *parse_cidr("198.51.100.7/32"));
  EXPECT_EQ(n.networks[2], *parse_cidr("2001:db8::/32"));
}

TEST_F(RuleSetFiles, IndicatorFilesSkipAndCountBadLines) {
  write("lists/domains.txt",
        "# feed header\r\n"
        "\r\n"
        "Evil.Example   # trailing comment\r\n"
        "http://bad.example/path\r\n"
        "  c2.test\r\n"
        "192.0.2.1\r\n");
  std::string ips = "10.1.2.3/8\n2001:db8::/32\n";
  for (int i = 0; i < 30; ++i) ips += "not-an-address-" + std::to_string(i) + "\n";
  write("lists/ips.txt", ips);
  const std::string path = write("rules.yaml", R"(indicators:
  - {id: 1, name: doms, severity: high, type: domain, file: lists/domains.txt}
  - {id: 2, name: nets, severity: low, type: ip, file: lists/ips.txt}
)");
  const RuleSet rs = load_rule_set(path);
  ASSERT_EQ(rs.rules.size(), 2u);
  EXPECT_EQ(rs.rules[0].domains, (std::vector<std::string>{"c2.test", "evil.example"}));
  ASSERT_EQ(rs.rules[1].networks.size(), 2u);
  EXPECT_EQ(rs.rules[1].networks[0], *parse_cidr("10.0.0.0/8"));
  EXPECT_EQ(rs.skipped_indicator_lines, 2u + 30u);
  // 32 skipped lines + the host-bits note; only the first kMaxRuleSetWarnings are kept.
  EXPECT_EQ(rs.warning_count, 33u);
  ASSERT_EQ(rs.warnings.size(), kMaxRuleSetWarnings);
  const std::string domains_file = (dir_ / "lists/domains.txt").string();
  EXPECT_EQ(rs.warnings[0], domains_file +
                                ":4: indicator 1 (doms): skipped: \"http://bad.example/path\" is not a " +
                                "domain name (character \":\" is not allowed; write the bare name, no URL)");
  EXPECT_NE(
      rs.warnings[1].find(domains_file + ":6: indicator 1 (doms): skipped: \"192.0.2.1\" is an IP address"),
      std::string::npos)
      << rs.warnings[1];
  EXPECT_NE(
      rs.warnings[2].find("ips.txt:1: indicator 2 (nets): \"10.1.2.3/8\" has bits set past the prefix; it "
                          "is read as 10.0.0.0/8"),
      std::string::npos)
      << rs.warnings[2];
  EXPECT_NE(rs.warnings[3].find("ips.txt:3: indicator 2 (nets): skipped: \"not-an-address-0\" is not an IP"),
            std::string::npos)
      << rs.warnings[3];
}

TEST_F(RuleSetFiles, AbsoluteIndicatorPathAndEmptyList) {
  const std::string list = write("empty.txt", "# nothing yet\n");
  const RuleSet rs = parse_rule_set(
      "indicators: [{id: 3, name: e, severity: low, type: ip, file: '" + list + "'}]", "/nowhere/rules.yaml");
  ASSERT_EQ(rs.rules.size(), 1u);
  EXPECT_TRUE(rs.rules[0].networks.empty());
  ASSERT_EQ(rs.warnings.size(), 1u);
  EXPECT_EQ(rs.warnings[0], "/nowhere/rules.yaml:1: indicator 3 (e): has no values; it will never match");
}

TEST_F(RuleSetFiles, UnreadableFiles) {
  try {
    load_rule_set((dir_ / "missing.yaml").string());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot read rules file " + (dir_ / "missing.yaml").string() + ": No such file or directory");
  }
  EXPECT_THROW(load_rule_set(dir_.string()), std::runtime_error);  // a directory

  const std::string path = write("rules.yaml", R"(indicators:
  - id: 4
    name: feed
    severity: high
    type: domain
    file: feeds/none.txt
  - {id: 5, name: dir, severity: high, type: domain, file: .}
)");
  try {
    load_rule_set(path);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path + ":6: indicator 4 (feed): file: cannot read " +
                       (dir_ / "feeds/none.txt").string() + ": No such file or directory"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find(path + ":7: indicator 5 (dir): file: cannot read"), std::string::npos) << msg;
    EXPECT_EQ(lines_in(msg), 2u) << msg;
  }
}

// One case per error kind: the YAML and the exact message (path /etc/spanwatch/rules.yaml).
struct ErrorCase {
  const char* what;
  std::string yaml;
  std::string message;
};

TEST(RuleSet, EveryErrorNamesFileLineRuleAndKey) {
  const std::string f = "/etc/spanwatch/rules.yaml:";
  const std::string head = "rules:\n  - id: 7\n    name: curl\n";  // the rule starts on line 2
  const std::vector<ErrorCase> cases = {
      {"unknown key", head + "    severity: low\n    field: url\n    regex: x\n    nocse: true\n",
       f + "7: rule 7 (curl): nocse: unknown key; use id, name, severity, field, literal, regex, nocase or "
           "description"},
      {"bad severity", head + "    severity: hihg\n    field: url\n    regex: x\n",
       f + "4: rule 7 (curl): severity: \"hihg\" is not a severity; use low, medium, high or critical"},
      {"missing severity", head + "    field: url\n    regex: x\n",
       f + "2: rule 7 (curl): severity: missing; use low, medium, high or critical"},
      {"both literal and regex", head + "    severity: low\n    field: url\n    literal: x\n    regex: y\n",
       f + "7: rule 7 (curl): literal/regex: has both; a rule is either a literal or a regex"},
      {"neither literal nor regex", head + "    severity: low\n    field: url\n",
       f + "2: rule 7 (curl): literal/regex: missing; give the rule a literal: or a regex:"},
      {"empty literal", head + "    severity: low\n    field: url\n    literal: ''\n",
       f + "6: rule 7 (curl): literal: expected a non-empty text, got \"\""},
      {"bad literal escape", head + "    severity: low\n    field: url\n    literal: 'a\\d'\n",
       f + "6: rule 7 (curl): literal: \"a\\x5cd\" at offset 1: unknown escape; a literal knows only \\xHH "
           "and "
           "\\\\ (use regex: for patterns)"},
      {"unknown field", head + "    severity: low\n    field: [sni, snii]\n    regex: x\n",
       f + "5: rule 7 (curl): field: \"snii\" is not a field; use sni, http_host, url, user_agent, "
           "dns_query, "
           "cert_subject, cert_issuer, cert_san, payload_orig or payload_resp"},
      {"empty field list", head + "    severity: low\n    field: []\n    regex: x\n",
       f + "5: rule 7 (curl): field: the list is empty; use one of sni, http_host, url, user_agent, "
           "dns_query, "
           "cert_subject, cert_issuer, cert_san, payload_orig or payload_resp"},
      {"missing field", head + "    severity: low\n    regex: x\n",
       f + "2: rule 7 (curl): field: missing; use one of sni, http_host, url, user_agent, dns_query, "
           "cert_subject, cert_issuer, cert_san, payload_orig or payload_resp (or a list of them)"},
      {"nocase not a bool", head + "    severity: low\n    field: url\n    regex: x\n    nocase: maybe\n",
       f + "7: rule 7 (curl): nocase: expected true or false, got \"maybe\""},
      {"zero id", "rules:\n  - {id: 0, name: z, severity: low, field: url, regex: x}\n",
       f + "2: rule 0 (z): id: \"0\" is not a positive integer up to 4294967295"},
      {"negative id", "rules:\n  - {id: -3, name: z, severity: low, field: url, regex: x}\n",
       f + "2: rule -3 (z): id: \"-3\" is not a positive integer up to 4294967295"},
      {"id too big", "rules:\n  - {id: 4294967296, name: z, severity: low, field: url, regex: x}\n",
       f + "2: rule 4294967296 (z): id: \"4294967296\" is not a positive integer up to 4294967295"},
      {"missing id", "rules:\n  - {name: z, severity: low, field: url, regex: x}\n",
       f + "2: rules[0] (z): id: missing; give every rule and indicator list a unique positive integer id"},
      {"missing name", "rules:\n  - {id: 3, severity: low, field: url, regex: x}\n",
       f + "2: rule 3: name: missing; give every rule a name"},
      {"duplicate id",
       "rules:\n  - {id: 5, name: a, severity: low, field: url, regex: x}\n"
       "indicators:\n  - {id: 5, name: b, severity: low, type: ip, values: [192.0.2.1]}\n",
       f + "4: indicator 5 (b): id: 5 is already used at line 2; ids must be unique"},
      {"entry not a map", "rules:\n  - just text\n",
       f + "2: rules[0]: (entry): expected a map with id, name, severity, field and literal or regex, got "
           "\"just text\""},
      {"rules not a list", "rules: {id: 1}\n", f + "1: the rules file: rules: expected a list, got a map"},
      {"unknown top-level key", "rule:\n  - {id: 1}\n",
       f + "1: the rules file: rule: unknown top-level key; use rules or indicators"},
      {"top level not a map", "- a\n- b\n",
       f + "1: the rules file: (top): expected a map with rules: and/or indicators:, got a list"},
      {"yaml syntax", "rules:\n  - {id: 1, name: [x\n",
       f + "3:1: not valid YAML: end of sequence flow not found"},
      {"bad indicator type", "indicators:\n  - {id: 8, name: t, severity: low, type: url, values: [x]}\n",
       f + "2: indicator 8 (t): type: \"url\" is not an indicator type; use domain or ip"},
      {"indicator with values and file",
       "indicators:\n  - {id: 8, name: t, severity: low, type: ip, values: [192.0.2.1], file: x.txt}\n",
       f + "2: indicator 8 (t): values/file: has both; put the values inline or in the file, not both"},
      {"indicator without values", "indicators:\n  - {id: 8, name: t, severity: low, type: ip}\n",
       f + "2: indicator 8 (t): values/file: missing; give values: [...] or file: PATH"},
      {"indicator unknown key",
       "indicators:\n  - {id: 8, name: t, severity: low, type: ip, values: [192.0.2.1], nocase: true}\n",
       f + "2: indicator 8 (t): nocase: unknown key; use id, name, severity, type, values, file or "
           "description"},
      {"bad inline domain",
       "indicators:\n  - {id: 8, name: t, severity: low, type: domain, values: [ok.example, 'a b']}\n",
       f + "2: indicator 8 (t): values[1]: \"a b\" is not a domain name (character \" \" is not allowed; "
           "write the "
           "bare name, no URL)"},
      {"bad inline address",
       "indicators:\n  - {id: 8, name: t, severity: low, type: ip, values: [192.0.2.0/33]}\n",
       f + "2: indicator 8 (t): values[0]: \"192.0.2.0/33\" is not an IP address or CIDR prefix (e.g. "
           "192.0.2.0/24, 2001:db8::/32)"},
      {"values not a list", "indicators:\n  - {id: 8, name: t, severity: low, type: ip, values: 192.0.2.1}\n",
       f + "2: indicator 8 (t): values: expected a list, got \"192.0.2.1\""},
  };
  for (const ErrorCase& c : cases) EXPECT_EQ(error_of(c.yaml), c.message) << c.what;
}

TEST(RuleSet, AllErrorsComeTogether) {
  const std::string msg = error_of(R"(rules:
  - {id: 1, name: a, severity: urgent, field: url, regex: x}
  - {id: 1, name: b, severity: low, field: host, regex: y}
  - {id: 2, name: c, severity: low, field: url}
)");
  EXPECT_EQ(lines_in(msg), 4u) << msg;
  EXPECT_NE(msg.find(":2: rule 1 (a): severity:"), std::string::npos) << msg;
  EXPECT_NE(msg.find(":3: rule 1 (b): id: 1 is already used at line 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find(":3: rule 1 (b): field: \"host\" is not a field"), std::string::npos) << msg;
  EXPECT_NE(msg.find(":4: rule 2 (c): literal/regex: missing"), std::string::npos) << msg;
}

TEST(RuleSet, HostileTextIsQuotedSafely) {
  // Control bytes and over-long values cannot forge lines in the message or flood it.
  const std::string msg = error_of("rules:\n  - {id: 1, name: \"x\\nFAKE: line\", severity: \"" +
                                   std::string(500, 'A') + "\\u0007\"}\n");
  EXPECT_NE(
      msg.find("rule 1 (x\\x0aFAKE: line): severity: \"" + std::string(60, 'A') + "...\" is not a severity"),
      std::string::npos)
      << msg;
  EXPECT_EQ(msg.find('\a'), std::string::npos);
  EXPECT_LT(msg.size(), 1000u);
  EXPECT_EQ(error_of(std::string("rules: [\x01\x02]\n")).empty(), false);
  EXPECT_NO_THROW(parse_rule_set("", "empty.yaml"));  // an empty file is no rules
  EXPECT_TRUE(parse_rule_set("# only comments\n", "c.yaml").rules.empty());
}

TEST(RuleSet, ShippedRulesFileLoads) {
  const fs::path path = shipped_rules();
  ASSERT_FALSE(path.empty()) << "conf/rules.yaml not found; set SPANWATCH_SOURCE_ROOT";
  const RuleSet rs = load_rule_set(path.string());
  EXPECT_TRUE(rs.warnings.empty()) << rs.warnings.front();
  EXPECT_EQ(rs.skipped_indicator_lines, 0u);
  ASSERT_EQ(rs.rules.size(), 11u);
  std::vector<uint32_t> ids;
  for (const Rule& r : rs.rules) {
    ids.push_back(r.id);
    EXPECT_FALSE(r.name.empty());
    EXPECT_NE(r.fields, 0);
  }
  EXPECT_EQ(ids, (std::vector<uint32_t>{1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 9001, 9002}));
  EXPECT_EQ(rs.rules[5].kind, RuleKind::kLiteral);
  EXPECT_EQ(rs.rules[5].pattern, "${jndi:");
  EXPECT_EQ(rs.rules[6].fields,
            rule_field_bit(RuleField::kPayloadOrig) | rule_field_bit(RuleField::kPayloadResp));
  EXPECT_TRUE(rs.fields_used() & rule_field_bit(RuleField::kPayloadOrig));  // workers must keep prefixes
  EXPECT_TRUE(rs.fields_used() & rule_field_bit(RuleField::kDstIp));
  EXPECT_FALSE(rs.fields_used() & rule_field_bit(RuleField::kCertIssuer));
  EXPECT_EQ(rs.rules[9].kind, RuleKind::kDomainList);
  EXPECT_EQ(rs.rules[9].domains, (std::vector<std::string>{"c2.example", "exfil.invalid", "phish.test"}));
  EXPECT_EQ(rs.rules[10].kind, RuleKind::kIpList);
  ASSERT_EQ(rs.rules[10].networks.size(), 3u);
  // Only documentation prefixes, so the example list never fires on real traffic.
  for (const Cidr& c : rs.rules[10].networks) {
    const bool doc = cidr_contains(*parse_cidr("192.0.2.0/24"), c.network) ||
                     cidr_contains(*parse_cidr("198.51.100.0/24"), c.network) ||
                     cidr_contains(*parse_cidr("203.0.113.0/24"), c.network) ||
                     cidr_contains(*parse_cidr("2001:db8::/32"), c.network);
    EXPECT_TRUE(doc);
  }
}

}  // namespace
}  // namespace spanwatch::lib
