//! kame6's dhcp6c against a scripted server: a test socket in the server
//! namespace answers (or does not) as each fault case needs, and records
//! what the client sent and when, so the retransmission timing is checked
//! against RFC 8415's bounds on the wire. Cases: a server that never
//! answers Request, NoPrefixAvail inside the IA_PD and at top level, a
//! Reply without the IA_PD, NoBinding to Renew, a server that disappears
//! (Renew, Rebind, expiry, addresses removed, Solicit again), and a forged
//! Reply with a foreign Client ID.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::time::{Duration, Instant};

use common::peers::{our_dhcp6c, wait_address, Scratch};
use common::scripted::{self, answering, ia_na, kinds, of, server_duid, Seen};
use common::{require_root, veth, wait_until, Daemon, Netns};
use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::wire::{IaAddr, IaNa, IaPd, IaPrefix, MessageRepr, OptionRepr, StatusCode};
use libdhcp6::Duid;

const CLIENT_CONF: &str = "\
interface c0 { send ia-na 1; send ia-pd 1; };
id-assoc na 1 { };
id-assoc pd 1 { prefix-interface lan0 { sla-id 1; sla-len 8; ifid 1; }; };
";

struct Topo {
    client: Netns,
    server: Netns,
    scratch: Scratch,
}

fn topo() -> Topo {
    require_root();
    let client = Netns::new("c");
    let server = Netns::new("s");
    veth(&client, "c0", &server, "s0");
    client.exec([
        "ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan0p",
    ]);
    client.exec(["ip", "link", "set", "lan0", "up"]);
    client.exec(["ip", "link", "set", "lan0p", "up"]);
    // The client and the scripted server need link-local addresses first.
    client.link_local("c0");
    server.link_local("s0");
    let scratch = Scratch::new(&format!("{}-files", server.name));
    Topo {
        client,
        server,
        scratch,
    }
}

/// A server message answering `to` (same xid, its Client ID, our Server ID).
fn answer(kind: MessageType, to: &MessageRepr, extra: Vec<OptionRepr>) -> MessageRepr {
    scripted::answer(kind, to, &server_duid(), extra)
}

fn ia_pd(t1: u32, t2: u32, p: u32, v: u32) -> OptionRepr {
    OptionRepr::IaPd(IaPd {
        iaid: 1,
        t1,
        t2,
        options: vec![OptionRepr::IaPrefix(IaPrefix {
            preferred_lifetime: p,
            valid_lifetime: v,
            prefix_len: 56,
            prefix: "2001:db8:100::".parse().unwrap(),
            options: vec![],
        })],
    })
}

fn status(st: Status) -> OptionRepr {
    OptionRepr::StatusCode(StatusCode::new(st))
}

fn ia_pd_status(st: Status) -> OptionRepr {
    OptionRepr::IaPd(IaPd {
        iaid: 1,
        t1: 0,
        t2: 0,
        options: vec![status(st)],
    })
}

/// Gaps between consecutive transmissions, in seconds.
fn gaps(seen: &[&Seen]) -> Vec<f64> {
    seen.windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs_f64())
        .collect()
}

/// Each retransmission gap is 2·RTprev ± 10 % of the previous one, the
/// first is IRT ± 10 % (+ `first_extra` for Solicit's strictly-above rule),
/// with 150 ms of scheduling slack.
fn check_backoff(g: &[f64], irt: f64, what: &str) {
    assert!(!g.is_empty(), "{what}: no retransmission");
    assert!(
        g[0] >= irt * 0.9 - 0.15 && g[0] <= irt * 1.1 + 0.15,
        "{what}: first RT {:.3} not IRT {irt} ± 10%: {g:?}",
        g[0]
    );
    for w in g.windows(2) {
        let (prev, next) = (w[0], w[1]);
        assert!(
            next >= prev * 1.9 - 0.15 && next <= prev * 2.1 + 0.15,
            "{what}: RT {next:.3} after {prev:.3} is not 2·RTprev ± 10%: {g:?}"
        );
    }
}

fn dump(c: &Daemon) -> String {
    c.log()
}

