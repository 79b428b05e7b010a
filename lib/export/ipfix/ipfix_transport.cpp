#include "lib/export/ipfix/ipfix_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace spanwatch::lib::ipfix {
namespace {
constexpr size_t kMinQueueSlots = 64;
constexpr size_t kMinMessageGuess = 256;  // queue slots: buffer bytes / this
}  // namespace

Transport::Transport(const TransportOptions& o) : opt_(o) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = o.protocol == Protocol::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(o.port);
  if (const int rc = getaddrinfo(o.host.c_str(), port.c_str(), &hints, &res); rc != 0 || res == nullptr)
    throw std::runtime_error("ipfix collector " + o.host + ": " + gai_strerror(rc));
  std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
  addr_len_ = res->ai_addrlen;
  freeaddrinfo(res);

  char text[INET6_ADDRSTRLEN] = {};
  const void* a = addr_.ss_family == AF_INET6
                      ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&addr_)->sin6_addr)
                      : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&addr_)->sin_addr);
  inet_ntop(addr_.ss_family, a, text, sizeof text);
  char peer[INET6_ADDRSTRLEN + 16];
  std::snprintf(peer, sizeof peer, addr_.ss_family == AF_INET6 ? "%s://[%s]:%u" : "%s://%s:%u",
                o.protocol == Protocol::kTcp ? "tcp" : "udp", text, unsigned(o.port));
  peer_text_ = peer;

  if (o.protocol == Protocol::kUdp) {
    // A connected UDP socket: the kernel reports ICMP errors (collector port closed) on later sends.
    fd_.reset(::socket(addr_.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd_) throw std::runtime_error(std::string("ipfix: socket: ") + std::strerror(errno));
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&addr_), addr_len_) != 0)
      throw std::runtime_error("ipfix collector " + peer_text_ + ": " + std::strerror(errno));
    state_ = State::kConnected;
    return;
  }
  buf_.resize(std::max<size_t>(o.tcp_buffer_bytes, 65536));
  queue_.resize(std::max(kMinQueueSlots, buf_.size() / kMinMessageGuess));
}

void Transport::drop(uint32_t records) noexcept {
  ctr_.dropped_messages.add(1);
  ctr_.dropped_records.add(records);
}

bool Transport::send(std::span<const uint8_t> msg, uint32_t records, uint64_t now_ms) noexcept {
  if (opt_.protocol == Protocol::kUdp) {
    const ssize_t n = ::send(fd_.get(), msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n != ssize_t(msg.size())) {
      ctr_.send_errors.add(1);
      drop(records);
      return false;
    }
    ctr_.messages.add(1);
    ctr_.bytes.add(msg.size());
    return true;
  }
  // No poll() here: a connection that comes up must first get the templates (the exporter polls, then sends).
  if (state_ != State::kConnected) {
    drop(records);
    return false;
  }
  if (buf_head_ == buf_len_) buf_head_ = buf_len_ = 0;
  if (buf_len_ + msg.size() > buf_.size() && buf_head_ > 0) {  // compact: move the unsent tail to the front
    std::memmove(buf_.data(), buf_.data() + buf_head_, buf_len_ - buf_head_);
    for (size_t i = 0; i < q_count_; ++i) queue_[(q_head_ + i) % queue_.size()].end -= buf_head_;
    buf_len_ -= buf_head_;
    buf_head_ = 0;
  }
  if (buf_len_ + msg.size() > buf_.size() || q_count_ == queue_.size()) {
    drop(records);
    return false;
  }
  std::memcpy(buf_.data() + buf_len_, msg.data(), msg.size());
  buf_len_ += msg.size();
  queue_[(q_head_ + q_count_++) % queue_.size()] = {buf_len_, records};
  ctr_.messages.add(1);
  ctr_.bytes.add(msg.size());
  flush_tcp(now_ms);
  return true;
}

void Transport::start_connect(uint64_t now_ms) noexcept {
  fd_.reset(::socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_) {
    connection_failed(now_ms, false);
    return;
  }
  if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&addr_), addr_len_) == 0) {
    state_ = State::kConnected;
    new_session_ = true;
    backoff_ms_ = 0;
    ctr_.connects.add(1);
  } else if (errno == EINPROGRESS) {
    state_ = State::kConnecting;
  } else {
    connection_failed(now_ms, false);
  }
}

void Transport::connection_failed(uint64_t now_ms, bool was_connected) noexcept {
  if (!was_connected) ctr_.connect_errors.add(1);
  fd_.reset();
  state_ = State::kIdle;
  // Whatever was buffered belongs to the lost session (a partly written message would corrupt the next).
  for (; q_count_ > 0; --q_count_, q_head_ = (q_head_ + 1) % queue_.size()) drop(queue_[q_head_].records);
  buf_head_ = buf_len_ = 0;
  backoff_ms_ = backoff_ms_ == 0 ? opt_.reconnect_min_ms : std::min(backoff_ms_ * 2, opt_.reconnect_max_ms);
  retry_at_ms_ = now_ms + backoff_ms_;
}

void Transport::flush_tcp(uint64_t now_ms) noexcept {
  while (buf_head_ < buf_len_) {
    const ssize_t n =
        ::send(fd_.get(), buf_.data() + buf_head_, buf_len_ - buf_head_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      ctr_.send_errors.add(1);
      connection_failed(now_ms, true);
      return;
    }
    buf_head_ += size_t(n);
    while (q_count_ > 0 && queue_[q_head_].end <= buf_head_) {  // whole messages written
      q_head_ = (q_head_ + 1) % queue_.size();
      --q_count_;
    }
  }
}

void Transport::poll(uint64_t now_ms) noexcept {
  if (opt_.protocol == Protocol::kUdp) return;
  if (state_ == State::kIdle) {
    if (now_ms >= retry_at_ms_) start_connect(now_ms);
    if (state_ != State::kConnecting) return;
  }
  if (state_ == State::kConnecting) {
    pollfd p{fd_.get(), POLLOUT, 0};
    if (::poll(&p, 1, 0) <= 0) return;  // still connecting
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      connection_failed(now_ms, false);
      return;
    }
    state_ = State::kConnected;
    new_session_ = true;
    backoff_ms_ = 0;
    ctr_.connects.add(1);
  }
  // A collector that closed the connection: a readable socket with nothing to read (IPFIX collectors never
  // send), or an error on it.
  pollfd p{fd_.get(), POLLIN, 0};
  if (::poll(&p, 1, 0) > 0) {
    char b;
    const ssize_t n = ::recv(fd_.get(), &b, 1, MSG_DONTWAIT | MSG_PEEK);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      connection_failed(now_ms, true);
      return;
    }
  }
  flush_tcp(now_ms);
}

bool Transport::take_new_session() noexcept {
  const bool s = new_session_;
  new_session_ = false;
  return s;
}

}  // namespace spanwatch::lib::ipfix
