//! Real DHCPv6 peers from Debian, started only inside test namespaces:
//! WIDE-DHCPv6 (dhcp6s, dhcp6c), ISC (dhclient -6, dhcrelay -6) and Kea
//! (kea-dhcp6). Each writes its configuration and state under a scratch
//! directory of the test and logs to a file the test can read.

use std::path::PathBuf;
use std::time::Duration;

use super::{require_program, wait_until, Daemon, Netns};

/// A scratch directory for one test, removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    /// Its path.
    pub dir: PathBuf,
}

impl Scratch {
    /// Creates `/tmp/<name>`.
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self { dir }
    }

    /// Writes `file` with `text` and returns its path as a string.
    pub fn write(&self, file: &str, text: &str) -> String {
        let p = self.dir.join(file);
        std::fs::write(&p, text).expect("write scratch file");
        p.to_string_lossy().into_owned()
    }

    /// A path inside the directory.
    pub fn path(&self, file: &str) -> String {
        self.dir.join(file).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// WIDE's compiled-in state directory: dhcp6s and dhcp6c keep their DUIDs
/// there (`dhcp6s_duid`, `dhcp6c_duid`) and have no option to move them.
const WIDE_STATE_DIR: &str = "/var/lib/dhcpv6";

/// The DUID the tests give WIDE's dhcp6c (a DUID-LLT), colon-hex.
pub const WIDE_CLIENT_DUID: &str = "00:01:00:01:2c:5e:1d:30:02:00:00:00:0c:01";

/// The DUID the tests give WIDE's dhcp6s.
pub const WIDE_SERVER_DUID: &str = "00:01:00:01:2c:5e:1d:30:02:00:00:00:0c:02";

/// The DUID of every WIDE dhcp6c the tests start with [`wide_dhcp6c`], as
/// colon-hex text for dhcp6s `host` blocks.
pub fn wide_client_duid() -> String {
    WIDE_CLIENT_DUID.to_string()
}

/// The command line that runs WIDE's `bin` with `args` and a state
/// directory of its own: `<scratch>/wide-<tag>`, holding the DUID file
/// `duid_file` with `duid` (colon-hex), written here, is bind-mounted over
/// /var/lib/dhcpv6 in the mount namespace `ip netns exec` gives the process.
/// So no two daemons, tests or runs share WIDE's DUID files, and none reads
/// one an earlier run left (nothing leaks to the host but the empty
/// directory the package would have made). Run it in a namespace with
/// `ns.spawn("/bin/sh", &argv)` or `ns.try_exec`.
pub fn wide_argv(
    s: &Scratch,
    tag: &str,
    (duid_file, duid): (&str, &str),
    bin: &std::path::Path,
    args: &[&str],
) -> Vec<String> {
    let dir = s.dir.join(format!("wide-{tag}"));
    std::fs::create_dir_all(&dir).expect("WIDE state dir");
    let d = libdhcp6::Duid::from_text(duid).expect("DUID text");
    std::fs::write(dir.join(duid_file), d.to_file_bytes()).expect("DUID file");
    let script = format!(
        r#"mkdir -p {WIDE_STATE_DIR} && mount --bind "$1" {WIDE_STATE_DIR} && shift && exec "$@""#
    );
    let mut argv = vec![
        "-c".to_string(),
        script,
        "sh".to_string(),
        dir.to_string_lossy().into_owned(),
        bin.to_string_lossy().into_owned(),
    ];
    argv.extend(args.iter().map(|a| a.to_string()));
    argv
}

/// WIDE's dhcp6s (`bin`) in `ns` with `args`, its DUID [`WIDE_SERVER_DUID`]
/// in a state directory of its own ([`wide_argv`]).
pub fn wide_dhcp6s_with(ns: &Netns, s: &Scratch, tag: &str, args: &[&str]) -> Daemon {
    let bin = require_program("dhcp6s");
    let argv = wide_argv(s, tag, ("dhcp6s_duid", WIDE_SERVER_DUID), &bin, args);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    ns.spawn("/bin/sh", &argv)
}

/// WIDE's dhcp6c in `ns` with `args`, its DUID `duid` in a state directory
/// of its own ([`wide_argv`]).
pub fn wide_dhcp6c_with(ns: &Netns, s: &Scratch, tag: &str, duid: &str, args: &[&str]) -> Daemon {
    let bin = require_program("dhcp6c");
    let argv = wide_argv(s, tag, ("dhcp6c_duid", duid), &bin, args);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    ns.spawn("/bin/sh", &argv)
}

/// WIDE's dhcp6s serving `iface` with `conf`, in the foreground.
pub fn wide_dhcp6s(ns: &Netns, s: &Scratch, iface: &str, conf: &str) -> Daemon {
    let conf = s.write("dhcp6s.conf", conf);
    let pid = s.path("dhcp6s.pid");
    let d = wide_dhcp6s_with(
        ns,
        s,
        "dhcp6s",
        &[
            "-f",
            "-D",
            "-k",
            "/dev/null",
            "-c",
            &conf,
            "-P",
            &pid,
            iface,
        ],
    );
    std::thread::sleep(Duration::from_millis(500));
    d
}

/// WIDE's dhcp6c on `iface` with `conf`, in the foreground, its DUID
/// [`WIDE_CLIENT_DUID`].
pub fn wide_dhcp6c(ns: &Netns, s: &Scratch, iface: &str, conf: &str) -> Daemon {
    wide_dhcp6c_as(ns, s, "c", iface, conf, WIDE_CLIENT_DUID)
}

/// The DUID our dhclient runs use: DUID-LL 02:00:00:00:00:02.
pub const ISC_CLIENT_DUID: [u8; 10] = [0, 3, 0, 1, 2, 0, 0, 0, 0, 2];

/// [`ISC_CLIENT_DUID`] in colon-hex form.
pub fn isc_client_duid_text() -> String {
    ISC_CLIENT_DUID
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// ISC's dhclient -6 asking for an address (-N) and a prefix (-P) on
/// `iface`; the lease file is returned for inspection. No script: the
/// test reads the lease file instead of relying on dhclient-script.
pub fn dhclient6(ns: &Netns, s: &Scratch, iface: &str) -> (Daemon, String) {
    let bin = require_program("dhclient");
    let leases = s.path("dhclient6.leases");
    // A known DUID (dhclient reads `default-duid` from its lease file), so
    // servers can hold host entries for it.
    let octal: String = ISC_CLIENT_DUID
        .iter()
        .map(|b| format!("\\{b:03o}"))
        .collect();
    std::fs::write(&leases, format!("default-duid \"{octal}\";\n")).expect("lease file");
    let pid = s.path("dhclient6.pid");
    let conf = s.write("dhclient6.conf", "");
    let script = s.write("dhclient-script", "#!/bin/sh\nexit 0\n");
    std::process::Command::new("chmod")
        .args(["755", &script])
        .output()
        .expect("chmod");
    let d = ns.spawn(
        bin.to_str().unwrap_or("dhclient"),
        &[
            "-6", "-d", "-v", "-N", "-P", "-cf", &conf, "-lf", &leases, "-pf", &pid, "-sf",
            &script, iface,
        ],
    );
    (d, leases)
}

/// Kea's timers and lifetimes (seconds): T1, T2, preferred, valid.
#[derive(Debug, Clone, Copy)]
pub struct KeaTimers {
    /// `renew-timer` (T1).
    pub renew: u32,
    /// `rebind-timer` (T2).
    pub rebind: u32,
    /// `preferred-lifetime`.
    pub preferred: u32,
    /// `valid-lifetime`.
    pub valid: u32,
}

impl KeaTimers {
    /// Long enough that nothing is renewed within a test.
    pub const LONG: Self = Self {
        renew: 1000,
        rebind: 2000,
        preferred: 3000,
        valid: 4000,
    };
}

/// Kea's kea-dhcp6 with a memfile lease store, answering on `iface` and on
/// its unicast `addr` (relays send there), with one subnet `subnet` (pool
/// `pool`) and prefixes of `pd_len` from `pd_prefix`/`pd_prefix_len`.
pub fn kea_dhcp6(
    ns: &Netns,
    s: &Scratch,
    iface: &str,
    addr: &str,
    subnet: &str,
    pool: &str,
    pd: (&str, u8, u8),
) -> Daemon {
    kea_dhcp6_timed(ns, s, iface, addr, (subnet, pool), pd, KeaTimers::LONG)
}

/// [`kea_dhcp6`] with the given timers; `subnet` is (subnet, pool). The
/// lease file is `kea-leases6.csv` in the scratch directory.
pub fn kea_dhcp6_timed(
    ns: &Netns,
    s: &Scratch,
    iface: &str,
    addr: &str,
    (subnet, pool): (&str, &str),
    pd: (&str, u8, u8),
    t: KeaTimers,
) -> Daemon {
    let bin = require_program("kea-dhcp6");
    let leases = s.path("kea-leases6.csv");
    let conf = format!(
        r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": [ "{iface}", "{iface}/{addr}" ] }},
  "lease-database": {{ "type": "memfile", "persist": true, "name": "{leases}", "lfc-interval": 0 }},
  "server-id": {{ "type": "EN", "enterprise-id": 2495, "identifier": "6b616d6536", "persist": false }},
  "renew-timer": {}, "rebind-timer": {}, "preferred-lifetime": {}, "valid-lifetime": {},
  "option-data": [ {{ "name": "dns-servers", "data": "2001:db8:ffff::53" }} ],
  "subnet6": [ {{
    "id": 1, "subnet": "{subnet}",
    "pools": [ {{ "pool": "{pool}" }} ],
    "pd-pools": [ {{ "prefix": "{}", "prefix-len": {}, "delegated-len": {} }} ]
  }} ],
  "loggers": [ {{ "name": "kea-dhcp6", "output_options": [ {{ "output": "stdout" }} ], "severity": "DEBUG", "debuglevel": 40 }} ]
}} }}"#,
        t.renew, t.rebind, t.preferred, t.valid, pd.0, pd.1, pd.2
    );
    let conf = s.write("kea-dhcp6.conf", &conf);
    let d = ns.spawn_env(
        bin.to_str().unwrap_or("kea-dhcp6"),
        &["-c", &conf],
        &[
            ("KEA_LOCKFILE_DIR", s.dir.to_str().unwrap_or("/tmp")),
            ("KEA_PIDFILE_DIR", s.dir.to_str().unwrap_or("/tmp")),
        ],
    );
    d.wait_log("DHCP6_STARTED", Duration::from_secs(15));
    d
}

