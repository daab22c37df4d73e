//! The server's rules, checked without sockets: each test feeds datagrams to
//! `Server::server6_recv` and reads the answer. Test names carry the
//! checklist IDs (doc/conformance.md) they cover.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::{Ipv6Addr, SocketAddrV6};
use std::sync::Arc;

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::config::server_from_str;
use libdhcp6::duid::Duid;
use libdhcp6::lease::{BindingKey, IaKind, LeaseStore, MemStore};
use libdhcp6::wire::{
    decapsulate, IaAddr, IaNa, IaPd, IaPrefix, IaTa, MessageRepr, OptionRepr, RelayRepr,
    StatusCode, INFINITY,
};
use libdhcp6::Prefix6;

use crate::answer::Incoming;
use crate::scope::Served;
use crate::server::{DropReason, Server};

mod stats;
mod store;

const CONF: &str = "\
option domain-name-servers 2001:db8:ffff::53;
option domain-name \"example.net\";
pool p1 { range 2001:db8:1::100 to 2001:db8:1::1ff; };
pool tiny { range 2001:db8:2::1 to 2001:db8:2::2; };
pool temp { range 2001:db8:1::8000 to 2001:db8:1::80ff; };
prefix-pool pd1 { prefix 2001:db8:100::/40 delegate 56; };
interface s0 { address-pool p1 1000 2000; prefix-pool pd1 3000 4000; ta-pool temp 300 600; };
link small { link-address 2001:db8:2::/64; address-pool tiny 100 200; allow rapid-commit; preference 7; };
link by-id { interface-id \"port-9\"; address-pool p1 50 60; option domain-name-servers 2001:db8:9::53; };
host known { duid 00:03:00:01:02:00:00:00:00:99; address 2001:db8:1::99 infinity infinity; prefix 2001:db8:200::/48 5000 6000; };
";

const IFINDEX: u32 = 2;

fn server(conf: &str) -> Server<MemStore> {
    server_with(conf, MemStore::new())
}

/// A server for `conf` with its bindings in `store`.
fn server_with<S: LeaseStore>(conf: &str, store: S) -> Server<S> {
    let cfg = server_from_str("test.conf", conf).unwrap().config;
    let served = vec![Served {
        name: "s0".into(),
        ifindex: IFINDEX,
        onlink: vec![Prefix6 {
            addr: "2001:db8:1::1".parse().unwrap(),
            len: 64,
        }],
    }];
    Server::new(Arc::new(cfg), server_duid(), store, served)
}

fn server_duid() -> Duid {
    Duid::from_text("00:01:00:01:00:00:00:01:02:00:00:00:00:fe").unwrap()
}

fn client(n: u8) -> Duid {
    Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, n]).unwrap()
}

fn msg(t: MessageType, xid: u32, opts: Vec<OptionRepr>) -> MessageRepr {
    MessageRepr {
        msg_type: t,
        transaction_id: xid,
        options: opts,
    }
}

fn ia_na(iaid: u32, addrs: &[&str]) -> OptionRepr {
    OptionRepr::IaNa(IaNa {
        iaid,
        t1: 0,
        t2: 0,
        options: addrs
            .iter()
            .map(|a| {
                OptionRepr::IaAddr(IaAddr {
                    addr: a.parse().unwrap(),
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    options: vec![],
                })
            })
            .collect(),
    })
}

fn ia_pd(iaid: u32, prefixes: &[(&str, u8)]) -> OptionRepr {
    OptionRepr::IaPd(IaPd {
        iaid,
        t1: 0,
        t2: 0,
        options: prefixes
            .iter()
            .map(|(p, l)| {
                OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    prefix_len: *l,
                    prefix: p.parse().unwrap(),
                    options: vec![],
                })
            })
            .collect(),
    })
}

const CLIENT_LL: &str = "fe80::ff:fe00:1";

fn direct(pkt: &[u8], multicast: bool) -> Incoming<'_> {
    Incoming {
        pkt,
        src: SocketAddrV6::new(CLIENT_LL.parse().unwrap(), 546, 0, IFINDEX),
        dst: if multicast {
            "ff02::1:2".parse().unwrap()
        } else {
            "2001:db8:1::1".parse().unwrap()
        },
        ifindex: IFINDEX,
    }
}

/// Sends `m` by multicast from a directly connected client; the answer.
fn ask<S: LeaseStore>(s: &mut Server<S>, m: &MessageRepr) -> Result<MessageRepr, DropReason> {
    ask_at(s, m, 1000)
}

fn ask_at<S: LeaseStore>(
    s: &mut Server<S>,
    m: &MessageRepr,
    now: u64,
) -> Result<MessageRepr, DropReason> {
    let bytes = m.to_vec().unwrap();
    let mut out = vec![0u8; 65535];
    let o = s.server6_recv(&direct(&bytes, true), now, &mut out)?;
    assert_eq!(o.dst.port(), 546, "C-046: to the client's port 546");
    assert_eq!(
        *o.dst.ip(),
        CLIENT_LL.parse::<Ipv6Addr>().unwrap(),
        "C-046: to its source address"
    );
    Ok(MessageRepr::from_bytes(&out[..o.len]).unwrap())
}

fn status(m: &MessageRepr) -> Option<Status> {
    m.options.iter().find_map(|o| match o {
        OptionRepr::StatusCode(s) => Some(s.status),
        _ => None,
    })
}

fn ia_nas(m: &MessageRepr) -> Vec<&IaNa> {
    m.options
        .iter()
        .filter_map(|o| {
            if let OptionRepr::IaNa(i) = o {
                Some(i)
            } else {
                None
            }
        })
        .collect()
}

fn ia_pds(m: &MessageRepr) -> Vec<&IaPd> {
    m.options
        .iter()
        .filter_map(|o| {
            if let OptionRepr::IaPd(i) = o {
                Some(i)
            } else {
                None
            }
        })
        .collect()
}

fn solicit(c: u8, extra: Vec<OptionRepr>) -> MessageRepr {
    let mut o = vec![OptionRepr::ClientId(client(c)), OptionRepr::ElapsedTime(0)];
    o.extend(extra);
    msg(MessageType::Solicit, 0x10 + u32::from(c), o)
}

fn with_server(c: u8, t: MessageType, extra: Vec<OptionRepr>) -> MessageRepr {
    let mut o = vec![
        OptionRepr::ClientId(client(c)),
        OptionRepr::ServerId(server_duid()),
    ];
    o.extend(extra);
    msg(t, 0x20 + u32::from(c), o)
}

fn first_addr(m: &MessageRepr) -> Ipv6Addr {
    ia_nas(m)[0].addresses().next().unwrap().addr
}

/// Full Solicit/Request exchange; the Reply.
fn lease<S: LeaseStore>(s: &mut Server<S>, c: u8, ias: Vec<OptionRepr>) -> MessageRepr {
    let adv = ask(s, &solicit(c, ias.clone())).unwrap();
    assert_eq!(adv.msg_type, MessageType::Advertise);
    ask(s, &with_server(c, MessageType::Request, ias)).unwrap()
}

#[test]
fn c029_c030_solicit_identifier_checks() {
    let mut s = server(CONF);
    let no_client = msg(MessageType::Solicit, 1, vec![OptionRepr::ElapsedTime(0)]);
    assert_eq!(ask(&mut s, &no_client), Err(DropReason::NoClientId));
    let with_sid = solicit(1, vec![OptionRepr::ServerId(server_duid())]);
    assert_eq!(ask(&mut s, &with_sid), Err(DropReason::UnexpectedServerId));
}

