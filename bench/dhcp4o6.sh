#!/usr/bin/env bash
# bench/dhcp4o6.sh: DHCPv4-over-DHCPv6 (RFC 7341) server throughput. A pair
# of servers answers: a DHCPv6 side that receives DHCPV4-QUERY from the
# clients and a DHCPv4 side behind it, joined by Kea's 4o6 IPC on the
# loopback (dhcp4o6-port 6767: the DHCPv6 side on [::1]:6767, the DHCPv4
# side on [::1]:6768). Kea's perfdhcp cannot speak 4o6, so the load comes
# from examples/dhcp4o6_load.rs: full DORA exchanges (DISCOVER, OFFER,
# REQUEST, ACK, each DHCPv4 message inside a DHCPV4-QUERY or
# DHCPV4-RESPONSE), a new client per exchange, at a fixed rate, multicast
# to ff02::1:2 from port 546; an exchange without its ACK within 2 s of
# its DISCOVER, or with a NAK, is lost.
#
# Pairs (SERVERS), all in the same run:
#   kea          kea-dhcp6 + kea-dhcp4, memfile, persist: false
#   kea-persist  kea-dhcp6 + kea-dhcp4, kea-dhcp4's memfile persist: true
#                (leases appended to a CSV file)
#   k6s-kea4     kame6's dhcp6s + kea-dhcp4 (persist: false): our DHCPv6
#                side with Kea's DHCPv4 side
#   kame6-mem    dhcp6s + kame6's dhcp4s --memory-leases
#   kame6        dhcp6s + dhcp4s with its lease journal (every ACK's record
#                written and fdatasync'ed before the ACK is sent)
# Neither DHCPv6 side keeps leases for 4o6 (it forwards without state).
#
#   k4b-c (dhcp4o6_load) c0 ---- s0 k4b-s (both servers)
#   2001:db8:1::2/64                2001:db8:1::1/64, 192.0.2.1/24
#   (kea-dhcp4 takes its server identifier from an IPv4 address on the
#   interface the DHCPv6 side names; every DHCPv4 side serves 10.0.0.0/8)
#
# For each setup and pair it finds the highest rate of DORA exchanges with
# under 1% lost, as bench/server.sh does: a binary search, then three probes
# at the rate found, stepping down 5% until two of them pass, the median
# kept. Every probe starts a fresh pair (empty lease tables, a fresh
# journal). Each probe's figures go to PROBE_LOG
# (/tmp/kame6-bench-4o6-probes.log). It prints the rate, the DORA latency
# (median, p99), both servers' CPU time per exchange, the generator's own
# CPU use (far from 100% means the generator was not the limit), the peak
# memory of each side, and the ratios kame6/Kea.
#
# Setups (SETUPS), as in bench/server.sh:
#   pinned   both servers on CPU 0, the generator on CPU 1;
#   capN     pinned, and the two servers together held to N % of CPU 0 by
#            a cgroup CPU quota over 10 ms periods, so the servers are the
#            bottleneck whatever the generator can do;
#   shared   no pinning (noisy).
# Receive packet steering puts the client side's receive work on CPU 1 and
# the servers' on CPU 0.
#
# Run it on an otherwise idle machine: with the defaults, about 110 probes
# of about 8 s each (the probe, the 2 s drain, a pair's start), some 15
# minutes.
#
# Usage (root, after bash tools/setup.sh): bench/dhcp4o6.sh
#   env: DURATION (s per probe, 5), MAX_RATE (40000), PROBES (8),
#        SERVERS ("kea kea-persist k6s-kea4 kame6-mem kame6"),
#        SETUPS ("pinned cap25")
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
MAX_RATE=${MAX_RATE:-40000}
PROBES=${PROBES:-8}
SERVERS=${SERVERS:-"kea kea-persist k6s-kea4 kame6-mem kame6"}
SETUPS=${SETUPS:-"pinned cap25"}
PROBE_LOG=${PROBE_LOG:-/tmp/kame6-bench-4o6-probes.log}
IPC_PORT=6767
BENCH=bench/dhcp4o6.sh NS_C=k4b-c NS_S=k4b-s CG_NAME=kame6-bench-4o6
. bench/lib.sh
bench_require kea-dhcp6 kea-dhcp4 taskset ss
trap bench_cleanup EXIT
bench_cleanup
WORK=$(mktemp -d /tmp/kame6-bench-4o6.XXXXXX)

