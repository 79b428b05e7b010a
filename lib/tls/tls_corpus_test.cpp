// Corpus agreement for the TLS readers: every capture in the shared corpus is decoded (decode_packet), each
// TCP direction is reassembled in sequence order and fed to a TlsHandshakeReader, and the results are
// compared with tshark (JA3/JA3S: truth/tshark/*/*.conv.tsv), Zeek (leaf SHA-256: ssl.log cert_chain_fps),
// nDPI (leaf SHA-1, validity, subject/issuer: truth/ndpi/*.out) and OpenSSL's reading of the same leaf
// (the calls Zeek's x509.log is made of). Test-only code: std containers and libcrypto are fine here.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "lib/decode/packet_decoder.hpp"
#include "lib/fingerprint/ja3.hpp"
#include "lib/fingerprint/tls_client_hello.hpp"
#include "lib/tls/tls_handshake_reader.hpp"
#include "lib/tls/tls_server_hello.hpp"
#include "lib/tls/x509_certificate.hpp"

namespace spanwatch::lib {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

fs::path corpus_root() {
  const char* env = std::getenv("SPANWATCH_CORPUS");
  return env != nullptr && *env != '\0' ? env : "/work/shared/corpus";
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

bool parse_ip(const std::string& s, IpAddress& out) {
  uint8_t b[16];
  if (inet_pton(AF_INET, s.c_str(), b) == 1) {
    out = IpAddress::from_v4(b);
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), b) == 1) {
    out = IpAddress::from_v6(b);
    return true;
  }
  return false;
}

std::string ip_text(const IpAddress& a) {
  char buf[kIpTextMax];
  a.format(buf, sizeof(buf));
  return buf;
}

struct Endpoint {
  IpAddress ip;
  uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
  auto operator<=>(const Endpoint&) const = default;
};

std::string ep_text(const Endpoint& e) {
  return ip_text(e.ip) + ":" + std::to_string(e.port);
}

// ---- one TCP direction: sequence-ordered delivery into a TlsHandshakeReader ----

constexpr size_t kReaderCapacity = kTlsReaderDefaultCapacity;

struct CertMessage {
  uint32_t length;    // Certificate body length
  uint32_t leaf_len;  // first certificate
};

struct Direction {
  bool have_seq = false;
  uint32_t next_seq = 0;
  std::map<uint32_t, Bytes> pending;  // out-of-order segments by sequence number
  bool gap = false;
  Bytes buf = Bytes(kReaderCapacity);
  TlsHandshakeReader reader{buf.data(), buf.size(), TlsStart::kDetect};
};

struct Conversation {
  Endpoint a, b;  // a sent the first packet
  Direction dir[2];
  bool any_payload = false;
  bool closed = false;
  std::vector<std::string> ja3, ja3s;
  std::vector<std::string> notes;
  int client_dir = -1;
  int server_dir = -1;
  bool have_cert = false;
  X509Status cert_status = X509Status::kMalformed;
  X509Certificate cert;
  Bytes leaf_der;
  std::vector<CertMessage> cert_msgs;
};

struct Capture {
  std::map<std::pair<Endpoint, Endpoint>, std::vector<std::unique_ptr<Conversation>>> by_key;
  std::vector<Conversation*> order;
  uint32_t max_client_msg = 0, max_server_msg = 0;
};

