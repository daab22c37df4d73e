//! dhcp4s's PostgreSQL lease store (doc/postgresql.md, the `lease4`
//! section) against a real PostgreSQL 15 started by the test in its own
//! network namespace (tests/common/pg.rs) with Kea 2.2's schema made by
//! `kea-admin db-init pgsql`: two of our dhcp4s, each behind its own
//! dhcp6s, sharing one database under concurrent clients; ours and Kea's
//! kea-dhcp4 sharing one; and the database stopped and started.
//!
//! The tests take turns (one lock): each runs several daemons and a
//! database.

// Network namespaces: Linux only; the store exists only with the
// `postgresql` feature (tools/test.sh enables it).
#![cfg(all(target_os = "linux", feature = "postgresql"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddrV6};
use std::time::Duration;

use common::dhcp4o6::{Client, Identity, Kind};
use common::peers::Scratch;
use common::pg::{serial, Postgres};
use common::{require_program, require_root, veth, Daemon, Netns};
use libdhcp6::dhcp4::{ClientId, MessageType};

/// The database's port inside the test's own namespace.
const PORT: u16 = 5432;
/// Kea's subnet ID of the shared subnet.
const SUBNET_ID: u32 = 1;
const SUBNET: &str = "10.10.10.0/24";
const RANGE: (&str, &str) = ("10.10.10.100", "10.10.10.139");
/// A range that two servers' 30 clients nearly fill: each server's picks
/// collide with the other's leases it has not seen, so the database must
/// decide.
const TIGHT: (&str, &str) = ("10.10.10.100", "10.10.10.131");

/// Client namespaces `pa` (c0) and `pb` (c1), each linked to the server
/// namespace `ps` (s0, s1).
struct TwoLinks {
    a: Netns,
    b: Netns,
    server: Netns,
}

fn two_links() -> TwoLinks {
    require_root();
    let t = TwoLinks {
        a: Netns::new("qa"),
        b: Netns::new("qb"),
        server: Netns::new("qs"),
    };
    veth(&t.a, "c0", &t.server, "s0");
    veth(&t.b, "c1", &t.server, "s1");
    t.a.addr("c0", "2001:db8:1::a/64");
    t.b.addr("c1", "2001:db8:1::b/64");
    t.server.addr("s0", "2001:db8:1::1/64");
    t.server.addr("s1", "2001:db8:1::2/64");
    t
}

/// Our dhcp6s `tag` on `iface`, forwarding DHCPV4-QUERY over the IPC on
/// `[::1]:ipc`.
fn dhcp6s_4o6(ns: &Netns, s: &Scratch, tag: &str, iface: &str, ipc: u16) -> Daemon {
    let conf = s.write(&format!("{tag}6.conf"), &format!("dhcp4o6-port {ipc};\n"));
    let (pid, duid) = (
        s.path(&format!("{tag}6.pid")),
        s.path(&format!("{tag}6.duid")),
    );
    let d = ns.spawn(
        env!("CARGO_BIN_EXE_dhcp6s"),
        &[
            "-f",
            "-d",
            "-c",
            &conf,
            "-P",
            &pid,
            "--duid-file",
            &duid,
            "--memory-leases",
            iface,
        ],
    );
    d.wait_log("server6_init: serving", Duration::from_secs(20));
    d
}

/// dhcp4s.conf for queries the DHCPv6 side received on `iface`, leases
/// in `conninfo`.
fn dhcp4s_conf(ipc: u16, iface: &str, conninfo: &str, server_id: &str) -> String {
    dhcp4s_conf_range(ipc, iface, conninfo, server_id, RANGE)
}