#[test]
fn c031_c032_c033_c034_request_renew_release_decline_identifier_checks() {
    let mut s = server(CONF);
    let other = Duid::from_text("00:01:00:01:00:00:00:01:02:00:00:00:00:aa").unwrap();
    for t in [
        MessageType::Request,
        MessageType::Renew,
        MessageType::Release,
        MessageType::Decline,
    ] {
        let no_sid = msg(t, 1, vec![OptionRepr::ClientId(client(1)), ia_na(1, &[])]);
        assert_eq!(ask(&mut s, &no_sid), Err(DropReason::NotOurServerId), "{t}");
        let wrong = msg(
            t,
            1,
            vec![
                OptionRepr::ClientId(client(1)),
                OptionRepr::ServerId(other.clone()),
            ],
        );
        assert_eq!(ask(&mut s, &wrong), Err(DropReason::NotOurServerId), "{t}");
        let no_cid = msg(t, 1, vec![OptionRepr::ServerId(server_duid())]);
        assert_eq!(ask(&mut s, &no_cid), Err(DropReason::NoClientId), "{t}");
    }
}

#[test]
fn c035_confirm_rebind_identifier_checks() {
    let mut s = server(CONF);
    for t in [MessageType::Confirm, MessageType::Rebind] {
        let sid = msg(
            t,
            1,
            vec![
                OptionRepr::ClientId(client(1)),
                OptionRepr::ServerId(server_duid()),
            ],
        );
        assert_eq!(
            ask(&mut s, &sid),
            Err(DropReason::UnexpectedServerId),
            "{t}"
        );
        let no_cid = msg(t, 1, vec![ia_na(1, &["2001:db8:1::100"])]);
        assert_eq!(ask(&mut s, &no_cid), Err(DropReason::NoClientId), "{t}");
    }
}

#[test]
fn c036_c037_c038_information_request() {
    let mut s = server(CONF);
    let with_ia = msg(MessageType::InformationRequest, 1, vec![ia_na(1, &[])]);
    assert_eq!(
        ask(&mut s, &with_ia),
        Err(DropReason::IaInInformationRequest)
    );
    let other = Duid::from_text("00:01:00:01:00:00:00:01:02:00:00:00:00:aa").unwrap();
    let wrong_sid = msg(
        MessageType::InformationRequest,
        1,
        vec![OptionRepr::ServerId(other)],
    );
    assert_eq!(ask(&mut s, &wrong_sid), Err(DropReason::NotOurServerId));
    let anon = msg(
        MessageType::InformationRequest,
        7,
        vec![OptionRepr::ElapsedTime(0)],
    );
    let r = ask(&mut s, &anon).unwrap();
    assert_eq!(r.msg_type, MessageType::Reply);
    assert!(r.client_id().is_none(), "C-038: no Client ID invented");
    assert!(r.options.iter().any(|o| matches!(
        o,
        OptionRepr::Addresses {
            code: OptionCode::DnsServers,
            ..
        }
    )));
}

#[test]
fn c039_c040_unexpected_types_dropped() {
    let mut s = server(CONF);
    for t in [2u8, 7, 10, 13, 14, 20, 99, 200] {
        let m = msg(
            MessageType::from(t),
            1,
            vec![OptionRepr::ClientId(client(1))],
        );
        let bytes = if t == 13 {
            RelayRepr {
                msg_type: MessageType::RelayRepl,
                hop_count: 0,
                link_address: Ipv6Addr::UNSPECIFIED,
                peer_address: Ipv6Addr::UNSPECIFIED,
                options: vec![OptionRepr::RelayMsg(solicit(1, vec![]).to_vec().unwrap())],
            }
            .to_vec()
            .unwrap()
        } else {
            m.to_vec().unwrap()
        };
        let mut out = vec![0u8; 1500];
        assert_eq!(
            s.server6_recv(&direct(&bytes, true), 0, &mut out),
            Err(DropReason::UnexpectedType),
            "type {t}"
        );
    }
}

#[test]
fn c041_c042_unicast_policy() {
    let mut s = server(CONF);
    let mut out = vec![0u8; 1500];
    for m in [
        solicit(1, vec![ia_na(1, &[])]),
        msg(
            MessageType::Confirm,
            1,
            vec![
                OptionRepr::ClientId(client(1)),
                ia_na(1, &["2001:db8:1::100"]),
            ],
        ),
        msg(
            MessageType::Rebind,
            1,
            vec![OptionRepr::ClientId(client(1)), ia_na(1, &[])],
        ),
        msg(MessageType::InformationRequest, 1, vec![]),
    ] {
        let b = m.to_vec().unwrap();
        assert_eq!(
            s.server6_recv(&direct(&b, false), 0, &mut out),
            Err(DropReason::Unicast),
            "{}",
            m.msg_type
        );
    }
    let req = with_server(1, MessageType::Request, vec![ia_na(1, &[])])
        .to_vec()
        .unwrap();
    let o = s.server6_recv(&direct(&req, false), 0, &mut out).unwrap();
    let r = MessageRepr::from_bytes(&out[..o.len]).unwrap();
    assert_eq!(status(&r), Some(Status::UseMulticast));
    assert!(
        ia_nas(&r).is_empty(),
        "only UseMulticast, Server ID and Client ID"
    );
    assert_eq!(r.options.len(), 3);
}

#[test]
fn c043_c044_c045_c047_identifiers_and_advertise() {
    let mut s = server(CONF);
    let odd_duid = Duid::from_bytes(&[0xab, 0xcd, 1, 2, 3, 4, 5]).unwrap();
    let m = msg(
        MessageType::Solicit,
        0xabcdef,
        vec![OptionRepr::ClientId(odd_duid.clone()), ia_na(1, &[])],
    );
    let r = ask(&mut s, &m).unwrap();
    assert_eq!(r.msg_type, MessageType::Advertise, "C-047");
    assert_eq!(r.transaction_id, 0xabcdef, "C-045");
    assert_eq!(r.client_id(), Some(&odd_duid), "C-044");
    let sids: Vec<_> = r
        .options
        .iter()
        .filter(|o| matches!(o, OptionRepr::ServerId(_)))
        .collect();
    assert_eq!(sids, vec![&OptionRepr::ServerId(server_duid())], "C-043");
}

#[test]
fn c048_c049_rapid_commit() {
    // Rapid commit allowed on the "small" link only.
    let mut s = server(CONF);
    let rc = solicit(1, vec![OptionRepr::RapidCommit, ia_na(1, &[])]);
    let r = ask(&mut s, &rc).unwrap();
    assert_eq!(
        r.msg_type,
        MessageType::Advertise,
        "C-049: not enabled on s0"
    );
    assert!(r.option(OptionCode::RapidCommit).is_none());
    let r = relayed(&mut s, &rc, "2001:db8:2::1", None).unwrap();
    assert_eq!(r.msg_type, MessageType::Reply, "C-048");
    assert!(r.option(OptionCode::RapidCommit).is_some());
    let key = BindingKey {
        duid: client(1),
        kind: IaKind::Na,
        iaid: 1,
    };
    assert!(s.store.binding(&key).is_some(), "C-048: committed");
}

