// Test-only helper for the lib/app corpus tests: reads a capture with libpcap + decode_packet and groups
// the innermost TCP/UDP payloads into conversations numbered the way tshark numbers tcp/udp streams, with
// each TCP direction reassembled in sequence order. Uses std containers freely (never in product code).
#pragma once
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "lib/decode/packet_decoder.hpp"

namespace spanwatch::lib::apptest {

using Bytes = std::vector<uint8_t>;

inline std::filesystem::path corpus_root() {
  const char* env = std::getenv("SPANWATCH_CORPUS");
  return std::filesystem::path(env != nullptr && *env != '\0' ? env : "/work/shared/corpus");
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t e = s.find(sep, start);
    out.push_back(s.substr(start, e == std::string::npos ? std::string::npos : e - start));
    if (e == std::string::npos) return out;
    start = e + 1;
  }
}

struct ConvPacket {
  size_t frame = 0;  // 1-based frame number in the capture
  int dir = 0;       // 0: sent by endpoint a (the first packet's source), 1: by b
  uint8_t tcp_flags = 0;
  Bytes payload;  // captured payload bytes
};

struct Conversation {
  uint8_t proto = 0;  // 6 or 17
  uint16_t vlan = 0;  // innermost VLAN id when read with split_vlans (0: none)
  std::string addr[2];
  uint16_t port[2] = {0, 0};
  size_t first_frame = 0;
  int syn_dir = -1;  // which side sent the SYN (no ACK), -1 when not captured
  std::vector<ConvPacket> packets;
  // TCP only: each direction's payload in sequence order, as the in-order chunks that arrived.
  std::vector<Bytes> chunks[2];
  Bytes stream[2];

  // tshark-style row key "proto a:pa b:pb" for either order.
  bool same_endpoints(const std::string& a, uint16_t pa, const std::string& b, uint16_t pb) const {
    return (addr[0] == a && port[0] == pa && addr[1] == b && port[1] == pb) ||
           (addr[0] == b && port[0] == pb && addr[1] == a && port[1] == pa);
  }
};

namespace detail {

struct TcpDir {
  bool have_seq = false;
  uint32_t next_seq = 0;
  std::map<uint32_t, Bytes> pending;  // out-of-order segments by relative offset from next_seq's base
};

inline std::string fmt_ip(const IpAddress& a) {
  char buf[kIpTextMax];
  const size_t n = a.format(buf, sizeof(buf));
  return std::string(buf, n);
}

// Appends the segment at `seq` if it continues the direction's stream; holds it if it is ahead.
inline void tcp_add(TcpDir& d, Conversation& c, int dir, uint32_t seq, const uint8_t* p, size_t n,
                    size_t cap) {
  if (!d.have_seq) {
    d.have_seq = true;
    d.next_seq = seq;
  }
  auto deliver = [&](const uint8_t* q, size_t m) {
    const size_t room = cap - std::min(cap, c.stream[dir].size());
    m = std::min(m, room);
    if (m == 0) return;
    c.stream[dir].insert(c.stream[dir].end(), q, q + m);
    c.chunks[dir].emplace_back(q, q + m);
  };
  const auto delta = static_cast<int32_t>(seq - d.next_seq);
  if (delta > 0) {
    if (delta < (1 << 20)) d.pending.emplace(seq, Bytes(p, p + n));
    return;
  }
  const size_t skip = static_cast<size_t>(-static_cast<int64_t>(delta));
  if (skip >= n) return;  // retransmission
  deliver(p + skip, n - skip);
  d.next_seq += static_cast<uint32_t>(n - skip);
  // Flush held segments that are now contiguous.
  for (bool progress = true; progress;) {
    progress = false;
    for (auto it = d.pending.begin(); it != d.pending.end(); ++it) {
      const auto dd = static_cast<int32_t>(it->first - d.next_seq);
      if (dd > 0) continue;
      const Bytes seg = std::move(it->second);
      const uint32_t s = it->first;
      d.pending.erase(it);
      const size_t sk = static_cast<size_t>(d.next_seq - s);
      if (sk < seg.size()) {
        deliver(seg.data() + sk, seg.size() - sk);
        d.next_seq += static_cast<uint32_t>(seg.size() - sk);
      }
      progress = true;
      break;
    }
  }
}

}  // namespace detail

