#!/usr/bin/env bash
# bench/steady.sh: does a server ever hold an answer back at a load it can
# carry? (issue 15, "no stalls"). The pinned setup of bench/server.sh (the
# server alone on CPU 0, uncapped; perfdhcp on CPU 1; bench/common.sh).
#
# For each server:
#   1. its sustainable rate S: RATE_<server> from the environment, or else
#      bench/lib.sh's search_max (binary search of PROBES probes, then
#      confirmation rounds), as bench/server.sh finds it;
#   2. one server started, then RUNS consecutive perfdhcp runs of
#      DURATION seconds each at SHARE % of S (new clients every run, so the
#      store keeps growing: dhcp6s's journal compacts and its leases keep
#      their timers while the runs go on).
#
# Per run it prints: offered/s, completed/s, drops (perfdhcp's largest drop
# ratio of the two exchanges, %), and the answer latency of completed
# exchanges median / p99 / max in ms (from perfdhcp -x t, as
# bench/overload.sh computes it), and the count of answers later than
# LATE ms. perfdhcp's output of each run is kept in OUT_DIR
# (/tmp/kame6-steady.<server>.<run>.out).
#
# Usage (root): bench/steady.sh    env: SERVERS ("kame6 kea"), SHARE (80),
#               RUNS (5), DURATION (s per run, 10), LATE (20), RATE_kame6 /
#               RATE_kea / ... (sustainable rates; searched when unset),
#               PROBES (8), MAX_RATE (40000), OUT_DIR (/tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
SERVERS=${SERVERS:-"kame6 kea"}
SHARE=${SHARE:-80}
RUNS=${RUNS:-5}
DURATION=${DURATION:-10}
LATE=${LATE:-20}
OUT_DIR=${OUT_DIR:-/tmp}
# shellcheck source=bench/common.sh
. bench/common.sh

# steady_run SERVER RUN RATE -> one result line (the server is running).
steady_run() {
    local out="$OUT_DIR/kame6-steady.$1.$2.out"
    client_run ip netns exec $NS_C timeout $((DURATION + 30)) $CLIENT_CPUS perfdhcp -6 -g single -l c0 \
        -r "$3" -R 100000000 -p "$DURATION" -x t >"$out" 2>&1 || true
    local p50 p99 max late
    read -r p50 p99 max < <(latency_summary "$out")
    late=$(awk -v late="$LATE" '$1 > late { n++ } END { print n + 0 }' "$WORK/lat")
    awk -v server="$1" -v run="$2" -v offered="$3" -v p50="$p50" -v p99="$p99" -v max="$max" -v late="$late" '
        /^Rate:/ { rate = $2 }
        /drops ratio:/ { d = $3 + 0; if (d > drops) drops = d }
        END {
            printf "%-6s %4s %9d %11.0f %7.2f%% %8s %8s %8s %7d\n",
                server, run, offered, rate, drops, p50, p99, max, late
        }
    ' "$out"
}

uptime
place pinned
SETUP=pinned
printf '%-6s %4s %9s %11s %8s %8s %8s %8s %7s\n' server run "offered/s" "completed/s" drops "p50 ms" "p99 ms" "max ms" ">${LATE}ms"
for server in $SERVERS; do
    SERVER=$server
    s=$(sustainable "$server")
    rate=$(( s * SHARE / 100 ))
    echo "# $server: sustainable $s/s (pinned, uncapped); runs at $SHARE % = $rate/s"
    start_server "$server"
    for run in $(seq "$RUNS"); do
        steady_run "$server" "$run" "$rate"
    done
    stop_server
done
uptime
