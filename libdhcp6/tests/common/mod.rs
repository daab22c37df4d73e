//! Helpers shared by the golden-vector tests: every vector is checked both
//! ways, bytes → parse → typed value and typed value → emit → bytes.

#![allow(dead_code)] // each test crate uses a different subset
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use core::net::Ipv6Addr;

use libdhcp6::wire::{emit_to_vec, AnyMessage, MessageRepr, OptionRepr, Options, RelayRepr};
use libdhcp6::Duid;

/// An IPv6 address from text.
pub fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// The client DUID-LLT used in every vector: hw 1, time 0x2a6b3c1e, 00:11:22:33:44:55.
pub fn client_duid() -> Duid {
    Duid::from_bytes(&[
        0, 1, 0, 1, 0x2a, 0x6b, 0x3c, 0x1e, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
    ])
    .unwrap()
}

/// The server DUID-LL used in every vector: hw 1, 00:aa:bb:cc:dd:ee.
pub fn server_duid() -> Duid {
    Duid::from_bytes(&[0, 3, 0, 1, 0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]).unwrap()
}

/// Checks a client/server message vector both ways (and through [`AnyMessage`]).
#[track_caller]
pub fn msg_both_ways(bytes: &[u8], expected: &MessageRepr) {
    let parsed = MessageRepr::from_bytes(bytes).expect("golden message must parse");
    assert_eq!(
        &parsed, expected,
        "parse of golden bytes differs from the typed value"
    );
    assert_eq!(
        expected.to_vec().unwrap(),
        bytes,
        "emit of the typed value differs from golden bytes"
    );
    assert_eq!(
        AnyMessage::from_bytes(bytes).unwrap(),
        AnyMessage::Message(expected.clone())
    );
}

/// Checks a relay message vector both ways (and through [`AnyMessage`]).
#[track_caller]
pub fn relay_both_ways(bytes: &[u8], expected: &RelayRepr) {
    let parsed = match AnyMessage::from_bytes(bytes).expect("golden relay message must parse") {
        AnyMessage::Relay(r) => r,
        other => panic!("expected a relay message, got {other:?}"),
    };
    assert_eq!(
        &parsed, expected,
        "parse of golden bytes differs from the typed value"
    );
    assert_eq!(
        expected.to_vec().unwrap(),
        bytes,
        "emit of the typed value differs from golden bytes"
    );
}

/// Checks a single-option vector both ways.
#[track_caller]
pub fn opt_both_ways(bytes: &[u8], expected: &OptionRepr) {
    let mut it = Options::new(bytes);
    let opt = it.next().expect("one option").expect("option header");
    assert!(it.next().is_none(), "vector holds exactly one option");
    assert_eq!(
        &OptionRepr::parse(&opt).expect("golden option must parse"),
        expected
    );
    assert_eq!(opt.code, expected.code());
    assert_eq!(
        emit_to_vec(|w| expected.emit(w)).unwrap(),
        bytes,
        "emit differs from golden bytes"
    );
}

/// Decodes a single option from `bytes` (header included).
pub fn parse_one(bytes: &[u8]) -> libdhcp6::wire::Result<OptionRepr> {
    let opt = Options::new(bytes).next().expect("one option")?;
    OptionRepr::parse(&opt)
}
