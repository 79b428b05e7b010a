#!/usr/bin/env python3
"""The benchmark trace generator (tests/tools/trace_generator, issue 7) end to end.

  trace_generator_check.py TRACE_GENERATOR SPANWATCH CORPUS_DIR

Generates a small trace (200 concurrent flows, 20,000 packets, 100 SYN flood, 2 elephants; QUIC templates
from CORPUS_DIR when present, else a mix without QUIC) and checks that
  - two runs with the same arguments give identical bytes, another seed different ones;
  - our reader, tshark and the summary agree on the packet count; tshark sees TLS, SSH, HTTP, DNS (QUIC);
  - every IPv4 header checksum and every TCP/UDP checksum is valid, every frame is Ethernet + IPv4 of the
    IP length (or padded to 60 bytes);
  - TCP sequence numbers advance exactly with every byte, SYN and FIN in each direction of every flow,
    and no ACK acknowledges data not yet sent;
  - the SYN flood has the requested count, SYN only, each with its own 5-tuple;
  - the data frames follow IMIX 7:4:1 (60/590/1514 bytes), in the summary and in the capture;
  - the flow mix in the summary and in the capture (by server port) is the one asked for;
  - a higher --zipf concentrates the data packets on fewer flows;
  - spanwatch replays it with exit 0, every packet accounted, one record per generated flow, and nDPI
    names TLS/DNS/HTTP/SSH/QUIC for about the share asked.
Exit 0 when every check holds, 1 otherwise.
"""
import collections, hashlib, ipaddress, json, os, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from make_test_pcaps import csum  # noqa: E402  the Internet checksum (0 over data that carries a valid one)

FAILS = []
FLOWS, PACKETS, FLOOD, ELEPHANTS = 200, 20000, 100, 2
MIX = {"tls": 40, "quic": 15, "http": 15, "dns": 20, "ssh": 10}
# IETF QUIC captures of the corpus whose Initials nDPI and our parser read (quicv2 is unknown to nDPI 4.6).
QUIC_TEMPLATES = ["ndpi/quic-29.pcap", "ndpi/quic-27.pcap", "ndpi/quic-mvfst-22.pcap",
                  "zeek/quic-curl-8.1.2-dev-http3-www-google-de.pcap", "zeek/quic-quic_win11_firefox_google.pcap"]
IMIX = {60: 7 / 12, 590: 4 / 12, 1514: 1 / 12}
FLOOD_NET = ipaddress.ip_network("100.64.0.0/10")
ELEPHANT_NET = ipaddress.ip_network("198.18.0.0/15")


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
        print("FAIL:", msg)
    return cond


