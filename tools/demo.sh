#!/usr/bin/env bash
# The suite end to end on its built-in demo:
#  1. the codec walk-through (libdhcp6's `demo` example);
#  2. an ISP access network in three network namespaces: kame6's dhcp6s
#     with the sample conf/dhcp6s-isp.conf (its lease journal kept in a
#     scratch directory), kame6's dhcp6relay on the access link, and a home
#     router running kame6's dhcp6c. The client gets an address and a
#     delegated /56, numbers its LAN from it, and the script prints what was
#     leased, the server's counters and its lease journal. With
#     DHCPv4-over-DHCPv6 (RFC 7341) on, the home router also gets an IPv4
#     address from kame6's dhcp4s (conf/dhcp4s-isp.conf) behind dhcp6s,
#     its queries carried by the same relay: the script's output, the
#     address on its interface and dhcp4s's lease journal are printed.
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
# Where the home router puts its IPv4 address (a softwire tunnel in real
# life; a veth here, which needs no kernel module).
ip -n $C link add tun4 type veth peer name tun4p
for pair in "$C c0" "$C lan0" "$C lan0p" "$C tun4" "$R r0" "$R r1" "$S eth0"; do
    set -- $pair
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
    ip -n "$1" link set "$2" up
done
ip -n $R -6 addr add 2001:db8:10:1::1/64 dev r0 nodad
ip -n $R -6 addr add 2001:db8:ff::1/64 dev r1 nodad
ip -n $S -6 addr add 2001:db8:ff::2/64 dev eth0 nodad
ip -n $S -6 route add 2001:db8:10::/48 via 2001:db8:ff::1
# The access link's prefix is on-link for the home router (what the
# access router's Router Advertisement would say): option 88 below names
# the relay's address on it, 2001:db8:10:1::1.
ip -n $C -6 route add 2001:db8:10:1::/64 dev c0

# The script prints each IPv4 lease change (ISC dhclient-script's
# variables) and ignores the DHCPv6 runs, which carry no `reason`.
cat > "$WORK/script.sh" <<'SCRIPT'
#!/bin/sh
[ -n "${reason:-}" ] || exit 0
echo "reason=$reason interface=$interface new_ip_address=${new_ip_address:-} new_subnet_mask=${new_subnet_mask:-} new_routers=${new_routers:-} new_domain_name_servers=${new_domain_name_servers:-} new_dhcp_lease_time=${new_dhcp_lease_time:-} new_dhcp_server_identifier=${new_dhcp_server_identifier:-}" >> "$0.out"
SCRIPT
chmod 755 "$WORK/script.sh"

cat > "$WORK/dhcp6c.conf" <<CONF
interface c0 {
  send ia-na 1; send ia-pd 1;
  request domain-name-servers, dhcp4o6-server-address;
  dhcp4o6-interface tun4;
  script "$WORK/script.sh";
};
id-assoc na 1 { };
id-assoc pd 1 { prefix-interface lan0 { sla-id 1; sla-len 8; }; };
CONF

echo "== 2. home router (kame6 dhcp6c) -> kame6 dhcp6relay -> kame6 dhcp6s (conf/dhcp6s-isp.conf) + kame6 dhcp4s (conf/dhcp4s-isp.conf)"
# The samples keep their journals under /var/lib/kame6; the demo runs
# copies that keep them in the scratch directory instead. dhcp6s's copy
# also turns DHCPv4-over-DHCPv6 on: the IPC port shared with dhcp4s and
# option 88 naming the access relay, which carries DHCPV4-QUERY like any
# other client message.
{
    echo "dhcp4o6-port 6767;"
    echo "option dhcp4o6-server-address 2001:db8:10:1::1;"
    sed "s|^lease-file .*|lease-file \"$WORK/dhcp6s.leases\";|" conf/dhcp6s-isp.conf
} >"$WORK/dhcp6s.conf"
sed "s|^lease-file .*|lease-file \"$WORK/dhcp4s.leases\";|" conf/dhcp4s-isp.conf >"$WORK/dhcp4s.conf"
ip netns exec $S ./target/release/dhcp4s -f -d -c "$WORK/dhcp4s.conf" -P "$WORK/s4.pid" \
    -k "$WORK/no-dhcp4sctlkey" >"$WORK/server4.log" 2>&1 &
