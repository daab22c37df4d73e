//! Golden byte vectors for every typed variant of [`OptionRepr`], one field
//! per line, commented, each used both ways: bytes → parse → the
//! hand-built value, and that value → emit → bytes.
//!
//! Checklist IDs (doc/conformance.md) are named in each test's doc comment.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::BTreeSet;

use common::*;
use libdhcp6::wire::{
    Auth, AuthInfo, ClientFqdn, DomainName, IaAddr, IaNa, IaPd, IaPrefix, IaTa, MessageRepr,
    NtpSuboption, OptionRepr, StatusCode, VendorOption,
};
use libdhcp6::{Duid, MessageType, OptionCode, Prefix6, Status};

/// The name of a variant, to check that every one has a vector.
fn variant(o: &OptionRepr) -> &'static str {
    match o {
        OptionRepr::ClientId(_) => "ClientId",
        OptionRepr::ServerId(_) => "ServerId",
        OptionRepr::RelayId(_) => "RelayId",
        OptionRepr::IaNa(_) => "IaNa",
        OptionRepr::IaTa(_) => "IaTa",
        OptionRepr::IaPd(_) => "IaPd",
        OptionRepr::IaAddr(_) => "IaAddr",
        OptionRepr::IaPrefix(_) => "IaPrefix",
        OptionRepr::Oro(_) => "Oro",
        OptionRepr::Ero(_) => "Ero",
        OptionRepr::ClientArchTypes(_) => "ClientArchTypes",
        OptionRepr::Preference(_) => "Preference",
        OptionRepr::ElapsedTime(_) => "ElapsedTime",
        OptionRepr::RelayPort(_) => "RelayPort",
        OptionRepr::InformationRefreshTime(_) => "InformationRefreshTime",
        OptionRepr::SolMaxRt(_) => "SolMaxRt",
        OptionRepr::InfMaxRt(_) => "InfMaxRt",
        OptionRepr::CltTime(_) => "CltTime",
        OptionRepr::RapidCommit => "RapidCommit",
        OptionRepr::ReconfAccept => "ReconfAccept",
        OptionRepr::Unicast(_) => "Unicast",
        OptionRepr::LinkAddress(_) => "LinkAddress",
        OptionRepr::Addresses { .. } => "Addresses",
        OptionRepr::Domains { .. } => "Domains",
        OptionRepr::RelayMsg(_) => "RelayMsg",
        OptionRepr::InterfaceId(_) => "InterfaceId",
        OptionRepr::SubscriberId(_) => "SubscriberId",
        OptionRepr::Dhcpv4Msg(_) => "Dhcpv4Msg",
        OptionRepr::Text { .. } => "Text",
        OptionRepr::StatusCode(_) => "StatusCode",
        OptionRepr::Auth(_) => "Auth",
        OptionRepr::UserClass(_) => "UserClass",
        OptionRepr::BootfileParam(_) => "BootfileParam",
        OptionRepr::VendorClass { .. } => "VendorClass",
        OptionRepr::VendorOpts { .. } => "VendorOpts",
        OptionRepr::RemoteId { .. } => "RemoteId",
        OptionRepr::ReconfMsg(_) => "ReconfMsg",
        OptionRepr::ClientFqdn(_) => "ClientFqdn",
        OptionRepr::NtpServer(_) => "NtpServer",
        OptionRepr::PdExclude { .. } => "PdExclude",
        OptionRepr::ClientLinklayerAddr { .. } => "ClientLinklayerAddr",
        OptionRepr::Unknown { .. } => "Unknown",
        _ => "a variant added after this test: give it a vector",
    }
}

const ALL_VARIANTS: [&str; 42] = [
    "ClientId",
    "ServerId",
    "RelayId",
    "IaNa",
    "IaTa",
    "IaPd",
    "IaAddr",
    "IaPrefix",
    "Oro",
    "Ero",
    "ClientArchTypes",
    "Preference",
    "ElapsedTime",
    "RelayPort",
    "InformationRefreshTime",
    "SolMaxRt",
    "InfMaxRt",
    "CltTime",
    "RapidCommit",
    "ReconfAccept",
    "Unicast",
    "LinkAddress",
    "Addresses",
    "Domains",
    "RelayMsg",
    "InterfaceId",
    "SubscriberId",
    "Dhcpv4Msg",
    "Text",
    "StatusCode",
    "Auth",
    "UserClass",
    "BootfileParam",
    "VendorClass",
    "VendorOpts",
    "RemoteId",
    "ReconfMsg",
    "ClientFqdn",
    "NtpServer",
    "PdExclude",
    "ClientLinklayerAddr",
    "Unknown",
];

// ---- identifiers -------------------------------------------------------

#[rustfmt::skip]
const CLIENTID_EN: &[u8] = &[
    0x00, 0x01, 0x00, 0x0e, // OPTION_CLIENTID, length 14
    0x00, 0x02,             //   DUID type 2 (EN), the RFC 8415 §11.3 example
    0x00, 0x00, 0x7e, 0xd9, //   enterprise 32473
    0x0c, 0xc0, 0x84, 0xd3, //   identifier
    0x03, 0x00, 0x09, 0x12,
];

#[rustfmt::skip]
const SERVERID_UUID: &[u8] = &[
    0x00, 0x02, 0x00, 0x12, // OPTION_SERVERID, length 18
    0x00, 0x04,             //   DUID type 4 (UUID)
    0x12, 0x3e, 0x45, 0x67, //   UUID 123e4567-e89b-12d3-a456-426614174000
    0xe8, 0x9b, 0x12, 0xd3,
    0xa4, 0x56, 0x42, 0x66,
    0x14, 0x17, 0x40, 0x00,
];

