//! The programs take WIDE-DHCPv6's command lines (doc/wide-compat.md §1) and
//! report usage and local errors with exit status 1.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

use std::process::Command;

/// An empty directory of this test process for `tag`: whatever an earlier
/// run with the same process id left there is removed first.
fn scratch(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("k6-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(bin: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(bin).args(args).output().expect("run binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// dhcp6ctl: exit 1 with the reason on stderr for usage and local errors
/// (doc/wide-compat.md §1.5), before anything is sent.
#[test]
fn dhcp6ctl_usage_and_local_errors() {
    let ctl = env!("CARGO_BIN_EXE_dhcp6ctl");
    let dir = scratch("ctl");
    let key = dir.join("key");
    std::fs::write(&key, "MDEyMzQ1Njc4OWFiY2RlZg==\n").unwrap();
    let empty = dir.join("empty");
    std::fs::write(&empty, "").unwrap();
    let k = key.to_str().unwrap();
    let cases: [(&[&str], &str); 9] = [
        (&[], "usage: dhcp6ctl"),
        (&["-C", "-S", "reload"], "-C and -S are exclusive"),
        (&["-k", "/nonexistent/key", "reload"], "/nonexistent/key"),
        (
            &["-k", empty.to_str().unwrap(), "reload"],
            "no key in the file",
        ),
        (&["-k", k, "frobnicate"], "unknown command: frobnicate"),
        (
            &["-k", k, "remove", "binding", "IA", "IA_NA", "1", "00:01:02"],
            "only for server",
        ),
        (
            &["-S", "-k", k, "start", "interface", "eth0"],
            "client-only",
        ),
        (
            &["-k", k, "-p", "no-such-service-here", "reload"],
            "unknown port",
        ),
        // Port 1 on ::1: nobody listens.
        (
            &["-S", "-k", k, "-p", "1", "reload"],
            "failed to connect to the server",
        ),
    ];
    for (args, want) in cases {
        let (code, err) = run(ctl, args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// dhcp6c takes WIDE's flags and reports startup errors as `dhcp6c: ...`,
/// exit 1, before touching the network.
#[test]
fn client_command_line_errors() {
    let dir = scratch("client");
    let duid = dir.join("duid");
    let duid = duid.to_str().unwrap();
    let pid = dir.join("x.pid");
    let c = env!("CARGO_BIN_EXE_dhcp6c");
    let (code, err) = run(
        c,
        &[
            "-dDf",
            "-c",
            "/nonexistent",
            "-p",
            pid.to_str().unwrap(),
            "--duid-file",
            duid,
            "lo",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("/nonexistent"), "{err}");
    let (code, err) = run(c, &["-f", "--duid-file", duid, "lo", "lo"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("duplicated interface: lo"), "{err}");
    let conf = dir.join("c.conf");
    std::fs::write(&conf, "interface eth9 { information-only; };\n").unwrap();
    let (code, err) = run(
        c,
        &[
            "-f",
            "-c",
            conf.to_str().unwrap(),
            "--duid-file",
            duid,
            "lo",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("interface lo is not configured"), "{err}");
    // [debian] -P: a profile that is not defined configures nothing, and
    // a profile with IAs cannot serve two interfaces.
    std::fs::write(
        &conf,
        "profile wan { send ia-na 1; };\nid-assoc na 1 { };\ninterface eth9 { information-only; };\n",
    )
    .unwrap();
    let conf = conf.to_str().unwrap();
    let (code, err) = run(
        c,
        &["-f", "-c", conf, "--duid-file", duid, "-P", "lan", "lo"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("interface lo is not configured (no interface block, and no profile lan)"),
        "{err}"
    );
    let (code, err) = run(
        c,
        &[
            "-f",
            "-c",
            conf,
            "--duid-file",
            duid,
            "-Pwan",
            "lo",
            "eth9",
            "lo2",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("profile wan sends IAs and cannot serve both lo and lo2"),
        "{err}"
    );
    let (code, _) = run(c, &["-f"]);
    assert_ne!(code, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--version` on every program: the name and the crate version on the
/// first line of stdout, the default paths after it, exit 0; no interface
/// is needed. There is no `-V`: WIDE's programs have none.
#[test]
fn version_on_every_program() {
    let version = env!("CARGO_PKG_VERSION");
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            env!("CARGO_BIN_EXE_dhcp6s"),
            "dhcp6s",
            &[
                "configuration file: /usr/local/etc/dhcp6s.conf",
                "control key file: /usr/local/etc/dhcp6sctlkey",
                "DUID file: /var/db/dhcp6s_duid",
                "PID file: /var/run/dhcp6s.pid",
            ],
        ),
        (
            env!("CARGO_BIN_EXE_dhcp6c"),
            "dhcp6c",
            &[
                "configuration file: /usr/local/etc/dhcp6c.conf",
                "control key file: /usr/local/etc/dhcp6cctlkey",
                "DUID file: /var/db/dhcp6c_duid",
                "PID file: /var/run/dhcp6c.pid",
            ],
        ),
        (
            env!("CARGO_BIN_EXE_dhcp6relay"),
            "dhcp6relay",
            &["PID file: /var/run/dhcp6relay.pid"],
        ),
        (
            env!("CARGO_BIN_EXE_dhcp6ctl"),
            "dhcp6ctl",
            &[
                "port 5547, key file /usr/local/etc/dhcp6sctlkey",
                "port 5546, key file /usr/local/etc/dhcp6cctlkey",
            ],
        ),
    ];
    for (bin, name, paths) in cases {
        let out = Command::new(bin).arg("--version").output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {stdout}");
        assert_eq!(
            stdout.lines().next(),
            Some(format!("{name} {version}").as_str()),
            "{stdout}"
        );
        for p in paths {
            assert!(
                stdout.lines().any(|l| l.ends_with(p)),
                "{name}: {p}: {stdout}"
            );
        }
        let (code, _) = run(bin, &["-V"]);
        assert_ne!(code, 0, "{name} -V");
    }
}

#[test]
fn usage_errors_are_reported() {
    let (code, err) = run(env!("CARGO_BIN_EXE_dhcp6s"), &["-f"]);
    assert_ne!(code, 0);
    assert!(err.to_lowercase().contains("usage"), "{err}");
    let (code, err) = run(env!("CARGO_BIN_EXE_dhcp6ctl"), &["-C", "-S", "reload"]);
    assert_eq!(code, 1);
    assert!(err.contains("exclusive"), "{err}");
}

/// dhcp6relay takes WIDE's flags and reports bad ones as `dhcp6relay: ...`,
/// exit 1, before touching the network.
#[test]
fn relay_command_line_errors() {
    let relay = env!("CARGO_BIN_EXE_dhcp6relay");
    let cases: [(&[&str], &str); 6] = [
        (
            &["-f", "-s", "not-an-address", "eth0"],
            "-s not-an-address: not an IPv6 address",
        ),
        (
            &["-f", "-H", "0", "eth0"],
            "-H 0: hop limit must be 1 to 255",
        ),
        (&["-f", "-b", "zzz", "eth0"], "-b zzz: not an IPv6 address"),
        (&["-f", "eth0", "eth0"], "interface eth0 given twice"),
        (
            &["-f", "--relay-port", "0", "eth0"],
            "--relay-port 0: bad port",
        ),
        (
            &["-f", "-p", "/nonexistent/pid", "no-such-if0"],
            "interface no-such-if0",
        ),
    ];
    for (args, msg) in cases {
        let (code, err) = run(relay, args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}

/// dhcp6s refuses to start, with a clear message and exit 1, on a bad
/// configuration file, a missing interface or an unusable DUID file.
#[test]
fn server_start_up_errors() {
    let dir = scratch("server");
    let bad = dir.join("bad.conf");
    std::fs::write(&bad, "interface eth0 {\n  preference 300;\n};\n").unwrap();
    let good = dir.join("good.conf");
    std::fs::write(&good, "option domain-name-servers 2001:db8::53;\n").unwrap();
    let corrupt = dir.join("duid");
    std::fs::write(&corrupt, [0x40, 0x00, 1]).unwrap();
    let s = env!("CARGO_BIN_EXE_dhcp6s");
    let (code, err) = run(s, &["-f", "-c", bad.to_str().unwrap(), "lo"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("bad.conf:2:"), "file:line: {err}");
    let (code, err) = run(s, &["-f", "-c", "/nonexistent/dhcp6s.conf", "lo"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("/nonexistent/dhcp6s.conf"), "{err}");
    let (code, err) = run(s, &["-f", "-c", good.to_str().unwrap(), "no-such-if0"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no-such-if0"), "{err}");
    let (code, err) = run(
        s,
        &[
            "-f",
            "-c",
            good.to_str().unwrap(),
            "--duid-file",
            corrupt.to_str().unwrap(),
            "lo",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("DUID"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A lease journal of an unknown format stops dhcp6s at start-up with a
/// clear message (exit 1) and is left untouched.
#[test]
fn server_refuses_a_journal_it_cannot_read() {
    let dir = scratch("journal");
    let conf = dir.join("dhcp6s.conf");
    let journal = dir.join("leases");
    std::fs::write(&conf, format!("lease-file \"{}\";\n", journal.display())).unwrap();
    std::fs::write(&journal, "lease 2001:db8::1 { }\n").unwrap();
    let duid = dir.join("duid");
    let (code, err) = run(
        env!("CARGO_BIN_EXE_dhcp6s"),
        &[
            "-f",
            "-c",
            conf.to_str().unwrap(),
            "--duid-file",
            duid.to_str().unwrap(),
            "lo",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a kame6 lease journal"), "{err}");
    assert!(
        err.contains(journal.to_str().unwrap()),
        "names the file: {err}"
    );
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap(),
        "lease 2001:db8::1 { }\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `dhcp6s --dump-leases FILE` lists a journal's leases; a torn tail is
/// reported on stderr and the leases before it still listed.
#[test]
fn dump_leases_lists_a_journal() {
    use libdhcp6::lease::{Binding, BindingKey, BoundLease, Change, IaKind, LeaseStore, Resource};
    use libdhcp6::sys::journal::{JournalStore, Opened};
    let dir = scratch("dump");
    let path = dir.join("leases");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let Opened { mut store, .. } = JournalStore::open(&path, now).unwrap();
    for (n, addr) in [(1u8, "2001:db8::1"), (2, "2001:db8::2")] {
        store.apply(Change::Bind(Binding {
            key: BindingKey {
                duid: libdhcp6::Duid::from_bytes(&[0, 3, 0, 1, n, n]).unwrap(),
                kind: IaKind::Na,
                iaid: 5,
            },
            leases: vec![BoundLease {
                res: Resource {
                    addr: addr.parse().unwrap(),
                    len: 128,
                },
                preferred: 3000,
                valid: 4000,
                updated: now,
            }]
            .into(),
        }));
        store.commit().unwrap();
    }
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dhcp6s"))
        .args(["--dump-leases", path.to_str().unwrap()])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // Remaining lifetimes follow the address; a second may have passed.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("00:03:00:01:01:01 IA_NA 5 2001:db8::1/128 "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let valid_left: u64 = line.split_whitespace().nth(5).unwrap().parse().unwrap();
    assert!((3990..=4000).contains(&valid_left), "{line}");
    assert!(!stdout.contains("2001:db8::2/"), "{stdout}");
    assert!(stderr.contains("damaged tail"), "{stderr}");
    let (code, err) = run(
        env!("CARGO_BIN_EXE_dhcp6s"),
        &["--dump-leases", "/nonexistent/leases"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no such file"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// dhcp4s's command line: `--version` with its defaults (control port
/// 5548 in dhcp6ctl's), a journal it cannot read (dhcp6s's) refused at
/// start with the file named and left as it was, `--dump-leases` of a
/// missing file an error, `-p` taken as the control port.
#[test]
fn dhcp4s_command_line() {
    let bin = env!("CARGO_BIN_EXE_dhcp4s");
    let out = Command::new(bin).arg("--version").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    for p in [
        "configuration file: /usr/local/etc/dhcp4s.conf",
        "control key file: /usr/local/etc/dhcp4sctlkey",
        "lease journal: /var/db/dhcp4s.leases",
        "PID file: /var/run/dhcp4s.pid",
    ] {
        assert!(stdout.lines().any(|l| l.ends_with(p)), "{p}: {stdout}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_dhcp6ctl"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("dhcp4s (-4): port 5548, key file /usr/local/etc/dhcp4sctlkey"));
    let dir = scratch("dhcp4s");
    let conf = dir.join("dhcp4s.conf");
    let journal = dir.join("leases");
    std::fs::write(
        &conf,
        format!(
            "dhcp4o6-port 6767;\nserver-identifier 10.0.0.1;\nlease-file \"{}\";\n",
            journal.display()
        ),
    )
    .unwrap();
    std::fs::write(&journal, libdhcp6::lease::journal::header()).unwrap();
    let (code, err) = run(bin, &["-f", "-c", conf.to_str().unwrap(), "-p", "5999"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a kame6 lease journal"), "{err}");
    assert!(err.contains(journal.to_str().unwrap()), "{err}");
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        libdhcp6::lease::journal::header()
    );
    let (code, err) = run(bin, &["--dump-leases", dir.join("none").to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no such file"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
