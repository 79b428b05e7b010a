#!/usr/bin/env python3
"""The viewer's History page (issue 10's fleet view): /api/history over a real ClickHouse.

  history_check.py VIEWER SPANWATCH FLOW_ROWS SCHEMA_SH CORPUS

Two sensors (spanwatch with different observer names) replay corpus captures; their flows.json records
become ClickHouse rows through the loader's own row code (FLOW_ROWS, tests/tools/flow_rows.cpp) and are
inserted into a clickhouse-server in a temp dir (fleet_check.py's helpers) whose table comes from
scripts/clickhouse-schema.sh. spanwatch-viewer runs with history configured. For every filter (time range,
IP, CIDR, port, application, SNI, JA3, JA4, conn_state, label, sensor, combined) the records /api/history
returns are exactly the ones computed here from flows.json, newest first; a record's details
(/api/history/flow) are its stored JSON; hostile values find nothing and harm nothing; bad parameters are
HTTP 400 and ClickHouse down is HTTP 502, both counted in /api/stats; a viewer without history says so
(404). With Chromium, the History tab is searched and a row opens the details page.

Exit 0 pass, 1 fail, 77 skipped (clickhouse-server or the corpus missing).
"""
import calendar, collections, ipaddress, json, os, shutil, subprocess, sys, tempfile, time, urllib.parse, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "viewer", "tests"))
import fleet_check as fc  # noqa: E402  ClickHouse in a temp dir, free_port, wait_for
from viewer_check import Viewer, g  # noqa: E402  spanwatch-viewer on a free port; dotted-path getter

SKIP = 77
SENSORS = {
    "sensor-a": ["ja4/tls-sni.pcapng", "ja4/tls3.pcapng", "ja4/ssh2.pcapng", "ja4/ipv6.pcapng"],
    "sensor-b": ["ndpi/synscan.pcap", "ndpi/whatsapp.pcap"],
}


def fail(msg):
    fc.fail(msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def utc_seconds(iso):
    # "2026-11-22T20:10:39.095838Z" -> whole seconds, as the loader's ts column
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S"))


def replay(spanwatch, corpus, root, name):
    out = os.path.join(root, name)
    os.makedirs(out)
    conf = os.path.join(root, name + ".yaml")
    with open(conf, "w") as f:
        f.write(f"observer: {{ name: {name} }}\nring: {{ enabled: false }}\n")
    args = [spanwatch, "-c", conf, "--out", out]
    for c in SENSORS[name]:
        args += ["--pcap", os.path.join(corpus, "pcaps", c)]
    env = dict(os.environ, RUNTIME_DIRECTORY=out)
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env), out


def history(v, **params):
    status, _, body = v.get("/api/history", params)
    return status, json.loads(body)


def expect_search(v, recs, what, want, **params):
    """The search returns exactly `want` (msg_ids of records matching the filter), newest first."""
    status, body = history(v, limit=5000, **params)
    if not check(status == 200, f"{what}: HTTP {status} {body}"):
        return
    got = [f["key"] for f in body["flows"]]
    check(body["total"] == len(got), f"{what}: total {body['total']} != {len(got)} rows")
    check(len(got) == len(set(got)), f"{what}: a record came twice")
    if set(got) != want:
        fail(f"{what}: {len(got)} records, want {len(want)}; extra {sorted(set(got) - want)[:3]}, "
             f"missing {sorted(want - set(got))[:3]}")
    ts = [recs[k]["_ts"] for k in got]
    check(ts == sorted(ts, reverse=True), f"{what}: not newest first")
    print(f"  {what}: {len(got)} records", flush=True)


