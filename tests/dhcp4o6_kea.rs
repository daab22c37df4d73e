//! The scripted DHCPv4-over-DHCPv6 client (tests/common/dhcp4o6.rs) against
//! Kea's pair, kea-dhcp6 and kea-dhcp4 joined by their 4o6 IPC on the
//! server namespace's loopback: option 88 from kea-dhcp6, then DISCOVER →
//! OFFER → REQUEST → ACK, RENEWING by unicast with U=1, REBINDING with U=0,
//! a NAK for an INIT-REBOOT of a wrong address, INFORM, RELEASE (the address
//! is free again) and DECLINE (the address is not offered again); directly
//! on one link and through our dhcp6relay; malformed queries followed by
//! one that is answered; and the decoy check for forged IPC metadata. This
//! proves the harness against a real peer; the same scenarios later run
//! against our own pair.
//!
//! Kea 2.2 behaviour seen here (logs of these runs):
//! - kea-dhcp6 forwards a DHCPV4-QUERY whatever its flags: the U flag is
//!   not looked at (Dhcpv6Srv::processDhcp4Query), and a RENEWING REQUEST
//!   with U=1 and a REBINDING one with U=0 get the same DHCPACK.
//! - The DHCPV4-RESPONSE carries the DHCPV4-QUERY's flags back (U=1 is
//!   echoed) instead of zero (RFC 7341 §6.3: set to 0 by the sender,
//!   ignored by the receiver), so the client here does not insist on zero.
//! - kea-dhcp4 takes a 4o6 answer's server identifier from an IPv4 socket
//!   on the interface the DHCPv6 side received on (`appendServerID` asks
//!   `IfaceMgr::getSocket`). Without an IPv4 address on that interface, and
//!   the interface in kea-dhcp4's `interfaces`, every query is dropped
//!   ("DHCP4_PACKET_DROP_0007 ... Interface s0/2 does not have any
//!   suitable IPv4 sockets open"), although no DHCPv4 packet crosses it.
//!   So option 54 is 192.0.2.2 here, the address given to s0.
//! - The DHCPv4 BROADCAST flag of the query is copied into the answer, and
//!   the answer still goes back over DHCPv6 to the client's source.
//! - A REQUEST naming another server identifier is dropped silently
//!   (DHCP4_PACKET_DROP_0003); an INIT-REBOOT REQUEST from a client Kea has
//!   no lease for is not answered (not authoritative by default: RFC 2131
//!   §4.3.2 "MUST remain silent"), so the NAK below comes from a client
//!   that holds a lease and asks for another address.
//! - kea-dhcp6 forwards a query with two DHCPv4-msg options (sent from a
//!   source port other than 546, which it does not mind either) and
//!   kea-dhcp4 drops it ("more than one DHCPv4 message option").
//! - A client's own ISC vendor sub-option 60001 (remote address) in its
//!   query is kept by kea-dhcp6 and used by kea-dhcp4 (its 60000/60002 as
//!   well: the log shows the forged port), and kea-dhcp6 sends the answer
//!   to that address; only the port is not followed, kea-dhcp6 always
//!   sending to 546 (see `kea_follows_forged_metadata`).
//! - A DHCPv4 message with op BOOTREPLY, or with hlen 17, inside a query
//!   is answered (see `kea_pair_survives_garbage`).
//! - kea-dhcp4's log line DHCP4_DHCP4O6_PACKET_RECEIVED prints the remote
//!   port where the interface name belongs.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};
use std::time::Duration;

use common::dhcp4o6::{build, expect, forged_meta, query, Client, Identity, Kind};
use common::peers::{our_dhcp6relay, Scratch};
use common::{require_program, require_root, veth, Daemon, Netns};
use libdhcp6::codes::MessageType as V6Type;
use libdhcp6::dhcp4::{MessageType, Op, OptionCode, OptionRepr as V4Option, PacketRepr};
use libdhcp6::wire::{MessageRepr, OptionRepr};

/// The 4o6 server address kea-dhcp6 listens on and hands out in option 88.
const SERVER6: &str = "2001:db8:ff::2";
/// The DHCPv4 subnet and pool kea-dhcp4 serves over DHCPv6.
const SUBNET4: &str = "10.10.10.0/24";
const POOL4: &str = "10.10.10.100 - 10.10.10.109";
/// IPC port pair: kea-dhcp6 binds [::1]:6767, kea-dhcp4 [::1]:6768.
const IPC_PORT: u16 = 6767;

