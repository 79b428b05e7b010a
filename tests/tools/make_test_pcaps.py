#!/usr/bin/env python3
"""Write small deterministic synthetic pcaps for the decoder/flow end-to-end tests.

Usage: make_test_pcaps.py OUTDIR [NAME ...]     (NAME: vlan_qinq_mpls tunnels fragments tcp_states malformed
                                                 hostile)

Pure python (struct only, no scapy). Fixed timestamps (1700000000.000000 + 1 ms per packet), fixed
addresses, ports and sequence numbers, so every run writes byte-identical files. Link type EN10MB.

Files (each with a sidecar describing what a correct decoder/flow table sees):
  vlan_qinq_mpls.pcap  (+ .expected.json) TCP sessions (handshake, data both ways, FIN both ways) inside
                       802.1Q, QinQ (88a8/8100 and 8100/8100), MPLS (1 and 2 labels, IPv4 and IPv6), PPPoE
                       (IPv4 and IPv6), and one plain Ethernet reference session.
  tunnels.pcap         (+ .expected.json) TCP and UDP flows inside VXLAN, GRE (plain and keyed + Ethernet),
                       GTP-U (plain and with sequence number), IP-in-IP and 6in4. VXLAN and GTP-U outer UDP
                       flows are listed too.
  fragments.pcap       (+ .expected.json) IPv4 and IPv6 fragmented UDP datagrams, in order and out of order,
                       plus one orphan later fragment per IP version (never completes).
  tcp_states.pcap      (+ .expected.tsv) one TCP connection per Zeek conn_state (S0 S1 SF REJ S2 S3 RSTO RSTR
                       RSTOS0 RSTRH SH SHR OTH), each on its own ports; the TSV gives the Zeek conn.log values.
  malformed.pcap       (+ .expected.json) truncated frames at every layer (capture-truncated and runt),
                       lying IPv4/IPv6/TCP/UDP lengths, a zero-length record, a 9000-byte jumbo frame, and
                       one single-packet TCP flow for each of the 256 values of the TCP flags byte.
  hostile.pcap         (+ .expected.json) what `malformed` lacks, each case with the decode error counter it
                       must raise: lengths that contradict each other, IPv6 extension header chains at, past
                       and looping beyond the limit, overlapping/duplicated fragments, a fragment flood larger
                       than the fragment table, tunnels nested past the depth limit, 16000/65535-byte frames.

Flow counting conventions in the sidecars: `orig`/`resp` packet counts are per direction of the 5-tuple
(client = originator = first SYN sender); for fragmented datagrams both the frame count and the datagram
count are given (Zeek counts reassembled datagrams, tshark's conversation table counts frames)."""
import json
import os
import struct
import sys

BASE_TS_US = 1_700_000_000 * 1_000_000
STEP_US = 1000

ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_QINQ = 0x0800, 0x86DD, 0x8100, 0x88A8
ETH_MPLS, ETH_PPPOE_SES, ETH_TEB = 0x8847, 0x8864, 0x6558
IPPROTO_IPIP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6, IPPROTO_GRE = 4, 6, 17, 41, 47
IPPROTO_FRAG, IPPROTO_HOPOPTS = 44, 0
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80


# ---------------------------------------------------------------------------------------------
# pcap writer
# ---------------------------------------------------------------------------------------------
class Pcap:
    def __init__(self, path, snaplen=65535, linktype=1):
        self.path = path
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        self.ts = BASE_TS_US
        self.count = 0

    def add(self, frame, orig_len=None):
        """Append one record. orig_len > len(frame) models snaplen truncation."""
        self.ts += STEP_US
        olen = len(frame) if orig_len is None else orig_len
        self.f.write(struct.pack("<IIII", self.ts // 1_000_000, self.ts % 1_000_000, len(frame), olen))
        self.f.write(frame)
        self.count += 1

    def close(self):
        self.f.close()


# ---------------------------------------------------------------------------------------------
# header builders
# ---------------------------------------------------------------------------------------------
def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def addr(s):
    return ip6(s) if ":" in s else ip4(s)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(n):
    return bytes([0x02, 0, 0, 0, (n >> 8) & 0xFF, n & 0xFF])


def eth(ethertype, payload, src=1, dst=2):
    return mac(dst) + mac(src) + struct.pack("!H", ethertype) + payload


_ip_id = [0x100]


def next_id():
    _ip_id[0] = (_ip_id[0] + 1) & 0xFFFF
    return _ip_id[0]


def ipv4(src, dst, proto, payload, ident=None, df=True, mf=False, frag_off=0, ttl=64, total_length=None,
         ihl=5, options=b"", version=4):
    ident = next_id() if ident is None else ident
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off & 0x1FFF)
    tl = 20 + len(options) + len(payload) if total_length is None else total_length
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, tl & 0xFFFF, ident, flags, ttl, proto, 0,
                      ip4(src), ip4(dst)) + options
    c = csum(hdr)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def ipv6(src, dst, nh, payload, plen=None, hlim=64, flow=0):
    pl = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", (6 << 28) | flow, pl & 0xFFFF, nh, hlim, ip6(src), ip6(dst)) + payload


def ip(src, dst, proto, payload, **kw):
    return ipv6(src, dst, proto, payload) if ":" in src else ipv4(src, dst, proto, payload, **kw)


