//! Golden byte vectors for every client/server message type 1-11 and for the
//! types 14-37 (one field per line, commented), each used both ways:
//! bytes → parse → hand-built [`MessageRepr`], and that value → emit → bytes.
//!
//! Checklist IDs (doc/conformance.md) are named in each test's doc comment.
//! Relay messages (12, 13) live in `golden_relay.rs`, the option variants in
//! `golden_options.rs`, malformed input in `malformed.rs`.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;
use libdhcp6::wire::{
    Auth, AuthInfo, ClientFqdn, DomainName, IaAddr, IaNa, IaPd, IaPrefix, IaTa, Message,
    MessageRepr, OptionRepr, StatusCode, DHCPV4_QUERY_UNICAST,
};
use libdhcp6::{MessageType, OptionCode, Prefix6, Status};

#[rustfmt::skip]
const SOLICIT: &[u8] = &[
    0x01,                   // msg-type: Solicit
    0x12, 0x34, 0x56,       // transaction-id 0x123456
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01,             //   DUID type 1 (LLT)
    0x00, 0x01,             //   hardware type 1 (Ethernet)
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x08, 0x00, 0x02, // OPTION_ELAPSED_TIME, length 2
    0x00, 0x00,             //   0 (first transmission)
    0x00, 0x06, 0x00, 0x06, // OPTION_ORO, length 6
    0x00, 0x17,             //   23 DNS servers
    0x00, 0x18,             //   24 domain list
    0x00, 0x52,             //   82 SOL_MAX_RT
    0x00, 0x03, 0x00, 0x0c, // OPTION_IA_NA, length 12 (no sub-options)
    0x00, 0x00, 0x00, 0x01, //   IAID 1
    0x00, 0x00, 0x00, 0x00, //   T1 0
    0x00, 0x00, 0x00, 0x00, //   T2 0
    0x00, 0x04, 0x00, 0x04, // OPTION_IA_TA, length 4 (no sub-options)
    0x00, 0x00, 0x00, 0x03, //   IAID 3
    0x00, 0x19, 0x00, 0x29, // OPTION_IA_PD, length 41 = 12 + 29
    0x00, 0x00, 0x00, 0x02, //   IAID 2
    0x00, 0x00, 0x00, 0x00, //   T1 0
    0x00, 0x00, 0x00, 0x00, //   T2 0
    0x00, 0x1a, 0x00, 0x19, //   OPTION_IAPREFIX, length 25 (length-only hint)
    0x00, 0x00, 0x00, 0x00, //     preferred lifetime 0
    0x00, 0x00, 0x00, 0x00, //     valid lifetime 0
    0x38,                   //     prefix-length 56
    0x00, 0x00, 0x00, 0x00, //     prefix ::
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x0e, 0x00, 0x00, // OPTION_RAPID_COMMIT, length 0
    0x00, 0x14, 0x00, 0x00, // OPTION_RECONF_ACCEPT, length 0
    0x00, 0x0b, 0x00, 0x0b, // OPTION_AUTH, length 11 (delayed auth, Solicit form)
    0x02,                   //   protocol 2 (delayed)
    0x01,                   //   algorithm 1 (HMAC-MD5)
    0x00,                   //   RDM 0
    0x00, 0x00, 0x00, 0x00, //   replay detection 0
    0x00, 0x00, 0x00, 0x00,
];

fn solicit() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Solicit,
        transaction_id: 0x123456,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ElapsedTime(0),
            OptionRepr::Oro(vec![
                OptionCode::DnsServers,
                OptionCode::DomainList,
                OptionCode::SolMaxRt,
            ]),
            OptionRepr::IaNa(IaNa {
                iaid: 1,
                t1: 0,
                t2: 0,
                options: vec![],
            }),
            OptionRepr::IaTa(IaTa {
                iaid: 3,
                options: vec![],
            }),
            OptionRepr::IaPd(IaPd {
                iaid: 2,
                t1: 0,
                t2: 0,
                options: vec![OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    prefix_len: 56,
                    prefix: ip("::"),
                    options: vec![],
                })],
            }),
            OptionRepr::RapidCommit,
            OptionRepr::ReconfAccept,
            OptionRepr::Auth(Auth {
                protocol: 2,
                algorithm: 1,
                rdm: 0,
                replay: 0,
                info: AuthInfo::Empty,
            }),
        ],
    }
}

/// C-001 (4-octet header, big-endian xid), C-005 (IA_NA/IA_PD 12, IA_TA 4),
/// C-006 (IAPREFIX 25), C-007 (no padding), C-016 (ORO), C-018 (IAPREFIX
/// field order), Auth in its empty (delayed, Solicit) layout.
#[test]
fn c001_c005_c006_c007_c016_c018_solicit() {
    msg_both_ways(SOLICIT, &solicit());
    let view = Message::new_checked(SOLICIT).unwrap();
    assert_eq!(view.msg_type(), MessageType::Solicit);
    assert_eq!(view.transaction_id(), 0x123456);
    let lens: Vec<(u16, usize)> = view
        .options()
        .map(|o| o.unwrap())
        .map(|o| (o.code.into(), o.data.len()))
        .collect();
    assert_eq!(
        lens,
        [
            (1, 14),
            (8, 2),
            (6, 6),
            (3, 12),
            (4, 4),
            (25, 41),
            (14, 0),
            (20, 0),
            (11, 11)
        ]
    );
}

