// Benchmark of the viewer's parse-and-store path (IngestBatch into FlowStore, as the ring reader runs it)
// over a fixed set of records: an NDJSON file (e.g. flows.json of corpus replays) replayed --passes times.
//   ingest_bench FILE [--passes N] [--mode new|update] [--memory-mb M] [--max-flows F]
// --mode new gives every pass a new writer run, so every record is a new flow and the store evicts to its
// bounds (final records of short flows); --mode update keeps one run (snapshots of the same flows).
// Prints records per CPU second (CPU time of this process: less sensitive to a loaded machine than wall
// time); run it under callgrind for an instruction count per record.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "viewer/ingest_batch.hpp"

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace spanwatch::viewer;
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: ingest_bench FILE [--passes N] [--mode new|update] [--memory-mb M] [--max-flows F]\n");
    return 2;
  }
  int passes = 30;
  bool fresh = true;
  StoreLimits limits;
  limits.max_bytes = size_t{64} << 20;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string_view k = argv[i];
    if (k == "--passes")
      passes = std::atoi(argv[i + 1]);
    else if (k == "--mode")
      fresh = std::string_view(argv[i + 1]) == "new";
    else if (k == "--memory-mb")
      limits.max_bytes = std::strtoull(argv[i + 1], nullptr, 10) << 20;
    else if (k == "--max-flows")
      limits.max_flows = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "ingest_bench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  std::ifstream in(argv[1]);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  if (lines.empty()) {
    std::fprintf(stderr, "ingest_bench: no records in %s\n", argv[1]);
    return 1;
  }
  SharedFlowStore store(limits);
  IngestBatch batch(512);
  std::vector<char> buf;  // the ring reader's buffer: records are parsed in place there
  uint64_t n = 0, rejected = 0;
  const double t0 = cpu_seconds();
  for (int p = 0; p < passes; ++p) {
    const uint32_t run = fresh ? static_cast<uint32_t>(p) + 1 : 1;
    for (const std::string& l : lines) {
      buf.resize(l.size() + 1 + RecordParser::kPadding);
      std::copy(l.begin(), l.end(), buf.begin());
      if (batch.add(buf.data(), l.size(), run) != ParseStatus::kOk) ++rejected;
      if (batch.full()) batch.flush(store, 1000);
      ++n;
    }
  }
  batch.flush(store, 1000);
  const double dt = cpu_seconds() - t0;
  std::printf("records %llu (rejected %llu) in %.3f CPU s: %.0f records/s; store %zu flows, %zu bytes\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(rejected), dt,
              static_cast<double>(n) / dt, store.store.size(), store.store.bytes());
  return 0;
}