#[rustfmt::skip]
const RELAYID: &[u8] = &[
    0x00, 0x35, 0x00, 0x03, // OPTION_RELAY_ID, length 3 (shortest DUID)
    0x00, 0xff,             //   DUID type 255 (unknown types are kept)
    0x01,                   //   identifier
];

// ---- identity associations ---------------------------------------------

#[rustfmt::skip]
const IA_NA: &[u8] = &[
    0x00, 0x03, 0x00, 0x51, // OPTION_IA_NA, length 81 = 12 + 34 + 28 + 7
    0xca, 0xfe, 0xf0, 0x0d, //   IAID 0xcafef00d
    0x00, 0x00, 0x03, 0x84, //   T1 900
    0x00, 0x00, 0x05, 0xa0, //   T2 1440
    0x00, 0x05, 0x00, 0x1e, //   OPTION_IAADDR, length 30 = 24 + 6
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::a
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x0a,
    0x00, 0x00, 0x01, 0x2c, //     preferred lifetime 300
    0x00, 0x00, 0x02, 0x58, //     valid lifetime 600
    0x00, 0x0d, 0x00, 0x02, //     OPTION_STATUS_CODE, length 2
    0x00, 0x00,             //       Success
    0x00, 0x05, 0x00, 0x18, //   OPTION_IAADDR, length 24
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::b
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x0b,
    0x00, 0x00, 0x00, 0x00, //     preferred lifetime 0 (deprecated)
    0x00, 0x00, 0x02, 0x58, //     valid lifetime 600
    0x00, 0x0d, 0x00, 0x03, //   OPTION_STATUS_CODE, length 3
    0x00, 0x00,             //     Success
    b'!',                   //     "!"
];

#[rustfmt::skip]
const IA_TA: &[u8] = &[
    0x00, 0x04, 0x00, 0x2a, // OPTION_IA_TA, length 42 = 4 + 28 + 10
    0x00, 0x00, 0x00, 0x07, //   IAID 7
    0x00, 0x05, 0x00, 0x18, //   OPTION_IAADDR, length 24
    0x20, 0x01, 0x0d, 0xb8, //     address 2001:db8::7e:1
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x7e, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x3c, //     preferred lifetime 60
    0x00, 0x00, 0x00, 0x78, //     valid lifetime 120
    0x00, 0x0d, 0x00, 0x06, //   OPTION_STATUS_CODE, length 6
    0x00, 0x02,             //     NoAddrsAvail
    b'n', b'o', b'n', b'e', //     "none"
];

#[rustfmt::skip]
const IA_PD: &[u8] = &[
    0x00, 0x19, 0x00, 0x5c, // OPTION_IA_PD, length 92 = 12 + 36 + 29 + 15
    0x00, 0x00, 0x00, 0x00, //   IAID 0
    0x00, 0x00, 0x0e, 0x10, //   T1 3600
    0x00, 0x00, 0x15, 0x18, //   T2 5400
    0x00, 0x1a, 0x00, 0x20, //   OPTION_IAPREFIX, length 32 = 25 + 7
    0x00, 0x00, 0x1c, 0x20, //     preferred lifetime 7200
    0x00, 0x01, 0x51, 0x80, //     valid lifetime 86400
    0x30,                   //     prefix-length 48
    0x20, 0x01, 0x0d, 0xb8, //     prefix 2001:db8:aaaa::
    0xaa, 0xaa, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x43, 0x00, 0x03, //     OPTION_PD_EXCLUDE, length 3
    0x40,                   //       prefix-length 64
    0x00, 0x01,             //       subnet ID 0x0001 (2001:db8:aaaa:1::/64)
    0x00, 0x1a, 0x00, 0x19, //   OPTION_IAPREFIX, length 25
    0x00, 0x00, 0x1c, 0x20, //     preferred lifetime 7200
    0x00, 0x01, 0x51, 0x80, //     valid lifetime 86400
    0x40,                   //     prefix-length 64
    0x20, 0x01, 0x0d, 0xb8, //     prefix 2001:db8:bbbb:1::
    0xbb, 0xbb, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x0d, 0x00, 0x0b, //   OPTION_STATUS_CODE, length 11
    0x00, 0x00,             //     Success
    b'd', b'e', b'l', b'e', b'g', b'a', b't', b'e', b'd', // "delegated"
];

#[rustfmt::skip]
const IAADDR: &[u8] = &[
    0x00, 0x05, 0x00, 0x18, // OPTION_IAADDR, length 24 (C-006)
    0x20, 0x01, 0x0d, 0xb8, //   address 2001:db8::1:2:3
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
    0x00, 0x02, 0x00, 0x03,
    0xff, 0xff, 0xff, 0xff, //   preferred lifetime infinity
    0xff, 0xff, 0xff, 0xff, //   valid lifetime infinity
];

#[rustfmt::skip]
const IAPREFIX: &[u8] = &[
    0x00, 0x1a, 0x00, 0x19, // OPTION_IAPREFIX, length 25 (C-006)
    0x00, 0x00, 0x00, 0x01, //   preferred lifetime 1 (first, C-018)
    0x00, 0x00, 0x00, 0x02, //   valid lifetime 2 (second)
    0x3c,                   //   prefix-length 60 (third)
    0x20, 0x01, 0x0d, 0xb8, //   prefix 2001:db8:0:10:: (last)
    0x00, 0x00, 0x00, 0x10,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
];

fn ia_na() -> OptionRepr {
    OptionRepr::IaNa(IaNa {
        iaid: 0xcafe_f00d,
        t1: 900,
        t2: 1440,
        options: vec![
            OptionRepr::IaAddr(IaAddr {
                addr: ip("2001:db8::a"),
                preferred_lifetime: 300,
                valid_lifetime: 600,
                options: vec![OptionRepr::StatusCode(StatusCode::new(Status::Success))],
            }),
            OptionRepr::IaAddr(IaAddr {
                addr: ip("2001:db8::b"),
                preferred_lifetime: 0,
                valid_lifetime: 600,
                options: vec![],
            }),
            OptionRepr::StatusCode(StatusCode {
                status: Status::Success,
                message: b"!".to_vec(),
            }),
        ],
    })
}