/// [`dhcp4s_conf`] with the dynamic range given.
fn dhcp4s_conf_range(
    ipc: u16,
    iface: &str,
    conninfo: &str,
    server_id: &str,
    range: (&str, &str),
) -> String {
    format!(
        "dhcp4o6-port {ipc};\nserver-identifier {server_id};\n\
         lease-database postgresql \"{conninfo}\";\n\
         subnet {SUBNET} {{\n\tsubnet-id {SUBNET_ID};\n\t4o6-interface {iface};\n\
         \trange {} to {};\n\tlease-time 600;\n\toption routers 10.10.10.1;\n}};\n",
        range.0, range.1
    )
}

/// Our dhcp4s `tag` with `conf`, once it serves.
fn dhcp4s(ns: &Netns, s: &Scratch, tag: &str, conf: &str) -> Daemon {
    let conf = s.write(&format!("{tag}4.conf"), conf);
    let pid = s.path(&format!("{tag}4.pid"));
    let key = s.path(&format!("{tag}4.key"));
    let d = ns.spawn(
        env!("CARGO_BIN_EXE_dhcp4s"),
        &["-f", "-d", "-c", &conf, "-P", &pid, "-k", &key],
    );
    d.wait_log("server4_init: serving", Duration::from_secs(20));
    d
}

/// A client of `side` (0xa0, 0xb0, ...) number `n`, with option 61.
fn who(side: u8, n: u8) -> Identity {
    let chaddr = [2, 0, 0, side, 4, n];
    Identity {
        chaddr,
        client_id: Some(ClientId::Typed {
            id_type: 1,
            id: chaddr.to_vec(),
        }),
    }
}

/// DISCOVER, OFFER, REQUEST, ACK, started again after a NAK or silence
/// (a claim lost to the other server withholds the turn's answers, and
/// the next attempt gets another address): the acknowledged address.
fn lease(c: &mut Client, to: SocketAddrV6, who: &Identity) -> Option<Ipv4Addr> {
    lease_hinted(c, to, who, None)
}

/// [`lease`] asking for `hint` (option 50) in the DISCOVER.
fn lease_hinted(
    c: &mut Client,
    to: SocketAddrV6,
    who: &Identity,
    hint: Option<Ipv4Addr>,
) -> Option<Ipv4Addr> {
    for _ in 0..6 {
        let Ok(offer) = c.ask(to, who, Kind::Discover { hint }) else {
            continue;
        };
        if offer.message_type() != Some(MessageType::Offer) {
            continue;
        }
        let Some(server_id) = offer.server_id() else {
            continue;
        };
        let req = Kind::Selecting {
            server_id,
            requested: offer.yiaddr,
        };
        match c.ask(to, who, req) {
            Ok(ack) if ack.message_type() == Some(MessageType::Ack) => return Some(ack.yiaddr),
            _ => {}
        }
    }
    None
}

