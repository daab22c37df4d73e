//! The PostgreSQL lease store (doc/postgresql.md) against real PostgreSQL
//! 15 servers from Debian's packages, each started by the test in its own
//! network namespace (tests/common/pg.rs) with Kea 2.2's schema made by
//! `kea-admin db-init pgsql`: two of our servers sharing one database
//! under load, ours and Kea's kea-dhcp6 sharing one, the database
//! restarted under load, our server killed under load, and a primary
//! failing over to its streaming replica.
//!
//! The tests take turns (one lock): each runs several daemons and a
//! database, and timing on a busy machine is what they measure.

// Network namespaces (and the peers' Linux builds): Linux only; the store
// exists only with the `postgresql` feature (tools/test.sh enables it).
#![cfg(all(target_os = "linux", feature = "postgresql"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::collections::BTreeSet;
use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};
use std::time::Duration;

use common::load::{capture_replies, captured_leases, check_one_holder, perfdhcp_load, Lease};
use common::peers::Scratch;
use common::pg::{serial, Postgres};
use common::{lease_one, require_program, require_root, veth, Daemon, Netns};
use libdhcp6::codes::MessageType;
use libdhcp6::duid::Duid;
use libdhcp6::wire::{IaAddr, IaNa, MessageRepr, OptionRepr};

/// The port every test's database listens on, inside the test's own
/// namespace (where nothing else listens).
const PORT: u16 = 5432;
/// Kea's subnet of the pool.
const SUBNET_ID: u32 = 1;
const POOL: (&str, &str) = ("2001:db8:1::1:0:0", "2001:db8:1::1:ffff:ffff");

/// dhcp6s.conf for a server on `iface` with its leases in `conninfo`.
fn conf(conninfo: &str, iface: &str) -> String {
    format!(
        "lease-database postgresql \"{conninfo}\";\n\
         pool p {{ range {} to {}; subnet-id {SUBNET_ID}; }};\n\
         interface {iface} {{ address-pool p 3000 4000; }};\n",
        POOL.0, POOL.1
    )
}

/// Starts our dhcp6s `tag` on `iface` of `ns` with `conf`, and waits
/// until it serves.
fn our_server(ns: &Netns, s: &Scratch, tag: &str, conf: &str, iface: &str) -> Daemon {
    let d = spawn_ours(ns, s, tag, conf, iface);
    d.wait_log("server6_init: serving", Duration::from_secs(20));
    d
}

/// Starts our dhcp6s `tag` on `iface` of `ns` with `conf`.
fn spawn_ours(ns: &Netns, s: &Scratch, tag: &str, conf: &str, iface: &str) -> Daemon {
    let conf = s.write(&format!("{tag}.conf"), conf);
    let (pid, duid) = (
        s.path(&format!("{tag}.pid")),
        s.path(&format!("{tag}.duid")),
    );
    // -d, not -D: a debug line per packet would slow the server under load.
    ns.spawn(
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
            iface,
        ],
    )
}

/// The leases in the table, as (DUID, IAID) → address, for IA_NA rows in
/// use.
fn table_leases(pg: &Postgres) -> BTreeSet<Lease> {
    pg.leases()
        .into_iter()
        .filter(|l| l.3 == 0 && l.4 == 0)
        .map(|(addr, duid, iaid, _, _)| {
            let bytes: Vec<u8> = (0..duid.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&duid[i..i + 2], 16).unwrap())
                .collect();
            let iaid = u32::from_ne_bytes(i32::try_from(iaid).unwrap().to_ne_bytes());
            (
                (Duid::from_bytes(&bytes).unwrap(), iaid),
                addr.parse().unwrap(),
            )
        })
        .collect()
}

/// A Rebind (no Server ID) for `lease` from `ifname` of `ns`: the address
/// and valid lifetime the Reply gives, if one comes.
fn rebind(ns: &Netns, ifname: &str, lease: &Lease) -> Option<(Ipv6Addr, u32)> {
    extend(ns, ifname, lease, None)
}

