// Test tool: publishes synthetic flow records (BIN4-encoded TLS flows, about 1 KB each as JSON) into a flow
// ring as fast as it can, or at a given rate, for the viewer's load and memory test. Each record belongs to
// one of --flows flow ids, cycled, so the viewer sees both updates and new flows.
//   ring_load_writer --ring /name --seconds S [--rate R] [--flows N] [--capacity C]
// Prints one JSON line with what it published.
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lib/export/test_records.hpp"
#include "lib/ring/flow_record_codec.hpp"
#include "lib/ring/flow_ring_writer.hpp"

namespace {

namespace sw = spanwatch::lib;

// A TLS flow of the pipeline's shape (lib/export/test_records.hpp's, varied), an interim record.
sw::FlowRecord record(uint64_t n, uint64_t flow) {
  sw::FlowRecord r = sw::tls_record();
  const auto a = static_cast<uint8_t>(flow % 250 + 1), b = static_cast<uint8_t>((flow / 250) % 250 + 1);
  const uint64_t bytes = 1000 + n % 100000;
  r.src_ip = sw::v4(10, a, b, 1);
  r.dst_ip = sw::v4(172, 16, a, b);
  r.src_port = static_cast<uint16_t>(1024 + flow % 60000);
  r.dst_port = 443;
  r.dir[0].frame_bytes = bytes / 3;
  r.dir[1].frame_bytes = bytes - bytes / 3;
  r.dir[0].packets = r.dir[1].packets = n % 500 + 1;
  r.last_ns = r.first_ns + (n % 60) * 1'000'000'000ull;
  r.reason = sw::EndReason::kLiveUpdate;
  r.final = false;
  sw::set_text(r.app.tls.sni, fmt::format("host-{}.load-test.example.com", flow));
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string ring = "/spanwatch-load";
  double seconds = 5, rate = 0;
  uint64_t flows = 1'000'000, capacity = 16384;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view k = argv[i];
    if (k == "--ring")
      ring = argv[i + 1];
    else if (k == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (k == "--rate")
      rate = std::atof(argv[i + 1]);
    else if (k == "--flows")
      flows = std::strtoull(argv[i + 1], nullptr, 10);
    else if (k == "--capacity")
      capacity = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "ring_load_writer: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  spanwatch::lib::ShmRingWriterOptions o;
  o.name = ring;
  o.capacity = capacity;
  o.max_payload_bytes = 4096;
  sw::FlowRingWriter w(o, sw::full_context());
  // Prepare a pool of records so the writer's speed is the ring's, not fmt's.
  constexpr uint64_t kPool = 4096;
  std::vector<sw::FlowRecord> pool;
  pool.reserve(kPool);
  for (uint64_t i = 0; i < kPool; ++i) pool.push_back(record(i, i));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the reader attach
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  uint64_t n = 0, bytes = 0;
  std::array<std::byte, 4096> enc;
  size_t last_bytes = 0;
  while (true) {
    if ((n & 255) == 0) {
      const auto now = Clock::now();
      if (now >= end) break;
      if (rate > 0) {
        const auto due =
            start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(n / rate));
        if (due > now) std::this_thread::sleep_until(due);
      }
    }
    sw::FlowRecord& rec = pool[n % kPool];
    rec.flow_id = n % flows;
    w.publish(rec, nullptr);
    if ((n & 1023) == 0) last_bytes = sw::encode_flow_record(rec, nullptr, enc.data(), enc.size());
    bytes += last_bytes;
    ++n;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"published\":%llu,\"seconds\":%.3f,\"records_per_s\":%.0f,\"avg_bytes\":%.0f}\n",
              static_cast<unsigned long long>(n), secs, n / secs, n ? double(bytes) / n : 0.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the reader drain before the ring goes
  return 0;
}
