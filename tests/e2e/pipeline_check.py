#!/usr/bin/env python3
"""End-to-end checks of the spanwatch binary through the real DPDK pipeline (net_pcap, --no-huge).

  pipeline_check.py synthetic BIN PCAPDIR     generated captures (tests/tools/make_test_pcaps.py) vs their sidecars
  pipeline_check.py accounting BIN CORPUS     every corpus capture: exit 0, valid JSON, no packet unaccounted, and
                                              every record valid against docs/flow-record.schema.json
  pipeline_check.py schema BIN SCHEMA         `BIN --print-schema` equals the committed SCHEMA file
  pipeline_check.py workers BIN CORPUS        1 worker vs 3 workers on 2 RX lcores give the same flows
  pipeline_check.py badinput BIN              bad config / missing or corrupt capture: clear message, exit 2
  pipeline_check.py ja4 BIN CORPUS            JA4 of each stream's first TLS ClientHello vs FoxIO's ja4.py (>= 99 %)
  pipeline_check.py live BIN PCAP             --iface (net_af_packet) on a veth pair in our own network
                                              namespaces; tcpreplay sends PCAP; SIGINT must flush every flow

Exit status 0 when every check holds, 1 otherwise, 77 (skipped) when the corpus is absent.
"""
import collections, difflib, glob, json, os, re, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import replay_cache  # noqa: E402  one replay per capture and build, shared by the corpus tests
import veth_link  # noqa: E402

SKIP = 77
FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg)


def run(binary, pcaps, extra=(), timeout=300, check_line=None):
    """Runs BIN --pcap ... --out DIR [extra]; the plain one-capture run comes from the shared replay cache."""
    cached = len(pcaps) == 1 and not extra
    if cached:
        r = replay_cache.replay(binary, pcaps[0], timeout)
        out = r.dir
        p = subprocess.CompletedProcess([binary, "--pcap", pcaps[0]], r.returncode, r.stdout, r.stderr)
    else:
        out = tempfile.mkdtemp(prefix="swcheck-")
        args = [binary] + [a for p in pcaps for a in ("--pcap", p)] + ["--out", out] + list(extra)
        env = dict(os.environ)
        env.setdefault("RUNTIME_DIRECTORY", out)
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    recs, invalid = [], 0
    path = os.path.join(out, "flows.json")
    if os.path.exists(path):
        for n, line in enumerate(open(path, encoding="utf-8", errors="strict"), 1):
            try:
                recs.append(json.loads(line))
            except ValueError:
                invalid += 1
                continue
            if check_line:
                check_line(n, line, recs[-1])
    stats = None
    if os.path.exists(os.path.join(out, "stats.json")):
        stats = json.load(open(os.path.join(out, "stats.json")))
    if not cached:
        shutil.rmtree(out, ignore_errors=True)
    return p, recs, invalid, stats


def summary(r):
    s, d, sw = r["source"], r["destination"], r.get("spanwatch", {})
    tcp = sw.get("tcp", {})
    return (r["network"]["transport"], s["ip"], s.get("port", 0), d["ip"], d.get("port", 0),
            s["packets"], d["packets"], s["bytes"], d["bytes"], tcp.get("conn_state"), tcp.get("history"),
            bool(sw.get("tunnel", {}).get("carrier")))


def check_accounting(name, p, invalid, stats):
    if p.returncode != 0:
        fail(f"{name}: exit {p.returncode}: {p.stderr.strip()[-300:]}")
        return
    if invalid:
        fail(f"{name}: {invalid} invalid JSON lines")
    if stats is None:
        fail(f"{name}: no stats.json")
        return
    a = stats["accounting"]
    if a["unaccounted"] != 0:
        fail(f"{name}: {a['unaccounted']} packets unaccounted: {a}")
    for port in stats["ports"]:
        if port["rx_nombuf"] or port["imissed"]:
            fail(f"{name}: replay lost packets at the port: {port}")