#[rustfmt::skip]
const ADVERTISE: &[u8] = &[
    0x02,                   // msg-type: Advertise
    0x12, 0x34, 0x56,       // transaction-id 0x123456
    0x00, 0x02, 0x00, 0x0a, // OPTION_SERVERID, length 10
    0x00, 0x03,             //   DUID type 3 (LL)
    0x00, 0x01,             //   hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x03, 0x00, 0x28, // OPTION_IA_NA, length 40 = 12 + 28
    0x00, 0x00, 0x00, 0x01, //   IAID 1
    0x00, 0x00, 0x07, 0x08, //   T1 1800
    0x00, 0x00, 0x0b, 0x40, //   T2 2880
    0x00, 0x05, 0x00, 0x18, //   OPTION_IAADDR, length 24
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::100
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x0e, 0x10, //     preferred lifetime 3600
    0x00, 0x00, 0x1c, 0x20, //     valid lifetime 7200
    0x00, 0x19, 0x00, 0x29, // OPTION_IA_PD, length 41 = 12 + 29
    0x00, 0x00, 0x00, 0x02, //   IAID 2
    0x00, 0x00, 0x07, 0x08, //   T1 1800
    0x00, 0x00, 0x0b, 0x40, //   T2 2880
    0x00, 0x1a, 0x00, 0x19, //   OPTION_IAPREFIX, length 25
    0x00, 0x00, 0x0e, 0x10, //     preferred lifetime 3600
    0x00, 0x00, 0x1c, 0x20, //     valid lifetime 7200
    0x38,                   //     prefix-length 56
    0x20, 0x01, 0x0d, 0xb8, //     prefix 2001:db8:1100::
    0x11, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x07, 0x00, 0x01, // OPTION_PREFERENCE, length 1
    0xff,                   //   pref-value 255
    0x00, 0x0d, 0x00, 0x08, // OPTION_STATUS_CODE, length 8 = 2 + 6
    0x00, 0x00,             //   status 0 (Success)
    0x47, 0x72, 0xc3, 0xbc, 0xc3, 0x9f, // "Grüß" in UTF-8, no NUL
    0x00, 0x17, 0x00, 0x20, // OPTION_DNS_SERVERS, length 32
    0x20, 0x01, 0x0d, 0xb8, //   2001:db8::53
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x53,
    0x20, 0x01, 0x0d, 0xb8, //   2001:db8::54
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x54,
    0x00, 0x18, 0x00, 0x1e, // OPTION_DOMAIN_LIST, length 30
    0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // "example"
    0x03, b'c', b'o', b'm', //   "com"
    0x00,                   //   root
    0x03, b'l', b'a', b'b', //   "lab"
    0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // "example"
    0x03, b'c', b'o', b'm', //   "com"
    0x00,                   //   root
    0x00, 0x52, 0x00, 0x04, // OPTION_SOL_MAX_RT, length 4
    0x00, 0x00, 0x0e, 0x10, //   3600
];

fn name(s: &str) -> DomainName {
    DomainName::from_text(s).unwrap()
}

fn advertise() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Advertise,
        transaction_id: 0x123456,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ClientId(client_duid()),
            OptionRepr::IaNa(IaNa {
                iaid: 1,
                t1: 1800,
                t2: 2880,
                options: vec![OptionRepr::IaAddr(IaAddr {
                    addr: ip("2001:db8::100"),
                    preferred_lifetime: 3600,
                    valid_lifetime: 7200,
                    options: vec![],
                })],
            }),
            OptionRepr::IaPd(IaPd {
                iaid: 2,
                t1: 1800,
                t2: 2880,
                options: vec![OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: 3600,
                    valid_lifetime: 7200,
                    prefix_len: 56,
                    prefix: ip("2001:db8:1100::"),
                    options: vec![],
                })],
            }),
            OptionRepr::Preference(255),
            OptionRepr::StatusCode(StatusCode {
                status: Status::Success,
                message: "Grüß".into(),
            }),
            OptionRepr::Addresses {
                code: OptionCode::DnsServers,
                addrs: vec![ip("2001:db8::53"), ip("2001:db8::54")],
            },
            OptionRepr::Domains {
                code: OptionCode::DomainList,
                names: vec![name("example.com"), name("lab.example.com")],
            },
            OptionRepr::SolMaxRt(3600),
        ],
    }
}

