// The publisher's overflow on disk: records that do not fit the in-memory buffer (no server reachable for
// long) are appended here and read back, oldest first, when the buffer has room again. Records left at exit
// stay in the file and are sent by the next run. Format: a 4-byte length, then the record, repeated.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/core/unique_fd.hpp"

namespace spanwatch::lib::jetstream {

class SpillFile {
 public:
  // Opens or creates `path`, keeping the records a previous run left (a torn last record is cut off).
  // Throws std::runtime_error when the file cannot be opened.
  SpillFile(std::string path, uint64_t max_bytes);

  bool append(std::string_view rec) noexcept;  // false when full (max_bytes) or on a write error
  bool pop(std::string& out) noexcept;         // the oldest record; false when there is none
  // Moves the unread records to the start of the file, so the next run reads only those (at exit).
  void compact() noexcept;
  uint64_t records() const noexcept { return records_; }
  uint64_t bytes() const noexcept { return write_off_ - read_off_; }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  uint64_t max_bytes_;
  UniqueFd fd_;
  uint64_t read_off_ = 0, write_off_ = 0, records_ = 0;
};

}  // namespace spanwatch::lib::jetstream
