// IANA service names per transport (tcp, udp, sctp) and port, from netbase's /etc/services and nmap-common's
// nmap-services, plus overrides from the configuration. Loaded once at start-up; a lookup is two array reads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spanwatch::lib {

class ServiceNameTable {
 public:
  static constexpr std::string_view kDefaultServicesPath = "/etc/services";
  static constexpr std::string_view kDefaultNmapServicesPath = "/usr/share/nmap/nmap-services";
  static constexpr size_t kMaxNameBytes = 64;  // Debian 12's longest: 16 bytes (netbase), 20 (nmap)

  struct LoadStats {
    size_t services_ports = 0;         // (transport, port) pairs named by the services file
    size_t nmap_ports = 0;             // pairs only nmap-services named
    size_t malformed_lines = 0;        // skipped: no "name port/proto", bad port, bad name
    size_t duplicate_lines = 0;        // pair already named by an earlier line or file (first name wins)
    size_t other_transport_lines = 0;  // e.g. netbase's AppleTalk "ddp" entries
    size_t distinct_names = 0;
  };

  // Reads `services_path` (IANA's registry as netbase ships it), then fills the pairs it lacks from
  // `nmap_path` (its "unknown" entries are skipped). An empty path skips that file. A missing, unreadable
  // or partly malformed file adds a line to warnings() for the caller to log; it never throws.
  ServiceNameTable(std::string_view services_path, std::string_view nmap_path);
  ServiceNameTable() : ServiceNameTable({}, {}) {}  // names nothing (reads no file)

  // A user's name for one port, winning over both files. Throws std::invalid_argument naming the entry
  // when l4_proto is not tcp/udp/sctp (6/17/132) or `name` is not 1..kMaxNameBytes printable ASCII
  // characters without spaces. Call at start-up only: it invalidates views returned earlier.
  void add_override(uint8_t l4_proto, uint16_t port, std::string_view name);

  // The service name, or empty when unnamed or the protocol is not tcp/udp/sctp. The view lives as long as
  // this table.
  std::string_view name(uint8_t l4_proto, uint16_t port) const noexcept {
    const int slot = transport_slot(l4_proto);
    if (slot < 0) return {};
    const uint16_t id = index_[(static_cast<size_t>(slot) << 16) | port];
    if (id == 0) return {};
    const NameRef& r = names_[id];
    return {pool_.data() + r.offset, r.length};
  }

  const std::vector<std::string>& warnings() const noexcept { return warnings_; }
  const LoadStats& stats() const noexcept { return stats_; }
  size_t memory_bytes() const noexcept;

 private:
  struct NameRef {
    uint32_t offset;
    uint32_t length;
  };
  class Loader;

  static constexpr int transport_slot(uint8_t l4_proto) noexcept {
    return l4_proto == 6 ? 0 : l4_proto == 17 ? 1 : l4_proto == 132 ? 2 : -1;
  }
  uint16_t append_name(std::string_view name);

  std::vector<uint16_t> index_;  // 3 transports x 65536 ports -> names_ index; 0 = unnamed
  std::vector<NameRef> names_;   // [0] unused
  std::string pool_;             // every distinct name once
  std::vector<std::string> warnings_;
  LoadStats stats_;
};

}  // namespace spanwatch::lib
