#!/usr/bin/env bash
# The suite end to end on its built-in demo, with what exists today:
#  1. the codec walk-through (libdhcp6's `demo` example);
#  2. our dhcp6relay in a network namespace between a client and a server
#     in two others. Until kame6's dhcp6s and dhcp6c exist, the client and
#     server are WIDE-DHCPv6's (Debian's wide-dhcpv6-client / -server); the
#     client gets an address and a delegated /56, numbers its LAN from it,
#     and the script prints what was leased.
# Needs root (namespaces). Everything it creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "tools/demo.sh: run as root" >&2; exit 1; }

cargo build --quiet --release --bin dhcp6relay --example demo -p kame6 -p libdhcp6
echo "== 1. codec: a Solicit through two relays and the Advertise back"
./target/release/examples/demo

C=k6demo-c R=k6demo-r S=k6demo-s
WORK=$(mktemp -d /tmp/kame6-demo.XXXXXX)
cleanup() {
    for ns in $C $R $S; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    done
    sleep 0.2
    for ns in $C $R $S; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
WORK=$(mktemp -d /tmp/kame6-demo.XXXXXX)

for ns in $C $R $S; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add c0 netns $C type veth peer name r0 netns $R
ip link add r1 netns $R type veth peer name s0 netns $S
ip -n $C link add lan0 type veth peer name lan0p
for pair in "$C c0" "$C lan0" "$C lan0p" "$R r0" "$R r1" "$S s0"; do
    set -- $pair
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
    ip -n "$1" link set "$2" up
done
ip -n $R -6 addr add 2001:db8:1::1/64 dev r0 nodad
ip -n $R -6 addr add 2001:db8:ff::1/64 dev r1 nodad
ip -n $S -6 addr add 2001:db8:ff::2/64 dev s0 nodad
ip -n $S -6 route add 2001:db8:1::/64 via 2001:db8:ff::1

# WIDE's client keeps its DUID in a fixed file; make sure it exists and
# give that DUID an address and a prefix on the server.
mkdir -p /var/lib/dhcpv6
if [ ! -s /var/lib/dhcpv6/dhcp6c_duid ]; then
    printf '\x0a\x00\x00\x03\x00\x01\x02\x00\x00\x00\xde\x30' > /var/lib/dhcpv6/dhcp6c_duid
fi
DUID=$(od -An -tx1 -v -j2 /var/lib/dhcpv6/dhcp6c_duid | tr -s ' \n' ' ' | sed 's/^ //; s/ $//; s/ /:/g')
cat > "$WORK/dhcp6s.conf" <<CONF
option domain-name-servers 2001:db8:ffff::53;
host demo-cpe {
    duid $DUID;
    address 2001:db8:1::1234 3600 7200;
    prefix 2001:db8:100::/56 3600 7200;
};
CONF
cat > "$WORK/dhcp6c.conf" <<CONF
interface c0 { send ia-na 1; send ia-pd 1; request domain-name-servers; };
id-assoc na 1 { };
id-assoc pd 1 { prefix-interface lan0 { sla-id 1; sla-len 8; }; };
CONF

echo "== 2. WIDE dhcp6c -> kame6 dhcp6relay -> WIDE dhcp6s"
ip netns exec $S dhcp6s -f -d -k /dev/null -c "$WORK/dhcp6s.conf" -P "$WORK/s.pid" s0 >"$WORK/server.log" 2>&1 &
ip netns exec $R ./target/release/dhcp6relay -f -d -p "$WORK/r.pid" -r r1 -s 2001:db8:ff::2 r0 >"$WORK/relay.log" 2>&1 &
sleep 1
ip netns exec $C dhcp6c -f -d -k /dev/null -c "$WORK/dhcp6c.conf" -p "$WORK/c.pid" c0 >"$WORK/client.log" 2>&1 &
for _ in $(seq 60); do
    if ip -n $C -6 addr show dev lan0 | grep -q '2001:db8:100:'; then break; fi
    sleep 0.5
done
echo "client c0:   $(ip -n $C -6 -o addr show dev c0 scope global | awk '{print $4}')"
echo "client lan0: $(ip -n $C -6 -o addr show dev lan0 scope global | awk '{print $4}') (from the delegated prefix)"
echo "relay log:"
sed 's/^/    /' "$WORK/relay.log"
if ip -n $C -6 addr show dev lan0 | grep -q '2001:db8:100:1:'; then
    echo "demo: ok"
else
    echo "demo: FAILED: no lease; client log:" >&2
    cat "$WORK/client.log" >&2
    exit 1
fi
