// IEEE MAC address block owners (MA-L, MA-M, MA-S and IAB registries from Debian's ieee-data), looked up
// by longest prefix. Multicast, locally administered (e.g. randomised) and broadcast addresses are flagged
// instead of named.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spanwatch::lib {

enum class MacKind : uint8_t { kVendor, kUnknown, kLocallyAdministered, kMulticast, kBroadcast };

struct MacVendor {
  MacKind kind = MacKind::kUnknown;
  std::string_view vendor;  // IEEE "Organization Name"; empty unless kind == kVendor
};

// The registry files; an empty path skips that registry.
struct IeeeRegistryFiles {
  std::string ma_l = "/usr/share/ieee-data/oui.csv";    // 24-bit blocks
  std::string ma_m = "/usr/share/ieee-data/mam.csv";    // 28-bit blocks
  std::string ma_s = "/usr/share/ieee-data/oui36.csv";  // 36-bit blocks
  std::string iab = "/usr/share/ieee-data/iab.csv";     // 36-bit blocks, the older registry
};

class MacVendorTable {
 public:
  struct LoadStats {
    size_t blocks24 = 0, blocks28 = 0, blocks36 = 0;
    size_t malformed_records = 0;  // skipped: too few fields, unknown registry, bad hex, bad name
    size_t duplicate_blocks = 0;   // block already assigned by an earlier record (first one wins)
    size_t distinct_names = 0;
  };

  // Reads the four CSV files (Registry,Assignment,Organization Name,Organization Address; RFC 4180 quoting,
  // fields may span lines). The Registry column decides the block size, whatever the file. A missing,
  // unreadable or partly malformed file adds a line to warnings() for the caller to log; it never throws.
  explicit MacVendorTable(const IeeeRegistryFiles& files);
  MacVendorTable() = default;  // names nothing (reads no file)

  // The longest assigned block holding `mac` (36 > 28 > 24 bits) wins. Broadcast, then the I/G (multicast)
  // bit, then the U/L (locally administered) bit are checked first: such addresses name no vendor, even the
  // few historical blocks registered with those bits set (DECnet's AA-00-04...).
  MacVendor lookup(const std::array<uint8_t, 6>& mac) const noexcept;

  const std::vector<std::string>& warnings() const noexcept { return warnings_; }
  const LoadStats& stats() const noexcept { return stats_; }
  size_t memory_bytes() const noexcept;

 private:
  class Loader;

  // Open addressing, linear probing, at most half full: one or two cache lines per probe.
  template <typename Key>
  class PrefixHash {
   public:
    void build(const std::vector<std::pair<Key, uint32_t>>& entries);
    const uint32_t* find(Key key) const noexcept;
    size_t memory_bytes() const noexcept { return keys_.capacity() * sizeof(Key) + values_.capacity() * 4; }

   private:
    static constexpr Key kEmpty = ~Key{0};
    std::vector<Key> keys_;
    std::vector<uint32_t> values_;
    unsigned shift_ = 64;
  };

  std::string_view name_of(uint32_t id) const noexcept {
    return {pool_.data() + names_[id].offset, names_[id].length};
  }

  // 24-bit block -> name id, plus flags saying whether longer blocks exist inside it, so most lookups stop
  // after one probe. Blocks that only hold longer blocks are present without a name.
  PrefixHash<uint32_t> blocks24_;
  PrefixHash<uint32_t> blocks28_;
  PrefixHash<uint64_t> blocks36_;
  struct NameRef {
    uint32_t offset, length;
  };
  std::vector<NameRef> names_;
  std::string pool_;  // every distinct organisation name once
  std::vector<std::string> warnings_;
  LoadStats stats_;
};

}  // namespace spanwatch::lib
