// spanwatch-tail: prints the flow records of spanwatch's shared-memory ring as NDJSON on stdout, one line
// per record (the flow files' JSON, formatted by FlowRingReader from the ring's binary records), for piping
// into jq, Vector, a socket... Records missed because this reader fell behind are counted on stderr, never
// silently skipped. Reads only; it cannot slow the pipeline down.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "lib/cli/command_line.hpp"
#include "lib/ring/flow_ring.hpp"
#include "lib/ring/flow_ring_reader.hpp"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

namespace sw = spanwatch::lib;

struct Options {
  std::string ring = sw::kDefaultFlowRingName;
  bool from_oldest = false;
  bool follow = false;      // keep waiting for a (new) writer instead of exiting when it goes away
  bool final_only = false;  // skip live snapshots and interim records
  bool no_live = false;     // skip live snapshots only
  uint64_t count = 0;       // stop after this many records (0 = no limit)
};

int tail(const Options& o) {
  uint64_t printed = 0, missed = 0;
  bool waiting_said = false;
  while (!g_stop) {
    std::optional<sw::FlowRingReader> reader;
    try {
      sw::ShmRingReaderOptions ro;
      ro.name = o.ring;
      ro.start =
          o.from_oldest ? sw::ShmRingReaderOptions::Start::kOldest : sw::ShmRingReaderOptions::Start::kNewest;
      reader.emplace(ro);
    } catch (const sw::ShmRingError& e) {
      const bool absent = e.code() == sw::ShmRingErrc::kNotFound || e.code() == sw::ShmRingErrc::kNotReady;
      if (!absent || !o.follow) {
        std::fprintf(stderr, "spanwatch-tail: %s\n", e.what());
        return absent ? 3 : 2;
      }
      if (!waiting_said) std::fprintf(stderr, "spanwatch-tail: waiting for ring %s\n", o.ring.c_str());
      waiting_said = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    waiting_said = false;
    while (!g_stop) {
      const sw::FlowReadResult r = reader->next();
      if (r.status == sw::ReadStatus::kRecord) {
        const sw::FlowRecord& rec = reader->record();
        if ((o.final_only && !rec.final) || (o.no_live && rec.reason == sw::EndReason::kLiveUpdate)) continue;
        const std::string_view line = reader->json();
        if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) return 1;  // stdout closed
        if (o.count != 0 && ++printed >= o.count) return 0;
      } else if (r.status == sw::ReadStatus::kOverrun || r.status == sw::ReadStatus::kCorrupt) {
        missed += r.missed;
        std::fprintf(stderr, "spanwatch-tail: %s, missed %llu records (%llu in all)\n",
                     r.status == sw::ReadStatus::kOverrun ? "fell behind" : "corrupt record",
                     static_cast<unsigned long long>(r.missed), static_cast<unsigned long long>(missed));
      } else if (r.status == sw::ReadStatus::kEmpty) {
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      } else if (r.status == sw::ReadStatus::kWriterGone) {
        std::fflush(stdout);
        if (!o.follow) return 0;
        std::fprintf(stderr, "spanwatch-tail: writer of %s went away; waiting for the next one\n",
                     o.ring.c_str());
        break;
      } else {
        std::fprintf(stderr, "spanwatch-tail: %s\n", std::string(sw::name_of(r.status)).c_str());
        return 1;
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  spanwatch::lib::cli::CommandLine cl{"Print spanwatch's live flow records (shared-memory ring) as NDJSON"};
  cl.add("--ring", o.ring, "ring name (config ring.name)").show_default();
  cl.add_flag("--from-oldest", o.from_oldest,
              "start at the oldest record still in the ring (default: new ones)");
  cl.add_flag("-f,--follow", o.follow, "wait for the ring to appear, and for a new writer when it goes away");
  cl.add_flag("--final-only", o.final_only,
              "only final records (as the flow files have them, minus interim)");
  cl.add_flag("--no-live", o.no_live, "skip live snapshots of active flows (event.reason live_update)");
  cl.add("-n,--count", o.count, "exit after this many records");
  if (const auto status = cl.parse_or_exit_status(argc, argv)) return *status;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  return tail(o);
}