#[test]
fn c050_c051_unservable_ias_carry_status_inside() {
    let mut s = server("pool p { range 2001:db8:1::1 to 2001:db8:1::1; };\ninterface s0 { address-pool p 100 200; };\n");
    lease(&mut s, 1, vec![ia_na(1, &[])]);
    let r = ask(&mut s, &solicit(2, vec![ia_na(1, &[]), ia_pd(2, &[])])).unwrap();
    let na = ia_nas(&r)[0];
    assert_eq!(
        na.status().map(|s| s.status),
        Some(Status::NoAddrsAvail),
        "C-050"
    );
    assert_eq!(na.addresses().count(), 0);
    assert_eq!(status(&r), None, "C-050: no top-level NoAddrsAvail");
    let pd = ia_pds(&r)[0];
    assert_eq!(
        pd.status().map(|s| s.status),
        Some(Status::NoPrefixAvail),
        "C-051"
    );
    assert_eq!(pd.prefixes().count(), 0);
}

#[test]
fn c052_no_preference_unless_configured() {
    let mut s = server(CONF);
    let r = ask(&mut s, &solicit(1, vec![ia_na(1, &[])])).unwrap();
    assert!(r.option(OptionCode::Preference).is_none());
    let r = relayed(
        &mut s,
        &solicit(1, vec![ia_na(1, &[])]),
        "2001:db8:2::1",
        None,
    )
    .unwrap();
    assert_eq!(
        r.option(OptionCode::Preference),
        Some(&OptionRepr::Preference(7))
    );
}

#[test]
fn c053_hints_not_assigned_never_appear() {
    let mut s = server(CONF);
    let r = ask(
        &mut s,
        &solicit(
            1,
            vec![
                ia_na(1, &["2001:db8:9999::1"]),
                ia_pd(2, &[("2001:db8:7700::", 56)]),
            ],
        ),
    )
    .unwrap();
    let a = first_addr(&r);
    assert_ne!(a, "2001:db8:9999::1".parse::<Ipv6Addr>().unwrap());
    assert!(ia_pds(&r)[0]
        .prefixes()
        .all(|p| p.prefix != "2001:db8:7700::".parse::<Ipv6Addr>().unwrap()));
    // A hint that can be had is honoured.
    let r = ask(&mut s, &solicit(2, vec![ia_na(1, &["2001:db8:1::1f0"])])).unwrap();
    assert_eq!(
        first_addr(&r),
        "2001:db8:1::1f0".parse::<Ipv6Addr>().unwrap()
    );
}

#[test]
fn c054_configured_options_returned() {
    let mut s = server(CONF);
    let r = ask(
        &mut s,
        &solicit(
            1,
            vec![
                OptionRepr::Oro(vec![OptionCode::DnsServers, OptionCode::ClientId]),
                ia_na(1, &[]),
            ],
        ),
    )
    .unwrap();
    assert!(r.options.iter().any(|o| matches!(
        o,
        OptionRepr::Addresses {
            code: OptionCode::DnsServers,
            ..
        }
    )));
    assert!(r.options.iter().any(|o| matches!(
        o,
        OptionRepr::Domains {
            code: OptionCode::DomainList,
            ..
        }
    )));
    assert_eq!(
        r.options
            .iter()
            .filter(|o| matches!(o, OptionRepr::ClientId(_)))
            .count(),
        1,
        "forbidden ORO codes ignored"
    );
}

#[test]
fn c055_request_off_link_gets_not_on_link() {
    let mut s = server(CONF);
    let r = ask(
        &mut s,
        &with_server(1, MessageType::Request, vec![ia_na(1, &["2001:db8:77::1"])]),
    )
    .unwrap();
    assert_eq!(
        ia_nas(&r)[0].status().map(|s| s.status),
        Some(Status::NotOnLink)
    );
}

#[test]
fn c056_c057_c058_c059_c060_timers() {
    let mut s = server(CONF);
    let mut na = ia_na(1, &[]);
    if let OptionRepr::IaNa(i) = &mut na {
        i.t1 = 77;
        i.t2 = 5;
    }
    let r = lease(&mut s, 1, vec![na, ia_pd(2, &[])]);
    let (n, p) = (ia_nas(&r)[0], ia_pds(&r)[0]);
    assert_eq!((n.t1, n.t2), (p.t1, p.t2), "C-056");
    assert_eq!(
        (n.t1, n.t2),
        (500, 800),
        "C-057: 0.5 and 0.8 of 1000; C-060: client values ignored"
    );
    assert!(n.t1 <= n.t2, "C-059");
    // The known host has an infinite address: infinite timers (C-058).
    let key = Duid::from_text("00:03:00:01:02:00:00:00:00:99").unwrap();
    let m = msg(
        MessageType::Request,
        5,
        vec![
            OptionRepr::ClientId(key),
            OptionRepr::ServerId(server_duid()),
            ia_na(1, &[]),
        ],
    );
    let r = ask(&mut s, &m).unwrap();
    assert_eq!((ia_nas(&r)[0].t1, ia_nas(&r)[0].t2), (INFINITY, INFINITY));
    assert_eq!(
        first_addr(&r),
        "2001:db8:1::99".parse::<Ipv6Addr>().unwrap()
    );
}

#[test]
fn c061_c062_request_again_same_leases() {
    let mut s = server(CONF);
    let r1 = lease(&mut s, 1, vec![ia_na(1, &[]), ia_pd(2, &[])]);
    let r2 = ask_at(
        &mut s,
        &with_server(1, MessageType::Request, vec![ia_na(1, &[]), ia_pd(2, &[])]),
        1500,
    )
    .unwrap();
    assert_eq!(first_addr(&r1), first_addr(&r2), "C-061");
    assert_eq!(
        ia_pds(&r1)[0].prefixes().next().unwrap().prefix,
        ia_pds(&r2)[0].prefixes().next().unwrap().prefix
    );
    let key = BindingKey {
        duid: client(1),
        kind: IaKind::Na,
        iaid: 1,
    };
    assert_eq!(
        s.store.binding(&key).unwrap().leases[0].updated,
        1500,
        "C-062: rebuilt at the new time"
    );
}

#[test]
fn c063_c064_c065_confirm() {
    let mut s = server(CONF);
    let confirm = |addrs: &[&str]| {
        msg(
            MessageType::Confirm,
            9,
            vec![OptionRepr::ClientId(client(1)), ia_na(1, addrs)],
        )
    };
    assert_eq!(
        status(&ask(&mut s, &confirm(&["2001:db8:1::123"])).unwrap()),
        Some(Status::Success),
        "C-063"
    );
    assert_eq!(
        status(&ask(&mut s, &confirm(&["2001:db8:1::123", "2001:db8:99::1"])).unwrap()),
        Some(Status::NotOnLink),
        "C-064"
    );
    assert_eq!(
        ask(&mut s, &confirm(&[])),
        Err(DropReason::NothingToSay),
        "C-065"
    );
    let mut bare = server("option domain-name-servers 2001:db8::53;\n");
    let mut served = bare.served.to_vec();
    served[0].onlink.clear();
    bare.served = served.into();
    assert_eq!(
        ask(&mut bare, &confirm(&["2001:db8:1::123"])),
        Err(DropReason::NothingToSay),
        "C-065: no link knowledge"
    );
}

