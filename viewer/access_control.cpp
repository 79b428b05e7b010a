// AccessControl: Host allow-list, bearer token, session cookies, login throttling.
#include "viewer/access_control.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "lib/core/hex_digits.hpp"
#include "viewer/ip_match.hpp"
#include "viewer/viewer_config.hpp"

namespace spanwatch::viewer {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// "host:port", "[v6]:port", "host" -> "host" / "v6"
std::string host_part(std::string_view h) {
  if (!h.empty() && h.front() == '[') {
    const size_t close = h.find(']');
    return close == std::string_view::npos ? std::string() : std::string(h.substr(1, close - 1));
  }
  const size_t colon = h.find(':');
  return std::string(colon == std::string_view::npos ? h : h.substr(0, colon));
}

std::string random_id() {
  std::array<unsigned char, 16> raw{};
  size_t got = 0;
  while (got < raw.size()) {
    const ssize_t n = getrandom(raw.data() + got, raw.size() - got, 0);
    if (n <= 0) throw std::runtime_error("getrandom failed");
    got += static_cast<size_t>(n);
  }
  std::string out;
  for (unsigned char b : raw) {
    out += lib::kHexLower[b >> 4];
    out += lib::kHexLower[b & 15];
  }
  return out;
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // Time depends only on the length of `b` (the secret's length is not secret; its content is).
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) diff |= static_cast<unsigned char>((i < a.size() ? a[i] : 0) ^ b[i]);
  return diff == 0;
}

AccessControl::AccessControl(std::string token, std::vector<std::string> allowed_hosts)
    : token_(std::move(token)) {
  for (const std::string& h : allowed_hosts) allowed_hosts_.push_back(lower(h));
}

bool AccessControl::host_allowed(std::string_view host_header) const {
  if (token_required() || host_header.empty()) return true;
  const std::string host = lower(host_part(host_header));
  if (host == "localhost" || is_loopback_address(host)) return true;
  return std::find(allowed_hosts_.begin(), allowed_hosts_.end(), host) != allowed_hosts_.end();
}

std::optional<std::string> AccessControl::session_of(std::string_view cookie) const {
  // Cookie: a=b; sw_session=<id>; c=d
  const std::string_view name = kCookieName;
  for (size_t pos = 0; pos < cookie.size();) {
    while (pos < cookie.size() && (cookie[pos] == ' ' || cookie[pos] == ';')) ++pos;
    const size_t end = std::min(cookie.find(';', pos), cookie.size());
    const std::string_view item = cookie.substr(pos, end - pos);
    if (item.size() > name.size() && item.starts_with(name) && item[name.size()] == '=')
      return std::string(item.substr(name.size() + 1));
    pos = end;
  }
  return std::nullopt;
}

bool AccessControl::authorized(std::string_view authorization, std::string_view cookie) {
  if (!token_required()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.starts_with(kBearer) && constant_time_equal(authorization.substr(kBearer.size()), token_))
    return true;
  const auto id = session_of(cookie);
  if (!id) return false;
  const std::lock_guard lock(mu_);
  const auto it = sessions_.find(*id);
  if (it == sessions_.end()) return false;
  if (it->second < Clock::now()) {
    sessions_.erase(it);
    return false;
  }
  return true;
}

std::optional<std::string> AccessControl::login(std::string_view token, bool* throttled) {
  *throttled = false;
  const std::lock_guard lock(mu_);
  const Clock::time_point now = Clock::now();
  if (now < next_attempt_) {
    *throttled = true;
    return std::nullopt;
  }
  if (!token_required() || !constant_time_equal(token, token_)) {
    next_attempt_ = now + kFailureDelay;
    return std::nullopt;
  }
  std::erase_if(sessions_, [&](const auto& s) { return s.second < now; });
  if (sessions_.size() >= kMaxSessions) {  // drop the session closest to expiry
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    sessions_.erase(oldest);
  }
  std::string id = random_id();
  sessions_.emplace(id, now + kSessionLifetime);
  return id;
}

void AccessControl::logout(std::string_view cookie) {
  const auto id = session_of(cookie);
  if (!id) return;
  const std::lock_guard lock(mu_);
  sessions_.erase(*id);
}

}  // namespace spanwatch::viewer
