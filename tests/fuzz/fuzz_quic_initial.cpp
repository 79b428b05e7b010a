// Fuzz target: QUIC Initial packets through QuicInitialDecryptor (long headers, coalesced packets, header
// protection, AEAD, frames, CRYPTO reassembly) and the ClientHello/ServerHello parse the workers run once the
// first handshake message is complete. Random bytes never pass the AEAD tag, so the input can also ask for
// a packet to be sealed here with the real Initial keys: then the frames themselves are what is fuzzed.
//
// Input: records of [h][len:2 big-endian][len bytes]. h bit 0: sent by the client; bit 1: the bytes are the
// plaintext frames of an Initial packet to seal (version from h >> 2), else they are a raw UDP datagram.
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "lib/fingerprint/tls_client_hello.hpp"
#include "lib/quic/quic_initial.hpp"
#include "lib/quic/quic_test_util.hpp"
#include "lib/tls/tls_server_hello.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;
namespace qt = spanwatch::lib::quic_test;

namespace {

constexpr std::array<uint32_t, 6> kVersions{0x00000001, 0x6b3343cf, 0xff00001d,
                                            0xff000017, 0xff000016, 0xfaceb002};
const qt::Bytes kOdcid{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
const qt::Bytes kServerCid{0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42, 0x62, 0xb5};

qt::Bytes seal(uint32_t version, bool client, uint64_t pn, const uint8_t* frames, size_t n) {
  qt::Bytes payload(frames, frames + n);
  // Header protection samples 16 bytes from 4 past the packet number: pad short payloads (PADDING frames).
  if (payload.size() < 20) payload.resize(20, 0);
  return client ? qt::initial_packet(version, true, kOdcid, kOdcid, kServerCid, pn, payload)
                : qt::initial_packet(version, false, kOdcid, kServerCid, {}, pn, payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lib::QuicInitialDecryptor decryptor;  // one per worker in the pipeline: its state carries over too
  lib::QuicFlowState flow{};
  std::vector<uint8_t> cbuf(8192), sbuf(4096);  // the workers' buffer sizes (workers/app_parse_state.hpp)
  std::array<lib::QuicCryptoStream, 2> crypto{lib::QuicCryptoStream(cbuf.data(), uint32_t(cbuf.size())),
                                              lib::QuicCryptoStream(sbuf.data(), uint32_t(sbuf.size()))};
  std::array<bool, 2> done{};
  uint64_t pn = 0;
  size_t off = 0;
  while (off + 3 <= size) {
    const uint8_t h = data[off];
    const size_t len = std::min<size_t>(size - off - 3, size_t{data[off + 1]} << 8 | data[off + 2]);
    const uint8_t* body = data + off + 3;
    off += 3 + len;
    const bool client = (h & 1) != 0;
    std::vector<uint8_t> datagram =
        (h & 2) != 0 ? seal(kVersions[(h >> 2) % kVersions.size()], client, pn++, body, len)
                     : std::vector<uint8_t>(body, body + len);
    lib::QuicCryptoStream& c = crypto[client ? 0 : 1];
    decryptor.feed(datagram.data(), datagram.size(), client, flow, c);
    FUZZ_CHECK(c.contiguous() <= c.capacity());
    FUZZ_CHECK(c.range_count() <= lib::kQuicCryptoMaxRanges);
    FUZZ_CHECK(flow.odcid_len <= flow.odcid.size());
    bool& d = done[client ? 0 : 1];
    if (d || !c.first_message_complete()) continue;
    d = true;
    if (client) {
      lib::ClientHello ch;
      lib::parse_client_hello_message(c.data(), c.contiguous(), ch);
    } else {
      lib::ServerHello sh;
      lib::parse_server_hello_message(c.data(), c.contiguous(), sh);
    }
  }
  return 0;
}
