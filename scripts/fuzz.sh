#!/usr/bin/env bash
# libFuzzer runs of the tests/fuzz targets (issue 8): builds build-fuzz/ with clang (-Dfuzzing=true: lib/ and
# the targets only, -fsanitize=fuzzer,address,undefined), assembles each target's seeds (tests/fuzz/seeds in
# git + seeds cut from ../shared/corpus pcaps + conf/*.yaml), fuzzes each target for N seconds, keeps every
# crash/timeout/oom input in tests/fuzz/regressions/<target>/ and prints a table per target.
# Usage: scripts/fuzz.sh [--seconds N] [--jobs J] [--junit FILE] [target...]
#   --seconds N   per target (default 60)
#   --jobs J      targets fuzzed at the same time (default 1; each uses one CPU)
#   --junit FILE  also write one JUnit testcase per target (CI appends it to its summary)
#   target        names as in tests/fuzz/fuzz_<name>.cpp (default: all)
# Environment: SPANWATCH_CORPUS (default ../shared/corpus), SPANWATCH_FUZZ_BUILDDIR (default build-fuzz),
#   SPANWATCH_FUZZ_WORKDIR (default BUILDDIR/fuzz-work: the growing corpora, logs and artifacts).
# Exit status: 0 if no target crashed, 1 if any did (its input is kept), 2 on a usage or build error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ALL_TARGETS=(packet_decoder tls_handshake tls_client_hello tls_server_hello x509_certificate ssh_handshake
             dns_message dhcp_message http_message quic_initial config_loader rule_set shm_ring_reader
             flow_record)
SECS=60
JOBS=1
JUNIT=""
TARGETS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECS="$2"; shift 2 ;;
        --jobs) JOBS="$2"; shift 2 ;;
        --junit) JUNIT="$2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) TARGETS+=("$1"); shift ;;
    esac
done
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
    [ -f "tests/fuzz/fuzz_$t.cpp" ] || { echo "fuzz.sh: no target '$t' (tests/fuzz/fuzz_$t.cpp)" >&2; exit 2; }
done

BUILDDIR="${SPANWATCH_FUZZ_BUILDDIR:-build-fuzz}"
WORK="${SPANWATCH_FUZZ_WORKDIR:-$BUILDDIR/fuzz-work}"
CORPUS="${SPANWATCH_CORPUS:-$ROOT/../shared/corpus}"
log() { echo "fuzz.sh: $*"; }

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (scripts/install-deps.sh installs clang)" >&2; exit 2; }

# ---- build: lib/ + tests/fuzz only, -O1 (libFuzzer's recommendation; half the compile time of -O2) ----
if [ ! -f "$BUILDDIR/meson-private/coredata.dat" ]; then
    log "configuring $BUILDDIR (clang, -Dfuzzing=true)"
    CXX=clang++ CC=clang meson setup "$BUILDDIR" -Dfuzzing=true -Dtests=disabled -Doptimization=1 \
        -Ddebug=false -Dcpp_args=-g1 -Db_lundef=false >/dev/null || { echo "fuzz.sh: meson setup failed" >&2; exit 2; }
fi
build_targets=(tests/fuzz/fuzz_seed_extractor)
for t in "${TARGETS[@]}"; do build_targets+=("tests/fuzz/fuzz_$t"); done
log "building ${#build_targets[@]} targets in $BUILDDIR"
t0=$(date +%s)
ninja -C "$BUILDDIR" "${build_targets[@]}" >"$BUILDDIR/fuzz-build.log" 2>&1 || {
    cat "$BUILDDIR/fuzz-build.log" >&2; echo "fuzz.sh: BUILD FAILED" >&2; exit 2; }
log "build took $(( $(date +%s) - t0 )) s"

# ---- seeds: git seeds + corpus pcaps (cut by the real decoder) + the shipped YAML without comments ----
rm -rf "$WORK/seeds"
mkdir -p "$WORK/seeds" "$WORK/corpus" "$WORK/logs" "$WORK/artifacts"
if [ -d "$CORPUS/pcaps" ]; then
    ASAN_OPTIONS=detect_leaks=0 "$BUILDDIR/tests/fuzz/fuzz_seed_extractor" "$WORK/seeds" \
        "$CORPUS/pcaps" "$ROOT/tests/captures" | sed 's/^/fuzz.sh: /'
else
    log "no corpus at $CORPUS: fuzzing from the git seeds only"
