// Rules and indicator lists read from a rules file (conf/rules.yaml), checked and normalised; RuleMatcher
// compiles them. Loading is strict: any mistake in the rules file stops start-up with every problem listed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/enrich/cidr.hpp"

namespace spanwatch::lib {

enum class RuleSeverity : uint8_t { kLow, kMedium, kHigh, kCritical };

// "low", "medium", "high", "critical".
std::string_view rule_severity_name(RuleSeverity s) noexcept;
std::optional<RuleSeverity> parse_rule_severity(std::string_view text) noexcept;

// Where a rule looks. The text fields come first, in this order, so they can index per-field tables; the two
// addresses are only matched by IP indicator lists.
enum class RuleField : uint8_t {
  kSni,
  kHttpHost,
  kUrl,
  kUserAgent,
  kDnsQuery,
  kCertSubject,
  kCertIssuer,
  kCertSan,
  kPayloadOrig,
  kPayloadResp,
  kSrcIp,
  kDstIp,
};
inline constexpr size_t kRuleTextFieldCount = 10;  // kSni .. kPayloadResp
inline constexpr size_t kRuleFieldCount = 12;

// The rules-file spelling: "sni", "http_host", ..., "payload_resp", "src_ip", "dst_ip".
std::string_view rule_field_name(RuleField f) noexcept;
// Only the text fields can be named in a rule's `field:`.
std::optional<RuleField> parse_rule_text_field(std::string_view text) noexcept;

using RuleFieldMask = uint16_t;
constexpr RuleFieldMask rule_field_bit(RuleField f) noexcept {
  return static_cast<RuleFieldMask>(1u << static_cast<unsigned>(f));
}
// The fields a domain indicator list is matched against.
inline constexpr RuleFieldMask kDomainIndicatorFields =
    rule_field_bit(RuleField::kSni) | rule_field_bit(RuleField::kHttpHost) |
    rule_field_bit(RuleField::kDnsQuery) | rule_field_bit(RuleField::kCertSan);

enum class RuleKind : uint8_t { kLiteral, kRegex, kDomainList, kIpList };

struct Rule {
  uint32_t id = 0;  // unique across rules and indicator lists; what a match reports
  std::string name;
  RuleSeverity severity = RuleSeverity::kLow;
  std::string description;
  RuleKind kind = RuleKind::kLiteral;
  RuleFieldMask fields = 0;          // literal/regex: the text fields scanned; lists: the fields they cover
  std::string pattern;               // literal: the bytes (\xHH already decoded); regex: as written
  bool nocase = false;               // literal/regex only; domain lists always ignore case
  std::vector<std::string> domains;  // domain list: lower case, no trailing dot, sorted, unique
  std::vector<Cidr> networks;        // IP list: sorted, unique
  int line = 0;                      // where the rule starts in the rules file (1-based), for messages
};

inline constexpr size_t kMaxRuleSetWarnings = 20;  // kept in RuleSet::warnings; the counts go on

struct RuleSet {
  std::string path;         // the rules file, for messages
  std::vector<Rule> rules;  // `rules:` then `indicators:`, each in file order; the index is the rule index
  // Lines of indicator files that held no valid domain/address were skipped (third-party feeds carry junk;
  // one bad line should not stop the monitor). Inline values in the rules file are errors instead.
  size_t skipped_indicator_lines = 0;
  std::vector<std::string>
      warnings;              // "FILE:LINE: indicator 9001 (name): why", the first kMaxRuleSetWarnings
  size_t warning_count = 0;  // all of them, including those not kept

  // Every field some rule or list looks at (e.g. whether workers must keep payload prefixes).
  RuleFieldMask fields_used() const noexcept;
};

// Reads and checks the rules file. Throws std::runtime_error listing every problem, one per line, each as
// "FILE:LINE: rule ID (NAME): KEY: what is wrong and how to fix it". Indicator `file:` paths are relative to
// the rules file's folder.
RuleSet load_rule_set(const std::string& path);

// The same from text already in memory; `path` names it in messages and anchors relative `file:` paths.
RuleSet parse_rule_set(std::string_view yaml, const std::string& path);

// DNS name limits (RFC 1035 2.3.4, as text without the trailing dot): a longer name cannot be listed, and a
// longer name cannot equal a listed domain past its last kMaxDomainNameLen bytes.
inline constexpr size_t kMaxDomainNameLen = 253;
inline constexpr size_t kMaxDomainLabelLen = 63;

// Turns one domain as written in a list into the form matched ("WWW.Example.COM." -> "www.example.com"; a
// leading "*." or "." is dropped since subdomains match anyway). nullopt with `why` set when it is not a
// host name (characters, empty or over-long labels, an IP address, non-ASCII).
std::optional<std::string> normalize_indicator_domain(std::string_view text, std::string& why);

// Decodes a literal pattern: "\xHH" is one byte and "\\" one backslash; any other backslash is an error
// (nullopt, `why` set) so that a regex written as a literal is caught instead of never matching.
std::optional<std::string> decode_literal_escapes(std::string_view text, std::string& why);

}  // namespace spanwatch::lib