/// kea-dhcp6 on `iface` (multicast and unicast on `addr`) forwarding
/// DHCPV4-QUERY over the IPC, with option 88 pointing at `addr`.
fn kea_dhcp6_4o6(ns: &Netns, s: &Scratch, iface: &str, addr: &str) -> Daemon {
    let bin = require_program("kea-dhcp6");
    let leases = s.path("kea-leases6.csv");
    let conf = format!(
        r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": [ "{iface}", "{iface}/{addr}" ] }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{leases}", "lfc-interval": 0 }},
  "server-id": {{ "type": "EN", "enterprise-id": 2495, "identifier": "6b616d6536", "persist": false }},
  "dhcp4o6-port": {IPC_PORT},
  "option-data": [ {{ "name": "dhcp4o6-server-addr", "code": 88, "space": "dhcp6", "data": "{addr}" }} ],
  "subnet6": [ {{ "id": 1, "subnet": "2001:db8:ff::/64", "interface": "{iface}",
                  "pools": [ {{ "pool": "2001:db8:ff::100 - 2001:db8:ff::1ff" }} ] }} ],
  "loggers": [ {{ "name": "kea-dhcp6", "output_options": [ {{ "output": "stdout" }} ], "severity": "DEBUG", "debuglevel": 99 }} ]
}} }}"#
    );
    start_kea(ns, s, &bin, "kea-dhcp6.conf", &conf, "DHCP6_STARTED")
}

/// kea-dhcp4 answering DHCPv4-over-DHCPv6 for queries the DHCPv6 side
/// received on `iface` (Kea's `4o6-interface` selector), with leases of
/// 600 s.
fn kea_dhcp4_4o6(ns: &Netns, s: &Scratch, iface: &str) -> Daemon {
    let bin = require_program("kea-dhcp4");
    let leases = s.path("kea-leases4.csv");
    let conf = format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": [ "{iface}" ], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{leases}", "lfc-interval": 0 }},
  "dhcp4o6-port": {IPC_PORT},
  "valid-lifetime": 600, "renew-timer": 200, "rebind-timer": 400,
  "subnet4": [ {{ "id": 1, "subnet": "{SUBNET4}", "4o6-interface": "{iface}",
                  "pools": [ {{ "pool": "{POOL4}" }} ],
                  "option-data": [ {{ "name": "routers", "data": "10.10.10.1" }},
                                   {{ "name": "domain-name-servers", "data": "10.10.10.53" }} ] }} ],
  "loggers": [ {{ "name": "kea-dhcp4", "output_options": [ {{ "output": "stdout" }} ], "severity": "DEBUG", "debuglevel": 99 }} ]
}} }}"#
    );
    start_kea(ns, s, &bin, "kea-dhcp4.conf", &conf, "DHCP4_STARTED")
}

fn start_kea(
    ns: &Netns,
    s: &Scratch,
    bin: &std::path::Path,
    file: &str,
    conf: &str,
    started: &str,
) -> Daemon {
    let conf = s.write(file, conf);
    let dir = s.dir.to_str().unwrap_or("/tmp");
    let d = ns.spawn_env(
        bin.to_str().unwrap_or("kea"),
        &["-c", &conf],
        &[("KEA_LOCKFILE_DIR", dir), ("KEA_PIDFILE_DIR", dir)],
    );
    d.wait_log(started, Duration::from_secs(15));
    d
}

/// The pieces of one run: namespaces, scratch directory and daemons are
/// torn down when it is dropped.
struct Run {
    kea6: Daemon,
    kea4: Daemon,
    _relay: Option<(Daemon, Netns)>,
    client: Netns,
    _server: Netns,
    _scratch: Scratch,
}

impl Run {
    fn logs(&self) -> String {
        format!(
            "--- kea-dhcp6:\n{}\n--- kea-dhcp4:\n{}",
            self.kea6.log(),
            self.kea4.log()
        )
    }
}

