#!/usr/bin/env python3
"""The measurements behind scripts/bench.sh (issue 7); run that script, which builds first.

Every figure is a median of several runs with min and max, measured in this one run on this machine, so the
ratios (spanwatch / ndpiReader) hold even when the machine is shared. Per-core rates come from the lcores'
own busy cycles (stats.json: cycles spent on bursts that carried packets, minus a worker's waits for the
exporter), not from wall time. The worker lcore runs alone on a CPU (lcore_placement), so nothing of ours
preempts it inside a burst; the RX lcore and the exporter share the other CPU(s).
"""
import argparse, datetime, json, os, platform, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


NOTES_MARKER = "<!-- scripts/bench.sh rewrites the tables above and keeps everything below this line. -->"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def stat3(values):
    """(median, min, max) of a list of numbers."""
    return statistics.median(values), min(values), max(values)


def fmt3(t, scale=1.0, digits=2):
    med, lo, hi = (v * scale for v in t)
    return f"{med:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


# ---------------------------------------------------------------------------------------------- traces
# The generator opens all N flows first (about 14 handshake packets each), so a trace needs well over
# 14 x N packets to reach its steady state; the 1M trace is mostly that opening ramp (every flow in DPI).
TRACES = {
    # name: (concurrent flows, packets, extra generator args, what it shows)
    "mix-10k": (10_000, 3_000_000, ["--elephants", "4"], "mixed TLS/QUIC/HTTP/DNS/SSH, IMIX, Zipf, 10K flows"),
    "mix-100k": (100_000, 6_000_000, ["--elephants", "4"], "the same mix, 100K concurrent flows"),
    "mix-1m": (1_000_000, 20_000_000, ["--elephants", "4"], "the same mix, 1M concurrent flows"),
    # Flows of 20K+ data packets: 99.5% of the packets are of flows past DPI and parsing. (Until 2026-11-23
    # this trace had the default 1..1023 data packets: 24.8K flows, and 90% of its worker time went to
    # nDPI, the parsers and flow set-up on the 10% of packets that open flows.)
    "classified": (1_000, 3_000_000, ["--min-data-packets", "20000"],
                   "1K long flows (20K+ data packets each): 99.5% of the packets are of already classified flows"),
    "synflood": (1_000, 1_100_000, ["--syn-flood", "1000000"], "1M SYNs with unique tuples among 1.1M packets"),
}
QUICK = {"mix-10k": (10_000, 400_000), "mix-100k": (100_000, 600_000), "mix-1m": None,
         "classified": (1_000, 400_000), "synflood": (1_000, 120_000)}


# Handshakes from the corpus beside the project's own demo capture (the generator's default): QUIC that
# Debian's nDPI classifies and our parsers decrypt (v1, drafts, mvfst), and more TLS, DNS, HTTP and SSH.
CORPUS_TEMPLATES = [
    "ndpi/quic-29.pcap", "ndpi/quic-27.pcap", "ndpi/quic-mvfst-22.pcap",
    "zeek/quic-curl-8.1.2-dev-http3-www-google-de.pcap", "zeek/quic-quic_win11_firefox_google.pcap",
    "ndpi/tls_cipher_lens.pcap", "ndpi/tls-rdn-extract.pcap", "ndpi/tls_verylong_certificate.pcap",
    "ndpi/dns.pcap", "ndpi/http_auth.pcap", "ndpi/ssh.pcap",
]


def templates(corpus):
    paths = [os.path.join(corpus, "pcaps", t) for t in CORPUS_TEMPLATES]
    found = [p for p in paths if os.path.exists(p)]
    if len(found) < len(paths):
        log(f"{len(paths) - len(found)} corpus templates missing (corpus {corpus}); the mix may lack QUIC")
    return found


def make_trace(build, name, flows, packets, extra, tdir, corpus):
    path = os.path.join(tdir, f"{name}.pcap")
    summary = os.path.join(tdir, f"{name}.summary.json")
    args_file = os.path.join(tdir, f"{name}.args")  # a kept trace is reused only if made the same way
    cmd = [os.path.join(build, "tests", "tools", "trace_generator"), "--out", path, "--flows", str(flows),
           "--packets", str(packets), "--seed", "1", "--summary", summary] + extra
    for t in templates(corpus):
        cmd += ["--template", t]
    args = " ".join(cmd[1:])
    kept = os.path.exists(args_file) and open(args_file).read() == args
    if not (kept and os.path.exists(path) and os.path.exists(summary)):
        t0 = time.monotonic()
        p = run(cmd)
        if p.returncode != 0:
            sys.exit(f"bench: trace_generator failed for {name}:\n{p.stdout}{p.stderr}")
        log(f"{name}: generated in {time.monotonic() - t0:.1f} s: {p.stdout.strip()}")
        with open(args_file, "w") as f:
            f.write(args)
    return path, json.load(open(summary))


