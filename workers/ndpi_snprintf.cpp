// nDPI 4.2 (Debian's libndpi, built with _FORTIFY_SOURCE) builds a TLS flow's JA3 and JA3S strings with
// ~110 calls of __snprintf_chk ("%u,", "%s%u", "%02x" for the MD5 digests), ~820 instructions each in
// glibc: a fifth of the worker's instructions while flows start. The executable defines __snprintf_chk, so
// the dynamic linker binds libndpi's calls (and every other library's) to this one, which formats the plain
// conversions itself (lib::simple_vsnprintf, same bytes and return value as glibc) and hands any other
// format to glibc's __vsnprintf_chk unchanged; __sprintf_chk (nDPI's certificate serial numbers) and the
// plain snprintf likewise.
// Nothing else changes: nDPI gets the same strings.
#include <dlfcn.h>

#include <cstdarg>
#include <cstddef>

#include "lib/core/simple_format.hpp"
#include "workers/ndpi_overrides.hpp"

extern "C" {

int __vsnprintf_chk(char* __restrict s, size_t maxlen, int flag, size_t slen, const char* __restrict format,
                    va_list ap) noexcept;
int __vsprintf_chk(char* __restrict s, int flag, size_t slen, const char* __restrict format,
                   va_list ap) noexcept;
int vsnprintf(char* __restrict s, size_t maxlen, const char* __restrict format, va_list ap) noexcept;

// glibc's fortified snprintf: `slen` is the size of the object `s` points into (glibc aborts when it is
// smaller than `maxlen`), `flag` > 0 turns on checks of %n and positional arguments, which the fast path
// does not accept anyway.
int __snprintf_chk(char* __restrict s, size_t maxlen, int flag, size_t slen, const char* __restrict format,
                   ...) noexcept {
  va_list ap;
  va_start(ap, format);
  int n = 0;
  if (slen < maxlen || !spanwatch::lib::simple_vsnprintf(s, maxlen, format, ap, n))
    n = __vsnprintf_chk(s, maxlen, flag, slen, format, ap);
  va_end(ap);
  return n;
}

// The plain snprintf, which nDPI 4.2 calls where the format has no conversion to check (",", "%s" between
// a TLS flow's JA3 fields, ~420 instructions a call in glibc).
int snprintf(char* __restrict s, size_t maxlen, const char* __restrict format, ...) noexcept {
  va_list ap;
  va_start(ap, format);
  int n = 0;
  if (!spanwatch::lib::simple_vsnprintf(s, maxlen, format, ap, n)) n = vsnprintf(s, maxlen, format, ap);
  va_end(ap);
  return n;
}

// glibc's fortified sprintf, which nDPI 4.2 calls with "%02X" for every byte of a certificate's serial
// number (~700 instructions a call in glibc): formatted as snprintf into the `slen` bytes the object has;
// output that does not fit (glibc aborts then) and every format the fast path refuses go to glibc.
int __sprintf_chk(char* __restrict s, int flag, size_t slen, const char* __restrict format, ...) noexcept {
  va_list ap;
  va_start(ap, format);
  int n = 0;
  if (!spanwatch::lib::simple_vsnprintf(s, slen, format, ap, n) || size_t(n) >= slen)
    n = __vsprintf_chk(s, flag, slen, format, ap);
  va_end(ap);
  return n;
}

}  // extern "C"

namespace spanwatch::workers {

bool snprintf_interposed() noexcept {
  return dlsym(RTLD_DEFAULT, "__snprintf_chk") == reinterpret_cast<void*>(&__snprintf_chk) &&
         dlsym(RTLD_DEFAULT, "__sprintf_chk") == reinterpret_cast<void*>(&__sprintf_chk) &&
         dlsym(RTLD_DEFAULT, "snprintf") == reinterpret_cast<void*>(&snprintf);
}

}  // namespace spanwatch::workers