#[test]
fn c066_c067_c068_renew() {
    let mut s = server(CONF);
    let r = lease(&mut s, 1, vec![ia_na(1, &[])]);
    let a = first_addr(&r).to_string();
    let renew = with_server(
        1,
        MessageType::Renew,
        vec![ia_na(1, &[&a, "2001:db8:1::1ff"]), ia_na(2, &[])],
    );
    let r = ask_at(&mut s, &renew, 2000).unwrap();
    let nas = ia_nas(&r);
    let got: Vec<_> = nas[0]
        .addresses()
        .map(|x| (x.addr.to_string(), x.preferred_lifetime, x.valid_lifetime))
        .collect();
    assert!(got.contains(&(a.clone(), 1000, 2000)), "C-066: {got:?}");
    assert!(
        got.contains(&("2001:db8:1::1ff".into(), 0, 0)),
        "C-067: not the client's: {got:?}"
    );
    assert_eq!(
        nas[1].status().map(|s| s.status),
        Some(Status::NoBinding),
        "C-068"
    );
    assert_eq!((nas[0].t1, nas[0].t2), (500, 800));
}

#[test]
fn c069_c070_rebind() {
    let mut s = server(CONF);
    let rebind = |c: u8, addrs: &[&str]| {
        msg(
            MessageType::Rebind,
            3,
            vec![OptionRepr::ClientId(client(c)), ia_na(1, addrs)],
        )
    };
    // Unknown binding, address fine for the link, no rapid commit: nothing to say.
    assert_eq!(
        ask(&mut s, &rebind(1, &["2001:db8:1::150"])),
        Err(DropReason::NothingToSay),
        "C-069"
    );
    // Off-link: lifetimes 0.
    let r = ask(&mut s, &rebind(1, &["2001:db8:99::1"])).unwrap();
    let x = ia_nas(&r)[0].addresses().next().unwrap().clone();
    assert_eq!((x.preferred_lifetime, x.valid_lifetime), (0, 0), "C-069");
    // Known binding: extended.
    let r = lease(&mut s, 2, vec![ia_na(1, &[])]);
    let a = first_addr(&r).to_string();
    let r = ask(&mut s, &rebind(2, &[&a])).unwrap();
    assert_eq!(
        ia_nas(&r)[0].addresses().next().unwrap().valid_lifetime,
        2000
    );
    // C-070: a rapid-commit link creates the binding from a Rebind.
    let r = relayed(
        &mut s,
        &rebind(3, &["2001:db8:2::1"]),
        "2001:db8:2::1",
        None,
    )
    .unwrap();
    assert_eq!(
        ia_nas(&r)[0].addresses().next().unwrap().addr,
        "2001:db8:2::1".parse::<Ipv6Addr>().unwrap()
    );
}

#[test]
fn c071_c072_release_frees() {
    let mut s = server("pool p { range 2001:db8:1::1 to 2001:db8:1::1; };\ninterface s0 { address-pool p 100 200; };\n");
    let r = lease(&mut s, 1, vec![ia_na(1, &[])]);
    let a = first_addr(&r).to_string();
    let rel = with_server(
        1,
        MessageType::Release,
        vec![ia_na(1, &[&a]), ia_na(5, &[])],
    );
    let r = ask(&mut s, &rel).unwrap();
    assert_eq!(status(&r), Some(Status::Success), "C-071");
    let unknown = ia_nas(&r);
    assert_eq!(unknown.len(), 1);
    assert_eq!(
        (unknown[0].iaid, unknown[0].status().map(|s| s.status)),
        (5, Some(Status::NoBinding))
    );
    assert_eq!(unknown[0].options.len(), 1, "NoBinding and nothing else");
    // C-072: the single address goes to someone else now.
    let r = lease(&mut s, 2, vec![ia_na(1, &[])]);
    assert_eq!(first_addr(&r).to_string(), a);
}

#[test]
fn c073_decline_quarantines() {
    let mut s = server("pool p { range 2001:db8:1::1 to 2001:db8:1::2; };\ninterface s0 { address-pool p 100 200; };\n");
    let r = lease(&mut s, 1, vec![ia_na(1, &[])]);
    let bad = first_addr(&r);
    let r = ask(
        &mut s,
        &with_server(1, MessageType::Decline, vec![ia_na(1, &[&bad.to_string()])]),
    )
    .unwrap();
    assert_eq!(status(&r), Some(Status::Success));
    for c in 2..6 {
        let r = ask(&mut s, &solicit(c, vec![ia_na(1, &[])])).unwrap();
        let offered: Vec<Ipv6Addr> = ia_nas(&r)[0].addresses().map(|a| a.addr).collect();
        assert!(
            !offered.contains(&bad),
            "C-073: declined address offered again"
        );
    }
    // After the quarantine it comes back.
    s.expire(1000 + u64::from(s.quarantine), usize::MAX);
    let mut seen = false;
    for c in 10..20 {
        let r = lease(&mut s, c, vec![ia_na(1, &[])]);
        seen |= ia_nas(&r)[0].addresses().any(|a| a.addr == bad);
    }
    assert!(seen);
}

#[test]
fn c074_refresh_time() {
    let mut s = server(CONF);
    let m = msg(
        MessageType::InformationRequest,
        1,
        vec![OptionRepr::Oro(vec![OptionCode::InformationRefreshTime])],
    );
    let r = ask(&mut s, &m).unwrap();
    let irt = r.options.iter().find_map(|o| {
        if let OptionRepr::InformationRefreshTime(t) = o {
            Some(*t)
        } else {
            None
        }
    });
    assert!(irt.is_some_and(|t| t >= 600), "{irt:?}");
    let mut s = server("option refreshtime 7200;\n");
    let r = ask(&mut s, &m).unwrap();
    assert!(r
        .options
        .contains(&OptionRepr::InformationRefreshTime(7200)));
}

/// A Relay-forward with `opts` around `inner` (a client message or
/// another Relay-forward).
fn relay_forw(
    hop_count: u8,
    link: &str,
    peer: &str,
    mut opts: Vec<OptionRepr>,
    inner: Vec<u8>,
) -> Vec<u8> {
    opts.push(OptionRepr::RelayMsg(inner));
    RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count,
        link_address: link.parse().unwrap(),
        peer_address: peer.parse().unwrap(),
        options: opts,
    }
    .to_vec()
    .unwrap()
}

/// Sends `m` wrapped in a Relay-forward from relay 2001:db8:ff::1 with
/// link-address `link` (and an Interface-ID); returns the inner answer.
fn relayed(
    s: &mut Server<MemStore>,
    m: &MessageRepr,
    link: &str,
    ifid: Option<&[u8]>,
) -> Result<MessageRepr, DropReason> {
    let opts = ifid
        .map(|id| OptionRepr::InterfaceId(id.to_vec()))
        .into_iter()
        .collect();
    let fwd = relay_forw(0, link, CLIENT_LL, opts, m.to_vec().unwrap());
    from_relay(s, &fwd)
}

/// Delivers Relay-forward `fwd` from relay 2001:db8:ff::1; the client
/// answer inside the Relay-reply, which goes back to the relay (C-076).
fn from_relay(s: &mut Server<MemStore>, fwd: &[u8]) -> Result<MessageRepr, DropReason> {
    let inc = Incoming {
        pkt: fwd,
        src: SocketAddrV6::new("2001:db8:ff::1".parse().unwrap(), 547, 0, 0),
        dst: "2001:db8:1::1".parse().unwrap(),
        ifindex: IFINDEX,
    };
    let mut out = vec![0u8; 65535];
    let o = s.server6_recv(&inc, 1000, &mut out)?;
    assert_eq!(o.dst.port(), 547, "C-076");
    assert_eq!(
        *o.dst.ip(),
        "2001:db8:ff::1".parse::<Ipv6Addr>().unwrap(),
        "C-076"
    );
    let reply = &out[..o.len];
    assert_eq!(reply[0], 13);
    let (_, inner) = decapsulate_reply(reply);
    Ok(MessageRepr::from_bytes(&inner).unwrap())
}