# ---------------------------------------------------------------------------------------------- spanwatch
def lcore_placement():
    """The worker lcore (EAL lcore 2) gets a CPU of its own, as in production; the main/exporter (0) and RX (1)
    lcores share the other CPUs and yield when idle. Floating all three over two CPUs made the worker's busy
    cycles include the time it sat preempted by the exporter: record-heavy traces (synflood, mix-1m) read
    slower whenever the exporter got faster."""
    cpus = sorted(os.sched_getaffinity(0))  # the CPUs this process may use, not always 0..n-1
    if len(cpus) < 2:
        return ""
    rest = [cpus[0]] + cpus[2:]
    others = str(rest[0]) if len(rest) == 1 else f"({','.join(str(c) for c in rest)})"
    return f"""lcores:
  shared_cpus: true
  cpu_map: "(0-1)@{others},2@{cpus[1]}"
"""


def bench_config(path, flows, profile):
    cap = 1 << max(18, (2 * flows - 1).bit_length())  # load factor <= 0.5, nothing evicted
    with open(path, "w") as f:
        f.write(f"""# written by scripts/bench_run.py
flows:
  max_flows_per_worker: {cap}
  max_dpi_flows_per_worker: {cap}
  max_parsing_flows_per_worker: {min(cap, 65536)}
  profile_stages: {"true" if profile else "false"}
""" + lcore_placement())


def spanwatch_run(build, trace, flows, profile, work):
    out = tempfile.mkdtemp(prefix="out-", dir=work)
    cfg = os.path.join(work, f"bench-{'profile' if profile else 'plain'}.yaml")
    bench_config(cfg, flows, profile)
    env = dict(os.environ, RUNTIME_DIRECTORY=out)
    env.pop("MALLOC_PERTURB_", None)
    t0 = time.monotonic()
    p = run(["/usr/bin/time", "-f", "maxrss_kb=%M", os.path.join(build, "pipeline", "spanwatch"), "-c", cfg,
             "--pcap", trace, "--out", out, "--workers", "1", "--rx-lcores", "1"], env=env)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"bench: spanwatch failed on {trace}:\n{p.stderr[-3000:]}")
    st = json.load(open(os.path.join(out, "stats.json")))
    m = re.search(r"maxrss_kb=(\d+)", p.stderr)
    shutil.rmtree(out, ignore_errors=True)
    hz = st["tsc_hz"]
    w = st["workers"][0]
    busy = w["busy_cycles"] - w.get("export_wait_cycles", 0)
    pkts = w["packets"] + w["carrier_packets"]
    wire_bytes = sum(r["wire_bytes"] for r in st["replay"])
    frames = sum(r["packets"] for r in st["replay"])
    r = {
        "worker_mpps": pkts / (busy / hz) / 1e6,
        "worker_gbps": wire_bytes * 8 * (pkts / max(frames, 1)) / (busy / hz) / 1e9,
        "worker_ns_per_pkt": busy / hz * 1e9 / pkts,
        "rx_ns_per_pkt": st["rx"][0]["busy_cycles"] / hz * 1e9 / max(st["rx"][0]["packets"], 1),
        "export_ns_per_record": st["exporter"]["busy_cycles"] / hz * 1e9 / max(st["exporter"]["records"], 1),
        "export_ns_per_pkt": st["exporter"]["busy_cycles"] / hz * 1e9 / max(pkts, 1),
        "records": st["exporter"]["records"],
        "wall_mpps": frames / wall / 1e6,
        "maxrss_mb": int(m.group(1)) / 1024 if m else 0,
        "unaccounted": st["accounting"]["unaccounted"],
        "flows": w["flows_created"],
        "dpi_detected": w["dpi"]["detected"], "dpi_guessed": w["dpi"]["guessed"],
        "dpi_unknown": w["dpi"]["unknown"],
    }
    if profile:
        cyc = w["cycles"]
        r["stages_ns"] = {k: v / hz * 1e9 / pkts for k, v in cyc.items()}
    return r