/// C-001, C-006 (IAADDR 24), C-010 (Status Code: u16 + UTF-8, no NUL),
/// C-012 (domain list), C-018, Preference, DNS servers.
#[test]
fn c006_c010_c012_c018_advertise() {
    msg_both_ways(ADVERTISE, &advertise());
    let m = MessageRepr::from_bytes(ADVERTISE).unwrap();
    let Some(OptionRepr::StatusCode(s)) = m.option(OptionCode::StatusCode) else {
        panic!()
    };
    assert_eq!(s.text(), "Grüß");
    assert_eq!(m.server_id(), Some(&server_duid()));
    assert_eq!(m.client_id(), Some(&client_duid()));
}

#[rustfmt::skip]
const REQUEST: &[u8] = &[
    0x03,                   // msg-type: Request
    0xab, 0xcd, 0xef,       // transaction-id 0xabcdef
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x02, 0x00, 0x0a, // OPTION_SERVERID, length 10
    0x00, 0x03, 0x00, 0x01, //   DUID-LL, hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
    0x00, 0x08, 0x00, 0x02, // OPTION_ELAPSED_TIME, length 2
    0x00, 0x64,             //   100 (one second)
    0x00, 0x06, 0x00, 0x04, // OPTION_ORO, length 4
    0x00, 0x17,             //   23
    0x00, 0x18,             //   24
    0x00, 0x03, 0x00, 0x28, // OPTION_IA_NA, length 40
    0x00, 0x00, 0x00, 0x01, //   IAID 1
    0x00, 0x00, 0x00, 0x00, //   T1 0
    0x00, 0x00, 0x00, 0x00, //   T2 0
    0x00, 0x05, 0x00, 0x18, //   OPTION_IAADDR, length 24
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::100
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, //     preferred lifetime 0
    0x00, 0x00, 0x00, 0x00, //     valid lifetime 0
    0x00, 0x0f, 0x00, 0x07, // OPTION_USER_CLASS, length 7
    0x00, 0x05,             //   item length 5
    b's', b't', b'a', b'f', b'f', // "staff"
    0x00, 0x10, 0x00, 0x0f, // OPTION_VENDOR_CLASS, length 15
    0x00, 0x00, 0x11, 0x8b, //   enterprise 4491
    0x00, 0x09,             //   item length 9
    b'd', b'o', b'c', b's', b'i', b's', b'3', b'.', b'0', // "docsis3.0"
    0x00, 0x27, 0x00, 0x13, // OPTION_CLIENT_FQDN, length 19
    0x01,                   //   flags: S
    0x04, b'h', b'o', b's', b't', // "host"
    0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // "example"
    0x03, b'c', b'o', b'm', //   "com"
    0x00,                   //   root
];

fn iana_hint(iaid: u32, addr: &str) -> OptionRepr {
    OptionRepr::IaNa(IaNa {
        iaid,
        t1: 0,
        t2: 0,
        options: vec![OptionRepr::IaAddr(IaAddr {
            addr: ip(addr),
            preferred_lifetime: 0,
            valid_lifetime: 0,
            options: vec![],
        })],
    })
}

/// C-001, C-006, C-016, user class, vendor class, client FQDN.
#[test]
fn c001_c006_c016_request() {
    let expected = MessageRepr {
        msg_type: MessageType::Request,
        transaction_id: 0xabcdef,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ElapsedTime(100),
            OptionRepr::Oro(vec![OptionCode::DnsServers, OptionCode::DomainList]),
            iana_hint(1, "2001:db8::100"),
            OptionRepr::UserClass(vec![b"staff".to_vec()]),
            OptionRepr::VendorClass {
                enterprise: 4491,
                data: vec![b"docsis3.0".to_vec()],
            },
            OptionRepr::ClientFqdn(ClientFqdn {
                flags: 0x01,
                name: name("host.example.com."),
            }),
        ],
    };
    msg_both_ways(REQUEST, &expected);
}

#[rustfmt::skip]
const CONFIRM: &[u8] = &[
    0x04,                   // msg-type: Confirm
    0x00, 0x00, 0x01,       // transaction-id 1
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x08, 0x00, 0x02, // OPTION_ELAPSED_TIME, length 2
    0x00, 0x00,             //   0
    0x00, 0x03, 0x00, 0x28, // OPTION_IA_NA, length 40
    0x00, 0x00, 0x00, 0x01, //   IAID 1
    0x00, 0x00, 0x00, 0x00, //   T1 0
    0x00, 0x00, 0x00, 0x00, //   T2 0
    0x00, 0x05, 0x00, 0x18, //   OPTION_IAADDR, length 24
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::100
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, //     preferred lifetime 0
    0x00, 0x00, 0x00, 0x00, //     valid lifetime 0
];

/// C-001: the smallest non-zero transaction-id keeps its leading zero octets.
#[test]
fn c001_confirm() {
    let expected = MessageRepr {
        msg_type: MessageType::Confirm,
        transaction_id: 1,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ElapsedTime(0),
            iana_hint(1, "2001:db8::100"),
        ],
    };
    msg_both_ways(CONFIRM, &expected);
}

