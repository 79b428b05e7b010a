// Fuzz target: the YAML config loader (strict parse: unknown keys with hints, types, ranges) and the
// semantic validation run after it, on arbitrary text. Input: the YAML text.
// Contract checked: a bad file ends in ConfigException (the error list the user sees), never in another
// exception, a crash or a hang; validate() never throws.
#include <cstdint>
#include <string>

#include "lib/config/config_loader.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    lib::SpanwatchConfig cfg = lib::load_config_string(yaml);
    lib::resolve_data_paths(cfg, "/etc/spanwatch");
    for (const lib::ConfigError& e : lib::validate(cfg)) FUZZ_CHECK(!e.key.empty() && !e.message.empty());
  } catch (const lib::ConfigException& e) {
    FUZZ_CHECK(!e.errors().empty());
  }
  return 0;
}
