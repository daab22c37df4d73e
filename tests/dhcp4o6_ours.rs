//! Our dhcp4s as the DHCPv4 side of DHCPv4-over-DHCPv6, paired (1) with
//! our dhcp6s and (3) with Kea's kea-dhcp6, joined by Kea's 4o6 IPC on the
//! server namespace's loopback (DHCPv6 side on [::1]:6767, dhcp4s on
//! [::1]:6768). The scripted client of tests/common/dhcp4o6.rs runs the
//! shared scenarios (option 88, DORA, RENEWING with U=1, REBINDING, a NAK,
//! INFORM, RELEASE, DECLINE), garbage that must be survived, and a query
//! forging Kea's IPC metadata; directly on one link, through our
//! dhcp6relay and through ISC's dhcrelay -6. Checklist C-164 … C-168.
//!
//! Then what only dhcp4s has: a restart keeps an acknowledged lease (the
//! journal), SIGHUP keeps leases, the control channel removes a lease.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::dhcp4o6::{
    dhcp4s_conf_selecting, direct_net, expect, forged_metadata, garbage_then_answered,
    kea_dhcp6_4o6, kea_setup, last_counter as counter, our_dhcp4s, relayed_net, scenarios,
    start_relay, Client, Identity, Kind, Relay, SERVER6,
};
use common::peers::{counters, our_dhcp6s, Scratch};
use common::{Daemon, Netns};
use libdhcp6::dhcp4::{MessageType, OptionCode, OptionRepr as V4Option, PacketRepr};

/// IPC port pair: the DHCPv6 side binds [::1]:6767, dhcp4s [::1]:6768.
const IPC_PORT: u16 = 6767;

/// Which DHCPv6 side runs in front of dhcp4s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side6 {
    /// Our dhcp6s.
    Ours,
    /// Kea's kea-dhcp6.
    Kea,
}

/// The pieces of one run, torn down when dropped.
struct Run {
    dhcp6: Daemon,
    dhcp4s: Daemon,
    _relay: Option<(Daemon, Netns)>,
    client: Netns,
    server: Netns,
    scratch: Scratch,
}

impl Run {
    fn logs(&self) -> String {
        format!(
            "--- DHCPv6 side:\n{}\n--- dhcp4s:\n{}",
            self.dhcp6.log(),
            self.dhcp4s.log()
        )
    }

    /// dhcp4s's counters (SIGUSR1) in its log.
    fn counters(&self) -> String {
        counters(&self.dhcp4s, "server4_mainloop: leases:")
    }

    fn journal(&self) -> String {
        self.scratch.path("dhcp4s.leases")
    }
}

/// The DHCPv6 side and dhcp4s in `server`, answering 4o6 queries received on s0.
fn start(client: Netns, server: Netns, relay: Option<(Relay, Netns)>, side: Side6) -> Run {
    start_selecting(client, server, relay, side, "4o6-interface s0")
}

/// [`start`] with dhcp4s's subnet chosen by `selector`.
fn start_selecting(
    client: Netns,
    server: Netns,
    relay: Option<(Relay, Netns)>,
    side: Side6,
    selector: &str,
) -> Run {
    let scratch = Scratch::new(&format!("{}-files", server.name));
    let conf = dhcp4s_conf_selecting(IPC_PORT, selector, &scratch.path("dhcp4s.leases"));
    let dhcp4s = our_dhcp4s(&server, &scratch, &conf, &[]);
    let dhcp6 = match side {
        Side6::Ours => {
            let conf =
                format!("dhcp4o6-port {IPC_PORT};\noption dhcp4o6-server-address {SERVER6};\n");
            our_dhcp6s(&server, &scratch, &conf, &["s0"])
        }
        Side6::Kea => kea_dhcp6_4o6(&server, &scratch, "s0", SERVER6, IPC_PORT),
    };
    let relay = relay.map(|(which, ns)| (start_relay(which, &ns, &scratch), ns));
    Run {
        dhcp6,
        dhcp4s,
        _relay: relay,
        client,
        server,
        scratch,
    }
}

fn direct(side: Side6) -> Run {
    let (client, server) = direct_net();
    start(client, server, None, side)
}

fn relayed(which: Relay, side: Side6) -> Run {
    let t = relayed_net();
    start(t.client, t.server, Some((which, t.relay)), side)
}

