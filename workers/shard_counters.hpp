// Counters of one worker's flow stage. One writer (the worker lcore), read by the stats reporter.
#pragma once
#include <array>

#include "lib/core/counter.hpp"

namespace spanwatch::workers {

struct alignas(64) ShardCounters {
  lib::Counter packets;          // packets accounted to a flow (a tunnelled packet whose outer UDP flow
                                 // is also tracked counts once here, in its inner flow)
  lib::Counter carrier_packets;  // the same packets accounted again to their tunnel's outer UDP flow
  lib::Counter flows_active;
  lib::Counter flows_created;
  lib::Counter flows_ended;          // final records for flows that ended (FIN/RST linger, idle timeout)
  lib::Counter flows_evicted;        // table full: least recently active flow exported early
  lib::Counter flows_flushed;        // still active at shutdown / end of replay
  lib::Counter tcp_reuse;            // a new connection on the 5-tuple of a closed one
  lib::Counter interim_records;      // active-timeout records
  lib::Counter live_records;         // snapshots of changed active flows for the shared-memory ring
  lib::Counter fragments_matched;    // later IP fragments accounted to their flow
  lib::Counter fragments_unmatched;  // later fragments whose first fragment was not seen (not in a record)
};

}  // namespace spanwatch::workers