void handle_message(Conversation& c, int d, const TlsHandshakeMessage& m) {
  Md5Digest hash;
  auto hex = [&hash] {
    const auto h = hex_lower(hash);
    return std::string(h.data(), h.size());
  };
  switch (m.type) {
    case TlsHandshakeType::kClientHello: {
      ClientHello ch;
      const TlsParseStatus st = parse_client_hello_message(m.data, m.data_len, ch);
      if (st != TlsParseStatus::kOk) {
        c.notes.push_back("client_hello " + std::string(to_string(st)));
        return;
      }
      ja3(ch, hash);
      c.ja3.push_back(hex());
      if (!ja3_complete(ch)) c.notes.push_back("client_hello lists overflowed FixedList");
      if (c.client_dir < 0) c.client_dir = d;
      return;
    }
    case TlsHandshakeType::kServerHello: {
      ServerHello sh;
      const ServerHelloStatus st = parse_server_hello_message(m.data, m.data_len, sh);
      if (st != ServerHelloStatus::kOk) {
        c.notes.push_back("server_hello " + std::string(to_string(st)));
        return;
      }
      ja3s(sh, hash);
      c.ja3s.push_back(hex());
      if (c.server_dir < 0) c.server_dir = d;
      return;
    }
    case TlsHandshakeType::kCertificate: {
      if (m.body_len() >= 6) {
        const uint32_t leaf = uint32_t{m.body()[3]} << 16 | uint32_t{m.body()[4]} << 8 | m.body()[5];
        c.cert_msgs.push_back({m.length, leaf});
      }
      if (c.have_cert || d == c.client_dir) return;  // the server's leaf only (not a client certificate)
      c.have_cert = true;
      c.cert_status = parse_tls_leaf_certificate(m.body(), m.body_len(), c.cert);
      if (c.cert_status == X509Status::kOk) {
        c.leaf_der.assign(m.body() + 6, m.body() + 6 + c.cert.der_len);
      }
      return;
    }
    default:
      return;
  }
}

void deliver(Capture&, Conversation& c, int d, const uint8_t* p, size_t n) {
  Direction& dir = c.dir[d];
  dir.reader.feed(p, n);
  TlsHandshakeMessage m;
  while (dir.reader.next(m)) handle_message(c, d, m);
}

void on_segment(Capture& cap, Conversation& c, int d, uint32_t seq, bool syn, const uint8_t* p,
                size_t captured, size_t len) {
  Direction& dir = c.dir[d];
  if (syn) {
    dir.have_seq = true;
    dir.next_seq = seq + 1;
    return;
  }
  if (len == 0 || dir.gap) return;
  if (!dir.have_seq) {  // capture started mid-connection
    dir.have_seq = true;
    dir.next_seq = seq;
  }
  c.any_payload = true;
  const auto ahead = static_cast<int32_t>(seq - dir.next_seq);
  if (ahead > 0) {  // hole: keep for later (bounded)
    if (dir.pending.size() < 4096) dir.pending.emplace(seq, Bytes(p, p + captured));
    return;
  }
  const size_t skip = static_cast<size_t>(-ahead);
  if (skip >= captured) return;  // retransmission
  deliver(cap, c, d, p + skip, captured - skip);
  dir.next_seq = seq + static_cast<uint32_t>(len);
  if (captured < len) {  // snaplen cut: the stream has a hole here
    dir.gap = true;
    dir.reader.on_gap();
    return;
  }
  // Drain segments that are now in order.
  for (auto it = dir.pending.begin(); it != dir.pending.end();) {
    const auto rel = static_cast<int32_t>(it->first - dir.next_seq);
    if (rel > 0) break;
    const size_t s = static_cast<size_t>(-rel);
    if (s < it->second.size()) {
      deliver(cap, c, d, it->second.data() + s, it->second.size() - s);
      dir.next_seq = it->first + static_cast<uint32_t>(it->second.size());
    }
    it = dir.pending.erase(it);
  }
}

std::unique_ptr<Capture> read_capture(const fs::path& path) {
  auto cap = std::make_unique<Capture>();
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(path.c_str(), errbuf);
  if (pc == nullptr) return cap;
  const auto link = static_cast<LinkType>(pcap_datalink(pc));
  pcap_pkthdr* hdr = nullptr;
  const u_char* pkt = nullptr;
  while (pcap_next_ex(pc, &hdr, &pkt) == 1) {
    DecodedPacket dp;
    auto copy = std::make_unique<uint8_t[]>(hdr->caplen);  // own allocation: ASan sees over-reads
    std::copy(pkt, pkt + hdr->caplen, copy.get());
    if (decode_packet(copy.get(), hdr->caplen, link, dp) != PacketClass::kFlow) continue;
    if (dp.inner.l4_proto != 6 || dp.fragment == Fragment::kLater) continue;
    const Endpoint src{dp.inner.src, dp.inner.src_port};
    const Endpoint dst{dp.inner.dst, dp.inner.dst_port};
    const auto key = src < dst ? std::make_pair(src, dst) : std::make_pair(dst, src);
    auto& list = cap->by_key[key];
    const bool syn = (dp.tcp_flags & 0x02) != 0;
    const bool pure_syn = syn && (dp.tcp_flags & 0x10) == 0;
    // A new SYN after data or a close starts a new conversation (port reuse), as tcp.stream does.
    if (list.empty() || (pure_syn && (list.back()->any_payload || list.back()->closed))) {
      auto c = std::make_unique<Conversation>();
      c->a = src;
      c->b = dst;
      cap->order.push_back(c.get());
      list.push_back(std::move(c));
    }
    Conversation& c = *list.back();
    const int d = src == c.a ? 0 : 1;
    if (dp.tcp_flags & 0x05) c.closed = true;
    const size_t captured = std::min<size_t>(dp.payload_captured, dp.payload_len);
    on_segment(*cap, c, d, dp.tcp_seq, syn, dp.payload, captured, dp.payload_len);
  }
  pcap_close(pc);
  for (const Conversation* c : cap->order) {
    if (c->client_dir < 0) continue;
    cap->max_client_msg = std::max(cap->max_client_msg, c->dir[c->client_dir].reader.stats().max_message_len);
    cap->max_server_msg =
        std::max(cap->max_server_msg, c->dir[1 - c->client_dir].reader.stats().max_message_len);
  }
  return cap;
}

