//! dhcp6relay between real clients and servers from Debian: WIDE's dhcp6c
//! and ISC's dhclient -6 get an address and a delegated prefix through our
//! relay from WIDE's dhcp6s and from Kea's kea-dhcp6; and two-relay chains
//! (ours behind ours, ours behind ISC's dhcrelay -6).

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::time::Duration;

use common::peers::{
    dhclient6, dhcrelay6, isc_client_duid_text, kea_dhcp6, wait_address, wait_dhclient_lease,
    wide_client_duid, wide_dhcp6c, wide_dhcp6s, Scratch,
};
use common::{require_root, veth, Daemon, Netns};

const LEASE_WAIT: Duration = Duration::from_secs(30);

/// client —(c0|r0)— relay —(r1|s0)— server, client's LAN on lan0.
struct Topo {
    client: Netns,
    relay: Netns,
    server: Netns,
    scratch: Scratch,
}

fn topology() -> Topo {
    require_root();
    let client = Netns::new("c");
    let relay = Netns::new("r");
    let server = Netns::new("s");
    veth(&client, "c0", &relay, "r0");
    veth(&relay, "r1", &server, "s0");
    relay.addr("r0", "2001:db8:1::1/64");
    relay.addr("r1", "2001:db8:ff::1/64");
    server.addr("s0", "2001:db8:ff::2/64");
    server.route("2001:db8:1::/64", "2001:db8:ff::1");
    client.lan();
    let scratch = Scratch::new(&format!("{}-files", client.name));
    Topo {
        client,
        relay,
        server,
        scratch,
    }
}

fn our_relay(ns: &Netns, s: &Scratch, server: &str, lower: &str, upper: &str) -> Daemon {
    our_relay_with(ns, s, server, lower, upper, &[])
}

fn our_relay_with(
    ns: &Netns,
    s: &Scratch,
    server: &str,
    lower: &str,
    upper: &str,
    extra: &[&str],
) -> Daemon {
    let pid = s.path(&format!("relay-{lower}.pid"));
    let mut args = vec!["-f", "-D", "-p", &pid, "-r", upper, "-s", server];
    args.extend_from_slice(extra);
    args.push(lower);
    let d = ns.spawn(env!("CARGO_BIN_EXE_dhcp6relay"), &args);
    d.wait_log("relaying for", Duration::from_secs(10));
    d
}

const WIDE_CLIENT_CONF: &str = "\
interface c0 {
    send ia-na 1;
    send ia-pd 1;
    request domain-name-servers;
};
id-assoc na 1 { };
id-assoc pd 1 {
    prefix-interface lan0 {
        sla-id 1;
        sla-len 8;
    };
};
";

fn wide_server_conf() -> String {
    format!(
        "option domain-name-servers 2001:db8:ffff::53;\n\
         host kame6-test {{\n\
             duid {};\n\
             address 2001:db8:1::1234 3600 7200;\n\
             prefix 2001:db8:100::/56 3600 7200;\n\
         }};\n",
        wide_client_duid()
    )
}

fn kea(t: &Topo) -> Daemon {
    kea_dhcp6(
        &t.server,
        &t.scratch,
        "s0",
        "2001:db8:ff::2",
        "2001:db8:1::/64",
        "2001:db8:1::100-2001:db8:1::1ff",
        ("2001:db8:100::", 40, 56),
    )
}

/// Checks WIDE's dhcp6c configured the address on c0 and numbered lan0
/// from the delegated prefix (sla-id 1, sla-len 8).
fn assert_wide_client_leased(t: &Topo, addr_prefix: &str, lan_prefix: &str, logs: &[&Daemon]) {
    let dump = || {
        logs.iter()
            .map(|d| d.log())
            .collect::<Vec<_>>()
            .join("\n-----\n")
    };
    let addr = wait_address(&t.client, "c0", addr_prefix, LEASE_WAIT);
    assert!(
        addr.is_some(),
        "no {addr_prefix} address on c0:\n{}",
        dump()
    );
    let lan = wait_address(&t.client, "lan0", lan_prefix, LEASE_WAIT);
    assert!(
        lan.is_some(),
        "no {lan_prefix} address on lan0:\n{}",
        dump()
    );
}

/// Also runs the relay's `-S` script and checks WIDE's environment.
#[test]
fn wide_client_through_our_relay_from_wide_server() {
    let t = topology();
    let server = wide_dhcp6s(&t.server, &t.scratch, "s0", &wide_server_conf());
    let out = t.scratch.path("script.env");
    let script = t.scratch.write(
        "relay-script",
        &format!("#!/bin/sh\nenv >> {out}\necho --- >> {out}\n"),
    );
    std::process::Command::new("chmod")
        .args(["755", &script])
        .output()
        .unwrap();
    let relay = our_relay_with(
        &t.relay,
        &t.scratch,
        "2001:db8:ff::2",
        "r0",
        "r1",
        &["-S", &script],
    );
    let client = wide_dhcp6c(&t.client, &t.scratch, "c0", WIDE_CLIENT_CONF);
    assert_wide_client_leased(
        &t,
        "2001:db8:1::1234",
        "2001:db8:100:1:",
        &[&client, &relay, &server],
    );
    let client_ll = t.client.link_local("c0");
    let ok = common::wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .contains("iapd_0=")
    });
    let env = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        ok,
        "script did not run with iapd_0:\n{env}\n{}",
        relay.log()
    );
    assert!(env.contains(&format!("client={client_ll}%r0")), "{env}");
    assert!(env.contains("iana_0=2001:db8:1::1234"), "{env}");
    assert!(env.contains("iapd_0=2001:db8:100::/56"), "{env}");
    assert!(
        !env.contains("PATH="),
        "the script's environment must be only WIDE's: {env}"
    );
}

