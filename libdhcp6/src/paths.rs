//! Every compiled-in default path of the suite, from three directories
//! chosen at build time, as WIDE-DHCPv6's `configure` chooses them
//! (README "Build settings", doc/wide-compat.md §1.1):
//!
//! | build variable | what | WIDE upstream | Debian's WIDE packages |
//! | --- | --- | --- | --- |
//! | `KAME6_SYSCONFDIR` | configuration and control key files | `/usr/local/etc` | `/etc/wide-dhcpv6` |
//! | `KAME6_LOCALDBDIR` | DUID files, lease journals, replay counters | `/var/db` | `/var/lib/dhcpv6` |
//! | `KAME6_RUNDIR` | PID files | `/var/run` | `/var/run` |
//!
//! They are read with `option_env!` when libdhcp6 is compiled (rustc
//! records them in the dependency info, so cargo rebuilds when one
//! changes) and must be absolute paths without a trailing `/`; a build
//! that sets one otherwise fails. No build script: the paths are joined by
//! `const fn`s, so this module stays pure and nothing else is compiled for
//! it. Everything that needs a default path takes it from here.
//!
//! The lease journal and the replay counter are per server instance (one
//! dhcp6s per set of interfaces, as Debian starts them): their names come
//! from [`instance_name`]; doc/lease-journal.md has the rule.

/// Directory of the configuration and control key files (WIDE's
/// `sysconfdir`; `KAME6_SYSCONFDIR`, by default WIDE upstream's).
pub const SYSCONFDIR: &str = dir(option_env!("KAME6_SYSCONFDIR"), "/usr/local/etc");
/// Directory of the DUID files, lease journals and replay counters
/// (WIDE's `localdbdir`; `KAME6_LOCALDBDIR`, by default WIDE upstream's).
pub const LOCALDBDIR: &str = dir(option_env!("KAME6_LOCALDBDIR"), "/var/db");
/// Directory of the PID files (`KAME6_RUNDIR`, by default WIDE's).
pub const RUNDIR: &str = dir(option_env!("KAME6_RUNDIR"), "/var/run");

/// `value`, else `default`; a value that is not an absolute directory path
/// without a trailing `/` stops the build (evaluated in a const).
const fn dir(value: Option<&'static str>, default: &'static str) -> &'static str {
    let d = match value {
        Some(v) => v,
        None => default,
    };
    let b = d.as_bytes();
    assert!(
        b.len() > 1 && b[0] == b'/' && b[b.len() - 1] != b'/',
        "KAME6_SYSCONFDIR, KAME6_LOCALDBDIR and KAME6_RUNDIR must be absolute paths without a trailing /"
    );
    d
}

/// The octets of `dir`, `/` and `name`, in an array of exactly that length.
#[allow(clippy::indexing_slicing)] // const fn: the lengths are checked at compile time
const fn join_bytes<const N: usize>(dir: &str, name: &str) -> [u8; N] {
    let (d, n) = (dir.as_bytes(), name.as_bytes());
    assert!(d.len() + 1 + n.len() == N, "join!: wrong length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < d.len() {
        out[i] = d[i];
        i += 1;
    }
    out[i] = b'/';
    let mut j = 0;
    while j < n.len() {
        out[i + 1 + j] = n[j];
        j += 1;
    }
    out
}

/// `DIR/NAME` as a `&'static str`, computed at compile time.
macro_rules! join {
    ($dir:expr, $name:literal) => {{
        const LEN: usize = $dir.len() + 1 + $name.len();
        const BYTES: [u8; LEN] = join_bytes::<LEN>($dir, $name);
        match core::str::from_utf8(&BYTES) {
            Ok(s) => s,
            Err(_) => panic!("a build directory is not UTF-8"),
        }
    }};
}

