//! The forwarding core without sockets: query bytes and the receiving
//! facts in, IPC bytes out; IPC bytes in, the datagram for the client and
//! its destination out (C-164 … C-166).

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::{Ipv6Addr, SocketAddrV6};

use libdhcp6::codes::MessageType;
use libdhcp6::dhcp4::{self, ipc, Op, PacketRepr};
use libdhcp6::wire::{
    decapsulate, AnyMessage, MessageRepr, OptionRepr, RelayRepr, VendorOption, DHCPV4_QUERY_UNICAST,
};

use super::*;

const IFINDEX: u32 = 2;
const CLIENT_LL: &str = "fe80::ff:fe00:1";
const RELAY: &str = "2001:db8:ff::1";
/// The IPC port pair of these tests: we bind 6767, the DHCPv4 side 6768.
const PORT: u16 = 6767;

fn served() -> Vec<Served> {
    vec![Served {
        name: "s0".into(),
        ifindex: IFINDEX,
        onlink: vec![],
    }]
}

/// A DHCPv4 message of type `t` (op BOOTREQUEST or BOOTREPLY).
fn v4(op: Op, t: dhcp4::MessageType) -> PacketRepr {
    let options = vec![dhcp4::OptionRepr::MessageType(t)];
    let mut m = PacketRepr::boot_request(0x1234, &[2, 0, 0, 0, 4, 1], options);
    m.op = op;
    m
}

/// A DHCPDISCOVER's bytes (also for the dispatch tests, dhcp6s/tests/dhcp4o6.rs).
pub(crate) fn discover() -> Vec<u8> {
    v4(Op::BootRequest, dhcp4::MessageType::Discover)
        .to_vec()
        .unwrap()
}

fn msg4o6(t: MessageType, flags: u32, options: Vec<OptionRepr>) -> Vec<u8> {
    MessageRepr {
        msg_type: t,
        transaction_id: flags,
        options,
    }
    .to_vec()
    .unwrap()
}

/// Kea's metadata sub-options as a client would forge them.
fn forged(addr: &str, port: u16) -> OptionRepr {
    let sub = |code, data: &[u8]| VendorOption {
        code,
        data: data.to_vec(),
    };
    OptionRepr::VendorOpts {
        enterprise: ipc::ENTERPRISE_ISC,
        options: vec![
            sub(ipc::SUBOPT_INTERFACE, b"s0"),
            sub(
                ipc::SUBOPT_REMOTE_ADDR,
                &addr.parse::<Ipv6Addr>().unwrap().octets(),
            ),
            sub(ipc::SUBOPT_REMOTE_PORT, &port.to_be_bytes()),
        ],
    }
}

fn relay(t: MessageType, inner: Vec<u8>, extra: Vec<OptionRepr>) -> Vec<u8> {
    let mut options = vec![OptionRepr::InterfaceId(b"port-9".to_vec())];
    options.extend(extra);
    options.push(OptionRepr::RelayMsg(inner));
    RelayRepr {
        msg_type: t,
        hop_count: 0,
        link_address: "2001:db8:1::1".parse().unwrap(),
        peer_address: CLIENT_LL.parse().unwrap(),
        options,
    }
    .to_vec()
    .unwrap()
}

fn incoming(pkt: &[u8], src: SocketAddrV6) -> Incoming<'_> {
    Incoming {
        pkt,
        src,
        dst: "ff02::1:2".parse().unwrap(),
        ifindex: IFINDEX,
    }
}

/// Forwards `pkt` as received from `src`; the IPC datagram.
fn forward(pkt: &[u8], src: SocketAddrV6) -> Result<Vec<u8>, Refused> {
    let (_, inner) = decapsulate(pkt).unwrap();
    let mut out = vec![0u8; 65535];
    let n = forw_dhcpv4_query(&incoming(pkt, src), inner, &served(), &mut out)?;
    out.truncate(n);
    Ok(out)
}

fn client_src() -> SocketAddrV6 {
    SocketAddrV6::new(CLIENT_LL.parse().unwrap(), 546, 0, IFINDEX)
}

