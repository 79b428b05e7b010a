#!/usr/bin/env python3
"""Soak: spanwatch capturing a replay loop for a long time, memory sampled, tables checked against bounds.

  soak_run.py --spanwatch BIN --tracegen TRACEGEN [--minutes M] [--interval S] [--csv FILE] [--pps N]

A veth pair in two network namespaces of our own (tests/tools/veth_link.py): spanwatch captures one end
(--iface, net_af_packet), tcpreplay loops a generated trace (tests/tools/trace_generator: TLS, HTTP, DNS, SSH
handshakes) into the other with --unique-ip, so every loop brings new addresses and new flows and the flow
table, the parsers' state pools and the host name cache churn. The tables are configured small so that they
reach their bounds within the first minute. Every S seconds: RSS of the spanwatch process (/proc/PID/status
VmRSS) and the counters of stats.json go to the CSV.

Verdict (exit 0 when it holds, 1 otherwise, 77 without root/iproute2/tcpreplay):
  - RSS flat after warm-up: the last sample exceeds the first sample after warm-up (a quarter of the run,
    at most 120 s) by at most max(5 %, 8 MB), and the least-squares slope after warm-up is under 1 MB/min;
  - no table beyond its bound (flows_active per worker <= flows.max_flows_per_worker, host names <=
    enrichment.host_names) at any sample;
  - at the end (SIGINT): exit 0, no packet unaccounted, every flow written once as final.
"""
import argparse, collections, json, os, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import veth_link  # noqa: E402

MAX_FLOWS, HOST_NAMES = 16384, 4096
CONFIG = f"""flows: {{max_flows_per_worker: {MAX_FLOWS}, max_dpi_flows_per_worker: 2048, max_parsing_flows_per_worker: 1024,
        tcp_idle_timeout_s: 20, tcp_linger_s: 1, tcp_attempt_timeout_s: 2, tcp_handshake_timeout_s: 10,
        udp_idle_timeout_s: 10, dns_idle_timeout_s: 2, active_timeout_s: 30}}
enrichment: {{host_names: {HOST_NAMES}}}
ring: {{enabled: false}}
output: {{stats_interval_s: 1, rotate_mb: 64, max_files: 2}}
"""


