// AsClassTable: what kind of network an autonomous system is (hosting, ISP, education, ...), from the
// project's table conf/as-classes.tsv, else from keywords in the AS organization name.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spanwatch::lib {

enum class AsClass : uint8_t { kUnknown, kHosting, kIsp, kEducation, kBusiness, kGovernment };

// "unknown", "hosting", "isp", "education", "business", "government".
std::string_view as_class_name(AsClass cls) noexcept;
std::optional<AsClass> parse_as_class(std::string_view name) noexcept;

// `source` says where the answer comes from: the table line's source column, the keyword that matched, or
// why nothing did. It points into the table (valid while the table lives) or into static storage.
struct AsClassAnswer {
  AsClass cls = AsClass::kUnknown;
  std::string_view source;
};

// The organization-name heuristic alone. Case-insensitive (ASCII) over the first 256 bytes; rules are
// tried in this order and the first match wins:
//   education:  word starting with universit|universidad|college|school|research|academ|education
//   government: word starting with government|ministry|municipal|city of|state of; the word federal|county
//   hosting:    contains hosting; word starting with cloud|server|datacenter|datacentre|data center|
//               data centre|colocation; the word vps|colo
//   isp:        contains telecom|telekom; word starting with broadband|cable|mobile|wireless|communication|
//               internet service; the word isp
// Education comes first so a "Universidade Federal" stays education and a "Ministry of Education" counts
// as education too; ISP comes last because many hosters call themselves "... Telecom".
AsClassAnswer classify_as_organization(std::string_view organization) noexcept;

class AsClassTable {
 public:
  // An empty table: every answer comes from the heuristic.
  AsClassTable();
  // Reads `asn<TAB>class<TAB>source` lines; '#' starts a comment line, blank lines are skipped. Throws
  // std::runtime_error naming the file if it cannot be read. Malformed lines (bad number, unknown class,
  // missing source, repeated ASN) are skipped and counted; problems() says which and why.
  explicit AsClassTable(const std::string& path);

  // The table's line for `asn`, else the heuristic on `organization`, else unknown. One hash probe: the
  // table's lines and the heuristic's answers (it runs at most once per ASN) share a hash table allocated
  // at construction. Not thread-safe (the cache): one per exporter thread.
  AsClassAnswer classify(uint32_t asn, std::string_view organization) noexcept;
  // The table's line only (O(log n)).
  std::optional<AsClassAnswer> find(uint32_t asn) const noexcept;

  const std::string& path() const noexcept { return path_; }
  size_t size() const noexcept { return entries_.size(); }
  size_t rejected_lines() const noexcept { return rejected_; }
  const std::vector<std::string>& problems() const noexcept { return problems_; }  // the first 20
  uint64_t heuristic_runs() const noexcept { return heuristic_runs_; }

 private:
  struct Entry {
    uint32_t asn;
    AsClass cls;
    uint32_t source_offset;  // into sources_
    uint32_t source_size;
  };
  struct Slot {  // open addressing by ASN; asn 0 marks an empty slot (AS 0 is never stored)
    uint32_t asn = 0;
    uint32_t answer = 0;  // index into entries_, or kFromHeuristic + the heuristic's rule
  };
  static constexpr uint32_t kFromHeuristic = 0x80000000u;

  AsClassAnswer answer_of(uint32_t answer) const noexcept;
  // The slot holding `asn`, or the empty slot where it would go.
  size_t probe(uint32_t asn) const noexcept;
  void store(size_t slot, uint32_t asn, uint32_t answer) noexcept;

  std::string path_;
  std::string sources_;         // every line's source, back to back
  std::vector<Entry> entries_;  // sorted by asn
  std::vector<Slot> slots_;     // the table's lines and the heuristic's answers, by ASN
  size_t slots_used_ = 0;
  size_t rejected_ = 0;
  std::vector<std::string> problems_;
  uint64_t heuristic_runs_ = 0;
};

}  // namespace spanwatch::lib
