#!/usr/bin/env python3
"""Disk-full test of the real spanwatch binary: the output directory is a small tmpfs.

  disk_full_check.py BIN

spanwatch captures a veth interface (--iface, net_af_packet) in a network namespace of its own, with 1 s
UDP idle timeouts, so records come out while tcpreplay sends generated UDP flows in three phases:
  1. space: records are written;
  2. full: a ballast file fills the tmpfs; records are kept in memory (NdjsonFile's pending buffer, 8 MiB)
     and, beyond that, dropped and counted; stats.json keeps its last good content;
  3. space again: the ballast is deleted while spanwatch runs; what was kept is written, new records too.
Then SIGINT. The process must survive, stats.json must count the write errors and drops, every line in
flows.json must be a whole JSON record, and written + dropped must equal the records the exporter got.

  disk_full_check.py BIN faults

Write errors other than a full disk: the output directory is a FUSE pass-through (tests/tools/fault_fs.py)
that fails changes on demand, as a file system gone read-only or a failing disk does (the kernel refuses
`mount -o remount,ro` while spanwatch holds flows.json open for writing: EBUSY). Phases, 300 flows each:
  1. healthy;  2. EROFS on everything (write, ftruncate, fsync, open, rename: stats.json too);
  3. healed, except that renames still fail (EROFS): the age rotation fails, then works;
  4. EIO on everything;  5. healed, except that creating a file fails (EROFS): the new flows.json after a
     rotation cannot be opened, then can.
Each failure must be logged once with its errno text, counted, and survived; every record kept in memory
(none dropped: 300 flows are far below the 8 MiB buffer) and written once the file system heals.

Needs root (mount, network namespaces), iproute2 and tcpreplay; the faults mode also python3-fusepy and
/dev/fuse. Exit 0 pass, 1 fail, 77 skipped.
"""
import errno, glob, json, os, re, shutil, signal, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import veth_link  # noqa: E402

SKIP = 77
# The pending buffer holds 8 MiB of lines while the disk refuses them, so the file system must take that
# much once space returns; phase 2 makes more than 8 MiB of records so that some are dropped.
TMPFS_SIZE = "16m"
PHASES = {1: 400, 2: 24000, 3: 400}  # phase -> UDP flows (one packet each); source 10.<phase>.x.y
PPS = 8000
CONFIG = """flows:
  udp_idle_timeout_s: 1
  tcp_idle_timeout_s: 1
  tcp_linger_s: 1
  tcp_attempt_timeout_s: 1
  tcp_handshake_timeout_s: 1
  icmp_idle_timeout_s: 1
  other_idle_timeout_s: 1
  dns_idle_timeout_s: 1
output:
  stats_interval_s: 1
"""
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg, flush=True)


