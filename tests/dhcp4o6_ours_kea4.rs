//! Our dhcp6s as the DHCPv6 side of DHCPv4-over-DHCPv6 with Kea's
//! kea-dhcp4 as the DHCPv4 side, joined by Kea's 4o6 IPC on the server
//! namespace's loopback (dhcp6s on [::1]:6767, kea-dhcp4 on [::1]:6768).
//! The scripted client of tests/common/dhcp4o6.rs runs the shared
//! scenarios: option 88 from dhcp6s, then DORA, RENEWING by unicast with
//! U=1, REBINDING, a NAK, INFORM, RELEASE and DECLINE; directly on one
//! link, through our dhcp6relay and through ISC's dhcrelay -6. Checklist:
//! C-164 (a query without exactly one DHCPv4-msg is dropped, counted, and
//! the next one answered), C-165
//! (every DHCPV4-RESPONSE has flags zero and one DHCPv4-msg: the client
//! insists, although kea-dhcp4 echoes the query's flags), C-166 (relayed
//! queries answered in Relay-replies along the same relays), C-167 (kea-dhcp4
//! selects its subnet from the interface name dhcp6s passes, for direct and
//! relayed queries) and C-168 (RENEWING with U=1, REBINDING with U=0, each
//! acknowledged).
//!
//! Unlike Kea's own pair (tests/dhcp4o6_kea.rs), a query forging Kea's
//! IPC metadata (ISC sub-options 60000-60002) is answered to its real
//! sender only: dhcp6s removes the client's sub-options before adding its
//! own. And the DHCPv4 garbage Kea's pair answers (a BOOTREPLY, hlen 17)
//! never reaches kea-dhcp4.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use common::dhcp4o6::{
    direct_net, forged_metadata, garbage_then_answered, kea_dhcp4_4o6, kea_setup,
    last_counter as counter, relayed_net, scenarios, start_relay, Relay, SERVER6,
};
use common::peers::{counters, our_dhcp6s, Scratch};
use common::{Daemon, Netns};

/// IPC port pair: dhcp6s binds [::1]:6767, kea-dhcp4 [::1]:6768.
const IPC_PORT: u16 = 6767;

/// The pieces of one run, torn down when it is dropped.
struct Run {
    dhcp6s: Daemon,
    kea4: Daemon,
    _relay: Option<(Daemon, Netns)>,
    client: Netns,
    _server: Netns,
    _scratch: Scratch,
}

impl Run {
    fn logs(&self) -> String {
        format!(
            "--- dhcp6s:\n{}\n--- kea-dhcp4:\n{}",
            self.dhcp6s.log(),
            self.kea4.log()
        )
    }

    /// dhcp6s's counters (SIGUSR1) in its log.
    fn counters(&self) -> String {
        counters(&self.dhcp6s, "DHCPv4-over-DHCPv6: forwarded")
    }
}

/// Our dhcp6s on s0 with 4o6 on, option 88 pointing at [`SERVER6`].
fn dhcp6s_conf() -> String {
    format!("dhcp4o6-port {IPC_PORT};\noption dhcp4o6-server-address {SERVER6};\n")
}

/// dhcp6s and kea-dhcp4 in `server`, answering the 4o6 queries received on s0.
fn start(client: Netns, server: Netns, relay: Option<(Relay, Netns)>) -> Run {
    // kea-dhcp4 needs an IPv4 socket on the interface the DHCPv6 side
    // names (see tests/dhcp4o6_kea.rs).
    server.exec(["ip", "addr", "add", "192.0.2.2/24", "dev", "s0"]);
    let scratch = Scratch::new(&format!("{}-files", server.name));
    let kea4 = kea_dhcp4_4o6(&server, &scratch, "s0", IPC_PORT);
    let dhcp6s = our_dhcp6s(&server, &scratch, &dhcp6s_conf(), &["s0"]);
    let relay = relay.map(|(which, ns)| (start_relay(which, &ns, &scratch), ns));
    Run {
        dhcp6s,
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

/// client —(c0|r0)— relay —(r1|s0)— server, the client routed through the
/// relay so that it can reach the server by unicast.
fn relayed(which: Relay) -> Run {
    let t = relayed_net();
    start(t.client, t.server, Some((which, t.relay)))
}

/// C-164 … C-168 directly on the link; every query was forwarded and
/// every answer sent on.
#[test]
fn ours_with_kea4_direct() {
    let run = direct();
    let logs = || run.logs();
    // zero_flags: dhcp6s clears what kea-dhcp4 echoes (C-165).
    scenarios(&kea_setup(
        &run.client,
        SERVER6.parse().unwrap(),
        true,
        &logs,
    ));
    let log = run.counters();
    // Twelve queries, of which RELEASE and DECLINE get no answer (more
    // when a retransmission was needed).
    let forwarded = counter(&log, "DHCPv4-over-DHCPv6: forwarded ");
    let answered = counter(&log, ", answered ");
    assert!(
        forwarded >= 12 && answered >= 10,
        "forwarded {forwarded}, answered {answered}\n{log}"
    );
}

/// C-166: the scenarios through `which` relay; the queries reached
/// dhcp6s in Relay-forwards and the answers left in Relay-replies to the
/// relay.
fn through(which: Relay) {
    let run = relayed(which);
    let logs = || run.logs();
    scenarios(&kea_setup(
        &run.client,
        SERVER6.parse().unwrap(),
        true,
        &logs,
    ));
    let log = run.dhcp6s.log();
    assert!(
        log.contains("DHCPv4-response to [2001:db8:ff::1]:547 (relay-reply)"),
        "no Relay-reply to the relay\n{}",
        run.logs()
    );
}

/// C-166 through our dhcp6relay.
#[test]
fn ours_with_kea4_through_our_relay() {
    through(Relay::Ours);
}

/// C-166 through ISC's dhcrelay -6.
#[test]
fn ours_with_kea4_through_isc_dhcrelay() {
    through(Relay::Isc);
}

/// C-164: malformed queries are dropped by dhcp6s itself (none is
/// answered, not even the BOOTREPLY and hlen-17 ones kea-dhcp4 would
/// answer) and counted; the next query is answered.
#[test]
fn ours_with_kea4_survives_garbage() {
    let run = direct();
    let logs = || run.logs();
    let s = kea_setup(&run.client, SERVER6.parse().unwrap(), true, &logs);
    garbage_then_answered(&s, &[]);
    let log = run.counters();
    let dropped = |why: &str| counter(&log, &format!("DHCPv4-over-DHCPv6 dropped ({why}): "));
    assert_eq!(dropped("query without DHCPv4-msg"), 1, "{log}");
    assert_eq!(dropped("more than one DHCPv4-msg"), 1, "{log}");
    assert_eq!(dropped("DHCPv4-msg not a DHCPv4 request"), 3, "{log}");
    assert!(
        !run.kea4
            .log()
            .contains("more than one DHCPv4 message option"),
        "a query with two DHCPv4-msg reached kea-dhcp4"
    );
}

/// Forged ISC sub-options 60000-60002 in a query do not redirect the
/// answer: it reaches the real sender, and the decoy address hears
/// nothing (with Kea's pair it is the other way round, see
/// tests/dhcp4o6_kea.rs `kea_follows_forged_metadata`).
#[test]
fn ours_with_kea4_ignores_forged_metadata() {
    let run = direct();
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
