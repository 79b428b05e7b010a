// YAML (conf/spanwatch.yaml) -> SpanwatchConfig, and the semantic checks on the result. Both collect every
// problem before reporting; messages name the key path, the bad value, the limit and a fix.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/spanwatch_config.hpp"

namespace spanwatch::lib {

struct ConfigError {
  std::string key;      // "ports[0].rx_desc"; "FILE:LINE:COL" for YAML syntax errors
  std::string message;  // "8192 > 4096; use <= 4096"
};

// All problems at once. what(): one "config error: <key>: <message>" line per error.
class ConfigException : public std::runtime_error {
 public:
  explicit ConfigException(std::vector<ConfigError> errors);
  const std::vector<ConfigError>& errors() const noexcept { return errors_; }

 private:
  std::vector<ConfigError> errors_;
};

// Parse only: YAML syntax, unknown keys (with a closest-match hint), wrong types and negative or
// out-of-range numbers. Absent keys keep their defaults. Throws ConfigException with every error found.
// Call validate() after command-line overrides are applied.
SpanwatchConfig load_config_file(const std::string& path);
SpanwatchConfig load_config_string(const std::string& yaml);

// Makes the relative data-file paths of `enrichment` relative to base_dir (the config file's folder;
// load_config_file does this).
void resolve_data_paths(SpanwatchConfig& cfg, const std::string& base_dir);

// DPDK's number for a log_level that validate() accepts (emergency 1 .. debug 8, or the digit); 0 otherwise.
unsigned log_level_number(std::string_view level) noexcept;

// Semantic checks (no device access): ports, lcore roles, ring and pool sizes, timeouts, names.
std::vector<ConfigError> validate(const SpanwatchConfig& cfg);

inline constexpr unsigned kMaxLcore = 128;  // RTE_MAX_LCORE of Debian's DPDK 22.11 build

}  // namespace spanwatch::lib
