# bench/common.sh: what bench/server.sh and bench/overload.sh share, sourced
# by both after `cd` to the repository (bench/lib.sh's helpers, the
# servers' configurations, PostgreSQL for the -pg servers, start/stop and
# one perfdhcp probe). Not run on its own.

DURATION=${DURATION:-5}
MAX_RATE=${MAX_RATE:-40000}
PROBES=${PROBES:-8}
SERVERS=${SERVERS:-"kea kea-persist kame6-mem kame6"}
MODES=${MODES:-"direct relay"}
SETUPS=${SETUPS:-"pinned cap25"}
PROBE_LOG=${PROBE_LOG:-/tmp/kame6-bench-probes.log}
# More flags for our dhcp6s (e.g. OURS_FLAGS="--stats-file F --stats-interval 1"
# to see its journal-commit and loop-turn histograms during a run).
OURS_FLAGS=${OURS_FLAGS:-}
BENCH=bench/$(basename "$0") NS_C=k6s-c NS_S=k6s-s CG_NAME=kame6-bench
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
# Probes start servers in subshells ($(probe ...)), so whether PostgreSQL
# is up is asked of PostgreSQL itself, not kept in a variable.
pg_setup() {
    [ ! -f "$WORK/pg/data/PG_VERSION" ] || { (cd "$WORK/pg" && runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" status >/dev/null 2>&1) && return 0; }
    [ -x "$PG_BIN/initdb" ] || { echo "bench/server.sh: PostgreSQL 15 missing (bash tools/setup.sh)" >&2; exit 1; }
    chmod 711 "$WORK"
    mkdir -p "$WORK/pg" && chown nobody "$WORK/pg" && chmod 700 "$WORK/pg"
    (cd "$WORK/pg" && runuser -u nobody -- "$PG_BIN/initdb" -D "$WORK/pg/data" -U kea --auth=trust --no-sync >/dev/null)
    printf "listen_addresses = '127.0.0.1'\nport = 5432\nunix_socket_directories = '%s'\nmax_connections = 20\n" "$WORK/pg" >>"$WORK/pg/data/postgresql.conf"
    (cd "$WORK/pg" && ip netns exec $NS_S taskset -c 0 runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w start >/dev/null)
    ip netns exec $NS_S psql -X -q -h 127.0.0.1 -U kea -d postgres -c "CREATE DATABASE kea"
    ip netns exec $NS_S kea-admin db-init pgsql -h 127.0.0.1 -P 5432 -u kea -p bench -n kea >/dev/null 2>&1
}
# pg_reset: an empty lease6, and the last probe's writes flushed (CHECKPOINT),
# so that no probe pays for the one before it.
pg_reset() {
    ip netns exec $NS_S psql -X -q -h 127.0.0.1 -U kea -d kea -c "TRUNCATE lease6; TRUNCATE lease6_stat; VACUUM ANALYZE lease6; CHECKPOINT;" >/dev/null 2>&1
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
            (cg_join $BASHPID; exec $SERVER_CPUS ip netns exec $NS_S "$OURS" -f $OURS_FLAGS -c "$WORK/dhcp6s.conf" -P "$WORK/s.pid" --duid-file "$WORK/duid" s0 >"$WORK/server.out" 2>&1) & ;;
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
    client_run ip netns exec $NS_C timeout $((DURATION + 20)) $CLIENT_CPUS perfdhcp "${args[@]}" >"$WORK/perf.out" 2>&1 || true
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

# latency_summary PERFDHCP_OUT -> "p50 p99 max" in ms of the answers of
# completed exchanges (Advertise and Reply of the 4-message exchanges, from
# perfdhcp -x t's "sent / received: S / R" lines), "- - -" when none.
latency_summary() {
    awk '
        /^\*\*\*Timestamps for packets:/ { on = ($0 ~ /SOLICIT-ADVERTISE|REQUEST-REPLY/) }
        on && /^sent \/ received:/ { printf "%.3f\n", ($6 - $4) * 1000 }
    ' "$1" | sort -n >"$WORK/lat"
    local n; n=$(wc -l <"$WORK/lat")
    if [ "$n" -eq 0 ]; then echo "- - -"; return; fi
    echo "$(sed -n "$(( (n + 1) / 2 ))p" "$WORK/lat") $(sed -n "$(( (n * 99 + 99) / 100 ))p" "$WORK/lat") $(tail -1 "$WORK/lat")"
}

# sustainable SERVER -> its highest rate of full exchanges with under 1%
# drops in the current setup (direct mode): RATE_<server> from the
# environment if set, else found as bench/server.sh finds it (bench/lib.sh's
# search_max: a binary search, then confirmation rounds).
sustainable() {
    local given; given=$(printenv "RATE_$1" || true)
    if [ -n "$given" ]; then echo "$given"; return; fi
    local r; r=$(search_max "$MAX_RATE" "$PROBES" 0 direct)
    # search_max gives the achieved rate (fractional); the runs want a whole one.
    printf '%.0f\n' "${r%% *}"
}
