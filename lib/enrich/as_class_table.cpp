// AsClassTable: the TSV table and the heuristic's answers in one hash table by ASN; the keyword heuristic.
#include "lib/enrich/as_class_table.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace spanwatch::lib {

namespace {

constexpr std::array<std::string_view, 6> kClassNames = {"unknown",   "hosting",  "isp",
                                                         "education", "business", "government"};

enum class Match : uint8_t { kAnywhere, kWordStart, kWholeWord };

struct Rule {
  AsClass cls;
  std::string_view keyword;  // lower case
  Match match;
  std::string_view source;
};

// The order is the precedence documented in as_class_table.hpp.
constexpr Rule kRules[] = {
    {AsClass::kEducation, "universit", Match::kWordStart,
     "organization name has a word starting with 'universit'"},
    {AsClass::kEducation, "universidad", Match::kWordStart,
     "organization name has a word starting with 'universidad'"},
    {AsClass::kEducation, "college", Match::kWordStart,
     "organization name has a word starting with 'college'"},
    {AsClass::kEducation, "school", Match::kWordStart, "organization name has a word starting with 'school'"},
    {AsClass::kEducation, "research", Match::kWordStart,
     "organization name has a word starting with 'research'"},
    {AsClass::kEducation, "academ", Match::kWordStart, "organization name has a word starting with 'academ'"},
    {AsClass::kEducation, "education", Match::kWordStart,
     "organization name has a word starting with 'education'"},
    {AsClass::kGovernment, "government", Match::kWordStart,
     "organization name has a word starting with 'government'"},
    {AsClass::kGovernment, "ministry", Match::kWordStart,
     "organization name has a word starting with 'ministry'"},
    {AsClass::kGovernment, "municipal", Match::kWordStart,
     "organization name has a word starting with 'municipal'"},
    {AsClass::kGovernment, "city of", Match::kWordStart, "organization name contains the words 'city of'"},
    {AsClass::kGovernment, "state of", Match::kWordStart, "organization name contains the words 'state of'"},
    {AsClass::kGovernment, "federal", Match::kWholeWord, "organization name has the word 'federal'"},
    {AsClass::kGovernment, "county", Match::kWholeWord, "organization name has the word 'county'"},
    {AsClass::kHosting, "hosting", Match::kAnywhere, "organization name contains 'hosting'"},
    {AsClass::kHosting, "cloud", Match::kWordStart, "organization name has a word starting with 'cloud'"},
    {AsClass::kHosting, "server", Match::kWordStart, "organization name has a word starting with 'server'"},
    {AsClass::kHosting, "datacenter", Match::kWordStart,
     "organization name has a word starting with 'datacenter'"},
    {AsClass::kHosting, "datacentre", Match::kWordStart,
     "organization name has a word starting with 'datacentre'"},
    {AsClass::kHosting, "data center", Match::kWordStart,
     "organization name contains the words 'data center'"},
    {AsClass::kHosting, "data centre", Match::kWordStart,
     "organization name contains the words 'data centre'"},
    {AsClass::kHosting, "colocation", Match::kWordStart,
     "organization name has a word starting with 'colocation'"},
    {AsClass::kHosting, "vps", Match::kWholeWord, "organization name has the word 'vps'"},
    {AsClass::kHosting, "colo", Match::kWholeWord, "organization name has the word 'colo'"},
    {AsClass::kIsp, "telecom", Match::kAnywhere, "organization name contains 'telecom'"},
    {AsClass::kIsp, "telekom", Match::kAnywhere, "organization name contains 'telekom'"},
    {AsClass::kIsp, "broadband", Match::kWordStart, "organization name has a word starting with 'broadband'"},
    {AsClass::kIsp, "cable", Match::kWordStart, "organization name has a word starting with 'cable'"},
    {AsClass::kIsp, "mobile", Match::kWordStart, "organization name has a word starting with 'mobile'"},
    {AsClass::kIsp, "wireless", Match::kWordStart, "organization name has a word starting with 'wireless'"},
    {AsClass::kIsp, "communication", Match::kWordStart,
     "organization name has a word starting with 'communication'"},
    {AsClass::kIsp, "internet service", Match::kWordStart,
     "organization name contains the words 'internet service'"},
    {AsClass::kIsp, "isp", Match::kWholeWord, "organization name has the word 'isp'"},
};
constexpr uint8_t kNoMatch = 0xff;
constexpr uint8_t kNoOrganization = 0xfe;
static_assert(std::size(kRules) < kNoOrganization);

constexpr std::string_view kNoMatchSource =
    "not in the AS class table; no class keyword in the organization name";
constexpr std::string_view kNoOrganizationSource = "not in the AS class table; no organization name";

constexpr size_t kOrganizationPrefix = 256;      // AS names are short; a hostile one costs no more than this
constexpr size_t kCacheSlots = size_t{1} << 17;  // ~100k ASNs are routed; the cache fills to 3/4 at most
constexpr size_t kMaxProblems = 20;

bool is_word_byte(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;  // UTF-8 bytes count as letters
}

bool rule_matches(const Rule& rule, std::string_view text) noexcept {
  for (size_t pos = text.find(rule.keyword); pos != std::string_view::npos;
       pos = text.find(rule.keyword, pos + 1)) {
    if (rule.match == Match::kAnywhere) return true;
    if (pos > 0 && is_word_byte(static_cast<unsigned char>(text[pos - 1]))) continue;
    const size_t end = pos + rule.keyword.size();
    if (rule.match == Match::kWholeWord && end < text.size() &&
        is_word_byte(static_cast<unsigned char>(text[end])))
      continue;
    return true;
  }
  return false;
}

uint8_t match_rule(std::string_view organization) noexcept {
  if (organization.empty()) return kNoOrganization;
  char lower[kOrganizationPrefix];
  const size_t n = std::min(organization.size(), kOrganizationPrefix);
  for (size_t i = 0; i < n; ++i) {
    const char c = organization[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  }
  const std::string_view text(lower, n);
  for (size_t i = 0; i < std::size(kRules); ++i) {
    if (rule_matches(kRules[i], text)) return uint8_t(i);
  }
  return kNoMatch;
}

AsClassAnswer answer_for_rule(uint8_t rule) noexcept {
  if (rule == kNoOrganization) return {AsClass::kUnknown, kNoOrganizationSource};
  if (rule == kNoMatch) return {AsClass::kUnknown, kNoMatchSource};
  return {kRules[rule].cls, kRules[rule].source};
}

size_t cache_home(uint32_t asn) noexcept {
  return size_t((asn * 0x9E3779B1u) >> (32 - 17));
}
static_assert(kCacheSlots == size_t{1} << 17);

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A field echoed in a message: short, printable, quoted.
std::string quoted(std::string_view field) {
  std::string out = "'";
  for (size_t i = 0; i < field.size() && i < 40; ++i) {
    const unsigned char c = static_cast<unsigned char>(field[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : char(c);
  }
  if (field.size() > 40) out += "...";
  return out + "'";
}

}  // namespace

std::string_view as_class_name(AsClass cls) noexcept {
  const size_t i = static_cast<size_t>(cls);
  return i < kClassNames.size() ? kClassNames[i] : kClassNames[0];
}

std::optional<AsClass> parse_as_class(std::string_view name) noexcept {
  for (size_t i = 0; i < kClassNames.size(); ++i) {
    if (kClassNames[i] == name) return static_cast<AsClass>(i);
  }
  return std::nullopt;
}

AsClassAnswer classify_as_organization(std::string_view organization) noexcept {
  return answer_for_rule(match_rule(organization));
}

AsClassTable::AsClassTable() : slots_(kCacheSlots) {}

AsClassTable::AsClassTable(const std::string& path) : path_(path), slots_(kCacheSlots) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("AS class table " + path + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream text_stream;
  text_stream << in.rdbuf();
  if (in.bad()) throw std::runtime_error("AS class table " + path + ": read error");
  const std::string text = text_stream.str();

  std::unordered_map<uint32_t, size_t> line_of_asn;
  auto reject = [&](size_t line_no, const std::string& why) {
    ++rejected_;
    if (problems_.size() < kMaxProblems)
      problems_.push_back(path + ":" + std::to_string(line_no) + ": " + why);
  };

  size_t line_no = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = trim(std::string_view(text).substr(start, end - start));
    start = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;

    std::string_view fields[3];
    size_t count = 0;
    for (size_t pos = 0; pos <= line.size();) {
      size_t tab = line.find('\t', pos);
      if (tab == std::string_view::npos) tab = line.size();
      if (count < 3) fields[count] = trim(line.substr(pos, tab - pos));
      ++count;
      pos = tab + 1;
    }
    if (count != 3) {
      reject(line_no, "expected asn<TAB>class<TAB>source, found " + std::to_string(count) + " field(s)");
      continue;
    }
    uint64_t asn = 0;
    const auto [ptr, ec] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), asn);
    if (ec != std::errc() || ptr != fields[0].data() + fields[0].size() || asn == 0 || asn > UINT32_MAX) {
      reject(line_no, "asn " + quoted(fields[0]) + " is not a number from 1 to 4294967295");
      continue;
    }
    const std::optional<AsClass> cls = parse_as_class(fields[1]);
    if (!cls) {
      reject(line_no, "class " + quoted(fields[1]) +
                          " is not one of hosting, isp, education, business, government, unknown");
      continue;
    }
    if (fields[2].empty()) {
      reject(line_no, "AS" + std::to_string(asn) + " has no source");
      continue;
    }
    const auto [it, inserted] = line_of_asn.emplace(uint32_t(asn), line_no);
    if (!inserted) {
      reject(line_no, "AS" + std::to_string(asn) + " repeats line " + std::to_string(it->second));
      continue;
    }
    entries_.push_back({uint32_t(asn), *cls, uint32_t(sources_.size()), uint32_t(fields[2].size())});
    sources_.append(fields[2]);
  }
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.asn < b.asn; });
  for (size_t i = 0; i < entries_.size(); ++i) store(probe(entries_[i].asn), entries_[i].asn, uint32_t(i));
}

