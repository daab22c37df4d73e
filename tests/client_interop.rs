//! kame6's dhcp6c against real servers in network namespaces: it gets an
//! address and a delegated prefix from our dhcp6s, Kea's kea-dhcp6, WIDE's
//! dhcp6s and ISC's dhcpd -6 (directly, through our dhcp6relay and through
//! ISC's dhcrelay -6); the address is on the interface with the server's
//! lifetimes, the LAN carries the sub-prefix address from sla-id/sla-len,
//! an unreachable route covers the prefix, it renews at T1 and the kernel
//! lifetimes are refreshed, the script runs with WIDE's variables, and
//! SIGTERM releases (the server's binding is gone) and removes the
//! addresses. Also: Debian's `-P profile` for an interface without a block.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::time::Duration;

use common::peers::{
    addr_lifetimes, bindings, counters, dhcrelay6, isc_dhcpd6, kea_dhcp6_timed, our_dhcp6c,
    our_dhcp6relay, our_dhcp6s, received, wait_address, wide_dhcp6s, KeaTimers, Scratch,
};
use common::{require_root, veth, wait_until, Daemon, Netns};

const WAIT: Duration = Duration::from_secs(30);

/// Short lifetimes so renewal happens within the test: T1 = 10 s.
const OUR_SERVER_CONF: &str = "\
option domain-name-servers 2001:db8:ffff::53;
option domain-name \"example.net\";
pool p1 { range 2001:db8:1::100 to 2001:db8:1::1ff; };
prefix-pool pd1 { prefix 2001:db8:100::/40 delegate 56; };
interface s0 { address-pool p1 20 40; prefix-pool pd1 20 40; };
link relayed { link-address 2001:db8:1::/64; address-pool p1 20 40; prefix-pool pd1 20 40; };
";

/// The relay agent between client and server, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Direct,
    /// kame6's dhcp6relay.
    Ours,
    /// ISC's dhcrelay -6 (Debian's isc-dhcp-relay).
    Isc,
}

struct Topo {
    client: Netns,
    server: Netns,
    relay: Option<Netns>,
    via: Via,
    scratch: Scratch,
}

/// The client's LAN: a veth pair inside the client namespace.
fn lan(client: &Netns) {
    client.exec([
        "ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan0p",
    ]);
    client.exec(["sysctl", "-qw", "net.ipv6.conf.lan0.accept_dad=0"]);
    client.exec(["ip", "link", "set", "lan0", "up"]);
    client.exec(["ip", "link", "set", "lan0p", "up"]);
}

/// client —(c0|s0)— server, the server on 2001:db8:1::1/64.
fn direct() -> Topo {
    require_root();
    let client = Netns::new("c");
    let server = Netns::new("s");
    veth(&client, "c0", &server, "s0");
    server.addr("s0", "2001:db8:1::1/64");
    lan(&client);
    let scratch = Scratch::new(&format!("{}-files", server.name));
    Topo {
        client,
        server,
        relay: None,
        via: Via::Direct,
        scratch,
    }
}

/// client —(c0|r0)— relay `via` —(r1|s0)— server.
fn relayed(via: Via) -> Topo {
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
    lan(&client);
    let scratch = Scratch::new(&format!("{}-files", server.name));
    Topo {
        client,
        server,
        relay: Some(relay),
        via,
        scratch,
    }
}

/// Starts the topology's relay, if it has one: r0 toward the client, r1
/// toward the server at 2001:db8:ff::2; PID files in the scratch directory.
fn start_relay(t: &Topo) -> Option<Daemon> {
    let r = t.relay.as_ref()?;
    match t.via {
        Via::Direct => None,
        Via::Isc => Some(dhcrelay6(r, &t.scratch, "r0", "r1", "2001:db8:ff::2")),
        Via::Ours => Some(our_dhcp6relay(r, &t.scratch, "r0", "r1", "2001:db8:ff::2")),
    }
}

fn dump(ds: &[&Daemon]) -> String {
    ds.iter()
        .map(|d| d.log())
        .collect::<Vec<_>>()
        .join("\n-----\n")
}

