//! The configuration files on disk: the one place the configuration code
//! reads files ([`FsLoader`], includes resolved by the parser through it),
//! WIDE's default paths, and the `-t` check of a daemon's file.

use crate::config::{load_client, load_server, LoadError, Loader};

/// Reads configuration files from the file system, paths used as given
/// (so a relative one against the working directory).
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

    /// Beside the including file first (kame6's rule), then as written,
    /// i.e. against the working directory, where WIDE's `fopen` looks.
    fn load_include(&mut self, beside: &str, written: &str) -> Result<(String, String), LoadError> {
        include_lookup(beside, written, |p| self.load(p))
    }
}

/// The order in which an include is looked for: `beside` (the name
/// resolved against the including file's directory), then, only if that
/// does not exist, `written` (the name as written, which `open` resolves
/// against the working directory as WIDE does; the same path when the
/// name is absolute or the including file has no directory part). Any
/// other read error of `beside` is final, so an unreadable file is never
/// silently replaced by another. Returns the path read and its text.
fn include_lookup(
    beside: &str,
    written: &str,
    mut open: impl FnMut(&str) -> Result<String, LoadError>,
) -> Result<(String, String), LoadError> {
    match open(beside) {
        Ok(text) => Ok((beside.to_string(), text)),
        Err(LoadError::NotFound) if written != beside => match open(written) {
            Ok(text) => Ok((written.to_string(), text)),
            Err(LoadError::NotFound) => Err(LoadError::NotFound),
            // Name the file that failed: the error is reported under `beside`.
            Err(LoadError::Other(msg)) => Err(LoadError::Other(format!("{written}: {msg}"))),
        },
        Err(e) => Err(e),
    }
}

/// The compiled-in default for dhcp6s.conf (`SYSCONFDIR/dhcp6s.conf`, as
/// WIDE's; [`crate::paths`], doc/wide-compat.md §1.1).
pub const DEFAULT_SERVER_CONF: &str = crate::paths::SERVER_CONF;
/// The compiled-in default for dhcp4s.conf (`SYSCONFDIR/dhcp4s.conf`).
pub const DEFAULT_SERVER4_CONF: &str = crate::paths::SERVER4_CONF;
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

/// `dhcp4s -t`: parses and checks dhcp4s.conf at `path` without touching
/// the network; with `dump`, prints the configuration back.
pub fn check_server4_file(path: &str, dump: bool) -> CheckOutcome {
    match crate::config::load_server4(path, &mut FsLoader) {
        Ok(s) => {
            let mut err: String = s.warnings.iter().map(|w| format!("{w}\n")).collect();
            err.push_str(&format!("{path}: configuration OK\n"));
            CheckOutcome {
                out: if dump {
                    s.config.to_string()
                } else {
                    String::new()
                },
                err,
                ok: true,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An opener over a fixed set of files, recording what was tried.
    fn opener<'a>(
        files: &'a [(&'a str, Result<&'a str, &'a str>)],
        tried: &'a mut Vec<String>,
    ) -> impl FnMut(&str) -> Result<String, LoadError> + 'a {
        move |p: &str| {
            tried.push(p.to_string());
            match files.iter().find(|(name, _)| *name == p) {
                Some((_, Ok(text))) => Ok(text.to_string()),
                Some((_, Err(msg))) => Err(LoadError::Other(msg.to_string())),
                None => Err(LoadError::NotFound),
            }
        }
    }

    #[test]
    fn include_beside_first_then_working_directory() {
        let both = [("/etc/x/h.conf", Ok("beside")), ("h.conf", Ok("cwd"))];
        let mut tried = Vec::new();
        let got = include_lookup("/etc/x/h.conf", "h.conf", opener(&both, &mut tried));
        assert_eq!(got, Ok(("/etc/x/h.conf".into(), "beside".into())));
        assert_eq!(tried, ["/etc/x/h.conf"]);

        let cwd_only = [("h.conf", Ok("cwd"))];
        let mut tried = Vec::new();
        let got = include_lookup("/etc/x/h.conf", "h.conf", opener(&cwd_only, &mut tried));
        assert_eq!(got, Ok(("h.conf".into(), "cwd".into())));
        assert_eq!(tried, ["/etc/x/h.conf", "h.conf"]);

        let mut tried = Vec::new();
        let got = include_lookup("/etc/x/h.conf", "h.conf", opener(&[], &mut tried));
        assert_eq!(got, Err(LoadError::NotFound));
        assert_eq!(tried, ["/etc/x/h.conf", "h.conf"]);

        // Absolute (or no directory part): one path, tried once.
        let mut tried = Vec::new();
        let got = include_lookup("/abs.conf", "/abs.conf", opener(&[], &mut tried));
        assert_eq!(got, Err(LoadError::NotFound));
        assert_eq!(tried, ["/abs.conf"]);
    }

    #[test]
    fn include_read_errors_are_not_skipped() {
        // An unreadable file beside the including one is an error, not a
        // reason to read another file.
        let files = [
            ("/etc/x/h.conf", Err("permission denied")),
            ("h.conf", Ok("cwd")),
        ];
        let mut tried = Vec::new();
        let got = include_lookup("/etc/x/h.conf", "h.conf", opener(&files, &mut tried));
        assert_eq!(got, Err(LoadError::Other("permission denied".into())));
        assert_eq!(tried, ["/etc/x/h.conf"]);

        // A read error of the fallback names that file.
        let files = [("h.conf", Err("permission denied"))];
        let mut tried = Vec::new();
        let got = include_lookup("/etc/x/h.conf", "h.conf", opener(&files, &mut tried));
        assert_eq!(
            got,
            Err(LoadError::Other("h.conf: permission denied".into()))
        );
    }
}
