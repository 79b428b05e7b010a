// Loads the IEEE registry CSVs into three prefix hashes (24, 28, 36 bits) and one pool of names.
#include "lib/enrich/mac_vendors.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>
#include <utility>

namespace spanwatch::lib {
namespace {

constexpr uint32_t kNoName = 0x3FFFFFFF;  // a 24-bit block present only as the parent of longer blocks
constexpr uint32_t kHas28 = 1u << 30;
constexpr uint32_t kHas36 = 1u << 31;
constexpr uint32_t kIdMask = kNoName;
constexpr uintmax_t kMaxFileBytes = 64u << 20;  // ieee-data's largest CSV is 3 MB
constexpr size_t kMaxNameBytes = 256;           // the longest IEEE name is about 110 bytes
constexpr size_t kExampleProblems = 3;          // malformed records quoted per file; the rest are counted

bool valid_utf8(std::string_view s) noexcept {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Controls (a quoted field may hold a line break) become spaces; surrounding blanks go. Into `out`, whose
// capacity is reused from record to record.
void clean_name(std::string_view raw, std::string& out) {
  out.assign(raw);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  const size_t b = out.find_first_not_of(' ');
  if (b == std::string::npos) {
    out.clear();
    return;
  }
  out.erase(out.find_last_not_of(' ') + 1);
  out.erase(0, b);
}

bool parse_hex(std::string_view s, uint64_t& out) noexcept {
  out = 0;
  for (const char c : s) {
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                         : -1;
    if (d < 0) return false;
    out = (out << 4) | static_cast<uint64_t>(d);
  }
  return true;
}

std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 40)) out += (c >= ' ' && c <= '~') ? c : '?';
  if (s.size() > 40) out += "...";
  return out;
}

// A registry record: the fields spanwatch reads (Registry, Assignment, Organization Name) kept in strings
// reused from record to record (start-up parses 50,000 records on every run), the rest only counted.
struct CsvRecord {
  static constexpr size_t kKept = 3;
  std::array<std::string, kKept> field;
  size_t count = 0;  // fields in the record, kept or not

  void start() noexcept {
    for (std::string& f : field) f.clear();
    count = 1;
  }
  void append(std::string_view s) {
    if (count <= kKept) field[count - 1].append(s);
  }
  void append(char c) {
    if (count <= kKept) field[count - 1] += c;
  }
};

// One RFC 4180 record from `data` at `pos`: fields split at commas outside quotes, "" inside quotes is a
// quote, and quoted fields may span lines. Returns false at the end of data; flags the data that
// ends inside quotes (`unterminated`).
bool next_csv_record(std::string_view data, size_t& pos, size_t& line, CsvRecord& rec, bool& unterminated) {
  rec.start();
  unterminated = false;
  if (pos >= data.size()) return false;
  bool quoted = false, field_start = true;
  while (pos < data.size()) {
    // Runs of ordinary bytes go in one append (start-up parses 3 MB of registry on every run).
    // A plain loop: find_first_of with a set calls memchr on the set for every byte.
    size_t end = pos;
    if (quoted)
      while (end < data.size() && data[end] != '"' && data[end] != '\n') ++end;
    else
      while (end < data.size() && data[end] != ',' && data[end] != '"' && data[end] != '\n' &&
             data[end] != '\r')
        ++end;
    if (end > pos) {
      rec.append(data.substr(pos, end - pos));
      if (!quoted) field_start = false;
      pos = end;
      continue;
    }
    const char c = data[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < data.size() && data[pos] == '"') {
          rec.append('"');
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        rec.append(c);
      }
      continue;
    }
    if (c == '\n') {
      ++line;
      return true;
    }
    if (c == ',') {
      ++rec.count;
      field_start = true;
      continue;
    }
    if (c == '"' && field_start) {
      quoted = true;
    } else if (c != '\r' || pos >= data.size() || data[pos] != '\n') {
      rec.append(c);  // a stray quote inside an unquoted field is kept, as most readers do
    }
    field_start = false;
  }
  unterminated = quoted;
  return true;
}

}  // namespace

