// Renders packet bytes as display text the way Wireshark/tshark 4.0 do (epan format_text): printable
// ASCII as is, C escapes (\n, \t, ...) and 3-digit octal (\004) for other ASCII controls, valid UTF-8 as is,
// invalid UTF-8 as U+FFFD, non-printable Unicode as \uXXXX / \UXXXXXXXX. Used for DNS names so that they
// compare equal to tshark's dns.qry.name. Bounded output, no allocation.
#pragma once
#include <cstddef>
#include <cstdint>

namespace spanwatch::lib {

struct EscapeResult {
  size_t len = 0;          // bytes written to out (NUL not counted)
  bool truncated = false;  // some input did not fit; out ends before the first escape that did not fit
};

// Writes at most cap - 1 bytes plus a NUL into out (cap >= 1). An escape sequence or UTF-8 character is
// never cut in half. "Non-printable Unicode" covers controls, format characters, surrogates and
// noncharacters; other unassigned code points (which GLib also escapes) are passed through.
EscapeResult escape_text_tshark(const uint8_t* s, size_t n, char* out, size_t cap) noexcept;

}  // namespace spanwatch::lib
