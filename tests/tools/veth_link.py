"""A test link of our own: two network namespaces joined by a veth pair, for live-capture tests.

    with VethLink("swlive") as link:
        subprocess.Popen(["ip", "netns", "exec", link.cap_ns, spanwatch, "--iface", link.cap_if, ...])
        link.send(pcap, pps=2000)           # tcpreplay from the other namespace

IPv6 is off on both ends so that router solicitations add no packets the capture did not hold. The
namespaces (and with them the veth pair) are deleted on exit, also after a failure.
"""
import shutil, subprocess, uuid


def available():
    """Root, iproute2 and tcpreplay: what a VethLink needs."""
    import os
    return os.geteuid() == 0 and shutil.which("ip") and shutil.which("tcpreplay")


def _sh(*args):
    subprocess.run(list(args), check=True, capture_output=True)


class VethLink:
    def __init__(self, prefix):
        tag = uuid.uuid4().hex[:6]  # names stay under IFNAMSIZ (15) with a prefix of up to 7
        self.cap_ns, self.send_ns = f"{prefix}c{tag}", f"{prefix}s{tag}"
        self.cap_if, self.send_if = f"{prefix}c{tag}", f"{prefix}s{tag}"

    def __enter__(self):
        try:
            _sh("ip", "netns", "add", self.cap_ns)
            _sh("ip", "netns", "add", self.send_ns)
            _sh("ip", "link", "add", self.cap_if, "type", "veth", "peer", "name", self.send_if)
            _sh("ip", "link", "set", self.cap_if, "netns", self.cap_ns)
            _sh("ip", "link", "set", self.send_if, "netns", self.send_ns)
            for ns, v in ((self.cap_ns, self.cap_if), (self.send_ns, self.send_if)):
                _sh("ip", "-n", ns, "link", "set", v, "up")
                _sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{v}.disable_ipv6=1")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def send(self, pcap, pps):
        _sh("ip", "netns", "exec", self.send_ns, "tcpreplay", "-q", "-i", self.send_if, f"--pps={pps}", pcap)

    def __exit__(self, *exc):
        for ns in (self.cap_ns, self.send_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        return False
