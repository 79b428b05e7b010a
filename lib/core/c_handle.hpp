// Move-only RAII for C handles: std::unique_ptr with a deleter that calls the library's free function.
#pragma once
#include <memory>

namespace spanwatch::lib {

template <auto Fn>
struct CFree {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};

}  // namespace spanwatch::lib
