//! The lease journal under fire: kame6's dhcp6s serves Kea's perfdhcp
//! (thousands of clients, continuous load) and is killed with SIGKILL at
//! random moments, then restarted. tcpdump in the client namespace records
//! every Reply. After each restart, every lease a captured Reply granted
//! before the kill must be in the restarted server's bindings, for the same
//! client and IA, same address; over the whole run no address may go to two
//! clients and no client's IA may get two addresses.

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv6Addr;
use std::time::Duration;

use common::crash::{kill_at_random_moment, XorShift};
use common::pcap::udp6;
use common::peers::Scratch;
use common::{require_program, require_root, run, veth, Daemon, Netns};
use libdhcp6::codes::MessageType;
use libdhcp6::duid::Duid;
use libdhcp6::wire::{MessageRepr, OptionRepr};

/// Kill-and-restart rounds.
const ROUNDS: usize = 20;
/// perfdhcp's exchange rate and client population: enough that every
/// batch the server handles holds several Requests, and so many clients
/// that nearly every exchange is a new lease up to the last kill.
const RATE: &str = "1500";
const CLIENTS: &str = "1000000";
const CONF: &str = "\
pool p { range 2001:db8:1::1:0:0 to 2001:db8:1::1:ffff:ffff; };
interface s0 { address-pool p 3000 4000; };
";

/// (client DUID, IAID) → address, as a Reply granted it.
type Lease = ((Duid, u32), Ipv6Addr);

/// The Replies in a pcap file (Ethernet, IPv6, UDP to port 546) written so
/// far, with their capture time in microseconds since the epoch: the leases
/// they grant. A record cut short at the end (tcpdump still writing) is ignored.
fn captured_leases(pcap: &[u8]) -> Vec<(u64, Lease)> {
    let mut out = Vec::new();
    for d in udp6(pcap) {
        let Ok(m) = MessageRepr::from_bytes(&d.payload) else {
            continue;
        };
        if m.msg_type != MessageType::Reply {
            continue;
        }
        let Some(duid) = m.options.iter().find_map(|o| match o {
            OptionRepr::ClientId(d) => Some(d.clone()),
            _ => None,
        }) else {
            continue;
        };
        for o in &m.options {
            if let OptionRepr::IaNa(ia) = o {
                for a in ia.addresses().filter(|a| a.valid_lifetime > 0) {
                    out.push((d.ts_us, ((duid.clone(), ia.iaid), a.addr)));
                }
            }
        }
    }
    out
}

/// The leases `dhcp6s --dump-leases` lists.
fn dumped_leases(journal: &str) -> BTreeSet<Lease> {
    let out = run(env!("CARGO_BIN_EXE_dhcp6s"), ["--dump-leases", journal]);
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("quarantined"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let addr = f[3].split('/').next().unwrap().parse().unwrap();
            (
                (Duid::from_text(f[0]).unwrap(), f[2].parse().unwrap()),
                addr,
            )
        })
        .collect()
}

fn start_server(ns: &Netns, s: &Scratch, conf: &str) -> Daemon {
    let (pid, duid) = (s.path("dhcp6s.pid"), s.path("dhcp6s.duid"));
    // -d, not -D: a debug line per packet would slow the server under load.
    let d = ns.spawn(
        env!("CARGO_BIN_EXE_dhcp6s"),
        &[
            "-f",
            "-d",
            "-c",
            conf,
            "-P",
            &pid,
            "--duid-file",
            &duid,
            "s0",
        ],
    );
    d.wait_log("server6_init: serving", Duration::from_secs(10));
    d
}

/// tcpdump on the client's side, writing every datagram to port 546 to `pcap`.
fn capture_replies(client: &Netns, pcap: &str) -> Daemon {
    let tcpdump = client.spawn(
        "tcpdump",
        // Immediate mode: each packet is handed over as it arrives, not
        // in blocks a second late, so the file is complete soon after a kill.
        &[
            "-i",
            "c0",
            "-n",
            "--immediate-mode",
            "-B",
            "32768",
            "-U",
            "-w",
            pcap,
            "udp dst port 546",
        ],
    );
    tcpdump.wait_log("listening on", Duration::from_secs(10));
    tcpdump
}

