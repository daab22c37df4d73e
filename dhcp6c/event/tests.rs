//! The client machine driven by a fake clock and byte vectors: the
//! [client] checklist (doc/conformance.md, C-112 … C-154) and the fault
//! cases WIDE's client gets wrong (doc/wide-compat.md §9.2).

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use libdhcp6::codes::{MessageType, OptionCode, Status};
use libdhcp6::duid::Duid;
use libdhcp6::wire::{
    Auth, DomainName, IaAddr, IaNa, IaPd, IaPrefix, MessageRepr, OptionRepr, StatusCode,
};
use libdhcp6::Prefix6;

use super::exchange::RATE_LIMIT;
use super::*;
use crate::action::{Delivery, DropReason, LogLevel};
use crate::conf::{DelayedKey, IaConf, PrefixIf, WallClock};
use crate::ia::Timers;
use crate::random::Seeded;
use crate::script::script_env;

/// The machine's randomness, repeatable.
fn seeded(seed: u64) -> Box<dyn RandomSource> {
    Box::new(Seeded::new(seed))
}

fn me() -> Duid {
    Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]).unwrap()
}
fn s1() -> Duid {
    Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 0x51]).unwrap()
}
fn s2() -> Duid {
    Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 0x52]).unwrap()
}
fn a(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}
fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn conf() -> IfConfig {
    IfConfig {
        ifname: "c0".into(),
        ias: vec![
            IaConf {
                kind: IaKind::Na,
                iaid: 1,
                hints: vec![],
                prefix_ifs: vec![],
            },
            IaConf {
                kind: IaKind::Pd,
                iaid: 1,
                hints: vec![],
                prefix_ifs: vec![PrefixIf {
                    ifname: "lan0".into(),
                    sla_id: 1,
                    sla_len: Some(8),
                    ifid: 1,
                }],
            },
        ],
        rapid_commit: false,
        oro: vec![OptionCode::DnsServers, OptionCode::InformationRefreshTime],
        information_only: false,
        renew_missing_ia: false,
        unreachable_route: true,
        reconfigure_accept: false,
        delayed_auth: None,
        wall_clock: None,
        dhcp4o6: None,
    }
}

/// Messages in `acts`, decoded.
fn sent(acts: &[Action]) -> Vec<MessageRepr> {
    acts.iter()
        .filter_map(|x| match x {
            Action::Send(b) => Some(MessageRepr::from_bytes(b).unwrap()),
            _ => None,
        })
        .collect()
}

fn one(acts: &[Action]) -> MessageRepr {
    let m = sent(acts);
    assert_eq!(m.len(), 1, "{acts:?}");
    m.into_iter().next().unwrap()
}

fn elapsed(m: &MessageRepr) -> u16 {
    m.options
        .iter()
        .find_map(|o| match o {
            OptionRepr::ElapsedTime(e) => Some(*e),
            _ => None,
        })
        .unwrap()
}

fn oro(m: &MessageRepr) -> Vec<OptionCode> {
    m.options
        .iter()
        .find_map(|o| match o {
            OptionRepr::Oro(v) => Some(v.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn na(iaid: u32, t1: u32, t2: u32, addrs: &[(&str, u32, u32)]) -> OptionRepr {
    OptionRepr::IaNa(IaNa {
        iaid,
        t1,
        t2,
        options: addrs
            .iter()
            .map(|(x, p, v)| {
                OptionRepr::IaAddr(IaAddr {
                    addr: a(x),
                    preferred_lifetime: *p,
                    valid_lifetime: *v,
                    options: vec![],
                })
            })
            .collect(),
    })
}

fn pd(iaid: u32, t1: u32, t2: u32, prefixes: &[(&str, u8, u32, u32)]) -> OptionRepr {
    OptionRepr::IaPd(IaPd {
        iaid,
        t1,
        t2,
        options: prefixes
            .iter()
            .map(|(x, l, p, v)| {
                OptionRepr::IaPrefix(IaPrefix {
                    preferred_lifetime: *p,
                    valid_lifetime: *v,
                    prefix_len: *l,
                    prefix: a(x),
                    options: vec![],
                })
            })
            .collect(),
    })
}

fn ia_status(kind: IaKind, iaid: u32, st: Status) -> OptionRepr {
    let options = vec![OptionRepr::StatusCode(StatusCode::new(st))];
    OptionRepr::new_ia(kind, iaid, 0, 0, options)
}

fn msg(
    kind: MessageType,
    xid: u32,
    server: Option<Duid>,
    client: Option<Duid>,
    extra: Vec<OptionRepr>,
) -> Vec<u8> {
    let mut options = Vec::new();
    if let Some(c) = client {
        options.push(OptionRepr::ClientId(c));
    }
    if let Some(s) = server {
        options.push(OptionRepr::ServerId(s));
    }
    options.extend(extra);
    MessageRepr {
        msg_type: kind,
        transaction_id: xid,
        options,
    }
    .to_vec()
    .unwrap()
}

fn both() -> Vec<OptionRepr> {
    vec![
        na(1, 0, 0, &[("2001:db8:1::100", 20, 40)]),
        pd(1, 0, 0, &[("2001:db8:100::", 56, 20, 40)]),
    ]
}

fn bound_reply() -> Vec<OptionRepr> {
    vec![
        na(1, 10, 16, &[("2001:db8:1::100", 20, 40)]),
        pd(1, 10, 16, &[("2001:db8:100::", 56, 20, 40)]),
        OptionRepr::Addresses {
            code: OptionCode::DnsServers,
            addrs: vec![a("2001:db8::53")],
        },
    ]
}

/// Runs the Init delay and returns the machine, the time and the first Solicit.
fn soliciting(c: IfConfig) -> (Client, Instant, MessageRepr) {
    let t0 = Instant::now();
    let mut cl = Client::new(c, me(), seeded(42), t0);
    let t = cl.next_deadline().unwrap();
    let m = one(&cl.timeout(t));
    (cl, t, m)
}

/// Solicit → Advertise (pref 255) → Request → Reply: a bound client.
fn bound() -> (Client, Instant, Vec<Action>) {
    let (mut cl, t, sol) = soliciting(conf());
    let acts = cl
        .receive(
            t + ms(10),
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                {
                    let mut v = both();
                    v.push(OptionRepr::Preference(255));
                    v
                },
            ),
        )
        .unwrap();
    let req = one(&acts);
    assert_eq!(req.msg_type, MessageType::Request);
    let t = t + ms(20);
    let acts = cl
        .receive(
            t,
            &msg(
                MessageType::Reply,
                req.transaction_id,
                Some(s1()),
                Some(me()),
                bound_reply(),
            ),
        )
        .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    (cl, t, acts)
}

/// C-112: the first Solicit comes 0–1 s after start. C-115: Client ID,
/// Elapsed Time 0, ORO with 82 and without 32, no Server ID; both IAs.
#[test]
fn c112_c115_first_solicit() {
    for seed in 1..50 {
        let t0 = Instant::now();
        let cl = Client::new(conf(), me(), seeded(seed), t0);
        let d = cl.next_deadline().unwrap() - t0;
        assert!(d <= Duration::from_secs(1), "{d:?}");
    }
    let (_, _, m) = soliciting(conf());
    assert_eq!(m.msg_type, MessageType::Solicit);
    assert_eq!(m.client_id(), Some(&me()));
    assert!(m.server_id().is_none());
    assert_eq!(elapsed(&m), 0);
    let o = oro(&m);
    assert!(o.contains(&OptionCode::SolMaxRt));
    assert!(o.contains(&OptionCode::DnsServers));
    // C-146
    assert!(!o.contains(&OptionCode::InformationRefreshTime));
    assert!(m.option(OptionCode::IaNa).is_some());
    assert!(m.option(OptionCode::IaPd).is_some());
    assert!(m.option(OptionCode::RapidCommit).is_none());
}

/// C-113: first RT in (1.0, 1.1]. C-114: RTs double and settle within ±10%
/// of SOL_MAX_RT. C-116: Elapsed Time grows. C-117: same xid.
#[test]
fn c113_c114_c116_c117_solicit_retransmission() {
    for seed in 1..30 {
        let (mut cl, t, m) = soliciting(
            Client::new(conf(), me(), seeded(seed), Instant::now())
                .conf
                .clone(),
        );
        let _ = seed;
        let rt = cl.next_deadline().unwrap() - t;
        assert!(rt > Duration::from_secs(1) && rt <= ms(1100), "{rt:?}");
        let mut prev = rt;
        let mut now = t + rt;
        let mut last_el = 0;
        for i in 0..40 {
            let r = one(&cl.timeout(now));
            assert_eq!(r.transaction_id, m.transaction_id);
            let el = elapsed(&r);
            assert!(
                el > last_el || el == u16::MAX,
                "elapsed {el} after {last_el}"
            );
            last_el = el;
            let next = cl.next_deadline().unwrap() - now;
            if next < Duration::from_secs(3000) {
                let lo = prev.as_secs_f64() * 1.9 - 0.001;
                let hi = prev.as_secs_f64() * 2.1 + 0.001;
                assert!(
                    (lo..=hi).contains(&next.as_secs_f64()),
                    "step {i}: {prev:?} -> {next:?}"
                );
            } else {
                assert!((3240.0..=3960.0).contains(&next.as_secs_f64()), "{next:?}");
            }
            prev = next;
            now += next;
        }
        assert!(prev.as_secs_f64() >= 3240.0);
        // 41 Solicits, the first one's 40 retransmissions.
        assert_eq!(cl.counters.retransmissions, 40);
        assert_eq!(
            cl.counters.sent_by_type[usize::from(u8::from(MessageType::Solicit))],
            41
        );
    }
}

/// C-118: Advertises are collected until the first RT ends; C-120: the
/// highest preference wins; C-124: the Request names it and carries the IAs.
#[test]
fn c118_c120_c124_collect_then_pick_highest_preference() {
    let (mut cl, t, sol) = soliciting(conf());
    let adv = |server: Duid, pref: u8| {
        let mut v = both();
        v.push(OptionRepr::Preference(pref));
        msg(
            MessageType::Advertise,
            sol.transaction_id,
            Some(server),
            Some(me()),
            v,
        )
    };
    let a1 = adv(s1(), 3);
    let a2 = adv(s2(), 7);
    assert!(sent(&cl.receive(t + ms(100), &a1).unwrap()).is_empty());
    assert!(sent(&cl.receive(t + ms(200), &a2).unwrap()).is_empty());
    // A duplicate from a known server is ignored.
    assert_eq!(cl.receive(t + ms(300), &a1), Err(DropReason::Ignored));
    assert_eq!(cl.phase(), Phase::Solicit);
    let end = cl.next_deadline().unwrap();
    assert!(end > t + Duration::from_secs(1));
    let req = one(&cl.timeout(end));
    assert_eq!(req.msg_type, MessageType::Request);
    assert_ne!(req.transaction_id, sol.transaction_id);
    assert_eq!(req.server_id(), Some(&s2()));
    assert_eq!(req.client_id(), Some(&me()));
    assert_eq!(elapsed(&req), 0);
    assert!(oro(&req).contains(&OptionCode::SolMaxRt));
    let OptionRepr::IaNa(ia) = req.option(OptionCode::IaNa).unwrap() else {
        panic!()
    };
    assert_eq!(ia.addresses().next().unwrap().addr, a("2001:db8:1::100"));
    assert!(req.option(OptionCode::IaPd).is_some());
}

/// C-119: preference 255 → Request at once.
#[test]
fn c119_preference_255_requests_at_once() {
    let (mut cl, t, sol) = soliciting(conf());
    let mut v = both();
    v.push(OptionRepr::Preference(255));
    let acts = cl
        .receive(
            t + ms(5),
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                v,
            ),
        )
        .unwrap();
    assert_eq!(one(&acts).msg_type, MessageType::Request);
}

/// After the first RT, any usable Advertise ends the Solicit at once.
#[test]
fn advertise_after_first_rt_requests_at_once() {
    let (mut cl, t, sol) = soliciting(conf());
    let end = cl.next_deadline().unwrap();
    assert_eq!(one(&cl.timeout(end)).msg_type, MessageType::Solicit);
    let acts = cl
        .receive(
            end + ms(5),
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                both(),
            ),
        )
        .unwrap();
    assert_eq!(one(&acts).msg_type, MessageType::Request);
    let _ = t;
}

/// C-121: no Server ID, a foreign or missing Client ID, another xid.
#[test]
fn c121_bad_advertises_ignored() {
    let (mut cl, t, sol) = soliciting(conf());
    let x = sol.transaction_id;
    assert_eq!(
        cl.receive(t, &msg(MessageType::Advertise, x, None, Some(me()), both())),
        Err(DropReason::ServerId)
    );
    assert_eq!(
        cl.receive(
            t,
            &msg(MessageType::Advertise, x, Some(s1()), Some(s2()), both())
        ),
        Err(DropReason::ClientId)
    );
    assert_eq!(
        cl.receive(t, &msg(MessageType::Advertise, x, Some(s1()), None, both())),
        Err(DropReason::ClientId)
    );
    assert_eq!(
        cl.receive(
            t,
            &msg(
                MessageType::Advertise,
                x ^ 1,
                Some(s1()),
                Some(me()),
                both()
            )
        ),
        Err(DropReason::Xid)
    );
    assert_eq!(cl.receive(t, &[2, 0, 0]), Err(DropReason::Malformed));
    assert_eq!(cl.counters.dropped.iter().sum::<u64>(), 5);
    let end = cl.next_deadline().unwrap();
    assert_eq!(one(&cl.timeout(end)).msg_type, MessageType::Solicit);
}

/// C-122 / C-123 / C-139: an Advertise with only NoAddrsAvail/NoPrefixAvail
/// (inside the IAs, or the legacy top-level form) is not selected, yet its
/// SOL_MAX_RT applies; values outside 60..86400 are ignored.
#[test]
fn c122_c123_c139_useless_advertise_sol_max_rt() {
    let (mut cl, t, sol) = soliciting(conf());
    let x = sol.transaction_id;
    let useless = msg(
        MessageType::Advertise,
        x,
        Some(s1()),
        Some(me()),
        vec![
            ia_status(IaKind::Na, 1, Status::NoAddrsAvail),
            ia_status(IaKind::Pd, 1, Status::NoPrefixAvail),
            OptionRepr::SolMaxRt(100),
        ],
    );
    assert_eq!(cl.receive(t, &useless), Err(DropReason::Ignored));
    let legacy = msg(
        MessageType::Advertise,
        x,
        Some(s2()),
        Some(me()),
        vec![
            OptionRepr::StatusCode(StatusCode::new(Status::NoAddrsAvail)),
            OptionRepr::SolMaxRt(30),
        ],
    );
    assert_eq!(cl.receive(t, &legacy), Err(DropReason::Ignored));
    let mut now = cl.next_deadline().unwrap();
    for _ in 0..20 {
        let acts = cl.timeout(now);
        assert_eq!(one(&acts).msg_type, MessageType::Solicit);
        now = cl.next_deadline().unwrap();
    }
    let mut rts = Vec::new();
    for _ in 0..3 {
        let _ = cl.timeout(now);
        let n = cl.next_deadline().unwrap();
        rts.push(n - now);
        now = n;
    }
    for rt in rts {
        assert!(
            (90.0..=110.0).contains(&rt.as_secs_f64()),
            "{rt:?}: SOL_MAX_RT 100 not applied (or 30 taken)"
        );
    }
}

/// C-125: Request IRT 1 s, MRT 30 s, 10 transmissions; then back to
/// Solicit (WIDE stays idle for ever).
#[test]
fn c125_request_gives_up_and_solicits_again() {
    let (mut cl, t, sol) = soliciting(conf());
    let mut v = both();
    v.push(OptionRepr::Preference(255));
    let acts = cl
        .receive(
            t,
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                v,
            ),
        )
        .unwrap();
    let req = one(&acts);
    let mut now = t;
    let mut count = 1;
    let mut rts = Vec::new();
    loop {
        let n = cl.next_deadline().unwrap();
        rts.push(n - now);
        now = n;
        let acts = cl.timeout(now);
        match sent(&acts).first() {
            Some(m) if m.msg_type == MessageType::Request => {
                assert_eq!(m.transaction_id, req.transaction_id);
                count += 1;
            }
            None => break,
            Some(m) => panic!("{m:?}"),
        }
    }
    assert!(count == 10 || count == 11, "{count} Requests");
    assert!((0.9..=1.1).contains(&rts[0].as_secs_f64()), "{rts:?}");
    assert!(rts.iter().all(|r| r.as_secs_f64() <= 33.0), "{rts:?}");
    assert_eq!(cl.phase(), Phase::Init);
    let n = cl.next_deadline().unwrap();
    let m = one(&cl.timeout(n));
    assert_eq!(m.msg_type, MessageType::Solicit);
    assert_ne!(m.transaction_id, sol.transaction_id);
}

