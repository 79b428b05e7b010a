// Tests for the HTTP/1.x head parser: hand-made requests and responses (case-insensitive names, bare LF,
// obs-fold, duplicate and bad Content-Length, bounded fields), every prefix of a head, random input, and
// agreement with nDPI's HTTP fields (truth/ndpi/*.out and truth/ndpi42/*/*.flows.txt) on the corpus.
#include "lib/app/http_message.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/app/app_test_pcap.hpp"

namespace spanwatch::lib {
namespace {

using apptest::Bytes;
using namespace std::string_literals;

// Parses from an exact-size heap copy, so that any read past the end is caught by ASan builds.
HttpStatus req(const std::string& s, HttpRequest& r) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[s.size() + 1]);
  if (!s.empty()) std::memcpy(copy.get(), s.data(), s.size());
  return parse_http_request(copy.get(), s.size(), r);
}
HttpStatus resp(const std::string& s, HttpResponse& r) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[s.size() + 1]);
  if (!s.empty()) std::memcpy(copy.get(), s.data(), s.size());
  return parse_http_response(copy.get(), s.size(), r);
}

const std::string kRequest =
    "POST /api/v1/items?id=7&x=%20y HTTP/1.1\r\n"
    "host: www.example.com:8080\r\n"
    "User-Agent: curl/8.5.0\r\n"
    "Accept: */*\r\n"
    "CONTENT-TYPE: application/json; charset=utf-8\r\n"
    "Content-Length:   27  \r\n"
    "Referer: https://example.com/start\r\n"
    "X-Forwarded-For: 203.0.113.7, 10.0.0.1\r\n"
    "\r\n"
    "{\"name\":\"widget\",\"qty\":10}";

TEST(HttpMessage, RequestFields) {
  HttpRequest r;
  ASSERT_EQ(req(kRequest, r), HttpStatus::kOk);
  EXPECT_EQ(r.method.view(), "POST");
  EXPECT_EQ(r.target.view(), "/api/v1/items?id=7&x=%20y");
  EXPECT_EQ(r.version.view(), "HTTP/1.1");
  EXPECT_EQ(r.host.view(), "www.example.com:8080");
  EXPECT_EQ(r.user_agent.view(), "curl/8.5.0");
  EXPECT_EQ(r.head.content_type.view(), "application/json; charset=utf-8");
  EXPECT_TRUE(r.head.has_content_length);
  EXPECT_EQ(r.head.content_length, 27u);
  EXPECT_FALSE(r.head.bad_content_length);
  EXPECT_EQ(r.referer.view(), "https://example.com/start");
  EXPECT_EQ(r.x_forwarded_for.view(), "203.0.113.7, 10.0.0.1");
  EXPECT_TRUE(r.head.complete);
  EXPECT_EQ(r.head.head_len, kRequest.find("\r\n\r\n") + 4);
  EXPECT_EQ(r.head.header_lines, 7);
  EXPECT_FALSE(r.head.bare_lf);
  EXPECT_FALSE(r.host.truncated);
}

TEST(HttpMessage, UnencodedSpacesInTheTargetKeepTheWholeTarget) {
  HttpRequest r;
  ASSERT_EQ(req("GET /a b?q=\"><img src=x onerror=alert(4)> HTTP/1.1\r\nHost: h\r\n\r\n", r),
            HttpStatus::kOk);
  EXPECT_EQ(r.target.view(), "/a b?q=\"><img src=x onerror=alert(4)>");
  EXPECT_EQ(r.version.view(), "HTTP/1.1");
  EXPECT_EQ(req("GET /a b c\r\n\r\n", r), HttpStatus::kNotHttp);  // no version at the end: not HTTP
}