/// The shared scenarios (option 88, DORA, C-168's RENEWING with U=1 and
/// REBINDING with U=0, NAK, INFORM, RELEASE, DECLINE) against `run`.
fn run_scenarios(run: &Run) {
    let logs = || run.logs();
    scenarios(&kea_setup(
        &run.client,
        SERVER6.parse().unwrap(),
        true,
        &logs,
    ));
}

/// (1) our pair, directly on the link (C-165, C-167 by interface, C-168).
#[test]
fn ours_pair_direct() {
    let run = direct(Side6::Ours);
    run_scenarios(&run);
    let log = run.counters();
    assert!(counter(&log, "DHCPDISCOVER: received ") >= 3, "{log}");
    assert!(counter(&log, "DHCPOFFER: received 0, sent ") >= 3, "{log}");
}

/// C-167: a relayed query's subnet chosen by the relay's link-address
/// (2001:db8:1::1 on the client's link; the relay's own source address is
/// on the server's link, outside the prefix), through either relay.
#[test]
fn c167_relayed_subnet_by_link_address() {
    for which in [Relay::Ours, Relay::Isc] {
        let t = relayed_net();
        let run = start_selecting(
            t.client,
            t.server,
            Some((which, t.relay)),
            Side6::Ours,
            "4o6-subnet 2001:db8:1::/64",
        );
        run_scenarios(&run);
    }
}

/// (1) through our dhcp6relay (C-166).
#[test]
fn ours_pair_through_our_relay() {
    run_scenarios(&relayed(Relay::Ours, Side6::Ours));
}

/// (1) through ISC's dhcrelay -6 (C-166).
#[test]
fn ours_pair_through_isc_dhcrelay() {
    run_scenarios(&relayed(Relay::Isc, Side6::Ours));
}

/// (3) Kea's kea-dhcp6 in front of dhcp4s, directly (C-165, C-167, C-168).
#[test]
fn kea6_with_ours_direct() {
    run_scenarios(&direct(Side6::Kea));
}

/// (3) through our dhcp6relay (C-166).
#[test]
fn kea6_with_ours_through_our_relay() {
    run_scenarios(&relayed(Relay::Ours, Side6::Kea));
}

/// (3) through ISC's dhcrelay -6 (C-166).
#[test]
fn kea6_with_ours_through_isc_dhcrelay() {
    run_scenarios(&relayed(Relay::Isc, Side6::Kea));
}

/// C-164 and garbage in DHCPV4-QUERY: our dhcp6s stops most of it; behind Kea's
/// kea-dhcp6, which passes it on, dhcp4s drops and counts it itself. Either
/// way nothing is answered and the next query is.
#[test]
fn garbage_survived() {
    for side in [Side6::Ours, Side6::Kea] {
        let run = direct(side);
        let logs = || run.logs();
        let s = kea_setup(&run.client, SERVER6.parse().unwrap(), true, &logs);
        garbage_then_answered(&s, &[]);
        if side == Side6::Kea {
            let log = run.counters();
            let dropped = |why: &str| counter(&log, &format!("dropped ({why}): "));
            assert!(dropped("BOOTREPLY in a query") >= 1, "{log}");
            assert!(dropped("malformed DHCPv4 message") >= 2, "{log}");
        }
    }
}

/// A query forging Kea's IPC metadata: with our dhcp6s in front the
/// answer reaches the real sender only.
#[test]
fn forged_metadata_ignored() {
    let run = direct(Side6::Ours);
    let logs = || run.logs();
    let s = kea_setup(&run.client, SERVER6.parse().unwrap(), true, &logs);
    let f = forged_metadata(&s, "s0", "2001:db8:ff::20".parse().unwrap());
    assert!(
        f.real.is_ok() && !f.decoy_heard,
        "real sender unanswered ({:?}) or decoy heard ({})\n{}",
        f.real,
        f.decoy_heard,
        run.logs()
    );
}

