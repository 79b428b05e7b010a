// The publisher against a real nats-server (skipped when it is not installed): records offered while no
// server runs wait in the buffer, beyond its size they are counted drops, and once a server starts they are
// all stored in the stream exactly once.
#include "lib/export/jetstream/jetstream_publisher.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace spanwatch::lib::jetstream {
namespace {

namespace fs = std::filesystem;

int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

bool nats_server_installed() {
  return std::system("command -v nats-server >/dev/null 2>&1") == 0;
}

// nats-server -js on a loopback port with its store in a temp dir; stopped by the destructor.
class NatsServer {
 public:
  explicit NatsServer(int port) : dir_(fs::temp_directory_path() / ("swjs-" + std::to_string(port))) {
    fs::create_directories(dir_);
    pid_ = fork();
    if (pid_ == 0) {
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      const std::string p = std::to_string(port), sd = dir_.string();
      execlp("nats-server", "nats-server", "-js", "-a", "127.0.0.1", "-p", p.c_str(), "-sd", sd.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~NatsServer() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
};

template <class Pred>
bool eventually(Pred p, int ms) {
  for (int i = 0; i < ms / 10; ++i) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return p();
}

uint64_t stream_messages(const std::string& url, const std::string& stream) {
  ConnectOptions co;
  co.servers = {url};
  ConnectionPtr nc = connect(co);
  if (!eventually([&] { return natsConnection_Status(nc.get()) == NATS_CONN_STATUS_CONNECTED; }, 5000))
    return 0;
  jsCtx* js = nullptr;
  natsConnection_JetStream(&js, nc.get(), nullptr);
  JsContextPtr jsp(js);
  jsStreamInfo* si = nullptr;
  uint64_t n = 0;
  if (js_GetStreamInfo(&si, js, stream.c_str(), nullptr, nullptr) == NATS_OK) n = si->State.Msgs;
  if (si) jsStreamInfo_Destroy(si);
  return n;
}

TEST(JetStreamPublisher, BuffersWhileNoServerThenDeliversEachRecordOnce) {
  if (!nats_server_installed()) GTEST_SKIP() << "nats-server not installed";
  const int port = free_port();
  const std::string url = "nats://127.0.0.1:" + std::to_string(port);
  PublisherOptions o;
  o.connect.servers = {url};
  o.connect.reconnect_wait_ms = 100;
  o.stream = "PUBTEST";
  o.subject_prefix = "pubtest.flows";
  o.observer = "sensor.one";  // the dot becomes '_' in the subject
  o.buffer_records = 1000;
  o.queue_bytes = 1 << 20;
  o.flush_timeout_ms = 10000;
  Publisher pub(o);
  EXPECT_EQ(pub.subject(), "pubtest.flows.sensor_one");

  // No server yet: 1500 records, of which the buffer keeps 1000 and counts 500 as dropped.
  for (int i = 0; i < 1500; ++i) pub.offer(R"({"record":)" + std::to_string(i) + "}\n");
  const PublisherCounters& c = pub.counters();
  ASSERT_TRUE(eventually([&] { return c.buffered.get() + c.dropped_buffer_full.get() == 1500; }, 5000));
  EXPECT_EQ(c.buffered.get(), 1000u);
  EXPECT_EQ(c.dropped_buffer_full.get(), 500u);
  EXPECT_EQ(c.acked.get(), 0u);
  EXPECT_FALSE(pub.connected());

  // The server comes: the stream is created and every buffered record stored.
  NatsServer server(port);
  ASSERT_TRUE(eventually([&] { return c.acked.get() == 1000; }, 15000)) << c.acked.get();
  pub.offer("{\"record\":\"after\"}");
  pub.close();
  EXPECT_EQ(c.acked.get(), 1001u);
  EXPECT_EQ(c.dropped_queue_full.get(), 0u);
  EXPECT_EQ(c.dropped_at_exit.get(), 0u);
  EXPECT_EQ(c.offered.get(), 1501u);
  EXPECT_EQ(stream_messages(url, "PUBTEST"), 1001u);
}

// With a spill file nothing is lost: beyond the buffer records go to disk, and what is left at exit is sent
// by the next run.
TEST(JetStreamPublisher, SpillFileKeepsWhatTheBufferCannotAndTheNextRunSendsIt) {
  if (!nats_server_installed()) GTEST_SKIP() << "nats-server not installed";
  const int port = free_port();
  const std::string url = "nats://127.0.0.1:" + std::to_string(port);
  const fs::path spill = fs::temp_directory_path() / ("swjs-spill-" + std::to_string(port));
  fs::remove(spill);
  PublisherOptions o;
  o.connect.servers = {url};
  o.connect.reconnect_wait_ms = 100;
  o.stream = "SPILLTEST";
  o.subject_prefix = "spilltest.flows";
  o.observer = "s";
  o.buffer_records = 1000;
  o.spill_path = spill.string();
  o.flush_timeout_ms = 300;
  {
    Publisher pub(o);  // no server during this run at all
    for (int i = 0; i < 1500; ++i) pub.offer(R"({"record":)" + std::to_string(i) + "}");
    const PublisherCounters& c = pub.counters();
    ASSERT_TRUE(eventually([&] { return c.buffered.get() + c.spilled.get() == 1500; }, 5000));
    EXPECT_EQ(c.buffered.get(), 1000u);
    EXPECT_EQ(c.spilled.get(), 500u);
    pub.close();  // the 1000 buffered records join the 500 on disk
    EXPECT_EQ(c.dropped_buffer_full.get(), 0u);
    EXPECT_EQ(c.dropped_at_exit.get(), 0u);
    EXPECT_EQ(c.spill_records.get(), 1500u);
  }
  NatsServer server(port);
  o.flush_timeout_ms = 15000;
  Publisher next(o);  // the next run, with a server: sends the 1500 from the file, then its own record
  next.offer(R"({"record":"next run"})");
  next.close();
  // Its own record followed the older ones through the file (order is kept while the file has records).
  EXPECT_EQ(next.counters().unspilled.get(), 1501u);
  EXPECT_EQ(next.counters().acked.get(), 1501u);
  EXPECT_EQ(next.counters().dropped_at_exit.get(), 0u);
  EXPECT_EQ(stream_messages(url, "SPILLTEST"), 1501u);
  EXPECT_EQ(fs::file_size(spill), 0u);
  fs::remove(spill);
}

TEST(JetStreamPublisher, NothingToDeliverAtExitIsCounted) {
  PublisherOptions o;
  o.connect.servers = {"nats://127.0.0.1:" + std::to_string(free_port())};  // nobody listens
  o.observer = "s";
  o.flush_timeout_ms = 300;
  Publisher pub(o);
  for (int i = 0; i < 10; ++i) pub.offer("{}");
  pub.close();
  EXPECT_EQ(pub.counters().dropped_at_exit.get(), 10u);
  EXPECT_EQ(pub.counters().acked.get(), 0u);
}

}  // namespace
}  // namespace spanwatch::lib::jetstream
