#include "viewer/flow_query.hpp"

#include <gtest/gtest.h>

#include "viewer/viewer_test_util.hpp"

namespace spanwatch::viewer {
namespace {

using testing::Rec;

class FlowQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    st_.begin_run(1);
    // 0: TLS to google from .10; 1: DNS from .11; 2: SSH from .10 (S0, scan-like); 3: HTTP from 10.0.0.5
    // (ended)
    add("w0-0", "192.168.1.10", 50000, "142.250.1.1", 443, "tcp",
        R"(,"protocol":"tls","application":"google")",
        R"(,"l7":{"proto":"tls.google","category":"Web"},"risk":{"score":10,"list":[{"id":1,"name":"TLS Cert Expired","severity":"low"}]})",
        R"(,"tls":{"client":{"server_name":"www.google.com"}})", 5000, 50000, "SF", "1b", false);
    add("w0-1", "192.168.1.11", 40000, "8.8.8.8", 53, "udp", R"(,"protocol":"dns")",
        R"(,"l7":{"proto":"dns"})", R"(,"dns":{"question":{"name":"example.org"}})", 80, 120, "", "", false);
    add("w0-2", "192.168.1.10", 40001, "10.1.1.1", 22, "tcp", "", "", "", 60, 0, "S0", "02", false);
    add("w0-3", "10.0.0.5", 40002, "93.184.216.34", 80, "tcp", R"(,"protocol":"http")",
        R"(,"l7":{"proto":"http"})", R"(,"url":{"domain":"example.com","original":"/"})", 700, 3000, "SF",
        "1f", true);
  }
  void add(const std::string& id, const std::string& src, uint32_t sport, const std::string& dst,
           uint32_t dport, const std::string& tr, const std::string& xnet, const std::string& xsw,
           const std::string& xtop, uint64_t sb, uint64_t db, const std::string& cs, const std::string& flags,
           bool fin) {
    Rec r;
    r.id = id;
    r.src = src;
    r.sport = sport;
    r.dst = dst;
    r.dport = dport;
    r.transport = tr;
    r.extra_network = xnet;
    r.extra_spanwatch = xsw;
    r.extra_top = xtop;
    r.src_bytes = sb;
    r.dst_bytes = db;
    r.dst_pkts = db == 0 ? 0 : 5;
    r.src_pkts = 1;
    r.conn_state = cs;
    r.history = cs == "S0" ? "S" : "ShADadFf";
    r.flags = r.flags_ts = flags;
    r.final = fin;
    st_.apply(testing::parse(r), testing::record(r), ++now_);
  }
  std::vector<std::string> ids(const QueryParams& q) {
    std::vector<QueryError> errs;
    const FlowFilter f = parse_filter(q, errs);
    Page p = parse_page(q, 1000, errs);
    EXPECT_TRUE(errs.empty()) << (errs.empty() ? "" : errs[0].param + ": " + errs[0].message);
    std::vector<std::string> out;
    for (const FlowEntry* e : list_flows(st_, f, p).flows) out.push_back(e->s.id);
    return out;
  }
  std::vector<QueryError> errors(const QueryParams& q) {
    std::vector<QueryError> errs;
    parse_filter(q, errs);
    parse_page(q, 1000, errs);
    return errs;
  }
  FlowStore st_{StoreLimits{}};
  uint64_t now_ = 0;
};

using V = std::vector<std::string>;

