// POSIX shared-memory plumbing for the ring (see shm_posix.hpp).
#include "lib/ring/shm_posix.hpp"

#include <fmt/format.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spanwatch::lib::shm_detail {

void MunmapDeleter::operator()(std::byte* p) const noexcept {
  if (p != nullptr) ::munmap(p, bytes);
}

MappedRegion map_shared(int fd, size_t bytes, bool writable, bool populate, const std::string& name) {
  const int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
  const int flags = MAP_SHARED | (populate ? MAP_POPULATE : 0);
  void* p = ::mmap(nullptr, bytes, prot, flags, fd, 0);
  if (p == MAP_FAILED) throw_errno(name, fmt::format("mmap({} bytes)", bytes), errno);
  return MappedRegion(static_cast<std::byte*>(p), MunmapDeleter{bytes});
}

void check_name(std::string_view name) {
  const auto fail = [&](std::string_view why) {
    throw ShmRingError(
        ShmRingErrc::kInvalidName,
        fmt::format("shm ring name \"{}\": {}; use \"/name\", e.g. \"/spanwatch-flows\"", name, why));
  };
  if (name.size() < 2 || name[0] != '/') fail("must start with '/' followed by at least one character");
  if (name.find('/', 1) != std::string_view::npos) fail("must not contain a second '/'");
  if (name.size() - 1 > NAME_MAX) fail(fmt::format("longer than {} bytes", NAME_MAX));
  if (name == "/." || name == "/..") fail("is not a file name");
  if (name.find('\0') != std::string_view::npos) fail("contains a NUL byte");
}

void throw_errno(const std::string& name, const std::string& what, int err) {
  ShmRingErrc code = ShmRingErrc::kSystem;
  std::string hint;
  switch (err) {
    case ENOENT:
      code = ShmRingErrc::kNotFound;
      hint = " (is the writer running?)";
      break;
    case EACCES:
    case EPERM:
      code = ShmRingErrc::kPermission;
      hint = " (check the owner and mode of /dev/shm" + name + ")";
      break;
    case ENOSPC:
    case ENOMEM:
    case EFBIG:
      code = ShmRingErrc::kNoSpace;
      hint = " (free space in /dev/shm or lower the ring capacity)";
      break;
    case ENAMETOOLONG:
      code = ShmRingErrc::kInvalidName;
      break;
    default:
      break;
  }
  throw ShmRingError(code, fmt::format("shm ring {}: {}: {}{}", name, what, std::strerror(err), hint));
}

ObjectId object_id(int fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno(name, "fstat", errno);
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

}  // namespace spanwatch::lib::shm_detail
