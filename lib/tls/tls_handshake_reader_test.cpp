// Tests for TlsHandshakeReader: record walking, defragmentation across records and chunks (every split
// point and random chunkings), where TLS starts, where it stops, oversized messages, and hostile lengths.
#include "lib/tls/tls_handshake_reader.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/tls/tls_test_util.hpp"

namespace spanwatch::lib {
namespace {

using namespace tlstest;

struct Msg {
  uint8_t type;
  uint32_t length;
  Bytes data;  // header + body as yielded
  bool truncated;
  bool operator==(const Msg&) const = default;
};

// Feeds `stream` in the given chunk sizes (cycled), each chunk in its own allocation so that ASan sees any
// over-read, and collects every yielded message.
std::vector<Msg> read_all(TlsHandshakeReader& r, const Bytes& stream, const std::vector<size_t>& sizes) {
  std::vector<Msg> out;
  size_t off = 0;
  size_t k = 0;
  while (off < stream.size()) {
    const size_t n = std::min(sizes[k++ % sizes.size()], stream.size() - off);
    auto chunk = std::make_unique<uint8_t[]>(n);
    std::copy(stream.begin() + static_cast<std::ptrdiff_t>(off),
              stream.begin() + static_cast<std::ptrdiff_t>(off + n), chunk.get());
    r.feed(chunk.get(), n);
    TlsHandshakeMessage m;
    while (r.next(m)) {
      EXPECT_GE(m.data_len, kTlsHandshakeHeaderLen);
      EXPECT_EQ(m.data[0], static_cast<uint8_t>(m.type));
      if (!m.truncated) {
        EXPECT_EQ(m.body_len(), m.length);
      }
      out.push_back(
          {static_cast<uint8_t>(m.type), m.length, Bytes(m.data, m.data + m.data_len), m.truncated});
    }
    off += n;
  }
  return out;
}

std::vector<Msg> read_all(TlsHandshakeReader& r, const Bytes& stream, size_t chunk = 1 << 20) {
  return read_all(r, stream, std::vector<size_t>{chunk});
}

Bytes server_flight() {
  Bytes hs;
  append(hs, handshake(2, server_hello_body(0x0303, 0xc02f, {{0xff01, {0}}, alpn_ext("h2")})));
  append(hs, handshake(11, certificate_body({Bytes(700, 0x30), Bytes(500, 0x31)})));
  append(hs, handshake(12, Bytes(300, 0x77)));
  append(hs, handshake(14, {}));
  return hs;
}

std::vector<Msg> expected_messages(const Bytes& hs) {
  std::vector<Msg> out;
  for (size_t off = 0; off + 4 <= hs.size();) {
    const uint32_t len = uint32_t{hs[off + 1]} << 16 | uint32_t{hs[off + 2]} << 8 | hs[off + 3];
    out.push_back({hs[off], len,
                   Bytes(hs.begin() + static_cast<std::ptrdiff_t>(off),
                         hs.begin() + static_cast<std::ptrdiff_t>(off + 4 + len)),
                   false});
    off += 4 + len;
  }
  return out;
}

TEST(TlsRecordDetect, LooksLikeTlsRecord) {
  const uint8_t ch[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
  EXPECT_TRUE(looks_like_tls_record(ch, sizeof(ch)));
  EXPECT_TRUE(looks_like_tls_record(ch, 3));  // length not there yet: the first 3 bytes decide
  EXPECT_FALSE(looks_like_tls_record(ch, 2));
  EXPECT_FALSE(looks_like_tls_record(nullptr, 10));
  const uint8_t tls13[] = {0x16, 0x03, 0x04, 0x00, 0x10};
  EXPECT_TRUE(looks_like_tls_record(tls13, sizeof(tls13)));
  const uint8_t bad_minor[] = {0x16, 0x03, 0x05, 0x00, 0x10};
  EXPECT_FALSE(looks_like_tls_record(bad_minor, sizeof(bad_minor)));
  const uint8_t app[] = {0x17, 0x03, 0x03, 0x00, 0x10};
  EXPECT_FALSE(looks_like_tls_record(app, sizeof(app)));  // only handshake records start TLS
  const uint8_t empty[] = {0x16, 0x03, 0x01, 0x00, 0x00};
  EXPECT_FALSE(looks_like_tls_record(empty, sizeof(empty)));
  const uint8_t huge[] = {0x16, 0x03, 0x01, 0xff, 0xff};
  EXPECT_FALSE(looks_like_tls_record(huge, sizeof(huge)));
  const std::string smtp = "220 mail.example.com ESMTP\r\n";
  EXPECT_FALSE(looks_like_tls_record(reinterpret_cast<const uint8_t*>(smtp.data()), smtp.size()));
}

TEST(TlsHandshakeReader, OneRecordManyMessagesInPlace) {
  const Bytes hs = server_flight();
  const Bytes stream = records(hs);
  std::vector<uint8_t> buf(kTlsReaderDefaultCapacity);
  TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
  r.feed(stream.data(), stream.size());
  TlsHandshakeMessage m;
  int n = 0;
  while (r.next(m)) {
    // Whole messages inside one record and chunk point into the caller's chunk: no copy.
    EXPECT_GE(m.data, stream.data());
    EXPECT_LE(m.data + m.data_len, stream.data() + stream.size());
    ++n;
  }
  EXPECT_EQ(n, 4);
  EXPECT_EQ(r.state(), TlsStreamState::kHandshake);
  EXPECT_EQ(r.stats().messages, 4u);
  EXPECT_EQ(r.stats().records, 1u);
}

TEST(TlsHandshakeReader, EverySplitPointAndRecordSize) {
  const Bytes hs = server_flight();
  const auto want = expected_messages(hs);
  ASSERT_EQ(want.size(), 4u);
  std::vector<uint8_t> buf(4096);
  for (size_t frag : {size_t{16384}, size_t{1}, size_t{3}, size_t{5}, size_t{100}, size_t{701}}) {
    const Bytes stream = records(hs, frag);
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{4}, size_t{7}, size_t{1460}}) {
      TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
      EXPECT_EQ(read_all(r, stream, chunk), want) << "frag " << frag << " chunk " << chunk;
      EXPECT_EQ(r.state(), TlsStreamState::kHandshake);
      EXPECT_EQ(r.stats().skipped_messages, 0u);
      EXPECT_EQ(r.stats().max_message_len, 4u + 2 * 3 + 700 + 500 + 3);
    }
    // Two chunks, split at every byte.
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
      TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
      EXPECT_EQ(read_all(r, stream, std::vector<size_t>{cut == 0 ? stream.size() : cut, stream.size()}), want)
          << "frag " << frag << " cut " << cut;
    }
  }
}

