// The trace generator's engine (see trace_engine.hpp and the file comment of trace_generator.cpp).
// Scheduling: a slot's handshake and close packets go through a round robin of at most kWindow flows,
// served on every packet while slots are still unopened (the ramp), then on every other packet while it
// is not empty, so a handshake spans a few thousand packets (ms of trace time, like real round trips)
// wherever its slot sits in the Zipf order. All other packets go to the data-phase flow at a Zipf-drawn
// rank. A slot whose flow ends gets a new flow.
#include "trace_engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace spanwatch::tools {
namespace {

enum Phase : uint8_t { kIdle, kQueuedStart, kQueuedClose, kScript, kData, kClose };

constexpr uint32_t kWindow = 1024;  // flows in handshake or close at once (power of two: ring index mask)
constexpr int kZipfTries = 4;       // draws that may land on a flow not in its data phase before giving up
constexpr uint64_t kEpochNs = 1'767'225'600ull * 1'000'000'000ull;  // 2026-01-01T00:00:00Z: fixed
constexpr uint32_t kPoolBytes = 1u << 16;
constexpr uint32_t kMss = 1460;            // elephant segments: full 1514-byte frames
constexpr uint8_t kElephantAckEvery = 16;  // one client ACK per 15 data segments (delayed ACK + GRO)
constexpr uint32_t kEthIpBytes = 14 + 20;
constexpr uint32_t kMinFrame = 60;  // Ethernet minimum without FCS: shorter frames are padded, as on a NIC
constexpr uint64_t kClientHosts = (1u << 24) - 2;  // 10.0.0.1 .. 10.255.255.254
constexpr uint64_t kFloodHosts = (1u << 22) - 2;   // 100.64.0.1 .. 100.127.255.254
constexpr uint32_t kServerNet = 0xAC100000;        // 172.16.0.0/16: servers of the Zipf flows
constexpr uint32_t kFloodVictim = 0xC000020A;      // 192.0.2.10:443
constexpr uint32_t kElephantClients = 0xC6120000;  // 198.18.0.0/16 (RFC 2544 benchmark range)
constexpr uint32_t kElephantServers = 0xC6130000;  // 198.19.0.0/16
// Locally administered MACs of the two routers around the span port: [kClient] side, [kServer] side.
constexpr uint8_t kMac[2][6] = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}, {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02}};

uint64_t mix64(uint64_t x) {  // splitmix64 finaliser: per-flow values from a serial
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
uint64_t words32(uint32_t v) {
  return (v >> 16) + (v & 0xffff);
}
uint16_t swap16(uint16_t v) {
  return uint16_t((v << 8) | (v >> 8));
}

}  // namespace