def ndpireader_run(trace):
    if not shutil.which("ndpiReader"):
        return None
    p = run(["ndpiReader", "-i", trace])  # -q would drop the summary we read
    m = re.search(r"Packet Processing Time:\s+([\d.]+)\s+msec", p.stdout)
    n = re.search(r"IP packets:\s+(\d+)", p.stdout)
    if p.returncode != 0 or not m or not n:
        log(f"ndpiReader on {trace} gave no figures (exit {p.returncode})")
        return None
    return int(n.group(1)) / (float(m.group(1)) / 1000) / 1e6


# ---------------------------------------------------------------------------------------------- micro
def flow_table(build, sizes):
    p = run([os.path.join(build, "workers", "flow_table_bench")] + [str(s) for s in sizes])
    if p.returncode != 0:
        sys.exit(f"bench: flow_table_bench failed:\n{p.stderr}")
    return [json.loads(line[6:]) for line in p.stdout.splitlines() if line.startswith("json: ")]


def text_bench(build, exe, args=()):
    p = run([os.path.join(build, exe)] + list(args), cwd=ROOT)
    if p.returncode != 0:
        sys.exit(f"bench: {exe} failed:\n{p.stderr}")
    return p.stdout


def machine():
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
    mem = re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read())
    virt = "virtual machine" if "hypervisor" in open("/proc/cpuinfo").read() else "bare metal"
    pkgs = run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n", "dpdk", "libndpi-bin", "g++-12"]).stdout
    commit = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip()
    return {
        "cpu": cpu.group(1) if cpu else platform.processor(), "cpus": os.cpu_count(),
        "memory_gb": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else 0, "kind": virt,
        "kernel": platform.release(), "packages": ", ".join(pkgs.split("\n")[:-1]).replace("\n", ", "),
        "commit": commit, "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load": os.getloadavg()[0],
    }


# ---------------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--traces", default="", help="comma-separated subset of " + ",".join(TRACES))
    ap.add_argument("--table-sizes", default="10000,1000000,10000000")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    ap.add_argument("--resume", action="store_true",
                    help="reuse the traces this binary already measured (saved in the trace folder)")
    a = ap.parse_args()
    runs = 3 if a.quick else a.runs
    corpus = os.environ.get("SPANWATCH_CORPUS", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))
    tdir = os.environ.get("BENCH_TRACE_DIR", "/dev/shm/spanwatch-bench" + ("-quick" if a.quick else ""))
    os.makedirs(tdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="spanwatch-bench-")
    names = [n for n in (a.traces.split(",") if a.traces else TRACES) if not (a.quick and QUICK[n] is None)]
    mach = machine()
    log(f"{mach['cpu']}, {mach['cpus']} CPUs, {mach['kind']}, load {mach['load']:.1f}; traces in {tdir}")

    # Each trace's figures are saved as soon as they are measured; --resume takes those the same binary made.
    spanwatch_bin = os.path.join(a.build, "pipeline", "spanwatch")
    build_id = f"{os.stat(spanwatch_bin).st_size}-{os.stat(spanwatch_bin).st_mtime_ns}"
    saved_path = os.path.join(tdir, "results.json")
    saved = json.load(open(saved_path)) if a.resume and os.path.exists(saved_path) else {}
    results = {}
    for name in names:
        if saved.get(name, {}).get("build_id") == build_id:
            results[name] = saved[name]
            log(f"{name}: measured earlier by this binary (--resume)")
            continue
        flows, packets, extra, what = TRACES[name]
        if a.quick:
            flows, packets = QUICK[name]
        trace, summary = make_trace(a.build, name, flows, packets, extra, tdir, corpus)
        # spanwatch and ndpiReader alternate, so that both meet the host as it is then: on a shared machine
        # its speed drifts within minutes, and the ratio is the figure that must hold.
        plain, nd = [], []
        for _ in range(runs):
            plain.append(spanwatch_run(a.build, trace, flows, False, work))
            x = ndpireader_run(trace)
            if x is not None:
                nd.append(x)
        prof = spanwatch_run(a.build, trace, flows, True, work)
        res = {"what": what, "summary": summary, "flows": flows,
               "worker_mpps": stat3([r["worker_mpps"] for r in plain]),
               "worker_gbps": stat3([r["worker_gbps"] for r in plain]),
               "worker_ns": stat3([r["worker_ns_per_pkt"] for r in plain]),
               "rx_ns": stat3([r["rx_ns_per_pkt"] for r in plain]),
               "export_ns_rec": stat3([r["export_ns_per_record"] for r in plain]),
               "export_ns_pkt": stat3([r["export_ns_per_pkt"] for r in plain]),
               "wall_mpps": stat3([r["wall_mpps"] for r in plain]),
               "maxrss_mb": max(r["maxrss_mb"] for r in plain),
               "records": plain[0]["records"], "unaccounted": max(r["unaccounted"] for r in plain),
               "stages_ns": prof["stages_ns"], "ndpi_mpps": stat3(nd) if nd else None, "build_id": build_id}
        results[name] = res
        saved[name] = res
        with open(saved_path, "w") as f:
            json.dump(saved, f)
        ratio = f", {res['worker_mpps'][0] / res['ndpi_mpps'][0]:.1f}x ndpiReader" if nd else ""
        log(f"{name}: worker {fmt3(res['worker_mpps'])} Mpps{ratio}")

    sizes = [int(s) for s in a.table_sizes.split(",")]
    if a.quick:
        sizes = [s for s in sizes if s <= 1_000_000]
    log("flow table: " + ", ".join(map(str, sizes)) + " flows")
    table = flow_table(a.build, sizes)
    log("memory per flow, JSON writer, ring")
    mem = text_bench(a.build, "workers/flow_memory_bench") if os.path.isdir(os.path.join(corpus, "pcaps")) else ""
    json_out = text_bench(a.build, "lib/export/json_flow_writer_bench")
    ring_out = text_bench(a.build, "lib/ring/shm_ring_bench")
    shutil.rmtree(work, ignore_errors=True)

    text = report(mach, results, table, mem, json_out, ring_out, runs, a.quick)
    print(text)
    if not a.no_write and not a.quick:
        path = os.path.join(ROOT, "docs", "performance.md")
        # The hand-written notes below the marker (what a run showed, how it was checked) outlive a new run.
        old = open(path).read() if os.path.exists(path) else ""
        at = old.find(NOTES_MARKER)
        with open(path, "w") as f:
            f.write(text.rstrip("\n") + "\n\n" + (old[at:] if at >= 0 else NOTES_MARKER + "\n"))
        log("wrote docs/performance.md")


