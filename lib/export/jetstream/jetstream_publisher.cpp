#include "lib/export/jetstream/jetstream_publisher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

namespace spanwatch::lib::jetstream {
namespace {

constexpr size_t kPopBatch = 512;            // records moved from the queue per loop
constexpr uint64_t kRetryPauseMs = 100;      // after a failed publish or ack, before sending again ...
constexpr uint64_t kMaxRetryPauseMs = 2000;  // ... doubling while failures go on
constexpr uint64_t kStreamRetryMs = 1000;    // stream lookup / creation attempts
constexpr int64_t kNsPerSecond = 1'000'000'000;

uint64_t steady_ms() noexcept {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

// Distinguishes this run's message ids from an earlier run's: the sensor may restart within the duplicate
// window, and its counter starts again at 0.
uint64_t run_id() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd() ^
         uint64_t(std::chrono::system_clock::now().time_since_epoch().count());
}

}  // namespace

Publisher::Publisher(PublisherOptions o)
    : o_(std::move(o)),
      subject_(subject_for(o_.subject_prefix, o_.observer)),
      id_prefix_(fmt::format("{}-{:016x}-", subject_.substr(o_.subject_prefix.size() + 1), run_id())),
      queue_(o_.queue_bytes) {
  if (!o_.spill_path.empty()) {
    try {
      spill_ = std::make_unique<SpillFile>(o_.spill_path, o_.spill_max_bytes);
    } catch (const std::exception& e) {
      throw NatsError(e.what());
    }
    ctr_.spill_records.set(spill_->records());
    if (spill_->records() != 0)
      std::fprintf(stderr, "spanwatch: nats: %llu records left in %s by an earlier run will be sent\n",
                   (unsigned long long)spill_->records(), o_.spill_path.c_str());
  }
  nc_ = connect(o_.connect, &Publisher::on_conn_state, this);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = int64_t(o_.max_in_flight) + 1;  // we keep under it ourselves: never stall
  jo.PublishAsync.AckHandler = &Publisher::on_ack;
  jo.PublishAsync.AckHandlerClosure = this;
  jsCtx* js = nullptr;
  if (natsStatus s = natsConnection_JetStream(&js, nc_.get(), &jo); s != NATS_OK)
    throw NatsError(nats_error_text("nats JetStream context", s));
  js_.reset(js);
  thread_ = std::thread([this] { run(); });
}

Publisher::~Publisher() {
  close();
  for (const AckResult& a : acks_) natsMsg_Destroy(a.msg);
}

bool Publisher::connected() const noexcept {
  return nc_ && natsConnection_Status(nc_.get()) == NATS_CONN_STATUS_CONNECTED;
}

void Publisher::offer(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  ctr_.offered.add(1);
  if (queue_.push(line)) return;
  while (o_.wait_when_full && !stopping_.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    if (queue_.push(line)) return;
  }
  ctr_.dropped_queue_full.add(1);
}

void Publisher::on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* self) noexcept {
  auto* p = static_cast<Publisher*>(self);
  const natsStatus err = pae ? pae->Err : NATS_OK;
  const int code = pae ? int(pae->ErrCode) : 0;
  std::lock_guard lock(p->ack_mu_);
  p->acks_.push_back(
      {msg, pa != nullptr, err, code});  // the message is ours now: kept for a retry or destroyed
}

void Publisher::on_conn_state(natsConnection* nc, void* self) noexcept {
  auto* p = static_cast<Publisher*>(self);
  if (natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED && !p->closed_.load(std::memory_order_relaxed))
    p->ctr_.disconnects.add(1);
}

void Publisher::warn(std::string_view what, const std::string& text) noexcept {
  const std::string line = fmt::format("{}: {}", what, text);
  if (line == last_warning_) return;  // once per change, not per retry
  last_warning_ = line;
  std::fprintf(stderr, "spanwatch: nats: %s (records are kept and retried; see stats.json)\n", line.c_str());
}