/// The client's configuration with a script writing its environment to `out`.
fn client_conf(t: &Topo) -> (String, String) {
    let out = t.scratch.path("script.out");
    let script = t.scratch.write(
        "script.sh",
        &format!("#!/bin/sh\n/usr/bin/env >> {out}\necho ---- >> {out}\n"),
    );
    std::process::Command::new("chmod")
        .args(["755", &script])
        .output()
        .unwrap();
    let conf = format!(
        "interface c0 {{ send ia-na 1; send ia-pd 1; request domain-name-servers; request domain-name; script \"{script}\"; }};
id-assoc na 1 {{ }};
id-assoc pd 1 {{ prefix-interface lan0 {{ sla-id 1; sla-len 8; ifid 1; }}; }};
"
    );
    (conf, out)
}

/// The global address on `ifname` starting with `prefix`, waiting for it.
fn leased(t: &Topo, ifname: &str, prefix: &str, ds: &[&Daemon]) -> String {
    wait_address(&t.client, ifname, prefix, WAIT)
        .unwrap_or_else(|| panic!("no {prefix}* address on {ifname}:\n{}", dump(ds)))
}

fn unreachable_routes(t: &Topo) -> String {
    String::from_utf8_lossy(
        &t.client
            .try_exec(&["ip", "-6", "route", "show", "type", "unreachable"])
            .stdout,
    )
    .into_owned()
}

/// Checks the address, LAN address and unreachable route; returns the
/// address on c0 and the LAN address.
fn check_configured(
    t: &Topo,
    addr_prefix: &str,
    lan_prefix: &str,
    ds: &[&Daemon],
) -> (String, String) {
    let addr = leased(t, "c0", addr_prefix, ds);
    let lan_addr = leased(t, "lan0", lan_prefix, ds);
    // sla-id 1 and ifid 1: the LAN address ends in ...:1::1 of a /64
    // carved right above bit 64.
    assert!(
        lan_addr.ends_with("01::1") || lan_addr.ends_with(":1::1"),
        "{lan_addr}"
    );
    let shown = String::from_utf8_lossy(
        &t.client
            .try_exec(&["ip", "-6", "-o", "addr", "show", "dev", "lan0"])
            .stdout,
    )
    .into_owned();
    assert!(shown.contains(&format!("{lan_addr}/64")), "{shown}");
    let routes = unreachable_routes(t);
    assert!(
        routes.contains(lan_prefix),
        "no unreachable route: {routes}\n{}",
        dump(ds)
    );
    (addr, lan_addr)
}

/// The kernel lifetimes of a lease of preferred 20 s, valid 40 s follow it
/// (WIDE's show "forever"); the LAN address does not outlive the prefix.
fn check_lifetimes(t: &Topo, addr: &str, lan_addr: &str) {
    let (valid, preferred) = addr_lifetimes(&t.client, "c0", addr).unwrap();
    assert!((30..=40).contains(&valid), "valid {valid}");
    assert!((10..=20).contains(&preferred), "preferred {preferred}");
    let (lvalid, _) = addr_lifetimes(&t.client, "lan0", lan_addr).unwrap();
    assert!(lvalid <= 40, "LAN address outlives the prefix: {lvalid}");
}

/// The script ran for a Renew (T1 10 s) and the kernel's valid lifetime
/// of `addr` on c0 was refreshed to about 40 s again.
fn check_renewed(t: &Topo, script_out: &str, addr: &str, ds: &[&Daemon]) {
    assert!(
        wait_until(WAIT, || std::fs::read_to_string(script_out)
            .is_ok_and(|s| s.contains("REASON=RENEW"))),
        "{}",
        dump(ds)
    );
    std::thread::sleep(Duration::from_millis(300));
    let (valid, _) = addr_lifetimes(&t.client, "c0", addr).unwrap();
    assert!(
        valid >= 35,
        "lifetime not refreshed by Renew: {valid}\n{}",
        dump(ds)
    );
}

