// Start-up and control-path failures: thrown with the name of the call that failed; main() prints the
// message and exits non-zero. The fast path never throws.
#pragma once
#include <stdexcept>
#include <string>

namespace spanwatch::pipeline {

class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or command line (as documented in README).
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitConfigError = 2;

}  // namespace spanwatch::pipeline
