// Streaming pcap writer for the trace generator: the classic pcap format written by hand into two large
// buffers, one filled while a thread write(2)s the other; much faster than pcap_dump for 10^8 frames.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace spanwatch::tools {

class PcapWriter {
 public:
  static constexpr size_t kBufferBytes = size_t{8} << 20;  // large writes: the file system, not us, limits
  static constexpr uint32_t kSnapLen = 65535;
  static constexpr uint32_t kLinkEthernet = 1;  // DLT_EN10MB

  PcapWriter(const std::string& path, bool nanosecond) : path_(path), nanosecond_(nanosecond) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
    for (auto& b : bufs_) b.reset(new uint8_t[kBufferBytes]);
    const uint32_t hdr[6] = {
        nanosecond ? 0xa1b23c4du : 0xa1b2c3d4u, 2u | (4u << 16), 0, 0, kSnapLen, kLinkEthernet};
    std::memcpy(bufs_[0].get(), hdr, sizeof hdr);  // host byte order, as libpcap writes it
    used_ = sizeof hdr;
    writer_ = std::thread([this] { write_loop(); });
  }
  ~PcapWriter() {
    stop_writer();
    if (fd_ >= 0) ::close(fd_);
  }
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Room for one frame of `len` bytes stamped `ts_ns`; the caller fills all `len` bytes.
  uint8_t* frame(uint64_t ts_ns, uint32_t len) {
    if (used_ + 16 + len > kBufferBytes) hand_over();
    const uint32_t sub =
        nanosecond_ ? uint32_t(ts_ns % 1'000'000'000) : uint32_t(ts_ns % 1'000'000'000 / 1000);
    const uint32_t rec[4] = {uint32_t(ts_ns / 1'000'000'000), sub, len, len};
    uint8_t* p = bufs_[cur_].get() + used_;
    std::memcpy(p, rec, sizeof rec);
    used_ += 16 + len;
    return p + 16;
  }

  // Writes what is buffered, waits for the writer thread, closes the file; throws on any write error.
  void close() {
    hand_over();
    stop_writer();
    if (!error_.empty()) throw std::runtime_error(error_);
    if (::close(fd_) != 0) throw std::runtime_error("close " + path_ + ": " + std::strerror(errno));
    fd_ = -1;
  }

  uint64_t file_bytes() const { return total_ + used_; }

 private:
  // Double buffering: the generator fills one buffer while a thread writes the other, so generation
  // and the file system's copy overlap (two cores: about twice the rate of a single thread).
  void hand_over() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return pending_ == 0; });
    if (!error_.empty()) throw std::runtime_error(error_);
    pending_ = used_;
    pending_buf_ = cur_;
    total_ += used_;
    cv_.notify_all();
    cur_ ^= 1;
    used_ = 0;
  }

  void write_loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return pending_ != 0 || quit_; });
      if (pending_ == 0) return;
      const uint8_t* p = bufs_[pending_buf_].get();
      const size_t n = pending_;
      lock.unlock();
      std::string err;
      for (size_t off = 0; off < n;) {
        const ssize_t w = ::write(fd_, p + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          err = "write " + path_ + ": " + std::strerror(errno);
          break;
        }
        off += size_t(w);
      }
      lock.lock();
      if (!err.empty() && error_.empty()) error_ = err;
      pending_ = 0;
      cv_.notify_all();
    }
  }

  void stop_writer() {
    if (!writer_.joinable()) return;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return pending_ == 0; });
      quit_ = true;
      cv_.notify_all();
    }
    writer_.join();
  }

  std::string path_;
  bool nanosecond_;
  int fd_ = -1;
  std::unique_ptr<uint8_t[]> bufs_[2];
  int cur_ = 0;
  size_t used_ = 0;
  uint64_t total_ = 0;
  std::thread writer_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t pending_ = 0;  // bytes of bufs_[pending_buf_] the thread is to write; 0 when idle
  int pending_buf_ = 0;
  bool quit_ = false;
  std::string error_;
};

}  // namespace spanwatch::tools
