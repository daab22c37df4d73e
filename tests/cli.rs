//! The programs take WIDE-DHCPv6's command lines (kame-compat §1) and, until
//! their issues land, say plainly that they do not serve rather than pretend.

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
    let cases: [(&str, &[&str]); 4] = [
        (
            env!("CARGO_BIN_EXE_dhcp6s"),
            &[
                "-dDf",
                "-c",
                "/nonexistent",
                "-k",
                "/dev/null",
                "-p",
                "5547",
                "-P",
                "/tmp/x.pid",
                "eth0",
            ],
        ),
        (
            env!("CARGO_BIN_EXE_dhcp6c"),
            &[
                "-dDf",
                "-c",
                "/nonexistent",
                "-p",
                "/tmp/x.pid",
                "eth0",
                "eth1",
            ],
        ),
        (
            env!("CARGO_BIN_EXE_dhcp6relay"),
            &[
                "-dDf",
                "-b",
                "2001:db8::1",
                "-H",
                "8",
                "-r",
                "eth0",
                "-s",
                "2001:db8::2",
                "-s",
                "ff05::1:3",
                "eth1",
                "eth2",
            ],
        ),
        (
            env!("CARGO_BIN_EXE_dhcp6ctl"),
            &["-S", "-a", "::1", "-p", "5547", "reload"],
        ),
    ];
    for (bin, args) in cases {
        let (code, err) = run(bin, args);
        assert_eq!(code, 1, "{bin} {args:?}: {err}");
        assert!(err.contains("not implemented yet"), "{bin}: {err}");
    }
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
