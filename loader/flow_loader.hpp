// spanwatch-loader's loop: fetch records from a durable JetStream pull consumer, insert them into ClickHouse
// in batches, and ack a batch only after ClickHouse accepted it. A crash of the loader or of ClickHouse
// before the ack redelivers the batch (at most one batch per loader of duplicates, each countable by msg_id);
// nothing acknowledged is missing from ClickHouse. Several loaders may share one durable consumer.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/core/counter.hpp"
#include "lib/export/jetstream/nats_connection.hpp"
#include "loader/clickhouse_client.hpp"

namespace spanwatch::loader {

struct LoaderOptions {
  lib::jetstream::ConnectOptions nats;
  std::string stream = "SPANWATCH_FLOWS";
  std::string subject = "spanwatch.flows.>";  // the consumer's filter
  std::string durable = "spanwatch-loader";
  unsigned batch = 5000;             // rows per INSERT
  unsigned max_wait_ms = 1000;       // a partial batch is inserted after this long
  unsigned ack_wait_s = 30;          // the consumer's AckWait: unacked records are redelivered after it
  unsigned max_ack_pending = 50000;  // the consumer's limit on delivered, unacked records (all loaders)
  unsigned retry_delay_ms = 1000;    // after a failed insert, before the batch is delivered again
  ClickHouseOptions clickhouse;
};

struct LoaderCounters {
  lib::Counter fetched;        // messages received (redeliveries included)
  lib::Counter redelivered;    // ... delivered before (a crash or failed insert earlier)
  lib::Counter rows_inserted;  // rows ClickHouse accepted
  lib::Counter batches;        // successful INSERTs
  lib::Counter insert_errors;  // failed INSERTs (their batch is NAKed and comes again)
  lib::Counter bad_records;    // messages that are not a JSON object (terminated, never redelivered)
  lib::Counter fetch_errors;   // fetches that failed other than by timing out
};

class FlowLoader {
 public:
  explicit FlowLoader(
      LoaderOptions o);  // connects (or keeps trying in the background); throws on bad options
  ~FlowLoader();

  // Runs until `stop` is set; the batch in hand is inserted and acked (or NAKed) before returning.
  void run(const std::atomic<bool>& stop, unsigned stats_interval_s);
  const LoaderCounters& counters() const noexcept { return ctr_; }
  std::string stats_line() const;

 private:
  bool subscribe();
  void flush();

  LoaderOptions o_;
  ClickHouseClient ch_;
  lib::jetstream::ConnectionPtr nc_;
  lib::jetstream::JsContextPtr js_;
  natsSubscription* sub_ = nullptr;
  std::vector<natsMsg*> batch_;
  std::string rows_;
  std::string last_error_;
  LoaderCounters ctr_;
};

}  // namespace spanwatch::loader
