#!/usr/bin/env python3
"""IPFIX export (issue 11) of the real spanwatch binary, checked with a real collector.

  ipfix_check.py nfdump BIN CAPTURE...   nfcapd (nfdump 1.7) on a loopback port collects while spanwatch
                                         replays the captures with --ipfix; `nfdump -o json` reads the file
                                         back and must hold the same flows (5-tuple, packets and bytes both
                                         ways) as spanwatch's own flows.json.
  ipfix_check.py tcp BIN CAPTURE...      the same over TCP, to a collector in this script (nfcapd 1.7 takes
                                         UDP only) that decodes the stream from RFC 7011 alone.
  ipfix_check.py down BIN CAPTURE        collector down (nothing listens), UDP and TCP: spanwatch finishes as
                                         fast and writes the same flows.json; stats.json counts the failures.

Exit 0 pass, 1 fail, 77 skipped (nfcapd/nfdump missing).
"""
import collections, glob, json, os, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time

SKIP = 77
FAILS = []
REVERSE_PEN = 29305
SPANWATCH_PEN = 32473


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg, flush=True)


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_spanwatch(binary, captures, extra):
    out = tempfile.mkdtemp(prefix="swipfix-")
    args = [binary] + [a for c in captures for a in ("--pcap", c)] + ["--out", out] + list(extra)
    env = dict(os.environ)
    env.setdefault("RUNTIME_DIRECTORY", out)
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    took = time.monotonic() - t0
    recs = [json.loads(line) for line in open(os.path.join(out, "flows.json"))] if p.returncode == 0 else []
    stats = json.load(open(os.path.join(out, "stats.json"))) if p.returncode == 0 else {}
    shutil.rmtree(out, ignore_errors=True)
    if p.returncode != 0:
        fail(f"spanwatch {' '.join(extra)} exited {p.returncode}: {p.stderr[-2000:]}")
    return recs, stats, took


def icmp(proto):
    return proto in (1, 58)


def json_key(r):
    """(proto, src, sport, dst, dport, in pkts, in bytes, out pkts, out bytes) of a flows.json record, as
    IPFIX carries it: IP bytes (octetTotalCount), ICMP type/code as type * 256 + code in the port slot."""
    proto = int(r["network"]["iana_number"])
    sp, dp = r["source"].get("port", 0), r["destination"].get("port", 0)
    if icmp(proto):
        sp, dp = 0, sp * 256 + dp
    sw = r.get("spanwatch", {})
    return (proto, r["source"]["ip"], sp, r["destination"]["ip"], dp,
            r["source"].get("packets", 0), sw.get("src", {}).get("ip_bytes", 0),
            r["destination"].get("packets", 0), sw.get("dst", {}).get("ip_bytes", 0))


def nfdump_key(f):
    """The same tuple from one record of `nfdump -o json` (nfdump 1.7)."""
    proto = int(f["proto"])
    sa = f.get("src4_addr") or f.get("src6_addr")
    da = f.get("dst4_addr") or f.get("dst6_addr")
    sp, dp = int(f.get("src_port", 0)), int(f.get("dst_port", 0))
    if icmp(proto):
        sp, dp = 0, int(f.get("icmp_type", 0)) * 256 + int(f.get("icmp_code", 0))
    return (proto, sa, sp, da, dp, int(f.get("in_packets", 0)), int(f.get("in_bytes", 0)),
            int(f.get("out_packets", 0)), int(f.get("out_bytes", 0)))


def mac(m):
    return (m or "00-00-00-00-00-00").lower().replace("-", ":")


def json_extra(r):
    """What nfdump also keeps: VLAN, the MACs, the start time to the millisecond (UTC)."""
    return (int(r["network"].get("vlan", {}).get("id", 0)), mac(r["source"].get("mac")),
            mac(r["destination"].get("mac")), r["event"]["start"][:23])


def nfdump_extra(f):
    return (int(f.get("src_vlan", 0)), f.get("in_src_mac"), f.get("in_dst_mac"), f.get("first"))


def compare(label, want, got):
    want_c, got_c = collections.Counter(want), collections.Counter(got)
    missing, extra = want_c - got_c, got_c - want_c
    if missing or extra:
        for k in list(missing)[:10]:
            fail(f"{label}: flows.json record not collected as such: {k}")
        for k in list(extra)[:10]:
            fail(f"{label}: collected record not in flows.json: {k}")
        fail(f"{label}: {sum(missing.values())} of {len(want)} records differ")
    else:
        print(f"{label}: all {len(want)} records match (5-tuple, packets and bytes both ways)", flush=True)