fn ia_pd() -> OptionRepr {
    OptionRepr::IaPd(IaPd {
        iaid: 0,
        t1: 3600,
        t2: 5400,
        options: vec![
            OptionRepr::IaPrefix(IaPrefix {
                preferred_lifetime: 7200,
                valid_lifetime: 86400,
                prefix_len: 48,
                prefix: ip("2001:db8:aaaa::"),
                options: vec![OptionRepr::PdExclude {
                    prefix_len: 64,
                    subnet_id: vec![0x00, 0x01],
                }],
            }),
            OptionRepr::IaPrefix(IaPrefix {
                preferred_lifetime: 7200,
                valid_lifetime: 86400,
                prefix_len: 64,
                prefix: ip("2001:db8:bbbb:1::"),
                options: vec![],
            }),
            OptionRepr::StatusCode(StatusCode {
                status: Status::Success,
                message: b"delegated".to_vec(),
            }),
        ],
    })
}

/// C-005, C-006, C-009 (two IAADDR / two IAPREFIX in one IA stay two
/// values), C-010, C-018, C-019: IA_NA, IA_TA and IA_PD with nested IAADDR,
/// IAPREFIX, Status Code and PD Exclude; IAADDR and IAPREFIX alone.
#[test]
fn c005_c006_c009_c018_identity_associations() {
    opt_both_ways(IA_NA, &ia_na());
    opt_both_ways(
        IA_TA,
        &OptionRepr::IaTa(IaTa {
            iaid: 7,
            options: vec![
                OptionRepr::IaAddr(IaAddr {
                    addr: ip("2001:db8::7e:1"),
                    preferred_lifetime: 60,
                    valid_lifetime: 120,
                    options: vec![],
                }),
                OptionRepr::StatusCode(StatusCode {
                    status: Status::NoAddrsAvail,
                    message: b"none".to_vec(),
                }),
            ],
        }),
    );
    opt_both_ways(IA_PD, &ia_pd());
    let OptionRepr::IaPd(pd) = ia_pd() else {
        unreachable!()
    };
    let first = pd.prefixes().next().unwrap();
    assert_eq!(
        first.options[0].excluded_prefix(first),
        Some(Prefix6 {
            addr: ip("2001:db8:aaaa:1::"),
            len: 64
        })
    );
    assert_eq!(
        OptionRepr::pd_exclude(ip("2001:db8:aaaa:1::"), 64, 48),
        Some(first.options[0].clone())
    );
    assert_eq!(pd.status().unwrap().text(), "delegated");
    opt_both_ways(
        IAADDR,
        &OptionRepr::IaAddr(IaAddr {
            addr: ip("2001:db8::1:2:3"),
            preferred_lifetime: u32::MAX,
            valid_lifetime: u32::MAX,
            options: vec![],
        }),
    );
    opt_both_ways(
        IAPREFIX,
        &OptionRepr::IaPrefix(IaPrefix {
            preferred_lifetime: 1,
            valid_lifetime: 2,
            prefix_len: 60,
            prefix: ip("2001:db8:0:10::"),
            options: vec![],
        }),
    );
}

// ---- fixed-size values ---------------------------------------------------

#[rustfmt::skip]
const FIXED: &[(&[u8], &str)] = &[
    (&[0x00, 0x07, 0x00, 0x01, 0x00], "OPTION_PREFERENCE, length 1, value 0"),
    (&[0x00, 0x08, 0x00, 0x02, 0x12, 0x34], "OPTION_ELAPSED_TIME, length 2, 0x1234"),
    (&[0x00, 0x87, 0x00, 0x02, 0x22, 0xb8], "OPTION_RELAY_PORT, length 2, 8888"),
    (&[0x00, 0x20, 0x00, 0x04, 0x00, 0x01, 0x51, 0x80], "OPTION_INFORMATION_REFRESH_TIME, 86400"),
    (&[0x00, 0x52, 0x00, 0x04, 0x00, 0x00, 0x00, 0x3c], "OPTION_SOL_MAX_RT, 60"),
    (&[0x00, 0x53, 0x00, 0x04, 0x00, 0x01, 0x51, 0x80], "OPTION_INF_MAX_RT, 86400"),
    (&[0x00, 0x2e, 0x00, 0x04, 0x00, 0x00, 0x00, 0x3c], "OPTION_CLT_TIME, 60"),
    (&[0x00, 0x0e, 0x00, 0x00], "OPTION_RAPID_COMMIT, length 0"),
    (&[0x00, 0x14, 0x00, 0x00], "OPTION_RECONF_ACCEPT, length 0"),
    (&[0x00, 0x13, 0x00, 0x01, 0x06], "OPTION_RECONF_MSG, Rebind"),
    (&[0x00, 0x13, 0x00, 0x01, 0x0b], "OPTION_RECONF_MSG, Information-request"),
];

/// C-017 (Reconfigure Message 6 and 11), fixed-length options.
#[test]
fn c017_fixed_length_options() {
    let expected = [
        OptionRepr::Preference(0),
        OptionRepr::ElapsedTime(0x1234),
        OptionRepr::RelayPort(8888),
        OptionRepr::InformationRefreshTime(86400),
        OptionRepr::SolMaxRt(60),
        OptionRepr::InfMaxRt(86400),
        OptionRepr::CltTime(60),
        OptionRepr::RapidCommit,
        OptionRepr::ReconfAccept,
        OptionRepr::ReconfMsg(MessageType::Rebind),
        OptionRepr::ReconfMsg(MessageType::InformationRequest),
    ];
    for ((bytes, what), value) in FIXED.iter().zip(&expected) {
        eprintln!("{what}");
        opt_both_ways(bytes, value);
    }
}

