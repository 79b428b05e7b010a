// Tests for the SSH identification line + KEXINIT parser and HASSH: hand-built handshakes fed whole, in
// every two-piece split and byte by byte; hostile input; and agreement with the corpus truth (JA4 Rust
// snapshots' ssh_extras for HASSH/HASSH-server/banners, tshark ssh.protocol, Zeek ssh.log client/server).
#include "lib/app/ssh_handshake.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cctype>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "lib/app/app_test_pcap.hpp"
#include "lib/fingerprint/hassh.hpp"

namespace spanwatch::lib {
namespace {

using apptest::Bytes;

void put32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}

Bytes text(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A binary packet (RFC 4253 6) around `payload`, padded to a multiple of 8 with at least 4 bytes.
Bytes packet(const Bytes& payload) {
  size_t pad = 8 - (5 + payload.size()) % 8;
  if (pad < 4) pad += 8;
  Bytes b;
  put32(b, uint32_t(1 + payload.size() + pad));
  b.push_back(uint8_t(pad));
  b.insert(b.end(), payload.begin(), payload.end());
  b.insert(b.end(), pad, 0);
  return b;
}

const std::vector<std::string> kLists = {"curve25519-sha256,diffie-hellman-group14-sha256",
                                         "ssh-ed25519,rsa-sha2-512",
                                         "aes128-ctr,aes256-gcm@openssh.com",
                                         "chacha20-poly1305@openssh.com",
                                         "hmac-sha2-256",
                                         "umac-64@openssh.com",
                                         "none",
                                         "none,zlib@openssh.com",
                                         "",
                                         ""};

Bytes kexinit_payload(const std::vector<std::string>& lists, bool follows = false) {
  Bytes p = {kSshMsgKexInit};
  for (int i = 0; i < 16; ++i) p.push_back(uint8_t(0xc0 + i));
  for (const auto& l : lists) {
    put32(p, uint32_t(l.size()));
    p.insert(p.end(), l.begin(), l.end());
  }
  p.push_back(follows ? 1 : 0);
  put32(p, 0);
  return p;
}

Bytes kexinit(const std::vector<std::string>& lists = kLists, bool follows = false) {
  return packet(kexinit_payload(lists, follows));
}

SshHandshakeParser feed_all(const Bytes& b, SshRole role = SshRole::kClient) {
  SshHandshakeParser p(role);
  p.feed(b.data(), b.size());
  return p;
}

void expect_kex_lists(const SshHandshakeParser& p, const std::vector<std::string>& lists) {
  ASSERT_TRUE(p.has_kexinit());
  for (size_t i = 0; i < kSshListCount; ++i) {
    EXPECT_EQ(p.kexinit().list(SshList(i)), lists[i]) << i;
    EXPECT_FALSE(p.kexinit().lists[i].truncated()) << i;
  }
}

// Structural invariants that must hold whatever the input was.
void check_invariants(const SshHandshakeParser& p) {
  const SshBanner& b = p.banner();
  ASSERT_LE(b.len, kSshBannerMax);
  ASSERT_LE(size_t(4) + b.proto_len, size_t(kSshBannerMax) + 1);
  ASSERT_LE(size_t(b.software_off) + b.software_len, b.len + size_t(1));
  ASSERT_LE(size_t(b.comments_off) + b.comments_len, b.len + size_t(1));
  const SshKexInit& k = p.kexinit();
  ASSERT_LE(k.pool_used, kSshNameListPool);
  for (const auto& l : k.lists) {
    ASSERT_LE(size_t(l.off) + l.len, kSshNameListPool);
    ASSERT_LE(l.len, l.wire_len);
  }
}

std::string md5_text(const Hassh& h) {
  const auto hex = hex_lower(h.md5);
  return {hex.data(), hex.size()};
}

TEST(Hassh, KnownValues) {
  Hassh h;
  hassh("curve25519-sha256,diffie-hellman-group14-sha256", "aes128-ctr,aes256-gcm@openssh.com",
        "hmac-sha2-256", "none", h);
  // python3: hashlib.md5(b"curve25519-sha256,...;aes128-ctr,aes256-gcm@openssh.com;hmac-sha2-256;none")
  EXPECT_EQ(md5_text(h), "b21aaabfc9d2e45bafeef69aa7e7fada");
  EXPECT_EQ(
      h.algorithms(),
      "curve25519-sha256,diffie-hellman-group14-sha256;aes128-ctr,aes256-gcm@openssh.com;hmac-sha2-256;none");
  EXPECT_FALSE(h.raw_truncated);
  hassh("", "", "", "", h);
  EXPECT_EQ(md5_text(h), "95420f9d932ddd22833f17b96a80bedb");  // md5(";;;")
  EXPECT_EQ(h.algorithms(), ";;;");
}

TEST(Hassh, LongInputKeepsExactHashAndCutsRaw) {
  const std::string kex(3000, 'k');
  Hassh h;
  hassh(kex, "e", "m", "c", h);
  const std::string joined = kex + ";e;m;c";
  char want[Md5::kHexLen + 1];
  md5_hex(joined.data(), joined.size(), want);
  EXPECT_EQ(md5_text(h), want);
  EXPECT_TRUE(h.raw_truncated);
  EXPECT_EQ(h.raw_len, kHasshRawMax);
  EXPECT_EQ(h.algorithms(), joined.substr(0, kHasshRawMax));
  EXPECT_EQ(h.raw[kHasshRawMax], '\0');
}

TEST(SshHandshake, ClientBannerAndKexInitInOneSegment) {
  const Bytes b = cat({text("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n"), kexinit(kLists, true)});
  const SshHandshakeParser p = feed_all(b);
  EXPECT_EQ(p.status(), SshStatus::kDone);
  ASSERT_TRUE(p.has_banner());
  EXPECT_EQ(p.banner().text(), "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5");
  EXPECT_EQ(p.banner().proto_version(), "2.0");
  EXPECT_EQ(p.banner().software(), "OpenSSH_9.6p1");
  EXPECT_EQ(p.banner().comments(), "Ubuntu-3ubuntu13.5");
  EXPECT_FALSE(p.banner().truncated);
  expect_kex_lists(p, kLists);
  EXPECT_TRUE(p.kexinit().first_kex_packet_follows);
  EXPECT_EQ(p.kexinit().cookie[0], 0xc0);
  EXPECT_EQ(p.kexinit().cookie[15], 0xcf);
  EXPECT_EQ(p.bytes_consumed() + p.kexinit().padding_len + 4, b.size());  // reserved + padding not read
  Hassh h;
  ASSERT_TRUE(ssh_hassh(p.kexinit(), SshRole::kClient, h));
  EXPECT_EQ(md5_text(h), "b21aaabfc9d2e45bafeef69aa7e7fada");
  ASSERT_TRUE(ssh_hassh(p.kexinit(), SshRole::kServer, h));
  EXPECT_EQ(
      h.algorithms(),
      "curve25519-sha256,diffie-hellman-group14-sha256;chacha20-poly1305@openssh.com;umac-64@openssh.com;"
      "none,zlib@openssh.com");
  EXPECT_EQ(md5_text(h), "ea86c7125d582f98dce4a2716259a094");
}

TEST(SshHandshake, EverySplitAndByteByByteGiveTheSameResult) {
  const Bytes b = cat({text("SSH-2.0-PuTTY_Release_0.81\r\n"), kexinit()});
  const SshHandshakeParser whole = feed_all(b);
  ASSERT_EQ(whole.status(), SshStatus::kDone);
  for (size_t cut = 0; cut <= b.size(); ++cut) {
    SshHandshakeParser p;
    p.feed(b.data(), cut);
    p.feed(b.data() + cut, b.size() - cut);
    ASSERT_EQ(p.status(), SshStatus::kDone) << cut;
    ASSERT_EQ(p.banner().text(), whole.banner().text()) << cut;
    expect_kex_lists(p, kLists);
  }
  SshHandshakeParser p;
  size_t i = 0;
  for (; i < b.size() && p.status() == SshStatus::kNeedMore; ++i) p.feed(&b[i], 1);
  EXPECT_EQ(p.status(), SshStatus::kDone);
  EXPECT_EQ(i, b.size() - 4 - p.kexinit().padding_len);  // done at first_kex_packet_follows
  EXPECT_EQ(p.bytes_consumed(), i);
  expect_kex_lists(p, kLists);
  // Further bytes change nothing.
  p.feed(b.data(), b.size());
  EXPECT_EQ(p.status(), SshStatus::kDone);
  EXPECT_EQ(p.banner().text(), "SSH-2.0-PuTTY_Release_0.81");
}

TEST(SshHandshake, ServerPreBannerLinesAndBareLf) {
  const Bytes b = cat({text("Welcome\r\n\n _____ \nSSH-1.99-OpenSSH_3.9p1\n"), kexinit()});
  const SshHandshakeParser p = feed_all(b, SshRole::kServer);
  EXPECT_EQ(p.status(), SshStatus::kDone);
  EXPECT_EQ(p.banner().text(), "SSH-1.99-OpenSSH_3.9p1");
  EXPECT_EQ(p.banner().pre_banner_lines, 3);
  EXPECT_EQ(p.banner().proto_version(), "1.99");
  EXPECT_TRUE(p.banner().is_v2());
  EXPECT_EQ(p.banner().comments(), "");
  expect_kex_lists(p, kLists);
  // A line that starts like the prefix but is not it ("SSX-") is a pre-banner line too.
  EXPECT_EQ(feed_all(cat({text("SSX-2.0-x\r\nSSH-2.0-y\r\n"), kexinit()}), SshRole::kServer).banner().text(),
            "SSH-2.0-y");
  // A client must open with the banner.
  EXPECT_EQ(feed_all(text("Welcome\r\nSSH-2.0-x\r\n")).status(), SshStatus::kNotSsh);
  EXPECT_EQ(feed_all(text("GET / HTTP/1.1\r\n")).status(), SshStatus::kNotSsh);
  EXPECT_EQ(feed_all(text("\r\n")).status(), SshStatus::kNotSsh);
  EXPECT_EQ(feed_all(text("SSH\n")).status(), SshStatus::kNotSsh);
}

TEST(SshHandshake, Ssh1BannerEndsWithoutKexInit) {
  const SshHandshakeParser p = feed_all(text("SSH-1.5-1.2.26\n\x00\x00\x01\x04garbage"));
  EXPECT_EQ(p.status(), SshStatus::kDone);
  EXPECT_TRUE(p.has_banner());
  EXPECT_FALSE(p.has_kexinit());
  EXPECT_EQ(p.banner().text(), "SSH-1.5-1.2.26");
  EXPECT_EQ(p.banner().software(), "1.2.26");
  EXPECT_FALSE(p.banner().is_v2());
}

TEST(SshHandshake, BannerOddShapes) {
  // No software part, a NUL inside, a CR in the middle: kept as sent.
  EXPECT_EQ(feed_all(text("SSH-2.0\r\n")).banner().text(), "SSH-2.0");
  EXPECT_EQ(feed_all(text("SSH-2.0\r\n")).banner().software(), "");
  const Bytes with_nul = cat({text("SSH-2.0-a"), Bytes{0}, text("b\rc\r\n")});
  const SshHandshakeParser p = feed_all(with_nul);
  EXPECT_EQ(p.banner().len, 13);
  EXPECT_EQ(p.banner().text(), std::string("SSH-2.0-a\0b\rc", 13));
  // Only the CR right before LF is dropped; CR CR LF keeps one.
  EXPECT_EQ(feed_all(text("SSH-2.0-x\r\r\n")).banner().text(), "SSH-2.0-x\r");
}

TEST(SshHandshake, LongLinesAreCutOrRejected) {
  const std::string long_banner = "SSH-2.0-" + std::string(300, 'a');
  SshHandshakeParser p = feed_all(cat({text(long_banner + "\r\n"), kexinit()}));
  EXPECT_EQ(p.status(), SshStatus::kDone);
  EXPECT_TRUE(p.banner().truncated);
  EXPECT_EQ(p.banner().len, kSshBannerMax);
  EXPECT_EQ(p.banner().text(), long_banner.substr(0, kSshBannerMax));
  EXPECT_EQ(p.banner().line[kSshBannerMax], '\0');
  // Exactly 255 bytes plus CR LF is not truncated.
  const std::string exact = "SSH-2.0-" + std::string(kSshBannerMax - 8, 'b');
  p = feed_all(text(exact + "\r\n"));
  EXPECT_FALSE(p.banner().truncated);
  EXPECT_EQ(p.banner().text(), exact);
  // No LF within kSshMaxLineScan.
  EXPECT_EQ(feed_all(text("SSH-2.0-" + std::string(kSshMaxLineScan, 'x'))).status(), SshStatus::kMalformed);
  EXPECT_EQ(feed_all(text(std::string(kSshMaxLineScan + 1, 'x')), SshRole::kServer).status(),
            SshStatus::kNotSsh);
  // Endless short pre-banner lines.
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "x\n";
  EXPECT_EQ(feed_all(text(many), SshRole::kServer).status(), SshStatus::kNotSsh);
  std::string big;
  for (int i = 0; i < 40; ++i) big += std::string(500, 'y') + "\n";
  EXPECT_EQ(feed_all(text(big), SshRole::kServer).status(), SshStatus::kNotSsh);
}

TEST(SshHandshake, SkipsNonKexInitPacketsUpToALimit) {
  const Bytes ignore = packet(Bytes{2, 0, 0, 0, 3, 'a', 'b', 'c'});  // SSH_MSG_IGNORE
  Bytes b = cat({text("SSH-2.0-x\r\n"), ignore, ignore, kexinit()});
  SshHandshakeParser p = feed_all(b);
  EXPECT_EQ(p.status(), SshStatus::kDone);
  EXPECT_EQ(p.skipped_packets(), 2);
  expect_kex_lists(p, kLists);
  b = text("SSH-2.0-x\r\n");
  for (int i = 0; i <= kSshMaxSkippedPackets; ++i) b = cat({b, ignore});
  EXPECT_EQ(feed_all(cat({b, kexinit()})).status(), SshStatus::kMalformed);
}

TEST(SshHandshake, ImpossibleLengthsAreMalformed) {
  const Bytes banner = text("SSH-2.0-x\r\n");
  auto with_header = [&](uint32_t len, uint8_t pad, Bytes rest = {}) {
    Bytes b = banner;
    put32(b, len);
    b.push_back(pad);
    return feed_all(cat({b, rest})).status();
  };
  EXPECT_EQ(with_header(0xffffffff, 4), SshStatus::kMalformed);
  EXPECT_EQ(with_header(kSshMaxPacketLen + 1, 4), SshStatus::kMalformed);
  EXPECT_EQ(with_header(5, 4), SshStatus::kMalformed);  // no room for the message number
  EXPECT_EQ(with_header(0, 0), SshStatus::kMalformed);
  EXPECT_EQ(with_header(12, 4, Bytes{20, 1, 2, 3}), SshStatus::kMalformed);      // cookie does not fit
  EXPECT_EQ(with_header(kSshMaxPacketLen, 4, Bytes{20}), SshStatus::kNeedMore);  // large but legal
  // A name-list longer than the packet.
  Bytes payload = kexinit_payload(kLists);
  payload[17] = 0x7f;  // kex list length becomes ~2^31
  EXPECT_EQ(feed_all(cat({banner, packet(payload)})).status(), SshStatus::kMalformed);
  // Lists end exactly at the payload end (no first_kex_packet_follows byte): accepted.
  payload = kexinit_payload(kLists);
  payload.resize(payload.size() - 5);
  const SshHandshakeParser p = feed_all(cat({banner, packet(payload)}));
  EXPECT_EQ(p.status(), SshStatus::kDone);
  expect_kex_lists(p, kLists);
  // Lists run out before the tenth: the next length field does not fit.
  payload = kexinit_payload({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"});
  payload.resize(17 + 8 * 5);
  EXPECT_EQ(feed_all(cat({banner, packet(payload)})).status(), SshStatus::kMalformed);
}

TEST(SshHandshake, OversizedListsAreCutAndHasshRefuses) {
  std::vector<std::string> lists = kLists;
  lists[size_t(SshList::kHostKey)] = std::string(5000, 'h');  // capped at kSshMinorListMax
  SshHandshakeParser p = feed_all(cat({text("SSH-2.0-x\r\n"), kexinit(lists)}));
  ASSERT_EQ(p.status(), SshStatus::kDone);
  EXPECT_TRUE(p.kexinit().lists[size_t(SshList::kHostKey)].truncated());
  EXPECT_EQ(p.kexinit().list(SshList::kHostKey).size(), kSshMinorListMax);
  EXPECT_EQ(p.kexinit().lists[size_t(SshList::kHostKey)].wire_len, 5000u);
  Hassh h;
  EXPECT_TRUE(ssh_hassh(p.kexinit(), SshRole::kClient, h));  // the HASSH lists still fit
  EXPECT_EQ(md5_text(h), "b21aaabfc9d2e45bafeef69aa7e7fada");

  lists = kLists;
  lists[size_t(SshList::kKex)] = std::string(3000, 'k');
  p = feed_all(cat({text("SSH-2.0-x\r\n"), kexinit(lists)}));
  ASSERT_EQ(p.status(), SshStatus::kDone);
  EXPECT_TRUE(p.kexinit().lists[size_t(SshList::kKex)].truncated());
  EXPECT_EQ(p.kexinit().pool_used, kSshNameListPool);
  EXPECT_FALSE(ssh_hassh(p.kexinit(), SshRole::kClient, h));
  EXPECT_EQ(h.md5, Md5Digest{});
  check_invariants(p);
}

TEST(SshHandshake, RandomAndMutatedInputNeverBreaksInvariants) {
  std::mt19937 rng(12345);
  const Bytes good = cat({text("SSH-2.0-OpenSSH_9.6\r\n"), kexinit()});
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b;
    if (iter % 3 == 0) {
      b.resize(rng() % 600);
      for (auto& x : b) x = uint8_t(rng());
      if (iter % 2 == 0 && b.size() > 8) std::memcpy(b.data(), "SSH-2.0-", 8);
    } else {
      b = good;
      const int flips = 1 + int(rng() % 6);
      for (int f = 0; f < flips; ++f) b[rng() % b.size()] = uint8_t(rng());
      if (iter % 5 == 0) b.resize(rng() % b.size());
    }
    SshHandshakeParser p(iter % 2 ? SshRole::kServer : SshRole::kClient);
    size_t off = 0;
    while (off < b.size()) {
      const size_t n = std::min<size_t>(1 + rng() % 40, b.size() - off);
      // An exact-size copy so that a read past the chunk is a heap overflow under ASan.
      std::unique_ptr<uint8_t[]> chunk(new uint8_t[n]);
      std::memcpy(chunk.get(), b.data() + off, n);
      p.feed(chunk.get(), n);
      off += n;
    }
    check_invariants(p);
    if (p.has_kexinit()) {
      Hassh h;
      ssh_hassh(p.kexinit(), p.role(), h);
      ASSERT_LE(h.raw_len, kHasshRawMax);
    }
  }
  SshHandshakeParser p;
  EXPECT_EQ(p.feed(nullptr, 10), SshStatus::kNeedMore);
  EXPECT_EQ(p.feed(good.data(), 0), SshStatus::kNeedMore);
}

// ---- corpus ----

struct DirResult {
  SshHandshakeParser parser;
  std::string banner() const { return parser.has_banner() ? std::string(parser.banner().text()) : "-"; }
  std::string hassh() const {
    Hassh h;
    if (!parser.has_kexinit() || !ssh_hassh(parser.kexinit(), parser.role(), h)) return "";
    return md5_text(h);
  }
};

struct SshConv {
  const apptest::Conversation* conv = nullptr;
  int client = 0;  // direction index of the client
  DirResult dir[2];
};

// Feeds both directions of every TCP conversation, in the chunks in which the data arrived.
std::vector<SshConv> parse_ssh(const std::vector<apptest::Conversation>& convs) {
  std::vector<SshConv> out;
  for (const auto& c : convs) {
    if (c.proto != 6) continue;
    SshConv s;
    s.conv = &c;
    // The SYN sender is the client; without a SYN, the side on the lower (service) port is the server.
    s.client = c.syn_dir >= 0 ? c.syn_dir : (c.port[0] < c.port[1] ? 1 : 0);
    for (int d = 0; d < 2; ++d) {
      s.dir[d].parser = SshHandshakeParser(d == s.client ? SshRole::kClient : SshRole::kServer);
      for (const auto& ch : c.chunks[d]) s.dir[d].parser.feed(ch.data(), ch.size());
    }
    out.push_back(std::move(s));
  }
  return out;
}

// RFC 4253 7.1: the first algorithm on the client's list that the server also lists.
std::string negotiate(std::string_view client, std::string_view server) {
  const auto srv = apptest::split(std::string(server), ',');
  for (const auto& c : apptest::split(std::string(client), ',')) {
    if (std::find(srv.begin(), srv.end(), c) != srv.end()) return c;
  }
  return "";
}

struct Tally {
  int total = 0, ok = 0;
  std::vector<std::string> misses;
  void check(bool good, const std::string& what) {
    ++total;
    if (good) {
      ++ok;
    } else {
      misses.push_back(what);
    }
  }
  void print(const char* name) const {
    std::printf("%-28s %d/%d\n", name, ok, total);
    for (const auto& m : misses) std::printf("    miss: %s\n", m.c_str());
  }
};

TEST(SshCorpus, AgreesWithJa4TsharkAndZeek) {
  const auto root = apptest::corpus_root();
  if (!std::filesystem::is_directory(root / "pcaps")) GTEST_SKIP() << "no corpus at " << root;
  Tally hassh_c, hassh_s, ja4_banner, tshark_banner, zeek_banner, zeek_algs, ndpi_hassh;
  int streams_with_banner = 0, zeek_no_tuple = 0;
  std::vector<std::string> ndpi_swapped;
  for (const auto& pcap : apptest::corpus_pcaps()) {
    const std::string name = pcap.parent_path().filename().string() + "/" + pcap.filename().string();
    const auto ja4_json = root / "truth" / "ja4" / (pcap.filename().string() + ".json");
    const auto rows = apptest::read_tshark_conv(pcap);
    const auto zeek = apptest::zeek_log_path(pcap, "ssh");
    bool tshark_has_ssh = false;
    for (const auto& r : rows)
      tshark_has_ssh = tshark_has_ssh || r["ssh_banner_a"] != "-" || r["ssh_banner_b"] != "-";
    const bool ja4_here = pcap.parent_path().filename() == "ja4" && std::filesystem::exists(ja4_json);
    const std::string ndpi42 = apptest::read_text(root / "truth" / "ndpi42" / pcap.parent_path().filename() /
                                                  (pcap.filename().string() + ".flows.txt"));
    if (!tshark_has_ssh && zeek.empty() && ndpi42.find("HASSH") == std::string::npos &&
        !(ja4_here && apptest::read_text(ja4_json).find("ssh_extras") != std::string::npos)) {
      continue;
    }
    std::string err;
    const auto convs = apptest::read_conversations(pcap.string(), err);
    const auto ssh = parse_ssh(convs);
    for (const auto& s : ssh)
      streams_with_banner += s.dir[0].parser.has_banner() || s.dir[1].parser.has_banner();
    auto find = [&](const std::string& a, uint16_t pa, const std::string& b, uint16_t pb) -> const SshConv* {
      for (const auto& s : ssh) {
        if (s.conv->same_endpoints(a, pa, b, pb)) return &s;
      }
      return nullptr;
    };

    // JA4 (Rust/Python) ssh_extras: hassh of the client, hassh_server, both banners.
    if (ja4_here) {
      rapidjson::Document doc;
      doc.Parse(apptest::read_text(ja4_json).c_str());
      for (const auto& row : doc.GetArray()) {
        if (!row.IsObject() || !row.HasMember("ssh_extras")) continue;
        const auto& x = row["ssh_extras"];
        const std::string src = row["src"].GetString(), dst = row["dst"].GetString();
        const auto sp = uint16_t(std::atoi(row["srcport"].GetString()));
        const auto dp = uint16_t(std::atoi(row["dstport"].GetString()));
        const SshConv* s = find(src, sp, dst, dp);
        if (s == nullptr) {  // ja4 reports tunnelled streams with outer addresses: match by ports
          for (const auto& c : ssh) {
            if ((c.conv->port[0] == sp && c.conv->port[1] == dp) ||
                (c.conv->port[0] == dp && c.conv->port[1] == sp)) {
              s = &c;
            }
          }
        }
        const std::string where = name + " " + src + ":" + std::to_string(sp);
        if (s == nullptr) {
          hassh_c.check(false, where + " no stream");
          continue;
        }
        const DirResult& cl = s->dir[s->client];
        const DirResult& sv = s->dir[1 - s->client];
        hassh_c.check(cl.hassh() == x["hassh"].GetString(),
                      where + " hassh want '" + x["hassh"].GetString() + "' got '" + cl.hassh() + "'");
        hassh_s.check(
            sv.hassh() == x["hassh_server"].GetString(),
            where + " hassh_server want '" + x["hassh_server"].GetString() + "' got '" + sv.hassh() + "'");
        ja4_banner.check(cl.banner() == x["ssh_protocol_client"].GetString(),
                         where + " client banner got " + cl.banner());
        ja4_banner.check(sv.banner() == x["ssh_protocol_server"].GetString(),
                         where + " server banner got " + sv.banner());
      }
    }

    // nDPI (4.11 .out and Debian 4.2 .flows.txt): HASSH-C / HASSH-S per flow line. nDPI prints the
    // MD5 of an empty string when it saw no KEXINIT; those lines are skipped.
    const std::filesystem::path ndpi_files[] = {root / "truth" / "ndpi" / (pcap.filename().string() + ".out"),
                                                root / "truth" / "ndpi42" / pcap.parent_path().filename() /
                                                    (pcap.filename().string() + ".flows.txt")};
    for (const auto& nf : ndpi_files) {
      if (pcap.parent_path().filename() != "ndpi" && nf == ndpi_files[0]) continue;
      for (const auto& line : apptest::split(apptest::read_text(nf), '\n')) {
        if (line.find("HASSH-") == std::string::npos) continue;
        const auto f = apptest::split(line.substr(line.find("TCP ")), ' ');
        if (f.size() < 4) continue;
        auto endpoint = [](std::string t, std::string& addr) {
          const size_t c = t.rfind(':');
          addr = t.substr(0, c);
          if (!addr.empty() && addr.front() == '[') addr = addr.substr(1, addr.size() - 2);
          return uint16_t(std::atoi(t.c_str() + c + 1));
        };
        std::string a, b;
        const uint16_t pa = endpoint(f[1], a), pb = endpoint(f[3], b);
        const SshConv* s = find(a, pa, b, pb);
        const std::string where =
            nf.parent_path().filename().string() + "/" + nf.filename().string() + " " + f[1];
        for (const char* key : {"HASSH-C: ", "HASSH-S: "}) {
          const size_t at = line.find(key);
          if (at == std::string::npos) continue;
          std::string want = line.substr(at + 9, 32);
          for (auto& ch : want) ch = char(std::tolower(ch));
          if (want == "d41d8cd98f00b204e9800998ecf8427e") continue;
          if (s == nullptr) {
            ndpi_hassh.check(false, where + " no stream");
            continue;
          }
          const bool client = key[6] == 'C';
          const std::string got = s->dir[client ? s->client : 1 - s->client].hassh();
          const std::string other = s->dir[client ? 1 - s->client : s->client].hassh();
          // nDPI decides the client by port heuristics on non-standard ports; our client is the SYN
          // sender, which Zeek and the banners confirm. A value found on the other side counts as a swap.
          if (got != want && other == want) {
            ndpi_swapped.push_back(where + " " + key + want + " is the other side's");
            continue;
          }
          ndpi_hassh.check(got == want, where + " " + key + want + " got " + got);
        }
      }
    }

    // tshark ssh.protocol per side of each conversation (only on ports tshark decodes as SSH).
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      if (r["proto"] != "tcp" || (r["ssh_banner_a"] == "-" && r["ssh_banner_b"] == "-")) continue;
      const apptest::Conversation* c = apptest::match_row(convs, rows, i);
      const SshConv* s = nullptr;
      for (const auto& x : ssh) s = x.conv == c ? &x : s;
      const std::string where = name + " " + r["conv"];
      if (s == nullptr) {
        tshark_banner.check(false, where + " no stream");
        continue;
      }
      for (int side = 0; side < 2; ++side) {
        const std::string want = r[side == 0 ? "ssh_banner_a" : "ssh_banner_b"];
        if (want == "-") continue;
        const DirResult& d = s->dir[side];  // row side a is the conversation's first sender, like ours
        tshark_banner.check(d.banner() == want, where + " side " + std::to_string(side) + " want '" + want +
                                                    "' got '" + d.banner() + "' (" +
                                                    std::string(to_string(d.parser.status())) + ")");
      }
    }

    // Zeek ssh.log: client and server identification strings by 5-tuple.
    if (!zeek.empty()) {
      for (const auto& z : apptest::read_zeek_log(zeek)) {
        const auto op = uint16_t(std::atoi(z["id.orig_p"].c_str()));
        const auto rp = uint16_t(std::atoi(z["id.resp_p"].c_str()));
        if (z["id.orig_h"] == "-") {
          ++zeek_no_tuple;  // a cut log without the 5-tuple (SSH inside WebSocket frames): nothing to match
          continue;
        }
        const SshConv* s = find(z["id.orig_h"], op, z["id.resp_h"], rp);
        const std::string where = name + " " + z["id.orig_h"] + ":" + z["id.orig_p"];
        if (s == nullptr) {
          zeek_banner.check(false, where + " no stream");
          continue;
        }
        // Zeek's orig is the client.
        const int orig = s->conv->addr[0] == z["id.orig_h"] && s->conv->port[0] == op ? 0 : 1;
        for (const char* f : {"client", "server"}) {
          const std::string want = z[f];
          if (want == "-" || want.empty()) continue;
          const DirResult& d = s->dir[std::string(f) == "client" ? orig : 1 - orig];
          zeek_banner.check(d.banner() == want,
                            where + " " + f + " want '" + want + "' got '" + d.banner() + "'");
        }
        // Zeek's negotiated algorithms exercise every list of both KEXINITs (host keys included).
        const SshHandshakeParser& cp = s->dir[orig].parser;
        const SshHandshakeParser& sp = s->dir[1 - orig].parser;
        if (!cp.has_kexinit() || !sp.has_kexinit()) continue;
        const std::pair<const char*, SshList> algs[] = {{"kex_alg", SshList::kKex},
                                                        {"host_key_alg", SshList::kHostKey},
                                                        {"cipher_alg", SshList::kEncC2s},
                                                        {"mac_alg", SshList::kMacC2s},
                                                        {"compression_alg", SshList::kCompC2s}};
        for (const auto& [field, list] : algs) {
          const std::string want = z[field];
          if (want == "-") continue;
          const std::string got = negotiate(cp.kexinit().list(list), sp.kexinit().list(list));
          zeek_algs.check(got == want, where + " " + field + " want '" + want + "' got '" + got + "'");
        }
      }
    }
  }
  std::printf("SSH corpus (%d TCP streams with a banner):\n", streams_with_banner);
  hassh_c.print("HASSH (ja4 ssh_extras)");
  hassh_s.print("HASSH-server (ja4)");
  ja4_banner.print("banners (ja4)");
  tshark_banner.print("banners (tshark)");
  zeek_banner.print("banners (zeek ssh.log)");
  zeek_algs.print("negotiated algs (zeek)");
  ndpi_hassh.print("HASSH-C/S (nDPI)");
  std::printf("nDPI client/server swapped (not counted): %zu\n", ndpi_swapped.size());
  for (const auto& m : ndpi_swapped) std::printf("    %s\n", m.c_str());
  std::printf("zeek ssh.log rows without a 5-tuple (not matchable): %d\n", zeek_no_tuple);
  EXPECT_GT(hassh_c.total, 0);
  EXPECT_EQ(hassh_c.ok, hassh_c.total);
  EXPECT_EQ(hassh_s.ok, hassh_s.total);
  EXPECT_EQ(ja4_banner.ok, ja4_banner.total);
  EXPECT_EQ(tshark_banner.ok, tshark_banner.total);
  EXPECT_EQ(zeek_banner.ok, zeek_banner.total);
  EXPECT_EQ(zeek_algs.ok, zeek_algs.total);
  EXPECT_EQ(ndpi_hassh.ok, ndpi_hassh.total);
}

}  // namespace
}  // namespace spanwatch::lib
