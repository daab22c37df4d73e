//! kame6's dhcp6c with DHCPv4-over-DHCPv6 on (`request
//! dhcp4o6-server-address;`, RFC 7341) against real server pairs in
//! network namespaces: our dhcp6s with Kea's kea-dhcp4, and Kea's
//! kea-dhcp6 with kea-dhcp4, directly on one link and through our
//! dhcp6relay. One run per pairing and path: the client gets an IPv6
//! address, a delegated prefix and an IPv4 lease; the IPv4 address is on
//! the `dhcp4o6-interface` with the lease's lifetime; at T1 it renews by
//! unicast with U=1 and the lifetime is refreshed (C-160); with the
//! DHCPv4 server silent it rebinds with U=0 at T2; SIGTERM sends a
//! DHCPRELEASE (U=1) and the server's lease is gone; the script saw ISC
//! dhclient-script's variables for each step. On the wire every query
//! holds exactly one option 87 and no ORO (C-159) and carries option 61
//! in RFC 4361's IAID + DUID form (C-161); the DHCPv6 messages ask for
//! option 88 (C-155). And after a restart the remembered address is asked
//! for with INIT-REBOOT.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::dhcp4o6::{direct_net, kea_dhcp4_4o6_timed, relayed_net, start_relay, Relay, SERVER6};
use common::pcap::{capture_dhcp6, udp6};
use common::peers::{our_dhcp6c, our_dhcp6s, wait_address, Scratch};
use common::{require_program, wait_until, Daemon, Netns};
use libdhcp6::codes::{MessageType, OptionCode as V6Code};
use libdhcp6::dhcp4::{ClientId, MessageType as V4Type, PacketRepr};
use libdhcp6::wire::{MessageRepr, OptionRepr, DHCPV4_QUERY_UNICAST};

/// IPC port pair in the server namespace: the DHCPv6 side on [::1]:6767,
/// kea-dhcp4 on [::1]:6768.
const IPC_PORT: u16 = 6767;
/// kea-dhcp4's lease time, T1 and T2: short, so the test sees them.
const LEASE4: (u32, u32, u32) = (40, 10, 25);

/// Which DHCPv6 side answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pair {
    /// Our dhcp6s with kea-dhcp4.
    Ours,
    /// Kea's kea-dhcp6 with kea-dhcp4.
    Kea,
}

/// Our dhcp6s: addresses and prefixes for the direct link and the
/// relayed one, 4o6 forwarded to kea-dhcp4, option 88 naming [`SERVER6`].
fn dhcp6s_conf() -> String {
    format!(
        "dhcp4o6-port {IPC_PORT};
option dhcp4o6-server-address {SERVER6};
option domain-name-servers 2001:db8:ffff::53;
pool direct {{ range 2001:db8:ff::a00 to 2001:db8:ff::aff; }};
pool relayed {{ range 2001:db8:1::a00 to 2001:db8:1::aff; }};
prefix-pool pd1 {{ prefix 2001:db8:100::/40 delegate 56; }};
interface s0 {{ address-pool direct 600 900; prefix-pool pd1 600 900; }};
link relayed {{ link-address 2001:db8:1::/64; address-pool relayed 600 900; prefix-pool pd1 600 900; }};
"
    )
}

