#include "viewer/history_query.hpp"

#include <gtest/gtest.h>

namespace spanwatch::viewer {
namespace {

HistorySearch parse(const QueryParams& p, std::vector<QueryError>& errors, uint32_t max_rows = 1000) {
  return parse_history_search(p, max_rows, errors);
}

std::string sql_of(const QueryParams& p) {
  std::vector<QueryError> errors;
  const HistorySearch s = parse(p, errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0].param + ": " + errors[0].message);
  return history_sql(s, "flows");
}

// The part of the SQL between WHERE and ORDER BY.
std::string where_of(const QueryParams& p) {
  const std::string sql = sql_of(p);
  const size_t w = sql.find(" WHERE "), o = sql.find(" ORDER BY ");
  if (w == std::string::npos) return "";
  return sql.substr(w + 7, o - w - 7);
}

TEST(HistoryQuery, QuoteLiteralEscapesEverythingThatCouldEndTheString) {
  EXPECT_EQ(quote_literal("abc"), "'abc'");
  EXPECT_EQ(quote_literal("it's"), "'it\\'s'");
  EXPECT_EQ(quote_literal("a\\b"), "'a\\\\b'");
  EXPECT_EQ(quote_literal("x\\'"), "'x\\\\\\''");  // a trailing backslash cannot swallow the closing quote
  EXPECT_EQ(quote_literal(std::string("a\0b\n\t\x7f", 6)), "'a\\x00b\\x0A\\x09\\x7F'");
  EXPECT_EQ(quote_literal("ünï"), "'ünï'");
  // Whatever the input, the literal is one token: after the opening quote, every quote is escaped.
  for (const std::string hostile :
       {"' OR 1=1 --", "\\' OR 1=1 --", "'; DROP TABLE flows; --", "\\\\'", "''"}) {
    const std::string q = quote_literal(hostile);
    ASSERT_GE(q.size(), 2u);
    EXPECT_EQ(q.front(), '\'');
    EXPECT_EQ(q.back(), '\'');
    for (size_t i = 1; i + 1 < q.size(); ++i) {
      if (q[i] == '\\') {
        ++i;  // the escaped byte
        continue;
      }
      EXPECT_NE(q[i], '\'') << hostile << " -> " << q;
    }
  }
}

TEST(HistoryQuery, NoFiltersSelectsNewestFirstOncePerRecordLimited) {
  EXPECT_EQ(
      sql_of({}),
      "SELECT msg_id, record FROM flows ORDER BY ts DESC, start_ts DESC, msg_id LIMIT 1 BY msg_id LIMIT 100 "
      "FORMAT JSONEachRow");
  EXPECT_NE(sql_of({{"limit", "7"}}).find("LIMIT 1 BY msg_id LIMIT 7 FORMAT"), std::string::npos);
}

TEST(HistoryQuery, EachFilter) {
  EXPECT_EQ(where_of({{"from", "1700000000"}}), "ts >= toDateTime(1700000000)");
  EXPECT_EQ(where_of({{"to", "2026-11-23T14:00:05.123Z"}}), "ts <= toDateTime(1795442405)");
  EXPECT_EQ(where_of({{"ip", "192.0.2.7"}}), "(src_ip = '192.0.2.7' OR dst_ip = '192.0.2.7')");
  EXPECT_EQ(where_of({{"ip", "10.1.0.0/16"}}),
            "(IPv4StringToNum(src_ip) BETWEEN 167837696 AND 167903231 OR "
            "IPv4StringToNum(dst_ip) BETWEEN 167837696 AND 167903231)");
  EXPECT_EQ(where_of({{"ip", "2001:DB8::1"}}), "(src_ip = '2001:db8::1' OR dst_ip = '2001:db8::1')");
  EXPECT_EQ(
      where_of({{"ip", "2001:db8::/32"}}),
      "((position(src_ip, ':') > 0 AND substring(IPv6StringToNum(src_ip), 1, 4) = unhex('20010DB8')) OR "
      "(position(dst_ip, ':') > 0 AND substring(IPv6StringToNum(dst_ip), 1, 4) = unhex('20010DB8')))");
  EXPECT_EQ(where_of({{"port", "443"}}), "(src_port BETWEEN 443 AND 443 OR dst_port BETWEEN 443 AND 443)");
  EXPECT_EQ(where_of({{"port", "1000-2000,53"}}),
            "(src_port BETWEEN 1000 AND 2000 OR dst_port BETWEEN 1000 AND 2000 OR "
            "src_port BETWEEN 53 AND 53 OR dst_port BETWEEN 53 AND 53)");
  EXPECT_EQ(where_of({{"application", "TLS"}}), "(lower(l7_app) IN ('tls') OR lower(protocol) IN ('tls'))");
  EXPECT_EQ(where_of({{"sni", "Example.COM"}}), "lower(tls_sni) IN ('example.com')");
  EXPECT_EQ(where_of({{"ja3", "ABCDEF"}}), "lower(ja3) IN ('abcdef')");
  EXPECT_EQ(where_of({{"ja4", "t13d1516h2_8daaf6152771_02713d6af862"}}),
            "ja4 IN ('t13d1516h2_8daaf6152771_02713d6af862')");
  EXPECT_EQ(where_of({{"conn_state", "S0,REJ"}}), "conn_state IN ('S0', 'REJ')");
  EXPECT_EQ(where_of({{"label", "scan"}}), "(has(labels, 'scan'))");
  EXPECT_EQ(where_of({{"sensor", "dc1-span-03"}}), "observer IN ('dc1-span-03')");
  // Several filters: all must hold.
  EXPECT_EQ(where_of({{"sensor", "a"}, {"port", "22"}}),
            "(src_port BETWEEN 22 AND 22 OR dst_port BETWEEN 22 AND 22) AND observer IN ('a')");
}

TEST(HistoryQuery, HostileValuesStayLiterals) {
  EXPECT_EQ(where_of({{"sni", "x') OR 1=1 --"}}), "lower(tls_sni) IN ('x\\') or 1=1 --')");
  EXPECT_EQ(where_of({{"sensor", "a\\' OR '1'='1"}}), "observer IN ('a\\\\\\' OR \\'1\\'=\\'1')");
  EXPECT_EQ(where_of({{"label", "'); DROP TABLE flows; --"}}), "(has(labels, '\\'); DROP TABLE flows; --'))");
  EXPECT_EQ(where_of({{"ja4", "` UNION SELECT 1"}}), "ja4 IN ('` UNION SELECT 1')");
  std::vector<QueryError> errors;
  // Values that are numbers or addresses must be exactly that.
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{{"port", "443 OR 1=1"},
                                                                             {"port", "70000"},
                                                                             {"port", "2000-1000"},
                                                                             {"ip", "1.2.3.4' --"},
                                                                             {"ip", "1.2.3.4/40"},
                                                                             {"from", "now()"},
                                                                             {"to", "1700000000; DROP"},
                                                                             {"limit", "0"},
                                                                             {"limit", "1001"},
                                                                             {"limit", "10 UNION"},
                                                                             {"sni", std::string("a\nb")},
                                                                             {"label", std::string(300, 'x')},
                                                                             {"format", "TSV"},
                                                                             {"table", "system.users"}}) {
    errors.clear();
    parse({{k, v}}, errors);
    EXPECT_FALSE(errors.empty()) << k << "=" << v;
  }
  errors.clear();
  parse({{"from", "1700000100"}, {"to", "1700000000"}}, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].param, "to");
}

TEST(HistoryQuery, LimitDefaultsWithinMaxRows) {
  std::vector<QueryError> errors;
  EXPECT_EQ(parse({}, errors, 1000).limit, 100u);
  EXPECT_EQ(parse({}, errors, 20).limit, 20u);
  EXPECT_EQ(parse({{"limit", "20"}}, errors, 20).limit, 20u);
  EXPECT_TRUE(errors.empty());
}

TEST(HistoryQuery, RecordByMsgIdAndTableNames) {
  EXPECT_EQ(history_record_sql("a'b", "db.flows"),
            "SELECT msg_id, record FROM db.flows WHERE msg_id = 'a\\'b' LIMIT 1 FORMAT JSONEachRow");
  EXPECT_TRUE(valid_table_name("flows"));
  EXPECT_TRUE(valid_table_name("spanwatch.flows_all"));
  for (const char* bad : {"", "flows;", "a.b.c", "1flows", "flows FINAL", "f`", "db.", ".flows"})
    EXPECT_FALSE(valid_table_name(bad)) << bad;
}

}  // namespace
}  // namespace spanwatch::viewer
