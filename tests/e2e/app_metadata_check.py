#!/usr/bin/env python3
"""Application metadata of the real pipeline vs the corpus ground truth (issue 3 gates).

  app_metadata_check.py BIN CORPUS

  ssh   HASSH and HASSH-server vs the JA4 fixtures' snapshots (truth/ja4/*.json, ssh_extras), client and
        server banners vs the same snapshots (the client is the originator)            >= 99 % each
  dns   query name, query type and response code vs tshark (truth/tshark/*/*.conv.tsv, the first query
        and the first response of each conversation)                                   >= 99 % each

A conversation whose tshark query name is "<Unknown extended label>" (tshark's marker for a label it
could not decode: fuzzed captures, QUIC read as DNS by its heuristics) is not a DNS flow and is left out.
Our record is the first one of the 5-tuple in the output (as spancheck.py takes it).
Exit 0 when every gate holds, 1 otherwise, 77 when the corpus is absent.
"""
import collections, glob, ipaddress, json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import replay_cache  # noqa: E402

SKIP = 77
MIN_PCT = 99.0


def run(binary, pcap):
    r = replay_cache.replay(binary, pcap)  # shared with the other corpus tests: one replay per build
    recs = []
    path = os.path.join(r.dir, "flows.json")
    if os.path.exists(path):
        recs = [json.loads(line) for line in open(path, encoding="utf-8")]
    if r.returncode != 0:
        print(f"FAIL: {pcap}: exit {r.returncode}: {r.stderr.strip()[-300:]}")
    return recs


def norm_ip(a):
    return str(ipaddress.ip_address(a))


def ukey(proto, a, pa, b, pb):
    e1, e2 = (norm_ip(a), int(pa)), (norm_ip(b), int(pb))
    return (proto,) + (e1 + e2 if e1 <= e2 else e2 + e1)


def rec_key(r):
    s, d = r["source"], r["destination"]
    return ukey(r["network"]["transport"], s["ip"], s.get("port", 0), d["ip"], d.get("port", 0))


def get(r, path):
    for part in path.split("."):
        if not isinstance(r, dict) or part not in r:
            return None
        r = r[part]
    return r


class Tally:
    def __init__(self):
        self.ok, self.n, self.bad = collections.Counter(), collections.Counter(), collections.defaultdict(list)

    def add(self, metric, good, note):
        self.n[metric] += 1
        self.ok[metric] += bool(good)
        if not good and len(self.bad[metric]) < 8:
            self.bad[metric].append(note)

    def report(self):
        failed = False
        for m in sorted(self.n):
            pct = 100.0 * self.ok[m] / self.n[m]
            print(f"{m}: {pct:.1f}% ({self.ok[m]}/{self.n[m]})")
            for b in self.bad[m]:
                print("    miss", b)
            if pct < MIN_PCT:
                print(f"FAIL: {m} {pct:.1f}% < {MIN_PCT}%")
                failed = True
        return failed


def check_ssh(binary, corpus, t):
    for js in sorted(glob.glob(os.path.join(corpus, "truth", "ja4", "*.json"))):
        streams = [s for s in json.load(open(js)) if s.get("ssh_extras")]
        if not streams:
            continue
        name = os.path.basename(js)[:-len(".json")]
        recs = run(binary, os.path.join(corpus, "pcaps", "ja4", name))
        ours, by_ports = {}, collections.defaultdict(list)
        for r in recs:
            if r["network"]["transport"] == "tcp":
                ours.setdefault(rec_key(r), r)
                by_ports[tuple(sorted((r["source"].get("port"), r["destination"].get("port"))))].append(r)
        for s in streams:
            x = s["ssh_extras"]
            k = ukey("tcp", s["src"], s["srcport"], s["dst"], s["dstport"])
            r = ours.get(k)
            if r is None:
                # In tunnelled captures (GRE, Geneve) ja4.py may report another IP layer of the same packets
                # than the innermost one we key flows by: match on the ports when they are unambiguous.
                same = by_ports.get(tuple(sorted((int(s["srcport"]), int(s["dstport"])))), [])
                r = same[0] if len(same) == 1 else {}
            note = f"{name} {k}"
            for metric, field, want in (
                ("ssh.hassh", "spanwatch.ssh.client.hassh", x.get("hassh")),
                ("ssh.hassh_server", "spanwatch.ssh.server.hassh", x.get("hassh_server")),
                ("ssh.client_banner", "spanwatch.ssh.client.software", x.get("ssh_protocol_client")),
                ("ssh.server_banner", "spanwatch.ssh.server.software", x.get("ssh_protocol_server")),
            ):
                if want:
                    got = get(r, field)
                    t.add(metric, got == want, f"{note} want {want!r} got {got!r}")


