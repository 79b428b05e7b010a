// NdjsonFile: buffered whole-line appends, short-write repair (ftruncate back to the last complete line),
// bounded retry buffer and size-based rotation.
#include "lib/export/ndjson_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <system_error>
#include <utility>

namespace spanwatch::lib {
namespace {

inline constexpr mode_t kFileMode = 0644;
inline constexpr size_t kTailScanChunk = 64 * 1024;   // start-up repair reads the tail in chunks of this
inline constexpr unsigned kMaxRotateSuffix = 100000;  // rotations per second before we give up on a name

uint64_t count_lines(const char* p, size_t n) noexcept {
  return static_cast<uint64_t>(std::count(p, p + n, '\n'));
}

// Length of the prefix of [p, p+n) that ends with the last '\n' (0 if none).
size_t complete_prefix(const char* p, size_t n) noexcept {
  const void* nl = n ? memrchr(p, '\n', n) : nullptr;
  return nl ? static_cast<size_t>(static_cast<const char*>(nl) - p) + 1 : 0;
}

// Size of the file once a partial last line (from a crash mid-write) is cut; the size itself if it is clean.
off_t complete_size(int fd, off_t size) {
  std::array<char, kTailScanChunk> buf;
  off_t end = size;
  while (end > 0) {
    const off_t start = end > off_t(buf.size()) ? end - off_t(buf.size()) : 0;
    const ssize_t n = ::pread(fd, buf.data(), size_t(end - start), start);
    if (n != ssize_t(end - start)) return size;  // cannot read (e.g. not a regular file): leave it alone
    const size_t keep = complete_prefix(buf.data(), size_t(n));
    if (keep) return start + off_t(keep);
    end = start;
  }
  return 0;
}

}  // namespace

NdjsonFile::NdjsonFile(NdjsonFileOptions opts) : opts_(std::move(opts)) {
  path_ = opts_.dir.empty() ? opts_.file : opts_.dir + "/" + opts_.file;
  const size_t slash = path_.rfind('/');
  const size_t dot = path_.rfind('.');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash + 1);
  rotate_stem_ = has_ext ? path_.substr(0, dot) : path_;
  rotate_ext_ = has_ext ? path_.substr(dot) : std::string();
  pending_.reserve(opts_.max_pending_bytes);  // the only allocation: write() stays within this capacity
  opts_.flush_bytes = std::min(opts_.flush_bytes, opts_.max_pending_bytes);

  if (!open_file()) throw std::system_error(last_errno_, std::generic_category(), "open(" + path_ + ")");
  if (file_size_ > 0) {
    const off_t good = complete_size(fd_.get(), off_t(file_size_));
    if (uint64_t(good) != file_size_) {
      if (::ftruncate(fd_.get(), good) != 0) {
        throw std::system_error(errno, std::generic_category(),
                                "ftruncate(" + path_ + ") of a partial last line");
      }
      file_size_ = uint64_t(good);
    }
  }
  next_rotate_at_ = opts_.rotate_bytes;
}

NdjsonFile::~NdjsonFile() {
  if (flush() != NdjsonStatus::kOk) ctr_.records_dropped.add(count_lines(pending_.data(), pending_.size()));
}

bool NdjsonFile::open_file() noexcept {
  // O_RDWR: start-up reads the tail back to cut a partial last line.
  const int fd = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, kFileMode);
  if (fd < 0) {
    last_errno_ = errno;
    return false;
  }
  fd_.reset(fd);
  struct stat st {};
  file_size_ = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? uint64_t(st.st_size) : 0;
  need_truncate_ = false;
  return true;
}

void NdjsonFile::consume_pending(size_t n) noexcept {
  // Usually everything is consumed; after a short write the unwritten tail moves to the front.
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(n));
}

