//! Golden vectors for Relay-forward (12) and Relay-reply (13) with two
//! levels of nesting, iterative decapsulation, reply wrapping along the
//! chain, and the depth bounds (C-002, C-003, C-024).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::time::{Duration, Instant};

use common::*;
use libdhcp6::wire::{
    decapsulate, emit_to_vec, encapsulate_reply, AnyMessage, Error, MessageRepr, OptionRepr,
    RelayMessage, RelayRepr, MAX_RELAY_DEPTH,
};
use libdhcp6::{MessageType, OptionCode};

#[rustfmt::skip]
const RELAY_FORW: &[u8] = &[
    0x0c,                   // msg-type: Relay-forward
    0x01,                   // hop-count 1
    0x20, 0x01, 0x0d, 0xb8, // link-address 2001:db8:ffff::1
    0xff, 0xff, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
    0xfe, 0x80, 0x00, 0x00, // peer-address fe80::2 (the downstream relay)
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02,
    0x00, 0x12, 0x00, 0x04, // OPTION_INTERFACE_ID, length 4
    b'e', b't', b'h', b'1', //   "eth1"
    0x00, 0x25, 0x00, 0x0a, // OPTION_REMOTE_ID, length 10
    0x00, 0x00, 0x00, 0x09, //   enterprise 9
    b'p', b'o', b'r', b't', b'-', b'7', // remote-id "port-7"
    0x00, 0x09, 0x00, 0x6a, // OPTION_RELAY_MSG, length 106
    0x0c,                   //   msg-type: Relay-forward
    0x00,                   //   hop-count 0
    0x20, 0x01, 0x0d, 0xb8, //   link-address 2001:db8:1::1
    0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
    0xfe, 0x80, 0x00, 0x00, //   peer-address fe80::211:22ff:fe33:4455 (the client)
    0x00, 0x00, 0x00, 0x00,
    0x02, 0x11, 0x22, 0xff,
    0xfe, 0x33, 0x44, 0x55,
    0x00, 0x12, 0x00, 0x04, //   OPTION_INTERFACE_ID, length 4
    b'e', b't', b'h', b'0', //     "eth0"
    0x00, 0x26, 0x00, 0x04, //   OPTION_SUBSCRIBER_ID, length 4
    b's', b'u', b'b', b'1', //     "sub1"
    0x00, 0x4f, 0x00, 0x08, //   OPTION_CLIENT_LINKLAYER_ADDR, length 8
    0x00, 0x01,             //     link-layer type 1 (Ethernet)
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // address
    0x00, 0x2b, 0x00, 0x02, //   OPTION_ERO, length 2
    0x00, 0x26,             //     38: echo the Subscriber-ID
    0x00, 0x87, 0x00, 0x02, //   OPTION_RELAY_PORT, length 2
    0x00, 0x00,             //     downstream source port 0
    0x00, 0x09, 0x00, 0x1c, //   OPTION_RELAY_MSG, length 28
    0x01,                   //     msg-type: Solicit
    0x12, 0x34, 0x56,       //     transaction-id 0x123456
    0x00, 0x01, 0x00, 0x0e, //     OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //       DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //       time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x08, 0x00, 0x02, //     OPTION_ELAPSED_TIME, length 2
    0x00, 0x00,             //       0
];

