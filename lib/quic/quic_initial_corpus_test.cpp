// Every UDP flow of every capture in the shared corpus goes through QuicInitialDecryptor; the reassembled
// ClientHello must give tshark's SNI and JA3, the ServerHello tshark's JA3S, and the ClientHello the JA4
// of FoxIO's Rust tool (truth/ja4/*.snap). Non-QUIC UDP (DNS, DTLS, gQUIC, fuzzed files) must only yield
// error statuses, never a crash.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lib/decode/packet_decoder.hpp"
#include "lib/fingerprint/digest.hpp"
#include "lib/fingerprint/ja4.hpp"
#include "lib/fingerprint/tls_client_hello.hpp"
#include "lib/quic/quic_initial.hpp"

namespace spanwatch::lib {
namespace {

namespace fs = std::filesystem;

// Buffer sizes recommended to the worker: a ClientHello with an ML-KEM key share is ~1.8 KB, a ServerHello
// with one ~1.2 KB.
constexpr uint32_t kClientBuf = 4096;
constexpr uint32_t kServerBuf = 2048;

struct Flow {
  std::string client_ip, server_ip;
  uint16_t client_port = 0, server_port = 0;
  QuicFlowState state{};
  std::vector<uint8_t> cbuf = std::vector<uint8_t>(kClientBuf), sbuf = std::vector<uint8_t>(kServerBuf);
  QuicCryptoStream client{cbuf.data(), kClientBuf}, server{sbuf.data(), kServerBuf};
  std::array<int, static_cast<size_t>(QuicStatus::kCount)> cst{}, sst{};  // statuses per direction
};

std::string ip_text(const IpAddress& a) {
  char buf[kIpTextMax];
  return std::string(buf, a.format(buf, sizeof(buf)));
}

std::string endpoint_key(const std::string& a, uint16_t pa, const std::string& b, uint16_t pb) {
  const std::string x = a + "|" + std::to_string(pa), y = b + "|" + std::to_string(pb);
  return x < y ? x + "|" + y : y + "|" + x;
}

// All UDP flows of one capture, fed through `d` in capture order. The client is the first packet's sender.
std::map<std::string, std::unique_ptr<Flow>> read_flows(const std::string& path, QuicInitialDecryptor& d) {
  std::map<std::string, std::unique_ptr<Flow>> flows;
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(path.c_str(), errbuf);
  if (pc == nullptr) return flows;
  const auto link = static_cast<LinkType>(pcap_datalink(pc));
  pcap_pkthdr* hdr = nullptr;
  const u_char* pkt = nullptr;
  int rc = 0;
  while ((rc = pcap_next_ex(pc, &hdr, &pkt)) >= 0) {
    if (rc == 0) continue;
    DecodedPacket dp;
    if (decode_packet(pkt, hdr->caplen, link, dp) != PacketClass::kFlow || dp.inner.l4_proto != 17 ||
        dp.fragment == Fragment::kLater || dp.payload == nullptr) {
      continue;
    }
    const std::string src = ip_text(dp.inner.src), dst = ip_text(dp.inner.dst);
    auto& f = flows[endpoint_key(src, dp.inner.src_port, dst, dp.inner.dst_port)];
    if (!f) {
      f = std::make_unique<Flow>();
      f->client_ip = src;
      f->client_port = dp.inner.src_port;
      f->server_ip = dst;
      f->server_port = dp.inner.dst_port;
    }
    const bool from_client = src == f->client_ip && dp.inner.src_port == f->client_port;
    const size_t n = std::min(dp.payload_len, dp.payload_captured);
    const QuicStatus st = d.feed(dp.payload, n, from_client, f->state, from_client ? f->client : f->server);
    ++(from_client ? f->cst : f->sst)[static_cast<size_t>(st)];
  }
  pcap_close(pc);
  return flows;
}

std::string md5_of(const std::string& s) {
  char hex[Md5::kHexLen + 1];
  md5_hex(s.data(), s.size(), hex);
  return hex;
}

template <typename List>
std::string join(const List& l, bool skip_grease) {
  std::string s;
  for (const auto v : l) {
    if (skip_grease && is_grease(v)) continue;
    if (!s.empty()) s += '-';
    s += std::to_string(v);
  }
  return s;
}

std::string ja3(const ClientHello& ch) {
  return md5_of(std::to_string(ch.legacy_version) + "," + join(ch.ciphers, true) + "," +
                join(ch.extensions, true) + "," + join(ch.supported_groups, true) + "," +
                join(ch.ec_point_formats, false));
}

// JA3S of the ServerHello at the start of `m` (handshake header included), or "" if it is not one.
std::string ja3s(const uint8_t* m, size_t n) {
  if (n < 4 || m[0] != 2) return "";
  const size_t len = static_cast<size_t>(m[1]) << 16 | static_cast<size_t>(m[2]) << 8 | m[3];
  if (len + 4 > n || len < 38) return "";
  size_t p = 4;
  const unsigned version = m[p] << 8 | m[p + 1];
  p += 2 + 32;
  p += 1 + m[p];  // session id
  if (p + 3 > 4 + len) return "";
  const unsigned cipher = m[p] << 8 | m[p + 1];
  p += 3;  // cipher, compression
  std::vector<unsigned> exts;
  if (p + 2 <= 4 + len) {
    const size_t end = std::min<size_t>(4 + len, p + 2 + (m[p] << 8 | m[p + 1]));
    for (p += 2; p + 4 <= end; p += 4 + (m[p + 2] << 8 | m[p + 3])) exts.push_back(m[p] << 8 | m[p + 1]);
  }
  return md5_of(std::to_string(version) + "," + std::to_string(cipher) + "," + join(exts, false));
}

std::string first_value(const std::string& s) {
  return s.substr(0, s.find(','));
}

struct TruthRow {
  std::string sni, ja3, ja3s;
};

// tshark conv.tsv rows of UDP conversations, by endpoint pair.
std::map<std::string, TruthRow> read_tshark(const fs::path& tsv) {
  std::map<std::string, TruthRow> rows;
  std::ifstream in(tsv);
  std::string line;
  std::vector<std::string> head;
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, '\t');) c.push_back(x);
    if (head.empty()) {
      head = c;
      continue;
    }
    const auto col = [&](const char* name) {
      const auto it = std::find(head.begin(), head.end(), name);
      const auto i = static_cast<size_t>(it - head.begin());
      return it != head.end() && i < c.size() ? c[i] : std::string("-");
    };
    if (col("proto") != "udp") continue;
    rows[endpoint_key(col("addr_a"), static_cast<uint16_t>(std::stoi(col("port_a"))), col("addr_b"),
                      static_cast<uint16_t>(std::stoi(col("port_b"))))] = {
        first_value(col("tls_sni")), first_value(col("tls_ja3")), first_value(col("tls_ja3s"))};
  }
  return rows;
}