/// Unwraps a Relay-reply chain (decapsulate only walks Relay-forwards).
fn decapsulate_reply(m: &[u8]) -> (usize, Vec<u8>) {
    let mut m = m.to_vec();
    let mut levels = 0;
    while m.first() == Some(&13) {
        let inner = libdhcp6::wire::RelayMessage::new_checked(&m[..])
            .unwrap()
            .relay_msg()
            .unwrap()
            .to_vec();
        m = inner;
        levels += 1;
    }
    (levels, m)
}

#[test]
fn c075_c077_c078_relay_reply_echoes_each_level() {
    let mut s = server(CONF);
    // Two relay levels; the inner one has an Interface-ID, the outer a Relay Source Port.
    let inner = RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 0,
        link_address: "2001:db8:1::1".parse().unwrap(),
        peer_address: CLIENT_LL.parse().unwrap(),
        options: vec![
            OptionRepr::InterfaceId(b"eth7".to_vec()),
            OptionRepr::RelayMsg(solicit(1, vec![ia_na(1, &[])]).to_vec().unwrap()),
        ],
    };
    let outer = RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 1,
        link_address: Ipv6Addr::UNSPECIFIED,
        peer_address: "2001:db8:a::1".parse().unwrap(),
        options: vec![
            OptionRepr::RelayPort(0),
            OptionRepr::RelayMsg(inner.to_vec().unwrap()),
        ],
    };
    let fwd = outer.to_vec().unwrap();
    let inc = Incoming {
        pkt: &fwd,
        src: SocketAddrV6::new("2001:db8:ff::1".parse().unwrap(), 10547, 0, 0),
        dst: "2001:db8:1::1".parse().unwrap(),
        ifindex: IFINDEX,
    };
    let mut out = vec![0u8; 65535];
    let o = s.server6_recv(&inc, 0, &mut out).unwrap();
    assert_eq!(o.dst.port(), 10547, "C-078: the relay's own port");
    let rep = libdhcp6::wire::AnyMessage::from_bytes(&out[..o.len]).unwrap();
    let libdhcp6::wire::AnyMessage::Relay(r1) = rep else {
        panic!()
    };
    assert_eq!(
        (r1.hop_count, r1.link_address, r1.peer_address),
        (1, outer.link_address, outer.peer_address),
        "C-075"
    );
    assert!(r1.options.contains(&OptionRepr::RelayPort(0)), "C-078");
    let libdhcp6::wire::AnyMessage::Relay(r0) =
        libdhcp6::wire::AnyMessage::from_bytes(r1.relay_msg().unwrap()).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (r0.hop_count, r0.link_address, r0.peer_address),
        (0, inner.link_address, inner.peer_address),
        "C-075"
    );
    assert!(
        r0.options
            .contains(&OptionRepr::InterfaceId(b"eth7".to_vec())),
        "C-077"
    );
}

#[test]
fn c080_link_selection_innermost_nonzero() {
    let mut s = server(CONF);
    // Inner level link-address 2001:db8:2::1 (the "small" link), outer ::.
    let r = relayed(
        &mut s,
        &solicit(1, vec![ia_na(1, &[])]),
        "2001:db8:2::1",
        None,
    )
    .unwrap();
    let a = first_addr(&r);
    assert!(
        a == "2001:db8:2::1".parse::<Ipv6Addr>().unwrap()
            || a == "2001:db8:2::2".parse::<Ipv6Addr>().unwrap()
    );
    // Interface-ID selects the "by-id" link and its options.
    let r = relayed(
        &mut s,
        &solicit(2, vec![ia_na(1, &[])]),
        "::",
        Some(b"port-9"),
    )
    .unwrap();
    assert!(r.options.contains(&OptionRepr::Addresses {
        code: OptionCode::DnsServers,
        addrs: vec!["2001:db8:9::53".parse().unwrap()]
    }));
    assert_eq!(ia_nas(&r)[0].addresses().next().unwrap().valid_lifetime, 60);
}

#[test]
fn two_clients_never_share_and_pool_exhaustion() {
    let mut s = server("pool p { range 2001:db8:1::1 to 2001:db8:1::2; };\ninterface s0 { address-pool p 100 200; };\n");
    let a = first_addr(&lease(&mut s, 1, vec![ia_na(1, &[])]));
    let b = first_addr(&lease(&mut s, 2, vec![ia_na(1, &[])]));
    assert_ne!(a, b);
    let r = lease(&mut s, 3, vec![ia_na(1, &[])]);
    assert_eq!(
        ia_nas(&r)[0].status().map(|s| s.status),
        Some(Status::NoAddrsAvail)
    );
    // The third client asking for b by name does not get it either.
    let r = ask(
        &mut s,
        &with_server(3, MessageType::Request, vec![ia_na(1, &[&b.to_string()])]),
    )
    .unwrap();
    assert_eq!(
        ia_nas(&r)[0].status().map(|s| s.status),
        Some(Status::NoAddrsAvail)
    );
}

#[test]
fn advertise_reserves_nothing() {
    let mut s = server("pool p { range 2001:db8:1::1 to 2001:db8:1::1; };\ninterface s0 { address-pool p 100 200; };\n");
    for c in 0..200u8 {
        let r = ask(&mut s, &solicit(c, vec![ia_na(1, &[])])).unwrap();
        assert_eq!(
            ia_nas(&r)[0].addresses().count(),
            1,
            "a Solicit flood exhausts nothing"
        );
    }
    assert_eq!(s.store.bindings().count(), 0);
}

#[test]
fn bindings_expire_and_free_the_pool() {
    let mut s = server("pool p { range 2001:db8:1::1 to 2001:db8:1::1; };\ninterface s0 { address-pool p 100 200; };\n");
    lease(&mut s, 1, vec![ia_na(1, &[])]);
    assert_eq!(
        ia_nas(&lease(&mut s, 2, vec![ia_na(1, &[])]))[0]
            .status()
            .map(|s| s.status),
        Some(Status::NoAddrsAvail)
    );
    assert_eq!(s.expire(1000 + 199, usize::MAX), 0);
    assert_eq!(
        s.expire(1000 + 200, usize::MAX),
        1,
        "WIDE's never-expiring first binding is not ours"
    );
    assert!(
        first_addr(
            &ask_at(
                &mut s,
                &with_server(2, MessageType::Request, vec![ia_na(1, &[])]),
                1300
            )
            .unwrap()
        )
        .segments()[7]
            == 1
    );
}

#[test]
fn prefixes_from_pool_and_host_and_ta() {
    let mut s = server(CONF);
    let r = lease(&mut s, 1, vec![ia_pd(1, &[]), ia_pd(2, &[("::", 56)])]);
    let pds = ia_pds(&r);
    let p1 = pds[0].prefixes().next().unwrap();
    let p2 = pds[1].prefixes().next().unwrap();
    assert_eq!((p1.prefix_len, p2.prefix_len), (56, 56));
    assert_ne!(p1.prefix, p2.prefix, "two IAs, two prefixes");
    assert_eq!((p1.preferred_lifetime, p1.valid_lifetime), (3000, 4000));
    let known = Duid::from_text("00:03:00:01:02:00:00:00:00:99").unwrap();
    let m = msg(
        MessageType::Request,
        5,
        vec![
            OptionRepr::ClientId(known),
            OptionRepr::ServerId(server_duid()),
            ia_pd(1, &[]),
        ],
    );
    let r = ask(&mut s, &m).unwrap();
    let p = ia_pds(&r)[0].prefixes().next().unwrap().clone();
    assert_eq!(
        (p.prefix, p.prefix_len),
        ("2001:db8:200::".parse().unwrap(), 48)
    );
    // IA_TA from the ta-pool.
    let r = lease(
        &mut s,
        4,
        vec![OptionRepr::IaTa(IaTa {
            iaid: 3,
            options: vec![],
        })],
    );
    let ta = r
        .options
        .iter()
        .find_map(|o| {
            if let OptionRepr::IaTa(t) = o {
                Some(t)
            } else {
                None
            }
        })
        .unwrap();
    assert!(ta
        .options
        .iter()
        .any(|o| matches!(o, OptionRepr::IaAddr(a) if a.addr.segments()[7] >= 0x8000)));
}

