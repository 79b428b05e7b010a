// The NDJSON output file (DIR/flows.json): buffered appends of whole lines, error accounting without
// throwing, and size-based rotation to flows-YYYYmmddTHHMMSS-N.json. A line is in the file completely or not
// at all.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/counter.hpp"
#include "lib/core/unique_fd.hpp"

namespace spanwatch::lib {

struct NdjsonFileOptions {
  std::string dir;                             // must exist
  std::string file = "flows.json";             // OutputConfig::file
  uint64_t rotate_bytes = 0;                   // rotate once the file reaches this size; 0 = never
  size_t flush_bytes = size_t{64} << 10;       // write() hands data to the kernel once this much is pending
  size_t max_pending_bytes = size_t{8} << 20;  // lines kept while the disk refuses them; beyond: dropped
};

// Result of write()/flush(). Nothing here throws on the hot path.
enum class NdjsonStatus : uint8_t {
  kOk,       // everything accepted (and, for flush, in the file)
  kRetry,    // the write failed (see last_errno()); the lines are kept and retried on the next write/flush
  kDropped,  // the pending buffer was full: some lines were lost (records_dropped)
};

struct NdjsonFileCounters {
  Counter bytes_written;    // bytes that reached the file (whole lines only)
  Counter records_written;  // lines that reached the file
  Counter records_dropped;  // lines lost because the pending buffer was full
  Counter write_errors;     // failed or short write(), ftruncate, reopen
  Counter rotations;        // files renamed to flows-<time>-<n>.json
  Counter rotate_errors;    // rename failed; writing continues in the current file
};

class NdjsonFile {
 public:
  // Opens (creates) DIR/FILE for appending; cuts a partial last line left by a crash. Throws
  // std::system_error naming the failed call and path: this runs at start-up, where errors are fatal and must
  // be clear.
  explicit NdjsonFile(NdjsonFileOptions opts);
  ~NdjsonFile();  // best-effort flush; lines it cannot write count as dropped
  NdjsonFile(const NdjsonFile&) = delete;
  NdjsonFile& operator=(const NdjsonFile&) = delete;

  // Queues complete lines ('\n'-terminated; a trailing fragment is dropped and counted). Writes once
  // flush_bytes are pending. Never blocks on anything but the write() itself; never allocates.
  NdjsonStatus write(std::string_view lines) noexcept;

  // Writes everything pending (call on the exporter's housekeeping tick and at shutdown).
  NdjsonStatus flush() noexcept;

  const NdjsonFileCounters& counters() const noexcept { return ctr_; }
  size_t pending_bytes() const noexcept { return pending_.size(); }
  uint64_t file_bytes() const noexcept { return file_size_; }  // size of the current file
  int last_errno() const noexcept { return last_errno_; }
  const std::string& path() const noexcept { return path_; }

 private:
  bool open_file() noexcept;  // (re)opens path_; false + last_errno_ on failure
  void rotate() noexcept;
  void consume_pending(size_t n) noexcept;

  NdjsonFileOptions opts_;
  std::string path_;
  std::string rotate_stem_, rotate_ext_;  // "DIR/flows", ".json"
  std::vector<char> pending_;             // capacity max_pending_bytes, reserved once
  UniqueFd fd_;
  uint64_t file_size_ = 0;       // bytes of whole lines in the current file
  uint64_t next_rotate_at_ = 0;  // file size that triggers rotation; pushed out after a failure
  bool need_truncate_ = false;   // a short write left a partial line that ftruncate could not cut yet
  int last_errno_ = 0;
  int64_t last_rotate_sec_ = -1;  // name suffix N restarts each second
  unsigned last_rotate_n_ = 0;
  NdjsonFileCounters ctr_;
};

}  // namespace spanwatch::lib