// Reads every TCP/UDP conversation of the innermost flows. A TCP SYN on a 5-tuple whose conversation
// already carried data or a FIN/RST opens a new conversation (port reuse), as tshark does.
// split_vlans keys conversations by VLAN id too (nDPI does; tshark's stream numbers do not).
inline std::vector<Conversation> read_conversations(const std::string& path, std::string& err,
                                                    size_t stream_cap = 1 << 20, bool split_vlans = false) {
  std::vector<Conversation> convs;
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(path.c_str(), errbuf);
  if (pc == nullptr) {
    err = errbuf;
    return convs;
  }
  const LinkType link = static_cast<LinkType>(pcap_datalink(pc));
  std::map<std::string, size_t> current;  // endpoint key -> index in convs
  std::vector<detail::TcpDir> tcp_dirs;   // 2 per conversation
  std::vector<bool> closed;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  size_t frame = 0;
  int rc = 0;
  while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
    ++frame;
    DecodedPacket d;
    if (decode_packet(data, hdr->caplen, link, d) != PacketClass::kFlow) continue;
    const IpEndpoints& e = d.inner;
    if ((e.l4_proto != 6 && e.l4_proto != 17) || d.fragment == Fragment::kLater) continue;
    const std::string src = detail::fmt_ip(e.src), dst = detail::fmt_ip(e.dst);
    const std::string k1 = src + "|" + std::to_string(e.src_port),
                      k2 = dst + "|" + std::to_string(e.dst_port);
    // The innermost stored tag, as nDPI keys its flows.
    const uint16_t vlan =
        split_vlans && d.vlan_count > 0 ? d.vlan_ids[std::min<size_t>(d.vlan_count, kMaxVlans) - 1] : 0;
    const std::string key = std::to_string(e.l4_proto) + "|" + std::to_string(vlan) + "|" +
                            (k1 < k2 ? k1 + "|" + k2 : k2 + "|" + k1);
    const bool syn_only = e.l4_proto == 6 && (d.tcp_flags & 0x12) == 0x02;
    auto it = current.find(key);
    bool fresh = it == current.end();
    if (!fresh && syn_only) {
      const Conversation& c = convs[it->second];
      bool had_data = closed[it->second];
      for (const auto& p : c.packets) had_data = had_data || !p.payload.empty();
      fresh = had_data;
    }
    if (fresh) {
      Conversation c;
      c.proto = e.l4_proto;
      c.vlan = vlan;
      c.addr[0] = src;
      c.port[0] = e.src_port;
      c.addr[1] = dst;
      c.port[1] = e.dst_port;
      c.first_frame = frame;
      convs.push_back(std::move(c));
      tcp_dirs.resize(convs.size() * 2);
      closed.push_back(false);
      current[key] = convs.size() - 1;
      it = current.find(key);
    }
    const size_t ci = it->second;
    Conversation& c = convs[ci];
    const int dir = (c.addr[0] == src && c.port[0] == e.src_port) ? 0 : 1;
    ConvPacket p;
    p.frame = frame;
    p.dir = dir;
    p.tcp_flags = d.tcp_flags;
    const size_t n = d.payload == nullptr ? 0 : std::min<size_t>(d.payload_captured, d.payload_len);
    if (n > 0) p.payload.assign(d.payload, d.payload + n);
    if (e.l4_proto == 6) {
      detail::TcpDir& td = tcp_dirs[ci * 2 + size_t(dir)];
      if ((d.tcp_flags & 0x02) != 0) {
        if (syn_only && c.syn_dir < 0) c.syn_dir = dir;
        td.have_seq = true;
        td.next_seq = d.tcp_seq + 1;
      } else if (n > 0) {
        detail::tcp_add(td, c, dir, d.tcp_seq, d.payload, n, stream_cap);
      }
      if ((d.tcp_flags & 0x05) != 0) closed[ci] = true;
    }
    c.packets.push_back(std::move(p));
  }
  if (rc == PCAP_ERROR) err = pcap_geterr(pc);
  pcap_close(pc);
  return convs;
}

