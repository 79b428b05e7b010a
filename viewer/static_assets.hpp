// The web UI's files, read once at start-up into memory. Requests are answered only for paths that are
// keys of this table, so no request path ever reaches the file system (no traversal by construction).
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace spanwatch::viewer {

struct Asset {
  std::string body;
  std::string mime;
};

class StaticAssets {
 public:
  // Loads every regular file with a known extension under `dir` (not hidden ones, not through symlinked
  // directories), keyed by "/relative/path". Throws std::runtime_error when the directory has no
  // index.html, or the files exceed the size limits.
  static StaticAssets load(const std::string& dir);

  // "/" is "/index.html". nullptr for anything else that is not an exact key.
  const Asset* find(std::string_view path) const;
  size_t size() const noexcept { return files_.size(); }
  const std::string& dir() const noexcept { return dir_; }

  static constexpr size_t kMaxFiles = 256;
  static constexpr size_t kMaxTotalBytes = 16u << 20;

 private:
  std::string dir_;
  std::map<std::string, Asset, std::less<>> files_;
};

std::string_view mime_type(std::string_view path);  // "" for extensions that are never served

}  // namespace spanwatch::viewer