/// Kea's pair in `server`, answering the 4o6 queries the DHCPv6 side
/// receives on s0 (which has [`SERVER6`]).
fn start(client: Netns, server: Netns, relay: Option<(&str, Netns)>) -> Run {
    // See the module comment: kea-dhcp4 needs an IPv4 socket on s0.
    server.exec(["ip", "addr", "add", "192.0.2.2/24", "dev", "s0"]);
    let scratch = Scratch::new(&format!("{}-files", server.name));
    let kea4 = kea_dhcp4_4o6(&server, &scratch, "s0");
    let kea6 = kea_dhcp6_4o6(&server, &scratch, "s0", SERVER6);
    let relay = relay.map(|(upper, ns)| (our_dhcp6relay(&ns, &scratch, "r0", upper, SERVER6), ns));
    Run {
        kea6,
        kea4,
        _relay: relay,
        client,
        _server: server,
        _scratch: scratch,
    }
}

/// client —(c0|s0)— server, both on 2001:db8:ff::/64.
fn direct() -> Run {
    require_root();
    let client = Netns::new("c");
    let server = Netns::new("s");
    veth(&client, "c0", &server, "s0");
    client.addr("c0", "2001:db8:ff::10/64");
    server.addr("s0", &format!("{SERVER6}/64"));
    start(client, server, None)
}

/// The harness's relayed topology (client —(c0|r0)— our dhcp6relay
/// —(r1|s0)— server), the client numbered on 2001:db8:1::/64 and routed
/// through the relay so that it can reach the server by unicast.
fn relayed() -> Run {
    let t = common::relayed();
    t.client.addr("c0", "2001:db8:1::10/64");
    t.client.route("2001:db8:ff::/64", "2001:db8:1::1");
    t.relay
        .exec(["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"]);
    start(t.client, t.server, Some(("r1", t.relay)))
}

/// DISCOVER → OFFER → REQUEST (SELECTING) → ACK for `who`; the ACK and the
/// server identifier.
fn dora(run: &Run, c: &mut Client, to: SocketAddrV6, who: &Identity) -> (PacketRepr, Ipv4Addr) {
    let offer = c.ask(to, who, Kind::Discover { hint: None });
    let offer = offer.unwrap_or_else(|e| panic!("DISCOVER: {e}\n{}", run.logs()));
    expect(&offer, MessageType::Offer, who);
    let server_id = offer.server_id().expect("server identifier in DHCPOFFER");
    let ack = c
        .ask(
            to,
            who,
            Kind::Selecting {
                server_id,
                requested: offer.yiaddr,
            },
        )
        .unwrap_or_else(|e| panic!("SELECTING: {e}\n{}", run.logs()));
    expect(&ack, MessageType::Ack, who);
    assert_eq!(
        ack.yiaddr, offer.yiaddr,
        "ACK for another address than offered"
    );
    assert!(
        matches!(
            ack.option(OptionCode::LeaseTime),
            Some(V4Option::LeaseTime(600))
        ),
        "ACK without the configured lease time: {ack:?}"
    );
    (ack, server_id)
}

fn in_pool(a: Ipv4Addr) -> bool {
    (Ipv4Addr::new(10, 10, 10, 100)..=Ipv4Addr::new(10, 10, 10, 109)).contains(&a)
}

