// A three-way comparison (-1, 0, 1) from operator<, for sort keys that chain several fields.
#pragma once

namespace spanwatch::viewer {

template <class T>
int cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace spanwatch::viewer
