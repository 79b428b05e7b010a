// English country names by ISO 3166-1 alpha-2 code, from Debian's iso-codes (iso_3166-1.json), for GeoIP
// databases that carry only the code (DB-IP Lite, ip-location-db): source.geo.country_name.
#pragma once
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace spanwatch::lib {

class CountryNames {
 public:
  static constexpr std::string_view kDefaultPath = "/usr/share/iso-codes/json/iso_3166-1.json";

  CountryNames() = default;                    // empty: every lookup misses
  CountryNames(const CountryNames&) = delete;  // the views point into pool_
  CountryNames& operator=(const CountryNames&) = delete;
  CountryNames(CountryNames&&) = delete;
  CountryNames& operator=(CountryNames&&) = delete;
  // Fills the table in place (it cannot move: the views point into it). A missing or unreadable file leaves
  // it empty and says why in warnings().
  void load(const std::string& path);

  // "DE" -> "Germany" (the common name where ISO gives one, e.g. "Bolivia"); empty when unknown.
  std::string_view name(std::string_view alpha2) const noexcept {
    if (alpha2.size() != 2) return {};
    const int a = upper_index(alpha2[0]), b = upper_index(alpha2[1]);
    if (a < 0 || b < 0) return {};
    return names_[size_t(a) * 26 + size_t(b)];
  }
  size_t size() const noexcept { return count_; }
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  static constexpr int upper_index(char c) noexcept {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return c >= 'A' && c <= 'Z' ? c - 'A' : -1;
  }
  std::string pool_;  // every name, back to back (views are made after loading)
  std::array<std::string_view, 26 * 26> names_{};
  size_t count_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace spanwatch::lib