TraceEngine::TraceEngine(const EngineOptions& opt, const TemplateSet& templates) : opt_(opt), t_(templates) {
  if (opt.flows == 0 || opt.packets == 0 || opt.pps == 0)
    throw std::invalid_argument("--flows, --packets and --pps must be at least 1");
  const uint64_t elephant_pkts =
      opt.elephants ? uint64_t(std::llround(opt.elephant_share * double(opt.packets))) : 0;
  if (opt.syn_flood + elephant_pkts >= opt.packets)
    throw std::invalid_argument("--syn-flood plus the elephants' share leave no packets for the flows");
  if (t_.flows.size() > UINT16_MAX) throw std::invalid_argument("more than 65535 templates");
  double total = 0;
  for (size_t c = 0; c < kAppClasses; ++c) {
    if (opt.mix[c] < 0) throw std::invalid_argument("--mix shares must not be negative");
    if (opt.mix[c] > 0 && t_.by_class[c].empty())
      throw std::invalid_argument("no template for " + std::string(kAppClassNames[c]));
    total += opt.mix[c];
  }
  if (total <= 0) throw std::invalid_argument("--mix gives no class a share");
  double acc = 0;
  size_t last = 0;
  for (size_t c = 0; c < kAppClasses; ++c) {
    acc += opt.mix[c];
    mix_cdf_[c] = uint64_t(acc / total * 4294967296.0);  // equal to the previous one for a zero share
    if (opt.mix[c] > 0) last = c;
  }
  for (size_t c = last; c < kAppClasses; ++c) mix_cdf_[c] = uint64_t{1} << 32;  // no rounding gap at the top

  uint64_t x = opt.seed;  // xoshiro256** seeded through splitmix64, as its authors recommend
  for (uint64_t& s : rng_) s = mix64(x++);

  // Vose's alias table over ranks 0..N-1 with weight 1/(rank+1)^zipf: O(1) draws for any N.
  const uint32_t n = opt.flows;
  alias_.resize(n);
  {
    std::vector<double> q(n);
    double sum = 0;
    for (uint32_t i = 0; i < n; ++i) sum += q[i] = std::pow(double(i) + 1.0, -opt.zipf);
    std::vector<uint32_t> small, large;
    for (uint32_t i = 0; i < n; ++i) {
      q[i] *= double(n) / sum;
      (q[i] < 1.0 ? small : large).push_back(i);
    }
    while (!small.empty() && !large.empty()) {
      const uint32_t l = small.back(), g = large.back();
      small.pop_back();
      alias_[l] = {uint32_t(q[l] * 4294967296.0), g};
      q[g] = (q[g] + q[l]) - 1.0;
      if (q[g] < 1.0) {
        large.pop_back();
        small.push_back(g);
      }
    }
    for (uint32_t i : large) alias_[i] = {UINT32_MAX, i};
    for (uint32_t i : small) alias_[i] = {UINT32_MAX, i};  // rounding leftovers
  }
  slots_.resize(n);
  queue_.resize(n);
  for (uint64_t& d : draws_) d = next();
  for (uint32_t pos = 0; pos < kAhead; ++pos) ranks_[pos] = resolve_and_draw(pos);
  window_.resize(kWindow);

  pool_.resize(kPoolBytes + 2048);
  for (size_t i = 0; i < pool_.size(); i += 8) {
    const uint64_t v = next();
    std::memcpy(pool_.data() + i, &v, 8);
  }
  pool_sum_.resize(pool_.size() / 2 + 1);
  for (size_t w = 0; w < pool_.size() / 2; ++w)
    pool_sum_[w + 1] = pool_sum_[w] + ((uint32_t(pool_[2 * w]) << 8) | pool_[2 * w + 1]);

  if (opt.elephants) {
    // Elephants replay a TLS handshake when there is one, else any TCP template.
    std::vector<uint32_t> tcp = t_.by_class[size_t(AppClass::kTls)];
    if (tcp.empty())
      for (AppClass c : {AppClass::kHttp, AppClass::kSsh})
        tcp.insert(tcp.end(), t_.by_class[size_t(c)].begin(), t_.by_class[size_t(c)].end());
    if (tcp.empty()) throw std::invalid_argument("--elephants needs a TCP (TLS, HTTP or SSH) template");
    elephants_.resize(opt.elephants);
    for (uint32_t e = 0; e < opt.elephants; ++e) {
      Slot& s = elephants_[e];
      s.serial = (uint64_t{1} << 62) + e;  // ISNs apart from the Zipf flows'
      s.tmpl = uint16_t(tcp[below(uint32_t(tcp.size()))]);
      s.phase = kScript;
    }
  }
}

uint64_t TraceEngine::next() {
  const uint64_t result = rotl(rng_[1] * 5, 7) * 9, t = rng_[1] << 17;
  rng_[2] ^= rng_[0];
  rng_[3] ^= rng_[1];
  rng_[1] ^= rng_[2];
  rng_[0] ^= rng_[3];
  rng_[2] ^= t;
  rng_[3] = rotl(rng_[3], 45);
  return result;
}

uint32_t TraceEngine::below(uint32_t n) {
  return uint32_t(((next() >> 32) * uint64_t(n)) >> 32);
}

// Resolves the draw made kAhead calls ago at `pos` (its alias entry is in cache by now), prefetches the
// resulting slot, and makes a new draw there, prefetching its alias entry.
uint32_t TraceEngine::resolve_and_draw(uint32_t pos) {
  const uint64_t r = draws_[pos];
  const uint32_t i = uint32_t(((r >> 32) * uint64_t(opt_.flows)) >> 32);
  const AliasEntry& a = alias_[i];
  const uint32_t rank = uint32_t(r) < a.threshold ? i : a.alias;
  __builtin_prefetch(&slots_[rank]);
  draws_[pos] = next();
  __builtin_prefetch(&alias_[uint32_t(((draws_[pos] >> 32) * uint64_t(opt_.flows)) >> 32)]);
  return rank;
}

