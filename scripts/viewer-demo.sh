#!/usr/bin/env bash
# Start spanwatch-viewer, replay captures through the real pipeline into its ring, print the URL, and keep
# the viewer running (Ctrl-C stops it). The replayed flows stay in the viewer after the pipeline exits.
# Usage: scripts/viewer-demo.sh [PCAP ...]      (default: tests/captures/demo.pcap and a few corpus captures)
# Environment: VIEWER_PORT (8089), VIEWER_RING (/spanwatch-demo), BUILD_DIR (build), SPANWATCH_SKIP_BUILD=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${BUILD_DIR:-build}"
PORT="${VIEWER_PORT:-8089}"
RING="${VIEWER_RING:-/spanwatch-demo}"
CORPUS="${SPANWATCH_CORPUS:-$ROOT/../shared/corpus}/pcaps"

if [ "${SPANWATCH_SKIP_BUILD:-0}" != "1" ]; then
    [ -d "$BUILD" ] || meson setup "$BUILD" --buildtype=release >/dev/null
    ninja -C "$BUILD" pipeline/spanwatch viewer/spanwatch-viewer
fi

PCAPS=("$@")
if [ "${#PCAPS[@]}" -eq 0 ]; then
    PCAPS=(tests/captures/demo.pcap)
    for p in ndpi/443-firefox.pcap ndpi/google_ssl.pcap ndpi/ssh.pcap ndpi/dns.pcap zeek/http-get.pcap \
             ndpi/synscan.pcap ndpi/tls_malicious_sha1.pcapng ndpi/quic-23.pcap; do
        [ -f "$CORPUS/$p" ] && PCAPS+=("$CORPUS/$p")
    done
fi

WORK="$(mktemp -d -t spanwatch-viewer-demo.XXXXXX)"
"$BUILD/viewer/spanwatch-viewer" --ring "$RING" --port "$PORT" &
VIEWER=$!
trap 'kill "$VIEWER" 2>/dev/null; wait "$VIEWER" 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 0.5
kill -0 "$VIEWER" || { echo "viewer-demo: spanwatch-viewer did not start" >&2; exit 1; }

printf 'ring:\n  name: %s\n' "$RING" > "$WORK/ring.yaml"
args=()
for p in "${PCAPS[@]}"; do args+=(--pcap "$p"); done
echo "+ spanwatch --config $WORK/ring.yaml ${args[*]} --out $WORK"
RUNTIME_DIRECTORY="$WORK" "$BUILD/pipeline/spanwatch" --config "$WORK/ring.yaml" "${args[@]}" --out "$WORK" </dev/null

echo
echo "viewer-demo: open http://127.0.0.1:$PORT/ (Ctrl-C to stop the viewer)"
wait "$VIEWER"