def checksum(b):
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def write_pcap(path, phase, flows):
    """One UDP packet per flow from 10.<phase>.<i/256>.<i%256>:<port> to 192.0.2.1:7777."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(flows):
            payload = b"spanwatch-disk-full-%06d" % i
            udp = struct.pack("!HHHH", 20000 + i % 40000, 7777, 8 + len(payload), 0) + payload
            src = bytes([10, phase, (i >> 8) & 0xFF, i & 0xFF])
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, src,
                             bytes([192, 0, 2, 1]))
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            frame = bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(frame), len(frame)))
            f.write(frame)


def fill(path):
    """Writes a ballast file until the file system says ENOSPC; returns its size."""
    size = 0
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 20, 4096, 1):
            block = b"\0" * chunk
            while True:
                try:
                    n = f.write(block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
                size += n
                if n < chunk:
                    break
    return size


class Run:
    def __init__(self, binary, ns, iface, out, work, config=CONFIG):
        self.out, self.log_path = out, os.path.join(work, "spanwatch.log")
        cfg = os.path.join(work, "disk_full.yaml")
        open(cfg, "w").write(config)
        env = dict(os.environ, RUNTIME_DIRECTORY=os.path.join(work, "runtime"))  # DPDK's files: not on the tmpfs
        os.makedirs(env["RUNTIME_DIRECTORY"], exist_ok=True)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, binary, "--iface", iface, "--config", cfg,
                                      "--out", out], stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.last_stats, self.bad_stats = None, False
        self.dropped_when_full = None  # file_records_dropped once space had returned

    def log_text(self):
        return open(self.log_path, errors="replace").read()

    def records_logged(self):
        """Exporter records from the last periodic stats line on stderr (readable while the disk is full)."""
        m = re.findall(r"records (\d+),", self.log_text())
        return int(m[-1]) if m else 0

    def stats(self):
        """stats.json, which must always be whole JSON (it is replaced by rename, never written in place)."""
        path = os.path.join(self.out, "stats.json")
        if not os.path.exists(path):
            return None
        text = open(path).read()
        try:
            self.last_stats = json.loads(text)
        except ValueError:
            if not self.bad_stats:  # once: it is checked on every poll
                fail(f"stats.json is not valid JSON ({len(text)} bytes): {text[:120]!r}")
            self.bad_stats = True
            return None
        return self.last_stats

    def alive(self, when):
        if self.proc.poll() is not None:
            fail(f"spanwatch exited with {self.proc.returncode} {when}: {self.log_text()[-600:]}")
            return False
        return True

    def settle(self, what, count, timeout=90, quiet=3.0):
        """Waits until count() has grown and then not changed for `quiet` seconds: a phase's flows have
        timed out (1 s) and their records have reached the exporter. Returns the count."""
        start = last = count()
        since, deadline = time.time(), time.time() + timeout
        while time.time() < deadline and self.alive(f"while waiting for {what}"):
            time.sleep(0.25)
            c = count()
            if c != last:
                last, since = c, time.time()
            elif last != start and time.time() - since >= quiet:
                return last
        fail(f"{what}: the record count did not settle within {timeout} s (from {start} to {last})")
        return last

    def wait(self, what, cond, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive(f"while waiting for {what}"):
                return False
            if cond():
                return True
            time.sleep(0.2)
        fail(f"timed out after {timeout} s waiting for {what}")
        return False


def exporter(stats):
    return stats["exporter"] if stats else {}


def flushed(stats):
    e = exporter(stats)
    return bool(e) and e["file_records_written"] + e["file_records_dropped"] == e["records"]


def main():
    if len(sys.argv) == 3 and sys.argv[2] == "faults":
        return write_faults(os.path.abspath(sys.argv[1]))
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("tcpreplay"):
        print("SKIPPED: needs root, iproute2 and tcpreplay (mount a tmpfs, network namespaces)")
        return SKIP
    work = tempfile.mkdtemp(prefix="swdiskfull-")
    out = os.path.join(work, "out")
    os.makedirs(out)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0755", "tmpfs", out],
                       capture_output=True, text=True)
    if m.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        print(f"SKIPPED: cannot mount a tmpfs here ({' '.join(m.stderr.split())}); needs CAP_SYS_ADMIN")
        return SKIP
    run = None
    link = veth_link.VethLink("swdf")
    try:
        pcaps = {}
        for phase, flows in PHASES.items():
            pcaps[phase] = os.path.join(work, f"phase{phase}.pcap")
            write_pcap(pcaps[phase], phase, flows)
        link.__enter__()
        replay = lambda phase: link.send(pcaps[phase], pps=PPS)

        run = Run(binary, link.cap_ns, link.cap_if, out, work)
        if not run.wait("flows.json and stats.json", lambda: run.stats() is not None, 60):
            return finish(run)

        # Phase 1: space. Every record written.
        replay(1)
        n1 = run.settle("phase 1 records", run.records_logged)
        run.wait("phase 1 records written", lambda: flushed(run.stats()), 30)
        print(f"phase 1: {n1} records, {exporter(run.last_stats).get('file_records_written')} written", flush=True)

        # Phase 2: full. Records keep coming; writes fail; stats.json must stay whole.
        ballast = os.path.join(out, "ballast")
        size = fill(ballast)
        print(f"phase 2: ballast of {size} bytes fills the tmpfs", flush=True)
        replay(2)
        n2 = run.settle("phase 2 records", run.records_logged) - n1  # stderr: stats.json cannot be updated now
        run.wait("the exporter to report the full disk", lambda: "No space left on device" in run.log_text(), 30)
        run.stats()  # still the last good one
        print(f"phase 2: {n2} records reached the exporter while the disk was full", flush=True)
        if n2 < PHASES[2] // 2:
            fail(f"phase 2: only {n2} records for {PHASES[2]} flows sent (the port lost packets?): too few to "
                 "overflow the pending buffer")
        if not run.alive("with the disk full"):
            return finish(run)

        # Phase 3: space again, while spanwatch runs.
        os.unlink(ballast)
        run.wait("the kept records to be written", lambda: flushed(run.stats()) and
                 exporter(run.last_stats)["records"] >= n1 + n2, 60)
        if not re.search(r"writing \S*flows\.json works again", run.log_text()):
            fail("the exporter did not report that writing works again")
        run.dropped_when_full = exporter(run.last_stats).get("file_records_dropped")
        replay(3)
        run.settle("phase 3 records", run.records_logged)
        run.wait("phase 3 records written", lambda: flushed(run.stats()) and
                 exporter(run.last_stats)["records"] >= run.records_logged(), 30)
        return finish(run)
    finally:
        if run and run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()
        link.__exit__(None, None, None)
        subprocess.run(["umount", out], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


FAULT_FLOWS = 300
FAULT_CONFIG = CONFIG + "  rotate_interval_s: 1\n"  # rotations (rename + a new file) happen during the faults


def write_faults(binary):
    fault_fs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "fault_fs.py")
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("tcpreplay"):
        print("SKIPPED: needs root, iproute2 and tcpreplay (FUSE mount, network namespaces)")
        return SKIP
    if not os.path.exists("/dev/fuse"):
        print("SKIPPED: no /dev/fuse")
        return SKIP
    probe = subprocess.run([sys.executable, "-c", "import sys; sys.path.append('/usr/lib/python3/dist-packages');"
                            " import fusepy"], capture_output=True)
    if probe.returncode != 0:
        print("SKIPPED: python3-fusepy is not installed (apt-get install python3-fusepy)")
        return SKIP
    work = tempfile.mkdtemp(prefix="swfaults-")
    backing, out, control = (os.path.join(work, n) for n in ("backing", "out", "fault"))
    os.makedirs(backing)
    os.makedirs(out)
    set_fault = lambda text: open(control, "w").write(text)
    set_fault("")
    fs = subprocess.Popen([sys.executable, fault_fs, backing, out, control], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 10
    while not os.path.ismount(out) and fs.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    if not os.path.ismount(out):
        fs.kill()
        msg = " ".join((fs.communicate()[0] or "").split())[-200:]
        shutil.rmtree(work, ignore_errors=True)
        print(f"SKIPPED: cannot mount the FUSE file system here ({msg})")
        return SKIP
    run = None
    link = veth_link.VethLink("swwf")
    started = time.time()
    try:
        pcaps = {}
        for phase in range(1, 6):
            pcaps[phase] = os.path.join(work, f"phase{phase}.pcap")
            write_pcap(pcaps[phase], phase, FAULT_FLOWS)
        link.__enter__()
        run = Run(binary, link.cap_ns, link.cap_if, out, work, FAULT_CONFIG)
        if not run.wait("flows.json and stats.json", lambda: run.stats() is not None, 60):
            return finish_faults(run)

        def records_written():
            run.stats()
            return flushed(run.last_stats) and exporter(run.last_stats)["records"] >= run.records_logged()

        def phase(n, fault, expect_log=None):
            """Sets the fault, sends phase n's flows, waits for their records; heals when fault is ''."""
            set_fault(fault)
            before = run.records_logged()
            link.send(pcaps[n], pps=8000)
            # One record per flow (1 s idle timeout), counted on the stderr stats line: readable while failing.
            run.wait(f"phase {n}'s {FAULT_FLOWS} records", lambda: run.records_logged() >= before + FAULT_FLOWS, 20)
            got = run.records_logged() - before
            if expect_log:
                run.wait(f"the log line '{expect_log}'", lambda: expect_log in run.log_text(), 10)
            print(f"{time.time() - started:5.1f} s: phase {n} ({fault or 'healthy'}): {got} records; stats.json "
                  f"(stale while failing): {exporter(run.last_stats)}", flush=True)

        phase(1, "")
        run.wait("phase 1 records written", records_written, 15)
        phase(2, "EROFS", "flows.json: Read-only file system")
        stale = exporter(run.stats())["records"]
        if stale >= run.records_logged():
            fail(f"stats.json was updated on a read-only file system ({stale} records)")
        # Healed but renames still fail: the kept records are written, the age rotation fails and is logged.
        # (stats.json is replaced by a rename too: it stays stale until renames work again.)
        set_fault("EROFS rename")
        run.wait("the kept records to be written (renames failing)",
                 lambda: re.search(r"writing \S*flows\.json works again", run.log_text()), 20)
        run.wait("a failed rotation to be logged", lambda: "rotation or retention failed: Read-only file system"
                 in run.log_text(), 10)
        phase(3, "")
        run.wait("phase 3 records written", records_written, 15)
        phase(4, "EIO", "flows.json: Input/output error")
        # Healed but file creation fails: the kept records are written, the age rotation renames flows.json
        # and cannot create a new one; phase 5's records wait in memory until it can.
        set_fault("EROFS create")
        time.sleep(2.2)  # the kept records written, then the rotation one age interval (1 s) later
        ro = lambda: run.log_text().count("flows.json: Read-only file system")
        phase(5, "EROFS create")
        run.wait("the failed open of the new flows.json to be logged", lambda: ro() >= 2, 10)
        set_fault("")
        run.wait("phase 5 records written", records_written, 15)
        return finish_faults(run)
    finally:
        if run and run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()
        link.__exit__(None, None, None)
        subprocess.run(["umount", out], capture_output=True)
        try:
            fs.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fs.kill()
        shutil.rmtree(work, ignore_errors=True)
        print(f"faults: {time.time() - started:.1f} s", flush=True)


