// CSV reading for AssetInventory: a small RFC 4180 field splitter (one record per line), then the rows go
// into a CidrTable whose values view one contiguous text buffer.
#include "lib/enrich/asset_inventory.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "lib/core/hex_digits.hpp"
#include "lib/enrich/line_problems.hpp"

namespace spanwatch::lib {
namespace {

enum Column : int { kCidr, kHostname, kOwner, kRole, kOs, kColumnCount };
constexpr std::array<std::string_view, kColumnCount> kColumnNames{"cidr", "hostname", "owner", "role", "os"};

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

// Splits one line into fields. Returns an error message, or nullopt when the line was well formed.
std::optional<std::string> split_csv_line(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  size_t i = 0;
  for (;;) {
    std::string field;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] == '"') {
      const size_t open = i++;
      for (;;) {
        if (i >= line.size()) {
          return "unterminated quote opened at column " + std::to_string(open + 1) +
                 " (a field cannot span lines)";
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != ',') {
        return "unexpected text after the closing quote at column " + std::to_string(i + 1);
      }
    } else {
      const size_t start = i;
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return "quote inside an unquoted field at column " + std::to_string(i + 1);
        ++i;
      }
      field = std::string(trim(line.substr(start, i - start)));
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return std::nullopt;
    ++i;  // the comma
  }
}

// A field value a JSON document and a terminal can show: no control characters, bounded.
std::optional<std::string> check_field(std::string_view value) {
  if (value.size() > kAssetFieldMax) {
    return std::to_string(value.size()) + " bytes (at most " + std::to_string(kAssetFieldMax) + ")";
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) {
      return "control character 0x" + std::string(1, kHexLower[c >> 4]) + std::string(1, kHexLower[c & 15]) +
             " at byte " + std::to_string(i + 1);
    }
  }
  return std::nullopt;
}

struct Row {
  Cidr cidr;
  std::array<std::string, kColumnCount> fields;
  uint32_t line;
};

}  // namespace

AssetInventory AssetInventory::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("asset inventory " + path + ": cannot open (" + std::strerror(errno) + ")");
  }
  std::ostringstream buf;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw std::runtime_error("asset inventory " + path + ": cannot read (not a regular file?)");
  if (static_cast<uint64_t>(size) > kAssetFileMax) {
    throw std::runtime_error("asset inventory " + path + ": " + std::to_string(size) +
                             " bytes, more than the " + std::to_string(kAssetFileMax) + " accepted");
  }
  in.seekg(0, std::ios::beg);
  buf << in.rdbuf();
  if (in.bad()) throw std::runtime_error("asset inventory " + path + ": read error");
  return load_text(buf.str(), path);
}

AssetInventory AssetInventory::load_text(std::string_view text, std::string_view name) {
  LineProblems problems(name);
  auto problem = [&](uint32_t line, const std::string& msg) { problems.add(line, msg); };

  AssetInventory inv;
  std::vector<Row> rows;
  std::array<int, kColumnCount> column_at{};  // column -> field index, -1 absent
  column_at.fill(-1);
  size_t header_fields = 0;
  bool have_header = false;
  std::map<std::pair<IpAddress, uint8_t>, uint32_t> seen;  // prefix -> first line (for the warning)
  std::vector<std::string> fields;

  uint32_t line_no = 0;
  size_t pos =
      text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // a UTF-8 byte order mark (spreadsheets write one)
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;

    if (auto err = split_csv_line(line, fields)) {
      problem(line_no, *err);
      if (!have_header) break;  // without the header nothing else can be read
      continue;
    }
    if (!have_header) {
      have_header = true;
      header_fields = fields.size();
      for (size_t i = 0; i < fields.size(); ++i) {
        const std::string col = lower(fields[i]);
        int known = -1;
        for (int c = 0; c < kColumnCount; ++c) {
          if (col == kColumnNames[c]) known = c;
        }
        if (known < 0) {
          problem(line_no, "unknown column \"" + fields[i] + "\" (expected cidr, hostname, owner, role, os)");
        } else if (column_at[known] >= 0) {
          problem(line_no, "column \"" + col + "\" given twice");
        } else {
          column_at[known] = int(i);
        }
      }
      if (column_at[kCidr] < 0) problem(line_no, "the header line has no \"cidr\" column");
      if (problems.count() > 0) break;
      continue;
    }
    if (fields.size() != header_fields) {
      problem(line_no, "expected " + std::to_string(header_fields) + " fields as in the header, got " +
                           std::to_string(fields.size()));
      continue;
    }
    Row row;
    row.line = line_no;
    bool ok = true;
    for (int c = 0; c < kColumnCount; ++c) {
      if (column_at[c] < 0) continue;
      std::string& value = fields[size_t(column_at[c])];
      if (auto err = check_field(value)) {
        problem(line_no, std::string(kColumnNames[c]) + ": " + *err);
        ok = false;
      }
      row.fields[c] = std::move(value);
    }
    if (!ok) continue;
    const std::optional<Cidr> cidr = parse_cidr(row.fields[kCidr]);
    if (!cidr) {
      problem(line_no,
              "cidr \"" + row.fields[kCidr] + "\" is not an address or CIDR (e.g. 10.0.0.0/8, 192.0.2.7)");
      continue;
    }
    row.cidr = *cidr;
    if (cidr->host_bits_set) {
      char net[kIpTextMax];
      cidr->network.format(net, sizeof net);
      inv.warnings_.push_back(std::string(name) + ":" + std::to_string(line_no) + ": cidr \"" +
                              row.fields[kCidr] + "\" has host bits set; using " + net + "/" +
                              std::to_string(cidr->prefix_len));
    }
    const auto [it, fresh] = seen.emplace(std::make_pair(cidr->network, cidr->prefix_len), line_no);
    if (!fresh) {
      inv.warnings_.push_back(std::string(name) + ":" + std::to_string(line_no) + ": cidr \"" +
                              row.fields[kCidr] + "\" repeats line " + std::to_string(it->second) +
                              "; this line wins");
    }
    rows.push_back(std::move(row));
  }
  if (!have_header && problems.count() == 0) problem(line_no, "no header line (cidr,hostname,owner,role,os)");
  problems.throw_if_any("asset inventory");

  // All text in one buffer first, then the views (the buffer never grows after that).
  size_t total = 0;
  for (const Row& r : rows) {
    for (int c = kHostname; c < kColumnCount; ++c) total += r.fields[c].size();
  }
  inv.text_.reserve(total);
  std::vector<std::array<size_t, kColumnCount>> offsets(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    for (int c = kHostname; c < kColumnCount; ++c) {
      offsets[i][c] = inv.text_.size();
      inv.text_.insert(inv.text_.end(), rows[i].fields[c].begin(), rows[i].fields[c].end());
    }
  }
  auto view = [&](size_t row, int c) {
    return std::string_view(inv.text_.data() + offsets[row][c], rows[row].fields[c].size());
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    AssetInfo info;
    info.hostname = view(i, kHostname);
    info.owner = view(i, kOwner);
    info.role = view(i, kRole);
    info.os = view(i, kOs);
    info.network = rows[i].cidr;
    info.line = rows[i].line;
    inv.table_.insert(rows[i].cidr, info);
  }
  inv.table_.build();
  return inv;
}

}  // namespace spanwatch::lib