/// ISC's dhcrelay -6: client side `lower`, upstream `upper` toward `server`.
pub fn dhcrelay6(ns: &Netns, s: &Scratch, lower: &str, upper: &str, server: &str) -> Daemon {
    let bin = require_program("dhcrelay");
    let pid = s.path("dhcrelay.pid");
    let up = format!("{server}%{upper}");
    let d = ns.spawn(
        bin.to_str().unwrap_or("dhcrelay"),
        &["-6", "-d", "-pf", &pid, "-l", lower, "-u", &up],
    );
    std::thread::sleep(Duration::from_millis(500));
    d
}

/// Waits until `ifname` in `ns` has an address starting with `prefix`; the address.
pub fn wait_address(ns: &Netns, ifname: &str, prefix: &str, timeout: Duration) -> Option<String> {
    let mut found = None;
    wait_until(timeout, || {
        let out = ns.try_exec(&["ip", "-6", "-o", "addr", "show", "dev", ifname]);
        found = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter(|w| w.starts_with(prefix))
            .map(|w| w.split('/').next().unwrap_or(w).to_string())
            .next();
        found.is_some()
    });
    found
}

/// Waits until the dhclient lease file mentions both an `iaaddr` and an `iaprefix`.
pub fn wait_dhclient_lease(leases: &str, timeout: Duration) -> Option<String> {
    let mut text = String::new();
    wait_until(timeout, || {
        text = std::fs::read_to_string(leases).unwrap_or_default();
        text.contains("iaaddr") && text.contains("iaprefix")
    })
    .then_some(text)
}

