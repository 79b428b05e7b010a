// Group-by aggregation of the flow store (the analysis views): one pass over the matching flows, groups
// keyed by the grouping's fields, sorted and paged; each group's key doubles as its drill-down filter.
#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "viewer/flow_query.hpp"
#include "viewer/three_way_compare.hpp"

namespace spanwatch::viewer {
std::optional<GroupBy> parse_group_by(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(GroupBy::kProto); ++i)
    if (name_of(static_cast<GroupBy>(i)) == s) return static_cast<GroupBy>(i);
  return std::nullopt;
}

std::string_view name_of(GroupBy g) {
  switch (g) {
    case GroupBy::kApp:
      return "app";
    case GroupBy::kClient:
      return "client";
    case GroupBy::kServer:
      return "server";
    case GroupBy::kClientServer:
      return "client_server";
    case GroupBy::kAppClientServer:
      return "app_client_server";
    case GroupBy::kClientServerDport:
      return "client_server_dport";
    case GroupBy::kInfo:
      return "info";
    case GroupBy::kHost:
      return "host";
    case GroupBy::kProto:
      return "proto";
  }
  return "";
}

std::optional<GroupSort> parse_group_sort(std::string_view s) {
  if (s == "bytes") return GroupSort::kBytes;
  if (s == "flows") return GroupSort::kFlows;
  if (s == "throughput") return GroupSort::kThroughput;
  if (s == "key") return GroupSort::kKey;
  return std::nullopt;
}

GroupList aggregate(const FlowStore& store, const FlowFilter& f, GroupBy by, GroupSort sort, bool desc,
                    size_t offset, size_t limit) {
  std::unordered_map<std::string, Group> groups;
  GroupList out;
  auto add = [&](const FlowEntry& e, Group proto, uint64_t bytes_cli, uint64_t bytes_srv) {
    std::string key;
    for (const std::string* p :
         {&proto.app, &proto.client, &proto.server, &proto.info, &proto.host, &proto.proto}) {
      key += *p;
      key += '\x1f';
    }
    key += std::to_string(proto.dport);
    auto [it, fresh] = groups.try_emplace(std::move(key), std::move(proto));
    Group& g = it->second;
    ++g.flows;
    if (!e.s.final) ++g.active;
    g.bytes_cli += bytes_cli;
    g.bytes_srv += bytes_srv;
    g.bytes += bytes_cli + bytes_srv;
    g.packets += e.s.packets();
    g.cur_bps += store.current_bps(e);
    g.max_risk = std::max(g.max_risk, e.s.risk_score);
  };
  store.for_each([&](const FlowEntry& e) {
    if (!matches(f, e)) return;
    ++out.total_flows;
    const FlowSummary& s = e.s;
    Group g;
    switch (by) {
      case GroupBy::kApp:
        g.app = s.app;
        break;
      case GroupBy::kClient:
        g.client = s.client.ip_text;
        break;
      case GroupBy::kServer:
        g.server = s.server.ip_text;
        break;
      case GroupBy::kClientServer:
        g.client = s.client.ip_text;
        g.server = s.server.ip_text;
        break;
      case GroupBy::kAppClientServer:
        g.app = s.app;
        g.client = s.client.ip_text;
        g.server = s.server.ip_text;
        break;
      case GroupBy::kClientServerDport:
        g.client = s.client.ip_text;
        g.server = s.server.ip_text;
        g.dport = s.server.port;
        break;
      case GroupBy::kInfo:
        g.info = s.info;
        break;
      case GroupBy::kProto:
        g.proto = s.transport;
        break;
      case GroupBy::kHost: {
        // A host's traffic: what it sent plus what it received, in either role.
        Group other;
        other.host = s.server.ip_text;
        g.host = s.client.ip_text;
        add(e, std::move(g), s.client.bytes, s.server.bytes);
        if (s.server.ip_text != s.client.ip_text) add(e, std::move(other), s.server.bytes, s.client.bytes);
        return;
      }
    }
    add(e, std::move(g), s.client.bytes, s.server.bytes);
  });
  std::vector<Group> all;
  all.reserve(groups.size());
  for (auto& [k, g] : groups) all.push_back(std::move(g));
  out.total_groups = all.size();
  auto keyof = [](const Group& g) {
    return std::tie(g.app, g.client, g.server, g.dport, g.info, g.host, g.proto);
  };
  auto less = [&](const Group& a, const Group& b) {
    int c = 0;
    switch (sort) {
      case GroupSort::kBytes:
        c = cmp(a.bytes, b.bytes);
        break;
      case GroupSort::kFlows:
        c = cmp(a.flows, b.flows);
        break;
      case GroupSort::kThroughput:
        c = cmp(a.cur_bps, b.cur_bps);
        break;
      case GroupSort::kKey:
        c = 0;
        break;
    }
    if (desc) c = -c;
    if (c != 0) return c < 0;
    return sort == GroupSort::kKey && desc ? keyof(b) < keyof(a) : keyof(a) < keyof(b);
  };
  if (offset >= all.size()) return out;
  const size_t end = std::min(all.size(), offset + limit);
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(end), all.end(), less);
  out.groups.assign(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(offset)),
                    std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
  return out;
}

}  // namespace spanwatch::viewer
