#include "pipeline/af_packet_drops.hpp"

#include <dirent.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <memory>

namespace spanwatch::pipeline {

size_t AfPacketDrops::attach(int ifindex) noexcept {
  if (ifindex <= 0) return 0;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc/self/fd"), &::closedir);
  if (!dir) return 0;
  try {
    while (const dirent* e = ::readdir(dir.get())) {
      char* end = nullptr;
      const long fd = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0' || fd == ::dirfd(dir.get())) continue;
      struct stat st {};
      if (::fstat(int(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
      int domain = 0;
      socklen_t len = sizeof(domain);
      if (::getsockopt(int(fd), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_PACKET) continue;
      sockaddr_ll sll{};
      len = sizeof(sll);
      if (::getsockname(int(fd), reinterpret_cast<sockaddr*>(&sll), &len) != 0 || sll.sll_ifindex != ifindex)
        continue;
      fds_.push_back(int(fd));
    }
  } catch (...) {  // bad_alloc of a few ints: go without the kernel's drop count
  }
  return fds_.size();
}

uint64_t AfPacketDrops::drops() noexcept {
  for (int fd : fds_) {
    tpacket_stats st{};
    socklen_t len = sizeof(st);
    if (::getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
      drops_.fetch_add(st.tp_drops, std::memory_order_relaxed);
  }
  return drops_.load(std::memory_order_relaxed);
}

}  // namespace spanwatch::pipeline