/// A Renew for `lease` to the server with DUID `server` (or a Rebind
/// without one), multicast from `ifname` of `ns`: the address and valid
/// lifetime the Reply gives, if one comes.
fn extend(
    ns: &Netns,
    ifname: &str,
    lease: &Lease,
    server: Option<Duid>,
) -> Option<(Ipv6Addr, u32)> {
    let ifindex = ns.ifindex(ifname);
    let ((duid, iaid), addr) = lease.clone();
    ns.run_in(move || {
        let sock = UdpSocket::bind("[::]:546").expect("bind [::]:546");
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let to = SocketAddrV6::new("ff02::1:2".parse().unwrap(), 547, 0, ifindex);
        let mut options = vec![OptionRepr::ClientId(duid)];
        let msg_type = match server {
            Some(s) => {
                options.push(OptionRepr::ServerId(s));
                MessageType::Renew
            }
            None => MessageType::Rebind,
        };
        options.push(OptionRepr::ElapsedTime(0));
        options.push(OptionRepr::IaNa(IaNa {
            iaid,
            t1: 0,
            t2: 0,
            options: vec![OptionRepr::IaAddr(IaAddr {
                addr,
                preferred_lifetime: 0,
                valid_lifetime: 0,
                options: Vec::new(),
            })],
        }));
        let msg = MessageRepr {
            msg_type,
            transaction_id: 0x4242,
            options,
        };
        sock.send_to(&msg.to_vec().unwrap(), to).unwrap();
        let mut buf = [0u8; 4096];
        // Replies to perfdhcp's clients may still be on their way to port
        // 546: only ours (its transaction-id) counts. Bounded by the
        // socket's timeout and a count.
        let mut reply = None;
        for _ in 0..10_000 {
            // A timeout ends the wait.
            let (len, _) = sock.recv_from(&mut buf).ok()?;
            if let Ok(m) = MessageRepr::from_bytes(&buf[..len]) {
                if m.transaction_id == 0x4242 {
                    reply = Some(m);
                    break;
                }
            }
        }
        let reply = reply?;
        reply.options.iter().find_map(|o| match o {
            OptionRepr::IaNa(i) => i.addresses().next().map(|a| (a.addr, a.valid_lifetime)),
            _ => None,
        })
    })
}

/// Server namespace `ps` with the database and links s0, s1 to client
/// namespaces with c0 and c1, all on 2001:db8:1::/64.
struct TwoLinks {
    a: Netns,
    b: Netns,
    server: Netns,
}

fn two_links() -> TwoLinks {
    require_root();
    let t = TwoLinks {
        a: Netns::new("pa"),
        b: Netns::new("pb"),
        server: Netns::new("ps"),
    };
    veth(&t.a, "c0", &t.server, "s0");
    veth(&t.b, "c1", &t.server, "s1");
    t.a.addr("c0", "2001:db8:1::a/64");
    t.b.addr("c1", "2001:db8:1::b/64");
    t.server.addr("s0", "2001:db8:1::1/64");
    t.server.addr("s1", "2001:db8:1::2/64");
    t
}

