//! kame6's dhcp6c with authentication, on the wire.
//!
//! Reconfigure (RFC 8415 §18.2.11) against a scripted server: the server
//! grants a lease with a reconfigure key, then sends Reconfigures — good
//! ones asking for Renew, Rebind and Information-request, and bad ones
//! (multicast, wrong MAC, foreign Client ID, another server, msg-type 7, a
//! replay, one during the running exchange) — and the test checks what the
//! client sent back (C-148, C-149, C-150, C-172 … C-174).
//!
//! Delayed authentication (RFC 3315 §21.4) against Debian's WIDE dhcp6s
//! with a `host { delayedkey ...; }` entry: every message on the wire
//! carries the option, the MACs verify with the shared secret, the client
//! gets its lease and renews it; with the wrong secret it gets nothing
//! (doc/wide-compat.md §6, C-177). C-178 (no authentication on either side) is the
//! plain interop of tests/client_interop.rs (`wide_dhcp6s_lease_renew_release`
//! and the others).

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::net::SocketAddrV6;
use std::time::{Duration, Instant};

use common::pcap::{capture_dhcp6, udp6};
use common::peers::{our_dhcp6c, wait_address, wide_dhcp6s, Scratch};
use common::scripted::{self, ia_na, kinds, of, scripted_server, server_duid, Out, Seen, Turn};
use common::{require_program, require_root, veth, wait_until, Daemon, Netns};
use libdhcp6::auth::{self, build_reconfigure, DelayedClaim};
use libdhcp6::codes::{MessageType, OptionCode};
use libdhcp6::wire::{Auth, MessageRepr, OptionRepr};
use libdhcp6::Duid;

fn other_server() -> Duid {
    Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 0x54]).unwrap()
}

/// The reconfigure key the scripted server gives.
const KEY: [u8; 16] = *b"kame6 reconf key";

/// The scripted server's answer to `to`, encoded.
fn answer(kind: MessageType, to: &MessageRepr, extra: Vec<OptionRepr>) -> Vec<u8> {
    scripted::answer(kind, to, &server_duid(), extra)
        .to_vec()
        .unwrap()
}

fn reconfigure(server: &Duid, client: &Duid, kind: MessageType, rd: u64) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let n = build_reconfigure(&mut buf, server, client, kind, rd, &KEY).unwrap();
    buf[..n].to_vec()
}

/// What the scripted server does after the lease is granted, relative to
/// the Reply: (seconds after it, a name for failure messages, what to send).
#[derive(Debug, Clone, Copy)]
enum Shot {
    /// A good Reconfigure, but to ff02::1 (C-148).
    Multicast,
    /// The digest's last octet flipped (C-148, C-173).
    BadMac,
    /// Signed for another client's DUID (C-148).
    ForeignClient,
    /// The Reconfigure Message option says 7 (Release) (C-148).
    Type7,
    /// From a server we are not bound to.
    OtherServer,
    /// A good Reconfigure: Renew (C-149).
    Renew,
    /// The same bytes again later (C-174).
    Replay,
    /// A good Reconfigure: Rebind (C-149).
    Rebind,
    /// A good Reconfigure: Information-request (C-149).
    InfoReq,
}

/// What the scripted server of [`reconfigure_on_the_wire`] remembers.
#[derive(Default)]
struct ReconfScript {
    /// When the lease was granted, and the client's DUID.
    bound: Option<(Instant, Duid)>,
    /// How many of the planned Reconfigures were sent.
    fired: usize,
    /// The first good Reconfigure's bytes, replayed later (C-174).
    renew_bytes: Option<Vec<u8>>,
    /// Sends waiting for their time.
    later: Vec<(Instant, SocketAddrV6, Vec<u8>)>,
}

/// The Reconfigures sent after the Reply, in milliseconds after it.
const RECONF_PLAN: [(u64, Shot); 9] = [
    (500, Shot::Multicast),
    (800, Shot::BadMac),
    (1100, Shot::ForeignClient),
    (1400, Shot::Type7),
    (1700, Shot::OtherServer),
    (2000, Shot::Renew),
    (4500, Shot::Replay),
    (4800, Shot::Rebind),
    (6000, Shot::InfoReq),
];