TEST(TlsHandshakeReader, RandomChunkings) {
  const Bytes hs = server_flight();
  const auto want = expected_messages(hs);
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(2048);
  for (int iter = 0; iter < 500; ++iter) {
    const Bytes stream = records(hs, 1 + rng() % 900);
    std::vector<size_t> sizes;
    for (int i = 0; i < 16; ++i) sizes.push_back(1 + rng() % 300);
    TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
    ASSERT_EQ(read_all(r, stream, sizes), want) << iter;
  }
}

TEST(TlsHandshakeReader, Tls13ClientStopsAtEncryptedRecords) {
  Bytes stream = records(handshake(1, client_hello_body({0x1301}, {})), 16384, 0x16, 0x0301);
  append(stream, records({0x01}, 16384, 0x14));           // middlebox-compatibility ChangeCipherSpec
  append(stream, records(Bytes(50, 0xab), 16384, 0x17));  // encrypted Finished
  std::vector<uint8_t> buf(1024);
  TlsHandshakeReader r(buf.data(), buf.size());
  const auto msgs = read_all(r, stream, 9);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type, 1);
  EXPECT_EQ(r.state(), TlsStreamState::kEncrypted);
  EXPECT_TRUE(r.done());
  EXPECT_TRUE(r.after_change_cipher_spec());
  EXPECT_GT(r.stats().dropped_bytes, 0u);
}

