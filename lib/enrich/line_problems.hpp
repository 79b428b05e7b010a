// Problems found while loading a data file, each "FILE:LINE: what", collected so that one error lists them
// all (the user fixes the file in one pass), the first kMaxShown of them in full.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spanwatch::lib {

// A line quoted in a message: its first 40 bytes, anything but printable ASCII shown as '?'.
inline std::string printable_excerpt(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 40)) out += (c >= ' ' && c <= '~') ? c : '?';
  if (s.size() > 40) out += "...";
  return out;
}

// A loader that skips malformed lines (with a warning, not an error) quotes this many per file and counts
// the rest.
inline constexpr size_t kQuotedSkippedLines = 3;

class LineProblems {
 public:
  static constexpr size_t kMaxShown = 20;

  explicit LineProblems(std::string_view file) : file_(file) {}

  void add(uint32_t line, const std::string& what) {
    ++count_;
    if (shown_.size() < kMaxShown) shown_.push_back(file_ + ":" + std::to_string(line) + ": " + what);
  }
  size_t count() const noexcept { return count_; }

  // Throws "<what> FILE: N problems, nothing loaded:" and the problems, one per line, if there are any.
  void throw_if_any(std::string_view what) const {
    if (count_ == 0) return;
    std::string msg = std::string(what) + " " + file_ + ": " + std::to_string(count_) +
                      (count_ == 1 ? " problem" : " problems") + ", nothing loaded:";
    for (const std::string& p : shown_) msg += "\n  " + p;
    if (count_ > shown_.size()) msg += "\n  ... and " + std::to_string(count_ - shown_.size()) + " more";
    throw std::runtime_error(msg);
  }

 private:
  std::string file_;
  std::vector<std::string> shown_;
  size_t count_ = 0;
};

}  // namespace spanwatch::lib
