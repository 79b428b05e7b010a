#include "lib/export/jetstream/spill_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace spanwatch::lib::jetstream {
namespace {

constexpr uint32_t kMaxRecord = 1u << 24;  // larger lengths mean a corrupt file

bool read_exact(int fd, void* p, size_t n, uint64_t off) noexcept {
  auto* b = static_cast<char*>(p);
  while (n != 0) {
    const ssize_t r = pread(fd, b, n, off_t(off));
    if (r <= 0) return false;
    b += r;
    off += uint64_t(r);
    n -= size_t(r);
  }
  return true;
}

bool write_exact(int fd, const void* p, size_t n, uint64_t off) noexcept {
  const auto* b = static_cast<const char*>(p);
  while (n != 0) {
    const ssize_t r = pwrite(fd, b, n, off_t(off));
    if (r <= 0) return false;
    b += r;
    off += uint64_t(r);
    n -= size_t(r);
  }
  return true;
}

}  // namespace

SpillFile::SpillFile(std::string path, uint64_t max_bytes) : path_(std::move(path)), max_bytes_(max_bytes) {
  fd_.reset(open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) throw std::runtime_error(fmt::format("spill file {}: {}", path_, std::strerror(errno)));
  struct stat st {};
  fstat(fd_.get(), &st);
  const uint64_t size = uint64_t(st.st_size);
  while (write_off_ + 4 <= size) {  // count what a previous run left; cut a torn tail
    uint32_t len = 0;
    if (!read_exact(fd_.get(), &len, 4, write_off_) || len > kMaxRecord || write_off_ + 4 + len > size) break;
    write_off_ += 4 + len;
    ++records_;
  }
  if (write_off_ != size && ftruncate(fd_.get(), off_t(write_off_)) != 0) {
    // Leaves the tail; appends go after write_off_ and overwrite it.
  }
}

bool SpillFile::append(std::string_view rec) noexcept {
  if (bytes() + 4 + rec.size() > max_bytes_ || rec.size() > kMaxRecord) return false;
  const uint32_t len = static_cast<uint32_t>(rec.size());
  if (!write_exact(fd_.get(), &len, 4, write_off_) ||
      !write_exact(fd_.get(), rec.data(), len, write_off_ + 4))
    return false;
  write_off_ += 4 + len;
  ++records_;
  return true;
}

bool SpillFile::pop(std::string& out) noexcept {
  if (records_ == 0) return false;
  uint32_t len = 0;
  if (!read_exact(fd_.get(), &len, 4, read_off_) || len > kMaxRecord) return false;
  out.resize(len);
  if (!read_exact(fd_.get(), out.data(), len, read_off_ + 4)) return false;
  read_off_ += 4 + len;
  if (--records_ == 0) {  // empty: start the file again
    read_off_ = write_off_ = 0;
    if (ftruncate(fd_.get(), 0) != 0) {
      // Harmless: the next appends overwrite from offset 0.
    }
  }
  return true;
}

void SpillFile::compact() noexcept {
  if (read_off_ == 0) return;
  std::string chunk(1 << 20, '\0');
  uint64_t from = read_off_, to = 0;
  while (from < write_off_) {  // forward copy: the target is always before the source
    const size_t n = size_t(std::min<uint64_t>(chunk.size(), write_off_ - from));
    if (!read_exact(fd_.get(), chunk.data(), n, from) || !write_exact(fd_.get(), chunk.data(), n, to)) return;
    from += n;
    to += n;
  }
  write_off_ -= read_off_;
  read_off_ = 0;
  if (ftruncate(fd_.get(), off_t(write_off_)) != 0) {
    // The tail beyond write_off_ would be read as records by the next run only if this failed: rare.
  }
}

}  // namespace spanwatch::lib::jetstream