TEST(HttpMessage, ResponseFields) {
  const std::string s =
      "HTTP/1.1 301 Moved Permanently\r\nServer: nginx/1.25.3\r\nLocation: https://example.com/\r\n"
      "Content-Type: text/html\r\nContent-Length: 169\r\nConnection: keep-alive\r\n\r\n<html>";
  HttpResponse r;
  ASSERT_EQ(resp(s, r), HttpStatus::kOk);
  EXPECT_EQ(r.version.view(), "HTTP/1.1");
  EXPECT_EQ(r.status_code, 301);
  EXPECT_EQ(r.reason.view(), "Moved Permanently");
  EXPECT_EQ(r.server.view(), "nginx/1.25.3");
  EXPECT_EQ(r.location.view(), "https://example.com/");
  EXPECT_EQ(r.head.content_type.view(), "text/html");
  EXPECT_EQ(r.head.content_length, 169u);
  // No reason phrase (with and without the space), HTTP/1.0.
  ASSERT_EQ(resp("HTTP/1.0 204\r\n\r\n", r), HttpStatus::kOk);
  EXPECT_EQ(r.status_code, 204);
  EXPECT_EQ(r.reason.view(), "");
  ASSERT_EQ(resp("HTTP/1.1 200 \r\n\r\n", r), HttpStatus::kOk);
  EXPECT_EQ(r.status_code, 200);
  // Not a status line.
  EXPECT_EQ(resp("HTTP/1.1 2000 OK\r\n\r\n", r), HttpStatus::kNotHttp);
  EXPECT_EQ(resp("HTTP/1.1 20x OK\r\n\r\n", r), HttpStatus::kNotHttp);
  EXPECT_EQ(resp("HTTP/11 200 OK\r\n\r\n", r), HttpStatus::kNotHttp);
  EXPECT_EQ(resp("SSH-2.0-OpenSSH\r\n", r), HttpStatus::kNotHttp);
  EXPECT_EQ(resp("HTTP/1.", r), HttpStatus::kNeedMore);
  EXPECT_EQ(resp("HTTX", r), HttpStatus::kNotHttp);
}

TEST(HttpMessage, BareLfFoldingOddNamesAndDuplicates) {
  const std::string s =
      "\r\nGET   /a   HTTP/1.0\n"  // a leading empty line; several spaces
      "Host:example.org\n"
      "X-Long: part one\n"
      "  continued\n"            // obs-fold: skipped
      "no colon here\n"          // bad line
      "Bad Name: x\n"            // space inside the name
      "Host : second.example\n"  // the first Host wins
      "user-agent:\tTab\t \n"
      "Content-Length: 5\n"
      "Content-Length: 6\n"  // conflicting
      "\n";
  HttpRequest r;
  ASSERT_EQ(req(s, r), HttpStatus::kOk);
  EXPECT_EQ(r.method.view(), "GET");
  EXPECT_EQ(r.target.view(), "/a");
  EXPECT_EQ(r.version.view(), "HTTP/1.0");
  EXPECT_EQ(r.host.view(), "example.org");
  EXPECT_EQ(r.user_agent.view(), "Tab");
  EXPECT_TRUE(r.head.bare_lf);
  EXPECT_EQ(r.head.folded_lines, 1);
  EXPECT_EQ(r.head.bad_lines, 2);
  EXPECT_EQ(r.head.content_length, 5u);
  EXPECT_TRUE(r.head.bad_content_length);
  EXPECT_FALSE(r.referer.present);
  // Identical list values are accepted; junk, signs and overflow are not.
  ASSERT_EQ(req("GET / HTTP/1.1\r\nContent-Length: 7, 7\r\n\r\n", r), HttpStatus::kOk);
  EXPECT_EQ(r.head.content_length, 7u);
  EXPECT_FALSE(r.head.bad_content_length);
  for (const char* v : {"-1", "+5", "1 2", "", "0x10", "99999999999999999999", "7, 8"}) {
    ASSERT_EQ(req(std::string("GET / HTTP/1.1\r\nContent-Length: ") + v + "\r\n\r\n", r), HttpStatus::kOk);
    EXPECT_FALSE(r.head.has_content_length) << v;
    EXPECT_TRUE(r.head.bad_content_length) << v;
  }
  // NUL and a stray CR inside a value become spaces (RFC 9110 5.5), as in the corpus' fuzzed MMS request.
  ASSERT_EQ(req("GET / HTTP/1.1\r\nHost:%s\0"
                "2.20.3.5\r\nUser-Agent: a\rb\r\n\r\n"s,
                r),
            HttpStatus::kOk);
  EXPECT_EQ(r.host.view(), "%s 2.20.3.5");
  EXPECT_EQ(r.user_agent.view(), "a b");
  // HTTP/0.9 simple request; the empty Host value is present but empty.
  ASSERT_EQ(req("GET /old\r\nHost:\r\n\r\n", r), HttpStatus::kOk);
  EXPECT_EQ(r.version.view(), "");
  EXPECT_FALSE(r.version.present);
  EXPECT_TRUE(r.host.present);
  EXPECT_EQ(r.host.view(), "");
}

