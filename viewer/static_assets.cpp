// StaticAssets: load the UI's files into memory, whitelisted by extension.
#include "viewer/static_assets.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace spanwatch::viewer {

std::string_view mime_type(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes)
    if (path.size() > ext.size() && path.ends_with(ext)) return type;
  return {};
}

StaticAssets StaticAssets::load(const std::string& dir) {
  namespace fs = std::filesystem;
  StaticAssets a;
  a.dir_ = dir;
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / "index.html", ec))
    throw std::runtime_error("web assets: " + dir + "/index.html not found (set http.www_dir or --www)");
  size_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (name.starts_with('.')) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::string rel = fs::relative(p, dir).generic_string();
    rel.insert(rel.begin(), '/');  // not "/" + s: GCC 12 -O3 reports a false -Wrestrict there (PR 105651)
    const std::string_view mime = mime_type(rel);
    if (mime.empty()) continue;
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    total += ss.str().size();
    if (a.files_.size() >= kMaxFiles || total > kMaxTotalBytes)
      throw std::runtime_error("web assets: more than 256 files or 16 MB under " + dir);
    a.files_.emplace(rel, Asset{ss.str(), std::string(mime)});
  }
  if (ec) throw std::runtime_error("web assets: " + dir + ": " + ec.message());
  return a;
}

const Asset* StaticAssets::find(std::string_view path) const {
  if (path == "/") path = "/index.html";
  const auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace spanwatch::viewer
