#!/usr/bin/env bash
# Benchmarks (issue 7): builds optimised, generates the traces, then measures in one run on this machine:
# the full pipeline with one worker lcore per trace (Mpps, Gbps and ns per packet per worker core, the split
# across stages), Debian's ndpiReader on the same traces, flow-table lookups and new flows per second,
# memory per flow and peak memory, JSON records and ring records per second. Prints a table (medians of
# several runs, with min and max) and writes it to docs/performance.md with the machine description (the
# hand-written notes below the marker line there are kept).
# Usage: scripts/bench.sh [--quick] [--resume] [--native] [--runs N] [--traces mix-10k,...] [--table-sizes 10000,...] [--no-write]
#   --quick     small traces and 3 runs (a few minutes; for trying the harness, not for figures)
#   --resume    keep the figures of traces this same binary already measured (after an interrupted run)
#   --native    build with -march=native into build-native/ (default: the release build in build/)
# Environment: SPANWATCH_SKIP_DEPS=1 (no apt), BENCH_TRACE_DIR (default /dev/shm/spanwatch-bench: traces are
# replayed from memory), SPANWATCH_CORPUS (QUIC/TLS handshake templates; default ../shared/corpus).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MODE=release
BUILDDIR=build
ARGS=()
for a in "$@"; do
    case "$a" in
        --native) BUILDDIR=build-native ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) ARGS+=("$a") ;;
    esac
done

if [ "$BUILDDIR" = build-native ]; then
    [ "${SPANWATCH_SKIP_DEPS:-0}" = 1 ] || "$ROOT/scripts/install-deps.sh"
    meson setup build-native --buildtype=release -Dnative=true >/dev/null 2>&1 ||
        meson setup --reconfigure build-native --buildtype=release -Dnative=true >/dev/null
    ninja -C build-native
else
    "$ROOT/scripts/build.sh" "$MODE"
fi
# The benchmarks are not built by default (CI does not need them).
ninja -C "$BUILDDIR" workers/flow_table_bench workers/flow_memory_bench lib/export/json_flow_writer_bench \
    lib/ring/shm_ring_bench lib/enrich/flow_enricher_bench tests/tools/trace_generator
command -v ndpiReader >/dev/null || echo "bench.sh: ndpiReader not found (Debian package libndpi-bin); its column stays empty" >&2

exec python3 "$ROOT/scripts/bench_run.py" --build "$ROOT/$BUILDDIR" "${ARGS[@]}"
