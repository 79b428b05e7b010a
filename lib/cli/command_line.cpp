#include "lib/cli/command_line.hpp"

#include <CLI/CLI.hpp>

namespace spanwatch::lib::cli {

Option& Option::required() {
  option_->required();
  return *this;
}

Option& Option::existing_file() {
  option_->check(CLI::ExistingFile);
  return *this;
}

Option& Option::range(unsigned min, unsigned max) {
  option_->check(CLI::Range(min, max));
  return *this;
}

Option& Option::range(double min, double max) {
  option_->check(CLI::Range(min, max));
  return *this;
}

Option& Option::positive() {
  option_->check(CLI::PositiveNumber);
  return *this;
}

Option& Option::one_of(const std::vector<std::string>& values) {
  option_->check(CLI::IsMember(values));
  return *this;
}

Option& Option::show_default() {
  option_->capture_default_str();
  return *this;
}

CommandLine::CommandLine(const std::string& description) : app_(std::make_unique<CLI::App>(description)) {}

CommandLine::~CommandLine() = default;

Option CommandLine::add(const std::string& names, std::string& value, const std::string& help) {
  return Option(app_->add_option(names, value, help));
}

Option CommandLine::add(const std::string& names, std::vector<std::string>& values, const std::string& help) {
  return Option(app_->add_option(names, values, help));
}

Option CommandLine::add(const std::string& names, unsigned& value, const std::string& help) {
  return Option(app_->add_option(names, value, help));
}

Option CommandLine::add(const std::string& names, uint64_t& value, const std::string& help) {
  return Option(app_->add_option(names, value, help));
}

Option CommandLine::add(const std::string& names, double& value, const std::string& help) {
  return Option(app_->add_option(names, value, help));
}

Option CommandLine::add(const std::string& names, std::optional<uint16_t>& value, const std::string& help) {
  return Option(app_->add_option(names, value, help));
}

Option CommandLine::add(const std::string& names, std::optional<uint32_t>& value, const std::string& help) {
  return Option(app_->add_option(names, value, help));
}

void CommandLine::add_flag(const std::string& names, bool& value, const std::string& help) {
  app_->add_flag(names, value, help);
}

void CommandLine::set_version(const std::string& text) {
  app_->set_version_flag("--version", text);
}

CommandLine::Outcome CommandLine::parse(int argc, char** argv) {
  try {
    app_->parse(argc, argv);
    return Outcome::kRun;
  } catch (const CLI::Success& e) {  // --help, --version
    app_->exit(e);
    return Outcome::kPrinted;
  } catch (const CLI::ParseError& e) {
    error_ = e.what();
    return Outcome::kBad;
  }
}

std::optional<int> CommandLine::parse_or_exit_status(int argc, char** argv) {
  switch (parse(argc, argv)) {
    case Outcome::kRun:
      return std::nullopt;
    case Outcome::kPrinted:
      return 0;
    case Outcome::kBad:
      break;
  }
  return fail(error_);
}

int CommandLine::fail(const std::string& why) const {
  app_->exit(CLI::ValidationError(why));  // CLI11's own message format
  return kExitBadCommandLine;
}

bool CommandLine::given(const std::string& name) const {
  return app_->count(name) > 0;
}

}  // namespace spanwatch::lib::cli