template <typename Key>
void MacVendorTable::PrefixHash<Key>::build(const std::vector<std::pair<Key, uint32_t>>& entries) {
  unsigned bits = 4;
  while ((size_t{1} << bits) < 2 * entries.size()) ++bits;
  shift_ = 64 - bits;
  keys_.assign(size_t{1} << bits, kEmpty);
  values_.assign(size_t{1} << bits, 0);
  const size_t mask = keys_.size() - 1;
  for (const auto& [key, value] : entries) {
    size_t i = static_cast<size_t>((static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_);
    while (keys_[i] != kEmpty) i = (i + 1) & mask;
    keys_[i] = key;
    values_[i] = value;
  }
}

template <typename Key>
const uint32_t* MacVendorTable::PrefixHash<Key>::find(Key key) const noexcept {
  if (keys_.empty()) return nullptr;
  const size_t mask = keys_.size() - 1;
  size_t i = static_cast<size_t>((static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull) >> shift_);
  for (;; i = (i + 1) & mask) {
    if (keys_[i] == key) return &values_[i];
    if (keys_[i] == kEmpty) return nullptr;
  }
}

// Collects the blocks of every file (first assignment wins), then builds the hashes once.
class MacVendorTable::Loader {
 public:
  explicit Loader(MacVendorTable& t) : t_(t) {}

  void read(const std::string& path) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) {
      t_.warnings_.push_back("MAC vendors: cannot open " + path + " (" + ec.message() +
                             "); its blocks stay unnamed");
      return;
    }
    if (size > kMaxFileBytes) {
      t_.warnings_.push_back("MAC vendors: " + path + " is " + std::to_string(size) + " bytes, over the " +
                             std::to_string(kMaxFileBytes) + "-byte limit; skipped");
      return;
    }
    std::ifstream in(path, std::ios::binary);
    std::string data(static_cast<size_t>(size), '\0');
    in.read(data.data(), static_cast<std::streamsize>(size));
    data.resize(static_cast<size_t>(in.gcount()));  // the file may have shrunk since file_size()
    if (!in.is_open() || in.bad()) {
      t_.warnings_.push_back("MAC vendors: cannot read " + path + " (" + std::strerror(errno) + ")");
      return;
    }
    size_t pos = 0, line = 1, malformed = 0, record_line = 1;
    std::string examples;
    const auto bad = [&](const std::string& why) {
      if (++malformed <= kExampleProblems)
        examples += (examples.empty() ? "" : "; ") + ("line " + std::to_string(record_line) + ": " + why);
    };
    CsvRecord rec;
    const auto& f = rec.field;
    std::string name;
    bool unterminated = false, first = true;
    if (data.starts_with("\xEF\xBB\xBF")) pos = 3;  // UTF-8 byte order mark
    for (;;) {
      record_line = line;
      if (!next_csv_record(data, pos, line, rec, unterminated)) break;
      const bool header = first && f[0] == "Registry";
      first = false;
      if (header || (rec.count == 1 && f[0].find_first_not_of(" \t\r") == std::string::npos)) continue;
      if (unterminated) {
        bad("quoted field never closed");
        break;
      }
      if (rec.count < 3) {
        bad("expected Registry,Assignment,Organization Name,..., got '" + printable(f[0]) + "'");
        continue;
      }
      const std::string& reg = f[0];
      const unsigned bits = reg == "MA-L"                     ? 24
                            : reg == "MA-M"                   ? 28
                            : (reg == "MA-S" || reg == "IAB") ? 36
                                                              : 0;
      if (bits == 0) {
        bad("unknown registry '" + printable(reg) + "'");
        continue;
      }
      uint64_t block = 0;
      if (f[1].size() != bits / 4 || !parse_hex(f[1], block)) {
        bad(reg + " assignment '" + printable(f[1]) + "' is not " + std::to_string(bits / 4) + " hex digits");
        continue;
      }
      clean_name(f[2], name);
      if (name.empty() || name.size() > kMaxNameBytes || !valid_utf8(name)) {
        bad("organization name '" + printable(f[2]) + "' is empty, too long or not UTF-8");
        continue;
      }
      add(bits, block, name);
    }
    if (malformed > 0)
      t_.warnings_.push_back("MAC vendors: " + path + ": " + std::to_string(malformed) +
                             " malformed records skipped (" + examples +
                             (malformed > kExampleProblems ? "; ..." : "") + ")");
    t_.stats_.malformed_records += malformed;
  }

  void finish() {
    for (const auto& [block, id] : b28_)
      b24_.try_emplace(static_cast<uint32_t>(block >> 4), kNoName).first->second |= kHas28;
    for (const auto& [block, id] : b36_)
      b24_.try_emplace(static_cast<uint32_t>(block >> 12), kNoName).first->second |= kHas36;
    t_.blocks24_.build({b24_.begin(), b24_.end()});
    t_.blocks28_.build({b28_.begin(), b28_.end()});
    t_.blocks36_.build({b36_.begin(), b36_.end()});
    t_.stats_.distinct_names = t_.names_.size();
    t_.names_.shrink_to_fit();
    t_.pool_.shrink_to_fit();
  }

 private:
  void add(unsigned bits, uint64_t block, const std::string& name) {
    bool fresh;
    if (bits == 24) {
      // A parent entry may exist only if a longer block came first; it has no name yet.
      const auto [it, inserted] = b24_.try_emplace(static_cast<uint32_t>(block), kNoName);
      fresh = (it->second & kIdMask) == kNoName;
      if (fresh) it->second = (it->second & ~kIdMask) | intern(name);
      t_.stats_.blocks24 += fresh;
    } else if (bits == 28) {
      const auto [it, inserted] = b28_.try_emplace(static_cast<uint32_t>(block), 0);
      fresh = inserted;
      if (fresh) it->second = intern(name);
      t_.stats_.blocks28 += fresh;
    } else {
      const auto [it, inserted] = b36_.try_emplace(block, 0);
      fresh = inserted;
      if (fresh) it->second = intern(name);
      t_.stats_.blocks36 += fresh;
    }
    t_.stats_.duplicate_blocks += !fresh;
  }

  uint32_t intern(const std::string& name) {
    const auto [it, inserted] = ids_.try_emplace(name, static_cast<uint32_t>(t_.names_.size()));
    if (inserted) {
      t_.names_.push_back(
          NameRef{static_cast<uint32_t>(t_.pool_.size()), static_cast<uint32_t>(name.size())});
      t_.pool_ += name;
    }
    return it->second;
  }

  MacVendorTable& t_;
  std::unordered_map<uint32_t, uint32_t> b24_, b28_;
  std::unordered_map<uint64_t, uint32_t> b36_;
  std::unordered_map<std::string, uint32_t> ids_;
};

