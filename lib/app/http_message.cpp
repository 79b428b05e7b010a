#include "lib/app/http_message.hpp"

#include <algorithm>
#include <cstring>

namespace spanwatch::lib {
namespace {

constexpr unsigned kMaxLeadingEmptyLines = 4;   // RFC 9112 2.2: ignore "at least one" empty line
constexpr size_t kMaxContentLengthDigits = 18;  // < 10^18 fits uint64_t without overflow checks

struct Line {
  const uint8_t* p = nullptr;
  size_t n = 0;     // without CR LF
  size_t next = 0;  // offset after the LF
  bool bare_lf = false;
};

bool next_line(const uint8_t* d, size_t len, size_t off, Line& l) noexcept {
  if (off >= len) return false;
  const auto* lf = static_cast<const uint8_t*>(std::memchr(d + off, '\n', len - off));
  if (lf == nullptr) return false;
  const size_t e = size_t(lf - d);
  l.p = d + off;
  l.bare_lf = e == off || d[e - 1] != '\r';
  l.n = e - off - (l.bare_lf ? 0 : 1);
  l.next = e + 1;
  return true;
}

constexpr bool is_tchar(uint8_t c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && std::string_view("!#$%&'*+-.^_`|~").find(char(c)) != std::string_view::npos;
}
constexpr bool is_ows(uint8_t c) noexcept {
  return c == ' ' || c == '\t';
}
constexpr bool is_digit(uint8_t c) noexcept {
  return c >= '0' && c <= '9';
}

std::string_view view(const uint8_t* p, size_t n) noexcept {
  return {reinterpret_cast<const char*>(p), n};
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_ows(uint8_t(s.front()))) s.remove_prefix(1);
  while (!s.empty() && is_ows(uint8_t(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (x != b[i]) return false;  // b is lowercase
  }
  return true;
}

// "HTTP/" DIGIT "." DIGIT
bool is_version(std::string_view s) noexcept {
  return s.size() == 8 && s.substr(0, 5) == "HTTP/" && is_digit(uint8_t(s[5])) && s[6] == '.' &&
         is_digit(uint8_t(s[7]));
}

// Content-Length: 1*DIGIT, or a list of identical values (RFC 9110 8.6 lets a recipient accept that).
bool parse_content_length(std::string_view v, uint64_t& out) noexcept {
  bool have = false;
  uint64_t first = 0;
  while (true) {
    const size_t comma = v.find(',');
    const std::string_view item = trim(v.substr(0, comma));
    if (item.empty() || item.size() > kMaxContentLengthDigits) return false;
    uint64_t n = 0;
    for (char c : item) {
      if (!is_digit(uint8_t(c))) return false;
      n = n * 10 + uint64_t(c - '0');
    }
    if (have && n != first) return false;
    first = n;
    have = true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  out = first;
  return true;
}

// RFC 9110 5.5: a recipient must reject or replace CR, LF and NUL inside a field value with SP. LF cannot
// occur (it ends the line); a stray CR or NUL is replaced in the stored copy.
template <size_t N>
void set_once(BoundedText<N>& f, std::string_view v) noexcept {
  if (f.present) return;
  f.assign(v);
  for (size_t i = 0; i < f.len; ++i) {
    if (f.buf[i] == '\0' || f.buf[i] == '\r') f.buf[i] = ' ';
  }
}

// Reads header lines from `off` to the blank line. `field(name, value)` handles the kind-specific fields
// and returns true when it used the line.
template <typename Field>
HttpStatus parse_headers(const uint8_t* d, size_t len, size_t off, HttpHeadInfo& head, Field field) noexcept {
  Line l;
  while (next_line(d, len, off, l)) {
    off = l.next;
    head.bare_lf = head.bare_lf || l.bare_lf;
    if (l.n == 0) {
      head.complete = true;
      head.head_len = static_cast<uint32_t>(l.next);
      return HttpStatus::kOk;
    }
    if (head.header_lines >= kHttpMaxHeaderLines) continue;  // only look for the end of the head
    ++head.header_lines;
    if (is_ows(l.p[0])) {
      ++head.folded_lines;
      continue;
    }
    const auto* colon = static_cast<const uint8_t*>(std::memchr(l.p, ':', l.n));
    if (colon == nullptr) {
      ++head.bad_lines;
      continue;
    }
    std::string_view name = view(l.p, size_t(colon - l.p));
    while (!name.empty() && is_ows(uint8_t(name.back()))) name.remove_suffix(1);  // "Host :" seen in the wild
    bool valid = !name.empty();
    for (char c : name) valid = valid && is_tchar(uint8_t(c));
    if (!valid) {
      ++head.bad_lines;
      continue;
    }
    const std::string_view value = trim(view(colon + 1, l.n - size_t(colon + 1 - l.p)));
    if (iequals(name, "content-length")) {
      uint64_t n = 0;
      const bool ok = parse_content_length(value, n);
      if (!head.has_content_length && ok) {
        head.has_content_length = true;
        head.content_length = n;
      } else if (!ok || n != head.content_length) {
        head.bad_content_length = true;  // unparsable or conflicting: a request-smuggling signal
      }
    } else if (iequals(name, "content-type")) {
      set_once(head.content_type, value);
    } else {
      field(name, value);
    }
  }
  return HttpStatus::kNeedMore;
}

// Skips empty lines before the start line; returns false when there are too many.
bool skip_leading_empty(const uint8_t* d, size_t len, size_t& off) noexcept {
  for (unsigned i = 0;; ++i) {
    Line l;
    if (!next_line(d, len, off, l) || l.n != 0) return true;
    if (i == kMaxLeadingEmptyLines) return false;
    off = l.next;
  }
}

// An incomplete first line: could it still become a start line?
HttpStatus incomplete_start(const uint8_t* p, size_t n, bool request) noexcept {
  if (n > kHttpMaxStartLine) return HttpStatus::kNotHttp;
  if (request) {
    size_t i = 0;
    while (i < n && i <= kHttpMethodMax && is_tchar(p[i])) ++i;
    if (i > kHttpMethodMax) return HttpStatus::kNotHttp;
    if (i == n) return HttpStatus::kNeedMore;
    return i > 0 && p[i] == ' ' ? HttpStatus::kNeedMore : HttpStatus::kNotHttp;
  }
  constexpr std::string_view kPrefix = "HTTP/";
  const size_t k = n < kPrefix.size() ? n : kPrefix.size();
  return view(p, k) == kPrefix.substr(0, k) ? HttpStatus::kNeedMore : HttpStatus::kNotHttp;
}

}  // namespace

HttpStatus parse_http_request(const uint8_t* d, size_t len, HttpRequest& out) noexcept {
  out = HttpRequest{};
  if (d == nullptr) return HttpStatus::kNeedMore;
  size_t off = 0;
  if (!skip_leading_empty(d, len, off)) return HttpStatus::kNotHttp;
  Line l;
  if (!next_line(d, len, off, l)) return incomplete_start(d + off, len - off, true);
  out.head.bare_lf = l.bare_lf;

  // method SP request-target SP HTTP-version (several spaces tolerated)
  const std::string_view line = view(l.p, l.n);
  size_t i = 0;
  while (i < line.size() && is_tchar(uint8_t(line[i]))) ++i;
  if (i == 0 || i > kHttpMethodMax || i == line.size() || line[i] != ' ') return HttpStatus::kNotHttp;
  const std::string_view method = line.substr(0, i);
  while (i < line.size() && line[i] == ' ') ++i;
  const size_t t0 = i;
  while (i < line.size() && line[i] != ' ') {
    const auto c = uint8_t(line[i]);
    if (c < 0x21 || c == 0x7f) return HttpStatus::kNotHttp;  // controls never appear in a target
    ++i;
  }
  std::string_view target = line.substr(t0, i - t0);
  std::string_view version = trim(line.substr(i));
  if (!version.empty() && !is_version(version)) {
    // Unencoded spaces in the target (scanners, exploits): as Zeek and nginx do, the version is the
    // last word and the target everything before it.
    const size_t last = line.find_last_of(' ');
    const std::string_view v = trim(line.substr(last + 1));
    const std::string_view t = trim(line.substr(t0, last - t0));
    const bool clean =
        std::none_of(t.begin(), t.end(), [](char c) { return uint8_t(c) < 0x20 || c == 0x7f; });
    if (last > t0 && is_version(v) && clean) {
      target = t;
      version = v;
    }
  }
  if (target.empty()) return HttpStatus::kNotHttp;
  // HTTP/0.9 ("GET /path", no version) is only accepted with an origin-form target.
  if (!is_version(version) && !(version.empty() && method == "GET" && target[0] == '/'))
    return HttpStatus::kNotHttp;
  out.method.assign(method);
  out.target.assign(target);
  if (!version.empty()) out.version.assign(version);

  return parse_headers(d, len, l.next, out.head, [&out](std::string_view name, std::string_view value) {
    if (iequals(name, "host")) {
      set_once(out.host, value);
    } else if (iequals(name, "user-agent")) {
      set_once(out.user_agent, value);
    } else if (iequals(name, "referer")) {
      set_once(out.referer, value);
    } else if (iequals(name, "x-forwarded-for")) {
      set_once(out.x_forwarded_for, value);
    }
  });
}

HttpStatus parse_http_response(const uint8_t* d, size_t len, HttpResponse& out) noexcept {
  out = HttpResponse{};
  if (d == nullptr) return HttpStatus::kNeedMore;
  size_t off = 0;
  if (!skip_leading_empty(d, len, off)) return HttpStatus::kNotHttp;
  Line l;
  if (!next_line(d, len, off, l)) return incomplete_start(d + off, len - off, false);
  out.head.bare_lf = l.bare_lf;

  // HTTP-version SP 3DIGIT SP [reason-phrase]; a missing reason (and its space) is tolerated.
  const std::string_view line = view(l.p, l.n);
  if (line.size() < 12 || !is_version(line.substr(0, 8)) || line[8] != ' ') return HttpStatus::kNotHttp;
  uint16_t code = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (!is_digit(uint8_t(line[i]))) return HttpStatus::kNotHttp;
    code = uint16_t(code * 10 + (line[i] - '0'));
  }
  if (line.size() > 12 && line[12] != ' ') return HttpStatus::kNotHttp;
  out.version.assign(line.substr(0, 8));
  out.status_code = code;
  set_once(out.reason, line.size() > 13 ? line.substr(13) : std::string_view{});

  return parse_headers(d, len, l.next, out.head, [&out](std::string_view name, std::string_view value) {
    if (iequals(name, "server")) {
      set_once(out.server, value);
    } else if (iequals(name, "location")) {
      set_once(out.location, value);
    }
  });
}

std::string_view http_host_name(std::string_view host) noexcept {
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(1, close - 1);
  }
  const size_t colon = host.rfind(':');
  // More than one colon without brackets: a bare IPv6 address, not host:port.
  if (colon == std::string_view::npos || host.find(':') != colon) return host;
  return host.substr(0, colon);
}

}  // namespace spanwatch::lib