uint32_t TraceEngine::zipf_rank() {
  const uint32_t pos = ahead_pos_++ % kAhead;
  const uint32_t rank = ranks_[pos];
  ranks_[pos] = resolve_and_draw(pos);
  return rank;
}

void TraceEngine::new_flow(Slot& s) {
  s.serial = next_serial_++;
  const uint64_t u = next() >> 32;
  size_t c = 0;
  while (u >= mix_cdf_[c]) ++c;
  const std::vector<uint32_t>& list = t_.by_class[c];
  s.tmpl = uint16_t(list[below(uint32_t(list.size()))]);
  // Data packets: log-uniform-ish in 1..1023 (a power-of-two band, then uniform inside it), mean ~150,
  // so hot slots churn through many flows and cold ones keep theirs. DNS is its query and answer only.
  const uint32_t band = below(10);
  // --min-data-packets lengthens every such flow by a fixed count (the same draws, so the same trace
  // otherwise): long flows whose packets are nearly all past DPI and the parsers.
  s.data_left = c == size_t(AppClass::kDns) ? 0 : opt_.min_data_packets + (1u << band) + below(1u << band);
  s.step = 0;
  s.phase = kScript;
}

TraceEngine::Endpoints TraceEngine::endpoints(const Slot& s, bool elephant) const {
  const uint16_t server_port = t_.flows[s.tmpl].server_port;
  if (elephant) {
    const uint32_t e = uint32_t(s.serial);
    return {{kElephantClients + 1 + e, kElephantServers + 1 + e}, {uint16_t(40000 + e % 20000), server_port}};
  }
  // The client address and port are unique per serial (up to 2^24 x 64512 flows); servers are spread.
  const uint64_t host = s.serial % kClientHosts, gen = s.serial / kClientHosts;
  const uint32_t client_port = uint32_t(1024 + (mix64(host ^ opt_.seed) + gen) % 64512);
  const uint32_t server = kServerNet + 1 + uint32_t(mix64(s.serial ^ ~opt_.seed) % 65534);
  return {{uint32_t(0x0A000001 + host), server}, {uint16_t(client_port), server_port}};
}

uint32_t TraceEngine::isn(uint64_t serial, int dir) const {
  return uint32_t(mix64(serial * 2 + uint64_t(dir) + (opt_.seed << 40)));
}

uint8_t* TraceEngine::begin_frame(const Endpoints& e, int dir, uint8_t proto, uint32_t l4_len) {
  const uint32_t len = kEthIpBytes + l4_len, padded = std::max(len, kMinFrame);
  uint8_t* f = out_->frame(ts_ns_, padded);
  if (padded > len) std::memset(f + len, 0, padded - len);
  std::memcpy(f, kMac[1 - dir], 6);
  std::memcpy(f + 6, kMac[dir], 6);
  f[12] = 0x08, f[13] = 0x00;
  uint8_t* ip = f + 14;
  ip[0] = 0x45, ip[1] = 0;
  wr16(ip + 2, 20 + l4_len);
  wr16(ip + 4, ip_id_++);
  ip[6] = 0x40, ip[7] = 0;  // DF
  ip[8] = dir == kClient ? 64 : 57;
  ip[9] = proto;
  ip[10] = ip[11] = 0;
  wr32(ip + 12, e.ip[dir]);
  wr32(ip + 16, e.ip[1 - dir]);
  wr16(ip + 10, uint16_t(~fold16(sum_be16(ip, 20))));
  ++r_.packets;
  r_.bytes += padded;
  return ip + 20;
}

// Copies `len` pseudo-random payload bytes to dst and returns their checksum contribution; odd_position:
// the bytes start at an odd offset of the L4 segment, which swaps the bytes of their folded sum.
uint64_t TraceEngine::payload_sum(uint8_t* dst, uint32_t len, bool odd_position) {
  const uint32_t off = 2 * below(kPoolBytes / 2);
  std::memcpy(dst, pool_.data() + off, len);
  uint64_t s = pool_sum_[(off + len) / 2] - pool_sum_[off / 2];
  if (len & 1) s += uint32_t(pool_[off + len - 1]) << 8;
  return odd_position ? swap16(fold16(s)) : s;
}

