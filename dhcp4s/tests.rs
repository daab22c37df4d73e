//! Unit tests of dhcp4s's core (`server`): IPC datagrams in, framed
//! answers out, without sockets.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};

use libdhcp6::codes::MessageType as V6Type;
use libdhcp6::config::server4_from_str;
use libdhcp6::dhcp4::engine::{Change4, Unshared};
use libdhcp6::dhcp4::{ipc, ClientId, MessageType, Op, OptionRepr as V4, PacketRepr};
use libdhcp6::wire::{
    Message, MessageRepr, OptionRepr, RelayMessage, RelayRepr, DHCPV4_QUERY_UNICAST,
};

use crate::server::{Dropped, Server4};

const CONF: &str = "dhcp4o6-port 6767;\nserver-identifier 10.0.0.1;\n\
    subnet 10.0.0.0/24 { 4o6-interface eth0; range 10.0.0.10 to 10.0.0.20; option routers 10.0.0.1; };\n\
    subnet 10.0.1.0/24 { 4o6-interface-id \"olt1\"; range 10.0.1.10 to 10.0.1.20; };\n";

const NOW: u64 = 1_000_000;

fn server() -> Server4 {
    Server4::new(server4_from_str("t.conf", CONF).unwrap().config).unwrap()
}

fn peer() -> SocketAddrV6 {
    SocketAddrV6::new(Ipv6Addr::LOCALHOST, 6767, 0, 0)
}

fn meta() -> ipc::Meta {
    ipc::Meta {
        interface: "eth0".into(),
        remote_addr: "fe80::10".parse().unwrap(),
        remote_port: 546,
    }
}

/// A BOOTREQUEST of DHCP type `kind` from client `n`.
fn v4(kind: MessageType, n: u8) -> PacketRepr {
    let hw = [2, 0, 0, 0, 0, n];
    let options = vec![
        V4::MessageType(kind),
        V4::ClientId(ClientId::Typed {
            id_type: 1,
            id: hw.to_vec(),
        }),
    ];
    PacketRepr::boot_request(u32::from(n), &hw, options)
}

/// A DHCPV4-QUERY holding `bodies` as DHCPv4-msg options.
fn query(bodies: &[Vec<u8>], unicast: bool) -> Vec<u8> {
    MessageRepr {
        msg_type: V6Type::Dhcpv4Query,
        transaction_id: if unicast { DHCPV4_QUERY_UNICAST } else { 0 },
        options: bodies.iter().cloned().map(OptionRepr::Dhcpv4Msg).collect(),
    }
    .to_vec()
    .unwrap()
}

/// Handles `msg` framed with [`meta`] as if from `src`; the unframed
/// answer and its metadata, or why there was none.
fn ask(s: &mut Server4, msg: &[u8], src: SocketAddrV6) -> Result<(Vec<u8>, ipc::Meta), Dropped> {
    let framed = ipc::attach_to_vec(msg, &meta()).unwrap();
    let mut out = vec![0; 65535];
    let a = s.dhcpv4o6_handler(&framed, src, NOW, &mut out, &mut Unshared)?;
    Ok(ipc::extract_to_vec(&out[..a.len]).unwrap())
}

/// The DHCPv4 message inside a DHCPV4-RESPONSE (checking its flags and
/// its single DHCPv4-msg).
fn answer_of(resp: &[u8]) -> PacketRepr {
    let m = Message::new_checked(resp).unwrap();
    assert_eq!(m.msg_type(), V6Type::Dhcpv4Response);
    assert_eq!(m.transaction_id(), 0, "flags zero");
    let r = MessageRepr::parse(&m).unwrap();
    let [OptionRepr::Dhcpv4Msg(body)] = &r.options[..] else {
        panic!("not exactly one DHCPv4-msg: {r:?}")
    };
    PacketRepr::from_bytes(body).unwrap()
}

/// DISCOVER → OFFER → REQUEST → ACK, the lease among the turn's changes,
/// the answer carrying the query's metadata back; each DHCPV4-RESPONSE has
/// flags zero and one option 87 (C-165).
#[test]
fn dora_over_the_ipc() {
    let mut s = server();
    let d = query(&[v4(MessageType::Discover, 1).to_vec().unwrap()], false);
    let (resp, m) = ask(&mut s, &d, peer()).unwrap();
    assert_eq!(m, meta());
    let offer = answer_of(&resp);
    assert_eq!(offer.message_type(), Some(MessageType::Offer));
    assert!(s.pending.is_empty(), "an offer is never journaled");
    let mut req = v4(MessageType::Request, 1);
    req.options.push(V4::ServerId(Ipv4Addr::new(10, 0, 0, 1)));
    req.options.push(V4::RequestedIp(offer.yiaddr));
    let (resp, _) = ask(&mut s, &query(&[req.to_vec().unwrap()], false), peer()).unwrap();
    let ack = answer_of(&resp);
    assert_eq!(ack.message_type(), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr, offer.yiaddr);
    assert!(matches!(&s.pending[..], [Change4::Bind(l)] if l.addr == ack.yiaddr));
    assert_eq!(s.counters.received[1], 1);
    assert_eq!(s.counters.sent[5], 1);
}