TEST_F(FlowQueryTest, FiltersByEachField) {
  EXPECT_EQ(ids({{"sort", "start"}, {"order", "asc"}}).size(), 4u);
  EXPECT_EQ(ids({{"ip", "192.168.1.10"}, {"sort", "bytes"}}), (V{"w0-0", "w0-2"}));
  EXPECT_EQ(ids({{"ip", "192.168.0.0/16"}, {"sort", "bytes"}}), (V{"w0-0", "w0-1", "w0-2"}));
  EXPECT_EQ(ids({{"ip", "!192.168.0.0/16"}}), (V{"w0-3"}));
  EXPECT_EQ(ids({{"server", "8.8.8.8,10.1.1.1"}, {"sort", "bytes"}}), (V{"w0-1", "w0-2"}));
  EXPECT_EQ(ids({{"client", "10.0.0.0/8"}}), (V{"w0-3"}));
  EXPECT_EQ(ids({{"dport", "443"}}), (V{"w0-0"}));
  EXPECT_EQ(ids({{"port", "20-60"}, {"sort", "bytes"}}), (V{"w0-1", "w0-2"}));
  EXPECT_EQ(ids({{"sport", "40000-40001"}, {"sort", "bytes"}}), (V{"w0-1", "w0-2"}));
  EXPECT_EQ(ids({{"app", "tls"}}), (V{"w0-0"}));  // "tls" selects tls.google
  EXPECT_EQ(ids({{"app", "TLS.Google"}}), (V{"w0-0"}));
  EXPECT_EQ(ids({{"app", "dns,http"}, {"sort", "bytes"}}), (V{"w0-3", "w0-1"}));
  EXPECT_EQ(ids({{"proto", "udp"}}), (V{"w0-1"}));
  EXPECT_EQ(ids({{"proto", "17"}}), (V{"w0-1"}));
  EXPECT_EQ(ids({{"conn_state", "S0"}}), (V{"w0-2"}));
  EXPECT_EQ(ids({{"tcp_flag", "SYN"}, {"sort", "bytes"}}), (V{"w0-0", "w0-3", "w0-2"}));
  EXPECT_EQ(ids({{"tcp_flag", "SYN,RST"}}), (V{"w0-3"}));  // all listed flags
  EXPECT_EQ(ids({{"tcp_flag", "!ACK"}, {"proto", "tcp"}}), (V{"w0-2"}));
  EXPECT_EQ(ids({{"label", "connection_attempt"}}), (V{"w0-2"}));
  EXPECT_EQ(ids({{"risk", "any"}}), (V{"w0-0"}));
  EXPECT_EQ(ids({{"risk", "expired"}}), (V{"w0-0"}));
  EXPECT_EQ(ids({{"risk", "11"}}), V{});
  EXPECT_EQ(ids({{"state", "ended"}}), (V{"w0-3"}));
  EXPECT_EQ(ids({{"state", "active"}}).size(), 3u);
  EXPECT_EQ(ids({{"q", "GOOGLE.com"}}), (V{"w0-0"}));
  EXPECT_EQ(ids({{"q", "https"}}), (V{"w0-0"}));  // service name
  EXPECT_EQ(ids({{"q", "example"}, {"sort", "bytes"}}), (V{"w0-3", "w0-1"}));
  EXPECT_EQ(ids({{"info", "example.org"}}), (V{"w0-1"}));
  EXPECT_EQ(ids({{"category", "web"}}), (V{"w0-0"}));
  EXPECT_EQ(ids({{"country", "DE"}}), V{});  // no enrichment yet: nothing matches, nothing breaks
  EXPECT_EQ(ids({{"asn", "AS15169"}}), V{});
}

TEST_F(FlowQueryTest, SortsAndPages) {
  EXPECT_EQ(ids({{"sort", "bytes"}, {"order", "desc"}}), (V{"w0-0", "w0-3", "w0-1", "w0-2"}));
  EXPECT_EQ(ids({{"sort", "bytes"}, {"order", "asc"}}), (V{"w0-2", "w0-1", "w0-3", "w0-0"}));
  EXPECT_EQ(ids({{"sort", "bytes"}, {"limit", "2"}, {"offset", "1"}}), (V{"w0-3", "w0-1"}));
  EXPECT_EQ(ids({{"sort", "bytes"}, {"limit", "2"}, {"offset", "4"}}), V{});
  EXPECT_EQ(ids({{"sort", "client"}, {"order", "asc"}}),
            (V{"w0-3", "w0-2", "w0-0", "w0-1"}));                          // ip, then port
  EXPECT_EQ(ids({{"sort", "server"}, {"order", "asc"}}).front(), "w0-1");  // 8.8.8.8 < 10.1.1.1
  EXPECT_EQ(ids({{"sort", "app"}, {"order", "asc"}}), (V{"w0-1", "w0-3", "w0-0", "w0-2"}));
  EXPECT_EQ(ids({{"sort", "breakdown"}, {"order", "desc"}}).front(), "w0-2");  // all bytes from the client
  EXPECT_EQ(ids({{"sort", "risk"}}).front(), "w0-0");
  EXPECT_EQ(ids({{"sort", "state"}, {"order", "desc"}}).front(), "w0-3");
}