/// Kea's kea-dhcp6 with the same subnets, 4o6 on and option 88.
fn kea_dhcp6(ns: &Netns, s: &Scratch) -> Daemon {
    let bin = require_program("kea-dhcp6");
    let leases = s.path("kea-leases6.csv");
    let conf = format!(
        r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": [ "s0", "s0/{SERVER6}" ] }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{leases}", "lfc-interval": 0 }},
  "server-id": {{ "type": "EN", "enterprise-id": 2495, "identifier": "6b616d6536", "persist": false }},
  "dhcp4o6-port": {IPC_PORT},
  "renew-timer": 300, "rebind-timer": 500, "preferred-lifetime": 600, "valid-lifetime": 900,
  "option-data": [ {{ "name": "dhcp4o6-server-addr", "code": 88, "space": "dhcp6", "data": "{SERVER6}" }},
                   {{ "name": "dns-servers", "data": "2001:db8:ffff::53" }} ],
  "subnet6": [
    {{ "id": 1, "subnet": "2001:db8:ff::/64", "interface": "s0",
       "pools": [ {{ "pool": "2001:db8:ff::a00 - 2001:db8:ff::aff" }} ],
       "pd-pools": [ {{ "prefix": "2001:db8:100::", "prefix-len": 40, "delegated-len": 56 }} ] }},
    {{ "id": 2, "subnet": "2001:db8:1::/64",
       "pools": [ {{ "pool": "2001:db8:1::a00 - 2001:db8:1::aff" }} ],
       "pd-pools": [ {{ "prefix": "2001:db8:200::", "prefix-len": 40, "delegated-len": 56 }} ] }} ],
  "loggers": [ {{ "name": "kea-dhcp6", "output_options": [ {{ "output": "stdout" }} ], "severity": "DEBUG", "debuglevel": 40 }} ]
}} }}"#
    );
    let conf = s.write("kea-dhcp6.conf", &conf);
    let dir = s.dir.to_str().unwrap_or("/tmp");
    let d = ns.spawn_env(
        bin.to_str().unwrap_or("kea-dhcp6"),
        &["-c", &conf],
        &[("KEA_LOCKFILE_DIR", dir), ("KEA_PIDFILE_DIR", dir)],
    );
    d.wait_log("DHCP6_STARTED", Duration::from_secs(15));
    d
}

/// The client's script: every run appends its environment, sorted, after
/// a `---` line.
const SCRIPT: &str = "#!/bin/sh\n{ echo ---; env | sort; } >> \"$0.out\"\n";

/// dhcp6c.conf: IA_NA, IA_PD, DNS and option 88 asked for, the IPv4
/// address on `tun4`.
fn dhcp6c_conf(script: &str) -> String {
    format!(
        "interface c0 {{
  send ia-na 1;
  send ia-pd 2;
  request domain-name-servers, domain-name, dhcp4o6-server-address;
  dhcp4o6-interface tun4;
  script \"{script}\";
}};
id-assoc na 1 {{ }};
id-assoc pd 2 {{ }};
"
    )
}

/// The pieces of one run, torn down when dropped.
struct Run {
    client6: Daemon,
    kea4: Daemon,
    dhcp6: Daemon,
    _tcpdump: Daemon,
    _relay: Option<(Daemon, Netns)>,
    client: Netns,
    _server: Netns,
    scratch: Scratch,
    pcap: String,
    script: String,
}

impl Run {
    fn logs(&self) -> String {
        format!(
            "--- dhcp6c:\n{}\n--- DHCPv6 server:\n{}\n--- kea-dhcp4:\n{}\n--- script:\n{}",
            self.client6.log(),
            self.dhcp6.log(),
            self.kea4.log(),
            std::fs::read_to_string(format!("{}.out", self.script)).unwrap_or_default()
        )
    }