/// Every scenario, the client reaching the servers through `all`
/// (ff02::1:2 on its link) and unicast at `SERVER6`.
fn scenarios(run: &Run) {
    let mut c = Client::new(&run.client);
    // Kea 2.2 copies the query's flags into the DHCPV4-RESPONSE (U=1 comes
    // back set), where RFC 7341 §6.3 has the sender clear them.
    c.zero_flags = false;
    let all = Client::all_servers(run.client.ifindex("c0"));
    let logs = || run.logs();

    // Option 88: the 4o6 server address, asked for in an Information-request.
    let servers = c
        .servers_4o6(all)
        .unwrap_or_else(|| panic!("no option 88\n{}", logs()));
    let server6: Ipv6Addr = SERVER6.parse().unwrap();
    assert_eq!(servers, vec![server6]);
    let unicast = SocketAddrV6::new(server6, 547, 0, 0);

    // DORA.
    let a = Identity::ethernet(1);
    let (ack, sid) = dora(run, &mut c, all, &a);
    let addr = ack.yiaddr;
    assert!(in_pool(addr), "{addr} outside the pool");
    assert!(
        matches!(ack.option(OptionCode::Routers), Some(V4Option::Routers(r)) if r == &[Ipv4Addr::new(10, 10, 10, 1)]),
        "ACK without the routers asked for: {ack:?}"
    );

    // RENEWING: ciaddr, no server id, unicast to the 4o6 server with U=1.
    let renew = c.ask(unicast, &a, Kind::Renewing { ciaddr: addr });
    let renew = renew.unwrap_or_else(|e| panic!("RENEWING: {e}\n{}", logs()));
    expect(&renew, MessageType::Ack, &a);
    assert_eq!(renew.yiaddr, addr);

    // REBINDING: the same fields to ff02::1:2 with U=0.
    let rebind = c.ask(all, &a, Kind::Rebinding { ciaddr: addr });
    let rebind = rebind.unwrap_or_else(|e| panic!("REBINDING: {e}\n{}", logs()));
    expect(&rebind, MessageType::Ack, &a);
    assert_eq!(rebind.yiaddr, addr);

    // INIT-REBOOT for an address the client does not hold: DHCPNAK.
    let wrong = Ipv4Addr::new(10, 10, 10, 200);
    let nak = c.ask(all, &a, Kind::InitReboot { requested: wrong });
    let nak = nak.unwrap_or_else(|e| panic!("INIT-REBOOT: {e}\n{}", logs()));
    expect(&nak, MessageType::Nak, &a);
    assert_eq!(nak.yiaddr, Ipv4Addr::UNSPECIFIED);

    // INFORM: configuration without an address (yiaddr 0, no lease time).
    let inform = c.ask(all, &a, Kind::Inform { ciaddr: addr });
    let inform = inform.unwrap_or_else(|e| panic!("INFORM: {e}\n{}", logs()));
    expect(&inform, MessageType::Ack, &a);
    assert_eq!(inform.yiaddr, Ipv4Addr::UNSPECIFIED);
    assert!(inform.option(OptionCode::LeaseTime).is_none(), "{inform:?}");

    // RELEASE: unanswered; the address is free again, so another client
    // hinting at it is offered exactly it.
    c.send(
        unicast,
        &a,
        Kind::Release {
            server_id: sid,
            ciaddr: addr,
        },
    );
    assert!(c.silent_for(Duration::from_millis(500)), "RELEASE answered");
    let other = Identity::ethernet(2);
    let offer = c.ask(all, &other, Kind::Discover { hint: Some(addr) });
    let offer = offer.unwrap_or_else(|e| panic!("DISCOVER after RELEASE: {e}\n{}", logs()));
    expect(&offer, MessageType::Offer, &other);
    assert_eq!(offer.yiaddr, addr, "released address still held");

    // DECLINE: unanswered; the same client asking again (even hinting at
    // the declined address) is offered another one.
    let b = Identity::ethernet(3);
    let (ack_b, sid_b) = dora(run, &mut c, all, &b);
    let declined = ack_b.yiaddr;
    c.send(
        all,
        &b,
        Kind::Decline {
            server_id: sid_b,
            requested: declined,
        },
    );
    assert!(c.silent_for(Duration::from_millis(500)), "DECLINE answered");
    let again = c.ask(
        all,
        &b,
        Kind::Discover {
            hint: Some(declined),
        },
    );
    let again = again.unwrap_or_else(|e| panic!("DISCOVER after DECLINE: {e}\n{}", logs()));
    expect(&again, MessageType::Offer, &b);
    assert_ne!(again.yiaddr, declined, "declined address offered again");
    assert!(in_pool(again.yiaddr));
}