TEST_F(FlowQueryTest, BadParametersAreNamed) {
  auto first = [&](const QueryParams& q) {
    auto e = errors(q);
    return e.empty() ? std::string() : e[0].param;
  };
  EXPECT_EQ(first({{"ip", "1.2.3.4/40"}}), "ip");
  EXPECT_EQ(first({{"client", "<script>"}}), "client");
  EXPECT_EQ(first({{"port", "70000"}}), "port");
  EXPECT_EQ(first({{"dport", "9-1"}}), "dport");
  EXPECT_EQ(first({{"tcp_flag", "BOGUS"}}), "tcp_flag");
  EXPECT_EQ(first({{"country", "Germany"}}), "country");
  EXPECT_EQ(first({{"asn", "x"}}), "asn");
  EXPECT_EQ(first({{"state", "maybe"}}), "state");
  EXPECT_EQ(first({{"sort", "nope"}}), "sort");
  EXPECT_EQ(first({{"order", "up"}}), "order");
  EXPECT_EQ(first({{"limit", "0"}}), "limit");
  EXPECT_EQ(first({{"limit", "5000"}}), "limit");
  EXPECT_EQ(first({{"offset", "-1"}}), "offset");
  EXPECT_EQ(first({{"q", std::string(600, 'a')}}), "q");
  std::string many;
  for (int i = 0; i < 70; ++i) many += "1,";
  EXPECT_EQ(first({{"port", many}}), "port");
}

TEST_F(FlowQueryTest, AggregatesAndDrillsDown) {
  const FlowFilter all;
  GroupList g = aggregate(st_, all, GroupBy::kClient, GroupSort::kBytes, true, 0, 50);
  ASSERT_EQ(g.total_groups, 3u);
  EXPECT_EQ(g.total_flows, 4u);
  EXPECT_EQ(g.groups[0].client, "192.168.1.10");
  EXPECT_EQ(g.groups[0].flows, 2u);
  EXPECT_EQ(g.groups[0].bytes, 55060u);
  EXPECT_EQ(g.groups[0].bytes_cli, 5060u);
  // Drill-down: the group's key as a filter selects exactly its flows.
  EXPECT_EQ(ids({{"client", g.groups[0].client}}).size(), g.groups[0].flows);

  g = aggregate(st_, all, GroupBy::kApp, GroupSort::kFlows, true, 0, 50);
  EXPECT_EQ(g.total_groups, 4u);  // tls.google, dns, http, unknown
  for (const Group& x : g.groups) EXPECT_EQ(ids({{"app_exact", x.app}}).size(), x.flows) << x.app;

  g = aggregate(st_, all, GroupBy::kClientServerDport, GroupSort::kBytes, true, 0, 50);
  EXPECT_EQ(g.total_groups, 4u);
  EXPECT_EQ(g.groups[0].dport, 443u);

  g = aggregate(st_, all, GroupBy::kAppClientServer, GroupSort::kKey, false, 0, 2);
  EXPECT_EQ(g.total_groups, 4u);
  EXPECT_EQ(g.groups.size(), 2u);
  EXPECT_EQ(g.groups[0].app, "dns");

  g = aggregate(st_, all, GroupBy::kInfo, GroupSort::kBytes, true, 0, 50);
  for (const Group& x : g.groups) {
    if (!x.info.empty()) {
      EXPECT_EQ(ids({{"info", x.info}}).size(), x.flows);
    }
  }

  // Hosts count both roles: 192.168.1.10 is a client twice; 10.1.1.1 a server once.
  g = aggregate(st_, all, GroupBy::kHost, GroupSort::kKey, false, 0, 50);
  EXPECT_EQ(g.total_groups, 7u);
  uint64_t flows = 0;
  for (const Group& x : g.groups) flows += x.flows;
  EXPECT_EQ(flows, 8u);  // every flow counted for both of its hosts

  std::vector<QueryError> errs;
  const FlowFilter tcp_only = parse_filter({{"proto", "tcp"}}, errs);
  g = aggregate(st_, tcp_only, GroupBy::kServer, GroupSort::kBytes, true, 0, 50);
  EXPECT_EQ(g.total_flows, 3u);

  add("w0-4", "192.168.1.12", 40003, "1.1.1.1", 443, "tcp", R"(,"protocol":"tls")",
      R"(,"l7":{"proto":"tls"})", "", 100, 100, "SF", "1b", true);
  EXPECT_EQ(ids({{"app", "tls"}}).size(), 2u);          // tls and tls.google
  EXPECT_EQ(ids({{"app_exact", "tls"}}), (V{"w0-4"}));  // only what the group "tls" holds
}

}  // namespace
}  // namespace spanwatch::viewer
