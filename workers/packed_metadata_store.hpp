// Where a flow's AppMetadata goes once its parsers are done (or while a parser waits for a message that
// rarely comes on the same flow, AppDissector::park; unpacked again if it comes): packed (zero_run_codec)
// into the smallest slot size class that holds it, so that a classified flow keeps only the bytes its
// application revealed instead of the 1.3 kB fixed-size struct. Each class is a pool as SlotPool (sized at
// start-up, zero pages so only used pages are touched, no allocation afterwards). A handle carries its class
// in the top bits. The certificate fields of a TLS flow (subject, issuer, SANs, serial, SHA-1, validity),
// which every flow to the same server repeats, are packed apart and shared: flows with byte-identical fields
// hold one reference-counted blob (SharedBlobIndex). Not thread-safe (one per worker).
#pragma once
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "lib/app/dns_message.hpp"
#include "lib/core/big_endian.hpp"
#include "lib/core/index_free_list.hpp"
#include "lib/core/zeroed_array.hpp"
#include "lib/flow/app_metadata.hpp"
#include "workers/shared_blob_index.hpp"
#include "workers/zero_run_codec.hpp"

namespace spanwatch::workers {

class PackedMetadataStore {
 public:
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  static constexpr unsigned kClassShift = 27;  // handle = (class + 1) << 27 | slot; 0 there: not packed
  // Steps of 8 bytes up to 128 (where most classified flows' metadata falls: DNS and TLS without a
  // certificate), 16 up to 256, 32 up to 384, then 448, 512, 768 and 1 kB: a slot wastes about 4% of its
  // bytes on the corpus. The reserved address space is the sum of the classes per flow (zero pages: only
  // used slots' pages are touched; 4 KiB pages, so a class costs no 2 MiB page before it holds that
  // much). Up to 1 kB, which holds a TLS handshake with a certificate (only larger ones stay in the 1.3 kB
  // unpacked form). At most 30 classes: (class + 1) << 27 | slot must never be kNoSlot.
  static constexpr std::array<size_t, 30> kSlotBytes{24,  32,  40,  48,  56,  64,  72,  80,  88,  96,
                                                     104, 112, 120, 128, 144, 160, 176, 192, 208, 224,
                                                     240, 256, 288, 320, 352, 384, 448, 512, 768, 1024};
  static constexpr size_t kClasses = kSlotBytes.size();
  static_assert((uint32_t(kClasses) << kClassShift | ((1u << kClassShift) - 1)) != kNoSlot &&
                    kClasses < (1u << (32 - kClassShift)),
                "handle bits");

  explicit PackedMetadataStore(uint32_t max_flows) : shared_(max_flows) {
    for (size_t c = 0; c < kClasses; ++c) pools_[c].init(kSlotBytes[c], max_flows);
  }

  // A handle of this store (as opposed to an AppDissector metadata slot number, which is below 2^28).
  static bool is_packed(uint32_t h) noexcept { return h != kNoSlot && (h >> kClassShift) != 0; }
  static size_t slot_bytes(uint32_t h) noexcept { return kSlotBytes[cls(h)]; }
  // Bytes of the slot that hold data (certificate handle included); the rest is the size class's rounding.
  size_t used_bytes(uint32_t h) const noexcept { return header_bytes(h) + length(h); }

  // Packs `m`; kNoSlot when it needs more than the largest class (the caller keeps it unpacked). `m` has a
  // kind: a packed slot's first byte tells a certificate handle (never below kMinHandleByte) from the kind.
  uint32_t put(const lib::AppMetadata& m) noexcept {
    assert(m.kind != lib::AppKind::kNone);
    // A DNS answer's A/AAAA data is the text of an address that resolved_ips keeps too: packed without it.
    if (m.kind == lib::AppKind::kDns && has_address_texts(m.dns)) {
      lib::AppMetadata without = m;
      drop_address_texts(without.dns);
      return pack(without);
    }
    return pack(m);
  }

