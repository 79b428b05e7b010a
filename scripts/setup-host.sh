#!/usr/bin/env bash
# Prepares a host for spanwatch on real NICs: reserves hugepages (dpdk-hugepages.py) on the NICs' NUMA
# nodes and binds the configured PCI ports to vfio-pci (dpdk-devbind.py). Mellanox/NVIDIA mlx5 ports stay
# on their kernel driver (mlx5_core): DPDK's mlx5 PMD works through it (bifurcated driver).
#
#   scripts/setup-host.sh [--config conf/spanwatch.yaml] [--dry-run] [--force]
#
# --dry-run prints every command it would run, and what it found, without changing anything.
# --force   also binds a port whose kernel interface is up (never the one you are logged in through!).
# Run it at every boot before spanwatch (conf/spanwatch.service does, with ExecStartPre). Undo a binding with
#   dpdk-devbind.py -b <kernel driver> <PCI address>      (e.g. ixgbe, i40e, ice)
# SYSFS_ROOT (default /sys) exists for tests.
set -euo pipefail

config=/etc/spanwatch/spanwatch.yaml
[[ -f $config ]] || config="$(dirname "$0")/../conf/spanwatch.yaml"
dry_run=0
force=0
while (($#)); do
  case $1 in
    --config) config=$2; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --force) force=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "setup-host: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
sys=${SYSFS_ROOT:-/sys}
[[ -f $config ]] || { echo "setup-host: config $config not found" >&2; exit 2; }

run() {  # prints the command; runs it unless --dry-run
  if ((dry_run)); then echo "would run: $*"; else echo "+ $*"; "$@"; fi
}
say() { echo "setup-host: $*"; }

# PCI ports of the config: "device:" values that look like [dddd:]bb:dd.f.
mapfile -t devices < <(sed 's/#.*//' "$config" |
  grep -oE 'device:[[:space:]]*"?([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]"?([[:space:],}]|$)' |
  grep -oE '([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]')
memory_mb=$(sed 's/#.*//' "$config" | sed -n 's/^[[:space:]]*memory_mb:[[:space:]]*\([0-9]\+\).*/\1/p' | head -1)
memory_mb=${memory_mb:-1024}
hugepages=$(sed -n 's/^[[:space:]]*hugepages:[[:space:]]*\([a-z]\+\).*/\1/p' "$config" | head -1)
say "config $config: ${#devices[@]} PCI port(s) ${devices[*]:-}; memory.memory_mb $memory_mb"
((${#devices[@]})) || say "no PCI port in the config (vdevs only): nothing to bind"

((dry_run)) || [[ $(id -u) == 0 ]] || { echo "setup-host: run as root (or use --dry-run)" >&2; exit 1; }
for tool in dpdk-hugepages.py dpdk-devbind.py; do
  command -v "$tool" >/dev/null || { echo "setup-host: $tool missing: apt-get install dpdk" >&2; exit 1; }
done

# IOMMU: vfio-pci needs it (intel_iommu=on iommu=pt, or amd_iommu=on, on the kernel command line).
if [[ -z $(ls -A "$sys/kernel/iommu_groups" 2>/dev/null) ]]; then
  say "WARNING: no IOMMU groups: add intel_iommu=on iommu=pt (Intel) or amd_iommu=on iommu=pt (AMD) to the"
  say "         kernel command line and reboot; vfio-pci cannot bind without an IOMMU (docs/deploy.md)"
fi

# Hugepages: memory_mb plus 25% headroom, on each NUMA node that has a configured port (node 0 if unknown).
declare -A nodes=()
to_bind=()
for d in "${devices[@]}"; do
  [[ $d == ????:* ]] || d="0000:$d"
  dev="$sys/bus/pci/devices/$d"
  if [[ ! -e $dev ]]; then
    say "$d: not present on this host; would bind it to vfio-pci once it is (check lspci -D)"
    nodes[0]=1
    to_bind+=("$d")
    continue
  fi
  vendor=$(cat "$dev/vendor" 2>/dev/null || echo ?)
  driver=$(basename "$(readlink "$dev/driver" 2>/dev/null || echo none)")
  node=$(cat "$dev/numa_node" 2>/dev/null || echo -1)
  ((node >= 0)) || node=0
  nodes[$node]=1
  ifaces=$(ls "$dev/net" 2>/dev/null | tr '\n' ' ')
  say "$d: vendor $vendor, driver $driver, NUMA node $node, interface(s) ${ifaces:-none}"
  if [[ $vendor == 0x15b3 ]]; then
    say "$d: Mellanox/NVIDIA (mlx5): stays on mlx5_core (DPDK's mlx5 PMD uses the kernel driver; needs rdma-core)"
    [[ $driver == mlx5_core ]] || say "WARNING: $d is on $driver, not mlx5_core: modprobe mlx5_core"
    for i in $ifaces; do run ip link set "$i" up; done
    continue
  fi
  if [[ $driver == vfio-pci ]]; then
    say "$d: already on vfio-pci"
    continue
  fi
  for i in $ifaces; do
    if [[ $(cat "$dev/net/$i/operstate" 2>/dev/null) == up ]] && ((!force)); then
      say "ERROR: $d ($i) is up in the kernel; it may be a management port. Check, then rerun with --force" >&2
      exit 1
    fi
  done
  for i in $ifaces; do run ip link set "$i" down; done
  to_bind+=("$d")
done

((${#nodes[@]})) || nodes[0]=1
per_node_mb=$(((memory_mb * 5 / 4 + 1023) / 1024 * 1024))
if [[ $hugepages != false ]]; then
  for n in "${!nodes[@]}"; do run dpdk-hugepages.py --pagesize 2M --node "$n" --reserve "${per_node_mb}M"; done
  run dpdk-hugepages.py --mount
fi

if ((${#to_bind[@]})); then
  run modprobe vfio-pci
  run dpdk-devbind.py --bind=vfio-pci "${to_bind[@]}"
fi
((dry_run)) || dpdk-devbind.py --status-dev net || true
say "done; start spanwatch: systemctl start spanwatch (conf/spanwatch.service)"
