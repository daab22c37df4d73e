//! The daemons' shell: what every daemon does around its own work, written
//! once. WIDE's shared flags (`-c configfile -d -D -f -k ctlkeyfile`, the
//! PID file flag, kame6's `-t`, `--duid-file` and `-u user -g group`),
//! `--version`, the configuration check, logging set-up, signals,
//! detaching from the terminal, the PID file and dropping root
//! ([`crate::sys::privs`]: part of [`Shell::detach`], so no daemon can take
//! `-u` and forget it). A daemon describes itself in a [`Program`],
//! adds its own flags to [`Program::command`], and drives the steps of the
//! [`Shell`] that [`Program::parse`] returns in the order KAME's `main`
//! takes them:
//!
//! ```text
//! let sh = DHCP6S.parse(DHCP6S.command().arg(...));  // -t, --version exit here
//! sh.init_logging();
//! let state = server6_init(&sh).unwrap_or_else(|e| sh.fail(e));
//! sh.needs.push(Need::NetAdmin);                    // what it uses after the drop
//! let _pid = sh.detach();                            // daemon(0, 0), PID file, -u/-g
//! sh.catch_signals();
//! ```
//!
//! Every default path a [`Program`] names comes from [`crate::paths`],
//! chosen at build time as WIDE's `configure` chooses them.
//!
//! The command lines stay WIDE's (README "Usage", tests/cli.rs): the
//! daemons differ in the PID file's letter (dhcp6s `-P`, dhcp6c and
//! dhcp6relay `-p`), and dhcp6relay has no configuration file and no
//! control channel, so no `-c`, `-t` or `-k`.

use std::fmt::{self, Display};
use std::path::{Path, PathBuf};
use std::process::exit;

use clap::{Arg, ArgAction, ArgMatches};

use crate::sys::conf::CheckOutcome;
use crate::sys::daemon::{daemonize, PidFile};
use crate::sys::log::{self, level_from_flags, Level};
use crate::sys::privs::{self, Ids, Need, Target};
use crate::sys::signal::{self, Caught};
use crate::{log_err, log_notice, log_warn};

/// A daemon as the shell sees it: its name, its defaults and which of
/// WIDE's shared flags it takes.
#[derive(Clone, Copy)]
pub struct Program {
    /// The program name: the syslog ident, the `name: error` prefix on
    /// stderr, the first word of `--version`.
    pub name: &'static str,
    /// One line for `--help` and `--version`.
    pub about: &'static str,
    /// The version `--version` prints (`env!("CARGO_PKG_VERSION")` of the
    /// binary's crate).
    pub version: &'static str,
    /// The KAME init function (`server6_init`, `client6_init`,
    /// `relay6_init`): start-up lines the shell logs carry its name.
    pub init: &'static str,
    /// The PID file's flag letter: `P` for dhcp6s, `p` for dhcp6c and
    /// dhcp6relay (WIDE's).
    pub pidfile_flag: char,
    /// WIDE's default PID file.
    pub pidfile: &'static str,
    /// `-c configfile` and `-t`, for a daemon that reads a configuration file.
    pub config: Option<ConfigFile>,
    /// `-k ctlkeyfile` and its default, for a daemon with a control channel.
    pub ctl_key: Option<&'static str>,
    /// `--duid-file PATH` and its default (WIDE's), for a daemon with a DUID.
    pub duid_file: Option<&'static str>,
    /// Further defaults `--version` lists after the DUID file, as
    /// `(what, path)` (dhcp6s's lease journal).
    pub more_defaults: &'static [(&'static str, &'static str)],
}

/// A daemon's configuration file: where it is by default and how `-t`
/// checks it.
#[derive(Clone, Copy)]
pub struct ConfigFile {
    /// WIDE's compiled-in default (`sys::conf::DEFAULT_*_CONF`).
    pub default: &'static str,
    /// `-t`: checks the file at the path given, without touching the
    /// network; the flag says whether to print the configuration (`-D`).
    /// The whole command line is there for flags a daemon's check also
    /// looks at (dhcp6c's `-P profile`).
    pub check: fn(&str, bool, &ArgMatches) -> CheckOutcome,
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Program").field("name", &self.name).finish()
    }
}

impl fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigFile")
            .field("default", &self.default)
            .finish()
    }
}

