#!/usr/bin/env python3
"""Deployment paths of issue 9, exercised through virtual devices (no NIC on the test machines).

  deploy_check.py metrics BIN PCAP   --pcap replay with --metrics: /metrics is valid Prometheus text and its
                                     counters add up to the packets of PCAP (scraped during --hold-ring)
  deploy_check.py tap BIN            a TAP: two net_af_packet ports on veth pairs in our own network namespaces,
                                     each carrying one direction of the same flows; every conversation must come
                                     out as one merged record with both directions' counts; per-port counters
                                     (stats.json and /metrics, scraped while running) match what each side sent
  deploy_check.py queues BIN         one af_packet port with 2 queues (kernel fanout) on 2 RX lcores gives the
                                     same flows as 1 queue on 1 RX lcore, and both RX lcores get packets
  deploy_check.py setup SCRIPT       scripts/setup-host.sh --dry-run on a fake sysfs: hugepages per NUMA node, vfio-pci
                                     binding of Intel ports, mlx5 left on its kernel driver
  deploy_check.py reload BIN         SIGHUP on a live pipeline (lo of our own namespace): a changed file applies its
                                     live settings and names the sections that need a restart; a broken file
                                     changes nothing, says why, and is counted (stats.json, /metrics)
  deploy_check.py jumbo BIN          9000-byte MTU: af_packet port with ports[].mtu 9000 on a 9000-MTU veth, and
                                     the same frames replayed from a pcap: packets and frame bytes exact

The frames are generated here (TCP conversations with handshake, data both ways and FIN; UDP request/response),
so the expected packet and byte counts per direction are known exactly. Frames are sent from the other end of
the veth pairs with raw AF_PACKET sockets, in order, at a modest rate. Exit 0 when every check holds, 1 when one
fails, 77 (skipped) without root, iproute2 or network namespaces.
"""
import collections, json, os, re, shutil, signal, socket, struct, subprocess, sys, tempfile, time, urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from make_test_pcaps import csum  # noqa: E402  the Internet checksum

SKIP = 77
FAILS = []
SEND_PPS = 1500  # slow enough that the RX lcore sees both ports' frames in the order they were sent


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg)


# ---- frames ---------------------------------------------------------------------------------------------



def ip4(a):
    return socket.inet_aton(a)


