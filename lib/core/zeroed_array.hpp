// A fixed array of T in anonymous pages: the kernel hands out zero pages on first touch, so a large cache or
// table costs memory (and start-up time) only for the part that gets used. T must be valid as all-zero bytes
// (every member zero/false/empty means "unused") and trivially destructible.
//
// mmap, not calloc: glibc's calloc writes every byte of a large block when MALLOC_PERTURB_ is set (meson
// test sets it), which touched all 900 MB of a replay's tables and made each replay five times slower.
// Arrays of 2 MiB or more ask for transparent huge pages: a flow table is read at random, and with 4 KiB
// pages nearly every lookup in a large table also missed the TLB (flow_table_bench: 266 -> see
// docs/performance.md at 1M flows).
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace spanwatch::lib {

template <class T>
class ZeroedArray {
 public:
  ZeroedArray() = default;
  // kSmallPages: for arrays read once per flow, not probed at random (the packed metadata's many size
  // classes), where a 2 MiB page per array would cost more memory than the TLB misses it saves.
  enum Pages : bool { kHugePagesIfLarge, kSmallPages };
  explicit ZeroedArray(size_t n, Pages pages = kHugePagesIfLarge) : n_(n), bytes_((n ? n : 1) * sizeof(T)) {
    static_assert(std::is_trivially_destructible_v<T>, "elements are unmapped, never destroyed");
    void* p =
        ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    if (bytes_ >= kHugePage && pages == kHugePagesIfLarge)
      ::madvise(p, bytes_, MADV_HUGEPAGE);  // a hint: fine if THP is off
    p_ = static_cast<T*>(p);
  }
  ZeroedArray(ZeroedArray&& o) noexcept
      : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)), bytes_(std::exchange(o.bytes_, 0)) {}
  ZeroedArray& operator=(ZeroedArray&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  ZeroedArray(const ZeroedArray&) = delete;
  ZeroedArray& operator=(const ZeroedArray&) = delete;
  ~ZeroedArray() { release(); }

  T& operator[](size_t i) noexcept { return p_[i]; }
  const T& operator[](size_t i) const noexcept { return p_[i]; }
  T* data() noexcept { return p_; }
  const T* data() const noexcept { return p_; }
  size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  T* begin() noexcept { return p_; }
  T* end() noexcept { return p_ + n_; }
  const T* begin() const noexcept { return p_; }
  const T* end() const noexcept { return p_ + n_; }

 private:
  static constexpr size_t kHugePage = size_t{2} << 20;
  void release() noexcept {
    if (p_) ::munmap(p_, bytes_);
  }
  T* p_ = nullptr;
  size_t n_ = 0;
  size_t bytes_ = 0;
};

}  // namespace spanwatch::lib