/// The `--version` flag (long only: no WIDE program has `-V`, and none
/// may gain a short flag WIDE's does not have). Prints the text given to
/// [`version_text`] and exits 0.
pub fn version_arg() -> Arg {
    Arg::new("version")
        .long("version")
        .action(ArgAction::Version)
        .help("print the version and the default paths, then exit")
        // Listed last, after the program's own flags.
        .display_order(usize::MAX)
}

/// What `--version` prints after the program name: the version, the
/// one-line description and one `what: value` line per default. Leaked
/// once per process, as clap keeps it for the life of the command.
pub fn version_text(version: &str, about: &str, defaults: &[(&str, String)]) -> &'static str {
    let mut text = format!("{version}\n{about}");
    for (what, value) in defaults {
        text.push_str(&format!("\n{what}: {value}"));
    }
    text.leak()
}

impl Program {
    /// The defaults `--version` lists.
    fn defaults(&self) -> Vec<(&'static str, String)> {
        let mut d = Vec::new();
        if let Some(c) = &self.config {
            d.push(("configuration file", c.default.to_string()));
        }
        if let Some(k) = self.ctl_key {
            d.push(("control key file", k.to_string()));
        }
        if let Some(f) = self.duid_file {
            d.push(("DUID file", f.to_string()));
        }
        d.extend(self.more_defaults.iter().map(|&(w, p)| (w, p.to_string())));
        d.push(("PID file", self.pidfile.to_string()));
        d
    }

    /// The command line with the shared flags; the daemon adds its own
    /// (and its interface arguments) with `.arg(...)`. The argument ids are
    /// `config`, `info`, `debug`, `foreground`, `ctlkey`, `pidfile`,
    /// `check`, `duid-file`, `user` and `group`.
    pub fn command(&self) -> clap::Command {
        let mut cmd = clap::Command::new(self.name)
            .about(self.about)
            .disable_version_flag(true)
            .long_version(version_text(self.version, self.about, &self.defaults()))
            .arg(version_arg());
        if self.config.is_some() {
            cmd = cmd.arg(
                Arg::new("config")
                    .short('c')
                    .value_name("configfile")
                    .help("configuration file"),
            );
        }
        cmd = cmd
            .arg(
                Arg::new("info")
                    .short('d')
                    .action(ArgAction::SetTrue)
                    .help("log at INFO level"),
            )
            .arg(
                Arg::new("debug")
                    .short('D')
                    .action(ArgAction::SetTrue)
                    .help("log at DEBUG level"),
            )
            .arg(
                Arg::new("foreground")
                    .short('f')
                    .action(ArgAction::SetTrue)
                    .help("stay in the foreground, log to stderr"),
            );
        if let Some(key) = self.ctl_key {
            cmd = cmd.arg(
                Arg::new("ctlkey")
                    .short('k')
                    .value_name("ctlkeyfile")
                    .help(format!("control channel key file (default {key})")),
            );
        }
        cmd = cmd.arg(
            Arg::new("pidfile")
                .short(self.pidfile_flag)
                .value_name("pidfile")
                .help(format!("PID file (default {})", self.pidfile)),
        );
        if self.config.is_some() {
            cmd = cmd.arg(
                Arg::new("check")
                    .short('t')
                    .action(ArgAction::SetTrue)
                    .help(
                        "check the configuration file and exit (0 valid, 1 not); with -D print it",
                    ),
            );
        }
        if let Some(duid) = self.duid_file {
            cmd = cmd.arg(
                Arg::new("duid-file")
                    .long("duid-file")
                    .value_name("PATH")
                    .help(format!("DUID file (default {duid}, WIDE's)")),
            );
        }
        cmd.arg(
            Arg::new("user")
                .short('u')
                .value_name("user")
                .help("after start-up run as this user, keeping only the capabilities still used"),
        )
        .arg(
            Arg::new("group")
                .short('g')
                .value_name("group")
                .help("after start-up run as this group (default: the user's)"),
        )
    }

    /// Parses the process's command line with `cmd` (built from
    /// [`Program::command`]): usage errors, `--help` and `--version` end
    /// the process as clap does; `-t` checks the configuration file, prints
    /// the outcome and exits 0 if it is valid, 1 if not. Mirrors the
    /// getopt loop of KAME's `main`.
    pub fn parse(&self, cmd: clap::Command) -> Shell {
        let shell = Shell::new(*self, cmd.get_matches());
        if let Some(outcome) = shell.check_config() {
            print!("{}", outcome.out);
            eprint!("{}", outcome.err);
            exit(if outcome.ok { 0 } else { 1 });
        }
        shell
    }
}

