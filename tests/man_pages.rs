//! The manual pages in doc/man are clean for `mandoc -T lint -W warning`,
//! as issue 14 asks of CI.
//!
//! mandoc is a Debian package (tools/setup.sh installs it). Without it the
//! test is skipped with a message on a developer's machine, but fails when
//! the `CI` environment variable is set: CI must lint the pages.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code: a panic is a failure report

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pages every build ships: one per program and per configuration file.
const REQUIRED: [&str; 8] = [
    "dhcp4s.8",
    "dhcp4s.conf.5",
    "dhcp6s.8",
    "dhcp6s.conf.5",
    "dhcp6c.8",
    "dhcp6c.conf.5",
    "dhcp6relay.8",
    "dhcp6ctl.8",
];

fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("doc/man")
}

/// Every file in `dir` whose name ends in a manual section (`.1` … `.9`).
fn pages(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.len() == 1 && matches!(e.as_bytes()[0], b'1'..=b'9'))
        })
        .collect();
    found.sort();
    found
}

/// What `mandoc -T lint -W warning` says about `page`: `None` when it is
/// clean, else mandoc's exit status and messages.
fn lint(page: &Path) -> Option<String> {
    let out = Command::new("mandoc")
        .args(["-T", "lint", "-W", "warning"])
        .arg(page)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && said.trim().is_empty() {
        None
    } else {
        Some(format!("{} ({}):\n{said}", page.display(), out.status))
    }
}

/// True if mandoc can be run; false (after saying why) when it is missing
/// outside CI. A missing mandoc under CI is a failure.
fn have_mandoc(test: &str) -> bool {
    // Any run that starts shows it is installed; what it says is not used.
    match Command::new("mandoc")
        .args(["-T", "lint", "/dev/null"])
        .output()
    {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: mandoc is not installed, and CI is set: run tools/setup.sh \
                 (apt-get install mandoc)"
            );
            eprintln!(
                "{test}: SKIPPED: mandoc is not installed (apt-get install mandoc, or \
                 tools/setup.sh); set CI to make this a failure"
            );
            false
        }
        Err(e) => panic!("{test}: running mandoc: {e}"),
    }
}

#[test]
fn every_page_is_lint_clean() {
    let dir = man_dir();
    let found = pages(&dir);
    for name in REQUIRED {
        assert!(
            found.iter().any(|p| p.file_name().unwrap() == name),
            "{}: {name} is missing",
            dir.display()
        );
    }
    if !have_mandoc("every_page_is_lint_clean") {
        return;
    }
    let reports: Vec<String> = found.iter().filter_map(|p| lint(p)).collect();
    assert!(
        reports.is_empty(),
        "mandoc -T lint -W warning is not clean:\n{}",
        reports.join("\n")
    );
}

/// The check above would pass on anything if mandoc's level or output were
/// misread: a page with a warning-level fault (a blank line in the text)
/// must be reported.
#[test]
fn lint_reports_a_faulty_page() {
    if !have_mandoc("lint_reports_a_faulty_page") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("k6-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("faulty.8");
    std::fs::write(
        &page,
        ".Dd December 7, 2026\n.Dt FAULTY 8\n.Os\n.Sh NAME\n.Nm faulty\n.Nd a page\n\
         .Sh DESCRIPTION\nOne paragraph.\n\nA blank line above.\n",
    )
    .unwrap();
    let report = lint(&page);
    std::fs::remove_dir_all(&dir).unwrap();
    let report = report.expect("a blank line in fill mode must be reported");
    assert!(report.contains("blank line"), "{report}");
}
