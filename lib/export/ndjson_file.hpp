// The NDJSON output file (DIR/flows.json): buffered appends of whole lines, error accounting without
// throwing, rotation by size and by age to flows-YYYYmmddTHHMMSS-N.json, retention of rotated files and an
// fsync policy. A line is in the file completely or not at all.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/counter.hpp"
#include "lib/core/unique_fd.hpp"

namespace spanwatch::lib {

// When data is forced to stable storage (fdatasync). Never per record: on the tick or at a rotation.
enum class NdjsonFsync : uint8_t {
  kNone,      // leave it to kernel writeback (a crash of spanwatch loses nothing; a power cut may)
  kRotate,    // a rotated file is synced before its rename, so a shipped/archived file is durable
  kInterval,  // kRotate, plus the live file every fsync_interval_s (bounded loss on power cut)
};
// "none", "rotate", "interval" (OutputConfig::fsync); nullopt for anything else.
std::optional<NdjsonFsync> parse_ndjson_fsync(std::string_view name) noexcept;

struct NdjsonFileOptions {
  std::string dir;                             // must exist
  std::string file = "flows.json";             // OutputConfig::file
  uint64_t rotate_bytes = 0;                   // rotate once the file reaches this size; 0 = never
  uint32_t rotate_interval_s = 0;              // rotate (on tick()) once the file is this old; 0 = never
  uint32_t max_files = 0;                      // rotated files kept (oldest deleted first); 0 = all
  uint64_t max_total_bytes = 0;                // bytes of rotated files kept; 0 = no limit
  NdjsonFsync fsync = NdjsonFsync::kRotate;    // see NdjsonFsync (OutputConfig::fsync)
  uint32_t fsync_interval_s = 1;               // kInterval: seconds between fdatasync of the live file
  size_t flush_bytes = size_t{64} << 10;       // write() hands data to the kernel once this much is pending
  size_t max_pending_bytes = size_t{8} << 20;  // lines kept while the disk refuses them; beyond: dropped
  // Wall-clock seconds since the epoch (file age, rotated names); empty = time(). Tests inject a fake one.
  std::function<int64_t()> clock;
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
  Counter files_deleted;    // rotated files removed by retention (max_files, max_total_bytes)
  Counter delete_errors;    // retention could not list the directory or unlink a file
  Counter fsyncs;           // fdatasync calls that succeeded
  Counter fsync_errors;     // fdatasync (or the directory fsync after a rotation) failed
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

  // Writes everything pending (call at shutdown; tick() does it periodically).
  NdjsonStatus flush() noexcept;

  // Takes new rotation, retention and fsync settings from `o` (a configuration reload); the directory,
  // the file name and the buffer sizes stay. A smaller rotation size rotates at the next write.
  void set_policy(const NdjsonFileOptions& o) noexcept;

  // Periodic work on the exporter's housekeeping tick (about once a second): flush(), rotation by age,
  // fdatasync for NdjsonFsync::kInterval. Returns flush()'s status.
  NdjsonStatus tick() noexcept;

  const NdjsonFileCounters& counters() const noexcept { return ctr_; }
  size_t pending_bytes() const noexcept { return pending_.size(); }
  uint64_t file_bytes() const noexcept { return file_size_; }  // size of the current file
  int last_errno() const noexcept { return last_errno_; }
  const std::string& path() const noexcept { return path_; }

 private:
  bool open_file() noexcept;  // (re)opens path_; false + last_errno_ on failure
  bool rotate() noexcept;     // false: the rename failed (counted); writing goes on in the current file
  void apply_retention(std::string_view just_rotated) noexcept;  // deletes beyond max_files/max_total_bytes
  void sync_data() noexcept;  // fdatasync the live file if it has unsynced lines
  void sync_dir() noexcept;   // persist a rename and the new file's directory entry
  int64_t now() const noexcept;
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
  int64_t opened_at_ = 0;      // clock when the current file was opened (age rotation)
  int64_t last_sync_at_ = 0;   // clock of the last fdatasync attempt (kInterval)
  bool unsynced_ = false;      // lines written since the last fdatasync
  uint64_t kicked_to_ = 0;     // file offset up to which writeback was started (sync_file_range)
  std::string dir_;            // directory of path_ (retention, directory fsync)
  std::string rotate_prefix_;  // "flows-": rotated names are PREFIX YYYYmmddTHHMMSS-N EXT
  NdjsonFileCounters ctr_;
};

}  // namespace spanwatch::lib
