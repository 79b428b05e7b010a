// Parses services(5)-style files ("name port/proto [aliases|frequency] [# comment]") into flat per-transport
// port arrays. Malformed lines are skipped and counted; the first few are quoted in one warning per file.
#include "lib/enrich/service_names.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "lib/enrich/line_problems.hpp"

namespace spanwatch::lib {
namespace {

constexpr size_t kPortsPerTransport = 65536;

bool is_service_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > ServiceNameTable::kMaxNameBytes) return false;
  for (const char c : s)
    if (c < '!' || c > '~') return false;
  return true;
}

std::string_view next_word(std::string_view& s) noexcept {
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  size_t e = b;
  while (e < s.size() && s[e] != ' ' && s[e] != '\t' && s[e] != '\r') ++e;
  const std::string_view w = s.substr(b, e - b);
  s.remove_prefix(e);
  return w;
}

}  // namespace

// Reads one file after another into the table; interns names so each is stored once.
class ServiceNameTable::Loader {
 public:
  explicit Loader(ServiceNameTable& t) : t_(t) {}

  // Returns the number of (transport, port) pairs this file named first.
  size_t read(const std::string& path, bool skip_unknown) {
    std::ifstream in(path);
    if (!in) {
      t_.warnings_.push_back("service names: cannot open " + path + " (" + std::strerror(errno) +
                             "); its ports stay unnamed");
      return 0;
    }
    size_t named = 0, malformed = 0, line_no = 0;
    std::string examples, line;
    const auto bad = [&](const std::string& why) {
      if (++malformed <= kQuotedSkippedLines)
        examples += (examples.empty() ? "" : "; ") + ("line " + std::to_string(line_no) + ": " + why);
    };
    while (std::getline(in, line)) {
      ++line_no;
      std::string_view rest(line);
      rest = rest.substr(0, rest.find('#'));
      const std::string_view name = next_word(rest);
      if (name.empty()) continue;  // blank or comment line
      const std::string_view port_proto = next_word(rest);
      const size_t slash = port_proto.find('/');
      if (slash == std::string_view::npos) {
        bad("expected 'name port/protocol', got '" + printable_excerpt(line) + "'");
        continue;
      }
      const std::string_view port_text = port_proto.substr(0, slash), proto = port_proto.substr(slash + 1);
      unsigned port = 0;
      const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
      if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
          port > std::numeric_limits<uint16_t>::max()) {
        bad("port '" + printable_excerpt(port_text) + "' is not a number 0-65535");
        continue;
      }
      const int slot = proto == "tcp" ? 0 : proto == "udp" ? 1 : proto == "sctp" ? 2 : -1;
      if (slot < 0) {
        if (proto.empty()) {
          bad("missing protocol after '" + printable_excerpt(port_text) + "/'");
        } else {
          ++t_.stats_.other_transport_lines;
        }
        continue;
      }
      if (!is_service_name(name)) {
        bad("name '" + printable_excerpt(name) + "' is not 1-64 printable characters");
        continue;
      }
      if (skip_unknown && name == "unknown") continue;
      uint16_t& id = t_.index_[static_cast<size_t>(slot) * kPortsPerTransport + port];
      if (id != 0) {
        ++t_.stats_.duplicate_lines;
        continue;
      }
      id = intern(name);
      if (id != 0) ++named;
    }
    if (in.bad())
      t_.warnings_.push_back("service names: read error in " + path + " after line " +
                             std::to_string(line_no));
    if (malformed > 0)
      t_.warnings_.push_back("service names: " + path + ": " + std::to_string(malformed) +
                             " malformed lines skipped (" + examples +
                             (malformed > kQuotedSkippedLines ? "; ..." : "") + ")");
    t_.stats_.malformed_lines += malformed;
    return named;
  }

 private:
  uint16_t intern(std::string_view name) {
    const auto it = ids_.find(std::string(name));
    if (it != ids_.end()) return it->second;
    if (t_.names_.size() > std::numeric_limits<uint16_t>::max()) {
      if (!full_warned_)
        t_.warnings_.push_back("service names: more than 65535 distinct names; rest ignored");
      full_warned_ = true;
      return 0;
    }
    const uint16_t id = t_.append_name(name);
    ids_.emplace(std::string(name), id);
    return id;
  }

  ServiceNameTable& t_;
  std::unordered_map<std::string, uint16_t> ids_;
  bool full_warned_ = false;
};

ServiceNameTable::ServiceNameTable(std::string_view services_path, std::string_view nmap_path)
    : index_(3 * kPortsPerTransport, 0), names_(1, NameRef{0, 0}) {
  Loader loader(*this);
  if (!services_path.empty()) stats_.services_ports = loader.read(std::string(services_path), false);
  if (!nmap_path.empty()) stats_.nmap_ports = loader.read(std::string(nmap_path), true);
  stats_.distinct_names = names_.size() - 1;
  pool_.shrink_to_fit();
  names_.shrink_to_fit();
}

uint16_t ServiceNameTable::append_name(std::string_view name) {
  names_.push_back(NameRef{static_cast<uint32_t>(pool_.size()), static_cast<uint32_t>(name.size())});
  pool_.append(name);
  return static_cast<uint16_t>(names_.size() - 1);
}

void ServiceNameTable::add_override(uint8_t l4_proto, uint16_t port, std::string_view name) {
  const std::string where = "service name override " + std::to_string(l4_proto) + "/" + std::to_string(port);
  const int slot = transport_slot(l4_proto);
  if (slot < 0) throw std::invalid_argument(where + ": protocol must be tcp (6), udp (17) or sctp (132)");
  if (!is_service_name(name))
    throw std::invalid_argument(where + ": name '" + printable_excerpt(name) +
                                "' must be 1-64 printable ASCII characters without spaces");
  if (names_.size() > std::numeric_limits<uint16_t>::max())
    throw std::invalid_argument(where + ": more than 65535 distinct service names");
  index_[static_cast<size_t>(slot) * kPortsPerTransport + port] = append_name(name);
}

size_t ServiceNameTable::memory_bytes() const noexcept {
  return sizeof(*this) + index_.capacity() * sizeof(uint16_t) + names_.capacity() * sizeof(NameRef) +
         pool_.capacity();
}

}  // namespace spanwatch::lib
