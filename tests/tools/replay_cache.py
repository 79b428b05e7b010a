#!/usr/bin/env python3
"""One replay of each capture per spanwatch build, shared by every corpus test.

Five corpus tests (accounting and schema, application metadata, JA4, 1 vs 3 workers, spancheck) read what
`spanwatch --pcap P --out D` writes for the same captures. Replaying the 320 corpus captures once per test
made CI spend most of its time starting DPDK; this module runs the real binary once per (binary build,
capture) and lets the tests share the result. Tests run in parallel, so each entry is made under a file
lock by whichever test needs it first; the others wait for it and reuse it.

The key is the binary's path, size and mtime and the capture's path, size and mtime: a rebuilt binary (or
the sanitizer build) never sees another build's output. Only the plain invocation (one capture, no other
options) is cached; anything else runs the binary directly.

As a module:   result = replay(binary, pcap) -> Replay(dir, returncode, stdout, stderr)
As a program:  replay_cache.py --pcap P --out D   (SPANWATCH_BIN names the binary; for spancheck --bin)
               copies the cached files into D, prints the binary's stdout/stderr, exits with its status.
               SPANWATCH_REPLAY_PROFILE=zeek: a capture whose Zeek conn.log baseline ran without -C is
               replayed with flows.verify_checksums on, as Zeek verified checksums for it (the corpus
               README: "Read the command before comparing"); every other capture is the plain replay.
               replay_cache.py --warm BIN CORPUS [JOBS]   replays every corpus capture, JOBS at a time (the
               first corpus test, so the others find every entry made, on all CPUs).
"""
import csv, fcntl, hashlib, json, os, re, shutil, subprocess, sys, tempfile
from collections import namedtuple

Replay = namedtuple("Replay", "dir returncode stdout stderr")
_PLACEHOLDER = "@@SPANWATCH_OUT@@"  # the output folder in stdout/stderr, replaced by the caller's


def cache_root(binary):
    """SPANWATCH_REPLAY_CACHE, else corpus-replay/ in the binary's build folder."""
    root = os.environ.get("SPANWATCH_REPLAY_CACHE")
    if not root:
        root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(binary))), "corpus-replay")
    os.makedirs(root, exist_ok=True)
    return root


def _file_key(path):
    st = os.stat(path)
    return hashlib.sha256(f"{os.path.realpath(path)}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:16]


def _key(binary, pcap, verify):
    # the binary's part first: warm() prunes by it
    return f"{_file_key(binary)}-{_file_key(pcap)}" + ("-verify" if verify else "")


_VERIFY_CONFIG = "flows:\n  verify_checksums: true\n"


def zeek_verified_checksums(pcap):
    """True when the capture's Zeek conn.log baseline (CORPUS/truth/zeek/baselines.tsv, next to
    CORPUS/pcaps/zeek/<case>) was made by a Zeek run without -C, i.e. with checksums verified."""
    corpus = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(pcap))))
    path = os.path.join(corpus, "truth", "zeek", "baselines.tsv")
    if os.path.basename(os.path.dirname(os.path.abspath(pcap))) != "zeek" or not os.path.exists(path):
        return False
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["case"] == os.path.basename(pcap) and row["log"] == "conn.log":
                # -C alone or among other short options (-Cr, -bC)
                return not any(re.fullmatch(r"-[A-Za-z]*C[A-Za-z]*", t) for t in row["zeek_command"].split())
    return False


def _run(binary, pcap, out, timeout, verify):
    env = dict(os.environ)
    env.setdefault("RUNTIME_DIRECTORY", out)  # DPDK's runtime dir: keep it out of /var/run
    cmd = [binary, "--pcap", pcap, "--out", out]
    if verify:
        config = os.path.join(os.path.dirname(out), "verify-checksums.yaml")  # beside `out`, removed with it
        with open(config, "w") as f:
            f.write(_VERIFY_CONFIG)
        cmd[1:1] = ["-c", config]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return -9, e.stdout or "", f"timed out after {timeout} s"


