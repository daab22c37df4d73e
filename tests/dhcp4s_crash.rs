//! dhcp4s's lease journal under fire, as tests/server_crash.rs does for
//! dhcp6s: examples/dhcp4o6_load plays thousands of DHCPv4-over-DHCPv6
//! clients (full DORA exchanges, continuous load) through our dhcp6s to
//! dhcp4s, and dhcp4s is killed with SIGKILL at random moments, then
//! restarted. The generator logs every DHCPACK it receives. After each
//! restart, every lease an ACK granted before the kill must be in the
//! journal (`dhcp4s --dump-leases`) for the same client identifier and
//! address. A few clients acknowledged by each killed process are picked;
//! once the load has stopped they ask the last dhcp4s again (DHCPREQUEST
//! in INIT-REBOOT) and must be acknowledged the same address: the
//! restarted servers held them, not only the file. Over the whole run no
//! address may go to two clients and no client may get two addresses.
//!
//! dhcp6s stays in front, as in service, rather than the test speaking
//! Kea's IPC to dhcp4s directly: the generator is an RFC 7341 client, so
//! the load takes the real path (DHCPV4-QUERY, the IPC both ways,
//! DHCPV4-RESPONSE), and dhcp6s keeps no 4o6 state, so killing dhcp4s
//! alone tests dhcp4s's journal alone.

// Network namespaces: these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};
use std::process::Command;
use std::time::Duration;

use common::crash::{kill_at_random_moment, now_us, XorShift};
use common::dhcp4o6::{Client, Identity, Kind};
use common::peers::Scratch;
use common::{require_root, run, veth, Daemon, Netns};
use libdhcp6::dhcp4::{MessageType, OptionCode, OptionRepr};

/// Kill-and-restart rounds.
const ROUNDS: usize = 20;
/// New exchanges per second: REQUESTs often arrive together in one of
/// dhcp4s's loop turns (so group commits hold several records), and below
/// what a debug build on a loaded machine answers.
const RATE: &str = "300";
/// Clients acknowledged by each killed process that ask again at the end.
const REASK: usize = 3;
/// The IPC port pair on the server namespace's loopback.
const IPC_PORT: u16 = 6767;
/// The load generator's address on the client link; the scripted client
/// that asks again uses CLIENT2 (both on port 546).
const LOAD_ADDR: &str = "2001:db8:1::2";
const CLIENT2: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 3);

/// One DHCPACK the generator received.
#[derive(Debug, Clone)]
struct Ack {
    /// When it arrived, µs since the epoch.
    ts_us: u64,
    hw: [u8; 6],
    /// Option 61's data.
    client_id: Vec<u8>,
    addr: Ipv4Addr,
}

impl Ack {
    /// The client as `dhcp4s --dump-leases` names it.
    fn client(&self) -> String {
        format!("id:{}", hex(&self.client_id))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|o| format!("{o:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    s.split(':')
        .map(|o| u8::from_str_radix(o, 16).ok())
        .collect()
}

/// The ACKs in the generator's log so far (`UNIX-µs chaddr client-id
/// yiaddr`); a line cut short at the end (still being written) is skipped.
fn read_acks(path: &str) -> Vec<Ack> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let [ts, hw, id, addr] = f.as_slice() else {
                return None;
            };
            Some(Ack {
                ts_us: ts.parse().ok()?,
                hw: unhex(hw)?.try_into().ok()?,
                client_id: unhex(id)?,
                addr: addr.parse().ok()?,
            })
        })
        .collect()
}

/// (client, address) of every lease `dhcp4s --dump-leases` lists.
fn dumped_leases(journal: &str) -> BTreeSet<(String, Ipv4Addr)> {
    let out = run(env!("CARGO_BIN_EXE_dhcp4s"), ["--dump-leases", journal]);
    assert!(out.status.success(), "--dump-leases: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("quarantined"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[1].to_string(), f[0].parse().unwrap())
        })
        .collect()
}

/// examples/dhcp4o6_load, built by cargo for this run (cargo has released
/// its build lock by the time tests run), with the test's own profile.
fn load_generator() -> String {
    let mut args = vec![
        "build",
        "--example",
        "dhcp4o6_load",
        "--message-format=json",
        "--manifest-path",
        concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
    ];
    if !cfg!(debug_assertions) {
        args.push("--release");
    }
    let out = Command::new(env!("CARGO")).args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "cargo build --example dhcp4o6_load: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = "\"executable\":\"";
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("dhcp4o6_load"))
        .find_map(|l| {
            let rest = &l[l.find(key)? + key.len()..];
            Some(rest[..rest.find('"')?].to_string())
        })
        .expect("cargo named no dhcp4o6_load executable")
}

