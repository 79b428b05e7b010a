// The JSON the API serves: flow summaries, one flow's full record, groups, stats and the throughput series.
// Written with RapidJSON's Writer (escapes every string; packet-derived text stays data).
#pragma once
#include <cstdint>
#include <string>

#include "viewer/flow_query.hpp"
#include "viewer/flow_store.hpp"
#include "viewer/ring_ingest.hpp"

namespace spanwatch::viewer {

struct ServerCounters {
  uint64_t requests = 0, bad_requests = 0, unauthorized = 0, forbidden_host = 0, streams = 0,
           streams_refused = 0;
  // /api/history: searches answered, records returned, searches refused (bad parameters), searches that
  // failed on ClickHouse's side (down, timeout, error), stored records the parser rejected.
  bool history_enabled = false;
  uint64_t history_queries = 0, history_records = 0, history_bad_requests = 0, history_errors = 0,
           history_bad_records = 0;
};

// Resident memory of the process from /proc/self/status: its own pages (RssAnon + RssFile), and apart
// from them the pages of the shared-memory ring it has touched (RssShmem), which belong to the pipeline's
// ring object and are the same physical pages the pipeline maps.
struct ProcessMemory {
  uint64_t own_bytes = 0, shm_bytes = 0;
};
ProcessMemory process_memory();

std::string flows_json(const FlowStore& store, const FlowList& list, const Page& page);
std::string flow_detail_json(const FlowStore& store, const FlowEntry& e);
// History (records from ClickHouse, not in the store): the same shapes as flows_json / flow_detail_json,
// with no current throughput.
std::string history_json(const std::vector<FlowEntry>& rows, uint32_t limit);
std::string history_detail_json(const FlowEntry& e);
std::string groups_json(GroupBy by, const GroupList& groups, size_t offset);
std::string series_json(const FlowStore& store);
std::string stats_json(const FlowStore& store, const IngestSnapshot& ring, const ServerCounters& server,
                       const ProcessMemory& mem, uint64_t memory_bound_bytes, uint64_t uptime_s);
std::string event_json(const FlowStore& store, const IngestSnapshot& ring);
std::string error_json(const std::vector<QueryError>& errors);
std::string error_json(const std::string& message);

}  // namespace spanwatch::viewer
