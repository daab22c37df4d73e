//! The FreeBSD port skeleton in freebsd/ is consistent with the repository,
//! and its rc.d scripts keep the rc.conf variables of the net/dhcp6 port
//! (WIDE-DHCPv6), so an existing rc.conf starts kame6 (issue 14).
//!
//! Nothing here runs on FreeBSD or uses FreeBSD's make: the checks are
//! static facts (every file the packing list names comes from the
//! repository or the build, every manual page and sample is shipped), the
//! scripts' syntax (`sh -n`, dash on Debian), and the command lines the
//! scripts build. For those, each script runs under `sh` with a stand-in
//! for /etc/rc.subr that does what rc.subr(8) does for a start
//! (`${name}_enable`, `start_precmd`, `required_files`, then
//! `$command ${name}_flags $command_args`) but prints the command line
//! instead of running it; the built program is then run with that command
//! line to show it accepts every flag. No root, no network namespaces.

// Runs sh(1) and reads file modes: Unix only.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The port's PREFIX in the tests (the ports' default LOCALBASE).
const PREFIX: &str = "/usr/local";

/// An interface no test machine has: the programs stop at it, or (`-t`)
/// only check the configuration.
const NO_SUCH_IF: &str = "kame6-none0";

/// The built programs, by name.
const PROGRAMS: [(&str, &str); 5] = [
    ("dhcp4s", env!("CARGO_BIN_EXE_dhcp4s")),
    ("dhcp6c", env!("CARGO_BIN_EXE_dhcp6c")),
    ("dhcp6ctl", env!("CARGO_BIN_EXE_dhcp6ctl")),
    ("dhcp6relay", env!("CARGO_BIN_EXE_dhcp6relay")),
    ("dhcp6s", env!("CARGO_BIN_EXE_dhcp6s")),
];

/// A stand-in for FreeBSD's /etc/rc.subr: the steps of `run_rc_command
/// start` that decide the command line, which it prints one word a line
/// (split as rc.subr's `eval` splits it), after `pidfile=` and `extra=`.
const RC_SUBR: &str = r#"
load_rc_config() { :; }
warn() { echo "$0: WARNING: $*" >&2; }
run_rc_command() {
	[ "$1" = start ] || { echo "stub rc.subr: only start" >&2; exit 2; }
	eval "_enable=\${${rcvar}}"
	case "$_enable" in
	[Yy][Ee][Ss]) ;;
	*) echo "Cannot 'start' $name. Set ${rcvar} to YES." >&2; exit 0 ;;
	esac
	if [ -n "$start_precmd" ]; then $start_precmd || exit 1; fi
	for _f in $required_files; do
		[ -r "$_f" ] || { warn "$_f is not readable."; exit 1; }
	done
	eval "_flags=\${${name}_flags}"
	echo "pidfile=$pidfile"
	echo "extra=$extra_commands"
	printf '%s\n' $command $_flags $command_args
}
"#;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn port() -> PathBuf {
    repo().join("freebsd")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The installed paths pkg-plist lists: `@sample` entries by their file,
/// the option prefixes (`%%PORTDOCS%%`, ...) removed.
fn plist() -> Vec<String> {
    read(&port().join("pkg-plist"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.strip_prefix("@sample ").unwrap_or(l))
        .inspect(|l| assert!(!l.starts_with('@'), "unexpected keyword: {l}"))
        .map(|l| {
            l.replace("%%PORTDOCS%%", "")
                .replace("%%PORTEXAMPLES%%", "")
        })
        .collect()
}

/// Where an installed path comes from: the name of a built program, or a
/// file of the repository (relative to its root).
#[derive(Debug, PartialEq)]
enum Source {
    Built(String),
    File(PathBuf),
}

/// The source of one pkg-plist path, as the port Makefile's do-install and
/// post-install targets install it; `None` for a path it does not install.
fn source(entry: &str) -> Option<Source> {
    if let Some(p) = entry.strip_prefix("sbin/") {
        return Some(Source::Built(p.to_string()));
    }
    if let Some(rest) = entry.strip_prefix("share/man/man") {
        let (section, page) = rest.split_once('/')?;
        let page = page.strip_suffix(".gz")?;
        // A page goes to the directory of its own section.
        if page.rsplit_once('.')?.1 != section {
            return None;
        }
        return Some(Source::File(Path::new("doc/man").join(page)));
    }
    if let Some(f) = entry.strip_prefix("etc/") {
        let conf = f.strip_suffix(".sample")?;
        return Some(Source::File(Path::new("conf").join(conf)));
    }
    if let Some(f) = entry.strip_prefix("%%DOCSDIR%%/") {
        let dir = if f == "README.md" { "" } else { "doc" };
        return Some(Source::File(Path::new(dir).join(f)));
    }
    let f = entry.strip_prefix("%%EXAMPLESDIR%%/")?;
    Some(Source::File(Path::new("conf").join(f)))
}

/// The words of a variable assignment in the port Makefile (`NAME=` with
/// its `\` continuation lines).
fn make_var(name: &str) -> Vec<String> {
    let text = read(&port().join("Makefile"));
    let mut lines = text.lines();
    let start = lines
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name}= in freebsd/Makefile"));
    let mut value = String::new();
    let mut line = Some(start);
    while let Some(l) = line {
        match l.strip_suffix('\\') {
            Some(l) => {
                value.push_str(l);
                line = lines.next();
            }
            None => {
                value.push_str(l);
                line = None;
            }
        }
    }
    value.split_whitespace().map(str::to_string).collect()
}