/// dhcp4s serving 10.0.0.0/14 (more addresses than 600 s of load asks
/// for) to what dhcp6s received on s0, with long leases (none expires
/// during the test) and its journal at `journal`.
fn dhcp4s_conf(journal: &str) -> String {
    format!(
        "dhcp4o6-port {IPC_PORT};\nserver-identifier 192.0.2.1;\nlease-file \"{journal}\";\n\
         subnet 10.0.0.0/14 {{\n\t4o6-interface s0;\n\trange 10.0.0.10 to 10.3.255.250;\n\
         \tlease-time 4000;\n}};\n"
    )
}

fn start_dhcp4s(ns: &Netns, s: &Scratch, conf: &str) -> Daemon {
    // -d, not -D: a debug line per packet would slow the server under load.
    let d = ns.spawn(
        env!("CARGO_BIN_EXE_dhcp4s"),
        &[
            "-f",
            "-d",
            "-c",
            conf,
            "-P",
            &s.path("dhcp4s.pid"),
            "-k",
            &s.path("no-key"),
        ],
    );
    d.wait_log("server4_init: serving", Duration::from_secs(10));
    d
}

/// Our dhcp6s on s0, passing DHCPV4-QUERY to dhcp4s; it has no DHCPv6
/// leases to keep.
fn start_dhcp6s(ns: &Netns, s: &Scratch) -> Daemon {
    let conf = s.write("dhcp6s.conf", &format!("dhcp4o6-port {IPC_PORT};\n"));
    let d = ns.spawn(
        env!("CARGO_BIN_EXE_dhcp6s"),
        &[
            "-f",
            "-d",
            "--memory-leases",
            "-c",
            &conf,
            "-P",
            &s.path("dhcp6s.pid"),
            "--duid-file",
            &s.path("dhcp6s.duid"),
            "s0",
        ],
    );
    d.wait_log("server6_init: serving", Duration::from_secs(10));
    d
}

/// The generator on LOAD_ADDR for the whole test (bounded at 600 s: the
/// test kills it after the last round),
/// logging every ACK to `ack_log`.
fn start_load(client: &Netns, ack_log: &str) -> Daemon {
    let program = load_generator();
    client.spawn(
        &program,
        &[
            "-i",
            "c0",
            "-b",
            LOAD_ADDR,
            "-r",
            RATE,
            "-p",
            "600",
            "-t",
            "3000",
            "--ack-log",
            ack_log,
        ],
    )
}

/// The client of `ack` asks again (DHCPREQUEST in INIT-REBOOT for its
/// address); `Err` says what came instead of an ACK for the same address.
fn reask(c: &mut Client, to: SocketAddrV6, ack: &Ack) -> Result<(), String> {
    let OptionRepr::ClientId(id) = OptionRepr::parse(OptionCode::ClientId, &ack.client_id)
        .map_err(|e| format!("client identifier {}: {e}", hex(&ack.client_id)))?
    else {
        return Err("not a client identifier".into());
    };
    let who = Identity {
        chaddr: ack.hw,
        client_id: Some(id),
    };
    let requested = ack.addr;
    let answer = c
        .ask(to, &who, Kind::InitReboot { requested })
        .map_err(|e| format!("{} asking again for {requested}: {e}", ack.client()))?;
    if answer.message_type() == Some(MessageType::Ack) && answer.yiaddr == requested {
        Ok(())
    } else {
        Err(format!(
            "{} asking again for {requested}: {:?} for {}",
            ack.client(),
            answer.message_type(),
            answer.yiaddr
        ))
    }
}

/// Adds a failure for every address acknowledged to two clients and every
/// client acknowledged two addresses; returns how many clients were seen.
fn check_one_holder(acks: &[Ack], failures: &mut Vec<String>) -> usize {
    let mut by_addr: BTreeMap<Ipv4Addr, BTreeSet<String>> = BTreeMap::new();
    let mut by_client: BTreeMap<String, BTreeSet<Ipv4Addr>> = BTreeMap::new();
    for a in acks {
        by_addr.entry(a.addr).or_default().insert(a.client());
        by_client.entry(a.client()).or_default().insert(a.addr);
    }
    for (addr, holders) in by_addr.iter().filter(|(_, h)| h.len() > 1) {
        failures.push(format!("{addr} given to {holders:?}"));
    }
    for (client, addrs) in by_client.iter().filter(|(_, a)| a.len() > 1) {
        failures.push(format!("{client} got {addrs:?}"));
    }
    by_client.len()
}