#[test]
fn malformed_and_deep_relays_are_dropped() {
    let mut s = server(CONF);
    let mut out = vec![0u8; 65535];
    for bad in [
        &[][..],
        &[1, 0, 0][..],
        &[1, 0, 0, 1, 0, 1, 0xff, 0xff][..],
        &[12u8; 20][..],
    ] {
        assert_eq!(
            s.server6_recv(&direct(bad, true), 0, &mut out).err(),
            Some(DropReason::Malformed)
        );
    }
    let mut m = solicit(1, vec![]).to_vec().unwrap();
    for _ in 0..40 {
        m = RelayRepr {
            msg_type: MessageType::RelayForw,
            hop_count: 0,
            link_address: Ipv6Addr::UNSPECIFIED,
            peer_address: Ipv6Addr::UNSPECIFIED,
            options: vec![OptionRepr::RelayMsg(m)],
        }
        .to_vec()
        .unwrap();
    }
    assert_eq!(
        s.server6_recv(&direct(&m, true), 0, &mut out).err(),
        Some(DropReason::Malformed)
    );
    assert_eq!(s.counters.dropped(DropReason::Malformed), 5);
    let _ = StatusCode::new(Status::Success);
    let _ = decapsulate(&[]);
}

#[test]
fn c079_ero_options_echoed_verbatim() {
    let mut s = server(CONF);
    let fwd = RelayRepr {
        msg_type: MessageType::RelayForw,
        hop_count: 0,
        link_address: "2001:db8:1::1".parse().unwrap(),
        peer_address: CLIENT_LL.parse().unwrap(),
        options: vec![
            OptionRepr::Ero(vec![OptionCode::RemoteId, OptionCode::SubscriberId]),
            OptionRepr::RemoteId {
                enterprise: 9,
                id: b"olt-3/1".to_vec(),
            },
            OptionRepr::RelayMsg(solicit(1, vec![ia_na(1, &[])]).to_vec().unwrap()),
        ],
    }
    .to_vec()
    .unwrap();
    let inc = Incoming {
        pkt: &fwd,
        src: SocketAddrV6::new("2001:db8:ff::1".parse().unwrap(), 547, 0, 0),
        dst: "2001:db8:1::1".parse().unwrap(),
        ifindex: IFINDEX,
    };
    let mut out = vec![0u8; 65535];
    let o = s.server6_recv(&inc, 0, &mut out).unwrap();
    let libdhcp6::wire::AnyMessage::Relay(r) =
        libdhcp6::wire::AnyMessage::from_bytes(&out[..o.len]).unwrap()
    else {
        panic!()
    };
    assert!(
        r.options.contains(&OptionRepr::RemoteId {
            enterprise: 9,
            id: b"olt-3/1".to_vec()
        }),
        "echoed"
    );
    assert!(
        !r.options
            .iter()
            .any(|o| matches!(o, OptionRepr::SubscriberId(_))),
        "absent ones not invented"
    );
}

#[test]
fn c081_client_linklayer_outside_relay_forward_ignored() {
    let mut s = server(CONF);
    let with_clla = solicit(
        1,
        vec![
            OptionRepr::ClientLinklayerAddr {
                hw_type: 1,
                addr: vec![2, 0, 0, 0, 0, 1],
            },
            ia_na(1, &[]),
        ],
    );
    let plain = solicit(1, vec![ia_na(1, &[])]);
    let a = ask(&mut s, &with_clla).unwrap();
    let b = ask(&mut s, &plain).unwrap();
    assert_eq!(a, b, "option 79 from a client changes nothing");
    assert!(
        !a.options
            .iter()
            .any(|o| matches!(o, OptionRepr::ClientLinklayerAddr { .. })),
        "never returned"
    );
}

/// Not a test of behaviour: a rough in-process cost figure, printed with
/// `cargo test --release --bin dhcp6s -- --ignored --nocapture cost`.
#[test]
#[ignore]
fn cost_of_an_exchange() {
    let mut s = server(
        "option domain-name-servers 2001:db8::53;\npool big { range 2001:db8:1:: to 2001:db8:1::ffff:ffff; };\ninterface s0 { address-pool big 1000 2000; };\n",
    );
    let n = 200_000u32;
    let mut out = vec![0u8; 65535];
    // Built beforehand, so only the server's work is timed.
    let packets: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = (0..n)
        .map(|i| {
            let mut id = vec![0, 3, 0, 1];
            id.extend_from_slice(&i.to_be_bytes());
            let duid = Duid::from_bytes(&id).unwrap();
            let with = |t, server: bool| {
                let mut o = vec![OptionRepr::ClientId(duid.clone())];
                if server {
                    o.push(OptionRepr::ServerId(server_duid()));
                }
                o.extend([OptionRepr::ElapsedTime(0), ia_na(1, &[])]);
                msg(t, i & 0xffffff, o).to_vec().unwrap()
            };
            (
                with(MessageType::Solicit, false),
                with(MessageType::Request, true),
                with(MessageType::Renew, true),
            )
        })
        .collect();
    let t0 = std::time::Instant::now();
    for (sol, req, _) in &packets {
        s.server6_recv(&direct(sol, true), 1000, &mut out).unwrap();
        s.server6_recv(&direct(req, true), 1000, &mut out).unwrap();
    }
    let per = t0.elapsed() / n;
    let t0 = std::time::Instant::now();
    for (_, _, renew) in &packets {
        s.server6_recv(&direct(renew, true), 1100, &mut out)
            .unwrap();
    }
    let per_renew = t0.elapsed() / n;
    println!(
        "{per:?} per Solicit+Request exchange of a new client, {per_renew:?} per Renew, {} bindings",
        s.store.bindings().count()
    );
}