/// WIDE's dhcp6c with its own DUID (`duid`, colon-hex): several clients
/// in one test, told apart by `tag`.
pub fn wide_dhcp6c_as(
    ns: &Netns,
    s: &Scratch,
    tag: &str,
    iface: &str,
    conf: &str,
    duid: &str,
) -> Daemon {
    let conf = s.write(&format!("dhcp6c-{tag}.conf"), conf);
    let pid = s.path(&format!("dhcp6c-{tag}.pid"));
    wide_dhcp6c_with(
        ns,
        s,
        &format!("dhcp6c-{tag}"),
        duid,
        &[
            "-f",
            "-D",
            "-k",
            "/dev/null",
            "-c",
            &conf,
            "-p",
            &pid,
            iface,
        ],
    )
}

/// kame6's dhcp6s on `ifaces` with `conf`, foreground, debug log. Options
/// of a test's own (`-k FILE`) may lead `ifaces`.
pub fn our_dhcp6s(ns: &Netns, s: &Scratch, conf: &str, ifaces: &[&str]) -> Daemon {
    let conf = s.write("kame6-dhcp6s.conf", conf);
    let pid = s.path("kame6-dhcp6s.pid");
    let duid = s.path("kame6-dhcp6s.duid");
    let mut args = vec![
        "-f",
        "-D",
        "-c",
        conf.as_str(),
        "-P",
        pid.as_str(),
        "--duid-file",
        duid.as_str(),
    ];
    args.extend_from_slice(ifaces);
    let d = ns.spawn(env!("CARGO_BIN_EXE_dhcp6s"), &args);
    d.wait_log("server6_init: serving", Duration::from_secs(10));
    d
}