TEST(TlsHandshakeReader, Tls13HelloRetryRequestKeepsReadingAfterCompatibilityCcs) {
  // Client: ClientHello, (HelloRetryRequest from the server), CCS, second ClientHello, encrypted data.
  Bytes client = records(handshake(1, client_hello_body({0x1301}, {})), 16384, 0x16, 0x0301);
  append(client, records({0x01}, 16384, 0x14));
  append(client, records(handshake(1, client_hello_body({0x1301, 0x1302}, {}))));
  append(client, records(Bytes(60, 0xab), 16384, 0x17));
  // Server: HelloRetryRequest (a ServerHello), CCS, ServerHello, encrypted extensions.
  Bytes server = records(handshake(2, server_hello_body(0x0303, 0x1301, {{0x002b, {3, 4}}})));
  append(server, records({0x01}, 16384, 0x14));
  append(server, records(handshake(2, server_hello_body(0x0303, 0x1301, {{0x002b, {3, 4}}}))));
  append(server, records(Bytes(60, 0xcd), 16384, 0x17));
  std::vector<uint8_t> buf(1024);
  for (size_t chunk : {size_t{1}, size_t{13}, size_t{4096}}) {
    for (const Bytes* s : {&client, &server}) {
      TlsHandshakeReader r(buf.data(), buf.size());
      const auto msgs = read_all(r, *s, chunk);
      ASSERT_EQ(msgs.size(), 2u) << chunk;
      EXPECT_EQ(msgs[0].type, msgs[1].type);
      EXPECT_EQ(r.state(), TlsStreamState::kEncrypted);
    }
  }
}

TEST(TlsHandshakeReader, Tls12FinishedAfterCcsIsEncrypted) {
  Bytes stream = records(handshake(16, Bytes(70, 0x04)));  // ClientKeyExchange
  append(stream, records({0x01}, 16384, 0x14));
  append(stream, records(handshake(20, Bytes(12, 0x99))));  // would parse, but it is ciphertext
  std::vector<uint8_t> buf(1024);
  TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
  const auto msgs = read_all(r, stream, 3);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type, 16);
  EXPECT_EQ(r.state(), TlsStreamState::kEncrypted);
  // AES-GCM Finished: an explicit nonce of zeros reads as an empty HelloRequest; it is ciphertext too.
  Bytes gcm = records({0x01}, 16384, 0x14);
  append(gcm, records(Bytes(40, 0x00)));
  TlsHandshakeReader g(buf.data(), buf.size(), TlsStart::kFirstByte);
  EXPECT_TRUE(read_all(g, gcm, 2).empty());
  EXPECT_EQ(g.state(), TlsStreamState::kEncrypted);
}

TEST(TlsHandshakeReader, AlertEndsTheHandshake) {
  Bytes stream = records({0x02, 0x28}, 16384, 0x15);  // fatal handshake_failure
  append(stream, records(handshake(2, server_hello_body(0x0303, 0x2f, {}))));
  for (size_t chunk : {size_t{1}, size_t{100}}) {
    TlsHandshakeReader r(nullptr, 0, TlsStart::kFirstByte);
    EXPECT_TRUE(read_all(r, stream, chunk).empty());
    EXPECT_EQ(r.state(), TlsStreamState::kAlert);
    EXPECT_EQ(r.alert_level(), 2);
    EXPECT_EQ(r.alert_description(), 0x28);
  }
}