cargo build --release --quiet --bin dhcp6s --bin dhcp4s --example dhcp4o6_load
DHCP6S=$PWD/target/release/dhcp6s
DHCP4S=$PWD/target/release/dhcp4s
LOAD=$PWD/target/release/examples/dhcp4o6_load
cg_setup

bench_net
ip -n $NS_S addr add 192.0.2.1/24 dev s0

# The DHCPv6 sides: no DHCPv6 subnet or pool, 4o6 only.
cat > "$WORK/kea6.json" <<JSON
{ "Dhcp6": {
  "interfaces-config": { "interfaces": [ "s0" ] },
  "lease-database": { "type": "memfile", "persist": false },
  "server-id": { "type": "EN", "enterprise-id": 2495, "identifier": "6b616d6536", "persist": false },
  "dhcp4o6-port": $IPC_PORT,
  "loggers": [ { "name": "kea-dhcp6", "output_options": [ { "output": "$WORK/kea6.log" } ], "severity": "WARN" } ]
} }
JSON
printf 'dhcp4o6-port %s;\n' $IPC_PORT >"$WORK/dhcp6s.conf"
# The DHCPv4 sides: 10.0.0.0/8 (16 million addresses, so no probe runs
# out), chosen by the interface the DHCPv6 side received on.
cat > "$WORK/kea4.json" <<JSON
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "s0" ], "dhcp-socket-type": "udp" },
  "lease-database": { "type": "memfile", "persist": false },
  "dhcp4o6-port": $IPC_PORT,
  "valid-lifetime": 4000, "renew-timer": 1000, "rebind-timer": 2000,
  "subnet4": [ { "id": 1, "subnet": "10.0.0.0/8", "4o6-interface": "s0",
                 "pools": [ { "pool": "10.0.0.1 - 10.255.255.254" } ],
                 "option-data": [ { "name": "routers", "data": "10.0.0.1" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "$WORK/kea4.log" } ], "severity": "WARN" } ]
} }
JSON
sed -e 's|"memfile", "persist": false }|"memfile", "persist": true, "name": "'"$WORK"'/kea-leases4.csv", "lfc-interval": 0 }|' \
    "$WORK/kea4.json" >"$WORK/kea4-persist.json"
cat > "$WORK/dhcp4s.conf" <<CONF
dhcp4o6-port $IPC_PORT;
server-identifier 192.0.2.1;
lease-file "$WORK/dhcp4s.leases";
subnet 10.0.0.0/8 {
	4o6-interface s0;
	range 10.0.0.1 to 10.255.255.254;
	lease-time 4000;
	renew-time 1000;
	rebind-time 2000;
	option routers 10.0.0.1;
};
CONF

