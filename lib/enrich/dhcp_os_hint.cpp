// DhcpOsHints: TSV loading with every problem collected, then two sorted rule arrays.
#include "lib/enrich/dhcp_os_hint.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>

#include "lib/enrich/line_problems.hpp"

namespace spanwatch::lib {
namespace {

bool less_pattern(const DhcpOsRule& a, const DhcpOsRule& b) noexcept {
  return a.pattern < b.pattern;
}

// "1,3,6": decimal codes 0..255 without leading zeros, separated by single commas.
bool is_parameter_list(std::string_view s) noexcept {
  if (s.empty()) return false;
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    unsigned v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + unsigned(s[i++] - '0');
    const size_t digits = i - start;
    if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[start] == '0')) return false;
    if (i == s.size()) return true;
    if (s[i] != ',' || i + 1 == s.size()) return false;
    ++i;
  }
  return false;
}

bool has_control(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

std::string_view dhcp_hint_kind_name(DhcpHintKind k) noexcept {
  return k == DhcpHintKind::kParameterList ? "params" : "vendor_prefix";
}

DhcpOsHints DhcpOsHints::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("DHCP fingerprints " + path + ": cannot open (" + std::strerror(errno) + ")");
  }
  std::string text;
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, size_t(in.gcount()));
    if (text.size() > kDhcpFingerprintFileMax) {
      throw std::runtime_error("DHCP fingerprints " + path + ": larger than " +
                               std::to_string(kDhcpFingerprintFileMax) + " bytes, not a fingerprint table");
    }
  }
  if (in.bad()) throw std::runtime_error("DHCP fingerprints " + path + ": read error");
  return load_text(text, path);
}

DhcpOsHints DhcpOsHints::load_text(std::string_view input, std::string_view name) {
  DhcpOsHints t;
  t.text_.assign(input.begin(), input.end());  // the rules view this copy
  const std::string_view text(t.text_.data(), t.text_.size());

  LineProblems problems(name);
  auto problem = [&](uint32_t line, const std::string& msg) { problems.add(line, msg); };

  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;

    std::string_view cols[4];
    size_t n = 0, start = 0;
    for (;;) {
      const size_t tab = line.find('\t', start);
      if (n < 4)
        cols[n] = line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
      ++n;
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (n != 4) {
      problem(line_no,
              "expected 4 tab-separated columns (kind, pattern, os, source), got " + std::to_string(n));
      continue;
    }
    DhcpOsRule rule;
    rule.line = line_no;
    rule.pattern = cols[1];
    rule.os = cols[2];
    rule.source = cols[3];
    if (cols[0] == "params") {
      rule.kind = DhcpHintKind::kParameterList;
      if (!is_parameter_list(rule.pattern)) {
        problem(line_no, "params \"" + std::string(rule.pattern) +
                             "\" is not a list of option codes 0-255 like 1,3,6,15");
        continue;
      }
    } else if (cols[0] == "vendor_prefix") {
      rule.kind = DhcpHintKind::kVendorPrefix;
    } else {
      problem(line_no, "unknown kind \"" + std::string(cols[0]) + "\" (params or vendor_prefix)");
      continue;
    }
    if (rule.pattern.empty() || rule.os.empty() || rule.source.empty()) {
      problem(line_no, "empty pattern, os or source (every line names where its fingerprint comes from)");
      continue;
    }
    if (has_control(rule.pattern) || has_control(rule.os) || has_control(rule.source)) {
      problem(line_no, "control character in a field");
      continue;
    }
    (rule.kind == DhcpHintKind::kParameterList ? t.params_ : t.vendors_).push_back(rule);
  }

  for (auto* rules : {&t.params_, &t.vendors_}) {
    std::stable_sort(rules->begin(), rules->end(), less_pattern);
    for (size_t i = 1; i < rules->size(); ++i) {
      const DhcpOsRule& a = (*rules)[i - 1];
      const DhcpOsRule& b = (*rules)[i];
      if (a.pattern == b.pattern) {
        problem(b.line, std::string(dhcp_hint_kind_name(b.kind)) + " \"" + std::string(b.pattern) +
                            "\" is already on line " + std::to_string(a.line));
      }
    }
  }
  problems.throw_if_any("DHCP fingerprints");
  for (const DhcpOsRule& r : t.vendors_) t.vendor_lengths_.push_back(r.pattern.size());
  std::sort(t.vendor_lengths_.begin(), t.vendor_lengths_.end(), std::greater<>());
  t.vendor_lengths_.erase(std::unique(t.vendor_lengths_.begin(), t.vendor_lengths_.end()),
                          t.vendor_lengths_.end());
  return t;
}

const DhcpOsRule* DhcpOsHints::lookup(std::string_view vendor_class,
                                      std::string_view parameter_list) const noexcept {
  auto find_exact = [](const std::vector<DhcpOsRule>& rules, std::string_view key) -> const DhcpOsRule* {
    auto it = std::lower_bound(rules.begin(), rules.end(), key,
                               [](const DhcpOsRule& r, std::string_view k) { return r.pattern < k; });
    return it != rules.end() && it->pattern == key ? &*it : nullptr;
  };
  if (!parameter_list.empty()) {
    if (const DhcpOsRule* r = find_exact(params_, parameter_list)) return r;
  }
  for (size_t len : vendor_lengths_) {
    if (len > vendor_class.size()) continue;
    if (const DhcpOsRule* r = find_exact(vendors_, vendor_class.substr(0, len))) return r;
  }
  return nullptr;
}

}  // namespace spanwatch::lib