NdjsonStatus NdjsonFile::write(std::string_view lines) noexcept {
  const size_t whole = complete_prefix(lines.data(), lines.size());
  NdjsonStatus status = NdjsonStatus::kOk;
  if (whole != lines.size()) {  // caller bug: a line without '\n' would glue onto the next one
    ctr_.records_dropped.add(1);
    status = NdjsonStatus::kDropped;
  }
  std::string_view rest = lines.substr(0, whole);
  while (!rest.empty()) {
    const size_t room = opts_.max_pending_bytes - pending_.size();
    const size_t take = rest.size() <= room ? rest.size() : complete_prefix(rest.data(), room);
    pending_.insert(pending_.end(), rest.begin(), rest.begin() + static_cast<ptrdiff_t>(take));
    rest.remove_prefix(take);
    if (rest.empty()) break;
    if (pending_.empty()) {  // one line longer than the whole buffer: it can never be written whole
      rest.remove_prefix(rest.find('\n') + 1);
      ctr_.records_dropped.add(1);
      status = NdjsonStatus::kDropped;
      continue;
    }
    // Full: make room by writing (success empties the buffer); if the disk refuses, the rest is lost.
    if (flush() != NdjsonStatus::kOk) {
      ctr_.records_dropped.add(count_lines(rest.data(), rest.size()));
      return NdjsonStatus::kDropped;
    }
  }
  if (pending_.size() >= opts_.flush_bytes) {
    const NdjsonStatus fs = flush();
    if (status == NdjsonStatus::kOk) status = fs;
  }
  return status;
}

NdjsonStatus NdjsonFile::flush() noexcept {
  if (pending_.empty()) return NdjsonStatus::kOk;
  if (!fd_ && !open_file()) {  // a reopen after rotation failed earlier
    ctr_.write_errors.add(1);
    return NdjsonStatus::kRetry;
  }
  if (need_truncate_) {
    if (::ftruncate(fd_.get(), off_t(file_size_)) != 0) {
      last_errno_ = errno;
      ctr_.write_errors.add(1);
      return NdjsonStatus::kRetry;  // appending now would glue a new line onto the partial one
    }
    need_truncate_ = false;
  }

  const char* p = pending_.data();
  const size_t len = pending_.size();
  size_t done = 0;
  int err = 0;
  while (done < len) {
    const ssize_t n = ::write(fd_.get(), p + done, len - done);
    if (n > 0) {
      done += size_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      err = n < 0 ? errno : EIO;  // 0 bytes for a non-empty write: treat as an I/O error
      break;
    }
  }

  // Keep the complete lines that made it; cut a partial one back off the file (retried until it works).
  const size_t keep = done == len ? len : complete_prefix(p, done);
  if (keep != done && ::ftruncate(fd_.get(), off_t(file_size_ + keep)) != 0) need_truncate_ = true;
  file_size_ += keep;
  ctr_.bytes_written.add(keep);
  ctr_.records_written.add(count_lines(p, keep));
  consume_pending(keep);

  if (done != len) {
    last_errno_ = err;
    ctr_.write_errors.add(1);
    return NdjsonStatus::kRetry;
  }
  if (next_rotate_at_ != 0 && file_size_ >= next_rotate_at_) rotate();
  return NdjsonStatus::kOk;
}

void NdjsonFile::rotate() noexcept {
  // Target: DIR/flows-YYYYmmddTHHMMSS-N.json (UTC). RENAME_NOREPLACE never clobbers an older rotation.
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 16> stamp;
  std::strftime(stamp.data(), stamp.size(), "%Y%m%dT%H%M%S", &tm);
  unsigned n = now == last_rotate_sec_ ? last_rotate_n_ + 1 : 0;
  std::array<char, PATH_MAX> target;
  bool renamed = false;
  for (; n < kMaxRotateSuffix; ++n) {
    const int len = std::snprintf(target.data(), target.size(), "%s-%s-%u%s", rotate_stem_.c_str(),
                                  stamp.data(), n, rotate_ext_.c_str());
    if (len < 0 || size_t(len) >= target.size()) break;
    if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target.data(), RENAME_NOREPLACE) == 0) {
      renamed = true;
      break;
    }
    if (errno == EEXIST) continue;
    if (errno == EINVAL || errno == ENOSYS) {  // file system without RENAME_NOREPLACE: check, then rename
      struct stat st {};
      if (::stat(target.data(), &st) == 0) continue;
      if (::rename(path_.c_str(), target.data()) == 0) {
        renamed = true;
        break;
      }
    }
    last_errno_ = errno;
    break;
  }
  if (!renamed) {
    ctr_.rotate_errors.add(1);
    next_rotate_at_ = file_size_ + opts_.rotate_bytes;  // try again one rotation later, not on every flush
    return;
  }
  last_rotate_sec_ = now;
  last_rotate_n_ = n;
  ctr_.rotations.add(1);
  fd_.reset();
  file_size_ = 0;
  next_rotate_at_ = opts_.rotate_bytes;
  if (!open_file()) ctr_.write_errors.add(1);  // flush() retries the open; lines wait in pending_
}

}  // namespace spanwatch::lib