/// Behind Kea's kea-dhcp6, which keeps a client's forged IPC metadata and
/// adds its own, dhcp4s refuses the repeated metadata: the decoy hears
/// nothing, and the drop is counted.
#[test]
fn kea6_forged_metadata_dropped() {
    let run = direct(Side6::Kea);
    let logs = || run.logs();
    let s = kea_setup(&run.client, SERVER6.parse().unwrap(), true, &logs);
    let f = forged_metadata(&s, "s0", "2001:db8:ff::20".parse().unwrap());
    assert!(!f.decoy_heard, "decoy heard\n{}", run.logs());
    let log = run.counters();
    assert!(f.real.is_err(), "{log}");
    assert_eq!(counter(&log, "dropped (bad IPC metadata): "), 1, "{log}");
}

/// Only [::1]:6767 is listened to: a datagram to dhcp4s from another
/// port is dropped and counted.
#[test]
fn ipc_only_from_the_peer() {
    let run = direct(Side6::Ours);
    run.server.run_in(|| {
        let s = std::net::UdpSocket::bind("[::1]:0").unwrap();
        s.send_to(&[20, 0, 0, 0], "[::1]:6768").unwrap();
    });
    let ok = common::wait_until(Duration::from_secs(5), || {
        counter(
            &run.counters(),
            "dropped (IPC datagram not from the DHCPv6 server): ",
        ) == 1
    });
    assert!(ok, "{}", run.logs());
}

/// DISCOVER → OFFER → REQUEST → ACK for `who`; the address acknowledged.
fn lease(run: &Run, who: &Identity) -> Ipv4Addr {
    let mut c = Client::new(&run.client);
    c.zero_flags = true;
    let all = Client::all_servers(run.client.ifindex("c0"));
    let offer = c
        .ask(all, who, Kind::Discover { hint: None })
        .unwrap_or_else(|e| panic!("DISCOVER: {e}\n{}", run.logs()));
    expect(&offer, MessageType::Offer, who);
    let server_id = offer.server_id().unwrap();
    let ack = c
        .ask(
            all,
            who,
            Kind::Selecting {
                server_id,
                requested: offer.yiaddr,
            },
        )
        .unwrap_or_else(|e| panic!("SELECTING: {e}\n{}", run.logs()));
    expect(&ack, MessageType::Ack, who);
    ack.yiaddr
}

/// INIT-REBOOT for `addr`: the DHCPv4 answer.
fn reboot_answer(run: &Run, who: &Identity, addr: Ipv4Addr) -> PacketRepr {
    let mut c = Client::new(&run.client);
    c.zero_flags = true;
    let all = Client::all_servers(run.client.ifindex("c0"));
    c.ask(all, who, Kind::InitReboot { requested: addr })
        .unwrap_or_else(|e| panic!("INIT-REBOOT: {e}\n{}", run.logs()))
}

/// INIT-REBOOT for `addr`: the DHCPv4 answer's type and address.
fn reboot(run: &Run, who: &Identity, addr: Ipv4Addr) -> (MessageType, Ipv4Addr) {
    let a = reboot_answer(run, who, addr);
    (a.message_type().unwrap(), a.yiaddr)
}

/// `dhcp4s --dump-leases` of the run's journal.
fn dump(run: &Run) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dhcp4s"))
        .args(["--dump-leases", &run.journal()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An acknowledged lease survives a restart of dhcp4s: it is in the
/// journal (--dump-leases lists it), and the client's INIT-REBOOT gets the
/// same address acknowledged by the new process, which had never seen it.
/// A second dhcp4s on the same journal is refused while the first runs.
#[test]
fn restart_keeps_acknowledged_lease() {
    let mut run = direct(Side6::Ours);
    let who = Identity::ethernet(21);
    let addr = lease(&run, &who);
    // The journal is locked: a second server refuses to start.
    let conf = run.scratch.path("kame6-dhcp4s.conf");
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_dhcp4s"))
        .args(["-f", "-t", "-c", &conf])
        .output()
        .unwrap();
    assert!(
        second.status.success(),
        "-t of the running conf: {second:?}"
    );
    let second = run.server.try_exec(&[
        env!("CARGO_BIN_EXE_dhcp4s"),
        "-f",
        "-c",
        &conf,
        "-P",
        &run.scratch.path("second.pid"),
        "-k",
        &run.scratch.path("nokey"),
    ]);
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success() && err.contains("in use by another dhcp4s"),
        "{err}"
    );
    run.dhcp4s.signal("TERM");
    assert_eq!(run.dhcp4s.wait_exit(Duration::from_secs(10)), Some(0));
    let listed = dump(&run);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(&format!("{addr} id:01:02:00:00:00:04:15 1 "))),
        "{addr} not listed:\n{listed}"
    );
    let conf = std::fs::read_to_string(&conf).unwrap();
    run.dhcp4s = our_dhcp4s(&run.server, &run.scratch, &conf, &[]);
    assert!(
        run.dhcp4s.log().contains("1 leases"),
        "{}",
        run.dhcp4s.log()
    );
    assert_eq!(reboot(&run, &who, addr), (MessageType::Ack, addr));
    // The address stays the client's: another client is given another.
    assert_ne!(lease(&run, &Identity::ethernet(22)), addr);
}