#[rustfmt::skip]
const RENEW: &[u8] = &[
    0x05,                   // msg-type: Renew
    0x77, 0x88, 0x99,       // transaction-id 0x778899
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x02, 0x00, 0x0a, // OPTION_SERVERID, length 10
    0x00, 0x03, 0x00, 0x01, //   DUID-LL, hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
    0x00, 0x08, 0x00, 0x02, // OPTION_ELAPSED_TIME, length 2
    0x00, 0x00,             //   0
    0x00, 0x06, 0x00, 0x02, // OPTION_ORO, length 2
    0x00, 0x17,             //   23
    0x00, 0x19, 0x00, 0x29, // OPTION_IA_PD, length 41
    0x00, 0x00, 0x00, 0x02, //   IAID 2
    0x00, 0x00, 0x00, 0x00, //   T1 0
    0x00, 0x00, 0x00, 0x00, //   T2 0
    0x00, 0x1a, 0x00, 0x19, //   OPTION_IAPREFIX, length 25
    0x00, 0x00, 0x00, 0x00, //     preferred lifetime 0
    0x00, 0x00, 0x00, 0x00, //     valid lifetime 0
    0x38,                   //     prefix-length 56
    0x20, 0x01, 0x0d, 0xb8, //     prefix 2001:db8:1100::
    0x11, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
];

/// C-001, C-005, C-006, C-018: IA_PD with its IAPREFIX.
#[test]
fn c018_renew() {
    let expected = MessageRepr {
        msg_type: MessageType::Renew,
        transaction_id: 0x778899,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ElapsedTime(0),
            OptionRepr::Oro(vec![OptionCode::DnsServers]),
            OptionRepr::IaPd(IaPd {
                iaid: 2,
                t1: 0,
                t2: 0,
                options: vec![OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    prefix_len: 56,
                    prefix: ip("2001:db8:1100::"),
                    options: vec![],
                })],
            }),
        ],
    };
    msg_both_ways(RENEW, &expected);
}

#[rustfmt::skip]
const REBIND: &[u8] = &[
    0x06,                   // msg-type: Rebind
    0x77, 0x88, 0x9a,       // transaction-id 0x77889a
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x08, 0x00, 0x02, // OPTION_ELAPSED_TIME, length 2
    0xff, 0xff,             //   0xffff (saturated)
    0x00, 0x03, 0x00, 0x28, // OPTION_IA_NA, length 40
    0x00, 0x00, 0x00, 0x01, //   IAID 1
    0x00, 0x00, 0x00, 0x00, //   T1 0
    0x00, 0x00, 0x00, 0x00, //   T2 0
    0x00, 0x05, 0x00, 0x18, //   OPTION_IAADDR, length 24
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::100
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, //     preferred lifetime 0
    0x00, 0x00, 0x00, 0x00, //     valid lifetime 0
    0x00, 0x04, 0x00, 0x20, // OPTION_IA_TA, length 32 = 4 + 28
    0x00, 0x00, 0x00, 0x03, //   IAID 3
    0x00, 0x05, 0x00, 0x18, //   OPTION_IAADDR, length 24
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::dead:beef
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0xde, 0xad, 0xbe, 0xef,
    0x00, 0x00, 0x00, 0x00, //     preferred lifetime 0
    0x00, 0x00, 0x00, 0x00, //     valid lifetime 0
    0x00, 0x3d, 0x00, 0x04, // OPTION_CLIENT_ARCH_TYPE, length 4
    0x00, 0x07,             //   7 (EFI x86-64)
    0x00, 0x10,             //   16 (EFI x86-64 HTTP)
];

/// C-001, C-005 (IA_TA 4 + nested), C-006, saturated Elapsed Time, client arch types.
#[test]
fn c005_c006_rebind() {
    let expected = MessageRepr {
        msg_type: MessageType::Rebind,
        transaction_id: 0x77889a,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ElapsedTime(0xffff),
            iana_hint(1, "2001:db8::100"),
            OptionRepr::IaTa(IaTa {
                iaid: 3,
                options: vec![OptionRepr::IaAddr(IaAddr {
                    addr: ip("2001:db8::dead:beef"),
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    options: vec![],
                })],
            }),
            OptionRepr::ClientArchTypes(vec![7, 16]),
        ],
    };
    msg_both_ways(REBIND, &expected);
}

