#!/usr/bin/env bash
# bench/overload.sh: DHCPv6 servers under overload, kame6's dhcp6s (lease
# journal) and Kea's kea-dhcp6 (memfile) side by side in one run, in the
# capped setup of bench/server.sh (the server pinned to CPU 0 and held to
# CAP % of it by a cgroup quota, perfdhcp on CPU 1; bench/common.sh).
#
# For each server:
#   1. its sustainable rate S: RATE_<server> from the environment (e.g.
#      RATE_kame6=11900 RATE_kea=3700, figures from bench/server.sh), or
#      else the highest perfdhcp rate of full exchanges with under 1%
#      drops, found as bench/server.sh finds it (a binary search of PROBES
#      probes, then confirmation rounds: bench/lib.sh's search_max);
#   2. for each factor F of FACTORS: a fresh server, and one perfdhcp
#      offering F x S new 4-message exchanges per second for DURATION
#      seconds, and renewing at the same time the clients it has bound at
#      RENEW_SHARE % of S (perfdhcp -f: each Renew is for a client bound
#      earlier in the run, so the renewals run while the Solicits flood).
#      perfdhcp -x t lists the timers of every completed exchange: the
#      latencies below are computed from them (Solicit sent to Reply
#      received for the 4-message exchanges).
#
# It prints, per server and factor: offered/s, completed exchanges/s,
# completed as % of S, latency of completed exchanges median / p99 / max in
# ms, and renewals offered/s, completed/s and % of offered. perfdhcp's
# whole output for each run is kept in OUT_DIR
# (/tmp/kame6-overload.<server>.<factor>x.out).
#
# Usage (root): bench/overload.sh    env: SERVERS ("kame6 kea"), CAP (25),
#               FACTORS ("2 5 10"), DURATION (s per run, 10), RENEW_SHARE
#               (10), RATE_kame6 / RATE_kea / RATE_kame6-mem / RATE_kea-persist
#               (sustainable rates; searched when unset), PROBES (8),
#               MAX_RATE (40000), OUT_DIR (/tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
SERVERS=${SERVERS:-"kame6 kea"}
# common.sh keeps the current setup's cap in CAP; the one asked is kept apart.
CAP_PCT=${CAP:-25}
FACTORS=${FACTORS:-"2 5 10"}
DURATION=${DURATION:-10}
RENEW_SHARE=${RENEW_SHARE:-10}
OUT_DIR=${OUT_DIR:-/tmp}
# shellcheck source=bench/common.sh
. bench/common.sh

# flood SERVER FACTOR SUSTAINABLE -> one result line.
flood() {
    local offered=$(( $2 * $3 )) renew=$(( $3 * RENEW_SHARE / 100 ))
    local out="$OUT_DIR/kame6-overload.$1.$2x.out"
    start_server "$1"
    client_run ip netns exec $NS_C timeout $((DURATION + 30)) $CLIENT_CPUS perfdhcp -6 -g single -l c0 \
        -r "$offered" -f "$renew" -R 100000000 -p "$DURATION" -x t >"$out" 2>&1 || true
    stop_server
    local p50 p99 max
    read -r p50 p99 max < <(latency_summary "$out")
    awk -v server="$1" -v f="$2" -v s="$3" -v offered="$offered" -v renew="$renew" -v secs="$DURATION" \
        -v p50="$p50" -v p99="$p99" -v max="$max" '
        /^Rate:/ { rate = $2 }
        /^\*\*\*Statistics for:/ { inrenew = (toupper($0) ~ /RENEW-REPLY/) }
        inrenew && /^received packets:/ { renewed = $3 }
        END {
            printf "%-6s %4sx %9d %11.0f %6.0f%% %8s %8s %8s %9d %9.0f %6.0f%%\n",
                server, f, offered, rate, (s > 0 ? 100 * rate / s : 0), p50, p99, max,
                renew, renewed / secs, (renew > 0 ? 100 * renewed / secs / renew : 0)
        }
    ' "$out"
}

uptime
place "cap$CAP_PCT"
SETUP=cap$CAP_PCT
printf '%-6s %5s %9s %11s %7s %8s %8s %8s %9s %9s %7s\n' server factor "offered/s" "completed/s" "% of S" "p50 ms" "p99 ms" "max ms" "renew/s" "renewed/s" "% renew"
for server in $SERVERS; do
    SERVER=$server
    s=$(sustainable "$server")
    echo "# $server: sustainable $s/s (capped to $CAP_PCT % of CPU 0)"
    for f in $FACTORS; do
        flood "$server" "$f" "$s"
    done
done
uptime
