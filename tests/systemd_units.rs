//! The systemd units in conf/systemd pass `systemd-analyze verify`, stay
//! within an exposure bound of `systemd-analyze security`, and start their
//! daemon with flags the daemon accepts (issue 14).
//!
//! `systemd-analyze` comes with Debian's `systemd` package (tools/setup.sh
//! installs it); systemd need not be running. Without it the tests are
//! skipped with a message on a developer's machine, but fail when the `CI`
//! environment variable is set.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Where the units name the programs (WIDE's upstream prefix).
const SBIN: &str = "/usr/local/sbin";

/// The instance the units are checked with.
const INSTANCE: &str = "eth0";

/// An interface no test machine has: the flag check must stop before
/// touching anything.
const NO_SUCH_IF: &str = "kame6-none0";

/// One unit template and the bound on its exposure level.
struct Unit {
    /// The program, also the template's name before `@`.
    program: &'static str,
    /// The built program.
    exe: &'static str,
    /// Highest acceptable "Overall exposure level" (0 to 10). dhcp6c's is
    /// higher because its unit leaves room for the configured script.
    max_exposure: f64,
}

const UNITS: [Unit; 3] = [
    Unit {
        program: "dhcp6s",
        exe: env!("CARGO_BIN_EXE_dhcp6s"),
        max_exposure: 2.2,
    },
    Unit {
        program: "dhcp6c",
        exe: env!("CARGO_BIN_EXE_dhcp6c"),
        max_exposure: 3.8,
    },
    Unit {
        program: "dhcp6relay",
        exe: env!("CARGO_BIN_EXE_dhcp6relay"),
        max_exposure: 2.2,
    },
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The template as shipped.
fn template(program: &str) -> String {
    let path = repo().join(format!("conf/systemd/{program}@.service"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A unit template installed in a scratch directory, removed when dropped.
struct Installed {
    dir: PathBuf,
    /// The instance unit (`program@eth0.service`) to hand to systemd-analyze.
    unit: PathBuf,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes `text` as `u`'s template into a scratch directory of its own,
/// with the installed path of the program replaced by the built one
/// (verify wants every ExecStart binary to exist).
fn install(test: &str, u: &Unit, text: &str) -> Installed {
    let from = format!("{SBIN}/{} ", u.program);
    assert_eq!(
        text.matches(&from).count(),
        1,
        "{}@.service: expected one ExecStart running {from}",
        u.program
    );
    let dir = std::env::temp_dir().join(format!(
        "kame6-units-{}-{test}-{}",
        std::process::id(),
        u.program
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let text = text.replace(&from, &format!("{} ", u.exe));
    std::fs::write(dir.join(format!("{}@.service", u.program)), text).unwrap();
    Installed {
        unit: dir.join(format!("{}@{INSTANCE}.service", u.program)),
        dir,
    }
}

/// Runs `systemd-analyze` with `args`.
fn analyze(args: &[&str], unit: &Path) -> Output {
    Command::new("systemd-analyze")
        .args(args)
        .arg(unit)
        .output()
        .unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What `systemd-analyze verify` says about `unit`: `None` when it is
/// clean. Its exit status alone is not enough: unknown keys and values it
/// cannot parse are reported as warnings with status 0.
fn verify(unit: &Path) -> Option<String> {
    // --man=no: the pages are not installed where man(1) looks.
    let out = analyze(&["verify", "--man=no"], unit);
    let text = said(&out);
    if out.status.success() && text.trim().is_empty() {
        None
    } else {
        Some(format!("{} ({}):\n{text}", unit.display(), out.status))
    }
}

/// True if systemd-analyze can be run; false (after saying why) when it is
/// missing outside CI. A missing systemd-analyze under CI is a failure.
fn have_analyze(test: &str) -> bool {
    match Command::new("systemd-analyze").arg("--version").output() {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: systemd-analyze is not installed, and CI is set: run tools/setup.sh \
                 (apt-get install systemd)"
            );
            eprintln!(
                "{test}: SKIPPED: systemd-analyze is not installed (apt-get install systemd, \
                 or tools/setup.sh); set CI to make this a failure"
            );
            false
        }
        Err(e) => panic!("{test}: systemd-analyze: {e}"),
    }
}

#[test]
fn units_pass_systemd_analyze_verify() {
    if !have_analyze("units_pass_systemd_analyze_verify") {
        return;
    }
    let failures: Vec<String> = UNITS
        .iter()
        .filter_map(|u| verify(&install("verify", u, &template(u.program)).unit))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The check above can fail: a unit with a value systemd cannot parse and a
/// key it does not know is reported, although verify exits 0 for both.
#[test]
fn verify_reports_a_broken_unit() {
    if !have_analyze("verify_reports_a_broken_unit") {
        return;
    }
    let u = &UNITS[0];
    let broken = template(u.program).replace(
        "Restart=on-failure",
        "Restart=now-and-then\nRestartHarder=yes",
    );
    let report = verify(&install("broken", u, &broken).unit)
        .expect("systemd-analyze verify found nothing wrong with a broken unit");
    assert!(report.contains("now-and-then"), "{report}");
    assert!(report.contains("RestartHarder"), "{report}");
}

/// The "Overall exposure level" in `systemd-analyze security` output.
fn exposure(text: &str) -> Option<f64> {
    let line = text
        .lines()
        .find(|l| l.contains("Overall exposure level"))?;
    line.rsplit(':')
        .next()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn units_stay_within_their_exposure_bound() {
    if !have_analyze("units_stay_within_their_exposure_bound") {
        return;
    }
    let mut failures = Vec::new();
    for u in &UNITS {
        let installed = install("security", u, &template(u.program));
        // --offline: judge the file, not a unit loaded in a running systemd.
        let out = analyze(
            &["security", "--offline=yes", "--no-pager"],
            &installed.unit,
        );
        let text = said(&out);
        match exposure(&text) {
            Some(level) if level <= u.max_exposure => {}
            Some(level) => failures.push(format!(
                "{}@.service: exposure {level} above {}:\n{text}",
                u.program, u.max_exposure
            )),
            None => failures.push(format!(
                "{}@.service: no exposure level ({}):\n{text}",
                u.program, out.status
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The words of the unit's ExecStart= with `$VARIABLES` left out (empty
/// unless an environment file sets them) and the instance `%I` replaced.
fn exec_start(text: &str, instance: &str) -> Vec<String> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("no ExecStart=");
    line.split_whitespace()
        .filter(|w| !w.starts_with('$'))
        .map(|w| w.replace("%I", instance))
        .collect()
}

/// Every unit runs its daemon in the foreground (`-f`, so systemd tracks
/// it and the journal gets its log) with a PID file of its own instance,
/// and SIGHUP reloads.
#[test]
fn units_run_in_the_foreground_one_pid_file_per_instance() {
    for u in &UNITS {
        let text = template(u.program);
        let argv = exec_start(&text, INSTANCE);
        assert_eq!(argv[0], format!("{SBIN}/{}", u.program));
        assert!(argv.contains(&"-f".to_string()), "{argv:?}");
        let pid = format!("/run/{}.{INSTANCE}.pid", u.program);
        assert!(argv.contains(&pid), "{}: no {pid} in {argv:?}", u.program);
        assert_eq!(argv.last().unwrap(), INSTANCE, "{argv:?}");
        assert!(
            text.contains("ExecReload=/bin/kill -HUP $MAINPID"),
            "{}",
            u.program
        );
    }
}

/// Runs the unit's ExecStart command line with the built program, `extra`
/// inserted after the flags, for an interface that does not exist.
fn run_exec_start(u: &Unit, extra: &[String]) -> Output {
    let argv = exec_start(&template(u.program), NO_SUCH_IF);
    let (iface, flags) = argv[1..].split_last().unwrap();
    Command::new(u.exe)
        .args(flags)
        .args(extra)
        .arg(iface)
        .output()
        .unwrap()
}

/// The daemons accept the units' command lines. dhcp6s and dhcp6c are run
/// with `-t` and a sample configuration, so they check it and exit having
/// parsed every flag; dhcp6relay has no `-t` and must get past its flags to
/// stop at the missing interface (a flag error would exit 2 with clap's
/// usage message).
#[test]
fn daemons_accept_the_units_flags() {
    let conf = |f: &str| repo().join("conf").join(f).display().to_string();
    for (u, sample) in UNITS[..2]
        .iter()
        .zip([conf("dhcp6s.conf"), conf("dhcp6c.conf")])
    {
        let out = run_exec_start(u, &["-t".into(), "-c".into(), sample]);
        assert!(out.status.success(), "{}: {}", u.program, said(&out));
    }
    let out = run_exec_start(&UNITS[2], &[]);
    let text = said(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(NO_SUCH_IF), "{text}");
}
