// Test tool: publishes synthetic flow records (the pipeline's JSON shape, about 1 KB each) into a flow ring
// as fast as it can, or at a given rate, for the viewer's load and memory test. Each record belongs to one
// of --flows flow ids, cycled, so the viewer sees both updates and new flows.
//   ring_load_writer --ring /name --seconds S [--rate R] [--flows N] [--capacity C]
// Prints one JSON line with what it published.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lib/ring/flow_ring.hpp"
#include "lib/ring/shm_ring_writer.hpp"

namespace {

std::string record(uint64_t n, uint64_t flow) {
  const unsigned a = static_cast<unsigned>(flow % 250) + 1, b = static_cast<unsigned>((flow / 250) % 250) + 1;
  const uint64_t bytes = 1000 + n % 100000;
  return fmt::format(
      R"({{"@timestamp":"2026-01-01T00:00:{:02}.000000Z","ecs":{{"version":"8.17.0"}},"event":{{"kind":"event",)"
      R"("category":["network"],"type":["connection","info"],"dataset":"spanwatch.flow",)"
      R"("start":"2026-01-01T00:00:00.000000Z","end":"2026-01-01T00:00:{:02}.{:06}Z","duration":1000000000,)"
      R"("reason":"live_update"}},"observer":{{"hostname":"load","name":"load","ingress":{{"interface":{{"name":"pcap0"}}}}}},)"
      R"("network":{{"transport":"tcp","iana_number":"6","type":"ipv4","bytes":{},"packets":{},"protocol":"tls",)"
      R"("application":"google","community_id":"1:NytGCB+pUb7TXxj1r48OVFhM6Rk="}},)"
      R"("source":{{"ip":"10.{}.{}.1","port":{},"mac":"28-37-37-00-6D-C8","bytes":{},"packets":{}}},)"
      R"("destination":{{"ip":"172.16.{}.{}","port":443,"mac":"10-13-31-F1-39-76","bytes":{},"packets":{}}},)"
      R"("related":{{"ip":["10.{}.{}.1","172.16.{}.{}"]}},"tls":{{"version":"1.3","version_protocol":"tls",)"
      R"("client":{{"server_name":"host-{}.load-test.example.com","ja3":"b20b44b18b853ef29ab773e921b03422"}},)"
      R"("server":{{"ja3s":"3653a20186a5b490426131a611e01992"}}}},"spanwatch":{{"flow":{{"id":"w0-{:012}","final":false,)"
      R"("sequence":0}},"src":{{"ip_bytes":{},"payload_bytes":{}}},"dst":{{"ip_bytes":{},"payload_bytes":{}}},)"
      R"("tcp":{{"conn_state":"S1","conn_state_major":"ESTABLISHED","history":"ShADad","flags":"1b","flags_ts":"1b",)"
      R"("flags_tc":"1b"}},"l7":{{"proto":"tls.google","master":"tls","app":"google","category":"Web","state":"detected",)"
      R"("info":"host-{}.load-test.example.com"}},"tls":{{"ja4":"t13d1814h2_29a2cd9e9f10_d267a5f792d4",)"
      R"("client_alpns":["h2","http/1.1"]}}}}}})",
      n % 60, n % 60, n % 1000000, bytes, n % 1000 + 2, a, b, 1024 + flow % 60000, bytes / 3, n % 500 + 1, a, b,
      bytes - bytes / 3, n % 500 + 1, a, b, a, b, flow, flow, bytes / 3, bytes / 4, bytes - bytes / 3, bytes / 2, flow);
}

}  // namespace

int main(int argc, char** argv) {
  std::string ring = "/spanwatch-load";
  double seconds = 5, rate = 0;
  uint64_t flows = 1'000'000, capacity = 16384;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view k = argv[i];
    if (k == "--ring") ring = argv[i + 1];
    else if (k == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (k == "--rate") rate = std::atof(argv[i + 1]);
    else if (k == "--flows") flows = std::strtoull(argv[i + 1], nullptr, 10);
    else if (k == "--capacity") capacity = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "ring_load_writer: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  spanwatch::lib::ShmRingWriterOptions o;
  o.name = ring;
  o.capacity = capacity;
  o.max_payload_bytes = 4096;
  o.record_type = spanwatch::lib::kFlowRingRecordType;
  spanwatch::lib::ShmRingWriter w(o);
  // Pre-render a pool of records so the writer's speed is the ring's, not fmt's.
  constexpr uint64_t kPool = 4096;
  std::vector<std::string> pool;
  pool.reserve(kPool);
  for (uint64_t i = 0; i < kPool; ++i) pool.push_back(record(i, i));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the reader attach
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  uint64_t n = 0, bytes = 0;
  std::string rec;
  while (true) {
    if ((n & 255) == 0) {
      const auto now = Clock::now();
      if (now >= end) break;
      if (rate > 0) {
        const auto due = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(n / rate));
        if (due > now) std::this_thread::sleep_until(due);
      }
    }
    // Vary the flow id inside the pre-rendered text: replace the 12 digits after "w0-".
    rec = pool[n % kPool];
    const size_t at = rec.find("\"id\":\"w0-") + 9;
    const std::string id = fmt::format("{:012}", n % flows);
    rec.replace(at, 12, id);
    w.publish(rec.data(), static_cast<uint32_t>(rec.size()));
    bytes += rec.size();
    ++n;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"published\":%llu,\"seconds\":%.3f,\"records_per_s\":%.0f,\"avg_bytes\":%.0f}\n",
              static_cast<unsigned long long>(n), secs, n / secs, n ? double(bytes) / n : 0.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the reader drain before the ring goes
  return 0;
}
