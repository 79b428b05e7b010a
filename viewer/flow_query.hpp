// Server-side filtering, sorting, paging and aggregation of the flow store, driven by URL query
// parameters. Every parameter is validated; a bad one is reported by name (HTTP 400), never ignored.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "viewer/flow_store.hpp"
#include "viewer/ip_match.hpp"

namespace spanwatch::viewer {

using QueryParams = std::multimap<std::string, std::string>;  // httplib::Params

struct QueryError {
  std::string param, message;
};

// A field filter: the flow matches when any of `values` matches (comma-separated in the URL), or when
// none does if the value started with '!'.
template <class T>
struct AnyOf {
  std::vector<T> values;
  bool negate = false;
  bool active() const noexcept { return !values.empty(); }
};

struct PortRange {
  uint32_t lo = 0, hi = 0;
};

struct FlowFilter {
  std::string text;                     // q: case-insensitive substring of the visible fields
  AnyOf<Cidr> ip, client, server;       // ip: either side
  AnyOf<PortRange> port, sport, dport;  // port: either side; "443", "1000-2000"
  AnyOf<std::string> app;               // application (l7 proto, protocol or application; case-insensitive)
  AnyOf<std::string> app_exact;         // exactly the application the table shows (aggregation drill-down)
  AnyOf<std::string> proto;             // L4: transport name or IANA number
  AnyOf<std::string> conn_state;        // Zeek state or its major class (ATTEMPTED, ESTABLISHED, CLOSED)
  AnyOf<int> tcp_flag;                  // flag bits; a flow matches when it has all of them
  AnyOf<std::string> label;
  AnyOf<std::string> country;  // either side, ISO code
  AnyOf<uint32_t> asn;         // either side
  AnyOf<std::string> category;
  std::optional<std::string> info;  // exact info (aggregation drill-down)
  std::optional<std::string> risk;  // "any", a minimum score, or a substring of a risk name
  enum class State : uint8_t { kAll, kActive, kEnded } state = State::kAll;
};

// Parses the filter parameters of `params` (unknown parameters are left to the caller). Errors are added.
FlowFilter parse_filter(const QueryParams& params, std::vector<QueryError>& errors);
bool matches(const FlowFilter& f, const FlowEntry& e);

enum class SortKey : uint8_t {
  kLast,
  kApp,
  kProto,
  kClient,
  kServer,
  kDuration,
  kBreakdown,
  kThroughput,
  kBytes,
  kPackets,
  kInfo,
  kStart,
  kRisk,
  kState,
};

struct Page {
  size_t offset = 0, limit = 50;
  SortKey sort = SortKey::kLast;
  bool desc = true;
};
Page parse_page(const QueryParams& params, size_t max_limit, std::vector<QueryError>& errors);

struct FlowList {
  size_t total = 0;                     // flows matching the filter
  std::vector<const FlowEntry*> flows;  // the requested page, sorted
};
FlowList list_flows(const FlowStore& store, const FlowFilter& f, const Page& page);

enum class GroupBy : uint8_t {
  kApp,
  kClient,
  kServer,
  kClientServer,
  kAppClientServer,
  kClientServerDport,
  kInfo,
  kHost,
  kProto
};
std::optional<GroupBy> parse_group_by(std::string_view s);
std::string_view name_of(GroupBy g);

struct Group {
  // The group's key fields (only those of the GroupBy are set); they become drill-down filters.
  std::string app, client, server, info, host, proto;
  uint32_t dport = kNoPort;
  uint64_t flows = 0, active = 0, bytes = 0, bytes_cli = 0, bytes_srv = 0, packets = 0;
  double cur_bps = 0;
  uint32_t max_risk = 0;
};
struct GroupList {
  size_t total_groups = 0, total_flows = 0;
  std::vector<Group> groups;  // the requested page
};
enum class GroupSort : uint8_t { kBytes, kFlows, kThroughput, kKey };
GroupList aggregate(const FlowStore& store, const FlowFilter& f, GroupBy by, GroupSort sort, bool desc,
                    size_t offset, size_t limit);
std::optional<GroupSort> parse_group_sort(std::string_view s);

// Flag names (SYN, ACK, ...) <-> bits of spanwatch.tcp.flags.
int tcp_flag_bit(std::string_view name);  // -1 when unknown
inline constexpr const char* kTcpFlagNames[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

}  // namespace spanwatch::viewer