impl ReconfScript {
    /// Answers a client message: a lease with a reconfigure key, the first
    /// Renew answered late with a Rebind Reconfigure in between (C-150).
    fn received(&mut self, s: &Seen, seen: &[Seen], to_client: SocketAddrV6, out: &mut Out) {
        let m = &s.msg;
        let reply = |extra| answer(MessageType::Reply, m, extra);
        match m.msg_type {
            MessageType::Solicit => out.push((
                s.from,
                answer(
                    MessageType::Advertise,
                    m,
                    vec![ia_na(0, 0, 2000, 4000), OptionRepr::Preference(255)],
                ),
            )),
            MessageType::Request => {
                out.push((
                    s.from,
                    reply(vec![
                        ia_na(1000, 1600, 2000, 4000),
                        OptionRepr::Auth(Auth::reconfigure_key(KEY, 1)),
                    ]),
                ));
                self.bound = Some((Instant::now(), m.client_id().unwrap().clone()));
            }
            // The first Renew is answered late: meanwhile comes a
            // second Reconfigure, which must change nothing (C-150).
            MessageType::Renew if of(seen, MessageType::Renew).len() == 1 => {
                let duid = m.client_id().unwrap();
                self.later.push((
                    s.at + Duration::from_millis(400),
                    to_client,
                    reconfigure(&server_duid(), duid, MessageType::Rebind, 11),
                ));
                self.later.push((
                    s.at + Duration::from_millis(1200),
                    s.from,
                    reply(vec![ia_na(1000, 1600, 2000, 4000)]),
                ));
            }
            MessageType::Renew | MessageType::Rebind => {
                out.push((s.from, reply(vec![ia_na(1000, 1600, 2000, 4000)])))
            }
            MessageType::InformationRequest => out.push((
                s.from,
                reply(vec![OptionRepr::Addresses {
                    code: OptionCode::DnsServers,
                    addrs: vec!["2001:db8::53".parse().unwrap()],
                }]),
            )),
            _ => {}
        }
    }

    /// Sends the planned Reconfigures that are due, and the delayed sends.
    fn tick(&mut self, to_client: SocketAddrV6, scope: u32, out: &mut Out) {
        let now = Instant::now();
        if let Some((at, duid)) = self.bound.clone() {
            while let Some(&(ms, shot)) = RECONF_PLAN.get(self.fired) {
                if now < at + Duration::from_millis(ms) {
                    break;
                }
                self.fired += 1;
                out.push(self.shot(shot, &duid, to_client, scope));
            }
        }
        let (due, wait): (Vec<_>, Vec<_>) = self.later.drain(..).partition(|(at, _, _)| now >= *at);
        self.later = wait;
        out.extend(due.into_iter().map(|(_, to, b)| (to, b)));
    }

    /// One planned Reconfigure: where it goes and its bytes.
    fn shot(
        &mut self,
        shot: Shot,
        duid: &Duid,
        to_client: SocketAddrV6,
        scope: u32,
    ) -> (SocketAddrV6, Vec<u8>) {
        let s = server_duid();
        let good = |kind, rd| reconfigure(&s, duid, kind, rd);
        match shot {
            Shot::Multicast => {
                let all_nodes = "ff02::1".parse().unwrap();
                (
                    SocketAddrV6::new(all_nodes, 546, 0, scope),
                    good(MessageType::Renew, 2),
                )
            }
            Shot::BadMac => {
                let mut b = good(MessageType::Renew, 3);
                *b.last_mut().unwrap() ^= 1;
                (to_client, b)
            }
            Shot::ForeignClient => {
                let foreign = Duid::from_bytes(&[0, 3, 0, 1, 6, 6, 6, 6, 6, 6]);
                let b = reconfigure(&s, &foreign.unwrap(), MessageType::Renew, 4);
                (to_client, b)
            }
            Shot::Type7 => {
                let mut m = MessageRepr::from_bytes(&good(MessageType::Renew, 5)).unwrap();
                m.options[2] = OptionRepr::ReconfMsg(MessageType::Release);
                let mut b = m.to_vec().unwrap();
                auth::sign_in_place(&KEY, &mut b).unwrap();
                (to_client, b)
            }
            Shot::OtherServer => (
                to_client,
                reconfigure(&other_server(), duid, MessageType::Renew, 6),
            ),
            Shot::Renew => {
                let b = good(MessageType::Renew, 10);
                self.renew_bytes = Some(b.clone());
                (to_client, b)
            }
            Shot::Replay => (to_client, self.renew_bytes.clone().unwrap()),
            Shot::Rebind => (to_client, good(MessageType::Rebind, 12)),
            Shot::InfoReq => (to_client, good(MessageType::InformationRequest, 13)),
        }
    }
}

