#include "workers/ndpi_detector.hpp"

#include <ndpi/ndpi_api.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "workers/ndpi_overrides.hpp"

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

}  // namespace

void fill_ndpi_risk_table(lib::RiskTable& table) noexcept {
  for (unsigned i = 1; i < NDPI_MAX_RISK && i < table.size(); ++i) {
    const auto risk = static_cast<ndpi_risk_enum>(i);
    const ndpi_risk_info* info = ndpi_risk2severity(risk);
    uint16_t client = 0, server = 0;
    table[i].name = ndpi_risk2str(risk);
    table[i].severity = info != nullptr ? ndpi_severity2str(info->severity) : "";
    table[i].score = ndpi_risk2score(ndpi_risk{1} << i, &client, &server);
  }
}

void NdpiDetector::fill_name_table(lib::L7NameTable& t) const {
  auto name = [](const char* s) { return std::string(s != nullptr ? s : ""); };
  ndpi_detection_module_struct* m = module_;
  const unsigned n = ndpi_get_num_supported_protocols(m);
  t.protocols.clear();
  for (unsigned i = 0; i < n && i <= UINT16_MAX; ++i)
    t.protocols.push_back(name(ndpi_get_proto_name(m, static_cast<uint16_t>(i))));
  t.categories.clear();
  for (unsigned i = 0; i < NDPI_PROTOCOL_NUM_CATEGORIES; ++i)
    t.categories.push_back(name(ndpi_category_get_name(m, static_cast<ndpi_protocol_category_t>(i))));
  t.breeds.clear();
  for (unsigned i = 0; i < NUM_BREEDS; ++i)
    t.breeds.push_back(name(ndpi_get_proto_breed_name(m, static_cast<ndpi_protocol_breed_t>(i))));
  t.confidences.clear();
  for (unsigned i = 0; i < NDPI_CONFIDENCE_MAX; ++i)
    t.confidences.push_back(name(ndpi_confidence_get_name(static_cast<ndpi_confidence_t>(i))));
}

size_t NdpiDetector::state_bytes() noexcept {
  return sizeof(ndpi_flow_struct);
}

NdpiDetector::NdpiDetector(uint32_t max_concurrent_flows, uint32_t max_host_names)
    : short_hosts_(max_host_names),
      long_hosts_(max_host_names),
      capacity_(std::max<uint32_t>(max_concurrent_flows, 1)) {
  if (max_host_names >= kLongHost) throw std::runtime_error("NdpiDetector: host slots below 2^31");
  module_ = ndpi_init_detection_module(ndpi_no_prefs);
  if (module_ == nullptr) throw std::runtime_error("ndpi_init_detection_module failed");
  NDPI_PROTOCOL_BITMASK all;
  NDPI_BITMASK_SET_ALL(all);
  ndpi_set_protocol_detection_bitmask2(module_, &all);
  ndpi_finalize_initialization(module_);
  // Zero pages: the pool is touched only as far as that many flows are in detection at once.
  pool_ = lib::ZeroedArray<ndpi_flow_struct>(capacity_);
  free_ = lib::IndexFreeList(capacity_);
  fast_snprintf_ = snprintf_interposed();
  fast_sha1_ = sha1_interposed();
  fast_realloc_ = realloc_interposed();
}

NdpiDetector::~NdpiDetector() {
  // States still in use hold nDPI's own allocations.
  free_.for_each_in_use([this](uint32_t i) { ndpi_free_flow_data(&pool_[i]); });
  if (module_) ndpi_exit_detection_module(module_);
}

uint32_t NdpiDetector::acquire() noexcept {
  const uint32_t slot = free_.acquire();
  if (slot == lib::IndexFreeList::kNone) {
    ctr_.pool_exhausted.add(1);
    return kNoSlot;
  }
  std::memset(&pool_[slot], 0, sizeof(ndpi_flow_struct));  // nDPI requires a zeroed state
  ctr_.flows.add(1);
  return slot;
}