#[rustfmt::skip]
const REPLY: &[u8] = &[
    0x07,                   // msg-type: Reply
    0xab, 0xcd, 0xef,       // transaction-id 0xabcdef
    0x00, 0x02, 0x00, 0x0a, // OPTION_SERVERID, length 10
    0x00, 0x03, 0x00, 0x01, //   DUID-LL, hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x03, 0x00, 0x2e, // OPTION_IA_NA, length 46 = 12 + 34
    0x00, 0x00, 0x00, 0x01, //   IAID 1
    0x00, 0x00, 0x07, 0x08, //   T1 1800
    0x00, 0x00, 0x0b, 0x40, //   T2 2880
    0x00, 0x05, 0x00, 0x1e, //   OPTION_IAADDR, length 30 = 24 + 6
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::100
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x0e, 0x10, //     preferred lifetime 3600
    0x00, 0x00, 0x1c, 0x20, //     valid lifetime 7200
    0x00, 0x0d, 0x00, 0x02, //     OPTION_STATUS_CODE, length 2
    0x00, 0x00,             //       status 0 (Success), no text
    0x00, 0x19, 0x00, 0x2f, // OPTION_IA_PD, length 47 = 12 + 35
    0x00, 0x00, 0x00, 0x02, //   IAID 2
    0xff, 0xff, 0xff, 0xff, //   T1 infinity
    0xff, 0xff, 0xff, 0xff, //   T2 infinity
    0x00, 0x1a, 0x00, 0x1f, //   OPTION_IAPREFIX, length 31 = 25 + 6
    0xff, 0xff, 0xff, 0xff, //     preferred lifetime infinity
    0xff, 0xff, 0xff, 0xff, //     valid lifetime infinity
    0x3b,                   //     prefix-length 59
    0x20, 0x01, 0x0d, 0xb8, //     prefix 2001:db8:dead:bee0::
    0xde, 0xad, 0xbe, 0xe0,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x43, 0x00, 0x02, //     OPTION_PD_EXCLUDE, length 2
    0x40,                   //       prefix-length 64
    0x78,                   //       subnet ID 01111 (2001:db8:dead:beef::/64)
    0x00, 0x0e, 0x00, 0x00, // OPTION_RAPID_COMMIT, length 0
    0x00, 0x0b, 0x00, 0x1c, // OPTION_AUTH, length 28 (reconfigure key)
    0x03,                   //   protocol 3 (RKAP)
    0x01,                   //   algorithm 1 (HMAC-MD5)
    0x00,                   //   RDM 0
    0x00, 0x00, 0x00, 0x00, //   replay detection 1
    0x00, 0x00, 0x00, 0x01,
    0x01,                   //   type 1: reconfigure key value
    0x00, 0x01, 0x02, 0x03, //   key
    0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f,
    0x00, 0x0c, 0x00, 0x10, // OPTION_UNICAST, length 16
    0x20, 0x01, 0x0d, 0xb8, //   2001:db8::1
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
    0x00, 0x14, 0x00, 0x00, // OPTION_RECONF_ACCEPT, length 0
    0x00, 0x53, 0x00, 0x04, // OPTION_INF_MAX_RT, length 4
    0x00, 0x00, 0x0e, 0x10, //   3600
];

fn reply() -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Reply,
        transaction_id: 0xabcdef,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::ClientId(client_duid()),
            OptionRepr::IaNa(IaNa {
                iaid: 1,
                t1: 1800,
                t2: 2880,
                options: vec![OptionRepr::IaAddr(IaAddr {
                    addr: ip("2001:db8::100"),
                    preferred_lifetime: 3600,
                    valid_lifetime: 7200,
                    options: vec![OptionRepr::StatusCode(StatusCode::new(Status::Success))],
                })],
            }),
            OptionRepr::IaPd(IaPd {
                iaid: 2,
                t1: libdhcp6::wire::INFINITY,
                t2: libdhcp6::wire::INFINITY,
                options: vec![OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: libdhcp6::wire::INFINITY,
                    valid_lifetime: libdhcp6::wire::INFINITY,
                    prefix_len: 59,
                    prefix: ip("2001:db8:dead:bee0::"),
                    options: vec![
                        OptionRepr::pd_exclude(ip("2001:db8:dead:beef::"), 64, 59).unwrap()
                    ],
                })],
            }),
            OptionRepr::RapidCommit,
            OptionRepr::Auth(Auth {
                protocol: 3,
                algorithm: 1,
                rdm: 0,
                replay: 1,
                info: AuthInfo::ReconfigureKey {
                    kind: 1,
                    value: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
                },
            }),
            OptionRepr::Unicast(ip("2001:db8::1")),
            OptionRepr::ReconfAccept,
            OptionRepr::InfMaxRt(3600),
        ],
    }
}

/// C-001, C-006 (IAADDR 24 + nested), C-010, C-018, C-019 (PD Exclude
/// 0x40 0x78 inside 2001:db8:dead:bee0::/59), Auth reconfigure-key layout.
#[test]
fn c006_c010_c018_c019_reply() {
    msg_both_ways(REPLY, &reply());
    let m = MessageRepr::from_bytes(REPLY).unwrap();
    let Some(OptionRepr::IaPd(pd)) = m.option(OptionCode::IaPd) else {
        panic!()
    };
    let pfx = pd.prefixes().next().unwrap();
    assert_eq!(
        pfx.options[0].excluded_prefix(pfx),
        Some(Prefix6 {
            addr: ip("2001:db8:dead:beef::"),
            len: 64
        })
    );
    let Some(OptionRepr::Auth(a)) = m.option(OptionCode::Auth) else {
        panic!()
    };
    // The MAC offset inside the option data points at the 16 key octets.
    assert_eq!(a.mac_offset(), Some(12));
}