/// C-148 … C-150, C-172 … C-174 on the wire: the client takes the
/// reconfigure key from the Reply; multicast, forged, foreign, invalid,
/// replayed and untimely Reconfigures change nothing; good ones get a Renew
/// with Server ID, a Rebind without, an Information-request with it; a
/// Reconfigure during the running Renew is ignored; the lease stays.
#[test]
fn reconfigure_on_the_wire() {
    require_root();
    let client = Netns::new("c");
    let server = Netns::new("s");
    veth(&client, "c0", &server, "s0");
    let ll = client.link_local("c0");
    server.link_local("s0");
    let scratch = Scratch::new(&format!("{}-files", server.name));
    let mut script = ReconfScript::default();
    let srv = scripted_server(
        &server,
        "s0",
        Duration::from_secs(12),
        move |turn, seen, scope| {
            let to_client = SocketAddrV6::new(ll, 546, 0, scope);
            let mut out: Out = Vec::new();
            match turn {
                Turn::Received(s) => script.received(s, seen, to_client, &mut out),
                Turn::Tick => script.tick(to_client, scope, &mut out),
            }
            out
        },
    );
    let conf = "interface c0 { send ia-na 1; send reconfigure-accept; };\nid-assoc na 1 { };\n";
    let c = our_dhcp6c(&client, &scratch, conf, &["c0"]);
    let seen = srv.join().unwrap();
    let log = c.log();
    let k = kinds(&seen);
    assert_eq!(
        k,
        [
            MessageType::Solicit,
            MessageType::Request,
            MessageType::Renew,
            MessageType::Rebind,
            MessageType::InformationRequest,
        ],
        "{log}"
    );
    // Reconfigure Accept offered in every one of them.
    assert!(seen
        .iter()
        .all(|s| s.msg.option(OptionCode::ReconfAccept).is_some()));
    let reply_at = seen[1].at;
    let (renew, rebind, info) = (&seen[2], &seen[3], &seen[4]);
    // C-149: Renew and Information-request name the server, Rebind not.
    assert_eq!(renew.msg.server_id(), Some(&server_duid()));
    assert_eq!(rebind.msg.server_id(), None);
    assert_eq!(info.msg.server_id(), Some(&server_duid()));
    // Nothing before the first good Reconfigure (2 s after the Reply) was
    // acted on (C-148), nor the Rebind during the Renew (C-150), nor the
    // replay (C-174): each answer follows its own Reconfigure.
    let after = |s: &Seen| (s.at - reply_at).as_secs_f64();
    assert!(
        (2.0..3.0).contains(&after(renew)),
        "Renew {}\n{log}",
        after(renew)
    );
    assert!(
        (4.8..5.8).contains(&after(rebind)),
        "Rebind {}\n{log}",
        after(rebind)
    );
    assert!(
        (6.0..7.0).contains(&after(info)),
        "Info {}\n{log}",
        after(info)
    );
    assert_reconfigure_drops(&log);
    assert!(wait_address(&client, "c0", "2001:db8:1::100", Duration::ZERO).is_some());
}

/// Each of the seven rejected Reconfigures was logged once, with its reason,
/// and the three good ones were accepted.
fn assert_reconfigure_drops(log: &str) {
    for reason in [
        "reconfigure not unicast",
        "authentication",
        "client ID",
        "malformed",
        "server ID",
        "exchange in progress",
        "replay",
    ] {
        assert!(
            log.lines()
                .any(|l| l.contains("dropped a message") && l.contains(reason)),
            "no drop for {reason}\n{log}"
        );
    }
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("dropped a message") && l.contains("reconfigure"))
            .count(),
        7,
        "each rejected Reconfigure logged once\n{log}"
    );
    assert_eq!(
        log.matches("Reconfigure from").count(),
        3,
        "three accepted\n{log}"
    );
}

// ---- delayed authentication against WIDE's dhcp6s ---------------------------