/// The live rows of `lease4`: address → (client_id hex, hwaddr hex,
/// subnet_id, state).
fn table(pg: &Postgres) -> BTreeMap<Ipv4Addr, (String, String, i64, i64)> {
    pg.psql(
        "SELECT address, encode(client_id, 'hex'), encode(hwaddr, 'hex'), subnet_id, state \
         FROM lease4 WHERE expire > now()",
    )
    .lines()
    .filter_map(|l| {
        let f: Vec<&str> = l.split('|').collect();
        Some((
            Ipv4Addr::from(f.first()?.parse::<u32>().ok()?),
            (
                f.get(1)?.to_string(),
                f.get(2)?.to_string(),
                f.get(3)?.parse().ok()?,
                f.get(4)?.parse().ok()?,
            ),
        ))
    })
    .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Checks the acknowledged leases against each other and the table: no
/// address to two clients, every one in `lease4` for its client, with
/// the hardware address Kea keeps beside the client identifier.
fn check_leases(pg: &Postgres, acked: &[(Identity, Ipv4Addr)], failures: &mut Vec<String>) {
    let mut holders: BTreeMap<Ipv4Addr, BTreeSet<[u8; 6]>> = BTreeMap::new();
    for (w, a) in acked {
        holders.entry(*a).or_default().insert(w.chaddr);
    }
    for (a, h) in &holders {
        if h.len() > 1 {
            failures.push(format!("{a} acknowledged to {} clients: {h:?}", h.len()));
        }
    }
    let rows = table(pg);
    for (w, a) in acked {
        let mut id = vec![1];
        id.extend_from_slice(&w.chaddr);
        match rows.get(a) {
            Some((cid, hw, sub, 0)) if *cid == hex(&id) && *hw == hex(&w.chaddr) => {
                if *sub != i64::from(SUBNET_ID) {
                    failures.push(format!("{a}: subnet_id {sub}"));
                }
            }
            other => failures.push(format!("{a} for {:?}: row {other:?}", w.chaddr)),
        }
    }
}

/// Two dhcp4s, each behind its own dhcp6s (links a and b), one database,
/// clients on both links at once: no address to two clients (answers and
/// table), every acknowledged lease in the table for its client, and a
/// client bound at one server renews and rebinds at the other.
#[test]
fn two_dhcp4s_share_one_database() {
    let _one = serial();
    let t = two_links();
    let s = Scratch::new(&format!("{}-files", t.server.name));
    let pg = Postgres::start(&t.server, &s.dir, PORT);
    let conninfo = pg.conninfo();
    let _a6 = dhcp6s_4o6(&t.server, &s, "a", "s0", 6767);
    let _b6 = dhcp6s_4o6(&t.server, &s, "b", "s1", 6777);
    let conf = |ipc, iface, id| dhcp4s_conf_range(ipc, iface, &conninfo, id, TIGHT);
    let mut a4 = dhcp4s(&t.server, &s, "a", &conf(6767, "s0", "10.10.10.2"));
    let mut b4 = dhcp4s(&t.server, &s, "b", &conf(6777, "s1", "10.10.10.3"));
    // Client n of each side asks for the same address: both servers
    // offer it, and the database gives it to one of them.
    let side = |ns: &Netns, ifname: &str, tag: u8| {
        let mut c = Client::new(ns);
        let to = Client::all_servers(ns.ifindex(ifname));
        (0u8..15)
            .map(|n| {
                let hint = Some(Ipv4Addr::new(10, 10, 10, 100 + n));
                (who(tag, n), lease_hinted(&mut c, to, &who(tag, n), hint))
            })
            .collect::<Vec<_>>()
    };
    let (ra, rb) = std::thread::scope(|sc| {
        let ja = sc.spawn(|| side(&t.a, "c0", 0xa0));
        let jb = sc.spawn(|| side(&t.b, "c1", 0xb0));
        (ja.join().unwrap(), jb.join().unwrap())
    });
    let mut failures = Vec::new();
    let mut acked = Vec::new();
    for (w, got) in ra.into_iter().chain(rb) {
        match got {
            Some(a) => acked.push((w, a)),
            None => failures.push(format!("no lease for {:?}", w.chaddr)),
        }
    }
    check_leases(&pg, &acked, &mut failures);
    // A client bound at a renews (U=1) and rebinds (U=0) at b, keeping
    // its address: b reads it from the table before it answers.
    let bound_at_a = acked.iter().find(|(w, _)| w.chaddr[3] == 0xa0).cloned();
    if let Some((w, addr)) = bound_at_a {
        let mut c = Client::new(&t.b);
        let to = Client::all_servers(t.b.ifindex("c1"));
        for kind in [
            Kind::Renewing { ciaddr: addr },
            Kind::Rebinding { ciaddr: addr },
        ] {
            match c.ask(to, &w, kind) {
                Ok(ack) if ack.message_type() == Some(MessageType::Ack) && ack.yiaddr == addr => {}
                other => failures.push(format!("{kind:?} at b: {other:?}")),
            }
        }
    }
    for d in [&mut a4, &mut b4] {
        assert!(d.alive(), "a dhcp4s died: {}", d.log());
    }
    let ca = common::peers::counters(&a4, "lease database:");
    let cb = common::peers::counters(&b4, "lease database:");
    let lost = |log: &str| {
        log.lines()
            .rev()
            .find_map(|l| l.split(" not, ").nth(1))
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // The test means something only when the servers' picks collided.
    if lost(&ca) + lost(&cb) == 0 {
        failures.push("no claim was lost: the database decided nothing".into());
    }
    assert!(
        failures.is_empty(),
        "{failures:#?}\n--- a:\n{}\n--- b:\n{}",
        a4.log(),
        b4.log()
    );
}

/// PostgreSQL stopped under dhcp4s and started again: dhcp4s keeps
/// running, acknowledges nothing while the database is gone (logging it
/// once), loses no lease it acknowledged, and serves again.
#[test]
fn database_stopped_and_started() {
    let _one = serial();
    let t = two_links();
    let s = Scratch::new(&format!("{}-files", t.server.name));
    let pg = Postgres::start(&t.server, &s.dir, PORT);
    let _a6 = dhcp6s_4o6(&t.server, &s, "a", "s0", 6767);
    let mut a4 = dhcp4s(
        &t.server,
        &s,
        "a",
        &dhcp4s_conf(6767, "s0", &pg.conninfo(), "10.10.10.2"),
    );
    let mut c = Client::new(&t.a);
    let to = Client::all_servers(t.a.ifindex("c0"));
    let mut acked = Vec::new();
    for n in 0..4 {
        let w = who(0xa0, n);
        let a = lease(&mut c, to, &w).unwrap_or_else(|| panic!("no lease: {}", a4.log()));
        acked.push((w, a));
    }
    pg.stop_server("fast");
    // Nothing that records a lease is acknowledged meanwhile.
    c.tries = 1;
    let late = who(0xa0, 9);
    for _ in 0..3 {
        if let Ok(offer) = c.ask(to, &late, Kind::Discover { hint: None }) {
            let req = Kind::Selecting {
                server_id: offer.server_id().unwrap(),
                requested: offer.yiaddr,
            };
            if let Ok(m) = c.ask(to, &late, req) {
                assert_ne!(
                    m.message_type(),
                    Some(MessageType::Ack),
                    "ACK without a database: {}",
                    a4.log()
                );
            }
        }
    }
    assert!(a4.alive(), "dhcp4s died: {}", a4.log());
    pg.start_server();
    assert!(pg.wait_ready(Duration::from_secs(30)));
    c.tries = 3;
    let back = lease(&mut c, to, &late);
    assert!(back.is_some(), "not served again: {}", a4.log());
    acked.push((late, back.unwrap()));
    let mut failures = Vec::new();
    check_leases(&pg, &acked, &mut failures);
    let log = a4.log();
    let down = log
        .matches("reconnecting, writes refused meanwhile")
        .count();
    let withheld = log.matches("answers that record leases withheld").count();
    if down != 1 || withheld != 1 {
        failures.push(format!(
            "the outage logged {down} and {withheld} times, not once each"
        ));
    }
    assert!(a4.alive(), "dhcp4s died: {log}");
    assert!(failures.is_empty(), "{failures:#?}\n{log}");
}

/// Kea's kea-dhcp4 (behind our dhcp6s on link b) and our dhcp4s (link a)
/// share the database: no address to two clients, each server extends
/// the other's client on a REBINDING keeping its address, and
/// `kea-admin lease-dump pgsql -4` lists our leases.
#[test]
fn kea_dhcp4_and_ours_share_one_database() {
    let _one = serial();
    let kea = require_program("kea-dhcp4");
    let t = two_links();
    let s = Scratch::new(&format!("{}-files", t.server.name));
    let pg = Postgres::start(&t.server, &s.dir, PORT);
    let _a6 = dhcp6s_4o6(&t.server, &s, "a", "s0", 6767);
    let _b6 = dhcp6s_4o6(&t.server, &s, "b", "s1", 6777);
    let mut a4 = dhcp4s(
        &t.server,
        &s,
        "a",
        &dhcp4s_conf(6767, "s0", &pg.conninfo(), "10.10.10.2"),
    );
    // kea-dhcp4 needs an IPv4 address on the interface its 4o6 selector
    // names (see tests/dhcp4o6_kea.rs).
    t.server
        .exec(["ip", "addr", "add", "192.0.2.2/24", "dev", "s1"]);
    let kea_conf = format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": [ "s1" ], "dhcp-socket-type": "udp" }},
  "lease-database": {},
  "dhcp4o6-port": 6777,
  "valid-lifetime": 600, "renew-timer": 200, "rebind-timer": 400,
  "subnet4": [ {{ "id": {SUBNET_ID}, "subnet": "{SUBNET}", "4o6-interface": "s1",
    "pools": [ {{ "pool": "{} - {}" }} ],
    "option-data": [ {{ "name": "routers", "data": "10.10.10.1" }} ] }} ],
  "loggers": [ {{ "name": "kea-dhcp4", "output_options": [ {{ "output": "stdout" }} ], "severity": "INFO" }} ]
}} }}"#,
        pg.kea_lease_database(),
        RANGE.0,
        RANGE.1
    );
    let kea_conf = s.write("kea4.conf", &kea_conf);
    let dir = s.dir.to_string_lossy().into_owned();
    let kea_d = t.server.spawn_env(
        kea.to_str().unwrap(),
        &["-c", &kea_conf],
        &[("KEA_LOCKFILE_DIR", &dir), ("KEA_PIDFILE_DIR", &dir)],
    );
    kea_d.wait_log("DHCP4_STARTED", Duration::from_secs(20));
    let mut failures = Vec::new();
    let (mut ours, mut keas) = (Vec::new(), Vec::new());
    let mut ca = Client::new(&t.a);
    let mut cb = Client::new(&t.b);
    let (to_a, to_b) = (
        Client::all_servers(t.a.ifindex("c0")),
        Client::all_servers(t.b.ifindex("c1")),
    );
    for n in 0u8..8 {
        let (wa, wb) = (who(0xa0, n), who(0xb0, n));
        match lease(&mut ca, to_a, &wa) {
            Some(a) => ours.push((wa, a)),
            None => failures.push(format!("no lease from ours for {n}")),
        }
        match lease(&mut cb, to_b, &wb) {
            Some(a) => keas.push((wb, a)),
            None => failures.push(format!("no lease from Kea for {n}")),
        }
    }
    let all: Vec<_> = ours.iter().chain(&keas).cloned().collect();
    check_leases(&pg, &all, &mut failures);
    // Each server extends the other's client on a REBINDING (broadcast,
    // ciaddr set), keeping its address.
    let tries = [
        ("Kea", &mut cb, to_b, ours.first()),
        ("ours", &mut ca, to_a, keas.first()),
    ];
    for (server, c, to, l) in tries {
        let Some((w, addr)) = l else { continue };
        match c.ask(to, w, Kind::Rebinding { ciaddr: *addr }) {
            Ok(ack) if ack.message_type() == Some(MessageType::Ack) && ack.yiaddr == *addr => {}
            other => failures.push(format!(
                "{server}'s answer to the other's client's REBINDING: {other:?}"
            )),
        }
    }
    let dump = pg.kea_lease_dump4();
    for (_, a) in &ours {
        if !dump.lines().any(|l| l.starts_with(&format!("{a},"))) {
            failures.push(format!("kea-admin lease-dump -4 lacks {a}"));
        }
    }
    assert!(a4.alive(), "dhcp4s died: {}", a4.log());
    assert!(
        failures.is_empty(),
        "{failures:#?}\n--- ours:\n{}\n--- Kea:\n{}\n--- dump:\n{dump}",
        a4.log(),
        kea_d.log()
    );
}