TEST(HttpMessage, NotHttpAndIncomplete) {
  HttpRequest r;
  EXPECT_EQ(req("\x16\x03\x01\x02\x00\x01", r), HttpStatus::kNotHttp);  // TLS
  EXPECT_EQ(req("SSH-2.0-OpenSSH_9\r\n", r), HttpStatus::kNotHttp);
  EXPECT_EQ(req("GET\r\n\r\n", r), HttpStatus::kNotHttp);
  EXPECT_EQ(req("GET  HTTP/1.1\r\n\r\n", r), HttpStatus::kNotHttp);  // no target (not HTTP/0.9 either)
  EXPECT_EQ(req("POST /x\r\n\r\n", r), HttpStatus::kNotHttp);        // no version and not GET
  EXPECT_EQ(req("GET /a\x01 HTTP/1.1\r\n\r\n", r), HttpStatus::kNotHttp);
  EXPECT_EQ(req("GET / HTTP/1.1 extra\r\n\r\n", r), HttpStatus::kNotHttp);
  EXPECT_EQ(req("ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n", r), HttpStatus::kNotHttp);  // 17-char method
  EXPECT_EQ(req("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n", r), HttpStatus::kNotHttp);
  EXPECT_EQ(req("", r), HttpStatus::kNeedMore);
  EXPECT_EQ(req("GE", r), HttpStatus::kNeedMore);
  EXPECT_EQ(req("GET /inde", r), HttpStatus::kNeedMore);
  EXPECT_EQ(req("G{T", r), HttpStatus::kNotHttp);
  EXPECT_EQ(req(std::string(kHttpMaxStartLine + 1, 'G'), r), HttpStatus::kNotHttp);
  EXPECT_EQ(req("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n", r), HttpStatus::kOk);  // SSDP
  EXPECT_EQ(r.host.view(), "239.255.255.250:1900");
  EXPECT_EQ(parse_http_request(nullptr, 5, r), HttpStatus::kNeedMore);
}

TEST(HttpMessage, EveryPrefixIsConsistent) {
  HttpRequest full;
  ASSERT_EQ(req(kRequest, full), HttpStatus::kOk);
  const size_t head = full.head.head_len;
  for (size_t n = 0; n <= kRequest.size(); ++n) {
    HttpRequest r;
    const HttpStatus s = req(kRequest.substr(0, n), r);
    ASSERT_EQ(s, n < head ? HttpStatus::kNeedMore : HttpStatus::kOk) << n;
    if (n >= kRequest.find("\r\n") + 2) {
      ASSERT_EQ(r.method.view(), "POST") << n;
    }
    // A field is only set once its whole line has arrived.
    const size_t ua_end = kRequest.find("\r\n", kRequest.find("User-Agent")) + 1;
    ASSERT_EQ(r.user_agent.present, n > ua_end) << n;
    if (r.user_agent.present) {
      ASSERT_EQ(r.user_agent.view(), "curl/8.5.0") << n;
    }
  }
}

TEST(HttpMessage, LongValuesAreCutAndManyHeadersBounded) {
  const std::string ua(1000, 'u');
  HttpRequest r;
  ASSERT_EQ(req("GET /" + std::string(2000, 'p') + " HTTP/1.1\r\nUser-Agent: " + ua + "\r\n\r\n", r),
            HttpStatus::kOk);
  EXPECT_TRUE(r.user_agent.truncated);
  EXPECT_EQ(r.user_agent.len, kHttpUserAgentMax);
  EXPECT_EQ(r.user_agent.buf[kHttpUserAgentMax], '\0');
  EXPECT_TRUE(r.target.truncated);
  EXPECT_EQ(r.target.len, kHttpTargetMax);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 400; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  many += "Host: late.example\r\n\r\n";
  ASSERT_EQ(req(many, r), HttpStatus::kOk);
  EXPECT_EQ(r.head.header_lines, kHttpMaxHeaderLines);
  EXPECT_FALSE(r.host.present);  // past the examined lines
  EXPECT_TRUE(r.head.complete);
  EXPECT_EQ(r.head.head_len, many.size());
}