for _ in $(seq 20); do
    if grep -q 'server4_init: serving' "$WORK/server4.log"; then break; fi
    sleep 0.5
done
grep -q 'server4_init: serving' "$WORK/server4.log" || {
    echo "demo: FAILED: dhcp4s did not start:" >&2
    cat "$WORK/server4.log" >&2
    exit 1
}
ip netns exec $S ./target/release/dhcp6s -f -d -c "$WORK/dhcp6s.conf" -P "$WORK/s.pid" \
    --duid-file "$WORK/dhcp6s_duid" eth0 >"$WORK/server.log" 2>&1 &
SERVER=$!
ip netns exec $R ./target/release/dhcp6relay -f -d -p "$WORK/r.pid" -r r1 -s 2001:db8:ff::2 r0 >"$WORK/relay.log" 2>&1 &
sleep 1
ip netns exec $C ./target/release/dhcp6c -f -d -c "$WORK/dhcp6c.conf" -p "$WORK/c.pid" \
    --duid-file "$WORK/dhcp6c_duid" c0 >"$WORK/client.log" 2>&1 &
# `ip ... | grep -q` fails under pipefail whenever grep exits before ip
# has written everything (SIGPIPE), so the output is read whole first.
shows() { # shows PATTERN COMMAND...: COMMAND's output matches PATTERN
    local out
    out=$("${@:2}") || return 1
    grep -q -- "$1" <<<"$out"
}
for _ in $(seq 60); do
    if shows 'scope global' ip -n $C -6 addr show dev lan0 &&
        shows inet ip -n $C -4 addr show dev tun4; then break; fi
    sleep 0.5
done
echo "client c0:   $(ip -n $C -6 -o addr show dev c0 scope global | awk '{print $4}')"
echo "client lan0: $(ip -n $C -6 -o addr show dev lan0 scope global | awk '{print $4}') (from the delegated prefix)"
V4=$(ip -n $C -4 -o addr show dev tun4 | awk '{print $4}')
echo "client tun4: ${V4:-none} (IPv4 over DHCPv6; $(ip -n $C -4 -o addr show dev tun4 | grep -o 'valid_lft [^ ]*'))"
echo "client script (IPv4 lease changes):"
sed 's/^/    /' "$WORK/script.sh.out" 2>/dev/null || true
kill -USR1 $SERVER
sleep 0.5
echo "server log:"
sed 's/^/    /' "$WORK/server.log"
echo "lease journal (dhcp6s --dump-leases):"
./target/release/dhcp6s --dump-leases "$WORK/dhcp6s.leases" | sed 's/^/    /' 
echo "IPv4 lease journal (dhcp4s --dump-leases):"
./target/release/dhcp4s --dump-leases "$WORK/dhcp4s.leases" | tee "$WORK/dump4" | sed 's/^/    /'
if ! shows '2001:db8:40' ip -n $C -6 addr show dev lan0; then
    echo "demo: FAILED: no lease; client log:" >&2
    cat "$WORK/client.log" >&2
    exit 1
fi
# The IPv4 lease: on tun4, seen by the script, and in dhcp4s's journal.
ADDR4=${V4%/*}
if [ -z "$ADDR4" ] || ! grep -q "^$ADDR4 " "$WORK/dump4" ||
    ! grep -q "reason=BOUND .*new_ip_address=$ADDR4 " "$WORK/script.sh.out" 2>/dev/null; then
    echo "demo: FAILED: no IPv4 lease over DHCPv6; client, relay, dhcp6s and dhcp4s logs:" >&2
    for f in client relay server server4; do echo "--- $f" >&2; cat "$WORK/$f.log" >&2; done
    exit 1
fi
echo "demo: ok"
