#!/usr/bin/env bash
# Creates the spanwatch flow table in ClickHouse (scripts/clickhouse-schema.sql) over the HTTP interface, and
# applies retention by dropping day partitions (ClickHouse 18.16 has no TTL). docs/fleet.md.
# Usage: scripts/clickhouse-schema.sh [--url http://127.0.0.1:8123] [--database default] [--cluster NAME]
#                                     [--drop-older-than DAYS]
set -euo pipefail
URL=http://127.0.0.1:8123
DATABASE=default
CLUSTER=
DROP_DAYS=
SQL="$(dirname "$0")/clickhouse-schema.sql"
while [ $# -gt 0 ]; do
    case "$1" in
        --url) URL="$2"; shift 2 ;;
        --database) DATABASE="$2"; shift 2 ;;
        --cluster) CLUSTER="$2"; shift 2 ;;
        --drop-older-than) DROP_DAYS="$2"; shift 2 ;;
        -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
        *) echo "clickhouse-schema: unknown argument $1" >&2; exit 2 ;;
    esac
done

run() {  # one statement; ClickHouse's error text on failure
    curl -sS --fail-with-body "$URL/?database=$DATABASE" --data-binary "$1"
}

if [ "$DATABASE" != default ]; then
    curl -sS --fail-with-body "$URL/" --data-binary "CREATE DATABASE IF NOT EXISTS $DATABASE"
fi

# Statements end with ';' at the end of a line; '--' lines are comments; '--@cluster' marks the statements
# that need --cluster.
stmt=""
cluster_only=0
while IFS= read -r line || [ -n "$line" ]; do
    if [[ "$line" == "--@cluster"* ]]; then cluster_only=1; continue; fi
    [[ "$line" =~ ^[[:space:]]*-- ]] && continue
    stmt+="$line"$'\n'
    if [[ "$line" =~ \;[[:space:]]*$ ]]; then
        stmt="${stmt//__DATABASE__/$DATABASE}"
        stmt="${stmt//__CLUSTER__/$CLUSTER}"
        if [ "$cluster_only" = 0 ] || [ -n "$CLUSTER" ]; then
            run "${stmt%;*}"
        fi
        stmt=""
        cluster_only=0
    fi
done < "$SQL"
echo "clickhouse-schema: table flows ready in $DATABASE${CLUSTER:+ (flows_all on cluster $CLUSTER)}"

if [ -n "$DROP_DAYS" ]; then
    cutoff=$(date -u -d "-$DROP_DAYS days" +%Y%m%d)
    parts=$(curl -sS --fail-with-body "$URL/" --data-binary \
        "SELECT DISTINCT partition FROM system.parts WHERE database = '$DATABASE' AND table = 'flows' AND active AND toUInt32(partition) < $cutoff ORDER BY partition FORMAT TSV")
    for p in $parts; do
        run "ALTER TABLE flows DROP PARTITION $p"
        echo "clickhouse-schema: dropped partition $p (older than $DROP_DAYS days)"
    done
fi