TEST(HttpMessage, StreamPrefixCollectsSegments) {
  StreamPrefix<64> p;
  const std::string a = "GET / HTTP/1.1\r\nHost: a", b = ".example\r\n\r\n";
  p.append(reinterpret_cast<const uint8_t*>(a.data()), a.size());
  HttpRequest r;
  EXPECT_EQ(parse_http_request(p.data(), p.size(), r), HttpStatus::kNeedMore);
  EXPECT_FALSE(r.host.present);
  p.append(reinterpret_cast<const uint8_t*>(b.data()), b.size());
  ASSERT_EQ(parse_http_request(p.data(), p.size(), r), HttpStatus::kOk);
  EXPECT_EQ(r.host.view(), "a.example");
  const std::string big(100, 'x');
  EXPECT_EQ(p.append(reinterpret_cast<const uint8_t*>(big.data()), big.size()), 64 - a.size() - b.size());
  EXPECT_TRUE(p.full);
  EXPECT_EQ(p.size(), 64u);
}

TEST(HttpMessage, RandomAndMutatedInput) {
  std::mt19937 rng(5);
  const std::string resp_text =
      "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 3\r\nLocation: /y\r\n\r\nabc";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = iter % 2 ? kRequest : resp_text;
    if (iter % 3 == 0) {
      s.resize(rng() % 200);
      for (auto& c : s) c = char(rng() % 4 == 0 ? "\r\n: "[rng() % 4] : char(rng()));
    } else {
      for (int f = 0, flips = 1 + int(rng() % 4); f < flips; ++f) s[rng() % s.size()] = char(rng());
      if (iter % 5 == 0) s.resize(rng() % s.size());
    }
    HttpRequest rq;
    HttpResponse rs;
    req(s, rq);
    resp(s, rs);
    ASSERT_LE(rq.head.head_len, s.size());
    ASSERT_LE(rs.head.head_len, s.size());
    ASSERT_LE(rq.host.len, kHttpHostMax);
    ASSERT_EQ(rq.host.buf[rq.host.len], '\0');
  }
}

// ---- corpus: nDPI's HTTP fields ----

std::string field(const std::string& line, const std::string& key) {
  const size_t at = line.find("[" + key + ": ");
  if (at == std::string::npos) return "";
  const size_t start = at + key.size() + 3;
  return line.substr(start, line.find(']', start) - start);
}