fi
for t in config_loader rule_set; do
    mkdir -p "$WORK/seeds/$t"
    for f in conf/*.yaml conf/examples/*.yaml; do
        [ -f "$f" ] && grep -v -E '^[[:space:]]*(#|$)' "$f" >"$WORK/seeds/$t/conf-$(basename "$f")" || true
    done
done
for t in "${TARGETS[@]}"; do
    mkdir -p "$WORK/seeds/$t" "$WORK/corpus/$t"
    [ -d "tests/fuzz/seeds/$t" ] && cp tests/fuzz/seeds/"$t"/* "$WORK/seeds/$t/" 2>/dev/null || true
    [ -d "tests/fuzz/regressions/$t" ] && cp tests/fuzz/regressions/"$t"/* "$WORK/seeds/$t/" 2>/dev/null || true
    rm -f "$WORK/seeds/$t/README.md" "$WORK/seeds/$t/.gitkeep"
done

# ---- fuzz ----
run_target() {
    local t="$1" art="$WORK/artifacts/$1" rc=0
    rm -rf "$art"; mkdir -p "$art"
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a leak or an absurd allocation is an OOM.
    # Leak detection stays on (ASan's default): a leak per input would grow the RSS of a long-running sensor.
    "$BUILDDIR/tests/fuzz/fuzz_$t" "$WORK/corpus/$t" "$WORK/seeds/$t" -max_total_time="$SECS" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$art/" \
        >"$WORK/logs/$t.log" 2>&1 || rc=$?
    echo "${rc:-0}" >"$WORK/logs/$t.rc"
}
log "fuzzing ${#TARGETS[@]} target(s) for ${SECS} s each, $JOBS at a time (logs: $WORK/logs)"
for t in "${TARGETS[@]}"; do
    run_target "$t" &
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
done
wait || true
# A run that ends at -max_total_time mid-input leaves the ring target's segment behind.
rm -f /dev/shm/spanwatch-fuzz-ring-* 2>/dev/null || true

# ---- results ----
crashed=0
rows=()
for t in "${TARGETS[@]}"; do
    lg="$WORK/logs/$t.log"
    rc="$(cat "$WORK/logs/$t.rc" 2>/dev/null || echo 99)"
    stat() { sed -n "s/^stat::$1: *//p" "$lg" | tail -1; }
    execs="$(stat number_of_executed_units)"; eps="$(stat average_exec_per_sec)"
    last="$(grep -E '^#[0-9]+' "$lg" | grep 'cov:' | tail -1 || true)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
    corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")"
    secs="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$lg" | tail -1)"
    found=0
    mkdir -p "tests/fuzz/regressions/$t"
    for a in "$WORK/artifacts/$t"/*; do
        [ -f "$a" ] || continue
        kind="$(basename "$a" | cut -d- -f1)"   # crash, timeout, oom, leak, slow-unit
        [ "$kind" = slow ] && continue
        found=$((found + 1))
        dest="tests/fuzz/regressions/$t/$kind-$(sha1sum "$a" | cut -c1-16)"
        cp "$a" "$dest"
        echo "fuzz.sh: *** $t: $kind input kept as $dest (replay: $BUILDDIR/tests/fuzz/fuzz_$t $dest; log: $lg)" >&2
    done
    status=ok
    if [ "$rc" != 0 ] || [ "$found" -gt 0 ]; then
        status=CRASH; crashed=1
        grep -E 'ERROR: |SUMMARY: |fuzz invariant failed|runtime error' "$lg" | head -5 | sed "s/^/fuzz.sh: $t: /" >&2
    fi
    rows+=("$t|${execs:-?}|${eps:-?}|${secs:-?}|${corp:-?}|${cov:-?}|$found|$status")
done
printf '%-18s %12s %8s %6s %14s %6s %8s  %s\n' target executions exec/s secs corpus cov crashes status
for r in "${rows[@]}"; do
    IFS='|' read -r t e s d c v n st <<<"$r"
    printf '%-18s %12s %8s %6s %14s %6s %8s  %s\n' "$t" "$e" "$s" "$d" "$c" "$v" "$n" "$st"
done

if [ -n "$JUNIT" ]; then
    {
        echo '<?xml version="1.0" encoding="UTF-8"?>'
        echo "<testsuites><testsuite name=\"fuzz\" tests=\"${#rows[@]}\">"
        for r in "${rows[@]}"; do
            IFS='|' read -r t e s d c v n st <<<"$r"
            echo "<testcase classname=\"fuzz\" name=\"fuzz_$t\" time=\"${d/\?/0}\">"
            [ "$st" = ok ] || echo "<failure message=\"libFuzzer found $n crashing input(s); see tests/fuzz/regressions/$t\"/>"
            echo "<system-out>executions=$e exec/s=$s corpus=$c cov=$v</system-out></testcase>"
        done
        echo '</testsuite></testsuites>'
    } >"$JUNIT"
fi
[ "$crashed" = 0 ] || { log "CRASHES FOUND: fix them; the inputs are kept in tests/fuzz/regressions/"; exit 1; }
log "no crashes"
