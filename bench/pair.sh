# bench/pair.sh, sourced by bench/lib.sh (bench_net) and bench/fill.sh: the client
# and server namespaces ($NS_C, $NS_S) joined by a veth pair, c0
# (2001:db8:1::2/64) -- s0 (2001:db8:1::1/64), duplicate address detection
# off so the addresses are usable at once.
pair_setup() {
    local ns
    for ns in $NS_C $NS_S; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    done
    ip link add c0 netns $NS_C type veth peer name s0 netns $NS_S
    for pair in "$NS_C c0" "$NS_S s0"; do
        set -- $pair
        ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
        ip -n "$1" link set "$2" up
    done
    ip -n $NS_C -6 addr add 2001:db8:1::2/64 dev c0 nodad
    ip -n $NS_S -6 addr add 2001:db8:1::1/64 dev s0 nodad
}