def read_pcap(path):
    """Yields (caplen, wirelen, frame) of a classic little-endian pcap with Ethernet frames."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, _, _, _, link = struct.unpack_from("<IHHiIII", data, 0)
    check(magic in (0xA1B2C3D4, 0xA1B23C4D), f"pcap magic {magic:#x}")
    check(link == 1, f"link type {link}, expected Ethernet")
    off, last_ts = 24, (0, 0)
    while off < len(data):
        sec, sub, cap, wire = struct.unpack_from("<IIII", data, off)
        check((sec, sub) >= last_ts, f"timestamps go back at offset {off}")
        last_ts = (sec, sub)
        yield cap, wire, data[off + 16: off + 16 + cap]
        off += 16 + cap


def analyse(path):
    """Everything the checks below need from one pass over the capture."""
    a = dict(packets=0, bad_ip=0, bad_l4=0, bad_len=0, not_ipv4=0, seq_errors=[], ack_errors=0,
             flood_tuples=set(), flood_packets=0, flood_not_syn=0, imix=collections.Counter(),
             flows=collections.Counter(), data_per_flow=collections.Counter())
    next_seq = {}  # (flow, src) -> next sequence number
    closing = set()  # flows that sent a FIN
    for cap, wire, fr in read_pcap(path):
        a["packets"] += 1
        if cap != wire or len(fr) < 34 or fr[12:14] != b"\x08\x00" or fr[14] != 0x45:
            a["not_ipv4"] += 1
            continue
        ip = fr[14:34]
        iplen = struct.unpack("!H", ip[2:4])[0]
        if len(fr) != max(60, 14 + iplen):
            a["bad_len"] += 1
        if csum(ip) != 0:
            a["bad_ip"] += 1
        proto, src, dst = ip[9], ipaddress.ip_address(ip[12:16]), ipaddress.ip_address(ip[16:20])
        l4 = fr[34:14 + iplen]
        pseudo = ip[12:20] + struct.pack("!BBH", 0, proto, len(l4))
        if csum(pseudo + l4) != 0:
            a["bad_l4"] += 1
        sport, dport = struct.unpack("!HH", l4[:4])
        if src in FLOOD_NET:
            a["flood_packets"] += 1
            a["flood_tuples"].add((src, sport, dst, dport, proto))
            if proto != 6 or l4[13] != 0x02:
                a["flood_not_syn"] += 1
            continue
        client = src if src.packed[0] in (10, 198) and src not in ipaddress.ip_network("198.19.0.0/16") else dst
        key = (proto,) + ((src, sport, dst, dport) if client == src else (dst, dport, src, sport))
        elephant = src in ELEPHANT_NET
        if not elephant:
            a["flows"][key] += 1
        if proto == 17:
            # QUIC data: short-header packets (the template holds only long-header ones).
            if not elephant and dport != 53 and sport != 53 and not l4[8] & 0x80 and len(fr) in IMIX:
                a["imix"][len(fr)] += 1
                a["data_per_flow"][key] += 1
            continue
        seq, ack, hl, flags = struct.unpack("!IIBB", l4[4:14])
        payload = len(l4) - (hl >> 4) * 4
        me, peer = (key, src), (key, dst)
        if flags & 0x02:  # SYN: the direction's numbering starts here
            next_seq[me] = seq
        exp = next_seq.get(me)
        if exp is None or seq != exp:
            a["seq_errors"].append((str(src), sport, str(dst), dport, seq, exp))
        else:
            next_seq[me] = (seq + payload + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF
        if flags & 0x10 and peer in next_seq and ((next_seq[peer] - ack) & 0xFFFFFFFF) > 0x7FFFFFFF:
            a["ack_errors"] += 1
        if flags & 0x01:
            closing.add(key)
        # Data frames: the generator's own segments (20-byte header; the templates' carry TCP options),
        # not SYN/FIN/RST, not the last ACK of a close.
        if not elephant and hl >> 4 == 5 and not flags & 0x07 and key not in closing and len(fr) in IMIX:
            a["imix"][len(fr)] += 1
            a["data_per_flow"][key] += 1
    return a


def app_of(key):
    proto, server_port = key[0], key[4]  # key: (proto, client ip, client port, server ip, server port)
    if proto == 17:
        return "dns" if server_port == 53 else "quic"
    return {443: "tls", 22: "ssh", 80: "http"}.get(server_port, "other")


def generate(gen, out, args, seed=1):
    summary = out + ".json"
    cmd = [gen, "--out", out, "--summary", summary, "--seed", str(seed)] + args
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    print(r.stdout.strip())
    return json.load(open(summary)) if r.returncode == 0 else None


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def concentration(counter, top):
    total = sum(counter.values())
    return sum(n for _, n in counter.most_common(top)) / total if total else 0


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    gen, spanwatch, corpus = sys.argv[1:4]
    quic = [os.path.join(corpus, "pcaps", q) for q in QUIC_TEMPLATES]
    quic = [q for q in quic if os.path.exists(q)]
    mix = dict(MIX)
    if not quic:
        print(f"note: no QUIC capture under {corpus}/pcaps: the trace has no QUIC flows (QUIC not checked)")
        mix["quic"] = 0
    args = ["--flows", str(FLOWS), "--packets", str(PACKETS), "--syn-flood", str(FLOOD),
            "--elephants", str(ELEPHANTS), "--mix", ",".join(f"{k}={v}" for k, v in mix.items())]
    args += [x for q in quic for x in ("--template", q)]
    want = {k: v / sum(mix.values()) for k, v in mix.items()}

    with tempfile.TemporaryDirectory(prefix="tracegen-") as tmp:
        trace, again, other = (os.path.join(tmp, n) for n in ("a.pcap", "b.pcap", "c.pcap"))
        s = generate(gen, trace, args)
        s2 = generate(gen, again, args)
        s3 = generate(gen, other, args, seed=2)
        if not (s and s2 and s3):
            return 1
        check(sha(trace) == sha(again), "two runs with the same arguments differ")
        check(sha(trace) != sha(other), "--seed 2 gives the same bytes as --seed 1")

        a = analyse(trace)
        print(f"capture: {a['packets']} packets, {len(a['flows'])} flows, {a['flood_packets']} flood SYNs, "
              f"IMIX {dict(a['imix'])}")
        check(a["packets"] == PACKETS == s["packets"], f"packets: reader {a['packets']}, summary {s['packets']}")
        check(a["not_ipv4"] == 0, f"{a['not_ipv4']} frames are not Ethernet + IPv4 (or truncated)")
        check(a["bad_len"] == 0, f"{a['bad_len']} frames do not match their IP length")
        check(a["bad_ip"] == 0, f"{a['bad_ip']} IPv4 header checksums are wrong")
        check(a["bad_l4"] == 0, f"{a['bad_l4']} TCP/UDP checksums are wrong")
        check(not a["seq_errors"], f"{len(a['seq_errors'])} TCP segments out of sequence, e.g. {a['seq_errors'][:3]}")
        check(a["ack_errors"] == 0, f"{a['ack_errors']} ACKs acknowledge unsent data")
        check(a["flood_packets"] == FLOOD == s["syn_flood"], f"SYN flood: {a['flood_packets']} in the capture")
        check(len(a["flood_tuples"]) == FLOOD, f"SYN flood: {len(a['flood_tuples'])} distinct 5-tuples of {FLOOD}")
        check(a["flood_not_syn"] == 0, f"{a['flood_not_syn']} flood packets are not bare SYNs")
        check(s["elephants"] == ELEPHANTS, f"elephants: {s['elephants']}")

        # IMIX: the summary counts the data frames it made; the capture's frames of those sizes agree.
        made = {int(k): v for k, v in s["imix_data_frames"].items() if k != "other"}
        for name, counts in (("summary", made), ("capture", a["imix"])):
            total = sum(counts.values())
            for size, share in IMIX.items():
                got = counts.get(size, 0) / total if total else 0
                check(abs(got - share) < 0.03, f"IMIX ({name}): {size}-byte frames {got:.3f}, expected {share:.3f}")
        for size, n in made.items():
            check(abs(a["imix"][size] - n) <= 0.01 * n, f"IMIX: {a['imix'][size]} {size}-byte data frames, summary {n}")

        # The flow mix: the summary's counts, and the capture's flows by server port.
        check(len(a["flows"]) == s["flows"], f"capture has {len(a['flows'])} flows, summary {s['flows']}")
        by_port = collections.Counter(app_of(k) for k in a["flows"])
        for app, share in want.items():
            got = s["flows_by_app"][app] / s["flows"]
            check(abs(got - share) < 0.06, f"mix: {app} {got:.3f} of flows, asked {share:.3f}")
            check(by_port[app] == s["flows_by_app"][app],
                  f"mix: {by_port[app]} {app} flows by port in the capture, summary {s['flows_by_app'][app]}")

        # Zipf: the 10 busiest flows carry a clearly larger share of data packets with exponent 1.2 than 0.
        uniform, skewed = os.path.join(tmp, "z0.pcap"), os.path.join(tmp, "z12.pcap")
        base = ["--flows", str(FLOWS), "--packets", str(PACKETS), "--mix", "tls=1,http=1,ssh=1"]
        generate(gen, uniform, base + ["--zipf", "0"])
        generate(gen, skewed, base + ["--zipf", "1.2"])
        c0 = concentration(analyse(uniform)["data_per_flow"], 10)
        c12 = concentration(analyse(skewed)["data_per_flow"], 10)
        print(f"zipf: top-10 flows carry {c0:.3f} of data packets at exponent 0, {c12:.3f} at 1.2")
        check(c12 > c0 * 1.5, f"zipf 1.2 does not concentrate traffic: {c12:.3f} vs {c0:.3f} uniform")

        # --min-data-packets: the same trace with long flows (bench.sh's `classified`): no flow ends within
        # the trace, and the busiest flow carries more data packets than the default's most (1023).
        long_flows = os.path.join(tmp, "long.pcap")
        sl = generate(gen, long_flows, base + ["--min-data-packets", str(PACKETS)])
        if sl:
            data_share = sl["packets_by_kind"]["data"] / sl["packets"]
            busiest = max(analyse(long_flows)["data_per_flow"].values())
            print(f"--min-data-packets: {sl['flows']} flows, {sl['flows_ended']} ended, data share {data_share:.3f}, "
                  f"busiest flow {busiest} data packets")
            check(sl["flows"] == FLOWS and sl["flows_ended"] == 0, f"long flows: {sl['flows']} flows, "
                  f"{sl['flows_ended']} ended (expected {FLOWS}, none)")
            check(busiest > 1023, f"long flows: the busiest has {busiest} data packets")

        check_tshark(trace, mix)
        check_pipeline(spanwatch, trace, s, want, tmp)

    print(f"{'FAILED' if FAILS else 'OK'}: {len(FAILS)} failed checks")
    return 1 if FAILS else 0


def check_tshark(trace, mix):
    try:
        r = subprocess.run(["tshark", "-n", "-r", trace, "-q", "-z", "io,phs"], capture_output=True, text=True,
                           timeout=120)
    except FileNotFoundError:
        print("note: tshark not installed; its checks skipped")
        return
    frames = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith("frames:"):
            frames.setdefault(parts[0], int(parts[1].split(":")[1]))
    print("tshark:", {k: frames.get(k) for k in ("eth", "tls", "quic", "http", "dns", "ssh")})
    check(frames.get("eth") == PACKETS, f"tshark counts {frames.get('eth')} frames, expected {PACKETS}")
    for app in ("tls", "quic", "http", "dns", "ssh"):
        if mix[app]:
            check(frames.get(app, 0) > 0, f"tshark sees no {app}")


def check_pipeline(spanwatch, trace, s, want, tmp):
    out = os.path.join(tmp, "sw")
    os.mkdir(out)
    cfg = os.path.join(tmp, "ring.yaml")
    with open(cfg, "w") as f:
        f.write(f"ring:\n  name: /spanwatch-tracegen-{os.getpid()}\n")
    env = dict(os.environ, RUNTIME_DIRECTORY=out)
    r = subprocess.run([spanwatch, "--config", cfg, "--pcap", trace, "--out", out], capture_output=True,
                       text=True, timeout=300, env=env)
    if not check(r.returncode == 0, f"spanwatch exited {r.returncode}: {r.stderr.strip()[-400:]}"):
        return
    acc = json.load(open(os.path.join(out, "stats.json")))["accounting"]
    check(acc["unaccounted"] == 0 and acc["packets_read"] == PACKETS, f"spanwatch accounting {acc}")
    recs = [json.loads(line) for line in open(os.path.join(out, "flows.json"))]
    # The whole trace spans 20 ms, so no timeout splits a flow: one record per generated flow.
    check(len(recs) == s["expected_records"],
          f"spanwatch wrote {len(recs)} records, expected {s['expected_records']} "
          f"({s['flows']} flows + {s['syn_flood']} SYN flood + {s['elephants']} elephants)")
    ndpi = collections.Counter()
    flood_states = collections.Counter()
    for rec in recs:
        src = ipaddress.ip_address(rec["source"]["ip"])
        if src in FLOOD_NET:
            flood_states[rec.get("spanwatch", {}).get("tcp", {}).get("conn_state")] += 1
        elif src.packed[0] == 10:
            ndpi[rec["network"].get("protocol")] += 1
    print("spanwatch/nDPI on the Zipf flows:", dict(ndpi), "flood states:", dict(flood_states))
    check(flood_states == {"S0": FLOOD}, f"SYN flood records: {dict(flood_states)}, expected {FLOOD} x S0")
    total = sum(ndpi.values())
    for app, share in want.items():
        if share:
            got = ndpi[app] / total if total else 0
            check(abs(got - share) < 0.06, f"nDPI: {app} {got:.3f} of flows, asked {share:.3f}")
            check(ndpi[app] >= 0.9 * s["flows_by_app"][app],
                  f"nDPI names {ndpi[app]} flows {app} of {s['flows_by_app'][app]} generated")


if __name__ == "__main__":
    sys.exit(main())
