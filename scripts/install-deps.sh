#!/usr/bin/env bash
# Install every Debian package spanwatch needs (build, tests, capture recording).
# Idempotent: only missing packages are installed; `apt-get update` runs only when something is missing.
# Usage: scripts/install-deps.sh            (must run as root; CI runs as root)
set -euo pipefail

BUILD_PKGS=(g++ meson ninja-build pkg-config dpdk dpdk-dev libdpdk-dev libndpi-dev libndpi-bin
            libhyperscan-dev libmaxminddb-dev mmdb-bin libyaml-cpp-dev libgtest-dev libgmock-dev
            rapidjson-dev libpcap-dev libfmt-dev libcli11-dev libssl-dev libcpp-httplib-dev
            libnats-dev)  # NATS JetStream: the sensors' publisher and spanwatch-loader (issue 10)
# clang + compiler-rt (libFuzzer, ASan/UBSan runtimes; only recommended by clang): scripts/fuzz.sh (issue 8).
BUILD_PKGS+=(clang libclang-rt-dev)
# Registries enrichment reads at start-up: IANA protocols/services, IEEE MAC blocks, ISO country names.
DATA_PKGS=(netbase nmap-common ieee-data iso-codes)
# libmaxmind-db-writer-perl builds the test GeoIP databases and the ASN database of fetch-geoip.sh.
TOOL_PKGS=(tcpdump tshark tcpreplay python3 python3-jsonschema libmaxmind-db-writer-perl iproute2 chromium
    nfdump   # nfcapd + nfdump: the collector of the IPFIX export test (tests/e2e/ipfix_check.py)
    nats-server clickhouse-server clickhouse-client  # the fleet test (tests/e2e/fleet_check.py, docs/fleet.md)
    python3-fusepy)  # tests/tools/fault_fs.py: EROFS/EIO on the output folder (e2e_write_faults)
RECORD_PKGS=(openssl openssh-server openssh-client dnsmasq-base bind9-dnsutils curl)
ALL_PKGS=("${BUILD_PKGS[@]}" "${DATA_PKGS[@]}" "${TOOL_PKGS[@]}" "${RECORD_PKGS[@]}")

log() { echo "install-deps: $*"; }

# True if package $1 is fully installed. (No `dpkg -s | grep -q`: with pipefail, grep -q quitting early
# can SIGPIPE dpkg and turn a match into a failure.)
installed() {
    local st
    st="$(dpkg -s "$1" 2>/dev/null || true)"
    [[ $'\n'"$st" == *$'\nStatus: install ok installed'* ]]
}

missing=()
for p in "${ALL_PKGS[@]}"; do
    # dpkg -s succeeds for installed packages (and for config-files-only ones, so check the status line too).
    if ! installed "$p"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "all ${#ALL_PKGS[@]} packages already installed"
    exit 0
fi

log "missing packages: ${missing[*]}"

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: ERROR: must run as root to install packages (current uid $(id -u))." >&2
    echo "install-deps: run it as root, e.g. 'sudo scripts/install-deps.sh', or install manually:" >&2
    echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# tshark (wireshark-common) asks whether non-root users may capture; answer "no" up front.
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections

log "apt-get update"
apt-get update -q </dev/null
log "installing: ${missing[*]}"
apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" </dev/null

# Verify.
still=()
for p in "${missing[@]}"; do
    installed "$p" || still+=("$p")
done
if [ "${#still[@]}" -ne 0 ]; then
    echo "install-deps: ERROR: still missing after install: ${still[*]}" >&2
    exit 1
fi
log "installed ${#missing[@]} package(s): ${missing[*]}"