/// Lease from our dhcp6s (directly or through a relay), check lifetimes,
/// the script, renewal with refreshed lifetimes, and release on SIGTERM.
fn our_server_full(t: Topo) {
    let server = our_dhcp6s(&t.server, &t.scratch, OUR_SERVER_CONF, &["s0"]);
    let relay = start_relay(&t);
    let (conf, script_out) = client_conf(&t);
    let mut client = our_dhcp6c(&t.client, &t.scratch, &conf, &["c0"]);
    let mut all: Vec<&Daemon> = vec![&server, &client];
    if let Some(r) = &relay {
        all.push(r);
    }
    let (addr, lan_addr) = check_configured(&t, "2001:db8:1::1", "2001:db8:1", &all);
    check_lifetimes(&t, &addr, &lan_addr);
    // The script ran with WIDE's variables, after the Reply to Request.
    assert!(wait_until(WAIT, || std::fs::read_to_string(&script_out)
        .is_ok_and(|s| s.contains("REASON=REQUEST"))));
    let env = std::fs::read_to_string(&script_out).unwrap();
    assert!(
        env.contains("new_domain_name_servers=2001:db8:ffff::53 \n"),
        "{env}"
    );
    assert!(env.contains("new_domain_name=example.net. \n"), "{env}");
    assert!(
        !env.contains("PATH="),
        "the environment must be complete, not inherited: {env}"
    );
    // Renewal at T1 (10 s), lifetimes refreshed in the kernel.
    let ok = wait_until(WAIT, || {
        received(&counters(&server, "bindings:"), "renew") >= 1
    });
    assert!(ok, "no Renew:\n{}", dump(&all));
    check_renewed(&t, &script_out, &addr, &all);
    assert_eq!(bindings(&counters(&server, "bindings:")), Some(2));
    // SIGTERM: Release, addresses gone, binding gone at the server.
    client.signal("TERM");
    let exited = client.wait_exit(Duration::from_secs(20));
    assert!(exited.is_some(), "dhcp6c did not exit:\n{}", client.log());
    let all: Vec<&Daemon> = vec![&server, &client];
    let ok = wait_until(Duration::from_secs(10), || {
        bindings(&counters(&server, "bindings:")) == Some(0)
    });
    assert!(ok, "bindings left after Release:\n{}", dump(&all));
    assert!(wait_address(&t.client, "c0", &addr, Duration::from_millis(200)).is_none());
    assert!(wait_address(&t.client, "lan0", &lan_addr, Duration::from_millis(200)).is_none());
    assert!(!unreachable_routes(&t).contains("2001:db8:1"));
    let env = std::fs::read_to_string(&script_out).unwrap();
    assert!(env.contains("REASON=RELEASE"), "{env}");
    assert!(env.contains("REASON=EXIT"), "{env}");
}

#[test]
fn our_dhcp6s_lease_renew_release() {
    our_server_full(direct());
}

#[test]
fn our_dhcp6s_through_our_relay() {
    our_server_full(relayed(Via::Ours));
}

#[test]
fn our_dhcp6s_through_isc_dhcrelay() {
    our_server_full(relayed(Via::Isc));
}

/// SIGUSR1: exits without Release; addresses removed, the binding stays.
#[test]
fn sigusr1_exits_without_release() {
    let t = direct();
    let server = our_dhcp6s(&t.server, &t.scratch, OUR_SERVER_CONF, &["s0"]);
    let (conf, _) = client_conf(&t);
    let mut client = our_dhcp6c(&t.client, &t.scratch, &conf, &["c0"]);
    let all = [&server, &client];
    let (addr, _) = check_configured(&t, "2001:db8:1::1", "2001:db8:1", &all);
    client.signal("USR1");
    assert!(client.wait_exit(Duration::from_secs(10)).is_some());
    assert!(wait_address(&t.client, "c0", &addr, Duration::from_millis(200)).is_none());
    assert_eq!(received(&counters(&server, "bindings:"), "release"), 0);
    assert_eq!(bindings(&counters(&server, "bindings:")), Some(2));
}

