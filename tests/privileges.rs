//! `-u user` / `-g group` (libdhcp6::sys::privs through the daemon shell):
//! the daemons started as root run as the user after start-up, with only
//! the capabilities they still use (read from /proc/PID/status), and keep
//! serving, renewing and reloading; the combinations that would lose a
//! needed privilege are refused with a message naming it and exit 1.
//!
//! The user is `nobody` (every Debian system has it, with group
//! `nogroup`), so the test creates no account. The state directories the
//! server writes in after the drop belong to it for the test, as an
//! operator would arrange (dhcp6s(8), "Privileges").

// Network namespaces (and the peers' Linux builds): these tests run on Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::os::unix::fs::MetadataExt;
use std::process::Command;
use std::time::Duration;

use common::peers::{counters, received, wait_address, Scratch};
use common::{lease_one, require_program, Daemon, Netns};
use libdhcp6::Duid;

/// CAP_NET_ADMIN's bit in /proc/PID/status.
const NET_ADMIN: u64 = 1 << 12;

/// The unprivileged user of the test and its primary group.
struct User {
    name: &'static str,
    uid: u32,
    gid: u32,
    group: String,
}

/// `nobody`, which the system must have.
fn nobody() -> User {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, "nobody"]).output().unwrap();
        assert!(out.status.success(), "no user nobody on this system");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    User {
        name: "nobody",
        uid: id("-u").parse().unwrap(),
        gid: id("-g").parse().unwrap(),
        group: id("-gn"),
    }
}

/// A scratch directory that belongs to `u` (the daemon creates files there
/// after dropping root).
fn owned_scratch(tag: &str, u: &User) -> Scratch {
    let s = Scratch::new(tag);
    common::run(
        "chown",
        [format!("{}:{}", u.uid, u.gid), s.dir.display().to_string()],
    );
    s
}

/// The ids and capability sets /proc shows for a running daemon.
#[derive(Debug, PartialEq, Eq)]
struct Status {
    uid: Vec<u32>,
    gid: Vec<u32>,
    groups: String,
    cap_eff: u64,
    cap_prm: u64,
    cap_inh: u64,
    cap_amb: u64,
    cap_bnd: u64,
}

fn status(d: &Daemon) -> Status {
    // ip netns exec execs the daemon: the child's PID is the daemon's.
    let text = std::fs::read_to_string(format!("/proc/{}/status", d.pid())).unwrap();
    let line = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in\n{text}"))
            .trim()
            .to_string()
    };
    let ids = |key: &str| {
        line(key)
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect()
    };
    let caps = |key: &str| u64::from_str_radix(&line(key), 16).unwrap();
    Status {
        uid: ids("Uid:"),
        gid: ids("Gid:"),
        groups: line("Groups:"),
        cap_eff: caps("CapEff:"),
        cap_prm: caps("CapPrm:"),
        cap_inh: caps("CapInh:"),
        cap_amb: caps("CapAmb:"),
        cap_bnd: caps("CapBnd:"),
    }
}

/// Checks that `d` runs as `u` (real, effective, saved and file-system
/// ids; no supplementary groups) with exactly `caps` effective and
/// permitted, nothing to hand to the programs it runs, and (started by
/// root with every capability) nothing else left in its bounding set.
fn assert_runs_as(d: &Daemon, u: &User, caps: u64) {
    let s = status(d);
    let want = Status {
        uid: vec![u.uid; 4],
        gid: vec![u.gid; 4],
        groups: String::new(),
        cap_eff: caps,
        cap_prm: caps,
        cap_inh: 0,
        cap_amb: 0,
        cap_bnd: caps,
    };
    assert_eq!(s, want, "{}", d.log());
}

/// The relayed client link's addresses, `first` … `first`ff, lifetimes
/// short enough that a client renews within the test (T1 10 s).
fn server_conf(first: &str) -> String {
    format!(
        "option domain-name-servers 2001:db8:ffff::53;
pool p1 {{ range 2001:db8:1::{first}00 to 2001:db8:1::{first}ff; }};
interface s0 {{ }};
link relayed {{ link-address 2001:db8:1::/64; address-pool p1 20 40; }};
"
    )
}

/// A client DUID-LL ending in `n`.
fn duid(n: u8) -> Duid {
    Duid::from_bytes(&[0, 3, 0, 1, 2, 0, 0, 0, 0x14, n]).unwrap()
}