#[test]
fn wide_client_through_our_relay_from_kea() {
    let t = topology();
    let server = kea(&t);
    let relay = our_relay(&t.relay, &t.scratch, "2001:db8:ff::2", "r0", "r1");
    let client = wide_dhcp6c(&t.client, &t.scratch, "c0", WIDE_CLIENT_CONF);
    assert_wide_client_leased(
        &t,
        "2001:db8:1::1",
        "2001:db8:100:1:",
        &[&client, &relay, &server],
    );
}

#[test]
fn isc_client_through_our_relay_from_kea() {
    let t = topology();
    let server = kea(&t);
    let relay = our_relay(&t.relay, &t.scratch, "2001:db8:ff::2", "r0", "r1");
    let (client, leases) = dhclient6(&t.client, &t.scratch, "c0");
    let lease = wait_dhclient_lease(&leases, LEASE_WAIT).unwrap_or_else(|| {
        panic!(
            "no lease:\n{}\n-----\n{}\n-----\n{}",
            client.log(),
            relay.log(),
            server.log()
        )
    });
    assert!(lease.contains("iaaddr 2001:db8:1::1"), "{lease}");
    assert!(lease.contains("iaprefix 2001:db8:100::/56"), "{lease}");
}

#[test]
fn isc_client_through_our_relay_from_wide_server() {
    let t = topology();
    // WIDE delegates prefixes only to hosts it knows by DUID.
    let conf = format!(
        "option domain-name-servers 2001:db8:ffff::53;\n\
         host isc {{ duid {}; address 2001:db8:1::2001 3600 7200; prefix 2001:db8:100::/56 3600 7200; }};\n",
        isc_client_duid_text()
    );
    let server = wide_dhcp6s(&t.server, &t.scratch, "s0", &conf);
    let relay = our_relay(&t.relay, &t.scratch, "2001:db8:ff::2", "r0", "r1");
    let (client, leases) = dhclient6(&t.client, &t.scratch, "c0");
    let lease = wait_dhclient_lease(&leases, LEASE_WAIT).unwrap_or_else(|| {
        panic!(
            "no lease:\n{}\n-----\n{}\n-----\n{}",
            client.log(),
            relay.log(),
            server.log()
        )
    });
    assert!(lease.contains("iaaddr 2001:db8:1::2001"), "{lease}");
    assert!(lease.contains("iaprefix 2001:db8:100::/56"), "{lease}");
}

/// client —(c0|a0)— relay A —(a1|r0)— relay B —(r1|s0)— server; returns
/// the topology (its `relay` is B) and A's namespace.
fn chain_topology() -> (Topo, Netns) {
    require_root();
    let client = Netns::new("c");
    let ra = Netns::new("ra");
    let rb = Netns::new("rb");
    let server = Netns::new("s");
    veth(&client, "c0", &ra, "a0");
    veth(&ra, "a1", &rb, "r0");
    veth(&rb, "r1", &server, "s0");
    ra.addr("a0", "2001:db8:1::1/64");
    ra.addr("a1", "2001:db8:2::2/64");
    rb.addr("r0", "2001:db8:2::1/64");
    rb.addr("r1", "2001:db8:ff::1/64");
    rb.route("2001:db8:1::/64", "2001:db8:2::2");
    server.addr("s0", "2001:db8:ff::2/64");
    server.route("2001:db8:1::/64", "2001:db8:ff::1");
    server.route("2001:db8:2::/64", "2001:db8:ff::1");
    client.lan();
    let scratch = Scratch::new(&format!("{}-files", client.name));
    let t = Topo {
        client,
        relay: rb,
        server,
        scratch,
    };
    (t, ra)
}

/// client —(c0|a0)— our relay A —(a1|r0)— our relay B —(r1|s0)— Kea.
#[test]
fn two_of_our_relays_in_a_chain() {
    let (t, ra) = chain_topology();
    let kea = kea(&t);
    let relay_b = our_relay(&t.relay, &t.scratch, "2001:db8:ff::2", "r0", "r1");
    let relay_a = our_relay(&ra, &t.scratch, "2001:db8:2::1", "a0", "a1");
    let client = wide_dhcp6c(&t.client, &t.scratch, "c0", WIDE_CLIENT_CONF);
    assert_wide_client_leased(
        &t,
        "2001:db8:1::1",
        "2001:db8:100:1:",
        &[&client, &relay_a, &relay_b, &kea],
    );
}

/// client —(c0|a0)— our relay —(a1|r0)— ISC dhcrelay -6 —(r1|s0)— Kea.
#[test]
fn our_relay_behind_isc_dhcrelay() {
    let (t, ra) = chain_topology();
    let kea = kea(&t);
    let isc = dhcrelay6(&t.relay, &t.scratch, "r0", "r1", "2001:db8:ff::2");
    let ours = our_relay(&ra, &t.scratch, "2001:db8:2::1", "a0", "a1");
    let client = wide_dhcp6c(&t.client, &t.scratch, "c0", WIDE_CLIENT_CONF);
    assert_wide_client_leased(
        &t,
        "2001:db8:1::1",
        "2001:db8:100:1:",
        &[&client, &ours, &isc, &kea],
    );
}