/// Kea's kea-dhcp6 behind relay `via` (Kea picks the subnet of a relayed
/// client by link-address), T1 = 10 s: the lease with Kea's lifetimes, the
/// LAN address from the delegated prefix, renewal at T1 with the kernel
/// lifetimes refreshed, and on SIGTERM a Release after which Kea's lease
/// file holds neither lease.
fn kea_full(via: Via) {
    let t = relayed(via);
    let server = kea_dhcp6_timed(
        &t.server,
        &t.scratch,
        "s0",
        "2001:db8:ff::2",
        ("2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::1ff"),
        ("2001:db8:200::", 40, 56),
        KeaTimers {
            renew: 10,
            rebind: 16,
            preferred: 20,
            valid: 40,
        },
    );
    let relay = start_relay(&t).unwrap();
    let (conf, script_out) = client_conf(&t);
    let mut client = our_dhcp6c(&t.client, &t.scratch, &conf, &["c0"]);
    let all = [&server, &client, &relay];
    let (addr, lan_addr) = check_configured(&t, "2001:db8:1::1", "2001:db8:2", &all);
    check_lifetimes(&t, &addr, &lan_addr);
    assert!(wait_until(WAIT, || std::fs::read_to_string(&script_out)
        .is_ok_and(
            |s| s.contains("new_domain_name_servers=2001:db8:ffff::53 ")
        )));
    // Renewal at T1, lifetimes refreshed in the kernel.
    check_renewed(&t, &script_out, &addr, &all);
    client.signal("TERM");
    assert!(client.wait_exit(Duration::from_secs(20)).is_some());
    // Kea's memfile appends a record per change; a released lease's last
    // record has valid lifetime 0. Renewal showed as a later expiry.
    let leases = t.scratch.path("kea-leases6.csv");
    let gone = wait_until(Duration::from_secs(10), || {
        let l = kea_leases(&leases);
        l.len() == 2 && l.iter().all(|(_, valid, _)| *valid == 0)
    });
    assert!(
        gone,
        "leases left after Release: {:?}\n{}",
        std::fs::read_to_string(&leases),
        dump(&[&server, &client, &relay])
    );
    let renewed = kea_leases(&leases)
        .iter()
        .all(|(_, _, expiries)| expiries.windows(2).any(|w| w[1] > w[0]));
    assert!(renewed, "{:?}", std::fs::read_to_string(&leases));
    assert!(wait_address(&t.client, "c0", &addr, Duration::from_millis(200)).is_none());
    assert!(wait_address(&t.client, "lan0", &lan_addr, Duration::from_millis(200)).is_none());
}

/// Kea's memfile lease file: per leased address or prefix, the valid
/// lifetime of its last record and the expiry times of its granting
/// records (valid lifetime > 0), in file order.
fn kea_leases(path: &str) -> Vec<(String, u64, Vec<u64>)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out: Vec<(String, u64, Vec<u64>)> = Vec::new();
    // address,duid,valid_lifetime,expire,...
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(addr), Some(valid), Some(expire)) = (
            f.first(),
            f.get(2).and_then(|v| v.parse::<u64>().ok()),
            f.get(3).and_then(|v| v.parse::<u64>().ok()),
        ) else {
            continue;
        };
        let i = match out.iter().position(|(a, _, _)| a == addr) {
            Some(i) => i,
            None => {
                out.push((addr.to_string(), 0, Vec::new()));
                out.len() - 1
            }
        };
        out[i].1 = valid;
        if valid > 0 {
            out[i].2.push(expire);
        }
    }
    out
}

#[test]
fn kea_dhcp6_through_our_relay() {
    kea_full(Via::Ours);
}

#[test]
fn kea_dhcp6_through_isc_dhcrelay() {
    kea_full(Via::Isc);
}

/// WIDE's dhcp6s: one exchange with IA_NA and IA_PD, renew, release.
#[test]
fn wide_dhcp6s_lease_renew_release() {
    let t = direct();
    let server = wide_dhcp6s(
        &t.server,
        &t.scratch,
        "s0",
        "option domain-name-servers 2001:db8:ffff::53;
interface s0 { address-pool pool1 20 40; };
pool pool1 { range 2001:db8:1::100 to 2001:db8:1::1ff; };
host any { duid 00:01:00:01:00:00:00:01:00:00:00:00:00:01; address 2001:db8:1::150 20 40; prefix 2001:db8:300::/56 20 40; };
",
    );
    let _ = server;
    // WIDE gives prefixes only to hosts listed by DUID: give the client that DUID.
    let duid = t.scratch.path("kame6-dhcp6c.duid");
    let d = libdhcp6::Duid::from_text("00:01:00:01:00:00:00:01:00:00:00:00:00:01").unwrap();
    std::fs::write(&duid, d.to_file_bytes()).unwrap();
    let (conf, script_out) = client_conf(&t);
    let mut client = our_dhcp6c(&t.client, &t.scratch, &conf, &["c0"]);
    let all = [&server, &client];
    let (addr, _) = check_configured(&t, "2001:db8:1::1", "2001:db8:300", &all);
    let (valid, _) = addr_lifetimes(&t.client, "c0", &addr).unwrap();
    assert!(valid <= 40, "valid {valid}");
    assert!(
        wait_until(WAIT, || std::fs::read_to_string(&script_out)
            .is_ok_and(|s| s.contains("REASON=RENEW"))),
        "{}",
        dump(&all)
    );
    client.signal("TERM");
    assert!(client.wait_exit(Duration::from_secs(20)).is_some());
    server.wait_log("release", Duration::from_secs(10));
}

