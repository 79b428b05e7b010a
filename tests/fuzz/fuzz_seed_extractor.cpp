// Cuts fuzz seeds out of captures with the real decoder: whole frames for the decoder (one per distinct
// decode outcome), TCP stream starts for TLS/SSH/HTTP/DNS, UDP payloads for DNS/DHCP, QUIC datagram
// sequences, and leaf Certificate messages found by TlsHandshakeReader. scripts/fuzz.sh runs it over
// ../shared/corpus before fuzzing. Usage: fuzz_seed_extractor OUTDIR [--max-per-target N] PCAP...
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "lib/decode/packet_decoder.hpp"
#include "lib/tls/tls_handshake_reader.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace lib = spanwatch::lib;
namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr size_t kMaxStream = 16384;
constexpr size_t kMaxDecoderSeedsPerPcap = 12;
constexpr size_t kMaxQuicDatagrams = 6;

class SeedWriter {
 public:
  SeedWriter(fs::path root, size_t max_per_target) : root_(std::move(root)), max_(max_per_target) {}
  void add(const std::string& target, const uint8_t* p, size_t n) {
    if (n == 0 || count_[target] >= max_) return;
    uint64_t h = 1469598103934665603ull;  // FNV-1a: same content, same file name
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    char name[32];
    std::snprintf(name, sizeof name, "corpus-%016llx", static_cast<unsigned long long>(h));
    if (!seen_[target].insert(h).second) return;
    fs::create_directories(root_ / target);
    std::ofstream(root_ / target / name, std::ios::binary).write(reinterpret_cast<const char*>(p), long(n));
    ++count_[target];
  }
  void add(const std::string& target, const Bytes& b) { add(target, b.data(), b.size()); }
  void report() const {
    for (const auto& [t, n] : count_) std::printf("fuzz_seed_extractor: %-18s %zu seeds\n", t.c_str(), n);
  }

 private:
  fs::path root_;
  size_t max_;
  std::map<std::string, size_t> count_;
  std::map<std::string, std::set<uint64_t>> seen_;
};

struct Endpoint {
  std::string src, dst;
  uint16_t sport, dport;
  auto operator<=>(const Endpoint&) const = default;
};

struct Stream {
  Bytes bytes;
  uint32_t next_seq = 0;
  bool started = false;
};

struct QuicFlow {
  Bytes records;
  size_t datagrams = 0;
};

std::string addr(const lib::IpAddress& a) {
  char buf[lib::kIpTextMax];
  return {buf, a.format(buf, sizeof buf)};
}

bool starts_with(const Bytes& b, std::string_view s) {
  return b.size() >= s.size() && std::memcmp(b.data(), s.data(), s.size()) == 0;
}

void classify_stream(const Endpoint& e, const Bytes& b, SeedWriter& out) {
  if (b.empty()) return;
  if (b.size() >= 6 && b[0] == 0x16 && b[1] == 0x03) {
    out.add("tls_handshake", b);
    if (b[5] == 1) out.add("tls_client_hello", b);
    if (b[5] == 2) out.add("tls_server_hello", b);
    std::vector<uint8_t> buf(lib::kTlsReaderDefaultCapacity);
    lib::TlsHandshakeReader r(buf.data(), buf.size(), lib::TlsStart::kFirstByte);
    r.feed(b.data(), b.size());
    lib::TlsHandshakeMessage m;
    while (r.next(m))
      if (m.type == lib::TlsHandshakeType::kCertificate) out.add("x509_certificate", m.body(), m.body_len());
    return;
  }
  if (starts_with(b, "SSH-")) {
    out.add("ssh_handshake", b.data(), std::min<size_t>(b.size(), 8192));
    return;
  }
  for (std::string_view m : {"GET ", "POST ", "HEAD ", "PUT ", "OPTIONS ", "CONNECT ", "HTTP/1."}) {
    if (starts_with(b, m)) {
      out.add("http_message", b.data(), std::min<size_t>(b.size(), 4096));
      return;
    }
  }
  if (e.sport == 53 || e.dport == 53) out.add("dns_message", b.data(), std::min<size_t>(b.size(), 4096));
}