// ---- truth readers ----

struct TsvRow {
  Endpoint a, b;
  std::string ja3, ja3s;  // first values, "" if none
  std::string ja3_all, ja3s_all;
};

std::vector<TsvRow> read_tshark(const fs::path& tsv) {
  std::vector<TsvRow> rows;
  std::ifstream in(tsv);
  std::string line;
  std::map<std::string, size_t> col;
  bool header = true;
  while (std::getline(in, line)) {
    const auto f = split(line, '\t');
    if (header) {
      for (size_t i = 0; i < f.size(); ++i) col[f[i]] = i;
      header = false;
      continue;
    }
    if (f.size() < col.size() || f[col["proto"]] != "tcp") continue;
    TsvRow r;
    if (!parse_ip(f[col["addr_a"]], r.a.ip) || !parse_ip(f[col["addr_b"]], r.b.ip)) continue;
    r.a.port = static_cast<uint16_t>(std::stoi(f[col["port_a"]]));
    r.b.port = static_cast<uint16_t>(std::stoi(f[col["port_b"]]));
    r.ja3_all = f[col["tls_ja3"]] == "-" ? "" : f[col["tls_ja3"]];
    r.ja3s_all = f[col["tls_ja3s"]] == "-" ? "" : f[col["tls_ja3s"]];
    r.ja3 = split(r.ja3_all, ',').empty() ? "" : split(r.ja3_all, ',')[0];
    r.ja3s = split(r.ja3s_all, ',').empty() ? "" : split(r.ja3s_all, ',')[0];
    rows.push_back(r);
  }
  return rows;
}

struct ZeekSsl {
  Endpoint orig, resp;
  std::string leaf_sha256;
};

std::vector<ZeekSsl> read_zeek_ssl(const fs::path& log) {
  std::vector<ZeekSsl> rows;
  std::ifstream in(log);
  std::string line;
  std::map<std::string, size_t> col;
  while (std::getline(in, line)) {
    if (line.rfind("#fields\t", 0) == 0) {
      const auto f = split(line, '\t');
      for (size_t i = 1; i < f.size(); ++i) col[f[i]] = i - 1;
      continue;
    }
    if (line.empty() || line[0] == '#' || !col.count("cert_chain_fps")) continue;
    const auto f = split(line, '\t');
    ZeekSsl z;
    if (f.size() < col.size() || !parse_ip(f[col["id.orig_h"]], z.orig.ip) ||
        !parse_ip(f[col["id.resp_h"]], z.resp.ip)) {
      continue;
    }
    z.orig.port = static_cast<uint16_t>(std::stoi(f[col["id.orig_p"]]));
    z.resp.port = static_cast<uint16_t>(std::stoi(f[col["id.resp_p"]]));
    const std::string fps = f[col["cert_chain_fps"]];
    z.leaf_sha256 = fps == "-" || fps == "(empty)" ? "" : split(fps, ',')[0];
    rows.push_back(z);
  }
  return rows;
}

struct NdpiCert {
  Endpoint x, y;
  std::string sha1, validity, issuer, subject;
};