#[rustfmt::skip]
const UNICAST: &[u8] = &[
    0x00, 0x0c, 0x00, 0x10, // OPTION_UNICAST, length 16
    0x20, 0x01, 0x0d, 0xb8, //   2001:db8::547
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x05, 0x47,
];

#[rustfmt::skip]
const LINK_ADDRESS: &[u8] = &[
    0x00, 0x50, 0x00, 0x10, // OPTION_LINK_ADDRESS, length 16
    0x20, 0x01, 0x0d, 0xb8, //   2001:db8::547
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x05, 0x47,
];

/// Server Unicast and Link Address.
#[test]
fn single_address_options() {
    opt_both_ways(UNICAST, &OptionRepr::Unicast(ip("2001:db8::547")));
    opt_both_ways(LINK_ADDRESS, &OptionRepr::LinkAddress(ip("2001:db8::547")));
}

// ---- lists -----------------------------------------------------------------

#[rustfmt::skip]
const ORO: &[u8] = &[
    0x00, 0x06, 0x00, 0x08, // OPTION_ORO, length 8
    0x00, 0x17,             //   23
    0x00, 0x38,             //   56 NTP server
    0x00, 0x43,             //   67 PD Exclude (capability signal)
    0xfe, 0xed,             //   65261, unknown: kept
];

#[rustfmt::skip]
const ERO: &[u8] = &[
    0x00, 0x2b, 0x00, 0x04, // OPTION_ERO, length 4
    0x00, 0x25,             //   37 Remote-ID
    0x00, 0x4f,             //   79 client link-layer address
];

#[rustfmt::skip]
const CLIENT_ARCH: &[u8] = &[
    0x00, 0x3d, 0x00, 0x02, // OPTION_CLIENT_ARCH_TYPE, length 2
    0x00, 0x00,             //   0 (x86 BIOS)
];

/// C-016: ORO (and ERO, client arch types) as u16 lists, unknown codes kept.
#[test]
fn c016_code_lists() {
    opt_both_ways(
        ORO,
        &OptionRepr::Oro(vec![
            OptionCode::DnsServers,
            OptionCode::NtpServer,
            OptionCode::PdExclude,
            OptionCode::from(0xfeed),
        ]),
    );
    opt_both_ways(
        ERO,
        &OptionRepr::Ero(vec![OptionCode::RemoteId, OptionCode::ClientLinklayerAddr]),
    );
    opt_both_ways(CLIENT_ARCH, &OptionRepr::ClientArchTypes(vec![0]));
}

#[rustfmt::skip]
const ADDRESS_LIST_BODY: &[u8] = &[
    0x00, 0x20,             // length 32 (after a 2-octet code)
    0x20, 0x01, 0x0d, 0xb8, //   2001:db8::1
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
    0xff, 0x02, 0x00, 0x00, //   ff02::101
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x01,
];

/// C-022 (option 88 with addresses; empty 88 in golden_messages.rs), every
/// address-list option code: 22, 23, 27, 28, 31, 34, 40, 48, 52, 88.
#[test]
fn c022_address_lists() {
    for code in [22u16, 23, 27, 28, 31, 34, 40, 48, 52, 88] {
        let bytes = [&code.to_be_bytes()[..], ADDRESS_LIST_BODY].concat();
        opt_both_ways(
            &bytes,
            &OptionRepr::Addresses {
                code: OptionCode::from(code),
                addrs: vec![ip("2001:db8::1"), ip("ff02::101")],
            },
        );
    }
    opt_both_ways(
        &[0x00, 0x58, 0x00, 0x00],
        &OptionRepr::Addresses {
            code: OptionCode::Dhcp4o6ServerAddr,
            addrs: vec![],
        },
    );
}

#[rustfmt::skip]
const NAME_LIST_BODY: &[u8] = &[
    0x00, 0x12,             // length 18 (after a 2-octet code)
    0x03, b'f', b'o', b'o', //   "foo"
    0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // "example"
    0x03, b'n', b'e', b't', //   "net"
    0x00,                   //   root
    0x00,                   // the root name "." on its own
];

/// C-012: every domain-name option code (21, 24, 29, 30, 33, 51, 57, 58,
/// 64, 65), uncompressed labels ending in a zero octet.
#[test]
fn c012_domain_lists() {
    for code in [21u16, 24, 29, 30, 33, 51, 57, 58, 64, 65] {
        let bytes = [&code.to_be_bytes()[..], NAME_LIST_BODY].concat();
        let expected = OptionRepr::Domains {
            code: OptionCode::from(code),
            names: vec![
                DomainName::from_text("foo.example.net.").unwrap(),
                DomainName::from_text(".").unwrap(),
            ],
        };
        opt_both_ways(&bytes, &expected);
    }
}

// ---- opaque and text ---------------------------------------------------------

#[rustfmt::skip]
const RELAY_MSG: &[u8] = &[
    0x00, 0x09, 0x00, 0x04, // OPTION_RELAY_MSG, length 4
    0x0b, 0x00, 0x00, 0x01, //   an Information-request header, kept as bytes
];

#[rustfmt::skip]
const INTERFACE_ID: &[u8] = &[
    0x00, 0x12, 0x00, 0x00, // OPTION_INTERFACE_ID, length 0 (opaque; empty allowed)
];

#[rustfmt::skip]
const SUBSCRIBER_ID: &[u8] = &[
    0x00, 0x26, 0x00, 0x01, // OPTION_SUBSCRIBER_ID, length 1
    0x00,                   //   one octet
];

#[rustfmt::skip]
const DHCPV4_MSG: &[u8] = &[
    0x00, 0x57, 0x00, 0x02, // OPTION_DHCPV4_MSG, length 2
    0x02, 0x01,             //   opaque DHCPv4 bytes
];

