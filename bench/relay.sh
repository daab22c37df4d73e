#!/usr/bin/env bash
# bench/relay.sh: how fast DHCPv6 relays forward, measured with Kea's perfdhcp.
#
# Topology, all in network namespaces this script creates and deletes:
#
#   k6b-c (perfdhcp)  c0 ---- r0  k6b-r (relay)  r1 ---- s0  k6b-s (kea-dhcp6)
#   2001:db8:1::2/64          2001:db8:1::1/64    2001:db8:ff::1/64   2001:db8:ff::2/64
#
# In one run it finds, for each setup, the highest perfdhcp rate (full
# Solicit-Advertise-Request-Reply exchanges) with under 1% drops:
#   direct  perfdhcp -A1 (perfdhcp itself plays the relay), routed through
#           k6b-r by the kernel, straight to Kea: the baseline;
#   kame6   our dhcp6relay in k6b-r;
#   wide    WIDE-DHCPv6's dhcp6relay;
#   isc     ISC's dhcrelay -6.
# A relay adds no drops when its rate matches the baseline's.
#
# Usage (root): bench/relay.sh        env: DURATION (s per probe, 5),
#               MAX_RATE (16000), PROBES (7 per setup), SETUPS ("direct kame6 wide isc")
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
MAX_RATE=${MAX_RATE:-16000}
PROBES=${PROBES:-7}
SETUPS=${SETUPS:-"direct kame6 wide isc"}
NS_C=k6b-c NS_R=k6b-r NS_S=k6b-s
WORK=$(mktemp -d /tmp/kame6-bench.XXXXXX)

[ "$(id -u)" -eq 0 ] || { echo "bench/relay.sh: run as root" >&2; exit 1; }
for p in perfdhcp kea-dhcp6 dhcp6relay dhcrelay; do
    command -v "$p" >/dev/null || { echo "bench/relay.sh: $p missing (bash tools/setup.sh)" >&2; exit 1; }
done

cleanup() {
    for ns in $NS_C $NS_R $NS_S; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
WORK=$(mktemp -d /tmp/kame6-bench.XXXXXX)

cargo build --release --quiet --bin dhcp6relay
OURS=$PWD/target/release/dhcp6relay

for ns in $NS_C $NS_R $NS_S; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add c0 netns $NS_C type veth peer name r0 netns $NS_R
ip link add r1 netns $NS_R type veth peer name s0 netns $NS_S
for pair in "$NS_C c0" "$NS_R r0" "$NS_R r1" "$NS_S s0"; do
    set -- $pair
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
    ip -n "$1" link set "$2" up
done
ip -n $NS_C -6 addr add 2001:db8:1::2/64 dev c0 nodad
ip -n $NS_R -6 addr add 2001:db8:1::1/64 dev r0 nodad
ip -n $NS_R -6 addr add 2001:db8:ff::1/64 dev r1 nodad
ip -n $NS_S -6 addr add 2001:db8:ff::2/64 dev s0 nodad
ip -n $NS_S -6 route add 2001:db8:1::/64 via 2001:db8:ff::1
ip -n $NS_C -6 route add 2001:db8:ff::/64 via 2001:db8:1::1
ip netns exec $NS_R sysctl -qw net.ipv6.conf.all.forwarding=1

cat > "$WORK/kea.json" <<JSON
{ "Dhcp6": {
  "interfaces-config": { "interfaces": [ "s0", "s0/2001:db8:ff::2" ] },
  "lease-database": { "type": "memfile", "persist": false },
  "server-id": { "type": "EN", "enterprise-id": 2495, "identifier": "6b616d6536", "persist": false },
  "renew-timer": 1000, "rebind-timer": 2000, "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64", "pools": [ { "pool": "2001:db8:1::/80" } ] } ],
  "loggers": [ { "name": "kea-dhcp6", "output_options": [ { "output": "$WORK/kea.log" } ], "severity": "WARN" } ]
} }
JSON
# In a subshell, so that killing it at the end is not reported as a job.
(KEA_LOCKFILE_DIR=$WORK KEA_PIDFILE_DIR=$WORK ip netns exec $NS_S kea-dhcp6 -c "$WORK/kea.json" >"$WORK/kea.out" 2>&1 &)
sleep 2

RELAY_PID=
start_relay() {
    case "$1" in
        direct) RELAY_PID= ; return ;;
        kame6) ip netns exec $NS_R "$OURS" -f -p "$WORK/r.pid" -r r1 -s 2001:db8:ff::2 r0 >"$WORK/relay.log" 2>&1 & ;;
        wide) ip netns exec $NS_R dhcp6relay -f -p "$WORK/r.pid" -r r1 -s 2001:db8:ff::2 r0 >"$WORK/relay.log" 2>&1 & ;;
        isc) ip netns exec $NS_R dhcrelay -6 -d -pf "$WORK/r.pid" -l r0 -u 2001:db8:ff::2%r1 >"$WORK/relay.log" 2>&1 & ;;
    esac
    RELAY_PID=$!
    sleep 1
}
stop_relay() {
    [ -n "$RELAY_PID" ] || return 0
    kill "$RELAY_PID" 2>/dev/null || true
    wait "$RELAY_PID" 2>/dev/null || true
    RELAY_PID=
}
relay_peak_kib() {
    [ -n "$RELAY_PID" ] || { echo "-"; return; }
    awk '/VmHWM/ {print $2}' "/proc/$RELAY_PID/status" 2>/dev/null || echo "-"
}

# probe SETUP RATE -> "achieved drops% sa_delay_ms rr_delay_ms"
probe() {
    local args=(-6 -l c0 -r "$2" -R 10000000 -p "$DURATION")
    [ "$1" = direct ] && args+=(-A1 2001:db8:ff::2)
    ip netns exec $NS_C timeout $((DURATION + 20)) perfdhcp "${args[@]}" >"$WORK/perf.out" 2>&1 || true
    awk '
        /^Rate:/ { rate = $2 }
        /drops ratio:/ { d = $3 + 0; if (d > drops) drops = d }
        /avg delay:/ { delay[n++] = $3 }
        END { printf "%s %s %s %s\n", rate + 0, drops + 0, delay[0] + 0, delay[1] + 0 }
    ' "$WORK/perf.out"
}

printf '%-8s %14s %10s %12s %12s %14s\n' setup "max rate/s" "drops %" "SA delay ms" "RR delay ms" "relay peak KiB"
declare -A BEST
for setup in $SETUPS; do
    start_relay "$setup"
    lo=0 hi=$MAX_RATE best="0 0 0 0"
    for _ in $(seq "$PROBES"); do
        mid=$(( (lo + hi) / 2 ))
        read -r achieved drops sa rr < <(probe "$setup" "$mid")
        if awk -v d="$drops" -v a="$achieved" -v m="$mid" 'BEGIN { exit !(d < 1 && a >= 0.95 * m) }'; then
            lo=$mid best="$achieved $drops $sa $rr"
        else
            hi=$mid
        fi
    done
    peak=$(relay_peak_kib)
    stop_relay
    read -r achieved drops sa rr <<<"$best"
    BEST[$setup]=$achieved
    printf '%-8s %14s %10s %12s %12s %14s\n' "$setup" "$achieved" "$drops" "$sa" "$rr" "$peak"
done
if [ -n "${BEST[direct]:-}" ]; then
    for setup in $SETUPS; do
        [ "$setup" = direct ] && continue
        awk -v s="$setup" -v a="${BEST[$setup]:-0}" -v d="${BEST[direct]}" \
            'BEGIN { if (d > 0) printf "%s / direct = %.2f\n", s, a / d }'
    done
fi