#[rustfmt::skip]
const RELEASE: &[u8] = &[
    0x08,                   // msg-type: Release
    0x01, 0x02, 0x03,       // transaction-id 0x010203
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x02, 0x00, 0x0a, // OPTION_SERVERID, length 10
    0x00, 0x03, 0x00, 0x01, //   DUID-LL, hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
    0x00, 0x08, 0x00, 0x02, // OPTION_ELAPSED_TIME, length 2
    0x00, 0x00,             //   0
    0x00, 0x03, 0x00, 0x28, // OPTION_IA_NA, length 40
    0x00, 0x00, 0x00, 0x01, //   IAID 1
    0x00, 0x00, 0x00, 0x00, //   T1 0
    0x00, 0x00, 0x00, 0x00, //   T2 0
    0x00, 0x05, 0x00, 0x18, //   OPTION_IAADDR, length 24
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::100
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, //     preferred lifetime 0
    0x00, 0x00, 0x00, 0x00, //     valid lifetime 0
];

#[rustfmt::skip]
const DECLINE: &[u8] = &[
    0x09,                   // msg-type: Decline
    0x01, 0x02, 0x04,       // transaction-id 0x010204
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x02, 0x00, 0x0a, // OPTION_SERVERID, length 10
    0x00, 0x03, 0x00, 0x01, //   DUID-LL, hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
    0x00, 0x08, 0x00, 0x02, // OPTION_ELAPSED_TIME, length 2
    0x00, 0x00,             //   0
    0x00, 0x03, 0x00, 0x28, // OPTION_IA_NA, length 40
    0x00, 0x00, 0x00, 0x01, //   IAID 1
    0x00, 0x00, 0x00, 0x00, //   T1 0
    0x00, 0x00, 0x00, 0x00, //   T2 0
    0x00, 0x05, 0x00, 0x18, //   OPTION_IAADDR, length 24
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::101
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x01,
    0x00, 0x00, 0x00, 0x00, //     preferred lifetime 0
    0x00, 0x00, 0x00, 0x00, //     valid lifetime 0
];

/// C-001, C-006: Release and Decline.
#[test]
fn c001_release_and_decline() {
    for (bytes, msg_type, xid, addr) in [
        (RELEASE, MessageType::Release, 0x010203, "2001:db8::100"),
        (DECLINE, MessageType::Decline, 0x010204, "2001:db8::101"),
    ] {
        let expected = MessageRepr {
            msg_type,
            transaction_id: xid,
            options: vec![
                OptionRepr::ClientId(client_duid()),
                OptionRepr::ServerId(server_duid()),
                OptionRepr::ElapsedTime(0),
                iana_hint(1, addr),
            ],
        };
        msg_both_ways(bytes, &expected);
    }
}

/// C-001, C-017 (Reconfigure Message 5), the RKAP digest layout: the
/// signed Reconfigure shared with golden_auth.rs, whose MAC is checked there.
#[test]
fn c017_reconfigure() {
    msg_both_ways(RECONFIGURE_SIGNED, &reconfigure_signed());
}

#[rustfmt::skip]
const INFORMATION_REQUEST: &[u8] = &[
    0x0b,                   // msg-type: Information-request
    0x0f, 0x0e, 0x0d,       // transaction-id 0x0f0e0d
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x08, 0x00, 0x02, // OPTION_ELAPSED_TIME, length 2
    0x00, 0x00,             //   0
    0x00, 0x06, 0x00, 0x08, // OPTION_ORO, length 8
    0x00, 0x17,             //   23 DNS servers
    0x00, 0x18,             //   24 domain list
    0x00, 0x20,             //   32 information refresh time
    0x00, 0x53,             //   83 INF_MAX_RT
];

/// C-001, C-016: Information-request.
#[test]
fn c016_information_request() {
    let expected = MessageRepr {
        msg_type: MessageType::InformationRequest,
        transaction_id: 0x0f0e0d,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::ElapsedTime(0),
            OptionRepr::Oro(vec![
                OptionCode::DnsServers,
                OptionCode::DomainList,
                OptionCode::InformationRefreshTime,
                OptionCode::InfMaxRt,
            ]),
        ],
    };
    msg_both_ways(INFORMATION_REQUEST, &expected);
}

