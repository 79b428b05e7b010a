// vsnprintf for the plain conversions only: %d %i %u %x %X %c %s and %%, with the flags '-' and '0', a
// field width and the length modifiers hh h l ll z j t. Same output and return value as the C library's
// vsnprintf for every format it accepts; it refuses the rest (precision, '*', '+', ' ', '#', floating
// point, %n, %p, a null %s), so the caller falls back to the C library. nDPI 4.2 formats a TLS flow's
// JA3 and JA3S strings with ~110 snprintf calls of "%u,"/"%s%u"/"%02x": glibc's stream set-up and format
// interpreter take ~820 instructions a call, this ~230, and ~100 for those three formats and "%02X", which
// it recognises by their bytes before interpreting anything (see workers/ndpi_snprintf.cpp).
#pragma once
#include <cstdarg>
#include <cstddef>

namespace spanwatch::lib {

// Formats like vsnprintf(s, maxlen, fmt, ap) and returns true with the length vsnprintf returns in
// `length`, or returns false for a format it does not handle; `s` may then hold partial output. Reads a
// copy of `ap`, so the caller can fall back with `ap` itself.
bool simple_vsnprintf(char* s, size_t maxlen, const char* fmt, va_list ap, int& length) noexcept;

}  // namespace spanwatch::lib
