#include "workers/ndpi_detector.hpp"

#include <ndpi/ndpi_api.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace spanwatch::workers {
namespace {

template <size_t N>
void copy_text(char (&dst)[N], const char* src) noexcept {
  if (src == nullptr) return;
  size_t n = 0;
  while (n + 1 < N && src[n] != '\0') {
    dst[n] = src[n];
    ++n;
  }
  dst[n] = '\0';
}

lib::L7Family family_of(uint16_t id) noexcept {
  switch (id) {
    case NDPI_PROTOCOL_TLS:
    case NDPI_PROTOCOL_DTLS:
    case NDPI_PROTOCOL_MAIL_IMAPS:
    case NDPI_PROTOCOL_MAIL_POPS:
    case NDPI_PROTOCOL_MAIL_SMTPS:
      return lib::L7Family::kTls;
    case NDPI_PROTOCOL_QUIC:
      return lib::L7Family::kQuic;
    case NDPI_PROTOCOL_DNS:
    case NDPI_PROTOCOL_MDNS:
    case NDPI_PROTOCOL_LLMNR:
      return lib::L7Family::kDns;
    case NDPI_PROTOCOL_HTTP:
    case NDPI_PROTOCOL_HTTP_CONNECT:
    case NDPI_PROTOCOL_HTTP_PROXY:
      return lib::L7Family::kHttp;
    case NDPI_PROTOCOL_SSH:
      return lib::L7Family::kSsh;
    case NDPI_PROTOCOL_UNKNOWN:
      return lib::L7Family::kNone;
    default:
      return lib::L7Family::kOther;
  }
}

}  // namespace

void NdpiDetector::PoolFree::operator()(ndpi_flow_struct* p) const noexcept {
  std::free(p);
}

NdpiDetector::NdpiDetector(uint32_t max_concurrent_flows)
    : capacity_(std::max<uint32_t>(max_concurrent_flows, 1)) {
  module_ = ndpi_init_detection_module(ndpi_no_prefs);
  if (module_ == nullptr) throw std::runtime_error("ndpi_init_detection_module failed");
  NDPI_PROTOCOL_BITMASK all;
  NDPI_BITMASK_SET_ALL(all);
  ndpi_set_protocol_detection_bitmask2(module_, &all);
  ndpi_finalize_initialization(module_);
  // calloc: pages of the pool are touched only when that many flows are in detection at once.
  pool_.reset(static_cast<ndpi_flow_struct*>(std::calloc(capacity_, sizeof(ndpi_flow_struct))));
  free_ = std::make_unique<uint32_t[]>(capacity_);
  if (!pool_) throw std::runtime_error("nDPI flow pool: out of memory");
  for (uint32_t i = 0; i < capacity_; ++i) free_[i] = capacity_ - 1 - i;
  n_free_ = capacity_;
}

NdpiDetector::~NdpiDetector() {
  // States still in use hold nDPI's own allocations.
  std::unique_ptr<bool[]> is_free = std::make_unique<bool[]>(capacity_);
  for (uint32_t i = 0; i < n_free_; ++i) is_free[free_[i]] = true;
  for (uint32_t i = 0; i < capacity_; ++i)
    if (!is_free[i]) ndpi_free_flow_data(&pool_[i]);
  if (module_) ndpi_exit_detection_module(module_);
}

uint32_t NdpiDetector::acquire() noexcept {
  if (n_free_ == 0) {
    ctr_.pool_exhausted.add(1);
    return kNoSlot;
  }
  const uint32_t slot = free_[--n_free_];
  std::memset(&pool_[slot], 0, sizeof(ndpi_flow_struct));  // nDPI requires a zeroed state
  ctr_.flows.add(1);
  return slot;
}

void NdpiDetector::release(uint32_t slot) noexcept {
  ndpi_free_flow_data(&pool_[slot]);
  free_[n_free_++] = slot;
}

void NdpiDetector::extract(ndpi_flow_struct* f, uint16_t master, uint16_t app, uint16_t category,
                           lib::L7State state, lib::L7Info& info) noexcept {
  info.state = state;
  info.master_id = master;
  info.app_id = app;
  ndpi_protocol p{};
  p.master_protocol = master;
  p.app_protocol = app;
  p.category = static_cast<ndpi_protocol_category_t>(category);
  ndpi_protocol2name(module_, p, info.proto, sizeof info.proto);
  if (master != NDPI_PROTOCOL_UNKNOWN) copy_text(info.master, ndpi_get_proto_name(module_, master));
  copy_text(info.app, ndpi_get_proto_name(module_, app));
  copy_text(info.category, ndpi_category_get_name(module_, p.category));
  info.family = family_of(master != NDPI_PROTOCOL_UNKNOWN ? master : app);
  copy_text(info.host, f->host_server_name);
  switch (info.family) {
    case lib::L7Family::kTls:
    case lib::L7Family::kQuic:
      copy_text(info.ja3c, f->protos.tls_quic.ja3_client);
      copy_text(info.ja3s, f->protos.tls_quic.ja3_server);
      copy_text(info.alpn, f->protos.tls_quic.alpn);
      info.tls_version = f->protos.tls_quic.ssl_version;
      break;
    case lib::L7Family::kSsh:
      copy_text(info.ssh_client, f->protos.ssh.client_signature);
      copy_text(info.ssh_server, f->protos.ssh.server_signature);
      copy_text(info.hassh_client, f->protos.ssh.hassh_client);
      copy_text(info.hassh_server, f->protos.ssh.hassh_server);
      break;
    case lib::L7Family::kDns:
      info.dns_qtype = f->protos.dns.query_type;
      info.dns_rcode = f->protos.dns.reply_code;
      info.dns_answered =
          !f->protos.dns.is_query || f->protos.dns.num_answers > 0 || f->protos.dns.reply_code != 0;
      break;
    default:
      break;
  }
}

bool NdpiDetector::feed(uint32_t slot, const uint8_t* l3, uint32_t l3_len, uint64_t ts_ms, bool tcp,
                        uint32_t packets_seen, lib::L7Info& info) noexcept {
  ndpi_flow_struct* f = &pool_[slot];
  const auto len = static_cast<unsigned short>(std::min<uint32_t>(l3_len, 0xffff));
  const ndpi_protocol p = ndpi_detection_process_packet(module_, f, l3, len, ts_ms);
  ctr_.packets.add(1);
  const bool known = p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
  if (known && !ndpi_extra_dissection_possible(module_, f)) {
    extract(f, p.master_protocol, p.app_protocol, p.category, lib::L7State::kDetected, info);
    ctr_.detected.add(1);
    release(slot);
    return true;
  }
  if (packets_seen >= (tcp ? kMaxTcpPackets : kMaxUdpPackets)) {
    finish(slot, info);
    return true;
  }
  return false;
}

void NdpiDetector::finish(uint32_t slot, lib::L7Info& info) noexcept {
  ndpi_flow_struct* f = &pool_[slot];
  uint8_t guessed = 0;
  const ndpi_protocol p = ndpi_detection_giveup(module_, f, 1, &guessed);
  const bool known = p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
  const lib::L7State state = !known    ? lib::L7State::kUnknown
                             : guessed ? lib::L7State::kGuessed
                                       : lib::L7State::kDetected;
  extract(f, p.master_protocol, p.app_protocol, p.category, state, info);
  (state == lib::L7State::kDetected  ? ctr_.detected
   : state == lib::L7State::kGuessed ? ctr_.guessed
                                     : ctr_.unknown)
      .add(1);
  release(slot);
}

}  // namespace spanwatch::workers