/// SIGHUP re-reads dhcp4s.conf (a new router) and keeps the leases; a
/// broken file keeps the running configuration.
#[test]
fn reload_keeps_leases() {
    let run = direct(Side6::Ours);
    let who = Identity::ethernet(23);
    let addr = lease(&run, &who);
    let conf = run.scratch.path("kame6-dhcp4s.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, "subnet {\n").unwrap();
    run.dhcp4s.signal("HUP");
    run.dhcp4s
        .wait_log("keeping the running configuration", Duration::from_secs(10));
    std::fs::write(
        &conf,
        text.replace("routers 10.10.10.1", "routers 10.10.10.9"),
    )
    .unwrap();
    run.dhcp4s.signal("HUP");
    run.dhcp4s
        .wait_log("1 leases kept", Duration::from_secs(10));
    let ack = reboot_answer(&run, &who, addr);
    assert_eq!(
        (ack.message_type(), ack.yiaddr),
        (Some(MessageType::Ack), addr)
    );
    let router = Ipv4Addr::new(10, 10, 10, 9);
    assert!(
        matches!(ack.option(OptionCode::Routers), Some(V4Option::Routers(r)) if r == &[router]),
        "the reloaded router is not served: {ack:?}"
    );
    assert_ne!(lease(&run, &Identity::ethernet(24)), addr);
}

/// The control channel: `dhcp6ctl -4 remove lease4 ADDRESS` ends the lease
/// at once (journalled: --dump-leases no longer lists it) and the address
/// is free for another client; a removal of an address without a lease
/// changes nothing.
#[test]
fn control_channel_removes_a_lease() {
    let mut run = direct(Side6::Ours);
    let key = run
        .scratch
        .write("dhcp4sctlkey", "MDEyMzQ1Njc4OWFiY2RlZg==\n");
    run.dhcp4s.signal("TERM");
    assert_eq!(run.dhcp4s.wait_exit(Duration::from_secs(10)), Some(0));
    let conf = std::fs::read_to_string(run.scratch.path("kame6-dhcp4s.conf")).unwrap();
    run.dhcp4s = our_dhcp4s(&run.server, &run.scratch, &conf, &[]);
    assert!(
        run.dhcp4s.log().contains("control channel on [::1]:5548"),
        "{}",
        run.dhcp4s.log()
    );
    let who = Identity::ethernet(25);
    let addr = lease(&run, &who);
    assert!(dump(&run).contains(&format!("{addr} ")));
    let ctl = |a: &str| {
        let out = run.server.try_exec(&[
            env!("CARGO_BIN_EXE_dhcp6ctl"),
            "-4",
            "-k",
            &key,
            "remove",
            "lease4",
            a,
        ]);
        assert!(out.status.success(), "{out:?}");
    };
    ctl("10.10.10.250");
    run.dhcp4s.wait_log(
        "no lease on 10.10.10.250 to remove",
        Duration::from_secs(10),
    );
    ctl(&addr.to_string());
    run.dhcp4s.wait_log(
        &format!("removed the lease on {addr}"),
        Duration::from_secs(10),
    );
    assert!(!dump(&run).contains(&format!("{addr} ")), "{}", dump(&run));
    // Free again: another client hinting at it is offered exactly it.
    let mut c = Client::new(&run.client);
    c.zero_flags = true;
    let all = Client::all_servers(run.client.ifindex("c0"));
    let other = Identity::ethernet(26);
    let offer = c
        .ask(all, &other, Kind::Discover { hint: Some(addr) })
        .unwrap_or_else(|e| panic!("DISCOVER: {e}\n{}", run.logs()));
    assert_eq!(offer.yiaddr, addr);
}
