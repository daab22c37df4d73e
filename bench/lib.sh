# bench/lib.sh: what the server benchmarks share (sourced by bench/server.sh
# and bench/dhcp4o6.sh): the root and program checks, the servers' cgroup,
# the two namespaces joined by a veth pair, the CPU placement of a setup,
# and the search for the highest rate with under 1% drops.
#
# The sourcing script sets BENCH (its name, for messages), NS_C and NS_S
# (the client's and the server's namespaces) and CG_NAME (the cgroup),
# and defines `probe ARGS... RATE`, which prints "ACHIEVED DROPS% ..." for
# one run at RATE against a server of its own.

# bench_require PROGRAM...: root, and each program installed.
bench_require() {
    [ "$(id -u)" -eq 0 ] || { echo "$BENCH: run as root" >&2; exit 1; }
    for p in "$@"; do
        command -v "$p" >/dev/null || { echo "$BENCH: $p missing (bash tools/setup.sh)" >&2; exit 1; }
    done
}

# The servers' cgroup: v2 (cpu.max) or v1 (cpu.cfs_quota_us).
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

# client_run CMD...: runs CMD (perfdhcp in the client namespace) with its
# sockets given CLIENT_RMEM octets (4 MiB) of receive buffer. perfdhcp plays
# every client on one socket, and the kernel's default (208 KiB, a few
# hundred datagrams) overflowed when a server sent together the Replies it
# held for one journal sync: drops that no real client (a socket each)
# sees, counted as the server's. The default (net.core.rmem_default, one
# value for every namespace) is raised only while perfdhcp opens its
# socket, after the server opened its own, and then put back (bench_cleanup
# puts it back too).
CLIENT_RMEM=${CLIENT_RMEM:-4194304}
RMEM_DEFAULT=$(sysctl -n net.core.rmem_default)
client_run() {
    sysctl -qw net.core.rmem_default="$CLIENT_RMEM"
    "$@" &
    local pid=$!
    sleep 0.3
    sysctl -qw net.core.rmem_default="$RMEM_DEFAULT"
    wait "$pid"
}

# Kills what runs in the namespaces, deletes them, the cgroup and WORK.
WORK=
bench_cleanup() {
    sysctl -qw net.core.rmem_default="$RMEM_DEFAULT" 2>/dev/null || true
    for ns in $NS_C $NS_S; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rmdir "$CG" 2>/dev/null || true
    [ -z "$WORK" ] || rm -rf "$WORK"
}

# NS_C's c0 (2001:db8:1::2/64) -- NS_S's s0 (2001:db8:1::1/64), without DAD.
# Each host does its own receive processing, as on a real network: on a
# veth pair the kernel otherwise delivers a packet in the sender's context,
# so every server would be charged for the client's receive path and the
# client for the server's. Receive packet steering puts the client side's
# receive work on CPU 1 and the server side's on CPU 0, the same for every
# server.
. bench/pair.sh
bench_net() {
    pair_setup
    ip netns exec $NS_C sh -c 'echo 2 >/sys/class/net/c0/queues/rx-0/rps_cpus'
    ip netns exec $NS_S sh -c 'echo 1 >/sys/class/net/s0/queues/rx-0/rps_cpus'
}

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

# ok DROPS ACHIEVED ASKED: under 1% dropped, and at least 95% of the rate asked.
ok() { awk -v d="$1" -v a="$2" -v m="$3" 'BEGIN { exit !(d < 1 && a >= 0.95 * m) }'; }

# search_max MAX PROBES NONE ARGS...: the highest rate up to MAX at which
# `probe ARGS... RATE` passes `ok`: PROBES steps of a binary search, then
# three probes at the rate found, stepping down 5% while most of them fail;
# prints the median of the passing ones (NONE if none ever passes).
search_max() {
    local max=$1 probes=$2 none=$3; shift 3
    local lo=0 hi=$max mid achieved drops r results passed
    for _ in $(seq "$probes"); do
        mid=$(( (lo + hi) / 2 ))
        read -r achieved drops _ < <(probe "$@" "$mid")
        if ok "$drops" "$achieved" "$mid"; then lo=$mid; else hi=$mid; fi
    done
    for _ in $(seq 10); do
        [ "$lo" -gt 0 ] || break
        results=() passed=0
        for _ in 1 2 3; do
            r=$(probe "$@" "$lo")
            read -r achieved drops _ <<<"$r"
            if ok "$drops" "$achieved" "$lo"; then passed=$((passed + 1)); results+=("$r"); fi
        done
        if [ "$passed" -ge 2 ]; then
            printf '%s\n' "${results[@]}" | sort -n -k1 | sed -n "$(( (${#results[@]} + 1) / 2 ))p"
            return
        fi
        lo=$(( lo * 95 / 100 ))
    done
    echo "$none"
}
