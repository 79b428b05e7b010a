// RuleMatcher: a RuleSet compiled into Hyperscan block-mode databases (one per text field) plus domain and IP
// indicator tables; match() runs once per flow record on one thread, allocation-free.
#pragma once
#include <hs/hs.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "lib/core/c_handle.hpp"
#include "lib/core/counter.hpp"
#include "lib/core/ip_address.hpp"
#include "lib/enrich/rule_set.hpp"

namespace spanwatch::lib {

using HsDatabase = std::unique_ptr<hs_database_t, CFree<hs_free_database>>;
using HsScratch = std::unique_ptr<hs_scratch_t, CFree<hs_free_scratch>>;

struct CompiledRules;  // the read-only part: databases, rule names, indicator tables (rule_matcher.cpp)

inline constexpr size_t kRulePayloadPrefixMax = 256;  // payload bytes scanned per direction; more is cut
inline constexpr size_t kRuleCertSanJoinMax = 2048;   // SAN names are scanned joined; names past this are not

// What one record offers the rules. Empty views are skipped; the views need only live during match().
struct RuleMatchInput {
  std::string_view sni;
  std::string_view http_host;  // a ":port" suffix is ignored by domain lists
  std::string_view url;
  std::string_view user_agent;
  std::string_view dns_query;
  std::string_view cert_subject;
  std::string_view cert_issuer;
  // Certificate subjectAltName DNS names. Regexes see them as one text, one name per line, with ^ and $
  // anchoring each name (Hyperscan's multi-line mode).
  std::span<const std::string_view> cert_san;
  std::string_view payload_orig;  // the first payload bytes from the originator (binary)
  std::string_view payload_resp;  // the first payload bytes from the responder (binary)
  std::optional<IpAddress> src_ip;
  std::optional<IpAddress> dst_ip;
};

struct RuleMatch {
  uint32_t rule_index = 0;  // into RuleSet::rules
  uint32_t id = 0;
  std::string_view name;  // lives as long as the matcher (or any clone of it)
  RuleSeverity severity = RuleSeverity::kLow;
  RuleField field = RuleField::kSni;  // where it matched first
};

// One writer (the matcher's thread), any readers.
struct RuleMatcherCounters {
  Counter records;      // match() calls
  Counter matches;      // rules that matched, each at most once per record (including dropped)
  Counter dropped;      // matches that did not fit into the caller's output
  Counter scan_errors;  // Hyperscan scans that failed (the record's other fields are still scanned)
};

class RuleMatcher {
 public:
  // Compiles `rules`. Throws std::runtime_error naming the rules file, line, rule id, name, field and
  // Hyperscan's message when Hyperscan rejects a pattern, or when this CPU cannot run Hyperscan.
  explicit RuleMatcher(const RuleSet& rules);
  RuleMatcher(RuleMatcher&&) noexcept;
  RuleMatcher& operator=(RuleMatcher&&) noexcept;
  ~RuleMatcher();

  // A matcher for another thread: the compiled databases and tables are shared (read-only), the Hyperscan
  // scratch, per-record state and counters are its own.
  RuleMatcher clone_for_thread() const;

  // Writes each matching rule at most once, in field order, up to out.size(); the rest are counted in
  // counters().dropped. Returns the number written.
  size_t match(const RuleMatchInput& in, std::span<RuleMatch> out) noexcept;

  const RuleMatcherCounters& counters() const noexcept { return *counters_; }
  size_t rule_count() const noexcept;
  size_t domain_count() const noexcept;    // distinct domains over all domain lists
  size_t network_count() const noexcept;   // distinct prefixes over all IP lists
  size_t database_bytes() const noexcept;  // the Hyperscan databases' size

 private:
  // Allocates a scratch for every database, or clones `prototype` (a scratch already fitting them all).
  RuleMatcher(std::shared_ptr<const CompiledRules> compiled, const hs_scratch_t* prototype);

  std::shared_ptr<const CompiledRules> compiled_;
  HsScratch scratch_;
  std::unique_ptr<RuleMatcherCounters> counters_;  // stable address for readers, even after a move
  std::vector<uint32_t> seen_;                     // per rule: the record stamp that last matched it
  uint32_t stamp_ = 0;
  std::unique_ptr<std::array<char, kRuleCertSanJoinMax>> san_buf_;
};

}  // namespace spanwatch::lib