/// No answer to Request: the Request is retransmitted with the same xid,
/// RT from 1 s doubling (REQ_TIMEOUT, RFC 8415 §18.2.2) — the give-up
/// after REQ_MAX_RC and the return to Solicit take three minutes on the
/// wire and are checked with the fake clock (c125 in dhcp6c's unit tests).
#[test]
fn request_unanswered_retransmits_within_rfc_bounds() {
    let t = topo();
    let srv = answering(&t.server, "s0", Duration::from_secs(18), |m, _| {
        match m.msg_type {
            MessageType::Solicit => vec![answer(
                MessageType::Advertise,
                m,
                vec![
                    ia_na(0, 0, 20, 40),
                    ia_pd(0, 0, 20, 40),
                    OptionRepr::Preference(255),
                ],
            )],
            _ => vec![],
        }
    });
    let c = our_dhcp6c(&t.client, &t.scratch, CLIENT_CONF, &["c0"]);
    let seen = srv.join().unwrap();
    let req = of(&seen, MessageType::Request);
    assert!(req.len() >= 4, "{:?}\n{}", kinds(&seen), dump(&c));
    assert!(req
        .iter()
        .all(|r| r.msg.transaction_id == req[0].msg.transaction_id));
    assert!(req
        .iter()
        .all(|r| r.msg.server_id() == Some(&server_duid())));
    check_backoff(&gaps(&req), 1.0, "Request");
    // Elapsed Time grows in retransmissions (C-116).
    let el: Vec<u16> = req
        .iter()
        .map(|r| match r.msg.option(OptionCode::ElapsedTime) {
            Some(OptionRepr::ElapsedTime(e)) => *e,
            _ => panic!("no elapsed time"),
        })
        .collect();
    assert_eq!(el[0], 0);
    assert!(el.windows(2).all(|w| w[1] > w[0]), "{el:?}");
}

/// Nobody answers Solicit: the first Solicit comes within 1 s, the first RT
/// is strictly above 1 s, then RTs double (C-112, C-113, C-114).
#[test]
fn solicit_timing_on_the_wire() {
    let t = topo();
    let start = Instant::now();
    let srv = answering(&t.server, "s0", Duration::from_secs(17), |_, _| vec![]);
    let c = our_dhcp6c(&t.client, &t.scratch, CLIENT_CONF, &["c0"]);
    let seen = srv.join().unwrap();
    let sol = of(&seen, MessageType::Solicit);
    assert!(sol.len() >= 4, "{:?}\n{}", kinds(&seen), dump(&c));
    assert!(sol[0].at - start <= Duration::from_millis(2500));
    let g = gaps(&sol);
    assert!(
        g[0] > 0.95 && g[0] <= 1.1 + 0.15,
        "first RT {g:?}\n{}",
        dump(&c)
    );
    check_backoff(&g, 1.05, "Solicit");
    assert!(sol
        .iter()
        .all(|s| s.msg.transaction_id == sol[0].msg.transaction_id));
}

/// NoPrefixAvail inside the IA_PD: the address is bound, no LAN address,
/// and no new Solicit (WIDE re-Solicits every 1–2 s for ever).
#[test]
fn no_prefix_avail_inside_ia_pd_keeps_address_no_solicit_loop() {
    let t = topo();
    let srv = answering(&t.server, "s0", Duration::from_secs(12), |m, _| {
        let ias = vec![
            ia_na(100, 160, 200, 400),
            ia_pd_status(Status::NoPrefixAvail),
        ];
        match m.msg_type {
            MessageType::Solicit => vec![answer(MessageType::Advertise, m, ias)],
            MessageType::Request => vec![answer(MessageType::Reply, m, ias)],
            _ => vec![],
        }
    });
    let c = our_dhcp6c(&t.client, &t.scratch, CLIENT_CONF, &["c0"]);
    assert!(
        wait_address(&t.client, "c0", "2001:db8:1::100", Duration::from_secs(10)).is_some(),
        "{}",
        dump(&c)
    );
    let seen = srv.join().unwrap();
    assert_eq!(
        kinds(&seen),
        vec![MessageType::Solicit, MessageType::Request],
        "{}",
        dump(&c)
    );
    assert!(wait_address(&t.client, "lan0", "2001:db8:1", Duration::from_millis(100)).is_none());
}

