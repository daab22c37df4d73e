//! The programs take WIDE-DHCPv6's command lines (kame-compat §1); the
//! control tool, until its issue lands, says plainly that it does not work
//! rather than pretend.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

use std::process::Command;

fn run(bin: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(bin).args(args).output().expect("run binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn daemons_accept_wide_flags_and_refuse_to_pretend() {
    let cases: [(&str, &[&str]); 1] = [(
        env!("CARGO_BIN_EXE_dhcp6ctl"),
        &["-S", "-a", "::1", "-p", "5547", "reload"],
    )];
    for (bin, args) in cases {
        let (code, err) = run(bin, args);
        assert_eq!(code, 1, "{bin} {args:?}: {err}");
        assert!(err.contains("not implemented yet"), "{bin}: {err}");
    }
}

/// dhcp6c takes WIDE's flags and reports startup errors as `dhcp6c: ...`,
/// exit 1, before touching the network.
#[test]
fn client_command_line_errors() {
    let dir = std::env::temp_dir().join(format!("k6-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let duid = dir.join("duid");
    let duid = duid.to_str().unwrap();
    let c = env!("CARGO_BIN_EXE_dhcp6c");
    let (code, err) = run(
        c,
        &[
            "-dDf",
            "-c",
            "/nonexistent",
            "-p",
            "/tmp/x.pid",
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
    let (code, _) = run(c, &["-f"]);
    assert_ne!(code, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_are_reported() {
    let (code, err) = run(env!("CARGO_BIN_EXE_dhcp6s"), &["-f"]);
    assert_ne!(code, 0);
    assert!(err.to_lowercase().contains("usage"), "{err}");
    let (code, err) = run(env!("CARGO_BIN_EXE_dhcp6ctl"), &["-C", "-S", "reload"]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot be used with"), "{err}");
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
    let dir = std::env::temp_dir().join(format!("kame6-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
