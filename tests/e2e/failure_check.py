#!/usr/bin/env python3
"""Hostile captures and injected failures on the real pipeline (net_pcap vdev, --no-huge); docs/reliability.md.

  failure_check.py hostile BIN PCAPDIR            hostile.pcap (make_test_pcaps.py hostile): every decode error
                                                  counter exactly as the sidecar says, no packet unaccounted
  failure_check.py signals BIN TRACEGEN           SIGTERM and SIGINT mid-replay: exit 0, every flow written
                                                  once as final, flows created = final records + drops
  failure_check.py tables BIN TRACEGEN            flow table, nDPI and parser pools far smaller than the
                                                  flows, and a packet pool barely larger than the RX ring
  failure_check.py ring BIN TAIL TRACEGEN         the flow ring with no reader, a slow reader, a reader killed
  failure_check.py reload BIN PCAP                live capture on a veth pair (root, tcpreplay): SIGHUP
                                                  with a broken, then a missing rules file
  failure_check.py viewer VIEWER                  loopback-only default, oversized header, unfinished request,
                                                  token needed on :: as on 0.0.0.0
  failure_check.py geoip BIN MMDB_DIR             missing, garbage, truncated and corrupt GeoIP databases
  failure_check.py pool BIN                       live capture (veth, net_af_packet; root, tcpreplay) with a
                                                  packet pool of 160 mbufs and a burst at full speed: the
                                                  shortage and the kernel's drops counted, nothing
                                                  unaccounted, later traffic captured whole

TRACEGEN is tests/tools/trace_generator: each command writes its own small trace to a temporary folder.
Exit status 0 when every check holds, 1 otherwise, 77 (skipped) when a needed file is absent.
"""
import collections, json, os, shutil, signal, subprocess, sys, tempfile, time

SKIP = 77
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def make_trace(tracegen, tmp, packets, flows, name="trace.pcap"):
    path = os.path.join(tmp, name)
    summary = path + ".summary.json"
    subprocess.run([tracegen, "--out", path, "--flows", str(flows), "--packets", str(packets), "--summary",
                    summary, "--seed", "7"], check=True, capture_output=True, timeout=120)
    return path, json.load(open(summary))