/// dhcp6s's configuration file (WIDE's `SYSCONFDIR/dhcp6s.conf`).
pub const SERVER_CONF: &str = join!(SYSCONFDIR, "dhcp6s.conf");
/// dhcp6c's configuration file (WIDE's `SYSCONFDIR/dhcp6c.conf`).
pub const CLIENT_CONF: &str = join!(SYSCONFDIR, "dhcp6c.conf");
/// dhcp6s's control key file (WIDE's `SYSCONFDIR/dhcp6sctlkey`).
pub const SERVER_KEY_FILE: &str = join!(SYSCONFDIR, "dhcp6sctlkey");
/// dhcp6c's control key file (WIDE's `SYSCONFDIR/dhcp6cctlkey`).
pub const CLIENT_KEY_FILE: &str = join!(SYSCONFDIR, "dhcp6cctlkey");
/// dhcp6s's DUID file (WIDE's `LOCALDBDIR/dhcp6s_duid`), one server
/// identity per machine, shared by every instance.
pub const SERVER_DUID_FILE: &str = join!(LOCALDBDIR, "dhcp6s_duid");
/// dhcp6c's DUID file (WIDE's `LOCALDBDIR/dhcp6c_duid`).
pub const CLIENT_DUID_FILE: &str = join!(LOCALDBDIR, "dhcp6c_duid");
/// dhcp6s's PID file (WIDE's).
pub const SERVER_PIDFILE: &str = join!(RUNDIR, "dhcp6s.pid");
/// dhcp6c's PID file (WIDE's).
pub const CLIENT_PIDFILE: &str = join!(RUNDIR, "dhcp6c.pid");
/// dhcp6relay's PID file (WIDE's).
pub const RELAY_PIDFILE: &str = join!(RUNDIR, "dhcp6relay.pid");
/// The lease journal's default as `--version` shows it: beside the DUID
/// file, named after the instance's interfaces ([`lease_file_name`]).
pub const SERVER_LEASE_FILE: &str = join!(LOCALDBDIR, "dhcp6s.<interfaces>.leases");

/// dhcp4s's configuration file (`SYSCONFDIR/dhcp4s.conf`).
pub const SERVER4_CONF: &str = join!(SYSCONFDIR, "dhcp4s.conf");
/// dhcp4s's control key file (`SYSCONFDIR/dhcp4sctlkey`).
pub const SERVER4_KEY_FILE: &str = join!(SYSCONFDIR, "dhcp4sctlkey");
/// dhcp4s's lease journal (`LOCALDBDIR/dhcp4s.leases`): one DHCPv4 side
/// per machine, as one IPC port pair per DHCPv6 side.
pub const SERVER4_LEASE_FILE: &str = join!(LOCALDBDIR, "dhcp4s.leases");
/// dhcp4s's PID file.
pub const SERVER4_PIDFILE: &str = join!(RUNDIR, "dhcp4s.pid");

/// The lease journal's name before journals were per instance, shared by
/// every instance: still used when it is there and the instance has no
/// journal of its own yet (doc/lease-journal.md).
pub const LEGACY_LEASE_FILE_NAME: &str = "dhcp6s.leases";
/// The replay counter file's name before it was per instance.
pub const LEGACY_REPLAY_FILE_NAME: &str = "dhcp6s.replay";

/// The name of a dhcp6s instance: the interfaces it serves, sorted, each
/// once, joined by `,` (`eth0,eth1`); so `dhcp6s eth1 eth0` is the same
/// instance as `dhcp6s eth0 eth1`. A `/` (never in an interface name the
/// kernel accepts) becomes `_`, so the name stays one path component.
/// `None` without interfaces.
pub fn instance_name<S: AsRef<str>>(interfaces: &[S]) -> Option<String> {
    let mut names: Vec<String> = interfaces
        .iter()
        .map(|s| s.as_ref().replace(['/', '\0'], "_"))
        .collect();
    names.sort();
    names.dedup();
    (!names.is_empty()).then(|| names.join(","))
}

/// The default lease journal's file name of the instance serving
/// `interfaces`: `dhcp6s.<instance>.leases`, or the legacy
/// `dhcp6s.leases` without interfaces.
pub fn lease_file_name<S: AsRef<str>>(interfaces: &[S]) -> String {
    instance_name(interfaces).map_or_else(
        || LEGACY_LEASE_FILE_NAME.to_string(),
        |i| format!("dhcp6s.{i}.leases"),
    )
}

