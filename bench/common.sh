# bench/common.sh: what bench/server.sh and bench/overload.sh share, sourced
# by both after `cd` to the repository: settings, the server's cgroup, the
# two namespaces, the servers' configurations, placement, start/stop and
# one perfdhcp probe. Not run on its own.

BENCH=$(basename "$0")
DURATION=${DURATION:-5}
MAX_RATE=${MAX_RATE:-40000}
PROBES=${PROBES:-8}
SERVERS=${SERVERS:-"kea kea-persist kame6-mem kame6"}
MODES=${MODES:-"direct relay"}
SETUPS=${SETUPS:-"pinned cap25"}
PROBE_LOG=${PROBE_LOG:-/tmp/kame6-bench-probes.log}
NS_C=k6s-c NS_S=k6s-s
CG_NAME=kame6-bench

[ "$(id -u)" -eq 0 ] || { echo "$BENCH: run as root" >&2; exit 1; }
for p in perfdhcp kea-dhcp6 taskset; do
    command -v "$p" >/dev/null || { echo "$BENCH: $p missing (bash tools/setup.sh)" >&2; exit 1; }
done

# The server's cgroup: v2 (cpu.max) or v1 (cpu.cfs_quota_us).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    CG=/sys/fs/cgroup/$CG_NAME
    cg_setup() { mkdir -p "$CG"; echo "+cpu" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true; }
    cg_cap() { if [ "$1" = max ]; then echo "max 10000" >"$CG/cpu.max"; else echo "$(( $1 * 100 )) 10000" >"$CG/cpu.max"; fi; }
    cg_join() { echo "$1" >"$CG/cgroup.procs"; }
else
    CG=/sys/fs/cgroup/cpu/$CG_NAME
    cg_setup() { mkdir -p "$CG"; echo 10000 >"$CG/cpu.cfs_period_us"; }
    cg_cap() { if [ "$1" = max ]; then echo -1 >"$CG/cpu.cfs_quota_us"; else echo "$(( $1 * 100 ))" >"$CG/cpu.cfs_quota_us"; fi; }
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

# Placement of the current setup: taskset prefixes and the cap.
SERVER_CPUS= CLIENT_CPUS= CAP=max
place() {
    case "$1" in
        shared) SERVER_CPUS= CLIENT_CPUS= CAP=max ;;
        pinned) SERVER_CPUS="taskset -c 0" CLIENT_CPUS="taskset -c 1" CAP=max ;;
        cap*) SERVER_CPUS="taskset -c 0" CLIENT_CPUS="taskset -c 1" CAP=${1#cap} ;;
        *) echo "$BENCH: unknown setup $1" >&2; exit 1 ;;
    esac
}

SERVER_PID=
# start_server NAME: placed and capped as the current setup says.
start_server() {
    cg_cap "$CAP"
    case "$1" in
        kea|kea-persist)
            rm -f "$WORK"/kea-leases6.csv*
            (cg_join $BASHPID; KEA_LOCKFILE_DIR=$WORK KEA_PIDFILE_DIR=$WORK exec $SERVER_CPUS ip netns exec $NS_S kea-dhcp6 -c "$WORK/$1.json" >"$WORK/server.out" 2>&1) & ;;
        kame6-mem) (cg_join $BASHPID; exec $SERVER_CPUS ip netns exec $NS_S "$OURS" -f --memory-leases -c "$WORK/dhcp6s.conf" -P "$WORK/s.pid" --duid-file "$WORK/duid" s0 >"$WORK/server.out" 2>&1) & ;;
        kame6)
            # A fresh journal each time, on the same disk as everything else
            # (dhcp6s.s0.leases: the default journal is named after the
            # interfaces served).
            rm -f "$WORK"/dhcp6s*.leases "$WORK"/dhcp6s*.replay
            (cg_join $BASHPID; exec $SERVER_CPUS ip netns exec $NS_S "$OURS" -f -c "$WORK/dhcp6s.conf" -P "$WORK/s.pid" --duid-file "$WORK/duid" s0 >"$WORK/server.out" 2>&1) & ;;
    esac
    SERVER_PID=$!
    sleep 2
}
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo "-"; }
# CPU time (user + system) the server has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }

# probe MODE RATE -> "achieved drops% sa_delay_ms rr_delay_ms cpu_us_per_exchange peak_kib",
# against a server of its own (SERVER: the server's name).
probe() {
    start_server "$SERVER"
    local r; r=$(probe_running "$@")
    local pk; pk=$(peak_kib)
    stop_server
    echo "$r $pk"
}
probe_running() {
    local args=(-6 -g single -l c0 -r "$2" -R 100000000 -p "$DURATION")
    [ "$1" = relay ] && args+=(-A1 2001:db8:1::1)
    local t0; t0=$(cpu_ticks)
    ip netns exec $NS_C timeout $((DURATION + 20)) $CLIENT_CPUS perfdhcp "${args[@]}" >"$WORK/perf.out" 2>&1 || true
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
    ' "$WORK/perf.out" | tee -a "$PROBE_LOG.last"
    { printf '%s %s %s rate %s: ' "$SETUP" "$SERVER" "$1" "$2"; tail -1 "$PROBE_LOG.last"; } >>"$PROBE_LOG"
}
ok() { awk -v d="$1" -v a="$2" -v m="$3" 'BEGIN { exit !(d < 1 && a >= 0.95 * m) }'; }
