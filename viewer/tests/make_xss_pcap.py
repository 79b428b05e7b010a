#!/usr/bin/env python3
"""Write a capture whose packet-derived strings are hostile HTML/JavaScript, for the viewer's XSS test.

Usage: make_xss_pcap.py OUT.pcap [PADDING]   (prints the payloads it planted, as JSON)

Pure python (struct only). Four conversations, each a complete exchange so the pipeline's parsers and nDPI
read them: a TLS ClientHello whose SNI carries a <script> tag, a DNS query whose name carries an
<img onerror>, an HTTP request whose Host, URL and User-Agent carry both, and SSH banners with <svg onload>.
Every payload would set window.__xss or open an alert dialog if it ever ran. PADDING (default 20000)
packets of one harmless UDP flow come first: they make the replay (and so the pipeline's ring) last long
enough for a viewer on a busy machine to attach.
"""
import json, struct, sys

PAYLOADS = {
    "sni": "<script>window.__xss=1;alert(1)</script>.evil.example",
    "dns": "<img src=x onerror=window.__xss=2;alert(2)>.evil.example",
    "host": "<img src=x onerror=alert(3)>.evil.example",
    "url": "/<script>window.__xss=3</script>?q=\"><img src=x onerror=alert(4)>",
    "ua": "Mozilla/5.0 <script>alert(5)</script>",
    "ssh": "SSH-2.0-<svg/onload=alert(6)>",
}
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
CLIENT_MAC, SERVER_MAC = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident):
    s, d = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0, s, d)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr, s, d


def tcp_frame(src, dst, sport, dport, seq, ack, flags, data, ident):
    th = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    _, s, d = ipv4(src, dst, 6, th + data, ident)
    pseudo = s + d + struct.pack("!BBH", 0, 6, len(th) + len(data))
    th = th[:16] + struct.pack("!H", csum(pseudo + th + data)) + th[18:]
    ip, _, _ = ipv4(src, dst, 6, th + data, ident)
    macs = (SERVER_MAC + CLIENT_MAC) if src.endswith(".10") else (CLIENT_MAC + SERVER_MAC)
    return macs + b"\x08\x00" + ip + th + data


def udp_frame(src, dst, sport, dport, data, ident):
    uh = struct.pack("!HHHH", sport, dport, 8 + len(data), 0)
    ip, _, _ = ipv4(src, dst, 17, uh + data, ident)
    macs = (SERVER_MAC + CLIENT_MAC) if src.endswith(".10") else (CLIENT_MAC + SERVER_MAC)
    return macs + b"\x08\x00" + ip + uh + data


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.ts = 1_700_000_000_000_000
        self.ident = 1

    def add(self, frame):
        self.ts += 1000
        self.f.write(struct.pack("<IIII", self.ts // 1_000_000, self.ts % 1_000_000, len(frame), len(frame)))
        self.f.write(frame)

    def tcp_session(self, cli, srv, sport, dport, client_data, server_data):
        c_seq, s_seq = 1000, 5000
        add = lambda *a: (self.add(tcp_frame(*a, self.ident)), setattr(self, "ident", self.ident + 1))
        add(cli, srv, sport, dport, c_seq, 0, SYN, b"")
        add(srv, cli, dport, sport, s_seq, c_seq + 1, SYN | ACK, b"")
        c_seq += 1
        s_seq += 1
        add(cli, srv, sport, dport, c_seq, s_seq, ACK, b"")
        for who, data in [("c", d) for d in client_data[:1]] + [("s", d) for d in server_data[:1]] + \
                         [("c", d) for d in client_data[1:]] + [("s", d) for d in server_data[1:]]:
            if who == "c":
                add(cli, srv, sport, dport, c_seq, s_seq, PSH | ACK, data)
                c_seq += len(data)
                add(srv, cli, dport, sport, s_seq, c_seq, ACK, b"")
            else:
                add(srv, cli, dport, sport, s_seq, c_seq, PSH | ACK, data)
                s_seq += len(data)
                add(cli, srv, sport, dport, c_seq, s_seq, ACK, b"")
        add(cli, srv, sport, dport, c_seq, s_seq, FIN | ACK, b"")
        add(srv, cli, dport, sport, s_seq, c_seq + 1, FIN | ACK, b"")
        add(cli, srv, sport, dport, c_seq + 1, s_seq + 1, ACK, b"")


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    groups = struct.pack("!HHH", 10, 4, 2) + struct.pack("!H", 0x001D)
    sigalgs = struct.pack("!HHH", 13, 4, 2) + struct.pack("!H", 0x0403)
    versions = struct.pack("!HHB", 43, 3, 2) + struct.pack("!H", 0x0304)
    exts = sni_ext + groups + sigalgs + versions
    body = struct.pack("!H", 0x0303) + bytes(range(32)) + b"\x00" + struct.pack("!HHH", 4, 0x1301, 0x1302) + \
        b"\x01\x00" + struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def server_hello():
    exts = struct.pack("!HHH", 43, 2, 0x0304)
    body = struct.pack("!H", 0x0303) + bytes(32) + b"\x00" + struct.pack("!H", 0x1301) + b"\x00" + \
        struct.pack("!H", len(exts)) + exts
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


def dns_query(name, qid):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\x00"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def dns_response(name, qid):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\x00"
    ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 66])
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HH", 1, 1) + ans


def main():
    out = sys.argv[1]
    padding = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    p = Pcap(out)
    filler = b"spanwatch viewer test padding " * 3
    for i in range(padding):
        p.add(udp_frame("10.99.0.1", "10.99.0.2", 40000, 40001, filler, i & 0xFFFF))
    cli = "192.168.77.10"
    p.tcp_session(cli, "203.0.113.20", 51000, 443, [client_hello(PAYLOADS["sni"])], [server_hello()])
    p.add(udp_frame(cli, "192.168.77.53", 53000, 53, dns_query(PAYLOADS["dns"], 0x1234), 900))
    p.add(udp_frame("192.168.77.53", cli, 53, 53000, dns_response(PAYLOADS["dns"], 0x1234), 901))
    req = (f"GET {PAYLOADS['url']} HTTP/1.1\r\nHost: {PAYLOADS['host']}\r\nUser-Agent: {PAYLOADS['ua']}\r\n"
           f"Accept: */*\r\n\r\n").encode()
    resp = b"HTTP/1.1 200 OK\r\nServer: <svg onload=alert(7)>\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n"
    p.tcp_session(cli, "198.51.100.80", 51001, 80, [req], [resp])
    p.tcp_session(cli, "192.168.77.22", 51002, 22, [(PAYLOADS["ssh"] + "\r\n").encode()],
                  [(PAYLOADS["ssh"] + "server\r\n").encode()])
    p.f.close()
    print(json.dumps(PAYLOADS))


if __name__ == "__main__":
    main()