/// C-127: a Reply to a Solicit without Rapid Commit is ignored; with it
/// (and `send rapid-commit`) the client binds.
#[test]
fn c127_rapid_commit() {
    let (mut cl, t, sol) = soliciting(conf());
    let r = msg(
        MessageType::Reply,
        sol.transaction_id,
        Some(s1()),
        Some(me()),
        bound_reply(),
    );
    assert_eq!(cl.receive(t, &r), Err(DropReason::Ignored));
    let mut c = conf();
    c.rapid_commit = true;
    let (mut cl, t, sol) = soliciting(c);
    assert!(sol.option(OptionCode::RapidCommit).is_some());
    let mut v = bound_reply();
    v.push(OptionRepr::RapidCommit);
    let acts = cl
        .receive(
            t,
            &msg(
                MessageType::Reply,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                v,
            ),
        )
        .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    assert!(acts
        .iter()
        .any(|x| matches!(x, Action::Script(e) if e[0].1 == "SOLICIT")));
}

/// A Reply to Request installs the address with its lifetimes, the
/// unreachable route, the LAN address from sla-id/sla-len, then runs the
/// script with REASON=REQUEST and the DNS servers.
#[test]
fn reply_configures_address_prefix_lan_and_script() {
    let (cl, _, acts) = bound();
    assert!(acts.contains(&Action::AddAddress {
        ifname: "c0".into(),
        addr: a("2001:db8:1::100"),
        plen: 128,
        preferred: 20,
        valid: 40
    }));
    assert!(acts.contains(&Action::AddUnreachable(Prefix6 {
        addr: a("2001:db8:100::"),
        len: 56
    })));
    assert!(acts.contains(&Action::AddAddress {
        ifname: "lan0".into(),
        addr: a("2001:db8:100:1::1"),
        plen: 64,
        preferred: 20,
        valid: 40
    }));
    let Some(Action::Script(env)) = acts.last() else {
        panic!("{acts:?}")
    };
    assert_eq!(env[0], ("REASON".into(), "REQUEST".into()));
    assert!(env.contains(&("new_domain_name_servers".into(), "2001:db8::53 ".into())));
    assert!(env.contains(&("PDINFO".into(), "2001:db8:100::/56 ".into())));
    assert_eq!(cl.bindings().len(), 2);
}

/// C-126: Replies without Server ID, with a foreign Client ID, another xid,
/// or from a server other than the one asked are ignored.
#[test]
fn c126_forged_replies_ignored() {
    let (mut cl, t, sol) = soliciting(conf());
    let mut v = both();
    v.push(OptionRepr::Preference(255));
    let req = one(&cl
        .receive(
            t,
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                v,
            ),
        )
        .unwrap());
    let x = req.transaction_id;
    for (bytes, why) in [
        (
            msg(MessageType::Reply, x, None, Some(me()), bound_reply()),
            DropReason::ServerId,
        ),
        (
            msg(MessageType::Reply, x, Some(s1()), Some(s2()), bound_reply()),
            DropReason::ClientId,
        ),
        (
            msg(
                MessageType::Reply,
                x ^ 0x10,
                Some(s1()),
                Some(me()),
                bound_reply(),
            ),
            DropReason::Xid,
        ),
        (
            msg(MessageType::Reply, x, Some(s2()), Some(me()), bound_reply()),
            DropReason::ServerId,
        ),
    ] {
        assert_eq!(cl.receive(t, &bytes), Err(why));
    }
    assert_eq!(cl.phase(), Phase::Request);
    assert!(cl.bindings().is_empty());
}

/// C-152: client messages and relay messages are dropped.
#[test]
fn c152_client_and_relay_messages_dropped() {
    let (mut cl, t, sol) = soliciting(conf());
    for k in [
        MessageType::Solicit,
        MessageType::Request,
        MessageType::Confirm,
        MessageType::Renew,
        MessageType::Rebind,
        MessageType::Release,
        MessageType::Decline,
        MessageType::InformationRequest,
    ] {
        let b = msg(k, sol.transaction_id, Some(s1()), Some(me()), both());
        assert_eq!(cl.receive(t, &b), Err(DropReason::WrongType), "{k:?}");
    }
    assert!(matches!(
        cl.receive(t, &[12, 0, 0x11, 0x22, 0x33]),
        Err(DropReason::Malformed | DropReason::WrongType)
    ));
}

/// C-128: an IA with T1 > T2 is ignored, the rest used. C-129: preferred >
/// valid discarded.
#[test]
fn c128_c129_bad_ia_and_lease_discarded() {
    let (mut cl, t, sol) = soliciting(conf());
    let mut v = both();
    v.push(OptionRepr::Preference(255));
    let req = one(&cl
        .receive(
            t,
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                v,
            ),
        )
        .unwrap());
    let reply = msg(
        MessageType::Reply,
        req.transaction_id,
        Some(s1()),
        Some(me()),
        vec![
            na(1, 20, 10, &[("2001:db8:1::100", 20, 40)]),
            pd(
                1,
                10,
                16,
                &[
                    ("2001:db8:100::", 56, 50, 40),
                    ("2001:db8:200::", 56, 20, 40),
                ],
            ),
        ],
    );
    let acts = cl.receive(t, &reply).unwrap();
    assert_eq!(cl.bindings().len(), 1);
    assert_eq!(cl.bindings()[0].kind, IaKind::Pd);
    assert_eq!(cl.bindings()[0].leases.len(), 1);
    assert_eq!(cl.bindings()[0].leases[0].addr, a("2001:db8:200::"));
    assert!(!acts
        .iter()
        .any(|x| matches!(x, Action::AddAddress { ifname, .. } if ifname == "c0")));
}

/// C-133 / C-134: Renew at T1 to the binding server, RT from 10 s; C-135:
/// at T2 Rebind without Server ID; the server gone, the leases expire, the
/// addresses are removed and Solicit starts again.
#[test]
fn c133_c134_c135_renew_rebind_expire() {
    let (mut cl, t, _) = bound();
    let t1 = cl.next_deadline().unwrap();
    assert_eq!(t1 - t, Duration::from_secs(10));
    let renew = one(&cl.timeout(t1));
    assert_eq!(renew.msg_type, MessageType::Renew);
    assert_eq!(renew.server_id(), Some(&s1()));
    assert!(renew.option(OptionCode::IaNa).is_some() && renew.option(OptionCode::IaPd).is_some());
    let rt = cl.next_deadline().unwrap() - t1;
    // RT 10 s ± 10 %, cut at T2 (6 s later).
    assert_eq!(rt, Duration::from_secs(6));
    let t2 = t + Duration::from_secs(16);
    let acts = cl.timeout(t2);
    let rebind = sent(&acts)
        .into_iter()
        .find(|m| m.msg_type == MessageType::Rebind)
        .expect("Rebind at T2");
    assert!(rebind.server_id().is_none());
    assert_ne!(rebind.transaction_id, renew.transaction_id);
    assert_eq!(cl.phase(), Phase::Rebind);
    // No server: retransmit until the valid lifetimes (40 s) end.
    let mut now = t2;
    let mut removed = Vec::new();
    while cl.phase() == Phase::Rebind {
        now = cl.next_deadline().unwrap();
        assert!(now <= t + Duration::from_secs(40));
        removed.extend(cl.timeout(now));
    }
    assert_eq!(now, t + Duration::from_secs(40));
    assert!(removed.contains(&Action::DelAddress {
        ifname: "c0".into(),
        addr: a("2001:db8:1::100"),
        plen: 128
    }));
    assert!(removed.contains(&Action::DelAddress {
        ifname: "lan0".into(),
        addr: a("2001:db8:100:1::1"),
        plen: 64
    }));
    assert!(removed.contains(&Action::DelUnreachable(Prefix6 {
        addr: a("2001:db8:100::"),
        len: 56
    })));
    assert!(cl.bindings().is_empty());
    assert_eq!(cl.phase(), Phase::Init);
    let n = cl.next_deadline().unwrap();
    assert_eq!(one(&cl.timeout(n)).msg_type, MessageType::Solicit);
}