/// C-164's forwarding half: a direct query reaches the IPC whole, with the
/// receiving interface, source address and port as metadata; the ISC
/// sub-options the client forged never reach it.
#[test]
fn c164_direct_query_framed_without_forged_metadata() {
    let q = msg4o6(
        MessageType::Dhcpv4Query,
        DHCPV4_QUERY_UNICAST,
        vec![
            OptionRepr::Dhcpv4Msg(discover()),
            forged("2001:db8:ff::20", 9999),
        ],
    );
    let framed = forward(&q, client_src()).unwrap();
    let (back, meta) = ipc::extract_to_vec(&framed).unwrap();
    assert_eq!(
        meta,
        ipc::Meta {
            interface: "s0".into(),
            remote_addr: CLIENT_LL.parse().unwrap(),
            remote_port: 546,
        }
    );
    // Exactly one set of metadata in the datagram: ours.
    let isc = framed
        .windows(4)
        .filter(|w| *w == ipc::ENTERPRISE_ISC.to_be_bytes())
        .count();
    assert_eq!(isc, 1, "one ISC vendor option");
    assert!(
        !framed
            .windows(16)
            .any(|w| w == "2001:db8:ff::20".parse::<Ipv6Addr>().unwrap().octets()),
        "forged address reached the IPC"
    );
    // The query itself is passed on unchanged, flags included.
    let m = MessageRepr::from_bytes(&back).unwrap();
    assert_eq!(m.transaction_id, DHCPV4_QUERY_UNICAST);
    assert_eq!(m.options, vec![OptionRepr::Dhcpv4Msg(discover())]);
}

/// C-166's forwarding half: a relayed query goes over the IPC inside its
/// Relay-forward, the metadata in the innermost message and naming the
/// relay as the source.
#[test]
fn c166_relayed_query_keeps_its_relay_levels() {
    let q = msg4o6(
        MessageType::Dhcpv4Query,
        0,
        vec![OptionRepr::Dhcpv4Msg(discover()), forged(CLIENT_LL, 546)],
    );
    let pkt = relay(MessageType::RelayForw, q, vec![]);
    let src = SocketAddrV6::new(RELAY.parse().unwrap(), 547, 0, 0);
    let framed = forward(&pkt, src).unwrap();
    let (back, meta) = ipc::extract_to_vec(&framed).unwrap();
    assert_eq!(meta.remote_addr, RELAY.parse::<Ipv6Addr>().unwrap());
    assert_eq!(meta.remote_port, 547);
    let (chain, inner) = decapsulate(&back).unwrap();
    assert_eq!(chain.len(), 1);
    assert_eq!(chain.levels()[0].interface_id, Some(&b"port-9"[..]));
    let m = MessageRepr::from_bytes(inner).unwrap();
    assert_eq!(m.options, vec![OptionRepr::Dhcpv4Msg(discover())]);
}

/// C-164: no DHCPv4-msg, two of them, or one that is no DHCPv4 request
/// (garbage, a BOOTREPLY, an impossible hlen): nothing reaches the IPC.
#[test]
fn c164_bad_queries_refused() {
    let reply = v4(Op::BootReply, dhcp4::MessageType::Offer)
        .to_vec()
        .unwrap();
    let mut hlen17 = discover();
    hlen17[2] = 17;
    let mut bootp = v4(Op::BootRequest, dhcp4::MessageType::Discover);
    bootp.options.clear();
    let cases = [
        (vec![], Refused::NoDhcpv4Msg),
        (
            vec![
                OptionRepr::Dhcpv4Msg(discover()),
                OptionRepr::Dhcpv4Msg(discover()),
            ],
            Refused::RepeatedDhcpv4Msg,
        ),
        (
            vec![OptionRepr::Dhcpv4Msg(vec![1, 1, 6, 0, 0xde, 0xad])],
            Refused::BadDhcpv4Msg,
        ),
        (vec![OptionRepr::Dhcpv4Msg(reply)], Refused::BadDhcpv4Msg),
        (vec![OptionRepr::Dhcpv4Msg(hlen17)], Refused::BadDhcpv4Msg),
        (
            vec![OptionRepr::Dhcpv4Msg(bootp.to_vec().unwrap())],
            Refused::BadDhcpv4Msg,
        ),
    ];
    for (options, why) in cases {
        let q = msg4o6(MessageType::Dhcpv4Query, 0, options.clone());
        assert_eq!(forward(&q, client_src()), Err(why), "{options:?}");
    }
    // An option running past the end of the message.
    let mut q = msg4o6(
        MessageType::Dhcpv4Query,
        0,
        vec![OptionRepr::Dhcpv4Msg(discover())],
    );
    q.truncate(q.len() - 1);
    assert_eq!(check_query(&q), Err(Refused::MalformedQuery));
}

/// What the DHCPv4 side sends back for `meta`: `msg` framed.
fn framed(msg: &[u8], meta: &ipc::Meta) -> Vec<u8> {
    ipc::attach_to_vec(msg, meta).unwrap()
}

fn meta(addr: &str, port: u16) -> ipc::Meta {
    ipc::Meta {
        interface: "s0".into(),
        remote_addr: addr.parse().unwrap(),
        remote_port: port,
    }
}

fn offer() -> Vec<u8> {
    v4(Op::BootReply, dhcp4::MessageType::Offer)
        .to_vec()
        .unwrap()
}