def cmd_synthetic(binary, pcapdir):
    # Per-flow expectations from the sidecars.
    tsv = os.path.join(pcapdir, "tcp_states.expected.tsv")
    p, recs, invalid, stats = run(binary, [os.path.join(pcapdir, "tcp_states.pcap")])
    check_accounting("tcp_states", p, invalid, stats)
    ours = {(r["source"]["ip"], r["source"]["port"], r["destination"]["ip"], r["destination"]["port"]): r for r in recs}
    with open(tsv) as f:
        hdr = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(hdr, l.rstrip("\n").split("\t"))) for l in f if l.strip()]
    for row in rows:
        k = (row["orig_h"], int(row["orig_p"]), row["resp_h"], int(row["resp_p"]))
        r = ours.get(k)
        if r is None:
            fail(f"tcp_states: no record for {k} (want {row['conn_state']})")
            continue
        tcp = r["spanwatch"]["tcp"]
        got = (tcp["conn_state"], tcp["history"], r["source"]["packets"], r["destination"]["packets"])
        want = (row["conn_state"], row["history"], int(row["orig_pkts"]), int(row["resp_pkts"]))
        if got != want:
            fail(f"tcp_states {k}: got {got} want {want}")
    for name in ("vlan_qinq_mpls", "tunnels", "fragments"):
        exp = json.load(open(os.path.join(pcapdir, name + ".expected.json")))
        p, recs, invalid, stats = run(binary, [os.path.join(pcapdir, name + ".pcap")])
        check_accounting(name, p, invalid, stats)
        by = collections.defaultdict(list)
        for r in recs:
            by[(r["network"]["transport"], r["source"]["ip"], r["source"].get("port", 0),
                r["destination"]["ip"], r["destination"].get("port", 0))].append(r)
        if name == "fragments":
            # A later fragment that arrives before its first fragment cannot be tied to a flow: it is
            # counted as unmatched instead. Frames in records + unmatched must equal the frames sent.
            want = sum(f["orig_frames"] + f["resp_frames"] for f in exp["flows"]) + len(exp["orphan_fragments"])
            got = sum(r["source"]["packets"] + r["destination"]["packets"] for r in recs)
            unmatched = stats["accounting"]["unmatched_fragments"] if stats else 0
            if got + unmatched != want or unmatched < len(exp["orphan_fragments"]):
                fail(f"fragments: {got} frames in records + {unmatched} unmatched, want {want} "
                     f"({exp['orphan_fragments']} orphans)")
            continue
        for f in exp.get("flows", []):
            k = (f["transport"], f["orig_h"], f["orig_p"], f["resp_h"], f["resp_p"])
            rs = by.get(k)
            if not rs:
                fail(f"{name}: no record for {k} ({f.get('note', '')})")
                continue
            r = rs[0]
            got = (r["source"]["packets"], r["destination"]["packets"])
            want = (f["orig_pkts"], f["resp_pkts"])
            if got != want:
                fail(f"{name} {k}: packets {got} want {want} ({f.get('note', '')})")
            for field, path in (("conn_state", ("spanwatch", "tcp", "conn_state")), ("history", ("spanwatch", "tcp", "history"))):
                if field in f:
                    v = r
                    for p_ in path:
                        v = v.get(p_, {}) if isinstance(v, dict) else None
                    if v != f[field]:
                        fail(f"{name} {k}: {field} {v} want {f[field]}")
    p, recs, invalid, stats = run(binary, [os.path.join(pcapdir, "malformed.pcap")])
    check_accounting("malformed", p, invalid, stats)
    exp = json.load(open(os.path.join(pcapdir, "malformed.expected.json")))
    if stats and stats["accounting"]["packets_read"] != exp["total_packets"]:
        fail(f"malformed: read {stats['accounting']['packets_read']} packets, file has {exp['total_packets']}")
    if stats and stats["accounting"]["decode_errors"] == 0:
        fail("malformed: no decode errors counted")
    # Every value of the TCP flags byte is a flow of its own with its one packet; the jumbo frame is whole.
    tf = exp["tcp_flag_flows"]
    ports = collections.Counter()
    for r in recs:
        ends = {r["source"]["ip"]: r["source"].get("port"), r["destination"]["ip"]: r["destination"].get("port")}
        if tf["src"] in ends and tf["dst"] in ends and r["source"]["packets"] + r["destination"]["packets"] == 1:
            ports[ends[tf["src"]]] += 1
    if sorted(ports) != list(range(20000, 20256)) or set(ports.values()) != {1}:
        fail(f"malformed: {len(ports)} of 256 TCP flag combinations give one single-packet record each")
    j = exp["jumbo"]
    if not any(r["source"].get("port") == j["src_port"] and r["source"]["bytes"] == j["frame_len"] for r in recs):
        fail(f"malformed: no record of the {j['frame_len']}-byte jumbo frame")