def frame(src, dst, proto, sport, dport, payload=b"", flags=0x10, seq=0, ack=0):
    """Ethernet + IPv4 + TCP/UDP with valid checksums."""
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(l4))
    c = csum(pseudo + l4)
    l4 = l4[:16] + struct.pack("!H", c) + l4[18:] if proto == 6 else l4[:6] + struct.pack("!H", c) + l4[8:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    macs = bytes.fromhex("02aaaaaaaa01") if src < dst else bytes.fromhex("02aaaaaaaa02")
    macd = bytes.fromhex("02aaaaaaaa02") if src < dst else bytes.fromhex("02aaaaaaaa01")
    return macd + macs + b"\x08\x00" + hdr + l4


def conversations(n_tcp, n_udp, data_bytes=200, subnet=77):
    """[(side, frame)]: side 0 = client to server, 1 = server to client. Conversations interleave."""
    convs = []
    for i in range(n_tcp):
        c, s, cp, sp = f"10.{subnet}.{i // 200}.{1 + i % 200}", f"10.{subnet}.200.{1 + i % 50}", 40000 + i, 443
        pl = bytes([i % 256]) * data_bytes
        cs, ss = 1000, 5000
        f = [(0, frame(c, s, 6, cp, sp, flags=0x02, seq=cs)),
             (1, frame(s, c, 6, sp, cp, flags=0x12, seq=ss, ack=cs + 1)),
             (0, frame(c, s, 6, cp, sp, flags=0x10, seq=cs + 1, ack=ss + 1))]
        for k in range(2 + i % 3):
            f.append((0, frame(c, s, 6, cp, sp, pl, 0x18, cs + 1 + k * len(pl), ss + 1)))
            f.append((1, frame(s, c, 6, sp, cp, pl + pl[:10], 0x18, ss + 1 + k * (len(pl) + 10),
                               cs + 1 + (k + 1) * len(pl))))
        f += [(0, frame(c, s, 6, cp, sp, flags=0x11, seq=cs + 999, ack=ss + 999)),
              (1, frame(s, c, 6, sp, cp, flags=0x11, seq=ss + 999, ack=cs + 1000)),
              (0, frame(c, s, 6, cp, sp, flags=0x10, seq=cs + 1000, ack=ss + 1000))]
        convs.append(f)
    for i in range(n_udp):
        c, s, cp, sp = f"10.{subnet}.100.{1 + i}", f"10.{subnet}.201.{1 + i % 7}", 50000 + i, 5000 + i
        convs.append([(0, frame(c, s, 17, cp, sp, b"q" * (20 + i))), (1, frame(s, c, 17, sp, cp, b"r" * (60 + i))),
                      (0, frame(c, s, 17, cp, sp, b"q" * 30))])
    out = []
    while any(convs):  # round robin over the conversations
        for f in convs:
            if f:
                out.append(f.pop(0))
    return out


def expected(frames):
    """{(proto, frozenset endpoints): {(ip, port): (packets, bytes) sent}}"""
    want = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0]))
    for _, f in frames:
        proto = f[23]
        src, dst = socket.inet_ntoa(f[26:30]), socket.inet_ntoa(f[30:34])
        sport, dport = struct.unpack("!HH", f[34:38])
        key = (proto, frozenset({(src, sport), (dst, dport)}))
        want[key][(src, sport)][0] += 1
        want[key][(src, sport)][1] += len(f)
    return {k: {e: tuple(v) for e, v in d.items()} for k, d in want.items()}


def got_flows(recs):
    got = collections.defaultdict(list)
    for r in recs:
        s, d = r["source"], r["destination"]
        proto = {"tcp": 6, "udp": 17}.get(r["network"]["transport"], 0)
        key = (proto, frozenset({(s["ip"], s.get("port", 0)), (d["ip"], d.get("port", 0))}))
        got[key].append({(s["ip"], s.get("port", 0)): (s["packets"], s["bytes"]),
                         (d["ip"], d.get("port", 0)): (d["packets"], d["bytes"])})
    return got


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, (_, fr) in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(fr), len(fr)) + fr)


# ---- network namespaces ---------------------------------------------------------------------------------

def sh(*args):
    p = subprocess.run(list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.strip()[-500:]}")


def can_use_netns():
    if os.geteuid() != 0 or not shutil.which("ip"):
        return False
    ns = "swdp" + uuid.uuid4().hex[:6]
    try:
        sh("ip", "netns", "add", ns)
    except (RuntimeError, OSError):
        return False
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    return True