/// Every kind of garbage is dropped with its own reason, and counted; a
/// query without option 87 among them (C-164).
#[test]
fn garbage_dropped_and_counted() {
    let mut s = server();
    let good = v4(MessageType::Discover, 2).to_vec().unwrap();
    let mut reply = v4(MessageType::Discover, 2);
    reply.op = Op::BootReply;
    let mut hlen = good.clone();
    hlen[2] = 17;
    // The fixed header and cookie, a message type, then a host name whose
    // length runs past the end of the message.
    let mut overlong = good[..240].to_vec();
    overlong.extend_from_slice(&[53, 1, 1, 12, 200, b'x']);
    let cases: [(Vec<u8>, SocketAddrV6, Dropped); 9] = [
        (
            query(std::slice::from_ref(&good), false),
            SocketAddrV6::new(Ipv6Addr::LOCALHOST, 6768, 0, 0),
            Dropped::NotFromPeer,
        ),
        (
            query(std::slice::from_ref(&good), false),
            SocketAddrV6::new("::2".parse().unwrap(), 6767, 0, 0),
            Dropped::NotFromPeer,
        ),
        (query(&[], false), peer(), Dropped::Dhcpv4MsgCount),
        (
            query(&[good.clone(), good.clone()], false),
            peer(),
            Dropped::Dhcpv4MsgCount,
        ),
        (
            query(&[reply.to_vec().unwrap()], false),
            peer(),
            Dropped::BootReply,
        ),
        (query(&[hlen], false), peer(), Dropped::BadDhcpv4),
        (query(&[overlong], false), peer(), Dropped::BadDhcpv4),
        (
            query(&[vec![1, 1, 6, 0]], false),
            peer(),
            Dropped::BadDhcpv4,
        ),
        (vec![1, 0, 0, 0], peer(), Dropped::NotQuery),
    ];
    for (msg, src, why) in cases {
        assert_eq!(ask(&mut s, &msg, src).unwrap_err(), why, "{msg:?}");
        assert!(s.counters.dropped(why) >= 1);
    }
    // Metadata missing: a datagram not framed by the DHCPv6 side.
    let mut out = vec![0; 65535];
    let bare = query(std::slice::from_ref(&good), false);
    assert_eq!(
        s.dhcpv4o6_handler(&bare, peer(), NOW, &mut out, &mut Unshared)
            .unwrap_err(),
        Dropped::BadMetadata
    );
    // And the next query is answered.
    assert!(ask(&mut s, &query(&[good], false), peer()).is_ok());
}

/// A relayed query is chosen by the relay's Interface-ID (C-167) and
/// answered in a Relay-reply echoing it (C-166); a query no selector
/// matches is dropped.
#[test]
fn relayed_selection_and_reply() {
    let mut s = server();
    // eth0's subnet comes first and would match any query received on eth0.
    s.cfg.select[0].interface = Some("eth9".into());
    let inner = query(&[v4(MessageType::Discover, 3).to_vec().unwrap()], false);
    let relay = |id: &[u8]| {
        RelayRepr {
            msg_type: V6Type::RelayForw,
            hop_count: 0,
            link_address: Ipv6Addr::UNSPECIFIED,
            peer_address: "fe80::33".parse().unwrap(),
            options: vec![
                OptionRepr::InterfaceId(id.to_vec()),
                OptionRepr::RelayMsg(inner.clone()),
            ],
        }
        .to_vec()
        .unwrap()
    };
    let (resp, _) = ask(&mut s, &relay(b"olt1"), peer()).unwrap();
    let r = RelayRepr::parse(&RelayMessage::new_checked(&resp[..]).unwrap()).unwrap();
    assert_eq!(r.msg_type, V6Type::RelayRepl);
    assert!(r
        .options
        .contains(&OptionRepr::InterfaceId(b"olt1".to_vec())));
    let offer = answer_of(r.relay_msg().unwrap());
    assert!(offer.yiaddr.octets()[..3] == [10, 0, 1], "{offer:?}");
    assert_eq!(
        ask(&mut s, &relay(b"other"), peer()).unwrap_err(),
        Dropped::NoSubnet
    );
}

/// C-168: RFC 7341's U flag tells RENEWING (unicast) from REBINDING.
#[test]
fn unicast_flag_reaches_the_engine() {
    let mut s = server();
    let (resp, _) = ask(
        &mut s,
        &query(&[v4(MessageType::Discover, 4).to_vec().unwrap()], false),
        peer(),
    )
    .unwrap();
    let addr = answer_of(&resp).yiaddr;
    let mut req = v4(MessageType::Request, 4);
    req.options.push(V4::ServerId(Ipv4Addr::new(10, 0, 0, 1)));
    req.options.push(V4::RequestedIp(addr));
    ask(&mut s, &query(&[req.to_vec().unwrap()], false), peer()).unwrap();
    let mut renew = v4(MessageType::Request, 4);
    renew.ciaddr = addr;
    let (resp, _) = ask(&mut s, &query(&[renew.to_vec().unwrap()], true), peer()).unwrap();
    let ack = answer_of(&resp);
    assert_eq!(ack.message_type(), Some(MessageType::Ack));
    assert_eq!(ack.ciaddr, addr);
}