// All captures of the corpus, sorted.
inline std::vector<std::filesystem::path> corpus_pcaps() {
  std::vector<std::filesystem::path> out;
  const auto root = corpus_root() / "pcaps";
  if (!std::filesystem::is_directory(root)) return out;
  for (const auto& src : std::filesystem::directory_iterator(root)) {
    if (!src.is_directory()) continue;
    for (const auto& f : std::filesystem::directory_iterator(src.path())) out.push_back(f.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One row of truth/tshark/<source>/<pcap>.conv.tsv, by column name.
struct TsharkRow {
  std::map<std::string, std::string> col;
  const std::string& operator[](const std::string& k) const {
    static const std::string kNone = "-";
    const auto it = col.find(k);
    return it == col.end() ? kNone : it->second;
  }
};

inline std::vector<TsharkRow> read_tshark_conv(const std::filesystem::path& pcap) {
  std::vector<TsharkRow> rows;
  const auto src = pcap.parent_path().filename();
  const auto tsv = corpus_root() / "truth" / "tshark" / src / (pcap.filename().string() + ".conv.tsv");
  const std::string text = read_text(tsv);
  if (text.empty()) return rows;
  const auto lines = split(text, '\n');
  const auto head = split(lines[0], '\t');
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const auto f = split(lines[i], '\t');
    TsharkRow r;
    for (size_t j = 0; j < head.size() && j < f.size(); ++j) r.col[head[j]] = f[j];
    rows.push_back(std::move(r));
  }
  return rows;
}

// The conversation a tshark row describes: same protocol and endpoints, the k-th such one for the k-th
// row with those endpoints (port reuse).
inline const Conversation* match_row(const std::vector<Conversation>& convs,
                                     const std::vector<TsharkRow>& rows, size_t row_index) {
  const TsharkRow& r = rows[row_index];
  const uint8_t proto = r["proto"] == "tcp" ? 6 : 17;
  const std::string a = r["addr_a"], b = r["addr_b"];
  const auto pa = static_cast<uint16_t>(std::atoi(r["port_a"].c_str()));
  const auto pb = static_cast<uint16_t>(std::atoi(r["port_b"].c_str()));
  size_t nth = 0;
  for (size_t i = 0; i < row_index; ++i) {
    const TsharkRow& o = rows[i];
    if (o["proto"] == r["proto"] &&
        ((o["addr_a"] == a && o["port_a"] == r["port_a"] && o["addr_b"] == b && o["port_b"] == r["port_b"]) ||
         (o["addr_a"] == b && o["port_a"] == r["port_b"] && o["addr_b"] == a &&
          o["port_b"] == r["port_a"]))) {
      ++nth;
    }
  }
  for (const auto& c : convs) {
    if (c.proto == proto && c.same_endpoints(a, pa, b, pb)) {
      if (nth == 0) return &c;
      --nth;
    }
  }
  return nullptr;
}

// Rows of a Zeek log baseline (full "#fields" logs, and ".cut" files whose first plain line is the header).
inline std::vector<TsharkRow> read_zeek_log(const std::filesystem::path& p) {
  std::vector<TsharkRow> rows;
  const std::string text = read_text(p);
  std::vector<std::string> head;
  for (const auto& line : split(text, '\n')) {
    if (line.empty()) continue;
    if (line.rfind("#fields\t", 0) == 0) {
      head = split(line.substr(8), '\t');
      continue;
    }
    if (line[0] == '#') continue;
    if (head.empty()) {
      head = split(line, '\t');
      continue;
    }
    const auto f = split(line, '\t');
    TsharkRow r;
    for (size_t j = 0; j < head.size() && j < f.size(); ++j) r.col[head[j]] = f[j];
    rows.push_back(std::move(r));
  }
  return rows;
}

// The zeek log of a capture, if the corpus has one (full or cut).
inline std::filesystem::path zeek_log_path(const std::filesystem::path& pcap, const std::string& log) {
  const auto dir = corpus_root() / "truth" / "zeek" / pcap.filename();
  for (const std::string suffix : {".log", ".log.cut"}) {
    if (std::filesystem::exists(dir / (log + suffix))) return dir / (log + suffix);
  }
  return {};
}

}  // namespace spanwatch::lib::apptest
