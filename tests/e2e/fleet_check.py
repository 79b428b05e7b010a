#!/usr/bin/env python3
"""Fleet scale (issue 10): sensors -> NATS JetStream cluster -> spanwatch-loader -> ClickHouse, all real.

  fleet_check.py SPANWATCH LOADER SCHEMA_SH CORPUS

Starts a 3-node nats-server JetStream cluster on loopback ports and a clickhouse-server (data in a temp dir,
loopback only), creates the table with scripts/clickhouse-schema.sh, and runs two sensors replaying
different corpus captures into the stream (replicas 3) while one loader inserts into ClickHouse. During the
run the NATS node leading the stream is killed, the loader is killed (SIGKILL), two loaders sharing the
durable consumer take over, and ClickHouse is killed and restarted under them. Then:
  - each sensor's stats.json: every record acknowledged by the stream, none dropped;
  - ClickHouse, per sensor: distinct records, their packets and bytes equal the sensor's own flows.json;
  - duplicates (rows sharing a msg_id) are at most one loader batch per loader kill, counted, and
    `OPTIMIZE TABLE flows FINAL` removes them.

Exit 0 pass, 1 fail, 77 skipped (nats-server, clickhouse-server or the corpus missing).
"""
import collections, json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

SKIP = 77
FAILS = []
BATCH = 50
STREAM = "SWTEST_FLOWS"
SENSOR_CAPTURES = {
    "sensor-a": ["ndpi/synscan.pcap", "ndpi/whatsapp.pcap", "ndpi/teams.pcap", "ndpi/badpackets.pcap"],
    "sensor-b": ["ja4/tls-sni.pcapng", "ja4/tls-handshake.pcapng", "ja4/ssh2.pcapng", "ja4/tls3.pcapng",
                 "ja4/http1.pcapng"],
}