void TraceEngine::emit_template(const Slot& s, bool elephant) {
  const FlowTemplate& t = t_.flows[s.tmpl];
  const TemplatePacket& tp = t_.packets[t.first + s.step];
  const Endpoints e = endpoints(s, elephant);
  const int dir = tp.dir;
  uint8_t* l4 = begin_frame(e, dir, t.l4proto, tp.l4_len);
  std::memcpy(l4, t_.bytes.data() + tp.offset, tp.l4_len);
  wr16(l4, e.port[dir]);
  wr16(l4 + 2, e.port[1 - dir]);
  uint64_t sum =
      tp.base_sum + words32(e.ip[0]) + words32(e.ip[1]) + t.l4proto + tp.l4_len + e.port[0] + e.port[1];
  if (t.l4proto == kProtoTcp) {
    // Shift seq/ack from the template's ISNs to this flow's, per direction.
    const uint32_t seq = tp.seq + (isn(s.serial, dir) - t.isn[dir]);
    const uint32_t ack =
        (tp.tcp_flags & kTcpAck) ? tp.ack + (isn(s.serial, 1 - dir) - t.isn[1 - dir]) : tp.ack;
    wr32(l4 + 4, seq);
    wr32(l4 + 8, ack);
    sum += words32(seq) + words32(ack);
    wr16(l4 + 16, uint16_t(~fold16(sum)));
  } else {
    if (t.app == AppClass::kDns) {
      const uint16_t txid = uint16_t(mix64(s.serial ^ 0xd115));
      wr16(l4 + 8, txid);
      sum += txid;
    }
    const uint16_t c = uint16_t(~fold16(sum));
    wr16(l4 + 6, c ? c : 0xffff);  // 0 would mean "no checksum"
  }
}

void TraceEngine::emit_tcp(const Endpoints& e, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
                           uint32_t payload, bool tls_record) {
  uint8_t* l4 = begin_frame(e, dir, kProtoTcp, 20 + payload);
  wr16(l4, e.port[dir]);
  wr16(l4 + 2, e.port[1 - dir]);
  wr32(l4 + 4, seq);
  wr32(l4 + 8, ack);
  l4[12] = 0x50, l4[13] = flags;
  wr16(l4 + 14, flags & kTcpSyn ? 64240 : 501);  // Linux's SYN window; a scaled window afterwards
  l4[16] = l4[17] = l4[18] = l4[19] = 0;
  uint64_t sum = words32(e.ip[0]) + words32(e.ip[1]) + kProtoTcp + 20 + payload + sum_be16(l4, 20);
  if (payload && tls_record) {
    // Data of a TLS flow travels as application_data records, one per segment, so a TLS parser that
    // follows the stream after the handshake stays in step.
    uint8_t* p = l4 + 20;
    p[0] = 0x17, p[1] = 0x03, p[2] = 0x03;
    wr16(p + 3, payload - 5);
    sum += 0x1703 + (0x03u << 8 | p[3]) + (uint32_t(p[4]) << 8) + payload_sum(p + 5, payload - 5, true);
  } else if (payload) {
    sum += payload_sum(l4 + 20, payload, false);
  }
  wr16(l4 + 16, uint16_t(~fold16(sum)));
}

bool TraceEngine::emit_quic(const Slot& s, uint32_t frame_bytes) {
  // 1-RTT short-header packets: fixed bit set, the other flag bits header-protected (random), the peer's
  // connection id, then ciphertext (random).
  const FlowTemplate& t = t_.flows[s.tmpl];
  const Endpoints e = endpoints(s, false);
  const int dir = below(3) ? kServer : kClient;
  const uint32_t cid = t.cid_len[dir];
  const uint32_t payload = std::max(frame_bytes - kEthIpBytes - 8, 1 + cid + 4);
  uint8_t* l4 = begin_frame(e, dir, kProtoUdp, 8 + payload);
  wr16(l4, e.port[dir]);
  wr16(l4 + 2, e.port[1 - dir]);
  wr16(l4 + 4, 8 + payload);
  uint8_t* u = l4 + 8;
  u[0] = uint8_t(0x40 | (next() & 0x3f));
  std::memcpy(u + 1, t.cid[dir], cid);
  uint64_t sum = words32(e.ip[0]) + words32(e.ip[1]) + kProtoUdp + 2 * (8 + payload) + e.port[0] + e.port[1] +
                 sum_be16(u, 1 + cid) + payload_sum(u + 1 + cid, payload - 1 - cid, (1 + cid) & 1);
  const uint16_t c = uint16_t(~fold16(sum));
  wr16(l4 + 6, c ? c : 0xffff);
  return kEthIpBytes + 8 + payload == frame_bytes;
}

