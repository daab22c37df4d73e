//! One dhcp6s per interface, as Debian's init script starts them
//! (`dhcp6s -k /dev/null -P /var/run/dhcp6s.$INT.pid $INT`), with no
//! `lease-file` in the configuration: each instance keeps its own lease
//! journal (`dhcp6s.<interface>.leases` beside the shared DUID file), a
//! server started for an instance already running refuses, naming the
//! journal and the PID holding it, and the shared journal of an earlier
//! version is kept by the first instance that finds it free
//! (doc/lease-journal.md).

// Network namespaces: these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::net::Ipv6Addr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use common::peers::Scratch;
use common::{require_root, veth, Daemon, Netns};
use libdhcp6::Duid;

const CONF: &str = "\
pool p0 { range 2001:db8:0::1:0 to 2001:db8:0::1:ff; };
pool p1 { range 2001:db8:1::1:0 to 2001:db8:1::1:ff; };
interface s0 { address-pool p0 3000 4000; };
interface s1 { address-pool p1 3000 4000; };
";

/// The argv of a dhcp6s instance for `iface`, sharing the scratch
/// directory's configuration and DUID file, its own PID file (Debian's
/// `dhcp6s.$INT.pid`).
fn argv(s: &Scratch, iface: &str) -> Vec<String> {
    [
        "-f",
        "-d",
        "-k",
        "/dev/null",
        "-c",
        &s.path("dhcp6s.conf"),
        "--duid-file",
        &s.path("dhcp6s_duid"),
        "-P",
        &s.path(&format!("dhcp6s.{iface}.pid")),
        iface,
    ]
    .map(String::from)
    .to_vec()
}

fn start(ns: &Netns, s: &Scratch, iface: &str) -> Daemon {
    let args = argv(s, iface);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let d = ns.spawn(env!("CARGO_BIN_EXE_dhcp6s"), &args);
    d.wait_log("server6_init: serving", Duration::from_secs(10));
    d
}

/// Solicit + Request for IA_NA 1 of client `n` on the client's interface
/// `ifname`; the address granted.
fn lease_one(client: &Netns, ifname: &str, n: u8) -> Ipv6Addr {
    let duid = Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0, n]).unwrap();
    common::lease_one(client, ifname, duid, u32::from(n)).expect("an address")
}

/// The PID a daemon's PID file holds.
fn pid_of(s: &Scratch, iface: &str) -> String {
    std::fs::read_to_string(s.path(&format!("dhcp6s.{iface}.pid")))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn one_journal_per_instance_and_never_shared() {
    require_root();
    let client = Netns::new("ic");
    let server = Netns::new("is");
    veth(&client, "c0", &server, "s0");
    veth(&client, "c1", &server, "s1");
    server.addr("s0", "2001:db8:0::1/64");
    server.addr("s1", "2001:db8:1::1/64");
    let s = Scratch::new(&format!("{}-files", server.name));
    s.write("dhcp6s.conf", CONF);

    // Two instances, one configuration without lease-file, one DUID file.
    let mut d0 = start(&server, &s, "s0");
    let d1 = start(&server, &s, "s1");
    let a0 = lease_one(&client, "c0", 1);
    let a1 = lease_one(&client, "c1", 2);
    assert!(a0.to_string().starts_with("2001:db8::1:"), "{a0}");
    assert!(a1.to_string().starts_with("2001:db8:1::1:"), "{a1}");
    let (j0, j1) = (s.path("dhcp6s.s0.leases"), s.path("dhcp6s.s1.leases"));
    let (l0, l1) = (common::dump_leases(&j0), common::dump_leases(&j1));
    assert!(
        l0.contains(&a0.to_string()) && !l0.contains(&a1.to_string()),
        "{l0}"
    );
    assert!(
        l1.contains(&a1.to_string()) && !l1.contains(&a0.to_string()),
        "{l1}"
    );
    assert!(!Path::new(&s.path("dhcp6s.leases")).exists());

    let inode = || std::fs::metadata(&j0).unwrap().ino();
    let before = inode();
    // A third server for s0 refuses before it touches the network: the
    // journal and the PID of the server holding it are named.
    let args = argv(&s, "s0");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut third = server.spawn(env!("CARGO_BIN_EXE_dhcp6s"), &args);
    let code = third.wait_exit(Duration::from_secs(10));
    let err = third.log();
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&j0), "{err}");
    assert!(err.contains("in use by another dhcp6s"), "{err}");
    assert!(err.contains(&format!("PID {}", pid_of(&s, "s0"))), "{err}");
    // The first one still serves, its journal not replaced by the attempt
    // (opening a journal rewrites it by rename).
    assert_eq!(inode(), before);
    assert!(d0.alive());

    // Once the first server is gone, its journal is free again and its
    // lease comes back.
    d0.signal("TERM");
    assert!(d0.wait_exit(Duration::from_secs(5)).is_some());
    let d0 = start(&server, &s, "s0");
    assert_eq!(lease_one(&client, "c0", 1), a0);
    drop((d0, d1));

    // An earlier version's shared journal is kept by the first instance
    // that starts without a journal of its own; the next one, finding it
    // held, starts its own.
    std::fs::remove_file(&j0).unwrap();
    std::fs::rename(&j1, s.path("dhcp6s.leases")).unwrap();
    let d1 = start(&server, &s, "s1");
    assert!(
        d1.log().contains("using the shared lease journal"),
        "{}",
        d1.log()
    );
    assert_eq!(lease_one(&client, "c1", 2), a1);
    let d0 = start(&server, &s, "s0");
    assert!(d0.log().contains("held by another server"), "{}", d0.log());
    assert!(Path::new(&j0).exists());
    assert!(!Path::new(&j1).exists());
    drop((d0, d1));
}

/// Kills a detached dhcp6s by its PID file when the test ends, however.
struct Detached(String);
impl Drop for Detached {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = std::process::Command::new("kill").arg(pid.trim()).output();
        }
    }
}

/// A server that detaches (no `-f`, as Debian's init script starts it)
/// holds the lock in the daemon process: the lock file names the PID that
/// the PID file names, and a second server for the same interface is
/// refused with it.
#[test]
fn a_detached_server_names_itself_in_the_lock() {
    require_root();
    let server = Netns::new("id");
    let peer = Netns::new("ip");
    veth(&peer, "c0", &server, "s0");
    let s = Scratch::new(&format!("{}-files", server.name));
    s.write("dhcp6s.conf", CONF);
    let args: Vec<String> = argv(&s, "s0").into_iter().filter(|a| a != "-f").collect();
    let guard = Detached(s.path("dhcp6s.s0.pid"));
    let mut all = vec![env!("CARGO_BIN_EXE_dhcp6s")];
    all.extend(args.iter().map(String::as_str));
    server.exec(&all);
    // The PID file is written after detaching, the lock file's PID just
    // after it.
    let lock = s.path("dhcp6s.s0.leases.lock");
    let pid = || std::fs::read_to_string(&guard.0).unwrap_or_default();
    assert!(
        common::wait_until(Duration::from_secs(10), || {
            let pid = pid();
            !pid.is_empty() && std::fs::read_to_string(&lock).ok() == Some(pid)
        }),
        "PID file {:?}, lock file {:?}",
        pid(),
        std::fs::read_to_string(&lock)
    );
    let pid = pid_of(&s, "s0");
    let out = server.try_exec(&all);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("(PID {pid})")), "{err}");
}