TEST(HttpCorpus, AgreesWithNdpi) {
  const auto root = apptest::corpus_root();
  if (!std::filesystem::is_directory(root / "truth")) GTEST_SKIP() << "no corpus";
  struct Check {
    int total = 0, ok = 0;
  };
  std::map<std::string, Check> checks;
  std::vector<std::string> misses;
  int flows = 0;
  for (const auto& pcap : apptest::corpus_pcaps()) {
    const std::string src = pcap.parent_path().filename().string();
    std::vector<std::filesystem::path> truth = {root / "truth" / "ndpi42" / src /
                                                (pcap.filename().string() + ".flows.txt")};
    if (src == "ndpi") truth.push_back(root / "truth" / "ndpi" / (pcap.filename().string() + ".out"));
    std::vector<std::string> lines;
    for (const auto& t : truth) {
      for (const auto& l : apptest::split(apptest::read_text(t), '\n')) {
        if (l.find("TCP ") != std::string::npos && l.find("/HTTP") != std::string::npos &&
            (l.find("[URL: ") != std::string::npos || l.find("[StatusCode: ") != std::string::npos)) {
          lines.push_back(t.parent_path().filename().string() + "|" + l);
        }
      }
    }
    if (lines.empty()) continue;
    std::string err;
    const auto convs = apptest::read_conversations(pcap.string(), err, 1 << 20, true);
    for (const auto& tagged : lines) {
      const std::string tool = tagged.substr(0, tagged.find('|'));
      const std::string line = tagged.substr(tagged.find('|') + 1);
      const auto f = apptest::split(line.substr(line.find("TCP ")), ' ');
      auto endpoint = [](const std::string& t, std::string& addr) {
        const size_t c = t.rfind(':');
        addr = t.substr(0, c);
        if (!addr.empty() && addr.front() == '[') addr = addr.substr(1, addr.size() - 2);
        return uint16_t(std::atoi(t.c_str() + c + 1));
      };
      std::string a, b;
      const uint16_t pa = endpoint(f[1], a), pb = endpoint(f[3], b);
      const auto vlan = uint16_t(std::atoi(field(line, "VLAN").c_str()));
      const apptest::Conversation* c = nullptr;
      for (const auto& x : convs) {
        if (c == nullptr && x.proto == 6 && x.vlan == vlan && x.same_endpoints(a, pa, b, pb)) c = &x;
      }
      const std::string where = tool + " " + src + "/" + pcap.filename().string() + " " + f[1] + " ";
      if (c == nullptr) {
        misses.push_back(where + "no stream");
        continue;
      }
      ++flows;
      // Each side is whichever stream parses as a request / a response (one-sided captures exist).
      HttpRequest rq, rq_try;
      HttpResponse rs, rs_try;
      for (int d = 0; d < 2; ++d) {
        if (!rq.method.present &&
            parse_http_request(c->stream[d].data(), c->stream[d].size(), rq_try) != HttpStatus::kNotHttp) {
          rq = rq_try;
        }
        if (rs.status_code == 0 &&
            parse_http_response(c->stream[d].data(), c->stream[d].size(), rs_try) != HttpStatus::kNotHttp) {
          rs = rs_try;
        }
      }
      // nDPI normalises: Host without the port, media types without parameters, URL = Host + target
      // unless the target is already absolute (proxy requests).
      auto media = [](std::string_view v) {
        return std::string(v.substr(0, std::min(v.size(), v.find(';'))));
      };
      const std::string host(http_host_name(rq.host.view()));
      const std::string target(rq.target.view());
      const std::pair<std::string, std::string> pairs[] = {
          {"Hostname/SNI", host},
          {"URL", target.rfind("http://", 0) == 0 ? target : std::string(rq.host.view()) + target},
          {"User-Agent", std::string(rq.user_agent.view())},
          {"Req Content-Type", media(rq.head.content_type.view())},
          {"StatusCode", rs.status_code != 0 ? std::to_string(rs.status_code) : ""},
          {"Server", std::string(rs.server.view())},
          {"Content-Type", media(rs.head.content_type.view())}};
      for (const auto& [key, got] : pairs) {
        const std::string want = field(line, key);
        if (want.empty() || (key == "StatusCode" && want == "0")) continue;  // 0: nDPI saw no response
        Check& ck = checks[key];
        ++ck.total;
        // nDPI keeps only a prefix of long URLs.
        if (got == want || (key == "URL" && want.size() >= 200 && got.rfind(want, 0) == 0)) {
          ++ck.ok;
        } else {
          misses.push_back(where + key + ": nDPI '" + want + "' ours '" + got + "'");
        }
      }
    }
  }
  std::printf("HTTP vs nDPI: %d flow lines\n", flows);
  int total = 0, ok = 0;
  for (const auto& [k, v] : checks) {
    std::printf("  %-18s %d/%d\n", k.c_str(), v.ok, v.total);
    total += v.total;
    ok += v.ok;
  }
  for (const auto& m : misses) std::printf("  miss: %s\n", m.c_str());
  // Known disagreements, all on nDPI's side or the capture's (see the misses printed above):
  //  - nDPI reports a later request/response of the connection (favicon.ico, 404, image/png) where we keep
  //    the first one; nDPI 4.2 keeps only the first packet's part of a User-Agent split over two segments;
  //  - nDPI takes a Content-Type from a MIME part of the body (http-crash-content-disposition);
  //  - fuzz-2006-09-29-28586: Host "%s\0..." (nDPI stops at the NUL, we replace it by a space) and a request
  //    whose second segment has a corrupted IP address, so its Host line is in another flow.
  ASSERT_GT(total, 500);
  EXPECT_GE(ok * 100, total * 97);
}

}  // namespace
}  // namespace spanwatch::lib
