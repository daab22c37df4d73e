//! kame6's Debian packages (debian/, doc/packaging.md) replace WIDE's on a
//! real Debian root: the packages are built (tools/debian-build.sh, or
//! taken from `KAME6_DEBS`) and lintian-checked; a scratch root is made
//! with debootstrap from the machine's Debian mirror, with WIDE-DHCPv6's
//! own packages installed in it; the operator's files are written as for
//! WIDE (INTERFACES and VERBOSE in WIDE's /etc/default files, dhcp6s.conf,
//! dhcp6c.conf, a DUID dhcp6c made earlier); then `dpkg -i` installs
//! kame6's packages there, running their maintainer scripts, and WIDE's
//! init-script commands start kame6's dhcp6s on two interfaces, its
//! dhcp6relay and its dhcp6c, each in a test network namespace (`ip netns
//! exec NS chroot ROOT /etc/init.d/…`). The client gets an address on each
//! of its two interfaces (one link direct, one through the relay), keeps
//! its DUID, and the two servers keep their own leases across a restart.
//!
//! Needs root, network namespaces and the tools tools/setup.sh installs
//! (debhelper, lintian, debootstrap); missing ones fail the test. The only
//! network used is the Debian mirror apt is configured with (debootstrap
//! downloads about 40 MiB; no cache is kept). About two to three minutes
//! when the packages are already built.

// Network namespaces and chroot: Linux only.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{require_program, require_root, veth, wait_until, Netns};
use libdhcp6::Duid;

/// The DUID dhcp6c had before the migration (a DUID-LL), colon-hex.
const CLIENT_DUID: &str = "00:03:00:01:02:6b:61:6d:65:36";

/// The operator's dhcp6s.conf: link A (s0) served directly, link B
/// through the relay (its address 2001:db8:b::1 on the client link).
const SERVER_CONF: &str = "\
option domain-name-servers 2001:db8:a::53;
pool link-a { range 2001:db8:a::100 to 2001:db8:a::1ff; };
pool link-b { range 2001:db8:b::100 to 2001:db8:b::1ff; };
interface s0 { address-pool link-a 600 1200; };
link relayed-b { link-address 2001:db8:b::/64; address-pool link-b 600 1200; };
";

/// The operator's dhcp6c.conf: an address on each interface; the DNS
/// server goes through WIDE's dhcp6c-script into resolv.conf.
const CLIENT_CONF: &str = "\
interface c0 {
  send ia-na 0;
  request domain-name-servers;
  script \"/etc/wide-dhcpv6/dhcp6c-script\";
};
interface c1 { send ia-na 1; };
id-assoc na 0 { };
id-assoc na 1 { };
";

/// The scratch Debian root; dropping it stops what runs from it, unmounts
/// its /proc and removes it.
struct Root {
    dir: PathBuf,
}