def pseudo(src, dst, proto, length):
    if ":" in src:
        return ip6(src) + ip6(dst) + struct.pack("!IxxxB", length, proto)
    return ip4(src) + ip4(dst) + struct.pack("!xBH", proto, length)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", win=64240, options=b"", doff=None):
    off = (20 + len(options)) // 4 if doff is None else doff
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4, flags, win, 0,
                      0) + options
    seg = hdr + payload
    c = csum(pseudo(src, dst, IPPROTO_TCP, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(src, dst, sport, dport, payload, length=None):
    ln = 8 + len(payload) if length is None else length
    seg = struct.pack("!HHHH", sport, dport, ln & 0xFFFF, 0) + payload
    c = csum(pseudo(src, dst, IPPROTO_UDP, len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def ethertype_of(src):
    return ETH_IPV6 if ":" in src else ETH_IPV4


# ---------------------------------------------------------------------------------------------
# TCP conversation builder: tracks sequence numbers so every segment is consistent
# ---------------------------------------------------------------------------------------------
class TcpConv:
    """d=0: client (c) -> server (s); d=1: server -> client."""

    def __init__(self, c, cport, s, sport, c_isn=1_000_000, s_isn=2_000_000):
        self.ep = [(c, cport), (s, sport)]
        self.nxt = [c_isn, s_isn]
        self.pkts = [0, 0]
        self.l3 = []  # (d, ip packet)

    def seg(self, d, flags, payload=b"", seq=None, ack=None, advance=True):
        (src, sp), (dst, dp) = self.ep[d], self.ep[1 - d]
        s = self.nxt[d] if seq is None else seq
        a = (self.nxt[1 - d] if flags & ACK else 0) if ack is None else ack
        pkt = ip(src, dst, IPPROTO_TCP, tcp(src, dst, sp, dp, s, a, flags, payload))
        if advance and seq is None:
            self.nxt[d] += len(payload) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
        self.pkts[d] += 1
        self.l3.append((d, pkt))
        return self

    # the standard 10-packet session: history ShADadFf, conn_state SF, 6 orig / 4 resp packets
    def full_session(self, req=b"GET / HTTP/1.1\r\nHost: test\r\n\r\n", resp=b"HTTP/1.1 200 OK\r\n\r\nhello"):
        return (self.seg(0, SYN).seg(1, SYN | ACK).seg(0, ACK)
                .seg(0, PSH | ACK, req).seg(1, ACK)
                .seg(1, PSH | ACK, resp).seg(0, ACK)
                .seg(0, FIN | ACK).seg(1, FIN | ACK).seg(0, ACK))

    def flow(self, note="", **extra):
        (c, cp), (s, sp) = self.ep
        f = {"transport": "tcp", "orig_h": c, "orig_p": cp, "resp_h": s, "resp_p": sp,
             "orig_pkts": self.pkts[0], "resp_pkts": self.pkts[1]}
        f.update(extra)
        if note:
            f["note"] = note
        return f


class UdpConv:
    def __init__(self, c, cport, s, sport):
        self.ep = [(c, cport), (s, sport)]
        self.pkts = [0, 0]
        self.l3 = []

    def dgram(self, d, payload):
        (src, sp), (dst, dp) = self.ep[d], self.ep[1 - d]
        self.l3.append((d, ip(src, dst, IPPROTO_UDP, udp(src, dst, sp, dp, payload))))
        self.pkts[d] += 1
        return self

    def flow(self, note="", **extra):
        (c, cp), (s, sp) = self.ep
        f = {"transport": "udp", "orig_h": c, "orig_p": cp, "resp_h": s, "resp_p": sp,
             "orig_pkts": self.pkts[0], "resp_pkts": self.pkts[1]}
        f.update(extra)
        if note:
            f["note"] = note
        return f


def dns_query(qid, name, qtype=1):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def dns_answer_a(qid, name, a):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HH", 1, 1)
            + struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + ip4(a))


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")


# ---------------------------------------------------------------------------------------------
# (a) VLAN / QinQ / MPLS / PPPoE
# ---------------------------------------------------------------------------------------------
def l2_plain(l3, d):
    return eth(ETH_IPV6 if (l3[0] >> 4) == 6 else ETH_IPV4, l3, src=1 + d, dst=2 - d)


def l2_vlan(vid, pcp=0):
    def f(l3, d):
        et = ETH_IPV6 if (l3[0] >> 4) == 6 else ETH_IPV4
        return eth(ETH_VLAN, struct.pack("!HH", (pcp << 13) | vid, et) + l3, src=1 + d, dst=2 - d)
    return f


def l2_qinq(outer, inner, tpid=ETH_QINQ):
    def f(l3, d):
        et = ETH_IPV6 if (l3[0] >> 4) == 6 else ETH_IPV4
        return eth(tpid, struct.pack("!HHHH", outer, ETH_VLAN, inner, et) + l3, src=1 + d, dst=2 - d)
    return f


def l2_mpls(labels):
    def f(l3, d):
        stack = b""
        for i, lab in enumerate(labels):
            bos = 1 if i == len(labels) - 1 else 0
            stack += struct.pack("!I", (lab << 12) | (bos << 8) | 64)
        return eth(ETH_MPLS, stack + l3, src=1 + d, dst=2 - d)
    return f


def l2_pppoe(session):
    def f(l3, d):
        proto = 0x0057 if (l3[0] >> 4) == 6 else 0x0021
        return eth(ETH_PPPOE_SES, struct.pack("!BBHHH", 0x11, 0x00, session, len(l3) + 2, proto) + l3,
                   src=1 + d, dst=2 - d)
    return f


def make_vlan_qinq_mpls(outdir):
    path = os.path.join(outdir, "vlan_qinq_mpls.pcap")
    p = Pcap(path)
    cases = [
        ("plain ethernet (reference)", l2_plain, "10.10.0.1", "10.10.0.2"),
        ("802.1Q vlan 100", l2_vlan(100), "10.10.1.1", "10.10.1.2"),
        ("802.1Q vlan 101 pcp 5, IPv6", l2_vlan(101, pcp=5), "2001:db8:10:1::1", "2001:db8:10:1::2"),
        ("QinQ 88a8 outer 200 / 8100 inner 300", l2_qinq(200, 300), "10.10.2.1", "10.10.2.2"),
        ("QinQ 8100 outer 201 / 8100 inner 301", l2_qinq(201, 301, tpid=ETH_VLAN), "10.10.3.1", "10.10.3.2"),
        ("MPLS label 1000", l2_mpls([1000]), "10.10.4.1", "10.10.4.2"),
        ("MPLS labels 2000/2001", l2_mpls([2000, 2001]), "10.10.5.1", "10.10.5.2"),
        ("MPLS label 3000, IPv6", l2_mpls([3000]), "2001:db8:10:5::1", "2001:db8:10:5::2"),
        ("PPPoE session 0x1234", l2_pppoe(0x1234), "10.10.6.1", "10.10.6.2"),
        ("PPPoE session 0x1235, IPv6", l2_pppoe(0x1235), "2001:db8:10:6::1", "2001:db8:10:6::2"),
    ]
    flows = []
    for i, (note, enc, c, s) in enumerate(cases):
        conv = TcpConv(c, 40000 + i, s, 80 if i % 2 == 0 else 8080).full_session()
        for d, l3 in conv.l3:
            p.add(enc(l3, d))
        flows.append(conv.flow(note, conn_state="SF", history="ShADadFf"))
    p.close()
    write_json(path[:-5] + ".expected.json", {"pcap": os.path.basename(path), "total_packets": p.count,
                                               "flows": flows})
    return path, p.count


# ---------------------------------------------------------------------------------------------
# (b) tunnels
# ---------------------------------------------------------------------------------------------
class OuterUdp:
    """Counts outer UDP packets per direction for the sidecar."""

    def __init__(self, a, aport, b, bport):
        self.ep = [(a, aport), (b, bport)]
        self.pkts = [0, 0]

    def wrap(self, d, payload, mac_dir=None):
        (src, sp), (dst, dp) = self.ep[d], self.ep[1 - d]
        self.pkts[d] += 1
        m = d if mac_dir is None else mac_dir
        return eth(ethertype_of(src), ip(src, dst, IPPROTO_UDP, udp(src, dst, sp, dp, payload)),
                   src=11 + m, dst=12 - m)

    def flow(self, note):
        (a, ap), (b, bp) = self.ep
        return {"transport": "udp", "orig_h": a, "orig_p": ap, "resp_h": b, "resp_p": bp,
                "orig_pkts": self.pkts[0], "resp_pkts": self.pkts[1], "note": note, "layer": "outer"}


def make_tunnels(outdir):
    path = os.path.join(outdir, "tunnels.pcap")
    p = Pcap(path)
    flows = []

    # VXLAN (UDP 4789): client VTEP uses source port 49152, server VTEP 49153 -> two outer UDP flows
    vx_fwd = OuterUdp("10.1.0.1", 49152, "10.1.0.2", 4789)
    vx_rev = OuterUdp("10.1.0.2", 49153, "10.1.0.1", 4789)

    def vxlan(l3, d, vni=5001):
        inner = eth(ETH_IPV6 if (l3[0] >> 4) == 6 else ETH_IPV4, l3, src=21 + d, dst=22 - d)
        hdr = struct.pack("!BxxxI", 0x08, vni << 8)
        return vx_fwd.wrap(0, hdr + inner, mac_dir=0) if d == 0 else vx_rev.wrap(0, hdr + inner, mac_dir=1)

    conv = TcpConv("192.168.10.1", 41000, "192.168.10.2", 80).full_session()
    for d, l3 in conv.l3:
        p.add(vxlan(l3, d))
    flows.append(conv.flow("inside VXLAN vni 5001", conn_state="SF", history="ShADadFf", layer="inner"))
    u = UdpConv("192.168.10.1", 41001, "192.168.10.3", 53)
    u.dgram(0, dns_query(0x1111, "vxlan.example.test")).dgram(1, dns_answer_a(0x1111, "vxlan.example.test",
                                                                              "192.0.2.1"))
    for d, l3 in u.l3:
        p.add(vxlan(l3, d))
    flows.append(u.flow("inside VXLAN vni 5001", layer="inner"))
    flows.append(vx_fwd.flow("VXLAN outer, client VTEP -> server VTEP"))
    flows.append(vx_rev.flow("VXLAN outer, server VTEP -> client VTEP"))

    # GRE, plain (protocol 0x0800), TCP session
    def gre_plain(l3, d):
        a, b = ("10.2.0.1", "10.2.0.2") if d == 0 else ("10.2.0.2", "10.2.0.1")
        et = ETH_IPV6 if (l3[0] >> 4) == 6 else ETH_IPV4
        return eth(ETH_IPV4, ipv4(a, b, IPPROTO_GRE, struct.pack("!HH", 0, et) + l3), src=31 + d, dst=32 - d)

    conv = TcpConv("192.168.20.1", 42000, "192.168.20.2", 443).full_session()
    for d, l3 in conv.l3:
        p.add(gre_plain(l3, d))
    flows.append(conv.flow("inside GRE (no options)", conn_state="SF", history="ShADadFf", layer="inner"))

    # GRE with key + sequence number, transparent Ethernet bridging (0x6558), UDP exchange
    gre_seq = [0]

    def gre_teb(l3, d):
        a, b = ("10.2.1.1", "10.2.1.2") if d == 0 else ("10.2.1.2", "10.2.1.1")
        gre_seq[0] += 1
        hdr = struct.pack("!HHII", 0x3000, ETH_TEB, 0xABCD, gre_seq[0])  # K and S bits
        inner = eth(ETH_IPV4, l3, src=41 + d, dst=42 - d)
        return eth(ETH_IPV4, ipv4(a, b, IPPROTO_GRE, hdr + inner), src=31 + d, dst=32 - d)

    u = UdpConv("192.168.21.1", 42001, "192.168.21.2", 33333)
    u.dgram(0, b"gre-teb-request").dgram(1, b"gre-teb-response").dgram(0, b"gre-teb-again")
    for d, l3 in u.l3:
        p.add(gre_teb(l3, d))
    flows.append(u.flow("inside GRE key 0xabcd + seq, Ethernet payload (0x6558)", layer="inner"))

    # GTP-U (UDP 2152 both ways -> one outer UDP flow)
    gtp_outer = OuterUdp("10.3.0.1", 2152, "10.3.0.2", 2152)

    def gtpu(l3, d, with_seq=False, teid=0x10203040):
        if with_seq:
            hdr = struct.pack("!BBHIHBB", 0x32, 0xFF, len(l3) + 4, teid, 7, 0, 0)
        else:
            hdr = struct.pack("!BBHI", 0x30, 0xFF, len(l3), teid)
        return gtp_outer.wrap(d, hdr + l3)

    conv = TcpConv("172.16.30.1", 43000, "172.16.30.2", 8080).full_session()
    for d, l3 in conv.l3:
        p.add(gtpu(l3, d))
    flows.append(conv.flow("inside GTP-U teid 0x10203040", conn_state="SF", history="ShADadFf", layer="inner"))
    u = UdpConv("172.16.30.1", 43001, "172.16.30.3", 53)
    u.dgram(0, dns_query(0x2222, "gtp.example.test")).dgram(1, dns_answer_a(0x2222, "gtp.example.test",
                                                                            "192.0.2.2"))
    for d, l3 in u.l3:
        p.add(gtpu(l3, d, with_seq=True))
    flows.append(u.flow("inside GTP-U with sequence-number option (flags 0x32)", layer="inner"))
    flows.append(gtp_outer.flow("GTP-U outer (2152 <-> 2152)"))

    # IP-in-IP (protocol 4)
    def ipip(l3, d):
        a, b = ("10.4.0.1", "10.4.0.2") if d == 0 else ("10.4.0.2", "10.4.0.1")
        return eth(ETH_IPV4, ipv4(a, b, IPPROTO_IPIP, l3), src=51 + d, dst=52 - d)

    conv = TcpConv("192.168.40.1", 44000, "192.168.40.2", 22).full_session(b"SSH-2.0-test\r\n",
                                                                           b"SSH-2.0-server\r\n")
    for d, l3 in conv.l3:
        p.add(ipip(l3, d))
    flows.append(conv.flow("inside IP-in-IP", conn_state="SF", history="ShADadFf", layer="inner"))

    # 6in4 (protocol 41)
    def six_in_four(l3, d):
        a, b = ("10.5.0.1", "10.5.0.2") if d == 0 else ("10.5.0.2", "10.5.0.1")
        return eth(ETH_IPV4, ipv4(a, b, IPPROTO_IPV6, l3), src=61 + d, dst=62 - d)

    conv = TcpConv("2001:db8:50::1", 45000, "2001:db8:50::2", 80).full_session()
    for d, l3 in conv.l3:
        p.add(six_in_four(l3, d))
    flows.append(conv.flow("inside 6in4", conn_state="SF", history="ShADadFf", layer="inner"))
    u = UdpConv("2001:db8:50::1", 45001, "2001:db8:50::3", 53)
    u.dgram(0, dns_query(0x3333, "six.example.test")).dgram(1, dns_answer_a(0x3333, "six.example.test",
                                                                            "192.0.2.3"))
    for d, l3 in u.l3:
        p.add(six_in_four(l3, d))
    flows.append(u.flow("inside 6in4", layer="inner"))

    p.close()
    write_json(path[:-5] + ".expected.json", {"pcap": os.path.basename(path), "total_packets": p.count,
                                               "flows": flows})
    return path, p.count


# ---------------------------------------------------------------------------------------------
# (c) fragments
# ---------------------------------------------------------------------------------------------
def frag4(src, dst, l4, ident, chunk=1480, order=None):
    """IPv4 fragments of an L4 datagram (chunk: payload bytes per fragment, multiple of 8)."""
    pieces = [l4[i:i + chunk] for i in range(0, len(l4), chunk)]
    frags = []
    for i, piece in enumerate(pieces):
        frags.append(ipv4(src, dst, IPPROTO_UDP, piece, ident=ident, df=False, mf=i < len(pieces) - 1,
                          frag_off=(i * chunk) // 8))
    return [frags[i] for i in (order or range(len(frags)))]


def frag6(src, dst, l4, ident, chunk=1232, order=None):
    pieces = [l4[i:i + chunk] for i in range(0, len(l4), chunk)]
    frags = []
    for i, piece in enumerate(pieces):
        mf = 1 if i < len(pieces) - 1 else 0
        fh = struct.pack("!BBHI", IPPROTO_UDP, 0, (((i * chunk) // 8) << 3) | mf, ident)
        frags.append(ipv6(src, dst, IPPROTO_FRAG, fh + piece))
    return [frags[i] for i in (order or range(len(frags)))]


def make_fragments(outdir):
    path = os.path.join(outdir, "fragments.pcap")
    p = Pcap(path)
    flows = []
    payload = bytes((i * 7) & 0xFF for i in range(3000))

    # IPv4: request in 3 fragments (in order), second request in 3 fragments (last first), unfragmented reply
    c, s = "10.20.0.1", "10.20.0.2"
    frames = 0
    for ident, order in ((0x4001, None), (0x4002, [2, 0, 1])):
        for f in frag4(c, s, udp(c, s, 50000, 9000, payload), ident, order=order):
            p.add(eth(ETH_IPV4, f)); frames += 1
    p.add(eth(ETH_IPV4, ipv4(s, c, IPPROTO_UDP, udp(s, c, 9000, 50000, b"ack")), src=2, dst=1))
    flows.append({"transport": "udp", "orig_h": c, "orig_p": 50000, "resp_h": s, "resp_p": 9000,
                  "orig_datagrams": 2, "resp_datagrams": 1, "orig_frames": frames, "resp_frames": 1,
                  "orig_udp_payload_bytes": 2 * len(payload), "resp_udp_payload_bytes": 3,
                  "orig_ip_bytes_frames": 2 * (len(payload) + 8) + frames * 20,
                  "orig_ip_bytes_reassembled": 2 * (20 + 8 + len(payload)), "resp_ip_bytes": 20 + 8 + 3,
                  "note": "IPv4: datagram 0x4001 in order, 0x4002 last fragment first; 3 frames each"})

    # IPv6: request in 3 fragments (in order), second request 2 fragments reversed, unfragmented reply
    c6, s6 = "2001:db8:20::1", "2001:db8:20::2"
    frames = 0
    l4a = udp(c6, s6, 50001, 9001, payload)
    l4b = udp(c6, s6, 50001, 9001, payload[:2000])
    for f in frag6(c6, s6, l4a, 0x6001):
        p.add(eth(ETH_IPV6, f)); frames += 1
    for f in frag6(c6, s6, l4b, 0x6002, order=[1, 0]):
        p.add(eth(ETH_IPV6, f)); frames += 1
    p.add(eth(ETH_IPV6, ipv6(s6, c6, IPPROTO_UDP, udp(s6, c6, 9001, 50001, b"ack")), src=2, dst=1))
    flows.append({"transport": "udp", "orig_h": c6, "orig_p": 50001, "resp_h": s6, "resp_p": 9001,
                  "orig_datagrams": 2, "resp_datagrams": 1, "orig_frames": frames, "resp_frames": 1,
                  "orig_udp_payload_bytes": len(payload) + 2000, "resp_udp_payload_bytes": 3,
                  "note": "IPv6: datagram 0x6001 3 fragments in order, 0x6002 2 fragments reversed"})

    # orphans: a later fragment whose first fragment never arrives (offset 1480 / 1232, MF=0)
    orphan4 = ipv4("10.20.0.3", "10.20.0.4", IPPROTO_UDP, payload[:200], ident=0x4999, df=False, mf=False,
                   frag_off=1480 // 8)
    p.add(eth(ETH_IPV4, orphan4))
    fh = struct.pack("!BBHI", IPPROTO_UDP, 0, (1232 // 8) << 3, 0x6999)
    p.add(eth(ETH_IPV6, ipv6("2001:db8:20::3", "2001:db8:20::4", IPPROTO_FRAG, fh + payload[:200])))
    p.close()
    write_json(path[:-5] + ".expected.json", {
        "pcap": os.path.basename(path), "total_packets": p.count, "flows": flows,
        "orphan_fragments": [
            {"ip_version": 4, "src": "10.20.0.3", "dst": "10.20.0.4", "id": 0x4999, "offset_bytes": 1480},
            {"ip_version": 6, "src": "2001:db8:20::3", "dst": "2001:db8:20::4", "id": 0x6999,
             "offset_bytes": 1232}],
        "note": "Orphans never reassemble: no UDP flow may be created from them (ports unknown); they should "
                "be counted as fragment timeouts/drops."})
    return path, p.count


# ---------------------------------------------------------------------------------------------
# (d) TCP states
# ---------------------------------------------------------------------------------------------
# Derivation (shared/reference/zeek-conn-state.md; Zeek TCPSessionAdapter / conn_state()):
# orig = client 10.0.4.1 (the SYN sender). Server ports are not "likely server ports" except 80 and 443,
# which are used on purpose for RSTRH and SHR (see below).
#  S0     SYN, SYN (retransmit, same seq)      orig SYN_SENT, resp INACTIVE           "S" (same rel seq: 1 S)
#  S1     S, SA, A, D, a, d, A                 both ESTABLISHED                       "ShADad"
#  SF     the full 10-packet session           both CLOSED                            "ShADadFf"
#  REJ    S, RA(seq 0, ack isn+1)              resp RESET, orig SYN_SENT              "Sr"
#  S2     S, SA, A, D, a, F (no reply)         orig CLOSED, resp ESTABLISHED          "ShADaF"
#  S3     S, SA, A, d, A, f (no reply)         resp CLOSED, orig ESTABLISHED          "ShAdf"
#  RSTO   S, SA, A, D, a, R                    orig RESET, resp ESTABLISHED           "ShADaR"
#  RSTR   S, SA, A, D, r                       resp RESET, orig ESTABLISHED           "ShADr"
#  RSTOS0 S, R                                 orig RESET, resp INACTIVE, /^?S[^HAFGIQ]*R.*/  "SR"
#  RSTRH  SA from server:80, R from server     first packet is a SYN-ACK from a likely server port to a
#                                              non-server port -> roles flipped at creation ("^"); the
#                                              SYN-ACK sender is the responder: resp ESTABLISHED -> RESET,
#                                              orig INACTIVE                          "^hr", 0 orig pkts
#  SH     S, F (no ACK bit)                    orig CLOSED, resp INACTIVE             "SF"
#  SHR    SA from server:443, F from server    as RSTRH, resp ESTABLISHED -> CLOSED   "^hf", 0 orig pkts
#  OTH    D, a, d, A (no SYN anywhere)         both PARTIAL; client port is no server port, so no flip
#                                                                                      "DadA"
# RST/FIN in RSTRH/SHR carry no ACK bit, so Zeek's "flip a SYN-ACK-first connection on the next ACK or
# data" rule cannot apply a second time.
def make_tcp_states(outdir):
    path = os.path.join(outdir, "tcp_states.pcap")
    p = Pcap(path)
    C, S = "10.0.4.1", "10.0.4.2"
    rows = []
    REQ, RESP = b"hello server\n", b"hello client\n"

    def conv(i, sport):
        return TcpConv(C, 41000 + i, S, sport, c_isn=100_000 * (i + 1), s_isn=900_000 * (i + 1))

    cases = []
    t = conv(1, 5001); t.seg(0, SYN); t.seg(0, SYN, seq=t.nxt[0] - 1, advance=False)
    cases.append(("S0", "S", t))
    t = conv(2, 5002); t.seg(0, SYN).seg(1, SYN | ACK).seg(0, ACK).seg(0, PSH | ACK, REQ).seg(1, ACK) \
        .seg(1, PSH | ACK, RESP).seg(0, ACK)
    cases.append(("S1", "ShADad", t))
    t = conv(3, 5003).full_session(REQ, RESP)
    cases.append(("SF", "ShADadFf", t))
    t = conv(4, 5004); t.seg(0, SYN).seg(1, RST | ACK, seq=0)
    cases.append(("REJ", "Sr", t))
    t = conv(5, 5005); t.seg(0, SYN).seg(1, SYN | ACK).seg(0, ACK).seg(0, PSH | ACK, REQ).seg(1, ACK) \
        .seg(0, FIN | ACK)
    cases.append(("S2", "ShADaF", t))
    t = conv(6, 5006); t.seg(0, SYN).seg(1, SYN | ACK).seg(0, ACK).seg(1, PSH | ACK, RESP).seg(0, ACK) \
        .seg(1, FIN | ACK)
    cases.append(("S3", "ShAdf", t))
    t = conv(7, 5007); t.seg(0, SYN).seg(1, SYN | ACK).seg(0, ACK).seg(0, PSH | ACK, REQ).seg(1, ACK) \
        .seg(0, RST | ACK)
    cases.append(("RSTO", "ShADaR", t))
    t = conv(8, 5008); t.seg(0, SYN).seg(1, SYN | ACK).seg(0, ACK).seg(0, PSH | ACK, REQ).seg(1, RST | ACK)
    cases.append(("RSTR", "ShADr", t))
    t = conv(9, 5009); t.seg(0, SYN).seg(0, RST)
    cases.append(("RSTOS0", "SR", t))
    t = conv(10, 80); t.seg(1, SYN | ACK, ack=t.nxt[0] + 1).seg(1, RST)
    cases.append(("RSTRH", "^hr", t))
    t = conv(11, 5011); t.seg(0, SYN).seg(0, FIN)
    cases.append(("SH", "SF", t))
    t = conv(12, 443); t.seg(1, SYN | ACK, ack=t.nxt[0] + 1).seg(1, FIN)
    cases.append(("SHR", "^hf", t))
    t = conv(13, 5013); t.seg(0, PSH | ACK, REQ).seg(1, ACK).seg(1, PSH | ACK, RESP).seg(0, ACK)
    cases.append(("OTH", "DadA", t))

    for state, hist, t in cases:
        for d, l3 in t.l3:
            p.add(eth(ETH_IPV4, l3, src=1 + d, dst=2 - d))
        (c, cp), (s, sp) = t.ep
        rows.append((c, cp, s, sp, state, hist, t.pkts[0], t.pkts[1]))
    p.close()
    with open(path[:-5] + ".expected.tsv", "w") as f:
        f.write("orig_h\torig_p\tresp_h\tresp_p\tconn_state\thistory\torig_pkts\tresp_pkts\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")
    return path, p.count


# ---------------------------------------------------------------------------------------------
# (e) malformed
# ---------------------------------------------------------------------------------------------
def make_malformed(outdir):
    path = os.path.join(outdir, "malformed.pcap")
    p = Pcap(path)
    cats = {}

    def add(cat, frame, orig_len=None):
        p.add(frame, orig_len)
        cats[cat] = cats.get(cat, 0) + 1

    A, B = "10.30.0.1", "10.30.0.2"
    A6, B6 = "2001:db8:30::1", "2001:db8:30::2"
    good_tcp4 = eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, tcp(A, B, 1234, 80, 1, 1, PSH | ACK, b"x" * 40)))
    good_udp4 = eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, udp(A, B, 1235, 53, b"y" * 40)))
    good_tcp6 = eth(ETH_IPV6, ipv6(A6, B6, IPPROTO_TCP, tcp(A6, B6, 1236, 80, 1, 1, PSH | ACK, b"z" * 40)))
    good_udp6 = eth(ETH_IPV6, ipv6(A6, B6, IPPROTO_UDP, udp(A6, B6, 1237, 53, b"w" * 40)))
    good_icmp = eth(ETH_IPV4, ipv4(A, B, 1, struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping" * 8))
    hbh = struct.pack("!BB", IPPROTO_UDP, 0) + b"\x01\x04\0\0\0\0"  # hop-by-hop, PadN
    good_ext6 = eth(ETH_IPV6, ipv6(A6, B6, IPPROTO_HOPOPTS, hbh + udp(A6, B6, 1238, 53, b"v" * 20)))
    good_vlan = l2_vlan(77)(ipv4(A, B, IPPROTO_UDP, udp(A, B, 1239, 53, b"u" * 20)), 0)
    good_mpls = l2_mpls([10, 11])(ipv4(A, B, IPPROTO_UDP, udp(A, B, 1240, 53, b"t" * 20)), 0)
    good_pppoe = l2_pppoe(7)(ipv4(A, B, IPPROTO_UDP, udp(A, B, 1241, 53, b"s" * 20)), 0)
    vx_inner = eth(ETH_IPV4, ipv4("192.168.99.1", "192.168.99.2", IPPROTO_TCP,
                                  tcp("192.168.99.1", "192.168.99.2", 1242, 80, 1, 1, ACK, b"r" * 20)))
    good_vxlan = eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, udp(A, B, 1243, 4789, struct.pack("!BxxxI", 8, 1 << 8)
                                                            + vx_inner)))
    good_gre = eth(ETH_IPV4, ipv4(A, B, IPPROTO_GRE, struct.pack("!HH", 0, ETH_IPV4)
                                  + ipv4("192.168.98.1", "192.168.98.2", IPPROTO_UDP,
                                         udp("192.168.98.1", "192.168.98.2", 1244, 53, b"q" * 20))))
    gtp_inner = ipv4("192.168.97.1", "192.168.97.2", IPPROTO_UDP, udp("192.168.97.1", "192.168.97.2", 1245, 53,
                                                                       b"p" * 20))
    good_gtp = eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, udp(A, B, 2152, 2152, struct.pack("!BBHI", 0x30, 0xFF,
                                                                                       len(gtp_inner), 1)
                                                         + gtp_inner)))

    # 1. zero-length record
    add("zero_length_record", b"", 0)
    # 2. truncated at every layer; each cut as a capture truncation (orig_len = full length) and as a runt
    cuts = [
        ("eth", good_tcp4, 6), ("eth_no_ethertype", good_tcp4, 13),
        ("vlan_tag", good_vlan, 16), ("vlan_inner_ip", good_vlan, 18 + 10),
        ("mpls_stack", good_mpls, 16), ("mpls_inner_ip", good_mpls, 22 + 8),
        ("pppoe_header", good_pppoe, 18), ("pppoe_ppp_proto", good_pppoe, 21),
        ("ipv4_header", good_tcp4, 14 + 12), ("ipv6_header", good_tcp6, 14 + 30),
        ("ipv6_ext_header", good_ext6, 14 + 40 + 4),
        ("tcp_header", good_tcp4, 14 + 20 + 10), ("tcp6_header", good_tcp6, 14 + 40 + 19),
        ("tcp_payload", good_tcp4, 14 + 20 + 20 + 5),
        ("udp_header", good_udp4, 14 + 20 + 4), ("udp6_header", good_udp6, 14 + 40 + 6),
        ("udp_payload", good_udp4, 14 + 20 + 8 + 3),
        ("icmp_header", good_icmp, 14 + 20 + 3),
        ("vxlan_header", good_vxlan, 14 + 20 + 8 + 4), ("vxlan_inner_eth", good_vxlan, 14 + 20 + 8 + 8 + 10),
        ("vxlan_inner_tcp", good_vxlan, 14 + 20 + 8 + 8 + 14 + 20 + 8),
        ("gre_header", good_gre, 14 + 20 + 2), ("gre_inner_ip", good_gre, 14 + 20 + 4 + 12),
        ("gtp_header", good_gtp, 14 + 20 + 8 + 5), ("gtp_inner_ip", good_gtp, 14 + 20 + 8 + 8 + 16),
    ]
    for name, frame, n in cuts:
        assert n < len(frame), name
        add("truncated_capture:" + name, frame[:n], len(frame))
        add("truncated_runt:" + name, frame[:n])

    # 3. lying lengths
    payload = b"L" * 40

    def tcp4(**kw):
        return eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, tcp(A, B, 2000, 80, 1, 1, PSH | ACK, payload), **kw))

    add("ipv4_total_length_too_big", tcp4(total_length=1500))
    add("ipv4_total_length_below_header", tcp4(total_length=10))
    add("ipv4_total_length_cuts_tcp_header", tcp4(total_length=30))
    add("ipv4_total_length_zero", tcp4(total_length=0))
    add("ipv4_ihl_below_5", tcp4(ihl=3))
    add("ipv4_ihl_beyond_packet", eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, b"\0" * 8, ihl=15)))
    add("ipv4_wrong_version_6", tcp4(version=6))
    add("ipv4_options_ok_ihl_6", eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, udp(A, B, 2001, 53, b"opt"),
                                                    ihl=6, options=b"\x01\x01\x01\x00")))
    add("ipv4_padded_to_60_bytes", eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, udp(A, B, 2002, 53, b"p"))) + b"\0" * 17)

    def tcp6(**kw):
        return eth(ETH_IPV6, ipv6(A6, B6, IPPROTO_TCP, tcp(A6, B6, 2003, 80, 1, 1, PSH | ACK, payload), **kw))

    add("ipv6_payload_length_too_big", tcp6(plen=4000))
    add("ipv6_payload_length_zero", tcp6(plen=0))
    add("ipv6_payload_length_cuts_tcp_header", tcp6(plen=12))
    add("ipv6_ext_header_length_beyond_packet",
        eth(ETH_IPV6, ipv6(A6, B6, IPPROTO_HOPOPTS, struct.pack("!BB", IPPROTO_UDP, 200) + b"\0" * 14)))
    add("ipv6_wrong_version_4", eth(ETH_IPV6, b"\x40" + ipv6(A6, B6, IPPROTO_UDP,
                                                              udp(A6, B6, 2004, 53, b"v"))[1:]))

    def tcpoff(off):
        return eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, tcp(A, B, 2005 + off, 80, 1, 1, PSH | ACK, payload, doff=off)))

    add("tcp_data_offset_0", tcpoff(0))
    add("tcp_data_offset_4", tcpoff(4))
    add("tcp_data_offset_15_beyond_segment",
        eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, tcp(A, B, 2021, 80, 1, 1, ACK, b"", doff=15))))
    add("tcp_options_length_zero", eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, tcp(A, B, 2022, 80, 1, 0, SYN,
                                                                             options=b"\x02\x00\x00\x00"))))
    add("tcp_options_length_beyond_header", eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, tcp(A, B, 2023, 80, 1, 0, SYN,
                                                                                      options=b"\x08\x28\x00\x00"))))

    def udplen(n, port):
        return eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, udp(A, B, port, 53, b"U" * 20, length=n)))

    add("udp_length_too_big", udplen(1000, 2030))
    add("udp_length_below_8", udplen(4, 2031))
    add("udp_length_zero", udplen(0, 2032))
    add("udp_length_short_of_payload", udplen(12, 2033))
    add("unknown_ethertype", eth(0x88B5, b"\0" * 46))
    add("arp", eth(0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac(1), ip4(A), b"\0" * 6,
                                       ip4(B)) + b"\0" * 18))
    add("unknown_ip_protocol_253", eth(ETH_IPV4, ipv4(A, B, 253, b"experimental")))

    # 4. jumbo frame: exactly 9000 bytes on the wire (one TCP segment, mid-connection)
    jumbo_payload = b"J" * (9000 - 14 - 20 - 20)
    jumbo = eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, tcp(A, B, 3000, 80, 1, 1, PSH | ACK, jumbo_payload)))
    assert len(jumbo) == 9000
    add("jumbo_9000", jumbo)

    # 5. every TCP flags byte value, one single-packet flow each
    for flags in range(256):
        src_port = 20000 + flags
        add("tcp_flags_combination",
            eth(ETH_IPV4, ipv4("10.31.0.1", "10.31.0.2", IPPROTO_TCP,
                               tcp("10.31.0.1", "10.31.0.2", src_port, 7000, 5000, 6000 if flags & ACK else 0,
                                   flags))))
    p.close()
    write_json(path[:-5] + ".expected.json", {
        "pcap": os.path.basename(path),
        "total_packets": p.count,
        "categories": cats,
        "tcp_flag_flows": {"count": 256, "src": "10.31.0.1", "src_ports": "20000 + flags byte",
                           "dst": "10.31.0.2", "dst_port": 7000, "packets_each": 1},
        "jumbo": {"frame_len": 9000, "src": A, "src_port": 3000, "dst": B, "dst_port": 80,
                  "tcp_payload": len(jumbo_payload)},
        "assert": "the binary exits 0, writes only valid JSON, and never reads past a frame; counts of "
                  "malformed frames are implementation-defined",
    })
    return path, p.count