/// ISC's dhcpd -6.
#[test]
fn isc_dhcpd6_lease_and_release() {
    let t = direct();
    let server = isc_dhcpd6(
        &t.server,
        &t.scratch,
        "s0",
        "default-lease-time 40; preferred-lifetime 20;
option dhcp6.name-servers 2001:db8:ffff::53;
subnet6 2001:db8:1::/64 {
  range6 2001:db8:1::100 2001:db8:1::1ff;
  prefix6 2001:db8:400:: 2001:db8:4ff:: /56;
}
",
    );
    let (conf, script_out) = client_conf(&t);
    let mut client = our_dhcp6c(&t.client, &t.scratch, &conf, &["c0"]);
    let all = [&server, &client];
    let (addr, _) = check_configured(&t, "2001:db8:1::1", "2001:db8:4", &all);
    let (valid, _) = addr_lifetimes(&t.client, "c0", &addr).unwrap();
    assert!(valid <= 40, "valid {valid}");
    assert!(wait_until(WAIT, || std::fs::read_to_string(&script_out)
        .is_ok_and(|s| s.contains("REASON=REQUEST"))));
    client.signal("TERM");
    assert!(client.wait_exit(Duration::from_secs(20)).is_some());
    server.wait_log("Release", Duration::from_secs(10));
}