/// The DHCPv4 DHCPDISCOVER carried in the 4o6 vectors (RFC 2131 layout).
#[rustfmt::skip]
const DHCPV4_DISCOVER: &[u8] = &[
    0x01,                   // op: BOOTREQUEST
    0x01,                   // htype: Ethernet
    0x06,                   // hlen 6
    0x00,                   // hops 0
    0xde, 0xad, 0xbe, 0xef, // xid
    0x00, 0x00,             // secs 0
    0x00, 0x00,             // flags 0
    0x00, 0x00, 0x00, 0x00, // ciaddr
    0x00, 0x00, 0x00, 0x00, // yiaddr
    0x00, 0x00, 0x00, 0x00, // siaddr
    0x00, 0x00, 0x00, 0x00, // giaddr
    0x00, 0x11, 0x22, 0x33, // chaddr 00:11:22:33:44:55, padded to 16
    0x44, 0x55, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // sname (64)
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // file (128)
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x63, 0x82, 0x53, 0x63, // magic cookie
    0x35, 0x01, 0x01,       // option 53 DHCP message type: DISCOVER
    0xff,                   // end
];

#[rustfmt::skip]
const DHCPV4_QUERY_HEAD: &[u8] = &[
    0x14,                   // msg-type: DHCPV4-QUERY (20)
    0x80, 0x00, 0x00,       // flags: U (unicast) set, rest zero
    0x00, 0x57, 0x00, 0xf4, // OPTION_DHCPV4_MSG, length 244
    // followed by DHCPV4_DISCOVER
];

#[rustfmt::skip]
const DHCPV4_RESPONSE_HEAD: &[u8] = &[
    0x15,                   // msg-type: DHCPV4-RESPONSE (21)
    0x00, 0x00, 0x00,       // flags: none
    0x00, 0x58, 0x00, 0x00, // OPTION_DHCP4_O_DHCP6_SERVER, length 0 (empty list is valid)
    0x00, 0x57, 0x00, 0xf4, // OPTION_DHCPV4_MSG, length 244
    // followed by DHCPV4_DISCOVER (any DHCPv4 message is opaque to us)
];

/// C-021 (flags in place of the xid, Unicast = 0x80 of the first flags
/// octet), C-022 (option 88 empty), C-025 (types 20 and 21), option 87.
#[test]
fn c021_c022_c025_dhcpv4_query_and_response() {
    assert_eq!(DHCPV4_DISCOVER.len(), 244);
    let query = [DHCPV4_QUERY_HEAD, DHCPV4_DISCOVER].concat();
    let expected = MessageRepr {
        msg_type: MessageType::Dhcpv4Query,
        transaction_id: DHCPV4_QUERY_UNICAST,
        options: vec![OptionRepr::Dhcpv4Msg(DHCPV4_DISCOVER.to_vec())],
    };
    msg_both_ways(&query, &expected);
    assert_eq!(query[1] & 0x80, 0x80);
    assert_eq!(
        MessageRepr::from_bytes(&query).unwrap().flags() & DHCPV4_QUERY_UNICAST,
        DHCPV4_QUERY_UNICAST
    );

    let response = [DHCPV4_RESPONSE_HEAD, DHCPV4_DISCOVER].concat();
    let expected = MessageRepr {
        msg_type: MessageType::Dhcpv4Response,
        transaction_id: 0,
        options: vec![
            OptionRepr::Addresses {
                code: OptionCode::Dhcp4o6ServerAddr,
                addrs: vec![],
            },
            OptionRepr::Dhcpv4Msg(DHCPV4_DISCOVER.to_vec()),
        ],
    };
    msg_both_ways(&response, &expected);
}

/// The template the types 14-19 and 22-37 share; octet 0 is patched per type.
#[rustfmt::skip]
const TEMPLATE: &[u8] = &[
    0x0e,                   // msg-type: patched to each type under test
    0x01, 0x02, 0x03,       // transaction-id 0x010203
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x02, 0x00, 0x0a, // OPTION_SERVERID, length 10
    0x00, 0x03, 0x00, 0x01, //   DUID-LL, hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
];

/// C-001, C-025: every message type from 14 to 37 other than the 4o6 pair
/// decodes with the 4-octet header, keeps its type number and re-emits.
#[test]
fn c001_c025_types_14_to_37_template() {
    for t in (14u8..=37).filter(|t| !matches!(t, 20 | 21)) {
        let mut bytes = TEMPLATE.to_vec();
        bytes[0] = t;
        let expected = MessageRepr {
            msg_type: MessageType::from(t),
            transaction_id: 0x010203,
            options: vec![
                OptionRepr::ClientId(client_duid()),
                OptionRepr::ServerId(server_duid()),
            ],
        };
        assert!(MessageType::from(t).name().is_some(), "type {t} has a name");
        msg_both_ways(&bytes, &expected);
        assert_eq!(
            u8::from(MessageRepr::from_bytes(&bytes).unwrap().msg_type),
            t
        );
    }
    assert_eq!(MessageType::from(14), MessageType::Leasequery);
    assert_eq!(MessageType::from(15), MessageType::LeasequeryReply);
}

