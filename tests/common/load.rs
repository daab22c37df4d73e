//! Load from Kea's perfdhcp and what its captured Replies granted: shared
//! by the tests that check no acknowledged lease is lost or given twice
//! (the journal's crash test, the PostgreSQL store's tests).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv6Addr;
use std::time::Duration;

use libdhcp6::codes::MessageType;
use libdhcp6::duid::Duid;
use libdhcp6::wire::{MessageRepr, OptionRepr};

use super::pcap::udp6;
use super::{Daemon, Netns};

/// (client DUID, IAID) → address, as a Reply granted it.
pub type Lease = ((Duid, u32), Ipv6Addr);

/// The Replies in a pcap file (Ethernet, IPv6, UDP to port 546) written so
/// far, with their capture time in microseconds since the epoch: the leases
/// they grant. A record cut short at the end (tcpdump still writing) is ignored.
pub fn captured_leases(pcap: &[u8]) -> Vec<(u64, Lease)> {
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

/// tcpdump on `ifname` of `ns`, writing every datagram to port 546 to `pcap`.
pub fn capture_replies(ns: &Netns, ifname: &str, pcap: &str) -> Daemon {
    let tcpdump = ns.spawn(
        "tcpdump",
        // Immediate mode: each packet is handed over as it arrives, not
        // in blocks a second late, so the file is complete soon after a kill.
        &[
            "-i",
            ifname,
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

/// perfdhcp's 4-message exchanges from `ifname` of `ns` at `rate` per
/// second, from up to `clients` clients that vary perfdhcp's `-b` base
/// (`mac=…` or `duid=…`), until dropped.
pub fn perfdhcp_load(ns: &Netns, ifname: &str, rate: &str, clients: &str, base: &str) -> Daemon {
    ns.spawn(
        "perfdhcp",
        &[
            "-6", "-l", ifname, "-r", rate, "-R", clients, "-b", base, "-p", "600",
        ],
    )
}

/// Adds a failure for every address captured with two holders and every IA
/// captured with two addresses; returns how many IAs were seen.
pub fn check_one_holder(all: &[(u64, Lease)], failures: &mut Vec<String>) -> usize {
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
