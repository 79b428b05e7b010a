#!/usr/bin/env python3
"""The shared-memory ring end to end: the real pipeline publishes, spanwatch-tail reads.

  ring_tail_check.py SPANWATCH SPANWATCH_TAIL PCAP [PCAP...]

Replays each PCAP with a ring of its own name and --hold-ring, then checks that
  - spanwatch-tail --final-only prints exactly the lines of flows.json (the same bytes, same order): the
    ring carries binary records (BIN4) with their enrichment, and the tail formats them with the context
    the exporter published in the ring, so this is JSON(decode(encode(record))) == JSON(record) for every
    real record,
  - spanwatch-tail (everything) prints valid JSON records only: the final ones, plus live snapshots
    (event.reason live_update) that never count as a flow start,
  - stats.json's ring block counts what was published,
  - a missing ring gives a clear message and exit status 3.
Exit 0 when every check holds, 1 otherwise.
"""
import json, os, signal, subprocess, sys, tempfile, time

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg)


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    spanwatch, tail = (os.path.abspath(a) for a in sys.argv[1:3])
    for n, pcap in enumerate(sys.argv[3:]):
        if os.path.exists(pcap):
            print(f"== {pcap}")
            check_capture(spanwatch, tail, os.path.abspath(pcap), f"/spanwatch-test-{os.getpid()}-{n}")
        else:
            print(f"skipped (not there): {pcap}")
    return 1 if FAILS else 0


def check_capture(spanwatch, tail, pcap, ring):
    with tempfile.TemporaryDirectory(prefix="swring-") as out:
        cfg = os.path.join(out, "ring.yaml")
        with open(cfg, "w") as f:
            f.write(f"ring:\n  name: {ring}\n  update_interval_ms: 1\n")
        env = dict(os.environ, RUNTIME_DIRECTORY=out)
        proc = subprocess.Popen([spanwatch, "--config", cfg, "--pcap", pcap, "--out", out, "--hold-ring", "60"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            # The final stats.json is written once every record is published; the ring stays open after it.
            stats_path = os.path.join(out, "stats.json")
            deadline = time.time() + 120
            while time.time() < deadline and proc.poll() is None:
                if os.path.exists(stats_path) and json.load(open(stats_path)).get("final"):
                    break
                time.sleep(0.1)
            if proc.poll() is not None:
                fail(f"spanwatch exited early ({proc.returncode}): {proc.stdout.read()[-500:]}")
                return 1
            stats = json.load(open(stats_path))
            file_lines = open(os.path.join(out, "flows.json"), encoding="utf-8").read().splitlines()

            final = subprocess.run([tail, "--ring", ring, "--from-oldest", "--final-only", "-n",
                                    str(len(file_lines))], capture_output=True, text=True, timeout=60)
            got = final.stdout.splitlines()
            if final.returncode != 0:
                fail(f"spanwatch-tail --final-only exit {final.returncode}: {final.stderr}")
            if got != file_lines:
                fail(f"ring final records differ from flows.json: {len(got)} vs {len(file_lines)} lines")
            else:
                print(f"ring: {len(got)} final records equal flows.json byte for byte")

            everything = subprocess.run([tail, "--ring", ring, "--from-oldest", "-n",
                                         str(stats["ring"]["published"])],
                                        capture_output=True, text=True, timeout=60)
            live = 0
            for n, line in enumerate(everything.stdout.splitlines(), 1):
                rec = json.loads(line)
                if rec["event"].get("reason") == "live_update":
                    live += 1
                    if "start" in rec["event"]["type"] or rec["spanwatch"]["flow"]["final"]:
                        fail(f"live snapshot {n} counts as a flow start or end: {rec['event']}")
            total = len(everything.stdout.splitlines())
            print(f"ring: {total} records read, {live} live snapshots; stats: {stats['ring']}")
            if total != stats["ring"]["published"] or total != len(file_lines) + live:
                fail(f"ring published {stats['ring']['published']}, read {total}, "
                     f"files {len(file_lines)} + live {live}")
            if stats["ring"]["oversize"] != 0:
                fail(f"records too large for a ring slot: {stats['ring']['oversize']}")
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    if os.path.exists("/dev/shm" + ring):
        fail(f"ring {ring} still exists after the writer exited")

    missing = subprocess.run([tail, "--ring", ring], capture_output=True, text=True, timeout=30)
    if missing.returncode != 3 or ring not in missing.stderr:
        fail(f"missing ring: exit {missing.returncode}, message {missing.stderr!r}")


if __name__ == "__main__":
    sys.exit(main())
