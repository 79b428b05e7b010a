// Rules-file parsing: a strict walk over the YAML that collects every problem before throwing, so a user
// fixes the whole file in one pass; indicator files are read line by line and their bad lines counted.
#include "lib/enrich/rule_set.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace spanwatch::lib {
namespace {

constexpr std::array<std::string_view, 4> kSeverityNames{"low", "medium", "high", "critical"};
constexpr std::array<std::string_view, kRuleFieldCount> kFieldNames{
    "sni",         "http_host", "url",          "user_agent",   "dns_query", "cert_subject",
    "cert_issuer", "cert_san",  "payload_orig", "payload_resp", "src_ip",    "dst_ip"};
constexpr std::array<std::string_view, 8> kRuleKeys{"id",      "name",  "severity", "field",
                                                    "literal", "regex", "nocase",   "description"};
constexpr std::array<std::string_view, 7> kIndicatorKeys{"id",     "name", "severity",   "type",
                                                         "values", "file", "description"};
constexpr size_t kMaxShownValue = 60;  // bad values are quoted up to this many characters

template <size_t N>
std::string join_names(const std::array<std::string_view, N>& names, size_t count = N) {
  std::string s;
  for (size_t i = 0; i < count; ++i) {
    if (i) s += i + 1 == count ? " or " : ", ";
    s += names[i];
  }
  return s;
}

// Text as shown in a message: control and non-ASCII bytes as \xHH so hostile text cannot forge lines.
std::string printable(std::string_view s) {
  std::string out;
  const size_t n = std::min(s.size(), kMaxShownValue);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > n) out += "...";
  return out;
}

std::string quote_text(std::string_view s) {
  return "\"" + printable(s) + "\"";
}

