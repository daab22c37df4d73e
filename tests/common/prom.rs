//! A strict reader of Prometheus's text exposition format (0.0.4), our
//! own so the tests need no Prometheus: it refuses what Prometheus would
//! refuse and what our documentation promises never to write (a sample
//! before its `# TYPE`, a family split in two, a repeated series, a
//! counter not named `_total`, a histogram whose buckets are not
//! cumulative or do not end at `+Inf` equal to `_count`), and gives the
//! samples by series.

use std::collections::{BTreeMap, HashSet};

/// A parsed exposition: every sample by its series, written as
/// `name{label="value",...}` with the labels in file order (unescaped
/// values), or `name` alone.
#[derive(Debug, Default)]
pub struct Exposition {
    /// Sample values by series.
    pub samples: BTreeMap<String, f64>,
    /// Family types by name.
    pub types: BTreeMap<String, String>,
}

impl Exposition {
    /// The value of `series`, panicking with the series list if absent.
    pub fn get(&self, series: &str) -> f64 {
        match self.samples.get(series) {
            Some(v) => *v,
            None => panic!(
                "no series {series}; have:\n{}",
                self.samples.keys().cloned().collect::<Vec<_>>().join("\n")
            ),
        }
    }
}

fn is_name(s: &str, colon: bool) -> bool {
    let mut chars = s.chars();
    let ok_first = |c: char| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':');
    chars.next().is_some_and(ok_first)
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
}

fn parse_value(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => s.parse::<f64>().map_err(|_| format!("bad value {s:?}")),
    }
}

/// Splits `name{labels} value` into the name, the (name, unescaped value)
/// labels and the value.
#[allow(clippy::type_complexity)]
fn parse_sample(line: &str) -> Result<(String, Vec<(String, String)>, f64), String> {
    let name_end = line
        .find(['{', ' '])
        .ok_or_else(|| format!("no value: {line:?}"))?;
    let name = &line[..name_end];
    if !is_name(name, true) {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(r) = rest.strip_prefix('{') {
        let mut chars = r.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '}' {
                end = Some(i);
                break;
            }
            // A label name up to '='.
            let start = i;
            let mut eq = None;
            if c == '=' {
                return Err(format!("empty label name: {line:?}"));
            }
            for (j, c) in chars.by_ref() {
                if c == '=' {
                    eq = Some(j);
                    break;
                }
            }
            let eq = eq.ok_or_else(|| format!("label without '=': {line:?}"))?;
            let lname = &r[start..eq];
            if !is_name(lname, false) || lname.starts_with("__") {
                return Err(format!("bad label name {lname:?}"));
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err(format!("label value not quoted: {line:?}"));
            }
            let mut value = String::new();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next().map(|(_, c)| c) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        other => return Err(format!("bad escape \\{other:?}: {line:?}")),
                    },
                    '\n' => return Err("raw line feed in a label value".into()),
                    c => value.push(c),
                }
            }
            if !closed {
                return Err(format!("unterminated label value: {line:?}"));
            }
            if labels.iter().any(|(n, _)| n == lname) {
                return Err(format!("label {lname} twice: {line:?}"));
            }
            labels.push((lname.to_string(), value));
            match chars.peek().map(|(_, c)| *c) {
                Some(',') => {
                    chars.next();
                }
                Some('}') => {}
                _ => return Err(format!("expected ',' or '}}': {line:?}")),
            }
        }
        let end = end.ok_or_else(|| format!("unterminated labels: {line:?}"))?;
        rest = &r[end + 1..];
    }
    let value = rest
        .strip_prefix(' ')
        .ok_or_else(|| format!("no space before the value: {line:?}"))?;
    // No timestamps: we never write them.
    Ok((name.to_string(), labels, parse_value(value)?))
}

fn series(name: &str, labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        return name.to_string();
    }
    let l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{name}{{{}}}", l.join(","))
}

/// One histogram's samples as read, per label set without `le`.
#[derive(Default)]
struct HistogramSeen {
    buckets: Vec<(f64, f64)>,
    sum: Option<f64>,
    count: Option<f64>,
}