bool parse_ndpi_endpoint(const std::string& s, Endpoint& e) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  e.port = static_cast<uint16_t>(std::atoi(s.c_str() + colon + 1));
  return parse_ip(host, e.ip);
}

std::string ndpi_field(const std::string& line, const std::string& name) {
  const std::string tag = "[" + name + ": ";
  const size_t p = line.find(tag);
  if (p == std::string::npos) return "";
  const size_t start = p + tag.size();
  const size_t end = line.find("][", start);
  return line.substr(start, (end == std::string::npos ? line.rfind(']') : end) - start);
}

std::vector<NdpiCert> read_ndpi(const fs::path& out) {
  std::vector<NdpiCert> rows;
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("[Certificate SHA-1: ") == std::string::npos) continue;
    std::istringstream ls(line);
    std::string idx, proto, x, arrow, y;
    ls >> idx >> proto >> x >> arrow >> y;
    NdpiCert n;
    if (proto != "TCP" || arrow != "<->" || !parse_ndpi_endpoint(x, n.x) || !parse_ndpi_endpoint(y, n.y))
      continue;
    n.sha1 = ndpi_field(line, "Certificate SHA-1");
    n.validity = ndpi_field(line, "Validity");
    n.issuer = ndpi_field(line, "Issuer");
    n.subject = ndpi_field(line, "Subject");
    rows.push_back(n);
  }
  return rows;
}

// ---- formatting for comparisons ----

std::string ndpi_sha1(const X509Certificate& c) {
  std::string s;
  for (size_t i = 0; i < c.sha1.size(); ++i) {
    if (i) s += ':';
    s += kHexUpper[c.sha1[i] >> 4];
    s += kHexUpper[c.sha1[i] & 0xf];
  }
  return s;
}

std::string utc(int64_t t) {
  const time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// nDPI prints CN/C/ST/L/O/OU in certificate (DER) order joined with ", ". Rebuild that from our RFC 2253
// text: split at unescaped ',' and '+', reverse, keep those attributes, drop the escapes.
std::string ndpi_style_name(std::string_view rfc2253) {
  std::vector<std::string> parts;
  std::string cur;
  for (size_t i = 0; i < rfc2253.size(); ++i) {
    const char ch = rfc2253[i];
    if (ch == '\\' && i + 1 < rfc2253.size()) {
      cur += ch;
      cur += rfc2253[++i];
    } else if (ch == ',' || ch == '+') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    const size_t eq = it->find('=');
    const std::string key = it->substr(0, eq);
    if (key != "CN" && key != "C" && key != "ST" && key != "L" && key != "O" && key != "OU") continue;
    std::string v;
    const std::string raw = it->substr(eq + 1);
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) ++i;
      v += raw[i];
    }
    if (!out.empty()) out += ", ";
    out += key + "=" + v;
  }
  return out;
}

std::string openssl_name(const X509_NAME* n) {
  BIO* b = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
  char* p = nullptr;
  const long len = BIO_get_mem_data(b, &p);
  std::string s(p, static_cast<size_t>(len));
  BIO_free(b);
  return s;
}

std::string openssl_serial(const X509* x) {
  BIO* b = BIO_new(BIO_s_mem());
  i2a_ASN1_INTEGER(b, X509_get0_serialNumber(x));
  char* p = nullptr;
  const long len = BIO_get_mem_data(b, &p);
  std::string s(p, static_cast<size_t>(len));
  BIO_free(b);
  return s;
}

int64_t openssl_time(const ASN1_TIME* t) {
  struct tm tm {};
  ASN1_TIME_to_tm(t, &tm);
  return timegm(&tm);
}

// ---- the test ----

struct Tally {
  int total = 0, match = 0, extra = 0;
  std::vector<std::string> misses;
  void report(const char* what) const {
    std::printf("%s: %d/%d agree", what, match, total);
    if (extra != 0) std::printf(" (+%d flows where we have a value and the reference has none)", extra);
    std::printf("\n");
    for (const auto& m : misses) std::printf("  miss: %s\n", m.c_str());
  }
};

