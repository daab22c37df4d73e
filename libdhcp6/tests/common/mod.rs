//! Helpers shared by the golden-vector tests: every vector is checked both
//! ways, bytes → parse → typed value and typed value → emit → bytes.

#![allow(dead_code)] // each test crate uses a different subset
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use core::net::Ipv6Addr;

use libdhcp6::wire::{
    emit_to_vec, AnyMessage, Auth, AuthInfo, MessageRepr, OptionRepr, Options, RelayRepr,
};
use libdhcp6::{Duid, MessageType};

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

/// A Reconfigure (Renew) between [`server_duid`] and [`client_duid`],
/// built and signed by `auth::build_reconfigure` with [`RECONFIGURE_KEY`]
/// and replay value 100 (golden_auth.rs proves it), the digest computed
/// with Python's hmac: both a message vector and an authentication vector.
#[rustfmt::skip]
pub const RECONFIGURE_SIGNED: &[u8] = &[
    0x0a,                   // msg-type: Reconfigure
    0x00, 0x00, 0x00,       // transaction-id 0
    0x00, 0x02, 0x00, 0x0a, // OPTION_SERVERID, length 10
    0x00, 0x03, 0x00, 0x01, //   DUID-LL, hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x13, 0x00, 0x01, // OPTION_RECONF_MSG, length 1
    0x05,                   //   msg-type 5 (Renew)
    0x00, 0x0b, 0x00, 0x1c, // OPTION_AUTH, length 28 = 11 + 17
    0x03,                   //   protocol 3 (RKAP)
    0x01,                   //   algorithm 1 (HMAC-MD5)
    0x00,                   //   RDM 0
    0x00, 0x00, 0x00, 0x00, //   replay detection 100
    0x00, 0x00, 0x00, 0x64,
    0x02,                   //   type 2: HMAC-MD5 of this message, key 00 01 .. 0f
    0x82, 0x49, 0x00, 0x54, //   (computed with Python's hmac)
    0xe8, 0x8c, 0xdb, 0xc9,
    0x1d, 0x03, 0xc0, 0x0e,
    0xa0, 0xc9, 0xfa, 0xdb,
];

/// The reconfigure key [`RECONFIGURE_SIGNED`] is signed with.
pub const RECONFIGURE_KEY: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// The typed value of [`RECONFIGURE_SIGNED`].
pub fn reconfigure_signed() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Reconfigure,
        transaction_id: 0,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ReconfMsg(MessageType::Renew),
            OptionRepr::Auth(Auth {
                protocol: 3,
                algorithm: 1,
                rdm: 0,
                replay: 100,
                info: AuthInfo::ReconfigureKey {
                    kind: 2,
                    value: [
                        0x82, 0x49, 0x00, 0x54, 0xe8, 0x8c, 0xdb, 0xc9, 0x1d, 0x03, 0xc0, 0x0e,
                        0xa0, 0xc9, 0xfa, 0xdb,
                    ],
                },
            }),
        ],
    }
}

/// A Request from [`client_duid`] to [`server_duid`] with delayed
/// authentication (realm "example.org", key ID 77, secret
/// [`REQUEST_SECRET`]), signed as the client signs (golden_auth.rs proves it).
#[rustfmt::skip]
pub const REQUEST_SIGNED: &[u8] = &[
    0x03,                   // msg-type: Request
    0x00, 0x00, 0x2a,       // transaction-id 42
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x02, 0x00, 0x0a, // OPTION_SERVERID, length 10
    0x00, 0x03, 0x00, 0x01, //   DUID-LL, hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
    0x00, 0x08, 0x00, 0x02, // OPTION_ELAPSED_TIME, length 2
    0x00, 0x00,             //   0
    0x00, 0x0b, 0x00, 0x2a, // OPTION_AUTH, length 42 = 11 + 11 + 4 + 16
    0x02,                   //   protocol 2 (delayed)
    0x01,                   //   algorithm 1 (HMAC-MD5)
    0x00,                   //   RDM 0
    0xee, 0xbe, 0x3e, 0x0c, //   replay detection
    0x00, 0x00, 0x00, 0x01,
    b'e', b'x', b'a', b'm', b'p', b'l', b'e', b'.', b'o', b'r', b'g', // realm
    0x00, 0x00, 0x00, 0x4d, //   key ID 77
    0x38, 0x2c, 0x95, 0x96, //   HMAC-MD5, secret "0123456789abcdef"
    0xac, 0x0e, 0x9b, 0xa2, //   (computed with Python's hmac)
    0x73, 0x63, 0x60, 0x9f,
    0x4a, 0x96, 0xa2, 0xbd,
];

/// The delayed-authentication secret of [`REQUEST_SIGNED`].
pub const REQUEST_SECRET: &[u8] = b"0123456789abcdef";