/// What one round found missing: acknowledged before the kill but not in
/// the journal, clients holding two addresses there, and re-asking clients
/// the new process did not acknowledge.
fn check_round(
    round: usize,
    acked: &[&Ack],
    bound: &BTreeSet<(String, Ipv4Addr)>,
    failures: &mut Vec<String>,
) {
    let lost: Vec<String> = acked
        .iter()
        .filter(|a| !bound.contains(&(a.client(), a.addr)))
        .map(|a| format!("{} {}", a.client(), a.addr))
        .collect();
    if !lost.is_empty() {
        failures.push(format!(
            "round {round}: {} lost, e.g. {:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        ));
    }
    let mut addrs_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (client, _) in bound {
        *addrs_of.entry(client).or_default() += 1;
    }
    for (client, n) in addrs_of.iter().filter(|(_, n)| **n > 1) {
        failures.push(format!("round {round}: {client} bound to {n} addresses"));
    }
}

/// The namespaces, daemons and files of one run.
struct Rig {
    client: Netns,
    server: Netns,
    s: Scratch,
    journal: String,
    conf: String,
    ack_log: String,
}

fn rig() -> Rig {
    require_root();
    let client = Netns::new("4c");
    let server = Netns::new("4s");
    veth(&client, "c0", &server, "s0");
    client.addr("c0", &format!("{LOAD_ADDR}/64"));
    client.addr("c0", &format!("{CLIENT2}/64"));
    server.addr("s0", "2001:db8:1::1/64");
    let s = Scratch::new(&format!("{}-files", server.name));
    let journal = s.path("dhcp4s.leases");
    let conf = s.write("dhcp4s.conf", &dhcp4s_conf(&journal));
    let ack_log = s.path("acks.log");
    Rig {
        client,
        server,
        s,
        journal,
        conf,
        ack_log,
    }
}

/// The clients picked in the rounds ask the last dhcp4s again, now that
/// the load has stopped (so that an answer late under load is not taken
/// for a lost lease).
fn reask_all(r: &Rig, picked: &[Ack], failures: &mut Vec<String>) {
    let c0 = r.client.ifindex("c0");
    let mut asker = Client::bound(&r.client, SocketAddrV6::new(CLIENT2, 546, 0, c0));
    asker.wait = Duration::from_secs(2);
    for ack in picked {
        if let Err(e) = reask(&mut asker, Client::all_servers(c0), ack) {
            failures.push(e);
        }
    }
}

#[test]
fn dhcp4s_sigkill_under_load_loses_no_acknowledged_lease() {
    let r = rig();
    let _dhcp6s = start_dhcp6s(&r.server, &r.s);
    let mut dhcp4s = start_dhcp4s(&r.server, &r.s, &r.conf);
    let mut load = start_load(&r.client, &r.ack_log);

    let mut rng = XorShift::from_clock();
    let seed = rng.0;
    let mut failures = Vec::new();
    let (mut checked, mut started_at) = (0usize, now_us());
    let mut picked: Vec<Ack> = Vec::new();
    for round in 0..ROUNDS {
        // A random moment into this run of the server; then answers
        // already on their way arrive and are logged.
        let killed_at = kill_at_random_moment(&mut dhcp4s, &mut rng);
        dhcp4s = start_dhcp4s(&r.server, &r.s, &r.conf);
        let bound = dumped_leases(&r.journal);
        let all = read_acks(&r.ack_log);
        let acked: Vec<&Ack> = all.iter().filter(|a| a.ts_us < killed_at).collect();
        check_round(round, &acked, &bound, &mut failures);
        // A few clients the killed process acknowledged, to ask again at the end.
        let last_run: Vec<&Ack> = acked
            .iter()
            .copied()
            .filter(|a| a.ts_us >= started_at)
            .collect();
        for _ in 0..REASK.min(last_run.len()) {
            picked.push(last_run[usize::try_from(rng.next()).unwrap() % last_run.len()].clone());
        }
        println!(
            "round {round}: {} leases acknowledged so far ({} by the killed process), {} bound after restart",
            acked.len(),
            last_run.len(),
            bound.len()
        );
        checked = acked.len();
        started_at = now_us();
    }
    if !load.alive() {
        failures.push("the load generator ended before the last round".into());
    }
    load.signal("KILL");
    let _ = load.wait_exit(Duration::from_secs(5));
    reask_all(&r, &picked, &mut failures);
    drop(dhcp4s);

    // Over the whole run, every address has one holder and every client one address.
    let all = read_acks(&r.ack_log);
    let clients = check_one_holder(&all, &mut failures);
    println!(
        "{} ACKs, {clients} clients, {checked} acknowledged before the last kill, {} asked again",
        all.len(),
        picked.len()
    );
    assert!(
        checked > 1000,
        "too few leases acknowledged ({checked}) for the test to mean anything"
    );
    assert!(failures.is_empty(), "seed {seed}: {failures:#?}");
}