def finish_faults(run):
    log = stop(run)
    for line in log.splitlines():
        if ("writ" in line or "failed" in line) and "spanwatch: rx " not in line:
            print("  log:", line, flush=True)
    for pattern in (r"writing \S*flows\.json: Read-only file system", r"writing \S*flows\.json: Input/output error",
                    r"cannot write \S*stats\.json; the previous one stays \(Read-only file system\)",
                    r"cannot write \S*stats\.json; the previous one stays \(Input/output error\)",
                    r"flows\.json: fsync, rotation or retention failed: Read-only file system",
                    r"writing \S*flows\.json works again", r"writing \S*stats\.json works again"):
        if not re.search(pattern, log):
            fail(f"no log line matching {pattern!r}")
    stats = run.stats()
    if stats is None or not stats.get("final"):
        fail(f"no final stats.json: {stats}")
        return report()
    e = stats["exporter"]
    written, dropped, records = e["file_records_written"], e["file_records_dropped"], e["records"]
    print(f"final: {records} records, {written} written, {dropped} dropped; exporter {e}", flush=True)
    if written + dropped != records:
        fail(f"written {written} + dropped {dropped} != records {records}: {records - written - dropped} lost")
    if dropped != 0:
        fail(f"{dropped} records dropped although the pending buffer had room for all of them")
    if e["file_write_errors"] < 3:
        fail(f"file_write_errors {e['file_write_errors']}: expected the EROFS, EIO and create failures")
    if e["file_rotate_errors"] == 0 or e["file_rotations"] == 0:
        fail("expected failed rotations (renames failing) and successful ones")
    lines, phases, partial = read_output(run.out, range(1, 6))
    if lines is None:
        return report()
    for path in partial:
        fail(f"{path} ends in a partial line")
    files = len(glob.glob(os.path.join(run.out, "flows*.json")))
    print(f"output: {lines} lines in {files} files, records by phase {phases}", flush=True)
    if lines != written:
        fail(f"{lines} lines in the output, stats.json says {written} written")
    for n, c in phases.items():
        if c < FAULT_FLOWS * 9 // 10:
            fail(f"phase {n}: only {c} of {FAULT_FLOWS} flows written")
    return report()


