// Where a flow's AppMetadata goes once its parsers are done (or while a parser waits for a message that
// rarely comes on the same flow, AppDissector::park; unpacked again if it comes): packed (zero_run_codec)
// into the smallest slot size class that holds it, so that a classified flow keeps only the bytes its
// application revealed instead of the 1.3 kB fixed-size struct. Each class is a pool as SlotPool (sized at
// start-up, zero pages so only used pages are touched, no allocation afterwards). A handle carries its class
// in the top bits. Two ranges of a TLS flow's fields are packed apart and shared, flows with byte-identical
// fields holding one reference-counted blob (SharedBlobIndex): the certificate (subject, issuer, SANs,
// serial, SHA-1, validity), which every flow to the same server repeats, and the client fingerprint (the
// ClientHello's versions, offered ALPNs, JA4 and JA3), which every flow of the same client software repeats.
// Not thread-safe (one per worker).
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

  explicit PackedMetadataStore(uint32_t max_flows)
      : certificates_{SharedBlobIndex(max_flows)}, clients_{SharedBlobIndex(max_flows)} {
    for (size_t c = 0; c < kClasses; ++c) pools_[c].init(kSlotBytes[c], max_flows);
  }

  // A handle of this store (as opposed to an AppDissector metadata slot number, which is below 2^28).
  static bool is_packed(uint32_t h) noexcept { return h != kNoSlot && (h >> kClassShift) != 0; }
  static size_t slot_bytes(uint32_t h) noexcept { return kSlotBytes[cls(h)]; }
  // Bytes of the slot that hold data (blob handles included); the rest is the size class's rounding.
  size_t used_bytes(uint32_t h) const noexcept {
    const size_t header = header_bytes(h);
    return header + packed_length(pools_[cls(h)].at(slot(h)) + header, slot_bytes(h) - header);
  }

  // Packs `m`; kNoSlot when it needs more than the largest class (the caller keeps it unpacked).
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
    const size_t header = header_bytes(h);
    // The kind, then the other bytes' runs (unpacking stops at the zeros after them), then the blobs'.
    unpack_zero_runs(b + header, slot_bytes(h) - header, bytes + 1, sizeof out - 1);
    out.kind = lib::AppKind(b[0] & kKindMask);
    if (const uint32_t client = client_of(h); client != kNoSlot)
      unpack_zero_runs(pools_[cls(client)].at(slot(client)), slot_bytes(client), bytes + kClientBegin,
                       kClientEnd - kClientBegin);
    if (const uint32_t cert = certificate_of(h); cert != kNoSlot)
      unpack_zero_runs(pools_[cls(cert)].at(slot(cert)), slot_bytes(cert), bytes + kCertBegin,
                       kCertEnd - kCertBegin);
    if (out.kind == lib::AppKind::kDns) render_address_texts(out.dns);
  }

  // m.kind of put(m), without unpacking: the low bits of the slot's first byte.
  lib::AppKind kind(uint32_t h) const noexcept {
    return lib::AppKind(pools_[cls(h)].at(slot(h))[0] & kKindMask);
  }

  void release(uint32_t h) noexcept {
    if (const uint32_t cert = certificate_of(h); cert != kNoSlot) release_blob(certificates_, cert);
    if (const uint32_t client = client_of(h); client != kNoSlot) release_blob(clients_, client);
    pools_[cls(h)].release(slot(h));
  }

  // The shared certificate blobs and client fingerprint blobs: how many, and the bytes they and their index
  // slots take (slot sizes included, two index slots per blob at load 0.5).
  uint32_t shared_blobs() const noexcept { return certificates_.index.size(); }
  uint64_t shared_bytes() const noexcept { return certificates_.bytes(); }
  uint32_t client_blobs() const noexcept { return clients_.index.size(); }
  uint64_t client_bytes() const noexcept { return clients_.bytes(); }
  // The shared certificate or client fingerprint blob `h` refers to (kNoSlot: none), for tests and
  // benchmarks.
  uint32_t certificate_of(uint32_t h) const noexcept {
    const uint8_t* b = pools_[cls(h)].at(slot(h));
    return (b[0] & kHasCertificate) != 0 ? lib::be32(b + 1) : kNoSlot;
  }
  uint32_t client_of(uint32_t h) const noexcept {
    const uint8_t* b = pools_[cls(h)].at(slot(h));
    if ((b[0] & kHasClient) == 0) return kNoSlot;
    return lib::be32(b + 1 + ((b[0] & kHasCertificate) != 0 ? kHandleBytes : 0));
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
  // The client fingerprint fields, contiguous in TlsMetadata: packed apart and shared between flows.
  static constexpr size_t kClientBegin = offsetof(lib::AppMetadata, tls.client_version);
  static constexpr size_t kClientEnd = offsetof(lib::AppMetadata, tls.ja3) + sizeof(lib::Md5Bytes);
  static_assert(kClientEnd - kClientBegin == sizeof(lib::TlsMetadata::client_version) +
                                                 sizeof(lib::TlsMetadata::supported_versions) +
                                                 sizeof(lib::TlsMetadata::supported_version_count) +
                                                 sizeof(lib::TlsMetadata::client_alpns) +
                                                 sizeof(lib::TlsMetadata::ja4) + sizeof(lib::Md5Bytes) &&
                    kClientEnd == kCertBegin,
                "the client fingerprint fields are contiguous (no padding), just before the certificate's");
  // A slot keeps no length: AppMetadata's first byte, its kind, with a flag for each shared blob the flow
  // holds, then their handles (big-endian: the certificate's, then the client fingerprint's), then the
  // packed bytes of the rest up to the first shared field, then zeros to the slot's end, where unpacking
  // stops (packed_length() finds where the runs end). A shared blob is its packed bytes and zeros.
  static constexpr size_t kHandleBytes = 4;  // lib::put_be32
  static constexpr uint8_t kHasCertificate = 0x80, kHasClient = 0x40, kKindMask = 0x3f;
  static_assert(offsetof(lib::AppMetadata, kind) == 0 && uint8_t(lib::AppKind::kDhcp) <= kKindMask);

  static size_t cls(uint32_t h) noexcept { return (h >> kClassShift) - 1; }
  // The kind byte and the blob handles, before the runs.
  size_t header_bytes(uint32_t h) const noexcept {
    const uint8_t b = pools_[cls(h)].at(slot(h))[0];
    return 1 + ((b & kHasCertificate) != 0 ? kHandleBytes : 0) + ((b & kHasClient) != 0 ? kHandleBytes : 0);
  }
  size_t blob_length(uint32_t blob) const noexcept {
    return packed_length(pools_[cls(blob)].at(slot(blob)), slot_bytes(blob));
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

  // One kind of shared blob: its index and the bytes of its slots.
  struct SharedBlobs {
    SharedBlobIndex index;
    uint64_t slot_bytes = 0;
    uint64_t bytes() const noexcept {
      return slot_bytes + uint64_t{index.size()} * 2 * SharedBlobIndex::kSlotBytes;
    }
  };

  // The blob of `blobs` holding these `n` bytes of fields (found, or made with a count of 1); kNoSlot when
  // they are all zero or no slot is left (the caller keeps them inline).
  uint32_t share(SharedBlobs& blobs, const uint8_t* fields, size_t n) noexcept {
    std::array<uint8_t, kSlotBytes.back()> buf;
    const size_t len = pack_zero_runs(fields, n, buf.data(), buf.size());
    if (len == 0 || len == kPackDoesNotFit) return kNoSlot;
    const uint64_t hash = hash_of(buf.data(), len);
    const uint32_t found = blobs.index.acquire_existing(hash, [&](uint32_t h) {
      return blob_length(h) == len && std::memcmp(pools_[cls(h)].at(slot(h)), buf.data(), len) == 0;
    });
    if (found != SharedBlobIndex::kNone) return found;
    const uint32_t h = store(buf.data(), len);
    if (h == kNoSlot) return kNoSlot;
    blobs.index.add(hash, h);
    blobs.slot_bytes += slot_bytes(h);
    return h;
  }

  uint64_t blob_hash(uint32_t blob) const noexcept {
    return hash_of(pools_[cls(blob)].at(slot(blob)), blob_length(blob));
  }
  void release_blob(SharedBlobs& blobs, uint32_t blob) noexcept {
    if (!blobs.index.release(blob_hash(blob), blob, [this](uint32_t h) { return blob_hash(h); })) return;
    blobs.slot_bytes -= slot_bytes(blob);
    pools_[cls(blob)].release(slot(blob));
  }
  static uint32_t slot(uint32_t h) noexcept { return h & ((1u << kClassShift) - 1); }

  // put() of metadata whose address texts are already dropped.
  uint32_t pack(const lib::AppMetadata& m) noexcept {
    const auto* bytes = reinterpret_cast<const uint8_t*>(&m);
    // Only flows that saw a certificate (TLS 1.2 and earlier) look for a shared one, and only flows that saw
    // a ClientHello for a shared client fingerprint: the fields of the others are empty, or packed with the
    // flow's own bytes if not.
    const bool tls = m.kind == lib::AppKind::kTls;
    const uint32_t cert = tls && m.tls.has_certificate
                              ? share(certificates_, bytes + kCertBegin, kCertEnd - kCertBegin)
                              : kNoSlot;
    uint32_t client = tls && m.tls.has_client_hello
                          ? share(clients_, bytes + kClientBegin, kClientEnd - kClientBegin)
                          : kNoSlot;
    // The flow's own bytes end where the shared fields begin: the fingerprint's end where the
    // certificate's begin, so it is shared only if the certificate's fields are too or are all zero.
    if (client != kNoSlot && cert == kNoSlot &&
        zero_run_detail::zero_run(bytes + kCertBegin, kCertEnd - kCertBegin) != kCertEnd - kCertBegin) {
      release_blob(clients_, client);
      client = kNoSlot;
    }
    const size_t own = client != kNoSlot ? kClientBegin : cert != kNoSlot ? kCertBegin : sizeof m;
    std::array<uint8_t, kSlotBytes.back()> buf;
    size_t header = 1;
    buf[0] =
        uint8_t(bytes[0] | (cert != kNoSlot ? kHasCertificate : 0) | (client != kNoSlot ? kHasClient : 0));
    for (const uint32_t blob : {cert, client}) {
      if (blob == kNoSlot) continue;
      lib::put_be32(buf.data() + header, blob);
      header += kHandleBytes;
    }
    const size_t n = pack_zero_runs(bytes + 1, own - 1, buf.data() + header, buf.size() - header);
    const uint32_t h = n == kPackDoesNotFit ? kNoSlot : store(buf.data(), header + n);
    if (h == kNoSlot) {
      if (cert != kNoSlot) release_blob(certificates_, cert);
      if (client != kNoSlot) release_blob(clients_, client);
    }
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
  SharedBlobs certificates_, clients_;
};

}  // namespace spanwatch::workers