/// A Renew Reply refreshes lifetimes (re-issued AddAddress) and T1;
/// C-130: a lease returned with valid 0 goes at once.
#[test]
fn c130_renew_refreshes_and_zero_lifetime_removes() {
    let (mut cl, t, _) = bound();
    let t1 = cl.next_deadline().unwrap();
    let renew = one(&cl.timeout(t1));
    let acts = cl
        .receive(
            t1 + ms(10),
            &msg(
                MessageType::Reply,
                renew.transaction_id,
                Some(s1()),
                Some(me()),
                vec![
                    na(
                        1,
                        10,
                        16,
                        &[("2001:db8:1::100", 0, 0), ("2001:db8:1::101", 20, 40)],
                    ),
                    pd(1, 10, 16, &[("2001:db8:100::", 56, 20, 40)]),
                ],
            ),
        )
        .unwrap();
    assert!(acts.contains(&Action::DelAddress {
        ifname: "c0".into(),
        addr: a("2001:db8:1::100"),
        plen: 128
    }));
    assert!(acts.contains(&Action::AddAddress {
        ifname: "c0".into(),
        addr: a("2001:db8:1::101"),
        plen: 128,
        preferred: 20,
        valid: 40
    }));
    assert!(acts
        .iter()
        .any(|x| matches!(x, Action::AddAddress { ifname, .. } if ifname == "lan0")));
    assert!(acts
        .iter()
        .any(|x| matches!(x, Action::Script(e) if e[0].1 == "RENEW")));
    assert_eq!(cl.phase(), Phase::Bound);
    assert_eq!(
        cl.next_deadline().unwrap(),
        t1 + ms(10) + Duration::from_secs(10)
    );
    let _ = t;
}

/// C-136: NoBinding to a Renew → Request with all IAs to that server.
#[test]
fn c136_nobinding_answered_by_request() {
    let (mut cl, _, _) = bound();
    let t1 = cl.next_deadline().unwrap();
    let renew = one(&cl.timeout(t1));
    let acts = cl
        .receive(
            t1,
            &msg(
                MessageType::Reply,
                renew.transaction_id,
                Some(s1()),
                Some(me()),
                vec![
                    ia_status(IaKind::Na, 1, Status::NoBinding),
                    ia_status(IaKind::Pd, 1, Status::NoBinding),
                ],
            ),
        )
        .unwrap();
    let req = one(&acts);
    assert_eq!(req.msg_type, MessageType::Request);
    assert_eq!(req.server_id(), Some(&s1()));
    assert!(req.option(OptionCode::IaNa).is_some() && req.option(OptionCode::IaPd).is_some());
    // The leases are kept meanwhile.
    assert_eq!(cl.bindings().len(), 2);
}

/// C-137: T1 = 0 from the server → computed from the lifetimes, never
/// at once; T1 = T2 = infinity → no Renew.
#[test]
fn c137_t1_zero_and_infinite() {
    let run = |t1: u32, t2: u32| {
        let (mut cl, t, sol) = soliciting(conf());
        let mut v = both();
        v.push(OptionRepr::Preference(255));
        let req = one(&cl
            .receive(
                t,
                &msg(
                    MessageType::Advertise,
                    sol.transaction_id,
                    Some(s1()),
                    Some(me()),
                    v,
                ),
            )
            .unwrap());
        cl.receive(
            t,
            &msg(
                MessageType::Reply,
                req.transaction_id,
                Some(s1()),
                Some(me()),
                vec![na(1, t1, t2, &[("2001:db8:1::100", 1000, 2000)])],
            ),
        )
        .unwrap();
        (cl.next_deadline(), t)
    };
    let (d, t) = run(0, 0);
    assert_eq!(d.unwrap() - t, Duration::from_secs(500));
    let (d, t) = run(u32::MAX, u32::MAX);
    // Only the lease's own expiry is left.
    assert_eq!(d.unwrap() - t, Duration::from_secs(2000));
}

/// C-138 and RFC 7550: IA_NA refused, IA_PD granted → the prefix is kept
/// and (with `allow renew-missing-ia`) the IA_NA is asked for again in Renew.
#[test]
fn c138_partial_reply_keeps_prefix_and_asks_again() {
    let mut c = conf();
    c.renew_missing_ia = true;
    let (mut cl, t, sol) = soliciting(c);
    let adv = msg(
        MessageType::Advertise,
        sol.transaction_id,
        Some(s1()),
        Some(me()),
        vec![
            ia_status(IaKind::Na, 1, Status::NoAddrsAvail),
            pd(1, 0, 0, &[("2001:db8:100::", 56, 20, 40)]),
        ],
    );
    assert!(sent(&cl.receive(t, &adv).unwrap()).is_empty());
    let req = one(&cl.timeout(cl.next_deadline().unwrap()));
    assert_eq!(req.msg_type, MessageType::Request);
    cl.receive(
        t,
        &msg(
            MessageType::Reply,
            req.transaction_id,
            Some(s1()),
            Some(me()),
            vec![
                ia_status(IaKind::Na, 1, Status::NoAddrsAvail),
                pd(1, 10, 16, &[("2001:db8:100::", 56, 20, 40)]),
            ],
        ),
    )
    .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    assert_eq!(cl.bindings().len(), 1);
    let renew = one(&cl.timeout(cl.next_deadline().unwrap()));
    let Some(OptionRepr::IaNa(ia)) = renew.option(OptionCode::IaNa) else {
        panic!("{renew:?}")
    };
    assert_eq!(ia.iaid, 1);
    assert!(ia.options.is_empty());
}

/// A Reply without the IA_PD binds the IA_NA and keeps going (WIDE and
/// a server that does only addresses).
#[test]
fn reply_without_ia_pd_binds_what_it_has() {
    let (mut cl, t, sol) = soliciting(conf());
    let mut v = both();
    v.push(OptionRepr::Preference(255));
    let req = one(&cl
        .receive(
            t,
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                v,
            ),
        )
        .unwrap());
    let acts = cl
        .receive(
            t,
            &msg(
                MessageType::Reply,
                req.transaction_id,
                Some(s1()),
                Some(me()),
                vec![na(1, 10, 16, &[("2001:db8:1::100", 20, 40)])],
            ),
        )
        .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    assert_eq!(cl.bindings().len(), 1);
    assert!(acts.iter().any(|x| matches!(x, Action::AddAddress { .. })));
}

/// NoAddrsAvail and NoPrefixAvail to a Request (inside the IAs or at top
/// level) → no tight Solicit loop: the hold-down grows each round.
#[test]
fn refused_everything_backs_off() {
    let (mut cl, mut t, mut sol) = soliciting(conf());
    let mut gaps = Vec::new();
    for round in 0..4 {
        let mut v = both();
        v.push(OptionRepr::Preference(255));
        let req = one(&cl
            .receive(
                t,
                &msg(
                    MessageType::Advertise,
                    sol.transaction_id,
                    Some(s1()),
                    Some(me()),
                    v,
                ),
            )
            .unwrap());
        let refusal = if round % 2 == 0 {
            vec![
                ia_status(IaKind::Na, 1, Status::NoAddrsAvail),
                ia_status(IaKind::Pd, 1, Status::NoPrefixAvail),
            ]
        } else {
            vec![OptionRepr::StatusCode(StatusCode::new(
                Status::NoPrefixAvail,
            ))]
        };
        let acts = cl
            .receive(
                t,
                &msg(
                    MessageType::Reply,
                    req.transaction_id,
                    Some(s1()),
                    Some(me()),
                    refusal,
                ),
            )
            .unwrap();
        assert!(sent(&acts).is_empty());
        assert_eq!(cl.phase(), Phase::Init);
        let n = cl.next_deadline().unwrap();
        gaps.push(n - t);
        sol = one(&cl.timeout(n));
        assert_eq!(sol.msg_type, MessageType::Solicit);
        t = n;
    }
    assert!(gaps[0] >= Duration::from_secs(2), "{gaps:?}");
    assert!(gaps.windows(2).all(|w| w[1] > w[0]), "{gaps:?}");
}

/// Rebind answered by another server: the binding moves to it.
#[test]
fn rebind_reply_from_new_server() {
    let (mut cl, t, _) = bound();
    let _ = one(&cl.timeout(cl.next_deadline().unwrap()));
    let acts = cl.timeout(t + Duration::from_secs(16));
    let rebind = sent(&acts)
        .into_iter()
        .find(|m| m.msg_type == MessageType::Rebind)
        .unwrap();
    cl.receive(
        t + Duration::from_secs(17),
        &msg(
            MessageType::Reply,
            rebind.transaction_id,
            Some(s2()),
            Some(me()),
            bound_reply(),
        ),
    )
    .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    let renew = one(&cl.timeout(cl.next_deadline().unwrap()));
    assert_eq!(renew.server_id(), Some(&s2()));
}

/// C-153: UseMulticast (and UnspecFail) → keep retransmitting the same message.
#[test]
fn c153_use_multicast_retransmits() {
    let (mut cl, t, sol) = soliciting(conf());
    let mut v = both();
    v.push(OptionRepr::Preference(255));
    let req = one(&cl
        .receive(
            t,
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                v,
            ),
        )
        .unwrap());
    for st in [Status::UseMulticast, Status::UnspecFail] {
        let r = msg(
            MessageType::Reply,
            req.transaction_id,
            Some(s1()),
            Some(me()),
            vec![OptionRepr::StatusCode(StatusCode::new(st))],
        );
        assert_eq!(cl.receive(t, &r), Err(DropReason::Ignored));
        assert_eq!(cl.phase(), Phase::Request);
    }
    let again = one(&cl.timeout(cl.next_deadline().unwrap()));
    assert_eq!(again.msg_type, MessageType::Request);
    assert_eq!(again.transaction_id, req.transaction_id);
}

/// C-143: addresses removed before the Release goes out; Release names the
/// server and has no ORO; a NoBinding answer ends it. Without an answer it
/// ends after REL_MAX_RC transmissions.
#[test]
fn c143_release() {
    let (mut cl, t, _) = bound();
    let acts = cl.release(t);
    let first_send = acts
        .iter()
        .position(|x| matches!(x, Action::Send(_)))
        .unwrap();
    let last_del = acts
        .iter()
        .rposition(|x| matches!(x, Action::DelAddress { .. } | Action::DelUnreachable(..)))
        .unwrap();
    assert!(last_del < first_send);
    let rel = one(&acts);
    assert_eq!(rel.msg_type, MessageType::Release);
    assert_eq!(rel.server_id(), Some(&s1()));
    assert!(rel.option(OptionCode::Oro).is_none());
    let acts = cl
        .receive(
            t,
            &msg(
                MessageType::Reply,
                rel.transaction_id,
                Some(s1()),
                Some(me()),
                vec![OptionRepr::StatusCode(StatusCode::new(Status::NoBinding))],
            ),
        )
        .unwrap();
    assert!(cl.finished());
    assert!(acts
        .iter()
        .any(|x| matches!(x, Action::Script(e) if e[0].1 == "RELEASE")));

    let (mut cl, t, _) = bound();
    let mut n = sent(&cl.release(t)).len();
    while !cl.finished() {
        let d = cl.next_deadline().unwrap();
        assert!(d < t + Duration::from_secs(30));
        n += sent(&cl.timeout(d)).len();
    }
    assert_eq!(n, 4);
}

