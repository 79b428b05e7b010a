// NdjsonFile: buffered whole-line appends, short-write repair (ftruncate back to the last complete line),
// bounded retry buffer, rotation by size and age, retention of rotated files, fsync policy.
#include "lib/export/ndjson_file.hpp"

#include <dirent.h>
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
#include <memory>
#include <system_error>
#include <utility>

namespace spanwatch::lib {
namespace {

inline constexpr mode_t kFileMode = 0644;
inline constexpr size_t kTailScanChunk = 64 * 1024;   // start-up repair reads the tail in chunks of this
inline constexpr unsigned kMaxRotateSuffix = 100000;  // rotations per second before we give up on a name
inline constexpr size_t kStampLen = 15;               // YYYYmmddTHHMMSS

bool all_digits(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// If `name` is PREFIX YYYYmmddTHHMMSS-N EXT (a name rotate() makes), its stamp and N; only such files are
// ever deleted by retention.
bool parse_rotated(std::string_view name, std::string_view prefix, std::string_view ext,
                   std::string_view& stamp, unsigned long& n) noexcept {
  if (name.size() <= prefix.size() + ext.size() || !name.starts_with(prefix) || !name.ends_with(ext))
    return false;
  std::string_view mid = name.substr(prefix.size(), name.size() - prefix.size() - ext.size());
  if (mid.size() < kStampLen + 2 || mid.size() > kStampLen + 7 || mid[8] != 'T' || mid[kStampLen] != '-')
    return false;
  stamp = mid.substr(0, kStampLen);
  const std::string_view num = mid.substr(kStampLen + 1);
  if (!all_digits(stamp.substr(0, 8)) || !all_digits(stamp.substr(9)) || !all_digits(num)) return false;
  n = 0;
  for (char c : num) n = n * 10 + static_cast<unsigned long>(c - '0');
  return true;
}

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

std::optional<NdjsonFsync> parse_ndjson_fsync(std::string_view name) noexcept {
  if (name == "none") return NdjsonFsync::kNone;
  if (name == "rotate") return NdjsonFsync::kRotate;
  if (name == "interval") return NdjsonFsync::kInterval;
  return std::nullopt;
}

NdjsonFile::NdjsonFile(NdjsonFileOptions opts) : opts_(std::move(opts)) {
  path_ = opts_.dir.empty() ? opts_.file : opts_.dir + "/" + opts_.file;
  const size_t slash = path_.rfind('/');
  const size_t dot = path_.rfind('.');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash + 1);
  rotate_stem_ = has_ext ? path_.substr(0, dot) : path_;
  rotate_ext_ = has_ext ? path_.substr(dot) : std::string();
  dir_ = slash == std::string::npos ? std::string(".") : path_.substr(0, slash == 0 ? 1 : slash);
  rotate_prefix_ = (slash == std::string::npos ? rotate_stem_ : rotate_stem_.substr(slash + 1)) + "-";
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

void NdjsonFile::set_policy(const NdjsonFileOptions& o) noexcept {
  opts_.rotate_bytes = o.rotate_bytes;
  opts_.rotate_interval_s = o.rotate_interval_s;
  opts_.max_files = o.max_files;
  opts_.max_total_bytes = o.max_total_bytes;
  opts_.fsync = o.fsync;
  opts_.fsync_interval_s = o.fsync_interval_s;
  next_rotate_at_ = opts_.rotate_bytes;
}

NdjsonFile::~NdjsonFile() {
  if (flush() != NdjsonStatus::kOk) ctr_.records_dropped.add(count_lines(pending_.data(), pending_.size()));
  if (opts_.fsync != NdjsonFsync::kNone) sync_data();  // shutdown is rare: leave a durable file behind
}

int64_t NdjsonFile::now() const noexcept {
  return opts_.clock ? opts_.clock() : int64_t(std::time(nullptr));
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
  opened_at_ = now();  // age rotation counts from here (wall clock, also when replaying a capture)
  last_sync_at_ = opened_at_;
  unsynced_ = false;
  kicked_to_ = file_size_;
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
  if (keep) unsynced_ = true;
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

NdjsonStatus NdjsonFile::tick() noexcept {
  const NdjsonStatus st = flush();
  const int64_t t = now();
  if (opts_.rotate_interval_s != 0 && t - opened_at_ >= int64_t{opts_.rotate_interval_s}) {
    // Only a clean, open file is renamed: after a failed flush it may end in a partial line.
    if (st == NdjsonStatus::kOk && fd_ && !need_truncate_) {
      if (file_size_ == 0)
        opened_at_ = t;  // nothing to hand over: an empty file is never rotated; its age restarts
      else if (!rotate())
        opened_at_ = t;  // rename failed (counted): try again one interval later, not every tick
    }
  }
  if (opts_.fsync == NdjsonFsync::kInterval && t - last_sync_at_ >= int64_t{opts_.fsync_interval_s}) {
    sync_data();
  } else if (opts_.fsync != NdjsonFsync::kNone && fd_ && file_size_ > kicked_to_) {
    // Start writeback of the last tick's lines without waiting for it, so the fdatasync before a rotation
    // finds little left to write and does not stall the exporter for seconds. Only a hint: errors ignored.
    (void)::sync_file_range(fd_.get(), off_t(kicked_to_), off_t(file_size_ - kicked_to_),
                            SYNC_FILE_RANGE_WRITE);
    kicked_to_ = file_size_;
  }
  return st;
}

void NdjsonFile::sync_data() noexcept {
  if (!fd_ || !unsynced_) return;
  last_sync_at_ = now();
  if (::fdatasync(fd_.get()) == 0) {
    unsynced_ = false;
    kicked_to_ = file_size_;
    ctr_.fsyncs.add(1);
  } else {
    last_errno_ = errno;
    ctr_.fsync_errors.add(1);  // lines stay unsynced: tried again on the next interval or rotation
  }
}

void NdjsonFile::sync_dir() noexcept {
  const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    last_errno_ = errno;
    ctr_.fsync_errors.add(1);
  } else {
    ctr_.fsyncs.add(1);
  }
  if (fd >= 0) ::close(fd);
}

void NdjsonFile::apply_retention(std::string_view just_rotated) noexcept {
  if (opts_.max_files == 0 && opts_.max_total_bytes == 0) return;
  struct Rotated {
    std::string name;
    std::string stamp;
    unsigned long n;
    uint64_t bytes;
  };
  try {  // the vector allocates: rare (once per rotation), but bad_alloc must not end the exporter
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_.c_str()), &::closedir);
    if (!dir) {
      last_errno_ = errno;
      ctr_.delete_errors.add(1);
      return;
    }
    std::vector<Rotated> files;
    uint64_t total = 0;
    while (const dirent* e = ::readdir(dir.get())) {
      std::string_view stamp;
      unsigned long n = 0;
      if (!parse_rotated(e->d_name, rotate_prefix_, rotate_ext_, stamp, n)) continue;
      struct stat st {};
      // Regular files only, never followed through a symlink: retention must not delete anything else.
      if (::fstatat(::dirfd(dir.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        continue;
      files.push_back({e->d_name, std::string(stamp), n, uint64_t(st.st_size)});
      total += uint64_t(st.st_size);
    }
    // Oldest first: the stamp is fixed-width UTC, N orders rotations within one second. The file just
    // rotated goes last whatever its name says (a restart may reuse a lower N, the clock may step back).
    std::sort(files.begin(), files.end(), [just_rotated](const Rotated& a, const Rotated& b) {
      const bool a_just = a.name == just_rotated, b_just = b.name == just_rotated;
      if (a_just != b_just) return b_just;
      return a.stamp != b.stamp ? a.stamp < b.stamp : a.n < b.n;
    });
    // The newest (last) file is always kept: a shipper may not have finished reading it.
    for (size_t i = 0; i + 1 < files.size(); ++i) {
      const bool over_count = opts_.max_files != 0 && files.size() - i > opts_.max_files;
      const bool over_bytes = opts_.max_total_bytes != 0 && total > opts_.max_total_bytes;
      if (!over_count && !over_bytes) break;
      if (::unlinkat(::dirfd(dir.get()), files[i].name.c_str(), 0) == 0) {
        ctr_.files_deleted.add(1);
      } else if (errno != ENOENT) {  // gone already (an operator or another cleaner): fine
        last_errno_ = errno;
        ctr_.delete_errors.add(1);
      }
      total -= files[i].bytes;  // never delete a newer file instead of an older one we could not remove
    }
  } catch (...) {
    ctr_.delete_errors.add(1);
  }
}

bool NdjsonFile::rotate() noexcept {
  // The name a shipper or archive treats as final only ever holds data already on disk.
  if (opts_.fsync != NdjsonFsync::kNone) sync_data();
  // Target: DIR/flows-YYYYmmddTHHMMSS-N.json (UTC). RENAME_NOREPLACE never clobbers an older rotation.
  const std::time_t now = std::time_t(this->now());
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
    // Try again one rotation later, not on every flush.
    if (opts_.rotate_bytes != 0) next_rotate_at_ = file_size_ + opts_.rotate_bytes;
    return false;
  }
  last_rotate_sec_ = now;
  last_rotate_n_ = n;
  ctr_.rotations.add(1);
  fd_.reset();
  file_size_ = 0;
  next_rotate_at_ = opts_.rotate_bytes;
  if (!open_file()) ctr_.write_errors.add(1);  // flush() retries the open; lines wait in pending_
  if (opts_.fsync != NdjsonFsync::kNone) sync_dir();
  const size_t slash = std::string_view(target.data()).rfind('/');
  apply_retention(std::string_view(target.data()).substr(slash == std::string_view::npos ? 0 : slash + 1));
  return true;
}

}  // namespace spanwatch::lib
