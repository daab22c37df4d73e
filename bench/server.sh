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
#   kea-pg       kea-dhcp6 with its leases in PostgreSQL 15 (Kea 2.2's schema)
#   kame6-pg     dhcp6s with the same database (lease-database postgresql;
#                one pipelined transaction per loop turn, committed before
#                the turn's Replies leave; doc/postgresql.md)
# The two -pg servers share one PostgreSQL in the server's namespace, on its
# loopback, on the server's CPU (not under its cap: the database's work is
# the same for both); lease6 is emptied before every probe. Ask for them with
# SERVERS="kea-pg kame6-pg": the ratio printed is kame6-pg / kea-pg.
#
#   k6s-c (perfdhcp) c0 ---- s0 k6s-s (server)    2001:db8:1::2/64 -- 2001:db8:1::1/64
#
# For each setup, mode and server it finds the highest perfdhcp rate of full
# Solicit-Advertise-Request-Reply exchanges with under 1% drops (a binary
# search, then three probes at the rate found, stepping down 5% until two
# of them pass, and the median kept). Every probe starts a fresh server, so
# a probe does not pay for the leases earlier ones left (Kea's lease
# indexes, like any table, get slower as they grow). Each probe's figures
# go to PROBE_LOG (/tmp/kame6-bench-probes.log).
#   direct  perfdhcp as the client, multicast to ff02::1:2;
#   relay   perfdhcp -A1: one relay level, unicast to the server;
# and prints rate, delays, the server's CPU time per exchange, its peak
# memory and the kame6/Kea ratios.
#
# Setups (SETUPS) say where the programs run on a 2-core machine:
#   shared   no pinning: perfdhcp and the server share both cores, as on a
#            machine where the load generator runs beside the server (the
#            way Kea's figure in the server issue was taken);
#   pinned   the server on CPU 0, perfdhcp on CPU 1: each has a core; the
#            rate is then often perfdhcp's limit rather than the server's;
#   capN     pinned, and the server held to N % of its core by a cgroup CPU
#            quota over 10 ms periods: every server gets the same small
#            budget, so the server is the bottleneck and the ratio compares
#            servers, not load generators.
# perfdhcp runs single-threaded (-g single): with one core of its own, a
# second thread only contends with the first.
#
# Each host does its own receive processing, as on a real network: on a
# veth pair the kernel otherwise delivers a packet in the sender's context,
# so every server would be charged for perfdhcp's receive path and perfdhcp
# for the server's. Receive packet steering puts the client side's receive
# work on CPU 1 and the server side's on CPU 0, the same for every server.
#
# Usage (root): bench/server.sh    env: DURATION (s per probe, 5), MAX_RATE
#               (40000), PROBES (8), SERVERS ("kea kea-persist kame6-mem kame6"),
#               MODES ("direct relay"), SETUPS ("pinned cap25"; "shared" on
#               request: it is noisy, as the scheduler puts perfdhcp and the
#               server on one core or on two from one probe to the next)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
MAX_RATE=${MAX_RATE:-40000}
PROBES=${PROBES:-8}
SERVERS=${SERVERS:-"kea kea-persist kame6-mem kame6"}
MODES=${MODES:-"direct relay"}
SETUPS=${SETUPS:-"pinned cap25"}
PROBE_LOG=${PROBE_LOG:-/tmp/kame6-bench-probes.log}
BENCH=bench/server.sh NS_C=k6s-c NS_S=k6s-s CG_NAME=kame6-bench
. bench/lib.sh
bench_require perfdhcp kea-dhcp6 taskset
PG_BIN=/usr/lib/postgresql/15/bin
# bench_cleanup, and first the PostgreSQL the -pg servers use, if started.
server_cleanup() {
    [ -z "$WORK" ] || [ ! -d "$WORK/pg/data" ] || runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true
    bench_cleanup
}
trap server_cleanup EXIT
server_cleanup
WORK=$(mktemp -d /tmp/kame6-bench.XXXXXX)

cargo build --release --quiet --features postgresql --bin dhcp6s
OURS=$PWD/target/release/dhcp6s
cg_setup

bench_net

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

sed -e 's|"lease-database": { "type": "memfile", "persist": false }|"lease-database": { "type": "postgresql", "name": "kea", "host": "127.0.0.1", "port": 5432, "user": "kea", "password": "bench" }|' \
    "$WORK/kea.json" >"$WORK/kea-pg.json"
