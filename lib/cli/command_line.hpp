// A main()'s command line: options bound to variables, validators, --help and --version, parsed by CLI11.
// CLI11 (Debian's libcli11-dev) is header-only with no precompiled mode and costs 15-20 s of compile CPU
// in every file that includes it, so only command_line.cpp does (docs/reliability.md, "CI time").
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace spanwatch::lib::cli {

inline constexpr int kExitBadCommandLine = 2;  // README: 0 success, 2 bad command line

// One option just added; its methods add checks and return it for chaining.
class Option {
 public:
  Option& required();
  Option& existing_file();  // each value names a regular file that exists
  Option& range(unsigned min, unsigned max);
  Option& range(double min, double max);
  Option& positive();  // > 0
  Option& one_of(const std::vector<std::string>& values);
  Option& show_default();  // the help shows the variable's value at this point as the default

 private:
  friend class CommandLine;
  explicit Option(CLI::Option* option) : option_(option) {}
  CLI::Option* option_;
};

class CommandLine {
 public:
  explicit CommandLine(const std::string& description);
  ~CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // `names` as in "-c,--config". Repeating a single-valued option keeps the last value.
  Option add(const std::string& names, std::string& value, const std::string& help);
  Option add(const std::string& names, std::vector<std::string>& values, const std::string& help);
  Option add(const std::string& names, unsigned& value, const std::string& help);
  Option add(const std::string& names, uint64_t& value, const std::string& help);
  Option add(const std::string& names, double& value, const std::string& help);
  Option add(const std::string& names, std::optional<uint16_t>& value, const std::string& help);
  Option add(const std::string& names, std::optional<uint32_t>& value, const std::string& help);
  void add_flag(const std::string& names, bool& value, const std::string& help);
  void set_version(const std::string& text);  // --version prints it

  enum class Outcome {
    kRun,      // the variables hold the command line's values
    kPrinted,  // --help or --version was printed on stdout: exit 0
    kBad,      // error() says what is wrong; nothing was printed
  };
  Outcome parse(int argc, char** argv);
  const std::string& error() const { return error_; }

  // parse() for mains without their own error format: nullopt to go on, else the exit status after
  // --help/--version (0) or after printing the error as fail() does (2).
  std::optional<int> parse_or_exit_status(int argc, char** argv);
  // Prints `why` and "Run with --help for more information." on stderr; returns kExitBadCommandLine.
  int fail(const std::string& why) const;
  bool given(const std::string& name) const;  // the option was on the command line (after parse)

 private:
  std::unique_ptr<CLI::App> app_;
  std::string error_;
};

}  // namespace spanwatch::lib::cli
