//! Statistics an operator can graph: counters and histograms the daemons
//! keep as they work, and their rendering in Prometheus's text exposition
//! format (version 0.0.4, the format node_exporter's textfile collector
//! reads; doc/statistics.md lists every metric).
//!
//! Counting costs an addition: counters are plain `u64` fields of the
//! daemons' own structures, and a [`Histogram`] has its buckets allocated
//! when it is made, so [`Histogram::observe`] never allocates. Rendering
//! ([`Exposition`]) builds a `String`; it runs when the statistics file is
//! written, never per packet. Pure: `sys::stats` writes the file.

use std::fmt::Write as _;
use std::time::Duration;

/// Bucket bounds, in seconds, for durations of work inside a loop turn
/// (a turn, a journal commit): from 50 µs, where an idle turn sits, to
/// 2.5 s, well past any stall worth finding.
pub const DURATION_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5,
];

/// A Prometheus histogram: how many observations fell at or below each
/// bound, their sum and their count. Buckets are kept per interval and
/// made cumulative when rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Observations per interval: `counts[i]` those in `(bounds[i-1],
    /// bounds[i]]`, the last one those above every bound.
    counts: Box<[u64]>,
    sum: f64,
    count: u64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending, finite; `+Inf` is
    /// implied).
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len() + 1].into_boxed_slice(),
            sum: 0.0,
            count: 0,
        }
    }

    /// An empty histogram over [`DURATION_BUCKETS`].
    pub fn durations() -> Self {
        Self::new(DURATION_BUCKETS)
    }

    /// Counts one observation of `value`. Never allocates.
    pub fn observe(&mut self, value: f64) {
        // `partition_point` finds the first bound not below the value:
        // Prometheus's buckets are "less than or equal".
        let i = self.bounds.partition_point(|b| *b < value);
        if let Some(c) = self.counts.get_mut(i) {
            *c += 1;
        }
        self.sum += value;
        self.count += 1;
    }

    /// Counts one duration, in seconds.
    pub fn observe_duration(&mut self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of the observations.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// `(upper bound, observations at or below it)` for every bucket,
    /// `+Inf` last (its count equals [`Histogram::count`]).
    pub fn cumulative(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let bounds = self.bounds.iter().copied().chain([f64::INFINITY]);
        bounds.zip(self.counts.iter()).scan(0u64, |acc, (b, c)| {
            *acc += c;
            Some((b, *acc))
        })
    }
}

/// What the daemons know about the commits of a lease store (the lease
/// journal): how many wrote something, how many failed, what they wrote,
/// how long they took.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitStats {
    /// Commits that wrote and synced records.
    pub commits: u64,
    /// Commits that failed (the turn was rolled back).
    pub failures: u64,
    /// Octets written by the successful commits.
    pub bytes: u64,
    /// Duration of each commit that wrote something (write and sync).
    pub latency: Histogram,
}

impl Default for CommitStats {
    fn default() -> Self {
        Self {
            commits: 0,
            failures: 0,
            bytes: 0,
            latency: Histogram::durations(),
        }
    }
}

/// A metric family's type (the `# TYPE` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (restarts at 0 when the daemon does).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Buckets, sum and count.
    Histogram,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// A label: name (`[a-zA-Z_][a-zA-Z0-9_]*`, chosen by the program) and
/// value (any text; escaped when written).
pub type Label<'a> = (&'static str, &'a str);

/// A text exposition being written: families one after the other, each a
/// `# HELP` and a `# TYPE` line followed by its samples. Every metric name
/// gets the prefix given to [`Exposition::new`].
#[derive(Debug, Clone)]
pub struct Exposition {
    prefix: &'static str,
    out: String,
}

/// Writes `v` as the format wants a value: integers without a point,
/// `+Inf`, `-Inf`, `NaN` spelled so.
fn write_value(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v == f64::INFINITY {
        out.push_str("+Inf");
    } else if v == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        // Rust prints finite floats without exponent and integers
        // without ".0" ({} of 3.0 is "3"); both parse as Go floats.
        let _ = write!(out, "{v}");
    }
}

