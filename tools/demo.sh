#!/usr/bin/env bash
# The suite end to end on its built-in demo:
#  1. the codec walk-through (libdhcp6's `demo` example);
#  2. an ISP access network in three network namespaces: kame6's dhcp6s
#     with the sample conf/dhcp6s-isp.conf (its lease journal kept in a
#     scratch directory), kame6's dhcp6relay on the access link, and a home
#     router running kame6's dhcp6c. The client gets an address and a
#     delegated /56, numbers its LAN from it, and the script prints what was
#     leased, the server's counters and its lease journal.
# Needs root (namespaces). Everything it creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "tools/demo.sh: run as root" >&2; exit 1; }

cargo build --quiet --release --bins --example demo -p kame6 -p libdhcp6
echo "== 1. codec: a Solicit through two relays and the Advertise back"
./target/release/examples/demo

C=k6demo-c R=k6demo-r S=k6demo-s
WORK=
cleanup() {
    for ns in $C $R $S; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    done
    sleep 0.3
    for ns in $C $R $S; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    [ -z "$WORK" ] || rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
WORK=$(mktemp -d /tmp/kame6-demo.XXXXXX)

# Home router (client) c0 --- r0 access relay r1 --- eth0 ISP server.
# The relay's access-link address 2001:db8:10:1::1 is what selects the
# "north-olt" link of conf/dhcp6s-isp.conf on the server.
for ns in $C $R $S; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add c0 netns $C type veth peer name r0 netns $R
ip link add r1 netns $R type veth peer name eth0 netns $S
ip -n $C link add lan0 type veth peer name lan0p
for pair in "$C c0" "$C lan0" "$C lan0p" "$R r0" "$R r1" "$S eth0"; do
    set -- $pair
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
    ip -n "$1" link set "$2" up
done
ip -n $R -6 addr add 2001:db8:10:1::1/64 dev r0 nodad
ip -n $R -6 addr add 2001:db8:ff::1/64 dev r1 nodad
ip -n $S -6 addr add 2001:db8:ff::2/64 dev eth0 nodad
ip -n $S -6 route add 2001:db8:10::/48 via 2001:db8:ff::1

cat > "$WORK/dhcp6c.conf" <<CONF
interface c0 { send ia-na 1; send ia-pd 1; request domain-name-servers; };
id-assoc na 1 { };
id-assoc pd 1 { prefix-interface lan0 { sla-id 1; sla-len 8; }; };
CONF

echo "== 2. home router (kame6 dhcp6c) -> kame6 dhcp6relay -> kame6 dhcp6s (conf/dhcp6s-isp.conf)"
# The sample keeps its journal under /var/lib/kame6; the demo runs a copy
# that keeps it in the scratch directory instead.
sed "s|^lease-file .*|lease-file \"$WORK/dhcp6s.leases\";|" conf/dhcp6s-isp.conf >"$WORK/dhcp6s.conf"
ip netns exec $S ./target/release/dhcp6s -f -d -c "$WORK/dhcp6s.conf" -P "$WORK/s.pid" \
    --duid-file "$WORK/dhcp6s_duid" eth0 >"$WORK/server.log" 2>&1 &
SERVER=$!
ip netns exec $R ./target/release/dhcp6relay -f -d -p "$WORK/r.pid" -r r1 -s 2001:db8:ff::2 r0 >"$WORK/relay.log" 2>&1 &
sleep 1
ip netns exec $C ./target/release/dhcp6c -f -d -c "$WORK/dhcp6c.conf" -p "$WORK/c.pid" \
    --duid-file "$WORK/dhcp6c_duid" c0 >"$WORK/client.log" 2>&1 &
for _ in $(seq 60); do
    if ip -n $C -6 addr show dev lan0 | grep -q 'scope global'; then break; fi
    sleep 0.5
done
echo "client c0:   $(ip -n $C -6 -o addr show dev c0 scope global | awk '{print $4}')"
echo "client lan0: $(ip -n $C -6 -o addr show dev lan0 scope global | awk '{print $4}') (from the delegated prefix)"
kill -USR1 $SERVER
sleep 0.5
echo "server log:"
sed 's/^/    /' "$WORK/server.log"
echo "lease journal (dhcp6s --dump-leases):"
./target/release/dhcp6s --dump-leases "$WORK/dhcp6s.leases" | sed 's/^/    /' 
if ip -n $C -6 addr show dev lan0 | grep -q '2001:db8:40'; then
    echo "demo: ok"
else
    echo "demo: FAILED: no lease; client log:" >&2
    cat "$WORK/client.log" >&2
    exit 1
fi
