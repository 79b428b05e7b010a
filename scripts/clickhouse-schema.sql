-- spanwatch flow records in ClickHouse (docs/fleet.md). Applied by scripts/clickhouse-schema.sh, which runs
-- each statement (they end with ';' at the end of a line) and replaces __DATABASE__ and __CLUSTER__.
-- The columns are those of loader/flow_columns.hpp, in the same order (the flow_row test checks this).
--
-- Engine: ReplacingMergeTree, so a record inserted twice (a loader or ClickHouse crash between the INSERT
-- and the JetStream ack; a sensor's publish retried after the stream's duplicate window) collapses to one
-- row when parts merge, or at once with `OPTIMIZE TABLE flows FINAL`. Until then duplicates are countable:
--   SELECT count() - uniqExact(msg_id) FROM flows
-- and queries that must not see them use FINAL (SELECT ... FROM flows FINAL) or GROUP BY msg_id.
-- msg_id (the Nats-Msg-Id of the record: observer, sensor run id and record counter) is unique per record
-- and sensor run; (observer, flow_id, sequence) identifies a record within one sensor run.
--
-- Partitions are days of the record's @timestamp: retention drops whole partitions. ClickHouse >= 19.6 can
-- do it by itself with a TTL clause after ORDER BY:
--   TTL ts + INTERVAL 30 DAY
-- Debian 12's ClickHouse 18.16 has no TTL, so scripts/clickhouse-schema.sh --drop-older-than DAYS drops
-- the old partitions instead (run it daily from cron or a systemd timer).
--
-- The sort key serves the common queries: one sensor's flows in a time range, then one flow's records.
CREATE TABLE IF NOT EXISTS flows
(
    ts DateTime,
    start_ts DateTime,
    end_ts DateTime,
    duration_ns UInt64,
    reason String,
    observer String,
    interface String,
    flow_id String,
    sequence UInt32,
    final UInt8,
    transport String,
    ip_type String,
    direction String,
    protocol String,
    community_id String,
    packets UInt64,
    bytes UInt64,
    src_ip String,
    src_port UInt16,
    src_packets UInt64,
    src_bytes UInt64,
    src_country String,
    src_as UInt32,
    dst_ip String,
    dst_port UInt16,
    dst_packets UInt64,
    dst_bytes UInt64,
    dst_country String,
    dst_as UInt32,
    dst_domain String,
    l7_app String,
    l7_category String,
    tls_sni String,
    ja3 String,
    ja4 String,
    conn_state String,
    labels Array(String),
    risk_score UInt32,
    msg_id String,
    stream_seq UInt64,
    record String
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMMDD(ts)
ORDER BY (observer, start_ts, flow_id, sequence, msg_id);

-- A ClickHouse cluster (remote_servers in config.xml) holds `flows` on every node and this Distributed table
-- in front of them: loaders insert into flows_all and queries read it. Rows are sharded by sensor and flow,
-- so every copy of a record lands on the same shard and ReplacingMergeTree can collapse it there.
-- Created only with scripts/clickhouse-schema.sh --cluster NAME.
--@cluster
CREATE TABLE IF NOT EXISTS flows_all AS flows
ENGINE = Distributed(__CLUSTER__, __DATABASE__, flows, cityHash64(observer, flow_id));