/// The replay counter file's name of the instance serving `interfaces`:
/// `dhcp6s.<instance>.replay`, or the legacy `dhcp6s.replay` without
/// interfaces.
pub fn replay_file_name<S: AsRef<str>>(interfaces: &[S]) -> String {
    instance_name(interfaces).map_or_else(
        || LEGACY_REPLAY_FILE_NAME.to_string(),
        |i| format!("dhcp6s.{i}.replay"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without the build variables, the defaults are WIDE upstream's.
    #[test]
    fn wide_defaults_without_build_settings() {
        if option_env!("KAME6_SYSCONFDIR").is_none() {
            assert_eq!(SYSCONFDIR, "/usr/local/etc");
            assert_eq!(SERVER_CONF, "/usr/local/etc/dhcp6s.conf");
            assert_eq!(CLIENT_CONF, "/usr/local/etc/dhcp6c.conf");
            assert_eq!(SERVER_KEY_FILE, "/usr/local/etc/dhcp6sctlkey");
            assert_eq!(CLIENT_KEY_FILE, "/usr/local/etc/dhcp6cctlkey");
        }
        if option_env!("KAME6_LOCALDBDIR").is_none() {
            assert_eq!(LOCALDBDIR, "/var/db");
            assert_eq!(SERVER_DUID_FILE, "/var/db/dhcp6s_duid");
            assert_eq!(CLIENT_DUID_FILE, "/var/db/dhcp6c_duid");
            assert_eq!(SERVER_LEASE_FILE, "/var/db/dhcp6s.<interfaces>.leases");
        }
        if option_env!("KAME6_RUNDIR").is_none() {
            assert_eq!(RUNDIR, "/var/run");
            assert_eq!(SERVER_PIDFILE, "/var/run/dhcp6s.pid");
            assert_eq!(CLIENT_PIDFILE, "/var/run/dhcp6c.pid");
            assert_eq!(RELAY_PIDFILE, "/var/run/dhcp6relay.pid");
        }
    }

    /// Whatever the build settings, every path is its directory's.
    #[test]
    fn paths_follow_their_directory() {
        for (dir, path, name) in [
            (SYSCONFDIR, SERVER_CONF, "dhcp6s.conf"),
            (SYSCONFDIR, CLIENT_KEY_FILE, "dhcp6cctlkey"),
            (LOCALDBDIR, SERVER_DUID_FILE, "dhcp6s_duid"),
            (RUNDIR, RELAY_PIDFILE, "dhcp6relay.pid"),
            (SYSCONFDIR, SERVER4_CONF, "dhcp4s.conf"),
            (SYSCONFDIR, SERVER4_KEY_FILE, "dhcp4sctlkey"),
            (LOCALDBDIR, SERVER4_LEASE_FILE, "dhcp4s.leases"),
            (RUNDIR, SERVER4_PIDFILE, "dhcp4s.pid"),
        ] {
            assert_eq!(path, format!("{dir}/{name}"));
        }
    }

    #[test]
    fn journal_follows_the_instance() {
        assert_eq!(lease_file_name(&["eth0"]), "dhcp6s.eth0.leases");
        assert_eq!(replay_file_name(&["eth0"]), "dhcp6s.eth0.replay");
        // A set: order and repeats do not make another instance.
        assert_eq!(
            lease_file_name(&["eth1", "eth0"]),
            "dhcp6s.eth0,eth1.leases"
        );
        assert_eq!(
            lease_file_name(&["eth0", "eth1", "eth0"]),
            "dhcp6s.eth0,eth1.leases"
        );
        // Different interfaces, different journals.
        assert_ne!(lease_file_name(&["eth0"]), lease_file_name(&["eth1"]));
        assert_ne!(
            lease_file_name(&["eth0"]),
            lease_file_name(&["eth0", "eth1"])
        );
        // Always one file name, never a path.
        assert_eq!(lease_file_name(&["../x"]), "dhcp6s..._x.leases");
        let none: [&str; 0] = [];
        assert_eq!(lease_file_name(&none), LEGACY_LEASE_FILE_NAME);
        assert_eq!(replay_file_name(&none), LEGACY_REPLAY_FILE_NAME);
    }
}