# ---------------------------------------------------------------------------------------------
# (f) hostile: what `malformed` lacks, each case with the counter it must land in
# ---------------------------------------------------------------------------------------------
FLOOD_DATAGRAMS = 12000  # more than a worker's fragment table holds (8192 slots, direct-mapped)
FRAGMENT_SLOTS = 8192
MAX_TUNNEL_DEPTH = 4  # lib/decode/decoded_packet.hpp kMaxTunnelDepth
MAX_IPV6_EXT_HEADERS = 8  # lib/decode/ip_decoder.cpp kMaxIpv6ExtHeaders


def make_hostile(outdir):
    """Each case is ('error', <decode error name>) or ('flow', n): n frames end up in flow records.
    The sidecar sums them, so the test compares every decode error counter exactly."""
    path = os.path.join(outdir, "hostile.pcap")
    p = Pcap(path)
    cases = []  # (name, frames, outcome, decode error or None)
    A, B = "10.40.0.1", "10.40.0.2"
    A6, B6 = "2001:db8:40::1", "2001:db8:40::2"

    def add(name, frames, error=None):
        frames = frames if isinstance(frames, list) else [frames]
        for f in frames:
            p.add(f)
        cases.append({"case": name, "frames": len(frames), "decode_error": error})

    def dstopts(nh, pad_units=0):  # one destination options header, 8 * (pad_units + 1) bytes
        return struct.pack("!BB", nh, pad_units) + b"\x01" + bytes([4 + 8 * pad_units]) + b"\0" * (4 + 8 * pad_units)

    def udp6(sport, payload=b"h" * 16):
        return udp(A6, B6, sport, 53, payload)

    # 1. lengths that lie against each other (malformed has each field alone)
    body = tcp(A, B, 4000, 80, 1, 1, PSH | ACK, b"x" * 60)
    add("ipv4_ihl_15_past_total_length_40", eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, body, ihl=15, total_length=40)),
        "bad_ipv4_length")
    add("ipv4_total_length_cuts_tcp_options",  # TCP says 40-byte header, IP leaves it 20
        eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, tcp(A, B, 4001, 80, 1, 1, ACK, b"x" * 40, doff=10), total_length=40)),
        "bad_tcp_header")
    add("tcp_options_cut_by_snaplen_only",  # data offset 15, the capture keeps 4 option bytes: still a flow
        eth(ETH_IPV4, ipv4(A, B, IPPROTO_TCP, tcp(A, B, 4002, 80, 1, 1, ACK, b"\x01" * 80, doff=15)))[:14 + 20 + 24])
    add("ipv4_total_length_1_beyond_frame_udp",  # a snaplen cut: counted as a flow packet, payload short
        eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, udp(A, B, 4003, 53, b"u" * 20), total_length=20 + 8 + 21)))
    add("ipv6_payload_length_inside_ext_header",
        eth(ETH_IPV6, ipv6(A6, B6, 60, dstopts(IPPROTO_UDP, 1) + udp6(4004), plen=8)), "bad_ipv6_ext_header")
    add("ipv6_payload_length_cuts_udp_after_ext",
        eth(ETH_IPV6, ipv6(A6, B6, 60, dstopts(IPPROTO_UDP) + udp6(4005), plen=8 + 4)), "truncated_udp")
    add("ipv6_routing_header_length_2048", eth(ETH_IPV6, ipv6(A6, B6, 43, struct.pack("!BBBB", IPPROTO_UDP, 255, 0, 0)
                                                               + b"\0" * 60)), "bad_ipv6_ext_header")
    add("ipv6_ah_length_past_end", eth(ETH_IPV6, ipv6(A6, B6, 51, struct.pack("!BB", IPPROTO_UDP, 200) + b"\0" * 30)),
        "bad_ipv6_ext_header")

    # 2. IPv6 extension header chains: at the limit, one past it, and a chain that only points at itself
    def chain(n, sport):
        hdrs = b"".join(dstopts(60 if i < n - 1 else IPPROTO_UDP) for i in range(n))
        return eth(ETH_IPV6, ipv6(A6, B6, 60, hdrs + udp6(sport)))

    add(f"ipv6_ext_chain_{MAX_IPV6_EXT_HEADERS}_headers", chain(MAX_IPV6_EXT_HEADERS, 4010))
    add(f"ipv6_ext_chain_{MAX_IPV6_EXT_HEADERS + 1}_headers", chain(MAX_IPV6_EXT_HEADERS + 1, 4011),
        "bad_ipv6_ext_header")
    add("ipv6_ext_chain_looping_to_frame_end",  # every header names another: 150 of them fill the frame
        eth(ETH_IPV6, ipv6(A6, B6, 60, dstopts(60) * 150)), "bad_ipv6_ext_header")
    add("ipv6_ext_chain_looping_hop_by_hop", eth(ETH_IPV6, ipv6(A6, B6, IPPROTO_HOPOPTS,
                                                                (struct.pack("!BB", 0, 0) + b"\x01\x04\0\0\0\0") * 40)),
        "bad_ipv6_ext_header")
    atomic = struct.pack("!BBHI", IPPROTO_FRAG, 0, 0, 7) + struct.pack("!BBHI", IPPROTO_UDP, 0, 0, 8)
    add("ipv6_two_atomic_fragment_headers", eth(ETH_IPV6, ipv6(A6, B6, IPPROTO_FRAG, atomic + udp6(4012))))
    jumbo_udp = udp(A6, B6, 4013, 53, b"j" * (9000 - 14 - 40 - 8 - 8), length=0)
    hbh_jumbo = struct.pack("!BBBBI", IPPROTO_UDP, 0, 0xC2, 4, 8 + len(jumbo_udp))
    add("ipv6_jumbogram_option_9000", eth(ETH_IPV6, ipv6(A6, B6, IPPROTO_HOPOPTS, hbh_jumbo + jumbo_udp, plen=0)))

    # 3. overlapping and duplicated fragments: no reassembly, each frame is accounted to its datagram's flow
    l4 = udp(A, B, 4020, 53, bytes(range(256)) * 2)
    first = ipv4(A, B, IPPROTO_UDP, l4[:64], ident=0x4000, df=False, mf=True)
    frames = [eth(ETH_IPV4, first),
              eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, l4[32:160], ident=0x4000, df=False, mf=True, frag_off=4)),
              eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, l4[32:160], ident=0x4000, df=False, mf=True, frag_off=4)),
              eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, b"\xee" * 64, ident=0x4000, df=False, mf=True, frag_off=1)),
              eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, l4[64:], ident=0x4000, df=False, mf=False, frag_off=8)),
              eth(ETH_IPV4, first)]  # the first fragment again
    add("ipv4_fragments_overlapping_and_duplicated", frames)
    l6 = udp(A6, B6, 4021, 53, bytes(range(256)) * 2)
    f6 = [eth(ETH_IPV6, ipv6(A6, B6, IPPROTO_FRAG, struct.pack("!BBHI", IPPROTO_UDP, 0, (off << 3) | mf, 0x6000) + d))
          for off, mf, d in ((0, 1, l6[:64]), (4, 1, l6[32:160]), (4, 1, l6[32:160]), (8, 0, l6[64:]))]
    add("ipv6_fragments_overlapping_and_duplicated", f6)

    # 4. fragment flood: first fragments of FLOOD_DATAGRAMS datagrams, then their last fragments. The table
    # keeps at most FRAGMENT_SLOTS of them: the rest are counted as unmatched, never lost.
    fa, fb = "10.41.0.1", "10.41.0.2"
    flood = udp(fa, fb, 4030, 53, b"f" * 40)
    for i in range(FLOOD_DATAGRAMS):
        p.add(eth(ETH_IPV4, ipv4(fa, fb, IPPROTO_UDP, flood[:24], ident=i, df=False, mf=True)))
    for i in range(FLOOD_DATAGRAMS):
        p.add(eth(ETH_IPV4, ipv4(fa, fb, IPPROTO_UDP, flood[24:], ident=i, df=False, mf=False, frag_off=3)))
    cases.append({"case": "fragment_flood", "frames": 2 * FLOOD_DATAGRAMS, "decode_error": None})

    # 5. tunnels nested to the decoder's depth limit and past it (GRE, IP-in-IP, VXLAN, and mixed)
    ia, ib = "192.168.40.1", "192.168.40.2"

    def inner_udp(sport):
        return ipv4(ia, ib, IPPROTO_UDP, udp(ia, ib, sport, 53, b"n" * 16))

    def gre(l3):
        return ipv4(A, B, IPPROTO_GRE, struct.pack("!HH", 0, ETH_IPV4) + l3)

    def ipip(l3):
        return ipv4(A, B, IPPROTO_IPIP, l3)

    def vxlan(l3):
        return ipv4(A, B, IPPROTO_UDP, udp(A, B, 4789, 4789, struct.pack("!BxxxI", 8, 77 << 8) + eth(ETH_IPV4, l3)))

    for kind, wrap in (("gre", gre), ("ipip", ipip), ("vxlan", vxlan)):
        for depth in (MAX_TUNNEL_DEPTH, MAX_TUNNEL_DEPTH + 1, 32):
            l3 = inner_udp(4100 + depth)
            for _ in range(depth):
                l3 = wrap(l3)
            add(f"tunnel_{kind}_nested_{depth}", eth(ETH_IPV4, l3),
                "tunnel_too_deep" if depth > MAX_TUNNEL_DEPTH else None)
    l3 = inner_udp(4199)
    for w in (gre, vxlan, ipip, gre, vxlan, ipip):
        l3 = w(l3)
    add("tunnel_mixed_nested_6", eth(ETH_IPV4, l3), "tunnel_too_deep")

    # 6. frames far beyond the MTU, and empty ones
    big = eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, udp(A, B, 4200, 53, b"B" * (16000 - 14 - 28))))
    add("frame_16000_bytes", big)
    huge = eth(ETH_IPV4, ipv4(A, B, IPPROTO_UDP, udp(A, B, 4201, 53, b"H" * (65535 - 14 - 28)), total_length=0))
    add("frame_65535_bytes", huge)
    add("zero_length_frames", [b""] * 3, "truncated_link")
    add("one_byte_frame", b"\x02", "truncated_link")
    p.close()

    errors = {}
    for c in cases:
        if c["decode_error"]:
            errors[c["decode_error"]] = errors.get(c["decode_error"], 0) + c["frames"]
    write_json(path[:-5] + ".expected.json", {
        "pcap": os.path.basename(path),
        "total_packets": p.count,
        "decode_errors": errors,
        "fragment_flood": {"datagrams": FLOOD_DATAGRAMS, "fragment_slots": FRAGMENT_SLOTS, "src": fa, "dst": fb,
                           "min_unmatched": FLOOD_DATAGRAMS - FRAGMENT_SLOTS},
        "overlapping_fragments": [{"src": A, "dst": B, "src_port": 4020, "frames": 6},
                                  {"src": A6, "dst": B6, "src_port": 4021, "frames": 4}],
        "cases": cases,
        "assert": "exit 0, every decode error counter equals decode_errors (others 0), no packet unaccounted, "
                  "the flood's later fragments are matched or counted unmatched",
    })
    return path, p.count


GENERATORS = {
    "vlan_qinq_mpls": make_vlan_qinq_mpls,
    "tunnels": make_tunnels,
    "fragments": make_fragments,
    "tcp_states": make_tcp_states,
    "malformed": make_malformed,
    "hostile": make_hostile,
}


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    outdir, names = argv[0], argv[1:] or list(GENERATORS)
    unknown = [n for n in names if n not in GENERATORS]
    if unknown:
        print(f"make_test_pcaps: unknown name(s) {unknown}; choose from {list(GENERATORS)}", file=sys.stderr)
        return 2
    os.makedirs(outdir, exist_ok=True)
    for n in names:
        _ip_id[0] = 0x100 + 0x1000 * list(GENERATORS).index(n)  # per-file, so a subset run gives the same bytes
        path, count = GENERATORS[n](outdir)
        print(f"make_test_pcaps: {path} ({count} packets)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
