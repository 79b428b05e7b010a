#include "lib/cli/command_line.hpp"

#include <gtest/gtest.h>


namespace spanwatch::lib::cli {
namespace {

using Outcome = CommandLine::Outcome;

// argv as main() gets it, program name first.
class Argv {
 public:
  explicit Argv(const std::vector<std::string>& args) : strings_{"prog"} {
    strings_.insert(strings_.end(), args.begin(), args.end());
    for (std::string& s : strings_) pointers_.push_back(s.data());
  }
  Argv(const Argv&) = delete;  // pointers_ point into strings_
  Argv& operator=(const Argv&) = delete;
  int argc() const { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

struct Values {
  std::string name;
  std::vector<std::string> files;
  unsigned workers = 0;
  uint64_t count = 0;
  double share = 0.5;
  std::optional<uint16_t> port;
  std::optional<uint32_t> max_flows;
  std::string start;
  bool verbose = false;
};

struct Fixture : ::testing::Test {
  Fixture() : cl("prog: does things") {
    cl.add("-n,--name", v.name, "a name").show_default();
    cl.add("--file", v.files, "a file to read").existing_file();
    cl.add("--workers", v.workers, "worker count").range(1u, 64u);
    cl.add("--count", v.count, "how many").positive();
    cl.add("--share", v.share, "a share").range(0.0, 0.9);
    cl.add("--port", v.port, "a port");
    cl.add("--max-flows", v.max_flows, "flows kept").range(1u, 1000u);
    cl.add("--start", v.start, "where to start").one_of({"oldest", "newest"});
    cl.add_flag("-v,--verbose", v.verbose, "say more");
    cl.set_version("prog 1.2.3");
  }
  Outcome parse(const std::vector<std::string>& args) {
    Argv a(args);
    return cl.parse(a.argc(), a.argv());
  }

  Values v;
  CommandLine cl;
};

TEST_F(Fixture, SetsEveryKindOfValue) {
  ASSERT_EQ(parse({"-n", "x", "--file", "/dev/null", "--file", "/etc/hostname", "--workers", "4", "--count",
                   "18446744073709551615", "--share", "0.25", "--port", "0", "--start", "newest", "-v"}),
            Outcome::kRun)
      << cl.error();
  EXPECT_EQ(v.name, "x");
  EXPECT_EQ(v.files, (std::vector<std::string>{"/dev/null", "/etc/hostname"}));
  EXPECT_EQ(v.workers, 4u);
  EXPECT_EQ(v.count, UINT64_MAX);
  EXPECT_DOUBLE_EQ(v.share, 0.25);
  EXPECT_EQ(v.port, std::optional<uint16_t>(0));
  EXPECT_FALSE(v.max_flows.has_value());
  EXPECT_EQ(v.start, "newest");
  EXPECT_TRUE(v.verbose);
  EXPECT_TRUE(cl.given("--port"));
  EXPECT_FALSE(cl.given("--max-flows"));
}

TEST_F(Fixture, NothingGivenKeepsTheDefaults) {
  ASSERT_EQ(parse({}), Outcome::kRun);
  EXPECT_EQ(v.workers, 0u);
  EXPECT_DOUBLE_EQ(v.share, 0.5);
  EXPECT_FALSE(v.port.has_value());
  EXPECT_FALSE(v.verbose);
  EXPECT_FALSE(cl.given("--name"));
}

TEST_F(Fixture, RejectsBadValuesNamingTheOption) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--workers", "65"}, "--workers"}, {{"--workers", "four"}, "--workers"},
      {{"--count", "0"}, "--count"},      {{"--share", "0.95"}, "--share"},
      {{"--port", "65536"}, "--port"},    {{"--max-flows", "1001"}, "--max-flows"},
      {{"--start", "middle"}, "--start"}, {{"--file", "/nonexistent/x.pcap"}, "/nonexistent/x.pcap"},
      {{"--bogus"}, "--bogus"},           {{"--workers"}, "--workers"},
  };
  for (const auto& [args, named] : cases) {
    Values fresh;
    v = fresh;
    EXPECT_EQ(parse(args), Outcome::kBad) << named;
    EXPECT_NE(cl.error().find(named), std::string::npos) << cl.error();
  }
}

TEST(CommandLine, RequiredOptionMissing) {
  CommandLine cl("prog");
  std::string out;
  cl.add("--out", out, "file to write").required();
  Argv none(std::vector<std::string>{});
  EXPECT_EQ(cl.parse(none.argc(), none.argv()), Outcome::kBad);
  EXPECT_NE(cl.error().find("--out"), std::string::npos) << cl.error();
  Argv given({"--out", "f"});
  EXPECT_EQ(cl.parse(given.argc(), given.argv()), Outcome::kRun);
  EXPECT_EQ(out, "f");
}

TEST_F(Fixture, HelpListsOptionsRangesAndDefaults) {
  v.name = "default-name";
  CommandLine with_default("prog");
  with_default.add("--name", v.name, "a name").show_default();
  ::testing::internal::CaptureStdout();
  Argv help({"--help"});
  EXPECT_EQ(with_default.parse(help.argc(), help.argv()), Outcome::kPrinted);
  const std::string defaults = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(defaults.find("default-name"), std::string::npos) << defaults;

  ::testing::internal::CaptureStdout();
  EXPECT_EQ(parse({"--help"}), Outcome::kPrinted);
  const std::string text = ::testing::internal::GetCapturedStdout();
  for (const char* want : {"prog: does things", "-n,--name", "--file", "a file to read", "[1 - 64]",
                           "[0 - 0.9]", "{oldest,newest}", "-v,--verbose", "--version"})
    EXPECT_NE(text.find(want), std::string::npos) << want << " not in:\n" << text;
}

TEST_F(Fixture, VersionPrintsTheText) {
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(parse({"--version"}), Outcome::kPrinted);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "prog 1.2.3\n");
}

TEST_F(Fixture, ExitStatusZeroAfterHelpTwoAfterAnError) {
  ::testing::internal::CaptureStdout();
  Argv help({"--help"});
  EXPECT_EQ(cl.parse_or_exit_status(help.argc(), help.argv()), 0);
  ::testing::internal::GetCapturedStdout();

  ::testing::internal::CaptureStderr();
  Argv bad({"--workers", "0"});
  EXPECT_EQ(cl.parse_or_exit_status(bad.argc(), bad.argv()), kExitBadCommandLine);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("--workers"), std::string::npos) << err;
  EXPECT_NE(err.find("Run with --help for more information."), std::string::npos) << err;

  Argv good({"--workers", "2"});
  EXPECT_EQ(cl.parse_or_exit_status(good.argc(), good.argv()), std::nullopt);
  EXPECT_EQ(v.workers, 2u);
}

TEST_F(Fixture, FailPrintsTheReasonAndTheHelpHint) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(cl.fail("--mix: 'x=1': expected NAME=SHARE"), kExitBadCommandLine);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "--mix: 'x=1': expected NAME=SHARE\nRun with --help for more information.\n");
}

}  // namespace
}  // namespace spanwatch::lib::cli