/// `dhcp6c -i`: one Information-request, the answer printed as WIDE
/// prints it, exit 0; no configuration file is read.
#[test]
fn inforeq_mode_prints_and_exits() {
    let t = direct();
    let server = our_dhcp6s(&t.server, &t.scratch, OUR_SERVER_CONF, &["s0"]);
    t.client.link_local("c0");
    let duid = t.scratch.path("i.duid");
    let out = t.client.try_exec(&[
        "timeout",
        "20",
        env!("CARGO_BIN_EXE_dhcp6c"),
        "-i",
        "-c",
        "/nonexistent",
        "--duid-file",
        &duid,
        "c0",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    assert_eq!(
        stdout,
        "nameserver[0] 2001:db8:ffff::53\nDomain search list[0] example.net.\n"
    );
}

/// information-only: the script runs with REASON=INFOREQ and the options.
#[test]
fn information_only_runs_script() {
    let t = direct();
    let server = our_dhcp6s(&t.server, &t.scratch, OUR_SERVER_CONF, &["s0"]);
    let out = t.scratch.path("script.out");
    let script = t.scratch.write(
        "script.sh",
        &format!("#!/bin/sh\n/usr/bin/env >> {out}\necho ---- >> {out}\n"),
    );
    std::process::Command::new("chmod")
        .args(["755", &script])
        .output()
        .unwrap();
    let conf = format!(
        "interface c0 {{ information-only; request domain-name-servers; script \"{script}\"; }};\n"
    );
    let client = our_dhcp6c(&t.client, &t.scratch, &conf, &["c0"]);
    let ok = wait_until(WAIT, || {
        std::fs::read_to_string(&out).is_ok_and(|s| s.contains("REASON=INFOREQ"))
    });
    assert!(ok, "{}", dump(&[&server, &client]));
    let env = std::fs::read_to_string(&out).unwrap();
    assert!(
        env.contains("new_domain_name_servers=2001:db8:ffff::53 \n"),
        "{env}"
    );
}

/// SIGHUP releases, re-reads the configuration and starts again: a
/// client with only an IA_NA gains the IA_PD added to its file.
#[test]
fn sighup_rereads_configuration() {
    let t = direct();
    let server = our_dhcp6s(&t.server, &t.scratch, OUR_SERVER_CONF, &["s0"]);
    let client = our_dhcp6c(
        &t.client,
        &t.scratch,
        "interface c0 { send ia-na 1; };\nid-assoc na 1 { };\n",
        &["c0"],
    );
    let all = [&server, &client];
    leased(&t, "c0", "2001:db8:1::1", &all);
    assert!(wait_address(&t.client, "lan0", "2001:db8:1", Duration::from_millis(100)).is_none());
    t.scratch.write(
        "kame6-dhcp6c.conf",
        "interface c0 { send ia-na 1; send ia-pd 1; };
id-assoc na 1 { };
id-assoc pd 1 { prefix-interface lan0 { sla-id 1; sla-len 8; ifid 1; }; };
",
    );
    client.signal("HUP");
    leased(&t, "lan0", "2001:db8:1", &all);
    client.wait_log("client6_reload: reloaded", Duration::from_secs(1));
    assert!(received(&counters(&server, "bindings:"), "release") >= 1);
    leased(&t, "c0", "2001:db8:1::1", &all);
}

/// Rapid commit with our dhcp6s: Solicit answered by a Reply, no Request.
#[test]
fn rapid_commit_with_our_dhcp6s() {
    let t = direct();
    let conf = OUR_SERVER_CONF.replace(
        "interface s0 { address-pool p1 20 40;",
        "interface s0 { allow rapid-commit; address-pool p1 20 40;",
    );
    let server = our_dhcp6s(&t.server, &t.scratch, &conf, &["s0"]);
    let client = our_dhcp6c(
        &t.client,
        &t.scratch,
        "interface c0 { send ia-na 1; send ia-pd 1; send rapid-commit; };
id-assoc na 1 { };
id-assoc pd 1 { prefix-interface lan0 { sla-id 1; sla-len 8; ifid 1; }; };
",
        &["c0"],
    );
    let all = [&server, &client];
    check_configured(&t, "2001:db8:1::1", "2001:db8:1", &all);
    let log = counters(&server, "bindings:");
    assert_eq!(received(&log, "request"), 0, "{log}");
    assert!(received(&log, "solicit") >= 1);
}

/// Without -f: the daemon detaches, writes its PID file, keeps its DUID
/// file across restarts, and on SIGTERM releases, removes its addresses
/// and its PID file.
#[test]
fn daemon_mode_pid_file_and_duid() {
    let t = direct();
    let server = our_dhcp6s(&t.server, &t.scratch, OUR_SERVER_CONF, &["s0"]);
    t.client.link_local("c0");
    let conf = t.scratch.write(
        "bg.conf",
        "interface c0 { send ia-na 1; };\nid-assoc na 1 { };\n",
    );
    let pid = t.scratch.path("bg.pid");
    let duid = t.scratch.path("bg.duid");
    let bin = env!("CARGO_BIN_EXE_dhcp6c");
    let mut duid_files = Vec::new();
    for round in 0..2 {
        let out = t
            .client
            .try_exec(&[bin, "-c", &conf, "-p", &pid, "--duid-file", &duid, "c0"]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        assert!(wait_until(Duration::from_secs(5), || std::path::Path::new(
            &pid
        )
        .exists()));
        let n: u32 = std::fs::read_to_string(&pid)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let addr = wait_address(&t.client, "c0", "2001:db8:1::1", WAIT)
            .unwrap_or_else(|| panic!("round {round}: no address\n{}", server.log()));
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &n.to_string()])
            .output();
        assert!(
            wait_until(Duration::from_secs(20), || !std::path::Path::new(&pid)
                .exists()),
            "PID file left"
        );
        assert!(wait_address(&t.client, "c0", &addr, Duration::from_millis(100)).is_none());
        duid_files.push(std::fs::read(&duid).unwrap());
    }
    // The DUID file written on the first run was reused, not replaced.
    assert_eq!(duid_files.len(), 2);
    assert_eq!(duid_files[0], duid_files[1]);
    assert!(libdhcp6::Duid::from_file_bytes(&duid_files[0]).is_ok());
    assert!(
        wait_until(Duration::from_secs(10), || bindings(&counters(
            &server,
            "bindings:"
        )) == Some(0)),
        "{}",
        server.log()
    );
}

/// IA_TA (kame6's `id-assoc ta`) from our dhcp6s's ta-pool: the temporary
/// address is installed beside the IA_NA one and released on SIGTERM.
#[test]
fn ia_ta_from_our_dhcp6s() {
    let t = direct();
    let conf = OUR_SERVER_CONF
        .replace(
            "pool p1 {",
            "pool temp { range 2001:db8:1::8000 to 2001:db8:1::80ff; };\npool p1 {",
        )
        .replace(
            "interface s0 { address-pool p1 20 40;",
            "interface s0 { ta-pool temp 300 600; address-pool p1 20 40;",
        );
    let server = our_dhcp6s(&t.server, &t.scratch, &conf, &["s0"]);
    let mut client = our_dhcp6c(
        &t.client,
        &t.scratch,
        "interface c0 { send ia-na 1; send ia-ta 2; };\nid-assoc na 1 { };\nid-assoc ta 2 { };\n",
        &["c0"],
    );
    let all = [&server, &client];
    let temp = leased(&t, "c0", "2001:db8:1::80", &all);
    leased(&t, "c0", "2001:db8:1::1", &all);
    let (valid, preferred) = addr_lifetimes(&t.client, "c0", &temp).unwrap();
    assert!((590..=600).contains(&valid) && (290..=300).contains(&preferred));
    client.signal("TERM");
    assert!(client.wait_exit(Duration::from_secs(20)).is_some());
    assert!(wait_address(&t.client, "c0", &temp, Duration::from_millis(100)).is_none());
    assert!(
        wait_until(Duration::from_secs(10), || bindings(&counters(
            &server,
            "bindings:"
        )) == Some(0)),
        "{}",
        server.log()
    );
}

/// Flaps the client's link by taking the server's end down and up (the
/// client keeps its addresses; the server's are put back if flushed).
fn flap(t: &Topo) {
    t.server.exec(["ip", "link", "set", "s0", "down"]);
    std::thread::sleep(Duration::from_millis(1500));
    t.server.exec(["ip", "link", "set", "s0", "up"]);
    let _ = t.server.try_exec(&[
        "ip",
        "-6",
        "addr",
        "add",
        "2001:db8:1::1/64",
        "dev",
        "s0",
        "nodad",
    ]);
}

/// C-140 on the wire: after the link comes back, a client holding only
/// addresses sends Confirm; our dhcp6s confirms and the address stays.
#[test]
fn link_change_confirm_with_our_dhcp6s() {
    let t = direct();
    let server = our_dhcp6s(&t.server, &t.scratch, OUR_SERVER_CONF, &["s0"]);
    let client = our_dhcp6c(
        &t.client,
        &t.scratch,
        "interface c0 { send ia-na 1; };\nid-assoc na 1 { };\n",
        &["c0"],
    );
    let all = [&server, &client];
    let addr = leased(&t, "c0", "2001:db8:1::1", &all);
    flap(&t);
    client.wait_log("checking the leases", Duration::from_secs(10));
    let ok = wait_until(WAIT, || {
        received(&counters(&server, "bindings:"), "confirm") >= 1
    });
    assert!(ok, "no Confirm:\n{}", dump(&all));
    std::thread::sleep(Duration::from_millis(500));
    assert!(wait_address(&t.client, "c0", &addr, Duration::ZERO).is_some());
    assert_eq!(received(&counters(&server, "bindings:"), "solicit"), 1);
}

/// C-142 on the wire: holding a delegated prefix, the client answers a
/// link change with Rebind, and keeps address and prefix.
#[test]
fn link_change_rebind_with_prefix() {
    let t = direct();
    let server = our_dhcp6s(&t.server, &t.scratch, OUR_SERVER_CONF, &["s0"]);
    let (conf, _) = client_conf(&t);
    let client = our_dhcp6c(&t.client, &t.scratch, &conf, &["c0"]);
    let all = [&server, &client];
    let (addr, lan_addr) = check_configured(&t, "2001:db8:1::1", "2001:db8:1", &all);
    flap(&t);
    client.wait_log("checking the leases", Duration::from_secs(10));
    let ok = wait_until(Duration::from_secs(8), || {
        received(&counters(&server, "bindings:"), "rebind") >= 1
    });
    assert!(ok, "no Rebind:\n{}", dump(&all));
    assert_eq!(received(&counters(&server, "bindings:"), "confirm"), 0);
    assert!(wait_address(&t.client, "c0", &addr, Duration::ZERO).is_some());
    assert!(wait_address(&t.client, "lan0", &lan_addr, Duration::ZERO).is_some());
}

/// One dhcp6c on two interfaces, each to its own link of our dhcp6s:
/// each gets an address from its link's pool.
#[test]
fn two_interfaces_one_daemon() {
    let t = direct();
    veth(&t.client, "c1", &t.server, "s1");
    t.server.addr("s1", "2001:db8:2::1/64");
    let conf = "\
pool p1 { range 2001:db8:1::100 to 2001:db8:1::1ff; };
pool p2 { range 2001:db8:2::100 to 2001:db8:2::1ff; };
interface s0 { address-pool p1 200 400; };
interface s1 { address-pool p2 200 400; };
";
    let server = our_dhcp6s(&t.server, &t.scratch, conf, &["s0", "s1"]);
    let mut client = our_dhcp6c(
        &t.client,
        &t.scratch,
        "interface c0 { send ia-na 1; };
interface c1 { send ia-na 2; };
id-assoc na 1 { };
id-assoc na 2 { };
",
        &["c0", "c1"],
    );
    let all = [&server, &client];
    let a0 = leased(&t, "c0", "2001:db8:1::1", &all);
    let a1 = leased(&t, "c1", "2001:db8:2::1", &all);
    assert!(wait_address(&t.client, "c1", "2001:db8:1::", Duration::ZERO).is_none());
    client.signal("TERM");
    assert!(client.wait_exit(Duration::from_secs(20)).is_some());
    assert!(wait_address(&t.client, "c0", &a0, Duration::ZERO).is_none());
    assert!(wait_address(&t.client, "c1", &a1, Duration::ZERO).is_none());
    assert!(
        wait_until(Duration::from_secs(10), || bindings(&counters(
            &server,
            "bindings:"
        )) == Some(0)),
        "{}",
        server.log()
    );
}

/// \[debian\] `dhcp6c -P`: c0 has no interface block and runs with the
/// named profile (IA_NA, IA_PD numbering the LAN, the script), while c1
/// keeps its own block; both get their leases from our dhcp6s.
#[test]
fn profile_for_an_interface_without_a_block() {
    let t = direct();
    veth(&t.client, "c1", &t.server, "s1");
    t.server.addr("s1", "2001:db8:2::1/64");
    let server_conf = format!(
        "{OUR_SERVER_CONF}pool p2 {{ range 2001:db8:2::100 to 2001:db8:2::1ff; }};
interface s1 {{ address-pool p2 200 400; }};
"
    );
    let server = our_dhcp6s(&t.server, &t.scratch, &server_conf, &["s0", "s1"]);
    let (conf, script_out) = client_conf(&t);
    let conf = conf.replace("interface c0 {", "profile wan {")
        + "interface c1 { send ia-na 2; };\nid-assoc na 2 { };\n";
    // As Debian's init script writes it: -Pdefault before the interfaces.
    let client = our_dhcp6c(&t.client, &t.scratch, &conf, &["-Pwan", "c0", "c1"]);
    let all = [&server, &client];
    client.wait_log(
        "c0: no interface block; profile wan",
        Duration::from_secs(1),
    );
    check_configured(&t, "2001:db8:1::1", "2001:db8:1", &all);
    // c1 runs with its block: with the profile (which sends IAs) it could
    // not have started beside c0.
    leased(&t, "c1", "2001:db8:2::1", &all);
    assert!(
        wait_until(WAIT, || std::fs::read_to_string(&script_out)
            .is_ok_and(|s| s.contains("REASON=REQUEST"))),
        "{}",
        dump(&all)
    );
    // A reload with a file that lost the profile keeps everything running:
    // nothing is released.
    t.scratch.write(
        "kame6-dhcp6c.conf",
        "interface c1 { send ia-na 2; };\nid-assoc na 2 { };\n",
    );
    client.signal("HUP");
    client.wait_log(
        "interface c0 is not configured (no interface block, and no profile wan); keeping the running configuration",
        Duration::from_secs(5),
    );
    assert_eq!(received(&counters(&server, "bindings:"), "release"), 0);
    assert_eq!(bindings(&counters(&server, "bindings:")), Some(3));
}
