// Loads the IEEE registry CSVs into three prefix hashes (24, 28, 36 bits) and one pool of names.
#include "lib/enrich/mac_vendors.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "lib/enrich/line_problems.hpp"

namespace spanwatch::lib {
namespace {

constexpr uint32_t kNoName = 0x3FFFFFFF;  // a 24-bit block present only as the parent of longer blocks
constexpr uint32_t kHas28 = 1u << 30;
constexpr uint32_t kHas36 = 1u << 31;
constexpr uint32_t kIdMask = kNoName;
constexpr uintmax_t kMaxFileBytes = 64u << 20;  // ieee-data's largest CSV is 3 MB
constexpr size_t kMaxNameBytes = 256;           // the longest IEEE name is about 110 bytes

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

// Controls (a quoted field may hold a line break) become spaces; surrounding blanks go. A view of `raw` when
// it has no controls (nearly always), else of `scratch`.
std::string_view clean_name(std::string_view raw, std::string& scratch) {
  const auto is_control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
  if (std::any_of(raw.begin(), raw.end(), is_control)) {
    scratch.assign(raw);
    std::replace_if(scratch.begin(), scratch.end(), is_control, ' ');
    raw = scratch;
  }
  const size_t b = raw.find_first_not_of(' ');
  if (b == std::string_view::npos) return {};
  return raw.substr(b, raw.find_last_not_of(' ') + 1 - b);
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

// A registry record: the fields spanwatch reads (Registry, Assignment, Organization Name) as views of the
// file (start-up parses 50,000 records on every run); a field that is not one run of the file (an escaped
// quote) is copied into its scratch string. The other fields are only counted.
struct CsvRecord {
  static constexpr size_t kKept = 3;
  std::array<std::string_view, kKept> field;
  std::array<std::string, kKept> scratch;
  std::array<bool, kKept> copied{};
  size_t count = 0;  // fields in the record, kept or not

  void start() noexcept {
    field = {};
    copied = {};
    count = 1;
  }
  // `s` is a part of the file; parts that follow each other there stay one view.
  void append(std::string_view s) {
    if (count > kKept || s.empty()) return;
    const size_t i = count - 1;
    std::string_view& f = field[i];
    if (!copied[i]) {
      if (f.empty()) {
        f = s;
        return;
      }
      if (f.data() + f.size() == s.data()) {
        f = {f.data(), f.size() + s.size()};
        return;
      }
      scratch[i].assign(f);
      copied[i] = true;
    }
    scratch[i].append(s);
    f = scratch[i];
  }
};

// Which bytes end a run of ordinary bytes, inside and outside quotes.
constexpr uint8_t kStopQuoted = 1, kStopUnquoted = 2;
constexpr std::array<uint8_t, 256> kCsvClass = [] {
  std::array<uint8_t, 256> c{};
  c['"'] = c['\n'] = kStopQuoted | kStopUnquoted;
  c[','] = c['\r'] = kStopUnquoted;
  return c;
}();

size_t skip_to_quote_or_line_end(std::string_view data, size_t pos) noexcept {
  const char* begin = data.data() + pos;
  const size_t n = data.size() - pos;
  const auto* nl = static_cast<const char*>(std::memchr(begin, '\n', n));
  const size_t limit = nl != nullptr ? static_cast<size_t>(nl - begin) : n;
  const auto* quote = static_cast<const char*>(std::memchr(begin, '"', limit));
  return pos + (quote != nullptr ? static_cast<size_t>(quote - begin) : limit);
}

// One RFC 4180 record from `data` at `pos`: fields split at commas outside quotes, "" inside quotes is a
// quote, and quoted fields may span lines. Returns false at the end of data; flags the data that
// ends inside quotes (`unterminated`).
bool next_csv_record(std::string_view data, size_t& pos, size_t& line, CsvRecord& rec, bool& unterminated) {
  rec.start();
  unterminated = false;
  if (pos >= data.size()) return false;
  bool quoted = false, field_start = true;
  while (pos < data.size()) {
    // Runs of ordinary bytes go in one append (start-up parses 4 MB of registry on every run), found with a
    // table: find_first_of with a set calls memchr on the set for every byte.
    size_t end = pos;
    if (rec.count > CsvRecord::kKept) {
      // The fields after the kept ones (the address: most of the bytes) are skipped: only quotes and line
      // ends matter there, found with memchr.
      end = skip_to_quote_or_line_end(data, pos);
      if (end > pos) {
        if (!quoted) field_start = data[end - 1] == ',';
        pos = end;
        continue;
      }
    }
    const uint8_t stop = quoted ? kStopQuoted : kStopUnquoted;
    while (end < data.size() && (kCsvClass[static_cast<unsigned char>(data[end])] & stop) == 0) ++end;
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
          rec.append(data.substr(pos, 1));
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        rec.append(data.substr(pos - 1, 1));
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
      // A stray quote inside an unquoted field is kept, as most readers do.
      rec.append(data.substr(pos - 1, 1));
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
      if (++malformed <= kQuotedSkippedLines)
        examples += (examples.empty() ? "" : "; ") + ("line " + std::to_string(record_line) + ": " + why);
    };
    CsvRecord rec;
    const auto& f = rec.field;
    std::string scratch;
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
        bad("expected Registry,Assignment,Organization Name,..., got '" + printable_excerpt(f[0]) + "'");
        continue;
      }
      const std::string_view reg = f[0];
      const unsigned bits = reg == "MA-L"                     ? 24
                            : reg == "MA-M"                   ? 28
                            : (reg == "MA-S" || reg == "IAB") ? 36
                                                              : 0;
      if (bits == 0) {
        bad("unknown registry '" + printable_excerpt(reg) + "'");
        continue;
      }
      uint64_t block = 0;
      if (f[1].size() != bits / 4 || !parse_hex(f[1], block)) {
        bad(std::string(reg) + " assignment '" + printable_excerpt(f[1]) + "' is not " +
            std::to_string(bits / 4) + " hex digits");
        continue;
      }
      const std::string_view name = clean_name(f[2], scratch);
      if (name.empty() || name.size() > kMaxNameBytes || !valid_utf8(name)) {
        bad("organization name '" + printable_excerpt(f[2]) + "' is empty, too long or not UTF-8");
        continue;
      }
      add(bits, block, name);
    }
    if (malformed > 0)
      t_.warnings_.push_back("MAC vendors: " + path + ": " + std::to_string(malformed) +
                             " malformed records skipped (" + examples +
                             (malformed > kQuotedSkippedLines ? "; ..." : "") + ")");
    t_.stats_.malformed_records += malformed;
  }