def corpus_pcaps(corpus):
    return sorted(p for p in glob.glob(os.path.join(corpus, "pcaps", "*", "*")) if os.path.isfile(p))


SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "flow-record.schema.json")
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def schema_validator():
    """Draft 2020-12 validator of docs/flow-record.schema.json that asserts formats (date-time, ipv4, ipv6)."""
    try:
        import jsonschema
    except ImportError:
        # Debian's python3-jsonschema, when python3 on PATH is another build of the same Python.
        sys.path.append("/usr/lib/python3/dist-packages")
        try:
            import jsonschema
        except ImportError:
            fail("python3-jsonschema is not installed (scripts/install-deps.sh installs it)")
            return None
    import datetime
    schema = json.load(open(SCHEMA))
    jsonschema.Draft202012Validator.check_schema(schema)
    fc = jsonschema.FormatChecker()
    if "date-time" not in fc.checkers:  # jsonschema checks it only with rfc3339-validator, Debian lacks it

        @fc.checks("date-time", raises=ValueError)
        def _date_time(v):
            if not isinstance(v, str):
                return True
            if not RFC3339.fullmatch(v):
                return False
            datetime.datetime.fromisoformat(v.upper().replace("Z", "+00:00"))  # ValueError: no such date
            return True

    for f in ("date-time", "ipv4", "ipv6"):
        if f not in fc.checkers:
            fail(f"jsonschema's FormatChecker cannot check '{f}'")
    return jsonschema.Draft202012Validator(schema, format_checker=fc)


def cmd_accounting(binary, corpus):
    pcaps = corpus_pcaps(corpus)
    validator = schema_validator()
    validated = 0
    for pcap in pcaps:
        name = os.path.relpath(pcap, corpus)
        bad = []  # every offending line of this run; the first is reported

        def check_line(n, line, rec):
            nonlocal validated
            if validator is None:
                return
            validated += 1
            err = jsonschema_error(validator, rec)
            if err:
                bad.append(f"flows.json line {n}: {err}\n  {line.strip()[:600]}")

        p, recs, invalid, stats = run(binary, [pcap], check_line=check_line)
        check_accounting(name, p, invalid, stats)
        if bad:
            fail(f"{name}: {len(bad)} records do not match {os.path.normpath(SCHEMA)}; the first: {bad[0]}")
    print(f"accounting: {len(pcaps)} captures checked, {validated} records validated against the schema")


def jsonschema_error(validator, rec):
    err = next(iter(validator.iter_errors(rec)), None)
    if err is None:
        return None
    where = "/".join(str(p) for p in err.absolute_path) or "(record)"
    return f"at {where}: {err.message}"


