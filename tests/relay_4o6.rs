//! dhcp6relay's `-4`: DHCPV4-QUERY to its own server set (RFC 7341 §10),
//! every other message to `-s` (C-098 with a separate destination list).
//!
//! ```text
//! client —(c0|r0)— relay —(r1|s0)— 4o6 server: our dhcp6s + Kea's kea-dhcp4
//!                        —(r2|t0)— DHCPv6 server: our dhcp6s, option 88
//! ```
//!
//! The relay runs with `-s` naming the DHCPv6 server and `-4` naming the
//! 4o6 server. The scripted 4o6 client of tests/common/dhcp4o6.rs learns
//! option 88 from the DHCPv6 server (its Information-request goes there),
//! then runs the shared DHCPv4 scenarios, whose multicast queries reach the
//! 4o6 server through the relay and whose answers come back in
//! Relay-replies the relay accepts; a Solicit and Request lease an address
//! from the DHCPv6 server. The two servers' counters show who saw what: no
//! DHCPV4-QUERY at the DHCPv6 server, no Solicit or Information-request at
//! the 4o6 server.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::time::Duration;

use common::dhcp4o6::{kea_dhcp4_4o6, kea_setup, relayed_net, scenarios, SERVER6};
use common::peers::{counters, our_dhcp6s, received, Scratch};
use common::{lease_one, veth, Netns};
use libdhcp6::Duid;

/// IPC port pair of the 4o6 server: dhcp6s [::1]:6767, kea-dhcp4 [::1]:6768.
const IPC_PORT: u16 = 6767;

/// The ordinary DHCPv6 server's address, on its own link to the relay.
const SERVER_V6: &str = "2001:db8:fe::2";

/// The ordinary DHCPv6 server: addresses for the relayed client link, and
/// option 88 naming the 4o6 server, as an operator would split the two.
fn dhcp6_conf() -> String {
    format!(
        "option dhcp4o6-server-address {SERVER6};
pool p1 {{ range 2001:db8:1::100 to 2001:db8:1::1ff; }};
interface t0 {{ }};
link relayed {{ link-address 2001:db8:1::/64; address-pool p1 600 1200; }};
"
    )
}

#[test]
fn relay_sends_dhcpv4_query_to_its_own_servers() {
    let t = relayed_net();
    // The ordinary DHCPv6 server on a second upstream link of the relay.
    let other = Netns::new("t");
    veth(&t.relay, "r2", &other, "t0");
    t.relay.addr("r2", "2001:db8:fe::1/64");
    other.addr("t0", &format!("{SERVER_V6}/64"));
    other.route("2001:db8:1::/64", "2001:db8:fe::1");

    // The 4o6 server: kea-dhcp4 needs an IPv4 address on the interface
    // dhcp6s names (see tests/dhcp4o6_kea.rs).
    t.server
        .exec(["ip", "addr", "add", "192.0.2.2/24", "dev", "s0"]);
    let s4 = Scratch::new(&format!("{}-files", t.server.name));
    let kea4 = kea_dhcp4_4o6(&t.server, &s4, "s0", IPC_PORT);
    let conf4 = format!("dhcp4o6-port {IPC_PORT};\noption dhcp4o6-server-address {SERVER6};\n");
    let v4side = our_dhcp6s(&t.server, &s4, &conf4, &["s0"]);
    let s6 = Scratch::new(&format!("{}-files", other.name));
    let v6side = our_dhcp6s(&other, &s6, &dhcp6_conf(), &["t0"]);

    let sr = Scratch::new(&format!("{}-files", t.relay.name));
    let pid = sr.path("relay.pid");
    let relay = t.relay.spawn(
        env!("CARGO_BIN_EXE_dhcp6relay"),
        &["-f", "-D", "-p", &pid, "-s", SERVER_V6, "-4", SERVER6, "r0"],
    );
    relay.wait_log(
        &format!("relaying for r0 to {SERVER_V6}, DHCPv4-query to {SERVER6}"),
        Duration::from_secs(10),
    );
    let logs = || {
        format!(
            "--- relay:\n{}\n--- 4o6 dhcp6s:\n{}\n--- kea-dhcp4:\n{}\n--- DHCPv6 dhcp6s:\n{}",
            relay.log(),
            v4side.log(),
            kea4.log(),
            v6side.log()
        )
    };

    // Option 88 from the DHCPv6 server, then DORA, RENEWING, REBINDING,
    // NAK, INFORM, RELEASE and DECLINE with the 4o6 server.
    scenarios(&kea_setup(&t.client, SERVER6.parse().unwrap(), true, &logs));
    // An ordinary client: its Solicit and Request reach the DHCPv6 server.
    let duid = Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0x4f, 6]).unwrap();
    let addr = lease_one(&t.client, "c0", duid, 0x4f06);
    assert!(
        addr.is_some_and(|a| a.to_string().starts_with("2001:db8:1::1")),
        "no lease from the DHCPv6 server: {addr:?}\n{}",
        logs()
    );

    let v6 = counters(&v6side, "bindings:");
    let v4 = counters(&v4side, "DHCPv4-over-DHCPv6: forwarded");
    let all = || format!("--- DHCPv6 server:\n{v6}\n--- 4o6 server:\n{v4}");
    // The full label: "request" alone would also match "information request".
    let got = |log: &str, t: &str| received(log, &format!("server6_mainloop: {t}"));
    assert_eq!(got(&v6, "DHCPv4-query"), 0, "{}", all());
    for t in ["solicit", "request", "information request"] {
        assert!(got(&v6, t) >= 1, "{t}\n{}", all());
    }
    // Twelve queries in the scenarios; the unicast ones (RENEWING,
    // RELEASE) go straight to the 4o6 server, the rest through the relay.
    assert!(got(&v4, "DHCPv4-query") >= 10, "{}", all());
    for t in ["solicit", "request", "information request"] {
        assert_eq!(got(&v4, t), 0, "{t}\n{}", all());
    }
    // The relay's Relay-replies from both servers were accepted.
    let r = counters(&relay, "relay-reply relayed");
    assert!(
        r.contains("dropped (relay-reply from unknown server): 0"),
        "{r}"
    );
}