class Links:
    """A capture and a sender namespace joined by `n` veth pairs (capture side cap[i], sender side snd[i])."""

    def __init__(self, n, mtu=0):
        tag = uuid.uuid4().hex[:6]
        self.cap_ns, self.snd_ns = f"swdc{tag}", f"swds{tag}"
        self.cap = [f"swc{i}{tag}" for i in range(n)]
        self.snd = [f"sws{i}{tag}" for i in range(n)]
        self.mtu = mtu

    def __enter__(self):
        try:
            sh("ip", "netns", "add", self.cap_ns)
            sh("ip", "netns", "add", self.snd_ns)
            sh("ip", "-n", self.cap_ns, "link", "set", "lo", "up")  # the metrics endpoint listens on 127.0.0.1
            for c, s in zip(self.cap, self.snd):
                sh("ip", "link", "add", c, "type", "veth", "peer", "name", s)
                sh("ip", "link", "set", c, "netns", self.cap_ns)
                sh("ip", "link", "set", s, "netns", self.snd_ns)
                for ns, v in ((self.cap_ns, c), (self.snd_ns, s)):
                    if self.mtu:
                        sh("ip", "-n", ns, "link", "set", v, "mtu", str(self.mtu))
                    sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{v}.disable_ipv6=1")
                    sh("ip", "-n", ns, "link", "set", v, "up")
        except BaseException:
            self.__exit__()
            raise
        return self

    def send(self, pcap, sides):
        """Frames of `pcap` on snd[side]: side per frame from the JSON list file `sides`."""
        sh("ip", "netns", "exec", self.snd_ns, sys.executable, os.path.abspath(__file__), "send", pcap, sides,
           ",".join(self.snd), str(SEND_PPS))

    def __exit__(self, *exc):
        for ns in (self.cap_ns, self.snd_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        return False


def cmd_send(pcap, sides_path, ifaces, pps):
    """Runs in the sender namespace: raw frames out of the interfaces, in file order."""
    sides = json.load(open(sides_path))
    socks = []
    for name in ifaces.split(","):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((name, 0))
        socks.append(s)
    data = open(pcap, "rb").read()
    off, i, gap, t = 24, 0, 1.0 / float(pps), time.monotonic()
    while off < len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        socks[sides[i]].send(data[off + 16:off + 16 + incl])
        off += 16 + incl
        i += 1
        t += gap
        d = t - time.monotonic()
        if d > 0:
            time.sleep(d)
    return 0


# ---- running spanwatch ----------------------------------------------------------------------------------

METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\d+)$')


def parse_metrics(text):
    """{name: {labels string: value}}; checks the exposition format on the way."""
    out, typed = collections.defaultdict(dict), set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        m = METRIC_LINE.match(line)
        if not m:
            fail(f"metrics: not exposition format: {line!r}")
            continue
        if m.group(1) not in typed:
            fail(f"metrics: {m.group(1)} has no # TYPE line before its samples")
        out[m.group(1)][m.group(2) or ""] = int(m.group(4))
    return out


def total(metrics, name, label_filter=""):
    return sum(v for k, v in metrics.get(name, {}).items() if label_filter in k)