#[rustfmt::skip]
const RELAY_REPL: &[u8] = &[
    0x0d,                   // msg-type: Relay-reply
    0x01,                   // hop-count 1 (copied)
    0x20, 0x01, 0x0d, 0xb8, // link-address 2001:db8:ffff::1 (copied)
    0xff, 0xff, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
    0xfe, 0x80, 0x00, 0x00, // peer-address fe80::2 (copied)
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02,
    0x00, 0x12, 0x00, 0x04, // OPTION_INTERFACE_ID, length 4 (echoed)
    b'e', b't', b'h', b'1', //   "eth1"
    0x00, 0x09, 0x00, 0x60, // OPTION_RELAY_MSG, length 96
    0x0d,                   //   msg-type: Relay-reply
    0x00,                   //   hop-count 0
    0x20, 0x01, 0x0d, 0xb8, //   link-address 2001:db8:1::1
    0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
    0xfe, 0x80, 0x00, 0x00, //   peer-address fe80::211:22ff:fe33:4455
    0x00, 0x00, 0x00, 0x00,
    0x02, 0x11, 0x22, 0xff,
    0xfe, 0x33, 0x44, 0x55,
    0x00, 0x12, 0x00, 0x04, //   OPTION_INTERFACE_ID, length 4 (echoed)
    b'e', b't', b'h', b'0', //     "eth0"
    0x00, 0x87, 0x00, 0x02, //   OPTION_RELAY_PORT, length 2 (echoed)
    0x00, 0x00,             //     0
    0x00, 0x26, 0x00, 0x04, //   OPTION_SUBSCRIBER_ID, length 4 (ERO echo)
    b's', b'u', b'b', b'1', //     "sub1"
    0x00, 0x09, 0x00, 0x24, //   OPTION_RELAY_MSG, length 36
    0x02,                   //     msg-type: Advertise
    0x12, 0x34, 0x56,       //     transaction-id 0x123456
    0x00, 0x02, 0x00, 0x0a, //     OPTION_SERVERID, length 10
    0x00, 0x03, 0x00, 0x01, //       DUID-LL, hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
    0x00, 0x01, 0x00, 0x0e, //     OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //       DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //       time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
];

fn inner_solicit() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Solicit,
        transaction_id: 0x123456,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ElapsedTime(0),
        ],
    }
}

fn inner_advertise() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Advertise,
        transaction_id: 0x123456,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ClientId(client_duid()),
        ],
    }
}

const CLIENT_LL: &str = "fe80::211:22ff:fe33:4455";

fn inner_forw() -> RelayRepr {
    RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 0,
        link_address: ip("2001:db8:1::1"),
        peer_address: ip(CLIENT_LL),
        options: vec![
            OptionRepr::InterfaceId(b"eth0".to_vec()),
            OptionRepr::SubscriberId(b"sub1".to_vec()),
            OptionRepr::ClientLinklayerAddr {
                hw_type: 1,
                addr: vec![0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
            },
            OptionRepr::Ero(vec![OptionCode::SubscriberId]),
            OptionRepr::RelayPort(0),
            OptionRepr::RelayMsg(inner_solicit().to_vec().unwrap()),
        ],
    }
}

fn outer_forw() -> RelayRepr {
    RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 1,
        link_address: ip("2001:db8:ffff::1"),
        peer_address: ip("fe80::2"),
        options: vec![
            OptionRepr::InterfaceId(b"eth1".to_vec()),
            OptionRepr::RemoteId {
                enterprise: 9,
                id: b"port-7".to_vec(),
            },
            OptionRepr::RelayMsg(inner_forw().to_vec().unwrap()),
        ],
    }
}

fn inner_repl() -> RelayRepr {
    RelayRepr {
        msg_type: MessageType::RelayRepl,
        hop_count: 0,
        link_address: ip("2001:db8:1::1"),
        peer_address: ip(CLIENT_LL),
        options: vec![
            OptionRepr::InterfaceId(b"eth0".to_vec()),
            OptionRepr::RelayPort(0),
            OptionRepr::SubscriberId(b"sub1".to_vec()),
            OptionRepr::RelayMsg(inner_advertise().to_vec().unwrap()),
        ],
    }
}

fn outer_repl() -> RelayRepr {
    RelayRepr {
        msg_type: MessageType::RelayRepl,
        hop_count: 1,
        link_address: ip("2001:db8:ffff::1"),
        peer_address: ip("fe80::2"),
        options: vec![
            OptionRepr::InterfaceId(b"eth1".to_vec()),
            OptionRepr::RelayMsg(inner_repl().to_vec().unwrap()),
        ],
    }
}

