#!/usr/bin/env bash
# bench/fill.sh: memory and restart time at scale (issue 15, "lean at a
# million"), kame6's dhcp6s with its lease journal beside Kea's kea-dhcp6
# with memfile (persist: true, so that it too has something to restart
# from), in one run.
#
#   k6f-c (perfdhcp, probe) c0 ---- s0 k6f-s (server)    2001:db8:1::2/64 -- 2001:db8:1::1/64
#
# For each server: start it with an empty lease store; perfdhcp fills a
# pool the size of a /64 with CLIENTS new clients (full
# Solicit-Advertise-Request-Reply exchanges at RATE/s, each client a
# random DUID-LLT, one IA_NA; with PD=1 also an IA_PD); then it reads
#   bindings    what the store holds (dhcp6s --dump-leases on the journal;
#               the distinct addresses and prefixes of Kea's lease file),
#   RSS         VmRSS and VmHWM of the server from /proc, total and per
#               binding (and the growth over the empty server per binding),
#   store       the journal's or lease file's size;
# stops the server (SIGTERM) and starts it again on the same store while a
# probe in the client namespace Solicits every 20 ms: restart is the time
# from the start of the server to the first Advertise (start: the same
# with an empty store, what any start costs), and RSS after it (VmHWM: the
# peak while replaying) is read again.
#
# Usage (root): bench/fill.sh     env: CLIENTS (1000000), RATE (5000),
#               SERVERS ("kea kame6"), PD (0), PIN (1: the server on CPU 0,
#               perfdhcp on CPU 1), WORKDIR (a new directory under /tmp; the
#               stores grow to about 70 MB (ours) and 200 MB (Kea's CSV) per
#               million clients)
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-1000000}
RATE=${RATE:-5000}
SERVERS=${SERVERS:-"kea kame6"}
PD=${PD:-0}
PIN=${PIN:-1}
NS_C=k6f-c NS_S=k6f-s

[ "$(id -u)" -eq 0 ] || { echo "bench/fill.sh: run as root" >&2; exit 1; }
for p in perfdhcp kea-dhcp6 taskset python3; do
    command -v "$p" >/dev/null || { echo "bench/fill.sh: $p missing (bash tools/setup.sh)" >&2; exit 1; }
done

WORK=
SERVER_PID=
cleanup() {
    for ns in $NS_C $NS_S; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    [ -z "$WORK" ] || [ -n "${WORKDIR:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
if [ -n "${WORKDIR:-}" ]; then WORK=$WORKDIR; mkdir -p "$WORK"; else WORK=$(mktemp -d /tmp/kame6-fill.XXXXXX); fi

cargo build --release --quiet --bin dhcp6s
OURS=$PWD/target/release/dhcp6s
if [ "$PIN" = 1 ]; then SERVER_CPUS="taskset -c 0" CLIENT_CPUS="taskset -c 1"; else SERVER_CPUS= CLIENT_CPUS=; fi

. bench/pair.sh
pair_setup

PD_KEA= PD_OURS= PERF_MODE=address-only
if [ "$PD" = 1 ]; then
    PD_KEA=', "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 33, "delegated-len": 56 } ]'
    PD_OURS='prefix-pool fill-pd { prefix 2001:db8:8000::/33 delegate 56; };'
    PERF_MODE=address-and-prefix
fi
cat > "$WORK/kea.json" <<JSON
{ "Dhcp6": {
  "interfaces-config": { "interfaces": [ "s0", "s0/2001:db8:1::1" ] },
  "lease-database": { "type": "memfile", "persist": true, "name": "$WORK/kea-leases6.csv", "lfc-interval": 0 },
  "server-id": { "type": "EN", "enterprise-id": 2495, "identifier": "6b616d6536", "persist": false },
  "renew-timer": 40000, "rebind-timer": 60000, "preferred-lifetime": 80000, "valid-lifetime": 86400,
  "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64", "interface": "s0",
                 "pools": [ { "pool": "2001:db8:1::/64" } ]$PD_KEA } ],
  "loggers": [ { "name": "kea-dhcp6", "output_options": [ { "output": "$WORK/kea.log" } ], "severity": "WARN" } ]
} }
JSON
cat > "$WORK/dhcp6s.conf" <<CONF
pool fill { range 2001:db8:1:: to 2001:db8:1::ffff:ffff:ffff:ffff; };
$PD_OURS
interface s0 { address-pool fill 80000 86400; $( [ "$PD" = 1 ] && echo "prefix-pool fill-pd 80000 86400;" ) };
CONF
JOURNAL=$WORK/dhcp6s.s0.leases