// ja4 of UDP streams in a Rust snapshot (truth/ja4/<pcap>.snap), by endpoint pair.
std::map<std::string, std::string> read_ja4_snap(const fs::path& snap) {
  std::map<std::string, std::string> out;
  std::ifstream in(snap);
  std::string line, transport, src, dst, sport, dport;
  const auto flush = [&](const std::string& ja4) {
    if (transport == "udp" && !src.empty()) {
      out[endpoint_key(src, static_cast<uint16_t>(std::stoi(sport)), dst,
                       static_cast<uint16_t>(std::stoi(dport)))] = ja4;
    }
  };
  while (std::getline(in, line)) {
    const auto kv = [&](const char* key, std::string& v) {
      const std::string k = std::string("  ") + key + ": ";
      if (line.rfind(k, 0) == 0) v = line.substr(k.size());
    };
    if (line.rfind("- stream:", 0) == 0) transport = src = dst = sport = dport = "";
    kv("transport", transport);
    kv("src", src);
    kv("dst", dst);
    kv("src_port", sport);
    kv("dst_port", dport);
    std::string ja4;
    kv("ja4", ja4);
    if (!ja4.empty()) flush(ja4);
  }
  return out;
}

struct NdpiRow {
  std::string sni, ja3c;
};

// Upstream nDPI 4.11 expected output (truth/ndpi/<pcap>.out): UDP flows' SNI and JA3C, by endpoint pair.
std::map<std::string, NdpiRow> read_ndpi(const fs::path& out_file) {
  std::map<std::string, NdpiRow> rows;
  std::ifstream in(out_file);
  std::string line;
  const auto split = [](std::string ep, std::string& ip, uint16_t& port) {
    const size_t colon = ep.rfind(':');
    if (colon == std::string::npos) return false;
    port = static_cast<uint16_t>(std::atoi(ep.c_str() + colon + 1));
    ip = ep.substr(0, colon);
    if (ip.size() >= 2 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
    return true;
  };
  const auto field = [&](const char* name) {
    const std::string k = std::string("[") + name + ": ";
    const size_t at = line.find(k);
    return at == std::string::npos ? std::string("-")
                                   : line.substr(at + k.size(), line.find(']', at) - at - k.size());
  };
  while (std::getline(in, line)) {
    const size_t udp = line.find("\tUDP ");
    const size_t arrow = line.find(" <-> ");
    if (udp == std::string::npos || arrow == std::string::npos) continue;
    const size_t b = arrow + 5, e = line.find(' ', b);
    std::string ipa, ipb;
    uint16_t pa = 0, pb = 0;
    if (!split(line.substr(udp + 5, arrow - udp - 5), ipa, pa) || !split(line.substr(b, e - b), ipb, pb))
      continue;
    rows[endpoint_key(ipa, pa, ipb, pb)] = {field("Hostname/SNI"), field("JA3C")};
  }
  return rows;
}

std::string statuses(const std::array<int, static_cast<size_t>(QuicStatus::kCount)>& st) {
  std::string s;
  for (size_t i = 0; i < st.size(); ++i) {
    if (st[i] == 0) continue;
    if (!s.empty()) s += ' ';
    s += std::string(kQuicStatusNames[i]) + "=" + std::to_string(st[i]);
  }
  return s.empty() ? "-" : s;
}

TEST(QuicInitialCorpus, MatchesTshark) {
  const char* env = std::getenv("SPANWATCH_CORPUS");
  const fs::path corpus = env != nullptr && *env != '\0' ? env : "/work/shared/corpus";
  if (!fs::is_directory(corpus / "pcaps")) GTEST_SKIP() << "no corpus at " << corpus;

  std::vector<fs::path> pcaps;
  for (const auto& e : fs::recursive_directory_iterator(corpus / "pcaps")) {
    if (e.is_regular_file()) pcaps.push_back(e.path());
  }
  std::sort(pcaps.begin(), pcaps.end());

  struct Sizes {
    uint32_t max_contiguous = 0;
    size_t peak_ranges = 0;
    uint64_t bytes_dropped = 0, frames_dropped = 0;
  } client_sizes, server_sizes;
  QuicInitialDecryptor d;
  int sni_total = 0, sni_ok = 0, ja3_total = 0, ja3_ok = 0, ja3s_total = 0, ja3s_ok = 0, ja4_total = 0,
      ja4_ok = 0, decrypted_flows = 0, extra = 0, ndpi_total = 0, ndpi_ok = 0;
  std::vector<std::string> misses, wrong, extras, notes;
  for (const auto& pcap : pcaps) {
    const std::string source = pcap.parent_path().filename().string(), name = pcap.filename().string();
    auto flows = read_flows(pcap.string(), d);
    const auto truth = read_tshark(corpus / "truth" / "tshark" / source / (name + ".conv.tsv"));
    const auto ja4_truth = read_ja4_snap(corpus / "truth" / "ja4" / (name + ".snap"));
    const auto ndpi = source == "ndpi" ? read_ndpi(corpus / "truth" / "ndpi" / (name + ".out"))
                                       : std::map<std::string, NdpiRow>();
    for (const auto& [key, f] : flows) {
      ClientHello ch;
      const bool hello =
          f->client.first_message_complete() &&
          parse_client_hello_message(f->client.data(), f->client.contiguous(), ch) == TlsParseStatus::kOk;
      const std::string sni = hello ? std::string(ch.server_name()) : "-";
      const std::string got_ja3s = ja3s(f->server.data(), f->server.contiguous());
      decrypted_flows += f->state.has(QuicFlowState::kClientDecrypted) ? 1 : 0;
      for (const QuicCryptoStream* st : {&f->client, &f->server}) {
        auto& sz = st == &f->client ? client_sizes : server_sizes;
        sz.max_contiguous = std::max(sz.max_contiguous, st->contiguous());
        sz.peak_ranges = std::max(sz.peak_ranges, st->peak_range_count());
        sz.bytes_dropped += st->bytes_dropped();
        sz.frames_dropped += st->frames_dropped();
      }
      const std::string where = source + "/" + name + " " + f->client_ip + ":" +
                                std::to_string(f->client_port) + " -> " + f->server_ip + ":" +
                                std::to_string(f->server_port);
      const std::string how = " [client " + statuses(f->cst) + "; server " + statuses(f->sst) + "]";
      const auto bad = [](const auto& st) {
        return st[static_cast<size_t>(QuicStatus::kDecryptFailed)] +
               st[static_cast<size_t>(QuicStatus::kMalformed)] +
               st[static_cast<size_t>(QuicStatus::kNoClientInitial)];
      };
      if (bad(f->cst) + bad(f->sst) > 0) notes.push_back(where + how);
      // nDPI 4.11: a second opinion on SNI and JA3C for every flow whose ClientHello we read. (Its JA4
      // differs from FoxIO's by convention: 'd' without SNI, "h3" for "h3-29"; truth/ja4 is the JA4 truth.)
      const auto nd = ndpi.find(key);
      if (hello && nd != ndpi.end() && nd->second.ja3c != "-") {
        ++ndpi_total;
        const std::string nd_sni = nd->second.sni == "-" ? "" : nd->second.sni;
        if (ja3(ch) == nd->second.ja3c && std::string(ch.server_name()) == nd_sni) {
          ++ndpi_ok;
        } else {
          wrong.push_back(where + " nDPI SNI/JA3C " + nd->second.sni + " " + nd->second.ja3c + " != " + sni +
                          " " + ja3(ch));
        }
      }
      const auto t = truth.find(key);
      if (t == truth.end() || (t->second.sni == "-" && t->second.ja3 == "-" && t->second.ja3s == "-")) {
        if (hello) {
          ++extra;
          extras.push_back(where + " sni=" + sni + how);
        }
        continue;
      }
      const TruthRow& want = t->second;
      if (want.sni != "-") {
        ++sni_total;
        if (sni == want.sni) {
          ++sni_ok;
        } else if (hello) {
          wrong.push_back(where + " SNI " + sni + " != tshark " + want.sni + how);
        } else {
          misses.push_back(where + " SNI " + want.sni + " not read" + how);
        }
      }
      if (want.ja3 != "-") {
        ++ja3_total;
        if (hello && ja3(ch) == want.ja3) {
          ++ja3_ok;
        } else if (hello) {
          wrong.push_back(where + " JA3 " + ja3(ch) + " != tshark " + want.ja3 + how);
        } else if (want.sni == "-") {
          misses.push_back(where + " ClientHello (no SNI) not read" + how);
        }
      } else if (hello) {
        ++extra;
        extras.push_back(where + " sni=" + sni + " ja3=" + ja3(ch) + ", tshark has no ClientHello" + how);
      }
      if (want.ja3s != "-") {
        ++ja3s_total;
        if (got_ja3s == want.ja3s) {
          ++ja3s_ok;
          EXPECT_TRUE(f->server.first_message_complete()) << where;
        } else {
          (got_ja3s.empty() ? misses : wrong)
              .push_back(where + " JA3S " + got_ja3s + " != tshark " + want.ja3s + how);
        }
      }
      const auto j = ja4_truth.find(key);
      if (j != ja4_truth.end()) {
        ++ja4_total;
        char buf[kJa4MaxLen];
        if (hello) ja4(ch, 'q', buf);
        if (hello && j->second == buf) {
          ++ja4_ok;
        } else {
          wrong.push_back(where + " JA4 " + (hello ? buf : "-") + " != " + j->second + how);
        }
      }
    }
  }
  std::printf("[ corpus   ] %zu captures, %d UDP flows with a client Initial decrypted\n", pcaps.size(),
              decrypted_flows);
  std::printf(
      "[ corpus   ] SNI %d/%d, JA3 %d/%d, JA3S %d/%d (tshark 4.0); JA4 %d/%d (FoxIO Rust); "
      "SNI+JA3C %d/%d (nDPI 4.11)\n",
      sni_ok, sni_total, ja3_ok, ja3_total, ja3s_ok, ja3s_total, ja4_ok, ja4_total, ndpi_ok, ndpi_total);
  for (const Sizes* z : {&client_sizes, &server_sizes}) {
    std::printf(
        "[ streams  ] %s: largest reassembled %u bytes (buffer %u), peak %zu disjoint ranges, dropped "
        "%lu bytes and %lu frames\n",
        z == &client_sizes ? "client" : "server", z->max_contiguous,
        z == &client_sizes ? kClientBuf : kServerBuf, z->peak_ranges,
        static_cast<unsigned long>(z->bytes_dropped), static_cast<unsigned long>(z->frames_dropped));
  }
  for (const auto& m : misses) std::printf("[ miss     ] %s\n", m.c_str());
  for (const auto& e : extras) std::printf("[ extra    ] %s\n", e.c_str());
  for (const auto& n : notes) std::printf("[ errors   ] %s\n", n.c_str());
  for (const auto& w : wrong) ADD_FAILURE() << w;
  const auto& c = d.counters();
  std::printf(
      "[ counters ] initial=%lu decrypted=%lu failed=%lu derivations=%lu cache_hits=%lu crypto_frames=%lu "
      "unexpected_frames=%lu malformed_frames=%lu foreign_dcid=%lu\n",
      static_cast<unsigned long>(c.initial_packets), static_cast<unsigned long>(c.decrypted_packets),
      static_cast<unsigned long>(c.decrypt_failures), static_cast<unsigned long>(c.key_derivations),
      static_cast<unsigned long>(c.key_cache_hits), static_cast<unsigned long>(c.crypto_frames),
      static_cast<unsigned long>(c.unexpected_frames), static_cast<unsigned long>(c.malformed_frames),
      static_cast<unsigned long>(c.foreign_dcid_packets));
  std::string by_status;
  for (size_t i = 0; i < c.datagrams.size(); ++i) {
    by_status += " " + std::string(kQuicStatusNames[i]) + "=" + std::to_string(c.datagrams[i]);
  }
  std::printf("[ counters ] datagrams:%s\n", by_status.c_str());
  (void)extra;
}

}  // namespace
}  // namespace spanwatch::lib