TEST(TlsHandshakeReader, WhereTlsStarts) {
  const std::string banner = "220 smtp.example.com ESMTP ready\r\n";
  const std::string starttls = "220 2.0.0 Ready to start TLS\r\n";
  const Bytes tls = records(handshake(2, server_hello_body(0x0303, 0x2f, {})));
  std::vector<uint8_t> buf(1024);
  const auto run = [&](TlsStart start, bool call_begin) {
    TlsHandshakeReader r(buf.data(), buf.size(), start);
    TlsHandshakeMessage m;
    int yielded = 0;
    for (const std::string& line : {banner, starttls}) {
      r.feed(reinterpret_cast<const uint8_t*>(line.data()), line.size());
      while (r.next(m)) ++yielded;
    }
    if (call_begin) r.begin_tls();
    r.feed(tls.data(), tls.size());
    while (r.next(m)) ++yielded;
    return std::make_pair(yielded, r);
  };
  auto [n1, r1] = run(TlsStart::kFirstByte, false);
  EXPECT_EQ(n1, 0);
  EXPECT_EQ(r1.state(), TlsStreamState::kNotTls);
  auto [n2, r2] = run(TlsStart::kDetect, false);
  EXPECT_EQ(n2, 1);
  EXPECT_EQ(r2.stats().preamble_bytes, banner.size() + starttls.size());
  auto [n3, r3] = run(TlsStart::kManual, false);
  EXPECT_EQ(n3, 0);
  EXPECT_EQ(r3.state(), TlsStreamState::kWaitingForTls);
  auto [n4, r4] = run(TlsStart::kManual, true);
  EXPECT_EQ(n4, 1);
  auto [n5, r5] = run(TlsStart::kFirstByte, true);  // begin_tls() also rescues a kNotTls reader
  EXPECT_EQ(n5, 1);

  // kDetect when the stream starts with TLS right away, and begin_tls() after feed().
  TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kDetect);
  EXPECT_EQ(read_all(r, tls).size(), 1u);
  TlsHandshakeReader m(buf.data(), buf.size(), TlsStart::kManual);
  m.feed(tls.data(), tls.size());
  m.begin_tls();
  TlsHandshakeMessage msg;
  EXPECT_TRUE(m.next(msg));
}

TEST(TlsHandshakeReader, OversizedMessages) {
  std::vector<uint8_t> buf(512);
  // Certificate larger than the buffer, leaf of 300 bytes: its prefix is yielded, flagged truncated.
  Bytes hs = handshake(11, certificate_body({Bytes(300, 0x30), Bytes(1500, 0x31)}));
  append(hs, handshake(14, {}));
  for (size_t chunk : {size_t{1}, size_t{97}, size_t{5000}}) {
    for (size_t frag : {size_t{100}, size_t{16384}}) {
      TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
      const auto msgs = read_all(r, records(hs, frag), chunk);
      if (frag == 16384 && chunk == 5000) {
        // Whole in one record and chunk: handed out in place, not truncated at all.
        ASSERT_EQ(msgs.size(), 2u);
        EXPECT_FALSE(msgs[0].truncated);
        continue;
      }
      ASSERT_EQ(msgs.size(), 2u) << chunk << " " << frag;
      EXPECT_TRUE(msgs[0].truncated);
      EXPECT_EQ(msgs[0].type, 11);
      EXPECT_EQ(msgs[0].data.size(), buf.size());
      EXPECT_EQ(msgs[0].length, 3u + 3 + 300 + 3 + 1500);
      EXPECT_EQ(Bytes(msgs[0].data.begin() + 10, msgs[0].data.begin() + 310), Bytes(300, 0x30));
      EXPECT_EQ(msgs[1].type, 14);
      EXPECT_EQ(r.stats().truncated_messages, 1u);
    }
  }
  // Leaf larger than the buffer: the message is skipped and counted; the next one still comes out.
  Bytes big = handshake(11, certificate_body({Bytes(600, 0x30)}));
  append(big, handshake(1, client_hello_body({0x1301}, {})));
  Bytes big_hello = handshake(1, client_hello_body(std::vector<uint16_t>(400, 0x1301), {}));
  append(big_hello, handshake(14, {}));
  for (const Bytes* s : {&big, &big_hello}) {
    TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
    const auto msgs = read_all(r, records(*s, 200), 61);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_FALSE(msgs[0].truncated);
    EXPECT_EQ(r.stats().skipped_messages, 1u);
    EXPECT_EQ(r.state(), TlsStreamState::kHandshake);
  }
  // No buffer at all: only in-place messages come out.
  TlsHandshakeReader none(nullptr, 0, TlsStart::kFirstByte);
  EXPECT_EQ(read_all(none, records(server_flight())).size(), 4u);
  TlsHandshakeReader none_split(nullptr, 0, TlsStart::kFirstByte);
  const auto split = read_all(none_split, records(server_flight(), 100), 50);
  ASSERT_EQ(split.size(), 1u);  // only the empty ServerHelloDone (its header is all there is)
  EXPECT_EQ(split[0].type, 14);
}