/// client —(c0|r0)— relay —(r1|s0)— server, all three daemons dropped to
/// nobody: the server leases through the relay, reloads (SIGHUP: a new
/// pool is served, the relay re-reads its interfaces), our client installs
/// an address (netlink with CAP_NET_ADMIN as nobody), renews it at T1,
/// runs its script as nobody, reloads, and releases on SIGTERM removing
/// the address. The server's replay counter file, written after the drop,
/// belongs to nobody; PID files are removed, or emptied where the
/// directory is root's.
#[test]
fn daemons_run_as_the_user_and_keep_serving() {
    let u = nobody();
    let t = common::relayed();
    let ss = owned_scratch(&format!("{}-files", t.server.name), &u);
    let conf = ss.write("dhcp6s.conf", &server_conf("1"));
    let spid = ss.path("dhcp6s.pid");
    let args = daemon_args(&ss, &u, "dhcp6s", &conf, &["-g", &u.group, "s0"]);
    let srv = spawn_args(&t.server, env!("CARGO_BIN_EXE_dhcp6s"), &args);
    srv.wait_log("server6_init: serving s0", Duration::from_secs(10));
    assert!(
        srv.log().contains(&format!(
            "running as user nobody ({}), group {} ({}), no capabilities",
            u.uid, u.group, u.gid
        )),
        "{}",
        srv.log()
    );
    assert_runs_as(&srv, &u, 0);

    // The relay's PID file in a directory of root's.
    let sr = Scratch::new(&format!("{}-files", t.relay.name));
    let rpid = sr.path("relay.pid");
    let rly = t.relay.spawn(
        env!("CARGO_BIN_EXE_dhcp6relay"),
        &[
            "-f",
            "-D",
            "-p",
            &rpid,
            "-u",
            u.name,
            "-r",
            "r1",
            "-s",
            "2001:db8:ff::2",
            "r0",
        ],
    );
    rly.wait_log("relaying for", Duration::from_secs(10));
    assert_runs_as(&rly, &u, 0);

    let logs = |extra: &str| format!("{}\n-----\n{}\n-----\n{extra}", srv.log(), rly.log());
    let a = lease_one(&t.client, "c0", duid(1), 0x1401);
    assert!(
        a.is_some_and(|a| a.to_string().starts_with("2001:db8:1::1")),
        "{a:?}\n{}",
        logs("")
    );

    // Reload both: the server reads its new file as nobody.
    ss.write("dhcp6s.conf", &server_conf("2"));
    srv.signal("HUP");
    srv.wait_log("server6_reload: reloaded", Duration::from_secs(10));
    rly.signal("HUP");
    rly.wait_log("SIGHUP: re-reading interfaces", Duration::from_secs(10));
    let b = lease_one(&t.client, "c0", duid(2), 0x1402);
    assert!(
        b.is_some_and(|b| b.to_string().starts_with("2001:db8:1::2")),
        "{b:?}\n{}",
        logs("")
    );

    client_as_user(&t.client, &u, &|c| logs(c));

    let log = counters(&srv, "bindings:");
    assert!(
        received(&log, "server6_mainloop: renew") >= 1,
        "no Renew reached the server\n{log}"
    );
    // Written after the drop: the replay counter's reservation.
    let replay = ss.dir.join("dhcp6s.s0.replay");
    let meta = std::fs::metadata(&replay)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", replay.display(), logs("")));
    assert_eq!(meta.uid(), u.uid, "{}", replay.display());

    let mut srv = srv;
    let mut rly = rly;
    for d in [&mut srv, &mut rly] {
        d.signal("TERM");
        assert_eq!(d.wait_exit(Duration::from_secs(10)), Some(0), "{}", d.log());
    }
    assert!(
        !std::path::Path::new(&spid).exists(),
        "dhcp6s's PID file stayed"
    );
    // Not removable by nobody from a directory of root's: emptied.
    assert_eq!(std::fs::read_to_string(&rpid).unwrap(), "");
}