/// Top-level NoPrefixAvail to a PD-only client: the Advertise is not
/// selected and Solicit goes on at the RFC's pace, not in a tight loop.
#[test]
fn no_prefix_avail_top_level_solicit_backs_off() {
    let t = topo();
    let srv = answering(&t.server, "s0", Duration::from_secs(12), |m, _| {
        match m.msg_type {
            MessageType::Solicit => vec![answer(
                MessageType::Advertise,
                m,
                vec![status(Status::NoPrefixAvail)],
            )],
            MessageType::Request => vec![answer(
                MessageType::Reply,
                m,
                vec![status(Status::NoPrefixAvail)],
            )],
            _ => vec![],
        }
    });
    let conf = "interface c0 { send ia-pd 1; };\nid-assoc pd 1 { };\n";
    let c = our_dhcp6c(&t.client, &t.scratch, conf, &["c0"]);
    let seen = srv.join().unwrap();
    assert!(
        of(&seen, MessageType::Request).is_empty(),
        "{:?}",
        kinds(&seen)
    );
    let sol = of(&seen, MessageType::Solicit);
    assert!(
        (3..=5).contains(&sol.len()),
        "{} Solicits in 12 s\n{}",
        sol.len(),
        dump(&c)
    );
    check_backoff(&gaps(&sol), 1.05, "Solicit");
    assert!(c.log().contains("dropped a message"), "{}", dump(&c));
}

/// A Reply without the IA_PD: the address is bound from it and the client
/// does not drop it or start over.
#[test]
fn reply_without_ia_pd_binds_the_address() {
    let t = topo();
    let srv = answering(&t.server, "s0", Duration::from_secs(8), |m, _| {
        match m.msg_type {
            MessageType::Solicit => vec![answer(
                MessageType::Advertise,
                m,
                vec![ia_na(0, 0, 200, 400), ia_pd(0, 0, 200, 400)],
            )],
            MessageType::Request => vec![answer(
                MessageType::Reply,
                m,
                vec![ia_na(100, 160, 200, 400)],
            )],
            _ => vec![],
        }
    });
    let c = our_dhcp6c(&t.client, &t.scratch, CLIENT_CONF, &["c0"]);
    assert!(
        wait_address(&t.client, "c0", "2001:db8:1::100", Duration::from_secs(8)).is_some(),
        "{}",
        dump(&c)
    );
    let seen = srv.join().unwrap();
    assert_eq!(
        kinds(&seen),
        vec![MessageType::Solicit, MessageType::Request],
        "{}",
        dump(&c)
    );
}

/// NoBinding to Renew: the client sends a Request with both IAs to the
/// server and stays bound with the answer.
#[test]
fn nobinding_to_renew_answered_by_request() {
    let t = topo();
    let srv = answering(&t.server, "s0", Duration::from_secs(9), |m, seen| {
        let both = vec![ia_na(2, 3, 20, 40), ia_pd(2, 3, 20, 40)];
        match m.msg_type {
            MessageType::Solicit => vec![answer(MessageType::Advertise, m, both)],
            MessageType::Request => vec![answer(MessageType::Reply, m, both)],
            MessageType::Renew if of(seen, MessageType::Renew).is_empty() => vec![answer(
                MessageType::Reply,
                m,
                vec![
                    OptionRepr::IaNa(IaNa {
                        iaid: 1,
                        t1: 0,
                        t2: 0,
                        options: vec![status(Status::NoBinding)],
                    }),
                    OptionRepr::IaPd(IaPd {
                        iaid: 1,
                        t1: 0,
                        t2: 0,
                        options: vec![status(Status::NoBinding)],
                    }),
                ],
            )],
            MessageType::Renew => vec![answer(MessageType::Reply, m, both)],
            _ => vec![],
        }
    });
    let c = our_dhcp6c(&t.client, &t.scratch, CLIENT_CONF, &["c0"]);
    let seen = srv.join().unwrap();
    let k = kinds(&seen);
    let renew = k
        .iter()
        .position(|x| *x == MessageType::Renew)
        .unwrap_or_else(|| panic!("{k:?}\n{}", dump(&c)));
    assert_eq!(
        k.get(renew + 1),
        Some(&MessageType::Request),
        "{k:?}\n{}",
        dump(&c)
    );
    let req = &seen[renew + 1].msg;
    assert_eq!(req.server_id(), Some(&server_duid()));
    assert!(req.option(OptionCode::IaNa).is_some() && req.option(OptionCode::IaPd).is_some());
    // No new Solicit: the binding was recovered by the Request.
    assert_eq!(
        k.iter().filter(|x| **x == MessageType::Solicit).count(),
        1,
        "{k:?}"
    );
    assert!(wait_address(&t.client, "c0", "2001:db8:1::100", Duration::from_secs(1)).is_some());
}