/// SIGUSR1 / -n: leases removed, nothing sent.
#[test]
fn stop_without_release() {
    let (mut cl, _, _) = bound();
    let acts = cl.stop();
    assert!(sent(&acts).is_empty());
    assert_eq!(
        acts.iter()
            .filter(|x| matches!(x, Action::DelAddress { .. }))
            .count(),
        2
    );
    assert!(cl.finished());
    assert_eq!(cl.next_deadline(), None);
}

/// C-144 / C-145 / C-146: Information-request after 0–1 s with 83 and 32
/// in the ORO and no IA; refresh 600 s minimum, 86400 s without option 32.
#[test]
fn c144_c145_information_request() {
    let mut c = conf();
    c.information_only = true;
    c.ias.clear();
    for (refresh, want) in [(Some(100), 600), (None, 86400), (Some(7200), 7200)] {
        let t0 = Instant::now();
        let mut cl = Client::new(c.clone(), me(), seeded(9), t0);
        let d = cl.next_deadline().unwrap();
        assert!(d - t0 <= Duration::from_secs(1));
        let m = one(&cl.timeout(d));
        assert_eq!(m.msg_type, MessageType::InformationRequest);
        let o = oro(&m);
        assert!(
            o.contains(&OptionCode::InfMaxRt) && o.contains(&OptionCode::InformationRefreshTime)
        );
        assert!(m.option(OptionCode::IaNa).is_none() && m.option(OptionCode::IaPd).is_none());
        let mut v = vec![
            OptionRepr::Addresses {
                code: OptionCode::DnsServers,
                addrs: vec![a("2001:db8::53")],
            },
            OptionRepr::Domains {
                code: OptionCode::DomainList,
                names: vec![DomainName::from_text("example.net").unwrap()],
            },
        ];
        if let Some(r) = refresh {
            v.push(OptionRepr::InformationRefreshTime(r));
        }
        let acts = cl
            .receive(
                d,
                &msg(
                    MessageType::Reply,
                    m.transaction_id,
                    Some(s1()),
                    Some(me()),
                    v,
                ),
            )
            .unwrap();
        assert!(acts.contains(&Action::Info(vec![
            "nameserver[0] 2001:db8::53".into(),
            "Domain search list[0] example.net.".into()
        ])));
        assert!(acts
            .iter()
            .any(|x| matches!(x, Action::Script(e) if e[0].1 == "INFOREQ")));
        assert_eq!(cl.phase(), Phase::InfoBound);
        let next = cl.next_deadline().unwrap();
        assert_eq!(next - d, Duration::from_secs(want));
        assert_eq!(
            one(&cl.timeout(next)).msg_type,
            MessageType::InformationRequest
        );
    }
}

/// C-151: at most 20 messages in 20 s, whatever the exchanges ask for:
/// here 60 Release exchanges started 10 ms apart.
#[test]
fn c151_rate_limit() {
    let (mut cl, t, _) = bound();
    let mut n = 0;
    let mut now = t;
    for _ in 0..60 {
        let acts = cl.release(now);
        n += sent(&acts).len();
        cl.state = State::Bound(Timers::default());
        now += ms(10);
    }
    assert!(n <= RATE_LIMIT, "{n} messages in under a second");
    assert!(cl.counters.rate_limited > 0);
}

/// The script environment: WIDE's names and order, a blank after each
/// item, duplicate addresses dropped, names with a trailing dot.
#[test]
fn script_environment_format() {
    let m = MessageRepr {
        msg_type: MessageType::Reply,
        transaction_id: 1,
        options: vec![
            OptionRepr::Addresses {
                code: OptionCode::DnsServers,
                addrs: vec![
                    a("2001:db8:1::53"),
                    a("2001:db8:1::54"),
                    a("2001:db8:1::53"),
                ],
            },
            OptionRepr::Domains {
                code: OptionCode::DomainList,
                names: vec![
                    DomainName::from_text("example.com").unwrap(),
                    DomainName::from_text("corp.example.com").unwrap(),
                ],
            },
            OptionRepr::Addresses {
                code: OptionCode::SntpServers,
                addrs: vec![a("2001:db8:1::123")],
            },
        ],
    };
    let env = script_env(Phase::Request, &m);
    assert_eq!(
        env,
        vec![
            ("REASON".into(), "REQUEST".into()),
            (
                "new_domain_name_servers".into(),
                "2001:db8:1::53 2001:db8:1::54 ".into()
            ),
            ("new_ntp_servers".into(), "2001:db8:1::123 ".into()),
            (
                "new_domain_name".into(),
                "example.com. corp.example.com. ".into()
            ),
        ]
    );
}

/// C-154: IAIDs come from the configuration, so they are the same after a restart.
#[test]
fn c154_iaids_stable_across_restart() {
    let (_, _, m1) = soliciting(conf());
    let (_, _, m2) = soliciting(conf());
    let ids = |m: &MessageRepr| -> Vec<u32> {
        m.options
            .iter()
            .filter_map(|o| match o {
                OptionRepr::IaNa(IaNa { iaid, .. }) | OptionRepr::IaPd(IaPd { iaid, .. }) => {
                    Some(*iaid)
                }
                _ => None,
            })
            .collect()
    };
    assert_eq!(ids(&m1), ids(&m2));
    assert_ne!(m1.transaction_id, 0);
}

/// A prefix too long for an explicit sla-len: the LAN is skipped with a
/// warning, the prefix itself is still bound.
#[test]
fn explicit_sla_len_too_long_skips_lan() {
    let mut c = conf();
    c.ias[1].prefix_ifs[0].sla_len = Some(16);
    let (mut cl, t, sol) = soliciting(c);
    let mut v = both();
    v.push(OptionRepr::Preference(255));
    let req = one(&cl
        .receive(
            t,
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                v,
            ),
        )
        .unwrap());
    let acts = cl
        .receive(
            t,
            &msg(
                MessageType::Reply,
                req.transaction_id,
                Some(s1()),
                Some(me()),
                bound_reply(),
            ),
        )
        .unwrap();
    assert!(acts
        .iter()
        .any(|x| matches!(x, Action::Warn(w) if w.contains("invalid prefix length"))));
    assert!(!acts
        .iter()
        .any(|x| matches!(x, Action::AddAddress { ifname, .. } if ifname == "lan0")));
    assert_eq!(cl.bindings().len(), 2);
}

/// C-147: an option absent from a later Reply is no longer passed on: the
/// Renew's script run has no DNS servers when the Renew Reply has none.
#[test]
fn c147_option_missing_from_later_reply_dropped() {
    let (mut cl, _, acts) = bound();
    assert!(acts.iter().any(
        |x| matches!(x, Action::Script(e) if e.iter().any(|(k, _)| k == "new_domain_name_servers"))
    ));
    let t1 = cl.next_deadline().unwrap();
    let renew = one(&cl.timeout(t1));
    let acts = cl
        .receive(
            t1,
            &msg(
                MessageType::Reply,
                renew.transaction_id,
                Some(s1()),
                Some(me()),
                vec![
                    na(1, 10, 16, &[("2001:db8:1::100", 20, 40)]),
                    pd(1, 10, 16, &[("2001:db8:100::", 56, 20, 40)]),
                ],
            ),
        )
        .unwrap();
    let Some(Action::Script(env)) = acts.last() else {
        panic!("{acts:?}")
    };
    assert_eq!(env[0].1, "RENEW");
    assert!(
        !env.iter().any(|(k, _)| k == "new_domain_name_servers"),
        "{env:?}"
    );
}

/// A Renew Reply without the IA_PD: the prefix is kept (until it expires)
/// and asked for again at the next T1, not in a burst of Renews.
#[test]
fn renew_reply_missing_ia_no_renew_burst() {
    let (mut cl, _, _) = bound();
    let t1 = cl.next_deadline().unwrap();
    let renew = one(&cl.timeout(t1));
    cl.receive(
        t1,
        &msg(
            MessageType::Reply,
            renew.transaction_id,
            Some(s1()),
            Some(me()),
            vec![na(1, 10, 16, &[("2001:db8:1::100", 20, 40)])],
        ),
    )
    .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    assert_eq!(cl.bindings().len(), 2);
    let next = cl.next_deadline().unwrap();
    assert_eq!(next - t1, Duration::from_secs(10));
    let again = one(&cl.timeout(next));
    assert_eq!(again.msg_type, MessageType::Renew);
    assert!(again.option(OptionCode::IaPd).is_some());
}

/// IA_TA: requested in Solicit and Request, installed, left out of Renew
/// (temporary addresses are not renewed) and released on exit.
#[test]
fn ia_ta_requested_not_renewed_released() {
    let mut c = conf();
    c.ias.push(IaConf {
        kind: IaKind::Ta,
        iaid: 7,
        hints: vec![],
        prefix_ifs: vec![],
    });
    let (mut cl, t, sol) = soliciting(c);
    assert!(sol.option(OptionCode::IaTa).is_some());
    let ta = OptionRepr::IaTa(libdhcp6::wire::IaTa {
        iaid: 7,
        options: vec![OptionRepr::IaAddr(IaAddr {
            addr: a("2001:db8:1::7"),
            preferred_lifetime: 30,
            valid_lifetime: 60,
            options: vec![],
        })],
    });
    let mut v = both();
    v.push(ta.clone());
    v.push(OptionRepr::Preference(255));
    let req = one(&cl
        .receive(
            t,
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                v,
            ),
        )
        .unwrap());
    assert!(req.option(OptionCode::IaTa).is_some());
    let mut r = bound_reply();
    r.push(ta);
    let acts = cl
        .receive(
            t,
            &msg(
                MessageType::Reply,
                req.transaction_id,
                Some(s1()),
                Some(me()),
                r,
            ),
        )
        .unwrap();
    assert!(acts.contains(&Action::AddAddress {
        ifname: "c0".into(),
        addr: a("2001:db8:1::7"),
        plen: 128,
        preferred: 30,
        valid: 60
    }));
    assert_eq!(cl.bindings().len(), 3);
    let renew = one(&cl.timeout(cl.next_deadline().unwrap()));
    assert_eq!(renew.msg_type, MessageType::Renew);
    assert!(renew.option(OptionCode::IaTa).is_none());
    let rel = one(&cl.release(t + Duration::from_secs(11)));
    assert!(rel.option(OptionCode::IaTa).is_some());
}

/// C-131 / C-132: an address that failed DAD is removed at once and
/// declined to its server (Server ID, Client ID, Elapsed Time, the IA_NA
/// with the address, never an IA_PD); the prefix is kept; any Reply ends
/// the Decline, and so does REL/DEC_MAX_RC transmissions without one.
#[test]
fn c131_c132_duplicate_address_declined() {
    let (mut cl, t, _) = bound();
    let now = t + Duration::from_secs(2);
    let acts = cl.dad_failed(now, a("2001:db8:1::100"));
    assert!(acts.contains(&Action::DelAddress {
        ifname: "c0".into(),
        addr: a("2001:db8:1::100"),
        plen: 128
    }));
    let dec = one(&acts);
    assert_eq!(dec.msg_type, MessageType::Decline);
    assert_eq!(dec.server_id(), Some(&s1()));
    assert_eq!(dec.client_id(), Some(&me()));
    assert_eq!(elapsed(&dec), 0);
    assert!(dec.option(OptionCode::IaPd).is_none());
    assert!(dec.option(OptionCode::Oro).is_none());
    let Some(OptionRepr::IaNa(ia)) = dec.option(OptionCode::IaNa) else {
        panic!("{dec:?}")
    };
    assert_eq!(ia.addresses().next().unwrap().addr, a("2001:db8:1::100"));
    assert_eq!(cl.phase(), Phase::Decline);
    // A Reply from another server does not end it.
    let other = msg(
        MessageType::Reply,
        dec.transaction_id,
        Some(s2()),
        Some(me()),
        vec![],
    );
    assert_eq!(cl.receive(now, &other), Err(DropReason::ServerId));
    cl.receive(
        now,
        &msg(
            MessageType::Reply,
            dec.transaction_id,
            Some(s1()),
            Some(me()),
            vec![OptionRepr::StatusCode(StatusCode::new(Status::Success))],
        ),
    )
    .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    assert_eq!(cl.bindings().len(), 1);
    assert_eq!(cl.bindings()[0].kind, IaKind::Pd);
    // The next Renew has no trace of the declined address.
    let renew = one(&cl.timeout(cl.next_deadline().unwrap()));
    assert_eq!(renew.msg_type, MessageType::Renew);
    assert!(renew.option(OptionCode::IaNa).is_none());

    // Unanswered: DEC_MAX_RC transmissions, then back to Bound.
    let (mut cl, t, _) = bound();
    let mut n = sent(&cl.dad_failed(t, a("2001:db8:1::100"))).len();
    while cl.phase() == Phase::Decline {
        let d = cl.next_deadline().unwrap();
        n += sent(&cl.timeout(d))
            .iter()
            .filter(|m| m.msg_type == MessageType::Decline)
            .count();
    }
    assert_eq!(n, 4);
    assert_eq!(cl.phase(), Phase::Bound);
    // An address we do not hold is not declined.
    let (mut cl, t, _) = bound();
    assert!(cl.dad_failed(t, a("2001:db8:1::999")).is_empty());
}