class Spanwatch:
    """spanwatch in a namespace (or not), stderr collected; `url` once it printed the metrics address."""

    def __init__(self, args, out, ns=None):
        self.out, self.ns = out, ns
        env = dict(os.environ, RUNTIME_DIRECTORY=out)
        cmd = (["ip", "netns", "exec", ns] if ns else []) + args + ["--out", out]
        self.log = open(os.path.join(out, "stderr.log"), "w+")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, text=True, env=env)

    def text(self):
        self.log.flush()
        return open(self.log.name).read()

    def wait_for(self, pattern, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                return re.search(pattern, self.text())
            time.sleep(0.1)
        return None

    def scrape(self, url):
        if self.ns:
            r = subprocess.run(["ip", "netns", "exec", self.ns, sys.executable, "-c",
                                f"import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('{url}', "
                                f"timeout=5).read().decode())"], capture_output=True, text=True, timeout=20)
            return r.stdout
        return urllib.request.urlopen(url, timeout=5).read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode

    def results(self):
        recs = [json.loads(l) for l in open(os.path.join(self.out, "flows.json"))]
        stats = json.load(open(os.path.join(self.out, "stats.json")))
        return recs, stats


def telemetry(runtime_dir, commands):
    """Asks DPDK's telemetry socket (under RUNTIME_DIRECTORY) each command; returns the parsed answers."""
    import glob
    import socket
    paths = glob.glob(os.path.join(runtime_dir, "dpdk", "*", "dpdk_telemetry.v2"))
    if not paths:
        fail(f"telemetry: no dpdk_telemetry.v2 socket under {runtime_dir}")
        return [{} for _ in commands]
    answers = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.connect(paths[0])
        s.recv(1024)  # the greeting: version, pid, max_output_len
        for c in commands:
            s.send(c.encode())
            answers.append(json.loads(s.recv(65536).decode()))
    return answers


def config(out, extra=""):
    path = os.path.join(out, "test.yaml")
    with open(path, "w") as f:
        f.write("ring: {enabled: false}\noutput: {stats_interval_s: 1}\n" + extra)
    return path


def check_flows(name, frames, recs):
    want, got = expected(frames), got_flows(recs)
    for key, ends in want.items():
        rs = got.get(key, [])
        if len(rs) != 1:
            fail(f"{name}: {sorted(key[1])} proto {key[0]}: {len(rs)} records, want 1 merged record")
            continue
        for end, v in ends.items():
            if rs[0].get(end) != v:
                fail(f"{name}: {sorted(key[1])}: {end} sent {rs[0].get(end)} (packets, bytes), want {v}")
    extra = set(got) - set(want)
    if extra:
        fail(f"{name}: records for flows never sent: {list(extra)[:3]}")
    return len(want)


def cmd_metrics(binary, pcap):
    out = tempfile.mkdtemp(prefix="swmetrics-")
    # The config's lcore placement holds in --pcap mode too (scripts/bench_run.py gives the worker a CPU of its
    # own this way); stats.json says where each lcore may run.
    cpus = sorted(os.sched_getaffinity(0))
    worker_cpu = cpus[1] if len(cpus) > 1 else cpus[0]
    placement = f"lcores: {{shared_cpus: true, cpu_map: '(0-1)@{cpus[0]},2@{worker_cpu}'}}\n"
    want_cpus = {"0": [cpus[0]], "1": [cpus[0]], "2": [worker_cpu]}
    sw = Spanwatch([binary, "--config", config(out, "metrics: {telemetry: true}\n" + placement), "--pcap", pcap, "--metrics",
                    "127.0.0.1:0", "--hold-ring", "60"], out)
    m = sw.wait_for(r"metrics on (http://\S+/metrics)")
    held = sw.wait_for(r"keeping .*the metrics endpoint.* open for", timeout=60)
    if not m or not held:
        fail(f"metrics: no endpoint or no hold: {sw.text()[-500:]}")
        sw.stop()
        return
    text = sw.scrape(m.group(1))
    tel = telemetry(out, ["/spanwatch/stats", "/spanwatch/stats,rx_dropped_total", "/help,/spanwatch/stats"])
    rc = sw.stop()
    if rc != 0:
        fail(f"metrics: exit {rc}: {sw.text()[-300:]}")
    recs, stats = sw.results()
    met = parse_metrics(text)
    packets = stats["replay"][0]["packets"]
    checks = {
        "spanwatch_up": (total(met, "spanwatch_up"), 0),
        "spanwatch_packets_read_total": (total(met, "spanwatch_packets_read_total"), packets),
        "sum of spanwatch_packets_accounted_total": (total(met, "spanwatch_packets_accounted_total"), packets),
        "spanwatch_port_rx_packets_total": (total(met, "spanwatch_port_rx_packets_total"), packets),
        "spanwatch_rx_packets_total": (total(met, "spanwatch_rx_packets_total"), packets),
        "records in flows.json": (total(met, "spanwatch_records_total"), len(recs)),
        "packets in records": (total(met, "spanwatch_packets_accounted_total", 'in="records"'),
                               sum(r["source"]["packets"] + r["destination"]["packets"] for r in recs
                                   if not r.get("spanwatch", {}).get("tunnel", {}).get("carrier"))),
        "drops": (total(met, "spanwatch_rx_dropped_total") + total(met, "spanwatch_ring_dropped_total")
                  + total(met, "spanwatch_records_dropped_total"), 0),
        "flows created = records": (total(met, "spanwatch_flows_created_total"), len(recs)),
        "port bytes = stats.json": (total(met, "spanwatch_port_rx_bytes_total"), stats["ports"][0]["rx_bytes"]),
        "stats.json lcore_cpus = lcores.cpu_map": (stats.get("lcore_cpus"), want_cpus),
    }
    # DPDK telemetry answers the same families (one sum each) and, per family, the labelled samples.
    sums, drops = tel[0].get("/spanwatch/stats") or {}, tel[1].get("/spanwatch/stats") or {}
    checks["telemetry families = /metrics families"] = (
        sorted(sums), sorted(n[len("spanwatch_"):] for n in met))
    for name in ("packets_read_total", "packets_accounted_total", "records_total", "flows_created_total"):
        checks[f"telemetry {name}"] = (sums.get(name), total(met, "spanwatch_" + name))
    checks["telemetry rx_dropped_total by port and reason"] = (
        sorted(drops), sorted(f"port/{p}/reason/{r}" for p in ("pcap0",) for r in ("imissed", "rx_nombuf", "ierrors")))
    checks["telemetry help"] = ("/spanwatch/stats" in (tel[2].get("/help") or {}), True)
    lag = total(met, "spanwatch_export_lag_microseconds")
    if not 0 <= lag < 60_000_000:
        fail(f"metrics: export lag {lag} us is not a plausible lag")
    for what, (g, w) in checks.items():
        if g != w:
            fail(f"metrics: {what}: {g}, want {w}")
    print(f"metrics: {len(text.splitlines())} lines, {len(met)} metrics; {packets} packets replayed and accounted; "
          f"telemetry /spanwatch/stats has {len(sums)} families; export lag {lag} us")
    shutil.rmtree(out, ignore_errors=True)


RELOAD_BASE = "ring: {enabled: false}\noutput: {stats_interval_s: 1}\nlog_level: warning\n"


def cmd_reload(binary):
    out = tempfile.mkdtemp(prefix="swreloadcfg-")
    ns = "swrc" + uuid.uuid4().hex[:6]
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        path = os.path.join(out, "test.yaml")
        open(path, "w").write(RELOAD_BASE)
        sw = Spanwatch([binary, "--config", path, "--iface", "lo", "--metrics", "127.0.0.1:0"], out, ns)
        if not sw.wait_for(r"metrics on (http://\S+/metrics)") or not sw.wait_for(r"rx \d+ pkts", timeout=30):
            fail(f"reload: spanwatch did not start: {sw.text()[-500:]}")
            sw.stop()
            return
        # Live settings (rotation, stats interval, log level) plus two that need a restart.
        open(path, "w").write("ring: {enabled: false}\noutput: {stats_interval_s: 2, rotate_mb: 5, max_files: 3}\n"
                              "log_level: info\nflows: {tcp_idle_timeout_s: 60}\nobserver: {name: other}\n")
        sw.proc.send_signal(signal.SIGHUP)
        applied = sw.wait_for(r"reload: configuration re-read; applied: (.*)")
        # A broken file: nothing changes, and the log says which key is wrong.
        open(path, "w").write(RELOAD_BASE + "flows: {tcp_idle_timeout_s: -1}\n")
        sw.proc.send_signal(signal.SIGHUP)
        refused = sw.wait_for(r"reload: configuration not changed: (.*)")
        url = sw.wait_for(r"metrics on (http://\S+/metrics)").group(1)
        time.sleep(1.5)  # metrics and stats.json refresh about once a second
        met = parse_metrics(sw.scrape(url))
        rc = sw.stop()
        stats = json.load(open(os.path.join(out, "stats.json")))
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    want = "output rotation, retention and fsync, output.stats_interval_s, log_level; changed but waiting for a " \
           "restart: flows, observer"
    if not applied or applied.group(1).strip() != want:
        fail(f"reload: applied line {applied.group(1) if applied else None!r}, want {want!r}")
    if not refused or "flows.tcp_idle_timeout_s" not in refused.group(1):
        fail(f"reload: the broken file's message does not name its keys: {refused.group(1) if refused else None!r}")
    got = (stats.get("config_reloads"), total(met, "spanwatch_config_reloads_total", 'result="applied"'),
           total(met, "spanwatch_config_reloads_total", 'result="failed"'), rc)
    if got != ({"applied": 1, "failed": 1}, 1, 1, 0):
        fail(f"reload: stats config_reloads, /metrics applied and failed, exit code: {got}")
    print(f"reload: applied {want!r}; broken file refused: {refused.group(1)[:120] if refused else None}")
    shutil.rmtree(out, ignore_errors=True)


def run_live(name, args, frames, links, sides, out, metrics=False):
    """Starts spanwatch on the capture side, sends, waits until the ports saw everything, stops it."""
    pcap, sides_path = os.path.join(out, "frames.pcap"), os.path.join(out, "sides.json")
    write_pcap(pcap, frames)
    json.dump(sides, open(sides_path, "w"))
    sw = Spanwatch(args + (["--metrics", "127.0.0.1:0"] if metrics else []), out, links.cap_ns)
    if not sw.wait_for(r"port .*link up|link still down", timeout=30) or not sw.wait_for(r"rx \d+ pkts", timeout=30):
        fail(f"{name}: spanwatch did not start: {sw.text()[-500:]}")
        sw.stop()
        return None, None, None
    links.send(pcap, sides_path)
    per_side = collections.Counter(sides)
    scraped = None
    if metrics:
        url = sw.wait_for(r"metrics on (http://\S+/metrics)").group(1)
        deadline = time.time() + 15
        while time.time() < deadline:  # metrics are refreshed about once a second
            scraped = parse_metrics(sw.scrape(url))
            if total(scraped, "spanwatch_port_rx_packets_total") >= len(frames):
                break
            time.sleep(0.3)
    else:
        deadline = time.time() + 15
        while time.time() < deadline:  # stats.json is rewritten every second (output.stats_interval_s: 1)
            try:
                st = json.load(open(os.path.join(out, "stats.json")))
                if sum(p["rx_packets"] for p in st["ports"]) >= len(frames):
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
    rc = sw.stop()
    if rc != 0:
        fail(f"{name}: exit {rc} after SIGINT: {sw.text()[-300:]}")
        return None, None, None
    recs, stats = sw.results()
    a = stats["accounting"]
    port_total = sum(p["rx_packets"] for p in stats["ports"])
    if a["unaccounted"] or a["packets_read"] != port_total or port_total != len(frames):
        fail(f"{name}: accounting {a}, ports {[p['rx_packets'] for p in stats['ports']]}, sent {len(frames)} "
             f"({dict(per_side)})")
    return recs, stats, scraped


def cmd_tap(binary):
    # One direction of every conversation on each port, as a TAP delivers a link.
    frames = conversations(12, 6)
    sides = [s for s, _ in frames]
    out = tempfile.mkdtemp(prefix="swtap-")
    with Links(2) as links:
        recs, stats, met = run_live("tap", [binary, "--config", config(out), "--iface", links.cap[0], "--iface",
                                            links.cap[1]], frames, links, sides, out, metrics=True)
    if recs is None:
        return
    n = check_flows("tap", frames, recs)
    per_side = collections.Counter(sides)
    by_name = {p["name"]: p for p in stats["ports"]}
    for i, c in enumerate(links.cap):
        if by_name.get(c, {}).get("rx_packets") != per_side[i]:
            fail(f"tap: stats.json port {c}: {by_name.get(c)}, want {per_side[i]} packets")
        got = total(met or {}, "spanwatch_port_rx_packets_total", f'port="{c}"')
        if got != per_side[i]:
            fail(f"tap: /metrics port {c}: {got} packets, want {per_side[i]}")
        want_bytes = sum(len(f) for s, f in frames if s == i)
        if by_name.get(c, {}).get("rx_bytes") != want_bytes:
            fail(f"tap: port {c} {by_name.get(c, {}).get('rx_bytes')} bytes, want {want_bytes}")
    # The client's first packet (SYN, or the UDP request) arrives on the first port.
    ingress = collections.Counter(r.get("observer", {}).get("ingress", {}).get("interface", {}).get("name")
                                  for r in recs)
    if set(ingress) != {links.cap[0]}:
        fail(f"tap: observer.ingress.interface.name {dict(ingress)}, want all {links.cap[0]}")
    print(f"tap: {n} conversations over 2 ports -> {len(recs)} records; ports {dict(per_side)}")
    shutil.rmtree(out, ignore_errors=True)


def summary(recs):
    return collections.Counter(
        (r["network"]["transport"],) + tuple(sorted(((r["source"]["ip"], r["source"].get("port", 0),
                                                      r["source"]["packets"], r["source"]["bytes"]),
                                                     (r["destination"]["ip"], r["destination"].get("port", 0),
                                                      r["destination"]["packets"], r["destination"]["bytes"]))))
        for r in recs)


def cmd_queues(binary):
    frames = conversations(40, 20, subnet=78)
    sides = [0] * len(frames)
    results = {}
    for rx in (1, 2):
        out = tempfile.mkdtemp(prefix=f"swq{rx}-")
        with Links(1) as links:
            recs, stats, _ = run_live(f"queues rx={rx}", [binary, "--config", config(out), "--iface", links.cap[0],
                                                          "--rx-lcores", str(rx)], frames, links, sides, out)
        if recs is None:
            return
        check_flows(f"queues rx={rx}", frames, recs)
        per_rx = [r["packets"] for r in stats["rx"]]
        if rx == 2 and (len(per_rx) != 2 or min(per_rx) == 0):
            fail(f"queues: 2 RX lcores should share the fanout queues: packets per RX lcore {per_rx}")
        results[rx] = (summary(recs), per_rx)
        shutil.rmtree(out, ignore_errors=True)
    if results[1][0] != results[2][0]:
        fail(f"queues: 1 queue and 2 queues differ: only 1q {list((results[1][0] - results[2][0]).elements())[:2]} "
             f"only 2q {list((results[2][0] - results[1][0]).elements())[:2]}")
    print(f"queues: {sum(results[1][0].values())} flows; packets per RX lcore with 2 queues: {results[2][1]}")


def cmd_jumbo(binary):
    frames = conversations(4, 2, data_bytes=8900, subnet=79)  # server answers carry 8910 B: 8974 B frames
    biggest = max(len(f) for _, f in frames)
    sides = [0] * len(frames)
    out = tempfile.mkdtemp(prefix="swjumbo-")
    with Links(1, mtu=9000) as links:
        port = (f'ports: [{{device: "net_af_packet0,iface={links.cap[0]},blocksz=16384,framesz=16384", '
                f'name: jumbo0, mtu: 9000, link_wait_s: 2}}]\n'
                'lcores: {main: 0, rx: [1], workers: [2], shared_cpus: true, cpu_map: "(0-2)@(0-1)"}\n'
                'memory: {hugepages: false, memory_mb: 512}\n')
        recs, stats, _ = run_live("jumbo af_packet", [binary, "--config", config(out, port)], frames, links, sides,
                                  out)
    if recs is not None:
        check_flows("jumbo af_packet", frames, recs)
        want_bytes = sum(len(f) for _, f in frames)
        if stats["ports"][0]["rx_bytes"] != want_bytes:
            fail(f"jumbo: port rx_bytes {stats['ports'][0]['rx_bytes']}, want {want_bytes}")
        log = open(os.path.join(out, "stderr.log")).read()
        if "mtu 9000" not in log:  # af_packet: the notice that the kernel interface's MTU rules
            fail(f"jumbo: the port did not report mtu 9000: {log[-400:]}")
    # The same frames from a file: net_pcap chains mbufs for frames beyond one buffer (scattered RX).
    pcap = os.path.join(out, "jumbo.pcap")
    write_pcap(pcap, frames)
    p = subprocess.run([binary, "--pcap", pcap, "--out", os.path.join(out, "replay"), "--config", config(out)],
                       capture_output=True, text=True, env=dict(os.environ, RUNTIME_DIRECTORY=out), timeout=120)
    if p.returncode != 0:
        fail(f"jumbo replay: exit {p.returncode}: {p.stderr[-300:]}")
    else:
        recs = [json.loads(l) for l in open(os.path.join(out, "replay", "flows.json"))]
        check_flows("jumbo replay", frames, recs)
    print(f"jumbo: {len(frames)} frames up to {biggest} B")
    shutil.rmtree(out, ignore_errors=True)


def cmd_setup(script):
    """scripts/setup-host.sh --dry-run on a fake sysfs: an ixgbe port on NUMA node 1, an mlx5 port, one absent."""
    root = tempfile.mkdtemp(prefix="swsetup-")
    devs = os.path.join(root, "bus", "pci", "devices")
    for addr, vendor, driver, node, iface in (("0000:3b:00.0", "0x8086", "ixgbe", "1", "enp59s0f0"),
                                              ("0000:5e:00.0", "0x15b3", "mlx5_core", "0", "enp94s0f0")):
        d = os.path.join(devs, addr)
        os.makedirs(os.path.join(d, "net", iface))
        os.makedirs(os.path.join(root, "bus", "pci", "drivers", driver), exist_ok=True)
        os.symlink(os.path.join(root, "bus", "pci", "drivers", driver), os.path.join(d, "driver"))
        open(os.path.join(d, "vendor"), "w").write(vendor + "\n")
        open(os.path.join(d, "numa_node"), "w").write(node + "\n")
        open(os.path.join(d, "net", iface, "operstate"), "w").write("down\n")
    os.makedirs(os.path.join(root, "kernel", "iommu_groups", "7"))
    cfg = os.path.join(root, "sw.yaml")
    open(cfg, "w").write('ports:\n  - device: "0000:3b:00.0"\n  - {device: "0000:5e:00.0"}\n'
                         '  - device: "af:00.1"\n  - device: "net_pcap0,rx_pcap=x.pcap"\nmemory:\n  memory_mb: 2048\n')
    p = subprocess.run([script, "--dry-run", "--config", cfg], capture_output=True, text=True,
                       env=dict(os.environ, SYSFS_ROOT=root), timeout=30)
    out = p.stdout
    ran = [l[len("would run: "):] for l in out.splitlines() if l.startswith("would run: ")]
    want = ["ip link set enp59s0f0 down", "ip link set enp94s0f0 up",
            "dpdk-hugepages.py --pagesize 2M --node 0 --reserve 3072M",
            "dpdk-hugepages.py --pagesize 2M --node 1 --reserve 3072M", "dpdk-hugepages.py --mount",
            "modprobe vfio-pci", "dpdk-devbind.py --bind=vfio-pci 0000:3b:00.0 0000:af:00.1"]
    if p.returncode != 0 or sorted(ran) != sorted(want):
        fail(f"setup: exit {p.returncode}; commands {ran}, want {want}; output:\n{out}{p.stderr}")
    for text in ("3 PCI port(s)", "0000:5e:00.0: Mellanox/NVIDIA (mlx5): stays on mlx5_core", "NUMA node 1"):
        if text not in out:
            fail(f"setup: output lacks {text!r}:\n{out}")
    if "WARNING: no IOMMU" in out:
        fail("setup: warned about the IOMMU although groups exist")
    print(f"setup: {len(ran)} commands in the dry run")
    shutil.rmtree(root, ignore_errors=True)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "send":
        return cmd_send(*sys.argv[2:6])
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    cmd, binary = sys.argv[1], os.path.abspath(sys.argv[2])
    if cmd == "setup":
        cmd_setup(binary)
    elif cmd == "metrics":
        cmd_metrics(binary, os.path.abspath(sys.argv[3]))
    elif cmd in ("tap", "queues", "jumbo", "reload"):
        if not can_use_netns():
            print("SKIPPED: needs root, iproute2 and network namespaces (ip netns add) for veth pairs")
            return SKIP
        {"tap": cmd_tap, "queues": cmd_queues, "jumbo": cmd_jumbo, "reload": cmd_reload}[cmd](binary)
    else:
        print(__doc__)
        return 2
    print(f"{cmd}: {len(FAILS)} failures")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