class Run:
    """One spanwatch process with its own output folder; start() then wait(), or run() for both."""

    def __init__(self, binary, args, config=None, tmp=None):
        self.out = tempfile.mkdtemp(prefix="swfail-", dir=tmp)
        self.args = [binary] + list(args) + ["--out", self.out]
        if config is not None:
            cfg = os.path.join(self.out, "spanwatch.yaml")
            open(cfg, "w").write(config)
            self.args += ["--config", cfg]
        self.log_path = os.path.join(self.out, "spanwatch.log")
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, RUNTIME_DIRECTORY=self.out))
        return self

    def wait(self, timeout=300):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail(f"{self.args}: still running after {timeout} s")
        self.log.close()
        return self

    def run(self, timeout=300):
        return self.start().wait(timeout)

    def wait_for(self, cond, what, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        fail(f"timed out waiting for {what}; log: {self.text()[-400:]}")
        return False

    def text(self):
        return open(self.log_path, errors="replace").read()

    def stats(self):
        p = os.path.join(self.out, "stats.json")
        return json.load(open(p)) if os.path.exists(p) else None

    def records(self):
        p = os.path.join(self.out, "flows.json")
        return [json.loads(l) for l in open(p)] if os.path.exists(p) else []

    def cleanup(self):
        shutil.rmtree(self.out, ignore_errors=True)


def packets_of(r):
    return r["source"]["packets"] + r["destination"]["packets"]


def check_flow_conservation(name, run, stats):
    """Every flow created is written exactly once as final, or counted as dropped; packets add up."""
    recs = run.records()
    finals = [r for r in recs if r["spanwatch"]["flow"]["final"]]
    ids = collections.Counter(r["spanwatch"]["flow"]["id"] for r in finals)
    dup = [i for i, n in ids.items() if n > 1]
    check(not dup, f"{name}: {len(dup)} flow ids written more than once as final, e.g. {dup[:3]}")
    created = sum(w["flows_created"] for w in stats["workers"])
    dropped = sum(w["records_dropped"] for w in stats["workers"]) + stats["exporter"]["file_records_dropped"]
    check(created == len(finals) + dropped,
          f"{name}: {created} flows created, {len(finals)} final records + {dropped} counted drops")
    a = stats["accounting"]
    check(a["unaccounted"] == 0, f"{name}: accounting {a}")
    if dropped == 0:
        in_recs = sum(packets_of(r) for r in finals)
        check(in_recs == a["in_records"], f"{name}: {in_recs} packets in final records, stats say {a['in_records']}")
    return finals


# ---------------------------------------------------------------------------------------------------------------
def cmd_hostile(binary, pcapdir):
    exp = json.load(open(os.path.join(pcapdir, "hostile.expected.json")))
    run = Run(binary, ["--pcap", os.path.join(pcapdir, "hostile.pcap")]).run(120)
    if not check(run.proc.returncode == 0, f"hostile: exit {run.proc.returncode}: {run.text()[-400:]}"):
        return
    stats, recs = run.stats(), run.records()
    a = stats["accounting"]
    check(a["packets_read"] == exp["total_packets"], f"hostile: read {a['packets_read']} of {exp['total_packets']}")
    check(a["unaccounted"] == 0, f"hostile: accounting {a}")
    got = collections.Counter()
    for rx in stats["rx"]:
        got.update({k: v for k, v in rx["decode_errors"].items() if v})
    check(dict(got) == exp["decode_errors"], f"hostile: decode errors {dict(got)}, want {exp['decode_errors']}")
    check(stats["ports"][0]["rx_packets"] == exp["total_packets"] and stats["ports"][0]["ierrors"] == 0,
          f"hostile: port {stats['ports'][0]}")
    # The flood: the table keeps at most its slots; every later fragment is matched to the flow or counted.
    fl = exp["fragment_flood"]
    flood = [r for r in recs if r["source"]["ip"] == fl["src"] and r["destination"]["ip"] == fl["dst"]]
    unmatched = sum(w["fragments_unmatched"] for w in stats["workers"])
    flood_frames = sum(packets_of(r) for r in flood)
    check(len(flood) == 1 and flood_frames + unmatched == 2 * fl["datagrams"] and unmatched >= fl["min_unmatched"],
          f"hostile: flood of {fl['datagrams']} datagrams: {len(flood)} records with {flood_frames} frames, "
          f"{unmatched} unmatched (at least {fl['min_unmatched']})")
    for o in exp["overlapping_fragments"]:
        r = [r for r in recs if r["source"]["ip"] == o["src"] and r["source"].get("port") == o["src_port"]]
        check(len(r) == 1 and packets_of(r[0]) == o["frames"],
              f"hostile: overlapping fragments from {o['src']}: {[packets_of(x) for x in r]}, want [{o['frames']}]")
    # The largest frames a pcap can hold are whole flow packets; tunnels at the depth limit still decode.
    sizes = {r["source"].get("port"): r["source"]["bytes"] for r in recs if r["source"]["ip"] == "10.40.0.1"}
    check(sizes.get(4200) == 16000 and sizes.get(4201) == 65535, f"hostile: big frames in records: {sizes}")
    deep = [r for r in recs if r["source"]["ip"] == "192.168.40.1"]
    check(len(deep) == 1 and packets_of(deep[0]) == 3 and deep[0]["spanwatch"]["tunnel"].get("depth") == 4,
          f"hostile: 3 tunnels nested 4 deep give one inner flow of 3 packets: {[packets_of(r) for r in deep]}")
    print(f"hostile: {a['packets_read']} frames, {len(exp['cases'])} cases, decode errors {dict(got)}, "
          f"{unmatched} flood fragments unmatched, {len(recs)} records, 0 unaccounted")
    run.cleanup()


# ---------------------------------------------------------------------------------------------------------------
def cmd_signals(binary, tracegen):
    tmp = tempfile.mkdtemp(prefix="swsig-")
    trace, summary = make_trace(tracegen, tmp, packets=600000, flows=5000)
    total = summary.get("packets", 600000)
    cfg = "output: {stats_interval_s: 1}\nring: {enabled: false}\n"
    for sig in (signal.SIGTERM, signal.SIGINT):
        name = sig.name
        # The signal must land mid-replay: shortly after the port came up. On a fast, quiet machine a replay
        # may still end first; that run proves nothing either way, so it is tried again (up to 3 times).
        for attempt in range(3):
            run = Run(binary, ["--pcap", trace], cfg, tmp).start()
            if not run.wait_for(lambda: "link up" in run.text(), f"{name}: the port"):
                run.proc.kill()
                run.wait()
                break
            time.sleep(0.3 * (2 - attempt) / 2)
            t0 = time.time()
            run.proc.send_signal(sig)
            run.wait(120)
            took = time.time() - t0
            stats = run.stats() if run.proc.returncode == 0 else None
            if stats is None or stats["accounting"]["packets_read"] < total:
                break
            run.cleanup()
        if not check(run.proc.returncode == 0, f"{name}: exit {run.proc.returncode}: {run.text()[-400:]}"):
            continue
        read = stats["accounting"]["packets_read"]
        check(0 < read < total, f"{name}: {read} of {total} packets read: the signal did not come mid-replay")
        nr = stats["accounting"].get("not_replayed")
        check(nr == total - read, f"{name}: not_replayed {nr}, want {total - read}")
        finals = check_flow_conservation(name, run, stats)
        reasons = collections.Counter(r["event"]["reason"] for r in finals)
        print(f"signals: {name} after {read}/{total} packets: exit 0 in {took:.1f} s, {len(finals)} final records "
              f"({dict(reasons)}), each flow once, 0 unaccounted")
        run.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
def cmd_tables(binary, tracegen):
    tmp = tempfile.mkdtemp(prefix="swtab-")
    trace, summary = make_trace(tracegen, tmp, packets=40000, flows=2000)
    base = "ring: {enabled: false}\n"
    ref = Run(binary, ["--pcap", trace], base, tmp).run()
    ref_stats = ref.stats()
    ref_read = ref_stats["accounting"]["packets_read"]
    # 1. flow table full: 1024 slots for 2000 concurrent flows; parsers and nDPI with 16 states each.
    small = base + ("flows: {max_flows_per_worker: 1024, max_dpi_flows_per_worker: 16, "
                    "max_parsing_flows_per_worker: 16}\n")
    run = Run(binary, ["--pcap", trace], small, tmp).run()
    if check(run.proc.returncode == 0, f"flow table full: exit {run.proc.returncode}: {run.text()[-300:]}"):
        stats = run.stats()
        w = stats["workers"][0]
        finals = check_flow_conservation("flow table full", run, stats)
        evicted = sum(1 for r in finals if r["event"]["reason"] == "evicted")
        check(w["flows_evicted"] > 0 and evicted == w["flows_evicted"],
              f"flow table full: {w['flows_evicted']} evictions counted, {evicted} records say evicted")
        check(stats["accounting"]["packets_read"] == ref_read and stats["accounting"]["in_records"] == ref_read,
              f"flow table full: {stats['accounting']} (unlimited run read {ref_read})")
        check(w["dpi"]["pool_exhausted"] > 0 and w["app"]["state_exhausted"] > 0,
              f"flow table full: dpi {w['dpi']['pool_exhausted']} pool_exhausted, app {w['app']['state_exhausted']}")
        print(f"tables: 1024-flow table, 2000 concurrent flows: {w['flows_created']} flows "
              f"(unlimited: {ref_stats['workers'][0]['flows_created']}), {w['flows_evicted']} evicted early, "
              f"dpi pool_exhausted {w['dpi']['pool_exhausted']}, app state_exhausted {w['app']['state_exhausted']}, "
              f"all {stats['accounting']['in_records']} packets in records")
    run.cleanup()
    # 2. packet pool exhausted: 1100 mbufs, 1024 of them on the RX descriptors, no per-lcore caches. A replay waits
    # for buffers (nothing may be lost); the records must be the unlimited run's.
    tiny = base + "memory: {mbufs: 1100, mbuf_cache: 0, rx_ring_size: 64, export_ring_size: 64}\n"
    run = Run(binary, ["--pcap", trace], tiny, tmp).run()
    if check(run.proc.returncode == 0, f"mempool: exit {run.proc.returncode}: {run.text()[-300:]}"):
        stats = run.stats()
        check_flow_conservation("mempool", run, stats)
        a = stats["accounting"]
        port = stats["ports"][0]
        check(a["packets_read"] == ref_read and port["rx_packets"] == ref_read and port["rx_nombuf"] == 0
              and port["imissed"] == 0, f"mempool: read {a['packets_read']} (port {port}), unlimited run {ref_read}")
        same = collections.Counter(packets_of(r) for r in run.records()) == \
            collections.Counter(packets_of(r) for r in ref.records())
        check(same, "mempool: per-flow packet counts differ from the unlimited run")
        rx = stats["rx"][0]
        print(f"tables: 1100-mbuf pool: {a['packets_read']} packets, rx_nombuf {port['rx_nombuf']}, imissed "
              f"{port['imissed']}, ring_full_waits {rx['ring_full_waits']}, records identical to the unlimited run")
    run.cleanup()
    ref.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
def cmd_ring(binary, tail, tracegen):
    tmp = tempfile.mkdtemp(prefix="swring-")
    trace, summary = make_trace(tracegen, tmp, packets=60000, flows=3000)
    ring = f"/spanwatch-fail-{os.getpid()}"
    cfg = f"ring: {{name: {ring}, capacity: 64, slot_bytes: 4096, update_interval_ms: 0}}\noutput: {{stats_interval_s: 1}}\n"
    # 1. no reader: 64 slots, thousands of records; the writer overwrites, nothing waits.
    run = Run(binary, ["--pcap", trace], cfg, tmp).run()
    if check(run.proc.returncode == 0, f"ring no reader: exit {run.proc.returncode}: {run.text()[-300:]}"):
        stats = run.stats()
        finals = check_flow_conservation("ring no reader", run, stats)
        check(stats["ring"]["published"] == stats["exporter"]["records"] - stats["ring"]["oversize"] +
              stats["exporter"].get("live_records", 0) and len(finals) > 64,
              f"ring no reader: ring {stats['ring']}, exporter records {stats['exporter']['records']}")
        print(f"ring: no reader: {stats['ring']['published']} records through a 64-slot ring, "
              f"{len(finals)} in the file, 0 unaccounted")
    run.cleanup()
    # 2. a slow reader (its stdout pipe is read a little at a time) and 3. a reader killed with SIGKILL.
    run = Run(binary, ["--pcap", trace, "--hold-ring", "1"], cfg, tmp).start()
    run.wait_for(lambda: os.path.exists(f"/dev/shm{ring}"), "the ring")
    slow = subprocess.Popen([tail, "--ring", ring, "--final-only"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed = subprocess.Popen([tail, "--ring", ring], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    killed.kill()
    killed.wait()
    slow_lines = 0
    while run.proc.poll() is None:
        chunk = slow.stdout.read(4096)  # 4 KB at a time, 20 times a second: far slower than the pipeline
        if not chunk:
            break
        slow_lines += chunk.count(b"\n")
        time.sleep(0.05)
    run.wait(120)
    slow.send_signal(signal.SIGINT)
    rest, err = slow.communicate(timeout=30)
    slow_lines += rest.count(b"\n")
    err = err.decode(errors="replace")
    missed = 0
    for line in err.splitlines():
        if "missed" in line and "in all)" in line:
            missed = int(line.rsplit("(", 1)[1].split()[0])
    if check(run.proc.returncode == 0, f"ring slow/killed reader: exit {run.proc.returncode}: {run.text()[-300:]}"):
        stats = run.stats()
        finals = check_flow_conservation("ring slow/killed reader", run, stats)
        check(killed.returncode == -signal.SIGKILL, f"ring: the reader to kill ended with {killed.returncode}")
        check(missed > 0, f"ring: the slow reader says it missed nothing: {err[-300:]}")
        check(slow_lines + missed <= stats["ring"]["published"] and slow_lines > 0,
              f"ring: slow reader printed {slow_lines} + missed {missed}, ring published {stats['ring']['published']}")
        print(f"ring: slow reader printed {slow_lines} records and was told it missed {missed}; a reader killed "
              f"with SIGKILL mid-read; pipeline exit 0, {len(finals)} records in the file, 0 unaccounted")
    run.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
RULES_OK = """rules:
  - {id: 5, name: any tls, severity: low, field: sni, regex: '.'}
"""
RULES_BROKEN = """rules:
  - {id: 5, name: any tls, severity: low, field: sni, regex: '(unclosed'}
"""


def cmd_reload(binary, pcap):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    import veth_link
    if not veth_link.available():
        print("SKIPPED: needs root, iproute2 and tcpreplay to create network namespaces")
        return SKIP
    cfg = "output: {stats_interval_s: 1}\nring: {enabled: false}\nenrichment: {rules: rules.yaml}\n"
    with veth_link.VethLink("swrb") as link:
        run = Run("ip", ["netns", "exec", link.cap_ns, binary, "--iface", link.cap_if], cfg)
        rules = os.path.join(run.out, "rules.yaml")
        open(rules, "w").write(RULES_OK)
        run.start()
        ok = run.wait_for(lambda: os.path.exists(os.path.join(run.out, "stats.json")), "stats.json")
        # A rule that does not compile, then no rules file at all: both keep the rules loaded at start-up.
        open(rules, "w").write(RULES_BROKEN)
        run.proc.send_signal(signal.SIGHUP)
        ok = ok and run.wait_for(lambda: run.text().count("reload failed") >= 1, "the first failed reload")
        os.unlink(rules)
        run.proc.send_signal(signal.SIGHUP)
        ok = ok and run.wait_for(lambda: run.text().count("reload failed") >= 2 or "reloaded" in run.text(),
                                 "the second reload")
        if ok:
            link.send(pcap, pps=2000)
            time.sleep(1)
        run.proc.send_signal(signal.SIGINT)
        run.wait(60)
    if not ok or not check(run.proc.returncode == 0, f"reload: exit {run.proc.returncode}: {run.text()[-300:]}"):
        return
    log, stats = run.text(), run.stats()
    failed = [l for l in log.splitlines() if "reload failed" in l]
    check(len(failed) == 2, f"reload: want 2 failed reloads, log: {log[-600:]}")
    check(len(failed) == 2 and "rule 5" in failed[0] and "rules.yaml" in failed[1],
          f"reload: the messages do not say why (the rule, the missing file): {failed}")
    en = stats.get("enrichment", {})
    check(en.get("reloads") == 0 and en.get("reload_failures") == 2, f"reload: enrichment stats {en}")
    # The start-up rule still matches every TLS record with a server name after both failed reloads.
    tls = [r for r in run.records() if r.get("tls", {}).get("client", {}).get("server_name")]
    hit = sum(1 for r in tls if any(m["id"] == 5 for m in r.get("spanwatch", {}).get("rules", [])))
    check(tls and hit == len(tls), f"reload: rule 5 on {hit} of {len(tls)} TLS records with a server name")
    check(stats["accounting"]["unaccounted"] == 0, f"reload: accounting {stats['accounting']}")
    print(f"reload: 2 SIGHUPs failed (a regex that does not compile, the rules file gone), counted "
          f"(enrichment.reload_failures 2, reloads 0); the start-up rule matched all {len(tls)} TLS records after "
          f"them. Logged: {failed[0][:200]} / {failed[-1][:200] if failed else ''}")
    run.cleanup()


# ---------------------------------------------------------------------------------------------------------------
def geo_pcap(path):
    """UDP flows from a private address to public ones the test databases know (make_test_mmdb.pl)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    import make_test_pcaps as m
    pc = m.Pcap(path)
    for n, dst in enumerate(("81.2.69.1", "89.160.20.130", "216.160.83.57", "202.196.224.9")):
        for _ in range(2):
            pc.add(m.eth(m.ETH_IPV4, m.ipv4("10.0.0.1", dst, m.IPPROTO_UDP, m.udp("10.0.0.1", dst, 5000 + n, 443, b"g" * 20))))
    pc.close()


def cmd_geoip(binary, mmdb_dir):
    good = os.path.join(mmdb_dir, "city-geoip2.mmdb")
    if not os.path.exists(good):
        print(f"SKIPPED: no test database {good}")
        return SKIP
    tmp = tempfile.mkdtemp(prefix="swgeo-")
    pcap = os.path.join(tmp, "geo.pcap")
    geo_pcap(pcap)
    blob = open(good, "rb").read()
    meta = blob.rfind(b"\xab\xcd\xefMaxMind.com")  # the metadata section starts with this marker
    files = {"garbage": os.urandom(4096), "truncated": blob[:len(blob) // 2],
             "corrupt_tree": b"\xff" * meta + blob[meta:]}  # metadata intact, search tree and data all 0xff
    paths = {"good": good, "missing": os.path.join(tmp, "missing.mmdb")}
    for name, data in files.items():
        paths[name] = os.path.join(tmp, name + ".mmdb")
        open(paths[name], "wb").write(data)
    for name, path in paths.items():
        run = Run(binary, ["--pcap", pcap], f"ring: {{enabled: false}}\nenrichment: {{geoip_city: [{path}]}}\n",
                  tmp).run(60)
        msg, rc = run.text(), run.proc.returncode
        line = next((l for l in msg.splitlines() if os.path.basename(path) in l), "")
        if name in ("garbage", "truncated"):
            # Data that is there but wrong stops start-up, naming the file.
            check(rc == 2, f"geoip {name}: exit {rc}, want 2: {msg[-300:]}")
            check(line != "", f"geoip {name}: the message does not name the file: {msg[-300:]}")
            check(not os.path.exists(os.path.join(run.out, "flows.json")), f"geoip {name}: it ran anyway")
            print(f"geoip: {name}: exit 2: {line.strip()[:160]}")
        else:
            # Missing optional data is one warning and the fields are left out; a database whose search tree
            # is broken loads (its metadata is fine) and every lookup that meets the damage is counted.
            if not check(rc == 0, f"geoip {name}: exit {rc}: {msg[-300:]}"):
                continue
            stats, recs = run.stats(), run.records()
            with_geo = sum(1 for r in recs if "geo" in r["destination"])
            errors = stats.get("enrichment", {}).get("geo_lookup_errors")
            check(stats["accounting"]["unaccounted"] == 0 and len(recs) == 4, f"geoip {name}: {stats['accounting']}")
            if name == "good":
                check(with_geo == 4 and errors == 0, f"geoip good: {with_geo} of 4 records with geo, errors {errors}")
            elif name == "missing":
                check(with_geo == 0 and msg.count(os.path.basename(path)) == 1,
                      f"geoip missing: {with_geo} records with geo; want one warning naming the file: {msg[-300:]}")
                print(f"geoip: missing: exit 0, runs without geo fields: {line.strip()[:160]}")
            else:
                check(with_geo == 0 and errors and errors > 0, f"geoip {name}: {with_geo} with geo, errors {errors}")
                print(f"geoip: {name}: exit 0, {errors} lookup errors counted (enrichment.geo_lookup_errors), "
                      f"geo fields left out")
        run.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
def listening_addresses(port):
    """Local addresses with a listening TCP socket on `port` (/proc/net/tcp and tcp6; hex, as the kernel writes)."""
    found = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(f).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.rsplit(":", 1)
            if int(p, 16) == port and state == "0A":
                found.append(addr)
    return found


def cmd_viewer(viewer):
    """What viewer/tests/viewer_check.py (api: CSP, traversal, body/URI limits, Host check, token mode) lacks."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "viewer", "tests"))
    import socket
    import viewer_check
    ring = f"/swv-fail-{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if k != "SPANWATCH_VIEWER_TOKEN"}
    v = viewer_check.Viewer(viewer, ring, env=env)
    try:
        # 1. The default listens on loopback only: the one listening socket is 127.0.0.1 (0100007F).
        addrs = listening_addresses(v.port)
        check(v.host == "127.0.0.1" and addrs == ["0100007F"], f"viewer default: {v.base}, listening on {addrs}")
        # 2. A header line far beyond the limit is refused; the server still answers afterwards.
        s = socket.create_connection((v.host, v.port), timeout=10)
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
        status = s.recv(64).split(b"\r\n")[0]
        s.close()
        check(b" 400 " in status or b" 431 " in status, f"viewer: 100 KB header: {status!r}")
        # 3. A request that never finishes is dropped after the read timeout (5 s).
        s = socket.create_connection((v.host, v.port), timeout=20)
        s.sendall(b"GET / HT")
        t0 = time.time()
        got = s.recv(64)
        slow = time.time() - t0
        s.close()
        check(got == b"" and slow < 10, f"viewer: an unfinished request held {slow:.1f} s, got {got!r}")
        check(v.get("/api/stats")[0] == 200, "viewer: no answer after the hostile requests")
        print(f"viewer: default listens on 127.0.0.1 only; 100 KB header -> {status.decode(errors='replace')}; "
              f"unfinished request closed after {slow:.1f} s")
    finally:
        check(v.stop() == 0, "viewer: exit status after SIGINT")
    # 4. Every non-loopback address needs a token, IPv6 too (0.0.0.0 is in viewer_check.py api).
    for addr in ("::", "0.0.0.0"):
        p = subprocess.run([viewer, "--listen", addr, "--port", "0", "--ring", ring], capture_output=True, text=True,
                           timeout=30, env=env)
        check(p.returncode == 2 and "access_token" in p.stderr, f"viewer --listen {addr} without a token: exit "
              f"{p.returncode}: {p.stderr[-200:]}")


def udp_pcap(path, tag, flows, per_flow):
    """per_flow rounds of one 60-byte UDP packet per flow, 10.<tag>.<i/256>.<i%256>:<20000+i> -> 192.0.2.1:7777."""
    import struct

    def checksum(b):
        t = sum(struct.unpack(f"!{len(b) // 2}H", b))
        t = (t >> 16) + (t & 0xFFFF)
        return ~(t + (t >> 16)) & 0xFFFF

    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        k = 0
        for _ in range(per_flow):
            for i in range(flows):
                udp = struct.pack("!HHHH", 20000 + i, 7777, 26, 0) + b"spanwatch-pool-exhaust"[:18]
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), k & 0xFFFF, 0, 64, 17, 0,
                                 bytes([10, tag, i >> 8, i & 0xFF]), bytes([192, 0, 2, 1]))
                ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
                frame = bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + udp
                f.write(struct.pack("<IIII", 1700000000, k % 1000000, len(frame), len(frame)) + frame)
                k += 1
    return k


def cmd_pool(binary):
    """Packet-pool exhaustion on a live port. net_af_packet (DPDK 22.11) copies each frame from the kernel's
    ring into an mbuf; with the pool empty it stops and leaves the frame there, counting nothing. The ring
    fills and the kernel drops; spanwatch reads those drops from the PMD's sockets (imissed) and counts the
    stalls itself (rx[].pool_empty). 160 mbufs (64 on the "descriptors" the config must cover), no caches,
    a worker ring of 4096 (the kernel's ring: 512 frames). The worker lcore (thread rte-worker-2, CPU 0) is
    made SCHED_IDLE while a busy loop runs on CPU 0: it stops taking packets, its ring holds every mbuf,
    and the RX lcore (CPU 1) runs out. Then the worker runs again, and later traffic must come through whole."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    import veth_link
    if not veth_link.available():
        print("SKIPPED: needs root, iproute2 and tcpreplay to create network namespaces")
        return SKIP
    if not {0, 1} <= os.sched_getaffinity(0) or not shutil.which("taskset"):
        print("SKIPPED: needs CPUs 0 and 1 (the RX lcore on one, the starved worker on the other) and taskset")
        return SKIP
    tmp = tempfile.mkdtemp(prefix="swpool-")
    burst, after = os.path.join(tmp, "burst.pcap"), os.path.join(tmp, "after.pcap")
    n_burst, n_after = udp_pcap(burst, 1, 100, 200), udp_pcap(after, 2, 100, 10)
    hog = None
    with veth_link.VethLink("swpl") as link:
        subprocess.run(["ip", "-n", link.cap_ns, "link", "set", "lo", "up"], check=True)  # for /metrics
        cfg = (f"ports:\n  - {{device: 'net_af_packet0,iface={link.cap_if}', name: cap, rx_desc: 64}}\n"
               "lcores: {main: 0, rx: [1], workers: [2], exporter: -1, shared_cpus: true, cpu_map: '0@0,1@1,2@0'}\n"
               "memory: {hugepages: false, memory_mb: 256, mbufs: 160, mbuf_cache: 0, rx_ring_size: 4096}\n"
               "output: {stats_interval_s: 1}\nring: {enabled: false}\n"
               "metrics: {enabled: true, listen: '127.0.0.1:9273'}\n")
        run = Run("ip", ["netns", "exec", link.cap_ns, binary], cfg, tmp=tmp)
        run.start()  # `ip netns exec` execs spanwatch: same pid
        ok = run.wait_for(lambda: os.path.exists(os.path.join(run.out, "stats.json")), "stats.json", 30)
        worker = None
        for tid in os.listdir(f"/proc/{run.proc.pid}/task") if ok else []:
            if open(f"/proc/{run.proc.pid}/task/{tid}/comm").read().strip() == "rte-worker-2":
                worker = int(tid)
        ok = ok and check(worker is not None, "pool: no thread rte-worker-2 (the worker lcore)")
        if ok:
            os.sched_setscheduler(worker, os.SCHED_IDLE, os.sched_param(0))
            hog = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c",
                                    "import time\nt = time.time() + 30\nwhile time.time() < t: pass"])
            time.sleep(0.3)
            t0 = time.time()
            link.send(burst, pps=20000)
            burst_s = time.time() - t0
            time.sleep(0.3)
            hog.kill()
            hog.wait()
            os.sched_setscheduler(worker, os.SCHED_OTHER, os.sched_param(0))
            # The worker catches up; the port's counters stop moving; then a slow, small stream.
            last, still = None, 0
            while still < 3 and run.proc.poll() is None:
                time.sleep(0.4)
                p = (run.stats() or {}).get("ports", [{}])[0]
                cur = (p.get("rx_packets"), p.get("imissed"))
                still, last = (still + 1 if cur == last else 0), cur
            before = run.stats()["ports"][0]
            link.send(after, pps=1000)
            ok = run.wait_for(lambda: run.stats()["ports"][0]["rx_packets"] >= before["rx_packets"] + n_after,
                              "the traffic after the burst", 15)
            time.sleep(1.2)  # one more stats interval: a late frame would show
            metrics = subprocess.run(
                ["ip", "netns", "exec", link.cap_ns, sys.executable, "-c",
                 "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9273/metrics', "
                 "timeout=5).read().decode())"], capture_output=True, text=True).stdout
        if hog and hog.poll() is None:
            hog.kill()
            hog.wait()
        run.proc.send_signal(signal.SIGINT)
        run.wait(60)
    if not ok or not check(run.proc.returncode == 0, f"pool: exit {run.proc.returncode}: {run.text()[-400:]}"):
        print(f"pool: stats.json {json.dumps(run.stats())[:3000]}")
        return
    stats = run.stats()
    port, rx, acc = stats["ports"][0], stats["rx"][0], stats["accounting"]
    sent = n_burst + n_after
    print(f"pool: sent {sent} ({n_burst} at 20,000 pps in {burst_s:.2f} s, the worker starved; then {n_after} at "
          f"1,000 pps); port "
          f"rx_packets {port['rx_packets']}, imissed {port['imissed']}, rx_nombuf {port['rx_nombuf']}; "
          f"rx.pool_empty {rx['pool_empty']}; accounting {acc}")
    check(rx["pool_empty"] > 0, f"pool: the RX lcore never found the pool empty: {rx}")
    check(port["imissed"] > 0, f"pool: no kernel drops counted as imissed: {port}")
    check(port["rx_packets"] + port["imissed"] == sent,
          f"pool: rx_packets {port['rx_packets']} + imissed {port['imissed']} != {sent} sent: "
          f"{sent - port['rx_packets'] - port['imissed']} lost without a count")
    check(acc["unaccounted"] == 0 and acc["packets_read"] == port["rx_packets"], f"pool: accounting {acc}")
    after_pkts = collections.Counter()
    for r in run.records():
        for end in ("source", "destination"):  # 10.2.0.0 is taken for the server (a network address)
            if r[end]["ip"].startswith("10.2."):
                after_pkts[r[end]["ip"]] += packets_of(r)
    check(len(after_pkts) == 100 and set(after_pkts.values()) == {10},
          f"pool: the traffic after the burst is not whole: {len(after_pkts)} flows, "
          f"packets per flow {collections.Counter(after_pkts.values())}")
    prom = {}
    for line in metrics.splitlines():
        if line.startswith(("spanwatch_rx_dropped_total", "spanwatch_rx_pool_empty_total")):
            name, value = line.rsplit(" ", 1)
            prom[name] = float(value)
    imissed_prom = prom.get('spanwatch_rx_dropped_total{port="cap",reason="imissed"}')
    check(imissed_prom == port["imissed"], f"pool: Prometheus imissed {imissed_prom} != stats.json "
          f"{port['imissed']}: {prom}")
    check(prom.get('spanwatch_rx_pool_empty_total{rx_lcore="0"}', 0) > 0, f"pool: Prometheus {prom}")
    shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    cmd, args = sys.argv[1], [os.path.abspath(a) for a in sys.argv[2:]]
    cmds = {"hostile": (cmd_hostile, 2), "signals": (cmd_signals, 2), "tables": (cmd_tables, 2),
            "ring": (cmd_ring, 3), "reload": (cmd_reload, 2), "geoip": (cmd_geoip, 2), "viewer": (cmd_viewer, 1),
            "pool": (cmd_pool, 1)}
    if cmd not in cmds or len(args) != cmds[cmd][1]:
        print(__doc__)
        return 2
    if cmds[cmd][0](*args) == SKIP:
        return SKIP
    print(f"{cmd}: {len(FAILS)} failures")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
