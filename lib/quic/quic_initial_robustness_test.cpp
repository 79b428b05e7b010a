// QuicInitialDecryptor under hostile input (every truncation and bit flip of the RFC packet, random
// datagrams, random frames that authenticate), proof that feed() never allocates, and its cost per packet.
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <new>
#include <random>

#include "lib/quic/quic_initial.hpp"
#include "lib/quic/quic_test_util.hpp"
#include "lib/quic/quic_test_vectors.hpp"

// Every heap allocation in this process, OpenSSL's and C++'s, counted to prove feed() makes none.
namespace {
std::atomic<long> g_allocs{0};
void* counting_malloc(size_t n, const char*, int) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* counting_realloc(void* p, size_t n, const char*, int) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void counting_free(void* p, const char*, int) {
  std::free(p);
}
// Must run before OpenSSL's first allocation: static initialisation of this file does that.
const bool g_openssl_hooked = CRYPTO_set_mem_functions(counting_malloc, counting_realloc, counting_free) == 1;
}  // namespace

// After inlining these replacements GCC pairs new with free and warns; malloc/free are the actual pair here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace spanwatch::lib {
namespace {

using namespace quic_test;  // NOLINT(build/namespaces): test helpers and vectors only

// Hostile input: every truncation and every single-bit flip of the RFC packet, random datagrams, and
// random plaintext sealed with valid keys (so the frame parser sees garbage that authenticates).
TEST(QuicInitial, HostileInput) {
  QuicInitialDecryptor d;
  for (size_t n = 0; n < kV1ClientInitial.size(); ++n) {
    Conn c{d};
    ASSERT_NE(c.client(Bytes(kV1ClientInitial.begin(), kV1ClientInitial.begin() + static_cast<long>(n))),
              QuicStatus::kOk)
        << n;
  }
  for (size_t i = 0; i < kV1ClientInitial.size(); ++i) {
    Bytes b = kV1ClientInitial;
    b[i] ^= static_cast<uint8_t>(1u << (i % 8));
    Conn c{d};
    ASSERT_NE(c.client(b), QuicStatus::kOk) << i;
  }
  std::mt19937 rng(7);
  const Bytes dcid = hex("0102030405060708");
  for (int i = 0; i < 20000; ++i) {
    Bytes b(rng() % 1400);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    if (!b.empty() && i % 2 == 0) b[0] |= 0xc0;
    if (b.size() > 5 && i % 4 == 0) std::copy_n(hex("00000001").begin(), 4, b.begin() + 1);
    Conn c{d};
    c.client(b);
    c.server(b);
  }
  for (int i = 0; i < 5000; ++i) {
    Bytes payload(1 + rng() % 300);
    static constexpr uint8_t kTypes[] = {0x00, 0x01, 0x02, 0x03, 0x06, 0x1c, 0x1d, 0x40, 0x80, 0xc0, 0xff};
    for (auto& x : payload) x = rng() % 3 == 0 ? kTypes[rng() % sizeof(kTypes)] : static_cast<uint8_t>(rng());
    Conn c{d};
    const QuicStatus st = c.client(initial_packet(kV1, true, dcid, dcid, {}, rng() % 4, payload));
    ASSERT_TRUE(st == QuicStatus::kOk || st == QuicStatus::kMalformed) << to_string(st);
    ASSERT_LE(c.s.client.contiguous(), c.s.client.capacity());
  }
}

TEST(QuicInitial, FeedDoesNotAllocate) {
  if (!g_openssl_hooked) GTEST_SKIP() << "CRYPTO_set_mem_functions came too late";
  QuicInitialDecryptor d;
  const Bytes dcid = hex("5566778899aabbcc");
  Bytes p = crypto_frame(0, kRfcClientHello);
  p.resize(1100, 0);
  const Bytes other = initial_packet(0xff00001d, true, dcid, dcid, {}, 0, p);
  Conn warm{d};
  warm.client(kV1ClientInitial);
  int ok = 0, failed = 0;
  const long before = g_allocs.load();
  for (int i = 0; i < 50; ++i) {  // alternating flows and versions: key derivation and re-keying each time
    Conn c{d};
    ok += c.client(kV1ClientInitial) == QuicStatus::kOk;
    ok += c.server(kV1ServerInitial) == QuicStatus::kOk;
    Conn e{d};
    ok += e.client(other) == QuicStatus::kOk;
    failed += e.client(kV2ClientInitial) == QuicStatus::kDecryptFailed;
  }
  // Each Conn's two stream buffers are vectors the test allocates; nothing else may allocate.
  EXPECT_EQ(g_allocs.load() - before, 50 * 2 * 2);
  EXPECT_EQ(ok, 150);
  EXPECT_EQ(failed, 50);
}

// Thread CPU time, not wall time: the build machines are shared and preempt us.
double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

TEST(QuicInitial, CostPerPacket) {
  QuicInitialDecryptor d;
  Streams s;
  constexpr int kN = 20000;
  const auto time_ns = [&](auto&& fn) {
    const double t0 = cpu_ns();
    for (int i = 0; i < kN; ++i) fn(i);
    return (cpu_ns() - t0) / kN;
  };
  const QuicFlowState fresh{};
  const double same_flow = time_ns([&](int) {
    QuicFlowState f = fresh;
    s.client.reset();
    d.feed(kV1ClientInitial.data(), kV1ClientInitial.size(), true, f, s.client);
  });
  const Bytes dcid = hex("0011223344556677");
  Bytes p = crypto_frame(0, kRfcClientHello);
  p.resize(1162, 0);
  const Bytes other = initial_packet(kV1, true, dcid, dcid, {}, 2, p, 4);
  const double new_keys = time_ns([&](int i) {  // alternating flows: derivation + AES key schedule each time
    QuicFlowState f = fresh;
    s.client.reset();
    const Bytes& b = i % 2 ? other : kV1ClientInitial;
    d.feed(b.data(), b.size(), true, f, s.client);
  });
  QuicInitialKeys k;
  const double derive = time_ns([&](int i) {
    derive_quic_initial_keys(QuicSalt::kV1, false, kRfcDcid.data(), kRfcDcid.size(), i % 2 == 0, k);
  });
  const double not_quic = time_ns([&](int) {
    QuicFlowState f = fresh;
    d.feed(kV1ClientInitial.data() + 1, 1000, true, f, s.client);
  });
  std::printf(
      "[ cost     ] 1200-byte client Initial: %.0f ns CPU with the previous packet's keys, %.0f ns with "
      "new keys (derivation alone %.0f ns); non-QUIC datagram %.0f ns\n",
      same_flow, new_keys, derive, not_quic);
  EXPECT_GT(same_flow, 0.0);
}

}  // namespace
}  // namespace spanwatch::lib
