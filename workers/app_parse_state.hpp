// The per-flow state of AppDissector while a parser still waits for bytes: which protocol the flow speaks,
// where each TCP direction's stream stands, and the protocol parser's own state (one at a time, in a
// shared buffer). Lives in a per-worker SlotPool, taken as its last user left it (begin() sets what is
// read before it is written); the protocol state is constructed in place when the protocol is known.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>

#include "lib/app/ssh_handshake.hpp"
#include "lib/quic/quic_crypto_stream.hpp"
#include "lib/quic/quic_initial.hpp"
#include "lib/tls/tls_handshake_reader.hpp"
#include "workers/tcp_stream_cursor.hpp"

namespace spanwatch::workers {

enum class ParseProto : uint8_t { kUndecided, kTls, kQuic, kSsh, kHttp };

// TLS over TCP: a record reader per direction, each reassembling handshake messages in its own buffer
// (8 KiB holds any ClientHello and ServerHello, and the leaf of most certificate chains).
struct TlsParseState {
  static constexpr uint32_t kBufBytes = 8192;
  lib::TlsHandshakeReader reader[2];
  bool done[2];  // [client] ClientHello read / [server] ServerHello (TLS 1.3) or certificate read
  uint8_t buf[2][kBufBytes];
  TlsParseState() noexcept : done{false, false} {
    for (int d = 0; d < 2; ++d) reader[d].init(buf[d], kBufBytes, lib::TlsStart::kDetect);
  }
};

// QUIC: the client's original connection id (for the Initial keys) and the CRYPTO streams of the Initial
// packets, which carry the ClientHello and the ServerHello.
struct QuicParseState {
  static constexpr uint32_t kClientBytes = 8192, kServerBytes = 4096;
  lib::QuicFlowState flow;
  lib::QuicCryptoStream crypto[2];
  bool done[2];
  uint8_t client_buf[kClientBytes];
  uint8_t server_buf[kServerBytes];
  QuicParseState() noexcept : flow{}, done{false, false} {
    crypto[0].bind(client_buf, kClientBytes);
    crypto[1].bind(server_buf, kServerBytes);
  }
};

// HTTP/1.x: which heads were read; a CONNECT tunnel turns into TLS later.
struct HttpParseState {
  bool request = false, response = false, connect = false;
};

struct SshParseState {
  lib::SshHandshakeParser dir[2];
  SshParseState() noexcept
      : dir{lib::SshHandshakeParser(lib::SshRole::kClient), lib::SshHandshakeParser(lib::SshRole::kServer)} {}
};

struct AppParseState {
  static constexpr size_t kStorageBytes = 16896;

  ParseProto proto;
  TcpStreamCursor cursor[2];
  alignas(16) std::byte storage[kStorageBytes];

  template <typename T>
  T& as() noexcept {
    static_assert(sizeof(T) <= kStorageBytes && alignof(T) <= 16);
    return *std::launder(reinterpret_cast<T*>(storage));
  }
  template <typename T>
  T& emplace() noexcept {
    static_assert(sizeof(T) <= kStorageBytes && alignof(T) <= 16);
    return *new (storage) T();
  }

  // A new parse of `p` in a slot as its last user left it. The constructors set every field that is read
  // before it is written; the stream buffers (up to 16 KiB) are only read where a reader or CRYPTO stream
  // has written them, so they are not cleared: a memset of the whole slot cost each new flow ~17 KB of
  // stores.
  void begin(ParseProto p) noexcept {
    proto = p;
    cursor[0] = TcpStreamCursor{};
    cursor[1] = TcpStreamCursor{};
    switch (p) {
      case ParseProto::kTls:
        emplace<TlsParseState>();
        break;
      case ParseProto::kQuic:
        emplace<QuicParseState>();
        break;
      case ParseProto::kSsh:
        emplace<SshParseState>();
        break;
      case ParseProto::kHttp:
        emplace<HttpParseState>();
        break;
      case ParseProto::kUndecided:
        break;
    }
  }
};

}  // namespace spanwatch::workers