/// C-002 (34-octet relay header: type, hop-count, link, peer, options),
/// nested Relay-forward both ways, level by level.
#[test]
fn c002_relay_forward_nested() {
    relay_both_ways(RELAY_FORW, &outer_forw());
    let view = RelayMessage::new_checked(RELAY_FORW).unwrap();
    assert_eq!(view.msg_type(), MessageType::RelayForw);
    assert_eq!(view.hop_count(), 1);
    assert_eq!(view.link_address(), ip("2001:db8:ffff::1"));
    assert_eq!(view.peer_address(), ip("fe80::2"));
    assert_eq!(view.options_area().as_ptr(), RELAY_FORW[34..].as_ptr());
    let inner = view.relay_msg().unwrap();
    relay_both_ways(inner, &inner_forw());
    let client = RelayMessage::new_checked(inner)
        .unwrap()
        .relay_msg()
        .unwrap()
        .to_vec();
    msg_both_ways(&client, &inner_solicit());
}

/// C-002: nested Relay-reply both ways, level by level.
#[test]
fn c002_relay_reply_nested() {
    relay_both_ways(RELAY_REPL, &outer_repl());
    let inner = RelayMessage::new_checked(RELAY_REPL)
        .unwrap()
        .relay_msg()
        .unwrap()
        .to_vec();
    relay_both_ways(&inner, &inner_repl());
    let AnyMessage::Relay(r) = AnyMessage::from_bytes(&inner).unwrap() else {
        panic!()
    };
    msg_both_ways(r.relay_msg().unwrap(), &inner_advertise());
}

/// C-024 (two levels decapsulate iteratively) and relay reply wrapping:
/// `encapsulate_reply` along the chain of RELAY_FORW gives exactly
/// RELAY_REPL, echoing hop-count, link and peer addresses, Interface-ID,
/// Relay Source Port and the ERO-requested Subscriber-ID at each level.
#[test]
fn c024_decapsulate_then_encapsulate_reply() {
    let (chain, client) = decapsulate(RELAY_FORW).unwrap();
    assert_eq!(chain.len(), 2);
    let levels = chain.levels();
    assert_eq!(levels[0].hop_count, 1);
    assert_eq!(levels[0].link_address, ip("2001:db8:ffff::1"));
    assert_eq!(levels[0].peer_address, ip("fe80::2"));
    assert_eq!(levels[0].interface_id, Some(&b"eth1"[..]));
    assert_eq!(levels[0].relay_port, None);
    assert_eq!(levels[1].hop_count, 0);
    assert_eq!(levels[1].peer_address, ip(CLIENT_LL));
    assert_eq!(levels[1].interface_id, Some(&b"eth0"[..]));
    assert_eq!(levels[1].relay_port, Some(0));
    assert_eq!(levels[1].find(OptionCode::SubscriberId), Some(&b"sub1"[..]));
    assert_eq!(chain.innermost().unwrap().link_address, ip("2001:db8:1::1"));
    assert_eq!(chain.link_address(), Some(ip("2001:db8:1::1")));
    msg_both_ways(client, &inner_solicit());

    let advertise = inner_advertise().to_vec().unwrap();
    let wrapped = emit_to_vec(|w| encapsulate_reply(&chain, &advertise, w)).unwrap();
    assert_eq!(wrapped, RELAY_REPL);

    // A message received directly has an empty chain and is sent back unchanged.
    let solicit = inner_solicit().to_vec().unwrap();
    let (chain, msg) = decapsulate(&solicit).unwrap();
    assert!(chain.is_empty());
    assert_eq!(msg, &solicit[..]);
    assert_eq!(
        emit_to_vec(|w| encapsulate_reply(&chain, &advertise, w)).unwrap(),
        advertise
    );
}

/// Wraps `msg` in `levels` Relay-forward headers, each with an Interface-ID
/// naming its level, innermost hop-count 0.
fn nest(msg: &[u8], levels: usize) -> Vec<u8> {
    let mut cur = msg.to_vec();
    for hop in 0..levels {
        let r = RelayRepr {
            msg_type: MessageType::RelayForw,
            hop_count: u8::try_from(hop).unwrap(),
            link_address: ip("2001:db8::1"),
            peer_address: ip("fe80::1"),
            options: vec![
                OptionRepr::InterfaceId(format!("if{hop}").into_bytes()),
                OptionRepr::RelayMsg(cur),
            ],
        };
        cur = r.to_vec().unwrap();
    }
    cur
}