def cmd_schema(binary, schema_path):
    p = subprocess.run([binary, "--print-schema"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        fail(f"schema: {binary} --print-schema: exit {p.returncode}: {p.stderr.strip()[-300:]}")
        return
    committed = open(schema_path).read()
    if p.stdout != committed:
        diff = list(difflib.unified_diff(committed.splitlines(), p.stdout.splitlines(), "committed", "generated",
                                         lineterm="", n=1))
        print("\n".join(diff[:60]))
        fail(f"{schema_path} is stale (field_names.hpp or json_schema.cpp changed); regenerate it with:\n"
             f"  {binary} --print-schema > {os.path.abspath(schema_path)}")
        return
    print(f"schema: {schema_path} is what --print-schema prints ({len(committed)} bytes)")


LONG_TIMEOUTS = """flows:
  tcp_idle_timeout_s: 4000000000
  tcp_linger_s: 4000000000
  tcp_attempt_timeout_s: 4000000000
  tcp_handshake_timeout_s: 4000000000
  udp_idle_timeout_s: 4000000000
  dns_idle_timeout_s: 4000000000
  icmp_idle_timeout_s: 4000000000
  other_idle_timeout_s: 4000000000
  active_timeout_s: 4000000000
  fragment_timeout_s: 4000000000
"""


TUNNEL_CAPTURES = {"vxlan.pcap", "tcpdump-geneve.pcap", "gre-erspan-vxlan.pcap"}


def cmd_workers(binary, corpus):
    # Pairs of captures from different sources: each RX lcore replays one file, flows spread over 3 workers.
    # Timeouts longer than any capture's age: with two files replayed at once a worker's packet clock
    # follows the newer file, and these captures were taken years apart.
    cfg = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    cfg.write(LONG_TIMEOUTS)
    cfg.close()
    zeek = [p for p in corpus_pcaps(corpus) if "/zeek/" in p and p.endswith(".pcap")]
    ndpi = [p for p in corpus_pcaps(corpus) if "/ndpi/" in p and p.endswith(".pcap")]
    pairs = list(zip(zeek[::14], ndpi[::14]))  # 10 pairs: every kind of capture, within the CI budget
    checked = 0
    for a, b in pairs:
        # Both files through one RX lcore and one worker, then through 2 RX lcores and 3 workers.
        p, recs, invalid, stats = run(binary, [a, b], ["--config", cfg.name, "--workers", "1", "--rx-lcores", "1"])
        if p.returncode != 0:
            fail(f"workers: {os.path.basename(a)} + {os.path.basename(b)} on 1 worker: exit {p.returncode}")
            continue
        single = collections.Counter(summary(r) for r in recs)
        p, recs, invalid, stats = run(binary, [a, b], ["--config", cfg.name, "--workers", "3", "--rx-lcores", "2"])
        check_accounting(f"workers {os.path.basename(a)}+{os.path.basename(b)}", p, invalid, stats)
        multi = collections.Counter(summary(r) for r in recs)
        if single != multi:
            fail(f"workers: {os.path.basename(a)} + {os.path.basename(b)}: 1 worker {sum(single.values())} records, "
                 f"3 workers {sum(multi.values())}; only 1w: {list((single - multi).elements())[:3]} only 3w: "
                 f"{list((multi - single).elements())[:3]}")
        created = [w["flows_created"] for w in stats["workers"]] if stats else []
        if sum(created) >= 20 and sum(1 for c in created if c) < 2:  # a few host pairs may share a worker
            fail(f"workers: flows did not spread over the workers: {created}")
        checked += 1
    # Tunnels whose outer and inner flows belong to different workers: each of them gets the packet, the
    # mbuf with one reference per worker, which the RX lcore gets back once from each worker and frees
    # (rte_pktmbuf_free: not plain, workers/mbuf_return.hpp).
    tunnels = [p for p in corpus_pcaps(corpus) if os.path.basename(p) in TUNNEL_CAPTURES]
    shared = 0
    for t in tunnels:
        name = os.path.basename(t)
        p, recs, invalid, stats = run(binary, [t], ["--config", cfg.name, "--workers", "1"])
        single = collections.Counter(summary(r) for r in recs)
        p, recs, invalid, stats = run(binary, [t], ["--config", cfg.name, "--workers", "3"])
        check_accounting(f"workers {name}", p, invalid, stats)
        if collections.Counter(summary(r) for r in recs) != single:
            fail(f"workers: {name}: the records of 3 workers differ from those of 1")
        shared += sum(r["carrier_copies"] for r in stats["rx"]) if stats else 0
    if len(tunnels) != len(TUNNEL_CAPTURES) or shared == 0:
        fail(f"workers: {len(tunnels)} tunnel captures, {shared} mbuf references for a second worker")
    os.unlink(cfg.name)
    print(f"workers: {checked} capture pairs compared, {len(tunnels)} tunnel captures ({shared} mbuf references "
          "for a second worker)")


def cmd_ja4(binary, corpus):
    # truth/ja4/<name>.json (FoxIO ja4.py) keys a stream's hellos JA4, or JA4.1, JA4.2, ... Only the first
    # hello of a stream is fingerprinted today.
    ok = total = 0
    for js in sorted(glob.glob(os.path.join(corpus, "truth", "ja4", "*.json"))):
        name = os.path.basename(js)[:-len(".json")]
        want = [((r["src"], int(r["srcport"]), r["dst"], int(r["dstport"])), r.get("JA4") or r.get("JA4.1"))
                for r in json.load(open(js)) if r.get("srcport") and (r.get("JA4") or r.get("JA4.1"))]
        if not want:
            continue
        p, recs, invalid, stats = run(binary, [os.path.join(corpus, "pcaps", "ja4", name)])
        got = collections.defaultdict(set)
        for r in recs:
            j = r.get("spanwatch", {}).get("tls", {}).get("ja4")
            if j:
                s, d = r["source"], r["destination"]
                got[(s["ip"], s.get("port"), d["ip"], d.get("port"))].add(j)
                got[(d["ip"], d.get("port"), s["ip"], s.get("port"))].add(j)
        for k, v in want:
            total += 1
            if v in got.get(k, set()):
                ok += 1
            elif len(FAILS) < 5:
                print(f"  miss {name} {k} want {v} got {got.get(k)}")
    pct = 100.0 * ok / total if total else 0.0
    print(f"ja4: {ok}/{total} first ClientHellos match ({pct:.1f} %)")
    if total == 0 or pct < 99.0:
        fail(f"ja4: {pct:.1f} % < 99 %")


def cmd_badinput(binary):
    tmp = tempfile.mkdtemp(prefix="swbad-")
    bad_yaml = os.path.join(tmp, "bad.yaml")
    open(bad_yaml, "w").write("flows:\n  tcp_idle_timeout_s: -5\n  idel: 3\nmemory:\n  rx_ring_size: 3000\n")
    not_pcap = os.path.join(tmp, "x.pcap")
    open(not_pcap, "wb").write(b"this is not a capture file at all")
    semantic_yaml = os.path.join(tmp, "semantic.yaml")
    open(semantic_yaml, "w").write("memory:\n  rx_ring_size: 3000\nflows:\n  tcp_linger_s: 900\n")
    demo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "captures", "demo.pcap")
    cases = [
        ("bad config", [binary, "--config", bad_yaml, "--pcap", not_pcap, "--out", tmp], ["idel", "tcp_idle_timeout_s"]),
        ("semantic config", [binary, "--config", semantic_yaml, "--pcap", demo, "--out", tmp],
         ["rx_ring_size", "tcp_linger_s"]),
        ("missing pcap", [binary, "--pcap", os.path.join(tmp, "missing.pcap"), "--out", tmp], ["missing.pcap"]),
        ("not a pcap", [binary, "--pcap", not_pcap, "--out", tmp], ["x.pcap"]),
        ("unknown flag", [binary, "--bogus"], ["bogus"]),
    ]
    # One config error of each kind, each alone: exit 2 and a message naming the key (or file, or line).
    kinds = {
        "unknown top-level key": ("flowz:\n  x: 1\n", ["flowz"]),
        "wrong type (text for a number)": ("flows:\n  udp_idle_timeout_s: soon\n", ["udp_idle_timeout_s", "soon"]),
        "wrong type (list for a section)": ("memory: [1, 2]\n", ["memory"]),
        "out of range": ("flows:\n  max_flows_per_worker: 10\n", ["max_flows_per_worker", "10"]),
        "invalid YAML": ("flows:\n  udp_idle_timeout_s: [1\n", ["kind4.yaml:3", "syntax"]),
    }
    for i, (name, (text, words)) in enumerate(kinds.items()):
        path = os.path.join(tmp, f"kind{i}.yaml")
        open(path, "w").write(text)
        cases.append((f"config {name}", [binary, "--config", path, "--pcap", demo, "--out", tmp], words))
    cases.append(("missing config file", [binary, "--config", os.path.join(tmp, "nope.yaml"), "--pcap", demo,
                                          "--out", tmp], ["nope.yaml"]))
    cases.append(("unreadable config file (a folder)", [binary, "--config", tmp, "--pcap", demo, "--out", tmp],
                  [os.path.basename(tmp)]))
    for name, args, words in cases:
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        if p.returncode != 2:
            fail(f"badinput {name}: exit {p.returncode}, want 2; stderr: {p.stderr.strip()[-200:]}")
        for w in words:
            if w not in p.stderr:
                fail(f"badinput {name}: message does not name '{w}': {p.stderr.strip()[-300:]}")
        print(f"badinput {name}: exit {p.returncode}: {p.stderr.strip().splitlines()[-1][:160] if p.stderr.strip() else ''}")
    shutil.rmtree(tmp, ignore_errors=True)


def cmd_live(binary, pcap):
    import signal, time
    if not veth_link.available():
        print("SKIPPED: needs root, iproute2 and tcpreplay to create network namespaces")
        return SKIP
    out = tempfile.mkdtemp(prefix="swlive-")
    with veth_link.VethLink("swlv") as link:
        ns_cap, v_cap = link.cap_ns, link.cap_if
        env = dict(os.environ, RUNTIME_DIRECTORY=out)
        proc = subprocess.Popen(["ip", "netns", "exec", ns_cap, binary, "--iface", v_cap, "--out", out],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        deadline = time.time() + 30
        while time.time() < deadline and not os.path.exists(os.path.join(out, "flows.json")):
            time.sleep(0.2)
        time.sleep(1)
        link.send(pcap, pps=2000)
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        log, _ = proc.communicate(timeout=60)
        if proc.returncode != 0:
            fail(f"live: exit {proc.returncode} after SIGINT: {log[-300:]}")
            return 0
        recs = [json.loads(l) for l in open(os.path.join(out, "flows.json"))]
        stats = json.load(open(os.path.join(out, "stats.json")))
        a = stats["accounting"]
        if a["unaccounted"] or a["packets_read"] != stats["ports"][0]["rx_packets"]:
            fail(f"live: accounting {a}, port {stats['ports'][0]}")
        if a["packets_read"] < 100:
            fail(f"live: only {a['packets_read']} packets captured")
        # Every TCP/UDP conversation of the capture must come out, once per direction pair.
        want = set()
        for line in subprocess.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "ip.src", "-e", "ip.dst",
                                    "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport"],
                                   capture_output=True, text=True).stdout.splitlines():
            f = line.split("\t")
            if len(f) >= 6 and (f[2] or f[4]) and "," not in f[0]:  # skip ICMP errors quoting a packet
                sp, dp = (f[2], f[3]) if f[2] else (f[4], f[5])
                want.add(frozenset({(f[0], int(sp)), (f[1], int(dp))}))
        got = {frozenset({(r["source"]["ip"], r["source"].get("port", 0)), (r["destination"]["ip"], r["destination"].get("port", 0))})
               for r in recs}
        if want - got:
            fail(f"live: conversations missing: {list(want - got)[:3]}")
        print(f"live: {a['packets_read']} packets, {len(recs)} records")
    shutil.rmtree(out, ignore_errors=True)
    return 0


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    cmd, binary = sys.argv[1], os.path.abspath(sys.argv[2])
    if cmd in ("accounting", "workers", "ja4"):
        corpus = os.environ.get("SPANWATCH_CORPUS") or sys.argv[3]
        if not os.path.isdir(corpus):
            print(f"SKIPPED: corpus not found at {corpus} (set SPANWATCH_CORPUS)")
            return SKIP
        {"accounting": cmd_accounting, "workers": cmd_workers, "ja4": cmd_ja4}[cmd](binary, corpus)
    elif cmd == "synthetic":
        cmd_synthetic(binary, sys.argv[3])
    elif cmd == "badinput":
        cmd_badinput(binary)
    elif cmd == "schema":
        cmd_schema(binary, sys.argv[3])
    elif cmd == "live":
        if cmd_live(binary, os.path.abspath(sys.argv[3])) == SKIP:
            return SKIP
    else:
        print(__doc__)
        return 2
    print(f"{cmd}: {len(FAILS)} failures")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