std::string shown(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return quote_text(n.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

int line_of(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.is_null() ? 0 : m.line + 1;
}

std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Walks one rules file. Problems go to errors_ (thrown together at the end) or, for indicator-file lines,
// to the warnings of the result.
class RuleFileLoader {
 public:
  explicit RuleFileLoader(const std::string& path) : base_dir_(std::filesystem::path(path).parent_path()) {
    out_.path = path;
  }

  RuleSet load(std::string_view yaml) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      throw std::runtime_error(
          fmt::format("{}:{}:{}: not valid YAML: {}", out_.path, e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    if (root.IsMap()) {
      for (auto it = root.begin(); it != root.end(); ++it) {
        const std::string key = it->first.as<std::string>("");
        if (key == "rules") {
          for_each_entry(it->second, key,
                         [this](const YAML::Node& n, const std::string& where) { read_rule(n, where); });
        } else if (key == "indicators") {
          for_each_entry(it->second, key,
                         [this](const YAML::Node& n, const std::string& where) { read_indicator(n, where); });
        } else {
          error(it->first, "the rules file", key, "unknown top-level key; use rules or indicators");
        }
      }
    } else if (!root.IsNull()) {
      error(root, "the rules file", "(top)",
            "expected a map with rules: and/or indicators:, got " + shown(root));
    }
    // Rules first, then indicator lists, each in file order: the order a user reads them in.
    std::stable_partition(out_.rules.begin(), out_.rules.end(), [](const Rule& r) {
      return r.kind == RuleKind::kLiteral || r.kind == RuleKind::kRegex;
    });
    if (!errors_.empty()) {
      std::string msg;
      for (const std::string& e : errors_) msg += (msg.empty() ? "" : "\n") + e;
      throw std::runtime_error(msg);
    }
    return std::move(out_);
  }

 private:
  template <class Fn>
  void for_each_entry(const YAML::Node& list, const std::string& key, Fn&& fn) {
    if (list.IsNull()) return;
    if (!list.IsSequence()) {
      error(list, "the rules file", key, "expected a list, got " + shown(list));
      return;
    }
    for (size_t i = 0; i < list.size(); ++i) fn(list[i], fmt::format("{}[{}]", key, i));
  }

  void error(const YAML::Node& at, std::string_view who, std::string_view key, std::string_view msg) {
    errors_.push_back(fmt::format("{}:{}: {}: {}: {}", out_.path, line_of(at), who, key, msg));
  }
  void warn(std::string msg) {
    ++out_.warning_count;
    if (out_.warnings.size() < kMaxRuleSetWarnings) out_.warnings.push_back(std::move(msg));
  }

  // "rule 1001 (curl user agent)", or "rules[3]" while the id/name are unknown: what every message names.
  std::string subject(const YAML::Node& n, std::string_view kind, const std::string& where) {
    const YAML::Node id = n["id"];
    const YAML::Node name = n["name"];
    std::string s = id && id.IsScalar() ? fmt::format("{} {}", kind, printable(id.Scalar())) : where;
    if (name && name.IsScalar()) s += fmt::format(" ({})", printable(name.Scalar()));
    return s;
  }

  // The keys every entry has: id, name, severity, description. Returns false if the entry is unusable.
  bool read_common(const YAML::Node& n, const std::string& who, Rule& r) {
    bool ok = true;
    const YAML::Node id = n["id"];
    uint64_t v = 0;
    if (!id) {
      error(n, who, "id", "missing; give every rule and indicator list a unique positive integer id");
      ok = false;
    } else if (!id.IsScalar() || !parse_id(id.Scalar(), v)) {
      error(id, who, "id", fmt::format("{} is not a positive integer up to 4294967295", shown(id)));
      ok = false;
    } else {
      r.id = static_cast<uint32_t>(v);
      if (auto [it, fresh] = ids_.emplace(r.id, line_of(id)); !fresh) {
        error(id, who, "id",
              fmt::format("{} is already used at line {}; ids must be unique", r.id, it->second));
        ok = false;
      }
    }
    const YAML::Node name = n["name"];
    if (!name || !name.IsScalar() || trim(name.Scalar()).empty()) {
      error(name ? name : n, who, "name",
            name ? fmt::format("expected a non-empty text, got {}", shown(name))
                 : std::string("missing; give every rule a name"));
      ok = false;
    } else {
      r.name = std::string(trim(name.Scalar()));
    }
    const YAML::Node sev = n["severity"];
    if (!sev) {
      error(n, who, "severity", "missing; use " + join_names(kSeverityNames));
      ok = false;
    } else if (const auto s = sev.IsScalar() ? parse_rule_severity(sev.Scalar()) : std::nullopt; !s) {
      error(sev, who, "severity",
            fmt::format("{} is not a severity; use {}", shown(sev), join_names(kSeverityNames)));
      ok = false;
    } else {
      r.severity = *s;
    }
    if (const YAML::Node d = n["description"]) {
      if (d.IsScalar()) {
        r.description = d.Scalar();
      } else if (!d.IsNull()) {
        error(d, who, "description", "expected a text, got " + shown(d));
        ok = false;
      }
    }
    return ok;
  }

  static bool parse_id(const std::string& s, uint64_t& v) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty() && v > 0 && v <= UINT32_MAX;
  }

  template <size_t N>
  bool only_known_keys(const YAML::Node& n, const std::string& who,
                       const std::array<std::string_view, N>& keys) {
    bool ok = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string key = it->first.as<std::string>("");
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        error(it->first, who, key, "unknown key; use " + join_names(keys));
        ok = false;
      }
    }
    return ok;
  }

  void read_rule(const YAML::Node& n, const std::string& where) {
    if (!n.IsMap()) {
      error(n, where, "(entry)",
            "expected a map with id, name, severity, field and literal or regex, got " + shown(n));
      return;
    }
    const std::string who = subject(n, "rule", where);
    Rule r;
    r.line = line_of(n);
    bool ok = only_known_keys(n, who, kRuleKeys);
    ok = read_common(n, who, r) && ok;
    ok = read_fields(n, who, r) && ok;

    const YAML::Node lit = n["literal"];
    const YAML::Node re = n["regex"];
    if (lit && re) {
      error(re, who, "literal/regex", "has both; a rule is either a literal or a regex");
      ok = false;
    } else if (!lit && !re) {
      error(n, who, "literal/regex", "missing; give the rule a literal: or a regex:");
      ok = false;
    } else {
      const YAML::Node& p = lit ? lit : re;
      const char* key = lit ? "literal" : "regex";
      if (!p.IsScalar() || p.Scalar().empty()) {
        error(p, who, key, "expected a non-empty text, got " + shown(p));
        ok = false;
      } else if (lit) {
        r.kind = RuleKind::kLiteral;
        std::string why;
        if (auto bytes = decode_literal_escapes(p.Scalar(), why)) {
          r.pattern = std::move(*bytes);
        } else {
          error(p, who, key, why);
          ok = false;
        }
      } else {
        r.kind = RuleKind::kRegex;
        r.pattern = p.Scalar();
      }
    }
    if (const YAML::Node nc = n["nocase"]) {
      if (nc.IsScalar() && (nc.Scalar() == "true" || nc.Scalar() == "false")) {
        r.nocase = nc.Scalar() == "true";
      } else {
        error(nc, who, "nocase", fmt::format("expected true or false, got {}", shown(nc)));
        ok = false;
      }
    }
    if (ok) out_.rules.push_back(std::move(r));
  }

  bool read_fields(const YAML::Node& n, const std::string& who, Rule& r) {
    const YAML::Node f = n["field"];
    const std::string valid = join_names(kFieldNames, kRuleTextFieldCount);
    if (!f) {
      error(n, who, "field", "missing; use one of " + valid + " (or a list of them)");
      return false;
    }
    std::vector<YAML::Node> items;
    if (f.IsSequence()) {
      for (size_t i = 0; i < f.size(); ++i) items.push_back(f[i]);
    } else {
      items.push_back(f);
    }
    if (items.empty()) {
      error(f, who, "field", "the list is empty; use one of " + valid);
      return false;
    }
    bool ok = true;
    for (const YAML::Node& item : items) {
      const auto field = item.IsScalar() ? parse_rule_text_field(item.Scalar()) : std::nullopt;
      if (!field) {
        error(item, who, "field", fmt::format("{} is not a field; use {}", shown(item), valid));
        ok = false;
      } else {
        r.fields |= rule_field_bit(*field);
      }
    }
    return ok;
  }

  void read_indicator(const YAML::Node& n, const std::string& where) {
    if (!n.IsMap()) {
      error(n, where, "(entry)",
            "expected a map with id, name, severity, type and values or file, got " + shown(n));
      return;
    }
    const std::string who = subject(n, "indicator", where);
    Rule r;
    r.line = line_of(n);
    bool ok = only_known_keys(n, who, kIndicatorKeys);
    ok = read_common(n, who, r) && ok;

    const YAML::Node type = n["type"];
    bool type_ok = false;
    if (!type) {
      error(n, who, "type", "missing; use domain or ip");
      ok = false;
    } else if (type.IsScalar() && type.Scalar() == "domain") {
      r.kind = RuleKind::kDomainList;
      r.fields = kDomainIndicatorFields;
      type_ok = true;
    } else if (type.IsScalar() && type.Scalar() == "ip") {
      r.kind = RuleKind::kIpList;
      r.fields = rule_field_bit(RuleField::kSrcIp) | rule_field_bit(RuleField::kDstIp);
      type_ok = true;
    } else {
      error(type, who, "type", fmt::format("{} is not an indicator type; use domain or ip", shown(type)));
      ok = false;
    }

    const YAML::Node values = n["values"];
    const YAML::Node file = n["file"];
    if (values && file) {
      error(file, who, "values/file", "has both; put the values inline or in the file, not both");
      ok = false;
    } else if (!values && !file) {
      error(n, who, "values/file", "missing; give values: [...] or file: PATH");
      ok = false;
    } else if (type_ok && values) {
      ok = read_inline_values(values, who, r) && ok;
    } else if (type_ok && file) {
      ok = read_value_file(file, who, r) && ok;
    }
    if (!ok) return;
    std::sort(r.domains.begin(), r.domains.end());
    r.domains.erase(std::unique(r.domains.begin(), r.domains.end()), r.domains.end());
    auto by_net = [](const Cidr& a, const Cidr& b) {
      return std::pair(a.network, a.prefix_len) < std::pair(b.network, b.prefix_len);
    };
    std::sort(r.networks.begin(), r.networks.end(), by_net);
    r.networks.erase(std::unique(r.networks.begin(), r.networks.end(),
                                 [](const Cidr& a, const Cidr& b) {
                                   return a.network == b.network && a.prefix_len == b.prefix_len;
                                 }),
                     r.networks.end());
    if (r.domains.empty() && r.networks.empty()) {
      warn(fmt::format("{}:{}: {}: has no values; it will never match", out_.path, r.line, who));
    }
    out_.rules.push_back(std::move(r));
  }

  // One value into the list; false with `why` set if it is not a domain/address.
  bool add_value(std::string_view text, Rule& r, std::string& why, std::string& note) {
    if (r.kind == RuleKind::kDomainList) {
      auto d = normalize_indicator_domain(text, why);
      if (!d) return false;
      r.domains.push_back(std::move(*d));
      return true;
    }
    const auto c = parse_cidr(text);
    if (!c) {
      why = fmt::format("{} is not an IP address or CIDR prefix (e.g. 192.0.2.0/24, 2001:db8::/32)",
                        quote_text(text));
      return false;
    }
    if (c->host_bits_set) {
      char buf[kIpTextMax];
      c->network.format(buf, sizeof buf);
      note = fmt::format("{} has bits set past the prefix; it is read as {}/{}", quote_text(text), buf,
                         c->prefix_len);
    }
    r.networks.push_back(*c);
    r.networks.back().host_bits_set = false;  // reported above; the stored prefix is the masked one
    return true;
  }

  bool read_inline_values(const YAML::Node& values, const std::string& who, Rule& r) {
    if (!values.IsSequence()) {
      error(values, who, "values", "expected a list, got " + shown(values));
      return false;
    }
    bool ok = true;
    for (size_t i = 0; i < values.size(); ++i) {
      const YAML::Node v = values[i];
      std::string why, note;
      if (!v.IsScalar()) {
        error(v, who, fmt::format("values[{}]", i), "expected a text, got " + shown(v));
        ok = false;
      } else if (!add_value(v.Scalar(), r, why, note)) {
        error(v, who, fmt::format("values[{}]", i), why);
        ok = false;
      } else if (!note.empty()) {
        warn(fmt::format("{}:{}: {}: values[{}]: {}", out_.path, line_of(v), who, i, note));
      }
    }
    return ok;
  }

  bool read_value_file(const YAML::Node& file, const std::string& who, Rule& r) {
    if (!file.IsScalar() || file.Scalar().empty()) {
      error(file, who, "file", "expected a path, got " + shown(file));
      return false;
    }
    std::filesystem::path p(file.Scalar());
    if (p.is_relative()) p = base_dir_ / p;
    errno = 0;
    std::ifstream in(p);
    if (!in) {
      const int err = errno;
      error(file, who, "file",
            fmt::format("cannot read {}: {}", p.string(), err ? std::strerror(err) : "open failed"));
      return false;
    }
    if (std::filesystem::is_directory(p)) {
      error(file, who, "file", fmt::format("cannot read {}: it is a directory", p.string()));
      return false;
    }
    std::string line;
    size_t lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      std::string_view text = line;
      if (const size_t hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
      text = trim(text);
      if (text.empty()) continue;
      std::string why, note;
      if (!add_value(text, r, why, note)) {
        ++out_.skipped_indicator_lines;
        warn(fmt::format("{}:{}: {}: skipped: {}", p.string(), lineno, who, why));
      } else if (!note.empty()) {
        warn(fmt::format("{}:{}: {}: {}", p.string(), lineno, who, note));
      }
    }
    if (in.bad()) {
      error(file, who, "file", fmt::format("read error in {} after line {}", p.string(), lineno));
      return false;
    }
    return true;
  }

  std::filesystem::path base_dir_;
  RuleSet out_;
  std::vector<std::string> errors_;
  std::map<uint32_t, int> ids_;  // id -> line that defined it
};

}  // namespace