void TraceEngine::emit_data(uint32_t idx) {
  Slot& s = slots_[idx];
  const FlowTemplate& t = t_.flows[s.tmpl];
  const uint32_t b = below(12);
  const int cls = b < 7 ? 0 : b < 11 ? 1 : 2;  // IMIX 7:4:1
  if (t.l4proto == kProtoUdp) {
    // A connection id over 13 bytes does not fit a 60-byte frame: such frames count as other sizes.
    if (!emit_quic(s, kImixFrameBytes[cls])) --r_.imix_data[cls], ++r_.data_other_size;
  } else if (cls == 0) {
    // The small frames: a pure ACK from the side that has unacknowledged data (step bit d: side d sent
    // data not yet acknowledged), else a 6-byte segment (keep-alive, application ping), so ACKs are never
    // duplicates. Both are 60-byte frames.
    const Endpoints e = endpoints(s, false);
    if (s.step & 3) {
      const int sender = (s.step & (1 << kServer)) ? kServer : kClient;
      emit_tcp(e, 1 - sender, kTcpAck, s.seq[1 - sender], s.seq[sender], 0, false);
      s.step = uint8_t(s.step & ~(1 << sender));
    } else {
      const int dir = int(next() >> 63);
      emit_tcp(e, dir, kTcpPsh | kTcpAck, s.seq[dir], s.seq[1 - dir], kMinFrame - kEthIpBytes - 20,
               t.app == AppClass::kTls);
      s.seq[dir] += kMinFrame - kEthIpBytes - 20;
      s.step = uint8_t(1 << dir);
    }
  } else {
    const int dir = below(3) ? kServer : kClient;  // downloads dominate
    const uint32_t payload = kImixFrameBytes[cls] - kEthIpBytes - 20;
    emit_tcp(endpoints(s, false), dir, kTcpPsh | kTcpAck, s.seq[dir], s.seq[1 - dir], payload,
             t.app == AppClass::kTls);
    s.seq[dir] += payload;
    s.step = uint8_t(1 << dir);  // this segment acknowledges everything the other side sent
  }
  ++r_.imix_data[cls];
  ++r_.data_packets;
  if (--s.data_left == 0) {
    --data_flows_;
    if (t.l4proto == kProtoTcp) {
      s.phase = kQueuedClose;
      queue_[q_tail_++ % opt_.flows] = idx;
    } else {
      end_flow(idx);
    }
  }
}

void TraceEngine::emit_close(Slot& s) {
  const Endpoints e = endpoints(s, false);
  switch (s.step) {
    case 0:
      emit_tcp(e, kClient, kTcpFin | kTcpAck, s.seq[kClient], s.seq[kServer], 0, false);
      ++s.seq[kClient];
      break;
    case 1:
      emit_tcp(e, kServer, kTcpFin | kTcpAck, s.seq[kServer], s.seq[kClient], 0, false);
      ++s.seq[kServer];
      break;
    default:
      emit_tcp(e, kClient, kTcpAck, s.seq[kClient], s.seq[kServer], 0, false);
  }
}

void TraceEngine::end_flow(uint32_t idx) {
  ++r_.flows_ended;
  slots_[idx].phase = kQueuedStart;
  queue_[q_tail_++ % opt_.flows] = idx;
}

void TraceEngine::refill_window() {
  while (w_tail_ - w_head_ < kWindow) {
    uint32_t idx;
    if (q_head_ != q_tail_) {
      idx = queue_[q_head_++ % opt_.flows];
      Slot& s = slots_[idx];
      if (s.phase == kQueuedClose) {
        s.phase = kClose;
        s.step = 0;
      } else {
        new_flow(s);
      }
    } else if (next_unopened_ < opt_.flows) {
      idx = next_unopened_++;
      new_flow(slots_[idx]);
    } else {
      return;
    }
    window_[w_tail_++ % kWindow] = idx;
  }
}