def rss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def slope_mb_per_min(points):
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    den = sum((t - mx) ** 2 for t, _ in points)
    return 60.0 * sum((t - mx) * (v - my) for t, v in points) / den if den else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spanwatch", required=True)
    ap.add_argument("--tracegen", required=True)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=5.0)
    ap.add_argument("--csv", default="soak.csv")
    ap.add_argument("--pps", type=int, default=20000)
    a = ap.parse_args()
    if not veth_link.available():
        print("SKIPPED: needs root, iproute2 and tcpreplay")
        return 77
    out = tempfile.mkdtemp(prefix="swsoak-")
    trace = os.path.join(out, "loop.pcap")
    subprocess.run([a.tracegen, "--out", trace, "--flows", "2000", "--packets", "20000", "--seed", "3"], check=True,
                   capture_output=True)
    cfg = os.path.join(out, "spanwatch.yaml")
    open(cfg, "w").write(CONFIG)
    duration = a.minutes * 60
    warmup = min(duration / 4, 120.0)
    fails, samples = [], []
    with veth_link.VethLink("swsk") as link:
        log = open(os.path.join(out, "spanwatch.log"), "w")
        sw = subprocess.Popen(["ip", "netns", "exec", link.cap_ns, os.path.abspath(a.spanwatch), "--iface", link.cap_if,
                               "--out", out, "--config", cfg], stdout=log, stderr=subprocess.STDOUT,
                              env=dict(os.environ, RUNTIME_DIRECTORY=out))
        stats_path = os.path.join(out, "stats.json")
        deadline = time.time() + 60
        while time.time() < deadline and not os.path.exists(stats_path):
            time.sleep(0.2)
        replay = subprocess.Popen(["ip", "netns", "exec", link.send_ns, "tcpreplay", "-q", "-i", link.send_if,
                                   f"--pps={a.pps}", "--loop=0", "--unique-ip", trace],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.time()
        csv = open(a.csv, "w")
        csv.write("t_s,rss_mb,packets_read,flows_active,flows_created,flows_evicted,records,host_names,"
                  "ring_drops,imissed,unaccounted\n")
        while time.time() - t0 < duration and sw.poll() is None:
            time.sleep(a.interval)
            rss = rss_kb(sw.pid)
            try:
                s = json.load(open(stats_path))
            except (OSError, ValueError):
                continue
            if rss is None:
                break
            ws = s["workers"]
            active = max(w["flows_active"] for w in ws)
            hosts = s.get("enrichment", {}).get("host_names", 0)
            ring_drops = sum(sum(v for v in (r["ring_drops"].values() if isinstance(r["ring_drops"], dict)
                                             else r["ring_drops"])) for r in s["rx"])
            row = (round(time.time() - t0, 1), round(rss / 1024, 1), s["accounting"]["packets_read"], active,
                   sum(w["flows_created"] for w in ws), sum(w["flows_evicted"] for w in ws),
                   s["exporter"]["final_records"], hosts, ring_drops, sum(p["imissed"] for p in s["ports"]),
                   s["accounting"]["unaccounted"])
            samples.append(row)
            csv.write(",".join(str(x) for x in row) + "\n")
            csv.flush()
            if active > MAX_FLOWS or hosts > HOST_NAMES:
                fails.append(f"t={row[0]} s: flows_active {active} (bound {MAX_FLOWS}), host names {hosts} "
                             f"(bound {HOST_NAMES})")
        replay.send_signal(signal.SIGINT)
        replay.wait(timeout=30)
        time.sleep(1)
        sw.send_signal(signal.SIGINT)
        try:
            sw.wait(timeout=120)
        except subprocess.TimeoutExpired:
            sw.kill()
            fails.append("spanwatch did not stop within 120 s of SIGINT")
        log.close()
    if sw.returncode != 0:
        fails.append(f"spanwatch exit {sw.returncode}: {open(os.path.join(out, 'spanwatch.log')).read()[-300:]}")
    final = json.load(open(os.path.join(out, "stats.json")))
    if final["accounting"]["unaccounted"] != 0:
        fails.append(f"accounting at the end: {final['accounting']}")
    ids = collections.Counter()
    for name in sorted(os.listdir(out)):
        if name.startswith("flows") and name.endswith(".json"):
            for line in open(os.path.join(out, name)):
                r = json.loads(line)
                if r["spanwatch"]["flow"]["final"]:
                    ids[r["spanwatch"]["flow"]["id"]] += 1
    dup = sum(1 for n in ids.values() if n > 1)
    if dup:
        fails.append(f"{dup} flow ids written more than once as final")
    after = [(r[0], r[1]) for r in samples if r[0] >= warmup]
    if len(after) >= 2:
        first, last = after[0][1], after[-1][1]
        tol = max(0.05 * first, 8.0)
        slope = slope_mb_per_min(after)
        print(f"soak: {a.minutes:g} min, {len(samples)} samples; RSS {samples[0][1]} MB at {samples[0][0]} s, "
              f"{first} MB after warm-up ({warmup:.0f} s), {last} MB at the end (tolerance {tol:.1f} MB), "
              f"slope {slope:+.2f} MB/min; peak flows_active {max(r[3] for r in samples)} (bound {MAX_FLOWS}), "
              f"host names {max(r[7] for r in samples)} (bound {HOST_NAMES}); {final['accounting']['packets_read']} "
              f"packets, {sum(ids.values())} final records")
        if last - first > tol or slope > 1.0:
            fails.append(f"RSS grew after warm-up: {first} -> {last} MB, slope {slope:+.2f} MB/min")
    else:
        fails.append(f"too few samples after warm-up ({len(samples)} in all)")
    for f in fails:
        print("FAIL:", f)
    print(f"soak: CSV in {a.csv}; output in {out}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