RuleFieldMask RuleSet::fields_used() const noexcept {
  RuleFieldMask m = 0;
  for (const Rule& r : rules) m |= r.fields;
  return m;
}

std::string_view rule_severity_name(RuleSeverity s) noexcept {
  const auto i = static_cast<size_t>(s);
  return i < kSeverityNames.size() ? kSeverityNames[i] : std::string_view("unknown");
}

std::optional<RuleSeverity> parse_rule_severity(std::string_view text) noexcept {
  for (size_t i = 0; i < kSeverityNames.size(); ++i) {
    if (text == kSeverityNames[i]) return static_cast<RuleSeverity>(i);
  }
  return std::nullopt;
}

std::string_view rule_field_name(RuleField f) noexcept {
  const auto i = static_cast<size_t>(f);
  return i < kFieldNames.size() ? kFieldNames[i] : std::string_view("unknown");
}

std::optional<RuleField> parse_rule_text_field(std::string_view text) noexcept {
  for (size_t i = 0; i < kRuleTextFieldCount; ++i) {
    if (text == kFieldNames[i]) return static_cast<RuleField>(i);
  }
  return std::nullopt;
}

std::optional<std::string> normalize_indicator_domain(std::string_view text, std::string& why) {
  std::string_view s = trim(text);
  if (s.starts_with("*.")) {
    s.remove_prefix(2);
  } else if (s.starts_with(".")) {
    s.remove_prefix(1);
  }
  if (s.ends_with(".")) s.remove_suffix(1);
  if (s.empty()) {
    why = fmt::format("{} is not a domain name (it is empty)", quote_text(text));
    return std::nullopt;
  }
  if (s.size() > kMaxDomainNameLen) {
    why = fmt::format("{} is not a domain name (longer than {} characters)", quote_text(text),
                      kMaxDomainNameLen);
    return std::nullopt;
  }
  if (parse_ip_address(s)) {
    why = fmt::format("{} is an IP address; put it in a list with type: ip", quote_text(text));
    return std::nullopt;
  }
  std::string out;
  out.reserve(s.size());
  size_t label = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (label == 0) {
        why = fmt::format("{} is not a domain name (empty label)", quote_text(text));
        return std::nullopt;
      }
      label = 0;
      out += '.';
      continue;
    }
    if (c >= 0x80) {
      why = fmt::format("{} is not ASCII; write international names in their xn-- (punycode) form",
                        quote_text(text));
      return std::nullopt;
    }
    const char lower = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    const bool ok =
        (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '-' || lower == '_';
    if (!ok) {
      why = fmt::format("{} is not a domain name (character {} is not allowed; write the bare name, no URL)",
                        quote_text(text), quote_text(std::string_view(&ch, 1)));
      return std::nullopt;
    }
    if (++label > kMaxDomainLabelLen) {
      why = fmt::format("{} is not a domain name (a label is longer than {} characters)", quote_text(text),
                        kMaxDomainLabelLen);
      return std::nullopt;
    }
    out += lower;
  }
  if (label == 0) {
    why = fmt::format("{} is not a domain name (empty label)", quote_text(text));
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> decode_literal_escapes(std::string_view text, std::string& why) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '\\') {
      out += '\\';
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == 'x') {
      const int hi = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
      const int lo = i + 3 < text.size() ? hex_digit(text[i + 3]) : -1;
      if (hi < 0 || lo < 0) {
        why = fmt::format("{} at offset {}: \\x needs two hex digits (\\x16)", quote_text(text), i);
        return std::nullopt;
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 3;
      continue;
    }
    why = fmt::format(
        "{} at offset {}: unknown escape; a literal knows only \\xHH and \\\\ (use regex: for patterns)",
        quote_text(text), i);
    return std::nullopt;
  }
  return out;
}

RuleSet parse_rule_set(std::string_view yaml, const std::string& path) {
  return RuleFileLoader(path).load(yaml);
}

RuleSet load_rule_set(const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) {
    const int err = errno;
    throw std::runtime_error(
        fmt::format("cannot read rules file {}: {}", path, err ? std::strerror(err) : "not a readable file"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error(fmt::format("cannot read rules file {}: read error", path));
  return parse_rule_set(text.str(), path);
}

}  // namespace spanwatch::lib