/// The server disappears after the Reply: Renew at T1 (with Server ID),
/// Rebind at T2 (without), the address and LAN address removed when the
/// valid lifetime ends, then Solicit again.
#[test]
fn disappearing_server_rebind_then_expiry() {
    let t = topo();
    let srv = answering(&t.server, "s0", Duration::from_secs(14), |m, seen| {
        let first_bind = of(seen, MessageType::Request).is_empty();
        match m.msg_type {
            MessageType::Solicit if first_bind => vec![answer(
                MessageType::Advertise,
                m,
                vec![
                    ia_na(0, 0, 4, 8),
                    ia_pd(0, 0, 4, 8),
                    OptionRepr::Preference(255),
                ],
            )],
            MessageType::Request if first_bind => {
                vec![answer(
                    MessageType::Reply,
                    m,
                    vec![ia_na(2, 3, 4, 8), ia_pd(2, 3, 4, 8)],
                )]
            }
            _ => vec![],
        }
    });
    let c = our_dhcp6c(&t.client, &t.scratch, CLIENT_CONF, &["c0"]);
    assert!(
        wait_address(&t.client, "c0", "2001:db8:1::100", Duration::from_secs(5)).is_some(),
        "{}",
        dump(&c)
    );
    assert!(
        wait_address(&t.client, "lan0", "2001:db8:100:1", Duration::from_secs(2)).is_some(),
        "{}",
        dump(&c)
    );
    let gone = wait_until(Duration::from_secs(10), || {
        wait_address(&t.client, "c0", "2001:db8:1::100", Duration::ZERO).is_none()
            && wait_address(&t.client, "lan0", "2001:db8:100:1", Duration::ZERO).is_none()
    });
    assert!(gone, "addresses not removed at expiry\n{}", dump(&c));
    let seen = srv.join().unwrap();
    let req_at = of(&seen, MessageType::Request)[0].at;
    let renew = of(&seen, MessageType::Renew);
    let rebind = of(&seen, MessageType::Rebind);
    assert!(
        !renew.is_empty() && !rebind.is_empty(),
        "{:?}\n{}",
        kinds(&seen),
        dump(&c)
    );
    let t1 = (renew[0].at - req_at).as_secs_f64();
    let t2 = (rebind[0].at - req_at).as_secs_f64();
    assert!((1.8..=2.5).contains(&t1), "Renew at {t1}");
    assert!((2.8..=3.5).contains(&t2), "Rebind at {t2}");
    assert_eq!(renew[0].msg.server_id(), Some(&server_duid()));
    assert!(rebind.iter().all(|r| r.msg.server_id().is_none()));
    // After expiry (8 s) a new Solicit.
    let after: Vec<_> = of(&seen, MessageType::Solicit)
        .into_iter()
        .filter(|s| s.at > req_at + Duration::from_secs(7))
        .collect();
    assert!(
        !after.is_empty(),
        "no Solicit after expiry: {:?}\n{}",
        kinds(&seen),
        dump(&c)
    );
    assert!(!String::from_utf8_lossy(
        &t.client
            .try_exec(&["ip", "-6", "route", "show", "type", "unreachable"])
            .stdout
    )
    .contains("2001:db8:100::"));
}

