//! The configuration files on disk: the one place the configuration code
//! reads files ([`FsLoader`], includes resolved by the parser through it),
//! WIDE's default paths, and the `-t` check of a daemon's file.

use crate::config::{load_client, load_server, LoadError, Loader};

/// Reads configuration files from the file system, paths used as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn load(&mut self, path: &str) -> Result<String, LoadError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                String::from_utf8(bytes).map_err(|_| LoadError::Other("not valid UTF-8".into()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(LoadError::NotFound),
            Err(e) => Err(LoadError::Other(e.to_string())),
        }
    }
}

/// The compiled-in default for dhcp6s.conf (`SYSCONFDIR/dhcp6s.conf`, as
/// WIDE's; [`crate::paths`], doc/wide-compat.md §1.1).
pub const DEFAULT_SERVER_CONF: &str = crate::paths::SERVER_CONF;
/// The compiled-in default for dhcp6c.conf (`SYSCONFDIR/dhcp6c.conf`).
pub const DEFAULT_CLIENT_CONF: &str = crate::paths::CLIENT_CONF;

/// Which daemon's file to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daemon {
    /// dhcp6s.conf
    Server,
    /// dhcp6c.conf
    Client,
}

/// What `-t` prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// For stdout: the configuration understood (with `-D`).
    pub out: String,
    /// For stderr: warnings and the error, one per line.
    pub err: String,
    /// True if the file is valid (exit 0).
    pub ok: bool,
}

/// `dhcp6s -t` / `dhcp6c -t`: parses and checks `path` without touching the
/// network; with `dump`, prints the configuration in KAME syntax.
///
/// WIDE refuses interface blocks naming interfaces that do not exist on the
/// machine; a check may run elsewhere, so here that is only a warning.
pub fn check_file(daemon: Daemon, path: &str, dump: bool) -> CheckOutcome {
    check(daemon, path, dump, None)
}

/// `dhcp6c -t [-P PROFILE]`: [`check_file`] for dhcp6c.conf and, with a
/// \[debian\] `-P` profile, the file must define it (the daemon would
/// configure no interface without a block from a profile that is not there).
pub fn check_client_file(path: &str, dump: bool, profile: Option<&str>) -> CheckOutcome {
    check(Daemon::Client, path, dump, profile)
}

fn check(daemon: Daemon, path: &str, dump: bool, profile: Option<&str>) -> CheckOutcome {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut loader = FsLoader;
    // The -P profile, when the file does not define it.
    let mut missing_profile = None;
    let (res, names) = match daemon {
        Daemon::Server => match load_server(path, &mut loader, now) {
            Ok(s) => {
                let names: Vec<String> =
                    s.config.interfaces.iter().map(|i| i.name.clone()).collect();
                (Ok((s.config.to_string(), s.warnings)), names)
            }
            Err(e) => (Err(e), Vec::new()),
        },
        Daemon::Client => match load_client(path, &mut loader, now) {
            Ok(s) => {
                let names: Vec<String> = s
                    .config
                    .interfaces
                    .iter()
                    .map(|i| i.name.clone())
                    .chain(
                        s.config
                            .ia_pds
                            .iter()
                            .flat_map(|ia| ia.prefix_interfaces.iter().map(|p| p.name.clone())),
                    )
                    .collect();
                missing_profile = profile.filter(|p| s.config.profile(p).is_none());
                (Ok((s.config.to_string(), s.warnings)), names)
            }
            Err(e) => (Err(e), Vec::new()),
        },
    };
    match res {
        Ok((text, warnings)) => {
            let mut err = String::new();
            for w in warnings {
                err.push_str(&w.to_string());
                err.push('\n');
            }
            let mut seen: Vec<&str> = Vec::new();
            for n in &names {
                if seen.contains(&n.as_str()) {
                    continue;
                }
                seen.push(n);
                if !interface_exists(n) {
                    err.push_str(&format!(
                        "{path}: warning: interface {n} does not exist on this machine\n"
                    ));
                }
            }
            let ok = match missing_profile {
                Some(p) => {
                    err.push_str(&format!("{path}: profile {p} (-P) is not defined\n"));
                    false
                }
                None => {
                    err.push_str(&format!("{path}: configuration OK\n"));
                    true
                }
            };
            CheckOutcome {
                out: if dump { text } else { String::new() },
                err,
                ok,
            }
        }
        Err(e) => CheckOutcome {
            out: String::new(),
            err: format!("{e}\n"),
            ok: false,
        },
    }
}

/// True if the kernel knows interface `name` (Linux sysfs).
#[cfg(target_os = "linux")]
fn interface_exists(name: &str) -> bool {
    !name.contains('/') && std::path::Path::new("/sys/class/net").join(name).exists()
}

/// True if the kernel knows interface `name` (it has an index).
#[cfg(not(target_os = "linux"))]
fn interface_exists(name: &str) -> bool {
    super::net::if_nametoindex(name).is_ok()
}
