// Fuzz target: the HTTP/1.x head parsers (request line or status line, header fields, obs-fold, bare LF,
// Content-Length) and the Host-name extraction the workers apply. Input: the first bytes of one direction,
// read both as a request and as a response.
#include <cstdint>

#include "lib/app/http_message.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;

namespace {

template <size_t N>
void check_text(const lib::BoundedText<N>& t) {
  FUZZ_CHECK(t.len <= N && t.buf[t.len] == '\0');
}

void check_head(const lib::HttpHeadInfo& h, size_t size) {
  FUZZ_CHECK(h.head_len <= size);
  FUZZ_CHECK(h.complete || h.head_len == 0);
  check_text(h.content_type);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lib::HttpRequest req;
  lib::parse_http_request(data, size, req);
  check_text(req.method);
  check_text(req.target);
  check_text(req.version);
  check_text(req.host);
  check_text(req.user_agent);
  check_text(req.referer);
  check_text(req.x_forwarded_for);
  check_head(req.head, size);
  const std::string_view host = lib::http_host_name(req.host.view());
  FUZZ_CHECK(host.size() <= req.host.len &&
             (host.empty() || (host.data() >= req.host.buf.data() &&
                               host.data() + host.size() <= req.host.buf.data() + req.host.len)));

  lib::HttpResponse resp;
  lib::parse_http_response(data, size, resp);
  check_text(resp.version);
  check_text(resp.reason);
  check_text(resp.server);
  check_text(resp.location);
  check_head(resp.head, size);
  return 0;
}
