//! Runs every file of `tests/config-corpus/` through WIDE-DHCPv6's parser
//! (Debian's `wide-dhcpv6-server` / `-client`) and through ours, and checks
//! both verdicts against `tests/config-corpus/verdicts.txt`.
//!
//! WIDE has no check mode, so each file is loaded by the real daemon in the
//! foreground (`-f -D`) inside a network namespace of our own, whose only
//! interfaces are `lo` and veth pairs named `eth0`..`eth3` (the names the
//! corpus uses; WIDE insists they exist). Its stderr tells the result:
//! `failed to parse configuration file` (rejected) or `clear_poolconf:
//! called` not followed by that line (accepted); a few files make WIDE
//! die from a signal, recorded as `crash`. The daemon is then
//! killed; every wait is bounded. `/var/lib/dhcpv6` is bind-mounted to a
//! scratch directory in a private mount namespace, so the DUIDs WIDE
//! writes never touch the machine's own.
//!
//! Both parsers run with the package root as working directory, the
//! directory WIDE resolves a relative `include` against; the `*-include-*`
//! files rely on it (their fragments are in `tests/config-corpus/include/`).
//!
//! Needs root and the WIDE binaries; without them the test fails loudly,
//! because CI installs both.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use libdhcp6::config::{load_client, load_server};
use libdhcp6::sys::conf::FsLoader;

