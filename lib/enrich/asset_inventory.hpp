// AssetInventory: the user's list of known hosts and networks (CSV beside the config: cidr, hostname,
// owner, role, os), loaded at start-up; lookup by address is a longest-prefix match.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/ip_address.hpp"
#include "lib/enrich/cidr.hpp"
#include "lib/enrich/cidr_table.hpp"

namespace spanwatch::lib {

// One inventory row. Views point into the AssetInventory that returned it (empty: column blank/absent).
struct AssetInfo {
  std::string_view hostname, owner, role, os;
  Cidr network;       // the row's prefix (host bits cleared)
  uint32_t line = 0;  // in the file, for messages
};

inline constexpr size_t kAssetFieldMax = 255;       // bytes per field
inline constexpr size_t kAssetFileMax = 64u << 20;  // a larger file is refused (not an inventory)

class AssetInventory {
 public:
  AssetInventory() = default;  // empty: nothing matches
  AssetInventory(AssetInventory&&) noexcept = default;
  AssetInventory& operator=(AssetInventory&&) noexcept = default;
  AssetInventory(const AssetInventory&) = delete;  // the views would point into the other copy
  AssetInventory& operator=(const AssetInventory&) = delete;

  // CSV, first non-comment line the header: `cidr` plus any of hostname, owner, role, os, in any order
  // (case-insensitive). Fields may be "quoted" ("" inside is one quote) and hold commas; '#' starts a
  // comment line; blank lines are skipped. Throws std::runtime_error listing every problem as
  // FILE:LINE: message (bad CIDR, wrong field count, unterminated quote, control characters, a field over
  // kAssetFieldMax bytes, unknown or repeated column) with their count; nothing is loaded then.
  static AssetInventory load_file(const std::string& path);
  // The same from text already read; `name` stands for the file in messages.
  static AssetInventory load_text(std::string_view text, std::string_view name);

  // The row with the longest prefix holding `ip`, or nullptr.
  const AssetInfo* lookup(const IpAddress& ip) const noexcept { return table_.lookup(ip); }
  size_t size() const noexcept { return table_.size(); }
  // Accepted with a note, to log at start-up: host bits set, a prefix repeated (the later row wins).
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  std::vector<char> text_;  // every field's bytes; a vector so moving keeps the views valid
  CidrTable<AssetInfo> table_;
  std::vector<std::string> warnings_;
};

}  // namespace spanwatch::lib
