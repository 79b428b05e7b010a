// DhcpOsHints: an operating-system hint for a DHCP client from what its messages ask for - the exact
// option 55 parameter request list, else the longest matching option 60 vendor-class prefix - read from
// the project's table conf/dhcp-fingerprints.tsv at start-up.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spanwatch::lib {

enum class DhcpHintKind : uint8_t { kParameterList, kVendorPrefix };
std::string_view dhcp_hint_kind_name(DhcpHintKind k) noexcept;  // "params", "vendor_prefix" (file spelling)

// One table line. Views point into the DhcpOsHints that returned it.
struct DhcpOsRule {
  DhcpHintKind kind = DhcpHintKind::kParameterList;
  std::string_view pattern;  // "1,3,6,15,..." or a vendor-class prefix
  std::string_view os;       // what to report
  std::string_view source;   // where the fingerprint comes from
  uint32_t line = 0;
};

inline constexpr size_t kDhcpFingerprintFileMax = 4u << 20;

class DhcpOsHints {
 public:
  DhcpOsHints() = default;  // empty: no hints
  DhcpOsHints(DhcpOsHints&&) noexcept = default;
  DhcpOsHints& operator=(DhcpOsHints&&) noexcept = default;
  DhcpOsHints(const DhcpOsHints&) = delete;  // the views would point into the other copy
  DhcpOsHints& operator=(const DhcpOsHints&) = delete;

  // Lines `kind<TAB>pattern<TAB>os<TAB>source`, kind `params` (option 55 as decimal codes joined by
  // commas, compared exactly) or `vendor_prefix` (option 60 starts with pattern, case-sensitive); '#'
  // starts a comment line, blank lines are skipped. Throws std::runtime_error listing every bad line as
  // FILE:LINE: reason (unknown kind, wrong column count, empty field, malformed list, a pattern given
  // twice) with their count, or if the file cannot be read.
  static DhcpOsHints load_file(const std::string& path);
  static DhcpOsHints load_text(std::string_view text, std::string_view name);

  // The parameter-list rule if `parameter_list` is listed, else the longest vendor-class prefix of
  // `vendor_class`, else nullptr. O(log n) per candidate prefix length; no allocation.
  const DhcpOsRule* lookup(std::string_view vendor_class, std::string_view parameter_list) const noexcept;

  size_t size() const noexcept { return params_.size() + vendors_.size(); }

 private:
  std::vector<char> text_;              // the file's bytes; the rules view it
  std::vector<DhcpOsRule> params_;      // sorted by pattern
  std::vector<DhcpOsRule> vendors_;     // sorted by pattern
  std::vector<size_t> vendor_lengths_;  // distinct prefix lengths, longest first
};

}  // namespace spanwatch::lib