/// dhcp6c as `u` in `ns` (c0): see the caller.
fn client_as_user(ns: &Netns, u: &User, logs: &dyn Fn(&str) -> String) {
    let sc = owned_scratch(&format!("{}-files", ns.name), u);
    let out = sc.path("script.out");
    let script = sc.write(
        "script.sh",
        &format!(
            "#!/bin/sh\necho \"$REASON $(id -u) $(grep CapEff /proc/self/status)\" >> {out}\n"
        ),
    );
    common::run("chmod", ["755", &script]);
    let conf = sc.write(
        "dhcp6c.conf",
        &format!("interface c0 {{ send ia-na 1; script \"{script}\"; }};\nid-assoc na 1 {{ }};\n"),
    );
    let args = daemon_args(&sc, u, "dhcp6c", &conf, &["c0"]);
    let mut cli = spawn_args(ns, env!("CARGO_BIN_EXE_dhcp6c"), &args);
    cli.wait_log("client6_init: started", Duration::from_secs(10));
    assert_runs_as(&cli, u, NET_ADMIN);
    assert!(
        cli.log().contains("capabilities CAP_NET_ADMIN"),
        "{}",
        cli.log()
    );
    let wait = Duration::from_secs(30);
    let addr = wait_address(ns, "c0", "2001:db8:1::2", wait)
        .unwrap_or_else(|| panic!("no address\n{}", logs(&cli.log())));
    // T1 is 10 s: the Renew's Reply is applied (the script's RENEW).
    let reasons = || std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        common::wait_until(wait, || reasons().contains("RENEW")),
        "no renewal: {:?}\n{}",
        reasons(),
        logs(&cli.log())
    );
    // The script ran as the user, with no capabilities.
    for line in reasons().lines() {
        assert!(
            line.contains(&format!(" {} CapEff:\t0000000000000000", u.uid)),
            "{line}"
        );
    }
    // SIGHUP: release, re-read, lease again; the address comes back.
    cli.signal("HUP");
    cli.wait_log("client6_reload: reloaded", Duration::from_secs(10));
    assert!(
        wait_address(ns, "c0", "2001:db8:1::2", wait).is_some(),
        "no address after the reload\n{}",
        logs(&cli.log())
    );
    assert!(
        !cli.log().contains("Operation not permitted"),
        "{}",
        cli.log()
    );
    cli.signal("TERM");
    assert_eq!(
        cli.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        cli.log()
    );
    assert!(
        wait_address(ns, "c0", &addr, Duration::from_millis(300)).is_none(),
        "the address stayed after release\n{}",
        cli.log()
    );
}

/// `program`'s (dhcp6s or dhcp6c) flags for a run as `u` with its files
/// in `s`: foreground, debug log, no control channel, `conf`, the PID and
/// DUID files, `-u`, then `rest`.
fn daemon_args(s: &Scratch, u: &User, program: &str, conf: &str, rest: &[&str]) -> Vec<String> {
    let pid_flag = if program == "dhcp6s" { "-P" } else { "-p" };
    let mut args: Vec<String> = ["-f", "-D", "-k", "/dev/null", "-c", conf, pid_flag]
        .map(String::from)
        .into();
    args.push(s.path(&format!("{program}.pid")));
    args.extend(["--duid-file".into(), s.path(&format!("{program}_duid"))]);
    args.extend(["-u".into(), u.name.into()]);
    args.extend(rest.iter().map(|a| a.to_string()));
    args
}

/// Starts `program` with `args` in `ns`.
fn spawn_args(ns: &Netns, program: &str, args: &[String]) -> Daemon {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ns.spawn(program, &args)
}

/// Runs `program args` in `ns` to its end; its exit code and output.
fn run_to_end(ns: &Netns, program: &str, args: &[String]) -> (Option<i32>, String) {
    let mut d = spawn_args(ns, program, args);
    let code = d.wait_exit(Duration::from_secs(10));
    (code, d.log())
}

/// Refused before detaching, exit 1, the reason on stderr: a needed
/// capability that would be lost (dhcp6c without CAP_NET_ADMIN in its
/// permitted set, as under a systemd unit that leaves it out), an unknown
/// user, a lease journal directory the user cannot write; and nothing of
/// it keeps running.
#[test]
fn refusals_name_what_would_be_lost() {
    let u = nobody();
    let (a, b) = (Netns::new("pa"), Netns::new("pb"));
    common::veth(&a, "p0", &b, "p1");
    let s = Scratch::new(&format!("{}-files", a.name));

    let setpriv = require_program("setpriv");
    let conf = s.write(
        "dhcp6c.conf",
        "interface p0 { send ia-na 1; };\nid-assoc na 1 { };\n",
    );
    let mut args = vec![
        "--bounding-set=-net_admin".to_string(),
        env!("CARGO_BIN_EXE_dhcp6c").into(),
    ];
    args.extend(daemon_args(&s, &u, "dhcp6c", &conf, &["p0"]));
    let (code, log) = run_to_end(&a, setpriv.to_str().unwrap(), &args);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("dhcp6c: -u nobody: CAP_NET_ADMIN (to configure addresses and routes)"),
        "{log}"
    );
    // An unknown user.
    let args = [
        "-f",
        "-p",
        &s.path("r.pid"),
        "-u",
        "kame6-no-such-user",
        "p0",
    ]
    .map(String::from);
    let (code, log) = run_to_end(&a, env!("CARGO_BIN_EXE_dhcp6relay"), &args);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("dhcp6relay: -u kame6-no-such-user: no such user"),
        "{log}"
    );

    // The journal beside the DUID file, in a directory of root's (0755).
    let conf = s.write("dhcp6s.conf", "interface p1 { };\n");
    let args = daemon_args(&s, &u, "dhcp6s", &conf, &["p1"]);
    let (code, log) = run_to_end(&b, env!("CARGO_BIN_EXE_dhcp6s"), &args);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains(&format!(
            "dhcp6s: -u nobody: lease journal directory {} is not writable by nobody",
            s.dir.display()
        )),
        "{log}"
    );
}
