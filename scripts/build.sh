#!/usr/bin/env bash
# Configure and build spanwatch.
# Usage: scripts/build.sh [release|debug|asan] [extra meson setup args...]
#   release (default) -> build/        (--buildtype=release)
#   debug             -> build-debug/  (--buildtype=debug)
#   asan              -> build-asan/   (-Og -g1, -Db_sanitize=address,undefined -Db_lundef=false: line tables for
#                        the sanitizers' stack traces; -Og compiles in about half the CPU time of -O1 with
#                        UBSan's checks (the sanitizer build is CI's longest step) and the tests run about as
#                        fast (docs/reliability.md, "Sanitizers"))
# Environment:
#   SPANWATCH_SKIP_DEPS=1       do not run scripts/install-deps.sh first
#   SPANWATCH_MESON_ARGS="..."  extra arguments for `meson setup` (word-split)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MODE="${1:-release}"
[ $# -gt 0 ] && shift
case "$MODE" in
    release) BUILDDIR=build;       OPTS=(--buildtype=release) ;;
    debug)   BUILDDIR=build-debug; OPTS=(--buildtype=debug) ;;
    asan)    BUILDDIR=build-asan;  OPTS=(-Doptimization=g -Ddebug=false -Dcpp_args=-g1 -Dc_args=-g1
                                         "-Db_sanitize=address,undefined" -Db_lundef=false) ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown mode '$MODE' (expected release, debug or asan)" >&2; exit 2 ;;
esac
# shellcheck disable=SC2206
OPTS+=(${SPANWATCH_MESON_ARGS:-} "$@")

log() { echo "build.sh: $*"; }

if [ "${SPANWATCH_SKIP_DEPS:-0}" != "1" ]; then
    "$ROOT/scripts/install-deps.sh"
fi

for tool in meson ninja; do
    command -v "$tool" >/dev/null || { echo "build.sh: ERROR: '$tool' not found (run scripts/install-deps.sh as root)" >&2; exit 1; }
done

if [ -f "$BUILDDIR/meson-private/coredata.dat" ]; then
    log "reconfiguring $BUILDDIR ($MODE)"
    if ! meson setup --reconfigure "${OPTS[@]}" "$BUILDDIR"; then
        log "reconfigure failed; wiping $BUILDDIR and configuring from scratch"
        meson setup --wipe "${OPTS[@]}" "$BUILDDIR"
    fi
else
    log "configuring $BUILDDIR ($MODE)"
    meson setup "${OPTS[@]}" "$BUILDDIR"
fi

log "building $BUILDDIR"
ninja -C "$BUILDDIR"
log "build OK: $ROOT/$BUILDDIR"
