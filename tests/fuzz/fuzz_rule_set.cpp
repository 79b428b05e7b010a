// Fuzz target: the rules loader (strict YAML walk, severities, fields, literal escapes, domain and CIDR
// indicator values) and, for a file it accepts, the Hyperscan compilation and one match, as start-up and
// SIGHUP reload do. Input: the rules file text.
// Contract checked: a bad file ends in std::runtime_error listing the problems, never in another exception
// or a crash.
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lib/enrich/rule_matcher.hpp"
#include "lib/enrich/rule_set.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  // Indicator `file:` paths resolve next to this (absent) path. Absolute paths into /dev, /proc or /sys
  // could block or be huge: those inputs are skipped (the rules file is written by the operator).
  for (std::string_view bad : {"/dev", "/proc", "/sys"})
    if (yaml.find(bad) != std::string_view::npos) return 0;
  lib::RuleSet rules;
  try {
    rules = lib::parse_rule_set(yaml, "/nonexistent/spanwatch-fuzz/rules.yaml");
  } catch (const std::runtime_error& e) {
    FUZZ_CHECK(e.what()[0] != '\0');
    return 0;
  }
  FUZZ_CHECK(rules.warnings.size() <= lib::kMaxRuleSetWarnings);
  // Hyperscan compiles a full rules file in tens of milliseconds: only small sets go on to the matcher, so
  // that most executions exercise the loader itself.
  if (rules.rules.size() > 4) return 0;
  try {
    lib::RuleMatcher matcher(rules);
    const std::array<std::string_view, 2> san{"a.ngrok.io", "example.com"};
    lib::RuleMatchInput in;
    in.sni = "www.example.com";
    in.http_host = "evil.example:8080";
    in.url = "/index.html?q=1";
    in.user_agent = "curl/8.0";
    in.dns_query = "x.duckdns.org";
    in.cert_subject = "CN=example.com,O=Example";
    in.cert_issuer = "CN=Test CA";
    in.cert_san = san;
    in.payload_orig = std::string_view("\x16\x03\x01\x02\x00\x01", 6);
    in.payload_resp = "SSH-2.0-OpenSSH_9.2\r\n";
    const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {192, 168, 1, 1};
    in.src_ip = lib::IpAddress::from_v4(src);
    in.dst_ip = lib::IpAddress::from_v4(dst);
    std::array<lib::RuleMatch, 16> out;
    const size_t n = matcher.match(in, out);
    FUZZ_CHECK(n <= out.size());
    for (size_t i = 0; i < n; ++i) FUZZ_CHECK(out[i].rule_index < rules.rules.size());
  } catch (const std::runtime_error& e) {
    // Hyperscan rejected a regex: the loader reports it the same way.
    FUZZ_CHECK(e.what()[0] != '\0');
  }
  return 0;
}