    /// The script runs so far, each as its sorted environment.
    fn script_runs(&self) -> Vec<Vec<(String, String)>> {
        let text = std::fs::read_to_string(format!("{}.out", self.script)).unwrap_or_default();
        text.split("---\n")
            .filter(|b| !b.trim().is_empty())
            .map(|b| {
                b.lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }

    /// The `n`-th (from 0) script run with ISC's `reason` = `reason`.
    fn run_with(&self, reason: &str, n: usize) -> Option<Vec<(String, String)>> {
        self.script_runs()
            .into_iter()
            .filter(|r| r.iter().any(|(k, v)| k == "reason" && v == reason))
            .nth(n)
    }

    /// Waits for the `n`-th script run with `reason`.
    fn wait_reason(&self, reason: &str, n: usize, timeout: Duration) -> Vec<(String, String)> {
        wait_until(timeout, || self.run_with(reason, n).is_some());
        self.run_with(reason, n)
            .unwrap_or_else(|| panic!("no script run #{n} with reason {reason}\n{}", self.logs()))
    }

    /// The DHCPV4-QUERY messages the client sent: U flag and the DHCPv4
    /// message, each checked for C-159 (one option 87, no ORO).
    fn queries(&self) -> Vec<(bool, PacketRepr)> {
        let bytes = std::fs::read(&self.pcap).unwrap_or_default();
        udp6(&bytes)
            .into_iter()
            .filter(|d| d.dport == 547)
            .filter_map(|d| MessageRepr::from_bytes(&d.payload).ok())
            .filter(|m| m.msg_type == MessageType::Dhcpv4Query)
            .map(|m| {
                assert_eq!(m.options.len(), 1, "C-159: {m:?}");
                let OptionRepr::Dhcpv4Msg(b) = &m.options[0] else {
                    panic!("C-159: not option 87: {m:?}")
                };
                let u = m.transaction_id & DHCPV4_QUERY_UNICAST != 0;
                (u, PacketRepr::from_bytes(b).unwrap())
            })
            .collect()
    }

    /// The DHCPv6 messages the client sent, by type.
    fn v6_sent(&self) -> Vec<MessageRepr> {
        let bytes = std::fs::read(&self.pcap).unwrap_or_default();
        udp6(&bytes)
            .into_iter()
            .filter(|d| d.dport == 547)
            .filter_map(|d| MessageRepr::from_bytes(&d.payload).ok())
            .filter(|m| m.msg_type != MessageType::Dhcpv4Query)
            .collect()
    }
}

/// Starts the servers of `pair` (through our dhcp6relay when `relayed`),
/// a capture on the client's link and dhcp6c.
fn start(pair: Pair, relayed: bool) -> Run {
    let (client, server, relay) = if relayed {
        let t = relayed_net();
        (t.client, t.server, Some(t.relay))
    } else {
        let (c, s) = direct_net();
        (c, s, None)
    };
    // kea-dhcp4 needs an IPv4 socket on the interface the DHCPv6 side
    // names (see tests/dhcp4o6_kea.rs).
    server.exec(["ip", "addr", "add", "192.0.2.2/24", "dev", "s0"]);
    // The interface the IPv4 address goes on (a softwire tunnel in
    // real life; no dummy module here, so a veth).
    client.exec([
        "ip", "link", "add", "tun4", "type", "veth", "peer", "name", "tun4p",
    ]);
    client.exec(["ip", "link", "set", "tun4", "up"]);
    let scratch = Scratch::new(&format!("{}-files", server.name));
    let kea4 = kea_dhcp4_4o6_timed(&server, &scratch, "s0", IPC_PORT, LEASE4);
    let dhcp6 = match pair {
        Pair::Ours => our_dhcp6s(&server, &scratch, &dhcp6s_conf(), &["s0"]),
        Pair::Kea => kea_dhcp6(&server, &scratch),
    };
    let relay = relay.map(|ns| (start_relay(Relay::Ours, &ns, &scratch), ns));
    let script = scratch.write("script.sh", SCRIPT);
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let pcap = scratch.path("c0.pcap");
    let tcpdump = capture_dhcp6(&client, "c0", &pcap);
    let client6 = our_dhcp6c(&client, &scratch, &dhcp6c_conf(&script), &["c0"]);
    Run {
        client6,
        kea4,
        dhcp6,
        _tcpdump: tcpdump,
        _relay: relay,
        client,
        _server: server,
        scratch,
        pcap,
        script,
    }
}

/// The value of `key` in a script run.
fn var<'a>(run: &'a [(String, String)], key: &str) -> Option<&'a str> {
    run.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The IPv4 address on `tun4` and its valid lifetime (seconds).
fn tun4(ns: &Netns) -> Option<(Ipv4Addr, u32)> {
    let out = ns.try_exec(&["ip", "-4", "-o", "addr", "show", "dev", "tun4"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text.lines().next()?;
    let mut w = line.split_whitespace();
    w.find(|x| *x == "inet")?;
    let addr = w.next()?.split('/').next()?.parse().ok()?;
    let valid = line
        .split_whitespace()
        .skip_while(|x| *x != "valid_lft")
        .nth(1)?
        .trim_end_matches("sec")
        .parse()
        .ok()?;
    Some((addr, valid))
}

/// kea-dhcp4's last lease-file row for `addr`: its valid lifetime.
fn kea4_valid(s: &Scratch, addr: Ipv4Addr) -> Option<u64> {
    let text = std::fs::read_to_string(s.path("kea-leases4.csv")).ok()?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split(',').collect();
    let col = header.iter().position(|h| *h == "valid_lifetime")?;
    let a = addr.to_string();
    lines
        .rfind(|l| l.split(',').next() == Some(a.as_str()))
        .and_then(|l| l.split(',').nth(col)?.parse().ok())
}

/// The whole life of a 4o6 lease with `pair`, directly or relayed.
fn lifecycle(pair: Pair, relayed: bool) {
    let mut run = start(pair, relayed);
    let (v6_prefix, wait) = if relayed {
        ("2001:db8:1::a", Duration::from_secs(40))
    } else {
        ("2001:db8:ff::a", Duration::from_secs(40))
    };
    // IPv6 address, delegated prefix, IPv4 lease.
    let bound = run.wait_reason("BOUND", 0, wait);
    assert!(
        wait_address(&run.client, "c0", v6_prefix, Duration::from_secs(5)).is_some(),
        "no IPv6 address\n{}",
        run.logs()
    );
    let routes = run
        .client
        .try_exec(&["ip", "-6", "route", "show", "type", "unreachable"]);
    assert!(
        String::from_utf8_lossy(&routes.stdout).contains("/56"),
        "no delegated prefix\n{}",
        run.logs()
    );
    let addr: Ipv4Addr = var(&bound, "new_ip_address").unwrap().parse().unwrap();
    for (k, v) in [
        ("interface", "tun4"),
        ("new_subnet_mask", "255.255.255.0"),
        ("new_routers", "10.10.10.1"),
        ("new_domain_name_servers", "10.10.10.53"),
        ("new_domain_name", "example.net"),
        ("new_dhcp_lease_time", "40"),
        ("new_dhcp_server_identifier", "192.0.2.2"),
    ] {
        assert_eq!(var(&bound, k), Some(v), "{k}\n{}", run.logs());
    }
    assert_eq!(var(&bound, "old_ip_address"), None);
    let (on, valid) = tun4(&run.client).unwrap_or_else(|| panic!("no address\n{}", run.logs()));
    assert_eq!(on, addr);
    assert!((30..=40).contains(&valid), "lifetime {valid}");
    // C-155: option 88 in the ORO of the DHCPv6 messages.
    for m in run.v6_sent() {
        if matches!(m.msg_type, MessageType::Solicit | MessageType::Request) {
            let oro = m.options.iter().find_map(|o| match o {
                OptionRepr::Oro(c) => Some(c.clone()),
                _ => None,
            });
            assert!(
                oro.unwrap_or_default().contains(&V6Code::Dhcp4o6ServerAddr),
                "C-155: {m:?}"
            );
        }
    }

    renew_then_rebind(&run, addr);

    // SIGTERM: DHCPRELEASE with U=1; the address and the server's lease go.
    run.client6.signal("TERM");
    let exit = run.client6.wait_exit(Duration::from_secs(15));
    assert_eq!(exit, Some(0), "dhcp6c did not exit\n{}", run.logs());
    let release = run.wait_reason("RELEASE", 0, Duration::from_secs(2));
    assert_eq!(
        var(&release, "old_ip_address"),
        Some(addr.to_string().as_str())
    );
    assert!(tun4(&run.client).is_none(), "address left on tun4");
    assert!(run
        .queries()
        .iter()
        .any(|(u, p)| *u && p.message_type() == Some(V4Type::Release) && p.ciaddr == addr));
    assert!(
        wait_until(Duration::from_secs(5), || kea4_valid(&run.scratch, addr)
            == Some(0)),
        "kea-dhcp4 still holds {addr}\n{}",
        run.kea4.log()
    );
    assert!(
        !std::path::Path::new(&run.scratch.path("dhcp6c_4o6_c0.lease")).exists(),
        "lease file left after RELEASE"
    );
}

/// T1: RENEWING by unicast with U=1 (C-160), the lifetime refreshed; then,
/// with kea-dhcp4 stopped, RENEWING unanswered and REBINDING with U=0 at
/// T2, answered once it runs again.
fn renew_then_rebind(run: &Run, addr: Ipv4Addr) {
    let renew = run.wait_reason("RENEW", 0, Duration::from_secs(20));
    assert_eq!(
        var(&renew, "old_ip_address"),
        Some(addr.to_string().as_str())
    );
    assert_eq!(var(&renew, "new_dhcp_lease_time"), Some("40"));
    let (_, valid) = tun4(&run.client).unwrap();
    assert!(
        valid >= 35,
        "lifetime not refreshed: {valid}\n{}",
        run.logs()
    );
    let renewing =
        |q: &(bool, PacketRepr)| q.1.message_type() == Some(V4Type::Request) && q.1.ciaddr == addr;
    let qs = run.queries();
    assert!(
        qs.iter().any(|q| renewing(q) && q.0),
        "no RENEWING query with U=1: {qs:?}"
    );
    // C-161: option 61 is RFC 4361's IAID + DUID in every query.
    assert!(qs
        .iter()
        .all(|(_, p)| matches!(p.client_id(), Some(ClientId::Duid { .. }))));

    // The DHCPv4 server goes silent: the next RENEWING (U=1) goes
    // unanswered, then at T2 REBINDING with U=0; answered once it is back.
    run.kea4.signal("STOP");
    let rebinding = || run.queries().into_iter().any(|q| renewing(&q) && !q.0);
    let seen = wait_until(Duration::from_secs(35), rebinding);
    run.kea4.signal("CONT");
    assert!(seen, "no REBINDING query with U=0\n{}", run.logs());
    let rebind = run.wait_reason("REBIND", 0, Duration::from_secs(14));
    assert_eq!(
        var(&rebind, "new_ip_address"),
        Some(addr.to_string().as_str())
    );
    let renews_u1 = run.queries().iter().filter(|q| renewing(q) && q.0).count();
    assert!(renews_u1 >= 2, "only {renews_u1} RENEWING queries");
}

/// Our dhcp6s + kea-dhcp4 on one link.
#[test]
fn dhcp4o6_ours_kea4_direct() {
    lifecycle(Pair::Ours, false);
}

/// Our dhcp6s + kea-dhcp4 through our dhcp6relay.
#[test]
fn dhcp4o6_ours_kea4_through_our_relay() {
    lifecycle(Pair::Ours, true);
}

/// Kea's pair on one link.
#[test]
fn dhcp4o6_kea_pair_direct() {
    lifecycle(Pair::Kea, false);
}

/// Kea's pair through our dhcp6relay.
#[test]
fn dhcp4o6_kea_pair_through_our_relay() {
    lifecycle(Pair::Kea, true);
}

/// INIT-REBOOT after a restart: SIGUSR1 stops dhcp6c without releasing
/// (the address leaves tun4, reason STOP, the lease file stays); started
/// again, the client's first DHCPv4 message is INIT-REBOOT's DHCPREQUEST
/// for the same address (option 50, no server identifier, ciaddr 0, U=0),
/// kea-dhcp4 acknowledges it and the script sees REBOOT.
#[test]
fn dhcp4o6_init_reboot_after_restart() {
    let mut run = start(Pair::Ours, false);
    let bound = run.wait_reason("BOUND", 0, Duration::from_secs(40));
    let addr: Ipv4Addr = var(&bound, "new_ip_address").unwrap().parse().unwrap();
    run.client6.signal("USR1");
    let exit = run.client6.wait_exit(Duration::from_secs(15));
    assert_eq!(exit, Some(0), "dhcp6c did not exit\n{}", run.logs());
    let stop = run.wait_reason("STOP", 0, Duration::from_secs(2));
    assert_eq!(
        var(&stop, "old_ip_address"),
        Some(addr.to_string().as_str())
    );
    assert!(tun4(&run.client).is_none(), "address left on tun4");
    let file = run.scratch.path("kame6-dhcp6c.duid");
    let file = std::path::Path::new(&file).with_file_name("dhcp6c_4o6_c0.lease");
    let saved = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        saved.starts_with(&format!("{addr} 192.0.2.2 ")),
        "{saved:?}"
    );
    let before = run.queries().len();

    run.client6 = our_dhcp6c(
        &run.client,
        &run.scratch,
        &dhcp6c_conf(&run.script),
        &["c0"],
    );
    let reboot = run.wait_reason("REBOOT", 0, Duration::from_secs(40));
    assert_eq!(
        var(&reboot, "new_ip_address"),
        Some(addr.to_string().as_str())
    );
    let first = run.queries().into_iter().nth(before).unwrap();
    let (u, p) = first;
    assert!(!u);
    assert_eq!(p.message_type(), Some(V4Type::Request));
    assert_eq!((p.requested_ip(), p.server_id()), (Some(addr), None));
    assert_eq!(p.ciaddr, Ipv4Addr::UNSPECIFIED);
    assert_eq!(tun4(&run.client).map(|t| t.0), Some(addr));
}