  void finish() {
    // Sorted by block, stable: of several records for one block the first read stays first and wins.
    const auto dedupe = [this](auto& v) {
      std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      const auto last =
          std::unique(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first == b.first; });
      t_.stats_.duplicate_blocks += static_cast<size_t>(v.end() - last);
      v.erase(last, v.end());
    };
    dedupe(b24_);
    dedupe(b28_);
    dedupe(b36_);
    t_.stats_.blocks24 = b24_.size();
    t_.stats_.blocks28 = b28_.size();
    t_.stats_.blocks36 = b36_.size();
    // A 24-bit block holding longer blocks says so, and is present without a name if unassigned itself.
    const size_t named24 = b24_.size();
    const auto mark_parent = [&](uint32_t parent, uint32_t flag) {
      const auto end = b24_.begin() + static_cast<std::ptrdiff_t>(named24);
      const auto it =
          std::lower_bound(b24_.begin(), end, parent, [](const auto& e, uint32_t k) { return e.first < k; });
      if (it != end && it->first == parent)
        it->second |= flag;
      else
        b24_.emplace_back(parent, kNoName | flag);
    };
    for (const auto& [block, id] : b28_) mark_parent(static_cast<uint32_t>(block >> 4), kHas28);
    for (const auto& [block, id] : b36_) mark_parent(static_cast<uint32_t>(block >> 12), kHas36);
    // Parents added above for several longer blocks appear once, with every flag.
    std::sort(b24_.begin() + static_cast<std::ptrdiff_t>(named24), b24_.end());
    size_t out = named24;
    for (size_t i = named24; i < b24_.size(); ++i) {
      if (out > named24 && b24_[out - 1].first == b24_[i].first)
        b24_[out - 1].second |= b24_[i].second;
      else
        b24_[out++] = b24_[i];
    }
    b24_.resize(out);
    t_.blocks24_.build(b24_);
    t_.blocks28_.build(b28_);
    t_.blocks36_.build(b36_);
    t_.stats_.distinct_names = t_.names_.size();
    t_.names_.shrink_to_fit();
    t_.pool_.shrink_to_fit();
  }

 private:
  void add(unsigned bits, uint64_t block, std::string_view name) {
    const uint32_t id = intern(name);
    if (bits == 24)
      b24_.emplace_back(static_cast<uint32_t>(block), id);
    else if (bits == 28)
      b28_.emplace_back(static_cast<uint32_t>(block), id);
    else
      b36_.emplace_back(block, id);
  }

  // Open addressing over name ids (+1; 0 is empty), compared against the pool: no allocation per name.
  uint32_t intern(std::string_view name) {
    if (2 * (t_.names_.size() + 1) > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = std::hash<std::string_view>{}(name)&mask;; i = (i + 1) & mask) {
      if (slots_[i] == 0) {
        const auto id = static_cast<uint32_t>(t_.names_.size());
        t_.names_.push_back(
            NameRef{static_cast<uint32_t>(t_.pool_.size()), static_cast<uint32_t>(name.size())});
        t_.pool_ += name;
        slots_[i] = id + 1;
        return id;
      }
      if (t_.name_of(slots_[i] - 1) == name) return slots_[i] - 1;
    }
  }

  void grow() {
    std::vector<uint32_t> old = std::move(slots_);
    slots_.assign(std::max<size_t>(1024, 2 * old.size()), 0);
    const size_t mask = slots_.size() - 1;
    for (const uint32_t s : old) {
      if (s == 0) continue;
      size_t i = std::hash<std::string_view>{}(t_.name_of(s - 1)) & mask;
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  MacVendorTable& t_;
  std::vector<std::pair<uint32_t, uint32_t>> b24_, b28_;  // in file order until finish()
  std::vector<std::pair<uint64_t, uint32_t>> b36_;
  std::vector<uint32_t> slots_;  // the intern table
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
