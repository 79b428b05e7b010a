// flow_rows: NDJSON flow records on stdin -> the ClickHouse rows spanwatch-loader would insert for them
// (JSONEachRow, loader/flow_row.cpp), on stdout. For tests that need a loaded table without NATS
// (tests/e2e/history_check.py). Message ids are "<prefix>-<line number>", stream sequences the line number.
//   flow_rows PREFIX < flows.json > rows.jsonl
#include <cstdio>
#include <iostream>
#include <string>

#include "loader/flow_row.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: flow_rows MSG_ID_PREFIX < flows.json > rows.jsonl\n");
    return 2;
  }
  std::string line, out;
  uint64_t n = 0, bad = 0;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    ++n;
    const std::string id = std::string(argv[1]) + "-" + std::to_string(n);
    if (!spanwatch::loader::append_row(line, {id, n}, out)) ++bad;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (bad != 0)
    std::fprintf(stderr, "flow_rows: %llu lines are not JSON objects\n",
                 static_cast<unsigned long long>(bad));
  return bad == 0 ? 0 : 1;
}