const REALM: &str = "kame6.test";
const KEY_ID: u32 = 7;
/// base64 of "kame6 delayed-auth secret".
const SECRET_B64: &str = "a2FtZTYgZGVsYXllZC1hdXRoIHNlY3JldA==";
const SECRET: &[u8] = b"kame6 delayed-auth secret";
/// The client's DUID, named in WIDE's host entry.
const DUID: &str = "00:01:00:01:00:00:00:01:00:00:00:00:00:07";

fn wide_server_conf() -> String {
    format!(
        "host kame6 {{
	duid {DUID};
	address 2001:db8:1::150 20 40;
	prefix 2001:db8:300::/56 20 40;
	delayedkey k1;
}};
keyinfo k1 {{ realm \"{REALM}\"; keyid {KEY_ID}; secret \"{SECRET_B64}\"; }};
"
    )
}

fn client_conf(secret_b64: &str) -> String {
    format!(
        "interface c0 {{ send ia-na 1; send ia-pd 1; send authentication dauth; }};
id-assoc na 1 {{ }};
id-assoc pd 1 {{ }};
authentication dauth {{ protocol delayed; algorithm hmac-md5; rdm monocounter; }};
keyinfo k1 {{ realm \"{REALM}\"; keyid {KEY_ID}; secret \"{secret_b64}\"; }};
"
    )
}

struct WideTopo {
    client: Netns,
    server: Netns,
    scratch: Scratch,
    tcpdump: Daemon,
    pcap: String,
}

/// client —(c0|s0)— WIDE's dhcp6s, tcpdump on c0.
fn wide_topo() -> WideTopo {
    require_root();
    require_program("tcpdump");
    let client = Netns::new("c");
    let server = Netns::new("s");
    veth(&client, "c0", &server, "s0");
    server.addr("s0", "2001:db8:1::1/64");
    client.link_local("c0");
    server.link_local("s0");
    let scratch = Scratch::new(&format!("{}-files", server.name));
    let pcap = scratch.path("c0.pcap");
    let tcpdump = capture_dhcp6(&client, "c0", &pcap);
    // WIDE knows the client by DUID: give ours that one.
    let d = Duid::from_text(DUID).unwrap();
    std::fs::write(scratch.path("kame6-dhcp6c.duid"), d.to_file_bytes()).unwrap();
    WideTopo {
        client,
        server,
        scratch,
        tcpdump,
        pcap,
    }
}

/// The DHCPv6 messages captured so far: (to the server?, bytes, parsed).
fn captured(pcap: &str) -> Vec<(bool, Vec<u8>, MessageRepr)> {
    let bytes = std::fs::read(pcap).unwrap_or_default();
    udp6(&bytes)
        .into_iter()
        .filter_map(|d| {
            let m = MessageRepr::from_bytes(&d.payload).ok()?;
            Some((d.dport == 547, d.payload, m))
        })
        .collect()
}

fn claim(bytes: &[u8]) -> DelayedClaim {
    auth::delayed_claim(bytes).unwrap_or_else(|e| panic!("no delayed auth ({e}): {bytes:02x?}"))
}

/// doc/wide-compat.md §6 against Debian's WIDE dhcp6s: the Solicit announces
/// delayed authentication (option-len 11, replay 0, C-177); WIDE's
/// Advertise and Replies carry realm, key ID and a MAC that verifies with
/// the shared secret, and so do our Request and Renew, which WIDE accepts
/// (it answers them); the client's replay values grow; the lease is
/// installed and renewed.
#[test]
fn delayed_auth_with_wide_dhcp6s() {
    let t = wide_topo();
    let server = wide_dhcp6s(&t.server, &t.scratch, "s0", &wide_server_conf());
    let c = our_dhcp6c(&t.client, &t.scratch, &client_conf(SECRET_B64), &["c0"]);
    let dump = |c: &Daemon| format!("{}\n-----\n{}", c.log(), server.log());
    assert!(
        wait_address(&t.client, "c0", "2001:db8:1::150", Duration::from_secs(20)).is_some(),
        "{}",
        dump(&c)
    );
    // Wait for a renewal to have been answered (T1 of a 20 s lifetime).
    let renewed = wait_until(Duration::from_secs(40), || {
        let msgs = captured(&t.pcap);
        msgs.iter()
            .position(|(_, _, m)| m.msg_type == MessageType::Renew)
            .is_some_and(|i| {
                msgs[i..]
                    .iter()
                    .any(|(up, _, m)| !up && m.msg_type == MessageType::Reply)
            })
    });
    assert!(renewed, "no answered Renew\n{}", dump(&c));
    t.tcpdump.signal("INT");
    let msgs = captured(&t.pcap);
    let mut client_rd = 0u64;
    let mut server_rd = 0u64;
    let mut seen = Vec::new();
    for (up, bytes, m) in &msgs {
        seen.push(m.msg_type);
        if m.msg_type == MessageType::Solicit {
            // C-177: the announce form, nothing else.
            assert_eq!(
                m.options.last(),
                Some(&OptionRepr::Auth(Auth::delayed_announce())),
                "{m:?}"
            );
            continue;
        }
        let cl = claim(bytes);
        assert_eq!(cl.realm, REALM.as_bytes(), "{:?}", m.msg_type);
        assert_eq!(cl.key_id, KEY_ID);
        let last = if *up { &mut client_rd } else { &mut server_rd };
        let rd = cl
            .verify(bytes, SECRET, Some(*last))
            .unwrap_or_else(|e| panic!("{:?}: {e}", m.msg_type));
        *last = rd;
        if *up {
            // Ours go last in the message, as WIDE puts them.
            assert_eq!(m.options.last().unwrap().code(), OptionCode::Auth);
        }
    }
    for kind in [
        MessageType::Solicit,
        MessageType::Advertise,
        MessageType::Request,
        MessageType::Reply,
        MessageType::Renew,
    ] {
        assert!(seen.contains(&kind), "no {kind} captured: {seen:?}");
    }
    assert!(
        wait_address(&t.client, "c0", "2001:db8:1::150", Duration::ZERO).is_some(),
        "{}",
        dump(&c)
    );
    // WIDE checked our MAC on the Request and on the Renew.
    assert!(
        server
            .log()
            .matches("message authentication validated for client kame6")
            .count()
            >= 2,
        "{}",
        dump(&c)
    );
    // The client's replay values are NTP timestamps of now (±1 day).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let ntp_now = auth::ntp_timestamp(now) >> 32;
    assert!(
        (client_rd >> 32).abs_diff(ntp_now) < 86_400,
        "{client_rd:#x}"
    );
}

/// The wrong secret: every Advertise from WIDE fails the MAC check and is
/// dropped, so no Request is ever sent and nothing is configured.
#[test]
fn delayed_auth_wrong_secret_gets_nothing() {
    let t = wide_topo();
    let server = wide_dhcp6s(&t.server, &t.scratch, "s0", &wide_server_conf());
    // base64 of "not the shared secret!!!".
    let c = our_dhcp6c(
        &t.client,
        &t.scratch,
        &client_conf("bm90IHRoZSBzaGFyZWQgc2VjcmV0ISEh"),
        &["c0"],
    );
    let dump = || format!("{}\n-----\n{}", c.log(), server.log());
    assert!(
        wait_until(Duration::from_secs(15), || {
            captured(&t.pcap)
                .iter()
                .filter(|(_, _, m)| m.msg_type == MessageType::Advertise)
                .count()
                >= 2
        }),
        "WIDE sent no Advertise\n{}",
        dump()
    );
    std::thread::sleep(Duration::from_secs(1));
    let msgs = captured(&t.pcap);
    assert!(
        !msgs
            .iter()
            .any(|(_, _, m)| m.msg_type == MessageType::Request),
        "{:?}",
        msgs.iter().map(|m| m.2.msg_type).collect::<Vec<_>>()
    );
    // What WIDE sent was authenticated, with the key we do not share.
    let adv = msgs
        .iter()
        .find(|(_, _, m)| m.msg_type == MessageType::Advertise)
        .unwrap();
    claim(&adv.1).verify(&adv.1, SECRET, None).unwrap();
    assert!(
        c.log().lines().any(|l| l.contains("dropped a message")
            && l.contains("advertise")
            && l.contains("authentication")),
        "{}",
        dump()
    );
    assert!(wait_address(&t.client, "c0", "2001:db8:1::150", Duration::ZERO).is_none());
}
