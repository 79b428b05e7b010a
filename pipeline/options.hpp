// Command line: a config file plus convenience flags that build a config for the common cases
// (--pcap replay through net_pcap without hugepages, --iface through net_af_packet).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "lib/config/spanwatch_config.hpp"
#include "pipeline/pcap_probe.hpp"

namespace spanwatch::pipeline {

struct RunPlan {
  lib::SpanwatchConfig config;
  std::vector<lib::LinkType> port_link_types;  // same order as config.ports
  std::vector<PcapInfo> pcaps;                 // replay mode: the files, in order
  bool replay = false;                         // finite input: process everything, flush, exit 0
  bool print_config = false;
  unsigned hold_ring_s = 0;   // --hold-ring
  bool print_schema = false;  // print the flow record's JSON Schema and exit (needs no other option)
};

// Parses argv. Returns nullopt after printing help/version (exit 0). Throws lib::ConfigException or
// StartupError for bad input (exit 2).
std::optional<RunPlan> parse_command_line(int argc, char** argv);

}  // namespace spanwatch::pipeline