def udp_bound(port):
    """True when something has bound 127.0.0.1:port/udp (our own bind fails then)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def check_nfdump(binary, captures):
    nfcapd, nfdump = shutil.which("nfcapd"), shutil.which("nfdump")
    if not nfcapd or not nfdump:
        print("SKIP: nfcapd/nfdump not installed (apt-get install nfdump; scripts/install-deps.sh does)")
        return SKIP
    d = tempfile.mkdtemp(prefix="swnfcapd-")
    port = free_port(socket.SOCK_DGRAM)
    col = subprocess.Popen([nfcapd, "-w", d, "-b", "127.0.0.1", "-p", str(port), "-t", "3600"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 10
        while not udp_bound(port) and time.monotonic() < deadline and col.poll() is None:
            time.sleep(0.05)
        if not udp_bound(port):
            fail(f"nfcapd did not bind 127.0.0.1:{port}")
            return 1
        recs, stats, _ = run_spanwatch(binary, captures, ["--ipfix", f"127.0.0.1:{port}"])
        time.sleep(0.3)  # the last datagrams through the socket buffer
    finally:
        col.send_signal(signal.SIGTERM)  # nfcapd writes the file it collected into on exit
        try:
            log = col.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            col.kill()
            log = col.communicate()[0]
    files = sorted(f for f in glob.glob(os.path.join(d, "**", "nfcapd.*"), recursive=True)
                   if not f.endswith(".current") and "nfcapd.current" not in f)
    if not files:
        fail(f"nfcapd wrote no file in {d}; its log:\n{log[-2000:]}")
        return 1
    flows = []
    for f in files:
        p = subprocess.run([nfdump, "-r", f, "-o", "json", "-q"], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, TZ="UTC"))  # times as UTC, like event.start
        if p.returncode != 0:
            fail(f"nfdump -r {f}: {p.stderr[-1000:]}")
            continue
        # nfdump 1.7.1 -q prints the records as "{...},\n{...}" (brackets and separators vary by version, and
        # a file without flows prints no object): read every JSON object in the text.
        text, pos, dec = p.stdout, 0, json.JSONDecoder()
        while (pos := text.find("{", pos)) != -1:
            obj, pos = dec.raw_decode(text, pos)
            flows.append(obj)
    shutil.rmtree(d, ignore_errors=True)

    ix = stats.get("ipfix", {})
    print(f"spanwatch: {len(recs)} records; stats.json ipfix: {json.dumps(ix)}; nfdump read {len(flows)} flows")
    if not ix.get("enabled"):
        fail("stats.json ipfix.enabled is not true")
    if ix.get("records") != len(recs) or ix.get("dropped_records") != 0 or ix.get("send_errors") != 0:
        fail(f"stats.json ipfix counters: records {ix.get('records')} (flows.json: {len(recs)}), dropped "
             f"{ix.get('dropped_records')}, send errors {ix.get('send_errors')}")
    if len(recs) < 10:
        fail(f"only {len(recs)} records: the captures should give more")
    compare("nfdump", [json_key(r) for r in recs], [nfdump_key(f) for f in flows])
    compare("nfdump (with VLAN, MACs, start ms)", [json_key(r) + json_extra(r) for r in recs],
            [nfdump_key(f) + nfdump_extra(f) for f in flows])
    return 0


# ---- a TCP collector written from RFC 7011 alone -----------------------------------------------------------

def decode_stream(data):
    """Messages back to back -> (list of records as {(pen, id): bytes}, list of (sequence, records))."""
    templates, records, headers, off = {}, [], [], 0
    while off + 16 <= len(data):
        version, length, _, seq, _ = struct.unpack_from("!HHIII", data, off)
        if version != 10 or length < 16 or off + length > len(data):
            raise ValueError(f"bad message header at {off}: version {version} length {length}")
        end, s, n = off + length, off + 16, 0
        while s < end:
            sid, slen = struct.unpack_from("!HH", data, s)
            body, send = s + 4, s + slen
            if sid == 2:
                while body + 4 <= send:
                    tid, count = struct.unpack_from("!HH", data, body)
                    body += 4
                    fields = []
                    for _ in range(count):
                        fid, flen = struct.unpack_from("!HH", data, body)
                        body += 4
                        pen = 0
                        if fid & 0x8000:
                            fid &= 0x7FFF
                            pen = struct.unpack_from("!I", data, body)[0]
                            body += 4
                        fields.append((pen, fid, flen))
                    templates[tid] = fields
            elif sid >= 256:
                if sid not in templates:
                    raise ValueError(f"data set {sid} before its template")
                while body < send:
                    rec = {}
                    for pen, fid, flen in templates[sid]:
                        if flen == 0xFFFF:
                            flen = data[body]
                            body += 1
                            if flen == 255:
                                flen = struct.unpack_from("!H", data, body)[0]
                                body += 2
                        rec[(pen, fid)] = data[body:body + flen]
                        body += flen
                    records.append(rec)
                    n += 1
            s = send
        headers.append((seq, n))
        off = end
    return records, headers


def num(b):
    return int.from_bytes(b, "big")


def ipfix_key(r):
    v6 = (0, 27) in r
    sa = socket.inet_ntop(socket.AF_INET6 if v6 else socket.AF_INET, r[(0, 27 if v6 else 8)])
    da = socket.inet_ntop(socket.AF_INET6 if v6 else socket.AF_INET, r[(0, 28 if v6 else 12)])
    proto = num(r[(0, 4)])
    sp, dp = num(r[(0, 7)]), num(r[(0, 11)])
    if icmp(proto):
        sp, dp = 0, num(r[(0, 139 if v6 else 32)])
    return (proto, sa, sp, da, dp, num(r[(0, 86)]), num(r[(0, 85)]), num(r[(REVERSE_PEN, 86)]),
            num(r[(REVERSE_PEN, 85)]))


def check_tcp(binary, captures):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    streams = []

    def serve():
        srv.settimeout(60)
        try:
            while True:
                c, _ = srv.accept()
                buf = bytearray()
                c.settimeout(30)
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    buf += b
                streams.append(bytes(buf))
                c.close()
        except (socket.timeout, OSError):
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    recs, stats, _ = run_spanwatch(binary, captures, ["--ipfix", f"tcp://127.0.0.1:{port}"])
    time.sleep(0.3)
    srv.close()
    t.join(5)
    ix = stats.get("ipfix", {})
    print(f"spanwatch: {len(recs)} records; stats.json ipfix: {json.dumps(ix)}; {len(streams)} TCP session(s)")
    if ix.get("connects") != 1 or ix.get("dropped_records") != 0:
        fail(f"expected one connection and no drops: {ix}")
    records = []
    for s in streams:
        try:
            got, headers = decode_stream(s)
        except ValueError as e:
            fail(f"TCP stream does not decode: {e}")
            continue
        seq = 0
        for h_seq, n in headers:
            if h_seq != seq:
                fail(f"sequence number {h_seq}, expected {seq} (data records before the message)")
            seq += n
        records += got
    compare("tcp collector", [json_key(r) for r in recs], [ipfix_key(r) for r in records])
    # What only a DPI sensor knows: the application name and SNI go with the record.
    by_sni = {r[(SPANWATCH_PEN, 1)].decode() for r in records if r.get((SPANWATCH_PEN, 1))}
    want_sni = {r["tls"]["client"]["server_name"] for r in recs if r.get("tls", {}).get("client", {}).get("server_name")}
    if by_sni != want_sni:
        fail(f"SNIs over IPFIX {sorted(by_sni)} != flows.json {sorted(want_sni)}")
    apps = collections.Counter(r[(0, 96)].decode() for r in records)
    want_apps = collections.Counter(r.get("spanwatch", {}).get("l7", {}).get("proto", "") for r in recs)
    if apps != want_apps:
        fail(f"applicationName {dict(apps)} != spanwatch.l7.proto {dict(want_apps)}")
    return 0


def check_down(binary, captures):
    base, _, base_took = run_spanwatch(binary, captures, [])
    for proto, kind in (("udp", socket.SOCK_DGRAM), ("tcp", socket.SOCK_STREAM)):
        port = free_port(kind)  # bound, then closed: nothing listens there
        recs, stats, took = run_spanwatch(binary, captures, ["--ipfix", f"{proto}://127.0.0.1:{port}"])
        ix = stats.get("ipfix", {})
        print(f"collector down ({proto}): {len(recs)} records in {took:.1f} s (without IPFIX {base_took:.1f} s); "
              f"stats.json ipfix: {json.dumps(ix)}", flush=True)
        if len(recs) != len(base):
            fail(f"{proto}: {len(recs)} records with a down collector, {len(base)} without IPFIX")
        if took > base_took + 5:
            fail(f"{proto}: a down collector slowed the run from {base_took:.1f} s to {took:.1f} s")
        if ix.get("records") != len(recs):
            fail(f"{proto}: ipfix.records {ix.get('records')} != {len(recs)}")
        if proto == "tcp":
            if ix.get("connect_errors", 0) < 1 or ix.get("dropped_records") != len(recs) or ix.get("messages"):
                fail(f"tcp: expected connect errors and every record dropped: {ix}")
        else:
            # The first datagram leaves; loopback's ICMP port-unreachable fails a later send (ECONNREFUSED).
            if ix.get("messages", 0) < 1:
                fail(f"udp: no message sent: {ix}")
            if ix.get("messages", 0) + ix.get("dropped_messages", 0) >= 2 and ix.get("send_errors", 0) < 1:
                fail(f"udp: several messages to a closed port and no send error counted: {ix}")
    return 0


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("nfdump", "tcp", "down"):
        print(__doc__)
        return 2
    mode, binary, captures = sys.argv[1], sys.argv[2], sys.argv[3:]
    captures = [c for c in captures if os.path.exists(c)] or captures
    rc = {"nfdump": check_nfdump, "tcp": check_tcp, "down": check_down}[mode](binary, captures)
    if rc == SKIP:
        return SKIP
    if FAILS:
        print(f"{len(FAILS)} failure(s)")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