def read_output(out, phase_numbers):
    """Lines of every flows*.json, records per phase (source 10.<phase>.x.y) and files ending in a partial
    line; lines is None (and the test failed) when a line is not whole JSON."""
    lines, phases, partial = 0, {n: 0 for n in phase_numbers}, []
    for path in sorted(glob.glob(os.path.join(out, "flows*.json"))):
        data = open(path, "rb").read()
        if data and not data.endswith(b"\n"):
            partial.append(path)
        for i, line in enumerate(data.splitlines()):
            lines += 1
            try:
                r = json.loads(line)
            except ValueError as err:
                fail(f"{os.path.basename(path)} line {i + 1} is not a whole JSON record ({err}): {line[:160]!r}")
                return None, phases, partial
            src = r["source"]["ip"].split(".")
            if src[0] == "10" and int(src[1]) in phases:
                phases[int(src[1])] += 1
    return lines, phases, partial


def stop(run):
    """SIGINT, then the exit status must be 0; returns spanwatch's log."""
    if run.proc.poll() is None:
        run.proc.send_signal(signal.SIGINT)
        try:
            run.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            fail("spanwatch did not stop within 60 s of SIGINT")
            run.proc.kill()
            run.proc.wait()
    if run.proc.returncode != 0:
        fail(f"spanwatch exit {run.proc.returncode}: {run.log_text()[-600:]}")
    log = run.log_text()
    return log