TEST(TlsHandshakeReader, HostileLengths) {
  std::vector<uint8_t> buf(1024);
  TlsHandshakeMessage m;
  {  // handshake length 0xffffff: garbage, stop
    const Bytes s = records({0x0b, 0xff, 0xff, 0xff, 0x00});
    TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
    r.feed(s.data(), s.size());
    EXPECT_FALSE(r.next(m));
    EXPECT_EQ(r.state(), TlsStreamState::kMalformed);
  }
  {  // record length above the TLS limit after a good record
    Bytes s = records(handshake(14, {}));
    append(s, {0x16, 0x03, 0x03, 0xff, 0xff, 0x00});
    TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
    EXPECT_EQ(read_all(r, s, 1).size(), 1u);
    EXPECT_EQ(r.state(), TlsStreamState::kMalformed);
  }
  {  // zero-length records are harmless; so are heartbeat records
    Bytes s = {0x16, 0x03, 0x03, 0x00, 0x00, 0x18, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};
    append(s, records(handshake(14, {})));
    TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
    EXPECT_EQ(read_all(r, s, 2).size(), 1u);
    EXPECT_EQ(r.state(), TlsStreamState::kHandshake);
  }
  {  // a declared length far beyond the data: waits (bounded), never reads past the chunk
    const Bytes s = records(handshake(11, Bytes(100, 1)));
    const Bytes cut(s.begin(), s.begin() + 60);
    TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
    EXPECT_TRUE(read_all(r, cut, 7).empty());
    EXPECT_EQ(r.state(), TlsStreamState::kHandshake);
  }
  {  // SSLv2-style hello and plain text are not TLS
    const Bytes v2 = {0x80, 0x2e, 0x01, 0x00, 0x02};
    TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kFirstByte);
    r.feed(v2.data(), v2.size());
    EXPECT_FALSE(r.next(m));
    EXPECT_EQ(r.state(), TlsStreamState::kNotTls);
  }
}

TEST(TlsHandshakeReader, GapsAndUndrainedChunks) {
  const Bytes s = records(server_flight(), 300);
  std::vector<uint8_t> buf(4096);
  TlsHandshakeReader r(buf.data(), buf.size(), TlsStart::kDetect);
  TlsHandshakeMessage m;
  r.feed(s.data(), 400);  // ServerHello comes out, Certificate half read
  int n = 0;
  while (r.next(m)) ++n;
  EXPECT_EQ(n, 1);
  r.on_gap();  // bytes lost: resynchronise on the next chunk that starts a handshake record
  EXPECT_EQ(r.state(), TlsStreamState::kWaitingForTls);
  r.feed(s.data() + 500, 100);
  EXPECT_FALSE(r.next(m));
  const Bytes again = records(handshake(14, {}));
  r.feed(again.data(), again.size());
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(m.type, TlsHandshakeType::kServerHelloDone);

  // Feeding again before next() returned false drops the rest and counts as a gap.
  TlsHandshakeReader f(buf.data(), buf.size(), TlsStart::kFirstByte);
  f.feed(s.data(), s.size());
  ASSERT_TRUE(f.next(m));
  f.feed(s.data(), s.size());
  EXPECT_EQ(f.state(), TlsStreamState::kMalformed);
  EXPECT_GT(f.stats().dropped_bytes, 0u);
}

TEST(TlsHandshakeReader, RandomBytesStayBounded) {
  std::mt19937 rng(99);
  const Bytes base = records(server_flight(), 257);
  std::vector<uint8_t> buf(600);
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes s = base;
    const int flips = 1 + static_cast<int>(rng() % 6);
    for (int f = 0; f < flips; ++f) s[rng() % s.size()] = static_cast<uint8_t>(rng());
    s.resize(rng() % (s.size() + 1));
    std::vector<size_t> sizes = {1 + rng() % 50, 1 + rng() % 700};
    TlsHandshakeReader r(buf.data(), buf.size(), static_cast<TlsStart>(rng() % 2));
    for (const Msg& msg : read_all(r, s, sizes)) {
      ASSERT_LE(msg.data.size(), std::max<size_t>(buf.size(), s.size()));
      if (msg.truncated) {
        ASSERT_EQ(msg.type, 11);
      }
    }
  }
}

}  // namespace
}  // namespace spanwatch::lib
