// A fixed array of T from calloc: the kernel hands out zero pages on first touch, so a large cache or table
// costs memory (and start-up time) only for the part that gets used. T must be valid as all-zero bytes
// (every member zero/false/empty means "unused") and trivially destructible.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

namespace spanwatch::lib {

template <class T>
class ZeroedArray {
  static_assert(std::is_trivially_destructible_v<T>, "elements are freed, never destroyed");

 public:
  ZeroedArray() = default;
  explicit ZeroedArray(size_t n) : p_(static_cast<T*>(std::calloc(n ? n : 1, sizeof(T)))), n_(n) {
    if (!p_) throw std::bad_alloc();
  }

  T& operator[](size_t i) noexcept { return p_.get()[i]; }
  const T& operator[](size_t i) const noexcept { return p_.get()[i]; }
  size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  T* begin() noexcept { return p_.get(); }
  T* end() noexcept { return p_.get() + n_; }
  const T* begin() const noexcept { return p_.get(); }
  const T* end() const noexcept { return p_.get() + n_; }

 private:
  struct Free {
    void operator()(T* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<T, Free> p_;
  size_t n_ = 0;
};

}  // namespace spanwatch::lib