std::optional<AsClassAnswer> AsClassTable::find(uint32_t asn) const noexcept {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), asn,
                                   [](const Entry& e, uint32_t value) { return e.asn < value; });
  if (it == entries_.end() || it->asn != asn) return std::nullopt;
  return AsClassAnswer{it->cls, std::string_view(sources_).substr(it->source_offset, it->source_size)};
}

AsClassAnswer AsClassTable::answer_of(uint32_t answer) const noexcept {
  if (answer >= kFromHeuristic) return answer_for_rule(uint8_t(answer - kFromHeuristic));
  const Entry& e = entries_[answer];
  return {e.cls, std::string_view(sources_).substr(e.source_offset, e.source_size)};
}

size_t AsClassTable::probe(uint32_t asn) const noexcept {
  size_t slot = cache_home(asn);
  while (slots_[slot].asn != 0 && slots_[slot].asn != asn) slot = (slot + 1) & (kCacheSlots - 1);
  return slot;
}

void AsClassTable::store(size_t slot, uint32_t asn, uint32_t answer) noexcept {
  if (slots_used_ >= kCacheSlots / 4 * 3) return;  // past that, probe chains get long: answer uncached
  slots_[slot] = {asn, answer};
  ++slots_used_;
}

AsClassAnswer AsClassTable::classify(uint32_t asn, std::string_view organization) noexcept {
  if (asn == 0) {  // no AS number to look up or cache under
    ++heuristic_runs_;
    return classify_as_organization(organization);
  }
  const size_t slot = probe(asn);
  if (slots_[slot].asn == asn) return answer_of(slots_[slot].answer);
  if (const std::optional<AsClassAnswer> listed = find(asn))
    return *listed;  // only for tables too big to store
  ++heuristic_runs_;
  const uint8_t rule = match_rule(organization);
  store(slot, asn, kFromHeuristic + rule);
  return answer_for_rule(rule);
}

}  // namespace spanwatch::lib