/// A daemon's parsed command line and the start-up steps around its own
/// work. The shared settings are public, so a daemon may adjust them
/// before the step that uses them (dhcp6c's `-i` runs in the foreground).
#[derive(Debug)]
pub struct Shell {
    program: Program,
    /// The whole command line, for the daemon's own flags.
    pub args: ArgMatches,
    /// `-c`, else the default; `None` for a daemon without a file.
    pub config: Option<String>,
    /// The most verbose level logged: `-D` debug, `-d` info, else errors.
    pub level: Level,
    /// `-f`: no detaching, log lines on stderr.
    pub foreground: bool,
    /// The PID file to write; `None` writes none.
    pub pidfile: Option<PathBuf>,
    /// `--duid-file`, else the default; `None` for a daemon without a DUID.
    pub duid_file: Option<PathBuf>,
    /// What the daemon still uses after dropping root with `-u`: kept as
    /// capabilities on Linux, refused on systems without them.
    pub needs: Vec<Need>,
    /// Directories the daemon creates files in after dropping root (what
    /// is kept there, the directory): with `-u` each must be writable by
    /// the user, or start-up is refused.
    pub writes: Vec<(&'static str, PathBuf)>,
    /// Past [`Shell::detach`]: stderr may be gone, errors go to the log.
    detached: bool,
}

impl Shell {
    /// The shared settings of `args`, parsed by [`Program::command`]'s
    /// flags, with `program`'s defaults where a flag is absent.
    pub fn new(program: Program, args: ArgMatches) -> Self {
        let text = |id: &str| args.try_get_one::<String>(id).ok().flatten().cloned();
        let flag = |id: &str| args.try_get_one::<bool>(id).ok().flatten() == Some(&true);
        Self {
            config: program
                .config
                .map(|c| text("config").unwrap_or_else(|| c.default.to_string())),
            level: level_from_flags(flag("debug"), flag("info")),
            foreground: flag("foreground"),
            pidfile: Some(PathBuf::from(
                text("pidfile").unwrap_or_else(|| program.pidfile.to_string()),
            )),
            duid_file: program
                .duid_file
                .map(|d| PathBuf::from(text("duid-file").unwrap_or_else(|| d.to_string()))),
            needs: Vec::new(),
            writes: Vec::new(),
            detached: false,
            program,
            args,
        }
    }

    /// The program this shell runs.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// With `-t`, the check of the configuration file; `None` without.
    pub fn check_config(&self) -> Option<CheckOutcome> {
        let c = self.program.config?;
        let path = self.config.as_deref()?;
        let check = self.args.try_get_one::<bool>("check").ok().flatten() == Some(&true);
        check.then(|| (c.check)(path, self.level == Level::Debug, &self.args))
    }

    /// The PID file path given as WIDE's default (not named on the command
    /// line, or named as the default).
    pub fn pidfile_is_default(&self) -> bool {
        self.pidfile.as_deref() == Some(Path::new(self.program.pidfile))
    }

    /// Sets up logging: syslog (facility daemon) under the program's name,
    /// or stderr in the foreground, at the level of `-d` / `-D`.
    pub fn init_logging(&self) {
        log::init(self.program.name, self.level, self.foreground);
    }

    /// Catches SIGTERM, SIGINT, SIGHUP and SIGUSR1 for the main loop
    /// (`sys::signal::take`); a failure ends the process.
    pub fn catch_signals(&self) {
        if let Err(e) = signal::catch(&[Caught::Term, Caught::Hup, Caught::Usr1, Caught::Int]) {
            self.fail(format_args!("signals: {e}"));
        }
    }

