#!/usr/bin/env bash
# THE main demo: install deps, build (release), start spanwatch-viewer, replay the committed demo capture
# through the real DPDK pipeline (no hugepages) into the viewer and into DIR/flows.json, show what it
# wrote, then keep serving the viewer until Ctrl-C.
# Usage: scripts/run-demo.sh [extra spanwatch args, e.g. --workers 2]
# Environment: SPANWATCH_SKIP_DEPS=1 skips install-deps; DEMO_PCAP / DEMO_OUT override the defaults;
#              DEMO_PORT (8089) is the viewer's port; DEMO_NO_VIEWER=1 skips the viewer (non-interactive).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PCAP="${DEMO_PCAP:-tests/captures/demo.pcap}"
OUT="${DEMO_OUT:-out/demo}"
BIN="build/pipeline/spanwatch"
VIEWER_BIN="build/viewer/spanwatch-viewer"
PORT="${DEMO_PORT:-8089}"

section() { printf '\n==== %s ====\n' "$*"; }

section "dependencies"
if [ "${SPANWATCH_SKIP_DEPS:-0}" != "1" ]; then
    "$ROOT/scripts/install-deps.sh"
else
    echo "skipped (SPANWATCH_SKIP_DEPS=1)"
fi

section "build (release)"
SPANWATCH_SKIP_DEPS=1 "$ROOT/scripts/build.sh" release

[ -f "$PCAP" ] || { echo "run-demo: ERROR: capture $PCAP not found (scripts/record-demo-capture.sh makes it)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "run-demo: ERROR: $BIN was not built (pipeline/meson.build must define the 'spanwatch' executable)" >&2; exit 1; }

# DPDK creates its runtime dir even with --no-shconf; keep it out of /var/run.
RUNDIR="$(mktemp -d -t spanwatch-demo-run.XXXXXX)"
VIEWER=""
trap '[ -n "$VIEWER" ] && kill "$VIEWER" 2>/dev/null; rm -rf "$RUNDIR"' EXIT

if [ "${DEMO_NO_VIEWER:-0}" != "1" ]; then
    section "viewer"
    # Started first: it follows the pipeline's shared-memory ring (/spanwatch-flows) as records arrive.
    echo "+ $VIEWER_BIN --port $PORT"
    "$VIEWER_BIN" --port "$PORT" &
    VIEWER=$!
    sleep 0.5
    kill -0 "$VIEWER" 2>/dev/null || { echo "run-demo: ERROR: spanwatch-viewer did not start" >&2; exit 1; }
fi

section "spanwatch"
rm -rf "$OUT"
mkdir -p "$OUT"
echo "+ $BIN --pcap $PCAP --out $OUT --hold-ring 2 $*"
rc=0
RUNTIME_DIRECTORY="$RUNDIR" "$BIN" --pcap "$PCAP" --out "$OUT" --hold-ring 2 "$@" </dev/null || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "run-demo: ERROR: spanwatch exited with status $rc" >&2
    exit "$rc"
fi

section "flow records"
# Flow records: every NDJSON line under $OUT that has source.ip or destination.ip (same rule as spancheck.py).
RECORDS="$RUNDIR/records.ndjson"
python3 - "$OUT" "$RECORDS" <<'PY'
import glob, json, os, sys
out, dst = sys.argv[1], sys.argv[2]
recs, invalid, files = [], 0, []
for f in sorted(glob.glob(os.path.join(out, "**", "*.json"), recursive=True)):
    if os.path.basename(f).startswith("stats"):
        continue
    n = 0
    for line in open(f, errors="replace"):
        line = line.strip()
        if not line:
            continue
        try:
            o = json.loads(line)
        except ValueError:
            invalid += 1
            continue
        if not isinstance(o, dict):
            continue
        src = o.get("source.ip", (o.get("source") or {}).get("ip") if isinstance(o.get("source"), dict) else None)
        dst_ip = o.get("destination.ip", (o.get("destination") or {}).get("ip") if isinstance(o.get("destination"), dict) else None)
        if src is None and dst_ip is None:
            continue
        recs.append(line); n += 1
    files.append(f"{f} ({n})")
with open(dst, "w") as w:
    w.write("\n".join(recs) + ("\n" if recs else ""))
print(f"flow records written: {len(recs)}")
for f in files:
    print(f"  file: {f}")
if invalid:
    print(f"  WARNING: {invalid} line(s) are not valid JSON")
PY
echo
echo "first 3 records:"
head -n 3 "$RECORDS" | while IFS= read -r rec; do
    printf '%s\n' "$rec" | python3 -m json.tool
done

section "stats"
STATS="$(find "$OUT" -name 'stats*.json' -type f | sort | awk 'NR == 1')"
if [ -n "$STATS" ]; then
    echo "stats file: $ROOT/$STATS"
else
    echo "stats file: none found under $OUT"
fi

if [ -n "$VIEWER" ]; then
    section "viewer"
    echo "spanwatch-viewer: open http://127.0.0.1:$PORT/  (live flows, details, analysis; Ctrl-C stops it)"
    echo "More traffic into it: build/pipeline/spanwatch --pcap OTHER.pcap --out DIR  (or --iface IF)"
    wait "$VIEWER"
fi