def tshark_rows(path):
    with open(path, errors="replace") as f:
        hdr = f.readline().rstrip("\n").split("\t")
        return [dict(zip(hdr, line.rstrip("\n").split("\t"))) for line in f]


def first(rows, field):
    for row in rows:
        v = row.get(field, "-")
        if v not in ("-", ""):
            return v
    return None


def check_dns(binary, corpus, t):
    for tsv in sorted(glob.glob(os.path.join(corpus, "truth", "tshark", "*", "*.conv.tsv"))):
        rows = [r for r in tshark_rows(tsv) if r.get("proto") in ("tcp", "udp")]
        convs = collections.defaultdict(list)
        for r in rows:
            convs[ukey(r["proto"], r["addr_a"], r["port_a"], r["addr_b"], r["port_b"])].append(r)
        dns = {k: v for k, v in convs.items() if first(v, "dns_queries") or first(v, "dns_responses")}
        if not dns:
            continue
        src, name = os.path.basename(os.path.dirname(tsv)), os.path.basename(tsv)[:-len(".conv.tsv")]
        pcap = os.path.join(corpus, "pcaps", src, name)
        if not os.path.exists(pcap):
            continue
        ours = {}
        for r in run(binary, pcap):
            ours.setdefault(rec_key(r), r)
        for k, conv in dns.items():
            q, resp = first(conv, "dns_queries"), first(conv, "dns_responses")
            qname, qtype = (q or resp).split(",")[0].split("/")[:2]
            if qname.startswith("<Unknown"):
                continue
            r = ours.get(k, {})
            note = f"{src}/{name} {k}"
            got_name = str(get(r, "dns.question.name") or "")
            t.add("dns.question.name", got_name.rstrip(".").lower() == qname.rstrip(".").lower(),
                  f"{note} want {qname!r} got {got_name!r}")
            got_type = get(r, "dns.question.type")
            t.add("dns.question.type", type_matches(got_type, int(qtype)), f"{note} want {qtype} got {got_type}")
            if resp:
                rcode = int(resp.split(",")[0].split("/")[2])
                got_rcode = get(r, "dns.response_code")
                t.add("dns.response_code", rcode_matches(got_rcode, rcode), f"{note} want {rcode} got {got_rcode}")


# Mnemonics as lib/export/protocol_names.cpp writes them (IANA DNS parameters); numbers otherwise.
DNS_TYPES = {1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL",
             11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB",
             19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP", 24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS",
             28: "AAAA", 29: "LOC", 30: "NXT", 33: "SRV", 35: "NAPTR", 36: "KX", 37: "CERT", 38: "A6",
             39: "DNAME", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP", 45: "IPSECKEY", 46: "RRSIG", 47: "NSEC",
             48: "DNSKEY", 49: "DHCID", 50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP",
             59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD", 64: "SVCB", 65: "HTTPS",
             99: "SPF", 108: "EUI48", 109: "EUI64", 249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR",
             253: "MAILB", 254: "MAILA", 255: "ANY", 256: "URI", 257: "CAA", 32769: "DLV"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def type_matches(got, want):
    return got is not None and (got == DNS_TYPES.get(want) or got == f"TYPE{want}")


def rcode_matches(got, want):
    return got is not None and (got == RCODES.get(want) or got == f"RCODE{want}" or got == str(want))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, corpus = os.path.abspath(sys.argv[1]), os.environ.get("SPANWATCH_CORPUS") or sys.argv[2]
    if not os.path.isdir(os.path.join(corpus, "truth")):
        print(f"SKIPPED: corpus not found at {corpus}")
        return SKIP
    t = Tally()
    check_ssh(binary, corpus, t)
    check_dns(binary, corpus, t)
    return 1 if t.report() else 0


if __name__ == "__main__":
    sys.exit(main())
