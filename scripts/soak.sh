#!/usr/bin/env bash
# Soak test (docs/reliability.md "Soak"): spanwatch captures a looping replay with fresh addresses every loop
# for --minutes (default 10), RSS and table sizes sampled every --interval seconds (default 5) into a CSV;
# fails when memory grows after warm-up or a table passes its bound. Needs root, iproute2 and tcpreplay.
#   scripts/soak.sh [--minutes M] [--interval S] [--csv FILE] [--pps N] [--build DIR]
# Not in CI (it runs for minutes); a release build (scripts/build.sh) is the one to soak.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build"
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --minutes|--interval|--csv|--pps) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for f in "$build/pipeline/spanwatch" "$build/tests/tools/trace_generator"; do
  [[ -x "$f" ]] || { echo "soak.sh: $f not built (ninja -C $build)" >&2; exit 2; }
done
exec python3 "$root/tests/tools/soak_run.py" --spanwatch "$build/pipeline/spanwatch" \
  --tracegen "$build/tests/tools/trace_generator" "${args[@]}"