fn peer() -> SocketAddrV6 {
    SocketAddrV6::new(Ipv6Addr::LOCALHOST, PORT + 1, 0, 0)
}

fn forwarder() -> Forwarder {
    let f = Forwarder::new(PORT).unwrap();
    assert_eq!(f.local, PORT);
    assert_eq!(f.peer, peer());
    f
}

/// Hands `datagram` to the handler as from `src`.
fn back(
    f: &mut Forwarder,
    datagram: &[u8],
    src: SocketAddrV6,
) -> Result<(Outgoing, Vec<u8>), Refused> {
    let mut out = vec![0u8; 65535];
    let o = dhcpv4o6_handler(f, datagram, src, &served(), &mut out)?;
    out.truncate(o.len);
    Ok((o, out))
}

/// C-165: the response to a direct query goes to the client's address,
/// port 546, out of the receiving interface; its flags are zero whatever
/// the DHCPv4 side put there (Kea's echo the query's U flag), it holds one
/// DHCPv4-msg and no metadata.
#[test]
fn c165_direct_response_flags_zero_metadata_stripped() {
    let mut f = forwarder();
    let resp = msg4o6(
        MessageType::Dhcpv4Response,
        DHCPV4_QUERY_UNICAST,
        vec![OptionRepr::Dhcpv4Msg(offer())],
    );
    let (o, bytes) = back(&mut f, &framed(&resp, &meta(CLIENT_LL, 546)), peer()).unwrap();
    assert_eq!(
        o.dst,
        SocketAddrV6::new(CLIENT_LL.parse().unwrap(), 546, 0, IFINDEX)
    );
    assert_eq!(o.ifindex, IFINDEX);
    assert!(!o.relayed);
    let m = MessageRepr::from_bytes(&bytes).unwrap();
    assert_eq!(m.msg_type, MessageType::Dhcpv4Response);
    assert_eq!(m.transaction_id, 0, "C-165: flags zero");
    assert_eq!(m.options, vec![OptionRepr::Dhcpv4Msg(offer())]);
    assert_eq!(f.counters.answered, 1);
}

/// C-166: a response in a Relay-reply goes back to the relay the query
/// came from, port 547, or the relay's own port when its level echoes a
/// Relay Source Port option; the flags inside are zeroed.
#[test]
fn c166_relayed_response_to_the_relay() {
    let mut f = forwarder();
    let resp = msg4o6(
        MessageType::Dhcpv4Response,
        0x00ab_cdef,
        vec![OptionRepr::Dhcpv4Msg(offer())],
    );
    for (extra, port) in [(vec![], 547), (vec![OptionRepr::RelayPort(1547)], 1547)] {
        let pkt = relay(MessageType::RelayRepl, resp.clone(), extra);
        let (o, bytes) = back(&mut f, &framed(&pkt, &meta(RELAY, 1547)), peer()).unwrap();
        assert_eq!(o.dst, SocketAddrV6::new(RELAY.parse().unwrap(), port, 0, 0));
        assert!(o.relayed);
        let AnyMessage::Relay(r) = AnyMessage::from_bytes(&bytes).unwrap() else {
            panic!("not a relay message")
        };
        assert_eq!(r.msg_type, MessageType::RelayRepl);
        assert!(r
            .options
            .contains(&OptionRepr::InterfaceId(b"port-9".to_vec())));
        let m = MessageRepr::from_bytes(r.relay_msg().unwrap()).unwrap();
        assert_eq!(m.transaction_id, 0, "C-165: flags zero");
        assert_eq!(m.options, vec![OptionRepr::Dhcpv4Msg(offer())]);
    }
}