    /// Detaches from the terminal unless in the foreground (KAME's
    /// `daemon(0, 0)`; a failure ends the process), then writes the PID
    /// file, which is removed when the returned guard is dropped. A PID
    /// file that cannot be written is logged, not fatal, as in WIDE.
    ///
    /// With `-u`/`-g`, the process then drops root keeping [`Shell::needs`]
    /// ([`crate::sys::privs`]); whether it can is decided before
    /// detaching, so a refusal (unknown user, a needed capability that
    /// would be lost, a directory of [`Shell::writes`] the user cannot
    /// write) ends the process with the reason on stderr.
    pub fn detach(&mut self) -> Option<PidFile> {
        let target = self.privileges();
        if !self.foreground {
            if let Err(e) = daemonize() {
                self.fail(format_args!("daemon: {e}"));
            }
        }
        self.detached = true;
        let pid = self.pidfile.as_ref().and_then(|path| {
            PidFile::create(path)
                .map_err(|e| log_err!(self.program.init, "pid file {}: {e}", path.display()))
                .ok()
        });
        if let Some(t) = target {
            self.drop_privileges(&t);
        }
        pid
    }

    /// Adds the directory of `file` to [`Shell::writes`]: the daemon
    /// creates files beside `file` (what it is: `what`) after dropping root.
    pub fn writes_beside(&mut self, what: &'static str, file: &Path) {
        let dir = file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        self.writes.push((what, dir.to_path_buf()));
    }

    /// `-u`/`-g` looked up and checked against what the daemon needs;
    /// `None` without them. A refusal ends the process.
    fn privileges(&self) -> Option<Target> {
        let text = |id: &str| self.args.try_get_one::<String>(id).ok().flatten().cloned();
        let (user, group) = (text("user"), text("group"));
        let target =
            privs::resolve(user.as_deref(), group.as_deref()).unwrap_or_else(|e| self.fail(e))?;
        let now = Ids::current().unwrap_or_else(|e| self.fail(format_args!("capget: {e}")));
        if let Err(e) = privs::check(&target, &self.needs, now) {
            self.fail(e);
        }
        for (what, dir) in &self.writes {
            if let Err(e) = privs::check_writable(&target, what, dir) {
                self.fail(e);
            }
        }
        Some(target)
    }

    /// Drops to `target` (checked by [`Shell::privileges`]), logs what the
    /// process runs as, and warns when the configuration file can no
    /// longer be read: a reload would then keep the running configuration.
    fn drop_privileges(&self, target: &Target) {
        let init = self.program.init;
        match privs::drop_to(target, &self.needs) {
            Ok(d) => log_notice!(init, "{d}"),
            Err(e) => self.fail(e),
        }
        if let Some(path) = &self.config {
            if let Err(e) = std::fs::File::open(path) {
                log_warn!(
                    init,
                    "{path}: {e} after dropping root; a reload will keep the running configuration"
                );
            }
        }
    }