/// Writes `text` escaped for a label value: backslash, double quote and
/// line feed as `\\`, `\"`, `\n`.
fn write_label_value(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Writes `text` escaped for a `# HELP` line: backslash and line feed.
fn write_help(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

impl Exposition {
    /// An empty exposition whose metric names start with `prefix`
    /// (`kame6_dhcp6s_`).
    pub fn new(prefix: &'static str) -> Self {
        Self {
            prefix,
            out: String::new(),
        }
    }

    /// Starts the family `name` (after the prefix): its help text and type.
    /// Its samples must follow before the next family starts.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let _ = write!(self.out, "# HELP {}{name} ", self.prefix);
        write_help(&mut self.out, help);
        let _ = writeln!(self.out, "\n# TYPE {}{name} {}", self.prefix, kind.word());
    }

    fn sample_line(&mut self, name: &str, suffix: &str, labels: &[Label<'_>], le: Option<f64>) {
        let _ = write!(self.out, "{}{name}{suffix}", self.prefix);
        if !labels.is_empty() || le.is_some() {
            self.out.push('{');
            let mut first = true;
            for (k, v) in labels {
                if !first {
                    self.out.push(',');
                }
                first = false;
                let _ = write!(self.out, "{k}=\"");
                write_label_value(&mut self.out, v);
                self.out.push('"');
            }
            if let Some(le) = le {
                if !first {
                    self.out.push(',');
                }
                self.out.push_str("le=\"");
                write_value(&mut self.out, le);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
    }

    /// One sample of the current counter or gauge family.
    pub fn sample(&mut self, name: &str, labels: &[Label<'_>], value: u64) {
        self.sample_line(name, "", labels, None);
        let _ = writeln!(self.out, "{value}");
    }

    /// One sample with a fractional value.
    pub fn sample_f64(&mut self, name: &str, labels: &[Label<'_>], value: f64) {
        self.sample_line(name, "", labels, None);
        write_value(&mut self.out, value);
        self.out.push('\n');
    }

    /// A family of one counter or gauge without labels.
    pub fn single(&mut self, name: &str, kind: Kind, help: &str, value: u64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }

    /// The samples of one histogram of the current histogram family:
    /// `_bucket` lines (cumulative, `+Inf` last), `_sum`, `_count`.
    pub fn histogram(&mut self, name: &str, labels: &[Label<'_>], h: &Histogram) {
        for (le, n) in h.cumulative() {
            self.sample_line(name, "_bucket", labels, Some(le));
            let _ = writeln!(self.out, "{n}");
        }
        self.sample_line(name, "_sum", labels, None);
        write_value(&mut self.out, h.sum());
        self.out.push('\n');
        self.sample_line(name, "_count", labels, None);
        let _ = writeln!(self.out, "{}", h.count());
    }

    /// A lease journal's commits (`journal_*` families), the same for
    /// every daemon that keeps one (doc/statistics.md).
    pub fn journal(&mut self, c: &CommitStats) {
        self.single(
            "journal_commits_total",
            Kind::Counter,
            "Lease journal commits that wrote and synced records.",
            c.commits,
        );
        self.single(
            "journal_commit_failures_total",
            Kind::Counter,
            "Lease journal commits that failed (the loop turn's answers withheld).",
            c.failures,
        );
        self.single(
            "journal_written_bytes_total",
            Kind::Counter,
            "Octets the lease journal's commits wrote.",
            c.bytes,
        );
        self.family(
            "journal_commit_duration_seconds",
            Kind::Histogram,
            "Time of each lease journal commit (write and fdatasync).",
        );
        self.histogram("journal_commit_duration_seconds", &[], &c.latency);
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        &self.out
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_end_at_inf() {
        const B: &[f64] = &[0.1, 1.0, 10.0];
        let mut h = Histogram::new(B);
        for v in [0.05, 0.1, 0.5, 2.0, 20.0, 30.0] {
            h.observe(v);
        }
        let got: Vec<(f64, u64)> = h.cumulative().collect();
        // 0.1 falls in the 0.1 bucket: "less than or equal".
        assert_eq!(
            got,
            [(0.1, 2), (1.0, 3), (10.0, 4), (f64::INFINITY, 6)],
            "cumulative"
        );
        assert_eq!(h.count(), 6);
        assert!((h.sum() - 52.65).abs() < 1e-9);
    }

    #[test]
    fn durations_in_seconds() {
        let mut h = Histogram::durations();
        h.observe_duration(Duration::from_micros(700));
        h.observe_duration(Duration::from_millis(300));
        let le_1ms = h.cumulative().find(|(b, _)| *b == 0.001).unwrap().1;
        let le_250ms = h.cumulative().find(|(b, _)| *b == 0.25).unwrap().1;
        let le_500ms = h.cumulative().find(|(b, _)| *b == 0.5).unwrap().1;
        assert_eq!((le_1ms, le_250ms, le_500ms), (1, 1, 2));
    }

    #[test]
    fn histogram_text() {
        const B: &[f64] = &[0.5, 1.0];
        let mut h = Histogram::new(B);
        h.observe(0.25);
        h.observe(0.75);
        h.observe(4.0);
        let mut e = Exposition::new("p_");
        e.family("wait_seconds", Kind::Histogram, "Waits.");
        e.histogram("wait_seconds", &[("queue", "a")], &h);
        assert_eq!(
            e.finish(),
            "# HELP p_wait_seconds Waits.\n\
             # TYPE p_wait_seconds histogram\n\
             p_wait_seconds_bucket{queue=\"a\",le=\"0.5\"} 1\n\
             p_wait_seconds_bucket{queue=\"a\",le=\"1\"} 2\n\
             p_wait_seconds_bucket{queue=\"a\",le=\"+Inf\"} 3\n\
             p_wait_seconds_sum{queue=\"a\"} 5\n\
             p_wait_seconds_count{queue=\"a\"} 3\n"
        );
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let mut e = Exposition::new("k_");
        e.family("x_total", Kind::Counter, "a \\ b\nc \"q\"");
        e.sample("x_total", &[("link", "a\"b\\c\nd"), ("t", "")], 7);
        assert_eq!(
            e.finish(),
            "# HELP k_x_total a \\\\ b\\nc \"q\"\n\
             # TYPE k_x_total counter\n\
             k_x_total{link=\"a\\\"b\\\\c\\nd\",t=\"\"} 7\n"
        );
    }

    #[test]
    fn values_as_the_format_spells_them() {
        let mut s = String::new();
        for v in [
            3.0,
            0.000_05,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1.5,
        ] {
            write_value(&mut s, v);
            s.push(' ');
        }
        assert_eq!(s, "3 0.00005 +Inf -Inf NaN 1.5 ");
    }

    #[test]
    fn single_without_labels() {
        let mut e = Exposition::new("k_");
        e.single("up", Kind::Gauge, "Up.", 1);
        assert_eq!(e.as_str(), "# HELP k_up Up.\n# TYPE k_up gauge\nk_up 1\n");
    }
}