# The probe: Solicits every 20 ms from the client side until an Advertise
# comes back or ARG1 seconds pass; prints when the answer came (Unix time).
cat > "$WORK/probe.py" <<'PY'
import os, socket, struct, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, 25, b"c0\0")  # SO_BINDTODEVICE
s.bind(("::", 546))
s.settimeout(0.02)
ifindex = socket.if_nametoindex("c0")
duid = bytes([0, 3, 0, 1, 2, 0, 0, 0xfe, 0xed, 1])
opts = (struct.pack("!HH", 1, len(duid)) + duid + struct.pack("!HHH", 8, 2, 0)
        + struct.pack("!HHIII", 3, 12, 1, 0, 0))
deadline = time.time() + float(sys.argv[1])
while time.time() < deadline:
    xid = os.urandom(3)
    s.sendto(b"\x01" + xid + opts, ("ff02::1:2", 547, 0, ifindex))
    end = time.time() + 0.02
    while time.time() < end:
        try:
            data, _ = s.recvfrom(4096)
        except socket.timeout:
            break
        if data[:1] == b"\x02" and data[1:4] == xid:
            print("%.3f" % time.time())
            sys.exit(0)
sys.exit(1)
PY

start_server() {
    case "$1" in
        kea) (KEA_LOCKFILE_DIR=$WORK KEA_PIDFILE_DIR=$WORK exec $SERVER_CPUS ip netns exec $NS_S kea-dhcp6 -c "$WORK/kea.json" >>"$WORK/server.out" 2>&1) & ;;
        kame6) (exec $SERVER_CPUS ip netns exec $NS_S "$OURS" -f -c "$WORK/dhcp6s.conf" -P "$WORK/s.pid" --duid-file "$WORK/duid" s0 >>"$WORK/server.out" 2>&1) & ;;
    esac
    SERVER_PID=$!
}
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
# The server's own PID (ip netns exec and taskset exec, so it is the same).
kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }
# Seconds from now until the server answers a Solicit (it was just started at T0).
answers_after() {
    local t; t=$(ip netns exec $NS_C python3 "$WORK/probe.py" "$2") || { echo "-"; return; }
    awk -v a="$t" -v b="$1" 'BEGIN { printf "%.2f", a - b }'
}
bindings() {
    case "$1" in
        kea) tail -n +2 "$WORK/kea-leases6.csv" | cut -d, -f1 | sort -u | wc -l ;;
        kame6) "$OURS" --dump-leases "$JOURNAL" | wc -l ;;
    esac
}
store_size() {
    case "$1" in
        kea) stat -c %s "$WORK/kea-leases6.csv" ;;
        kame6) stat -c %s "$JOURNAL" ;;
    esac
}
per() { awk -v k="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", k * 1024 / n; else print "-" }'; }

uptime
echo "clients $CLIENTS at $RATE/s, perfdhcp -e $PERF_MODE, pool of 2^64 addresses"
printf '%-6s %7s %9s %10s %10s %8s %8s %11s %10s %10s %10s %8s\n' server "start s" bindings "RSS KiB" "peak KiB" "B/bind" "+B/bind" "store B" "restart s" "RSS after" "peak after" "B/bind"
for server in $SERVERS; do
    rm -f "$WORK"/kea-leases6.csv* "$JOURNAL" "$WORK"/dhcp6s*.replay "$WORK/server.out"
    t0=$(date +%s.%N)
    start_server "$server"
    ready=$(answers_after "$t0" 30)
    [ "$ready" != "-" ] || { echo "bench/fill.sh: $server does not answer" >&2; cat "$WORK/server.out" >&2; exit 1; }
    empty=$(kib VmRSS)
    ip netns exec $NS_C timeout $(( CLIENTS / RATE + 120 )) $CLIENT_CPUS \
        perfdhcp -6 -g single -l c0 -e "$PERF_MODE" -R 100000000 -r "$RATE" -n "$CLIENTS" \
        -p $(( CLIENTS / RATE + 60 )) >"$WORK/perf.out" 2>&1 || true
    sleep 2
    rss=$(kib VmRSS) hwm=$(kib VmHWM)
    n=$(bindings "$server")
    size=$(store_size "$server")
    stop_server
    t0=$(date +%s.%N)
    start_server "$server"
    restart=$(answers_after "$t0" 120)
    after=$(kib VmRSS) after_hwm=$(kib VmHWM)
    stop_server
    printf '%-6s %7s %9s %10s %10s %8s %8s %11s %10s %10s %10s %8s\n' "$server" "$ready" "$n" "$rss" "$hwm" \
        "$(per "$rss" "$n")" "$(per $(( rss - empty )) "$n")" "$size" "$restart" "$after" "$after_hwm" "$(per "$after" "$n")"
done
uptime