def main():
    if len(sys.argv) != 6:
        print(__doc__)
        return 2
    viewer_exe, spanwatch, flow_rows, schema_sh, corpus = sys.argv[1:]
    if shutil.which("clickhouse-server") is None:
        print("SKIPPED: clickhouse-server not installed (apt-get install clickhouse-server; "
              "scripts/install-deps.sh does)")
        return SKIP
    for caps in SENSORS.values():
        for c in caps:
            if not os.path.exists(os.path.join(corpus, "pcaps", c)):
                print(f"SKIPPED: corpus capture {c} not found under {corpus}/pcaps")
                return SKIP
    t0 = time.monotonic()
    root = tempfile.mkdtemp(prefix="swhist-")
    ch = fc.ClickHouse(os.path.join(root, "ch"))
    viewers = []
    try:
        sensors = {n: replay(spanwatch, corpus, root, n) for n in SENSORS}
        if not ch.start():
            return 1
        subprocess.run([schema_sh, "--url", ch.url()], check=True, stdout=subprocess.DEVNULL)

        # Every record of both sensors, by the msg_id flow_rows gives it, and its rows inserted.
        recs = {}
        for name, (p, out) in sensors.items():
            log = p.communicate(timeout=120)[0].decode(errors="replace")
            if p.returncode != 0:
                fail(f"{name}: spanwatch exited {p.returncode}: {log[-1000:]}")
                return 1
            path = os.path.join(out, "flows.json")
            with open(path, "rb") as f:
                rows = subprocess.run([flow_rows, name], stdin=f, capture_output=True, check=True).stdout
            for n, line in enumerate(open(path), 1):
                r = json.loads(line)
                r["_ts"] = utc_seconds(r["@timestamp"])
                recs[f"{name}-{n}"] = r
            req = urllib.request.Request(ch.url() + "/?query=" + urllib.parse.quote("INSERT INTO flows FORMAT JSONEachRow"),
                                         data=rows, method="POST")
            urllib.request.urlopen(req, timeout=30).read()
        total = len(recs)
        check(int(ch.query("SELECT count() FROM flows")) == total, "ClickHouse has every row")
        by_sensor = collections.Counter(g(r, "observer.name") for r in recs.values())
        print(f"{total} records loaded: {dict(by_sensor)} ({time.monotonic() - t0:.1f} s)", flush=True)
        check(len(by_sensor) == 2 and min(by_sensor.values()) > 20, f"both sensors have records: {by_sensor}")

        conf = os.path.join(root, "viewer.yaml")
        with open(conf, "w") as f:
            f.write(f"history: {{ clickhouse_url: \"{ch.url()}\", table: flows, max_rows: 5000, timeout_ms: 5000 }}\n")
        v = Viewer(viewer_exe, f"/swhist-{os.getpid()}", ["-c", conf])
        viewers.append(v)

        def want(pred):
            return {k for k, r in recs.items() if pred(r)}

        def ips(r):
            return (g(r, "source.ip"), g(r, "destination.ip"))

        def pick(values, what):
            c = collections.Counter(x for x in values if x)
            if not check(c, f"the captures have a {what}"):
                return None
            # a value most records do not share, so the filter really filters
            return min(c.items(), key=lambda kv: (abs(kv[1] - 5), kv[0]))[0]

        all_ts = sorted(r["_ts"] for r in recs.values())
        mid_lo, mid_hi = all_ts[len(all_ts) // 4], all_ts[3 * len(all_ts) // 4]
        expect_search(v, recs, "no filter", set(recs))
        expect_search(v, recs, "from/to (Unix seconds)", want(lambda r: mid_lo <= r["_ts"] <= mid_hi),
                      **{"from": mid_lo, "to": mid_hi})
        iso = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))
        expect_search(v, recs, "from (RFC 3339)", want(lambda r: r["_ts"] >= mid_hi), **{"from": iso(mid_hi)})
        for name in SENSORS:
            expect_search(v, recs, f"sensor={name}", want(lambda r: g(r, "observer.name") == name), sensor=name)
        ip = pick([x for r in recs.values() for x in ips(r)], "IP address")
        expect_search(v, recs, f"ip={ip}", want(lambda r: ip in ips(r)), ip=ip)
        v4 = [x for r in recs.values() for x in ips(r) if x and ":" not in x]
        net = ipaddress.ip_network(pick(v4, "IPv4 address") + "/24", strict=False)
        in_net = lambda x: bool(x) and ":" not in x and ipaddress.ip_address(x) in net
        expect_search(v, recs, f"ip={net}", want(lambda r: in_net(ips(r)[0]) or in_net(ips(r)[1])), ip=str(net))
        v6 = [x for r in recs.values() for x in ips(r) if x and ":" in x]
        if check(v6, "the captures have IPv6 flows"):
            net6 = ipaddress.ip_network(pick(v6, "IPv6 address") + "/64", strict=False)
            in6 = lambda x: bool(x) and ":" in x and ipaddress.ip_address(x) in net6
            expect_search(v, recs, f"ip={net6}", want(lambda r: in6(ips(r)[0]) or in6(ips(r)[1])), ip=str(net6))
        ports = lambda r: (g(r, "source.port"), g(r, "destination.port"))
        expect_search(v, recs, "port=443", want(lambda r: 443 in ports(r)), port="443")
        expect_search(v, recs, "port=20-25", want(lambda r: any(p is not None and 20 <= p <= 25 for p in ports(r))),
                      port="20-25")
        app = lambda r: {str(g(r, "spanwatch.l7.app", "")).lower(), str(g(r, "network.protocol", "")).lower()}
        expect_search(v, recs, "application=TLS", want(lambda r: "tls" in app(r)), application="TLS")
        sni = pick([g(r, "tls.client.server_name") for r in recs.values()], "SNI")
        expect_search(v, recs, f"sni={sni.upper()}",
                      want(lambda r: str(g(r, "tls.client.server_name", "")).lower() == sni.lower()), sni=sni.upper())
        ja3 = pick([g(r, "tls.client.ja3") for r in recs.values()], "JA3")
        expect_search(v, recs, "ja3", want(lambda r: g(r, "tls.client.ja3") == ja3), ja3=ja3)
        ja4 = pick([g(r, "spanwatch.tls.ja4") for r in recs.values()], "JA4")
        expect_search(v, recs, "ja4", want(lambda r: g(r, "spanwatch.tls.ja4") == ja4), ja4=ja4)
        expect_search(v, recs, "conn_state=S0,REJ", want(lambda r: g(r, "spanwatch.tcp.conn_state") in ("S0", "REJ")),
                      conn_state="S0,REJ")
        label = pick([l for r in recs.values() for l in g(r, "spanwatch.labels", [])], "label")
        expect_search(v, recs, f"label={label}", want(lambda r: label in g(r, "spanwatch.labels", [])), label=label)
        expect_search(v, recs, "sensor=sensor-b and port=80",
                      want(lambda r: g(r, "observer.name") == "sensor-b" and 80 in ports(r)), sensor="sensor-b", port="80")

        # The limit keeps the newest records.
        status, body = history(v, limit=7)
        newest = sorted(recs, key=lambda k: recs[k]["_ts"], reverse=True)
        check(status == 200 and len(body["flows"]) == 7 and body["truncated"], f"limit=7: {status} {body.get('total')}")
        if status == 200:
            check(all(recs[f["key"]]["_ts"] >= recs[newest[6]]["_ts"] for f in body["flows"]), "limit keeps the newest")

        # One record's details: its summary and the stored JSON, the shape /api/flow answers.
        key = next(k for k in newest if g(recs[k], "tls.client.server_name"))
        d = v.api("/api/history/flow", key=key)
        stored = {k2: x for k2, x in recs[key].items() if k2 != "_ts"}
        check(d["record"] == stored, "details: the record is the one the sensor wrote")
        s = d["summary"]
        check(s["key"] == key and s["id"] == g(stored, "spanwatch.flow.id") and s["sensor"] == g(stored, "observer.name")
              and s["bytes"] == g(stored, "network.bytes") and s["client"]["ip"] == g(stored, "source.ip"),
              f"details summary: {s}")
        st, _, _ = v.get("/api/history/flow", {"key": "no-such-record"})
        check(st == 404, f"unknown record: HTTP {st}")

        # Hostile values are data: nothing found, nothing changed.
        for k, val in (("sni", "x') OR 1=1 --"), ("sensor", "sensor-a\\' OR '1'='1"), ("label", "'); DROP TABLE flows; --"),
                       ("ja4", "\\"), ("application", "tls' UNION SELECT 1, 2 --")):
            status, body = history(v, **{k: val})
            check(status == 200 and body["total"] == 0, f"{k}={val!r}: HTTP {status}, {body.get('total')} records")
        st, _, _ = v.get("/api/history/flow", {"key": "x' OR 1=1 --"})
        check(st == 404, f"hostile details key: HTTP {st}")
        check(int(ch.query("SELECT count() FROM flows")) == total, "the table is intact")

        # Bad parameters: HTTP 400 naming them, counted.
        for params in ({"port": "1 OR 1=1"}, {"ip": "10.0.0.0/99"}, {"limit": "0"}, {"from": "yesterday"},
                       {"format": "TSV"}, {"from": 200, "to": 100}):
            status, body = history(v, **params)
            check(status == 400 and body.get("problems"), f"{params}: HTTP {status} {body}")
        stats = v.api("/api/stats")["history"]
        print(f"  /api/stats history: {stats}", flush=True)
        check(stats["enabled"] and stats["bad_requests"] == 6 and stats["errors"] == 0, f"stats: {stats}")

        # ClickHouse down: HTTP 502 with ClickHouse named, counted; the rest of the viewer answers.
        ch.stop()
        status, body = history(v, sensor="sensor-a")
        check(status == 502 and "ClickHouse" in body.get("error", ""), f"ClickHouse down: HTTP {status} {body}")
        check(v.api("/api/stats")["history"]["errors"] == 1, "the failed search is counted")
        check(v.api("/api/flows")["total"] == 0, "live flows still answer")

        # Without history configured the API says how to turn it on.
        v2 = Viewer(viewer_exe, f"/swhist2-{os.getpid()}")
        viewers.append(v2)
        status, body = history(v2)
        check(status == 404 and "history.clickhouse_url" in body.get("error", ""), f"history off: {status} {body}")
        check(v2.api("/api/stats")["history"]["enabled"] is False, "stats say history is off")

        if os.environ.get("SPANWATCH_HISTORY_BROWSER", "1") == "1":
            ch.start()
            try:
                browser_check(v, recs, sni)
            except Exception as e:  # a timed-out wait names what it waited for
                fail(f"browser: {e}")
    finally:
        for v in viewers:
            v.stop()
        ch.stop()
        if fc.FAILS:
            print(f"logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"took {time.monotonic() - t0:.1f} s")
    if fc.FAILS:
        print(f"{len(fc.FAILS)} failure(s)")
        return 1
    print("PASS")
    return 0


def browser_check(v, recs, sni):
    """The History tab: search by SNI in the form, the rows are the API's, a click opens the details."""
    import cdp
    if not os.path.exists(cdp.CHROMIUM):
        print(f"  browser check skipped: {cdp.CHROMIUM} not installed")
        return
    browser = cdp.Browser()
    try:
        page = browser.new_page()
        page.goto(v.base + "/#/history")
        page.wait("document.querySelector('#hist-form') && document.querySelector('#hist-status')", what="the History page")
        page.wait("document.querySelectorAll('#hist-table tr.hist-row').length > 0", what="the first search's rows")
        page.eval(f"document.querySelector('#hist-sni').value = {json.dumps(sni)}; "
                  "document.querySelector('#hist-search').click(); true")
        want = [f["key"] for f in v.api("/api/history", sni=sni)["flows"]]
        page.wait(f"[...document.querySelectorAll('#hist-table tr.hist-row')].map(t => t.dataset.key).join() === "
                  f"{json.dumps(','.join(want))}", what=f"the rows of sni={sni}")
        check(page.eval("location.hash").startswith("#/history?sni="), "the search is in the URL")
        page.eval("document.querySelector('#hist-table tr.hist-row').click(); true")
        page.wait("document.querySelector('section.view.details[data-key]')", what="the details page")
        check(page.eval("document.querySelector('section.view.details').dataset.key") == want[0], "details of the row clicked")
        text = page.eval("document.querySelector('section.view.details').textContent")
        check(sni in text and "sensor-" in text, "details show the SNI and the sensor")
        check(page.eval("document.querySelector('a.back').getAttribute('href')") == "#/history", "back goes to History")
        check(page.eval("document.querySelector('#nav a.active').dataset.view") == "history", "History tab active")
        print(f"  browser: History search by SNI showed {len(want)} rows, a click opened the details", flush=True)
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
