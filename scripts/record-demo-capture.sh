#!/usr/bin/env bash
# Record the demo capture (tests/captures/demo.pcap) from real traffic on the loopback interface.
# Servers are started by this script on 127.0.0.2-127.0.0.5 (so standard ports are free), driven by
# standard clients, and stopped by PID. Nothing leaves the machine.
#   127.0.0.2:443  openssl s_server (self-signed cert)  <- curl TLS 1.3, curl TLS 1.2 (ALPN h2,http/1.1 + SNI),
#                                                          openssl s_client TLS 1.2 with another SNI
#   127.0.0.2:22   sshd (own config + host key)         <- ssh BatchMode (auth fails after key exchange)
#   127.0.0.3:53   dnsmasq                              <- dig A, AAAA, NXDOMAIN
#   127.0.0.4:80   python3 -m http.server               <- curl GET 200 and GET 404 with a User-Agent
#   127.0.0.5:8081 nothing listening                    <- TCP connect refused (REJ)
#   127.0.0.5:9999 nothing listening                    <- UDP datagram -> ICMP port unreachable
#   127.0.0.6      ping (only if `ping` is installed)
# Usage: scripts/record-demo-capture.sh [OUTPUT.pcap]     (default tests/captures/demo.pcap; needs root)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/tests/captures/demo.pcap}"
MAX_BYTES=$((200 * 1024))