# in_cg VAR LOG CMD...: CMD in the server namespace, placed and capped,
# output to LOG; its PID in VAR (a child of this shell, so it can be waited for).
in_cg() {
    local var=$1 log=$2; shift 2
    (cg_join $BASHPID; KEA_LOCKFILE_DIR=$WORK KEA_PIDFILE_DIR=$WORK exec $SERVER_CPUS ip netns exec $NS_S "$@" >"$log" 2>&1) &
    printf -v "$var" %s $!
}
# Waits (10 s at most) until UDP ports [::1]:6767 and :6768 (bound, or
# connected to the peer as Kea's are) and port 547 are open.
wait_bound() {
    for _ in $(seq 100); do
        local s; s=$(ip netns exec $NS_S ss -Huan 2>/dev/null | awk '{ print $4 }' || true)
        if grep -qx "\[::1\]:$IPC_PORT" <<<"$s" && grep -qx "\[::1\]:$((IPC_PORT + 1))" <<<"$s" && grep -q ":547$" <<<"$s"; then
            sleep 0.2; return 0
        fi
        sleep 0.1
    done
    echo "bench/dhcp4o6.sh: $SERVER did not start:" >&2
    ip netns exec $NS_S ss -Huan >&2 || true
    cat "$WORK"/*.out "$WORK"/*.log >&2 2>/dev/null || true
    return 1
}

V6_PID= V4_PID=
# start_pair NAME: both sides, placed and capped as the current setup says.
start_pair() {
    cg_cap "$CAP"
    rm -f "$WORK"/kea-leases4.csv* "$WORK"/dhcp4s.leases*
    case "$1" in
        kea|k6s-kea4) in_cg V4_PID "$WORK/v4.out" kea-dhcp4 -c "$WORK/kea4.json" ;;
        kea-persist) in_cg V4_PID "$WORK/v4.out" kea-dhcp4 -c "$WORK/kea4-persist.json" ;;
        kame6-mem) in_cg V4_PID "$WORK/v4.out" "$DHCP4S" -f --memory-leases -c "$WORK/dhcp4s.conf" -P "$WORK/s4.pid" -k "$WORK/no-key" ;;
        kame6) in_cg V4_PID "$WORK/v4.out" "$DHCP4S" -f -c "$WORK/dhcp4s.conf" -P "$WORK/s4.pid" -k "$WORK/no-key" ;;
    esac
    case "$1" in
        kea|kea-persist) in_cg V6_PID "$WORK/v6.out" kea-dhcp6 -c "$WORK/kea6.json" ;;
        *) in_cg V6_PID "$WORK/v6.out" "$DHCP6S" -f --memory-leases -c "$WORK/dhcp6s.conf" -P "$WORK/s6.pid" --duid-file "$WORK/duid" s0 ;;
    esac
    wait_bound
}
stop_pair() {
    kill "$V6_PID" "$V4_PID" 2>/dev/null || true
    wait "$V6_PID" "$V4_PID" 2>/dev/null || true
}
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo "-"; }
# CPU time (user + system) both servers have used, in clock ticks.
cpu_ticks() {
    local t=0 p
    for p in $V6_PID $V4_PID; do
        t=$(( t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0) ))
    done
    echo $t
}

# probe RATE -> "achieved lost% p50_ms p99_ms max_ms gen_cpu% server_us_per_exchange peak6_kib peak4_kib",
# against a pair of its own (SERVER: the pair's name).
probe() {
    start_pair "$SERVER"
    local t0; t0=$(cpu_ticks)
    local out
    out=$(ip netns exec $NS_C timeout $((DURATION + 30)) $CLIENT_CPUS "$LOAD" -i c0 -r "$1" -p "$DURATION" 2>&1 || true)
    local t1; t1=$(cpu_ticks)
    local r; r=$(awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v secs="$DURATION" '
        /^result / {
            us = ($2 > 0) ? ticks / hz * 1e6 / ($2 * secs) : 0
            printf "%s %s %s %s %s %s %.1f\n", $2, $3, $4, $5, $6, $7, us; found = 1
        }
        END { if (!found) print "0 100 0 0 0 - 0" }' <<<"$out")
    r="$r $(peak_kib "$V6_PID") $(peak_kib "$V4_PID")"
    stop_pair
    printf '%s %s rate %s: %s\n' "$SETUP" "$SERVER" "$1" "$r" >>"$PROBE_LOG"
    echo "$r"
}
: >"$PROBE_LOG"
uptime
printf '%-7s %-11s %12s %8s %8s %8s %10s %8s %9s %9s\n' setup pair "max rate/s" "lost %" "p50 ms" "p99 ms" "CPU us/ex" "gen CPU%" "v6 KiB" "v4 KiB"
declare -A BEST
for setup in $SETUPS; do
    place "$setup"
    SETUP=$setup
    for server in $SERVERS; do
        SERVER=$server
        best=$(search_max "$MAX_RATE" "$PROBES" "0 100 0 0 0 - 0 - -")
        read -r achieved lost p50 p99 _max gen us peak6 peak4 <<<"$best"
        BEST[$server-$setup]=$achieved
        printf '%-7s %-11s %12s %8s %8s %8s %10s %8s %9s %9s\n' "$setup" "$server" "$achieved" "$lost" "$p50" "$p99" "$us" "$gen" "$peak6" "$peak4"
    done
done
ratio() { # SETUP A B LABEL
    local a=${BEST[$2-$1]:-0} b=${BEST[$3-$1]:-0}
    awk -v s="$1" -v a="$a" -v b="$b" -v l="$4" 'BEGIN { if (a > 0 && b > 0) printf "%s: %s = %.2f\n", s, l, a / b }'
}
for setup in $SETUPS; do
    ratio "$setup" kame6-mem kea "kame6 pair in memory / Kea pair in memory"
    ratio "$setup" kame6 kea-persist "kame6 pair with journal / Kea pair persisting"
    ratio "$setup" kame6 kame6-mem "kame6 journal / kame6 in memory (cost of the journal)"
    ratio "$setup" k6s-kea4 kea "dhcp6s + kea-dhcp4 / Kea pair (our DHCPv6 side in place of Kea's)"
done
uptime