const NS_PREFIX: &str = "kame6-cfgcorpus-";
const WIDE_SERVER: &str = "/usr/sbin/dhcp6s";
const WIDE_CLIENT: &str = "/usr/sbin/dhcp6c";
/// Longest wait for one WIDE run to say anything conclusive.
const RUN_TIMEOUT: Duration = Duration::from_secs(5);
/// After `clear_poolconf` a failure line follows at once; quiet this long
/// means the configuration was accepted.
const ACCEPT_GRACE: Duration = Duration::from_millis(700);

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn ip(args: &[&str]) {
    let out = run(Command::new("ip").args(args));
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A namespace with `lo` and veth pairs `eth0`..`eth3`, deleted on drop.
struct Netns {
    name: String,
    scratch: PathBuf,
}

impl Netns {
    fn new() -> Self {
        // Clear namespaces left by earlier runs whose process is gone.
        let list = run(Command::new("ip").args(["netns", "list"]));
        for line in String::from_utf8_lossy(&list.stdout).lines() {
            let Some(name) = line.split_whitespace().next() else {
                continue;
            };
            if let Some(pid) = name.strip_prefix(NS_PREFIX) {
                if !Path::new("/proc").join(pid).exists() {
                    let _ = Command::new("ip").args(["netns", "del", name]).status();
                }
            }
        }
        let name = format!("{NS_PREFIX}{}", std::process::id());
        let _ = Command::new("ip")
            .args(["netns", "del", &name])
            .stderr(Stdio::null())
            .status();
        let scratch = std::env::temp_dir().join(&name);
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(scratch.join("db")).expect("scratch directory");
        ip(&["netns", "add", &name]);
        let ns = Self { name, scratch };
        ip(&["-n", &ns.name, "link", "set", "lo", "up"]);
        for i in 0..4 {
            let (eth, peer) = (format!("eth{i}"), format!("peer{i}"));
            ip(&[
                "-n", &ns.name, "link", "add", &eth, "type", "veth", "peer", "name", &peer,
            ]);
            ip(&["-n", &ns.name, "link", "set", &eth, "up"]);
        }
        ns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// Kills the daemon however the test ends.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Accept,
    Reject,
    /// WIDE died from a signal while parsing (only WIDE can get this).
    Crash,
}

impl Verdict {
    fn parse(word: &str) -> Self {
        match word {
            "accept" => Verdict::Accept,
            "reject" => Verdict::Reject,
            "crash" => Verdict::Crash,
            other => panic!("verdicts.txt: unknown verdict {other}"),
        }
    }
}

/// Loads `file` with WIDE's daemon in `ns`; Err carries its log.
fn wide_verdict(ns: &Netns, server: bool, file: &Path) -> Result<Verdict, String> {
    let db = ns.scratch.join("db");
    let pid = ns.scratch.join(if server { "s.pid" } else { "c.pid" });
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &ns.name, "unshare", "-m", "sh", "-c"])
        .arg(r#"mkdir -p /var/lib/dhcpv6 && mount --bind "$0" /var/lib/dhcpv6 && shift && exec "$@""#)
        .arg(&db)
        .arg("--");
    if server {
        cmd.args([WIDE_SERVER, "-c"])
            .arg(file)
            .args(["-f", "-D", "-k", "/nonexistent", "-P"])
            .arg(&pid)
            .arg("eth0");
    } else {
        cmd.args([WIDE_CLIENT, "-c"])
            .arg(file)
            .args(["-f", "-D", "-k", "/nonexistent", "-p"])
            .arg(&pid)
            .arg("eth0");
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut reaper = Reaper(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let mut log = String::new();
    let mut committed: Option<Instant> = None;
    let verdict = loop {
        if start.elapsed() > RUN_TIMEOUT {
            break None;
        }
        if let Some(t) = committed {
            if t.elapsed() > ACCEPT_GRACE {
                break Some(Verdict::Accept);
            }
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => {
                if line.contains("cfdebug_print") {
                    continue;
                }
                log.push_str(&line);
                log.push('\n');
                if line.contains("failed to parse configuration file") {
                    break Some(Verdict::Reject);
                }
                if committed.is_some() {
                    break Some(Verdict::Accept);
                }
                if line.contains("clear_poolconf: called") {
                    committed = Some(Instant::now());
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if committed.is_some() {
                    break Some(Verdict::Accept);
                }
                break died_from_signal(&mut reaper.0).then_some(Verdict::Crash);
            }
        }
    };
    drop(reaper);
    verdict.ok_or(log)
}

/// Waits (bounded) for a daemon whose stderr closed; true if a signal
/// ended it (WIDE segfaults on some files, e.g. a repeated `keyid`).
fn died_from_signal(child: &mut Child) -> bool {
    use std::os::unix::process::ExitStatusExt;
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.signal().is_some();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn our_verdict(server: bool, file: &Path) -> (Verdict, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let path = file.to_string_lossy();
    let res = if server {
        load_server(&path, &mut FsLoader, now).map(|_| ())
    } else {
        load_client(&path, &mut FsLoader, now).map(|_| ())
    };
    match res {
        Ok(()) => (Verdict::Accept, String::new()),
        Err(e) => (Verdict::Reject, e.to_string()),
    }
}

#[test]
fn wide_and_kame6_agree_on_the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Relative includes are looked up here by both parsers (the only test
    // in this file, so no other thread depends on the working directory).
    std::env::set_current_dir(root).expect("cd to the package root");
    let corpus = root.join("tests/config-corpus");
    let list = std::fs::read_to_string(corpus.join("verdicts.txt")).expect("verdicts.txt");
    let mut entries = Vec::new();
    for line in list.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 3, "verdicts.txt: bad line {line}");
        entries.push((f[0].to_string(), Verdict::parse(f[1]), Verdict::parse(f[2])));
    }
    // Every corpus file has a verdict, and the corpus is big enough.
    for dir in ["server", "client"] {
        for e in std::fs::read_dir(corpus.join(dir)).expect("corpus dir") {
            let name = format!(
                "{dir}/{}",
                e.expect("dir entry").file_name().to_string_lossy()
            );
            assert!(
                entries.iter().any(|(p, _, _)| *p == name),
                "{name} has no line in verdicts.txt"
            );
        }
    }
    assert!(
        entries.len() >= 60,
        "corpus has only {} files",
        entries.len()
    );

    // Ours first: it needs neither root nor WIDE.
    let mut failures = Vec::new();
    for (path, _, ours) in &entries {
        let (got, msg) = our_verdict(path.starts_with("server/"), &corpus.join(path));
        if got != *ours {
            failures.push(format!(
                "{path}: kame6 expected to {ours:?}, did {got:?} {msg}"
            ));
        }
    }

    // WIDE: must be able to run here (CI installs it and runs as root).
    let uid = run(Command::new("id").arg("-u"));
    assert_eq!(
        String::from_utf8_lossy(&uid.stdout).trim(),
        "0",
        "this test needs root (network namespaces); it does not pass silently"
    );
    for bin in [WIDE_SERVER, WIDE_CLIENT] {
        assert!(
            Path::new(bin).exists(),
            "{bin} missing: apt-get install wide-dhcpv6-server wide-dhcpv6-client (this test does not pass silently)"
        );
    }
    let ns = Netns::new();
    for (path, wide, _) in &entries {
        match wide_verdict(&ns, path.starts_with("server/"), &corpus.join(path)) {
            Ok(got) if got == *wide => {}
            Ok(got) => failures.push(format!("{path}: WIDE expected to {wide:?}, did {got:?}")),
            Err(log) => failures.push(format!("{path}: WIDE gave no verdict; log:\n{log}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreement(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