impl Root {
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel.trim_start_matches('/'))
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap();
    }

    /// `args` run inside the root with a clean environment, optionally in
    /// namespace `ns`; killed after two minutes (a start that never
    /// returns fails the test instead of hanging it).
    fn exec(&self, ns: Option<&Netns>, args: &[&str]) -> Output {
        let mut cmd = Command::new("timeout");
        cmd.args(["-k", "5", "120"]);
        if let Some(ns) = ns {
            cmd.args(["ip", "netns", "exec", &ns.name]);
        }
        cmd.arg("chroot")
            .arg(&self.dir)
            .args(["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"])
            .args(args);
        cmd.output().expect("run chroot")
    }

    /// As [`Root::exec`], failing the test with the output unless it succeeds.
    fn run(&self, ns: Option<&Netns>, args: &[&str]) -> String {
        let out = self.exec(ns, args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{args:?} in the root failed:\n{text}");
        text
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        // The daemons the init scripts started, by their PID files (in
        // the root's /run: its /var/run is a link to /run).
        if let Ok(dir) = std::fs::read_dir(self.path("run")) {
            for e in dir.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("dhcp6") && name.ends_with(".pid") {
                    if let Ok(pid) = std::fs::read_to_string(e.path()) {
                        let _ = Command::new("kill").arg(pid.trim()).output();
                    }
                }
            }
        }
        // /proc, then the tmpfs that holds the whole root: nothing of it
        // stays on disk.
        for dir in [self.path("proc"), self.dir.clone()] {
            let _ = Command::new("umount").arg("-l").arg(&dir).output();
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The packages: `KAME6_DEBS` (a directory of built .debs), else built
/// into `out` by tools/debian-build.sh.
fn packages(out: &Path) -> Vec<PathBuf> {
    let dir = match std::env::var_os("KAME6_DEBS") {
        Some(d) => PathBuf::from(d),
        None => {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/debian-build.sh");
            let built = Command::new("bash")
                .arg(script)
                .arg(out)
                .output()
                .expect("run tools/debian-build.sh");
            assert!(
                built.status.success(),
                "tools/debian-build.sh failed:\n{}{}",
                String::from_utf8_lossy(&built.stdout),
                String::from_utf8_lossy(&built.stderr)
            );
            out.to_path_buf()
        }
    };
    let mut debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    debs.sort();
    let names: Vec<String> = debs
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in ["server", "client", "relay"] {
        let prefix = format!("kame6-dhcpv6-{want}_");
        assert!(
            names.iter().any(|n| n.starts_with(&prefix)),
            "no {prefix}*.deb in {dir:?}: {names:?}"
        );
    }
    debs
}

/// lintian on the packages: no error or warning left unexplained (the
/// overrides in debian/ carry the explanations).
fn lint(debs: &[PathBuf]) {
    let out = Command::new("lintian")
        .args(["--fail-on", "error,warning", "--no-tag-display-limit"])
        .args(debs)
        .output()
        .expect("run lintian");
    assert!(
        out.status.success(),
        "lintian:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The Debian mirror and suite apt uses on this machine (deb822
/// `.sources` or one-line `sources.list`); `KAME6_DEBIAN_MIRROR`
/// overrides the mirror.
fn mirror() -> (String, String) {
    let os = std::fs::read_to_string("/etc/os-release").unwrap();
    let suite = os
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .expect("VERSION_CODENAME in /etc/os-release")
        .trim_matches('"')
        .to_string();
    if let Ok(m) = std::env::var("KAME6_DEBIAN_MIRROR") {
        return (m, suite);
    }
    let mut texts = Vec::new();
    for dir in ["/etc/apt/sources.list.d"] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.path().extension().is_some_and(|x| x == "sources") {
                    texts.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
    }
    texts.push(std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default());
    for text in &texts {
        for stanza in text.split("\n\n") {
            let field = |k: &str| {
                stanza
                    .lines()
                    .find_map(|l| l.strip_prefix(k).map(str::trim))
                    .map(String::from)
            };
            if let (Some(uris), Some(suites)) = (field("URIs:"), field("Suites:")) {
                if suites.split_whitespace().any(|s| s == suite) {
                    return (uris.split_whitespace().next().unwrap().to_string(), suite);
                }
            }
        }
        for line in text.lines() {
            let w: Vec<&str> = line.split_whitespace().collect();
            if w.len() >= 3 && w[0] == "deb" && w[2] == suite {
                return (w[1].to_string(), suite);
            }
        }
    }
    panic!("no Debian mirror for {suite} in apt's sources; set KAME6_DEBIAN_MIRROR");
}

/// A minbase Debian root of this machine's release with WIDE-DHCPv6's
/// three packages installed, as on a router that runs WIDE today. It is
/// made in a tmpfs: dpkg syncs every file it writes, which a disk makes
/// slow, and the root is thrown away anyway.
fn bootstrap(dir: &Path) -> Root {
    let (uri, suite) = mirror();
    std::fs::create_dir_all(dir).unwrap();
    let dir_text = dir.to_string_lossy().into_owned();
    common::run(
        "mount",
        ["-t", "tmpfs", "-o", "size=2g,mode=755", "tmpfs", &dir_text],
    );
    let root = Root {
        dir: dir.to_path_buf(),
    };
    let out = Command::new("debootstrap")
        .args([
            "--variant=minbase",
            "--include=wide-dhcpv6-server,wide-dhcpv6-client,wide-dhcpv6-relay",
        ])
        .arg(&suite)
        .arg(dir)
        .arg(&uri)
        .output()
        .expect("run debootstrap");
    assert!(
        out.status.success(),
        "debootstrap {suite} from {uri} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // No service starts while packages are installed (as tools/setup.sh
    // does on the host): the test starts them itself, in namespaces.
    root.write("usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n");
    common::run(
        "chmod",
        ["755", &root.path("usr/sbin/policy-rc.d").to_string_lossy()],
    );
    common::run(
        "mount",
        ["-t", "proc", "proc", &root.path("proc").to_string_lossy()],
    );
    root
}

/// What the operator of the WIDE router has written: INTERFACES and
/// VERBOSE in the /etc/default files WIDE's postinst made (the relay's
/// flags go into INTERFACES, which WIDE's script puts unquoted on
/// dhcp6relay's command line), the two configuration files, and the DUID
/// file WIDE's dhcp6c made.
fn as_wide_operator(root: &Root) {
    for (program, interfaces) in [
        ("server", "s0 s1"),
        ("client", "c0 c1"),
        ("relay", "-r r1 r0"),
    ] {
        let file = format!("etc/default/wide-dhcpv6-{program}");
        let text = root.read(&file);
        // WIDE's postinst writes INTERFACES from its debconf question.
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let line = lines.iter_mut().find(|l| l.starts_with("INTERFACES="));
        *line.unwrap_or_else(|| panic!("no INTERFACES in WIDE's {file}:\n{text}")) =
            format!("INTERFACES=\"{interfaces}\"");
        lines.push("VERBOSE=1".into());
        root.write(&file, &(lines.join("\n") + "\n"));
    }
    root.write("etc/wide-dhcpv6/dhcp6s.conf", SERVER_CONF);
    root.write("etc/wide-dhcpv6/dhcp6c.conf", CLIENT_CONF);
    let duid = Duid::from_text(CLIENT_DUID).unwrap();
    std::fs::write(
        root.path("var/lib/dhcpv6/dhcp6c_duid"),
        duid.to_file_bytes(),
    )
    .unwrap();
}

/// The files an operator of WIDE has, byte for byte.
fn operator_files(root: &Root) -> Vec<(String, Vec<u8>)> {
    [
        "etc/default/wide-dhcpv6-server",
        "etc/default/wide-dhcpv6-client",
        "etc/default/wide-dhcpv6-relay",
        "etc/wide-dhcpv6/dhcp6s.conf",
        "etc/wide-dhcpv6/dhcp6c.conf",
        "etc/wide-dhcpv6/dhcp6cctlkey",
        "var/lib/dhcpv6/dhcp6c_duid",
    ]
    .iter()
    .map(|f| {
        (
            f.to_string(),
            std::fs::read(root.path(f)).unwrap_or_default(),
        )
    })
    .collect()
}

/// `dpkg -i` of kame6's packages inside the root: WIDE's are removed in
/// their favour (Conflicts, Replaces), every maintainer script runs, the
/// operator's files stay as they were and the init scripts are kame6's.
fn install_ours(root: &Root, debs: &[PathBuf]) {
    let before = operator_files(root);
    assert!(
        !before[5].1.is_empty(),
        "WIDE's postinst made no control key"
    );
    std::fs::create_dir_all(root.path("tmp/kame6-debs")).unwrap();
    // dhcp6c.conf is the operator's, edited since WIDE installed it: dpkg
    // asks whether to take the package's, and its default (taken here, as
    // `apt-get -o Dpkg::Options::=--force-confdef` takes it) keeps the
    // operator's. The conffiles left unedited are replaced silently.
    let mut args: Vec<String> = ["dpkg", "--force-confdef", "--force-confold", "-i"]
        .map(String::from)
        .to_vec();
    for deb in debs {
        let name = deb.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(deb, root.path(&format!("tmp/kame6-debs/{name}"))).unwrap();
        args.push(format!("/tmp/kame6-debs/{name}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let log = root.run(None, &args);
    for program in ["server", "client", "relay"] {
        let status = |pkg: &str| {
            root.run(
                None,
                &["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", pkg],
            )
            .trim()
            .to_string()
        };
        // ii: installed; ?c: removed, its conffiles' record kept (dpkg -i
        // leaves the selection as it was, apt would make it "r").
        assert_eq!(status(&format!("kame6-dhcpv6-{program}")), "ii", "{log}");
        let wide = status(&format!("wide-dhcpv6-{program}"));
        assert_eq!(wide.get(1..2), Some("c"), "{wide}\n{log}");
    }
    let after = operator_files(root);
    for ((file, old), (_, new)) in before.iter().zip(&after) {
        assert!(old == new, "dpkg -i changed {file}:\n{log}");
    }
    let init = root.read("etc/init.d/wide-dhcpv6-server");
    assert!(init.contains("kame6"), "{init}");
    let dhcp6s = root.run(None, &["dhcp6s", "--version"]);
    assert!(dhcp6s.contains("/etc/wide-dhcpv6/dhcp6s.conf"), "{dhcp6s}");
    assert!(dhcp6s.contains("/var/lib/dhcpv6/dhcp6s_duid"), "{dhcp6s}");
}

/// The root's /dev/log: the daemons' syslog lines (the init scripts start
/// them detached, as WIDE's, so syslog is where they report). A thread
/// reads it all the time: a full socket would block the daemons.
struct Syslog {
    lines: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Syslog {
    fn bind(root: &Root) -> Self {
        let path = root.path("dev/log");
        let _ = std::fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, st) = (Arc::clone(&lines), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while !st.load(Ordering::Relaxed) {
                if let Ok(n) = sock.recv(&mut buf) {
                    let line = String::from_utf8_lossy(&buf[..n]).into_owned();
                    l.lock().unwrap().push(line);
                }
            }
        });
        Self { lines, stop }
    }

    /// Every line so far, joined.
    fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Waits until a line contains every one of `needles`.
    fn wait_for(&self, needles: &[&str], timeout: Duration) -> String {
        let found = wait_until(timeout, || {
            let text = self.text();
            text.lines().any(|l| needles.iter().all(|n| l.contains(n)))
        });
        let text = self.text();
        assert!(
            found,
            "no syslog line with {needles:?} within {timeout:?}:\n{text}"
        );
        text
    }
}

impl Drop for Syslog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Three namespaces: the server on s0 (link A, to the client's c0) and
/// s1 (link C, to the relay's r1); the relay's r0 is link B, to the
/// client's c1.
fn topology() -> (Netns, Netns, Netns) {
    let (srv, rly, cli) = (Netns::new("ds"), Netns::new("dr"), Netns::new("dc"));
    veth(&cli, "c0", &srv, "s0");
    veth(&cli, "c1", &rly, "r0");
    veth(&rly, "r1", &srv, "s1");
    srv.addr("s0", "2001:db8:a::1/64");
    srv.addr("s1", "2001:db8:c::1/64");
    rly.addr("r0", "2001:db8:b::1/64");
    rly.addr("r1", "2001:db8:c::2/64");
    (srv, rly, cli)
}

/// The global addresses on `ifname` in `ns` from `prefix` (e.g. "2001:db8:a:").
fn addresses(ns: &Netns, ifname: &str, prefix: &str) -> Vec<String> {
    let out = ns.try_exec(&[
        "ip", "-6", "-o", "addr", "show", "dev", ifname, "scope", "global",
    ]);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|w| w.starts_with(prefix))
        .map(|w| w.split('/').next().unwrap().to_string())
        .collect()
}

/// The address dhcp6c got on `ifname` from `prefix`, waited for.
fn leased(cli: &Netns, ifname: &str, prefix: &str, syslog: &Syslog) -> String {
    let got = wait_until(Duration::from_secs(30), || {
        !addresses(cli, ifname, prefix).is_empty()
    });
    assert!(
        got,
        "no {prefix}… address on {ifname}; syslog:\n{}",
        syslog.text()
    );
    let mut a = addresses(cli, ifname, prefix);
    assert_eq!(a.len(), 1, "{a:?}");
    a.remove(0)
}

/// `dhcp6s --dump-leases` of instance `ifname`'s journal, run in the root.
fn journal(root: &Root, ifname: &str) -> String {
    root.run(
        None,
        &[
            "dhcp6s",
            "--dump-leases",
            &format!("/var/lib/dhcpv6/dhcp6s.{ifname}.leases"),
        ],
    )
}

/// Runs `/etc/init.d/wide-dhcpv6-{name} action` of the root in `ns`.
fn service(root: &Root, ns: &Netns, name: &str, action: &str) -> String {
    root.run(
        Some(ns),
        &[&format!("/etc/init.d/wide-dhcpv6-{name}"), action],
    )
}

/// The PIDs in the root's dhcp6s PID files, per interface.
fn server_pids(root: &Root) -> Vec<String> {
    ["s0", "s1"]
        .iter()
        .map(|i| root.read(&format!("run/dhcp6s.{i}.pid")).trim().to_string())
        .collect()
}

/// Both servers keep their own leases across the init script's restart:
/// new processes, each replaying its own journal with the one binding.
fn servers_keep_leases(root: &Root, srv: &Netns, syslog: &Syslog, a: &str, b: &str) {
    let before = server_pids(root);
    let locks: Vec<String> = ["s0", "s1"]
        .iter()
        .map(|i| root.read(&format!("var/lib/dhcpv6/dhcp6s.{i}.leases.lock")))
        .collect();
    let out = root.exec(Some(srv), &["/etc/init.d/wide-dhcpv6-server", "restart"]);
    if !out.status.success() {
        let ps = Command::new("ps")
            .args(["-eo", "pid,ppid,stat,args"])
            .output()
            .unwrap();
        let ps = String::from_utf8_lossy(&ps.stdout);
        let ps: Vec<&str> = ps.lines().filter(|l| l.contains("dhcp6")).collect();
        panic!(
            "restart failed: {}{}\nPID files before {before:?}, locks {locks:?}, now {:?}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            server_pids(root),
            ps.join("\n")
        );
    }
    let after = server_pids(root);
    for (old, new) in before.iter().zip(&after) {
        assert!(!new.is_empty() && new != old, "{before:?} → {after:?}");
    }
    for ifname in ["s0", "s1"] {
        let file = format!("/var/lib/dhcpv6/dhcp6s.{ifname}.leases:");
        syslog.wait_for(&[&file, " 1 bindings"], Duration::from_secs(10));
    }
    let (ja, jb) = (journal(root, "s0"), journal(root, "s1"));
    assert!(
        ja.contains(a) && ja.contains(CLIENT_DUID) && !ja.contains(b),
        "{ja}"
    );
    assert!(
        jb.contains(b) && jb.contains(CLIENT_DUID) && !jb.contains(a),
        "{jb}"
    );
}

/// The ifupdown hooks tell the running dhcp6c, through dhcp6ctl and the
/// control key WIDE's postinst made, to stop and start on c1.
fn ifupdown_hooks(root: &Root, cli: &Netns, syslog: &Syslog) {
    let hook = |dir: &str, mode: &str| {
        root.run(
            Some(cli),
            &[
                "env",
                "IFACE=c1",
                &format!("MODE={mode}"),
                &format!("/etc/network/{dir}/wide-dhcpv6-client"),
            ],
        )
    };
    hook("if-post-down.d", "stop");
    let gone = wait_until(Duration::from_secs(10), || {
        addresses(cli, "c1", "2001:db8:b:").is_empty()
    });
    assert!(gone, "c1 kept its address; syslog:\n{}", syslog.text());
    hook("if-up.d", "start");
    leased(cli, "c1", "2001:db8:b:", syslog);
}

#[test]
fn kame6_packages_replace_wide_in_a_debian_root() {
    require_root();
    for tool in [
        "dpkg-buildpackage",
        "dh",
        "lintian",
        "debootstrap",
        "chroot",
    ] {
        require_program(tool);
    }
    let started = Instant::now();
    let scratch = common::peers::Scratch::new(&common::unique("deb"));
    let root_dir = PathBuf::from(scratch.path("root"));
    // debootstrap (network and disk) while the packages build (CPU).
    let boot = std::thread::spawn(move || bootstrap(&root_dir));
    let debs = packages(Path::new(&scratch.path("debs")));
    lint(&debs);
    let built = started.elapsed();
    let root = boot.join().expect("debootstrap");
    eprintln!(
        "debian_packages: packages and lintian {built:?}, Debian root {:?}",
        started.elapsed()
    );

    as_wide_operator(&root);
    install_ours(&root, &debs);
    let syslog = Syslog::bind(&root);
    let (srv, rly, cli) = topology();
    service(&root, &srv, "server", "start");
    service(&root, &rly, "relay", "start");
    service(&root, &cli, "client", "start");
    let status = service(&root, &srv, "server", "status");
    assert!(status.contains("dhcp6s on s0 is running"), "{status}");
    assert!(status.contains("dhcp6s on s1 is running"), "{status}");

    // An address on each interface: link A straight from the s0 server,
    // link B through the relay from the s1 server.
    let a = leased(&cli, "c0", "2001:db8:a:", &syslog);
    let b = leased(&cli, "c1", "2001:db8:b:", &syslog);
    // The client kept the DUID WIDE's dhcp6c had: the servers know it by
    // that DUID, and the file is unchanged.
    let duid = Duid::from_text(CLIENT_DUID).unwrap();
    assert_eq!(
        std::fs::read(root.path("var/lib/dhcpv6/dhcp6c_duid")).unwrap(),
        duid.to_file_bytes()
    );
    // dhcp6c-script wrote the DNS server s0's server sent into resolv.conf.
    let dns = wait_until(Duration::from_secs(10), || {
        root.read("etc/resolv.conf")
            .contains("nameserver 2001:db8:a::53")
    });
    assert!(dns, "resolv.conf:\n{}", root.read("etc/resolv.conf"));

    servers_keep_leases(&root, &srv, &syslog, &a, &b);
    ifupdown_hooks(&root, &cli, &syslog);

    service(&root, &cli, "client", "stop");
    service(&root, &rly, "relay", "stop");
    service(&root, &srv, "server", "stop");
    let pids = std::fs::read_dir(root.path("run"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("dhcp6"))
        .count();
    assert_eq!(pids, 0, "PID files left after stop");
    eprintln!("debian_packages: whole test {:?}", started.elapsed());
}