/// Not a test of speed: what a reload (SIGHUP) costs with a million
/// bindings, the pools rebuilt from every one of them and the leases
/// outside every pool counted, printed with `cargo test --release --bin
/// dhcp6s -- --ignored --nocapture reload_cost` (doc/overload.md "No
/// stalls"). It checks that the rebuilt pools hold every binding.
#[test]
#[ignore]
fn reload_cost_at_a_million_bindings() {
    const N: u32 = 1_000_000;
    let conf = "pool big { range 2001:db8:1:: to 2001:db8:1::ffff:ffff; };\ninterface s0 { address-pool big 1000 2000; };\nhost h1 { duid 00:03:00:01:02:00:00:00:00:99; address 2001:db8:1::99 infinity infinity; };\n";
    let mut store = MemStore::with_capacity(N as usize);
    for n in 0..N {
        let mut id = vec![0, 3, 0, 1];
        id.extend_from_slice(&n.to_be_bytes());
        store.apply(libdhcp6::lease::Change::Bind(libdhcp6::lease::Binding {
            key: BindingKey {
                duid: Duid::from_bytes(&id).unwrap(),
                kind: IaKind::Na,
                iaid: 1,
            },
            leases: smallvec::smallvec![libdhcp6::lease::BoundLease {
                res: libdhcp6::lease::Resource {
                    addr: Ipv6Addr::from(
                        0x2001_0db8_0001_0000_0000_0000_0010_0000_u128 + u128::from(n)
                    ),
                    len: 128,
                },
                preferred: 1000,
                valid: 2000,
                updated: 1000,
            }],
        }));
    }
    store.commit().unwrap();
    let mut s = server_with(conf, store);
    let cfg = Arc::new(server_from_str("test.conf", conf).unwrap().config);
    let t0 = std::time::Instant::now();
    s.reconfigure(cfg);
    let rebuilt = t0.elapsed();
    let t1 = std::time::Instant::now();
    let outside = s.leases_outside_pools();
    let counted = t1.elapsed();
    assert_eq!(outside, 0);
    assert_eq!(
        s.pools.summaries()[0].free,
        (1u128 << 32) - u128::from(N) - 1,
        "every binding and the host's address taken"
    );
    println!(
        "reload at {N} bindings: pools rebuilt in {rebuilt:?}, leases outside the pools counted in {counted:?}"
    );
}

/// 10,000 leases of one pool ending in the same second (a mass binding's
/// renewals stopped) end over several calls of at most N, and after each
/// the pool has free exactly what the store no longer holds.
#[test]
fn a_mass_expiry_frees_the_pool_a_chunk_at_a_time() {
    const N: usize = 1024;
    let a = |n: u32| libdhcp6::lease::Resource {
        addr: Ipv6Addr::from(0x2001_0db8_0001_0000_0000_0000_0001_0000_u128 + u128::from(n)),
        len: 128,
    };
    let mut store = MemStore::new();
    for n in 0..10_000 {
        store.apply(libdhcp6::lease::Change::Bind(libdhcp6::lease::Binding {
            key: BindingKey {
                duid: client(1),
                kind: IaKind::Na,
                iaid: n,
            },
            leases: smallvec::smallvec![libdhcp6::lease::BoundLease {
                res: a(n),
                preferred: 100,
                valid: 200,
                updated: 1000,
            }],
        }));
    }
    store.commit().unwrap();
    let mut s = server_with(
        "pool p { range 2001:db8:1::1:0 to 2001:db8:1::1:ffff; };\ninterface s0 { address-pool p 100 200; };\n",
        store,
    );
    let free = |s: &Server<MemStore>| s.pools.summaries()[0].free;
    assert_eq!(free(&s), 65_536 - 10_000);
    let mut total = 0;
    for call in 1.. {
        assert!(call < 100, "never done");
        let n = s.expire(1000 + 200, N);
        s.commit_turn().unwrap();
        assert!(n <= N);
        total += n;
        assert_eq!(free(&s), 65_536 - 10_000 + total as u128, "call {call}");
        for i in (0..10_000).step_by(97) {
            assert_eq!(
                s.pools.is_free_in("p", &a(i)),
                !s.store.is_leased(&a(i)),
                "{i} after call {call}"
            );
        }
        if n == 0 {
            break;
        }
    }
    assert_eq!(total, 10_000);
    assert_eq!(s.store.bindings().count(), 0);
}

#[test]
fn removed_pool_keeps_leases_until_they_expire() {
    let one = "pool p { range 2001:db8:1::1 to 2001:db8:1::1; };\ninterface s0 { address-pool p 100 200; };\n";
    let other = "pool q { range 2001:db8:1::10 to 2001:db8:1::10; };\ninterface s0 { address-pool q 100 200; };\n";
    let mut s = server(one);
    lease(&mut s, 1, vec![ia_na(1, &[])]);
    assert_eq!(s.leases_outside_pools(), 0);
    let reload = |conf: &str| Arc::new(server_from_str("test.conf", conf).unwrap().config);
    s.reconfigure(reload(other));
    let key = BindingKey {
        duid: client(1),
        kind: IaKind::Na,
        iaid: 1,
    };
    assert!(s.store.binding(&key).is_some(), "kept after its pool went");
    assert_eq!(s.leases_outside_pools(), 1);
    // The pool comes back while the lease lives: the address is still taken.
    s.reconfigure(reload(one));
    assert_eq!(
        ia_nas(&lease(&mut s, 2, vec![ia_na(1, &[])]))[0]
            .status()
            .map(|s| s.status),
        Some(Status::NoAddrsAvail)
    );
    s.reconfigure(reload(other));
    assert_eq!(s.expire(1000 + 200, usize::MAX), 1, "and it ends on time");
    assert_eq!(s.leases_outside_pools(), 0);
}