/// Malformed queries, each dropped without an answer, then a DISCOVER is
/// still answered: no DHCPv4-msg option, two of them, one that is not a
/// DHCPv4 message, a BOOTREPLY inside a query, an impossible `hlen`. The
/// ones named in `peer_answers` are known to be answered by the peer under
/// test; for them any answer is read and let go.
fn garbage_then_answered(run: &Run, peer_answers: &[&str]) {
    let mut c = Client::new(&run.client);
    c.zero_flags = false;
    let all = Client::all_servers(run.client.ifindex("c0"));
    let who = Identity::ethernet(7);
    let discover = build(&who, Kind::Discover { hint: None }, 0x0bad);
    let mut reply = discover.clone();
    reply.op = Op::BootReply;
    let mut long_hlen = discover.to_vec().unwrap();
    long_hlen[2] = 17;
    let v4 = |b: Vec<u8>| OptionRepr::Dhcpv4Msg(b);
    let bare = MessageRepr {
        msg_type: V6Type::Dhcpv4Query,
        transaction_id: 0,
        options: vec![],
    };
    let junk = [
        ("no DHCPv4-msg", bare),
        (
            "two DHCPv4-msg",
            query(&discover, false, &[v4(discover.to_vec().unwrap())]),
        ),
        ("not DHCPv4", with_msg(vec![1, 1, 6, 0, 0xde, 0xad])),
        ("BOOTREPLY", with_msg(reply.to_vec().unwrap())),
        ("hlen 17", with_msg(long_hlen)),
    ];
    for (what, q) in junk {
        c.send_raw(all, &q.to_vec().unwrap());
        let silent = c.silent_for(Duration::from_millis(700));
        assert!(
            silent || peer_answers.contains(&what),
            "{what}: answered\n{}",
            run.logs()
        );
    }
    // A fresh xid: a late answer to the junk must not pass for this one.
    let offer = c.ask(all, &who, Kind::Discover { hint: None });
    let offer = offer.unwrap_or_else(|e| panic!("DISCOVER after junk: {e}\n{}", run.logs()));
    expect(&offer, MessageType::Offer, &who);
}

/// A DHCPV4-QUERY carrying `body` as its only DHCPv4-msg option.
fn with_msg(body: Vec<u8>) -> MessageRepr {
    MessageRepr {
        msg_type: V6Type::Dhcpv4Query,
        transaction_id: 0,
        options: vec![OptionRepr::Dhcpv4Msg(body)],
    }
}

#[test]
fn kea_pair_direct() {
    let run = direct();
    scenarios(&run);
}

#[test]
fn kea_pair_through_our_relay() {
    let run = relayed();
    scenarios(&run);
}

#[test]
fn kea_pair_survives_garbage() {
    let run = direct();
    // Kea 2.2 answers a DHCPDISCOVER whose op is BOOTREPLY with a DHCPOFFER
    // (it looks at option 53 only), where RFC 2131 §4.1 has servers take
    // BOOTREQUESTs; and one with hlen 17, taking 17 octets as the hardware
    // address (chaddr and the first octet of sname) and offering that
    // "new" client another address although its client identifier is the
    // same.
    garbage_then_answered(&run, &["BOOTREPLY", "hlen 17"]);
    let log = run.kea4.log();
    assert!(log.contains("more than one DHCPv4 message option"), "{log}");
}

/// The decoy check the forged-metadata tests of our dhcp6s rely on, shown
/// able to fail: Kea 2.2's DHCPv6 side keeps a client's own ISC sub-options
/// 60000-60002 and its DHCPv4 side reads the client's, so a query forging
/// 60001 has its answer sent to the forged address (a decoy, another
/// address of the client's link) instead of its real sender. The forged
/// port (60002) is not followed: kea-dhcp6 sends to port 546 whatever the
/// metadata says.
#[test]
fn kea_follows_forged_metadata() {
    let run = direct();
    let decoy_addr: Ipv6Addr = "2001:db8:ff::20".parse().unwrap();
    run.client.addr("c0", "2001:db8:ff::20/64");
    let c0 = run.client.ifindex("c0");
    let me = run.client.link_local("c0");
    let mut c = Client::bound(&run.client, SocketAddrV6::new(me, 546, 0, c0));
    c.zero_flags = false;
    c.tries = 1;
    let decoy = Client::bound(&run.client, SocketAddrV6::new(decoy_addr, 546, 0, 0));
    let who = Identity::ethernet(8);
    let forged = forged_meta("s0", decoy_addr, 546);
    let discover = build(&who, Kind::Discover { hint: None }, 0x0f0f);
    let real = c.exchange_with(Client::all_servers(c0), &discover, false, &[forged]);
    let decoy_heard = !decoy.silent_for(Duration::from_secs(1));
    assert!(
        decoy_heard && real.is_err(),
        "real sender answered ({real:?}) or decoy unanswered ({decoy_heard})\n{}",
        run.logs()
    );
}