#[rustfmt::skip]
const POSIX_TZ: &[u8] = &[
    0x00, 0x29, 0x00, 0x07, // OPTION_NEW_POSIX_TIMEZONE, length 7
    b'E', b'S', b'T', b'5', b'E', b'D', b'T', // "EST5EDT"
];

#[rustfmt::skip]
const CLIENT_LINKLAYER: &[u8] = &[
    0x00, 0x4f, 0x00, 0x08, // OPTION_CLIENT_LINKLAYER_ADDR, length 8
    0x00, 0x01,             //   type 1 (Ethernet)
    0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, // address
];

#[rustfmt::skip]
const REMOTE_ID: &[u8] = &[
    0x00, 0x25, 0x00, 0x05, // OPTION_REMOTE_ID, length 5 (the minimum)
    0x00, 0x00, 0x0d, 0xe9, //   enterprise 3561
    0x2a,                   //   remote-id
];

/// Opaque and text options: Relay Message, Interface-ID, Subscriber-ID,
/// DHCPv4 Message, the text codes 41, 42, 59, 103, 112, Remote-ID and
/// Client Link-Layer Address.
#[test]
fn opaque_and_text_options() {
    opt_both_ways(RELAY_MSG, &OptionRepr::RelayMsg(vec![0x0b, 0, 0, 1]));
    opt_both_ways(INTERFACE_ID, &OptionRepr::InterfaceId(vec![]));
    opt_both_ways(SUBSCRIBER_ID, &OptionRepr::SubscriberId(vec![0]));
    opt_both_ways(DHCPV4_MSG, &OptionRepr::Dhcpv4Msg(vec![2, 1]));
    opt_both_ways(
        POSIX_TZ,
        &OptionRepr::Text {
            code: OptionCode::NewPosixTimezone,
            text: b"EST5EDT".to_vec(),
        },
    );
    for code in [42u16, 59, 103, 112] {
        let text = b"https://example.com/x";
        let mut bytes = code.to_be_bytes().to_vec();
        bytes.extend_from_slice(&21u16.to_be_bytes());
        bytes.extend_from_slice(text);
        opt_both_ways(
            &bytes,
            &OptionRepr::Text {
                code: OptionCode::from(code),
                text: text.to_vec(),
            },
        );
    }
    opt_both_ways(
        REMOTE_ID,
        &OptionRepr::RemoteId {
            enterprise: 3561,
            id: vec![0x2a],
        },
    );
    opt_both_ways(
        CLIENT_LINKLAYER,
        &OptionRepr::ClientLinklayerAddr {
            hw_type: 1,
            addr: vec![0x02, 0x00, 0x5e, 0x10, 0x00, 0x01],
        },
    );
}

/// C-013 (DUIDs of any type, 3 to 130 octets, in Client/Server/Relay ID).
#[test]
fn c013_identifiers() {
    opt_both_ways(
        CLIENTID_EN,
        &OptionRepr::ClientId(
            Duid::new_en(32473, &[0x0c, 0xc0, 0x84, 0xd3, 0x03, 0x00, 0x09, 0x12]).unwrap(),
        ),
    );
    opt_both_ways(
        SERVERID_UUID,
        &OptionRepr::ServerId(Duid::new_uuid([
            0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17,
            0x40, 0x00,
        ])),
    );
    opt_both_ways(
        RELAYID,
        &OptionRepr::RelayId(Duid::from_bytes(&[0x00, 0xff, 0x01]).unwrap()),
    );
    let mut longest = vec![0x00, 0x01, 0x00, 0x82];
    longest.extend(0..130u8);
    opt_both_ways(
        &longest,
        &OptionRepr::ClientId(Duid::from_bytes(&longest[4..]).unwrap()),
    );
}

// ---- status, auth ------------------------------------------------------------

#[rustfmt::skip]
const STATUS_CODE: &[u8] = &[
    0x00, 0x0d, 0x00, 0x0e, // OPTION_STATUS_CODE, length 14 = 2 + 12
    0x00, 0x06,             //   NoPrefixAvail
    b'n', b'o', b' ', b'p', b'r', b'e', b'f', b'i', b'x', b'e', b's', b'.', // "no prefixes."
];

/// C-010: Status Code = u16 + UTF-8 text of option-len − 2 octets, no NUL.
#[test]
fn c010_status_code() {
    let expected = OptionRepr::StatusCode(StatusCode {
        status: Status::NoPrefixAvail,
        message: b"no prefixes.".to_vec(),
    });
    opt_both_ways(STATUS_CODE, &expected);
    assert_eq!(*STATUS_CODE.last().unwrap(), b'.');
    // An unknown status number is kept.
    opt_both_ways(
        &[0x00, 0x0d, 0x00, 0x02, 0x01, 0x2c],
        &OptionRepr::StatusCode(StatusCode::new(Status::from(300))),
    );
}

#[rustfmt::skip]
const AUTH_DELAYED: &[u8] = &[
    0x00, 0x0b, 0x00, 0x26, // OPTION_AUTH, length 38 = 11 + 7 + 4 + 16
    0x02,                   //   protocol 2 (delayed authentication)
    0x01,                   //   algorithm 1 (HMAC-MD5)
    0x00,                   //   RDM 0
    0x01, 0x02, 0x03, 0x04, //   replay detection 0x0102030405060708
    0x05, 0x06, 0x07, 0x08,
    b'e', b'x', b'.', b'o', b'r', b'g', b'!', // realm "ex.org!" (no length field)
    0x00, 0x00, 0x00, 0x2a, //   key ID 42
    0xa0, 0xa1, 0xa2, 0xa3, //   HMAC-MD5
    0xa4, 0xa5, 0xa6, 0xa7,
    0xa8, 0xa9, 0xaa, 0xab,
    0xac, 0xad, 0xae, 0xaf,
];

