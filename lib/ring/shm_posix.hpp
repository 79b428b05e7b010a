// POSIX shared-memory plumbing for the ring: the error type, move-only owners of the descriptor and the
// mapping, and name checks. Start-up code only: everything here may allocate and throw.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lib/core/unique_fd.hpp"

namespace spanwatch::lib {

// Why opening or creating a ring failed, so a caller can tell "retry later" from "fix the config".
enum class ShmRingErrc : uint8_t {
  kInvalidArgument,  // capacity, payload size, ... out of range
  kInvalidName,      // not "/name" with one slash and at most 255 bytes
  kNotFound,         // no such ring: the writer is not running (retry later)
  kNotReady,         // the writer is still initialising it (retry shortly)
  kPermission,       // EACCES/EPERM on the shm object
  kNoSpace,          // /dev/shm (tmpfs) is full or too small
  kInUse,            // another live writer owns the name
  kBadMagic,         // not a spanwatch ring
  kBadVersion,       // a spanwatch ring with another layout version
  kBadLayout,        // inconsistent or truncated header/geometry
  kRecordMismatch,   // the ring carries a record type or size the reader did not ask for
  kSystem,           // any other failed system call
};

class ShmRingError : public std::runtime_error {
 public:
  ShmRingError(ShmRingErrc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ShmRingErrc code() const noexcept { return code_; }

 private:
  ShmRingErrc code_;
};

namespace shm_detail {

using Fd = UniqueFd;

// munmap with the length it was mapped with (Seastar's mmap_deleter).
struct MunmapDeleter {
  size_t bytes = 0;
  void operator()(std::byte* p) const noexcept;
};
using MappedRegion = std::unique_ptr<std::byte[], MunmapDeleter>;

// mmap(fd) of `bytes`; MAP_POPULATE when `populate` (the writer prefaults so publish() never faults).
MappedRegion map_shared(int fd, size_t bytes, bool writable, bool populate, const std::string& name);

// Throws kInvalidName unless `name` is "/x" with no further '/' and at most NAME_MAX bytes after the slash.
void check_name(std::string_view name);

// "shm ring NAME: WHAT: strerror(err)", with an error code derived from errno.
[[noreturn]] void throw_errno(const std::string& name, const std::string& what, int err);

// Identity of an open object (device, inode), to see whether the name now refers to another object.
struct ObjectId {
  uint64_t dev = 0, ino = 0;
  bool operator==(const ObjectId&) const = default;
};
ObjectId object_id(int fd, const std::string& name);  // fstat; throws

}  // namespace shm_detail
}  // namespace spanwatch::lib