#[rustfmt::skip]
const LEASEQUERY: &[u8] = &[
    0x0e,                   // msg-type: Leasequery (14)
    0x44, 0x55, 0x66,       // transaction-id 0x445566
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x01, 0x00, 0x01, //   DUID-LLT, hardware type 1
    0x2a, 0x6b, 0x3c, 0x1e, //   time
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    0x00, 0x2c, 0x00, 0x11, // OPTION_LQ_QUERY, length 17 (kept raw)
    0x01,                   //   query-type 1 (by address)
    0x00, 0x00, 0x00, 0x00, //   link-address ::
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x35, 0x00, 0x0a, // OPTION_RELAY_ID, length 10
    0x00, 0x03, 0x00, 0x01, //   DUID-LL, hardware type 1
    0x00, 0x66, 0x77, 0x88, 0x99, 0xaa, // link-layer address
];

#[rustfmt::skip]
const LEASEQUERY_REPLY: &[u8] = &[
    0x0f,                   // msg-type: Leasequery-reply (15)
    0x44, 0x55, 0x66,       // transaction-id 0x445566
    0x00, 0x02, 0x00, 0x0a, // OPTION_SERVERID, length 10
    0x00, 0x03, 0x00, 0x01, //   DUID-LL, hardware type 1
    0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, // link-layer address
    0x00, 0x2d, 0x00, 0x08, // OPTION_CLIENT_DATA, length 8 (kept raw)
    0x00, 0x2e, 0x00, 0x04, //   OPTION_CLT_TIME, length 4
    0x00, 0x00, 0x00, 0x3c, //     60
    0x00, 0x30, 0x00, 0x10, // OPTION_LQ_CLIENT_LINK, length 16
    0x20, 0x01, 0x0d, 0xb8, //   2001:db8:1::1
    0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
];

#[rustfmt::skip]
const RECONFIGURE_REQUEST: &[u8] = &[
    0x12,                   // msg-type: Reconfigure-request (18)
    0x00, 0x00, 0x07,       // transaction-id 7
    0x00, 0x50, 0x00, 0x10, // OPTION_LINK_ADDRESS, length 16
    0x20, 0x01, 0x0d, 0xb8, //   2001:db8:1::1
    0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
];

/// C-008 (LQ_QUERY and CLIENT_DATA, which have no typed form, stay raw and
/// the message still decodes), C-025, Relay-ID, LQ client link, link address.
#[test]
fn c008_c025_leasequery_and_reconfigure_request() {
    let lq = MessageRepr {
        msg_type: MessageType::Leasequery,
        transaction_id: 0x445566,
        options: vec![
            OptionRepr::ClientId(client_duid()),
            OptionRepr::Unknown {
                code: OptionCode::LqQuery,
                data: LEASEQUERY[26..43].to_vec(),
            },
            OptionRepr::RelayId(
                libdhcp6::Duid::from_bytes(&[0, 3, 0, 1, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa])
                    .unwrap(),
            ),
        ],
    };
    msg_both_ways(LEASEQUERY, &lq);
    let lqr = MessageRepr {
        msg_type: MessageType::LeasequeryReply,
        transaction_id: 0x445566,
        options: vec![
            OptionRepr::ServerId(server_duid()),
            OptionRepr::Unknown {
                code: OptionCode::ClientData,
                data: vec![0x00, 0x2e, 0x00, 0x04, 0x00, 0x00, 0x00, 0x3c],
            },
            OptionRepr::Addresses {
                code: OptionCode::LqClientLink,
                addrs: vec![ip("2001:db8:1::1")],
            },
        ],
    };
    msg_both_ways(LEASEQUERY_REPLY, &lqr);
    let rr = MessageRepr {
        msg_type: MessageType::ReconfigureRequest,
        transaction_id: 7,
        options: vec![OptionRepr::LinkAddress(ip("2001:db8:1::1"))],
    };
    msg_both_ways(RECONFIGURE_REQUEST, &rr);
}

/// Every type 1-37 has a golden vector or the template above (checked per type byte).
#[test]
fn every_message_type_1_to_37_has_a_vector() {
    let dedicated: [(&[u8], u8); 11] = [
        (SOLICIT, 1),
        (ADVERTISE, 2),
        (REQUEST, 3),
        (CONFIRM, 4),
        (RENEW, 5),
        (REBIND, 6),
        (REPLY, 7),
        (RELEASE, 8),
        (DECLINE, 9),
        (RECONFIGURE_SIGNED, 10),
        (INFORMATION_REQUEST, 11),
    ];
    for (bytes, t) in dedicated {
        assert_eq!(bytes[0], t);
        assert_eq!(
            u8::from(MessageRepr::from_bytes(bytes).unwrap().msg_type),
            t
        );
    }
    assert_eq!(DHCPV4_QUERY_HEAD[0], 20);
    assert_eq!(DHCPV4_RESPONSE_HEAD[0], 21);
    // 12 and 13: golden_relay.rs; 14-19, 22-37: the template test.
}
