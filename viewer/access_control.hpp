// Who may read flows: the Host header check that defeats DNS rebinding on a loopback bind, and the
// access token (Authorization: Bearer, or a session cookie obtained with it) required on any other bind.
#pragma once
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spanwatch::viewer {

class AccessControl {
 public:
  AccessControl(std::string token, std::vector<std::string> allowed_hosts);

  bool token_required() const noexcept { return !token_.empty(); }
  // Without a token only loopback names (and allowed_hosts) may appear in Host: a DNS-rebound name
  // pointing at 127.0.0.1 is refused. With a token the token is the guard.
  bool host_allowed(std::string_view host_header) const;
  // Authorization: Bearer <token>, or Cookie: sw_session=<id> from login().
  bool authorized(std::string_view authorization, std::string_view cookie);
  // Checks the token (constant time); on success returns a new session id for the cookie. Failed
  // attempts are rate-limited: nullopt with *throttled set while the limit applies.
  std::optional<std::string> login(std::string_view token, bool* throttled);
  void logout(std::string_view cookie);

  static constexpr const char* kCookieName = "sw_session";
  static constexpr size_t kMaxSessions = 256;
  static constexpr std::chrono::hours kSessionLifetime{12};
  static constexpr std::chrono::milliseconds kFailureDelay{1000};

 private:
  using Clock = std::chrono::steady_clock;
  std::optional<std::string> session_of(std::string_view cookie) const;

  std::string token_;
  std::vector<std::string> allowed_hosts_;
  std::mutex mu_;
  std::map<std::string, Clock::time_point, std::less<>> sessions_;  // id -> expiry
  Clock::time_point next_attempt_{};
};

bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace spanwatch::viewer
