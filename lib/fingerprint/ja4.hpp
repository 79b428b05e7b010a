// JA4 TLS client fingerprint (FoxIO JA4, BSD-3-Clause part only; JA4S/JA4H/JA4X/... are not implemented).
// No allocation; outputs go into caller-provided char buffers.
#pragma once
#include <cstddef>
#include <cstdint>

#include "lib/fingerprint/tls_client_hello.hpp"

namespace spanwatch::lib {

inline constexpr size_t kJa4Len = 36;              // t13d1516h2_8daaf6152771_e5627efa2ab1
inline constexpr size_t kJa4MaxLen = kJa4Len + 1;  // with the terminating NUL
// Raw form: prefix(10) + ciphers(5 each) + extensions(5 each) + sig algs(5 each) + separators + NUL.
inline constexpr size_t kJa4RawMaxLen =
    10 + 1 + 5 * kMaxCiphers + 1 + 5 * kMaxExtensions + 1 + 5 * kMaxSigAlgs + 1;

enum class Ja4Order : uint8_t {
  kSorted,    // JA4 proper: sorted ciphers; sorted extensions without SNI/ALPN
  kOriginal,  // JA4_o: wire order, SNI and ALPN kept
};

// Writes the 36-char fingerprint plus NUL into `out` (kJa4MaxLen bytes); returns 36.
// transport: 't' TCP, 'q' QUIC, 'd' DTLS.
size_t ja4(const ClientHello& ch, char transport, char* out, Ja4Order order = Ja4Order::kSorted) noexcept;

// The raw (unhashed) form, e.g. t13d1516h2_002f,0035,..._0005,000a,..._0403,0804,...; NUL-terminated.
// Returns the length written (without NUL), or 0 if `cap` < kJa4RawMaxLen.
size_t ja4_r(const ClientHello& ch, char transport, char* out, size_t cap,
             Ja4Order order = Ja4Order::kSorted) noexcept;

}  // namespace spanwatch::lib
