#!/usr/bin/env bash
# bench/server.sh: DHCPv6 server throughput, kame6's dhcp6s against Kea's
# kea-dhcp6 (memfile), measured with Kea's perfdhcp in one run.
#
# Servers (SERVERS):
#   kea          kea-dhcp6, memfile, persist: false (leases in memory only)
#   kea-persist  kea-dhcp6, memfile, persist: true (leases appended to a CSV file)
#   kame6-mem    dhcp6s --memory-leases (bindings in memory only)
#   kame6        dhcp6s with its lease journal (every Reply's records written
#                and fdatasync'ed before the Reply is sent; group commit)
#
#   k6s-c (perfdhcp) c0 ---- s0 k6s-s (server)    2001:db8:1::2/64 -- 2001:db8:1::1/64
#
# For each server, mode and CPU budget it finds the highest perfdhcp rate of
# full Solicit-Advertise-Request-Reply exchanges with under 1% drops:
#   direct  perfdhcp as the client, multicast to ff02::1:2;
#   relay   perfdhcp -A1: one relay level, unicast to the server;
# and prints rate, delays, the server's CPU time per exchange, its peak
# memory and the kame6/Kea ratios.
#
# CPU budgets (CAPS): the server runs on CPU 0 and perfdhcp on CPU 1, so
# neither takes the other's core (on a 2-core machine an unpinned perfdhcp
# and server fight over both). "100" gives the server its whole core: the
# rate found is then perfdhcp's limit as often as the server's. A smaller
# cap ("25" = a quarter of one core, enforced by a cgroup CPU quota over
# 10 ms periods, short enough that a throttled server's socket buffer does
# not overflow) gives every server the same small budget, so the server is
# the bottleneck and the ratio compares servers, not load generators.
#
# Each host does its own receive processing, as on a real network: on a
# veth pair the kernel otherwise delivers a packet in the sender's context,
# so every server would be charged for perfdhcp's receive path and perfdhcp
# for the server's. Receive packet steering puts the client side's receive
# work on CPU 1 and the server side's on CPU 0, the same for every server.
#
# Usage (root): bench/server.sh    env: DURATION (s per probe, 5), MAX_RATE
#               (40000), PROBES (8), SERVERS ("kea kea-persist kame6-mem kame6"),
#               MODES ("direct relay"), CAPS ("100 25": % of one core)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
MAX_RATE=${MAX_RATE:-40000}
PROBES=${PROBES:-8}
SERVERS=${SERVERS:-"kea kea-persist kame6-mem kame6"}
MODES=${MODES:-"direct relay"}
CAPS=${CAPS:-"100 25"}
NS_C=k6s-c NS_S=k6s-s
CG_NAME=kame6-bench

[ "$(id -u)" -eq 0 ] || { echo "bench/server.sh: run as root" >&2; exit 1; }
for p in perfdhcp kea-dhcp6; do
    command -v "$p" >/dev/null || { echo "bench/server.sh: $p missing (bash tools/setup.sh)" >&2; exit 1; }
done

# The server's cgroup: v2 (cpu.max) or v1 (cpu.cfs_quota_us).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    CG=/sys/fs/cgroup/$CG_NAME
    cg_setup() { mkdir -p "$CG"; echo "+cpu" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true; }
    cg_cap() { echo "$(( $1 * 100 )) 10000" >"$CG/cpu.max"; }
    cg_join() { echo "$1" >"$CG/cgroup.procs"; }
else
    CG=/sys/fs/cgroup/cpu/$CG_NAME
    cg_setup() { mkdir -p "$CG"; echo 10000 >"$CG/cpu.cfs_period_us"; }
    cg_cap() { echo "$(( $1 * 100 ))" >"$CG/cpu.cfs_quota_us"; }
    cg_join() { echo "$1" >"$CG/tasks"; }
fi

WORK=
cleanup() {
    for ns in $NS_C $NS_S; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rmdir "$CG" 2>/dev/null || true
    [ -z "$WORK" ] || rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
WORK=$(mktemp -d /tmp/kame6-bench.XXXXXX)

cargo build --release --quiet --bin dhcp6s
OURS=$PWD/target/release/dhcp6s
cg_setup

for ns in $NS_C $NS_S; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add c0 netns $NS_C type veth peer name s0 netns $NS_S
for pair in "$NS_C c0" "$NS_S s0"; do
    set -- $pair
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
    ip -n "$1" link set "$2" up
done
ip -n $NS_C -6 addr add 2001:db8:1::2/64 dev c0 nodad
ip -n $NS_S -6 addr add 2001:db8:1::1/64 dev s0 nodad
ip netns exec $NS_C sh -c 'echo 2 >/sys/class/net/c0/queues/rx-0/rps_cpus'
ip netns exec $NS_S sh -c 'echo 1 >/sys/class/net/s0/queues/rx-0/rps_cpus'

cat > "$WORK/kea.json" <<JSON
{ "Dhcp6": {
  "interfaces-config": { "interfaces": [ "s0", "s0/2001:db8:1::1" ] },
  "lease-database": { "type": "memfile", "persist": false },
  "server-id": { "type": "EN", "enterprise-id": 2495, "identifier": "6b616d6536", "persist": false },
  "renew-timer": 1000, "rebind-timer": 2000, "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64", "interface": "s0", "pools": [ { "pool": "2001:db8:1::/80" } ] } ],
  "loggers": [ { "name": "kea-dhcp6", "output_options": [ { "output": "$WORK/kea.log" } ], "severity": "WARN" } ]
} }
JSON
sed -e 's|"memfile", "persist": false }|"memfile", "persist": true, "name": "'"$WORK"'/kea-leases6.csv", "lfc-interval": 0 }|' \
    "$WORK/kea.json" >"$WORK/kea-persist.json"
