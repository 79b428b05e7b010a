// Faster versions of functions that Debian's libndpi 4.2 calls through its PLT, defined in the executable
// so that the dynamic linker binds nDPI's calls to them (ld exports a definition that a linked shared
// library refers to). Each gives nDPI the same bytes as the function it replaces, only sooner:
// - __snprintf_chk, __sprintf_chk and snprintf (ndpi_snprintf.cpp): the plain conversions of nDPI's JA3
//   strings and certificate serial numbers without glibc's stream machinery;
// - SHA1Transform (ndpi_sha1.cpp): nDPI's certificate SHA-1 through libcrypto's block function (SHA-NI)
//   instead of nDPI's portable C;
// - ndpi_realloc (ndpi_realloc.cpp): the C library's realloc instead of malloc + copy + free, in 256-byte
//   steps and not called when the block still has room (a certificate's names, appended one by one).
// NdpiDetector calls the checks below, which also makes the linker take these objects into every program
// that runs nDPI.
#pragma once

namespace spanwatch::workers {

// Whether the process's __snprintf_chk, __sprintf_chk and snprintf, the ones libndpi calls, are ours.
bool snprintf_interposed() noexcept;
// Whether the process's SHA1Transform, the one libndpi's SHA1Update calls, is ours.
bool sha1_interposed() noexcept;
// Whether the process's ndpi_realloc, the one libndpi's TLS reassembly calls, is ours.
bool realloc_interposed() noexcept;

}  // namespace spanwatch::workers
