#!/usr/bin/env python3
"""Summarise meson's JUnit log(s) as the plain line CI recognises: `N passed, N failed[, N skipped]`.

Usage: junit_summary.py [--testlog-json FILE] [--exit-status N] [--list-failed] JUNIT.xml [JUNIT.xml ...]

Rules (per <testcase>):
  * a <failure> or <error> child                -> failed
  * a <skipped> child or status="notrun"        -> skipped  (gtest DISABLED_ tests)
  * anything else                               -> passed
Missing junit files count as nothing (zero registered tests gives `0 passed, 0 failed`);
an unparsable junit file counts as one failure.

Safety nets for meson 1.0 quirks (both optional):
  * --testlog-json meson-logs/testlog.json: meson writes no <failure> child for a plain test that
    TIMED OUT or UNEXPECTEDLY PASSED, and for a gtest binary that crashed it may re-read a stale
    gtest XML from an earlier run. Every test that testlog.json marks FAIL/ERROR/TIMEOUT/
    UNEXPECTEDPASS/INTERRUPT but that has no failed testcase in the junit counts one failure
    (a passing single-result testcase of that test is turned into the failure).
  * --exit-status N: meson test's exit status; if non-zero and nothing failed, one failure is counted,
    so the line never reads "0 failed" for a failed run.
The summary line is always the last line printed. Exit status is 0 (the caller keeps meson's)."""
import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

BAD_RESULTS = {"FAIL", "ERROR", "TIMEOUT", "UNEXPECTEDPASS", "INTERRUPT"}


def bad_tests_from_testlog(path):
    """{test name: result} for tests that meson's testlog.json reports as failing in any way."""
    bad = {}
    if not path or not os.path.exists(path):
        return bad
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            result = str(entry.get("result", "")).upper()
            if result in BAD_RESULTS and entry.get("name"):
                bad[entry["name"]] = result
    return bad


def classify(case):
    if case.find("failure") is not None or case.find("error") is not None:
        return "failed"
    if case.find("skipped") is not None or case.get("status") == "notrun":
        return "skipped"
    return "passed"


def owner_test(suite_name, case):
    """meson test name a testcase belongs to, or None.
    Exit-code tests: suite '<project>', case name '<test>'.
    gtest/TAP tests: suite '<project>.<test>' or '<project>.<test>.<gtest suite>'."""
    if "." not in suite_name:
        return case.get("name")
    return suite_name.split(".", 1)[1]  # '<test>' or '<test>.<gtest suite>', matched by prefix below


def belongs(owner, test):
    return owner is not None and (owner == test or owner.startswith(test + "."))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("junit", nargs="*")
    ap.add_argument("--testlog-json", help="meson-logs/testlog.json (catches timeouts and crashes meson leaves unmarked)")
    ap.add_argument("--exit-status", type=int, default=0, help="meson test's exit status")
    ap.add_argument("--list-failed", action="store_true", help="print failed/skipped testcase names first")
    a = ap.parse_args(argv)

    bad = bad_tests_from_testlog(a.testlog_json)
    cases = []  # [kind, owner, label]
    parse_errors = 0
    for path in a.junit:
        if not os.path.exists(path):
            continue
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, OSError) as e:
            print(f"junit_summary: cannot parse {path}: {e}", file=sys.stderr)
            parse_errors += 1
            continue
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        for suite in suites:
            sname = suite.get("name", "")
            for case in suite.findall("testcase"):
                cases.append([classify(case), owner_test(sname, case),
                              f"{case.get('classname', '')} :: {case.get('name', '?')}"])

    extra = [f"junit file unparsable"] * parse_errors
    for test, result in sorted(bad.items()):
        mine = [c for c in cases if belongs(c[1], test)]
        if any(c[0] == "failed" for c in mine):
            continue
        single = [c for c in mine if c[1] == test and c[0] == "passed"]
        if single:
            single[0][0] = "failed"
            single[0][2] += f" ({result} per testlog.json)"
        else:
            extra.append(f"{test} ({result} per testlog.json)")

    counts = {"passed": 0, "failed": len(extra), "skipped": 0}
    for kind, _, _ in cases:
        counts[kind] += 1
    if a.exit_status != 0 and counts["failed"] == 0:
        counts["failed"] = 1
        extra.append(f"meson test exited with status {a.exit_status}")

    if a.list_failed:
        for kind, _, label in cases:
            if kind != "passed":
                print(f"  {kind.upper()}: {label}")
        for label in extra:
            print(f"  FAILED: {label}")
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    sys.stdout.flush()
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
