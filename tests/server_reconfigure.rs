//! The server's Reconfigure and delayed authentication on the wire, in
//! network namespaces: our dhcp6c (which sends Reconfigure Accept) gets a
//! reconfigure key from our dhcp6s; `dhcp6ctl -S reconfigure` makes the
//! server send a signed Reconfigure, directly and through our relay, and
//! the client answers with the message asked for; after a restart the
//! server still knows the client's key and path and its replay counter has
//! not gone back; a client that never accepted is not reconfigured; WIDE's
//! dhcp6c with delayed authentication gets its lease from our dhcp6s.
//! Checklist: C-082 … C-085, C-171, C-172, C-175, C-176, C-178.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::time::Duration;

use common::pcap::{capture_dhcp6, udp6};
use common::peers::{
    our_dhcp6c, our_dhcp6relay, our_dhcp6s, wait_address, wide_client_duid, wide_dhcp6c, Scratch,
};
use common::{require_program, require_root, veth, wait_until, Daemon, Netns};
use libdhcp6::auth;
use libdhcp6::codes::MessageType;
use libdhcp6::wire::{auth_protocol, AuthInfo, MessageRepr, OptionRepr};
use libdhcp6::Duid;

const WAIT: Duration = Duration::from_secs(30);
/// The control key of these tests.
const KEY_FILE: &str = "MDEyMzQ1Njc4OWFiY2RlZg==\n";
/// The server's control port (not WIDE's 5547, so that tests can run
/// side by side with other namespaces' servers).
const CTL_PORT: &str = "15547";

const SERVER_CONF: &str = "\
pool p1 { range 2001:db8:1::100 to 2001:db8:1::1ff; };
interface s0 { address-pool p1 1000 2000; };
link relayed { link-address 2001:db8:1::/64; address-pool p1 1000 2000; };
authentication rk { protocol reconfig; };
";

const CLIENT_CONF: &str = "\
interface c0 { send ia-na 1; send reconfigure-accept; };
id-assoc na 1 { };
";

struct Topo {
    client: Netns,
    server: Netns,
    relay: Option<Netns>,
    scratch: Scratch,
    pcap: String,
    _tcpdump: Daemon,
}

/// client —(c0|s0)— server, or client —(c0|r0)— relay —(r1|s0)— server;
/// tcpdump on c0 either way.
fn topo(relayed: bool) -> Topo {
    require_root();
    require_program("tcpdump");
    let client = Netns::new("c");
    let server = Netns::new("s");
    let relay = if relayed {
        let relay = Netns::new("r");
        veth(&client, "c0", &relay, "r0");
        veth(&relay, "r1", &server, "s0");
        relay.addr("r0", "2001:db8:1::1/64");
        relay.addr("r1", "2001:db8:ff::1/64");
        server.addr("s0", "2001:db8:ff::2/64");
        server.route("2001:db8:1::/64", "2001:db8:ff::1");
        Some(relay)
    } else {
        veth(&client, "c0", &server, "s0");
        server.addr("s0", "2001:db8:1::1/64");
        None
    };
    client.link_local("c0");
    let scratch = Scratch::new(&format!("{}-files", server.name));
    scratch.write("key", KEY_FILE);
    let pcap = scratch.path("c0.pcap");
    let tcpdump = capture_dhcp6(&client, "c0", &pcap);
    Topo {
        client,
        server,
        relay,
        scratch,
        pcap,
        _tcpdump: tcpdump,
    }
}

/// Our dhcp6s with the lease journal, DUID and replay counter in the
/// scratch directory (so a restart finds them again) and the control key.
fn our_server(t: &Topo, conf: &str) -> Daemon {
    let key = t.scratch.path("key");
    our_dhcp6s(
        &t.server,
        &t.scratch,
        conf,
        &["-k", &key, "-p", CTL_PORT, "s0"],
    )
}