/// Asks a kame6 daemon for its counters (SIGUSR1) and returns its log
/// after they are written.
pub fn counters(d: &Daemon, marker: &str) -> String {
    let before = d.log().matches(marker).count();
    d.signal("USR1");
    wait_until(Duration::from_secs(20), || {
        d.log().matches(marker).count() > before
    });
    std::thread::sleep(Duration::from_millis(100));
    d.log()
}

/// The last value logged as `LABEL: received N` by the server's counters.
pub fn received(log: &str, label: &str) -> u64 {
    log.lines()
        .rev()
        .find_map(|l| l.split(&format!("{label}: received ")).nth(1))
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// The last `bindings: N` the server logged.
pub fn bindings(log: &str) -> Option<u64> {
    log.lines()
        .rev()
        .find_map(|l| l.split("bindings: ").nth(1))
        .and_then(|n| n.trim().parse().ok())
}

/// kame6's dhcp6c on `ifaces` with `conf`, foreground, debug log, its own
/// DUID and PID files in the scratch directory. Options of a test's own
/// (`-k FILE`, `-P PROFILE`) may lead `ifaces`.
pub fn our_dhcp6c(ns: &Netns, s: &Scratch, conf: &str, ifaces: &[&str]) -> Daemon {
    let conf = s.write("kame6-dhcp6c.conf", conf);
    let pid = s.path("kame6-dhcp6c.pid");
    let duid = s.path("kame6-dhcp6c.duid");
    let mut args = vec![
        "-f",
        "-D",
        "-c",
        conf.as_str(),
        "-p",
        pid.as_str(),
        "--duid-file",
        duid.as_str(),
    ];
    args.extend_from_slice(ifaces);
    let d = ns.spawn(env!("CARGO_BIN_EXE_dhcp6c"), &args);
    d.wait_log("client6_init: started", Duration::from_secs(10));
    d
}

/// kame6's dhcp6relay, foreground, debug log: client side `lower`,
/// upstream `upper` toward `server`; returns once it relays.
pub fn our_dhcp6relay(ns: &Netns, s: &Scratch, lower: &str, upper: &str, server: &str) -> Daemon {
    let pid = s.path("relay.pid");
    let d = ns.spawn(
        env!("CARGO_BIN_EXE_dhcp6relay"),
        &["-f", "-D", "-p", &pid, "-r", upper, "-s", server, lower],
    );
    d.wait_log("relaying for", Duration::from_secs(10));
    d
}

/// ISC's dhcpd -6 serving `iface` with `conf` (which needs a subnet6 for
/// the interface's prefix), in the foreground.
pub fn isc_dhcpd6(ns: &Netns, s: &Scratch, iface: &str, conf: &str) -> Daemon {
    let bin = require_program("dhcpd");
    let conf = s.write("dhcpd6.conf", conf);
    let leases = s.path("dhcpd6.leases");
    std::fs::write(&leases, "").expect("lease file");
    let pid = s.path("dhcpd6.pid");
    let d = ns.spawn(
        bin.to_str().unwrap_or("dhcpd"),
        &[
            "-6", "-f", "-d", "-cf", &conf, "-lf", &leases, "-pf", &pid, iface,
        ],
    );
    std::thread::sleep(Duration::from_millis(700));
    d
}

/// The valid and preferred lifetimes (seconds; `u32::MAX` for forever) the
/// kernel shows for `addr` on `ifname`.
pub fn addr_lifetimes(ns: &Netns, ifname: &str, addr: &str) -> Option<(u32, u32)> {
    let out = ns.try_exec(&["ip", "-6", "-o", "addr", "show", "dev", ifname]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text.lines().find(|l| {
        l.split_whitespace()
            .any(|w| w.split('/').next() == Some(addr))
    })?;
    let field = |name: &str| -> Option<u32> {
        let v = line.split_whitespace().skip_while(|w| *w != name).nth(1)?;
        if v == "forever" {
            Some(u32::MAX)
        } else {
            v.trim_end_matches("sec").parse().ok()
        }
    };
    Some((field("valid_lft")?, field("preferred_lft")?))
}
