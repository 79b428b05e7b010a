// Tests for QUIC Initial decryption: the RFC 9001 and RFC 9369 Appendix A vectors (keys and whole protected
// packets), the version table, coalescing, Retry, Version Negotiation, frames and packet numbers. Hostile
// input, allocations and cost are in quic_initial_robustness_test.cpp, the corpus in
// quic_initial_corpus_test.cpp.
#include "lib/quic/quic_initial.hpp"

#include <gtest/gtest.h>

#include "lib/quic/quic_test_util.hpp"
#include "lib/quic/quic_test_vectors.hpp"

namespace spanwatch::lib {
namespace {

using namespace quic_test;  // NOLINT(build/namespaces): test helpers and vectors only

TEST(QuicKeys, Rfc9001AppendixA1) {
  uint8_t secret[kQuicSecretLen];
  quic_initial_secret(QuicSalt::kV1, kRfcDcid.data(), kRfcDcid.size(), true, secret);
  EXPECT_EQ(to_hex(secret, sizeof(secret)),
            "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea");
  QuicInitialKeys k;
  quic_keys_from_secret(secret, false, k);
  EXPECT_EQ(to_hex(k.key), "1f369613dd76d5467730efcbe3b1a22d");
  EXPECT_EQ(to_hex(k.iv), "fa044b2f42a3fd3b46fb255c");
  EXPECT_EQ(to_hex(k.hp), "9f50449e04a0e810283a1e9933adedd2");
  quic_initial_secret(QuicSalt::kV1, kRfcDcid.data(), kRfcDcid.size(), false, secret);
  EXPECT_EQ(to_hex(secret, sizeof(secret)),
            "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b");
  derive_quic_initial_keys(QuicSalt::kV1, false, kRfcDcid.data(), kRfcDcid.size(), false, k);
  EXPECT_EQ(to_hex(k.key), "cf3a5331653c364c88f0f379b6067e37");
  EXPECT_EQ(to_hex(k.iv), "0ac1493ca1905853b0bba03e");
  EXPECT_EQ(to_hex(k.hp), "c206b8d9b9f0f37644430b490eeaa314");
}

TEST(QuicKeys, Rfc9369AppendixA1) {
  uint8_t secret[kQuicSecretLen];
  quic_initial_secret(QuicSalt::kV2, kRfcDcid.data(), kRfcDcid.size(), true, secret);
  EXPECT_EQ(to_hex(secret, sizeof(secret)),
            "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b");
  QuicInitialKeys k;
  quic_keys_from_secret(secret, true, k);
  EXPECT_EQ(to_hex(k.key), "8b1a0bc121284290a29e0971b5cd045d");
  EXPECT_EQ(to_hex(k.iv), "91f73e2351d8fa91660e909f");
  EXPECT_EQ(to_hex(k.hp), "45b95e15235d6f45a6b19cbcb0294ba9");
  quic_initial_secret(QuicSalt::kV2, kRfcDcid.data(), kRfcDcid.size(), false, secret);
  EXPECT_EQ(to_hex(secret, sizeof(secret)),
            "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1");
  derive_quic_initial_keys(QuicSalt::kV2, true, kRfcDcid.data(), kRfcDcid.size(), false, k);
  EXPECT_EQ(to_hex(k.key), "82db637861d55e1d011f19ea71d5d2a7");
  EXPECT_EQ(to_hex(k.iv), "dd13c276499c0249d3310652");
  EXPECT_EQ(to_hex(k.hp), "edf6d05c83121201b436e16877593c3a");
}

TEST(QuicKeys, VersionTable) {
  const auto salt = [](uint32_t v) {
    return find_quic_version(v) ? find_quic_version(v)->salt : QuicSalt::kNone;
  };
  EXPECT_EQ(salt(kV1), QuicSalt::kV1);
  EXPECT_EQ(salt(kV2), QuicSalt::kV2);
  EXPECT_TRUE(find_quic_version(kV2)->v2);
  EXPECT_EQ(salt(0xff000016), QuicSalt::kDraft22);
  for (uint32_t d = 23; d <= 28; ++d) EXPECT_EQ(salt(0xff000000 | d), QuicSalt::kDraft23) << d;
  for (uint32_t d = 29; d <= 32; ++d) EXPECT_EQ(salt(0xff000000 | d), QuicSalt::kDraft29) << d;
  EXPECT_EQ(salt(0xff000021), QuicSalt::kV1);
  EXPECT_EQ(salt(0xff000022), QuicSalt::kV1);
  EXPECT_EQ(salt(0xfaceb001), QuicSalt::kDraft22);
  EXPECT_EQ(salt(0xfaceb002), QuicSalt::kDraft23);
  EXPECT_EQ(salt(0xfaceb00e), QuicSalt::kDraft23);
  EXPECT_EQ(salt(0x1a2a3a4a), QuicSalt::kDraft29);  // reserved: guessed, with v1 as second guess
  EXPECT_EQ(find_quic_version(0x1a2a3a4a)->alt_salt, QuicSalt::kV1);
  for (const uint32_t v : {0u, 0xff000015u, 0xff000023u, 0x51303530u /* Q050 */, 0x54303531u /* T051 */,
                           0x51303436u /* Q046 */, 0xfaceb003u, 0x709a50c4u /* v2 draft */}) {
    EXPECT_EQ(find_quic_version(v), nullptr) << std::hex << v;
  }
  // v2 rotates the type bits: 0b01 Initial, 0b10 0-RTT, 0b11 Handshake, 0b00 Retry.
  EXPECT_EQ(quic_packet_type(0xd0, true), QuicPacketType::kInitial);
  EXPECT_EQ(quic_packet_type(0xe0, true), QuicPacketType::kZeroRtt);
  EXPECT_EQ(quic_packet_type(0xf0, true), QuicPacketType::kHandshake);
  EXPECT_EQ(quic_packet_type(0xc0, true), QuicPacketType::kRetry);
  EXPECT_EQ(quic_packet_type(0xc0, false), QuicPacketType::kInitial);
  EXPECT_EQ(quic_packet_type(0xf0, false), QuicPacketType::kRetry);
}

// The test's own protector reproduces the RFC's protected packets, so it can be trusted for the
// synthetic cases below.
TEST(QuicInitial, TestProtectorMatchesRfc) {
  Bytes payload = crypto_frame(0, kRfcClientHello);
  payload.resize(1162, 0);  // PADDING to a 1200-byte datagram
  EXPECT_EQ(to_hex(initial_packet(kV1, true, kRfcDcid, kRfcDcid, {}, 2, payload, 4)),
            to_hex(kV1ClientInitial));
  EXPECT_EQ(to_hex(initial_packet(kV2, true, kRfcDcid, kRfcDcid, {}, 2, payload, 4)),
            to_hex(kV2ClientInitial));
  EXPECT_EQ(to_hex(initial_packet(kV1, false, kRfcDcid, {}, hex("f067a5502a4262b5"), 1, kRfcServerPayload)),
            to_hex(kV1ServerInitial));
}

void check_rfc_exchange(const Bytes& client_pkt, const Bytes& server_pkt, uint32_t version) {
  QuicInitialDecryptor d;
  Conn c{d};
  ASSERT_EQ(c.client(client_pkt), QuicStatus::kOk);
  EXPECT_EQ(c.flow.version, version);
  EXPECT_EQ(to_hex(c.flow.odcid.data(), c.flow.odcid_len), "8394c8f03e515708");
  EXPECT_EQ(c.flow.next_pn[0], 3u);
  EXPECT_EQ(c.s.client_bytes(), kRfcClientHello);
  EXPECT_TRUE(c.s.client.first_message_complete());
  EXPECT_EQ(sni_of(c.s.client_bytes()), "example.com");

  ASSERT_EQ(c.server(server_pkt), QuicStatus::kOk);
  EXPECT_EQ(c.flow.next_pn[1], 2u);
  EXPECT_EQ(c.s.server_bytes(),
            Bytes(kRfcServerPayload.begin() + 9, kRfcServerPayload.end()));  // after ACK + hdr
  EXPECT_EQ(c.s.server.first_message_type(), 2);
  EXPECT_TRUE(c.s.server.first_message_complete());
  EXPECT_TRUE(c.flow.has(QuicFlowState::kClientDecrypted) && c.flow.has(QuicFlowState::kServerDecrypted));
  EXPECT_EQ(d.counters().decrypted_packets, 2u);
  EXPECT_EQ(d.counters().crypto_frames, 2u);
  EXPECT_EQ(d.counters().key_derivations, 2u);
}

TEST(QuicInitial, Rfc9001ClientAndServerInitial) {
  check_rfc_exchange(kV1ClientInitial, kV1ServerInitial, kV1);
}
TEST(QuicInitial, Rfc9369ClientAndServerInitial) {
  check_rfc_exchange(kV2ClientInitial, kV2ServerInitial, kV2);
}

TEST(QuicInitial, ServerNeedsTheClientInitial) {
  QuicInitialDecryptor d;
  Conn c{d};
  EXPECT_EQ(c.server(kV1ServerInitial), QuicStatus::kNoClientInitial);
  EXPECT_EQ(c.s.server.contiguous(), 0u);
  // Wrong direction: the client's packet under the server's keys, and the reverse.
  Conn w{d};
  EXPECT_EQ(w.client(kV1ClientInitial), QuicStatus::kOk);
  EXPECT_EQ(w.server(kV1ClientInitial), QuicStatus::kDecryptFailed);
  EXPECT_EQ(w.client(kV1ServerInitial), QuicStatus::kDecryptFailed);
}

TEST(QuicInitial, DraftAndMvfstVersionsRoundTrip) {
  QuicInitialDecryptor d;
  const Bytes dcid = hex("0011223344556677"), scid = hex("a1a2a3a4");
  for (const uint32_t v : {0xff000016u, 0xff000017u, 0xff00001bu, 0xff00001du, 0xff000020u, 0xff000022u,
                           0xfaceb001u, 0xfaceb002u, 0xfaceb00eu, kV1, kV2}) {
    Conn c{d};
    Bytes payload = crypto_frame(0, kRfcClientHello);
    payload.resize(1100, 0);
    ASSERT_EQ(c.client(initial_packet(v, true, dcid, dcid, scid, 0, payload)), QuicStatus::kOk)
        << std::hex << v;
    EXPECT_EQ(sni_of(c.s.client_bytes()), "example.com");
    ASSERT_EQ(c.server(initial_packet(
                  v, false, dcid, scid, hex("b1b2"), 0,
                  crypto_frame(0, Bytes(kRfcServerPayload.begin() + 9, kRfcServerPayload.end())))),
              QuicStatus::kOk)
        << std::hex << v;
  }
}

TEST(QuicInitial, CoalescedPacketsAndSplitClientHello) {
  QuicInitialDecryptor d;
  Conn c{d};
  const Bytes dcid = hex("c0c1c2c3c4c5c6c7c8"), scid = hex("5c5d");
  const Bytes& ch = kRfcClientHello;
  // Packet 0 carries [150, end) then [0, 60) (reverse order in one packet); packet 1 carries [60, 150).
  Bytes p0 =
      cat({crypto_frame(150, ch.data() + 150, ch.size() - 150), Bytes{0x01}, crypto_frame(0, ch.data(), 60)});
  p0.resize(600, 0);
  Bytes p1 = cat({crypto_frame(60, ch.data() + 60, 90), Bytes(30, 0)});
  // One datagram: Initial pn 1 (second half), a 0-RTT packet, then a short-header packet.
  const Bytes zero_rtt = quic_test::opaque_long_packet(kV1, false, QuicPacketType::kZeroRtt, dcid, scid, 40);
  const Bytes dgram1 =
      cat({initial_packet(kV1, true, dcid, dcid, scid, 1, p1), zero_rtt, hex("4f0102030405")});
  ASSERT_EQ(c.client(dgram1), QuicStatus::kOk);
  EXPECT_EQ(c.s.client.contiguous(), 0u);
  EXPECT_EQ(d.counters().other_long_packets, 1u);
  ASSERT_EQ(c.client(initial_packet(kV1, true, dcid, dcid, scid, 0, p0)), QuicStatus::kOk);
  EXPECT_EQ(c.s.client_bytes(), ch);
  EXPECT_EQ(c.flow.next_pn[0], 2u);

  // Server: Initial + Handshake + zero padding in one datagram; then a Handshake-only datagram.
  const Bytes sh(kRfcServerPayload.begin() + 9, kRfcServerPayload.end());
  const Bytes hs =
      quic_test::opaque_long_packet(kV1, false, QuicPacketType::kHandshake, scid, hex("e0e1"), 100);
  ASSERT_EQ(c.server(cat({initial_packet(kV1, false, dcid, scid, hex("e0e1"), 0,
                                         cat({hex("0300000000000102"), crypto_frame(0, sh)})),
                          hs, Bytes(20, 0)})),
            QuicStatus::kOk);
  EXPECT_EQ(c.s.server_bytes(), sh);
  EXPECT_EQ(c.server(hs), QuicStatus::kNotInitial);
  // A coalesced packet with another DCID is ignored (RFC 9000 §12.2).
  const auto foreign = d.counters().foreign_dcid_packets;
  EXPECT_EQ(c.server(cat({hs, initial_packet(kV1, false, dcid, hex("99"), {}, 1, Bytes{0x01, 0, 0})})),
            QuicStatus::kNotInitial);
  EXPECT_EQ(d.counters().foreign_dcid_packets, foreign + 1);
}

TEST(QuicInitial, RetryMovesTheOdcid) {
  QuicInitialDecryptor d;
  Conn c{d};
  const Bytes first = hex("0102030405060708"), retry_cid = hex("f1f2f3f4f5f6f7f8f9"), cscid = hex("cc");
  Bytes payload = crypto_frame(0, kRfcClientHello);
  payload.resize(1100, 0);
  ASSERT_EQ(c.client(initial_packet(kV1, true, first, first, cscid, 0, payload)), QuicStatus::kOk);
  // Retry: type 3, DCID = client's SCID, SCID = new CID, token, 16-byte integrity tag.
  Bytes retry = hex("f000000001");
  retry.push_back(1);
  retry.push_back(0xcc);
  retry.push_back(static_cast<uint8_t>(retry_cid.size()));
  retry.insert(retry.end(), retry_cid.begin(), retry_cid.end());
  retry.insert(retry.end(), 40, 0x77);
  EXPECT_EQ(c.server(retry), QuicStatus::kRetry);
  EXPECT_TRUE(c.flow.has(QuicFlowState::kRetrySeen));
  EXPECT_EQ(c.client(retry), QuicStatus::kMalformed);  // clients never send Retry
  // The client's next Initial uses the Retry's CID, and so do both sides' keys from now on.
  ASSERT_EQ(c.client(initial_packet(kV1, true, retry_cid, retry_cid, cscid, 1, payload, 2, hex("7777"))),
            QuicStatus::kOk);
  EXPECT_EQ(to_hex(c.flow.odcid.data(), c.flow.odcid_len), to_hex(retry_cid));
  EXPECT_FALSE(c.flow.has(QuicFlowState::kRetrySeen));
  EXPECT_FALSE(c.flow.has(QuicFlowState::kClientStreamRestarted));  // same ClientHello, same stream
  const Bytes sh(kRfcServerPayload.begin() + 9, kRfcServerPayload.end());
  EXPECT_EQ(c.server(initial_packet(kV1, false, first, cscid, hex("5555"), 0, crypto_frame(0, sh))),
            QuicStatus::kDecryptFailed);  // keyed from the old ODCID: not what a server does after Retry
  ASSERT_EQ(c.server(initial_packet(kV1, false, retry_cid, cscid, hex("5555"), 0, crypto_frame(0, sh))),
            QuicStatus::kOk);
  EXPECT_EQ(c.s.server_bytes(), sh);
  // The client's later Initials (DCID = server's CID) are still keyed from the ODCID.
  EXPECT_EQ(c.client(initial_packet(kV1, true, retry_cid, hex("5555"), cscid, 2, hex("0200000000"))),
            QuicStatus::kOk);
}

TEST(QuicInitial, VersionNegotiationRestartsTheClientStream) {
  QuicInitialDecryptor d;
  Conn c{d};
  const Bytes dcid1 = hex("1111111111111111"), dcid2 = hex("2222222222222222"), scid = hex("3333");
  // A reserved version (forces Version Negotiation) carrying a ClientHello under the draft-29 salt.
  Bytes other_hello = kRfcClientHello;
  other_hello[50] ^= 0xff;  // inside the random: a different ClientHello
  Bytes p1 = crypto_frame(0, other_hello);
  p1.resize(1100, 0);
  ASSERT_EQ(c.client(initial_packet(0x1a2a3a4a, true, dcid1, dcid1, scid, 0, p1)), QuicStatus::kOk);
  EXPECT_EQ(c.s.client_bytes(), other_hello);
  const Bytes vn =
      hex("8000000000"
          "02"
          "3333"
          "08"
          "1111111111111111"
          "00000001"
          "ff00001d");
  EXPECT_EQ(c.server(vn), QuicStatus::kVersionNegotiation);
  EXPECT_TRUE(c.flow.has(QuicFlowState::kVersionNegotiated));
  Bytes p2 = crypto_frame(0, kRfcClientHello);
  p2.resize(1100, 0);
  ASSERT_EQ(c.client(initial_packet(kV1, true, dcid2, dcid2, scid, 0, p2)), QuicStatus::kOk);
  EXPECT_TRUE(c.flow.has(QuicFlowState::kClientStreamRestarted));
  EXPECT_FALSE(c.flow.has(QuicFlowState::kVersionNegotiated));
  EXPECT_EQ(c.flow.version, kV1);
  EXPECT_EQ(c.s.client_bytes(), kRfcClientHello);

  // A forged Version Negotiation after the handshake started: the client's next Initial (DCID = the
  // server's CID) is not a restart, and still decrypts under the flow's ODCID.
  Conn forged{d};
  ASSERT_EQ(forged.client(initial_packet(kV1, true, dcid2, dcid2, scid, 0, p2)), QuicStatus::kOk);
  EXPECT_EQ(forged.server(vn), QuicStatus::kVersionNegotiation);
  EXPECT_EQ(forged.client(initial_packet(kV1, true, dcid2, hex("3333"), scid, 1, hex("0200000000"))),
            QuicStatus::kOk);
  EXPECT_EQ(to_hex(forged.flow.odcid.data(), forged.flow.odcid_len), to_hex(dcid2));

  // A reserved version whose client used the v1 salt: found by the second guess.
  Conn v1salt{d};
  const QuicVersionInfo* info = find_quic_version(0xbabababa);
  ASSERT_NE(info, nullptr);
  QuicInitialKeys k;
  derive_quic_initial_keys(QuicSalt::kV1, false, dcid1.data(), dcid1.size(), true, k);
  const Bytes h =
      quic_test::long_header(0xbabababa, false, QuicPacketType::kInitial, dcid1, scid, {}, 0, 2, p2.size());
  EXPECT_EQ(v1salt.client(quic_test::protect(k, h, 2, 0, p2)), QuicStatus::kOk);
}

TEST(QuicInitial, CompatibleVersionNegotiationServerAnswersInV2) {
  QuicInitialDecryptor d;
  Conn c{d};
  const Bytes dcid = hex("0a0b0c0d0e0f1011"), scid = hex("77");
  Bytes p = crypto_frame(0, kRfcClientHello);
  p.resize(1100, 0);
  ASSERT_EQ(c.client(initial_packet(kV1, true, dcid, dcid, scid, 0, p)), QuicStatus::kOk);
  const Bytes sh(kRfcServerPayload.begin() + 9, kRfcServerPayload.end());
  ASSERT_EQ(c.server(initial_packet(kV2, false, dcid, scid, hex("88"), 0, crypto_frame(0, sh))),
            QuicStatus::kOk);
  EXPECT_EQ(c.s.server_bytes(), sh);
}

TEST(QuicInitial, Frames) {
  QuicInitialDecryptor d;
  const Bytes dcid = hex("abababababababab");
  const auto run = [&](const Bytes& payload, QuicFlowState* out_flow = nullptr) {
    Conn c{d};
    const QuicStatus st = c.client(initial_packet(kV1, true, dcid, dcid, {}, 0, payload));
    if (out_flow) *out_flow = c.flow;
    return st;
  };
  const auto unexpected = d.counters().unexpected_frames;
  // ACK with two ranges and ECN counts, PING, CRYPTO, then a STREAM frame (not allowed): stop, keep data.
  EXPECT_EQ(run(cat({hex("03050002010102030a0b0c0d"), hex("01"), crypto_frame(0, hex("01000000")),
                     hex("08000000")})),
            QuicStatus::kOk);
  EXPECT_EQ(d.counters().unexpected_frames, unexpected + 1);
  QuicFlowState f;
  EXPECT_EQ(run(cat({hex("1c0a0603616263"), Bytes(20, 0)}), &f), QuicStatus::kOk);  // CONNECTION_CLOSE
  EXPECT_TRUE(f.has(QuicFlowState::kConnectionClosed));
  EXPECT_EQ(run(hex("1d0a03616263")), QuicStatus::kOk);
  const auto malformed = d.counters().malformed_frames;
  EXPECT_EQ(run(hex("0600410000")), QuicStatus::kMalformed);  // CRYPTO longer than the packet
  EXPECT_EQ(run(hex("02000000ffffffffffffffff0102")), QuicStatus::kMalformed);  // 2^62 - 1 ACK ranges
  EXPECT_EQ(run(hex("06ffffffffffffffff0100")), QuicStatus::kMalformed);        // offset + length >= 2^62
  EXPECT_EQ(run(hex("1c0a06")), QuicStatus::kMalformed);                        // truncated CONNECTION_CLOSE
  EXPECT_EQ(d.counters().malformed_frames, malformed + 4);
}

TEST(QuicInitial, PacketNumberDecoding) {
  QuicInitialDecryptor d;
  Conn c{d};
  const Bytes dcid = hex("0102030405060708");
  const Bytes ping = Bytes{0x01, 0, 0, 0};
  ASSERT_EQ(c.client(initial_packet(kV1, true, dcid, dcid, {}, 300, ping, 2)), QuicStatus::kOk);
  EXPECT_EQ(c.flow.next_pn[0], 301u);
  // 1-byte encodings of 302 and 290 only decrypt if decoded relative to the largest seen (RFC 9000 §A.3).
  EXPECT_EQ(c.client(initial_packet(kV1, true, dcid, dcid, {}, 302, ping, 1)), QuicStatus::kOk);
  EXPECT_EQ(c.client(initial_packet(kV1, true, dcid, dcid, {}, 290, ping, 1)), QuicStatus::kOk);
  EXPECT_EQ(c.flow.next_pn[0], 303u);
}

TEST(QuicInitial, NotQuicAndUnsupported) {
  QuicInitialDecryptor d;
  Conn c{d};
  EXPECT_EQ(c.client({}), QuicStatus::kNotQuic);
  EXPECT_EQ(c.client(hex("00")), QuicStatus::kNotQuic);
  EXPECT_EQ(c.client(hex("4001020304")), QuicStatus::kNotInitial);                     // short header
  EXPECT_EQ(c.client(hex("c0000000")), QuicStatus::kNotQuic);                          // truncated version
  EXPECT_EQ(c.client(hex("c3513035300811223344")), QuicStatus::kUnsupportedVersion);   // Q050
  EXPECT_EQ(c.client(hex("c3543035310811223344")), QuicStatus::kUnsupportedVersion);   // T051
  EXPECT_EQ(c.client(hex("c3ff0000150811223344")), QuicStatus::kUnsupportedVersion);   // draft-21
  EXPECT_EQ(c.client(hex("c3faceb0030811223344")), QuicStatus::kUnsupportedVersion);   // mvfst 3
  EXPECT_EQ(c.client(hex("c312345678081122334455")), QuicStatus::kNotQuic);            // no QUIC version
  EXPECT_EQ(c.client(hex("c0000000011599")), QuicStatus::kMalformed);                  // DCID length 21
  EXPECT_EQ(c.client(hex("c00000000108010203040506070800")), QuicStatus::kMalformed);  // no token/length
  EXPECT_EQ(c.client(hex("c0000000010100000044ff00")), QuicStatus::kMalformed);        // Length past the end
  EXPECT_EQ(c.client(hex("c000000001010000000401020304")), QuicStatus::kMalformed);    // too short to sample
  EXPECT_EQ(c.client(hex("80000000000101")), QuicStatus::kMalformed);  // Version Negotiation from a client
}

}  // namespace
}  // namespace spanwatch::lib
