// spanwatch-loader: NATS JetStream (the sensors' flow records) -> ClickHouse. docs/fleet.md.
// Exit codes: 0 stopped by a signal, 1 runtime failure, 2 bad options.
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "lib/cli/command_line.hpp"
#include "loader/flow_loader.hpp"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) {
  g_stop.store(true, std::memory_order_relaxed);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  for (size_t b = 0; b <= s.size();) {
    const size_t e = std::min(s.find(',', b), s.size());
    if (e > b) out.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  namespace sl = spanwatch::loader;
  spanwatch::lib::cli::CommandLine cl{
      "spanwatch-loader: reads spanwatch flow records from a NATS JetStream stream with a durable "
      "pull consumer and inserts them into ClickHouse, acknowledging each batch only after "
      "ClickHouse accepted it."};
  sl::LoaderOptions o;
  std::string servers = "nats://127.0.0.1:4222";
  unsigned stats_interval_s = 10;
  cl.add("--nats", servers, "NATS server URL[,URL...]");
  cl.add("--token", o.nats.token, "NATS token");
  cl.add("--user", o.nats.user, "NATS user");
  cl.add("--password", o.nats.password, "NATS password");
  cl.add("--creds", o.nats.creds_file, "NATS credentials file (JWT + NKey seed)");
  cl.add("--tls-ca", o.nats.tls_ca, "CA file for TLS to NATS");
  cl.add("--tls-cert", o.nats.tls_cert, "client certificate for TLS to NATS");
  cl.add("--tls-key", o.nats.tls_key, "client key for TLS to NATS");
  cl.add("--stream", o.stream, "JetStream stream").show_default();
  cl.add("--subject", o.subject, "subject filter of the consumer").show_default();
  cl.add("--durable", o.durable, "durable consumer name; loaders with the same name share the work")
      .show_default();
  cl.add("--clickhouse", o.clickhouse.url, "ClickHouse HTTP URL").show_default();
  cl.add("--database", o.clickhouse.database, "ClickHouse database").show_default();
  cl.add("--table", o.clickhouse.table, "table to insert into (scripts/clickhouse-schema.sql)")
      .show_default();
  cl.add("--ch-user", o.clickhouse.user, "ClickHouse user");
  cl.add("--ch-password", o.clickhouse.password, "ClickHouse password");
  cl.add("--batch", o.batch, "rows per INSERT").range(1u, 1'000'000u).show_default();
  cl.add("--max-wait-ms", o.max_wait_ms, "insert a partial batch after this long")
      .range(1u, 600'000u)
      .show_default();
  cl.add("--ack-wait-s", o.ack_wait_s, "consumer AckWait: unacked records come again after it")
      .range(1u, 3600u)
      .show_default();
  cl.add("--max-ack-pending", o.max_ack_pending, "consumer MaxAckPending (all loaders together)")
      .range(1u, 10'000'000u)
      .show_default();
  cl.add("--retry-delay-ms", o.retry_delay_ms, "after a failed insert, wait this long")
      .range(1u, 600'000u)
      .show_default();
  cl.add("--stats-interval-s", stats_interval_s, "print counters this often (0: only at exit)")
      .show_default();
  if (const auto status = cl.parse_or_exit_status(argc, argv)) return *status;
  o.nats.servers = split_commas(servers);
  o.nats.name = "spanwatch-loader " + o.durable;
  if (o.max_ack_pending < o.batch) {
    std::fprintf(stderr, "spanwatch-loader: --max-ack-pending %u < --batch %u: a batch could never fill\n",
                 o.max_ack_pending, o.batch);
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    sl::FlowLoader loader(o);
    loader.run(g_stop, stats_interval_s);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "spanwatch-loader: %s\n", e.what());
    return 2;
  } catch (const spanwatch::lib::jetstream::NatsError& e) {
    std::fprintf(stderr, "spanwatch-loader: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spanwatch-loader: fatal: %s\n", e.what());
    return 1;
  }
  return 0;
}