/// The journal as the server's store: bindings and pool state survive a
/// restart (the file is replayed into a new server).
#[test]
fn journal_store_survives_restart() {
    use libdhcp6::sys::journal::{JournalStore, Opened};
    let dir = std::env::temp_dir().join(format!("kame6-dhcp6s-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("leases");
    let conf = "pool p { range 2001:db8:1::1 to 2001:db8:1::3; };\ninterface s0 { address-pool p 100 200; };\n";
    let make = |store: JournalStore| {
        let cfg = server_from_str("test.conf", conf).unwrap().config;
        let served = vec![Served {
            name: "s0".into(),
            ifindex: IFINDEX,
            onlink: vec![Prefix6 {
                addr: "2001:db8:1::1".parse().unwrap(),
                len: 64,
            }],
        }];
        Server::new(Arc::new(cfg), server_duid(), store, served)
    };
    let Opened { store, .. } = JournalStore::open(&path, 1000).unwrap();
    let mut s = make(store);
    let a1 = first_addr(&lease(&mut s, 1, vec![ia_na(1, &[])]));
    let a2 = first_addr(&lease(&mut s, 2, vec![ia_na(1, &[])]));
    s.store.commit().unwrap();
    drop(s);
    let Opened { store, report } = JournalStore::open(&path, 1010).unwrap();
    assert_eq!(report.damage, None);
    let mut s = make(store);
    let a3 = first_addr(&lease(&mut s, 3, vec![ia_na(1, &[])]));
    assert!(a3 != a1 && a3 != a2, "the allocator skips replayed leases");
    assert_eq!(
        ia_nas(&lease(&mut s, 4, vec![ia_na(1, &[])]))[0]
            .status()
            .map(|s| s.status),
        Some(Status::NoAddrsAvail)
    );
    let renewed = ask(
        &mut s,
        &with_server(1, MessageType::Renew, vec![ia_na(1, &[&a1.to_string()])]),
    )
    .unwrap();
    assert_eq!(first_addr(&renewed), a1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Counts heap allocations made by the current thread, so a test can
/// check that answering allocates nothing (tests run in parallel threads).
mod alloc_count {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub struct Counting;

    thread_local! {
        static COUNT: Cell<u64> = const { Cell::new(0) };
    }

    /// Octets live on the heap, all threads (for the memory figures of
    /// `lean::lean_at_a_million`).
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    /// The most `LIVE` reached since the last [`reset_peak`].
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    fn grew(n: usize) {
        let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }

    fn shrank(n: usize) {
        LIVE.fetch_sub(n, Ordering::Relaxed);
    }

    // SAFETY: every call is passed to the system allocator unchanged; the
    // counter is a const-initialised thread-local, which never allocates.
    #[allow(unsafe_code)]
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            COUNT.with(|c| c.set(c.get() + 1));
            grew(layout.size());
            // SAFETY: forwarded as received.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            shrank(layout.size());
            // SAFETY: forwarded as received.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            COUNT.with(|c| c.set(c.get() + 1));
            // Counted as the new block taken before the old one is given
            // back, as a moving realloc does.
            grew(new_size);
            shrank(layout.size());
            // SAFETY: forwarded as received.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    /// Octets live on the heap now, all threads.
    pub fn live() -> usize {
        LIVE.load(Ordering::Relaxed)
    }

    /// The most octets live since the last [`reset_peak`].
    pub fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
    }

    /// Starts a new peak from what is live now.
    pub fn reset_peak() {
        PEAK.store(live(), Ordering::Relaxed);
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    /// Allocations by this thread so far.
    pub fn count() -> u64 {
        COUNT.with(|c| c.get())
    }
}

/// The speed rule: no allocation per packet on the common path.
/// Requests are built first; then every answer — Advertise to a new client
/// (nothing reserved), Renew, a retransmitted Request, Rebind,
/// Information-request, a Renew through two relays — is counted.
#[test]
fn answering_known_clients_allocates_nothing() {
    let mut s = server(CONF);
    let n: u8 = 50;
    for c in 1..=n {
        lease(&mut s, c, vec![ia_na(1, &[]), ia_pd(2, &[])]);
    }
    let bytes = |m: MessageRepr| m.to_vec().unwrap();
    let mut packets: Vec<(Vec<u8>, bool)> = Vec::new();
    for c in 1..=n {
        let granted = ask(
            &mut s,
            &with_server(c, MessageType::Request, vec![ia_na(1, &[]), ia_pd(2, &[])]),
        )
        .unwrap();
        let addr = first_addr(&granted).to_string();
        let pd = ia_pds(&granted)[0].prefixes().next().unwrap().clone();
        let pd_s = pd.prefix.to_string();
        let ias = || vec![ia_na(1, &[&addr]), ia_pd(2, &[(&pd_s, pd.prefix_len)])];
        packets.push((
            bytes(solicit(200 + c % 50, vec![ia_na(9, &[]), ia_pd(9, &[])])),
            false,
        ));
        packets.push((bytes(with_server(c, MessageType::Renew, ias())), false));
        packets.push((bytes(with_server(c, MessageType::Request, ias())), false));
        packets.push((bytes(solicit(c, ias())), false));
        let mut rebind = solicit(c, ias());
        rebind.msg_type = MessageType::Rebind;
        packets.push((bytes(rebind), false));
        packets.push((
            bytes(msg(
                MessageType::InformationRequest,
                7,
                vec![
                    OptionRepr::ClientId(client(c)),
                    OptionRepr::Oro(vec![OptionCode::InformationRefreshTime]),
                ],
            )),
            false,
        ));
        let renew = bytes(with_server(c, MessageType::Renew, ias()));
        let ifid = vec![OptionRepr::InterfaceId(b"port-1".to_vec())];
        let inner = relay_forw(0, "2001:db8:1::1", CLIENT_LL, ifid, renew);
        packets.push((relay_forw(1, "::", "2001:db8:ff::2", vec![], inner), true));
    }
    let mut out = vec![0u8; 65535];
    let src_relay = SocketAddrV6::new("2001:db8:ff::1".parse().unwrap(), 547, 0, 0);
    let before = alloc_count::count();
    for (p, relay) in &packets {
        let mut inc = direct(p, true);
        if *relay {
            inc.src = src_relay;
            inc.dst = "2001:db8:1::1".parse().unwrap();
        }
        s.server6_recv(&inc, 1000, &mut out).unwrap();
    }
    let allocs = alloc_count::count() - before;
    assert_eq!(
        allocs,
        0,
        "{allocs} allocations for {} answers",
        packets.len()
    );
    // The counter counts: a new binding is state and does allocate (its
    // DUID, index entries), a bounded few times.
    let req = bytes(with_server(250, MessageType::Request, vec![ia_na(1, &[])]));
    let before = alloc_count::count();
    s.server6_recv(&direct(&req, true), 1000, &mut out).unwrap();
    let allocs = alloc_count::count() - before;
    assert!(
        (1..=16).contains(&allocs),
        "{allocs} allocations for a new binding"
    );
}

/// The relayed-client rule: relay options select host entries
/// (kame6 `remote-id`, `subscriber-id`, `hardware-address`), searched from
/// the relay nearest the client; a DUID entry still comes first (WIDE).
#[test]
fn relay_options_select_hosts() {
    let conf = format!(
        "{CONF}host by-remote {{ remote-id 3561 \"olt1:17\"; address 2001:db8:1::17 100 200; }};\n\
         host by-sub {{ subscriber-id \"line-18\"; address 2001:db8:1::18 100 200; }};\n\
         host by-mac {{ hardware-address 02:00:00:00:00:19; address 2001:db8:1::19 100 200; }};\n\
         host by-duid {{ duid 00:03:00:01:02:00:00:00:00:07; address 2001:db8:1::7 100 200; }};\n"
    );
    let mut s = server(&conf);
    // The first-hop relay (inner level) adds `inner`; a second relay adds
    // `outer` options of its own.
    let ask_via =
        |s: &mut Server<MemStore>, c: u8, inner: Vec<OptionRepr>, outer: Vec<OptionRepr>| {
            let m = solicit(c, vec![ia_na(1, &[])]).to_vec().unwrap();
            let first = relay_forw(0, "2001:db8:1::1", CLIENT_LL, inner, m);
            let second = relay_forw(1, "::", "2001:db8:ff::2", outer, first);
            first_addr(&from_relay(s, &second).unwrap()).to_string()
        };
    let remote = |id: &[u8]| OptionRepr::RemoteId {
        enterprise: 3561,
        id: id.to_vec(),
    };
    assert_eq!(
        ask_via(&mut s, 1, vec![remote(b"olt1:17")], vec![]),
        "2001:db8:1::17"
    );
    assert_eq!(
        ask_via(
            &mut s,
            2,
            vec![OptionRepr::SubscriberId(b"line-18".to_vec())],
            vec![]
        ),
        "2001:db8:1::18"
    );
    let mac = OptionRepr::ClientLinklayerAddr {
        hw_type: 1,
        addr: vec![2, 0, 0, 0, 0, 0x19],
    };
    assert_eq!(
        ask_via(&mut s, 3, vec![mac.clone()], vec![]),
        "2001:db8:1::19"
    );
    // The nearest relay's identifier wins over one added further up.
    assert_eq!(
        ask_via(
            &mut s,
            4,
            vec![remote(b"olt1:17")],
            vec![OptionRepr::SubscriberId(b"line-18".to_vec())]
        ),
        "2001:db8:1::17"
    );
    // Found at an outer level when the inner one has none.
    assert_eq!(
        ask_via(
            &mut s,
            5,
            vec![],
            vec![OptionRepr::SubscriberId(b"line-18".to_vec())]
        ),
        "2001:db8:1::18"
    );
    // A DUID entry comes first.
    assert_eq!(ask_via(&mut s, 7, vec![mac], vec![]), "2001:db8:1::7");
    // Another enterprise number, or no identifier: the pool.
    let other = OptionRepr::RemoteId {
        enterprise: 9,
        id: b"olt1:17".to_vec(),
    };
    let pooled = ask_via(&mut s, 8, vec![other], vec![]);
    assert!(pooled.starts_with("2001:db8:1::1"), "{pooled}");
}

mod reconfigure;

mod delayed_auth;

mod dhcp4o6;

mod lean;
