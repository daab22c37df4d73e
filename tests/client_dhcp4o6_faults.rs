//! kame6's dhcp6c with DHCPv4-over-DHCPv6 on, against a scripted server
//! that plays both halves: DHCPv6 (Advertise, Reply, with or without
//! option 88) and a small DHCPv4 server answering DHCPV4-QUERY as each
//! fault case needs. What the client sent is read from the server's
//! record and from a capture on the client's link. Cases (RFC 7341 §9,
//! checklist C-156 … C-163): option 88 listing A, B, A gives one query to
//! A and one to B (C-158); an empty option 88 gives queries to ff02::1:2
//! from the link-local address (C-157); no option 88 gives no query at
//! all (C-156); a renewed DHCPv6 Reply without option 88 stops 4o6
//! (C-163); a DHCPV4-RESPONSE without option 87 is ignored and counted
//! (C-162); a DHCPNAK to RENEWING starts over from INIT; an address
//! already on another interface is declined (DHCPDECLINE with U=0, C-160);
//! and DHCPDISCOVER retransmissions keep RFC 2131 §4.1's 4, 8, 16 s ±1 s
//! on the wire.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use common::dhcp4o6::{direct_net, SERVER6};
use common::pcap::{capture_dhcp6, udp6};
use common::peers::{counters, our_dhcp6c, Scratch};
use common::scripted::{self, answering, ia_na, server_duid, Seen};
use common::{Daemon, Netns};
use libdhcp6::codes::{MessageType, OptionCode};
use libdhcp6::dhcp4::{MessageType as V4Type, Op, OptionRepr as V4Option, PacketRepr};
use libdhcp6::wire::{MessageRepr, OptionRepr};

/// A second address of the scripted server.
const SERVER6_B: &str = "2001:db8:ff::3";
/// The scripted DHCPv4 server's identifier and the address it leases.
const SERVER4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const LEASED: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 5);

fn client_conf(script: &str) -> String {
    format!(
        "interface c0 {{
  send ia-na 1;
  request dhcp4o6-server-address;
  dhcp4o6-interface tun4;
  script \"{script}\";
}};
id-assoc na 1 {{ }};
"
    )
}

/// The script: each run appends `reason=...` (ISC's) or `REASON=...`.
const SCRIPT: &str = "#!/bin/sh\necho \"${reason:-REASON=$REASON}\" >> \"$0.out\"\n";

struct Topo {
    client: Netns,
    server: Netns,
    scratch: Scratch,
    script: String,
    pcap: String,
    _tcpdump: Daemon,
}

impl Topo {
    /// client —(c0|s0)— scripted server at [`SERVER6`] (and, when
    /// `second`, [`SERVER6_B`]: otherwise the only global address, so that
    /// its answers come from the address option 88 names).
    fn new(second: bool) -> Self {
        let (client, server) = direct_net();
        if second {
            let b = format!("{SERVER6_B}/64");
            server.exec(["ip", "addr", "add", &b, "dev", "s0", "nodad"]);
        }
        client.exec([
            "ip", "link", "add", "tun4", "type", "veth", "peer", "name", "tun4p",
        ]);
        client.exec(["ip", "link", "set", "tun4", "up"]);
        client.link_local("c0");
        server.link_local("s0");
        let scratch = Scratch::new(&format!("{}-files", server.name));
        let script = scratch.write("script.sh", SCRIPT);
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let pcap = scratch.path("c0.pcap");
        let tcpdump = capture_dhcp6(&client, "c0", &pcap);
        Topo {
            client,
            server,
            scratch,
            script,
            pcap,
            _tcpdump: tcpdump,
        }
    }

    fn dhcp6c(&self) -> Daemon {
        our_dhcp6c(
            &self.client,
            &self.scratch,
            &client_conf(&self.script),
            &["c0"],
        )
    }