MacVendorTable::MacVendorTable(const IeeeRegistryFiles& files) {
  Loader loader(*this);
  for (const std::string* path : {&files.ma_l, &files.ma_m, &files.ma_s, &files.iab})
    if (!path->empty()) loader.read(*path);
  loader.finish();
}

MacVendor MacVendorTable::lookup(const std::array<uint8_t, 6>& mac) const noexcept {
  uint64_t m = 0;
  for (const uint8_t b : mac) m = (m << 8) | b;
  if (m == 0xFFFFFFFFFFFFull) return {MacKind::kBroadcast, {}};
  if (mac[0] & 0x01) return {MacKind::kMulticast, {}};
  if (mac[0] & 0x02) return {MacKind::kLocallyAdministered, {}};
  const uint32_t* b24 = blocks24_.find(static_cast<uint32_t>(m >> 24));
  if (b24 == nullptr) return {MacKind::kUnknown, {}};
  if (*b24 & kHas36)
    if (const uint32_t* id = blocks36_.find(m >> 12)) return {MacKind::kVendor, name_of(*id)};
  if (*b24 & kHas28)
    if (const uint32_t* id = blocks28_.find(static_cast<uint32_t>(m >> 20)))
      return {MacKind::kVendor, name_of(*id)};
  const uint32_t id = *b24 & kIdMask;
  if (id == kNoName) return {MacKind::kUnknown, {}};
  return {MacKind::kVendor, name_of(id)};
}

size_t MacVendorTable::memory_bytes() const noexcept {
  return sizeof(*this) + blocks24_.memory_bytes() + blocks28_.memory_bytes() + blocks36_.memory_bytes() +
         names_.capacity() * sizeof(NameRef) + pool_.capacity();
}

}  // namespace spanwatch::lib
