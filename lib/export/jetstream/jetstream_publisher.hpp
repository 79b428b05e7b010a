// Publishes the exporter's NDJSON records to a NATS JetStream stream, one message per record on the subject
// "<subject_prefix>.<observer>" (docs/fleet.md).
//
// The exporter lcore calls offer() with each line: a copy into a lock-free SPSC byte queue, never a wait nor
// an allocation; a full queue is a counted drop. A plain thread (never an lcore) owns the libnats connection:
// it moves records into a bounded buffer, publishes them asynchronously with at most `max_in_flight` acks
// outstanding, and puts records whose publish failed or timed out back at the front of the buffer. While no
// server is reachable the buffer fills; when it is full new records are dropped and counted. Each record
// carries a Nats-Msg-Id unique to this run, so a retry of a record the stream already has is discarded by
// JetStream's duplicate window instead of stored twice.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lib/core/counter.hpp"
#include "lib/export/jetstream/nats_connection.hpp"
#include "lib/export/jetstream/record_queue.hpp"
#include "lib/export/jetstream/spill_file.hpp"

namespace spanwatch::lib::jetstream {

struct PublisherOptions {
  ConnectOptions connect;
  std::string stream = "SPANWATCH_FLOWS";
  std::string subject_prefix = "spanwatch.flows";
  std::string observer;        // the subject's last token and the message ids' prefix
  bool create_stream = true;   // create the stream (subjects "<prefix>.>") when it does not exist
  unsigned replicas = 1;       // ... with this many replicas (3 on a 3-node cluster)
  uint32_t max_age_hours = 0;  // ... and this retention; 0 = unlimited
  uint32_t duplicate_window_s = 120;
  size_t queue_bytes = size_t{32} << 20;  // exporter -> publisher thread
  size_t buffer_records = 200000;         // records not yet acknowledged (waiting + in flight)
  unsigned max_in_flight = 4096;          // asynchronous publishes awaiting their ack
  uint32_t ack_timeout_ms = 5000;         // a publish not acknowledged by then is retried
  uint32_t flush_timeout_ms = 15000;      // at exit, how long the buffer gets to empty
  std::string spill_path;  // records beyond buffer_records go to this file ("" = dropped); see spill_file.hpp
  uint64_t spill_max_bytes = uint64_t{1} << 30;
  // A replay (lossless): offer() waits for room in the queue instead of dropping, as the workers wait for
  // the exporter. Live capture keeps false: the exporter never waits for the network.
  bool wait_when_full = false;
};

struct PublisherCounters {
  Counter offered;              // records the exporter handed over
  Counter dropped_queue_full;   // ... that found the SPSC queue full (exporter side)
  Counter published;            // publish calls (first sends and retries)
  Counter acked;                // records the stream acknowledged: stored
  Counter retried;              // publishes that failed or timed out and were queued again
  Counter dropped_buffer_full;  // records dropped because the buffer was full
  Counter dropped_at_exit;      // records still unacknowledged when the flush time ran out (and not spilled)
  Counter spilled;              // records written to the spill file (buffer full, or left at exit)
  Counter unspilled;            // records read back from it
  Counter spill_records;        // gauge: records in the spill file
  Counter publish_errors;       // failed publish calls and negative or missing acks (each retried)
  Counter buffered;             // gauge: records waiting to be (re)sent
  Counter in_flight;            // gauge: records published and not yet acknowledged
  Counter disconnects;          // connection lost (libnats reconnects on its own)
  Counter stream_ready;         // 1 once the stream is known to exist
};

class Publisher {
 public:
  // Starts the thread and begins connecting; an unreachable server is not an error (records buffer).
  // Throws NatsError on bad options.
  explicit Publisher(PublisherOptions o);
  ~Publisher();  // close() if not done
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Exporter lcore only: one record (an NDJSON line; a trailing newline is stripped). Never blocks unless
  // wait_when_full.
  void offer(std::string_view line) noexcept;

  // Waits up to flush_timeout_ms for every record to be acknowledged, then stops the thread and closes the
  // connection. What is left is counted in dropped_at_exit.
  void close() noexcept;

  const PublisherCounters& counters() const noexcept { return ctr_; }
  const PublisherOptions& options() const noexcept { return o_; }
  const std::string& subject() const noexcept { return subject_; }
  bool connected() const noexcept;

 private:
  struct AckResult {
    natsMsg* msg;
    bool ok;
    natsStatus err;  // when not ok
    int js_code;     // JetStream error code, 0 when none (a timeout, no responders)
  };
  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* self) noexcept;
  static void on_conn_state(natsConnection* nc, void* self) noexcept;

  void run() noexcept;
  bool take_acks() noexcept;
  bool take_queue() noexcept;
  bool refill_from_spill() noexcept;
  natsMsg* make_msg(std::string_view rec) noexcept;  // with the next message id; null when out of memory
  bool send_waiting() noexcept;
  void ensure_stream() noexcept;
  void drop_everything_left() noexcept;
  void warn(std::string_view what, const std::string& text) noexcept;

  PublisherOptions o_;
  std::string subject_;
  std::string id_prefix_;  // "<observer>-<run id>-"
  uint64_t next_id_ = 0;
  RecordQueue queue_;
  std::unique_ptr<SpillFile> spill_;  // none: records beyond the buffer are dropped
  PublisherCounters ctr_;

  ConnectionPtr nc_;
  JsContextPtr js_;
  std::deque<natsMsg*> waiting_;  // publisher thread only; owned messages
  size_t in_flight_ = 0;          // publisher thread only
  std::mutex ack_mu_;             // the libnats ack thread -> the publisher thread
  std::vector<AckResult> acks_;
  std::string last_warning_;
  uint64_t next_stream_try_ms_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> closed_{false};
  std::thread thread_;
};

}  // namespace spanwatch::lib::jetstream