def fail(msg):
    FAILS.append(msg)
    print("FAIL:", msg, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(what, pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if pred():
                return True
        except Exception:
            pass
        time.sleep(0.1)
    fail(f"timed out after {timeout} s waiting for {what}")
    return False


def http_get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


class Nats:
    """A 3-node JetStream cluster on loopback ports."""

    def __init__(self, root):
        self.root = root
        self.client = [free_port() for _ in range(3)]
        self.route = [free_port() for _ in range(3)]
        self.monitor = [free_port() for _ in range(3)]
        self.procs = [None] * 3

    def urls(self):
        return ",".join(f"nats://127.0.0.1:{p}" for p in self.client)

    def start(self, i):
        conf = os.path.join(self.root, f"n{i}.conf")
        routes = ", ".join(f"nats://127.0.0.1:{self.route[j]}" for j in range(3) if j != i)
        with open(conf, "w") as f:
            f.write(f"""server_name: n{i}
listen: 127.0.0.1:{self.client[i]}
http: 127.0.0.1:{self.monitor[i]}
jetstream {{ store_dir: "{self.root}/n{i}", max_memory_store: 64MB, max_file_store: 1GB }}
cluster {{ name: swtest, listen: 127.0.0.1:{self.route[i]}, routes: [{routes}] }}
""")
        log = open(os.path.join(self.root, f"n{i}.log"), "a")
        self.procs[i] = subprocess.Popen(["nats-server", "-c", conf], stdout=log, stderr=log)

    def has_leader(self):
        for i in range(3):
            if self.procs[i] and self.procs[i].poll() is None:
                jsz = json.loads(http_get(f"http://127.0.0.1:{self.monitor[i]}/jsz"))
                if jsz.get("meta_cluster", {}).get("leader"):
                    return True
        return False

    def stream_leader(self):
        """Index of the node leading STREAM, or None while it has none (or does not exist yet)."""
        for i in range(3):
            if self.procs[i] and self.procs[i].poll() is None:
                jsz = json.loads(http_get(f"http://127.0.0.1:{self.monitor[i]}/jsz?streams=true"))
                for acc in jsz.get("account_details", []):
                    for st in acc.get("stream_detail", []):
                        leader = st.get("cluster", {}).get("leader", "")
                        if st.get("name") == STREAM and leader.startswith("n"):
                            return int(leader[1:])
        return None

    def kill(self, i):
        if self.procs[i] and self.procs[i].poll() is None:
            self.procs[i].kill()
            self.procs[i].wait()

    def stop(self):
        for i in range(3):
            if self.procs[i] and self.procs[i].poll() is None:
                self.procs[i].terminate()
        for i in range(3):
            if self.procs[i]:
                try:
                    self.procs[i].wait(10)
                except subprocess.TimeoutExpired:
                    self.procs[i].kill()


class ClickHouse:
    def __init__(self, root):
        self.root = root
        self.http = free_port()
        self.tcp = free_port()
        self.proc = None
        os.makedirs(os.path.join(root, "data"), exist_ok=True)
        with open(os.path.join(root, "users.xml"), "w") as f:
            f.write("""<?xml version="1.0"?><yandex>
<profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile>
<quota>default</quota></default></users>
<quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows>
<read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas></yandex>
""")
        with open(os.path.join(root, "config.xml"), "w") as f:
            f.write(f"""<?xml version="1.0"?><yandex>
<logger><level>warning</level><log>{root}/server.log</log><errorlog>{root}/err.log</errorlog><console>0</console></logger>
<http_port>{self.http}</http_port><tcp_port>{self.tcp}</tcp_port><listen_host>127.0.0.1</listen_host>
<path>{root}/data/</path><tmp_path>{root}/tmp/</tmp_path><user_files_path>{root}/user_files/</user_files_path>
<format_schema_path>{root}/format_schemas/</format_schema_path><users_config>{root}/users.xml</users_config>
<default_profile>default</default_profile><default_database>default</default_database><timezone>UTC</timezone>
<mark_cache_size>5368709</mark_cache_size>
<remote_servers><spanwatch><shard><replica><host>127.0.0.1</host><port>{self.tcp}</port></replica></shard>
</spanwatch></remote_servers></yandex>
""")

    def url(self):
        return f"http://127.0.0.1:{self.http}"

    def start(self):
        log = open(os.path.join(self.root, "stdout.log"), "a")
        self.proc = subprocess.Popen(["clickhouse-server", f"--config-file={self.root}/config.xml"],
                                     stdout=log, stderr=log, cwd=self.root)
        return wait_for("clickhouse-server", lambda: http_get(self.url() + "/ping").strip() == "Ok.", 30)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def query(self, sql):
        req = urllib.request.Request(self.url() + "/", data=sql.encode(), method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read().decode()


def start_loader(binary, nats, ch, root, n):
    log = open(os.path.join(root, f"loader{n}.log"), "w")
    args = [binary, "--nats", nats.urls(), "--stream", STREAM, "--subject", "swtest.flows.>",
            "--durable", "swtest-loader", "--clickhouse", ch.url(), "--table", "flows", "--batch", str(BATCH),
            "--max-wait-ms", "100", "--ack-wait-s", "3", "--retry-delay-ms", "300", "--stats-interval-s", "1"]
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)


def start_sensor(binary, corpus, nats, root, name):
    out = os.path.join(root, name)
    os.makedirs(out)
    conf = os.path.join(root, name + ".yaml")
    servers = ", ".join(f'"{u}"' for u in nats.urls().split(","))
    with open(conf, "w") as f:
        f.write(f"""observer: {{ name: {name} }}
ring: {{ enabled: false }}
nats:
  enabled: true
  servers: [{servers}]
  stream: {STREAM}
  subject_prefix: swtest.flows
  replicas: 3
  ack_timeout_ms: 2000
  flush_timeout_s: 40
""")
    args = [binary, "-c", conf, "--out", out]
    for c in SENSOR_CAPTURES[name]:
        args += ["--pcap", os.path.join(corpus, "pcaps", c)]
    env = dict(os.environ, RUNTIME_DIRECTORY=out)
    log = open(os.path.join(root, name + ".log"), "w")
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env), out


def ch_rows(ch):
    try:
        return int(ch.query("SELECT count() FROM flows").strip())
    except Exception:
        return -1


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    spanwatch, loader, schema_sh, corpus = sys.argv[1:]
    for tool in ("nats-server", "clickhouse-server"):
        if shutil.which(tool) is None:
            print(f"SKIPPED: {tool} not installed (apt-get install nats-server clickhouse-server; "
                  "scripts/install-deps.sh does)")
            return SKIP
    for caps in SENSOR_CAPTURES.values():
        for c in caps:
            if not os.path.exists(os.path.join(corpus, "pcaps", c)):
                print(f"SKIPPED: corpus capture {c} not found under {corpus}/pcaps")
                return SKIP
    root = tempfile.mkdtemp(prefix="swfleet-")
    nats, ch = Nats(root), ClickHouse(os.path.join(root, "ch"))
    procs = []
    t_start = time.monotonic()
    try:
        for i in range(3):
            nats.start(i)
        if not ch.start() or not wait_for("a JetStream meta leader", nats.has_leader, 20):
            return 1
        subprocess.run([schema_sh, "--url", ch.url(), "--cluster", "spanwatch"], check=True)

        loader1 = start_loader(loader, nats, ch, root, 1)
        procs.append(loader1)
        sensors = {}
        for name in SENSOR_CAPTURES:
            p, out = start_sensor(spanwatch, corpus, nats, root, name)
            procs.append(p)
            sensors[name] = (p, out)
        # The node leading the stream dies as soon as the sensors have created it, before or while they
        # publish: the stream (3 replicas) elects a new leader from the 2 left, and publishes in between
        # fail or time out and are retried.
        wait_for("the stream's leader", lambda: nats.stream_leader() is not None, 20)
        victim = nats.stream_leader() or 0
        nats.kill(victim)
        print(f"killed NATS node n{victim}, the stream's leader", flush=True)
        # The first loader dies (SIGKILL) once it has inserted something: its unacked batch comes again.
        wait_for("the first loader's first insert", lambda: ch_rows(ch) > 0, 30)
        loader1.kill()
        loader1.wait()
        print(f"killed loader 1 at {ch_rows(ch)} rows", flush=True)
        # Two loaders share the durable consumer from here on.
        loader2 = start_loader(loader, nats, ch, root, 2)
        loader3 = start_loader(loader, nats, ch, root, 3)
        procs += [loader2, loader3]
        # ClickHouse dies under the second loader and comes back: the failed inserts are NAKed and retried.
        before = ch_rows(ch)
        wait_for("the second loader's first insert", lambda: ch_rows(ch) > before, 30)
        ch.kill()
        print(f"killed ClickHouse at > {before} rows", flush=True)
        time.sleep(1.5)
        if not ch.start():
            return 1
        print("restarted ClickHouse", flush=True)

        expect = {}
        for name, (p, out) in sensors.items():
            rc = p.wait(90)
            log = open(os.path.join(root, name + ".log")).read()
            if rc != 0:
                fail(f"{name} exited {rc}: {log[-1500:]}")
                continue
            for line in log.splitlines():
                if "nats:" in line:
                    print(f"{name}: {line}")
            recs = [json.loads(l) for l in open(os.path.join(out, "flows.json"))]
            expect[name] = (len(recs), sum(r["network"]["packets"] for r in recs),
                            sum(r["network"]["bytes"] for r in recs))
            st = json.load(open(os.path.join(out, "stats.json")))["nats"]
            print(f"{name}: {expect[name][0]} records; publisher {json.dumps(st)}", flush=True)
            if st.get("acked") != len(recs) or st.get("offered") != len(recs):
                fail(f"{name}: {len(recs)} records in flows.json but offered {st.get('offered')}, acked "
                     f"{st.get('acked')}")
            for k in ("dropped_queue_full", "dropped_buffer_full", "dropped_at_exit"):
                if st.get(k, 0) != 0:
                    fail(f"{name}: {k} = {st[k]}")
        total = sum(e[0] for e in expect.values())
        if total < 1000:
            fail(f"only {total} records from the sensors; the captures should give more")

        def distinct():
            return int(ch.query("SELECT uniqExact(msg_id) FROM flows").strip())

        wait_for(f"{total} distinct records in ClickHouse", lambda: distinct() >= total, 40)
        insert_errors = 0
        for n, p in ((2, loader2), (3, loader3)):
            p.send_signal(signal.SIGTERM)
            if p.wait(20) != 0:
                fail(f"loader {n} exited {p.returncode}")
            last = open(os.path.join(root, f"loader{n}.log")).read().strip().splitlines()[-1]
            print(f"loader {n}:", last, flush=True)
            counts = dict(zip(last.split()[1::2], map(int, last.split()[2::2])))
            if counts.get("fetched", 0) == 0:
                fail(f"loader {n} got nothing: the two loaders should share the consumer")
            insert_errors += counts.get("insert_errors", 0)
        if insert_errors == 0:
            fail("no loader saw a failed insert while ClickHouse was down")

        got = {}
        for line in ch.query(
                "SELECT observer, count(), sum(p), sum(b) FROM (SELECT msg_id, any(observer) AS observer, "
                "any(packets) AS p, any(bytes) AS b FROM flows GROUP BY msg_id) GROUP BY observer "
                "FORMAT TSV").strip().splitlines():
            o, n, p, b = line.split("\t")
            got[o] = (int(n), int(p), int(b))
        for name, e in expect.items():
            if got.get(name) != e:
                fail(f"{name}: ClickHouse has (records, packets, bytes) {got.get(name)}, the sensor wrote {e}")
            else:
                print(f"{name}: ClickHouse matches the sensor: {e[0]} records, {e[1]} packets, {e[2]} bytes")
        # (observer, flow_id, sequence) names a record as well as msg_id does (one run per sensor here).
        keys = int(ch.query("SELECT uniqExact(observer, flow_id, sequence) FROM flows").strip())
        if keys != total:
            fail(f"{keys} distinct (observer, flow_id, sequence) for {total} records")
        rows = int(ch.query("SELECT count() FROM flows").strip())
        dups = rows - distinct()
        print(f"{rows} rows, {dups} duplicates (bound {2 * BATCH}: one batch per killed loader or failed insert)")
        if dups < 0 or dups > 2 * BATCH:
            fail(f"{dups} duplicate rows > {2 * BATCH}")
        via_dist = int(ch.query("SELECT uniqExact(msg_id) FROM flows_all").strip())
        if via_dist != total:
            fail(f"the Distributed table flows_all shows {via_dist} records, not {total}")
        ch.query("OPTIMIZE TABLE flows FINAL")
        after = int(ch.query("SELECT count() FROM flows").strip())
        if after != total:
            fail(f"after OPTIMIZE FINAL {after} rows remain, want {total}")
        else:
            print(f"OPTIMIZE TABLE flows FINAL removed the {dups} duplicates")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        ch.stop()
        nats.stop()
        if FAILS:
            print(f"logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"took {time.monotonic() - t_start:.1f} s")
    if FAILS:
        print(f"{len(FAILS)} failure(s)")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
