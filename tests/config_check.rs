//! `dhcp6s -t` / `dhcp6c -t`: exit codes, messages, and `-t -D` output that
//! parses back to the same configuration. No network, no root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(server: bool, args: &[&str]) -> Output {
    let bin = if server {
        env!("CARGO_BIN_EXE_dhcp6s")
    } else {
        env!("CARGO_BIN_EXE_dhcp6c")
    };
    Command::new(bin)
        .args(args)
        .output()
        .expect("run the daemon")
}

fn files(dir: &str, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("directory")
        .map(|e| e.expect("entry").path())
        // Configuration files only: conf/ also holds control key samples.
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
                && p.extension().is_some_and(|e| e == "conf")
        })
        .collect();
    v.sort();
    v
}

fn is_server(p: &Path) -> bool {
    p.to_string_lossy().contains("dhcp6s") || p.to_string_lossy().contains("/server/")
}

#[test]
fn samples_and_spec_examples_pass() {
    let mut all = files("conf", "dhcp6");
    all.extend(files("tests/config-corpus/server", "ok-"));
    all.extend(files("tests/config-corpus/client", "ok-"));
    assert!(all.len() >= 4 + 7, "{all:?}");
    for f in all {
        let path = f.to_string_lossy();
        let out = check(is_server(&f), &["-t", "-c", &path]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{path}: {err}");
        assert!(
            err.ends_with(&format!("{path}: configuration OK\n")),
            "{path}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn dump_reparses_to_the_same_configuration() {
    let dir = std::env::temp_dir().join(format!("kame6-cfgdump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut all = files("conf", "dhcp6");
    all.extend(files("tests/config-corpus/server", "ok-"));
    all.extend(files("tests/config-corpus/server", "ext-"));
    all.extend(files("tests/config-corpus/client", "ok-"));
    all.extend(files("tests/config-corpus/client", "ext-"));
    for f in all {
        let server = is_server(&f);
        let path = f.to_string_lossy();
        let first = check(server, &["-t", "-D", "-c", &path]);
        assert_eq!(first.status.code(), Some(0), "{path}");
        let copy = dir.join("dump.conf");
        std::fs::write(&copy, &first.stdout).expect("write dump");
        let second = check(server, &["-t", "-D", "-c", &copy.to_string_lossy()]);
        assert_eq!(
            second.status.code(),
            Some(0),
            "{path}: dump does not parse: {}",
            String::from_utf8_lossy(&second.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&first.stdout),
            String::from_utf8_lossy(&second.stdout),
            "{path}: printing is not stable"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every broken corpus file: exit 1 and a `file:line:col: ...` message.
#[test]
fn broken_files_exit_1_with_a_position() {
    let mut n = 0;
    for (dir, server) in [
        ("tests/config-corpus/server", true),
        ("tests/config-corpus/client", false),
    ] {
        for f in files(dir, "bad-") {
            let path = f.to_string_lossy().to_string();
            let out = check(server, &["-t", "-c", &path]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{path}: {err}");
            let rest = err
                .strip_prefix(&format!("{path}:"))
                .unwrap_or_else(|| panic!("{path}: {err}"));
            let mut parts = rest.splitn(3, ':');
            let line = parts.next().and_then(|l| l.parse::<u32>().ok());
            let col = parts.next().and_then(|c| c.parse::<u32>().ok());
            assert!(
                line.is_some() && col.is_some(),
                "{path}: no line:col in {err}"
            );
            assert_eq!(err.lines().count(), 1, "{path}: {err}");
            n += 1;
        }
    }
    assert!(n >= 40, "only {n} broken files");
}

#[test]
fn exact_messages() {
    let dir = std::env::temp_dir().join(format!("kame6-cfgmsg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("dhcp6s.conf");
    std::fs::write(
        &f,
        "host h {\n\tduid 00:01:02;\n\taddress 2001:db8::1 3600 7200\n};\n",
    )
    .expect("write");
    let path = f.to_string_lossy().to_string();
    let out = check(true, &["-t", "-c", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("{path}:4:1: expected ';' after address, found '}}'\n")
    );

    // A missing main file is an error (WIDE runs with an empty configuration).
    let missing = dir.join("nope.conf").to_string_lossy().to_string();
    let out = check(false, &["-t", "-c", &missing]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("{missing}: configuration file {missing} not found\n")
    );

    // A server statement in the client's file.
    let c = dir.join("dhcp6c.conf");
    std::fs::write(
        &c,
        "interface eth0 { };\noption domain-name-servers 2001:db8::1;\n",
    )
    .expect("write");
    let cpath = c.to_string_lossy().to_string();
    let out = check(false, &["-t", "-c", &cpath]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("{cpath}:2:1: 'option' is server-only configuration, not allowed in dhcp6c.conf\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A relative include that is not beside the including file is read from
/// the working directory, as WIDE reads it, with a warning; `allow` items
/// WIDE skips are warnings in `-t` output too.
#[test]
fn wide_files_keep_working() {
    let dir = std::env::temp_dir().join(format!("kame6-cfgwide-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("etc")).expect("temp dir");
    let conf = dir.join("etc/dhcp6s.conf");
    std::fs::write(
        &conf,
        "include \"etc/pool.conf\";\ninterface lo {\n\taddress-pool p 3600;\n\tallow ntp-servers;\n};\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("etc/pool.conf"),
        "pool p { range 2001:db8::1 to 2001:db8::9; };\n",
    )
    .expect("write");
    let path = conf.to_string_lossy().to_string();
    let beside = dir.join("etc/etc/pool.conf").to_string_lossy().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_dhcp6s"))
        .args(["-t", "-c", &path])
        .current_dir(&dir)
        .output()
        .expect("run dhcp6s");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{path}:1:1: warning: include file {beside} not found; read etc/pool.conf from the working directory instead, as WIDE does\n\
             {path}:4:2: warning: 'allow ntp-servers' has no effect: WIDE accepts and ignores it, and so does kame6\n\
             {path}: configuration OK\n"
        )
    );
    assert_eq!(out.status.code(), Some(0));

    // From another working directory the include is missing, so is the pool.
    let out = Command::new(env!("CARGO_BIN_EXE_dhcp6s"))
        .args(["-t", "-c", &path])
        .current_dir("/")
        .output()
        .expect("run dhcp6s");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{path}:3:2: pool 'p' is not defined")),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn interface_is_required_outside_check_mode() {
    let out = check(true, &["-c", "/dev/null"]);
    assert_ne!(out.status.code(), Some(0));
    let out = check(false, &["-c", "/dev/null"]);
    assert_ne!(out.status.code(), Some(0));
    // With -t an interface may still be given.
    let out = check(true, &["-t", "-c", "/dev/null", "eth0"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `-t -P NAME` (\[debian\] profiles): the file must define the profile.
#[test]
fn check_mode_with_a_profile() {
    let dir = std::env::temp_dir().join(format!("k6-check-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("dhcp6c.conf");
    // The shape of Debian's default dhcp6c.conf, which its init script
    // starts with -Pdefault.
    std::fs::write(
        &conf,
        "profile default {\n  information-only;\n  request domain-name-servers;\n  script \"/etc/wide-dhcpv6/dhcp6c-script\";\n};\n",
    )
    .unwrap();
    let path = conf.to_str().unwrap();
    for args in [
        &["-t", "-c", path][..],
        &["-t", "-Pdefault", "-c", path],
        &["-t", "-P", "default", "-c", path, "eth0"],
    ] {
        let out = check(false, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            err.ends_with(&format!("{path}: configuration OK\n")),
            "{err}"
        );
    }
    let out = check(false, &["-t", "-P", "wan", "-c", path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("{path}: profile wan (-P) is not defined\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// dhcp4s -t: the sample passes, -t -D prints a file that passes and
/// prints the same again, and a broken file exits 1 with file:line:col.
#[test]
fn dhcp4s_check() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_dhcp4s"))
            .args(args)
            .output()
            .unwrap()
    };
    let sample = root().join("conf/dhcp4s.conf");
    let sample = sample.to_str().unwrap();
    let out = run(&["-t", "-c", sample]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).ends_with("configuration OK\n"));
    let dumped = run(&["-t", "-D", "-c", sample]);
    let dir = std::env::temp_dir().join(format!("kame6-d4check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let again = dir.join("again.conf");
    std::fs::write(&again, &dumped.stdout).unwrap();
    let redumped = run(&["-t", "-D", "-c", again.to_str().unwrap()]);
    assert!(redumped.status.success(), "{redumped:?}");
    assert_eq!(redumped.stdout, dumped.stdout);
    let broken = dir.join("broken.conf");
    std::fs::write(
        &broken,
        "dhcp4o6-port 6767;\nserver-identifier 10.0.0.1;\nsubnet 10.0.0.0/24 {\n\trange 10.0.0.9 to 10.0.0.1;\n};\n",
    )
    .unwrap();
    let out = run(&["-t", "-c", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{}:4:2: range 10.0.0.9 to 10.0.0.1 is not inside 10.0.0.0/24\n",
            broken.display()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}