    /// The script's reasons so far.
    fn reasons(&self) -> Vec<String> {
        std::fs::read_to_string(format!("{}.out", self.script))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The DHCPV4-QUERY datagrams on the client's link: source,
    /// destination and the DHCPv4 message.
    fn queries_on_wire(&self) -> Vec<(Ipv6Addr, Ipv6Addr, PacketRepr)> {
        let bytes = std::fs::read(&self.pcap).unwrap_or_default();
        udp6(&bytes)
            .into_iter()
            .filter(|d| d.dport == 547)
            .filter_map(|d| {
                let m = MessageRepr::from_bytes(&d.payload).ok()?;
                Some((d.src, d.dst, dhcpv4(&m)?))
            })
            .collect()
    }
}

/// The DHCPv4 message of a DHCPV4-QUERY.
fn dhcpv4(m: &MessageRepr) -> Option<PacketRepr> {
    if m.msg_type != MessageType::Dhcpv4Query {
        return None;
    }
    m.options.iter().find_map(|o| match o {
        OptionRepr::Dhcpv4Msg(b) => PacketRepr::from_bytes(b).ok(),
        _ => None,
    })
}

/// The queries the scripted server received, with their times.
fn queries(seen: &[Seen]) -> Vec<(Instant, PacketRepr)> {
    seen.iter()
        .filter_map(|s| Some((s.at, dhcpv4(&s.msg)?)))
        .collect()
}

/// Option 88 with `addrs`.
fn opt88(addrs: &[&str]) -> OptionRepr {
    OptionRepr::Addresses {
        code: OptionCode::Dhcp4o6ServerAddr,
        addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
    }
}

/// The DHCPv6 half: Advertise to Solicit, Reply to Request (with
/// `on_request`) and to Renew/Rebind (with `on_renew`), IA_NA with T1
/// `t1`; DHCPV4-QUERY goes to `v4`.
fn v6(
    m: &MessageRepr,
    t1: u32,
    on_request: &[OptionRepr],
    on_renew: &[OptionRepr],
) -> Option<MessageRepr> {
    let (kind, extra) = match m.msg_type {
        MessageType::Solicit => (MessageType::Advertise, &[][..]),
        MessageType::Request => (MessageType::Reply, on_request),
        MessageType::Renew | MessageType::Rebind => (MessageType::Reply, on_renew),
        _ => return None,
    };
    let mut opts = vec![ia_na(t1, t1 * 2, t1 * 3, t1 * 4)];
    opts.extend_from_slice(extra);
    Some(scripted::answer(kind, m, &server_duid(), opts))
}

/// The DHCPv4 server's `kind` answer to `q`, leasing [`LEASED`] for `lease` s.
fn v4_answer(q: &PacketRepr, kind: V4Type, lease: u32) -> MessageRepr {
    let mut a = q.clone();
    a.op = Op::BootReply;
    a.yiaddr = if kind == V4Type::Nak {
        Ipv4Addr::UNSPECIFIED
    } else {
        LEASED
    };
    a.ciaddr = Ipv4Addr::UNSPECIFIED;
    a.options = vec![V4Option::MessageType(kind), V4Option::ServerId(SERVER4)];
    if kind != V4Type::Nak {
        a.options.push(V4Option::LeaseTime(lease));
        a.options
            .push(V4Option::SubnetMask(Ipv4Addr::new(255, 255, 255, 0)));
    }
    response(vec![OptionRepr::Dhcpv4Msg(a.to_vec().unwrap())])
}

/// A DHCPV4-RESPONSE with `options` and flags set (which the client must
/// ignore, C-162).
fn response(options: Vec<OptionRepr>) -> MessageRepr {
    MessageRepr {
        msg_type: MessageType::Dhcpv4Response,
        transaction_id: 0x80_0001,
        options,
    }
}

/// What a plain DHCPv4 server answers: OFFER to DISCOVER, ACK to REQUEST.
fn v4_plain(q: &PacketRepr, lease: u32) -> Vec<MessageRepr> {
    match q.message_type() {
        Some(V4Type::Discover) => vec![v4_answer(q, V4Type::Offer, lease)],
        Some(V4Type::Request) => vec![v4_answer(q, V4Type::Ack, lease)],
        _ => vec![],
    }
}

/// C-158: option 88 listing A, B, A: every DHCPv4 message goes once to A
/// and once to B.
#[test]
fn c158_duplicates_sent_once() {
    let t = Topo::new(true);
    let list = [opt88(&[SERVER6, SERVER6_B, SERVER6])];
    let srv = answering(&t.server, "s0", Duration::from_secs(8), move |m, _| {
        if let Some(q) = dhcpv4(m) {
            return v4_plain(&q, 600);
        }
        v6(m, 300, &list, &list).into_iter().collect()
    });
    let _c = t.dhcp6c();
    srv.join().unwrap();
    let q = t.queries_on_wire();
    let discover = q
        .iter()
        .find(|(_, _, p)| p.message_type() == Some(V4Type::Discover))
        .unwrap_or_else(|| panic!("no DHCPDISCOVER: {q:?}"))
        .2
        .xid;
    let mut to: Vec<Ipv6Addr> = q
        .iter()
        .filter(|(_, _, p)| p.xid == discover)
        .filter(|(_, _, p)| p.message_type() == Some(V4Type::Discover))
        .map(|(_, d, _)| *d)
        .collect();
    to.sort();
    let a: Ipv6Addr = SERVER6.parse().unwrap();
    let b: Ipv6Addr = SERVER6_B.parse().unwrap();
    assert_eq!(to, [a, b], "one DHCPDISCOVER to each server");
    assert!(
        t.reasons().contains(&"BOUND".to_string()),
        "{:?}",
        t.reasons()
    );
}

/// C-157: an empty option 88: queries to ff02::1:2 from the link-local
/// address.
#[test]
fn c157_empty_option_88_multicast() {
    let t = Topo::new(false);
    let list = [opt88(&[])];
    let srv = answering(&t.server, "s0", Duration::from_secs(8), move |m, _| {
        if let Some(q) = dhcpv4(m) {
            return v4_plain(&q, 600);
        }
        v6(m, 300, &list, &list).into_iter().collect()
    });
    let _c = t.dhcp6c();
    srv.join().unwrap();
    let q = t.queries_on_wire();
    assert!(!q.is_empty(), "no DHCPV4-QUERY");
    let ll = t.client.link_local("c0");
    let group: Ipv6Addr = "ff02::1:2".parse().unwrap();
    for (src, dst, _) in &q {
        assert_eq!((*src, *dst), (ll, group));
    }
    assert!(
        t.reasons().contains(&"BOUND".to_string()),
        "{:?}",
        t.reasons()
    );
}

/// C-156: no option 88 in any answer: no DHCPV4-QUERY at all, although
/// the DHCPv6 side binds.
#[test]
fn c156_no_option_88_no_query() {
    let t = Topo::new(false);
    let srv = answering(&t.server, "s0", Duration::from_secs(7), move |m, _| {
        v6(m, 300, &[], &[]).into_iter().collect()
    });
    let _c = t.dhcp6c();
    let seen = srv.join().unwrap();
    assert!(
        seen.iter().any(|s| s.msg.msg_type == MessageType::Request),
        "DHCPv6 did not bind"
    );
    assert!(queries(&seen).is_empty(), "DHCPV4-QUERY without option 88");
    assert!(t.queries_on_wire().is_empty());
}

/// C-163: the Reply to Renew lacks option 88: 4o6 stops (the lease goes,
/// reason STOP, the address leaves tun4) and no query follows, although
/// the DHCPv4 lease's T1 would have renewed it.
#[test]
fn c163_renewed_without_option_88_stops() {
    let t = Topo::new(false);
    let list = [opt88(&[SERVER6])];
    let srv = answering(&t.server, "s0", Duration::from_secs(16), move |m, _| {
        if let Some(q) = dhcpv4(m) {
            return v4_plain(&q, 8);
        }
        v6(m, 5, &list, &[]).into_iter().collect()
    });
    let _c = t.dhcp6c();
    let seen = srv.join().unwrap();
    let renew_reply = seen
        .iter()
        .find(|s| s.msg.msg_type == MessageType::Renew)
        .unwrap_or_else(|| panic!("no Renew"))
        .at;
    let qs = queries(&seen);
    assert!(
        qs.iter()
            .any(|(_, p)| p.message_type() == Some(V4Type::Request)),
        "no lease before the Renew"
    );
    let late: Vec<_> = qs
        .iter()
        .filter(|(at, _)| *at > renew_reply + Duration::from_millis(500))
        .collect();
    assert!(late.is_empty(), "queries after 4o6 stopped: {late:?}");
    let r = t.reasons();
    assert!(r.iter().any(|x| x == "STOP"), "{r:?}");
    let addrs = t
        .client
        .try_exec(&["ip", "-4", "addr", "show", "dev", "tun4"]);
    assert!(
        !String::from_utf8_lossy(&addrs.stdout).contains(&LEASED.to_string()),
        "address left on tun4"
    );
}

/// C-162: a DHCPV4-RESPONSE without option 87 (sent before each real
/// answer) is dropped and counted; the client binds from the real ones.
#[test]
fn c162_response_without_87_ignored() {
    let t = Topo::new(false);
    let list = [opt88(&[SERVER6])];
    let srv = answering(&t.server, "s0", Duration::from_secs(8), move |m, _| {
        if let Some(q) = dhcpv4(m) {
            let mut out = vec![response(vec![])];
            out.extend(v4_plain(&q, 600));
            return out;
        }
        v6(m, 300, &list, &list).into_iter().collect()
    });
    let c = t.dhcp6c();
    srv.join().unwrap();
    assert!(
        t.reasons().contains(&"BOUND".to_string()),
        "{:?}",
        t.reasons()
    );
    let log = counters(&c, "4o6 dropped (not one DHCPv4-msg)");
    let n: u64 = log
        .lines()
        .rev()
        .find_map(|l| l.split("4o6 dropped (not one DHCPv4-msg): ").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no counter\n{log}"));
    assert!(n >= 2, "{n} dropped\n{log}");
}

/// A DHCPNAK to RENEWING: the lease goes (reason NAK) and the client
/// starts over from INIT with a DHCPDISCOVER, then binds again.
#[test]
fn nak_restarts_from_init() {
    let t = Topo::new(false);
    let list = [opt88(&[SERVER6])];
    let srv = answering(&t.server, "s0", Duration::from_secs(12), move |m, _| {
        if let Some(q) = dhcpv4(m) {
            if q.message_type() == Some(V4Type::Request) && q.ciaddr == LEASED {
                return vec![v4_answer(&q, V4Type::Nak, 0)];
            }
            return v4_plain(&q, 6);
        }
        v6(m, 300, &list, &list).into_iter().collect()
    });
    let _c = t.dhcp6c();
    let seen = srv.join().unwrap();
    let kinds: Vec<(V4Type, bool)> = queries(&seen)
        .iter()
        .map(|(_, p)| (p.message_type().unwrap(), p.ciaddr == LEASED))
        .collect();
    let renew = kinds
        .iter()
        .position(|k| *k == (V4Type::Request, true))
        .unwrap_or_else(|| panic!("no RENEWING: {kinds:?}"));
    assert_eq!(
        kinds.get(renew + 1).map(|k| k.0),
        Some(V4Type::Discover),
        "{kinds:?}"
    );
    let r = t.reasons();
    let nak = r
        .iter()
        .position(|x| x == "NAK")
        .unwrap_or_else(|| panic!("{r:?}"));
    assert!(
        r[nak..].iter().any(|x| x == "BOUND"),
        "not bound again: {r:?}"
    );
}

/// RFC 2131 §4.1 on the wire: a DHCPv4 server that never answers sees
/// the DHCPDISCOVER again after 4, 8 and 16 s, each ±1 s (plus a little
/// for scheduling).
#[test]
fn discover_retransmission_timing() {
    let t = Topo::new(false);
    let list = [opt88(&[SERVER6])];
    let srv = answering(&t.server, "s0", Duration::from_secs(40), move |m, _| {
        if dhcpv4(m).is_some() {
            return vec![];
        }
        v6(m, 300, &list, &list).into_iter().collect()
    });
    let _c = t.dhcp6c();
    let seen = srv.join().unwrap();
    let qs = queries(&seen);
    let xid = qs.first().map(|q| q.1.xid).expect("no DHCPDISCOVER");
    let times: Vec<Instant> = qs
        .iter()
        .filter(|(_, p)| p.xid == xid && p.message_type() == Some(V4Type::Discover))
        .map(|(at, _)| *at)
        .collect();
    assert!(times.len() >= 4, "{} DHCPDISCOVERs", times.len());
    let slack = Duration::from_millis(300);
    for (i, base) in [4u64, 8, 16].into_iter().enumerate() {
        let gap = times[i + 1] - times[i];
        let lo = Duration::from_secs(base - 1).saturating_sub(slack);
        let hi = Duration::from_secs(base + 1) + slack;
        assert!(
            lo <= gap && gap <= hi,
            "gap {i}: {gap:?}, want {base} s ± 1 s"
        );
    }
}

/// RFC 2131 §3.1 step 5: the acknowledged address is already on another
/// interface of the host (the one conflict the host can see by itself),
/// so the client sends DHCPDECLINE (U=0, options 50 and 54), never
/// installs it, tells the script DECLINE, and starts over with a
/// DHCPDISCOVER no sooner than ten seconds later.
#[test]
fn address_in_use_declined() {
    let t = Topo::new(false);
    t.client
        .exec(["ip", "addr", "add", "10.0.0.5/32", "dev", "tun4p"]);
    let list = [opt88(&[SERVER6])];
    let srv = answering(&t.server, "s0", Duration::from_secs(16), move |m, _| {
        if let Some(q) = dhcpv4(m) {
            return v4_plain(&q, 600);
        }
        v6(m, 300, &list, &list).into_iter().collect()
    });
    let _c = t.dhcp6c();
    let seen = srv.join().unwrap();
    let qs = queries(&seen);
    let decline = qs
        .iter()
        .find(|(_, p)| p.message_type() == Some(V4Type::Decline))
        .unwrap_or_else(|| panic!("no DHCPDECLINE: {qs:?}"));
    assert_eq!(
        (decline.1.requested_ip(), decline.1.server_id()),
        (Some(LEASED), Some(SERVER4))
    );
    let u = seen
        .iter()
        .find(|s| dhcpv4(&s.msg).is_some_and(|p| p.message_type() == Some(V4Type::Decline)))
        .map(|s| s.msg.transaction_id);
    assert_eq!(u, Some(0), "DHCPDECLINE with U=1");
    let again = qs
        .iter()
        .find(|(at, p)| *at > decline.0 && p.message_type() == Some(V4Type::Discover))
        .unwrap_or_else(|| panic!("no DHCPDISCOVER after the DHCPDECLINE: {qs:?}"));
    assert!(again.0 - decline.0 >= Duration::from_secs(10));
    let r = t.reasons();
    assert!(r.contains(&"DECLINE".to_string()), "{r:?}");
    assert!(!r.contains(&"BOUND".to_string()), "{r:?}");
    let on = t
        .client
        .try_exec(&["ip", "-4", "addr", "show", "dev", "tun4"]);
    assert!(!String::from_utf8_lossy(&on.stdout).contains("10.0.0.5"));
}
