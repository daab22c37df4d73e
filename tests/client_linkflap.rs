//! A link flap is not a duplicate address: kame6's dhcp6c against our
//! dhcp6s in network namespaces, the client's own interface taken down
//! and up (`ip link set dev c0 down; ip link set dev c0 up`), which makes
//! the kernel drop every address on it. The client puts its leased
//! addresses back with their remaining lifetimes and checks the leases
//! with Confirm (addresses only, C-140) or Rebind (holding a prefix,
//! C-142); it never declines them, and the server keeps the bindings.
//! The wire is read from a capture on the server's side of the link
//! (tcpdump on the client's interface would stop when it goes down).
//!
//! The flap comes right after the lease is installed, while the client
//! is still waiting for the kernel's verdict on duplicate address
//! detection (C-131): the moment an address missing for any reason was
//! once taken for a duplicate. DAD runs for real on c0 (`accept_dad=1`,
//! Linux's default), before and after the flap.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::time::Duration;

use common::pcap::{capture_dhcp6, udp6};
use common::peers::{
    addr_lifetimes, bindings, counters, our_dhcp6c, our_dhcp6s, received, wait_address, Scratch,
};
use common::{require_program, require_root, veth, wait_until, Daemon, Netns};
use libdhcp6::wire::MessageRepr;
use libdhcp6::MessageType;

/// Lifetimes long enough that no Renew (T1 = 100 s) comes during the
/// test: whatever puts the address back after the flap is the flap's doing.
const SERVER_CONF: &str = "\
pool p1 { range 2001:db8:1::100 to 2001:db8:1::1ff; };
prefix-pool pd1 { prefix 2001:db8:100::/40 delegate 56; };
interface s0 { address-pool p1 200 400; prefix-pool pd1 200 400; };
";

const NA_ONLY: &str = "interface c0 { send ia-na 1; };\nid-assoc na 1 { };\n";

const NA_AND_PD: &str = "\
interface c0 { send ia-na 1; send ia-pd 1; };
id-assoc na 1 { };
id-assoc pd 1 { prefix-interface lan0 { sla-id 1; sla-len 8; ifid 1; }; };
";

/// client —(c0|s0)— our dhcp6s on 2001:db8:1::1/64, tcpdump on s0.
struct Topo {
    client: Netns,
    server: Netns,
    scratch: Scratch,
    pcap: String,
    _tcpdump: Daemon,
}

fn topo() -> Topo {
    require_root();
    require_program("tcpdump");
    let client = Netns::new("c");
    let server = Netns::new("s");
    veth(&client, "c0", &server, "s0");
    server.addr("s0", "2001:db8:1::1/64");
    // DAD as on any Linux host, so a DAD that passes after the flap is
    // part of the test.
    client.exec(["sysctl", "-qw", "net.ipv6.conf.c0.accept_dad=1"]);
    client.lan();
    client.link_local("c0");
    server.link_local("s0");
    let scratch = Scratch::new(&format!("{}-files", server.name));
    let pcap = scratch.path("s0.pcap");
    let tcpdump = capture_dhcp6(&server, "s0", &pcap);
    Topo {
        client,
        server,
        scratch,
        pcap,
        _tcpdump: tcpdump,
    }
}

/// The client's messages captured so far, in order.
fn from_client(pcap: &str) -> Vec<MessageType> {
    let bytes = std::fs::read(pcap).unwrap_or_default();
    udp6(&bytes)
        .into_iter()
        .filter(|d| d.dport == 547)
        .filter_map(|d| MessageRepr::from_bytes(&d.payload).ok())
        .map(|m| m.msg_type)
        .collect()
}

fn dump(t: &Topo, ds: &[&Daemon]) -> String {
    let logs = ds.iter().map(|d| d.log()).collect::<Vec<_>>();
    format!(
        "client sent {:?}\n{}",
        from_client(&t.pcap),
        logs.join("\n-----\n")
    )
}

/// The client's own interface down and up: the kernel removes its
/// addresses (keep_addr_on_down is off) and the link-local comes back.
fn flap(t: &Topo) {
    t.client.exec(["ip", "link", "set", "dev", "c0", "down"]);
    t.client.exec(["ip", "link", "set", "dev", "c0", "up"]);
}