/// Two of our servers, one per link, one database, perfdhcp on both links
/// at once: no address is ever given to two clients (captures and
/// table), every acknowledged lease is in the table for its client, and a
/// client bound at one server rebinds and releases at the other.
#[test]
fn two_servers_share_one_database() {
    let _one = serial();
    require_program("perfdhcp");
    require_program("tcpdump");
    let t = two_links();
    let s = Scratch::new(&format!("{}-files", t.server.name));
    let pg = Postgres::start(&t.server, &s.dir, PORT);
    let conninfo = pg.conninfo();
    let mut sa = our_server(&t.server, &s, "a", &conf(&conninfo, "s0"), "s0");
    let mut sb = our_server(&t.server, &s, "b", &conf(&conninfo, "s1"), "s1");
    let (pa, pb) = (s.path("a.pcap"), s.path("b.pcap"));
    let mut ta = capture_replies(&t.a, "c0", &pa);
    let mut tb = capture_replies(&t.b, "c1", &pb);
    // Distinct client populations (perfdhcp varies the low octets of
    // the base MAC it makes DUIDs from).
    let la = perfdhcp_load(&t.a, "c0", "400", "100000", "mac=00:0a:00:00:00:00");
    let lb = perfdhcp_load(&t.b, "c1", "400", "100000", "mac=00:0b:00:00:00:00");
    std::thread::sleep(Duration::from_secs(8));
    drop((la, lb));
    std::thread::sleep(Duration::from_millis(500));
    for d in [&mut ta, &mut tb] {
        d.signal("INT");
        let _ = d.wait_exit(Duration::from_secs(5));
    }
    let from_a: Vec<_> = captured_leases(&std::fs::read(&pa).unwrap());
    let from_b: Vec<_> = captured_leases(&std::fs::read(&pb).unwrap());
    println!(
        "{} leases acknowledged at a, {} at b",
        from_a.len(),
        from_b.len()
    );
    assert!(from_a.len() > 200 && from_b.len() > 200, "too little load");
    let all: Vec<_> = from_a.iter().chain(&from_b).cloned().collect();
    let mut failures = Vec::new();
    check_one_holder(&all, &mut failures);
    let table = table_leases(&pg);
    let missing: Vec<_> = all
        .iter()
        .map(|(_, l)| l)
        .filter(|l| !table.contains(l))
        .take(5)
        .collect();
    if !missing.is_empty() {
        failures.push(format!("acknowledged but not in lease6: {missing:?}"));
    }
    // A client of a rebinds at b and keeps its address, then releases.
    let moved = from_a[from_a.len() / 2].1.clone();
    let got = rebind(&t.b, "c1", &moved);
    match got {
        Some((addr, valid)) if addr == moved.1 && valid > 0 => {}
        other => {
            let hex: String = moved
                .0
                 .0
                .as_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let rows = pg.psql(&format!(
                "SELECT address, iaid, state, expire FROM lease6 WHERE duid = '\\x{hex}'"
            ));
            failures.push(format!(
                "rebind of {moved:?} at b: {other:?}; its rows: {rows}"
            ));
        }
    }
    let row = pg.psql(&format!(
        "SELECT count(*) FROM lease6 WHERE address = '{}' AND expire > now() + interval '3900 seconds'",
        moved.1
    ));
    if row.trim() != "1" {
        failures.push(format!("rebind at b did not extend the row: {row}"));
    }
    for d in [&mut sa, &mut sb] {
        assert!(d.alive(), "a server died: {}", d.log());
    }
    let ca = common::peers::counters(&sa, "lease database:");
    let cb = common::peers::counters(&sb, "lease database:");
    for l in ca
        .lines()
        .chain(cb.lines())
        .filter(|l| l.contains("lease database:"))
    {
        println!("{l}");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Kea's kea-dhcp6 on link b and ours on link a share the database: no
/// address goes to two clients, each server extends the other's client
/// on a Rebind with the address it has, and `kea-admin lease-dump`
/// lists our leases.
#[test]
fn kea_and_ours_share_one_database() {
    let _one = serial();
    let kea = require_program("kea-dhcp6");
    let t = two_links();
    let s = Scratch::new(&format!("{}-files", t.server.name));
    let pg = Postgres::start(&t.server, &s.dir, PORT);
    let _ours = our_server(&t.server, &s, "a", &conf(&pg.conninfo(), "s0"), "s0");
    let kea_conf = format!(
        r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": [ "s1" ] }},
  "lease-database": {},
  "server-id": {{ "type": "EN", "enterprise-id": 2495, "identifier": "6b656131", "persist": false }},
  "renew-timer": 1000, "rebind-timer": 2000, "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "subnet6": [ {{ "id": {SUBNET_ID}, "subnet": "2001:db8:1::/64", "interface": "s1",
    "pools": [ {{ "pool": "{} - {}" }} ] }} ],
  "loggers": [ {{ "name": "kea-dhcp6", "output_options": [ {{ "output": "stdout" }} ], "severity": "INFO" }} ]
}} }}"#,
        pg.kea_lease_database(),
        POOL.0,
        POOL.1
    );
    let kea_conf = s.write("kea.conf", &kea_conf);
    let dir = s.dir.to_string_lossy().into_owned();
    let kea_d = t.server.spawn_env(
        kea.to_str().unwrap(),
        &["-c", &kea_conf],
        &[("KEA_LOCKFILE_DIR", &dir), ("KEA_PIDFILE_DIR", &dir)],
    );
    kea_d.wait_log("DHCP6_STARTED", Duration::from_secs(20));
    let mut failures = Vec::new();
    let mut ours = Vec::new();
    let mut keas = Vec::new();
    for i in 0u8..20 {
        let da = Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0xaa, 0, i]).unwrap();
        let db = Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0xbb, 0, i]).unwrap();
        match lease_one(&t.a, "c0", da.clone(), 0x1000 + u32::from(i)) {
            Some(a) => ours.push(((da, 1), a)),
            None => failures.push(format!("no lease from ours for client {i}")),
        }
        match lease_one(&t.b, "c1", db.clone(), 0x2000 + u32::from(i)) {
            Some(a) => keas.push(((db, 1), a)),
            None => failures.push(format!("no lease from Kea for client {i}")),
        }
    }
    let addrs: BTreeSet<Ipv6Addr> = ours.iter().chain(&keas).map(|l| l.1).collect();
    if addrs.len() != ours.len() + keas.len() {
        failures.push(format!("an address given twice: {ours:?} {keas:?}"));
    }
    let table = table_leases(&pg);
    for l in ours.iter().chain(&keas) {
        if !table.contains(l) {
            failures.push(format!("{l:?} not in lease6"));
        }
    }
    // Each server extends the other's client, keeping its address: a
    // Renew sent to it (as a client told to use it would), then a Rebind.
    let kea_duid = Duid::from_bytes(&[0, 2, 0, 0, 0x09, 0xbf, 0x6b, 0x65, 0x61, 0x31]).unwrap();
    let (our_duid, _) =
        libdhcp6::sys::duid_file::load_or_create(std::path::Path::new(&s.path("a.duid"))).unwrap();
    let tries = [
        ("Kea", &t.b, "c1", ours.first(), Some(kea_duid)),
        ("Kea", &t.b, "c1", ours.get(1), None),
        ("ours", &t.a, "c0", keas.first(), Some(our_duid)),
        ("ours", &t.a, "c0", keas.get(1), None),
    ];
    for (who, ns, ifname, lease, server) in tries {
        let Some(l) = lease else { continue };
        let what = if server.is_some() { "Renew" } else { "Rebind" };
        match extend(ns, ifname, l, server) {
            Some((a, v)) if a == l.1 && v > 0 => {}
            other => failures.push(format!(
                "{who}'s answer to the other's client's {what}: {other:?}"
            )),
        }
    }
    let dump = pg.kea_lease_dump();
    for l in &ours {
        if !dump
            .lines()
            .any(|line| line.starts_with(&format!("{},", l.1)))
        {
            failures.push(format!("kea-admin lease-dump lacks {}", l.1));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}\nKea: {}", kea_d.log());
}