std::string describe(const Conversation& c) {
  std::string s = ep_text(c.a) + " <-> " + ep_text(c.b);
  for (int d = 0; d < 2; ++d) {
    const auto& r = c.dir[d].reader;
    s += d == 0 ? " [a->b " : " [b->a ";
    s += std::string(to_string(r.state())) + " msgs=" + std::to_string(r.stats().messages) +
         " preamble=" + std::to_string(r.stats().preamble_bytes) + (c.dir[d].pending.empty() ? "" : " hole") +
         "]";
  }
  for (const auto& n : c.notes) s += " {" + n + "}";
  return s;
}

Conversation* find_conv(Capture& cap, const Endpoint& x, const Endpoint& y,
                        std::map<const Conversation*, int>& used) {
  const auto key = x < y ? std::make_pair(x, y) : std::make_pair(y, x);
  auto it = cap.by_key.find(key);
  if (it == cap.by_key.end()) return nullptr;
  for (auto& c : it->second) {
    if (used[c.get()]++ == 0) return c.get();
  }
  return nullptr;
}

TEST(TlsCorpus, AgreesWithTsharkZeekNdpiAndOpenSsl) {
  const fs::path root = corpus_root();
  if (!fs::is_directory(root / "pcaps")) GTEST_SKIP() << "no corpus at " << root;
  Tally ja3_t, ja3s_t, ja3_all_t, zeek_t, ndpi_sha_t, ndpi_validity_t, ndpi_names_t, ossl_t;
  int captures = 0, conversations = 0, leafs = 0, truncated_leafs = 0;
  uint32_t max_client = 0, max_server = 0;
  std::vector<CertMessage> cert_msgs;
  std::vector<fs::path> pcaps;
  for (const auto& src : fs::directory_iterator(root / "pcaps")) {
    for (const auto& f : fs::directory_iterator(src.path())) pcaps.push_back(f.path());
  }
  std::sort(pcaps.begin(), pcaps.end());
  for (const fs::path& pcap : pcaps) {
    const std::string source = pcap.parent_path().filename().string();
    const std::string name = pcap.filename().string();
    const std::string tag = source + "/" + name;
    auto cap = read_capture(pcap);
    ++captures;
    conversations += static_cast<int>(cap->order.size());
    max_client = std::max(max_client, cap->max_client_msg);
    max_server = std::max(max_server, cap->max_server_msg);
    for (const Conversation* c : cap->order) {
      cert_msgs.insert(cert_msgs.end(), c->cert_msgs.begin(), c->cert_msgs.end());
      if (c->have_cert && c->cert_status == X509Status::kOk) ++leafs;
      if (c->have_cert && c->cert_status != X509Status::kOk) ++truncated_leafs;
    }

    // tshark JA3 / JA3S.
    const fs::path tsv = root / "truth" / "tshark" / source / (name + ".conv.tsv");
    std::map<const Conversation*, int> used;
    for (const TsvRow& r : read_tshark(tsv)) {
      Conversation* c = find_conv(*cap, r.a, r.b, used);
      const std::string got_ja3 = c != nullptr && !c->ja3.empty() ? c->ja3[0] : "";
      const std::string got_ja3s = c != nullptr && !c->ja3s.empty() ? c->ja3s[0] : "";
      const std::string where = tag + " " + ep_text(r.a) + " <-> " + ep_text(r.b);
      const auto tally = [&](Tally& t, const std::string& want, const std::string& got, const char* field) {
        if (want.empty()) {
          if (!got.empty()) {
            ++t.extra;
            std::printf("  extra %s: %s %s\n", field, where.c_str(), got.c_str());
          }
          return;
        }
        ++t.total;
        if (want == got) {
          ++t.match;
        } else {
          t.misses.push_back(where + " " + field + " want " + want + " got " +
                             (got.empty() ? "<none>" : got) +
                             (c != nullptr ? " " + describe(*c) : " <no conversation>"));
        }
      };
      tally(ja3_t, r.ja3, got_ja3, "ja3");
      tally(ja3s_t, r.ja3s, got_ja3s, "ja3s");
      std::string all;
      if (c != nullptr) {
        for (const auto& v : c->ja3) {
          if (all.find(v) == std::string::npos) all += (all.empty() ? "" : ",") + v;
        }
      }
      tally(ja3_all_t, r.ja3_all, all, "ja3 (all values)");
    }

    // Zeek ssl.log: first cert_chain_fps entry = SHA-256 of the leaf.
    const fs::path ssl_log = root / "truth" / "zeek" / name / "ssl.log";
    if (source == "zeek" && fs::exists(ssl_log)) {
      std::map<const Conversation*, int> zused;
      for (const ZeekSsl& z : read_zeek_ssl(ssl_log)) {
        Conversation* c = find_conv(*cap, z.orig, z.resp, zused);
        if (c == nullptr) continue;  // QUIC (UDP) rows
        const std::string got =
            c->have_cert && c->cert_status == X509Status::kOk ? c->cert.sha256_hex.data() : "";
        if (z.leaf_sha256.empty()) {
          if (!got.empty()) ++zeek_t.extra;
          continue;
        }
        ++zeek_t.total;
        if (got == z.leaf_sha256) {
          ++zeek_t.match;
        } else {
          zeek_t.misses.push_back(tag + " want " + z.leaf_sha256 + " got " + (got.empty() ? "<none>" : got) +
                                  " " + describe(*c));
        }
      }
    }

    // nDPI: leaf SHA-1, validity, issuer/subject (its own format).
    const fs::path ndpi_out = root / "truth" / "ndpi" / (name + ".out");
    if (source == "ndpi" && fs::exists(ndpi_out)) {
      std::map<const Conversation*, int> nused;
      for (const NdpiCert& n : read_ndpi(ndpi_out)) {
        Conversation* c = find_conv(*cap, n.x, n.y, nused);
        const bool have = c != nullptr && c->have_cert && c->cert_status == X509Status::kOk;
        const std::string where = tag + " " + ep_text(n.x) + " <-> " + ep_text(n.y);
        const std::string why = c != nullptr ? describe(*c) : "<no conversation>";
        ++ndpi_sha_t.total;
        const std::string got_sha = have ? ndpi_sha1(c->cert) : "<none>";
        if (got_sha == n.sha1) {
          ++ndpi_sha_t.match;
        } else {
          ndpi_sha_t.misses.push_back(where + " sha1 want " + n.sha1 + " got " + got_sha + " " + why);
        }
        if (!n.validity.empty()) {
          ++ndpi_validity_t.total;
          const std::string got = have ? utc(c->cert.not_before) + " - " + utc(c->cert.not_after) : "<none>";
          if (got == n.validity) {
            ++ndpi_validity_t.match;
          } else {
            ndpi_validity_t.misses.push_back(where + " validity want " + n.validity + " got " + got);
          }
        }
        ++ndpi_names_t.total;
        const std::string got = have ? "I=" + ndpi_style_name(c->cert.issuer.view()) +
                                           " S=" + ndpi_style_name(c->cert.subject.view())
                                     : "<none>";
        const std::string want = "I=" + n.issuer + " S=" + n.subject;
        if (got == want) {
          ++ndpi_names_t.match;
        } else {
          ndpi_names_t.misses.push_back(where + "\n      want " + want + "\n      got  " + got);
        }
      }
    }

    // OpenSSL's reading of every leaf we parsed: the exact strings Zeek's x509.log would hold.
    for (const Conversation* c : cap->order) {
      if (!c->have_cert || c->cert_status != X509Status::kOk) continue;
      ++ossl_t.total;
      const uint8_t* p = c->leaf_der.data();
      X509* x = d2i_X509(nullptr, &p, static_cast<long>(c->leaf_der.size()));
      if (x == nullptr) {
        ossl_t.misses.push_back(tag + " OpenSSL cannot parse the leaf " + describe(*c));
        continue;
      }
      std::string diff;
      const auto cmp = [&](const char* f, const std::string& want, std::string_view got) {
        if (want != got)
          diff += std::string(" ") + f + ": want [" + want + "] got [" + std::string(got) + "]";
      };
      // A name longer than kX509NameMax is cut between tokens and flagged: compare the prefix.
      const auto name_cmp = [&](const char* f, const std::string& want, const FixedText<kX509NameMax>& got) {
        cmp(f, got.truncated ? want.substr(0, got.len) : want, got.view());
        if (got.truncated) {
          std::printf("  note: %s %s truncated at %u of %zu bytes (flagged)\n", tag.c_str(), f, got.len,
                      want.size());
        }
      };
      name_cmp("subject", openssl_name(X509_get_subject_name(x)), c->cert.subject);
      name_cmp("issuer", openssl_name(X509_get_issuer_name(x)), c->cert.issuer);
      cmp("serial", openssl_serial(x), c->cert.serial.view());
      cmp("not_before", std::to_string(openssl_time(X509_get0_notBefore(x))),
          std::to_string(c->cert.not_before));
      cmp("not_after", std::to_string(openssl_time(X509_get0_notAfter(x))),
          std::to_string(c->cert.not_after));
      cmp("version", std::to_string(X509_get_version(x) + 1), std::to_string(c->cert.version));
      char alg[128];
      i2t_ASN1_OBJECT(alg, sizeof(alg), OBJ_nid2obj(X509_get_signature_nid(x)));
      cmp("sig_alg", alg, c->cert.signature_algorithm.view());
      std::string sans;
      GENERAL_NAMES* gens =
          static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
      for (int i = 0; gens != nullptr && i < sk_GENERAL_NAME_num(gens); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS) {
          sans += std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                              static_cast<size_t>(ASN1_STRING_length(g->d.dNSName))) +
                  ";";
        }
      }
      GENERAL_NAMES_free(gens);
      std::string got_sans;
      for (size_t i = 0; i < c->cert.san_dns_count; ++i) got_sans += std::string(c->cert.san_dns(i)) + ";";
      if (c->cert.san_dns_total <= c->cert.san_dns_count) cmp("san_dns", sans, got_sans);
      EVP_PKEY* pk = X509_get0_pubkey(x);
      if (pk != nullptr &&
          (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA || EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC)) {
        cmp("key_bits", std::to_string(EVP_PKEY_get_bits(pk)), std::to_string(c->cert.key_bits));
      }
      X509_free(x);
      if (diff.empty()) {
        ++ossl_t.match;
      } else {
        ossl_t.misses.push_back(tag + diff);
      }
    }
  }

  std::printf(
      "TLS corpus: %d captures, %d TCP conversations, %d leaf certificates parsed (%d not parseable)\n",
      captures, conversations, leafs, truncated_leafs);
  ja3_t.report("JA3 (first ClientHello) vs tshark");
  ja3_all_t.report("JA3 (every ClientHello of the flow) vs tshark");
  ja3s_t.report("JA3S (first ServerHello) vs tshark");
  zeek_t.report("leaf SHA-256 vs Zeek ssl.log cert_chain_fps[0]");
  ndpi_sha_t.report("leaf SHA-1 vs nDPI");
  ndpi_validity_t.report("validity vs nDPI");
  ndpi_names_t.report("issuer/subject (nDPI style) vs nDPI");
  ossl_t.report("every leaf field vs OpenSSL (Zeek's x509 formatting)");

  // Buffer sizing: largest handshake messages, and how Certificate messages fare at common capacities.
  std::printf("largest handshake message: client %u bytes, server %u bytes\n", max_client, max_server);
  uint32_t max_cert = 0, max_leaf = 0;
  for (const CertMessage& m : cert_msgs) {
    max_cert = std::max(max_cert, m.length + 4);
    max_leaf = std::max(max_leaf, m.leaf_len);
  }
  std::printf("Certificate messages: %zu, largest %u bytes, largest leaf %u bytes\n", cert_msgs.size(),
              max_cert, max_leaf);
  for (size_t capacity : {4096u, 8192u, 16384u, 32768u}) {
    int whole = 0, leaf_only = 0, lost = 0;
    for (const CertMessage& m : cert_msgs) {
      if (m.length + 4 <= capacity) {
        ++whole;
      } else if (m.leaf_len + 10 <= capacity) {
        ++leaf_only;
      } else {
        ++lost;
      }
    }
    std::printf("  capacity %5zu: %d Certificate messages whole, %d leaf-only, %d lost\n", capacity, whole,
                leaf_only, lost);
  }

  EXPECT_GT(ja3_t.total, 200);
  EXPECT_GE(ja3_t.match * 100, ja3_t.total * 97);
  EXPECT_GE(ja3s_t.match * 100, ja3s_t.total * 97);
  EXPECT_EQ(zeek_t.match, zeek_t.total);
  EXPECT_GE(ndpi_sha_t.match * 100, ndpi_sha_t.total * 90);
  EXPECT_GE(ossl_t.match * 100, ossl_t.total * 97);
}

}  // namespace
}  // namespace spanwatch::lib
