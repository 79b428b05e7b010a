// nDPI 4.2 grows a TLS flow's reassembly buffer with ndpi_realloc, which is ndpi_malloc + memcpy of the
// whole buffer + ndpi_free, by the size of each packet that does not fit: once per certificate packet,
// copying kilobytes each time. nDPI's malloc and free are the C library's (spanwatch sets no
// set_ndpi_malloc/set_ndpi_free), so realloc, which grows the block in place when it can, gives nDPI the
// same bytes: the first min(old, new) bytes of the old buffer, the old pointer untouched when it fails.
// What it skips is nDPI's count of allocated bytes (ndpi_get_tot_allocated_memory), which spanwatch does
// not read.
// nDPI also appends each subjectAltName of a certificate to the flow's server_names list with a realloc of
// a few bytes more (43 names a certificate on the mixed bench trace, ~400 instructions each in realloc):
// blocks are given in 256-byte steps, and a size that still fits the block returns it unchanged.
#include <dlfcn.h>
#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "workers/ndpi_overrides.hpp"

extern "C" {

void* ndpi_realloc(void* ptr, size_t /*old_size*/, size_t new_size) noexcept {
  constexpr size_t kStep = 256;
  if (ptr != nullptr && new_size <= malloc_usable_size(ptr)) return ptr;  // size 0 too: never NULL
  const size_t rounded = new_size <= SIZE_MAX - kStep ? (new_size + kStep - 1) & ~(kStep - 1) : new_size;
  return std::realloc(ptr, rounded);
}

}  // extern "C"

namespace spanwatch::workers {

bool realloc_interposed() noexcept {
  return dlsym(RTLD_DEFAULT, "ndpi_realloc") == reinterpret_cast<void*>(&ndpi_realloc);
}

}  // namespace spanwatch::workers