/// A client holding only addresses (IA_NA).
fn bound_na_only() -> (Client, Instant) {
    let mut c = conf();
    c.ias.truncate(1);
    let (mut cl, t, sol) = soliciting(c);
    let adv = msg(
        MessageType::Advertise,
        sol.transaction_id,
        Some(s1()),
        Some(me()),
        vec![
            na(1, 0, 0, &[("2001:db8:1::100", 20, 40)]),
            OptionRepr::Preference(255),
        ],
    );
    let req = one(&cl.receive(t, &adv).unwrap());
    cl.receive(
        t,
        &msg(
            MessageType::Reply,
            req.transaction_id,
            Some(s1()),
            Some(me()),
            vec![na(1, 10, 16, &[("2001:db8:1::100", 20, 40)])],
        ),
    )
    .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    (cl, t)
}

/// C-140: after a link change with addresses only, Confirm after 0–1 s,
/// without Server ID, with T1/T2 and lifetimes 0. C-141: no answer within
/// CNF_MAX_RD (10 s) keeps the addresses.
#[test]
fn c140_c141_confirm_unanswered_keeps_addresses() {
    let (mut cl, t) = bound_na_only();
    let now = t + Duration::from_secs(2);
    // Nothing sent at once; the address goes back with what is left of
    // its lifetimes (20/40 received 2 s ago).
    assert_eq!(
        cl.link_up(now),
        vec![Action::AddAddress {
            ifname: "c0".into(),
            addr: a("2001:db8:1::100"),
            plen: 128,
            preferred: 18,
            valid: 38
        }]
    );
    let d = cl.next_deadline().unwrap();
    assert!(d >= now && d <= now + Duration::from_secs(1));
    let cnf = one(&cl.timeout(d));
    assert_eq!(cnf.msg_type, MessageType::Confirm);
    assert!(cnf.server_id().is_none());
    assert_eq!(cnf.client_id(), Some(&me()));
    assert_eq!(elapsed(&cnf), 0);
    let Some(OptionRepr::IaNa(ia)) = cnf.option(OptionCode::IaNa) else {
        panic!("{cnf:?}")
    };
    assert_eq!((ia.t1, ia.t2), (0, 0));
    let a0 = ia.addresses().next().unwrap();
    assert_eq!(a0.addr, a("2001:db8:1::100"));
    assert_eq!((a0.preferred_lifetime, a0.valid_lifetime), (0, 0));
    let mut now = d;
    let mut acts = Vec::new();
    while cl.phase() == Phase::Confirm {
        now = cl.next_deadline().unwrap();
        acts.extend(cl.timeout(now));
    }
    assert!(now - d <= Duration::from_secs(10) + ms(1), "{:?}", now - d);
    assert!(!acts.iter().any(|x| matches!(x, Action::DelAddress { .. })));
    assert_eq!(cl.phase(), Phase::Bound);
    assert_eq!(cl.bindings().len(), 1);
}

/// C-141: only NotOnLink → the addresses go and Solicit starts; Success
/// → Bound with the same leases.
#[test]
fn c141_confirm_not_on_link_solicits() {
    let (mut cl, t) = bound_na_only();
    cl.link_up(t);
    let d = cl.next_deadline().unwrap();
    let cnf = one(&cl.timeout(d));
    let acts = cl
        .receive(
            d,
            &msg(
                MessageType::Reply,
                cnf.transaction_id,
                Some(s1()),
                Some(me()),
                vec![OptionRepr::StatusCode(StatusCode::new(Status::NotOnLink))],
            ),
        )
        .unwrap();
    assert!(acts.contains(&Action::DelAddress {
        ifname: "c0".into(),
        addr: a("2001:db8:1::100"),
        plen: 128
    }));
    assert_eq!(cl.phase(), Phase::Init);
    assert_eq!(
        one(&cl.timeout(cl.next_deadline().unwrap())).msg_type,
        MessageType::Solicit
    );

    let (mut cl, t) = bound_na_only();
    cl.link_up(t);
    let d = cl.next_deadline().unwrap();
    let cnf = one(&cl.timeout(d));
    cl.receive(
        d,
        &msg(
            MessageType::Reply,
            cnf.transaction_id,
            Some(s1()),
            Some(me()),
            vec![OptionRepr::StatusCode(StatusCode::new(Status::Success))],
        ),
    )
    .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    assert_eq!(cl.bindings().len(), 1);
}

/// C-142: holding a delegated prefix, a link change brings a Rebind (not
/// Confirm) with Confirm's timing (RT from 1 s, over after 10 s keeping
/// the leases).
#[test]
fn c142_link_change_with_prefix_rebinds() {
    let (mut cl, t, _) = bound();
    cl.link_up(t);
    let d = cl.next_deadline().unwrap();
    assert!(d <= t + Duration::from_secs(1));
    let reb = one(&cl.timeout(d));
    assert_eq!(reb.msg_type, MessageType::Rebind);
    assert!(reb.server_id().is_none());
    let rt = cl.next_deadline().unwrap() - d;
    assert!((0.9..=1.1).contains(&rt.as_secs_f64()), "{rt:?}");
    let mut now = d;
    while cl.phase() == Phase::Rebind {
        now = cl.next_deadline().unwrap();
        let acts = cl.timeout(now);
        assert!(!acts.iter().any(|x| matches!(x, Action::DelAddress { .. })));
    }
    assert!(now - d <= Duration::from_secs(10) + ms(1));
    assert_eq!(cl.phase(), Phase::Bound);
    assert_eq!(cl.bindings().len(), 2);
}

/// A link flap is not a duplicate address (C-140 … C-142): the kernel
/// dropped the address with the link, so link-up puts it back on the DHCP
/// interface with its remaining lifetimes — only it: the LAN address and
/// the unreachable route of the prefix are elsewhere — and the leases are
/// checked with Rebind; nothing is declined or removed, the binding
/// stays. A second flap while checking puts it back again and starts the
/// check over; a stopped client puts nothing back.
#[test]
fn link_flap_reinstalls_and_never_declines() {
    let (mut cl, t, _) = bound();
    let up = t + Duration::from_secs(5);
    let back = Action::AddAddress {
        ifname: "c0".into(),
        addr: a("2001:db8:1::100"),
        plen: 128,
        preferred: 15,
        valid: 35,
    };
    assert_eq!(cl.link_up(up), vec![back.clone()]);
    assert_eq!(cl.phase(), Phase::Confirm);
    // Flapped again before the check began: back again, the delay anew.
    let again = up + ms(300);
    assert_eq!(cl.link_up(again), vec![back]);
    let d = cl.next_deadline().unwrap();
    assert!(d >= again && d <= again + Duration::from_secs(1));
    let mut msgs = Vec::new();
    let mut acts = Vec::new();
    let mut now = d;
    while matches!(cl.phase(), Phase::Confirm | Phase::Rebind) {
        let out = cl.timeout(now);
        msgs.extend(sent(&out).into_iter().map(|m| m.msg_type));
        acts.extend(out);
        now = cl.next_deadline().unwrap();
    }
    assert_eq!(msgs.first(), Some(&MessageType::Rebind));
    assert!(msgs.iter().all(|m| *m == MessageType::Rebind), "{msgs:?}");
    assert!(!acts.iter().any(|x| matches!(x, Action::DelAddress { .. })));
    assert_eq!(cl.phase(), Phase::Bound);
    assert_eq!(cl.bindings().len(), 2);
    // Stopped: nothing to put back.
    let _ = cl.stop();
    assert!(cl.link_up(now).is_empty());
}

// ---- Reconfigure (RFC 8415 §18.2.11; C-148, C-149, C-150, C-172 … C-174) ----

/// A Reply from s1 to us.
fn s1_reply(xid: u32, options: Vec<OptionRepr>) -> Vec<u8> {
    msg(MessageType::Reply, xid, Some(s1()), Some(me()), options)
}

/// The reconfigure key s1 hands out in its Reply.
const RKEY: [u8; 16] = [0x3c; 16];

fn reconf_conf() -> IfConfig {
    IfConfig {
        reconfigure_accept: true,
        ..conf()
    }
}

/// Solicit → Advertise (pref 255) → Request → Reply carrying `reply_extra`
/// besides the leases: a bound client.
fn bound_with(c: IfConfig, reply_extra: Vec<OptionRepr>) -> (Client, Instant) {
    let (mut cl, t, sol) = soliciting(c);
    let mut adv = both();
    adv.push(OptionRepr::Preference(255));
    let req = one(&cl
        .receive(
            t,
            &msg(
                MessageType::Advertise,
                sol.transaction_id,
                Some(s1()),
                Some(me()),
                adv,
            ),
        )
        .unwrap());
    let mut rep = bound_reply();
    rep.extend(reply_extra);
    cl.receive(t, &s1_reply(req.transaction_id, rep)).unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    (cl, t)
}

/// A client bound to s1 that holds s1's reconfigure key, given with replay
/// value 100.
fn bound_reconf() -> (Client, Instant) {
    bound_with(
        reconf_conf(),
        vec![OptionRepr::Auth(Auth::reconfigure_key(RKEY, 100))],
    )
}

/// A Reconfigure from `server` to `client` signed with `key`.
fn reconfigure(kind: MessageType, rd: u64, key: &[u8; 16], server: Duid, client: Duid) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let n = libdhcp6::auth::build_reconfigure(&mut buf, &server, &client, kind, rd, key).unwrap();
    buf[..n].to_vec()
}

/// A valid Reconfigure from s1.
fn rc(kind: MessageType, rd: u64) -> Vec<u8> {
    reconfigure(kind, rd, &RKEY, s1(), me())
}

/// `m` changed, then signed again with `key`.
fn resigned(m: MessageRepr, key: &[u8]) -> Vec<u8> {
    let mut b = m.to_vec().unwrap();
    libdhcp6::auth::sign_in_place(key, &mut b).unwrap();
    b
}

fn dropped(cl: &Client, why: DropReason) -> u64 {
    let i = DropReason::ALL.iter().position(|d| *d == why).unwrap();
    cl.counters.dropped[i]
}

/// Reconfigure Accept goes in Solicit, Request, Renew, Rebind and
/// Information-request when configured, never in Release, Decline or
/// Confirm, and nowhere without `send reconfigure-accept`.
#[test]
fn reconfigure_accept_option_where_configured() {
    let has = |m: &MessageRepr| m.option(OptionCode::ReconfAccept).is_some();
    let (_, _, sol) = soliciting(reconf_conf());
    assert!(has(&sol));
    let (_, _, sol) = soliciting(conf());
    assert!(!has(&sol));
    let (mut cl, t) = bound_reconf();
    let renew = one(&cl.timeout(t + Duration::from_secs(10)));
    assert_eq!(renew.msg_type, MessageType::Renew);
    assert!(has(&renew));
    let rebind = one(&cl.timeout(t + Duration::from_secs(16)));
    assert_eq!(rebind.msg_type, MessageType::Rebind);
    assert!(has(&rebind));
    let rel = one(&cl.release(t + Duration::from_secs(17)));
    assert_eq!(rel.msg_type, MessageType::Release);
    assert!(!has(&rel));
    let (mut cl, t) = bound_reconf();
    let dec = one(&cl.dad_failed(t, a("2001:db8:1::100")));
    assert_eq!(dec.msg_type, MessageType::Decline);
    assert!(!has(&dec));
    let mut c = reconf_conf();
    c.information_only = true;
    c.ias.clear();
    let (_, _, inf) = soliciting(c);
    assert_eq!(inf.msg_type, MessageType::InformationRequest);
    assert!(has(&inf));
}

