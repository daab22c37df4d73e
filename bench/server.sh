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
# shellcheck source=bench/common.sh
. bench/common.sh

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