bool Publisher::take_acks() noexcept {
  std::vector<AckResult> got;
  {
    std::lock_guard lock(ack_mu_);
    got.swap(acks_);
  }
  for (const AckResult& a : got) {
    --in_flight_;
    if (a.ok) {
      ctr_.acked.add(1);
      natsMsg_Destroy(a.msg);
    } else {
      ctr_.retried.add(1);
      ctr_.publish_errors.add(1);
      warn("publish not acknowledged",
           fmt::format("{} (JetStream error code {})", natsStatus_GetText(a.err), a.js_code));
      waiting_.push_front(a.msg);  // oldest first: it goes out again before newer records
    }
  }
  return !got.empty();
}

natsMsg* Publisher::make_msg(std::string_view rec) noexcept {
  natsMsg* m = nullptr;
  if (natsMsg_Create(&m, subject_.c_str(), nullptr, rec.data(), static_cast<int>(rec.size())) != NATS_OK)
    return nullptr;
  char id[128];
  auto r = fmt::format_to_n(id, sizeof id - 1, "{}{}", id_prefix_, next_id_++);
  *r.out = '\0';
  natsMsgHeader_Set(m, "Nats-Msg-Id", id);
  return m;
}

bool Publisher::take_queue() noexcept {
  const size_t n = queue_.pop(
      [this](std::string_view rec) {
        const bool room = waiting_.size() + in_flight_ < o_.buffer_records;
        // Once records are on disk, newer ones follow them there, so they go out in order.
        if (spill_ && (!room || spill_->records() != 0) && spill_->append(rec)) {
          ctr_.spilled.add(1);
          return;
        }
        natsMsg* m = room ? make_msg(rec) : nullptr;
        if (m == nullptr) {
          ctr_.dropped_buffer_full.add(1);  // full (or out of memory, which is full in effect)
          return;
        }
        waiting_.push_back(m);
      },
      kPopBatch);
  return n != 0;
}

bool Publisher::refill_from_spill() noexcept {
  if (!spill_) return false;
  size_t n = 0;
  std::string rec;
  while (n < kPopBatch && spill_->records() != 0 && waiting_.size() + in_flight_ < o_.buffer_records) {
    if (!spill_->pop(rec)) break;
    natsMsg* m = make_msg(rec);
    if (m == nullptr) break;
    waiting_.push_back(m);
    ctr_.unspilled.add(1);
    ++n;
  }
  return n != 0;
}

bool Publisher::send_waiting() noexcept {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = o_.ack_timeout_ms;
  size_t sent = 0;
  while (!waiting_.empty() && in_flight_ < o_.max_in_flight) {
    natsMsg* m = waiting_.front();
    const natsStatus s = js_PublishMsgAsync(js_.get(), &m, &po);
    if (s != NATS_OK) {  // still ours: keep it first in line and pause
      ctr_.publish_errors.add(1);
      warn("publish", nats_error_text("js_PublishMsgAsync", s));
      return sent != 0;
    }
    waiting_.pop_front();
    ++in_flight_;
    ++sent;
    ctr_.published.add(1);
  }
  return sent != 0;
}

void Publisher::ensure_stream() noexcept {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = jsErrCode(0);
  natsStatus s = js_GetStreamInfo(&si, js_.get(), o_.stream.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND && o_.create_stream) {
    const std::string subjects = o_.subject_prefix + ".>";
    const char* subj[] = {subjects.c_str()};
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = o_.stream.c_str();
    sc.Subjects = subj;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Replicas = o_.replicas;
    sc.MaxAge = int64_t(o_.max_age_hours) * 3600 * kNsPerSecond;
    sc.Duplicates = int64_t(o_.duplicate_window_s) * kNsPerSecond;
    s = js_AddStream(&si, js_.get(), &sc, nullptr, &jerr);
    if (s == NATS_OK)
      std::fprintf(stderr, "spanwatch: nats: created stream %s (subjects %s, %u replicas)\n",
                   o_.stream.c_str(), subjects.c_str(), o_.replicas);
  }
  if (si) jsStreamInfo_Destroy(si);
  if (s == NATS_OK) {
    ctr_.stream_ready.set(1);
    return;
  }
  warn(fmt::format("stream {}", o_.stream), s == NATS_NOT_FOUND
                                                ? std::string("does not exist (nats.create_stream is false)")
                                                : nats_error_text("lookup/create", s));
}