def replay(binary, pcap, timeout=300, verify=False):
    """The cached replay of `pcap` by `binary` (verify: with flows.verify_checksums); made now (under a
    lock) if no test made it yet."""
    binary, pcap = os.path.abspath(binary), os.path.abspath(pcap)
    entry = os.path.join(cache_root(binary), _key(binary, pcap, verify))
    meta_path = os.path.join(entry, "replay.json")
    with open(entry + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(meta_path):
            tmp = tempfile.mkdtemp(prefix="replay-", dir=os.path.dirname(entry))
            out = os.path.join(tmp, "out")
            os.mkdir(out)
            rc, so, se = _run(binary, pcap, out, timeout, verify)
            for name in os.listdir(out):  # DPDK may leave its runtime files there
                if not os.path.isfile(os.path.join(out, name)):
                    shutil.rmtree(os.path.join(out, name), ignore_errors=True)
            meta = {"binary": binary, "pcap": pcap, "returncode": rc,
                    "stdout": so.replace(out, _PLACEHOLDER), "stderr": se.replace(out, _PLACEHOLDER)}
            with open(os.path.join(out, "replay.json"), "w") as f:
                json.dump(meta, f)
            shutil.rmtree(entry, ignore_errors=True)
            os.rename(out, entry)  # complete entries only: replay.json is inside before the rename
            shutil.rmtree(tmp, ignore_errors=True)
    meta = json.load(open(meta_path))
    return Replay(entry, meta["returncode"], meta["stdout"].replace(_PLACEHOLDER, entry),
                  meta["stderr"].replace(_PLACEHOLDER, entry))


def warm(binary, corpus, jobs):
    import concurrent.futures, glob, time
    pcaps = sorted(p for p in glob.glob(os.path.join(corpus, "pcaps", "*", "*")) if os.path.isfile(p))
    t0 = time.monotonic()
    root, mine = cache_root(binary), _file_key(os.path.abspath(binary)) + "-"
    for name in os.listdir(root):  # replays by earlier builds of this binary
        if not name.startswith(mine):
            path = os.path.join(root, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.unlink(path)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda p: replay(binary, p), pcaps))
    failed = sum(1 for r in results if r.returncode != 0)
    print(f"replay_cache: {len(pcaps)} captures replayed by {binary} in {time.monotonic() - t0:.0f} s "
          f"({jobs} at a time), {failed} exited non-zero (the corpus tests report them); "
          f"cache {cache_root(binary)}")
    return 0


def main(argv):
    if argv and argv[0] == "--warm":
        if len(argv) < 3:
            print("usage: replay_cache.py --warm BIN CORPUS [JOBS]", file=sys.stderr)
            return 2
        if not os.path.isdir(argv[2]):
            print(f"SKIPPED: corpus not found at {argv[2]}")
            return 77
        return warm(argv[1], argv[2], int(argv[3]) if len(argv) > 3 else os.cpu_count() or 2)
    pcaps, out = [], None
    i = 0
    while i < len(argv):
        if argv[i] == "--pcap" and i + 1 < len(argv):
            pcaps.append(argv[i + 1])
        elif argv[i] == "--out" and i + 1 < len(argv):
            out = argv[i + 1]
        else:
            break
        i += 2
    binary = os.environ.get("SPANWATCH_BIN")
    if not binary:
        print("replay_cache: set SPANWATCH_BIN to the spanwatch binary", file=sys.stderr)
        return 2
    if len(pcaps) != 1 or out is None or i != len(argv):  # not the plain invocation: no cache
        return subprocess.run([binary] + argv).returncode
    verify = os.environ.get("SPANWATCH_REPLAY_PROFILE") == "zeek" and zeek_verified_checksums(pcaps[0])
    r = replay(binary, pcaps[0], verify=verify)
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(r.dir):
        if name != "replay.json":
            shutil.copy(os.path.join(r.dir, name), os.path.join(out, name))
    sys.stdout.write(r.stdout.replace(r.dir, out))
    sys.stderr.write(r.stderr.replace(r.dir, out))
    return r.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