/// The names of the files in `dir` (not directories) that `keep` accepts.
fn file_names(dir: &Path, keep: impl Fn(&str) -> bool) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_file())
        .map(|entry| entry.file_name().into_string().unwrap())
        .filter(|n| keep(n))
        .collect()
}

/// Every pkg-plist entry is installed from a repository file that exists,
/// or is one of the programs the build makes (the root package's `[[bin]]`
/// targets, all five built here).
#[test]
fn every_plist_entry_comes_from_the_repository_or_the_build() {
    let manifest = read(&repo().join("Cargo.toml"));
    let mut built = BTreeSet::new();
    for entry in plist() {
        match source(&entry) {
            Some(Source::File(f)) => {
                assert!(repo().join(&f).is_file(), "{entry}: no {}", f.display());
            }
            Some(Source::Built(p)) => {
                assert!(
                    manifest.contains(&format!("name = \"{p}\"")),
                    "{entry}: no [[bin]] {p} in Cargo.toml"
                );
                let (_, exe) = PROGRAMS.iter().find(|(n, _)| *n == p).unwrap();
                assert!(Path::new(exe).is_file(), "{entry}: {exe} was not built");
                built.insert(p);
            }
            None => panic!("{entry}: not a path the port Makefile installs"),
        }
    }
    let all: BTreeSet<String> = PROGRAMS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(built, all, "pkg-plist must list the five programs");
    assert_eq!(
        make_var("KAME6_PROGRAMS")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        all
    );
}