void Publisher::run() noexcept {
  uint64_t deadline = 0;  // set once stopping
  uint64_t pause_until = 0;
  uint64_t pause_ms = kRetryPauseMs;
  for (;;) {
    const uint64_t now = steady_ms();
    const uint64_t errors = ctr_.publish_errors.get();
    bool busy = take_acks();
    busy |= refill_from_spill();  // disk first: those records are older than the queue's
    busy |= take_queue();
    const bool up = connected();
    if (up && ctr_.stream_ready.get() == 0 && now >= next_stream_try_ms_) {
      ensure_stream();
      next_stream_try_ms_ = now + kStreamRetryMs;
    }
    if (up && ctr_.stream_ready.get() != 0 && now >= pause_until) {
      busy |= send_waiting();
    }
    // Failed publishes and negative acks (no stream leader yet, a node gone) pause sending briefly, so
    // retries do not spin.
    if (ctr_.publish_errors.get() != errors) {
      pause_until = now + pause_ms;
      pause_ms = std::min(pause_ms * 2, kMaxRetryPauseMs);
    } else if (busy) {
      pause_ms = kRetryPauseMs;
    }
    ctr_.buffered.set(waiting_.size());
    if (spill_) ctr_.spill_records.set(spill_->records());
    ctr_.in_flight.set(in_flight_);
    if (stopping_.load(std::memory_order_acquire)) {
      if (deadline == 0) deadline = now + o_.flush_timeout_ms;
      const bool drained =
          queue_.empty() && waiting_.empty() && in_flight_ == 0 && (!spill_ || spill_->records() == 0);
      if (drained || now >= deadline) break;
    }
    if (!busy) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  drop_everything_left();
}

void Publisher::drop_everything_left() noexcept {
  // What is left goes to the spill file for the next run when there is one, else it is counted as lost.
  uint64_t left = 0;
  auto keep = [&](std::string_view rec) {
    if (spill_ && spill_->append(rec))
      ctr_.spilled.add(1);
    else
      ++left;
  };
  auto keep_msg = [&](natsMsg* m) {
    keep(std::string_view(natsMsg_GetData(m), size_t(natsMsg_GetDataLength(m))));
    natsMsg_Destroy(m);
  };
  // In flight first (oldest). Those the stream did store come again next run: duplicates with new ids,
  // identical records otherwise (docs/fleet.md).
  {
    std::lock_guard lock(ack_mu_);
    for (const AckResult& a : acks_) {
      if (a.ok)
        natsMsg_Destroy(a.msg);
      else
        keep_msg(a.msg);
    }
    acks_.clear();
  }
  // (libnats 3.4 crashes here when nothing was ever published asynchronously: only when something is.)
  natsMsgList pending{};
  if (in_flight_ != 0 && js_PublishAsyncGetPendingList(&pending, js_.get()) == NATS_OK) {
    for (int i = 0; i < pending.Count; ++i) {
      keep_msg(pending.Msgs[i]);
      pending.Msgs[i] = nullptr;
    }
    natsMsgList_Destroy(&pending);
  }
  for (natsMsg* m : waiting_) keep_msg(m);
  waiting_.clear();
  queue_.pop(keep, ~size_t{0});
  in_flight_ = 0;
  if (spill_) {
    spill_->compact();
    ctr_.spill_records.set(spill_->records());
  }
  ctr_.dropped_at_exit.add(left);
  ctr_.buffered.set(0);
  ctr_.in_flight.set(0);
  if (left != 0)
    std::fprintf(stderr,
                 "spanwatch: nats: %llu records not acknowledged within %u ms at exit (dropped_at_exit)\n",
                 (unsigned long long)left, o_.flush_timeout_ms);
  if (spill_ && spill_->records() != 0)
    std::fprintf(stderr, "spanwatch: nats: %llu records kept in %s for the next run\n",
                 (unsigned long long)spill_->records(), spill_->path().c_str());
}

void Publisher::close() noexcept {
  if (closed_.exchange(true)) return;
  stopping_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  js_.reset();
  if (nc_) natsConnection_Close(nc_.get());
  nc_.reset();
}

}  // namespace spanwatch::lib::jetstream