def finish(run):
    log = stop(run)
    for line in log.splitlines():
        if "writ" in line and "spanwatch: rx " not in line:
            print("  log:", line, flush=True)
    if not re.search(r"cannot write \S*stats\.json; the previous one stays", log):
        fail("spanwatch did not report that stats.json could not be written while the disk was full")
    stats = run.stats()
    if stats is None or not stats.get("final"):
        fail(f"no final stats.json: {stats}")
        return report()
    e = stats["exporter"]
    written, dropped, records = e["file_records_written"], e["file_records_dropped"], e["records"]
    worker_drops = sum(w["records_dropped"] for w in stats["workers"])
    print(f"final: {records} records, {written} written, {dropped} dropped, {e['file_write_errors']} write "
          f"errors; {worker_drops} dropped at the workers' full export rings (counted apart, live-update "
          f"snapshots among them)", flush=True)
    if written + dropped != records:
        fail(f"written {written} + dropped {dropped} != records {records}: {records - written - dropped} lost silently")
    if e["file_write_errors"] == 0:
        fail("no write errors counted while the disk was full")
    if dropped == 0:
        fail(f"nothing dropped although phase 2 made more records than the 8 MiB pending buffer holds: {e}")
    if run.dropped_when_full is not None and dropped != run.dropped_when_full:
        fail(f"{dropped - run.dropped_when_full} records dropped after space had returned")

    # Every line in the output files is a whole record; their number is what stats.json says was written.
    lines, phases, partial = read_output(run.out, range(1, 4))
    if lines is None:
        return report()
    if partial:
        fail(f"files end in a partial line: {partial}")
    if lines != written:
        fail(f"{lines} lines in the output, stats.json says {written} written")
    print(f"output: {lines} lines, records by phase {phases}", flush=True)
    # Flows whose packet the port missed have no record; written + dropped == records above is the exact check.
    if phases[1] < PHASES[1] // 2:
        fail(f"phase 1 (space): only {phases[1]} of {PHASES[1]} flows written")
    if phases[2] == 0:
        fail("phase 2 (full): none of the records kept in memory was written once space returned")
    if phases[3] < PHASES[3] // 2:
        fail(f"phase 3 (space again): only {phases[3]} of {PHASES[3]} flows written")
    return report()


def report():
    print(f"disk_full: {len(FAILS)} failures", flush=True)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