void NdpiDetector::prefetch(uint32_t slot) const noexcept {
  if (slot >= capacity_) return;
  const auto* p = reinterpret_cast<const char*>(&pool_[slot]);
  for (size_t off = 0; off < sizeof(ndpi_flow_struct); off += 64) __builtin_prefetch(p + off, 1);
  __builtin_prefetch(p + sizeof(ndpi_flow_struct) - 1, 1);
}

void NdpiDetector::release(uint32_t slot) noexcept {
  ndpi_free_flow_data(&pool_[slot]);
  free_.release(slot);
}

void NdpiDetector::extract(ndpi_flow_struct* f, uint16_t master, uint16_t app, uint16_t category,
                           lib::L7State state, lib::L7Info& info, uint32_t& host_slot) noexcept {
  info.state = state;
  info.master_id = master;
  info.app_id = app;
  info.category_id = category;
  ndpi_protocol p{};
  p.master_protocol = master;
  p.app_protocol = app;
  p.category = static_cast<ndpi_protocol_category_t>(category);
  const uint16_t id = app != NDPI_PROTOCOL_UNKNOWN ? app : master;
  info.breed_id = static_cast<uint8_t>(ndpi_get_proto_breed(module_, id));
  info.confidence_id = static_cast<uint8_t>(f->confidence);
  info.encrypted = ndpi_is_encrypted_proto(module_, p) != 0;
  info.risks = f->risk;
  // The host name is kept (pooled) only when nDPI found one; FlowShard drops it once our parsers give
  // the info line instead.
  if (f->host_server_name[0] != '\0' && host_slot == kNoSlot) {
    if (::strnlen(f->host_server_name, sizeof(L7ShortHostName::name)) < sizeof(L7ShortHostName::name)) {
      host_slot = short_hosts_.acquire();
      if (host_slot != kNoSlot) copy_text(short_hosts_[host_slot].name, f->host_server_name);
    } else if (const uint32_t s = long_hosts_.acquire(); s != kNoSlot) {
      host_slot = s | kLongHost;
      copy_text(long_hosts_[s].name, f->host_server_name);
    }
  }
}

bool NdpiDetector::feed(uint32_t slot, const uint8_t* l3, uint32_t l3_len, uint64_t ts_ms, bool tcp,
                        uint32_t packets_seen, lib::L7Info& info, uint32_t& host_slot) noexcept {
  ndpi_flow_struct* f = &pool_[slot];
  const auto len = static_cast<unsigned short>(std::min<uint32_t>(l3_len, 0xffff));
  const ndpi_protocol p = ndpi_detection_process_packet(module_, f, l3, len, ts_ms);
  ctr_.packets.add(1);
  const bool known = p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
  if (known && !ndpi_extra_dissection_possible(module_, f)) {
    extract(f, p.master_protocol, p.app_protocol, p.category, lib::L7State::kDetected, info, host_slot);
    ctr_.detected.add(1);
    release(slot);
    return true;
  }
  if (packets_seen >= (tcp ? kMaxTcpPackets : kMaxUdpPackets)) {
    finish(slot, info, host_slot);
    return true;
  }
  return false;
}

void NdpiDetector::finish(uint32_t slot, lib::L7Info& info, uint32_t& host_slot) noexcept {
  ndpi_flow_struct* f = &pool_[slot];
  uint8_t guessed = 0;
  const ndpi_protocol p = ndpi_detection_giveup(module_, f, 1, &guessed);
  const bool known = p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN;
  const lib::L7State state = !known    ? lib::L7State::kUnknown
                             : guessed ? lib::L7State::kGuessed
                                       : lib::L7State::kDetected;
  extract(f, p.master_protocol, p.app_protocol, p.category, state, info, host_slot);
  (state == lib::L7State::kDetected  ? ctr_.detected
   : state == lib::L7State::kGuessed ? ctr_.guessed
                                     : ctr_.unknown)
      .add(1);
  release(slot);
}

}  // namespace spanwatch::workers