/// The Reconfigures [`c148_c173_bad_reconfigures_dropped`] sends a bound
/// client, each with one flaw, how each is delivered and why it must be
/// dropped.
fn bad_reconfigures() -> Vec<(&'static str, Vec<u8>, Delivery, DropReason)> {
    // Each unique replay value above 100, so only the flaw can refuse it.
    let good = |rd: u64| rc(MessageType::Renew, rd);
    let edited = |rd: u64, edit: &dyn Fn(&mut MessageRepr)| {
        let mut m = MessageRepr::from_bytes(&good(rd)).unwrap();
        edit(&mut m);
        m
    };
    let flipped = |rd: u64, at: &dyn Fn(usize, usize) -> usize| {
        let mut b = good(rd);
        let off = libdhcp6::auth::mac_offset(&b).unwrap();
        let i = at(off, b.len());
        b[i] ^= 0x40;
        b
    };
    use Delivery::{Multicast, Unicast};
    vec![
        ("multicast", good(201), Multicast, DropReason::Multicast),
        // Any changed octet breaks the digest, the digest's own included.
        (
            "replay field",
            flipped(202, &|off, _| off - 9),
            Unicast,
            DropReason::Auth,
        ),
        (
            "type octet",
            flipped(203, &|off, _| off - 1),
            Unicast,
            DropReason::Auth,
        ),
        (
            "digest start",
            flipped(204, &|off, _| off),
            Unicast,
            DropReason::Auth,
        ),
        (
            "digest end",
            flipped(205, &|_, len| len - 1),
            Unicast,
            DropReason::Auth,
        ),
        (
            "other key",
            reconfigure(MessageType::Renew, 206, &[0x3d; 16], s1(), me()),
            Unicast,
            DropReason::Auth,
        ),
        (
            "delayed auth",
            resigned(
                edited(207, &|m| {
                    *m.options.last_mut().unwrap() = OptionRepr::Auth(Auth::delayed(b"r", 1, 207))
                }),
                &RKEY,
            ),
            Unicast,
            DropReason::Auth,
        ),
        (
            "two auth options",
            edited(208, &|m| m.options.push(m.options[3].clone()))
                .to_vec()
                .unwrap(),
            Unicast,
            DropReason::Auth,
        ),
        (
            "no auth option",
            edited(209, &|m| drop(m.options.pop())).to_vec().unwrap(),
            Unicast,
            DropReason::Auth,
        ),
        (
            "foreign client",
            reconfigure(MessageType::Renew, 210, &RKEY, s1(), s2()),
            Unicast,
            DropReason::ClientId,
        ),
        (
            "other server",
            reconfigure(MessageType::Renew, 211, &RKEY, s2(), me()),
            Unicast,
            DropReason::ServerId,
        ),
        (
            "no server ID",
            resigned(edited(212, &|m| drop(m.options.remove(0))), &RKEY),
            Unicast,
            DropReason::ServerId,
        ),
        (
            "no client ID",
            resigned(edited(213, &|m| drop(m.options.remove(1))), &RKEY),
            Unicast,
            DropReason::ClientId,
        ),
        (
            "msg-type 7",
            resigned(
                edited(214, &|m| {
                    m.options[2] = OptionRepr::ReconfMsg(MessageType::from(7))
                }),
                &RKEY,
            ),
            Unicast,
            DropReason::Malformed,
        ),
        (
            "no Reconfigure Message",
            resigned(edited(215, &|m| drop(m.options.remove(2))), &RKEY),
            Unicast,
            DropReason::Malformed,
        ),
    ]
}

/// C-148, C-173: a Reconfigure is dropped when it was multicast, lacks a
/// valid RKAP digest (bad MAC, any changed byte, wrong key, other layout,
/// two Authentication options, none), names another client or another
/// server, or asks for an invalid message type; none of them changes
/// anything, and each is counted under its reason.
#[test]
fn c148_c173_bad_reconfigures_dropped() {
    let (mut cl, t) = bound_reconf();
    let bindings = cl.bindings().to_vec();
    let cases = bad_reconfigures();
    for (what, bytes, d, want) in &cases {
        assert_eq!(cl.receive_on(t, bytes, *d), Err(*want), "{what}");
    }
    assert_eq!(cl.phase(), Phase::Bound);
    assert_eq!(cl.bindings(), &bindings[..]);
    assert_eq!(cl.counters.sent, 2, "Solicit and Request only");
    assert_eq!(dropped(&cl, DropReason::Multicast), 1);
    assert_eq!(dropped(&cl, DropReason::Auth), 8);
    assert_eq!(dropped(&cl, DropReason::ClientId), 2);
    assert_eq!(dropped(&cl, DropReason::ServerId), 2);
    assert_eq!(dropped(&cl, DropReason::Malformed), 2);
    // None of them used up a replay value: a genuine one with the
    // smallest value still works.
    let renew = one(&cl.receive(t, &rc(MessageType::Renew, 101)).unwrap());
    assert_eq!(renew.msg_type, MessageType::Renew);
    // The statistics: every refused Reconfigure, the accepted one, and the
    // messages by type.
    let k = &cl.counters;
    assert_eq!(k.reconfigures_refused, cases.len() as u64);
    assert_eq!(k.reconfigures_accepted, 1);
    let t = |m: MessageType| usize::from(u8::from(m));
    assert_eq!(
        k.received_by_type[t(MessageType::Reconfigure)],
        cases.len() as u64 + 1
    );
    assert_eq!(k.sent_by_type[t(MessageType::Solicit)], 1);
    assert_eq!(k.sent_by_type[t(MessageType::Request)], 1);
    assert_eq!(k.sent_by_type[t(MessageType::Renew)], 1);
    assert_eq!(k.retransmissions, 0);
}

/// C-148: without `send reconfigure-accept` a Reconfigure is not for the
/// client at all; with it but no key from the server, none can be
/// authenticated.
#[test]
fn c148_reconfigure_needs_accept_and_key() {
    // Without `send reconfigure-accept` a Reconfigure is not for us at all.
    let (mut cl, t) = bound_with(
        conf(),
        vec![OptionRepr::Auth(Auth::reconfigure_key(RKEY, 100))],
    );
    assert_eq!(
        cl.receive(t, &rc(MessageType::Renew, 101)),
        Err(DropReason::WrongType)
    );
    // With it but no key from the server, nothing can be authenticated.
    let (mut cl, t) = bound_with(reconf_conf(), vec![]);
    assert_eq!(
        cl.receive(t, &rc(MessageType::Renew, 101)),
        Err(DropReason::Auth)
    );
}

/// C-149: Reconfigure 5 → Renew with Server ID, 6 → Rebind without, 11 →
/// Information-request with the Reconfigure's Server ID; the answer keeps
/// the bindings (the Information-request's Reply changes only the
/// information) and the client is Bound again.
#[test]
fn c149_reconfigure_triggers_the_exchange_asked_for() {
    for (kind, server_id) in [
        (MessageType::Renew, true),
        (MessageType::Rebind, false),
        (MessageType::InformationRequest, true),
    ] {
        let (mut cl, t) = bound_reconf();
        let held = cl.bindings().to_vec();
        let now = t + Duration::from_secs(3);
        let acts = cl.receive(now, &rc(kind, 101)).unwrap();
        assert!(acts.iter().any(|x| matches!(
            x,
            Action::Log { level: LogLevel::Notice, text, .. } if text.contains("Reconfigure from")
        )));
        let m = one(&acts);
        assert_eq!(m.msg_type, kind);
        assert_eq!(m.server_id().is_some(), server_id, "{kind}");
        if server_id {
            assert_eq!(m.server_id(), Some(&s1()));
        }
        assert_eq!(m.client_id(), Some(&me()));
        assert!(m.option(OptionCode::ReconfAccept).is_some());
        assert_eq!(elapsed(&m), 0);
        // Treated like T1: Renew and Rebind carry the IAs held.
        assert_eq!(
            m.option(OptionCode::IaNa).is_some(),
            kind != MessageType::InformationRequest
        );
        if kind == MessageType::InformationRequest {
            assert!(oro(&m).contains(&OptionCode::InformationRefreshTime));
        }
        let reply = match kind {
            MessageType::InformationRequest => vec![OptionRepr::Addresses {
                code: OptionCode::DnsServers,
                addrs: vec![a("2001:db8::5353")],
            }],
            _ => bound_reply(),
        };
        let acts = cl.receive(now, &s1_reply(m.transaction_id, reply)).unwrap();
        assert_eq!(cl.phase(), Phase::Bound, "{kind}");
        assert!(!acts
            .iter()
            .any(|x| matches!(x, Action::DelAddress { .. } | Action::DelUnreachable(..))));
        assert!(acts.iter().any(
            |x| matches!(x, Action::Script(e) if e.iter().any(|(_, v)| v.contains("2001:db8::")))
        ));
        let addrs = |b: &[Binding]| {
            b.iter()
                .flat_map(|b| b.leases.iter().map(|l| l.addr))
                .collect::<Vec<_>>()
        };
        assert_eq!(addrs(cl.bindings()), addrs(&held), "{kind}");
        // The binding's own timers go on: the next event is a Renew.
        let d = cl.next_deadline().unwrap();
        assert!(d > now);
        assert_eq!(one(&cl.timeout(d)).msg_type, MessageType::Renew);
    }
}

/// C-150: while the exchange a Reconfigure started runs, further
/// Reconfigures are dropped unchecked (their replay values stay unused);
/// the exchange goes on with the same transaction-id, and once it is over
/// a new Reconfigure is taken again.
#[test]
fn c150_second_reconfigure_during_exchange_ignored() {
    let (mut cl, t) = bound_reconf();
    let renew = one(&cl.receive(t, &rc(MessageType::Renew, 101)).unwrap());
    assert_eq!(cl.phase(), Phase::Renew);
    for kind in [
        MessageType::Rebind,
        MessageType::InformationRequest,
        MessageType::Renew,
    ] {
        assert_eq!(
            cl.receive(t + ms(300), &rc(kind, 102)),
            Err(DropReason::Busy)
        );
    }
    assert_eq!(dropped(&cl, DropReason::Busy), 3);
    let d = cl.next_deadline().unwrap();
    let again = one(&cl.timeout(d));
    assert_eq!(again.msg_type, MessageType::Renew);
    assert_eq!(again.transaction_id, renew.transaction_id);
    cl.receive(d, &s1_reply(renew.transaction_id, bound_reply()))
        .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    // 102 was never consumed by the dropped ones.
    let rebind = one(&cl.receive(d, &rc(MessageType::Rebind, 102)).unwrap());
    assert_eq!(rebind.msg_type, MessageType::Rebind);
}

/// C-174: the replay value of the Reply that brought the key is the first
/// one recorded; a Reconfigure must exceed the last value accepted from
/// that server, so the same Reconfigure works once.
#[test]
fn c174_reconfigure_replay_values() {
    let (mut cl, t) = bound_reconf();
    for rd in [0, 50, 100] {
        assert_eq!(
            cl.receive(t, &rc(MessageType::Renew, rd)),
            Err(DropReason::Replay)
        );
    }
    let first = rc(MessageType::Renew, 101);
    let renew = one(&cl.receive(t, &first).unwrap());
    cl.receive(t, &s1_reply(renew.transaction_id, bound_reply()))
        .unwrap();
    assert_eq!(cl.receive(t, &first), Err(DropReason::Replay));
    assert_eq!(dropped(&cl, DropReason::Replay), 4);
    // A key in a later Reply with an old replay value is a replayed Reply:
    // the key it carries is not taken.
    let renew = one(&cl.timeout(t + Duration::from_secs(10)));
    let acts = cl
        .receive(
            t + Duration::from_secs(10),
            &msg(
                MessageType::Reply,
                renew.transaction_id,
                Some(s1()),
                Some(me()),
                [
                    bound_reply(),
                    vec![OptionRepr::Auth(Auth::reconfigure_key([9; 16], 101))],
                ]
                .concat(),
            ),
        )
        .unwrap();
    assert!(acts.iter().any(
        |x| matches!(x, Action::Log { text, .. } if text.contains("reconfigure key") && text.contains("ignored"))
    ));
    assert_eq!(
        cl.receive(
            t,
            &reconfigure(MessageType::Renew, 300, &[9; 16], s1(), me())
        ),
        Err(DropReason::Auth)
    );
    assert!(cl.receive(t, &rc(MessageType::Renew, 300)).is_ok());
}