/// Our server `a` on link a of `t` under perfdhcp load, tcpdump capturing,
/// while `during` runs: what `during` returns, and the leases the captured
/// Replies granted with their times.
fn under_load<R>(
    t: &TwoLinks,
    s: &Scratch,
    rate: &str,
    during: impl FnOnce() -> R,
) -> (R, Vec<(u64, Lease)>) {
    require_program("perfdhcp");
    require_program("tcpdump");
    let pcap = s.path("load.pcap");
    let mut tcpdump = capture_replies(&t.a, "c0", &pcap);
    let load = perfdhcp_load(&t.a, "c0", rate, "1000000", "mac=00:0a:00:00:00:00");
    let r = during();
    drop(load);
    std::thread::sleep(Duration::from_millis(500));
    tcpdump.signal("INT");
    let _ = tcpdump.wait_exit(Duration::from_secs(5));
    (r, captured_leases(&std::fs::read(&pcap).unwrap()))
}

/// Failures for acknowledged leases not in `pg`'s table, for addresses
/// given twice, and unless a Reply came within `within` after `since`.
fn check_kept(
    pg: &Postgres,
    all: &[(u64, Lease)],
    since: u64,
    within: Duration,
    failures: &mut Vec<String>,
) {
    check_one_holder(all, failures);
    let table = table_leases(pg);
    let lost: Vec<_> = all.iter().filter(|(_, l)| !table.contains(l)).collect();
    if !lost.is_empty() {
        failures.push(format!(
            "{} acknowledged leases not in lease6, such as {:?}",
            lost.len(),
            &lost[..lost.len().min(3)]
        ));
    }
    let first_after = all.iter().map(|(ts, _)| *ts).filter(|ts| *ts > since).min();
    let limit = since + u64::try_from(within.as_micros()).unwrap();
    if first_after.is_none_or(|ts| ts > limit) {
        failures.push(format!(
            "no Reply within {within:?} (first after: {first_after:?}, from {since})"
        ));
    }
    println!(
        "{} leases acknowledged; first Reply {:?} ms after the database was back",
        all.len(),
        first_after.map(|t| (t - since) / 1000)
    );
}