/// Leases with `conf`, flaps the link at once, and checks the aftermath:
/// the address is back on c0 before the server says anything (with a
/// lifetime it had left, not beyond the lease's), `check` went out after
/// the flap, neither `instead` nor a Decline ever did, and the server
/// still holds `held` bindings. Returns the topology and the server and
/// client for more checks.
fn flap_after_lease(
    conf: &str,
    check: MessageType,
    instead: MessageType,
    held: u64,
) -> (Topo, Daemon, Daemon) {
    let t = topo();
    let server = our_dhcp6s(&t.server, &t.scratch, SERVER_CONF, &["s0"]);
    let client = our_dhcp6c(&t.client, &t.scratch, conf, &["c0"]);
    let all = [&server, &client];
    let addr = wait_address(&t.client, "c0", "2001:db8:1::1", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("no address:\n{}", dump(&t, &all)));
    let before = from_client(&t.pcap).len();
    // The server is held still over the flap, so the address can only
    // come back by the client's own doing, not by a Reply re-adding it.
    server.signal("STOP");
    flap(&t);
    let back = wait_until(Duration::from_secs(5), || {
        addr_lifetimes(&t.client, "c0", &addr).is_some()
    });
    server.signal("CONT");
    assert!(back, "{addr} not back after link-up:\n{}", dump(&t, &all));
    let (valid, preferred) = addr_lifetimes(&t.client, "c0", &addr).unwrap();
    assert!(valid <= 400 && preferred <= 200, "{valid} {preferred}");
    let checked = wait_until(Duration::from_secs(15), || {
        from_client(&t.pcap)[before..].contains(&check)
    });
    assert!(checked, "no {check:?} after the flap:\n{}", dump(&t, &all));
    // Let the exchange finish and the kernel's DAD on the address it put
    // back run its course (1–2 s).
    std::thread::sleep(Duration::from_secs(4));
    let sent = from_client(&t.pcap);
    for never in [MessageType::Decline, instead] {
        assert!(!sent.contains(&never), "{never:?}:\n{}", dump(&t, &all));
    }
    assert!(
        !client.log().contains("duplicate address"),
        "{}",
        dump(&t, &all)
    );
    // Still on the interface, past the kernel's DAD, and no new Solicit.
    let shown = String::from_utf8_lossy(
        &t.client
            .try_exec(&["ip", "-6", "-o", "addr", "show", "dev", "c0"])
            .stdout,
    )
    .into_owned();
    let line = shown.lines().find(|l| l.contains(&format!("{addr}/128")));
    assert!(
        line.is_some_and(|l| !l.contains("tentative")),
        "{shown}\n{}",
        dump(&t, &all)
    );
    assert_eq!(
        sent.iter().filter(|m| **m == MessageType::Solicit).count(),
        1,
        "{}",
        dump(&t, &all)
    );
    let log = counters(&server, "bindings:");
    assert_eq!(received(&log, "decline"), 0, "{log}");
    assert_eq!(bindings(&log), Some(held), "{}", dump(&t, &all));
    (t, server, client)
}

/// C-140 and the flap: holding only an address, the client puts it back
/// and sends Confirm (not Rebind), never Decline; our dhcp6s keeps the
/// binding.
#[test]
fn link_flap_addresses_only_confirms() {
    flap_after_lease(NA_ONLY, MessageType::Confirm, MessageType::Rebind, 1);
}

/// C-142 and the flap: holding a delegated prefix too, the client puts
/// its address back and sends Rebind (not Confirm), never Decline; the LAN
/// address numbered from the prefix stays, and our dhcp6s keeps both
/// bindings.
#[test]
fn link_flap_with_prefix_rebinds() {
    let (t, server, client) =
        flap_after_lease(NA_AND_PD, MessageType::Rebind, MessageType::Confirm, 2);
    assert!(
        wait_address(&t.client, "lan0", "2001:db8:1", Duration::ZERO).is_some(),
        "{}",
        dump(&t, &[&server, &client])
    );
}