/// A new key in a later Reply (with a higher replay value) replaces the
/// old one; the Reconfigure is checked against the binding server's key.
#[test]
fn reconfigure_key_replaced_by_later_reply() {
    let (mut cl, t) = bound_reconf();
    let now = t + Duration::from_secs(10);
    let renew = one(&cl.timeout(now));
    cl.receive(
        now,
        &msg(
            MessageType::Reply,
            renew.transaction_id,
            Some(s1()),
            Some(me()),
            [
                bound_reply(),
                vec![OptionRepr::Auth(Auth::reconfigure_key([0x77; 16], 150))],
            ]
            .concat(),
        ),
    )
    .unwrap();
    assert_eq!(
        cl.receive(now, &rc(MessageType::Renew, 151)),
        Err(DropReason::Auth)
    );
    let ok = reconfigure(MessageType::Renew, 151, &[0x77; 16], s1(), me());
    assert_eq!(
        one(&cl.receive(now, &ok).unwrap()).msg_type,
        MessageType::Renew
    );
}

/// A Rebind a Reconfigure started that nobody answers ends at the
/// binding's T1 without giving anything up; the Reconfigure is simply
/// dropped and the usual Renew follows (RFC 8415 §18.2.11). Same for an
/// unanswered Information-request.
#[test]
fn reconfigure_exchange_running_out_keeps_leases() {
    for kind in [MessageType::Rebind, MessageType::InformationRequest] {
        let (mut cl, t) = bound_reconf();
        let start = t + Duration::from_secs(2);
        assert_eq!(
            one(&cl.receive(start, &rc(kind, 101)).unwrap()).msg_type,
            kind
        );
        let mut all = Vec::new();
        while cl.phase() != Phase::Bound {
            let now = cl.next_deadline().unwrap();
            assert!(now <= t + Duration::from_secs(10), "{kind} ran past T1");
            all.extend(cl.timeout(now));
        }
        assert!(!all
            .iter()
            .any(|x| matches!(x, Action::DelAddress { .. } | Action::DelUnreachable(..))));
        assert_eq!(cl.bindings().len(), 2);
        let d = cl.next_deadline().unwrap();
        assert_eq!(d, t + Duration::from_secs(10), "{kind}");
        let renew = one(&cl.timeout(d));
        assert_eq!(renew.msg_type, MessageType::Renew);
        assert_eq!(renew.server_id(), Some(&s1()));
    }
}

/// A stateless client (information-only) takes its key from the Reply to
/// Information-request and answers Reconfigure 11 with an
/// Information-request naming the server (C-149); Renew and Rebind make
/// no sense without bindings and are ignored.
#[test]
fn c149_stateless_reconfigure() {
    let mut c = reconf_conf();
    c.information_only = true;
    c.ias.clear();
    let (mut cl, t, inf) = soliciting(c);
    cl.receive(
        t,
        &s1_reply(
            inf.transaction_id,
            vec![OptionRepr::Auth(Auth::reconfigure_key(RKEY, 7))],
        ),
    )
    .unwrap();
    assert_eq!(cl.phase(), Phase::InfoBound);
    assert_eq!(
        cl.receive(t, &rc(MessageType::Renew, 8)),
        Err(DropReason::Ignored)
    );
    let m = one(&cl
        .receive(t, &rc(MessageType::InformationRequest, 9))
        .unwrap());
    assert_eq!(m.msg_type, MessageType::InformationRequest);
    assert_eq!(m.server_id(), Some(&s1()));
    assert_eq!(
        cl.receive(t, &rc(MessageType::InformationRequest, 10)),
        Err(DropReason::Busy)
    );
    cl.receive(t, &s1_reply(m.transaction_id, vec![])).unwrap();
    assert_eq!(cl.phase(), Phase::InfoBound);
}

// ---- delayed authentication (RFC 3315 §21.4, doc/wide-compat.md §6; C-177, C-178) ----

const REALM: &[u8] = b"example.org";
const SECRET_A: &[u8] = b"secret of key a!";
const SECRET_B: &[u8] = b"key b: 0123456789";
/// 2026-01-01T00:00:00Z.
const UNIX: u64 = 1_767_225_600;

fn keys() -> Vec<DelayedKey> {
    vec![
        DelayedKey {
            name: "a".into(),
            realm: REALM.to_vec(),
            key_id: 1,
            secret: SECRET_A.to_vec(),
            expires: None,
        },
        DelayedKey {
            name: "b".into(),
            realm: REALM.to_vec(),
            key_id: 2,
            secret: SECRET_B.to_vec(),
            expires: Some(UNIX + 3600),
        },
    ]
}

/// The wall clock reading `unix` now.
fn clock(unix: u64) -> WallClock {
    WallClock {
        at: Instant::now(),
        unix: Duration::from_secs(unix),
    }
}

fn auth_conf() -> IfConfig {
    IfConfig {
        delayed_auth: Some(keys()),
        wall_clock: Some(clock(UNIX)),
        ..conf()
    }
}

/// A server message with delayed authentication by key `key_id` of
/// `realm`, signed with `secret`.
#[allow(clippy::too_many_arguments)]
fn signed(
    kind: MessageType,
    xid: u32,
    server: Duid,
    extra: Vec<OptionRepr>,
    realm: &[u8],
    key_id: u32,
    secret: &[u8],
    rd: u64,
) -> Vec<u8> {
    let mut opts = extra;
    opts.push(OptionRepr::Auth(Auth::delayed(realm, key_id, rd)));
    let mut b = msg(kind, xid, Some(server), Some(me()), opts);
    libdhcp6::auth::sign_in_place(secret, &mut b).unwrap();
    b
}

/// The delayed-auth option of a message we sent, checked against `secret`.
fn our_auth(bytes: &[u8], secret: &[u8]) -> libdhcp6::auth::DelayedClaim {
    let m = MessageRepr::from_bytes(bytes).unwrap();
    assert_eq!(
        m.options.last().map(|o| o.code()),
        Some(OptionCode::Auth),
        "WIDE puts Authentication last"
    );
    let claim = libdhcp6::auth::delayed_claim(bytes).unwrap();
    claim.verify(bytes, secret, None).unwrap();
    claim
}

fn sent_bytes(acts: &[Action]) -> Vec<Vec<u8>> {
    acts.iter()
        .filter_map(|x| match x {
            Action::Send(b) => Some(b.clone()),
            _ => None,
        })
        .collect()
}

/// Solicit → Advertise (pref 255) and Reply signed with key `key_id` of
/// REALM (replay values 3 and 4): a bound client and its Request's bytes.
fn bound_auth(c: IfConfig, key_id: u32, secret: &[u8]) -> (Client, Instant, Vec<u8>) {
    let (mut cl, t, sol) = soliciting(c);
    let mut adv = both();
    adv.push(OptionRepr::Preference(255));
    let x = sol.transaction_id;
    let advert = signed(
        MessageType::Advertise,
        x,
        s1(),
        adv,
        REALM,
        key_id,
        secret,
        3,
    );
    let req = sent_bytes(&cl.receive(t, &advert).unwrap()).remove(0);
    let rx = MessageRepr::from_bytes(&req).unwrap().transaction_id;
    let reply = signed(
        MessageType::Reply,
        rx,
        s1(),
        bound_reply(),
        REALM,
        key_id,
        secret,
        4,
    );
    cl.receive(t, &reply).unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    (cl, t, req)
}