  void get(uint32_t h, lib::AppMetadata& out) const noexcept {
    const uint8_t* b = pools_[cls(h)].at(slot(h));
    auto* bytes = reinterpret_cast<uint8_t*>(&out);
    const uint32_t cert = certificate_of(h);
    const size_t header = cert != kNoSlot ? kCertHandleBytes : 0;
    // The kind, then the other bytes' runs (unpacking stops at the zeros after them).
    unpack_zero_runs(b + header + 1, slot_bytes(h) - header - 1, bytes + 1, sizeof out - 1);
    out.kind = lib::AppKind(b[header]);
    if (cert != kNoSlot)
      unpack_zero_runs(pools_[cls(cert)].at(slot(cert)), slot_bytes(cert), bytes + kCertBegin,
                       kCertEnd - kCertBegin);
    if (out.kind == lib::AppKind::kDns) render_address_texts(out.dns);
  }

  // m.kind of put(m), without unpacking: the byte before the runs.
  lib::AppKind kind(uint32_t h) const noexcept {
    return lib::AppKind(pools_[cls(h)].at(slot(h))[header_bytes(h)]);
  }

  void release(uint32_t h) noexcept {
    if (const uint32_t cert = certificate_of(h); cert != kNoSlot) release_certificate(cert);
    pools_[cls(h)].release(slot(h));
  }

  // The shared certificate blobs: how many, and the bytes they and their index slots take (slot sizes
  // included, two index slots per blob at load 0.5).
  uint32_t shared_blobs() const noexcept { return shared_.size(); }
  uint64_t shared_bytes() const noexcept {
    return shared_slot_bytes_ + uint64_t{shared_.size()} * 2 * SharedBlobIndex::kSlotBytes;
  }
  // The shared certificate blob `h` refers to (kNoSlot: none), for tests and benchmarks.
  uint32_t certificate_of(uint32_t h) const noexcept {
    const uint8_t* b = pools_[cls(h)].at(slot(h));
    if (b[0] < kMinHandleByte) return kNoSlot;  // the kind
    return lib::be32(b);
  }

  // Slots in use of class c (kSlotBytes[c] bytes each).
  uint32_t in_use(size_t c) const noexcept { return pools_[c].free.in_use(); }

 private:
  // The TLS certificate fields, contiguous in AppMetadata: packed apart and shared between flows.
  static constexpr size_t kCertBegin = offsetof(lib::AppMetadata, tls.subject);
  static constexpr size_t kCertEnd = offsetof(lib::AppMetadata, tls.not_after) + sizeof(int64_t);
  static_assert(offsetof(lib::TlsMetadata, subject) < offsetof(lib::TlsMetadata, not_after) &&
                    offsetof(lib::TlsMetadata, not_after) + sizeof(int64_t) == sizeof(lib::TlsMetadata),
                "the certificate fields end TlsMetadata: a field added after them needs kCertEnd moved");
  static_assert(kCertEnd == sizeof(lib::AppMetadata),
                "TlsMetadata is the largest: nothing follows its fields");
  // A slot keeps no length: the shared certificate blob's handle, big-endian, when the flow has one (its
  // first byte holds the class + 1: kMinHandleByte or more), then AppMetadata's first byte, its kind
  // (below kMinHandleByte), then the packed bytes of the rest, then zeros to the slot's end, where
  // unpacking stops (packed_length() finds where the runs end). A shared blob is its packed bytes and zeros.
  static constexpr size_t kCertHandleBytes = 4;  // lib::put_be32
  static constexpr uint8_t kMinHandleByte = 1u << (kClassShift - 24);
  static_assert(kClassShift >= 24 && kClassShift < 32, "a handle's first (high) byte holds its class + 1");
  static_assert(offsetof(lib::AppMetadata, kind) == 0 && uint8_t(lib::AppKind::kDhcp) < kMinHandleByte);

  static size_t cls(uint32_t h) noexcept { return (h >> kClassShift) - 1; }
  // The kind and the packed bytes after the header.
  size_t length(uint32_t h) const noexcept {
    const size_t header = header_bytes(h);
    return 1 + packed_length(pools_[cls(h)].at(slot(h)) + header + 1, slot_bytes(h) - header - 1);
  }
  size_t header_bytes(uint32_t h) const noexcept {
    return certificate_of(h) != kNoSlot ? kCertHandleBytes : 0;
  }
  size_t blob_length(uint32_t cert) const noexcept {
    return packed_length(pools_[cls(cert)].at(slot(cert)), slot_bytes(cert));
  }