/// Every manual page in doc/man is in pkg-plist and in the Makefile's
/// lists for its section, and nothing else is there.
#[test]
fn every_manual_page_is_shipped() {
    let man = repo().join("doc/man");
    let pages = file_names(&man, |n| {
        n.rsplit_once('.')
            .is_some_and(|(_, s)| s.len() == 1 && s.as_bytes()[0].is_ascii_digit())
    });
    assert!(pages.contains("dhcp6s.8"), "{pages:?}");
    let listed: BTreeSet<String> = plist()
        .iter()
        .filter_map(|e| match source(e) {
            Some(Source::File(f)) if f.starts_with("doc/man") => {
                Some(f.file_name().unwrap().to_str().unwrap().to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(listed, pages, "doc/man and pkg-plist differ");
    let mut in_make: BTreeSet<String> = make_var("KAME6_MAN5").into_iter().collect();
    in_make.extend(make_var("KAME6_MAN8"));
    assert_eq!(
        in_make, pages,
        "doc/man and the Makefile's KAME6_MAN5/8 differ"
    );
    for m in make_var("KAME6_MAN5") {
        assert!(m.ends_with(".5"), "{m} in KAME6_MAN5");
    }
}

/// Every sample in conf/ is shipped as an example, the two configuration
/// samples also as `@sample` files in etc/, and the documents the Makefile
/// installs are those pkg-plist lists. The control key samples hold a
/// published key and must never become `@sample` files (they would be
/// copied into etc/ as the daemons' keys).
#[test]
fn samples_and_documents_match_the_makefile() {
    let conf = file_names(&repo().join("conf"), |_| true);
    let entries = plist();
    let under = |prefix: &str| -> BTreeSet<String> {
        entries
            .iter()
            .filter_map(|e| e.strip_prefix(prefix))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        under("%%EXAMPLESDIR%%/"),
        conf,
        "conf/ and the examples differ"
    );
    let examples: BTreeSet<String> = make_var("KAME6_EXAMPLES").into_iter().collect();
    assert_eq!(examples, conf, "conf/ and KAME6_EXAMPLES differ");
    let etc = under("etc/");
    let want: BTreeSet<String> = ["dhcp6c.conf.sample", "dhcp6s.conf.sample"]
        .map(str::to_string)
        .into();
    assert_eq!(etc, want);
    let samples = read(&port().join("pkg-plist"));
    for line in samples.lines().filter(|l| l.starts_with('@')) {
        assert!(!line.contains("ctlkey"), "a published key as {line}");
    }
    let docs: BTreeSet<String> = make_var("KAME6_DOCS").into_iter().collect();
    assert_eq!(
        under("%%DOCSDIR%%/"),
        docs,
        "KAME6_DOCS and pkg-plist differ"
    );
}

/// The rc.d scripts the Makefile installs (USE_RC_SUBR) are the three in
/// freebsd/files, one per daemon, and each is valid sh once the ports
/// framework has put PREFIX in.
#[test]
fn rc_scripts_are_installed_and_pass_sh_n() {
    let files = port().join("files");
    let scripts: BTreeSet<String> = file_names(&files, |n| n.ends_with(".in"))
        .into_iter()
        .map(|n| n.strip_suffix(".in").unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = ["dhcp6c", "dhcp6relay", "dhcp6s"]
        .map(str::to_string)
        .into();
    assert_eq!(scripts, want);
    assert_eq!(
        make_var("USE_RC_SUBR").into_iter().collect::<BTreeSet<_>>(),
        want
    );
    for name in &want {
        let text = installed_script(name);
        let dir = Scratch::new(&format!("shn-{name}"));
        let path = dir.0.join(name);
        std::fs::write(&path, &text).unwrap();
        let out = Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(out.status.success(), "sh -n {name}: {}", said(&out));
        // The rc.d conventions rcorder(8) and rc.subr(8) rely on.
        assert!(text.starts_with("#!/bin/sh\n"), "{name}");
        for line in [
            format!("# PROVIDE: {name}"),
            "# REQUIRE: DAEMON".to_string(),
            "# KEYWORD: shutdown".to_string(),
            format!("name=\"{name}\""),
            format!("rcvar={name}_enable"),
            format!("command=\"{PREFIX}/sbin/${{name}}\""),
            "load_rc_config $name".to_string(),
            "run_rc_command \"$1\"".to_string(),
        ] {
            assert!(text.lines().any(|l| l == line), "{name}: no line {line:?}");
        }
    }
}

/// The script as the ports framework installs it (`%%PREFIX%%` replaced).
fn installed_script(name: &str) -> String {
    let text = read(&port().join("files").join(format!("{name}.in")));
    text.replace("%%PREFIX%%", PREFIX)
}

/// A directory of its own under the system's temporary directory, removed
/// when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Self {
        // The tests run in parallel in one process: a counter keeps two
        // scratch directories of the same kind apart.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("kame6-port-{what}-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What one `service NAME start` would do with the rc.conf variables
/// `rc_conf`.
struct Start {
    /// The script's exit status.
    ok: bool,
    /// Its stderr (rc.subr's warnings).
    stderr: String,
    /// `pidfile` as rc.subr would check it.
    pidfile: String,
    /// `extra_commands`.
    extra: String,
    /// The command line rc.subr would run.
    argv: Vec<String>,
}

/// Runs the installed form of rc.d script `name` with the stand-in rc.subr
/// and `rc_conf` in its environment (where load_rc_config would have put
/// them).
fn start(name: &str, rc_conf: &[(&str, &str)]) -> Start {
    let dir = Scratch::new(&format!("rc-{name}"));
    let subr = dir.0.join("rc.subr");
    std::fs::write(&subr, RC_SUBR).unwrap();
    let text = installed_script(name);
    assert!(
        text.contains("\n. /etc/rc.subr\n"),
        "{name} does not read rc.subr"
    );
    let script = dir.0.join(name);
    std::fs::write(
        &script,
        text.replace("/etc/rc.subr", subr.to_str().unwrap()),
    )
    .unwrap();
    let out = Command::new("sh")
        .arg(&script)
        .arg("start")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .envs(rc_conf.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = stdout.lines();
    let mut field = |key: &str| {
        lines
            .next()
            .and_then(|l| l.strip_prefix(key))
            .map(str::to_string)
            .unwrap_or_default()
    };
    let (pidfile, extra) = (field("pidfile="), field("extra="));
    Start {
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        pidfile,
        extra,
        argv: lines.map(str::to_string).collect(),
    }
}

fn conf(file: &str) -> String {
    repo().join("conf").join(file).display().to_string()
}

fn exe(program: &str) -> &'static str {
    PROGRAMS.iter().find(|(n, _)| *n == program).unwrap().1
}

/// Runs the built `program` with rc.subr's command line (without its
/// first word), `extra` in front.
fn run(program: &str, argv: &[String], extra: &[&str]) -> Output {
    Command::new(exe(program))
        .args(extra)
        .args(&argv[1..])
        .output()
        .unwrap()
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

/// dhcp6s started from an rc.conf written for net/dhcp6: `dhcp6s_enable`,
/// `dhcp6s_config`, `dhcp6s_interface` (net/dhcp6's singular name) and
/// `dhcp6s_flags` give the command line, which dhcp6s accepts (`-t`).
#[test]
fn dhcp6s_starts_from_a_net_dhcp6_rc_conf() {
    let config = conf("dhcp6s.conf");
    let s = start(
        "dhcp6s",
        &[
            ("dhcp6s_enable", "YES"),
            ("dhcp6s_config", &config),
            ("dhcp6s_interface", NO_SUCH_IF),
            ("dhcp6s_flags", "-d"),
        ],
    );
    assert!(s.ok, "{}", s.stderr);
    let want = format!("{PREFIX}/sbin/dhcp6s -d -c {config} -P /var/run/dhcp6s.pid {NO_SUCH_IF}");
    assert_eq!(s.argv, words(&want));
    assert_eq!(s.pidfile, "/var/run/dhcp6s.pid");
    assert_eq!(s.extra, "reload");
    let out = run("dhcp6s", &s.argv, &["-t"]);
    assert!(out.status.success(), "dhcp6s -t: {}", said(&out));

    // The plural name (as dhcp6c's and dhcp6relay's), with several
    // interfaces; it wins over the singular one.
    let s = start(
        "dhcp6s",
        &[
            ("dhcp6s_enable", "YES"),
            ("dhcp6s_config", &config),
            ("dhcp6s_interface", "em9"),
            ("dhcp6s_interfaces", "em0 em1"),
            ("dhcp6s_pidfile", "/var/run/dhcp6s.lan.pid"),
        ],
    );
    assert!(s.ok, "{}", s.stderr);
    let want = format!("{PREFIX}/sbin/dhcp6s -c {config} -P /var/run/dhcp6s.lan.pid em0 em1");
    assert_eq!(s.argv, words(&want));
    assert_eq!(s.pidfile, "/var/run/dhcp6s.lan.pid");
}

/// As rc.subr does: nothing runs unless `dhcp6s_enable` is YES; with no
/// interface or no configuration file the start fails with a warning.
#[test]
fn dhcp6s_refuses_without_enable_interface_or_config() {
    let config = conf("dhcp6s.conf");
    let s = start("dhcp6s", &[("dhcp6s_interface", NO_SUCH_IF)]);
    assert!(s.ok && s.argv.is_empty(), "{:?}", s.argv);
    assert!(s.stderr.contains("dhcp6s_enable"), "{}", s.stderr);

    let s = start(
        "dhcp6s",
        &[("dhcp6s_enable", "YES"), ("dhcp6s_config", &config)],
    );
    assert!(!s.ok && s.argv.is_empty(), "{:?}", s.argv);
    assert!(s.stderr.contains("dhcp6s_interface"), "{}", s.stderr);

    let missing = repo().join("conf/no-such-dhcp6s.conf");
    let missing = missing.to_str().unwrap();
    let s = start(
        "dhcp6s",
        &[
            ("dhcp6s_enable", "YES"),
            ("dhcp6s_config", missing),
            ("dhcp6s_interface", NO_SUCH_IF),
        ],
    );
    assert!(!s.ok && s.argv.is_empty(), "{:?}", s.argv);
    assert!(s.stderr.contains(missing), "{}", s.stderr);
}

/// dhcp6c started from net/dhcp6's variables, `dhcp6c_dhcp6cctlkey`
/// included; dhcp6c accepts the command line (`-t`).
#[test]
fn dhcp6c_starts_from_a_net_dhcp6_rc_conf() {
    let (config, key) = (conf("dhcp6c.conf"), conf("dhcp6cctlkey.sample"));
    let s = start(
        "dhcp6c",
        &[
            ("dhcp6c_enable", "YES"),
            ("dhcp6c_config", &config),
            ("dhcp6c_dhcp6cctlkey", &key),
            ("dhcp6c_interfaces", NO_SUCH_IF),
            ("dhcp6c_flags", "-n"),
        ],
    );
    assert!(s.ok, "{}", s.stderr);
    let want =
        format!("{PREFIX}/sbin/dhcp6c -n -c {config} -k {key} -p /var/run/dhcp6c.pid {NO_SUCH_IF}");
    assert_eq!(s.argv, words(&want));
    assert_eq!(s.pidfile, "/var/run/dhcp6c.pid");
    assert_eq!(s.extra, "reload");
    let out = run("dhcp6c", &s.argv, &["-t"]);
    assert!(out.status.success(), "dhcp6c -t: {}", said(&out));

    // net/dhcp6's dhcp6c_pidfile, with several interfaces.
    let s = start(
        "dhcp6c",
        &[
            ("dhcp6c_enable", "YES"),
            ("dhcp6c_config", &config),
            ("dhcp6c_dhcp6cctlkey", &key),
            ("dhcp6c_interfaces", "em0 em1"),
            ("dhcp6c_pidfile", "/var/run/dhcp6c.wan.pid"),
        ],
    );
    assert!(s.ok, "{}", s.stderr);
    let want =
        format!("{PREFIX}/sbin/dhcp6c -c {config} -k {key} -p /var/run/dhcp6c.wan.pid em0 em1");
    assert_eq!(s.argv, words(&want));
    assert_eq!(s.pidfile, "/var/run/dhcp6c.wan.pid");

    let s = start(
        "dhcp6c",
        &[("dhcp6c_enable", "YES"), ("dhcp6c_config", &config)],
    );
    assert!(!s.ok && s.argv.is_empty(), "{:?}", s.argv);
    assert!(s.stderr.contains("dhcp6c_interfaces"), "{}", s.stderr);
}

/// A missing control key is made at start, as net/dhcp6's script makes
/// it: readable by root only, one line of base64 that is a key. Needs
/// openssl(1) (in FreeBSD's base system); skipped without it unless CI is
/// set.
#[test]
fn dhcp6c_makes_its_control_key() {
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl is not installed, and CI is set"
        );
        eprintln!("dhcp6c_makes_its_control_key: SKIPPED: no openssl");
        return;
    }
    let dir = Scratch::new("key");
    let key = dir.0.join("dhcp6cctlkey");
    let config = conf("dhcp6c.conf");
    let s = start(
        "dhcp6c",
        &[
            ("dhcp6c_enable", "YES"),
            ("dhcp6c_config", &config),
            ("dhcp6c_dhcp6cctlkey", key.to_str().unwrap()),
            ("dhcp6c_interfaces", NO_SUCH_IF),
        ],
    );
    assert!(s.ok, "{}", s.stderr);
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let text = read(&key);
    assert_eq!(text.lines().count(), 1, "{text:?}");
    assert_eq!(text.trim_end().len(), 24, "16 octets in base64: {text:?}");
    // dhcp6ctl reads it as a key: a command to a port nobody listens on
    // gets as far as connecting (a bad key file stops it before, "failed
    // to setup message authentication").
    let out = Command::new(exe("dhcp6ctl"))
        .args(["-k", key.to_str().unwrap(), "-p", "1", "reload"])
        .output()
        .unwrap();
    let text = said(&out);
    assert!(text.contains("connect"), "{text}");
    assert!(!text.contains("authentication"), "{text}");
}

/// dhcp6relay started from net/dhcp6's variables; the relay accepts every
/// flag and stops at the interface that does not exist (exit 1; a flag
/// error would exit 2 with clap's usage).
#[test]
fn dhcp6relay_starts_from_a_net_dhcp6_rc_conf() {
    let s = start(
        "dhcp6relay",
        &[
            ("dhcp6relay_enable", "YES"),
            ("dhcp6relay_interfaces", NO_SUCH_IF),
            ("dhcp6relay_flags", "-s ff05::1:3"),
        ],
    );
    assert!(s.ok, "{}", s.stderr);
    let want =
        format!("{PREFIX}/sbin/dhcp6relay -s ff05::1:3 -p /var/run/dhcp6relay.pid {NO_SUCH_IF}");
    assert_eq!(s.argv, words(&want));
    assert_eq!(s.pidfile, "/var/run/dhcp6relay.pid");
    assert_eq!(s.extra, "reload");
    let out = run("dhcp6relay", &s.argv, &["-f"]);
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(NO_SUCH_IF), "{text}");

    let s = start("dhcp6relay", &[("dhcp6relay_enable", "YES")]);
    assert!(!s.ok && s.argv.is_empty(), "{:?}", s.argv);
    assert!(s.stderr.contains("dhcp6relay_interfaces"), "{}", s.stderr);
}