void extract(const fs::path& pcap, SeedWriter& out) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(pcap.c_str(), err);
  if (p == nullptr) {
    std::fprintf(stderr, "fuzz_seed_extractor: %s: %s\n", pcap.c_str(), err);
    return;
  }
  const auto link = static_cast<lib::LinkType>(pcap_datalink(p));
  int link_index = -1;
  for (size_t i = 0; i < spanwatch::fuzz::kLinkTypeCount; ++i)
    if (spanwatch::fuzz::kLinkTypes[i] == link) link_index = int(i);
  std::set<std::tuple<int, int, int, int, int, int, int>> outcomes;
  std::map<Endpoint, Stream> streams;
  std::map<Endpoint, QuicFlow> quic;
  pcap_pkthdr* h = nullptr;
  const u_char* frame = nullptr;
  while (pcap_next_ex(p, &h, &frame) == 1) {
    lib::DecodedPacket d;
    d.frame_len = h->len;
    if (link_index < 0) break;
    lib::decode_packet(frame, h->caplen, link, d);
    const auto outcome = std::make_tuple(int(d.cls), int(d.error), int(d.tunnel), int(d.non_flow),
                                         int(d.inner.l4_proto), int(d.vlan_count > 0), int(d.fragment));
    if (outcomes.size() < kMaxDecoderSeedsPerPcap && outcomes.insert(outcome).second) {
      Bytes seed{uint8_t(link_index)};
      seed.insert(seed.end(), frame, frame + std::min<uint32_t>(h->caplen, 4096));
      out.add("packet_decoder", seed);
    }
    if (d.cls != lib::PacketClass::kFlow || d.fragment == lib::Fragment::kLater) continue;
    const Endpoint e{addr(d.inner.src), addr(d.inner.dst), d.inner.src_port, d.inner.dst_port};
    const uint8_t* pl = d.payload;
    const uint32_t n = d.payload_captured;
    if (d.inner.l4_proto == 6) {
      Stream& s = streams[e];
      if ((d.tcp_flags & 0x02) != 0) {  // SYN: data starts at seq + 1
        s.next_seq = d.tcp_seq + 1;
        s.started = true;
        continue;
      }
      if (n == 0 || s.bytes.size() >= kMaxStream) continue;
      if (!s.started) {
        s.started = true;
        s.next_seq = d.tcp_seq;
      }
      if (d.tcp_seq != s.next_seq) continue;  // retransmission or a hole: keep the in-order prefix
      s.bytes.insert(s.bytes.end(), pl, pl + std::min<size_t>(n, kMaxStream - s.bytes.size()));
      s.next_seq += n;
    } else if (d.inner.l4_proto == 17 && n > 0) {
      const uint16_t sp = d.inner.src_port, dp = d.inner.dst_port;
      if (sp == 53 || dp == 53 || sp == 5353 || dp == 5353 || sp == 5355 || dp == 5355)
        out.add("dns_message", pl, n);
      if (sp == 67 || dp == 67 || sp == 68 || dp == 68) out.add("dhcp_message", pl, n);
      if ((sp == 443 || dp == 443) && (pl[0] & 0x80) != 0) {
        const bool client = dp == 443;
        const Endpoint key = client ? e : Endpoint{e.dst, e.src, dp, sp};
        QuicFlow& q = quic[key];
        if (q.datagrams++ < kMaxQuicDatagrams) {
          q.records.push_back(client ? 1 : 0);  // raw datagram, direction bit
          q.records.push_back(uint8_t(n >> 8));
          q.records.push_back(uint8_t(n));
          q.records.insert(q.records.end(), pl, pl + n);
        }
      }
    }
  }
  pcap_close(p);
  for (const auto& [e, s] : streams) classify_stream(e, s.bytes, out);
  for (const auto& [e, q] : quic) out.add("quic_initial", q.records);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: fuzz_seed_extractor OUTDIR [--max-per-target N] PCAP|DIR...\n");
    return 2;
  }
  size_t max_per_target = 1000;
  int first = 2;
  if (argc > 3 && std::string_view(argv[2]) == "--max-per-target") {
    max_per_target = std::stoul(argv[3]);
    first = 4;
  }
  SeedWriter out(argv[1], max_per_target);
  std::vector<fs::path> pcaps;
  for (int i = first; i < argc; ++i) {
    if (fs::is_directory(argv[i])) {
      for (const auto& e : fs::recursive_directory_iterator(argv[i]))
        if (e.is_regular_file()) pcaps.push_back(e.path());
    } else {
      pcaps.emplace_back(argv[i]);
    }
  }
  std::sort(pcaps.begin(), pcaps.end());
  for (const auto& p : pcaps) extract(p, out);
  out.report();
  return 0;
}