  // The first `n` bytes of `buf` into the smallest class that holds them, zeros after them.
  uint32_t store(const uint8_t* buf, size_t n) noexcept {
    size_t c = 0;
    while (n > kSlotBytes[c]) ++c;
    const uint32_t s = pools_[c].acquire();
    if (s == kNoSlot) return kNoSlot;
    std::memcpy(pools_[c].at(s), buf, n);
    std::memset(pools_[c].at(s) + n, 0, kSlotBytes[c] - n);  // a slot used before holds older bytes
    return uint32_t(c + 1) << kClassShift | s;
  }

  static uint64_t hash_of(const uint8_t* p, size_t n) noexcept {
    return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(p), n));
  }

  // The shared blob holding these certificate fields (found, or made with a count of 1); kNoSlot when
  // they are all zero (no certificate) or no slot is left (the caller keeps them inline).
  uint32_t share_certificate(const uint8_t* fields) noexcept {
    std::array<uint8_t, kSlotBytes.back()> buf;
    const size_t n = pack_zero_runs(fields, kCertEnd - kCertBegin, buf.data(), buf.size());
    if (n == 0 || n == kPackDoesNotFit) return kNoSlot;
    const uint64_t hash = hash_of(buf.data(), n);
    const uint32_t found = shared_.acquire_existing(hash, [&](uint32_t h) {
      return blob_length(h) == n && std::memcmp(pools_[cls(h)].at(slot(h)), buf.data(), n) == 0;
    });
    if (found != SharedBlobIndex::kNone) return found;
    const uint32_t h = store(buf.data(), n);
    if (h == kNoSlot) return kNoSlot;
    shared_.add(hash, h);
    shared_slot_bytes_ += slot_bytes(h);
    return h;
  }

  uint64_t blob_hash(uint32_t cert) const noexcept {
    return hash_of(pools_[cls(cert)].at(slot(cert)), blob_length(cert));
  }
  void release_certificate(uint32_t cert) noexcept {
    if (!shared_.release(blob_hash(cert), cert, [this](uint32_t h) { return blob_hash(h); })) return;
    shared_slot_bytes_ -= slot_bytes(cert);
    pools_[cls(cert)].release(slot(cert));
  }
  static uint32_t slot(uint32_t h) noexcept { return h & ((1u << kClassShift) - 1); }

  // put() of metadata whose address texts are already dropped.
  uint32_t pack(const lib::AppMetadata& m) noexcept {
    const auto* bytes = reinterpret_cast<const uint8_t*>(&m);
    // Only flows that saw a certificate (TLS 1.2 and earlier) look for a shared one: the fields of the
    // others are empty, or packed with the flow's own bytes if not.
    const bool certificate = m.kind == lib::AppKind::kTls && m.tls.has_certificate;
    const uint32_t cert = certificate ? share_certificate(bytes + kCertBegin) : kNoSlot;
    // With the certificate fields in a shared blob, the flow's own bytes end where they begin.
    const size_t header = cert != kNoSlot ? kCertHandleBytes : 0,
                 own = cert != kNoSlot ? kCertBegin : sizeof m;
    std::array<uint8_t, kSlotBytes.back()> buf;
    if (cert != kNoSlot) lib::put_be32(buf.data(), cert);
    buf[header] = bytes[0];  // the kind
    const size_t n = pack_zero_runs(bytes + 1, own - 1, buf.data() + header + 1, buf.size() - header - 1);
    const uint32_t h = n == kPackDoesNotFit ? kNoSlot : store(buf.data(), header + 1 + n);
    if (h == kNoSlot && cert != kNoSlot) release_certificate(cert);
    return h;
  }

  // The parser keeps an address of each A/AAAA answer, in answer order, in resolved_ips (an answer whose
  // data is empty had a malformed address and kept none). An answer's text is dropped when it is exactly
  // what IpAddress::format() writes for its address, zeros after it (any other text, e.g. of an answer past
  // resolved_ips' eight, stays in the packed bytes), and data_is_address says so; get() renders it again,
  // so every byte comes back.
  static_assert(lib::kIpTextMax <= sizeof(lib::DnsAnswerRecord::data));
  // f(answer, its address) for each A/AAAA answer that has one.
  template <class Dns, class F>
  static void for_each_address_answer(Dns& d, F f) noexcept {
    size_t k = 0;
    const size_t ips = std::min<size_t>(d.resolved_ip_count, d.resolved_ips.size());
    for (size_t i = 0; i < std::min<size_t>(d.answer_count, d.answers.size()) && k < ips; ++i) {
      auto& a = d.answers[i];
      if (a.type != lib::kDnsTypeA && a.type != lib::kDnsTypeAaaa) continue;
      if (a.data[0] == '\0' && !a.data_is_address) continue;  // malformed: no address kept
      f(a, d.resolved_ips[k++]);
    }
  }
  static bool is_address_text(const lib::DnsAnswerRecord& a, const lib::IpAddress& ip) noexcept {
    char text[sizeof a.data]{};
    ip.format(text, sizeof text);
    return std::memcmp(a.data, text, sizeof a.data) == 0;
  }
  static bool has_address_texts(const lib::DnsMetadata& d) noexcept {
    bool any = false;
    for_each_address_answer(d, [&](const lib::DnsAnswerRecord& a, const lib::IpAddress& ip) {
      assert(!a.data_is_address);  // set only here, on the copy that is packed
      any = any || is_address_text(a, ip);
    });
    return any;
  }
  static void drop_address_texts(lib::DnsMetadata& d) noexcept {
    for_each_address_answer(d, [](lib::DnsAnswerRecord& a, const lib::IpAddress& ip) {
      if (!is_address_text(a, ip)) return;
      std::memset(a.data, 0, sizeof a.data);
      a.data_is_address = 1;
    });
  }
  static void render_address_texts(lib::DnsMetadata& d) noexcept {
    for_each_address_answer(d, [](lib::DnsAnswerRecord& a, const lib::IpAddress& ip) {
      if (!a.data_is_address) return;
      ip.format(a.data, sizeof a.data);
      a.data_is_address = 0;
    });
  }

  // One size class: `bytes`-sized slots and their free list.
  struct Pool {
    // Slots never used before are handed out in order: their pages are made present this many bytes at a
    // time, ahead of the slots, by one call (MADV_POPULATE_WRITE), cheaper than a page fault per 4 KiB page
    // (7.7 against 13 us a page on the bench's VM). A hint: without it the pages fault in.
    static constexpr size_t kPopulateBytes = 16 * 1024;
    size_t bytes = 0;
    lib::ZeroedArray<uint8_t> mem;
    lib::IndexFreeList free{0};
    size_t populated = 0;  // bytes of mem made present so far

    void init(size_t slot_bytes, uint32_t n) {
      bytes = slot_bytes;
      const uint32_t capacity = n > 0 ? n : 1;
      mem = lib::ZeroedArray<uint8_t>(capacity * bytes, lib::ZeroedArray<uint8_t>::kSmallPages);
      free = lib::IndexFreeList(capacity);
      populated = 0;
    }
    uint32_t acquire() noexcept {
      const uint32_t s = free.acquire();
      if (s == lib::IndexFreeList::kNone) return kNoSlot;
      if (const size_t end = (size_t(s) + 1) * bytes; end > populated) populate(end);
      return s;
    }
    void populate(size_t end) noexcept {
      const size_t to = std::min((end + kPopulateBytes - 1) / kPopulateBytes * kPopulateBytes, mem.size());
      ::madvise(mem.data() + populated, to - populated, MADV_POPULATE_WRITE);
      populated = to;
    }
    void release(uint32_t s) noexcept { free.release(s); }
    uint8_t* at(uint32_t s) noexcept { return mem.data() + size_t(s) * bytes; }
    const uint8_t* at(uint32_t s) const noexcept { return mem.data() + size_t(s) * bytes; }
  };
  std::array<Pool, kClasses> pools_;
  SharedBlobIndex shared_;
  uint64_t shared_slot_bytes_ = 0;
};

}  // namespace spanwatch::workers