def report(mach, results, table, mem, json_out, ring_out, runs, quick):
    L = []
    L.append("# Performance\n")
    L.append("Written by `scripts/bench.sh`" + (" --quick (not for figures)" if quick else "") +
             f" on {mach['date']}, commit {mach['commit']}. Medians of {runs} runs, (min-max) after each.\n")
    L.append(f"Machine: {mach['cpu']}, {mach['cpus']} CPUs, {mach['memory_gb']} GB, {mach['kind']}, "
             f"Linux {mach['kernel']}; {mach['packages']}. Load average when the run began: {mach['load']:.1f}.\n")
    L.append("""How to read it: the pipeline ran as in production (`spanwatch --pcap` through DPDK's net_pcap vdev,
1 RX lcore, 1 worker lcore with nDPI and our parsers, the exporter enriching and writing NDJSON and the
shared-memory ring) on traces kept in memory (tmpfs) by `tests/tools/trace_generator`. Per-core figures
divide the packets by the worker lcore's busy cycles (bursts that carried packets, without waits for the
exporter). The worker lcore has a CPU to itself; the RX lcore and the exporter share the other one and
yield when idle (`lcores.cpu_map`), so other processes are all that can preempt the worker. ndpiReader (Debian's, same
nDPI) reads the same file in one thread; its rate includes reading the file, ours does not (the RX lcore
reads it: `rx ns/pkt`).
""")
    L.append("## Issue 7 targets\n")
    L.append("| target | measured | met |")
    L.append("|---|---|---|")

    def target(what, value, ok):
        L.append(f"| {what} | {value} | {'yes' if ok else 'no'} |")

    def res(name):
        return results.get(name)
    if res("mix-10k"):
        m = res("mix-10k")["worker_mpps"][0]
        target("full pipeline >= 4 Mpps per worker core, mixed trace, 10K flows", f"{m:.2f} Mpps", m >= 4)
        if res("mix-10k")["ndpi_mpps"]:
            r = m / res("mix-10k")["ndpi_mpps"][0]
            target(">= 2x ndpiReader at 10K flows", f"{r:.1f}x", r >= 2)
    if res("mix-1m") and res("mix-1m")["ndpi_mpps"]:
        r = res("mix-1m")["worker_mpps"][0] / res("mix-1m")["ndpi_mpps"][0]
        target(">= 5x ndpiReader at 1M flows", f"{r:.1f}x", r >= 5)
    if res("classified"):
        m = res("classified")["worker_mpps"][0]
        target("packets of classified flows >= 15 Mpps per core", f"{m:.2f} Mpps (trace `classified`)", m >= 15)
    for t in table:
        if t["flows"] == 1_000_000:
            # The worker looks up in staged groups of 32 (worker_lcore.cpp run_stages): that is the figure.
            target("flow lookup <= 40 ns at 1M flows",
                   f"{t['lookup_burst32_ns']:.0f} ns in the worker's staged groups of 32 "
                   f"({t['lookup_ns']:.0f} ns one at a time, {t['lookup_bulk_ns']:.0f} ns pipelined bulk)",
                   t["lookup_burst32_ns"] <= 40)
    if table:
        best = max(t["new_flows_per_s"] for t in table)
        target(">= 3 M new flows per second per core", f"{best / 1e6:.2f} M/s (table + TCP state, no DPI)",
               best >= 3e6)
    m = re.search(r"^total\s+([\d.]+)", mem, re.M)
    if m:
        per_flow = float(m.group(1))
        target("<= 256 bytes per classified flow",
               f"{per_flow:.0f} B (table slots at load 0.5: 2 per flow; see the mem9 note)", per_flow <= 256)
        gib = per_flow * 10e6 / 2**30
        target("10 million flows in 4 GiB", f"{gib:.1f} GiB at {per_flow:.0f} B per classified flow", gib <= 4)
    L.append("")
    L.append("## Full pipeline, one worker lcore\n")
    L.append("| trace | packets | flows | worker Mpps | worker Gbps | ns/pkt | ndpiReader Mpps | ratio | "
             "rx ns/pkt | export ns/record | peak RSS MB |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        s = r["summary"]
        nd = fmt3(r["ndpi_mpps"]) if r["ndpi_mpps"] else "-"
        ratio = f"{r['worker_mpps'][0] / r['ndpi_mpps'][0]:.1f}x" if r["ndpi_mpps"] else "-"
        L.append(f"| {name} | {s.get('packets', '?')} | {r['flows']} concurrent | {fmt3(r['worker_mpps'])} | "
                 f"{fmt3(r['worker_gbps'])} | {fmt3(r['worker_ns'], digits=0)} | {nd} | {ratio} | "
                 f"{fmt3(r['rx_ns'], digits=0)} | {fmt3(r['export_ns_rec'], digits=0)} | {r['maxrss_mb']:.0f} |")
    L.append("")
    for name, r in results.items():
        L.append(f"- **{name}**: {r['what']}; {r['records']} records; unaccounted packets: {r['unaccounted']}.")
    L.append("\n## Where a worker's time goes (ns per packet, one profiled run)\n")
    stages = list(next(iter(results.values()))["stages_ns"].keys()) if results else []
    L.append("| trace | " + " | ".join(stages) + " | export (exporter lcore) |")
    L.append("|---|" + "---|" * (len(stages) + 1))
    for name, r in results.items():
        L.append(f"| {name} | " + " | ".join(f"{r['stages_ns'][k]:.0f}" for k in stages) +
                 f" | {r['export_ns_pkt'][0]:.0f} |")
    L.append("\nThe profiled run reads the clock at every stage boundary, which adds its own cost; the shares are "
             "what counts.\n")
    L.append("## Flow table (`workers/flow_table_bench`, real FlowEntry)\n")
    L.append("| flows | lookup ns | lookup ns, staged bursts of 16 | of 32 (the worker's) | pipelined bulk | "
             "inserts M/s | new flows M/s per core | new flows with nDPI M/s |")
    L.append("|---|---|---|---|---|---|---|---|")
    for t in table:
        L.append(f"| {t['flows']} | {t['lookup_ns']:.1f} | {t['lookup_prefetch_ns']:.1f} | "
                 f"{t['lookup_burst32_ns']:.1f} | {t['lookup_bulk_ns']:.1f} | "
                 f"{t['insert_per_s'] / 1e6:.2f} | {t['new_flows_per_s'] / 1e6:.2f} | "
                 f"{t['new_flows_dpi_per_s'] / 1e6:.2f} |")
    L.append("\n## Memory per flow (`workers/flow_memory_bench`, corpus captures)\n")
    L.append("```\n" + (mem.strip() or "skipped: no corpus") + "\n```\n")
    L.append("## JSON writer and ring\n")
    L.append("`json_writer`: NDJSON lines per second of CPU time (`lib/export/json_flow_writer_bench`). `payload`: the "
             "shared-memory ring with opaque payloads of a fixed size; `flow record`: the flow ring's real work, a test "
             "record BIN4-encoded into its slot and published, and its encoded size (`lib/ring/shm_ring_bench`; "
             "wall time, the issue's ring records per second).\n")
    L.append("```\n" + json_out.strip() + "\n" + ring_out.strip() + "\n```\n")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