/// A forged Reply (another Client ID, same xid) arriving first is ignored;
/// the real one is used.
#[test]
fn forged_reply_with_wrong_client_id_ignored() {
    let t = topo();
    let srv = answering(&t.server, "s0", Duration::from_secs(6), |m, _| {
        match m.msg_type {
            MessageType::Solicit => vec![answer(
                MessageType::Advertise,
                m,
                vec![
                    ia_na(0, 0, 200, 400),
                    ia_pd(0, 0, 200, 400),
                    OptionRepr::Preference(255),
                ],
            )],
            MessageType::Request => {
                let mut forged = answer(
                    MessageType::Reply,
                    m,
                    vec![OptionRepr::IaNa(IaNa {
                        iaid: 1,
                        t1: 100,
                        t2: 160,
                        options: vec![OptionRepr::IaAddr(IaAddr {
                            addr: "2001:db8:1::666".parse().unwrap(),
                            preferred_lifetime: 200,
                            valid_lifetime: 400,
                            options: vec![],
                        })],
                    })],
                );
                forged.options[0] = OptionRepr::ClientId(
                    Duid::from_bytes(&[0, 3, 0, 1, 6, 6, 6, 6, 6, 6]).unwrap(),
                );
                let real = answer(
                    MessageType::Reply,
                    m,
                    vec![ia_na(100, 160, 200, 400), ia_pd(100, 160, 200, 400)],
                );
                vec![forged, real]
            }
            _ => vec![],
        }
    });
    let c = our_dhcp6c(&t.client, &t.scratch, CLIENT_CONF, &["c0"]);
    assert!(
        wait_address(&t.client, "c0", "2001:db8:1::100", Duration::from_secs(6)).is_some(),
        "{}",
        dump(&c)
    );
    let _ = srv.join().unwrap();
    assert!(wait_address(&t.client, "c0", "2001:db8:1::666", Duration::ZERO).is_none());
    assert!(c.log().contains("client ID"), "{}", dump(&c));
}

/// C-131 on the wire: the server hands out an address the link already
/// uses; the kernel's DAD on c0 fails, the client removes the address and
/// sends a Decline for it to the server, and keeps its prefix.
#[test]
fn duplicate_address_is_declined() {
    let t = topo();
    // The address is in use on the server's side of the link.
    t.server.addr("s0", "2001:db8:1::100/64");
    t.client
        .exec(["sysctl", "-qw", "net.ipv6.conf.c0.accept_dad=1"]);
    let srv = answering(&t.server, "s0", Duration::from_secs(10), |m, _| {
        let both = vec![ia_na(100, 160, 200, 400), ia_pd(100, 160, 200, 400)];
        match m.msg_type {
            MessageType::Solicit => vec![answer(
                MessageType::Advertise,
                m,
                [both, vec![OptionRepr::Preference(255)]].concat(),
            )],
            MessageType::Request => vec![answer(MessageType::Reply, m, both)],
            MessageType::Decline => {
                vec![answer(MessageType::Reply, m, vec![status(Status::Success)])]
            }
            _ => vec![],
        }
    });
    let c = our_dhcp6c(&t.client, &t.scratch, CLIENT_CONF, &["c0"]);
    assert!(
        wait_address(&t.client, "lan0", "2001:db8:100:1", Duration::from_secs(8)).is_some(),
        "{}",
        dump(&c)
    );
    let seen = srv.join().unwrap();
    let dec = of(&seen, MessageType::Decline);
    assert!(!dec.is_empty(), "{:?}\n{}", kinds(&seen), dump(&c));
    let Some(OptionRepr::IaNa(ia)) = dec[0].msg.option(OptionCode::IaNa) else {
        panic!("{:?}", dec[0].msg)
    };
    assert_eq!(
        ia.addresses().next().unwrap().addr,
        "2001:db8:1::100".parse::<std::net::Ipv6Addr>().unwrap()
    );
    assert!(dec[0].msg.option(OptionCode::IaPd).is_none());
    let shown = String::from_utf8_lossy(
        &t.client
            .try_exec(&["ip", "-6", "-o", "addr", "show", "dev", "c0"])
            .stdout,
    )
    .into_owned();
    assert!(!shown.contains("2001:db8:1::100"), "{shown}");
    assert!(wait_address(&t.client, "lan0", "2001:db8:100:1", Duration::ZERO).is_some());
    assert!(
        c.log().contains("duplicate address detected"),
        "{}",
        dump(&c)
    );
}
