// Records per second JsonFlowWriter turns into NDJSON on one core: a TCP record with every base field,
// and a full TLS record (SNI, JA3/JA3S/JA4, certificate, risks), median of 5 runs. Rates are per second of
// this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so a shared, busy machine does not halve them. Not a
// test: timing belongs in scripts/bench.sh's report, not in pass/fail.
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>
#include <vector>

#include "lib/export/json_flow_writer.hpp"
#include "lib/export/test_records.hpp"

namespace {

using namespace spanwatch::lib;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

double records_per_second(const FlowRecord& rec, size_t n) {
  JsonFlowWriter w(full_context());
  rapidjson::StringBuffer buf;
  size_t bytes = 0;
  const double t0 = cpu_seconds();
  for (size_t i = 0; i < n; ++i) {
    if ((i & 63) == 0) buf.Clear();  // as the exporter: one buffer per burst
    bytes += w.write(rec, buf);
  }
  const double s = cpu_seconds() - t0;
  if (bytes == 0) std::puts("nothing written");
  return double(n) / s;
}

void report(const char* name, const FlowRecord& rec, size_t n) {
  std::vector<double> runs;
  JsonFlowWriter w(full_context());
  rapidjson::StringBuffer one;
  const size_t bytes = w.write(rec, one);
  for (int i = 0; i < 5; ++i) runs.push_back(records_per_second(rec, n));
  std::sort(runs.begin(), runs.end());
  std::printf(
      "json_writer %-10s %5zu B/record  %6.2f M records/s per CPU second (median of 5; min %.2f, max %.2f)\n",
      name, bytes, runs[2] / 1e6, runs[0] / 1e6, runs[4] / 1e6);
}

}  // namespace

// argv[1]: records per run (default 500000; small counts for valgrind --tool=callgrind). argv[2], optional:
// only this record (tcp, tls_full or dns), so callgrind's count per record is one record's.
int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 500'000;
  const std::string_view only = argc > 2 ? argv[2] : "";
  if (only.empty() || only == "tcp") report("tcp", tcp_record(), n);
  if (only.empty() || only == "tls_full") report("tls_full", tls_record(), n);
  if (only.empty() || only == "dns") report("dns", dns_record(), n);
  return 0;
}