log() { echo "record-demo: $*"; }
die() { echo "record-demo: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (tcpdump on lo, sshd on port 22, dnsmasq on port 53)"
for t in tcpdump tshark openssl curl ssh ssh-keygen dig python3 ss; do
    command -v "$t" >/dev/null || die "'$t' not found; run scripts/install-deps.sh"
done
SSHD=/usr/sbin/sshd; DNSMASQ=/usr/sbin/dnsmasq
[ -x "$SSHD" ] || die "$SSHD not found (package openssh-server); run scripts/install-deps.sh"
[ -x "$DNSMASQ" ] || die "$DNSMASQ not found (package dnsmasq-base); run scripts/install-deps.sh"

TMP="$(mktemp -d -t spanwatch-record.XXXXXX)"
chmod 0755 "$TMP"   # dnsmasq and sshd drop privileges; they must still reach their files
PIDS=()
TCPDUMP_PID=""
MADE_RUN_SSHD=0

cleanup() {
    local rc=$?
    set +e
    if [ -n "$TCPDUMP_PID" ] && kill -0 "$TCPDUMP_PID" 2>/dev/null; then
        kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null
    fi
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    [ "$MADE_RUN_SSHD" = 1 ] && rmdir /run/sshd 2>/dev/null
    if [ "$rc" -ne 0 ]; then
        log "failed (status $rc); server logs:"
        for f in "$TMP"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# listening ADDR PORT tcp|udp: true if something listens there (no packets sent, so nothing lands in the capture)
listening() {
    local flag=-ltnH; [ "$3" = udp ] && flag=-lunH
    ss "$flag" "( sport = :$2 )" 2>/dev/null | awk -v want="^($1|0\\.0\\.0\\.0|\\*|\\[::\\]):$2\$" '$4 ~ want { found = 1 } END { exit !found }'
}
wait_listening() {
    for _ in $(seq 1 100); do
        listening "$1" "$2" "$3" && return 0
        kill -0 "$4" 2>/dev/null || die "$5 exited before listening on $1:$2/$3 (see $TMP/$5.log)"
        sleep 0.1
    done
    die "$5 is not listening on $1:$2/$3 after 10 s"
}
require_free() {
    ! listening "$1" "$2" "$3" || die "$1:$2/$3 is already in use (stop the service using it: $(ss -lpnH "( sport = :$2 )" 2>/dev/null | awk 'NR == 1'))"
}

for spec in "127.0.0.2 443 tcp" "127.0.0.2 22 tcp" "127.0.0.3 53 udp" "127.0.0.3 53 tcp" "127.0.0.4 80 tcp" \
            "127.0.0.5 8081 tcp" "127.0.0.5 9999 udp"; do
    # shellcheck disable=SC2086
    require_free $spec
done

# ---- material ----------------------------------------------------------------------------------
log "generating self-signed certificate and SSH host key in $TMP"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
    -subj "/C=US/O=Spanwatch Demo/CN=demo.spanwatch.test" \
    -addext "subjectAltName=DNS:demo.spanwatch.test,DNS:www.spanwatch.test" 2>"$TMP/openssl-req.log"
ssh-keygen -q -t ed25519 -N '' -C spanwatch-demo -f "$TMP/ssh_host_ed25519_key"
cat > "$TMP/sshd_config" <<CFG
Port 22
ListenAddress 127.0.0.2
HostKey $TMP/ssh_host_ed25519_key
PidFile $TMP/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AuthorizedKeysFile none
StrictModes no
LogLevel INFO
CFG
if [ ! -d /run/sshd ]; then mkdir -m 0755 /run/sshd; MADE_RUN_SSHD=1; fi   # privilege-separation dir
mkdir -p "$TMP/www"
printf '<!doctype html><title>spanwatch demo</title><p>hello from the spanwatch demo capture</p>\n' > "$TMP/www/index.html"

# ---- servers (started before the capture so that readiness checks add no packets) ------------
log "starting servers"
openssl s_server -accept 127.0.0.2:443 -cert "$TMP/cert.pem" -key "$TMP/key.pem" -www -quiet \
    -alpn http/1.1 </dev/null >"$TMP/s_server.log" 2>&1 &
PIDS+=($!); wait_listening 127.0.0.2 443 tcp "$!" s_server

"$SSHD" -D -e -f "$TMP/sshd_config" </dev/null >"$TMP/sshd.log" 2>&1 &
PIDS+=($!); wait_listening 127.0.0.2 22 tcp "$!" sshd

"$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --listen-address=127.0.0.3 --bind-interfaces --port=53 --pid-file="$TMP/dnsmasq.pid" \
    --local=/spanwatch.test/ \
    --address=/demo.spanwatch.test/127.0.0.2 --address=/demo.spanwatch.test/fd00:5:a::2 \
    --log-queries --log-facility=- </dev/null >"$TMP/dnsmasq.log" 2>&1 &
PIDS+=($!); wait_listening 127.0.0.3 53 udp "$!" dnsmasq

python3 -m http.server 80 --bind 127.0.0.4 --directory "$TMP/www" </dev/null >"$TMP/http.log" 2>&1 &
PIDS+=($!); wait_listening 127.0.0.4 80 tcp "$!" http

# ---- capture -----------------------------------------------------------------------------------
FILTER='host 127.0.0.2 or host 127.0.0.3 or host 127.0.0.4 or host 127.0.0.5 or host 127.0.0.6'
log "tcpdump -i lo '$FILTER'"
tcpdump -i lo -n -U -Z root -w "$TMP/demo.pcap" "$FILTER" </dev/null >"$TMP/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
for _ in $(seq 1 100); do
    grep -q "listening on" "$TMP/tcpdump.log" && break
    kill -0 "$TCPDUMP_PID" 2>/dev/null || die "tcpdump exited: $(cat "$TMP/tcpdump.log")"
    sleep 0.1
done
grep -q "listening on" "$TMP/tcpdump.log" || die "tcpdump did not start"
sleep 0.3

step() { log "client: $*"; }
pause() { sleep 0.3; }

step "TLS 1.3 (curl, SNI demo.spanwatch.test, ALPN h2,http/1.1)"
curl -sS -k -o /dev/null --tlsv1.3 --resolve demo.spanwatch.test:443:127.0.0.2 \
    -A 'spanwatch-demo/1.0' https://demo.spanwatch.test/
pause
step "TLS 1.2 (curl, SNI www.spanwatch.test, ALPN h2,http/1.1, certificate in clear)"
curl -sS -k -o /dev/null --tlsv1.2 --tls-max 1.2 --resolve www.spanwatch.test:443:127.0.0.2 \
    -A 'spanwatch-demo/1.0' https://www.spanwatch.test/
pause
step "TLS 1.2 (openssl s_client, SNI other.spanwatch.test: certificate mismatch)"
openssl s_client -connect 127.0.0.2:443 -servername other.spanwatch.test -alpn h2,http/1.1 -tls1_2 \
    </dev/null >"$TMP/s_client.log" 2>&1
pause
step "SSH (key exchange, then auth fails)"
ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o PubkeyAuthentication=no -o ConnectTimeout=5 -o LogLevel=ERROR nobody@127.0.0.2 true \
    </dev/null >"$TMP/ssh-client.log" 2>&1 && die "ssh login unexpectedly succeeded"
grep -q "Permission denied" "$TMP/ssh-client.log" || die "ssh did not reach authentication: $(cat "$TMP/ssh-client.log")"
pause
step "DNS A, AAAA, NXDOMAIN"
dig +tries=1 +time=2 @127.0.0.3 demo.spanwatch.test A >"$TMP/dig1.log"
grep -q "status: NOERROR" "$TMP/dig1.log" || die "dig A failed: $(cat "$TMP/dig1.log")"
dig +tries=1 +time=2 @127.0.0.3 demo.spanwatch.test AAAA >"$TMP/dig2.log"
grep -q "status: NOERROR" "$TMP/dig2.log" || die "dig AAAA failed: $(cat "$TMP/dig2.log")"
dig +tries=1 +time=2 @127.0.0.3 nosuch.spanwatch.test A >"$TMP/dig3.log"
grep -q "status: NXDOMAIN" "$TMP/dig3.log" || die "dig NXDOMAIN failed: $(cat "$TMP/dig3.log")"
pause
step "HTTP GET 200 and 404 (curl, User-Agent)"
curl -sS -o /dev/null -A 'Mozilla/5.0 (X11; Linux x86_64) spanwatch-demo/1.0' -H 'Host: www.spanwatch.test' \
    'http://127.0.0.4/index.html?src=demo'
curl -sS -o /dev/null -A 'Mozilla/5.0 (X11; Linux x86_64) spanwatch-demo/1.0' -H 'Host: www.spanwatch.test' \
    'http://127.0.0.4/missing.html'
pause
step "TCP connect to closed port 127.0.0.5:8081 (refused)"
if (exec 3<>/dev/tcp/127.0.0.5/8081) 2>/dev/null; then die "127.0.0.5:8081 accepted a connection"; fi
pause
step "UDP datagram to closed port 127.0.0.5:9999 (ICMP port unreachable)"
printf 'spanwatch-probe' > /dev/udp/127.0.0.5/9999 || true
pause
if command -v ping >/dev/null; then
    step "ping 127.0.0.6 x3"
    ping -c 3 -i 0.2 -W 1 127.0.0.6 >/dev/null || true
else
    log "ping not installed: skipping ICMP echo"
fi

sleep 1   # let the last FIN/ACKs and server-side closes land
kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" || true; TCPDUMP_PID=""
grep -E "packets (captured|dropped)" "$TMP/tcpdump.log" | sed 's/^/record-demo: tcpdump: /' || true

size=$(stat -c %s "$TMP/demo.pcap")
[ "$size" -gt 24 ] || die "capture is empty"
[ "$size" -lt "$MAX_BYTES" ] || die "capture is $size bytes (limit $MAX_BYTES)"
mkdir -p "$(dirname "$OUT")"
cp "$TMP/demo.pcap" "$OUT"
log "wrote $OUT ($size bytes, $(tshark -r "$OUT" 2>/dev/null | wc -l) packets)"
tshark -n -r "$OUT" -q -z conv,tcp -z conv,udp
