// One worker's application parsers (spanwatch's own, independent of nDPI): reads the TLS and QUIC
// handshakes, DNS messages, HTTP headers, SSH banners and key exchange, and DHCP options of each flow into
// the flow's AppMetadata.
//
// Work is deferred and bounded, as Retina does it: a flow holds parse state (stream buffers, from a
// per-worker pool) only while a parser still waits for bytes, and only for its first packets; then the
// state goes back to the pool and the flow keeps just its metadata (a second pool), packed into a slot
// of its size once the parsers are done (PackedMetadataStore), or while a parser waits for a message that
// rarely comes on the same flow (a DHCP ACK, the answer to a multicast name query; unpacked again if it
// comes). The pools are sized at start-up; when one is empty the flow goes without, and that is counted.
// Not thread-safe.
#pragma once
#include <cstdint>

#include "lib/core/counter.hpp"
#include "lib/decode/decoded_packet.hpp"
#include "lib/flow/app_metadata.hpp"
#include "lib/quic/quic_initial.hpp"
#include "workers/app_parse_state.hpp"
#include "workers/flow_entry.hpp"
#include "workers/packed_metadata_store.hpp"
#include "workers/slot_pool.hpp"

namespace spanwatch::workers {

struct AppCounters {
  lib::Counter flows;            // flows a parser looked at
  lib::Counter state_exhausted;  // flows left unparsed: every parse state was in use
  lib::Counter meta_exhausted;   // metadata lost: every metadata slot was in use
  lib::Counter stream_gaps;      // TCP directions whose parse stopped at a gap (loss, reordering)
  lib::Counter gave_up;          // parses ended by the packet limit before they were complete
  lib::Counter tls_client_hellos, tls_server_hellos, tls_certificates, tls_malformed;
  lib::Counter quic_initials, quic_undecryptable;
  lib::Counter dns_messages, dns_malformed;
  lib::Counter http_requests, http_responses;
  lib::Counter ssh_banners, ssh_kexinits;
  lib::Counter dhcp_messages;
};

class AppDissector {
 public:
  static constexpr uint32_t kNoSlot = SlotPool<AppParseState>::kNoSlot;
  // Payload packets of a flow (both directions) the parsers look at: a SOCKS/CONNECT/STARTTLS preamble
  // may come before the handshake.
  static constexpr uint8_t kMaxPayloadPackets = 32;

  // Throws std::runtime_error when the pools cannot be allocated.
  AppDissector(uint32_t max_parsing_flows, uint32_t max_metadata_flows);

  // One packet of the flow `e`, in direction `d` (kOrig = client); `side` holds its parse state. Cheap once
  // the flow is done.
  void on_packet(FlowEntry& e, FlowSide& side, lib::Dir d, const lib::DecodedPacket& pkt) noexcept;

  // Ahead of on_packet() for a flow not done: the first line of its parse state (protocol, stream cursors)
  // and of its unpacked metadata (kind).
  void prefetch(const FlowEntry& e, const FlowSide& side) const noexcept {
    if (side.app_state < states_.capacity()) __builtin_prefetch(&states_[side.app_state], 1);
    if (e.app_meta < meta_.capacity()) __builtin_prefetch(&meta_[e.app_meta], 1);  // kNoSlot is not
  }

  // Zeek flipped the flow's roles: per-direction parse state follows.
  void on_flip(FlowEntry& e, FlowSide& side) noexcept;

  // The flow's metadata (kind kNone if nothing was read).
  void copy_metadata(const FlowEntry& e, lib::AppMetadata& out) const noexcept;

  // Once the parsers are done (e.app_done): whether the flow's metadata gives the info line.
  bool has_info_line(const FlowEntry& e) const noexcept { return e.app_info; }

  // The flow ends: both slots go back to their pools (`side` null: the flow has no FlowSide).
  void release(FlowEntry& e, FlowSide* side) noexcept;

  const AppCounters& counters() const noexcept { return ctr_; }
  uint32_t parse_states_in_use() const noexcept { return states_.in_use(); }
  uint32_t metadata_in_use() const noexcept { return meta_.in_use(); }
  const PackedMetadataStore& packed() const noexcept { return packed_; }

 private:
  bool start(FlowEntry& e, FlowSide& side, lib::Dir d, const lib::DecodedPacket& pkt) noexcept;
  lib::AppMetadata* metadata(FlowEntry& e, lib::AppKind kind) noexcept;
  void stop_parsing(FlowEntry& e, FlowSide& side) noexcept;
  bool waits_in_vain(const FlowEntry& e, uint16_t sp, uint16_t dp) const noexcept;
  void park(FlowEntry& e) noexcept;
  bool unpark(FlowEntry& e) noexcept;
  lib::AppKind kind_of(uint32_t meta) const noexcept {
    return PackedMetadataStore::is_packed(meta) ? packed_.kind(meta) : meta_[meta].kind;
  }
  void release_state(FlowEntry& e, FlowSide* side) noexcept;

  // Per protocol: each returns true when that flow needs no more packets.
  bool tls(FlowEntry& e, AppParseState& s, lib::Dir d, const uint8_t* data, uint32_t len) noexcept;
  bool quic(FlowEntry& e, AppParseState& s, lib::Dir d, const lib::DecodedPacket& pkt) noexcept;
  bool ssh(FlowEntry& e, AppParseState& s, lib::Dir d, const uint8_t* data, uint32_t len) noexcept;
  bool dns(FlowEntry& e, lib::Dir d, const uint8_t* data, uint32_t len, bool tcp) noexcept;
  bool http(FlowEntry& e, AppParseState& s, lib::Dir d, const uint8_t* data, uint32_t len) noexcept;
  bool dhcp(FlowEntry& e, const uint8_t* data, uint32_t len) noexcept;

  lib::QuicInitialDecryptor quic_;
  SlotPool<AppParseState> states_;
  SlotPool<lib::AppMetadata> meta_;
  PackedMetadataStore packed_;
  AppCounters ctr_;
};

}  // namespace spanwatch::workers