#[rustfmt::skip]
const AUTH_OTHER: &[u8] = &[
    0x00, 0x0b, 0x00, 0x0e, // OPTION_AUTH, length 14
    0x00,                   //   protocol 0 (configuration token)
    0x00,                   //   algorithm 0
    0x00,                   //   RDM 0
    0x00, 0x00, 0x00, 0x00, //   replay detection 0
    0x00, 0x00, 0x00, 0x00,
    b'k', b'e', b'y',       //   token "key", kept as bytes
];

/// Auth in all its layouts: delayed (realm + key ID + HMAC), reconfigure
/// key (type 1 key and type 2 HMAC, in golden_messages.rs too), empty, other.
#[test]
fn auth_layouts() {
    let delayed = Auth {
        protocol: 2,
        algorithm: 1,
        rdm: 0,
        replay: 0x0102_0304_0506_0708,
        info: AuthInfo::Delayed {
            realm: b"ex.org!".to_vec(),
            key_id: 42,
            hmac: [
                0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad,
                0xae, 0xaf,
            ],
        },
    };
    // The MAC starts 22 octets into the option data: 11 + realm 7 + key ID 4.
    assert_eq!(delayed.mac_offset(), Some(22));
    assert_eq!(AUTH_DELAYED[4 + 22], 0xa0);
    opt_both_ways(AUTH_DELAYED, &OptionRepr::Auth(delayed));
    opt_both_ways(
        AUTH_OTHER,
        &OptionRepr::Auth(Auth {
            protocol: 0,
            algorithm: 0,
            rdm: 0,
            replay: 0,
            info: AuthInfo::Other(b"key".to_vec()),
        }),
    );
    let mut rkap = vec![0x00, 0x0b, 0x00, 0x1c, 0x03, 0x01, 0x00];
    rkap.extend_from_slice(&u64::MAX.to_be_bytes());
    rkap.push(0x01);
    rkap.extend_from_slice(&[0x5a; 16]);
    opt_both_ways(
        &rkap,
        &OptionRepr::Auth(Auth {
            protocol: 3,
            algorithm: 1,
            rdm: 0,
            replay: u64::MAX,
            info: AuthInfo::ReconfigureKey {
                kind: 1,
                value: [0x5a; 16],
            },
        }),
    );
    opt_both_ways(
        &[
            0x00, 0x0b, 0x00, 0x0b, 0x03, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        &OptionRepr::Auth(Auth {
            protocol: 3,
            algorithm: 1,
            rdm: 0,
            replay: 0,
            info: AuthInfo::Empty,
        }),
    );
}

// ---- classes, vendor ---------------------------------------------------------

#[rustfmt::skip]
const USER_CLASS: &[u8] = &[
    0x00, 0x0f, 0x00, 0x08, // OPTION_USER_CLASS, length 8
    0x00, 0x01,             //   item length 1
    b'a',                   //   "a"
    0x00, 0x00,             //   item length 0 (an empty item is an item)
    0x00, 0x01,             //   item length 1
    b'b',                   //   "b"
];

#[rustfmt::skip]
const BOOTFILE_PARAM: &[u8] = &[
    0x00, 0x3c, 0x00, 0x0c, // OPTION_BOOTFILE_PARAM, length 12
    0x00, 0x04,             //   parameter length 4
    b'-', b'-', b'v', b'4', //   "--v4"
    0x00, 0x04,             //   parameter length 4
    b'q', b'u', b'i', b'e', //   "quie"
];

#[rustfmt::skip]
const VENDOR_CLASS: &[u8] = &[
    0x00, 0x10, 0x00, 0x04, // OPTION_VENDOR_CLASS, length 4
    0x00, 0x00, 0x01, 0x37, //   enterprise 311, no data items
];

#[rustfmt::skip]
const VENDOR_OPTS: &[u8] = &[
    0x00, 0x11, 0x00, 0x0f, // OPTION_VENDOR_OPTS, length 15 = 4 + 6 + 5
    0x00, 0x00, 0x11, 0x8b, //   enterprise 4491
    0x00, 0x01, 0x00, 0x02, //   sub-option 1, length 2
    0x00, 0x20,             //     data
    0x00, 0x22, 0x00, 0x01, //   sub-option 34, length 1
    0xff,                   //     data
];

/// User Class, Bootfile Parameters, Vendor Class (with and without items),
/// Vendor-specific Information with sub-options.
#[test]
fn classes_and_vendor_options() {
    opt_both_ways(
        USER_CLASS,
        &OptionRepr::UserClass(vec![b"a".to_vec(), vec![], b"b".to_vec()]),
    );
    opt_both_ways(
        BOOTFILE_PARAM,
        &OptionRepr::BootfileParam(vec![b"--v4".to_vec(), b"quie".to_vec()]),
    );
    opt_both_ways(
        VENDOR_CLASS,
        &OptionRepr::VendorClass {
            enterprise: 311,
            data: vec![],
        },
    );
    opt_both_ways(
        VENDOR_OPTS,
        &OptionRepr::VendorOpts {
            enterprise: 4491,
            options: vec![
                VendorOption {
                    code: 1,
                    data: vec![0x00, 0x20],
                },
                VendorOption {
                    code: 34,
                    data: vec![0xff],
                },
            ],
        },
    );
}

// ---- FQDN, NTP, PD Exclude, unknown -----------------------------------------

#[rustfmt::skip]
const FQDN_PARTIAL: &[u8] = &[
    0x00, 0x27, 0x00, 0x06, // OPTION_CLIENT_FQDN, length 6
    0x04,                   //   flags: N
    0x04, b'h', b'o', b's', b't', // "host", no root label: a partial name
];

#[rustfmt::skip]
const FQDN_EMPTY: &[u8] = &[
    0x00, 0x27, 0x00, 0x01, // OPTION_CLIENT_FQDN, length 1
    0x03,                   //   flags: S and O, empty name
];

/// C-012: Client FQDN with a partial name and with an empty one.
#[test]
fn c012_client_fqdn() {
    let fqdn = ClientFqdn {
        flags: 0x04,
        name: DomainName::from_text_partial("host").unwrap(),
    };
    assert!(!fqdn.name.is_fqdn());
    opt_both_ways(FQDN_PARTIAL, &OptionRepr::ClientFqdn(fqdn));
    opt_both_ways(
        FQDN_EMPTY,
        &OptionRepr::ClientFqdn(ClientFqdn {
            flags: 0x03,
            name: DomainName::parse_partial(&[], 39).unwrap(),
        }),
    );
}

#[rustfmt::skip]
const NTP_SERVER_SIX_ROOTS: &[u8] = &[
    0x00, 0x38, 0x00, 0x4b, // OPTION_NTP_SERVER, length 75 = 20 + 20 + 27 + 8
    0x00, 0x01, 0x00, 0x10, //   NTP_SUBOPTION_SRV_ADDR, length 16
    0x20, 0x01, 0x0d, 0xb8, //     2001:db8::123
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x23,
    0x00, 0x02, 0x00, 0x10, //   NTP_SUBOPTION_MC_ADDR, length 16
    0xff, 0x05, 0x00, 0x00, //     ff05::101
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x01,
    0x00, 0x03, 0x00, 0x17, //   NTP_SUBOPTION_SRV_FQDN, length 23 (malformed)
    0x03, b'n', b't', b'p', //     "ntp"
    0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // "example"
    0x03, b'c', b'o', b'm', //     "com"
    0x00,                   //     root
    0x00, 0x00, 0x00, 0x00, //     six stray root labels: seven names, not one
    0x00, 0x00,
    0x00, 0x63, 0x00, 0x04, //   sub-option 99 (unknown), length 4
    0xde, 0xad, 0xbe, 0xef, //     kept as bytes
];

#[rustfmt::skip]
const NTP_SERVER_OK: &[u8] = &[
    0x00, 0x38, 0x00, 0x45, // OPTION_NTP_SERVER, length 69 = 20 + 20 + 21 + 8
    0x00, 0x01, 0x00, 0x10, //   NTP_SUBOPTION_SRV_ADDR, length 16
    0x20, 0x01, 0x0d, 0xb8, //     2001:db8::123
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x23,
    0x00, 0x02, 0x00, 0x10, //   NTP_SUBOPTION_MC_ADDR, length 16
    0xff, 0x05, 0x00, 0x00, //     ff05::101
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x01,
    0x00, 0x03, 0x00, 0x11, //   NTP_SUBOPTION_SRV_FQDN, length 17
    0x03, b'n', b't', b'p', //     "ntp"
    0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // "example"
    0x03, b'c', b'o', b'm', //     "com"
    0x00,                   //     root
    0x00, 0x63, 0x00, 0x04, //   sub-option 99 (unknown), length 4
    0xde, 0xad, 0xbe, 0xef, //     kept as bytes
];

/// NTP server sub-options (RFC 5908): address, multicast, FQDN, unknown.
/// A server FQDN followed by stray zero octets is rejected (C-012: one name).
#[test]
fn ntp_server_suboptions() {
    opt_both_ways(
        NTP_SERVER_OK,
        &OptionRepr::NtpServer(vec![
            NtpSuboption::ServerAddr(ip("2001:db8::123")),
            NtpSuboption::MulticastAddr(ip("ff05::101")),
            NtpSuboption::ServerFqdn(DomainName::from_text("ntp.example.com").unwrap()),
            NtpSuboption::Unknown {
                code: 99,
                data: vec![0xde, 0xad, 0xbe, 0xef],
            },
        ]),
    );
    assert!(parse_one(NTP_SERVER_SIX_ROOTS).is_err());
}

#[rustfmt::skip]
const PD_EXCLUDE: &[u8] = &[
    0x00, 0x43, 0x00, 0x11, // OPTION_PD_EXCLUDE, length 17 (the maximum)
    0x80,                   //   prefix-length 128
    0xff, 0xff, 0xff, 0xff, //   subnet ID, 16 octets (a /0 delegated prefix)
    0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff,
];

#[rustfmt::skip]
const UNKNOWN: &[u8] = &[
    0xfe, 0xed, 0x00, 0x03, // option 65261 (unassigned), length 3
    0x01, 0x02, 0x03,       //   kept byte for byte
];

#[rustfmt::skip]
const GEOCONF: &[u8] = &[
    0x00, 0x24, 0x00, 0x03, // OPTION_GEOCONF_CIVIC (known code, no typed form), length 3
    0x02,                   //   what: client
    b'J', b'P',             //   country "JP"
];

/// C-008 (unknown options kept raw), C-019 (PD Exclude alone, and built for
/// the RFC 6603 example), C-020 (option-len 17 is the maximum accepted).
#[test]
fn c008_c019_c020_pd_exclude_and_unknown() {
    opt_both_ways(
        PD_EXCLUDE,
        &OptionRepr::PdExclude {
            prefix_len: 128,
            subnet_id: vec![0xff; 16],
        },
    );
    assert_eq!(
        OptionRepr::pd_exclude(ip("2001:db8:dead:beef::"), 64, 59),
        Some(OptionRepr::PdExclude {
            prefix_len: 64,
            subnet_id: vec![0x78]
        })
    );
    opt_both_ways(
        &[0x00, 0x43, 0x00, 0x02, 0x40, 0x78],
        &OptionRepr::pd_exclude(ip("2001:db8:dead:beef::"), 64, 59).unwrap(),
    );
    opt_both_ways(
        UNKNOWN,
        &OptionRepr::Unknown {
            code: OptionCode::from(0xfeed),
            data: vec![1, 2, 3],
        },
    );
    opt_both_ways(
        GEOCONF,
        &OptionRepr::Unknown {
            code: OptionCode::GeoconfCivic,
            data: vec![0x02, b'J', b'P'],
        },
    );
}

#[rustfmt::skip]
const TWICE: &[u8] = &[
    0x04,                   // msg-type: Confirm (any type will do)
    0x00, 0x00, 0x09,       // transaction-id 9
    0x00, 0x17, 0x00, 0x10, // OPTION_DNS_SERVERS, length 16
    0x20, 0x01, 0x0d, 0xb8, //   2001:db8::1
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
    0x00, 0x17, 0x00, 0x10, // OPTION_DNS_SERVERS again, length 16
    0x20, 0x01, 0x0d, 0xb8, //   2001:db8::2
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02,
    0x00, 0x11, 0x00, 0x04, // OPTION_VENDOR_OPTS, length 4
    0x00, 0x00, 0x00, 0x01, //   enterprise 1
    0x00, 0x11, 0x00, 0x04, // OPTION_VENDOR_OPTS, length 4
    0x00, 0x00, 0x00, 0x02, //   enterprise 2
];

/// C-009: two instances of one option code decode as two values, in wire
/// order, and are emitted as two options, never concatenated.
#[test]
fn c009_repeated_options_stay_separate() {
    let expected = MessageRepr {
        msg_type: MessageType::Confirm,
        transaction_id: 9,
        options: vec![
            OptionRepr::Addresses {
                code: OptionCode::DnsServers,
                addrs: vec![ip("2001:db8::1")],
            },
            OptionRepr::Addresses {
                code: OptionCode::DnsServers,
                addrs: vec![ip("2001:db8::2")],
            },
            OptionRepr::VendorOpts {
                enterprise: 1,
                options: vec![],
            },
            OptionRepr::VendorOpts {
                enterprise: 2,
                options: vec![],
            },
        ],
    };
    msg_both_ways(TWICE, &expected);
}

/// Every variant of OptionRepr has at least one golden vector in this file.
#[test]
fn every_variant_has_a_vector() {
    let mut vectors: Vec<Vec<u8>> = [
        CLIENTID_EN,
        SERVERID_UUID,
        RELAYID,
        IA_NA,
        IA_TA,
        IA_PD,
        IAADDR,
        IAPREFIX,
        UNICAST,
        LINK_ADDRESS,
        ORO,
        ERO,
        CLIENT_ARCH,
        RELAY_MSG,
        INTERFACE_ID,
        SUBSCRIBER_ID,
        DHCPV4_MSG,
        POSIX_TZ,
        CLIENT_LINKLAYER,
        REMOTE_ID,
        STATUS_CODE,
        AUTH_DELAYED,
        AUTH_OTHER,
        USER_CLASS,
        BOOTFILE_PARAM,
        VENDOR_CLASS,
        VENDOR_OPTS,
        FQDN_PARTIAL,
        FQDN_EMPTY,
        NTP_SERVER_OK,
        PD_EXCLUDE,
        UNKNOWN,
        GEOCONF,
    ]
    .iter()
    .map(|v| v.to_vec())
    .collect();
    vectors.extend(FIXED.iter().map(|(v, _)| v.to_vec()));
    vectors.push([&23u16.to_be_bytes()[..], ADDRESS_LIST_BODY].concat());
    vectors.push([&24u16.to_be_bytes()[..], NAME_LIST_BODY].concat());
    let seen: BTreeSet<&str> = vectors
        .iter()
        .map(|v| variant(&parse_one(v).unwrap()))
        .collect();
    let missing: Vec<_> = ALL_VARIANTS.iter().filter(|v| !seen.contains(*v)).collect();
    assert!(missing.is_empty(), "variants without a vector: {missing:?}");
    assert_eq!(seen.len(), ALL_VARIANTS.len());
}

#[rustfmt::skip]
const ELAPSED_SATURATED: &[u8] = &[
    0x00, 0x08, 0x00, 0x02, // OPTION_ELAPSED_TIME, length 2
    0xff, 0xff,             //   0xffff: 655.35 s or more
];

/// C-011 (the Elapsed Time value is hundredths of a second, saturating at
/// 0xffff, as emitted), C-014 (DUID-LLT time counts from 2000-01-01 modulo
/// 2^32: the client DUID of every vector), C-015 (DUID-UUID is 18 octets).
#[test]
fn c011_c014_c015_generated_values_on_the_wire() {
    use libdhcp6::timing::elapsed_time_value;
    use std::time::Duration;
    let v = elapsed_time_value(Duration::from_millis(1_230));
    opt_both_ways(
        &[0x00, 0x08, 0x00, 0x02, 0x00, 0x7b],
        &OptionRepr::ElapsedTime(v),
    );
    let v = elapsed_time_value(Duration::from_secs(656));
    opt_both_ways(ELAPSED_SATURATED, &OptionRepr::ElapsedTime(v));
    let llt = Duid::new_llt(
        1,
        946_684_800 + 0x2a6b_3c1e,
        &[0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
    );
    assert_eq!(llt.unwrap(), client_duid());
    let wrapped = Duid::new_llt(
        1,
        946_684_800 + (1 << 32) + 5,
        &[0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
    );
    assert_eq!(&wrapped.unwrap().as_bytes()[4..8], &[0, 0, 0, 5]);
    assert_eq!(
        parse_one(SERVERID_UUID).unwrap(),
        OptionRepr::ServerId(Duid::new_uuid(SERVERID_UUID[6..].try_into().unwrap()))
    );
    assert_eq!(SERVERID_UUID.len() - 4, 18);
}
