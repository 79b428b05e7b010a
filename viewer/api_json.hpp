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
  uint64_t requests = 0, bad_requests = 0, unauthorized = 0, forbidden_host = 0, streams = 0, streams_refused = 0;
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
std::string groups_json(GroupBy by, const GroupList& groups, size_t offset);
std::string series_json(const FlowStore& store);
std::string stats_json(const FlowStore& store, const IngestSnapshot& ring, const ServerCounters& server,
                       const ProcessMemory& mem, uint64_t memory_bound_bytes, uint64_t uptime_s);
std::string event_json(const FlowStore& store, const IngestSnapshot& ring);
std::string error_json(const std::vector<QueryError>& errors);
std::string error_json(const std::string& message);



}  // namespace spanwatch::viewer
