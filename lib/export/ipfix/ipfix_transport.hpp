// Sends whole IPFIX messages to one collector over UDP or TCP without ever blocking the caller: sockets are
// non-blocking, TCP connects in the background and keeps a bounded buffer, and every failure is a counter
// (a down collector costs dropped messages, never a stall). The host is resolved once, at construction.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lib/core/counter.hpp"
#include "lib/core/unique_fd.hpp"

namespace spanwatch::lib::ipfix {

enum class Protocol : uint8_t { kUdp, kTcp };

struct TransportOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4739;  // IANA's IPFIX port
  Protocol protocol = Protocol::kUdp;
  size_t tcp_buffer_bytes = 1u << 20;  // messages waiting for the socket; beyond it they are dropped
  uint32_t reconnect_min_ms = 500;     // TCP backoff after a failed or lost connection, doubling up to
  uint32_t reconnect_max_ms = 30'000;  // this
};

struct TransportCounters {
  Counter messages;          // handed to the kernel whole (UDP) or queued on a live connection (TCP)
  Counter bytes;             // of those messages
  Counter send_errors;       // sendto/send failures (UDP: e.g. ECONNREFUSED from a closed port)
  Counter dropped_messages;  // not sent: send error, TCP not connected, TCP buffer full, lost on disconnect
  Counter dropped_records;   // data records in those messages
  Counter connects;          // TCP connections established
  Counter connect_errors;    // TCP connect attempts that failed
};

class Transport {
 public:
  // Throws std::runtime_error when the host does not resolve or no socket can be made.
  explicit Transport(const TransportOptions& o);

  // One whole message holding `records` data records. False: dropped (counted).
  bool send(std::span<const uint8_t> msg, uint32_t records, uint64_t now_ms) noexcept;
  // TCP: advances a connect in progress, writes buffered bytes, reconnects once the backoff passed.
  void poll(uint64_t now_ms) noexcept;
  // True once after each new TCP connection: the next message must carry the templates.
  bool take_new_session() noexcept;

  bool connected() const noexcept { return state_ == State::kConnected; }
  size_t pending_bytes() const noexcept { return buf_len_ - buf_head_; }
  const TransportCounters& counters() const noexcept { return ctr_; }
  const std::string& peer() const noexcept { return peer_text_; }

 private:
  enum class State : uint8_t { kIdle, kConnecting, kConnected };
  struct Queued {
    size_t end;  // offset in buf_ where the message ends
    uint32_t records;
  };

  void start_connect(uint64_t now_ms) noexcept;
  void connection_failed(uint64_t now_ms, bool was_connected) noexcept;
  void flush_tcp(uint64_t now_ms) noexcept;
  void drop(uint32_t records) noexcept;

  TransportOptions opt_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  std::string peer_text_;
  UniqueFd fd_;
  State state_ = State::kIdle;
  bool new_session_ = false;
  uint64_t retry_at_ms_ = 0;
  uint32_t backoff_ms_ = 0;
  // TCP: bytes of whole messages not yet written, [buf_head_, buf_len_), and where each message ends.
  std::vector<uint8_t> buf_;
  size_t buf_head_ = 0, buf_len_ = 0;
  std::vector<Queued> queue_;  // ring of queued messages
  size_t q_head_ = 0, q_count_ = 0;
  TransportCounters ctr_;
};

}  // namespace spanwatch::lib::ipfix