/// C-024: nine nested Relay-forward levels (the most HOP_COUNT_LIMIT allows)
/// decode, level by level and with `decapsulate`; the reply wraps back
/// through all nine, each echoing its own Interface-ID and hop-count.
#[test]
fn c024_nine_levels_decode() {
    let solicit = inner_solicit().to_vec().unwrap();
    let nine = nest(&solicit, 9);
    let (chain, client) = decapsulate(&nine).unwrap();
    assert_eq!(chain.len(), 9);
    assert_eq!(client, &solicit[..]);
    for (i, level) in chain.levels().iter().enumerate() {
        let hop = 8 - i;
        assert_eq!(usize::from(level.hop_count), hop);
        assert_eq!(level.interface_id, Some(format!("if{hop}").as_bytes()));
    }
    // Level by level through the typed representation.
    let mut cur = nine.clone();
    for _ in 0..9 {
        let AnyMessage::Relay(r) = AnyMessage::from_bytes(&cur).unwrap() else {
            panic!()
        };
        assert_eq!(r.to_vec().unwrap(), cur);
        cur = r.relay_msg().unwrap().to_vec();
    }
    msg_both_ways(&cur, &inner_solicit());
    // Wrapping a reply gives nine Relay-reply levels with the same echoes.
    let adv = inner_advertise().to_vec().unwrap();
    let wrapped = emit_to_vec(|w| encapsulate_reply(&chain, &adv, w)).unwrap();
    let mut cur = wrapped;
    for i in 0..9 {
        let AnyMessage::Relay(r) = AnyMessage::from_bytes(&cur).unwrap() else {
            panic!()
        };
        assert_eq!(r.msg_type, MessageType::RelayRepl);
        assert_eq!(usize::from(r.hop_count), 8 - i);
        assert_eq!(
            r.options[0],
            OptionRepr::InterfaceId(format!("if{}", 8 - i).into_bytes())
        );
        cur = r.relay_msg().unwrap().to_vec();
    }
    assert_eq!(cur, adv);
}

/// C-024: 32 levels (MAX_RELAY_DEPTH) still decapsulate; 33 are refused.
#[test]
fn c024_depth_bound() {
    let solicit = inner_solicit().to_vec().unwrap();
    let ok = nest(&solicit, MAX_RELAY_DEPTH);
    assert_eq!(decapsulate(&ok).unwrap().0.len(), MAX_RELAY_DEPTH);
    let too_deep = nest(&solicit, MAX_RELAY_DEPTH + 1);
    assert_eq!(decapsulate(&too_deep).err(), Some(Error::TooManyRelays));
}

/// Builds a crafted input of `levels` relay headers, each followed by a
/// Relay Message option header whose length claims the rest of the buffer
/// (saturated at 65535); no real message can be this deep.
fn crafted_deep(levels: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(levels * 38 + 4);
    for i in 0..levels {
        let rest = (levels - i - 1) * 38 + 4;
        v.push(12);
        v.push(0);
        v.extend_from_slice(&[0; 32]);
        v.extend_from_slice(&[0x00, 0x09]);
        v.extend_from_slice(&u16::try_from(rest).unwrap_or(u16::MAX).to_be_bytes());
    }
    v.extend_from_slice(&[0x0b, 0, 0, 1]);
    v
}

/// C-024: a 10,000-level crafted input returns an error quickly and
/// without stack overflow, through `decapsulate` and through the
/// typed decoders.
#[test]
fn c024_ten_thousand_levels_refused_quickly() {
    let deep = crafted_deep(10_000);
    let start = Instant::now();
    assert!(decapsulate(&deep).is_err());
    // The typed decoder decodes one level and keeps the Relay Message raw.
    let _ = AnyMessage::from_bytes(&deep);
    // A deep chain whose lengths are all consistent (1,700 levels fit in 65535 octets).
    let solicit = inner_solicit().to_vec().unwrap();
    let mut consistent = solicit.clone();
    for _ in 0..1_700 {
        let mut next = vec![12, 0];
        next.extend_from_slice(&[0; 32]);
        next.extend_from_slice(&[0x00, 0x09]);
        next.extend_from_slice(&u16::try_from(consistent.len()).unwrap().to_be_bytes());
        next.extend_from_slice(&consistent);
        consistent = next;
    }
    assert_eq!(decapsulate(&consistent).err(), Some(Error::TooManyRelays));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}