    /// Ends the process with status 1 on a start-up error: the reason on
    /// stderr as `name: reason`, or in the log once detached.
    pub fn fail(&self, reason: impl Display) -> ! {
        if self.detached {
            log_err!(self.program.init, "{reason}");
        } else {
            eprintln!("{}: {reason}", self.program.name);
        }
        exit(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, dump: bool, args: &ArgMatches) -> CheckOutcome {
        CheckOutcome {
            out: format!("{path} {dump}"),
            err: args.get_one::<String>("extra").cloned().unwrap_or_default(),
            ok: true,
        }
    }

    const SERVER: Program = Program {
        name: "d6s",
        about: "a test server",
        version: "9.8.7",
        init: "server6_init",
        pidfile_flag: 'P',
        pidfile: "/var/run/d6s.pid",
        config: Some(ConfigFile {
            default: "/etc/d6s.conf",
            check,
        }),
        ctl_key: Some("/etc/d6skey"),
        duid_file: Some("/var/db/d6s_duid"),
        more_defaults: &[("lease journal", "/var/db/d6s.leases")],
    };

    const RELAY: Program = Program {
        name: "d6relay",
        about: "a test relay",
        version: "9.8.7",
        init: "relay6_init",
        pidfile_flag: 'p',
        pidfile: "/var/run/d6relay.pid",
        config: None,
        ctl_key: None,
        duid_file: None,
        more_defaults: &[],
    };

    fn parse(p: Program, argv: &[&str]) -> Result<Shell, clap::Error> {
        let cmd = p
            .command()
            .arg(Arg::new("extra").short('x'))
            .arg(Arg::new("interface").num_args(0..));
        let m = cmd.try_get_matches_from(std::iter::once(p.name).chain(argv.iter().copied()))?;
        Ok(Shell::new(p, m))
    }

    #[test]
    fn defaults_without_flags() {
        let sh = parse(SERVER, &["eth0"]).unwrap();
        assert_eq!(sh.config.as_deref(), Some("/etc/d6s.conf"));
        assert_eq!(sh.level, Level::Err);
        assert!(!sh.foreground);
        assert_eq!(sh.pidfile, Some(PathBuf::from("/var/run/d6s.pid")));
        assert!(sh.pidfile_is_default());
        assert_eq!(sh.duid_file, Some(PathBuf::from("/var/db/d6s_duid")));
        assert!(sh.check_config().is_none());
    }

    /// WIDE's shared flags, bundled as getopt takes them.
    #[test]
    fn shared_flags() {
        let sh = parse(
            SERVER,
            &[
                "-dDf",
                "-c",
                "/tmp/c.conf",
                "-P",
                "/tmp/pid",
                "-k",
                "/tmp/key",
                "--duid-file",
                "/tmp/duid",
                "eth0",
            ],
        )
        .unwrap();
        assert_eq!(sh.config.as_deref(), Some("/tmp/c.conf"));
        assert_eq!(sh.level, Level::Debug);
        assert!(sh.foreground);
        assert_eq!(sh.pidfile, Some(PathBuf::from("/tmp/pid")));
        assert!(!sh.pidfile_is_default());
        assert_eq!(sh.duid_file, Some(PathBuf::from("/tmp/duid")));
        assert_eq!(
            sh.args.get_one::<String>("ctlkey").map(String::as_str),
            Some("/tmp/key")
        );
        assert_eq!(parse(SERVER, &["-d"]).unwrap().level, Level::Info);
    }

    /// dhcp6relay's shape: `-p pidfile`, and no `-c`, `-t`, `-k` or
    /// `--duid-file`.
    #[test]
    fn a_daemon_takes_only_its_flags() {
        let sh = parse(RELAY, &["-p", "/tmp/r.pid", "eth0"]).unwrap();
        assert_eq!(sh.pidfile, Some(PathBuf::from("/tmp/r.pid")));
        assert_eq!(sh.config, None);
        assert_eq!(sh.duid_file, None);
        for bad in [
            &["-c", "x"][..],
            &["-t"],
            &["-k", "x"],
            &["--duid-file", "x"],
        ] {
            assert!(parse(RELAY, bad).is_err(), "{bad:?}");
        }
        // dhcp6s's -p is its own (the control port), not the PID file.
        assert!(parse(SERVER, &["-p", "x"]).is_err());
    }

    /// `-u user -g group` on every daemon; the shell starts with nothing
    /// kept and no directory to check, for the daemon to fill in.
    #[test]
    fn user_and_group_flags() {
        for p in [SERVER, RELAY] {
            let sh = parse(p, &["-u", "nobody", "-g", "nogroup", "eth0"]).unwrap();
            let get = |id: &str| sh.args.get_one::<String>(id).cloned();
            assert_eq!(get("user").as_deref(), Some("nobody"));
            assert_eq!(get("group").as_deref(), Some("nogroup"));
            assert!(sh.needs.is_empty() && sh.writes.is_empty());
        }
    }

    /// `-t` runs the daemon's check on `-c`'s file, printing with `-D`,
    /// and the check sees the whole command line.
    #[test]
    fn check_flag() {
        let o = parse(SERVER, &["-t", "-D", "-c", "/tmp/x.conf", "-x", "seen"])
            .unwrap()
            .check_config()
            .unwrap();
        assert_eq!(o.out, "/tmp/x.conf true");
        assert_eq!(o.err, "seen");
        let o = parse(SERVER, &["-t"]).unwrap().check_config().unwrap();
        assert_eq!(o.out, "/etc/d6s.conf false");
    }

    #[test]
    fn version_lists_the_defaults() {
        let e = parse(SERVER, &["--version"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayVersion);
        assert_eq!(
            e.to_string(),
            "d6s 9.8.7\na test server\nconfiguration file: /etc/d6s.conf\n\
             control key file: /etc/d6skey\nDUID file: /var/db/d6s_duid\n\
             lease journal: /var/db/d6s.leases\nPID file: /var/run/d6s.pid\n"
        );
        let e = parse(RELAY, &["--version"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "d6relay 9.8.7\na test relay\nPID file: /var/run/d6relay.pid\n"
        );
        // No -V: WIDE's programs have none.
        assert!(parse(RELAY, &["-V"])
            .is_err_and(|e| e.kind() != clap::error::ErrorKind::DisplayVersion));
    }
}
