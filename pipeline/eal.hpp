// The DPDK Environment Abstraction Layer for the process's lifetime: builds the EAL arguments from the
// config, runs rte_eal_init, and rte_eal_cleanup on destruction. Declare it first in main().
#pragma once
#include <string>
#include <vector>

#include "lib/config/spanwatch_config.hpp"

namespace spanwatch::pipeline {

class Eal {
 public:
  explicit Eal(const lib::SpanwatchConfig& cfg);
  ~Eal();
  Eal(const Eal&) = delete;
  Eal& operator=(const Eal&) = delete;

  const std::vector<std::string>& args() const noexcept { return args_; }

  // EAL arguments for a config (exposed for logging and tests).
  static std::vector<std::string> build_args(const lib::SpanwatchConfig& cfg);

 private:
  std::vector<std::string> args_;
  std::string runtime_dir_;  // temporary runtime dir we created (removed at exit), empty if none
};

}  // namespace spanwatch::pipeline