cat > "$WORK/dhcp6s.conf" <<CONF
pool bench { range 2001:db8:1:: to 2001:db8:1::ffff:ffff:ffff; };
interface s0 { address-pool bench 3000 4000; };
CONF

SERVER_PID=
# start_server NAME CAP: on CPU 0, in the cgroup capped at CAP % of a core.
start_server() {
    cg_cap "$2"
    case "$1" in
        kea|kea-persist)
            rm -f "$WORK"/kea-leases6.csv*
            (cg_join $BASHPID; KEA_LOCKFILE_DIR=$WORK KEA_PIDFILE_DIR=$WORK exec taskset -c 0 ip netns exec $NS_S kea-dhcp6 -c "$WORK/$1.json" >"$WORK/server.out" 2>&1) & ;;
        kame6-mem) (cg_join $BASHPID; exec taskset -c 0 ip netns exec $NS_S "$OURS" -f --memory-leases -c "$WORK/dhcp6s.conf" -P "$WORK/s.pid" --duid-file "$WORK/duid" s0 >"$WORK/server.out" 2>&1) & ;;
        kame6)
            # A fresh journal each time, on the same disk as everything else.
            rm -f "$WORK/dhcp6s.leases"
            (cg_join $BASHPID; exec taskset -c 0 ip netns exec $NS_S "$OURS" -f -c "$WORK/dhcp6s.conf" -P "$WORK/s.pid" --duid-file "$WORK/duid" s0 >"$WORK/server.out" 2>&1) & ;;
    esac
    SERVER_PID=$!
    sleep 2
}
# CPU seconds (user + system) the server has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo "-"; }

# probe MODE RATE -> "achieved drops% sa_delay_ms rr_delay_ms cpu_us_per_exchange"
probe() {
    local args=(-6 -l c0 -r "$2" -R 100000000 -p "$DURATION")
    [ "$1" = relay ] && args+=(-A1 2001:db8:1::1)
    local t0; t0=$(cpu_ticks)
    ip netns exec $NS_C timeout $((DURATION + 20)) taskset -c 1 perfdhcp "${args[@]}" >"$WORK/perf.out" 2>&1 || true
    local t1; t1=$(cpu_ticks)
    awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v secs="$DURATION" '
        /^Rate:/ { rate = $2 }
        /drops ratio:/ { d = $3 + 0; if (d > drops) drops = d }
        /avg delay:/ { delay[n++] = $3 }
        END {
            # Server CPU time per completed exchange; the probe runs about
            # DURATION seconds at the achieved rate.
            us = (rate > 0) ? ticks / hz * 1e6 / (rate * secs) : 0
            printf "%s %s %s %s %.1f\n", rate + 0, drops + 0, delay[0] + 0, delay[1] + 0, us
        }
    ' "$WORK/perf.out"
}

uptime
printf '%-11s %-7s %5s %12s %9s %12s %12s %10s %10s\n' server mode "cpu%" "max rate/s" "drops %" "SA delay ms" "RR delay ms" "CPU us/ex" "peak KiB"
declare -A BEST
for cap in $CAPS; do
    for mode in $MODES; do
        for server in $SERVERS; do
            start_server "$server" "$cap"
            lo=0 hi=$MAX_RATE best="0 0 0 0 0"
            for _ in $(seq "$PROBES"); do
                mid=$(( (lo + hi) / 2 ))
                read -r achieved drops sa rr us < <(probe "$mode" "$mid")
                if awk -v d="$drops" -v a="$achieved" -v m="$mid" 'BEGIN { exit !(d < 1 && a >= 0.95 * m) }'; then
                    lo=$mid best="$achieved $drops $sa $rr $us"
                else
                    hi=$mid
                fi
            done
            peak=$(peak_kib)
            stop_server
            read -r achieved drops sa rr us <<<"$best"
            BEST[$server-$mode-$cap]=$achieved
            printf '%-11s %-7s %5s %12s %9s %12s %12s %10s %10s\n' "$server" "$mode" "$cap" "$achieved" "$drops" "$sa" "$rr" "$us" "$peak"
        done
    done
done
ratio() { # MODE CAP A B LABEL
    local a=${BEST[$3-$1-$2]:-0} b=${BEST[$4-$1-$2]:-0}
    awk -v m="$1" -v c="$2" -v a="$a" -v b="$b" -v l="$5" 'BEGIN { if (a > 0 && b > 0) printf "%s, server at %s%% of a core: %s = %.2f\n", m, c, l, a / b }'
}
for cap in $CAPS; do
    for mode in $MODES; do
        ratio "$mode" "$cap" kame6-mem kea "kame6 in memory / Kea in memory"
        ratio "$mode" "$cap" kame6 kea-persist "kame6 journal / Kea persist"
        ratio "$mode" "$cap" kame6 kame6-mem "kame6 journal / kame6 in memory (cost of the journal)"
    done
done
uptime