/// Responses that must not reach anybody, each counted: from another
/// port or address than the DHCPv4 side's, without metadata, naming an
/// interface we do not serve or the loopback, not a DHCPV4-RESPONSE, with
/// two DHCPv4-msg or none, a Relay-forward, garbage.
#[test]
fn bad_responses_dropped_and_counted() {
    let mut f = forwarder();
    let ok = msg4o6(
        MessageType::Dhcpv4Response,
        0,
        vec![OptionRepr::Dhcpv4Msg(offer())],
    );
    let good = framed(&ok, &meta(CLIENT_LL, 546));
    let other_port = SocketAddrV6::new(Ipv6Addr::LOCALHOST, PORT + 2, 0, 0);
    let other_addr = SocketAddrV6::new("2001:db8::1".parse().unwrap(), PORT + 1, 0, 0);
    let mut elsewhere = meta(CLIENT_LL, 546);
    elsewhere.interface = "eth9".into();
    let two = msg4o6(
        MessageType::Dhcpv4Response,
        0,
        vec![
            OptionRepr::Dhcpv4Msg(offer()),
            OptionRepr::Dhcpv4Msg(offer()),
        ],
    );
    let none = msg4o6(MessageType::Dhcpv4Response, 0, vec![]);
    let query = msg4o6(
        MessageType::Dhcpv4Query,
        0,
        vec![OptionRepr::Dhcpv4Msg(discover())],
    );
    let m = meta(CLIENT_LL, 546);
    let cases: Vec<(Vec<u8>, SocketAddrV6, Refused)> = vec![
        (good.clone(), other_port, Refused::NotFromPeer),
        (good.clone(), other_addr, Refused::NotFromPeer),
        (ok.clone(), peer(), Refused::BadMetadata),
        (framed(&ok, &elsewhere), peer(), Refused::NotServedInterface),
        (framed(&ok, &meta("::1", 546)), peer(), Refused::BadMetadata),
        (framed(&two, &m), peer(), Refused::RepeatedDhcpv4Msg),
        (framed(&none, &m), peer(), Refused::NoDhcpv4Msg),
        (framed(&query, &m), peer(), Refused::NotResponse),
        (
            framed(&relay(MessageType::RelayForw, ok.clone(), vec![]), &m),
            peer(),
            Refused::NotResponse,
        ),
        (vec![21, 0, 0], peer(), Refused::MalformedResponse),
    ];
    for (i, (pkt, src, why)) in cases.iter().enumerate() {
        assert_eq!(back(&mut f, pkt, *src).map(|_| ()), Err(*why), "case {i}");
    }
    assert_eq!(f.counters.answered, 0);
    assert_eq!(f.counters.dropped(Refused::NotFromPeer), 2);
    assert_eq!(f.counters.dropped(Refused::BadMetadata), 2);
    assert_eq!(f.counters.dropped(Refused::NotResponse), 2);
    // And the good one still passes.
    assert!(back(&mut f, &good, peer()).is_ok());
}

/// What a client forged cannot steer the answer: forwarded, answered by a
/// DHCPv4 side that (as Kea's) reads the first metadata it finds, and sent
/// back, the response goes to the query's real source.
#[test]
fn forged_metadata_never_redirects() {
    let mut f = forwarder();
    let q = msg4o6(
        MessageType::Dhcpv4Query,
        0,
        vec![
            OptionRepr::Dhcpv4Msg(discover()),
            forged("2001:db8:ff::20", 546),
        ],
    );
    let ipc_query = forward(&q, client_src()).unwrap();
    // The DHCPv4 side answers with the metadata it was given.
    let (_, given) = ipc::extract_to_vec(&ipc_query).unwrap();
    let resp = msg4o6(
        MessageType::Dhcpv4Response,
        0,
        vec![OptionRepr::Dhcpv4Msg(offer())],
    );
    let (o, _) = back(&mut f, &framed(&resp, &given), peer()).unwrap();
    assert_eq!(*o.dst.ip(), CLIENT_LL.parse::<Ipv6Addr>().unwrap());
}

/// Neither direction panics on a datagram cut short or with any one octet
/// changed: queries (direct and relayed) and responses (direct and in two
/// Relay-reply levels).
#[test]
fn mangled_datagrams_never_panic() {
    let q = msg4o6(
        MessageType::Dhcpv4Query,
        0,
        vec![OptionRepr::Dhcpv4Msg(discover())],
    );
    let r = msg4o6(
        MessageType::Dhcpv4Response,
        0,
        vec![OptionRepr::Dhcpv4Msg(offer())],
    );
    let two = |t, m: Vec<u8>| relay(t, relay(t, m, vec![]), vec![OptionRepr::RelayPort(9)]);
    let queries = [q.clone(), two(MessageType::RelayForw, q)];
    let responses = [
        framed(&r, &meta(CLIENT_LL, 546)),
        framed(&two(MessageType::RelayRepl, r), &meta(RELAY, 547)),
    ];
    let mut f = forwarder();
    let mut out = vec![0u8; 65535];
    let mutants = |pkt: &Vec<u8>| {
        let mut all: Vec<Vec<u8>> = (0..pkt.len()).map(|n| pkt[..n].to_vec()).collect();
        for i in 0..pkt.len() {
            for v in [0, 1, 0x7f, 0xff, pkt[i] ^ 0x80] {
                let mut m = pkt.clone();
                m[i] = v;
                all.push(m);
            }
        }
        all
    };
    for pkt in queries.iter().flat_map(mutants) {
        if let Ok((_, inner)) = decapsulate(&pkt) {
            let _ = forw_dhcpv4_query(&incoming(&pkt, client_src()), inner, &served(), &mut out);
        }
        let _ = check_query(&pkt);
    }
    for pkt in responses.iter().flat_map(mutants) {
        let _ = dhcpv4o6_handler(&mut f, &pkt, peer(), &served(), &mut out);
    }
}