/// C-177: the Solicit announces delayed authentication: protocol 2,
/// HMAC-MD5, RDM 0, replay value 0, option-len 11, last.
#[test]
fn c177_solicit_announces_delayed_auth() {
    let (_, _, sol) = soliciting(auth_conf());
    assert_eq!(
        sol.options.last(),
        Some(&OptionRepr::Auth(Auth::delayed_announce()))
    );
    let bytes = sol.to_vec().unwrap();
    assert_eq!(
        &bytes[bytes.len() - 15..],
        &[0, 11, 0, 11, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    let (_, _, plain) = soliciting(conf());
    assert!(plain.option(OptionCode::Auth).is_none());
}

/// [`delayed_auth_client_rules`], soliciting: Advertises without
/// authentication, with a bad MAC, an unknown key, another realm or an
/// RKAP option are dropped and nothing is sent but the Solicit.
fn advertise_rejections(cl: &mut Client, t: Instant, x: u32, adv: &[OptionRepr]) {
    let adv = adv.to_vec();
    assert_eq!(
        cl.receive(
            t,
            &msg(
                MessageType::Advertise,
                x,
                Some(s1()),
                Some(me()),
                adv.clone()
            )
        ),
        Err(DropReason::Auth),
        "unauthenticated"
    );
    let sign = |kind, x, extra: Vec<OptionRepr>, id, secret: &[u8], rd| {
        signed(kind, x, s1(), extra, REALM, id, secret, rd)
    };
    let adv_by =
        |id, secret: &[u8], rd| sign(MessageType::Advertise, x, adv.clone(), id, secret, rd);
    assert_eq!(
        cl.receive(t, &adv_by(2, SECRET_A, 10)),
        Err(DropReason::Auth),
        "bad MAC"
    );
    assert_eq!(
        cl.receive(t, &adv_by(9, SECRET_B, 10)),
        Err(DropReason::Auth),
        "unknown key"
    );
    assert_eq!(
        cl.receive(
            t,
            &signed(
                MessageType::Advertise,
                x,
                s1(),
                adv.clone(),
                b"other",
                2,
                SECRET_B,
                10
            )
        ),
        Err(DropReason::Auth),
        "other realm"
    );
    let mut rkap = msg(
        MessageType::Advertise,
        x,
        Some(s1()),
        Some(me()),
        [
            adv.clone(),
            vec![OptionRepr::Auth(Auth::reconfigure_key(RKEY, 1))],
        ]
        .concat(),
    );
    assert_eq!(cl.receive(t, &rkap), Err(DropReason::Auth), "RKAP");
    rkap.clear();
    assert_eq!(cl.counters.sent, 1);
}

/// doc/wide-compat.md §6.3 on an interface with authentication: unauthenticated
/// Advertises, a wrong MAC, an unknown key, an RKAP option are dropped; an
/// authenticated Advertise chooses the session key, and Request, Renew,
/// Rebind and Release carry realm, key ID, a growing replay value and the
/// MAC of the final message; Replies must use the session key, carry a
/// valid MAC and a replay value above the last one from that server.
#[test]
fn delayed_auth_client_rules() {
    let (mut cl, t, sol) = soliciting(auth_conf());
    let x = sol.transaction_id;
    let mut adv = both();
    adv.push(OptionRepr::Preference(255));
    advertise_rejections(&mut cl, t, x, &adv);
    let sign = |kind, x, extra: Vec<OptionRepr>, id, secret: &[u8], rd| {
        signed(kind, x, s1(), extra, REALM, id, secret, rd)
    };
    let adv_by =
        |id, secret: &[u8], rd| sign(MessageType::Advertise, x, adv.clone(), id, secret, rd);
    // Key b (realm example.org, key ID 2) authenticates it.
    let acts = cl.receive(t, &adv_by(2, SECRET_B, 10)).unwrap();
    let req_bytes = sent_bytes(&acts).remove(0);
    let req = MessageRepr::from_bytes(&req_bytes).unwrap();
    assert_eq!(req.msg_type, MessageType::Request);
    let claim = our_auth(&req_bytes, SECRET_B);
    assert_eq!((claim.realm.as_slice(), claim.key_id), (REALM, 2));
    // The replay value is the NTP time of the machine's wall clock.
    let w = cl.conf.wall_clock.unwrap();
    let ntp = libdhcp6::auth::ntp_timestamp(w.unix + (t - w.at));
    assert_eq!(claim.replay, ntp);
    let rx = req.transaction_id;
    // Replies: the session key only, a valid MAC, a fresh replay value.
    assert_eq!(
        cl.receive(t, &s1_reply(rx, bound_reply())),
        Err(DropReason::Auth)
    );
    assert_eq!(
        cl.receive(
            t,
            &sign(MessageType::Reply, rx, bound_reply(), 1, SECRET_A, 11)
        ),
        Err(DropReason::Auth),
        "key a is not this session's"
    );
    assert_eq!(
        cl.receive(
            t,
            &sign(MessageType::Reply, rx, bound_reply(), 2, SECRET_B, 10)
        ),
        Err(DropReason::Replay)
    );
    assert_eq!(cl.phase(), Phase::Request);
    cl.receive(
        t,
        &sign(MessageType::Reply, rx, bound_reply(), 2, SECRET_B, 11),
    )
    .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    // Renew at T1 and its retransmission: signed, replay values growing.
    let t1 = t + Duration::from_secs(10);
    let renew = sent_bytes(&cl.timeout(t1)).remove(0);
    let c1 = our_auth(&renew, SECRET_B);
    assert!(c1.replay > claim.replay);
    // Rebind at T2: a Reply from another server with the same key is
    // fine, its first replay value taken as it comes.
    let t2 = t + Duration::from_secs(16);
    assert_eq!(cl.next_deadline(), Some(t2));
    let rebind = sent_bytes(&cl.timeout(t2)).remove(0);
    let rb = MessageRepr::from_bytes(&rebind).unwrap();
    assert_eq!(rb.msg_type, MessageType::Rebind);
    assert!(our_auth(&rebind, SECRET_B).replay > c1.replay);
    cl.receive(
        t2,
        &signed(
            MessageType::Reply,
            rb.transaction_id,
            s2(),
            bound_reply(),
            REALM,
            2,
            SECRET_B,
            5,
        ),
    )
    .unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    let rel = sent_bytes(&cl.release(t2)).remove(0);
    assert_eq!(
        MessageRepr::from_bytes(&rel).unwrap().msg_type,
        MessageType::Release
    );
    our_auth(&rel, SECRET_B);
}

/// Replay values we send grow strictly even when the clock does not move:
/// Request, Reply and a Decline all at the same instant.
#[test]
fn delayed_auth_replay_values_grow_at_one_instant() {
    let (mut cl, t, req) = bound_auth(auth_conf(), 1, SECRET_A);
    let dec = sent_bytes(&cl.dad_failed(t, a("2001:db8:1::100"))).remove(0);
    assert_eq!(
        MessageRepr::from_bytes(&dec).unwrap().msg_type,
        MessageType::Decline
    );
    assert!(our_auth(&dec, SECRET_A).replay > our_auth(&req, SECRET_A).replay);
}

/// An expired key is neither accepted nor used: a message that would need
/// it is not sent, which is logged once per exchange.
#[test]
fn delayed_auth_expired_key() {
    let mut c = auth_conf();
    // Key b expires an hour after the start; pretend the clock says so.
    c.wall_clock = Some(clock(UNIX + 3590));
    let (mut cl, t, _) = bound_auth(c, 2, SECRET_B);
    // T1 is 10 s later: the key has expired by then.
    let acts = cl.timeout(t + Duration::from_secs(10));
    assert!(sent(&acts).is_empty());
    assert_eq!(cl.phase(), Phase::Renew);
    let logs = |acts: &[Action]| {
        acts.iter()
            .filter(|x| matches!(x, Action::Log { text, .. } if text.contains("expired")))
            .count()
    };
    assert_eq!(logs(&acts), 1);
    // T2: the Rebind exchange says it once too, not at each retransmission.
    let acts = cl.timeout(t + Duration::from_secs(16));
    assert_eq!(cl.phase(), Phase::Rebind);
    assert_eq!(logs(&acts), 1);
    let mut retransmissions = 0;
    while cl.phase() == Phase::Rebind {
        let d = cl.next_deadline().unwrap();
        let acts = cl.timeout(d);
        if cl.phase() == Phase::Rebind {
            retransmissions += 1;
            assert!(sent(&acts).is_empty());
            assert_eq!(logs(&acts), 0, "logged once per exchange");
        }
    }
    assert!(retransmissions >= 1);
    assert_eq!(cl.counters.sent, 2);
    // And a message authenticated with it is no longer accepted.
    let mut adv = both();
    adv.push(OptionRepr::Preference(255));
    let (mut cl, t, sol) = soliciting(IfConfig {
        wall_clock: Some(clock(UNIX + 3600)),
        ..auth_conf()
    });
    assert_eq!(
        cl.receive(
            t,
            &signed(
                MessageType::Advertise,
                sol.transaction_id,
                s1(),
                adv,
                REALM,
                2,
                SECRET_B,
                3
            ),
        ),
        Err(DropReason::Auth)
    );
}

/// doc/wide-compat.md §6.3, §9.2 item 22: an information-only interface with
/// delayed authentication sends nothing, as WIDE; RFC 3315 §21.4.4.4 only
/// allows a key a server chose earlier, and there is none. It says so
/// once, clearly.
#[test]
fn delayed_auth_information_request_refused() {
    let mut c = auth_conf();
    c.information_only = true;
    c.ias.clear();
    let t0 = Instant::now();
    let mut cl = Client::new(c, me(), seeded(5), t0);
    let mut logs = Vec::new();
    for _ in 0..4 {
        let d = cl.next_deadline().unwrap();
        let acts = cl.timeout(d);
        assert!(sent(&acts).is_empty());
        logs.extend(acts.into_iter().filter_map(|x| match x {
            Action::Log { text, .. } => Some(text),
            _ => None,
        }));
    }
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(
        logs[0].contains("cannot be used for Information-request"),
        "{logs:?}"
    );
    assert_eq!(cl.phase(), Phase::InfoReq);
    assert_eq!(cl.counters.sent, 0);
}

/// C-178: an interface without authentication ignores Authentication
/// options, valid or not, and sends none.
#[test]
fn c178_no_authentication_ignores_auth_options() {
    let (mut cl, t, sol) = soliciting(conf());
    let mut adv = both();
    adv.push(OptionRepr::Preference(255));
    let mut bogus = signed(
        MessageType::Advertise,
        sol.transaction_id,
        s1(),
        adv,
        REALM,
        1,
        SECRET_A,
        3,
    );
    *bogus.last_mut().unwrap() ^= 0xff;
    let req = one(&cl.receive(t, &bogus).unwrap());
    assert!(req.option(OptionCode::Auth).is_none());
    let mut reply = bound_reply();
    reply.push(OptionRepr::Auth(Auth::reconfigure_hmac(1)));
    cl.receive(t, &s1_reply(req.transaction_id, reply)).unwrap();
    assert_eq!(cl.phase(), Phase::Bound);
    let renew = one(&cl.timeout(t + Duration::from_secs(10)));
    assert!(renew.option(OptionCode::Auth).is_none());
}

/// The wall clock runs on the monotonic one from the configured reading,
/// so a machine made again from `config()` later (the control channel's
/// `start interface`) tells the same time, and replay values keep growing.
#[test]
fn wall_clock_survives_a_restart_from_config() {
    let c = auth_conf();
    let w = c.wall_clock.unwrap();
    let cl = Client::new(c, me(), seeded(1), w.at);
    let later = w.at + Duration::from_secs(500);
    let again = Client::new(cl.config().clone(), me(), seeded(2), later);
    assert_eq!(again.wall(later), cl.wall(later));
    assert_eq!(again.wall(later), Duration::from_secs(UNIX + 500));
    // Before the reading (a machine made with an earlier `now`): earlier.
    assert_eq!(
        cl.wall(w.at - Duration::from_millis(1)),
        Duration::from_secs(UNIX) - Duration::from_millis(1)
    );
}

/// A configuration with 4o6 on (`request dhcp4o6-server-address`).
fn conf_4o6(information_only: bool) -> IfConfig {
    let mut c = conf();
    c.information_only = information_only;
    c.oro.push(OptionCode::Dhcp4o6ServerAddr);
    c.dhcp4o6 = Some(crate::dhcp4o6::Conf4o6 {
        conf4: crate::dhcp4::Conf4 {
            hw: None,
            client_id: libdhcp6::dhcp4::ClientId::Duid {
                iaid: 1,
                duid: me(),
            },
            prl: vec![libdhcp6::dhcp4::OptionCode::SubnetMask],
        },
        remembered: None,
    });
    c
}

/// The DHCPV4-QUERY destinations among `acts`.
fn queries_to(acts: &[Action]) -> Vec<Ipv6Addr> {
    acts.iter()
        .filter_map(|x| match x {
            Action::SendTo { to, bytes } => {
                let m = MessageRepr::from_bytes(bytes).unwrap();
                assert_eq!(m.msg_type, MessageType::Dhcpv4Query);
                Some(*to)
            }
            _ => None,
        })
        .collect()
}

/// C-155: with 4o6 on, option 88 is in the ORO of Solicit, Request,
/// Renew and Rebind; C-156: no DHCPV4-QUERY before a Reply carried
/// option 88, then queries to the server it names.
#[test]
fn c155_c156_option_88_asked_and_awaited() {
    let (mut cl, t, sol) = soliciting(conf_4o6(false));
    assert!(oro(&sol).contains(&OptionCode::Dhcp4o6ServerAddr));
    let mut adv = both();
    adv.push(OptionRepr::Preference(255));
    let x = sol.transaction_id;
    let acts = cl
        .receive(
            t + ms(10),
            &msg(MessageType::Advertise, x, Some(s1()), Some(me()), adv),
        )
        .unwrap();
    let req = one(&acts);
    assert!(oro(&req).contains(&OptionCode::Dhcp4o6ServerAddr));
    assert!(queries_to(&acts).is_empty());
    let server4 = a("2001:db8::4");
    let mut reply = bound_reply();
    reply.push(OptionRepr::Addresses {
        code: OptionCode::Dhcp4o6ServerAddr,
        addrs: vec![server4],
    });
    let y = req.transaction_id;
    cl.receive(
        t + ms(20),
        &msg(MessageType::Reply, y, Some(s1()), Some(me()), reply),
    )
    .unwrap();
    // Run the timers up to Rebind (T2 = 16 s): DHCPv4 queries to the
    // server named, and the Renew and Rebind asking for option 88.
    let (mut to, mut v6) = (Vec::new(), Vec::new());
    let mut now = t;
    for _ in 0..200 {
        let Some(d) = cl.next_deadline() else { break };
        now = now.max(d);
        let acts = cl.timeout(now);
        to.extend(queries_to(&acts));
        v6.extend(sent(&acts));
        if v6.iter().any(|m| m.msg_type == MessageType::Rebind) {
            break;
        }
    }
    assert!(!to.is_empty() && to.iter().all(|d| *d == server4), "{to:?}");
    for kind in [MessageType::Renew, MessageType::Rebind] {
        let m = v6.iter().find(|m| m.msg_type == kind).unwrap();
        assert!(oro(m).contains(&OptionCode::Dhcp4o6ServerAddr), "{kind}");
    }
}

/// C-155 for Information-request; C-156: an information-only client that
/// gets no option 88 sends no DHCPV4-QUERY.
#[test]
fn c155_c156_information_request() {
    let (mut cl, t, inf) = soliciting(conf_4o6(true));
    assert_eq!(inf.msg_type, MessageType::InformationRequest);
    assert!(oro(&inf).contains(&OptionCode::Dhcp4o6ServerAddr));
    let x = inf.transaction_id;
    let acts = cl
        .receive(
            t + ms(10),
            &msg(MessageType::Reply, x, Some(s1()), Some(me()), vec![]),
        )
        .unwrap();
    assert!(queries_to(&acts).is_empty());
    assert_eq!(cl.dhcp4o6().map(|v| v.running()), Some(false));
}
