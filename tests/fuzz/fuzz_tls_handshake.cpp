// Fuzz target: one direction of a TLS-over-TCP stream through TlsHandshakeReader, and every handshake
// message it yields through the parsers the workers call (ClientHello + JA3/JA4, ServerHello + JA3S, leaf
// certificate in both TLS 1.2 and 1.3 layouts). Input: the stream bytes.
// Checks: every message lies inside the chunk or the reader's buffer, its lengths agree with its header, and
// with TLS at byte 0 the reader yields the same messages whether the stream comes whole or in pieces.
#include <cstdint>
#include <cstring>
#include <vector>

#include "lib/fingerprint/ja3.hpp"
#include "lib/fingerprint/ja4.hpp"
#include "lib/tls/tls_handshake_reader.hpp"
#include "lib/tls/tls_server_hello.hpp"
#include "lib/tls/x509_certificate.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;
using spanwatch::fuzz::inside;

namespace {

struct Seen {
  lib::TlsHandshakeType type;
  uint32_t length;
  bool truncated;
  std::vector<uint8_t> bytes;
  bool operator==(const Seen&) const = default;
};

void parse_message(const lib::TlsHandshakeMessage& msg) {
  switch (msg.type) {
    case lib::TlsHandshakeType::kClientHello: {
      lib::ClientHello ch;
      if (lib::parse_client_hello_message(msg.data, msg.data_len, ch) == lib::TlsParseStatus::kOk) {
        lib::Md5Digest ja3;
        char ja4[lib::kJa4Len + 1];
        lib::ja3(ch, ja3);
        lib::ja4(ch, 't', ja4);
        FUZZ_CHECK(std::strlen(ja4) == lib::kJa4Len);
      }
      break;
    }
    case lib::TlsHandshakeType::kServerHello: {
      lib::ServerHello sh;
      if (lib::parse_server_hello_message(msg.data, msg.data_len, sh) == lib::ServerHelloStatus::kOk) {
        lib::Md5Digest ja3s;
        lib::ja3s(sh, ja3s);
        FUZZ_CHECK(sh.alpn_len <= lib::kMaxAlpnNameLen);
      }
      break;
    }
    case lib::TlsHandshakeType::kCertificate: {
      lib::X509Certificate cert;
      for (bool tls13 : {false, true}) {
        if (lib::parse_tls_leaf_certificate(msg.body(), msg.body_len(), cert, tls13) == lib::X509Status::kOk)
          FUZZ_CHECK(cert.san_dns_count <= lib::kX509MaxSanDns && cert.san_ip_count <= lib::kX509MaxSanIps);
      }
      break;
    }
    default:
      break;
  }
}

// Drains the reader after one feed of [chunk, chunk + n).
void drain(lib::TlsHandshakeReader& r, const uint8_t* chunk, size_t n, const std::vector<uint8_t>& buf,
           std::vector<Seen>* seen) {
  lib::TlsHandshakeMessage msg;
  while (r.next(msg)) {
    FUZZ_CHECK(msg.data_len >= lib::kTlsHandshakeHeaderLen);
    // In place in the chunk, in the caller's buffer, or (an empty body) the reader's own header copy.
    FUZZ_CHECK(
        inside(msg.data, msg.data_len, chunk, n) || inside(msg.data, msg.data_len, buf.data(), buf.size()) ||
        (msg.length == 0 && inside(msg.data, msg.data_len, reinterpret_cast<const uint8_t*>(&r), sizeof r)));
    FUZZ_CHECK(msg.body_len() <= msg.length);
    FUZZ_CHECK(msg.truncated || msg.body_len() == msg.length);
    FUZZ_CHECK(msg.data[0] == static_cast<uint8_t>(msg.type));
    parse_message(msg);
    if (seen != nullptr)
      seen->push_back({msg.type, msg.length, msg.truncated, {msg.data, msg.data + msg.data_len}});
  }
}

lib::TlsStreamState run(const uint8_t* data, size_t size, lib::TlsStart start, bool split,
                        std::vector<Seen>* seen) {
  std::vector<uint8_t> buf(lib::kTlsReaderDefaultCapacity);  // exact size: an overrun is an ASan report
  lib::TlsHandshakeReader r(buf.data(), buf.size(), start);
  if (!split) {
    r.feed(data, size);
    drain(r, data, size, buf, seen);
    return r.state();
  }
  spanwatch::fuzz::ChunkSplitter cut(data, size);
  for (size_t off = 0; off < size;) {
    const size_t n = cut.next(size - off);
    // Each chunk in its own exact-size copy, as packets are separate buffers.
    std::vector<uint8_t> chunk(data + off, data + off + n);
    r.feed(chunk.data(), n);
    drain(r, chunk.data(), n, buf, seen);
    off += n;
  }
  return r.state();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<Seen> whole, pieces;
  const lib::TlsStreamState s1 = run(data, size, lib::TlsStart::kFirstByte, false, &whole);
  const lib::TlsStreamState s2 = run(data, size, lib::TlsStart::kFirstByte, true, &pieces);
  FUZZ_CHECK(whole == pieces);
  FUZZ_CHECK(s1 == s2);
  run(data, size, lib::TlsStart::kDetect, true, nullptr);  // STARTTLS-style detection on later chunks
  return 0;
}
