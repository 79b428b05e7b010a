// Reads handshake templates from captures: groups packets into bidirectional 5-tuple flows, keeps each
// flow's opening packets (TCP: SYN up to the first exchanges; DNS: query + answer; QUIC: long-header
// packets), classifies them by payload and port, and stores their L4 bytes with precomputed checksum sums.
#include "trace_templates.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>

namespace spanwatch::tools {
namespace {

uint16_t rd16(const uint8_t* p) {
  return uint16_t((p[0] << 8) | p[1]);
}
uint32_t rd32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

constexpr size_t kCollect = 48;        // raw packets kept per flow while reading; enough for any cut below
constexpr size_t kMaxTcpPackets = 12;  // HTTP/SSH: SYN..first exchanges
constexpr size_t kMaxTlsPackets = 16;  // TLS: room for a resegmented server flight, cut on record bounds
constexpr size_t kMaxDnsPackets = 4;   // query (and retries) up to the first answer
constexpr size_t kMaxQuicPackets = 8;  // Initial/Handshake packets
constexpr uint32_t kQuicMinInitial = 1200;  // RFC 9000 14.1: client Initials are padded to 1200 bytes
constexpr uint16_t kDnsPort = 53;

struct RawPacket {
  uint8_t dir;
  std::vector<uint8_t> l4;
};

struct RawFlow {
  uint8_t proto = 0;
  std::array<uint8_t, 18> client{};  // address (16) + port (2), the sender of the first packet
  std::vector<RawPacket> pkts;
};

// Offset of the IP header for the capture's link type, or -1 for frames that carry no IP.
int ip_offset(int dlt, const uint8_t* p, uint32_t n) {
  switch (dlt) {
    case DLT_EN10MB: {
      uint32_t off = 12;
      while (off + 2 <= n) {
        const uint16_t type = rd16(p + off);
        if (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
          off += 4;
          continue;
        }
        return (type == 0x0800 || type == 0x86dd) ? int(off + 2) : -1;
      }
      return -1;
    }
    case DLT_LINUX_SLL:
      return n >= 16 && (rd16(p + 14) == 0x0800 || rd16(p + 14) == 0x86dd) ? 16 : -1;
    case DLT_LINUX_SLL2:
      return n >= 20 && (rd16(p) == 0x0800 || rd16(p) == 0x86dd) ? 20 : -1;
    case DLT_PPP:  // address/control FF 03 (optional), then the PPP protocol: IPv4 0x0021, IPv6 0x0057
    case DLT_PPP_SERIAL: {
      const uint32_t off = (n >= 2 && p[0] == 0xff && p[1] == 0x03) ? 2 : 0;
      return n >= off + 2 && (rd16(p + off) == 0x0021 || rd16(p + off) == 0x0057) ? int(off + 2) : -1;
    }
    case DLT_NULL:
    case DLT_LOOP:
      return n >= 4 ? 4 : -1;  // address family word; the IP version nibble decides below
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case 101:  // LINKTYPE_RAW as some writers store it
      return 0;
    default:
      return -2;
  }
}

bool starts_with(const std::vector<uint8_t>& v, size_t off, std::string_view s) {
  return v.size() >= off + s.size() && std::memcmp(v.data() + off, s.data(), s.size()) == 0;
}

// A TCP packet split into header fields and payload view.
struct TcpSeg {
  uint8_t dir, flags;
  uint32_t seq, ack;
  std::vector<uint8_t> hdr;
  std::vector<uint8_t> payload;
};

// Would a TLS record parser be at a record boundary in both directions after segments [0, k)?
// Returns the largest such k <= max_k after some server data, or 0. Reordered or retransmitted data ends the
// search.
size_t tls_aligned_cut(const std::vector<TcpSeg>& segs, const uint32_t isn[2], size_t max_k) {
  uint64_t stream_end[2] = {0, 0}, next_rec[2] = {0, 0};
  bool server_data = false;
  size_t best = 0;
  for (size_t k = 0; k < segs.size() && k < max_k; ++k) {
    const TcpSeg& s = segs[k];
    if (!s.payload.empty()) {
      const uint32_t off = s.seq - isn[s.dir] - 1;
      if (off != stream_end[s.dir]) return best;
      const uint64_t end = off + s.payload.size();
      while (next_rec[s.dir] < end) {
        const uint64_t h = next_rec[s.dir] - off;  // record header position inside this segment
        if (next_rec[s.dir] < off || h + 5 > s.payload.size()) return best;  // header split: stop
        next_rec[s.dir] += 5 + rd16(s.payload.data() + h + 3);
      }
      stream_end[s.dir] = end;
      if (s.dir == kServer) server_data = true;
    }
    if (server_data && next_rec[0] == stream_end[0] && next_rec[1] == stream_end[1]) best = k + 1;
  }
  return best;
}

// Adds a kept flow's packets, computing each one's base checksum sum.
void store_packet(TemplateSet& set, uint8_t dir, uint8_t proto, bool dns, uint8_t flags, uint32_t seq,
                  uint32_t ack, const std::vector<uint8_t>& l4, uint16_t hdr_len) {
  TemplatePacket tp;
  tp.offset = uint32_t(set.bytes.size());
  tp.l4_len = uint16_t(l4.size());
  tp.l4_hdr_len = hdr_len;
  tp.dir = dir;
  tp.tcp_flags = flags;
  tp.seq = seq;
  tp.ack = ack;
  std::vector<uint8_t> z = l4;
  std::memset(z.data(), 0, 4);  // ports
  if (proto == kProtoTcp) {
    std::memset(z.data() + 4, 0, 8);  // seq, ack
    z[16] = z[17] = 0;
  } else {
    z[6] = z[7] = 0;
    if (dns && z.size() >= 10) z[8] = z[9] = 0;  // transaction id
  }
  tp.base_sum = sum_be16(z.data(), z.size());
  set.bytes.insert(set.bytes.end(), l4.begin(), l4.end());
  set.packets.push_back(tp);
}

void finish_tcp(TemplateSet& set, RawFlow& f, FlowTemplate& t) {
  TemplateStats& st = set.stats;
  std::vector<TcpSeg> raw;
  for (RawPacket& p : f.pkts) {
    const uint32_t hl = (p.l4[12] >> 4) * 4u;
    TcpSeg s{p.dir, p.l4[13], rd32(p.l4.data() + 4), rd32(p.l4.data() + 8), {}, {}};
    s.hdr.assign(p.l4.begin(), p.l4.begin() + hl);
    s.payload.assign(p.l4.begin() + hl, p.l4.end());
    if (s.flags & (kTcpFin | kTcpRst)) break;  // the generator closes flows itself
    raw.push_back(std::move(s));
  }
  if (raw.empty() || raw[0].dir != kClient || (raw[0].flags & (kTcpSyn | kTcpAck)) != kTcpSyn) {
    ++st.flows_no_handshake;
    return;
  }
  const auto synack = std::find_if(raw.begin(), raw.end(), [](const TcpSeg& s) {
    return s.dir == kServer && (s.flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck);
  });
  if (synack == raw.end()) {
    ++st.flows_no_handshake;
    return;
  }
  t.isn[kClient] = raw[0].seq;
  t.isn[kServer] = synack->seq;
  const TcpSeg* first[2] = {nullptr, nullptr};
  for (const TcpSeg& s : raw)
    if (!s.payload.empty() && !first[s.dir]) first[s.dir] = &s;
  if (!first[kClient]) {
    ++st.flows_incomplete;
    return;
  }
  const std::vector<uint8_t>& c = first[kClient]->payload;
  const std::vector<uint8_t>* srv = first[kServer] ? &first[kServer]->payload : nullptr;
  if (c.size() >= 6 && c[0] == 0x16 && c[1] == 0x03 && c[5] == 0x01)
    t.app = AppClass::kTls;  // a ClientHello record
  else if (starts_with(c, 0, "SSH-") || (srv && starts_with(*srv, 0, "SSH-")))
    t.app = AppClass::kSsh;
  else if (starts_with(c, 0, "GET ") || starts_with(c, 0, "POST ") || starts_with(c, 0, "HEAD ") ||
           starts_with(c, 0, "PUT ") || starts_with(c, 0, "DELETE ") || starts_with(c, 0, "OPTIONS ") ||
           starts_with(c, 0, "PATCH "))
    t.app = AppClass::kHttp;
  else {
    ++st.flows_unknown_app;
    return;
  }
  // Resegment to the 1500-byte MTU a span port sees; PSH only on the last piece.
  std::vector<TcpSeg> segs;
  for (TcpSeg& s : raw) {
    const size_t mss = TemplateSet::kMaxL4 - s.hdr.size();
    if (s.payload.size() <= mss) {
      segs.push_back(std::move(s));
      continue;
    }
    for (size_t o = 0; o < s.payload.size(); o += mss) {
      const size_t n = std::min(mss, s.payload.size() - o);
      const bool last = o + n == s.payload.size();
      TcpSeg piece{s.dir, uint8_t(last ? s.flags : s.flags & ~kTcpPsh), uint32_t(s.seq + o), s.ack, s.hdr,
                   {}};
      piece.payload.assign(s.payload.begin() + long(o), s.payload.begin() + long(o + n));
      segs.push_back(std::move(piece));
    }
  }
  size_t keep = std::min(segs.size(), set.limit(kMaxTcpPackets));
  if (t.app == AppClass::kTls) {
    if (const size_t k = tls_aligned_cut(segs, t.isn, set.limit(kMaxTlsPackets))) keep = k;
  }
  // The cut must still hold the payload that classified the flow.
  bool has_client = false;
  for (size_t i = 0; i < keep; ++i) has_client |= segs[i].dir == kClient && !segs[i].payload.empty();
  if (!has_client) {
    ++st.flows_incomplete;
    return;
  }
  segs.resize(keep);
  uint32_t end_off[2] = {1, 1};  // relative to the ISN; SYN counts one
  for (const TcpSeg& s : segs) {
    const uint32_t e = s.seq - t.isn[s.dir] + uint32_t(s.payload.size()) + ((s.flags & kTcpSyn) ? 1 : 0);
    if (int32_t(e - end_off[s.dir]) > 0) end_off[s.dir] = e;
  }
  for (int d = 0; d < 2; ++d) t.end_seq[d] = t.isn[d] + end_off[d];
  t.first = uint32_t(set.packets.size());
  for (const TcpSeg& s : segs) {
    std::vector<uint8_t> l4 = s.hdr;
    wr32(l4.data() + 4, s.seq);
    l4.insert(l4.end(), s.payload.begin(), s.payload.end());
    store_packet(set, s.dir, kProtoTcp, false, s.flags, s.seq, s.ack, l4, uint16_t(s.hdr.size()));
  }
  t.count = uint32_t(segs.size());
}

// Long header (RFC 8999 invariants): flags, version, DCID length + DCID, SCID length + SCID.
bool quic_cids(const std::vector<uint8_t>& u, size_t& dcid_off, uint8_t& dcid_len, size_t& scid_off,
               uint8_t& scid_len) {
  if (u.size() < 8 + 7 || !(u[8] & 0x80) || rd32(u.data() + 9) == 0) return false;
  dcid_len = u[13];
  dcid_off = 14;
  if (dcid_len > 20 || u.size() < dcid_off + dcid_len + 1) return false;
  scid_len = u[dcid_off + dcid_len];
  scid_off = dcid_off + dcid_len + 1;
  return scid_len <= 20 && u.size() >= scid_off + scid_len;
}

void finish_udp(TemplateSet& set, RawFlow& f, FlowTemplate& t) {
  TemplateStats& st = set.stats;
  const std::vector<uint8_t>& c = f.pkts[0].l4;
  std::vector<const RawPacket*> keep;
  if (t.server_port == kDnsPort) {
    t.app = AppClass::kDns;
    if (c.size() < 8 + 12 || (c[8 + 2] & 0x80)) {  // the first packet must be a query
      ++st.flows_incomplete;
      return;
    }
    for (const RawPacket& p : f.pkts) {
      if (keep.size() == set.limit(kMaxDnsPackets)) break;
      keep.push_back(&p);
      if (p.dir == kServer) break;
    }
    if (keep.back()->dir != kServer) {
      ++st.flows_incomplete;
      return;
    }
  } else {
    size_t doff, soff;
    uint8_t dlen, slen;
    if (c.size() < 8 + kQuicMinInitial || !quic_cids(c, doff, dlen, soff, slen)) {
      ++st.flows_unknown_app;
      return;
    }
    t.app = AppClass::kQuic;
    // Short-header packets from the client carry the server's SCID (or, without an answer, the original
    // DCID); the server's carry the client's SCID.
    t.cid_len[kClient] = dlen;
    std::memcpy(t.cid[kClient], c.data() + doff, dlen);
    t.cid_len[kServer] = slen;
    std::memcpy(t.cid[kServer], c.data() + soff, slen);
    bool server_cid = false;
    for (const RawPacket& p : f.pkts) {
      size_t d2, s2;
      uint8_t dl2, sl2;
      if (keep.size() == set.limit(kMaxQuicPackets) || !quic_cids(p.l4, d2, dl2, s2, sl2)) break;
      keep.push_back(&p);
      if (p.dir == kServer && !server_cid) {
        server_cid = true;
        t.cid_len[kClient] = sl2;
        std::memcpy(t.cid[kClient], p.l4.data() + s2, sl2);
      }
    }
  }
  for (const RawPacket* p : keep)
    if (p->l4.size() > TemplateSet::kMaxL4) {
      ++st.flows_too_large;
      return;
    }
  t.first = uint32_t(set.packets.size());
  for (const RawPacket* p : keep)
    store_packet(set, p->dir, kProtoUdp, t.app == AppClass::kDns, 0, 0, 0, p->l4, 8);
  t.count = uint32_t(keep.size());
}

}  // namespace

void TemplateSet::load(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pc = pcap_open_offline(path.c_str(), err);
  if (!pc) throw std::invalid_argument("template " + path + ": " + err);  // bad input: exit status 2
  ++stats.files;
  const int dlt = pcap_datalink(pc);
  std::map<std::array<uint8_t, 37>, size_t> index;  // canonical 5-tuple -> flows
  std::vector<RawFlow> raw;
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(pc, &h, &d) == 1) {
    ++stats.packets;
    const uint32_t n = h->caplen;
    const int ipo = ip_offset(dlt, d, n);
    if (ipo < 0) {
      ++(ipo == -2 ? stats.skipped_link : stats.skipped_not_ip);
      continue;
    }
    const uint8_t* ip = d + ipo;
    const uint32_t avail = n - uint32_t(ipo);
    if (avail < 20 || ((ip[0] >> 4) != 4 && (ip[0] >> 4) != 6)) {
      ++stats.skipped_not_ip;
      continue;
    }
    std::array<uint8_t, 16> src{}, dst{};
    uint8_t proto;
    const uint8_t* l4;
    uint32_t l4_len;
    if ((ip[0] >> 4) == 4) {
      const uint32_t ihl = (ip[0] & 0x0f) * 4u, total = rd16(ip + 2);
      if (ihl < 20 || total < ihl || total > avail) {
        ++stats.skipped_truncated;
        continue;
      }
      if (rd16(ip + 6) & 0x3fff) {
        ++stats.skipped_fragment;
        continue;
      }
      proto = ip[9];
      std::memcpy(src.data(), ip + 12, 4);
      std::memcpy(dst.data(), ip + 16, 4);
      l4 = ip + ihl;
      l4_len = total - ihl;
    } else {
      if (avail < 40 || 40u + rd16(ip + 4) > avail) {
        ++stats.skipped_truncated;
        continue;
      }
      proto = ip[6];
      std::memcpy(src.data(), ip + 8, 16);
      std::memcpy(dst.data(), ip + 24, 16);
      l4 = ip + 40;
      l4_len = rd16(ip + 4);
    }
    if (proto == kProtoTcp) {
      if (l4_len < 20 || (l4[12] >> 4) < 5 || (l4[12] >> 4) * 4u > l4_len) {
        ++stats.skipped_truncated;
        continue;
      }
    } else if (proto == kProtoUdp) {
      if (l4_len < 8 || rd16(l4 + 4) < 8 || rd16(l4 + 4) > l4_len) {
        ++stats.skipped_truncated;
        continue;
      }
      l4_len = rd16(l4 + 4);  // drop trailing bytes beyond the UDP length
    } else {
      ++stats.skipped_l4;
      continue;
    }
    std::array<uint8_t, 18> a{}, b{};
    std::memcpy(a.data(), src.data(), 16);
    std::memcpy(a.data() + 16, l4, 2);
    std::memcpy(b.data(), dst.data(), 16);
    std::memcpy(b.data() + 16, l4 + 2, 2);
    std::array<uint8_t, 37> key{};
    key[0] = proto;
    const bool a_first = a < b;
    std::memcpy(key.data() + 1, (a_first ? a : b).data(), 18);
    std::memcpy(key.data() + 19, (a_first ? b : a).data(), 18);
    auto [it, fresh] = index.try_emplace(key, raw.size());
    if (fresh) {
      raw.emplace_back();
      raw.back().proto = proto;
      raw.back().client = a;
    }
    RawFlow& f = raw[it->second];
    if (f.pkts.size() < kCollect)
      f.pkts.push_back({uint8_t(f.client == a ? kClient : kServer), std::vector<uint8_t>(l4, l4 + l4_len)});
  }
  pcap_close(pc);

  const std::string base = path.substr(path.find_last_of('/') + 1);
  for (size_t i = 0; i < raw.size(); ++i) {
    RawFlow& f = raw[i];
    ++stats.flows_seen;
    FlowTemplate t;
    t.l4proto = f.proto;
    t.origin = base + " flow " + std::to_string(i);
    // The server port: DNS on either side of a UDP flow, else the first packet's destination.
    const std::vector<uint8_t>& l4 = f.pkts[0].l4;
    const uint16_t sport = rd16(l4.data()), dport = rd16(l4.data() + 2);
    t.server_port = dport;
    if (f.proto == kProtoUdp && sport == kDnsPort && dport != kDnsPort) {
      ++stats.flows_incomplete;  // starts with the answer
      continue;
    }
    if (f.proto == kProtoTcp)
      finish_tcp(*this, f, t);
    else
      finish_udp(*this, f, t);
    if (t.count == 0) continue;
    ++stats.kept[size_t(t.app)];
    by_class[size_t(t.app)].push_back(uint32_t(flows.size()));
    flows.push_back(std::move(t));
  }
}

}  // namespace spanwatch::tools
