//! The statistics file: kame6's `--stats-file PATH` and `--stats-interval
//! SECONDS`, shared by the daemons. The daemon renders its statistics
//! ([`crate::stats::Exposition`]) and this module replaces the file with
//! them atomically, so node_exporter's textfile collector never reads half
//! a file: when the interval has passed, on SIGUSR1 (dhcp6s, dhcp6relay)
//! and at exit. Off unless `--stats-file` is given, as WIDE has nothing
//! of the kind (doc/statistics.md says why a file and not an HTTP
//! endpoint).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Arg, ArgMatches};

use crate::log_err;
use crate::sys::atomic;

/// Seconds between two writes of the statistics file by default: the
/// usual scrape interval of Prometheus.
pub const DEFAULT_INTERVAL: u64 = 15;

/// Permissions of the statistics file: node_exporter runs as another
/// user and must read it; it holds counters, nothing secret.
const MODE: u32 = 0o644;

/// The two flags, for a daemon's command line (`cmd.args(sys::stats::args())`).
pub fn args() -> [Arg; 2] {
    [
        Arg::new("stats-file")
            .long("stats-file")
            .value_name("PATH")
            .help("write statistics to PATH in Prometheus's text format (kame6)"),
        Arg::new("stats-interval")
            .long("stats-interval")
            .value_name("SECONDS")
            .requires("stats-file")
            .help(format!(
                "seconds between writes of the statistics file (default {DEFAULT_INTERVAL})"
            )),
    ]
}

/// Where and how often the statistics are written.
#[derive(Debug)]
pub struct StatsFile {
    path: PathBuf,
    interval: Duration,
    next: Instant,
    /// The last write failed (logged once until a write succeeds again).
    failing: bool,
}

impl StatsFile {
    /// The file `--stats-file` names, written every `--stats-interval`
    /// seconds; `None` without the flag. The first write is due at once.
    pub fn from_args(m: &ArgMatches) -> Result<Option<Self>, String> {
        let text = |id: &str| m.try_get_one::<String>(id).ok().flatten().cloned();
        let Some(path) = text("stats-file") else {
            return Ok(None);
        };
        let interval = match text("stats-interval") {
            None => DEFAULT_INTERVAL,
            Some(s) => s
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=86_400).contains(n))
                .ok_or_else(|| format!("--stats-interval {s}: expected 1 to 86400 seconds"))?,
        };
        // Absolute, so the file is still found after daemonize's chdir("/").
        let path = std::path::absolute(&path).unwrap_or_else(|_| PathBuf::from(&path));
        Ok(Some(Self::new(path, Duration::from_secs(interval))))
    }

    /// Statistics written to `path` every `interval`.
    pub fn new(path: PathBuf, interval: Duration) -> Self {
        Self {
            path,
            interval,
            next: Instant::now(),
            failing: false,
        }
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the interval has passed since the last write.
    pub fn due(&self, now: Instant) -> bool {
        now >= self.next
    }

    /// How long the loop may sleep before the next write is due.
    pub fn until_due(&self, now: Instant) -> Duration {
        self.next.saturating_duration_since(now)
    }

    /// Replaces the file with `text` and schedules the next write one
    /// interval after `now`. Not synced to disk: statistics need not
    /// survive a power loss, and a sync could hold up the loop for as
    /// long as the disk is busy. A failure is logged once, until a write
    /// succeeds again.
    pub fn write(&mut self, now: Instant, text: &str) {
        self.next = now + self.interval;
        match atomic::replace_unsynced(&self.path, text.as_bytes(), MODE) {
            Ok(()) => self.failing = false,
            Err(e) => {
                if !self.failing {
                    log_err!("stats_write", "{}: {e}", self.path.display());
                }
                self.failing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Command;

    fn parse(argv: &[&str]) -> Result<Option<StatsFile>, String> {
        let m = Command::new("d")
            .args(args())
            .try_get_matches_from(std::iter::once("d").chain(argv.iter().copied()))
            .map_err(|e| e.to_string())?;
        StatsFile::from_args(&m)
    }

    #[test]
    fn flags() {
        assert!(parse(&[]).unwrap().is_none());
        let f = parse(&["--stats-file", "/tmp/x.prom"]).unwrap().unwrap();
        assert_eq!(f.path(), Path::new("/tmp/x.prom"));
        assert_eq!(f.interval, Duration::from_secs(DEFAULT_INTERVAL));
        assert!(f.due(Instant::now()), "the first write is due at once");
        let f = parse(&["--stats-file", "/tmp/x.prom", "--stats-interval", "2"])
            .unwrap()
            .unwrap();
        assert_eq!(f.interval, Duration::from_secs(2));
        for bad in ["0", "x", "86401", ""] {
            let e = parse(&["--stats-file", "f", "--stats-interval", bad]).unwrap_err();
            assert!(e.contains("--stats-interval"), "{e}");
        }
        // An interval without a file is a usage error.
        assert!(parse(&["--stats-interval", "5"]).is_err());
    }

    #[test]
    fn writes_and_schedules() {
        let dir = std::env::temp_dir().join(format!("kame6-stats-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("d.prom");
        let mut f = StatsFile::new(path.clone(), Duration::from_secs(10));
        let now = Instant::now();
        f.write(now, "a 1\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a 1\n");
        assert!(!f.due(now + Duration::from_secs(9)));
        assert!(f.due(now + Duration::from_secs(10)));
        assert_eq!(f.until_due(now), Duration::from_secs(10));
        f.write(now, "a 2\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a 2\n");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
        // A directory that does not exist: the write fails, nothing panics.
        let mut bad = StatsFile::new(dir.join("no/such.prom"), Duration::from_secs(1));
        bad.write(now, "x 1\n");
        assert!(bad.failing);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