/// perfdhcp's 4-message exchanges from the client side for the whole test.
fn perfdhcp_load(client: &Netns) -> Daemon {
    client.spawn(
        "perfdhcp",
        &[
            "-6",
            "-l",
            "c0",
            "-r",
            RATE,
            "-R",
            CLIENTS,
            "-b",
            "duid=00030001020000000000",
            "-p",
            "600",
        ],
    )
}

/// Adds a failure for every address captured with two holders and every IA
/// captured with two addresses; returns how many IAs were seen.
fn check_one_holder(all: &[(u64, Lease)], failures: &mut Vec<String>) -> usize {
    let mut by_addr: BTreeMap<Ipv6Addr, BTreeSet<(Duid, u32)>> = BTreeMap::new();
    let mut by_ia: BTreeMap<(Duid, u32), BTreeSet<Ipv6Addr>> = BTreeMap::new();
    for (_, (ia, addr)) in all {
        by_addr.entry(*addr).or_default().insert(ia.clone());
        by_ia.entry(ia.clone()).or_default().insert(*addr);
    }
    for (addr, holders) in by_addr.iter().filter(|(_, h)| h.len() > 1) {
        failures.push(format!("{addr} given to {} clients", holders.len()));
    }
    for (ia, addrs) in by_ia.iter().filter(|(_, a)| a.len() > 1) {
        failures.push(format!("{} IAID {} got {addrs:?}", ia.0, ia.1));
    }
    by_ia.len()
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_lease() {
    require_root();
    require_program("perfdhcp");
    require_program("tcpdump");
    let client = Netns::new("cc");
    let server = Netns::new("cs");
    veth(&client, "c0", &server, "s0");
    client.addr("c0", "2001:db8:1::2/64");
    server.addr("s0", "2001:db8:1::1/64");
    let s = Scratch::new(&format!("{}-files", server.name));
    let conf = s.write("dhcp6s.conf", CONF);
    let pcap = s.path("replies.pcap");
    // No lease-file: the instance for s0 keeps its own journal.
    let journal = s.path("dhcp6s.s0.leases");

    let mut tcpdump = capture_replies(&client, &pcap);
    let mut dhcp6s = start_server(&server, &s, &conf);
    let mut perfdhcp = perfdhcp_load(&client);

    let mut rng = XorShift::from_clock();
    let seed = rng.0;
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for round in 0..ROUNDS {
        // A random moment into this run of the server; then tcpdump has
        // time to write out what it captured before the kill.
        let killed_at = kill_at_random_moment(&mut dhcp6s, &mut rng);
        dhcp6s = start_server(&server, &s, &conf);
        let bound = dumped_leases(&journal);
        let acked: BTreeSet<Lease> = captured_leases(&std::fs::read(&pcap).unwrap())
            .into_iter()
            .filter(|(ts, _)| *ts < killed_at)
            .map(|(_, l)| l)
            .collect();
        let lost: Vec<&Lease> = acked.difference(&bound).collect();
        println!(
            "round {round}: {} leases acknowledged so far ({} in this run of the server), {} bound after restart, {} lost",
            acked.len(),
            acked.len() - checked,
            bound.len(),
            lost.len()
        );
        if !lost.is_empty() {
            failures.push(format!(
                "round {round}: lost {:?}",
                &lost[..lost.len().min(5)]
            ));
        }
        checked = acked.len();
    }
    assert!(perfdhcp.alive(), "perfdhcp ran throughout");
    drop(perfdhcp);
    std::thread::sleep(Duration::from_millis(300));
    tcpdump.signal("INT");
    let _ = tcpdump.wait_exit(Duration::from_secs(5));
    // Bound-but-not-captured leases are mostly Replies tcpdump missed
    // under load (its drop count), or sent after their records were
    // synced but before the kill was noticed; never the other way round.
    for l in tcpdump.log().lines().filter(|l| l.contains("packets")) {
        println!("tcpdump: {l}");
    }
    drop(dhcp6s);

    // Over the whole run, every address has one holder and every IA one address.
    let all = captured_leases(&std::fs::read(&pcap).unwrap());
    let clients = check_one_holder(&all, &mut failures);
    println!(
        "{} Replies with leases captured, {} clients, {} acknowledged before the last kill",
        all.len(),
        clients,
        checked
    );
    assert!(
        checked > 1000,
        "too few leases acknowledged ({checked}) for the test to mean anything"
    );
    assert!(failures.is_empty(), "seed {seed}: {failures:#?}");
}