fn check_histograms(family: &str, seen: &BTreeMap<String, HistogramSeen>) -> Result<(), String> {
    for (labels, h) in seen {
        let what = format!("{family}{labels}");
        let last = h
            .buckets
            .last()
            .ok_or_else(|| format!("{what}: no buckets"))?;
        if last.0 != f64::INFINITY {
            return Err(format!("{what}: last bucket is not +Inf"));
        }
        for w in h.buckets.windows(2) {
            if w[1].0 <= w[0].0 {
                return Err(format!("{what}: le not ascending"));
            }
            if w[1].1 < w[0].1 {
                return Err(format!("{what}: buckets not cumulative"));
            }
        }
        let count = h.count.ok_or_else(|| format!("{what}: no _count"))?;
        h.sum.ok_or_else(|| format!("{what}: no _sum"))?;
        if count != last.1 {
            return Err(format!("{what}: +Inf bucket {} != _count {count}", last.1));
        }
    }
    Ok(())
}

/// Reads `text` strictly.
pub fn parse(text: &str) -> Result<Exposition, String> {
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("no final line feed".into());
    }
    let mut out = Exposition::default();
    let mut helped: HashSet<String> = HashSet::new();
    let mut finished: HashSet<String> = HashSet::new();
    let mut current: Option<(String, String)> = None;
    let mut hist: BTreeMap<String, HistogramSeen> = BTreeMap::new();
    let close = |cur: &Option<(String, String)>,
                 hist: &mut BTreeMap<String, HistogramSeen>,
                 finished: &mut HashSet<String>|
     -> Result<(), String> {
        if let Some((name, kind)) = cur {
            if kind == "histogram" {
                check_histograms(name, hist)?;
            }
            finished.insert(name.clone());
        }
        hist.clear();
        Ok(())
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default();
            if !is_name(name, true) || !helped.insert(name.to_string()) {
                return Err(format!("bad or repeated HELP: {line:?}"));
            }
            // Only \\ and \n are escapes in help text.
            let mut it = rest.chars();
            while let Some(c) = it.next() {
                if c == '\\' && !matches!(it.next(), Some('\\' | 'n')) {
                    return Err(format!("bad escape in HELP: {line:?}"));
                }
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut w = rest.split(' ');
            let (name, kind) = (w.next().unwrap_or_default(), w.next().unwrap_or_default());
            if w.next().is_some() || !is_name(name, true) {
                return Err(format!("bad TYPE line: {line:?}"));
            }
            if !matches!(kind, "counter" | "gauge" | "histogram") {
                return Err(format!("unexpected type {kind:?}"));
            }
            if out.types.contains_key(name) {
                return Err(format!("family {name} declared twice"));
            }
            if kind == "counter" && !name.ends_with("_total") {
                return Err(format!("counter {name} not named _total"));
            }
            close(&current, &mut hist, &mut finished)?;
            out.types.insert(name.to_string(), kind.to_string());
            current = Some((name.to_string(), kind.to_string()));
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            return Err(format!("unexpected line {line:?}"));
        }
        let (name, labels, value) = parse_sample(line)?;
        let (family, kind) = current
            .as_ref()
            .ok_or_else(|| format!("sample before any TYPE: {line:?}"))?;
        if kind == "histogram" {
            let mut key_labels = labels.clone();
            let le = key_labels
                .iter()
                .position(|(k, _)| k == "le")
                .map(|i| key_labels.remove(i).1);
            let h = hist.entry(series("", &key_labels)).or_default();
            match name.strip_prefix(family.as_str()) {
                Some("_bucket") => {
                    let le = le.ok_or_else(|| format!("bucket without le: {line:?}"))?;
                    h.buckets.push((parse_value(&le)?, value));
                }
                Some("_sum") if le.is_none() => h.sum = Some(value),
                Some("_count") if le.is_none() => h.count = Some(value),
                _ => return Err(format!("{name} is not a sample of histogram {family}")),
            }
        } else if &name != family {
            if finished.contains(&name) {
                return Err(format!("family {name} split in two"));
            }
            return Err(format!("sample {name} inside family {family}"));
        }
        if kind == "counter" && (value.is_nan() || value < 0.0) {
            return Err(format!("counter below zero or NaN: {line:?}"));
        }
        if out.samples.insert(series(&name, &labels), value).is_some() {
            return Err(format!("series repeated: {line:?}"));
        }
    }
    close(&current, &mut hist, &mut finished)?;
    Ok(out)
}
