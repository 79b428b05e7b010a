#include "loader/flow_loader.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "loader/flow_row.hpp"

namespace spanwatch::loader {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;

uint64_t steady_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
}

}  // namespace

FlowLoader::FlowLoader(LoaderOptions o) : o_(std::move(o)), ch_(o_.clickhouse) {
  nc_ = lib::jetstream::connect(o_.nats);
  jsCtx* js = nullptr;
  if (natsStatus s = natsConnection_JetStream(&js, nc_.get(), nullptr); s != NATS_OK)
    throw lib::jetstream::NatsError(lib::jetstream::nats_error_text("nats JetStream context", s));
  js_.reset(js);
}

FlowLoader::~FlowLoader() {
  for (natsMsg* m : batch_) natsMsg_Destroy(m);
  if (sub_) natsSubscription_Destroy(sub_);  // keeps the durable consumer: only Unsubscribe deletes it
}

std::string FlowLoader::stats_line() const {
  return fmt::format(
      "fetched {} redelivered {} rows_inserted {} batches {} insert_errors {} bad_records {} fetch_errors {}",
      ctr_.fetched.get(), ctr_.redelivered.get(), ctr_.rows_inserted.get(), ctr_.batches.get(),
      ctr_.insert_errors.get(), ctr_.bad_records.get(), ctr_.fetch_errors.get());
}

bool FlowLoader::subscribe() {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = o_.stream.c_str();
  so.Config.AckPolicy = js_AckExplicit;
  so.Config.AckWait = int64_t(o_.ack_wait_s) * 1000 * kNsPerMs;
  so.Config.MaxAckPending = o_.max_ack_pending;
  so.Config.DeliverPolicy = js_DeliverAll;
  jsErrCode jerr = jsErrCode(0);
  const natsStatus s =
      js_PullSubscribe(&sub_, js_.get(), o_.subject.c_str(), o_.durable.c_str(), nullptr, &so, &jerr);
  if (s == NATS_OK) {
    std::fprintf(stderr, "spanwatch-loader: consuming %s (%s) as durable %s\n", o_.stream.c_str(),
                 o_.subject.c_str(), o_.durable.c_str());
    return true;
  }
  const std::string e = lib::jetstream::nats_error_text("js_PullSubscribe", s);
  if (e != last_error_) std::fprintf(stderr, "spanwatch-loader: %s (retrying)\n", e.c_str());
  last_error_ = e;
  sub_ = nullptr;
  return false;
}

void FlowLoader::flush() {
  if (batch_.empty()) return;
  const bool ok = ch_.insert(rows_);
  if (ok) {
    for (natsMsg* m : batch_) natsMsg_Ack(m, nullptr);  // only now: ClickHouse has the rows
    natsConnection_FlushTimeout(nc_.get(), 2000);       // the acks on the wire before the next fetch
    ctr_.rows_inserted.add(batch_.size());
    ctr_.batches.add(1);
    if (!last_error_.empty()) std::fprintf(stderr, "spanwatch-loader: inserting works again\n");
    last_error_.clear();
  } else {
    // Delivered again after the delay, to this loader or another; nothing of it was acked.
    for (natsMsg* m : batch_) natsMsg_NakWithDelay(m, int64_t(o_.retry_delay_ms), nullptr);  // delay in ms
    ctr_.insert_errors.add(1);
    if (ch_.error() != last_error_)
      std::fprintf(stderr, "spanwatch-loader: insert of %zu rows failed: %s (NAKed; retried)\n",
                   batch_.size(), ch_.error().c_str());
    last_error_ = ch_.error();
  }
  for (natsMsg* m : batch_) natsMsg_Destroy(m);
  batch_.clear();
  rows_.clear();
  if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(o_.retry_delay_ms));
}

void FlowLoader::run(const std::atomic<bool>& stop, unsigned stats_interval_s) {
  uint64_t batch_started = 0;
  uint64_t next_stats = steady_ms() + uint64_t(stats_interval_s) * 1000;
  while (!stop.load(std::memory_order_relaxed)) {
    const uint64_t now = steady_ms();
    if (stats_interval_s && now >= next_stats) {
      std::fprintf(stderr, "spanwatch-loader: %s\n", stats_line().c_str());
      next_stats = now + uint64_t(stats_interval_s) * 1000;
    }
    if (sub_ == nullptr && !subscribe()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    int64_t wait = 500;  // short, so a stop request is seen soon
    if (!batch_.empty()) wait = std::max<int64_t>(1, int64_t(batch_started + o_.max_wait_ms) - int64_t(now));
    natsMsgList list{};
    jsErrCode jerr = jsErrCode(0);
    const natsStatus s = natsSubscription_Fetch(&list, sub_, int(o_.batch - batch_.size()),
                                                std::min<int64_t>(wait, 500), &jerr);
    if (s != NATS_OK && s != NATS_TIMEOUT) {
      ctr_.fetch_errors.add(1);
      const std::string e = lib::jetstream::nats_error_text("fetch", s);
      if (e != last_error_) std::fprintf(stderr, "spanwatch-loader: %s (retrying)\n", e.c_str());
      last_error_ = e;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* m = list.Msgs[i];
      list.Msgs[i] = nullptr;  // ours now
      ctr_.fetched.add(1);
      MessageMeta meta;
      const char* id = nullptr;
      if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id) meta.msg_id = id;
      jsMsgMetaData* md = nullptr;
      if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
        meta.stream_seq = md->Sequence.Stream;
        if (md->NumDelivered > 1) ctr_.redelivered.add(1);
        jsMsgMetaData_Destroy(md);
      }
      const std::string_view text(natsMsg_GetData(m), size_t(natsMsg_GetDataLength(m)));
      if (!append_row(text, meta, rows_)) {
        ctr_.bad_records.add(1);
        natsMsg_Term(m, nullptr);
        natsMsg_Destroy(m);
        continue;
      }
      if (batch_.empty()) batch_started = steady_ms();
      batch_.push_back(m);
    }
    natsMsgList_Destroy(&list);
    if (!batch_.empty() && (batch_.size() >= o_.batch || steady_ms() >= batch_started + o_.max_wait_ms))
      flush();
  }
  flush();
  std::fprintf(stderr, "spanwatch-loader: %s\n", stats_line().c_str());
}

}  // namespace spanwatch::loader
