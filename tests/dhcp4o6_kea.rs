//! The scripted DHCPv4-over-DHCPv6 client (tests/common/dhcp4o6.rs) against
//! Kea's pair, kea-dhcp6 and kea-dhcp4 joined by their 4o6 IPC on the
//! server namespace's loopback: option 88 from kea-dhcp6, then DISCOVER →
//! OFFER → REQUEST → ACK, RENEWING by unicast with U=1, REBINDING with U=0,
//! a NAK for an INIT-REBOOT of a wrong address, INFORM, RELEASE (the address
//! is free again) and DECLINE (the address is not offered again); directly
//! on one link, through our dhcp6relay and through ISC's dhcrelay -6;
//! malformed queries followed by one that is answered; and the decoy check
//! for forged IPC metadata. The scenarios live in the harness; running them
//! here proves it against a real peer before they judge our own pair.
//!
//! Kea 2.2 behaviour seen here (logs of these runs):
//! - kea-dhcp6 forwards a DHCPV4-QUERY whatever its flags: the U flag is
//!   not looked at (Dhcpv6Srv::processDhcp4Query), and a RENEWING REQUEST
//!   with U=1 and a REBINDING one with U=0 get the same DHCPACK.
//! - The DHCPV4-RESPONSE carries the DHCPV4-QUERY's flags back (U=1 is
//!   echoed) instead of all zero (C-165, RFC 7341 §6.2): kea-dhcp4 builds
//!   the response with the query's flags and kea-dhcp6 passes it on as it
//!   is, so the client here does not insist on zero. Paired with
//!   kea-dhcp4, our dhcp6s must clear them itself.
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

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use common::dhcp4o6::{
    direct_net, forged_metadata, garbage_then_answered, kea_dhcp4_4o6, kea_dhcp6_4o6, kea_setup,
    relayed_net, scenarios, start_relay, Relay, Setup, SERVER6,
};
use common::peers::Scratch;
use common::{Daemon, Netns};

/// IPC port pair: kea-dhcp6 binds [::1]:6767, kea-dhcp4 [::1]:6768.
const IPC_PORT: u16 = 6767;
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
fn start(client: Netns, server: Netns, relay: Option<(Relay, Netns)>) -> Run {
    // See the module comment: kea-dhcp4 needs an IPv4 socket on s0.
    server.exec(["ip", "addr", "add", "192.0.2.2/24", "dev", "s0"]);
    let scratch = Scratch::new(&format!("{}-files", server.name));
    let kea4 = kea_dhcp4_4o6(&server, &scratch, "s0", IPC_PORT);
    let kea6 = kea_dhcp6_4o6(&server, &scratch, "s0", SERVER6, IPC_PORT);
    let relay = relay.map(|(which, ns)| (start_relay(which, &ns, &scratch), ns));
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
    let (client, server) = direct_net();
    start(client, server, None)
}

/// Kea's pair behind `which` on [`relayed_net`].
fn relayed(which: Relay) -> Run {
    let t = relayed_net();
    start(t.client, t.server, Some((which, t.relay)))
}

/// Runs `f` with the [`Setup`] of `run`: Kea's pair as configured by the
/// harness.
fn with_setup(run: &Run, f: impl FnOnce(&Setup<'_>)) {
    let logs = || run.logs();
    // kea-dhcp4 builds the DHCPV4-RESPONSE with the query's flags
    // (Dhcpv4Exchange::initResponse4o6 copies the "transaction id"), so U=1
    // comes back set, where C-165 wants them all zero.
    let zero_flags = false;
    f(&kea_setup(
        &run.client,
        SERVER6.parse().unwrap(),
        zero_flags,
        &logs,
    ));
}

/// The DHCPV4-QUERYs reached kea-dhcp6 inside Relay-forwards (its debug
/// log prints the relay levels of each query).
fn assert_relayed(run: &Run) {
    let log = run.kea6.log();
    assert!(
        log.contains("DHCPV4_QUERY (type 20) received from 2001:db8:ff::1")
            && log.contains("msg-type=12(RELAY_FORWARD)"),
        "no relayed DHCPV4-QUERY\n{log}"
    );
}

#[test]
fn kea_pair_direct() {
    let run = direct();
    with_setup(&run, scenarios);
}

#[test]
fn kea_pair_through_our_relay() {
    let run = relayed(Relay::Ours);
    with_setup(&run, scenarios);
    assert_relayed(&run);
}

#[test]
fn kea_pair_through_isc_dhcrelay() {
    let run = relayed(Relay::Isc);
    with_setup(&run, scenarios);
    assert_relayed(&run);
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
    with_setup(&run, |s| {
        garbage_then_answered(s, &["BOOTREPLY", "hlen 17"])
    });
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
    with_setup(&run, |s| {
        let f = forged_metadata(s, "s0", "2001:db8:ff::20".parse().unwrap());
        assert!(
            f.decoy_heard && f.real.is_err(),
            "real sender answered ({:?}) or decoy unanswered ({})\n{}",
            f.real,
            f.decoy_heard,
            run.logs()
        );
    });
}