/// C-003: relay messages shorter than 34 octets fail; so does a relay
/// message without a Relay Message option.
#[test]
fn c003_short_relay_header() {
    for n in 0..34 {
        assert!(
            RelayMessage::new_checked(&RELAY_FORW[..n]).is_err(),
            "length {n}"
        );
        assert!(
            AnyMessage::from_bytes(&RELAY_FORW[..n]).is_err(),
            "length {n}"
        );
        if n > 0 {
            assert!(decapsulate(&RELAY_FORW[..n]).is_err(), "length {n}");
        }
    }
    // An empty input is not a Relay-forward: it comes back unwrapped, and
    // then fails as a client message (C-003, 4-octet header).
    let (chain, msg) = decapsulate(&[]).unwrap();
    assert!(chain.is_empty() && msg.is_empty());
    assert!(AnyMessage::from_bytes(msg).is_err());
    // Header only: no Relay Message option.
    assert_eq!(
        AnyMessage::from_bytes(&RELAY_FORW[..34]).err(),
        Some(Error::MissingRelayMsg)
    );
    assert_eq!(
        decapsulate(&RELAY_FORW[..34]).err(),
        Some(Error::MissingRelayMsg)
    );
}

/// Relay reply wrapping (RFC 4994, RFC 8415 §19.3): an ERO naming a code
/// twice, naming Interface-ID / Relay Message, or naming an option the
/// level did not carry, still echoes each carried option exactly once.
#[test]
fn ero_echo_once_and_only_what_was_carried() {
    let forw = RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 0,
        link_address: ip("2001:db8:1::1"),
        peer_address: ip(CLIENT_LL),
        options: vec![
            OptionRepr::InterfaceId(b"x".to_vec()),
            OptionRepr::SubscriberId(b"s".to_vec()),
            OptionRepr::Ero(vec![
                OptionCode::SubscriberId,
                OptionCode::SubscriberId,
                OptionCode::InterfaceId,
                OptionCode::RelayMsg,
                OptionCode::RemoteId,
            ]),
            OptionRepr::RelayMsg(inner_solicit().to_vec().unwrap()),
        ],
    }
    .to_vec()
    .unwrap();
    let (chain, _) = decapsulate(&forw).unwrap();
    let adv = inner_advertise().to_vec().unwrap();
    let wrapped = emit_to_vec(|w| encapsulate_reply(&chain, &adv, w)).unwrap();
    let AnyMessage::Relay(r) = AnyMessage::from_bytes(&wrapped).unwrap() else {
        panic!()
    };
    assert_eq!(
        r.options,
        vec![
            OptionRepr::InterfaceId(b"x".to_vec()),
            OptionRepr::SubscriberId(b"s".to_vec()),
            OptionRepr::RelayMsg(adv),
        ]
    );
    assert_eq!(
        r.relay_msg(),
        Some(&inner_advertise().to_vec().unwrap()[..])
    );
}

/// C-001 / C-002: each representation refuses the other kind of header.
#[test]
fn c002_wrong_kind_refused_on_emit() {
    let mut m = inner_solicit();
    m.msg_type = MessageType::RelayForw;
    assert_eq!(m.to_vec(), Err(Error::WrongMessageKind(12)));
    let mut r = inner_forw();
    r.msg_type = MessageType::Solicit;
    assert_eq!(r.to_vec(), Err(Error::WrongMessageKind(1)));
    assert_eq!(
        RelayMessage::new_checked(&[1u8; 40][..]).err(),
        Some(Error::WrongMessageKind(1))
    );
}
