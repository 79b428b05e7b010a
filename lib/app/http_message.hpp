// The head of an HTTP/1.x request or response (RFC 9112): start line and the header fields a flow record
// keeps, read from the first bytes of one direction. Stateless: call it again on a longer prefix (see
// StreamPrefix) until it returns kOk. Header names are case-insensitive, a missing CR before LF is
// tolerated, the first occurrence of a field wins. Bounded, no allocation.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "lib/app/bounded_text.hpp"

namespace spanwatch::lib {

enum class HttpStatus : uint8_t {
  kOk,        // start line and every header up to the blank line parsed
  kNeedMore,  // plausible so far, but the head has not ended; fields of the complete lines are filled
  kNotHttp,   // the first line is not an HTTP/1.x start line
  kCount
};
inline constexpr std::array<std::string_view, size_t(HttpStatus::kCount)> kHttpStatusNames{"ok", "need_more",
                                                                                           "not_http"};
inline std::string_view to_string(HttpStatus s) noexcept {
  return kHttpStatusNames[size_t(s)];
}

// A start line longer than this without LF is not HTTP we want to read (servers limit it to 8 KiB too).
inline constexpr size_t kHttpMaxStartLine = 8192;
inline constexpr uint16_t kHttpMaxHeaderLines = 256;  // lines examined; the rest of a longer head is ignored
inline constexpr size_t kHttpMethodMax = 16;
inline constexpr size_t kHttpVersionMax = 8;  // "HTTP/1.1"
inline constexpr size_t kHttpTargetMax = 512;
inline constexpr size_t kHttpHostMax = 255;
inline constexpr size_t kHttpUserAgentMax = 255;
inline constexpr size_t kHttpRefererMax = 255;
inline constexpr size_t kHttpLocationMax = 255;
inline constexpr size_t kHttpContentTypeMax = 127;
inline constexpr size_t kHttpForwardedForMax = 127;
inline constexpr size_t kHttpServerMax = 127;
inline constexpr size_t kHttpReasonMax = 63;

// What both kinds of head share.
struct HttpHeadInfo {
  bool complete = false;      // the blank line was seen
  bool bare_lf = false;       // some line ended in LF without CR
  uint16_t header_lines = 0;  // header lines examined
  uint16_t bad_lines = 0;     // lines without ':' or with an invalid name, skipped
  uint16_t folded_lines = 0;  // obs-fold continuation lines (RFC 9112 5.2), skipped
  uint32_t head_len = 0;      // bytes up to and including the blank line (0 while incomplete)
  bool has_content_length = false;
  bool bad_content_length = false;  // not a decimal number, too large, or repeated with another value
  uint64_t content_length = 0;
  BoundedText<kHttpContentTypeMax> content_type;
};

struct HttpRequest {
  BoundedText<kHttpMethodMax> method;
  BoundedText<kHttpTargetMax> target;    // request-target as sent
  BoundedText<kHttpVersionMax> version;  // empty for an HTTP/0.9 "GET /path" line
  BoundedText<kHttpHostMax> host;
  BoundedText<kHttpUserAgentMax> user_agent;
  BoundedText<kHttpRefererMax> referer;
  BoundedText<kHttpForwardedForMax> x_forwarded_for;
  HttpHeadInfo head;
};

struct HttpResponse {
  BoundedText<kHttpVersionMax> version;
  uint16_t status_code = 0;
  BoundedText<kHttpReasonMax> reason;
  BoundedText<kHttpServerMax> server;
  BoundedText<kHttpLocationMax> location;
  HttpHeadInfo head;
};
static_assert(std::is_trivially_copyable_v<HttpRequest> && std::is_trivially_copyable_v<HttpResponse>,
              "fast-path results: no owned resources");

// `out` is fully overwritten. Leading empty lines before the start line are skipped (RFC 9112 2.2).
HttpStatus parse_http_request(const uint8_t* data, size_t len, HttpRequest& out) noexcept;
HttpStatus parse_http_response(const uint8_t* data, size_t len, HttpResponse& out) noexcept;

// The host part of a Host header value: without ":port", and without the brackets of an IPv6 literal
// ("[2001:db8::1]:8080" -> "2001:db8::1"). What nDPI and ECS url.domain use.
std::string_view http_host_name(std::string_view host) noexcept;

}  // namespace spanwatch::lib