cat > "$WORK/dhcp6s-pg.conf" <<CONF
lease-database postgresql "host=127.0.0.1 port=5432 dbname=kea user=kea";
pool bench { range 2001:db8:1:: to 2001:db8:1::ffff:ffff:ffff; subnet-id 1; };
interface s0 { address-pool bench 3000 4000; };
CONF

# PostgreSQL for the -pg servers: initdb as nobody (trust on the private
# namespace's loopback: a benchmark, nothing else can reach it), Kea's
# schema from kea-admin.
PG_UP=
pg_setup() {
    [ -z "$PG_UP" ] || return 0
    [ -x "$PG_BIN/initdb" ] || { echo "bench/server.sh: PostgreSQL 15 missing (bash tools/setup.sh)" >&2; exit 1; }
    chmod 711 "$WORK"
    mkdir -p "$WORK/pg" && chown nobody "$WORK/pg" && chmod 700 "$WORK/pg"
    (cd "$WORK/pg" && runuser -u nobody -- "$PG_BIN/initdb" -D "$WORK/pg/data" -U kea --auth=trust --no-sync >/dev/null)
    printf "listen_addresses = '127.0.0.1'\nport = 5432\nunix_socket_directories = '%s'\nmax_connections = 20\n" "$WORK/pg" >>"$WORK/pg/data/postgresql.conf"
    (cd "$WORK/pg" && ip netns exec $NS_S taskset -c 0 runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w start >/dev/null)
    ip netns exec $NS_S psql -X -q -h 127.0.0.1 -U kea -d postgres -c "CREATE DATABASE kea"
    ip netns exec $NS_S kea-admin db-init pgsql -h 127.0.0.1 -P 5432 -u kea -p bench -n kea >/dev/null
    PG_UP=1
}
pg_reset() {
    ip netns exec $NS_S psql -X -q -h 127.0.0.1 -U kea -d kea -c "TRUNCATE lease6; TRUNCATE lease6_stat; VACUUM ANALYZE lease6;" >/dev/null 2>&1
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
        kea-pg)
            pg_setup; pg_reset
            (cg_join $BASHPID; KEA_LOCKFILE_DIR=$WORK KEA_PIDFILE_DIR=$WORK exec $SERVER_CPUS ip netns exec $NS_S kea-dhcp6 -c "$WORK/kea-pg.json" >"$WORK/server.out" 2>&1) & ;;
        kame6-pg)
            pg_setup; pg_reset
            (cg_join $BASHPID; exec $SERVER_CPUS ip netns exec $NS_S "$OURS" -f -c "$WORK/dhcp6s-pg.conf" -P "$WORK/s.pid" --duid-file "$WORK/duid" s0 >"$WORK/server.out" 2>&1) & ;;
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
: >"$PROBE_LOG"
: >"$PROBE_LOG.last"
uptime
printf '%-7s %-11s %-7s %12s %9s %12s %12s %10s %10s\n' setup server mode "max rate/s" "drops %" "SA delay ms" "RR delay ms" "CPU us/ex" "peak KiB"
declare -A BEST
for setup in $SETUPS; do
    place "$setup"
    SETUP=$setup
    for mode in $MODES; do
        for server in $SERVERS; do
            SERVER=$server
            best=$(search_max "$MAX_RATE" "$PROBES" "0 0 0 0 0 -" "$mode")
            read -r achieved drops sa rr us peak <<<"$best"
            BEST[$server-$mode-$setup]=$achieved
            printf '%-7s %-11s %-7s %12s %9s %12s %12s %10s %10s\n' "$setup" "$server" "$mode" "$achieved" "$drops" "$sa" "$rr" "$us" "$peak"
        done
    done
done
ratio() { # SETUP MODE A B LABEL
    local a=${BEST[$3-$2-$1]:-0} b=${BEST[$4-$2-$1]:-0}
    awk -v s="$1" -v m="$2" -v a="$a" -v b="$b" -v l="$5" 'BEGIN { if (a > 0 && b > 0) printf "%s, %s: %s = %.2f\n", s, m, l, a / b }'
}
for setup in $SETUPS; do
    for mode in $MODES; do
        ratio "$setup" "$mode" kame6-mem kea "kame6 in memory / Kea in memory"
        ratio "$setup" "$mode" kame6 kea-persist "kame6 journal / Kea persist"
        ratio "$setup" "$mode" kame6 kame6-mem "kame6 journal / kame6 in memory (cost of the journal)"
        ratio "$setup" "$mode" kame6-pg kea-pg "kame6 on PostgreSQL / Kea on PostgreSQL"
    done
done
uptime