fn our_client(t: &Topo) -> Daemon {
    our_dhcp6c(
        &t.client,
        &t.scratch,
        CLIENT_CONF,
        &["-k", "/dev/null", "c0"],
    )
}

fn our_relay(t: &Topo) -> Option<Daemon> {
    let r = t.relay.as_ref()?;
    Some(our_dhcp6relay(r, &t.scratch, "r0", "r1", "2001:db8:ff::2"))
}

fn dump(ds: &[&Daemon]) -> String {
    ds.iter()
        .map(|d| d.log())
        .collect::<Vec<_>>()
        .join("\n-----\n")
}

/// `dhcp6ctl -S reconfigure KIND DUID` in the server's namespace.
fn reconfigure(t: &Topo, kind: &str, duid: &str) {
    let out = t.server.try_exec(&[
        env!("CARGO_BIN_EXE_dhcp6ctl"),
        "-S",
        "-k",
        &t.scratch.path("key"),
        "-p",
        CTL_PORT,
        "reconfigure",
        kind,
        duid,
    ]);
    assert!(
        out.status.success(),
        "dhcp6ctl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A captured DHCPv6 message: capture time (µs), to a server (547)?, the
/// client/server message (unwrapped from nothing: the client link only
/// sees client messages), parsed.
struct Seen {
    ts_us: u64,
    to_server: bool,
    bytes: Vec<u8>,
    msg: MessageRepr,
}

fn captured(pcap: &str) -> Vec<Seen> {
    let bytes = std::fs::read(pcap).unwrap_or_default();
    udp6(&bytes)
        .into_iter()
        .filter_map(|d| {
            let msg = MessageRepr::from_bytes(&d.payload).ok()?;
            Some(Seen {
                ts_us: d.ts_us,
                to_server: d.dport == 547,
                bytes: d.payload,
                msg,
            })
        })
        .collect()
}

/// The reconfigure key the client was given (C-171), from the captured
/// Reply, and that Reply's replay value.
fn key_from_reply(seen: &[Seen]) -> auth::DeliveredKey {
    seen.iter()
        .filter(|s| !s.to_server && s.msg.msg_type == MessageType::Reply)
        .find_map(|s| auth::reconfigure_key(&s.msg).ok().flatten())
        .expect("C-171: a Reply with the reconfigure key")
}

/// The client's DUID, as the server names it.
fn client_duid(t: &Topo) -> String {
    let bytes = std::fs::read(t.scratch.path("kame6-dhcp6c.duid")).unwrap();
    Duid::from_file_bytes(&bytes).unwrap().to_string()
}

/// Waits for a Reconfigure after `after_us` and for the client's answer
/// of type `answer`; returns the Reconfigure's replay value.
fn reconfigured(
    t: &Topo,
    key: &[u8; 16],
    last_rd: u64,
    after_us: u64,
    kind: MessageType,
    ds: &[&Daemon],
) -> (u64, u64) {
    let mut found = None;
    let ok = wait_until(WAIT, || {
        let seen = captured(&t.pcap);
        let Some(rc) = seen
            .iter()
            .find(|s| s.ts_us > after_us && s.msg.msg_type == MessageType::Reconfigure)
        else {
            return false;
        };
        let Some(answer) = seen
            .iter()
            .find(|s| s.ts_us > rc.ts_us && s.to_server && s.msg.msg_type == kind)
        else {
            return false;
        };
        found = Some((
            rc.bytes.clone(),
            rc.msg.clone(),
            answer.msg.clone(),
            answer.ts_us,
        ));
        true
    });
    assert!(ok, "no Reconfigure answered with {kind}:\n{}", dump(ds));
    let (bytes, rc, answer, answer_us) = found.unwrap();
    // C-082: transaction-id 0, Server ID, Client ID, the message asked
    // for, RKAP authentication, no IA.
    assert_eq!(rc.transaction_id, 0, "C-082");
    assert!(
        rc.server_id().is_some() && rc.client_id().is_some(),
        "C-082"
    );
    assert!(rc.options.contains(&OptionRepr::ReconfMsg(kind)), "C-082");
    assert!(
        !rc.options.iter().any(|o| matches!(
            o,
            OptionRepr::IaNa(_) | OptionRepr::IaTa(_) | OptionRepr::IaPd(_)
        )),
        "C-082: no IA options"
    );
    let a = rc
        .options
        .iter()
        .find_map(|o| match o {
            OptionRepr::Auth(a) => Some(a.clone()),
            _ => None,
        })
        .expect("C-082: an Authentication option");
    assert_eq!(a.protocol, auth_protocol::RECONFIGURE_KEY);
    assert!(matches!(a.info, AuthInfo::ReconfigureKey { kind: 2, .. }));
    // C-172: the HMAC verifies with the key the client was given, and the
    // replay value is above every earlier one (C-175 across restarts).
    let rd = auth::verify_reconfigure(&bytes, key, Some(last_rd))
        .unwrap_or_else(|e| panic!("C-172/C-175: {e}\n{}", dump(ds)));
    // C-149 from the client's side: Renew and Information-request carry
    // the Server ID, Rebind none.
    assert_eq!(
        answer.server_id().is_some(),
        kind != MessageType::Rebind,
        "{kind} and its Server ID"
    );
    (rd, answer_us)
}

/// C-083: after the answer no Reconfigure follows (the next
/// retransmission would be due about 2 s after the first).
fn no_more_reconfigures(t: &Topo, after_us: u64) {
    std::thread::sleep(Duration::from_secs(5));
    let late = captured(&t.pcap)
        .iter()
        .filter(|s| s.ts_us > after_us && s.msg.msg_type == MessageType::Reconfigure)
        .count();
    assert_eq!(late, 0, "C-083: Reconfigures after the client answered");
}

fn reconfigure_round(relayed: bool) {
    let t = topo(relayed);
    let mut server = our_server(&t, SERVER_CONF);
    let relay = our_relay(&t);
    let client = our_client(&t);
    let logs = |server: &Daemon| {
        let mut v = vec![server, &client];
        v.extend(relay.as_ref());
        dump(&v)
    };
    assert!(
        wait_address(&t.client, "c0", "2001:db8:1::1", WAIT).is_some(),
        "no address:\n{}",
        logs(&server)
    );
    let auth::DeliveredKey {
        key,
        replay: key_rd,
    } = key_from_reply(&captured(&t.pcap));
    let duid = client_duid(&t);
    // Renew, then Information-request.
    let mut last = key_rd;
    let mut mark = captured(&t.pcap).last().map_or(0, |s| s.ts_us);
    for (word, kind) in [
        ("renew", MessageType::Renew),
        ("info", MessageType::InformationRequest),
    ] {
        reconfigure(&t, word, &duid);
        let (rd, answered) = reconfigured(&t, &key, last, mark, kind, &[&server, &client]);
        no_more_reconfigures(&t, answered);
        last = rd;
        mark = captured(&t.pcap).last().map_or(0, |s| s.ts_us);
    }
    if relayed {
        // C-085: it reached the client through the relay (the relay's
        // link-local address is the source on the client's link).
        let from_relay = captured(&t.pcap)
            .iter()
            .filter(|s| s.msg.msg_type == MessageType::Reconfigure)
            .count();
        assert!(from_relay >= 2, "C-085:\n{}", logs(&server));
        assert!(
            server.log().contains("(relay-reply)"),
            "C-085: sent as a Relay-reply"
        );
    }
    // A restart: the key and the path come back from the journal, and the
    // replay counter has not gone back (C-175). Rebind this time.
    server.signal("TERM");
    server.wait_exit(Duration::from_secs(10));
    let server = our_server(&t, SERVER_CONF);
    reconfigure(&t, "rebind", &duid);
    let (rd, _) = reconfigured(
        &t,
        &key,
        last,
        mark,
        MessageType::Rebind,
        &[&server, &client],
    );
    assert!(rd > last, "C-175");
}

/// C-082, C-083, C-171, C-172, C-175, C-176 between our client and our
/// server on one link.
#[test]
fn reconfigure_direct_and_after_restart() {
    reconfigure_round(false);
}

/// C-085: the same through our relay agent.
#[test]
fn reconfigure_through_our_relay() {
    reconfigure_round(true);
}

/// C-084: WIDE's dhcp6c never sends Reconfigure Accept, so the server
/// refuses to reconfigure it and nothing goes on the wire.
#[test]
fn no_reconfigure_for_a_client_that_never_accepted() {
    let t = topo(false);
    let server = our_server(&t, SERVER_CONF);
    let client = wide_dhcp6c(
        &t.client,
        &t.scratch,
        "c0",
        "interface c0 { send ia-na 1; };\nid-assoc na 1 { };\n",
    );
    assert!(
        wait_address(&t.client, "c0", "2001:db8:1::1", WAIT).is_some(),
        "no address:\n{}",
        dump(&[&server, &client])
    );
    reconfigure(&t, "renew", &wide_client_duid());
    server.wait_log("has not accepted Reconfigure", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(3));
    let sent = captured(&t.pcap)
        .iter()
        .filter(|s| s.msg.msg_type == MessageType::Reconfigure)
        .count();
    assert_eq!(sent, 0, "C-084");
}

/// doc/wide-compat.md §6.4 against WIDE's client: dhcp6c with delayed
/// authentication (spec example's layout) gets its address from our
/// dhcp6s, whose Advertise and Reply carry the host key's realm, key ID
/// and a MAC WIDE checks ("message authentication validated"); with the
/// wrong secret on our side WIDE drops our answers and gets nothing.
#[test]
fn wide_client_with_delayed_authentication() {
    const SECRET: &str = "wJoMpnHT4s4wBUXhWeLKSQ==";
    let client_conf = format!(
        "interface c0 {{ send ia-na 1; send authentication ak; }};\n\
         id-assoc na 1 {{ }};\n\
         authentication ak {{ protocol delayed; algorithm hmac-md5; rdm monocounter; }};\n\
         keyinfo k {{ realm \"example.org\"; keyid 1000; secret \"{SECRET}\"; }};\n"
    );
    let server_conf = |secret: &str| {
        format!(
            "pool p1 {{ range 2001:db8:1::100 to 2001:db8:1::1ff; }};\n\
             interface s0 {{ address-pool p1 1000 2000; }};\n\
             keyinfo k {{ realm \"example.org\"; keyid 1000; secret \"{secret}\"; }};\n\
             host wide {{ duid {}; delayedkey k; address 2001:db8:1::77 1000 2000; }};\n",
            wide_client_duid()
        )
    };
    for (secret, works) in [(SECRET, true), ("Ykl2EZpD/RZFTJRRMX4Fow==", false)] {
        let t = topo(false);
        let server = our_server(&t, &server_conf(secret));
        let client = wide_dhcp6c(&t.client, &t.scratch, "c0", &client_conf);
        let got = wait_address(
            &t.client,
            "c0",
            "2001:db8:1::77",
            if works { WAIT } else { Duration::from_secs(10) },
        );
        assert_eq!(got.is_some(), works, "{}", dump(&[&server, &client]));
        if works {
            assert!(
                client.log().contains("message authentication validated"),
                "WIDE checked our MAC:\n{}",
                client.log()
            );
            // Every answer of ours on the wire is signed with the key.
            let seen = captured(&t.pcap);
            let answers: Vec<&Seen> = seen.iter().filter(|s| !s.to_server).collect();
            assert!(!answers.is_empty());
            for a in answers {
                let c = auth::delayed_claim(&a.bytes).unwrap();
                assert_eq!((c.realm.as_slice(), c.key_id), (&b"example.org"[..], 1000));
            }
        } else {
            assert!(
                server.log().contains("server6_send"),
                "the server answered:\n{}",
                server.log()
            );
        }
    }
}