/// PostgreSQL stopped and started under load: dhcp6s keeps running, loses
/// no acknowledged lease, logs the outage once, and serves again within
/// seconds of the database's return.
#[test]
fn database_restart_under_load() {
    let _one = serial();
    let t = two_links();
    let s = Scratch::new(&format!("{}-files", t.server.name));
    let pg = Postgres::start(&t.server, &s.dir, PORT);
    let mut d = our_server(&t.server, &s, "a", &conf(&pg.conninfo(), "s0"), "s0");
    let (back_at, all) = under_load(&t, &s, "300", || {
        std::thread::sleep(Duration::from_secs(3));
        pg.stop_server("fast");
        std::thread::sleep(Duration::from_secs(3));
        pg.start_server();
        let back = common::crash::now_us();
        std::thread::sleep(Duration::from_secs(8));
        back
    });
    assert!(d.alive(), "dhcp6s died: {}", d.log());
    let mut failures = Vec::new();
    check_kept(&pg, &all, back_at, Duration::from_secs(5), &mut failures);
    let log = d.log();
    // Once per change of state: the store thread's loss and return; the
    // loop's refused turns once a minute.
    let lines = |what: &str| log.lines().filter(|l| l.contains(what)).count();
    let counts = (
        lines("pg_store: lease database unreachable"),
        lines("pg_store: lease database connected"),
        lines("lease store: lease database unreachable"),
    );
    if counts != (1, 2, 1) {
        failures.push(format!("state changes logged {counts:?}"));
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// dhcp6s killed with SIGKILL under load 20 times and restarted: every
/// lease a captured Reply granted before a kill is in the table for its
/// client, and no address went to two clients (as tests/server_crash.rs
/// does for the journal).
#[test]
fn sigkill_under_load_loses_no_acknowledged_lease() {
    let _one = serial();
    let t = two_links();
    let s = Scratch::new(&format!("{}-files", t.server.name));
    let pg = Postgres::start(&t.server, &s.dir, PORT);
    let conf = conf(&pg.conninfo(), "s0");
    let d = our_server(&t.server, &s, "a", &conf, "s0");
    let seed = common::crash::now_us() | 1;
    println!("kill schedule seed {seed}");
    let mut rng = common::crash::XorShift(seed);
    let pcap = s.path("load.pcap");
    let ((d, failures), all) = under_load(&t, &s, "1000", || {
        let mut d = d;
        let mut failures = Vec::new();
        for round in 0..20 {
            std::thread::sleep(Duration::from_millis(200 + rng.next() % 1300));
            d.signal("KILL");
            assert!(
                d.wait_exit(Duration::from_secs(5)).is_some(),
                "survived SIGKILL"
            );
            let killed_at = common::crash::now_us();
            std::thread::sleep(Duration::from_millis(300));
            let table = table_leases(&pg);
            let acked: BTreeSet<Lease> = captured_leases(&std::fs::read(&pcap).unwrap())
                .into_iter()
                .filter(|(ts, _)| *ts < killed_at)
                .map(|(_, l)| l)
                .collect();
            let lost: Vec<_> = acked.difference(&table).take(5).collect();
            println!(
                "round {round}: {} acknowledged, {} in lease6",
                acked.len(),
                table.len()
            );
            if !lost.is_empty() {
                failures.push(format!("round {round}: lost {lost:?}"));
            }
            d = our_server(&t.server, &s, "a", &conf, "s0");
        }
        (d, failures)
    });
    let mut failures = failures;
    check_one_holder(&all, &mut failures);
    drop(d);
    assert!(
        all.len() > 1000,
        "too few leases acknowledged ({})",
        all.len()
    );
    assert!(failures.is_empty(), "seed {seed}: {failures:#?}");
}

/// A primary with a streaming replica (synchronous commit); the primary
/// killed and the replica promoted under load: dhcp6s, given both hosts
/// and target_session_attrs=read-write, continues on the new primary, and
/// every lease acknowledged before the failover is there.
#[test]
fn replica_failover_under_load() {
    let _one = serial();
    let t = two_links();
    let s = Scratch::new(&format!("{}-files", t.server.name));
    let primary = Postgres::start_primary(&t.server, &s.dir, PORT);
    let standby = Postgres::start_standby(&primary, &s.dir, PORT + 1);
    let conninfo = format!(
        "host=127.0.0.1,127.0.0.1 port={},{} dbname={} user={} target_session_attrs=read-write passfile={}",
        PORT,
        PORT + 1,
        common::pg::DB,
        common::pg::USER,
        primary.passfile
    );
    let mut d = our_server(&t.server, &s, "a", &conf(&conninfo, "s0"), "s0");
    let (promoted_at, all) = under_load(&t, &s, "300", || {
        std::thread::sleep(Duration::from_secs(3));
        primary.stop_server("immediate");
        standby.promote();
        let at = common::crash::now_us();
        std::thread::sleep(Duration::from_secs(8));
        at
    });
    assert!(d.alive(), "dhcp6s died: {}", d.log());
    let mut failures = Vec::new();
    check_kept(
        &standby,
        &all,
        promoted_at,
        Duration::from_secs(6),
        &mut failures,
    );
    assert!(failures.is_empty(), "{failures:#?}\n{}", d.log());
}

/// Rows someone else wrote wrong are skipped and counted at start-up, the
/// good ones loaded; a schema of another version stops dhcp6s with a
/// message naming it.
#[test]
fn bad_rows_skipped_and_unknown_schema_refused() {
    let _one = serial();
    let t = two_links();
    let s = Scratch::new(&format!("{}-files", t.server.name));
    let pg = Postgres::start(&t.server, &s.dir, PORT);
    let row = |addr: &str, duid: &str| {
        format!(
            "('{addr}', '\\x{duid}', 4000, now() + interval '1 hour', {SUBNET_ID}, 3000, 0, 1, 128, 0)"
        )
    };
    pg.psql(&format!(
        "INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, \
         lease_type, iaid, prefix_len, state) VALUES {}, {}, {}",
        row("bogus", "000300010a"),
        row("2001:db8:1::1:0:7", "01"),
        row("2001:db8:1::1:0:8", "000300010b")
    ));
    let conf = conf(&pg.conninfo(), "s0");
    let d = our_server(&t.server, &s, "a", &conf, "s0");
    d.wait_log(
        "lease database: 1 leases, 0 declined addresses, 2 bad rows skipped",
        Duration::from_secs(5),
    );
    drop(d);
    pg.psql("UPDATE schema_version SET version = 99");
    let mut d = spawn_ours(&t.server, &s, "a", &conf, "s0");
    assert_eq!(d.wait_exit(Duration::from_secs(20)), Some(1), "{}", d.log());
    assert!(d.log().contains("schema version 99.0"), "{}", d.log());
}