void TraceEngine::serve_window() {
  const uint32_t idx = window_[w_head_++ % kWindow];
  Slot& s = slots_[idx];
  const FlowTemplate& t = t_.flows[s.tmpl];
  if (s.phase == kClose) {
    emit_close(s);
    ++r_.close_packets;
    if (++s.step < 3)
      window_[w_tail_++ % kWindow] = idx;
    else
      end_flow(idx);
    return;
  }
  if (s.step == 0) {
    ++r_.flows_started;
    ++r_.flows_by_app[size_t(t.app)];
  }
  emit_template(s, false);
  ++r_.handshake_packets;
  if (r_.ramp_packets == 0 && idx == opt_.flows - 1) r_.ramp_packets = r_.packets;  // the last slot opened
  if (++s.step < t.count) {
    window_[w_tail_++ % kWindow] = idx;
    return;
  }
  if (t.l4proto == kProtoTcp)
    for (int d = 0; d < 2; ++d) s.seq[d] = t.end_seq[d] + (isn(s.serial, d) - t.isn[d]);
  if (s.data_left > 0) {
    s.phase = kData;
    s.step = 0;
    ++data_flows_;
  } else if (t.l4proto == kProtoTcp) {
    s.phase = kClose;
    s.step = 0;
    window_[w_tail_++ % kWindow] = idx;
  } else {
    end_flow(idx);
  }
}

void TraceEngine::emit_normal() {
  if (w_tail_ - w_head_ < kWindow) refill_window();
  const bool pending = w_tail_ != w_head_;
  // While slots are still unopened (the ramp) handshakes take every packet, else the hot flows would
  // starve the opening of the cold ones; afterwards every other packet while any are pending.
  if (pending && (next_unopened_ < opt_.flows || data_flows_ == 0 || (next() >> 63))) return serve_window();
  // With the window empty every slot is in its data phase (idle and queued slots would have filled
  // it), so the loop ends at the first draw.
  for (int i = 0; i < kZipfTries || !pending; ++i) {
    const uint32_t r = zipf_rank();
    if (slots_[r].phase == kData) return emit_data(r);
  }
  serve_window();
}

void TraceEngine::emit_flood() {
  const uint64_t k = r_.flood_packets++;
  const uint64_t host = k % kFloodHosts, gen = k / kFloodHosts;
  const Endpoints e{{uint32_t(0x64400001 + host), kFloodVictim},
                    {uint16_t(1024 + (mix64(host ^ ~opt_.seed) + gen) % 64512), 443}};
  emit_tcp(e, kClient, kTcpSyn, uint32_t(mix64(k + (opt_.seed << 32))), 0, 0, false);
}

void TraceEngine::emit_elephant() {
  Slot& s = elephants_[elephant_rr_++ % elephants_.size()];
  const FlowTemplate& t = t_.flows[s.tmpl];
  ++r_.elephant_packets;
  if (s.phase == kScript) {
    if (s.step == 0) ++r_.elephants_started;
    emit_template(s, true);
    if (++s.step == t.count) {
      for (int d = 0; d < 2; ++d) s.seq[d] = t.end_seq[d] + (isn(s.serial, d) - t.isn[d]);
      s.phase = kData;
      s.step = 0;
    }
    return;
  }
  const Endpoints e = endpoints(s, true);
  if (++s.step % kElephantAckEvery == 0) {
    emit_tcp(e, kClient, kTcpAck, s.seq[kClient], s.seq[kServer], 0, false);
  } else {
    emit_tcp(e, kServer, kTcpPsh | kTcpAck, s.seq[kServer], s.seq[kClient], kMss, t.app == AppClass::kTls);
    s.seq[kServer] += kMss;
  }
}

EngineResult TraceEngine::run(PcapWriter& out) {
  out_ = &out;
  using u128 = unsigned __int128;
  const uint64_t p = opt_.packets, k = opt_.syn_flood;
  const uint64_t el = opt_.elephants ? uint64_t(std::llround(opt_.elephant_share * double(p))) : 0;
  r_.first_ts_ns = kEpochNs;
  for (uint64_t i = 0; i < p; ++i) {
    ts_ns_ = kEpochNs + (i / opt_.pps) * 1'000'000'000ull + (i % opt_.pps) * 1'000'000'000ull / opt_.pps;
    // Bresenham interleaving: by packet i, floor(k * (i + 1) / p) flood SYNs have gone out (exactly k in
    // all); the same for the elephants' share.
    if ((u128(r_.flood_packets) + 1) * p <= u128(k) * (i + 1))
      emit_flood();
    else if ((u128(r_.elephant_packets) + 1) * p <= u128(el) * (i + 1))
      emit_elephant();
    else
      emit_normal();
  }
  r_.last_ts_ns = ts_ns_;
  r_.slots_opened = next_unopened_;
  return r_;
}

}  // namespace spanwatch::tools
